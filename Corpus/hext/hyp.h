/*
 * hyp.h — runtime for the H-extension conformance corpus (Corpus/hext).
 *
 * Each program is a tiny hypervisor: it starts in M-mode (through Corpus/common/test.h's
 * start-up code, which it reuses together with the UART routines), installs the three trap
 * handlers below (M, HS and VS), builds an identity G-stage (Sv39x4) and an identity VS-stage
 * (Sv39) mapping, and moves between M, HS, VS and VU to check one area of the H extension.
 *
 * Output: one line per check, `name=0x<16 hex digits>` (SHOW) or a trap record (SHOW_TRAP),
 * then `PASS <name>`. Values the specification fixes are also checked (HEXPECT); values it
 * leaves to the implementation (WARL masks) are only printed and compared with QEMU's run
 * in Corpus/hext/expected/<name>.txt.
 *
 * Spec: RISC-V Privileged Architecture 1.12, chapter 8 "Hypervisor Extension, Version 1.0"
 * (§8.2 CSRs, §8.5 two-stage translation, §8.6 traps).
 *
 * Memory map seen by the guest (G-stage identity, so guest-physical == host-physical, and the
 * VS-stage identity when vsatp is on): GPA 0..1 GiB (the devices: UART, sifive_test, CLINT)
 * and GPA 0x8000_0000..+1 GiB (RAM with the program). The identity keeps mepc/sepc readable
 * by the handlers (they fetch the trapping instruction to skip it).
 *
 * Register conventions on top of test.h's: s6-s11 and t0-t4, a0, a1, ra are clobbered by the
 * printing macros; tests keep values in s0-s5.
 */
#ifndef VIRTBENCH_HYP_H
#define VIRTBENCH_HYP_H

#include "test.h"

/* Hypervisor extension causes, Privileged spec 1.12 §8.6.1 Table 8.6 (mcause/scause). */
#define CAUSE_ECALL_VS        10
#define CAUSE_FETCH_GUEST_PAGE 20
#define CAUSE_LOAD_GUEST_PAGE  21
#define CAUSE_VIRTUAL_INSN     22
#define CAUSE_STORE_GUEST_PAGE 23

/* mstatus fields added by H, §8.4.1 (RV64). */
#define MSTATUS_GVA   (1 << 38)
#define MSTATUS_MPV   (1 << 39)

/* hstatus fields, §8.2.1. */
#define HSTATUS_VSBE  (1 << 5)
#define HSTATUS_GVA   (1 << 6)
#define HSTATUS_SPV   (1 << 7)
#define HSTATUS_SPVP  (1 << 8)
#define HSTATUS_HU    (1 << 9)
#define HSTATUS_VTVM  (1 << 20)
#define HSTATUS_VTW   (1 << 21)
#define HSTATUS_VTSR  (1 << 22)

/* hgatp, §8.2.10: MODE in 63:60, VMID in 57:44, PPN in 43:0. */
#define HGATP_SV39X4  (8 << 60)
#define HGATP_SV48X4  (9 << 60)
#define HGATP_VMID_SHIFT 44

/* VS-level interrupt bits in mip/hip/hvip/hie, §8.2.3-8.2.4. */
#define IRQ_VS_SOFT   2
#define IRQ_VS_TIMER  6
#define IRQ_VS_EXT    10
#define IRQ_SG_EXT    12
#define MIP_VSSIP     (1 << IRQ_VS_SOFT)
#define MIP_VSTIP     (1 << IRQ_VS_TIMER)
#define MIP_VSEIP     (1 << IRQ_VS_EXT)

/* A leaf PTE that the G-stage accepts for guest accesses: U must be set (§8.5.1). */
#define GPTE_LEAF (PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D)
#define VPTE_LEAF (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

/* Trap frame: test.h's first fields, then the H-specific ones. */
#define F_TVAL2    112                /* mtval2 (M handler) / htval (HS handler) */
#define F_TINST    120                /* mtinst / htinst */
#define F_HSTATUS  128                /* hstatus at HS entry */
#define HF_SIZE    192

/* Magic ecall number that returns to HS-mode at a0 (ECALL_MAGIC_M from test.h goes to M). */
#define ECALL_MAGIC_HS 0x4853

/* ---------------------------------------------------------------- checks */

