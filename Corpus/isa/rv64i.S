/*
 * rv64i.S — every RV64I base instruction except the system ones (ecall/ebreak are in
 * traps.S, csr* in zicsr.S, fence.i in zifencei.S).
 *
 * Spec: RISC-V Unprivileged ISA 20191213, chapter 2 "RV32I Base Integer Instruction Set"
 * (§2.4 integer computational, §2.5 control transfer, §2.6 loads and stores, §2.7 fence) and
 * chapter 5 "RV64I" (§5.2 W-forms sign-extend their 32-bit result, §5.3 lwu/ld/sd, shift
 * amounts are 6 bits for 64-bit shifts and 5 bits for W shifts).
 * Each check also covers a corner: sign extension of immediates, overflow wrap, x0 as
 * destination, rd == rs1.
 */
#include "test.h"

TEST_START rv64i

    /* ---- add / addi / sub (§2.4): wrap-around, no overflow trap */
    TEST_RR add, 1, 2, 3
    TEST_RR add, 0x7fffffffffffffff, 1, 0x8000000000000000
    TEST_RR add, -1, -1, -2
    TEST_RR sub, 0, 1, -1
    TEST_RR sub, 0x8000000000000000, 1, 0x7fffffffffffffff
    TEST_RI addi, 5, -6, -1
    TEST_RI addi, 0x7fffffffffffffff, 1, 0x8000000000000000
    TEST_RI addi, 0, 2047, 2047
    TEST_RI addi, 0, -2048, -2048
    TEST_RI_SAME addi, 10, -10, 0

    /* ---- W forms (§5.2): 32-bit result sign-extended, upper source bits ignored */
    TEST_RR addw, 0x7fffffff, 1, 0xffffffff80000000
    TEST_RR addw, 0xffffffff00000001, 0x00000000ffffffff, 0
    TEST_RR subw, 0x80000000, 1, 0x7fffffff
    TEST_RR subw, 0, 1, -1
    TEST_RI addiw, 0x7fffffff, 1, 0xffffffff80000000
    TEST_RI addiw, 0x123456789, 0, 0x23456789
    TEST_RI addiw, 0xfffffffff, -1, 0xfffffffffffffffe   /* sext.w of 0xfffffffe */

    /* ---- logical */
    TEST_RR and, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0x0f000f000f000f00
    TEST_RR or,  0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xfff0fff0fff0fff0
    TEST_RR xor, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xf0f0f0f0f0f0f0f0
    TEST_RI andi, 0xff00ff00ff00ff00, -256, 0xff00ff00ff00ff00  /* imm sign-extends */
    TEST_RI andi, 0xff00ff00ff00ff00, 0x0f0, 0
    TEST_RI ori, 0x0, -2048, 0xfffffffffffff800
    TEST_RI ori, 0x1234, 0x00f, 0x123f
    TEST_RI xori, 0x00ff00ff00ff00ff, -1, 0xff00ff00ff00ff00   /* not */
    TEST_RI xori, 0x1234, 0x7ff, 0x15cb

    /* ---- compares */
    TEST_RR slt, -1, 0, 1
    TEST_RR slt, 0, -1, 0
    TEST_RR slt, 5, 5, 0
    TEST_RR sltu, -1, 0, 0
    TEST_RR sltu, 0, -1, 1
    TEST_RR sltu, 0x8000000000000000, 0x7fffffffffffffff, 0
    TEST_RI slti, -5, -4, 1
    TEST_RI slti, 0, -2048, 0
    TEST_RI sltiu, 0, -1, 1                 /* imm -1 is all ones unsigned */
    TEST_RI sltiu, 1, 1, 0
    TEST_RI sltiu, 0, 1, 1                  /* seqz */

    /* ---- shifts: 6-bit amounts for 64-bit forms, only the low bits of rs2 count */
    TEST_RR sll, 1, 63, 0x8000000000000000
    TEST_RR sll, 1, 64, 1                   /* shamt = 64 & 63 = 0 */
    TEST_RR sll, 0x0123456789abcdef, 68, 0x123456789abcdef0
    TEST_RR srl, 0x8000000000000000, 63, 1
    TEST_RR srl, -1, 0xffffffffffffffc4, 0x0fffffffffffffff  /* shamt 4 */
    TEST_RR sra, 0x8000000000000000, 63, -1
    TEST_RR sra, 0x8000000000000000, 4, 0xf800000000000000
    TEST_RR sra, 0x4000000000000000, 62, 1
    TEST_RI slli, 0xff, 56, 0xff00000000000000
    TEST_RI slli, 1, 0, 1
    TEST_RI srli, 0xff00000000000000, 60, 0xf
    TEST_RI srli, -1, 32, 0xffffffff
    TEST_RI srai, 0xff00000000000000, 60, -1
    TEST_RI srai, 0x7f00000000000000, 56, 0x7f
    /* W shifts: 5-bit amounts, operate on the low 32 bits, sign-extend the result */
    TEST_RR sllw, 1, 31, 0xffffffff80000000
    TEST_RR sllw, 1, 32, 1                  /* shamt = 32 & 31 = 0 */
    TEST_RR sllw, 0xffffffff00000003, 1, 6
    TEST_RR srlw, 0xffffffff80000000, 31, 1
    TEST_RR srlw, 0x80000000, 0, 0xffffffff80000000  /* shift 0 still sign-extends */
    TEST_RR srlw, 0xffffffff, 4, 0x0fffffff
    TEST_RR sraw, 0x80000000, 31, -1
    TEST_RR sraw, 0x12345678f0000000, 4, 0xffffffffff000000
    TEST_RI slliw, 0x1, 31, 0xffffffff80000000
    TEST_RI slliw, 0xffffffff, 4, 0xfffffffffffffff0
    TEST_RI srliw, 0xffffffff80000000, 1, 0x40000000
    TEST_RI srliw, 0xffffffff, 0, -1
    TEST_RI sraiw, 0x80000000, 4, 0xfffffffff8000000
    TEST_RI sraiw, 0x123456707fffffff, 30, 1

    /* ---- lui / auipc (§2.4): 20-bit immediate << 12, sign-extended on RV64 */
    NEXT_CASE
    lui a3, 0x80000
    EXPECT a3, 0xffffffff80000000
    NEXT_CASE
    lui a3, 0x7ffff
    EXPECT a3, 0x7ffff000
    NEXT_CASE
    lui zero, 0x12345                       /* writes to x0 are discarded */
    EXPECT zero, 0
    NEXT_CASE
