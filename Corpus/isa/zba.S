/*
 * zba.S — Zba, the address-generation instructions: sh1add, sh2add, sh3add (rd = rs2 +
 * (rs1 << n)), their .uw forms and add.uw (rs1's low word zero-extended first), and slli.uw.
 *
 * Spec: RISC-V Unprivileged ISA, chapter "B" Standard Extension for Bit Manipulation, §"Zba:
 * Address generation": all 64 bits, wrapping; the .uw forms take rs1[31:0] zero-extended;
 * slli.uw shifts the zero-extended low word by a 6-bit amount. QEMU's default rv64 cpu
 * implements Zba, so the same image passes on both.
 */
#include "test.h"

.option arch, +zba

TEST_START zba
    TEST_RR sh1add, 3, 100, 106
    TEST_RR sh1add, -1, 0, -2
    TEST_RR sh1add, 0x8000000000000001, 1, 3             /* bit 63 shifts out */
    TEST_RR sh1add, 0x7fffffffffffffff, 2, 0             /* the sum wraps */
    TEST_RR sh2add, 3, 100, 112
    TEST_RR sh2add, 0x4000000000000001, 0, 4             /* bit 62 shifts out */
    TEST_RR sh3add, 3, 100, 124
    TEST_RR sh3add, -1, 8, 0

    /* .uw: only rs1's low word, zero-extended, is shifted */
    TEST_RR add.uw, 0xffffffff00000005, 10, 15
    TEST_RR add.uw, -1, 1, 0x100000000
    TEST_RR sh1add.uw, 0xffffffff80000000, 0, 0x100000000
    TEST_RR sh2add.uw, 0x1234567800000003, 1, 13
    TEST_RR sh3add.uw, -1, -8, 0x7fffffff0
    TEST_RI slli.uw, 0xffffffff80000001, 0, 0x80000001
    TEST_RI slli.uw, -1, 32, 0xffffffff00000000
    TEST_RI slli.uw, 0x80000000, 33, 0                   /* bit 31 shifts past bit 63 */

    /* rd == rs1 == rs2 */
    NEXT_CASE
    li a1, 5
    sh1add a1, a1, a1
    EXPECT a1, 15
    NEXT_CASE
    li a1, -1
    add.uw a1, a1, a1
    EXPECT a1, 0xfffffffe
    TEST_PASS
