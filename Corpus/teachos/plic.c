/*
 * plic.c — the platform-level interrupt controller as QEMU's virt board lays it out (RISC-V
 * PLIC specification 1.0.0: §3 priorities, §5 enables, §6 threshold, §7-8 claim/complete).
 * Hart 0's S-mode is context 1.
 */
#include "kernel.h"
#include "riscv.h"

#define PLIC_PRIORITY(irq)   (PLIC + 4 * (irq))
#define PLIC_S_ENABLE        (PLIC + 0x2000 + 0x80 * 1)
#define PLIC_S_THRESHOLD     (PLIC + 0x200000 + 0x1000 * 1)
#define PLIC_S_CLAIM         (PLIC + 0x200004 + 0x1000 * 1)

void plic_init(uint32_t irq) {
    *(volatile uint32_t *)PLIC_PRIORITY(irq) = 1;
    ((volatile uint32_t *)PLIC_S_ENABLE)[irq / 32] |= 1u << (irq % 32);
    *(volatile uint32_t *)PLIC_S_THRESHOLD = 0;
}

uint32_t plic_claim(void) { return *(volatile uint32_t *)PLIC_S_CLAIM; }

void plic_complete(uint32_t irq) { *(volatile uint32_t *)PLIC_S_CLAIM = irq; }
