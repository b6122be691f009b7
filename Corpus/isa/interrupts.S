/*
 * interrupts.S — local interrupts on the virt CLINT and Sstc: the machine timer (mtimecmp vs
 * mtime), the machine software interrupt (msip), priority MSI over MTI, WFI waking on a pending
 * interrupt even with mstatus.MIE = 0, vectored mtvec (interrupts enter at BASE + 4 x cause),
 * and the Sstc supervisor timer (stimecmp, menvcfg.STCE, delegated to S).
 *
 * Spec: Privileged spec 1.12 §3.1.9 mip/mie (MTIP read-only, cleared by writing mtimecmp;
 * priority MEI > MSI > MTI > SEI > SSI > STI), §3.1.7 mtvec vectored mode, §3.2.1 mtime and
 * mtimecmp, §3.3.3 WFI (resumes when an enabled interrupt is pending, whatever MIE says);
 * SiFive CLINT layout as used by QEMU virt: msip 0x0200_0000, mtimecmp 0x0200_4000, mtime
 * 0x0200_bff8. Sstc extension 1.0: stimecmp CSR 0x14D, menvcfg.STCE bit 63, STIP = time >= stimecmp.
 */
#include "test.h"

#define CSR_STIMECMP 0x14d
#define CSR_MENVCFG  0x30a
#define SPIN_LIMIT   20000000

/* Spin until the byte at `flag` is nonzero; fail after SPIN_LIMIT iterations. */
.macro WAIT_FLAG flag
    li t0, SPIN_LIMIT
.Lw\@:
    lb t1, \flag
    bnez t1, .Ld\@
    addi t0, t0, -1
    bnez t0, .Lw\@
    j fail
.Ld\@:
.endm

TEST_START interrupts
    la t5, m_frame
    la a1, m_hook
    sd a1, F_IRQHOOK(t5)
    li s0, CLINT_MTIMECMP
    li s1, CLINT_MTIME
    li s2, CLINT_MSIP
    li a1, -1
    sd a1, 0(s0)

    /* ---- machine timer */
    NEXT_CASE
    ld a1, 0(s1)
    addi a1, a1, 1000                                  /* 100 us at 10 MHz */
    sd a1, 0(s0)
    li a1, 1 << IRQ_M_TIMER
    csrw mie, a1
    csrsi mstatus, MSTATUS_MIE
    WAIT_FLAG mti_taken
    csrci mstatus, MSTATUS_MIE
    ld a1, last_cause
    EXPECT a1, CAUSE_INTERRUPT | IRQ_M_TIMER
    NEXT_CASE
    csrr a1, mip
    andi a1, a1, 1 << IRQ_M_TIMER
    EXPECT a1, 0                                       /* cleared by the new mtimecmp */

    /* ---- machine software interrupt */
    NEXT_CASE
    li a1, 1 << IRQ_M_SOFT
    csrw mie, a1
    li a1, 1
    sw a1, 0(s2)
    csrr a1, mip
    andi a1, a1, 1 << IRQ_M_SOFT
    EXPECT a1, 1 << IRQ_M_SOFT                         /* pending, MIE = 0: held */
    NEXT_CASE
    csrsi mstatus, MSTATUS_MIE
    WAIT_FLAG msi_taken
    csrci mstatus, MSTATUS_MIE
    ld a1, last_cause
    EXPECT a1, CAUSE_INTERRUPT | IRQ_M_SOFT
    lw a1, 0(s2)
    EXPECT a1, 0

    /* ---- priority: MSI is taken before MTI */
    NEXT_CASE
    la a1, order
    sd zero, 0(a1)
    li a1, (1 << IRQ_M_SOFT) | (1 << IRQ_M_TIMER)
    csrw mie, a1
    sd zero, 0(s0)                                     /* timer pending now */
    li a1, 1
    sw a1, 0(s2)
    csrsi mstatus, MSTATUS_MIE
    nop
    nop
    csrci mstatus, MSTATUS_MIE
    ld a1, order
    EXPECT a1, (IRQ_M_SOFT << 8) | IRQ_M_TIMER         /* first in the high byte */

    /* ---- WFI wakes on a pending enabled interrupt with MIE = 0, and takes no trap */
    NEXT_CASE
    la t5, m_frame
    ld s3, F_COUNT(t5)
    li a1, 1 << IRQ_M_TIMER
    csrw mie, a1
    ld a1, 0(s1)
    addi a1, a1, 2000
    sd a1, 0(s0)
    wfi
    csrr a1, mip                                       /* QEMU may return early; wait for it */
    li t0, SPIN_LIMIT
1:  csrr a1, mip
    andi a1, a1, 1 << IRQ_M_TIMER
    bnez a1, 2f
    addi t0, t0, -1
    bnez t0, 1b
    j fail
