/*
 * start.c — TeachOS's M-mode part, run once at boot: it hands the whole machine to S-mode and
 * is never entered again (mtrap reports anything that does reach M-mode).
 *
 * Privileged spec 1.12: §3.1.8 (medeleg/mideleg: every exception and the supervisor interrupts
 * go straight to S-mode), §3.7 (PMP: without an entry S-mode may touch nothing), §3.1.6.1
 * (mstatus.MPP picks the mode mret enters). The kernel's timer is Sstc's stimecmp (Sstc 1.0),
 * which both QEMU 7.2 and VirtBench implement: menvcfg.STCE lets S-mode program it, mcounteren.TM
 * lets it read `time`. The older way, the CLINT's machine timer taken in M-mode and handed on as
 * a supervisor software interrupt, is kept for the m_mode_timer test (entry.S's mtimer).
 */
#include "kernel.h"
#include "riscv.h"

void main(void);
extern char bss_start[], bss_end[];

#define CSR_MENVCFG  0x30a
#define CSR_STIMECMP 0x14d

/* What M-mode's timer handler (entry.S) works with; its layout is the offsets used there. */
struct mtimer_scratch {
    uint64_t saved[3];
    uint64_t mtimecmp;   /* hart 0's CLINT mtimecmp */
    uint64_t interval;   /* mtime units between ticks */
    volatile uint64_t count, limit;
};
struct mtimer_scratch mtimer = {{0, 0, 0}, 0x02004000ull, TIMER_HZ / 100, 0, 0};

void start(void) {
    for (char *p = bss_start; p < bss_end; p++) *p = 0;

    uint64_t mstatus = csr_read(mstatus);
    csr_write(mstatus, (mstatus & ~MSTATUS_MPP_MASK) | MSTATUS_MPP_S);
    csr_write(mepc, (uint64_t)main);
    csr_write(satp, 0);

    /* Every exception but the ecall from S-mode, which asks M-mode for timer ticks. */
    csr_write(medeleg, 0xffff & ~(1u << 9));
    csr_write(mscratch, (uint64_t)&mtimer);
    csr_write(mideleg, (1u << IRQ_S_SOFT) | (1u << IRQ_S_TIMER) | (1u << IRQ_S_EXTERNAL));
    csr_write(sie, (1u << IRQ_S_SOFT) | (1u << IRQ_S_TIMER) | (1u << IRQ_S_EXTERNAL));

    /* One PMP entry, top-of-range over the whole address space, read/write/execute (§3.7.1). */
    csr_write(pmpaddr0, 0x3fffffffffffffull);
    csr_write(pmpcfg0, 0xf);

    __asm__ volatile("csrs 0x30a, %0" ::"r"(MENVCFG_STCE));
    uint64_t menvcfg;
    __asm__ volatile("csrr %0, 0x30a" : "=r"(menvcfg));
    if (!(menvcfg & MENVCFG_STCE)) panic("no Sstc: menvcfg.STCE does not stick");
    __asm__ volatile("csrw 0x14d, %0" ::"r"(~0ull));   /* no timer interrupt until trap_init */
    csr_write(mcounteren, 7);                            /* cycle, time, instret readable below M */

    __asm__ volatile("mret");
}

void machine_trap(uint64_t cause, uint64_t epc, uint64_t tval) {
    printf("teachos: unexpected M-mode trap: mcause %lx mepc %lx mtval %lx\n", cause, epc, tval);
    power_off(254);
}