/* Like test.h's EXPECT, but fails through hfail, which works from any mode. */
.macro HEXPECT r, v
    li t6, \v
    beq \r, t6, .Lok\@
    j hfail
.Lok\@:
.endm

.macro HEXPECT_REG a, b
    beq \a, \b, .Lok\@
    j hfail
.Lok\@:
.endm

/* Prints "<text>=0x<16 hex digits>" and a newline. */
.macro SHOW text, reg
    .pushsection .rodata
.Lshow\@: .asciz "\text="
    .popsection
    mv s11, \reg
    la a0, .Lshow\@
    jal puts
    mv a1, s11
    jal puthex
    li a0, '\n'
    jal putc
.endm

/* Prints a note line (a skipped check, a section title). */
.macro NOTE text
    .pushsection .rodata
.Lnote\@: .asciz "\text\n"
    .popsection
    la a0, .Lnote\@
    jal puts
.endm

/* Prints "<text>: cause=.. tval=.. tval2=.. tinst=.. gva=N pv=N" for the last trap the
   frame recorded (level: m or hs; vs prints cause and tval only). */
.macro SHOW_TRAP text, frame
    .pushsection .rodata
.Ltrap\@: .asciz "\text"
    .popsection
    la a0, .Ltrap\@
    la a1, \frame
    jal print_trap
.endm

/* Prints the frame's last trap under `text`, or "<text>: no trap" when the expected trap
   did not happen (then fails if `strict` is 1). Where QEMU 7.2 departs from the spec the
   programs use strict 0 and Corpus/hext/expected/DEVIATIONS.md says why. */
.macro REPORT_TRAP frame, text, strict
    la t5, \frame
    ld t6, F_EXPECT(t5)
    beqz t6, .Ltrapped\@
    sd zero, F_EXPECT(t5)
    NOTE "\text: no trap"
    .if \strict
    j hfail
    .else
    j .Ldone\@
    .endif
.Ltrapped\@:
    SHOW_TRAP "\text", \frame
.Ldone\@:
.endm

/* Expect the next exception at a level; resume at `label` in that level (or skip it). */
.macro EXPECT_TRAP_AT frame, resume
    la t6, \frame
    .ifc \resume,0
    sd zero, F_RESUME(t6)
    .else
    la t5, \resume
    sd t5, F_RESUME(t6)
    .endif
    li t5, 1
    sd t5, F_EXPECT(t6)
.endm
.macro EXPECT_TRAP_MH resume=0
    EXPECT_TRAP_AT hm_frame, \resume
.endm
.macro EXPECT_TRAP_HS resume=0
    EXPECT_TRAP_AT hs_frame, \resume
.endm
.macro EXPECT_TRAP_VS resume=0
    EXPECT_TRAP_AT vs_frame, \resume
.endm

/* Fails unless the frame saw the expected trap with this cause. */
.macro CHECK_HTRAP frame, cause
    la t5, \frame
    ld t6, F_EXPECT(t5)
    beqz t6, .Lhappened\@
    j hfail
.Lhappened\@:
    ld t5, F_CAUSE(t5)
    li t6, \cause
    beq t5, t6, .Lok\@
    j hfail
.Lok\@:
.endm

/* Fails unless a recorded field equals constant v. */
.macro CHECK_HFIELD frame, field, v
    la t5, \frame
    ld t5, \field(t5)
    li t6, \v
    beq t5, t6, .Lok\@
    j hfail
.Lok\@:
.endm

/* ---------------------------------------------------------------- mode moves */

/* From M: continue at `label` in VS (mret with MPP=S, MPV=1). Clobbers t0. */
.macro M_GOTO_VS label
    li t0, MSTATUS_MPP | MSTATUS_MPIE
    csrc mstatus, t0
    li t0, MSTATUS_MPP_S | MSTATUS_MPV
    csrs mstatus, t0
    la t0, \label
    csrw mepc, t0
    mret
.endm

/* From M: continue at `label` in VU (MPP=U, MPV=1). */
.macro M_GOTO_VU label
    li t0, MSTATUS_MPP | MSTATUS_MPIE
    csrc mstatus, t0
    li t0, MSTATUS_MPV
    csrs mstatus, t0
    la t0, \label
    csrw mepc, t0
    mret
.endm

/* From M: continue at `label` in HS (MPP=S, MPV=0). */
.macro M_GOTO_HS label
    li t0, MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MPV
    csrc mstatus, t0
    li t0, MSTATUS_MPP_S
    csrs mstatus, t0
    la t0, \label
    csrw mepc, t0
    mret
