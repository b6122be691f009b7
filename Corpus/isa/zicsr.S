/*
 * zicsr.S — the six CSR instructions (csrrw, csrrs, csrrc, csrrwi, csrrsi, csrrci), their
 * x0 rules, writes to read-only CSRs, unknown CSRs and CSRs above the current privilege.
 *
 * Spec: RISC-V Unprivileged ISA 20191213, chapter 9 "Zicsr" (§9.1: old value to rd, rs1=x0
 * or uimm=0 means csrrs/csrrc do not write; csrrw with rd=x0 does not read). Privileged spec
 * 1.12 §2.1 (CSR address bits [11:10]=3 are read-only, [9:8] the lowest privilege allowed;
 * illegal accesses raise illegal instruction) and §3.1.16 (mtval holds the faulting
 * instruction), §3.1.1 misa, §3.1.5 mhartid.
 */
#include "test.h"

/* Runs a CSR instruction that must raise illegal instruction with mtval = its own bits. */
.macro EXPECT_ILLEGAL_CSR insn:vararg
    NEXT_CASE
    EXPECT_TRAP_M
    .option push
    .option norvc
.Linsn\@:
    \insn
    .option pop
    CHECK_MTRAP CAUSE_ILLEGAL
    la a1, .Linsn\@
    lwu a2, 0(a1)
    CHECK_FIELD_REG m_frame, F_TVAL, a2
.endm

TEST_START zicsr
    csrr s10, mscratch                                /* borrowed from the runtime; restored below */

    NEXT_CASE
    li a1, 0x1234
    csrrw a2, mscratch, a1
    EXPECT_REG a2, s10
    csrr a3, mscratch
    EXPECT a3, 0x1234
    NEXT_CASE
    li a1, 0xf0
    csrrs a2, mscratch, a1
    EXPECT a2, 0x1234
    csrr a3, mscratch
    EXPECT a3, 0x12f4
    NEXT_CASE
    li a1, 0x1004
    csrrc a2, mscratch, a1
    EXPECT a2, 0x12f4
    csrr a3, mscratch
    EXPECT a3, 0x02f0
    NEXT_CASE
    csrrwi a2, mscratch, 31
    EXPECT a2, 0x02f0
    csrr a3, mscratch
    EXPECT a3, 31
    NEXT_CASE
    csrrci a2, mscratch, 0x11
    EXPECT a2, 31
    csrr a3, mscratch
    EXPECT a3, 0xe
    NEXT_CASE
    csrrsi a2, mscratch, 0x10
    EXPECT a2, 0xe
    csrr a3, mscratch
    EXPECT a3, 0x1e
    NEXT_CASE
    csrrs a2, mscratch, zero                          /* pure read */
    csrrc a3, mscratch, zero
    csrrsi a4, mscratch, 0
    csrrci a5, mscratch, 0
    EXPECT a2, 0x1e
    EXPECT a3, 0x1e
    EXPECT a4, 0x1e
    EXPECT a5, 0x1e
    NEXT_CASE
    li a1, -1
    csrrw zero, mscratch, a1                          /* rd = x0: write only */
    csrr a3, mscratch
    EXPECT a3, -1
    NEXT_CASE
    li a1, 7
    csrrw a1, mscratch, a1                            /* rd == rs1: old value out, new in */
    EXPECT a1, -1
    csrr a3, mscratch
    EXPECT a3, 7
    NEXT_CASE
    csrw mscratch, zero                               /* pseudo-instructions */
    csrs mscratch, 5
    csrc mscratch, 1
    csrr a3, mscratch
    EXPECT a3, 4
    csrw mscratch, s10

    /* ---- read-only machine information */
    NEXT_CASE
    csrr a3, mhartid
    EXPECT a3, 0
    NEXT_CASE
    csrr a3, misa
    srli a4, a3, 62
    EXPECT a4, 2                                      /* MXL = 64 */
    li a5, (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20)
    and a4, a3, a5                                    /* A C D F I M S U */
    EXPECT_REG a4, a5
    NEXT_CASE
    csrrs a3, mvendorid, zero                         /* reading a read-only CSR is fine */
    csrrc a3, mimpid, zero
    csrrsi a3, marchid, 0
    csrrci a3, mhartid, 0
    EXPECT a3, 0

    /* ---- writes to read-only CSRs (address bits 11:10 = 3) */
    EXPECT_ILLEGAL_CSR csrrw a3, mhartid, a1
    EXPECT_ILLEGAL_CSR csrrw zero, mvendorid, zero
    EXPECT_ILLEGAL_CSR csrrwi a3, marchid, 1
    EXPECT_ILLEGAL_CSR csrrsi a3, mimpid, 1
    EXPECT_ILLEGAL_CSR csrrci a3, mhartid, 3
    NEXT_CASE
    li a1, 1
    EXPECT_ILLEGAL_CSR csrrs a3, cycle, a1
    EXPECT_ILLEGAL_CSR csrrc a3, instret, a1
    EXPECT_ILLEGAL_CSR csrrw a3, time, a1
    /* ---- a CSR number nothing implements */
    EXPECT_ILLEGAL_CSR csrrs a3, 0x8c0, zero
    EXPECT_ILLEGAL_CSR csrrw a3, 0x7c5, a1

    /* ---- privilege: M CSRs from S, S CSRs from U */
    NEXT_CASE
    GOTO_S s_mode
s_mode:
    csrr a3, sscratch                                 /* S may use S CSRs */
    la a1, m_frame                                    /* identity: bare translation */
    EXPECT_TRAP_M
    csrr a3, mscratch
    CHECK_MTRAP CAUSE_ILLEGAL
    NEXT_CASE
    EXPECT_TRAP_M
    csrw mstatus, zero
    CHECK_MTRAP CAUSE_ILLEGAL
    NEXT_CASE
    EXPECT_TRAP_M
    csrr a3, mhartid
    CHECK_MTRAP CAUSE_ILLEGAL
    GOTO_M back_in_m_1
back_in_m_1:
    NEXT_CASE
    GOTO_U u_mode
u_mode:
    EXPECT_TRAP_M
    csrr a3, sstatus
    CHECK_MTRAP CAUSE_ILLEGAL
    NEXT_CASE
    EXPECT_TRAP_M
    csrw sscratch, a3
    CHECK_MTRAP CAUSE_ILLEGAL
    NEXT_CASE
    csrr a3, fflags                                   /* user FP CSRs are fine in U */
    GOTO_M back_in_m_2
back_in_m_2:
    csrr a3, mstatus
    srli a3, a3, 11
    andi a3, a3, 3
    EXPECT a3, 0                                      /* mret to M resets MPP to U */
    TEST_PASS