2:  la t5, m_frame
    ld a1, F_COUNT(t5)
    EXPECT_REG a1, s3
    li a1, -1
    sd a1, 0(s0)

    /* ---- vectored mtvec: interrupts enter at BASE + 4 * cause */
    NEXT_CASE
    la a1, vectors
    ori a1, a1, 1
    csrw mtvec, a1
    li a1, 1 << IRQ_M_SOFT
    csrw mie, a1
    li a1, 1
    sw a1, 0(s2)
    csrsi mstatus, MSTATUS_MIE
    WAIT_FLAG vec_msi_taken
    csrci mstatus, MSTATUS_MIE
    NEXT_CASE
    EXPECT_TRAP_M                                      /* exceptions still go to BASE */
    ecall
    CHECK_MTRAP CAUSE_ECALL_M
    la a1, m_trap_entry
    csrw mtvec, a1
    csrw mie, zero

    /* ---- Sstc: stimecmp raises STIP, delegated to S */
    NEXT_CASE
    li a1, 1
    slli a1, a1, 63
    csrs CSR_MENVCFG, a1                               /* STCE */
    csrwi mcounteren, 2                                /* TM: S may use time and stimecmp */
    li a1, 1 << IRQ_S_TIMER
    csrw mideleg, a1
    csrw mie, a1
    la t5, s_frame
    la a1, s_hook
    sd a1, F_IRQHOOK(t5)
    GOTO_S s_mode
s_mode:
    li a1, -1
    csrw CSR_STIMECMP, a1
    rdtime a1
    addi a1, a1, 1000
    csrw CSR_STIMECMP, a1
    csrsi sstatus, MSTATUS_SIE
    WAIT_FLAG sti_taken
    csrci sstatus, MSTATUS_SIE
    ld a1, s_last_cause
    EXPECT a1, CAUSE_INTERRUPT | IRQ_S_TIMER
    NEXT_CASE
    csrr a1, sip
    andi a1, a1, 1 << IRQ_S_TIMER
    EXPECT a1, 0                                       /* cleared by the new stimecmp */
    GOTO_M m1
m1:
    /* without STCE, S-mode stimecmp access is illegal */
    NEXT_CASE
    li a1, 1
    slli a1, a1, 63
    csrc CSR_MENVCFG, a1
    GOTO_S s2
s2:
    EXPECT_TRAP_M
    csrr a1, CSR_STIMECMP
    CHECK_MTRAP CAUSE_ILLEGAL
    GOTO_M m2
m2:
    csrw mie, zero
    csrw mideleg, zero
    TEST_PASS

/* M interrupt hook: silence the source, record the order of arrival. */
m_hook:
    csrr t0, mcause
    la t1, last_cause
    sd t0, 0(t1)
    la t1, order
    ld t2, 0(t1)
    slli t2, t2, 8
    andi t3, t0, 0xff
    or t2, t2, t3
    sd t2, 0(t1)
    andi t0, t0, 0xff
    li t1, IRQ_M_TIMER
    bne t0, t1, 1f
    li t1, CLINT_MTIMECMP
    li t2, -1
    sd t2, 0(t1)
    la t1, mti_taken
    li t2, 1
    sb t2, 0(t1)
    ret
1:  li t1, CLINT_MSIP
    sw zero, 0(t1)
    la t1, msi_taken
    li t2, 1
    sb t2, 0(t1)
    ret

s_hook:
    csrr t0, scause
    la t1, s_last_cause
    sd t0, 0(t1)
    li t0, -1
    csrw CSR_STIMECMP, t0
    la t1, sti_taken
    li t2, 1
    sb t2, 0(t1)
    ret

    .option push
    .option norvc
    .align 6
vectors:
    j m_trap_entry                                     /* 0: exceptions */
    j fail
    j fail
    j vec_msi                                          /* 3: machine software */
    j fail
    j fail
    j fail
    j fail                                             /* 7: machine timer (not enabled) */
    j fail
    j fail
    j fail
    j fail
vec_msi:
    csrrw sp, mscratch, sp
    sd t0, F_T0(sp)
    sd t1, F_T1(sp)
    li t0, CLINT_MSIP
    sw zero, 0(t0)
    la t0, vec_msi_taken
    li t1, 1
    sb t1, 0(t0)
    ld t0, F_T0(sp)
    ld t1, F_T1(sp)
    csrrw sp, mscratch, sp
    mret
    .option pop

    .data
    .align 3
last_cause:   .dword 0
s_last_cause: .dword 0
order:        .dword 0
mti_taken:    .byte 0
msi_taken:    .byte 0
vec_msi_taken: .byte 0
sti_taken:    .byte 0