.endm

/* From M: continue at `label` in U (MPP=U, MPV=0). */
.macro M_GOTO_U label
    li t0, MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MPV
    csrc mstatus, t0
    la t0, \label
    csrw mepc, t0
    mret
.endm

/* From HS: continue at `label` in VS (sret with SPP=S, hstatus.SPV=1). */
.macro HS_GOTO_VS label
    li t0, HSTATUS_SPV
    csrs hstatus, t0
    li t0, MSTATUS_SPP
    csrs sstatus, t0
    la t0, \label
    csrw sepc, t0
    sret
.endm

/* From HS: continue at `label` in VU (SPP=U, SPV=1). */
.macro HS_GOTO_VU label
    li t0, HSTATUS_SPV
    csrs hstatus, t0
    li t0, MSTATUS_SPP
    csrc sstatus, t0
    la t0, \label
    csrw sepc, t0
    sret
.endm

/* From any mode: continue at `label` in HS through the magic ecall. Clobbers a0, a7. */
.macro GOTO_HS label
    la a0, \label
    li a7, ECALL_MAGIC_HS
    ecall
.endm

/* ---------------------------------------------------------------- start-up */

/* Installs the handlers, the identity G-stage and VS-stage tables and a clean H state.
   Runs in M-mode right after TEST_START. medeleg/hedeleg stay 0 (all traps to M) until the
   test chooses otherwise. */
.macro HYP_INIT
    la t0, hm_frame
    csrw mscratch, t0
    la t0, hs_frame
    csrw sscratch, t0
    la t0, vs_frame
    csrw vsscratch, t0
    la t0, hm_trap_entry
    csrw mtvec, t0
    la t0, hs_trap_entry
    csrw stvec, t0
    la t0, vs_trap_entry
    csrw vstvec, t0
    csrw hedeleg, zero
    csrw hideleg, zero
    csrw hvip, zero
    csrw hie, zero
    csrw hstatus, zero
    /* VS floating point on too: both mstatus.FS and vsstatus.FS gate it when V=1 (§8.2.11). */
    li t0, MSTATUS_FS
    csrs vsstatus, t0
    li t0, -1
    csrw mcounteren, t0
    csrw hcounteren, t0
    csrw scounteren, t0
    /* G-stage: GPA 0 and GPA 0x8000_0000, 1 GiB each, identity, U set. */
    la a2, g_root
    li a1, 0
    srli t0, a1, 12
    slli t0, t0, 10
    ori t0, t0, GPTE_LEAF
    sd t0, 0(a2)
    li a1, 0x80000000
    srli t0, a1, 12
    slli t0, t0, 10
    ori t0, t0, GPTE_LEAF
    sd t0, 16(a2)
    /* VS-stage: the same two gigapages, supervisor-only. */
    la a2, vs_root
    li a1, 0
    srli t0, a1, 12
    slli t0, t0, 10
    ori t0, t0, VPTE_LEAF
    sd t0, 0(a2)
    li a1, 0x80000000
    srli t0, a1, 12
    slli t0, t0, 10
    ori t0, t0, VPTE_LEAF
    sd t0, 16(a2)
    jal hyp_enable_gstage
    csrw vsatp, zero
.endm

/* ================================================================= runtime */
    .text
/* hgatp = Sv39x4 over g_root, VMID 0; hfence.gvma. Uses t0. */
hyp_enable_gstage:
    la t0, g_root
    srli t0, t0, 12
    li t1, HGATP_SV39X4
    or t0, t0, t1
    csrw hgatp, t0
    hfence.gvma
    ret

/* vsatp = Sv39 over vs_root; hfence.vvma. Runs in M or HS. Uses t0, t1. */
hyp_enable_vsstage:
    la t0, vs_root
    srli t0, t0, 12
    li t1, SATP_SV39
    or t0, t0, t1
    csrw vsatp, t0
    hfence.vvma
    ret

/* FAIL line and sifive_test failure exit, usable from every mode (no CSR access). */
    .globl hfail
hfail:
    la a0, str_fail
    jal puts
    la a0, test_name
    jal puts
    la a0, str_case
    jal puts
    mv a1, gp
    jal putdec
    li a0, '\n'
    jal putc
    li t0, TEST_DEVICE
    li t1, 0xffff
    and t1, gp, t1
    bnez t1, 1f
    li t1, 0xffff
