/*
 * delegation.S — trap delegation to S-mode: medeleg sends exceptions raised in S and U to
 * the S handler (scause, sepc, stval, sstatus.SPP/SPIE), never those raised in M; mideleg sends the supervisor software interrupt to S, and without
 * delegation the same interrupt goes to M even while running in S.
 *
 * Spec: Privileged spec 1.12 §3.1.8 medeleg/mideleg (traps never move to a less-privileged
 * mode), §4.1.1 sstatus SPP/SPIE/SIE on trap entry, §4.1.3 sip/sie,
 * §4.1.7-4.1.9 sepc/scause/stval, §3.1.6.1 interrupts for a higher mode are always enabled.
 */
#include "test.h"

TEST_START delegation
    /* ---- the bits used here are writable (medeleg is WARL) */
    NEXT_CASE
    li a1, -1
    csrw medeleg, a1
    csrr a2, medeleg
    andi a3, a2, (1 << CAUSE_ILLEGAL) | (1 << CAUSE_ECALL_U)
    EXPECT a3, (1 << CAUSE_ILLEGAL) | (1 << CAUSE_ECALL_U)
    li a1, (1 << CAUSE_ILLEGAL) | (1 << CAUSE_ECALL_U) | (1 << CAUSE_BREAKPOINT)
    csrw medeleg, a1

    /* ---- an illegal instruction in M stays in M despite medeleg */
    NEXT_CASE
    EXPECT_TRAP_M
    .word 0xffffffff
    CHECK_MTRAP CAUSE_ILLEGAL

    /* ---- from U: illegal instruction goes to S */
    NEXT_CASE
    GOTO_U u_mode
u_mode:
    EXPECT_TRAP_S
    .option push
    .option norvc
u_illegal:
    csrr a1, sstatus                                  /* S CSR from U */
    .option pop
    CHECK_STRAP CAUSE_ILLEGAL
    CHECK_FIELD_LABEL s_frame, F_EPC, u_illegal
    la a1, u_illegal
    lwu a2, 0(a1)
    CHECK_FIELD_REG s_frame, F_TVAL, a2
    la t5, s_frame
    ld a1, F_STATUS(t5)                               /* sstatus in the handler: SPP = U */
    andi a1, a1, MSTATUS_SPP
    EXPECT a1, 0
    NEXT_CASE
    EXPECT_TRAP_S
u_ecall:
    ecall
    CHECK_STRAP CAUSE_ECALL_U
    CHECK_FIELD_LABEL s_frame, F_EPC, u_ecall
    CHECK_FIELD s_frame, F_TVAL, 0
    NEXT_CASE
    EXPECT_TRAP_S
    ebreak
    CHECK_STRAP CAUSE_BREAKPOINT
    /* ecall from U is delegated; the S handler forwards the magic return to M */
    GOTO_M m1
m1:
    /* ---- from S: delegated exceptions stay in S with SPP = S */
    NEXT_CASE
    GOTO_S s_mode
s_mode:
    csrsi sstatus, MSTATUS_SIE
    EXPECT_TRAP_S
s_illegal:
    .word 0xffffffff
    CHECK_STRAP CAUSE_ILLEGAL
    CHECK_FIELD s_frame, F_TVAL, 0xffffffff
    CHECK_FIELD_LABEL s_frame, F_EPC, s_illegal
    la t5, s_frame
    ld a1, F_STATUS(t5)
    andi a2, a1, MSTATUS_SPP
    EXPECT a2, MSTATUS_SPP
    andi a2, a1, MSTATUS_SPIE                         /* SIE was 1 before the trap */
    EXPECT a2, MSTATUS_SPIE
    andi a2, a1, MSTATUS_SIE                          /* and is 0 inside the handler */
    EXPECT a2, 0
    csrr a1, sstatus                                  /* sret restored SIE */
    andi a2, a1, MSTATUS_SIE
    EXPECT a2, MSTATUS_SIE
    csrci sstatus, MSTATUS_SIE
    /* ecall from S is not delegated: it goes to M */
    NEXT_CASE
    EXPECT_TRAP_M
    ecall
    CHECK_MTRAP CAUSE_ECALL_S
    GOTO_M m2
m2:
    csrw medeleg, zero

    /* ---- mideleg: supervisor software interrupt handled in S */
    NEXT_CASE
    li a1, 1 << IRQ_S_SOFT
    csrw mideleg, a1
    csrr a2, mideleg
    andi a2, a2, 1 << IRQ_S_SOFT
    EXPECT a2, 1 << IRQ_S_SOFT
    csrw mie, a1
    la a1, s_ssip_hook
    la t5, s_frame
    sd a1, F_IRQHOOK(t5)
    sd zero, F_COUNT(t5)
    GOTO_S s2_mode
s2_mode:
    csrsi sip, 1 << IRQ_S_SOFT                        /* pending, but SIE = 0: not taken */
    nop
    la t5, s_frame
    ld a1, F_COUNT(t5)
    EXPECT a1, 0
    NEXT_CASE
    csrsi sstatus, MSTATUS_SIE                        /* now it is taken, in S */
    nop
    csrci sstatus, MSTATUS_SIE
    la t5, s_frame
    ld a1, F_COUNT(t5)
    EXPECT a1, 1
    CHECK_FIELD s_frame, F_CAUSE, CAUSE_INTERRUPT | IRQ_S_SOFT
    csrr a1, sip
    andi a1, a1, 1 << IRQ_S_SOFT
    EXPECT a1, 0                                      /* the hook cleared it */
    GOTO_M m3
m3:
    /* ---- without mideleg the same interrupt goes to M, even though it is an S interrupt */
    NEXT_CASE
    csrw mideleg, zero
    la a1, m_ssip_hook
    la t5, m_frame
    sd a1, F_IRQHOOK(t5)
    csrsi mip, 1 << IRQ_S_SOFT                        /* in M with MIE = 0: held pending */
    nop
    lb a1, m_ssip_taken
    EXPECT a1, 0
    NEXT_CASE
    GOTO_S s3_mode
s3_mode:
    nop                                               /* M interrupts are always on in S */
    GOTO_M m4
m4:
    lb a1, m_ssip_taken
    EXPECT a1, 1
    ld a1, m_ssip_cause
    EXPECT a1, CAUSE_INTERRUPT | IRQ_S_SOFT
    csrr a2, mip
    andi a2, a2, 1 << IRQ_S_SOFT
    EXPECT a2, 0
    csrw mie, zero
    la t5, m_frame
    sd zero, F_IRQHOOK(t5)
    la t5, s_frame
    sd zero, F_IRQHOOK(t5)
    TEST_PASS

s_ssip_hook:
    csrci sip, 1 << IRQ_S_SOFT
    ret
m_ssip_hook:
    csrci mip, 1 << IRQ_S_SOFT
    li t0, 1
    la t1, m_ssip_taken
    sb t0, 0(t1)
    csrr t0, mcause
    la t1, m_ssip_cause
    sd t0, 0(t1)
    ret

    .data
    .align 3
m_ssip_cause: .dword 0
m_ssip_taken: .byte 0
