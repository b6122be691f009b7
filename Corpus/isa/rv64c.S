/*
 * rv64c.S — every RV64C compressed instruction, written with explicit c. mnemonics so each
 * 16-bit encoding is exercised: c.addi4spn, c.fld, c.lw, c.ld, c.fsd, c.sw, c.sd, c.nop,
 * c.addi, c.addiw, c.li, c.addi16sp, c.lui, c.srli, c.srai, c.andi, c.sub, c.xor, c.or,
 * c.and, c.subw, c.addw, c.j, c.beqz, c.bnez, c.slli, c.fldsp, c.lwsp, c.ldsp, c.jr, c.mv,
 * c.ebreak, c.jalr, c.add, c.fsdsp, c.swsp, c.sdsp; plus c.unimp (the all-zero illegal
 * instruction) and the 2-byte link address of c.jalr.
 *
 * Spec: RISC-V Unprivileged ISA 20191213, chapter 16 "C Standard Extension" (§16.3-16.5,
 * Table 16.5-16.7 opcode map for RV64C: c.ld/c.sd replace c.flw/c.fsw, c.addiw replaces c.jal,
 * immediates scaled and zero-extended for loads/stores, c.lui/c.addi sign-extended).
 */
#include "test.h"

TEST_START rv64c
    .option push
    .option rvc
    mv s11, sp
    la sp, cbuf

    /* ---- c.li, c.addi, c.addiw, c.lui, c.addi16sp, c.addi4spn, c.mv, c.add, c.nop */
    NEXT_CASE
    c.li a0, -32
    EXPECT a0, -32
    NEXT_CASE
    c.li a0, 31
    c.addi a0, -1
    EXPECT a0, 30
    NEXT_CASE
    li a0, 0x7fffffff
    c.addiw a0, 1
    EXPECT a0, 0xffffffff80000000
    NEXT_CASE
    li a0, 0x100000005
    c.addiw a0, 0                                     /* sext.w */
    EXPECT a0, 5
    NEXT_CASE
    c.lui a1, 0xfffe0                                 /* nzimm -32 << 12 */
    EXPECT a1, 0xfffffffffffe0000
    NEXT_CASE
    c.lui a1, 1
    EXPECT a1, 0x1000
    NEXT_CASE
    mv a2, sp
    c.addi16sp sp, -64
    sub a3, a2, sp
    EXPECT a3, 64
    c.addi16sp sp, 64
    EXPECT_REG sp, a2
    NEXT_CASE
    c.addi4spn a0, sp, 1020
    sub a3, a0, sp
    EXPECT a3, 1020
    NEXT_CASE
    li a1, 1234
    c.mv a2, a1
    EXPECT a2, 1234
    NEXT_CASE
    li a1, 5
    li a2, 7
    c.add a2, a1
    EXPECT a2, 12
    NEXT_CASE
    c.nop
    li a1, 1
    EXPECT a1, 1

    /* ---- shifts and logic on the compact registers */
    NEXT_CASE
    li a0, 1
    c.slli a0, 63
    EXPECT a0, 0x8000000000000000
    NEXT_CASE
    c.srai a0, 3
    EXPECT a0, 0xf000000000000000
    NEXT_CASE
    c.srli a0, 60
    EXPECT a0, 0xf
    NEXT_CASE
    li a0, 0xff
    c.andi a0, -16                                    /* imm sign-extended */
    EXPECT a0, 0xf0
    NEXT_CASE
    li a0, 0xff
    c.andi a0, 0xf
    EXPECT a0, 0xf
    NEXT_CASE
    li a0, 10
    li a1, 3
    c.sub a0, a1
    EXPECT a0, 7
    NEXT_CASE
    li a0, 0xf0
    li a1, 0x3c
    c.xor a0, a1
    EXPECT a0, 0xcc
    NEXT_CASE
    li a0, 0xf0
    c.or a0, a1
    EXPECT a0, 0xfc
    NEXT_CASE
    li a0, 0xf0
    c.and a0, a1
    EXPECT a0, 0x30
    NEXT_CASE
    li a0, 0x80000000
    li a1, 1
    c.subw a0, a1
    EXPECT a0, 0x7fffffff
    NEXT_CASE
    li a0, 0x7fffffff
    c.addw a0, a1
    EXPECT a0, 0xffffffff80000000

    /* ---- loads and stores: register-based (scaled offsets) and sp-based */
    NEXT_CASE
    la s0, cdata
    li a1, 0x1122334455667788
    c.sd a1, 8(s0)
    c.ld a2, 8(s0)
    EXPECT_REG a2, a1
    NEXT_CASE
    li a1, 0x80000001
    c.sw a1, 124(s0)                                  /* largest c.sw offset */
    c.lw a2, 124(s0)
    EXPECT a2, 0xffffffff80000001                     /* c.lw sign-extends */
    NEXT_CASE
    li a1, 0x0123456789abcdef
    c.sd a1, 248(s0)                                  /* largest c.sd offset */
    ld a2, 248(s0)
    EXPECT_REG a2, a1
    NEXT_CASE
    li a1, 0x4000000000000000                         /* 2.0 */
    fmv.d.x fa0, a1
    c.fsd fa0, 16(s0)
    c.fld fa1, 16(s0)
    fmv.x.d a2, fa1
    EXPECT_REG a2, a1
    NEXT_CASE
    li a1, 0x7777666655554444
    c.sdsp a1, 504(sp)                                /* largest c.sdsp offset */
    c.ldsp a2, 504(sp)
    EXPECT_REG a2, a1
    NEXT_CASE
    li a1, 0xfedcba98
    c.swsp a1, 252(sp)
    c.lwsp a2, 252(sp)
    EXPECT a2, 0xfffffffffedcba98
    NEXT_CASE
    li a1, 0xc000000000000000                         /* -2.0 */
    fmv.d.x fa2, a1
    c.fsdsp fa2, 8(sp)
    c.fldsp fa3, 8(sp)
    fmv.x.d a2, fa3
    EXPECT_REG a2, a1

    /* ---- control transfer */
    NEXT_CASE
    c.j 1f
    j fail
1:  NEXT_CASE
    li a0, 0
    c.beqz a0, 2f
    j fail
2:  li a0, 1
    c.beqz a0, fail_near
    NEXT_CASE
    c.bnez a0, 3f
    j fail
3:  li a0, 0
    c.bnez a0, fail_near
    NEXT_CASE
    la a1, 4f
    c.jr a1
    j fail
4:  NEXT_CASE
    la a1, 5f
    c.jalr a1
6:  j fail
5:  la a2, 6b
    EXPECT_REG ra, a2                                 /* link is pc + 2 */
    NEXT_CASE
7:  auipc a1, 0
    c.nop
8:  auipc a2, 0
    sub a3, a2, a1
    EXPECT a3, 6                                      /* auipc 4 + c.nop 2 */

    /* ---- c.ebreak and c.unimp trap */
    NEXT_CASE
    EXPECT_TRAP_M
cebreak:
    c.ebreak
    CHECK_MTRAP CAUSE_BREAKPOINT
    CHECK_FIELD_LABEL m_frame, F_EPC, cebreak
    NEXT_CASE
    EXPECT_TRAP_M
cunimp:
    c.unimp
    CHECK_MTRAP CAUSE_ILLEGAL
    CHECK_FIELD_LABEL m_frame, F_EPC, cunimp
    CHECK_FIELD m_frame, F_TVAL, 0

    mv sp, s11
    .option pop
    TEST_PASS
fail_near:
    j fail

    .data
    .align 4
cdata: .zero 256
    .bss
    .align 4
    .zero 1024
cbuf: .zero 1024
