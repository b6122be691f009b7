/*
 * zifencei.S — self-modifying code made visible with fence.i: a routine in RAM is rewritten
 * with new instruction words (32-bit and compressed) and re-executed, including rewriting a
 * routine that was just executed many times (so any cached decode must be invalidated).
 *
 * Spec: RISC-V Unprivileged ISA 20191213, chapter 3 "Zifencei" (fence.i makes stores to
 * instruction memory visible to later fetches by the same hart).
 * Encodings from chapter 24 (RV32/64G listings): addi rd, rs1, imm = imm[11:0] rs1 000 rd 0010011;
 * jalr x0, 0(ra) = 0x00008067; c.li a0, imm = 010 imm[5] 01010 imm[4:0] 01.
 */
#include "test.h"

#define ADDI_A0_ZERO(imm) (((imm) << 20) | (10 << 7) | 0x13)     /* addi a0, zero, imm */
#define RET_INSN 0x00008067                                      /* jalr x0, 0(ra) */
#define C_LI_A0(imm) (0x4000 | (10 << 7) | (((imm) & 0x1f) << 2) | 0x1)
#define C_NOP 0x0001

TEST_START zifencei
    la s0, codebuf
    li s1, RET_INSN
    sw s1, 4(s0)

    NEXT_CASE
    li a1, ADDI_A0_ZERO(1)
    sw a1, 0(s0)
    fence.i
    li a0, 0
    jalr s0
    EXPECT a0, 1

    /* rewrite the routine we just ran, many times, checking each version */
    NEXT_CASE
    li s2, 2
1:  li a1, ADDI_A0_ZERO(0)
    slli a2, s2, 20
    or a1, a1, a2
    sw a1, 0(s0)
    fence.i
    li a0, -1
    jalr s0
    EXPECT_REG a0, s2
    addi s2, s2, 1
    li a3, 40
    blt s2, a3, 1b

    /* a compressed instruction written with a halfword store */
    NEXT_CASE
    li a1, C_LI_A0(13)
    sh a1, 0(s0)
    li a1, C_NOP
    sh a1, 2(s0)
    fence.i
    jalr s0
    EXPECT a0, 13

    /* patch an instruction ahead of us in the same straight-line code */
    NEXT_CASE
    la a1, patch_site
    li a2, ADDI_A0_ZERO(77)
    sw a2, 0(a1)
    fence.i
    .option push
    .option norvc
patch_site:
    addi a0, zero, 5
    .option pop
    EXPECT a0, 77
    /* and restore it, so the program is the same on every run from the ELF */
    NEXT_CASE
    la a1, patch_site
    li a2, ADDI_A0_ZERO(5)
    sw a2, 0(a1)
    fence.i
    jal patch_check
    TEST_PASS

patch_check:
    la a1, patch_site
    lwu a2, 0(a1)
    li a3, ADDI_A0_ZERO(5)
    bne a2, a3, fail
    ret

    .data
    .align 4
codebuf:
    .zero 64
