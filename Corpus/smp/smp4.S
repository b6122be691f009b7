/*
 * smp4.S — four harts at once (QEMU: -M virt -smp 4 -bios none -kernel smp4.elf): AMOs and
 * LR/SC from every hart on shared counters, then cross-modifying code between two harts.
 *
 * Spec: RISC-V Unprivileged ISA 20191213, chapter 8 "A": an AMO is one atomic read-modify-write
 * (§8.4); an SC succeeds only while the reservation of the hart's LR holds (§8.2), so an
 * LR/SC increment loop loses no update. Chapter 3 "Zifencei": FENCE.I only orders the issuing
 * hart's own fetches after the stores it can see, so one hart stores new code, orders it
 * before its flag (FENCE), and the other hart waits for the flag and runs FENCE.I before
 * calling the code (the unprivileged spec's recipe for cross-modifying code).
 *
 * Only hart 0 prints; it prints "PASS smp4" and powers off through sifive_test, or
 * "FAIL smp4 <case>" and fails. Harts above 3 park.
 */
#include "console.h"
#define HARTS          4
#define ITERATIONS     20000

    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    csrr s0, mhartid
    li t0, HARTS
    bgeu s0, t0, park

    /* Phase 1: every hart adds 1, ITERATIONS times, with amoadd.d to `counter`, with an
       LR/SC loop to `reserved`, and with amoadd.w to the low word of `word_counter`. */
    la s1, counter
    la s2, reserved
    la s4, word_counter
    li s3, ITERATIONS
    li t1, 1
1:  amoadd.d zero, t1, (s1)
2:  lr.d t2, (s2)
    addi t2, t2, 1
    sc.d t3, t2, (s2)
    bnez t3, 2b
    amoadd.w.aqrl zero, t1, (s4)
    addi s3, s3, -1
    bnez s3, 1b
    la t0, arrived
    amoadd.w.aqrl zero, t1, (t0)

    li t0, 1
    beq s0, t0, fetcher
    bnez s0, park

    /* Hart 0: wait for everyone, then check the totals. */
    la t0, arrived
3:  lw t1, 0(t0)
    li t2, HARTS
    bne t1, t2, 3b
    fence r, rw
    li a1, 1
    ld t1, 0(s1)
    li t2, HARTS * ITERATIONS
    bne t1, t2, fail
    li a1, 2
    ld t1, 0(s2)
    bne t1, t2, fail
    li a1, 3
    lw t1, 0(s4)
    bne t1, t2, fail
    lw t1, 4(s4)                 /* the word above was never touched */
    bnez t1, fail

    /* Phase 2: hart 1 has run `patch_site` (it returned 1); rewrite its first instruction. */
    la t0, stage
4:  lw t1, 0(t0)
    li t2, 1
    bne t1, t2, 4b
    fence r, rw
    la t3, patch_site
    li t1, 0x02a00513            /* addi a0, zero, 42 */
    sw t1, 0(t3)
    fence w, w                   /* the new code before the flag */
    li t1, 2
    sw t1, 0(t0)
5:  lw t1, 0(t0)
    li t2, 3
    bne t1, t2, 5b
    fence r, r
    li a1, 4
    la t3, first_result
    ld t1, 0(t3)
    li t2, 1
    bne t1, t2, fail
    li a1, 5
    la t3, second_result
    ld t1, 0(t3)
    li t2, 42
    bne t1, t2, fail

    la a0, pass_text
    jal ra, puts
    li t0, TEST_DEVICE
    li t1, TEST_PASS_CODE
    sw t1, 0(t0)
    j park

/* Hart 1: run the old code (enough times to have it decoded and compiled), wait for the new
   code, FENCE.I, run it. */
fetcher:
    li s3, 100
6:  jal ra, patch_site
    addi s3, s3, -1
    bnez s3, 6b
    la t3, first_result
    sd a0, 0(t3)
    la t0, stage
    fence rw, w
    li t1, 1
    sw t1, 0(t0)
7:  lw t1, 0(t0)
    li t2, 2
    bne t1, t2, 7b
    fence r, r
    fence.i
    jal ra, patch_site
    la t3, second_result
    sd a0, 0(t3)
    fence w, w
    li t1, 3
    sw t1, 0(t0)
park:
    wfi
    j park

/* fail: print "FAIL smp4 <a1>" and report failure. */
fail:
    mv s5, a1
    la a0, fail_text
    jal ra, puts
    addi a0, s5, '0'
    jal ra, putc
    li a0, '\n'
    jal ra, putc
    li t0, TEST_DEVICE
    li t1, (1 << 16) | TEST_FAIL_CODE
    sw t1, 0(t0)
    j park

    CONSOLE_ROUTINES

    .balign 4
patch_site:
    addi a0, zero, 1
    ret

    .section .rodata
pass_text: .asciz "PASS smp4\n"
fail_text: .asciz "FAIL smp4 "

    .section .data
    .balign 8
counter:       .dword 0
reserved:      .dword 0
word_counter:  .word 0, 0
arrived:       .word 0
stage:         .word 0
first_result:  .dword 0
second_result: .dword 0
