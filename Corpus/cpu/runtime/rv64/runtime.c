/*
 * RV64 bare-metal runtime for the CPU-bound workloads (QEMU `virt` and VirtBench).
 *
 * QEMU `virt` with `-bios none` starts hart 0 in M-mode at 0x8000_0000, the first byte of
 * the image (see link.ld). This file is the only RISC-V-specific code of the workloads: it
 * sets up a stack, turns the FPU on, clears .bss, catches stray traps, and provides the
 * console and the exit through sifive_test.
 */
#include "workload.h"

/* QEMU hw/riscv/virt.c memory map (the same layout VirtBench implements). */
#define UART_BASE      0x10000000ul   /* ns16550a */
#define UART_THR       0              /* transmit holding register */
#define UART_LSR       5              /* line status register */
#define UART_LSR_THRE  0x20           /* LSR bit 5: transmit holding register empty */
#define TEST_DEVICE    0x100000ul     /* sifive_test finisher */
#define TEST_PASS_CODE 0x5555u        /* FINISHER_PASS: power off, status 0 */
#define TEST_FAIL_CODE 0x3333u        /* FINISHER_FAIL: exit status in bits 31:16 */

/* Exit status when the workload traps: a bug in it or in the machine, never a pass. */
#define TRAP_EXIT_STATUS 2
/* Exit status if workload_main ever returns (it must end through wl_finish). */
#define RETURN_EXIT_STATUS 3

/*
 * Start-up. mstatus.FS (bits 14:13, Privileged spec 1.12 §3.1.6.6) is Off at reset, which
 * makes every FP instruction illegal; setting it to Initial (01) enables the FPU. mtvec
 * points at wl_trap so a fault prints a line and exits instead of spinning at address 0.
 * Only hart 0 runs the workload; any other hart parks.
 */
__asm__(
    ".section .text.init, \"ax\", @progbits\n"
    ".globl _start\n"
    "_start:\n"
    "    csrr  t0, mhartid\n"
    "    bnez  t0, 3f\n"
    "    la    sp, wl_stack_top\n"
    "    la    t0, wl_trap_entry\n"
    "    csrw  mtvec, t0\n"
    "    li    t0, 0x2000\n"              /* mstatus.FS = Initial */
    "    csrs  mstatus, t0\n"
    "    fscsr zero\n"                    /* round to nearest, no flags */
    "    la    t0, __bss_start\n"
    "    la    t1, __bss_end\n"
    "1:  bgeu  t0, t1, 2f\n"
    "    sd    zero, 0(t0)\n"
    "    addi  t0, t0, 8\n"
    "    j     1b\n"
    "2:  call  workload_main\n"
    "    li    a0, 3\n"                   /* RETURN_EXIT_STATUS */
    "    call  wl_exit\n"
    "3:  wfi\n"
    "    j     3b\n"
    ".balign 4\n"                         /* mtvec direct mode needs a 4-byte aligned base */
    "wl_trap_entry:\n"
    "    la    sp, wl_stack_top\n"        /* the faulting stack may be what broke */
    "    csrr  a0, mcause\n"
    "    csrr  a1, mepc\n"
    "    csrr  a2, mtval\n"
    "    call  wl_trap\n"
    "4:  j     4b\n"
    ".text\n");

static inline void mmio_write8(uintptr_t address, uint8_t value) {
    *(volatile uint8_t *)address = value;
}

static inline uint8_t mmio_read8(uintptr_t address) {
    return *(volatile uint8_t *)address;
}

void wl_putc(char c) {
    while (!(mmio_read8(UART_BASE + UART_LSR) & UART_LSR_THRE)) {}
    mmio_write8(UART_BASE + UART_THR, (uint8_t)c);
}

_Noreturn void wl_exit(int status) {
    uint32_t code = status == 0 ? TEST_PASS_CODE : (((uint32_t)status << 16) | TEST_FAIL_CODE);
    *(volatile uint32_t *)TEST_DEVICE = code;
    for (;;) __asm__ volatile("wfi");
}

/* Called from wl_trap_entry with the trap CSRs; reports and fails. */
_Noreturn void wl_trap(uint64_t cause, uint64_t epc, uint64_t tval) {
    wl_puts("FAIL trap mcause ");
    wl_put_hex64(cause);
    wl_puts(" mepc ");
    wl_put_hex64(epc);
    wl_puts(" mtval ");
    wl_put_hex64(tval);
    wl_putc('\n');
    wl_exit(TRAP_EXIT_STATUS);
}

/* memcpy, memmove, memset and memcmp are shared with the Thumb runtime: ../memory.c. */
