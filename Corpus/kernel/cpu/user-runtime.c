/* The runtime of the CPU workloads (Corpus/cpu) when they run as user programs of the corpus
 * kernel, in place of Corpus/cpu/runtime/rv64: the console is the write system call and the
 * end of the program is exit, so each workload prints exactly what its bare-metal build
 * prints. Like the workloads, this file is linked into user memory (its name starts with
 * user-), so unlike user.c it may use string literals, constants and writable globals: the
 * kernel gives every process its own copy of the user .data and .bss. */
#include <stdint.h>
#include "workload.h"
#include "syscall.h"

/* Output is sent a line at a time: one system call per line instead of one per byte. */
#define LINE_CAPACITY 128
static char line[LINE_CAPACITY];
static long line_length;

static void flush(void) {
    if (line_length) user_syscall2(SYS_WRITE, (long)line, line_length);
    line_length = 0;
}

void wl_putc(char c) {
    line[line_length++] = c;
    if (c == '\n' || line_length == LINE_CAPACITY) flush();
}

_Noreturn void wl_exit(int status) {
    flush();
    user_syscall2(SYS_EXIT, status, 0);
    for (;;) {}
}

_Noreturn void workload_main_crc32(void);
_Noreturn void workload_main_sha256(void);
_Noreturn void workload_main_sort(void);
_Noreturn void workload_main_matmul(void);
_Noreturn void workload_main_nbody(void);
_Noreturn void workload_main_bytecode(void);
_Noreturn void workload_main_memops(void);
_Noreturn void workload_main_coremark_like(void);

/* In the order of CorpusCatalogue.cpuWorkloads; the kernel runs indices 0..KERNEL_WORKLOADS-1. */
_Noreturn void workload_run(uint64_t index) {
    switch (index) {
    case 0: workload_main_crc32();
    case 1: workload_main_sha256();
    case 2: workload_main_sort();
    case 3: workload_main_matmul();
    case 4: workload_main_nbody();
    case 5: workload_main_bytecode();
    case 6: workload_main_memops();
    case 7: workload_main_coremark_like();
    default: wl_exit(127);
    }
}
