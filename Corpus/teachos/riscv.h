/*
 * riscv.h — the RISC-V definitions TeachOS uses, named as in the Privileged Architecture
 * specification 1.12 (section numbers in the comments), and the virt board's memory map.
 */
#ifndef TEACHOS_RISCV_H
#define TEACHOS_RISCV_H

#include <stdint.h>

#define csr_read(name) ({ uint64_t v_; __asm__ volatile("csrr %0, " #name : "=r"(v_)); v_; })
#define csr_write(name, v) __asm__ volatile("csrw " #name ", %0" ::"r"((uint64_t)(v)))
#define csr_set(name, v) __asm__ volatile("csrs " #name ", %0" ::"r"((uint64_t)(v)))
#define csr_clear(name, v) __asm__ volatile("csrc " #name ", %0" ::"r"((uint64_t)(v)))

/* mstatus / sstatus, §3.1.6 and §4.1.1. */
#define SSTATUS_SIE   (1ull << 1)
#define SSTATUS_SPIE  (1ull << 5)
#define SSTATUS_SPP   (1ull << 8)
#define SSTATUS_SUM   (1ull << 18)
#define MSTATUS_MPP_MASK (3ull << 11)
#define MSTATUS_MPP_S    (1ull << 11)

/* Interrupt bits of mie/mip/sie/sip, §3.1.9; exception codes in mcause/scause, §3.1.15. */
#define IRQ_S_SOFT     1
#define IRQ_S_TIMER    5
#define IRQ_S_EXTERNAL 9
#define SCAUSE_INTERRUPT (1ull << 63)
#define EXC_ILLEGAL      2
#define EXC_ECALL_U      8
#define EXC_LOAD_PAGE    13
#define EXC_STORE_PAGE   15

/* menvcfg.STCE (Sstc 1.0 §2.1): S-mode gets stimecmp and the timer interrupt it raises. */
#define MENVCFG_STCE (1ull << 63)

/* Sv39, §4.4: three levels of 512 eight-byte entries; PTE bits §4.3.1 (Sv32 layout, same bits). */
#define PGSIZE  4096ull
#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define SATP_SV39 (8ull << 60)
#define PA2PTE(pa) (((uint64_t)(pa) >> 12) << 10)
#define PTE2PA(pte) (((pte) >> 10) << 12)
#define PX(level, va) ((((uint64_t)(va)) >> (12 + 9 * (level))) & 0x1ff)
#define MAXVA (1ull << 38)   /* below the sign-extension hole, as xv6 keeps it */

/* QEMU virt's memory map (hw/riscv/virt.c), which VirtBench reproduces. */
#define TEST_DEVICE  0x00100000ull       /* sifive_test: 0x5555 powers off, (n << 16) | 0x3333 fails */
#define UART0        0x10000000ull       /* ns16550a */
#define UART0_IRQ    10                  /* its PLIC source */
#define VIRTIO0      0x10001000ull       /* eight virtio-mmio slots, 0x1000 apart */
#define VIRTIO_SLOTS 8
#define VIRTIO_IRQ0  1                   /* PLIC source of slot 0; slot n is 1 + n */
#define PLIC         0x0c000000ull
#define PLIC_SIZE    0x400000ull
#define KERNBASE     0x80000000ull
#define PHYSTOP      (KERNBASE + 128ull * 1024 * 1024)
#define TIMER_HZ     10000000ull         /* the virt board's mtime runs at 10 MHz */

#endif
