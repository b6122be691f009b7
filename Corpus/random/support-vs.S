/*
 * support-vs.S — the VS-mode variant of the random programs' fixed half: the same prologue,
 * dump and trap handler as support.S (included below), with a small HS-level set-up around
 * them so that the random body runs in VS-mode under two-stage translation.
 *
 * What changes compared with support.S: the prologue's jump to the body lands in
 * random_enter_vs, which (keeping every register the prologue loaded) opens PMP for S/U,
 * builds an identity G-stage (Sv39x4, one 1 GiB leaf for GPA 0x8000_0000 with U set) and an
 * identity VS-stage (Sv39, the same gigapage), sets vsstatus.FS = Dirty (with V=1 both
 * mstatus.FS and vsstatus.FS gate the FPU), points mtvec at the dispatcher below and enters
 * the body with an mret (MPP=S, MPV=1); and:
 *   - the body's final `j random_epilogue` lands on an ecall in VS; the dispatcher sends
 *     that ecall (cause 10, the only ecall a body can make: bodies never contain ecall) to
 *     support.S's epilogue in M-mode, and every other trap to support.S's handler.
 * Because every mapping is an identity and link-vs.ld keeps support.S, the body and its data
 * where link.ld puts them (the additions go after them, in .hyp), all addresses the body can
 * observe are the ones of the native run, so a VS dump equals the native dump of the body.
 *
 * Spec: Privileged spec 1.12 §8.2.10 hgatp (Sv39x4, 16 KiB root), §8.5.1 (G-stage leaves
 * need U=1), §8.2.11 vsstatus, §8.6.4 MRET (MPV=1 enters V=1), §3.7.1 PMP.
 */

    .equ MSTATUS_MPP_MASK, 0x1800       /* mstatus.MPP, bits 12:11 */
    .equ MSTATUS_MPP_S, 0x800
    .equ MSTATUS_MPV, 0x8000000000      /* bit 39 (RV64), Privileged spec §8.4.1 */
    .equ VSSTATUS_FS_DIRTY, 0x6000
    .equ CAUSE_ECALL_FROM_VS, 10
    .equ HGATP_SV39X4, 8                /* hgatp.MODE, bits 63:60 */
    .equ SATP_SV39, 8
    .equ LEAF_GPA, 0xcf                 /* V|R|W|X|A|D (Privileged spec §4.3.1); the G-stage copy adds U */
    .equ PTE_U, 0x10
    .equ RAM_GIGAPAGE_INDEX, 2          /* 0x8000_0000 >> 30 */

/* support.S, with its jump to the body and its epilogue label renamed so that the
   definitions below take their place. Its _start stays at 0x8000_0000: QEMU's -bios none
   reset vector jumps to the start of RAM, not to the ELF entry. */
#define random_program random_enter_vs
#define random_epilogue random_native_epilogue
#include "support.S"
#undef random_program
#undef random_epilogue

    .section .hyp.text, "ax", @progbits
/* Reached from support.S's prologue with every register loaded: t0 is kept in mscratch,
   t1 and t2 in memory, and all three are given back before the mret. */
random_enter_vs:
    csrw mscratch, t0
    lla t0, random_vs_saved
    sd t1, 0(t0)
    sd t2, 8(t0)
    /* One NAPOT PMP entry over everything: S and U (so VS and VU) may access memory. */
    li t1, -1
    csrw pmpaddr0, t1
    li t1, 0x1f
    csrw pmpcfg0, t1
    /* G-stage and VS-stage identity gigapages for RAM; PPN = 0x8000_0000 >> 12 */
    li t1, (0x80000000 >> 12) << 10
    ori t1, t1, LEAF_GPA
    lla t2, random_vs_table
    sd t1, (RAM_GIGAPAGE_INDEX * 8)(t2)
    ori t1, t1, PTE_U
    lla t2, random_g_root
    sd t1, (RAM_GIGAPAGE_INDEX * 8)(t2)
    srli t2, t2, 12
    li t1, HGATP_SV39X4
    slli t1, t1, 60
    or t2, t2, t1
    csrw hgatp, t2
    lla t2, random_vs_table
    srli t2, t2, 12
    li t1, SATP_SV39
    slli t1, t1, 60
    or t2, t2, t1
    csrw vsatp, t2
    hfence.gvma
    hfence.vvma
    li t1, VSSTATUS_FS_DIRTY
    csrs vsstatus, t1
    csrw medeleg, zero
    csrw mideleg, zero
    ld t1, 0(t0)
    ld t2, 8(t0)
    lla t0, random_vs_dispatch
    csrw mtvec, t0
    li t0, MSTATUS_MPP_MASK
    csrc mstatus, t0
    li t0, MSTATUS_MPP_S
    csrs mstatus, t0
    li t0, MSTATUS_MPV
    csrs mstatus, t0
    lla t0, random_program
    csrw mepc, t0
    csrr t0, mscratch
    mret

/* The body's last instruction jumps here, in VS-mode. */
    .globl random_epilogue
random_epilogue:
    ecall

/* M-mode trap entry while the body runs: the ecall above ends the program normally; any
   other trap is the body's own and goes to support.S's handler, registers untouched. */
    .balign 4
random_vs_dispatch:
    csrw mscratch, t0
    csrr t0, mcause
    addi t0, t0, -CAUSE_ECALL_FROM_VS
    bnez t0, 1f
    csrr t0, mscratch
    j random_native_epilogue
1:  csrr t0, mscratch
    j random_trap_handler

    .section .hyp.tables, "aw", @progbits
    .balign 16384                       /* Sv39x4 root: 16 KiB, 16 KiB aligned (§8.5.1) */
random_g_root:
    .zero 16384
    .balign 4096
random_vs_table:
    .zero 4096
random_vs_saved:
    .zero 16
