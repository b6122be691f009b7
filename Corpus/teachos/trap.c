/*
 * trap.c — S-mode traps (Privileged spec 1.12 §4.1.7-4.1.9): the Sstc timer, the PLIC's
 * external interrupts, and page faults that a test armed catch_fault for. Anything else is a
 * kernel bug and stops the machine.
 */
#include "kernel.h"
#include "riscv.h"

#define TICK_INTERVAL (TIMER_HZ / 100)   /* 10 ms */

volatile uint64_t ticks;
volatile uint64_t external_interrupts;
volatile uint64_t software_interrupts;

extern void kernelvec(void);
extern void fault_resume(void);
extern uint64_t fault_armed, fault_cause, fault_tval;

static void set_timer(void) {
    uint64_t next = csr_read(time) + TICK_INTERVAL;
    __asm__ volatile("csrw 0x14d, %0" ::"r"(next));   /* stimecmp */
}

void trap_init(void) {
    csr_write(stvec, (uint64_t)kernelvec);
    set_timer();
}

void wait_for_interrupt(void) {
    /* sie's enabled sources wake wfi even with sstatus.SIE clear (§3.3.3), so an interrupt that
     * arrives between the caller's check and the wfi is not lost; it is taken here. */
    __asm__ volatile("wfi");
    csr_set(sstatus, SSTATUS_SIE);
    csr_clear(sstatus, SSTATUS_SIE);
}

void kerneltrap(void) {
    uint64_t scause = csr_read(scause);
    if (scause & SCAUSE_INTERRUPT) {
        switch (scause & ~SCAUSE_INTERRUPT) {
        case IRQ_S_SOFT:   /* M-mode handing on a CLINT timer tick */
            csr_clear(sip, 1u << IRQ_S_SOFT);
            software_interrupts++;
            return;
        case IRQ_S_TIMER:
            ticks++;
            set_timer();
            return;
        case IRQ_S_EXTERNAL: {
            uint32_t irq = plic_claim();
            if (irq == virtio_blk.irq) virtio_blk_interrupt();
            else if (irq == UART0_IRQ) uart_interrupt();
            else if (irq) printf("teachos: unexpected external interrupt %u\n", irq);
            if (irq) plic_complete(irq);
            external_interrupts++;
            return;
        }
        }
    } else if ((scause == EXC_LOAD_PAGE || scause == EXC_STORE_PAGE) && fault_armed) {
        fault_cause = scause;
        fault_tval = csr_read(stval);
        csr_write(sepc, (uint64_t)fault_resume);
        return;
    }
    printf("teachos: unexpected trap: scause %lx sepc %lx stval %lx\n", scause, csr_read(sepc), csr_read(stval));
    power_off(253);
}