1:  slli t1, t1, 16
    li t2, TEST_FAIL_CODE
    or t1, t1, t2
    sw t1, 0(t0)
2:  j 2b

/* print_trap(a0 = title, a1 = frame). Uses t0-t4, a0, a1, s8-s10; ra kept in s9. */
print_trap:
    mv s9, ra
    mv s10, a1
    /* GVA into s8 bit 0 and the previous V into bit 1, before puts clobbers t0-t2:
       mstatus bits 38/39 for the M frame, hstatus bits 6/7 for the HS frame. */
    la t0, hm_frame
    bne s10, t0, 1f
    ld t1, F_STATUS(s10)
    srli t1, t1, 38
    j 3f
1:  ld t1, F_HSTATUS(s10)
    srli t1, t1, 6
3:  andi s8, t1, 3
    jal puts
    la a0, str_cause
    jal puts
    ld a1, F_CAUSE(s10)
    jal puthex
    la a0, str_h_tval
    jal puts
    ld a1, F_TVAL(s10)
    jal puthex
    la t0, vs_frame
    beq s10, t0, 2f                 /* VS has no tval2/tinst/GVA of its own */
    la a0, str_tval2
    jal puts
    ld a1, F_TVAL2(s10)
    jal puthex
    la a0, str_tinst
    jal puts
    ld a1, F_TINST(s10)
    jal puthex
    la a0, str_gva
    jal puts
    andi a0, s8, 1
    addi a0, a0, '0'
    jal putc
    la a0, str_pv
    jal puts
    srli a0, s8, 1
    addi a0, a0, '0'
    jal putc
2:  li a0, '\n'
    jal putc
    mv ra, s9
    ret

/* An exception nobody expected: "unexpected trap at <level>" and the record, then fail. */
hyp_unexpected:
    mv s6, a1
    mv s7, a0
    la a0, str_unexpected
    jal puts
    mv a0, s7
    mv a1, s6
    jal print_trap
    j hfail

/*
 * Trap entry for one level (M, HS or VS). Records the trap in the level's frame; then:
 *  - ecall with a7 = ECALL_MAGIC_M: M returns to M at a0, HS and VS forward with ecall;
 *  - ecall with a7 = ECALL_MAGIC_HS: M and HS return to HS at a0, VS forwards;
 *  - an expected exception resumes at F_RESUME in the handler's own mode, or skips the
 *    trapping instruction (its length read at epc: every mapping here is an identity);
 *  - an interrupt calls F_IRQHOOK (which silences the source), or fails;
 *  - anything else prints the record and fails.
 */
.macro TRAP_ENTRY level
    .align 6
\level\()_trap_entry:
    .ifc \level,hm
    csrrw sp, mscratch, sp
    .else
    csrrw sp, sscratch, sp
    .endif
    sd t0, F_T0(sp)
    sd t1, F_T1(sp)
    sd t2, F_T2(sp)
    sd t3, F_T3(sp)
    sd ra, F_RA(sp)
    sd a0, F_A0(sp)
    .ifc \level,hm
    csrr t0, mstatus
    sd t0, F_STATUS(sp)
    li t1, MSTATUS_MPRV
    csrc mstatus, t1
    csrr t0, mcause
    csrr t1, mepc
    sd t1, F_EPC(sp)
    csrr t1, mtval
    sd t1, F_TVAL(sp)
    csrr t1, mtval2
    sd t1, F_TVAL2(sp)
    csrr t1, mtinst
    sd t1, F_TINST(sp)
    .else
    csrr t1, sstatus
    sd t1, F_STATUS(sp)
    csrr t0, scause
    csrr t1, sepc
    sd t1, F_EPC(sp)
    csrr t1, stval
    sd t1, F_TVAL(sp)
    .ifc \level,hs
    csrr t1, htval
    sd t1, F_TVAL2(sp)
    csrr t1, htinst
    sd t1, F_TINST(sp)
    csrr t1, hstatus
    sd t1, F_HSTATUS(sp)
    .endif
    .endif
    sd t0, F_CAUSE(sp)
    ld t1, F_COUNT(sp)
    addi t1, t1, 1
    sd t1, F_COUNT(sp)
    bltz t0, 8f
    /* ecalls (causes 8..11) with a magic a7 */
    addi t1, t0, -CAUSE_ECALL_U
    li t2, 3
    bgtu t1, t2, 5f
    li t1, ECALL_MAGIC_M
    bne a7, t1, 3f
    .ifc \level,hm
    li a7, 0
    mv t1, a0
    j 6f                            /* resume in M at a0 */
    .else
    csrrw sp, sscratch, sp          /* no sret follows: leave the scratch as it was */
    ecall
    .endif
