/*
 * smc.S — the decoded-block cache under self-modifying code: a two-instruction routine
 * (addi a0, a0, imm; ret) is rewritten with a new immediate, made visible with fence.i and
 * called, ITERATIONS times, so every call needs the routine decoded afresh. Between rewrites
 * a loop of ordinary code in another page runs from the cache, so a correct engine keeps it
 * while dropping the routine. A benchmark guest (Benchmarks/), self-checking: the sum of the
 * immediates must come back.
 *
 * Spec: RISC-V Unprivileged ISA 20191213, chapter 3 "Zifencei" (fence.i makes prior stores
 * visible to later instruction fetches of the same hart). Encodings (chapter 24): addi rd,
 * rs1, imm = imm[11:0] rs1 000 rd 0010011; jalr x0, 0(ra) = 0x00008067.
 */
#include "test.h"

#define ITERATIONS 16384                 /* 8 times through the 2048 immediates 0..2047 */
#define IMM_MASK   2047                  /* addi's immediate is signed 12-bit: keep it positive */
#define ADDI_A0_A0 ((10 << 15) | (10 << 7) | 0x13)                   /* addi a0, a0, 0 */
#define RET_INSN   0x00008067                                        /* jalr x0, 0(ra) */
#define HOT_LOOP   8                     /* iterations of unmodified code between rewrites */

TEST_START smc
    la s0, codebuf
    li t0, RET_INSN
    sw t0, 4(s0)
    li s1, 0                             /* i */
    li s2, ITERATIONS
    li a0, 0                             /* the routine's running sum */
    li s3, 0                             /* the hot loop's own sum */
    li s5, ADDI_A0_A0
1:  andi t0, s1, IMM_MASK
    slli t0, t0, 20
    or t0, t0, s5
    sw t0, 0(s0)
    fence.i
    jalr s0
    li t1, HOT_LOOP
2:  add s3, s3, t1
    addi t1, t1, -1
    bnez t1, 2b
    addi s1, s1, 1
    bltu s1, s2, 1b

    NEXT_CASE
    li t2, (ITERATIONS / (IMM_MASK + 1)) * (IMM_MASK * (IMM_MASK + 1) / 2)
    EXPECT_REG a0, t2
    NEXT_CASE
    li t2, ITERATIONS * (HOT_LOOP * (HOT_LOOP + 1) / 2)
    EXPECT_REG s3, t2
    TEST_PASS

    /* The routine lives in its own page of .data, apart from the code above. */
    .data
    .align 12
codebuf: .zero 4096
