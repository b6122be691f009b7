/*
 * rv64m.S — the M extension on RV64: mul, mulh, mulhsu, mulhu, mulw, div, divu, rem, remu
 * and the W forms divw, divuw, remw, remuw.
 *
 * Spec: RISC-V Unprivileged ISA 20191213, chapter 7 "M Standard Extension": §7.1 (high
 * halves, signed x unsigned, mulw sign-extends), §7.2 Table 7.1 (division by zero gives
 * all ones / the dividend; signed overflow MIN / -1 gives MIN and remainder 0; no traps).
 */
#include "test.h"

TEST_START rv64m
    /* ---- multiplication */
    TEST_RR mul, 7, 6, 42
    TEST_RR mul, -7, 6, -42
    TEST_RR mul, 0x100000000, 0x100000000, 0           /* low 64 bits only */
    TEST_RR mul, 0x7fffffffffffffff, 2, -2
    TEST_RR mulh, -1, -1, 0
    TEST_RR mulh, 0x8000000000000000, 0x8000000000000000, 0x4000000000000000
    TEST_RR mulh, 0x8000000000000000, 1, -1
    TEST_RR mulh, 0x100000000, 0x100000000, 1
    TEST_RR mulhu, -1, -1, 0xfffffffffffffffe
    TEST_RR mulhu, 0x8000000000000000, 2, 1
    TEST_RR mulhu, 0x100000000, 0x100000000, 1
    TEST_RR mulhsu, -1, -1, -1                          /* -1 * (2^64-1) */
    TEST_RR mulhsu, 1, -1, 0                            /* 1 * (2^64-1) */
    TEST_RR mulhsu, 0x8000000000000000, 2, -1
    TEST_RR mulhsu, 0x4000000000000000, 0x8000000000000000, 0x2000000000000000
    TEST_RR mulw, 0x7fffffff, 2, -2
    TEST_RR mulw, 0x10000, 0x10000, 0                    /* 2^32 wraps to 0 in 32 bits */
    TEST_RR mulw, 0xffffffff00000003, 0x1234567800000005, 15  /* upper halves ignored */
    TEST_RR mulw, 0x8000, 0x10000, 0xffffffff80000000

    /* ---- division: rounding toward zero, remainder takes the dividend's sign */
    TEST_RR div, 20, 6, 3
    TEST_RR div, -20, 6, -3
    TEST_RR div, 20, -6, -3
    TEST_RR div, -20, -6, 3
    TEST_RR rem, 20, 6, 2
    TEST_RR rem, -20, 6, -2
    TEST_RR rem, 20, -6, 2
    TEST_RR rem, -20, -6, -2
    TEST_RR divu, -20, 6, 0x2aaaaaaaaaaaaaa7
    TEST_RR remu, -20, 6, 2
    TEST_RR divu, 0x8000000000000000, 0x8000000000000000, 1
    /* Table 7.1: division by zero */
    TEST_RR div, 5, 0, -1
    TEST_RR div, -5, 0, -1
    TEST_RR divu, 5, 0, 0xffffffffffffffff
    TEST_RR rem, -5, 0, -5
    TEST_RR remu, 5, 0, 5
    /* Table 7.1: signed overflow */
    TEST_RR div, 0x8000000000000000, -1, 0x8000000000000000
    TEST_RR rem, 0x8000000000000000, -1, 0

    /* ---- W forms: 32-bit operands, sign-extended 32-bit results */
    TEST_RR divw, -20, 6, -3
    TEST_RR divw, 0x1ffffffec, 6, -3                  /* low word is -20 */
    TEST_RR divuw, 0xffffffec, 6, 0x2aaaaaa7
    TEST_RR divuw, 0xfffffffe, 1, -2                  /* 0xfffffffe sign-extended */
    TEST_RR remw, -20, 6, -2
    TEST_RR remuw, 0xffffffec, 6, 2
    TEST_RR remuw, 0x80000005, 0x100000000, 0xffffffff80000005  /* divisor low word 0 */
    TEST_RR divw, 7, 0, -1
    TEST_RR divuw, 7, 0, -1
    TEST_RR remw, 0x1234500000007, 0, 7
    TEST_RR remw, 0xfffffff9, 0, -7
    TEST_RR remuw, 0x80000000, 0, 0xffffffff80000000
    TEST_RR divw, 0x80000000, -1, 0xffffffff80000000
    TEST_RR remw, 0x80000000, -1, 0
    TEST_RR divuw, 0x80000000, 0xffffffff, 0

    /* rd == rs1 == rs2 */
    NEXT_CASE
    li a1, 12
    mul a1, a1, a1
    EXPECT a1, 144
    NEXT_CASE
    li a1, 12
    div a1, a1, a1
    EXPECT a1, 1
    TEST_PASS