3:  li t1, ECALL_MAGIC_HS
    bne a7, t1, 5f
    .ifc \level,vs
    csrrw sp, sscratch, sp
    ecall
    .else
    li a7, 0
    .ifc \level,hm
    csrw mepc, a0
    li t1, MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MPV
    csrc mstatus, t1
    li t1, MSTATUS_MPP_S
    csrs mstatus, t1
    j 7f
    .else
    mv t1, a0
    j 6f                            /* resume in HS at a0 */
    .endif
    .endif
5:  ld t1, F_EXPECT(sp)
    bnez t1, 4f
    la a0, str_at_\level
    mv a1, sp
    j hyp_unexpected
4:  sd zero, F_EXPECT(sp)
    ld t1, F_RESUME(sp)
    beqz t1, 9f
    sd zero, F_RESUME(sp)
    /* resume at t1 in this handler's own mode, interrupts off there */
6:
    .ifc \level,hm
    csrw mepc, t1
    li t1, MSTATUS_MPV | MSTATUS_MPIE
    csrc mstatus, t1
    li t1, MSTATUS_MPP
    csrs mstatus, t1
    .else
    csrw sepc, t1
    li t1, MSTATUS_SPIE
    csrc sstatus, t1
    li t1, MSTATUS_SPP
    csrs sstatus, t1
    .ifc \level,hs
    li t1, HSTATUS_SPV
    csrc hstatus, t1
    .endif
    .endif
    j 7f
    /* skip the trapping instruction: 2 or 4 bytes */
9:
    .ifc \level,hm
    csrr t1, mepc
    .else
    csrr t1, sepc
    .endif
    lhu t2, 0(t1)
    andi t2, t2, 3
    li t3, 3
    addi t1, t1, 2
    bne t2, t3, 10f
    addi t1, t1, 2
10:
    .ifc \level,hm
    csrw mepc, t1
    .else
    csrw sepc, t1
    .endif
7:
    .ifc \level,hm
    ld t0, F_STATUS(sp)
    li t1, MSTATUS_MPRV
    and t0, t0, t1
    csrs mstatus, t0
    .endif
    ld t0, F_T0(sp)
    ld t1, F_T1(sp)
    ld t2, F_T2(sp)
    ld t3, F_T3(sp)
    ld ra, F_RA(sp)
    ld a0, F_A0(sp)
    .ifc \level,hm
    csrrw sp, mscratch, sp
    mret
    .else
    csrrw sp, sscratch, sp
    sret
    .endif
    /* interrupts */
8:  ld t1, F_IRQHOOK(sp)
    bnez t1, 11f
    la a0, str_at_\level
    mv a1, sp
    j hyp_unexpected
11: jalr t1
    j 7b
.endm

    .option push
    .option norvc
    TRAP_ENTRY hm
    TRAP_ENTRY hs
    TRAP_ENTRY vs
    .option pop

    .section .rodata
str_cause: .asciz " cause="
str_h_tval: .asciz " tval="
str_tval2: .asciz " tval2="
str_tinst: .asciz " tinst="
str_gva:   .asciz " gva="
str_pv:    .asciz " pv="
str_unexpected: .asciz "unexpected trap "
str_at_hm: .asciz "at M:"
str_at_hs: .asciz "at HS:"
str_at_vs: .asciz "at VS:"

    .section .data
    .align 6
    .globl hm_frame
hm_frame: .zero HF_SIZE
    .globl hs_frame
hs_frame: .zero HF_SIZE
    .globl vs_frame
vs_frame: .zero HF_SIZE

    .section .pagetables, "aw", @nobits
    .align 14                         /* Sv39x4 root: 16 KiB, 16 KiB aligned (§8.5.1) */
    .globl g_root
g_root: .zero 16384
    .align 12
    .globl vs_root
vs_root: .zero 4096

    .text
#endif
