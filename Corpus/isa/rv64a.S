/*
 * rv64a.S — the A extension on RV64: lr/sc (.w and .d, success and failure) and every AMO
 * in .w and .d form, with aq/rl orderings.
 *
 * Spec: RISC-V Unprivileged ISA 20191213, chapter 8 "A Standard Extension": §8.2 (sc writes
 * 0 on success and nonzero on failure, a failed sc does not write memory, an sc to an address
 * outside the reservation fails, sc invalidates the reservation either way), §8.4 (AMOs
 * return the old value, .w forms sign-extend it and operate on 32 bits; min/max signed,
 * minu/maxu unsigned). Misaligned AMOs are in misaligned.S.
 */
#include "test.h"

/* op rd, rs2, (mem) with mem preset to `init`; checks old value in rd and the new memory word. */
.macro TEST_AMO_D op, init, operand, newval
    NEXT_CASE
    la s0, word
    li a1, \init
    sd a1, 0(s0)
    li a2, \operand
    \op a3, a2, (s0)
    EXPECT a3, \init
    ld a4, 0(s0)
    EXPECT a4, \newval
.endm

/* .w form: memory holds a 32-bit value; rd is its sign extension; the next word is untouched. */
.macro TEST_AMO_W op, init, operand, old, newval
    NEXT_CASE
    la s0, word
    li a1, \init
    sw a1, 0(s0)
    li a1, 0x5a5a5a5a
    sw a1, 4(s0)
    li a2, \operand
    \op a3, a2, (s0)
    EXPECT a3, \old
    lwu a4, 0(s0)
    EXPECT a4, \newval
    lwu a4, 4(s0)
    EXPECT a4, 0x5a5a5a5a
.endm

TEST_START rv64a
    /* ---- AMO .d */
    TEST_AMO_D amoswap.d, 0x1111111111111111, 0x2222222222222222, 0x2222222222222222
    TEST_AMO_D amoadd.d, 0x7fffffffffffffff, 1, 0x8000000000000000
    TEST_AMO_D amoxor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xf0f0f0f0f0f0f0f0
    TEST_AMO_D amoand.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0x0f000f000f000f00
    TEST_AMO_D amoor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xfff0fff0fff0fff0
    TEST_AMO_D amomin.d, -5, 3, -5
    TEST_AMO_D amomin.d, 5, -3, -3
    TEST_AMO_D amomax.d, -5, 3, 3
    TEST_AMO_D amomax.d, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff
    TEST_AMO_D amominu.d, -5, 3, 3
    TEST_AMO_D amominu.d, 2, 3, 2
    TEST_AMO_D amomaxu.d, -5, 3, -5
    TEST_AMO_D amomaxu.d, 2, 0x8000000000000000, 0x8000000000000000
    TEST_AMO_D amoswap.d.aq, 1, 2, 2
    TEST_AMO_D amoadd.d.rl, 1, 2, 3
    TEST_AMO_D amoor.d.aqrl, 1, 2, 3

    /* ---- AMO .w: 32-bit arithmetic, sign-extended old value */
    TEST_AMO_W amoswap.w, 0x80000000, 0x1234567812345678, 0xffffffff80000000, 0x12345678
    TEST_AMO_W amoadd.w, 0x7fffffff, 1, 0x7fffffff, 0x80000000
    TEST_AMO_W amoadd.w, 0xffffffff, 1, -1, 0           /* carry does not reach word 2 */
    TEST_AMO_W amoxor.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0xf0f0f0f0
    TEST_AMO_W amoand.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0x0f000f00
    TEST_AMO_W amoor.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0xfff0fff0
    TEST_AMO_W amomin.w, 0x80000000, 0x7fffffff, 0xffffffff80000000, 0x80000000
    TEST_AMO_W amomin.w, 5, 0x1fffffffe, 5, 0xfffffffe  /* operand's low word is -2 */
    TEST_AMO_W amomax.w, 0x80000000, 0x7fffffff, 0xffffffff80000000, 0x7fffffff
    TEST_AMO_W amomax.w, 5, 0xfffffffe, 5, 5
    TEST_AMO_W amominu.w, 0x80000000, 0x7fffffff, 0xffffffff80000000, 0x7fffffff
    TEST_AMO_W amominu.w, 5, 0xffffffff00000006, 5, 5  /* upper operand bits ignored */
    TEST_AMO_W amomaxu.w, 0x80000000, 0x7fffffff, 0xffffffff80000000, 0x80000000
    TEST_AMO_W amomaxu.w, 1, 0xfffffffe, 1, 0xfffffffe
    TEST_AMO_W amoswap.w.aqrl, 3, 4, 3, 4
    TEST_AMO_W amoadd.w.aq, 3, 4, 3, 7

    /* amo with rd = x0 still writes memory */
    NEXT_CASE
    la s0, word
    sd zero, 0(s0)
    li a2, 9
    amoadd.d zero, a2, (s0)
    ld a4, 0(s0)
    EXPECT a4, 9

    /* ---- lr/sc .d: success */
    NEXT_CASE
    la s0, word
    li a1, 100
    sd a1, 0(s0)
    lr.d a3, (s0)
    EXPECT a3, 100
    addi a3, a3, 1
    sc.d a4, a3, (s0)
    EXPECT a4, 0
    ld a5, 0(s0)
    EXPECT a5, 101
    /* a second sc without a new lr fails and leaves memory alone */
    NEXT_CASE
    li a3, 555
    sc.d a4, a3, (s0)
    beqz a4, fail
    ld a5, 0(s0)
    EXPECT a5, 101
    /* sc to a different address than the reservation fails */
    NEXT_CASE
    la s1, other
    sd zero, 0(s1)
    lr.d a3, (s0)
    li a3, 77
    sc.d a4, a3, (s1)
    beqz a4, fail
    ld a5, 0(s1)
    EXPECT a5, 0
    ld a5, 0(s0)
    EXPECT a5, 101
    /* ...and it consumed the reservation, so an sc to the original address fails too */
    NEXT_CASE
    sc.d a4, a3, (s0)
    beqz a4, fail
    ld a5, 0(s0)
    EXPECT a5, 101

    /* ---- lr/sc .w: sign-extended load, 32-bit store */
    NEXT_CASE
    li a1, 0x5a5a5a5a80000001
    sd a1, 0(s0)
    lr.w a3, (s0)
    EXPECT a3, 0xffffffff80000001
    li a3, 0x1234567800000002
    sc.w a4, a3, (s0)
    EXPECT a4, 0
    ld a5, 0(s0)
    EXPECT a5, 0x5a5a5a5a00000002
    NEXT_CASE
    sc.w a4, a3, (s0)
    beqz a4, fail
    NEXT_CASE
    lr.w.aq a3, (s0)
    sc.w.rl a4, a3, (s0)
    EXPECT a4, 0
    NEXT_CASE
    lr.d.aqrl a3, (s0)
    sc.d.aqrl a4, a3, (s0)
    EXPECT a4, 0

    /* an lr/sc increment loop, the idiom the spec gives in §8.3 */
    NEXT_CASE
    sd zero, 0(s0)
    li s2, 10
1:  lr.d a3, (s0)
    addi a3, a3, 3
    sc.d a4, a3, (s0)
    bnez a4, 1b
    addi s2, s2, -1
    bnez s2, 1b
    ld a5, 0(s0)
    EXPECT a5, 30
    TEST_PASS

    .data
    .align 3
word:  .dword 0
other: .dword 0
