/*
 * zbs.S — Zbs, the single-bit instructions: bset (rd = rs1 with bit rs2 & 63 set).
 *
 * Spec: RISC-V Unprivileged ISA, chapter "B" Standard Extension for Bit Manipulation, §"Zbs:
 * Single-bit instructions": the bit index is the low log2(XLEN) bits of rs2 (6 on RV64), the
 * rest ignored; the result is all 64 bits of rs1 with that bit set. QEMU's default rv64 cpu
 * implements Zbs, so the same image passes on both.
 *
 * Zbs is named around each instruction under test alone (ZBS_RR), not for the whole file:
 * told of Zbs, the assembler builds `li` of one-bit constants from bseti, which the hart runs
 * only once all of Zbs is described (and -march then names it for every ISA test).
 */
#include "test.h"

.macro ZBS op, rd, rs1, rs2
    .option push
    .option arch, +zbs
    \op \rd, \rs1, \rs2
    .option pop
.endm

.macro ZBS_RR op, a, b, expect
    NEXT_CASE
    li a1, \a
    li a2, \b
    ZBS \op, a3, a1, a2
    EXPECT a3, \expect
.endm

TEST_START zbs
    ZBS_RR bset, 0, 0, 1
    ZBS_RR bset, 0, 63, 0x8000000000000000
    ZBS_RR bset, 0x10, 4, 0x10                           /* already set: unchanged */
    ZBS_RR bset, 0x1234, 64, 0x1235                      /* only rs2[5:0] counts: 64 is bit 0 */
    ZBS_RR bset, 0x1234, -1, 0x8000000000001234          /* -1 & 63 = 63 */
    ZBS_RR bset, 0, 31, 0x80000000                       /* bit 31 is not sign-extended */
    ZBS_RR bset, 0xffffffff, 32, 0x1ffffffff             /* bit 32: a 64-bit op, not a word op */
    ZBS_RR bset, -1, 17, -1

    /* rd == rs1 == rs2: the index is the old value, 5 */
    NEXT_CASE
    li a1, 5
    ZBS bset, a1, a1, a1
    EXPECT a1, 0x25
    /* rd == rs2 */
    NEXT_CASE
    li a1, 0x100
    li a2, 3
    ZBS bset, a2, a1, a2
    EXPECT a2, 0x108
    /* x0 as rs1 gives the bit alone; as rd, nothing changes */
    NEXT_CASE
    li a2, 40
    ZBS bset, a3, zero, a2
    EXPECT a3, 0x10000000000
    ZBS bset, zero, a3, a2
    EXPECT zero, 0
    TEST_PASS
