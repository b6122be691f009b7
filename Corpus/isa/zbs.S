/*
 * zbs.S — Zbs, the single-bit instructions: bset, bclr and binv (rd = rs1 with one bit set,
 * cleared or inverted), bext (rd = that bit of rs1, 0 or 1), and their immediate forms bseti,
 * bclri, binvi and bexti.
 *
 * Spec: RISC-V Unprivileged ISA, chapter "B" Standard Extension for Bit Manipulation, §"Zbs:
 * Single-bit instructions": the bit index is the low log2(XLEN) bits of rs2 (6 on RV64), the
 * rest ignored, or a 6-bit shamt in the immediate forms; the result is all 64 bits. QEMU's
 * default rv64 cpu implements Zbs, so the same image passes on both. Zbs being complete, the
 * corpus -march names it: the `li` of one-bit constants here (and in every ISA test) is then
 * assembled from bseti and bclri too.
 */
#include "test.h"

TEST_START zbs
    TEST_RR bset, 0, 0, 1
    TEST_RR bset, 0, 63, 0x8000000000000000
    TEST_RR bset, 0x10, 4, 0x10                          /* already set: unchanged */
    TEST_RR bset, 0x1234, 64, 0x1235                     /* only rs2[5:0] counts: 64 is bit 0 */
    TEST_RR bset, 0x1234, -1, 0x8000000000001234         /* -1 & 63 = 63 */
    TEST_RR bset, 0, 31, 0x80000000                      /* bit 31 is not sign-extended */
    TEST_RR bset, 0xffffffff, 32, 0x1ffffffff            /* bit 32: a 64-bit op, not a word op */
    TEST_RR bset, -1, 17, -1

    TEST_RR bclr, -1, 0, -2
    TEST_RR bclr, -1, 63, 0x7fffffffffffffff
    TEST_RR bclr, 0x8000000000000001, 127, 1             /* 127 & 63 = 63 */
    TEST_RR bclr, 0x20, 4, 0x20                          /* already clear: unchanged */
    TEST_RR bclr, 0x100000000, 32, 0
    TEST_RR bclr, 0xffffffff, 31, 0x7fffffff

    TEST_RR binv, 0, 5, 0x20
    TEST_RR binv, 0x20, 5, 0
    TEST_RR binv, 0, 63, 0x8000000000000000
    TEST_RR binv, -1, 63, 0x7fffffffffffffff
    TEST_RR binv, 0x7, 65, 0x5                           /* 65 & 63 = 1 */
    TEST_RR binv, 0, 32, 0x100000000

    TEST_RR bext, 0x8000000000000000, 63, 1
    TEST_RR bext, 0x7fffffffffffffff, 63, 0
    TEST_RR bext, 0x5, 0, 1
    TEST_RR bext, 0x5, 1, 0
    TEST_RR bext, 0x5, 66, 1                             /* 66 & 63 = 2 */
    TEST_RR bext, 0x100000000, 32, 1
    TEST_RR bext, -1, -1, 1                              /* a 0/1 result, never -1 */

    TEST_RI bseti, 0, 0, 1
    TEST_RI bseti, 0, 63, 0x8000000000000000
    TEST_RI bseti, 0x1234, 32, 0x100001234
    TEST_RI bseti, 0, 31, 0x80000000
    TEST_RI bclri, -1, 63, 0x7fffffffffffffff
    TEST_RI bclri, -1, 0, -2
    TEST_RI bclri, 0x180000000, 32, 0x80000000
    TEST_RI binvi, 0, 40, 0x10000000000
    TEST_RI binvi, -1, 31, 0xffffffff7fffffff
    TEST_RI binvi, 0x8000000000000000, 63, 0
    TEST_RI bexti, 0x8000000000000000, 63, 1
    TEST_RI bexti, 0x10000000000, 40, 1
    TEST_RI bexti, 0x10000000000, 39, 0
    TEST_RI bexti, -1, 0, 1

    /* rd == rs1 == rs2: the index is the old value, 5 */
    NEXT_CASE
    li a1, 5
    bset a1, a1, a1
    EXPECT a1, 0x25
    NEXT_CASE
    li a1, 0x21
    bclr a1, a1, a1                                      /* 0x21 & 63 = 33: bit 33 was clear */
    EXPECT a1, 0x21
    NEXT_CASE
    li a1, 0x24
    bext a1, a1, a1                                      /* bit 36 of 0x24 */
    EXPECT a1, 0
    /* rd == rs2 */
    NEXT_CASE
    li a1, 0x100
    li a2, 3
    binv a2, a1, a2
    EXPECT a2, 0x108
    /* rd == rs1 in the immediate forms */
    TEST_RI_SAME bseti, 0x10, 1, 0x12
    TEST_RI_SAME bclri, 0x12, 1, 0x10
    TEST_RI_SAME binvi, 0x10, 4, 0
    TEST_RI_SAME bexti, 0x10, 4, 1
    /* x0 as rs1 gives the bit alone; as rd, nothing changes */
    NEXT_CASE
    li a2, 40
    bset a3, zero, a2
    EXPECT a3, 0x10000000000
    bset zero, a3, a2
    bexti zero, a3, 40
    EXPECT zero, 0
    TEST_PASS
