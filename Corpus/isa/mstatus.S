/*
 * mstatus.S — the mstatus trap-virtualisation bits and the xRET privilege stacks:
 * TVM (satp and sfence.vma trap in S), TW (wfi traps in S), TSR (sret traps in S), mret
 * (MIE<-MPIE, MPIE<-1, MPP<-U), sret (SIE<-SPIE, SPIE<-1, SPP<-U), and sstatus as a
 * restricted view of mstatus.
 *
 * Spec: Privileged spec 1.12 §3.1.6.1 (xRET), §3.1.6.5 (TVM, TW, TSR), §4.1.1 sstatus.
 */
#include "test.h"

TEST_START mstatus
    /* ---- mret: MIE <- MPIE, MPIE <- 1, MPP <- U */
    NEXT_CASE
    li a1, MSTATUS_MPP | MSTATUS_MPIE
    csrs mstatus, a1                                  /* MPP = M, MPIE = 1 */
    la a1, 1f
    csrw mepc, a1
    mret
1:  csrr a1, mstatus
    andi a2, a1, MSTATUS_MIE
    EXPECT a2, MSTATUS_MIE
    andi a2, a1, MSTATUS_MPIE
    EXPECT a2, MSTATUS_MPIE
    li t0, MSTATUS_MPP
    and a2, a1, t0
    EXPECT a2, 0
    csrci mstatus, MSTATUS_MIE
    /* ---- sret from M: SIE <- SPIE, SPIE <- 1, SPP <- U, lands in S */
    NEXT_CASE
    li a1, MSTATUS_SPP | MSTATUS_SPIE
    csrs mstatus, a1
    csrci mstatus, MSTATUS_SIE
    la a1, s_mode
    csrw sepc, a1
    sret
s_mode:
    csrr a1, sstatus
    andi a2, a1, MSTATUS_SIE
    EXPECT a2, MSTATUS_SIE
    andi a2, a1, MSTATUS_SPIE
    EXPECT a2, MSTATUS_SPIE
    andi a2, a1, MSTATUS_SPP
    EXPECT a2, 0
    /* we really are in S: an M CSR traps */
    NEXT_CASE
    EXPECT_TRAP_M
    csrr a1, mstatus
    CHECK_MTRAP CAUSE_ILLEGAL
    /* sstatus hides M fields */
    NEXT_CASE
    csrr a1, sstatus
    li t0, MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_MPRV
    and a2, a1, t0
    EXPECT a2, 0
    csrci sstatus, MSTATUS_SIE
    GOTO_M m1
m1:
    NEXT_CASE
    csrr a1, mstatus
    andi a2, a1, MSTATUS_SIE
    EXPECT a2, 0                                      /* the S write landed in mstatus */

    /* ---- with TVM/TW/TSR clear, S may use satp, sfence.vma and sret */
    NEXT_CASE
    GOTO_S s2
s2:
    csrr a1, satp
    csrw satp, zero
    sfence.vma
    li t0, MSTATUS_SPP
    csrs sstatus, t0
    la a1, s3
    csrw sepc, a1
    sret                                              /* sret to S itself */
s3:
    GOTO_M m2
m2:
    /* ---- TVM */
    NEXT_CASE
    li a1, MSTATUS_TVM
    csrs mstatus, a1
    GOTO_S s4
s4:
    EXPECT_TRAP_M
    .option push
    .option norvc
tvm_read:
    csrr a1, satp
    .option pop
    CHECK_MTRAP CAUSE_ILLEGAL
    la a1, tvm_read
    lwu a2, 0(a1)
    CHECK_FIELD_REG m_frame, F_TVAL, a2
    NEXT_CASE
    EXPECT_TRAP_M
    csrw satp, zero
    CHECK_MTRAP CAUSE_ILLEGAL
    NEXT_CASE
    EXPECT_TRAP_M
    sfence.vma
    CHECK_MTRAP CAUSE_ILLEGAL
    CHECK_FIELD m_frame, F_TVAL, 0x12000073
    NEXT_CASE
    EXPECT_TRAP_M
    sfence.vma a0, a1
    CHECK_MTRAP CAUSE_ILLEGAL
    GOTO_M m3
m3:
    NEXT_CASE
    csrr a1, satp                                     /* TVM does not affect M */
    sfence.vma
    li a1, MSTATUS_TVM
    csrc mstatus, a1

    /* ---- TW: wfi in S traps at once */
    NEXT_CASE
    li a1, MSTATUS_TW
    csrs mstatus, a1
    GOTO_S s5
s5:
    EXPECT_TRAP_M
    wfi
    CHECK_MTRAP CAUSE_ILLEGAL
    CHECK_FIELD m_frame, F_TVAL, 0x10500073
    GOTO_M m4
m4:
    li a1, MSTATUS_TW
    csrc mstatus, a1

    /* ---- TSR: sret in S traps; in M it still works */
    NEXT_CASE
    li a1, MSTATUS_TSR
    csrs mstatus, a1
    GOTO_S s6
s6:
    EXPECT_TRAP_M
    sret
    CHECK_MTRAP CAUSE_ILLEGAL
    CHECK_FIELD m_frame, F_TVAL, 0x10200073
    GOTO_M m5
m5:
    NEXT_CASE
    li t0, MSTATUS_SPP
    csrs mstatus, t0
    la a1, s7
    csrw sepc, a1
    sret
s7:
    GOTO_M m6
m6:
    li a1, MSTATUS_TSR
    csrc mstatus, a1
    TEST_PASS
