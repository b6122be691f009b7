/* The corpus kernel's user programs. They run in U-mode at USER_BASE in their own Sv39 address
 * space, so everything here must live in the .user.* sections the linker script places there:
 * the pragma below renames this file's sections, and nothing here may use writable globals
 * (the code pages are shared by every process and mapped read-only).
 *
 * The pragma does not reach what the compiler makes up itself (string literals, constant pools,
 * switch jump tables), which would land in the kernel's .rodata where a user process cannot
 * read it. So: every text is a named array (USER_TEXT), constants fit in 32 bits, and the
 * kernel is built with -fno-jump-tables. A slip shows as "process killed" in the output. */
#pragma clang section text = ".user.text" rodata = ".user.rodata" data = ".user.data" bss = ".user.bss"

#include <stdint.h>
#include "syscall.h"

#define USER_TEXT(name, text) static const char name[] = text

#define syscall2 user_syscall2

#ifdef KERNEL_CPU_WORKLOADS
/* cpu/user-runtime.c: runs the CPU workload with this index; ends the process itself. */
extern void __attribute__((noreturn)) workload_run(uint64_t index);
#endif

static long sys_write(const char *buffer, long length) { return syscall2(SYS_WRITE, (long)buffer, length); }
static long sys_getpid(void) { return syscall2(SYS_GETPID, 0, 0); }
static long sys_yield(void) { return syscall2(SYS_YIELD, 0, 0); }
static void __attribute__((noreturn)) sys_exit(long status) {
    syscall2(SYS_EXIT, status, 0);
    for (;;) {}
}

static char hex_digit(uint64_t v) { return (char)(v < 10 ? '0' + v : 'a' + v - 10); }

USER_TEXT(hex_prefix, "0x");
USER_TEXT(colon, ": ");
USER_TEXT(iterations_text, " iterations, checksum ");
USER_TEXT(newline, "\n");
USER_TEXT(hello_text, "hello from user process ");
USER_TEXT(syscall_name, "syscall");
USER_TEXT(pagefault_name, "pagefault");
USER_TEXT(bad_pointer_text, "write from a kernel address: ");
USER_TEXT(refused_text, "refused\n");
USER_TEXT(accepted_text, "ACCEPTED\n");

/* A line builder on the stack: user code has no writable globals and no libc. */
struct line {
    char text[96];
    int length;
};

static void put_text(struct line *line, const char *text) {
    while (*text && line->length < (int)sizeof line->text) line->text[line->length++] = *text++;
}

static void put_decimal(struct line *line, uint64_t value) {
    char digits[20];
    int count = 0;
    do { digits[count++] = (char)('0' + value % 10); value /= 10; } while (value);
    while (count && line->length < (int)sizeof line->text) line->text[line->length++] = digits[--count];
}

static void put_hex(struct line *line, uint64_t value) {
    put_text(line, hex_prefix);
    for (int shift = 60; shift >= 0; shift -= 4) {
        if (line->length < (int)sizeof line->text) line->text[line->length++] = hex_digit((value >> shift) & 15);
    }
}

static void report(const char *name, uint64_t iterations, uint64_t checksum) {
    struct line line;
    line.length = 0;
    put_text(&line, name);
    put_text(&line, colon);
    put_decimal(&line, iterations);
    put_text(&line, iterations_text);
    put_hex(&line, checksum);
    put_text(&line, newline);
    sys_write(line.text, line.length);
}

static void hello(void) {
    struct line line;
    line.length = 0;
    put_text(&line, hello_text);
    put_decimal(&line, (uint64_t)sys_getpid());
    put_text(&line, newline);
    sys_write(line.text, line.length);
}

/* The null system call: the cheapest round trip U -> S -> U. */
static uint64_t syscall_loop(uint64_t iterations) {
    uint64_t checksum = 0;
    for (uint64_t i = 0; i < iterations; i++) checksum = checksum * 31 + (uint64_t)sys_getpid();
    report(syscall_name, iterations, checksum);
    return checksum;
}

/* Touch `pages` fresh heap pages: each first store is a page fault the kernel answers by
 * allocating a zeroed page; the read-back proves the pages are distinct and kept. */
static uint64_t touch_pages(uint64_t pages) {
    volatile uint64_t *heap = (volatile uint64_t *)USER_HEAP_BASE;
    uint64_t words_per_page = 4096 / sizeof(uint64_t);
    for (uint64_t i = 0; i < pages; i++) heap[i * words_per_page + (i & 7)] = (i + 1) * 0x9e3779b9U;
    uint64_t checksum = 0;
    for (uint64_t i = 0; i < pages; i++) checksum ^= heap[i * words_per_page + (i & 7)] + heap[i * words_per_page + ((i + 1) & 7)];
    report(pagefault_name, pages, checksum);
    return checksum;
}

/* Give the hart away `iterations` times; run as two processes this measures context switches. */
static uint64_t yield_loop(uint64_t iterations) {
    uint64_t checksum = (uint64_t)sys_getpid();
    for (uint64_t i = 0; i < iterations; i++) {
        sys_yield();
        checksum = checksum * 33 + i;
    }
    return checksum;
}

/* Pure computation with every register busy, long enough to be preempted several times:
 * a register the context switch failed to restore would change the checksum. */
static uint64_t spin(uint64_t iterations) {
    uint64_t a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8;
    for (uint64_t i = 0; i < iterations; i++) {
        a += b ^ i;
        b = ((b << 1) | (b >> 63)) + c;
        c ^= d + a;
        d += e * 3;
        e ^= f >> 3;
        f += g ^ a;
        g = g * 5 + h;
        h ^= a + i;
    }
    return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h;
}

/* Hands the kernel a pointer into kernel memory: the kernel must refuse it, not read it. */
static uint64_t bad_pointer(void) {
    long result = sys_write((const char *)0x80200000UL, 16);
    struct line line;
    line.length = 0;
    put_text(&line, bad_pointer_text);
    put_text(&line, result == SYSCALL_EFAULT ? refused_text : accepted_text);
    sys_write(line.text, line.length);
    return result == SYSCALL_EFAULT ? 0 : 1;
}

/* Misbehaviour the kernel must contain: each of these gets its process killed, and the
 * kernel and the other processes carry on. */
static uint64_t read_kernel(void) { return *(volatile uint64_t *)0x80200000UL; }
static uint64_t read_sstatus(void) {
    uint64_t value;
    __asm__ volatile("csrr %0, sstatus" : "=r"(value));
    return value;
}

__attribute__((section(".user.entry"), noreturn)) void user_start(long program, uint64_t argument) {
    uint64_t status = 0;
    switch (program) {
    case USER_PROGRAM_HELLO: hello(); break;
    case USER_PROGRAM_SYSCALL: status = syscall_loop(argument); break;
    case USER_PROGRAM_PAGEFAULT: status = touch_pages(argument); break;
    case USER_PROGRAM_YIELD: status = yield_loop(argument); break;
    case USER_PROGRAM_BAD_POINTER: status = bad_pointer(); break;
    case USER_PROGRAM_SPIN: status = spin(argument); break;
    case USER_PROGRAM_READ_KERNEL: status = read_kernel(); break;
    case USER_PROGRAM_PRIVILEGED: status = read_sstatus(); break;
    case USER_PROGRAM_EXIT: status = (uint64_t)sys_getpid() * 3 + 1; break;
#ifdef KERNEL_CPU_WORKLOADS
    case USER_PROGRAM_WORKLOAD: workload_run(argument);
#endif
    default: status = 255; break;
    }
    sys_exit((long)(status & 0xffff));
}
