/*
 * pmp.S — physical memory protection as QEMU virt implements it (16 entries, 4-byte
 * granularity): NA4, NAPOT and TOR regions, priority of the lowest-numbered matching entry,
 * S- and U-mode access faults with mtval = the address, M-mode unaffected by unlocked
 * entries, and a locked entry that binds M-mode too and ignores further writes.
 *
 * Spec: Privileged spec 1.12 §3.7 (§3.7.1 pmpcfg fields R=1 W=2 X=4, A: OFF 0, TOR 1, NA4 2,
 * NAPOT 3 at bits 4:3, L bit 7; RV64 uses pmpcfg0 for entries 0-7 and pmpcfg2 for 8-15;
 * §3.7.1.2 NAPOT encoding; TOR uses the previous pmpaddr as the bottom; §3.7.1.3 lowest
 * entry wins, L makes the entry apply to M and read-only until reset).
 */
#include "test.h"

#define PMP_R 1
#define PMP_W 2
#define PMP_X 4
#define PMP_TOR   (1 << 3)
#define PMP_NA4   (2 << 3)
#define PMP_NAPOT (3 << 3)
#define PMP_L     0x80

TEST_START pmp
    /* entry 15: everything RWX for S/U, the fallback */
    NEXT_CASE
    li a1, -1
    csrw pmpaddr15, a1
    csrr a2, pmpaddr15
    beqz a2, fail                                      /* 16 entries exist */
    li a1, (PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 56
    csrw pmpcfg2, a1
    /* entry 0: NA4 on word_a, read-only */
    la a1, word_a
    srli a1, a1, 2
    csrw pmpaddr0, a1
    /* entry 1: NAPOT 4 KiB on page_b, no access */
    la a1, page_b
    srli a1, a1, 2
    ori a1, a1, 0x1ff                                  /* 4096 / 8 - 1 */
    csrw pmpaddr1, a1
    /* entries 2 (OFF, bottom) + 3 (TOR, top): page_c execute-only */
    la a1, page_c
    srli a2, a1, 2
    csrw pmpaddr2, a2
    li t0, 4096
    add a1, a1, t0
    srli a2, a1, 2
    csrw pmpaddr3, a2
    li a1, (PMP_NA4 | PMP_R) | ((PMP_NAPOT) << 8) | ((PMP_TOR | PMP_X) << 24)
    csrw pmpcfg0, a1
    csrr a2, pmpcfg0
    EXPECT_REG a2, a1

    GOTO_S s_mode
s_mode:
    /* ---- NA4 read-only word: loads fine, stores fault; the next word is unaffected */
    NEXT_CASE
    la s0, word_a
    lw a1, 0(s0)
    EXPECT a1, 0x12345678
    EXPECT_TRAP_M
    sw a1, 0(s0)
    CHECK_MTRAP CAUSE_STORE_ACCESS
    CHECK_FIELD_REG m_frame, F_TVAL, s0
    NEXT_CASE
    sw a1, 4(s0)                                        /* entry 15 applies */
    /* ---- NAPOT no-access page */
    NEXT_CASE
    la s0, page_b
    li t0, 2048
    add s1, s0, t0
    EXPECT_TRAP_M
    ld a1, 0(s1)
    CHECK_MTRAP CAUSE_LOAD_ACCESS
    NEXT_CASE
    EXPECT_TRAP_M
    sd a1, 2040(s1)
    CHECK_MTRAP CAUSE_STORE_ACCESS
    NEXT_CASE
    li t0, 4096                                         /* first byte after the region */
    add s2, s0, t0
    ld a1, 0(s2)
    /* ---- TOR execute-only page */
    NEXT_CASE
    la s0, page_c
    EXPECT_TRAP_M
    lb a1, 100(s0)
    CHECK_MTRAP CAUSE_LOAD_ACCESS
    GOTO_M m1
m1:
    /* ---- the same from U */
    NEXT_CASE
    GOTO_U u_mode
u_mode:
    la s0, page_b
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_ACCESS
    NEXT_CASE
    la s0, word_a
    EXPECT_TRAP_M
    sw a1, 0(s0)
    CHECK_MTRAP CAUSE_STORE_ACCESS
    GOTO_M m2
m2:
    /* ---- M ignores unlocked entries */
    NEXT_CASE
    la s0, page_b
    ld a1, 0(s0)
    sd a1, 8(s0)
    la s0, word_a
    li a1, 0x12345678
    sw a1, 0(s0)
    /* ---- a locked entry binds M-mode and cannot be rewritten */
    NEXT_CASE
    la a1, word_d
    srli a1, a1, 2
    csrw pmpaddr4, a1
    li a1, (PMP_L | PMP_NA4 | PMP_R) << 32
    csrs pmpcfg0, a1
    la s0, word_d
    lw a2, 0(s0)
    EXPECT a2, 0x0badf00d
    EXPECT_TRAP_M
    sw a2, 0(s0)
    CHECK_MTRAP CAUSE_STORE_ACCESS
    CHECK_FIELD_REG m_frame, F_TVAL, s0
    NEXT_CASE
    li a1, 0x1234
    csrw pmpaddr4, a1                                  /* ignored: locked */
    la a2, word_d
    srli a2, a2, 2
    csrr a3, pmpaddr4
    EXPECT_REG a3, a2
    li a1, 0xff << 32
    csrc pmpcfg0, a1                                   /* ignored for the locked byte */
    csrr a3, pmpcfg0
    srli a3, a3, 32
    andi a3, a3, 0xff
    EXPECT a3, PMP_L | PMP_NA4 | PMP_R
    TEST_PASS

    .data
    .align 4
word_a: .word 0x12345678, 0
word_d: .word 0x0badf00d, 0
    .section .pagetables, "aw", @nobits
    .align 12
page_b: .zero 4096
        .zero 4096
page_c: .zero 4096
