/*
 * zba.S — Zba, the address-generation instructions: sh1add (rd = rs2 + (rs1 << 1)).
 *
 * Spec: RISC-V Unprivileged ISA, chapter "B" Standard Extension for Bit Manipulation, §"Zba:
 * Address generation" (sh1add: shift rs1 left by one and add rs2, all 64 bits, wrapping).
 * QEMU's default rv64 cpu implements Zba, so the same image passes on both.
 */
#include "test.h"

.option arch, +zba

TEST_START zba
    TEST_RR sh1add, 3, 100, 106
    TEST_RR sh1add, -1, 0, -2
    TEST_RR sh1add, 0x8000000000000001, 1, 3             /* bit 63 shifts out */
    TEST_RR sh1add, 0x7fffffffffffffff, 2, 0             /* the sum wraps */

    /* rd == rs1 == rs2 */
    NEXT_CASE
    li a1, 5
    sh1add a1, a1, a1
    EXPECT a1, 15
    TEST_PASS
