/*
 * counters.S — the Zicntr counters cycle, time and instret: readable in M, S and U,
 * increasing, mcycle/minstret writable from M, time tracking the CLINT's mtime, and
 * mcounteren / scounteren gating the user-level counter CSRs from S and U.
 *
 * Spec: RISC-V Unprivileged ISA 20191213 chapter 10 "Counters" (rdcycle/rdtime/rdinstret);
 * Privileged spec 1.12 §3.1.11 mcycle/minstret, §3.1.12 mcounteren (bit CY=0, TM=1, IR=2: clear
 * means an S- or U-mode read raises illegal instruction), §4.1.4 scounteren (gates U-mode when
 * mcounteren allows S), §3.2.1 mtime at 0x0200_bff8 on the virt CLINT.
 */
#include "test.h"

TEST_START counters
    NEXT_CASE
    rdcycle a1
    rdtime a2
    rdinstret a3
    li t0, 200
1:  addi t0, t0, -1
    bnez t0, 1b
    rdcycle a4
    rdtime a5
    rdinstret s1
    bleu a4, a1, fail
    bltu a5, a2, fail
    sub s2, s1, a3
    li t0, 400
    bltu s2, t0, fail                                  /* the loop retired >= 400 instructions */
    /* time advances (10 MHz): spin until it changes */
    NEXT_CASE
    rdtime a1
    li t0, 10000000
2:  rdtime a2
    bne a2, a1, 3f
    addi t0, t0, -1
    bnez t0, 2b
    j fail
3:  /* time equals the CLINT's mtime (read between two rdtimes) */
    NEXT_CASE
    li s0, CLINT_MTIME
    rdtime a1
    ld a2, 0(s0)
    rdtime a3
    bltu a2, a1, fail
    bltu a3, a2, fail
    /* mcycle / minstret are writable from M-mode */
    NEXT_CASE
    li a1, 0x200000000000
    csrw minstret, a1
    csrr a2, minstret
    bltu a2, a1, fail
    li t0, 0x200100000000                              /* QEMU counts host ticks: allow slack */
    bgeu a2, t0, fail
    NEXT_CASE
    li a1, 0x100000000000
    csrw mcycle, a1
    csrr a2, mcycle
    bltu a2, a1, fail
    li t0, 0x100100000000
    bgeu a2, t0, fail
    NEXT_CASE
    csrr a1, cycle                                    /* the user view mirrors mcycle */
    bltu a1, a2, fail

    /* ---- gating from S-mode by mcounteren */
    csrw mcounteren, zero
    csrw scounteren, zero
    GOTO_S s1_mode
s1_mode:
    NEXT_CASE
    EXPECT_TRAP_M
    rdcycle a1
    CHECK_MTRAP CAUSE_ILLEGAL
    NEXT_CASE
    EXPECT_TRAP_M
    rdtime a1
    CHECK_MTRAP CAUSE_ILLEGAL
    NEXT_CASE
    EXPECT_TRAP_M
    rdinstret a1
    CHECK_MTRAP CAUSE_ILLEGAL
    GOTO_M m1
m1:
    csrwi mcounteren, 7                                /* CY | TM | IR */
    GOTO_S s2_mode
s2_mode:
    NEXT_CASE
    rdcycle a1
    rdtime a2
    rdinstret a3
    /* U-mode additionally needs scounteren */
    GOTO_U_FROM_S u1_mode
u1_mode:
    NEXT_CASE
    EXPECT_TRAP_M
    rdcycle a1
    CHECK_MTRAP CAUSE_ILLEGAL
    NEXT_CASE
    EXPECT_TRAP_M
    rdinstret a1
    CHECK_MTRAP CAUSE_ILLEGAL
    GOTO_M m2
m2:
    csrwi scounteren, 1                                /* CY only */
    GOTO_U u2_mode
u2_mode:
    NEXT_CASE
    rdcycle a1
    EXPECT_TRAP_M
    rdtime a1
    CHECK_MTRAP CAUSE_ILLEGAL
    GOTO_M m3
m3:
    csrwi scounteren, 7
    csrwi mcounteren, 2                                /* TM only: U still blocked for CY by M */
    GOTO_U u3_mode
u3_mode:
    NEXT_CASE
    rdtime a1
    EXPECT_TRAP_M
    rdcycle a1
    CHECK_MTRAP CAUSE_ILLEGAL
    GOTO_M m4
m4:
    NEXT_CASE
    csrr a1, mcounteren
    EXPECT a1, 2
    csrr a1, scounteren
    EXPECT a1, 7
    TEST_PASS
