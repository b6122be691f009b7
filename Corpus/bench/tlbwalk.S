/*
 * tlbwalk.S — the TLB miss path under Sv39: S-mode code touches one doubleword on each of
 * 2048 distinct 4 KiB pages, round after round, with sfence.vma at the start of every round,
 * so every first touch of a page in a round needs a full three-level page walk whatever the
 * size of the TLB. A benchmark guest (Benchmarks/), self-checking like the ISA corpus: the
 * sum of what it reads must equal what it wrote.
 *
 * Spec: Privileged spec 1.12 §4.3.2 (translation algorithm), §4.4 Sv39 (three levels,
 * VPN[2:0] = VA[38:30], VA[29:21], VA[20:12]), §4.2.1 sfence.vma with rs1 = rs2 = x0 orders
 * all prior page-table stores and flushes every translation.
 *
 * Layout: VA 0x8000_0000 (1 GiB gigapage, identity, RWX, S only) holds the program; VA
 * 0x4000_0000 + i * 4 KiB (i < PAGES) maps PA DATA_PA + i * 4 KiB through PAGES / 512 leaf
 * tables. DATA_PA lies 16 MiB into RAM, past the image and its page tables.
 */
#include "test.h"

#define PAGES      2048                 /* 8 MiB of 4 KiB pages: four leaf tables */
#define ROUNDS     64
#define WALK_VA    0x40000000
#define DATA_PA    0x81000000
#define PAGE_SHIFT 12
#define PTE_LEAF_RW (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define PTE_LEAF_RWX (PTE_LEAF_RW | PTE_X)

TEST_START tlbwalk
    /* ---- l2[2]: the program's gigapage; l2[1] -> l1 covering VA 0x4000_0000..0x7fff_ffff */
    li a1, 0x80000000
    srli t0, a1, 12
    slli t0, t0, 10
    ori t0, t0, PTE_LEAF_RWX | PTE_G
    la t1, l2
    sd t0, 16(t1)
    la a1, l1
    srli t0, a1, 12
    slli t0, t0, 10
    ori t0, t0, PTE_V
    sd t0, 8(t1)
    /* ---- l1[j] -> leaf table j (j < PAGES / 512) */
    la a2, l1
    la a3, leaves
    li a4, PAGES / 512
1:  srli t0, a3, 12
    slli t0, t0, 10
    ori t0, t0, PTE_V
    sd t0, 0(a2)
    addi a2, a2, 8
    li t1, 4096
    add a3, a3, t1
    addi a4, a4, -1
    bnez a4, 1b
    /* ---- leaf PTE i -> DATA_PA + i * 4 KiB (the leaf tables are contiguous) */
    la a2, leaves
    li a3, DATA_PA
    li a4, PAGES
2:  srli t0, a3, 12
    slli t0, t0, 10
    ori t0, t0, PTE_LEAF_RW
    sd t0, 0(a2)
    addi a2, a2, 8
    li t1, 4096
    add a3, a3, t1
    addi a4, a4, -1
    bnez a4, 2b

    NEXT_CASE
    la a1, l2
    srli a1, a1, 12
    li a2, SATP_SV39
    or a1, a1, a2
    csrw satp, a1
    sfence.vma
    GOTO_S s_mode
s_mode:
    /* ---- write i into page i, at a line offset that varies so the data spreads over cache sets */
    li s0, WALK_VA
    li s1, 0
    li s2, PAGES
3:  slli t0, s1, PAGE_SHIFT
    andi t1, s1, 63
    slli t1, t1, 6
    add t0, t0, t1
    add t0, t0, s0
    sd s1, 0(t0)
    addi s1, s1, 1
    bltu s1, s2, 3b

    /* ---- ROUNDS rounds of reading every page back, each after a full flush */
    li s3, 0                            /* sum */
    li s4, ROUNDS
4:  sfence.vma
    li s1, 0
5:  slli t0, s1, PAGE_SHIFT
    andi t1, s1, 63
    slli t1, t1, 6
    add t0, t0, t1
    add t0, t0, s0
    ld t2, 0(t0)
    add s3, s3, t2
    addi s1, s1, 1
    bltu s1, s2, 5b
    addi s4, s4, -1
    bnez s4, 4b
    GOTO_M m_mode
m_mode:
    NEXT_CASE
    li t2, ROUNDS * (PAGES * (PAGES - 1) / 2)
    EXPECT_REG s3, t2
    csrw satp, zero
    sfence.vma
    TEST_PASS

    .section .pagetables, "aw", @nobits
    .align 12
l2:     .zero 4096
l1:     .zero 4096
leaves: .zero 4096 * (PAGES / 512)