1:  auipc a3, 0
    la a4, 1b
    EXPECT_REG a3, a4
    NEXT_CASE
2:  auipc a3, 1
    la a4, 2b
    li a5, 0x1000
    add a4, a4, a5
    EXPECT_REG a3, a4
    NEXT_CASE
3:  auipc a3, 0xfffff                       /* -0x1000 */
    la a4, 3b
    li a5, -0x1000
    add a4, a4, a5
    EXPECT_REG a3, a4

    /* ---- jal / jalr (§2.5.1): link = pc + 4, jalr clears bit 0 of the target */
    NEXT_CASE
    .option push
    .option norvc
    jal a3, 4f
5:  j fail
4:  la a4, 5b
    EXPECT_REG a3, a4
    NEXT_CASE
    la a1, 6f
    addi a1, a1, 1                          /* odd target: bit 0 is cleared */
    jalr a3, 0(a1)
7:  j fail
6:  la a4, 7b
    EXPECT_REG a3, a4
    NEXT_CASE
    la a1, 8f - 8
    jalr a3, 8(a1)                          /* immediate offset */
    j fail
8:  NEXT_CASE
    la a1, 9f
    jalr a1, 0(a1)                          /* rd == rs1: target uses the old value */
10: j fail
9:  la a4, 10b
    EXPECT_REG a1, a4
    NEXT_CASE
    jal zero, 11f                           /* plain jump writes nothing */
    j fail
11: EXPECT zero, 0
    .option pop

    /* ---- branches (§2.5.2): taken and not taken, signed and unsigned */
    .macro BR_TAKEN op, a, b
    NEXT_CASE
    li a1, \a
    li a2, \b
    \op a1, a2, .Lt\@
    j fail
.Lt\@:
    .endm
    .macro BR_NOT op, a, b
    NEXT_CASE
    li a1, \a
    li a2, \b
    \op a1, a2, .Ln\@
    j .Lok\@
.Ln\@:
    j fail
.Lok\@:
    .endm
    BR_TAKEN beq, 5, 5
    BR_NOT   beq, 5, 6
    BR_TAKEN bne, 0, -1
    BR_NOT   bne, -1, -1
    BR_TAKEN blt, -1, 0
    BR_NOT   blt, 0, -1
    BR_NOT   blt, 3, 3
    BR_TAKEN bge, 3, 3
    BR_TAKEN bge, 0, -1
    BR_NOT   bge, 0x8000000000000000, 0x7fffffffffffffff
    BR_TAKEN bltu, 0, -1
    BR_NOT   bltu, -1, 0
    BR_NOT   bltu, 7, 7
    BR_TAKEN bgeu, -1, 0
    BR_TAKEN bgeu, 7, 7
    BR_NOT   bgeu, 0x7fffffffffffffff, 0x8000000000000000
    /* a backward taken branch */
    NEXT_CASE
    li a1, 3
    li a2, 0
12: addi a2, a2, 1
    addi a1, a1, -1
    bnez a1, 12b
    EXPECT a2, 3

    /* ---- loads (§2.6, §5.3): every width, signed and unsigned, negative offsets */
    la s0, data
    .macro TEST_LOAD op, offset, expect
    NEXT_CASE
    \op a3, \offset(s0)
    EXPECT a3, \expect
    .endm
    TEST_LOAD lb,  0, 0xffffffffffffff88
    TEST_LOAD lb,  1, 0x77
    TEST_LOAD lbu, 0, 0x88
    TEST_LOAD lbu, 7, 0xf1
    TEST_LOAD lh,  0, 0x7788
    TEST_LOAD lh,  6, 0xfffffffffffff1f2
    TEST_LOAD lhu, 6, 0xf1f2
    TEST_LOAD lw,  0, 0x55667788
    TEST_LOAD lw,  4, 0xfffffffff1f2f3f4
    TEST_LOAD lwu, 4, 0xf1f2f3f4
    TEST_LOAD ld,  0, 0xf1f2f3f455667788
    TEST_LOAD ld,  8, 0x0123456789abcdef
    NEXT_CASE
    addi s1, s0, 16
    ld a3, -8(s1)
    EXPECT a3, 0x0123456789abcdef
    NEXT_CASE
    lw zero, 0(s0)                          /* load to x0 still happens, value dropped */
    EXPECT zero, 0

    /* ---- stores: each width writes exactly its bytes */
    la s1, scratch
    NEXT_CASE
    li a1, -1
    sd a1, 0(s1)
    li a2, 0x1122334455667788
    sb a2, 1(s1)
    ld a3, 0(s1)
    EXPECT a3, 0xffffffffffff88ff
    NEXT_CASE
    sh a2, 4(s1)
    ld a3, 0(s1)
    EXPECT a3, 0xffff7788ffff88ff
    NEXT_CASE
    sw a2, 8(s1)
    sw a1, 12(s1)
    ld a3, 8(s1)
    EXPECT a3, 0xffffffff55667788
    NEXT_CASE
    sd a2, 16(s1)
    lwu a3, 20(s1)
    EXPECT a3, 0x11223344
    NEXT_CASE
    addi s2, s1, 32
    sd a2, -8(s2)
    ld a3, 24(s1)
    EXPECT_REG a3, a2

    /* ---- fence (§2.7): all predecessor/successor sets assemble and execute */
    NEXT_CASE
    sd a1, 0(s1)
    fence rw, rw
    fence iorw, iorw
    fence r, w
    fence.tso
    fence
    ld a3, 0(s1)
    EXPECT a3, -1

    /* ---- x0 is hard-wired zero as a source and destination */
    NEXT_CASE
    li a1, 5
    add zero, a1, a1
    addi zero, zero, 1
    add a3, zero, zero
    EXPECT a3, 0
    EXPECT zero, 0

    TEST_PASS

    .data
    .align 3
data:
    .dword 0xf1f2f3f455667788
    .dword 0x0123456789abcdef
scratch:
    .zero 64
