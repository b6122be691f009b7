/*
 * sv39.S — Sv39 address translation: 4 KiB pages, 2 MiB and 1 GiB superpages, load/store/
 * fetch page faults (causes 13, 15, 12) with stval/mtval = the virtual address, hardware
 * setting of the A and D bits (as QEMU 7.2 does), reserved W-without-R encodings, misaligned
 * superpages, the U bit versus S-mode with and without SUM, MXR for execute-only pages,
 * MPRV for M-mode loads, U-mode access to supervisor pages, and page faults delegated to S.
 *
 * Spec: Privileged spec 1.12 §4.3 (Sv32 algorithm, §4.3.2 steps: invalid or W&!R -> fault,
 * misaligned superpage -> fault, A/D update), §4.4 Sv39 (three levels, VPN[2:0], 4 KiB,
 * 2 MiB, 1 GiB pages), §4.1.1 SUM and MXR, §3.1.6.3 MPRV, §4.1.11 satp (MODE 8 = Sv39).
 *
 * Layout: VA 0x8000_0000 (1 GiB, identity, RWX, S only) holds the program; VA 0xC000_0000
 * aliases it with U set for U-mode code; VA 0x4000_0000.. holds the test pages below.
 */
#include "test.h"

#define TEST_VA   0x40000000
#define VA_RW     (TEST_VA + 0x0000)     /* RW, A=D=0 initially */
#define VA_RO     (TEST_VA + 0x1000)     /* R only */
#define VA_NONE   (TEST_VA + 0x2000)     /* invalid */
#define VA_USER   (TEST_VA + 0x3000)     /* RW + U */
#define VA_XO     (TEST_VA + 0x4000)     /* X only */
#define VA_WO     (TEST_VA + 0x5000)     /* W without R: reserved */
#define VA_MEGA   0x40200000             /* 2 MiB page -> PA 0x8040_0000 */
#define PA_MEGA   0x80400000
#define VA_BADMEGA 0x40400000            /* 2 MiB page with a misaligned PPN */
#define U_ALIAS   0x40000000             /* VA 0xC000_0000 - 0x8000_0000 */
#define PTE_LEAF_RWX (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

/* table[index] = PTE for physical address in register pa with flags. Clobbers t0, t1. */
.macro SET_PTE table, index, pa, flags
    srli t0, \pa, 12
    slli t0, t0, 10
    ori t0, t0, \flags
    la t1, \table
    sd t0, (\index * 8)(t1)
.endm

TEST_START sv39
    /* ---- build the tables */
    li a1, 0x80000000
    SET_PTE l2, 2, a1, PTE_LEAF_RWX | PTE_G
    SET_PTE l2, 3, a1, PTE_LEAF_RWX | PTE_U
    la a1, l1
    SET_PTE l2, 1, a1, PTE_V
    la a1, l0
    SET_PTE l1, 0, a1, PTE_V
    li a1, PA_MEGA
    SET_PTE l1, 1, a1, PTE_LEAF_RWX & ~PTE_X
    li a1, PA_MEGA + 0x1000
    SET_PTE l1, 2, a1, PTE_LEAF_RWX & ~PTE_X
    la a1, page0
    SET_PTE l0, 0, a1, PTE_V | PTE_R | PTE_W
    la a1, page1
    SET_PTE l0, 1, a1, PTE_V | PTE_R | PTE_A
    la a1, page3
    SET_PTE l0, 3, a1, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
    la a1, page4
    SET_PTE l0, 4, a1, PTE_V | PTE_X | PTE_A
    la a1, page5
    SET_PTE l0, 5, a1, PTE_V | PTE_W | PTE_A | PTE_D
    /* recognisable contents */
    li a1, 0x1111
    la a2, page0
    sd a1, 0(a2)
    li a1, 0x3333
    la a2, page3
    sd a1, 0(a2)
    li a1, 0x4444
    la a2, page4
    sd a1, 8(a2)
    li a1, 0x5555
    la a2, page1
    sd a1, 0(a2)

    NEXT_CASE
    la a1, l2
    srli a1, a1, 12
    li a2, SATP_SV39
    or a1, a1, a2
    csrw satp, a1
    csrr a3, satp
    EXPECT_REG a3, a1                                  /* Sv39 is supported */
    sfence.vma
    GOTO_S s_mode
s_mode:
    /* ---- basic translation and the A/D bits */
    NEXT_CASE
    li s0, VA_RW
    ld a1, 0(s0)
    EXPECT a1, 0x1111
    ld a2, l0                                          /* PTE via the identity map */
    andi a3, a2, PTE_A | PTE_D
    EXPECT a3, PTE_A                                   /* read: A set, D still clear */
    NEXT_CASE
    li a1, 0x2222
    sd a1, 8(s0)
    ld a2, l0
    andi a3, a2, PTE_A | PTE_D
    EXPECT a3, PTE_A | PTE_D                           /* write: D set */
    la a2, page0
    ld a3, 8(a2)
    EXPECT a3, 0x2222
    /* ---- read-only page: store page fault with stval = VA */
    NEXT_CASE
    li s0, VA_RO
    ld a1, 0(s0)
    EXPECT a1, 0x5555
    EXPECT_TRAP_M
    sd a1, 16(s0)
    CHECK_MTRAP CAUSE_STORE_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_RO + 16
    NEXT_CASE
    EXPECT_TRAP_M
    amoadd.d a1, a1, (s0)                              /* AMO: store page fault */
    CHECK_MTRAP CAUSE_STORE_PAGE
    /* ---- invalid page */
    NEXT_CASE
    li s0, VA_NONE
    EXPECT_TRAP_M
    lw a1, 4(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_NONE + 4
    NEXT_CASE
    EXPECT_TRAP_M
    sb a1, 0(s0)
    CHECK_MTRAP CAUSE_STORE_PAGE
    NEXT_CASE
    EXPECT_TRAP_M s_after_fetch
    jalr s0
    j fail
s_after_fetch:
    CHECK_MTRAP CAUSE_FETCH_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_NONE
    GOTO_S s_mode2                                     /* the resume landed in M */
s_mode2:
    /* ---- a VA above the Sv39 range (bits 63:39 not all equal to bit 38) faults */
    NEXT_CASE
    li s0, 0x0000008000000000
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    /* ---- W without R is reserved */
    NEXT_CASE
    li s0, VA_WO
    EXPECT_TRAP_M
    sd a1, 0(s0)
    CHECK_MTRAP CAUSE_STORE_PAGE
    NEXT_CASE
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    /* ---- U page from S: fault without SUM, allowed with SUM */
    NEXT_CASE
    li s0, VA_USER
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    NEXT_CASE
    li a1, MSTATUS_SUM
    csrs sstatus, a1
    ld a1, 0(s0)
    EXPECT a1, 0x3333
    sd a1, 8(s0)
    li a1, MSTATUS_SUM
    csrc sstatus, a1
    /* ---- execute-only page: loads fault unless MXR */
    NEXT_CASE
    li s0, VA_XO
    EXPECT_TRAP_M
    ld a1, 8(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    NEXT_CASE
    li a1, MSTATUS_MXR
    csrs sstatus, a1
    ld a1, 8(s0)
    EXPECT a1, 0x4444
    li a1, MSTATUS_MXR
    csrc sstatus, a1
    /* ---- 2 MiB megapage */
    NEXT_CASE
    li s0, VA_MEGA + 0x123450
    li a1, 0xabcdef
    sd a1, 0(s0)
    li s1, PA_MEGA + 0x123450                           /* same bytes through the gigapage */
    ld a2, 0(s1)
    EXPECT a2, 0xabcdef
    /* ---- megapage whose PPN is not 2 MiB aligned: page fault */
    NEXT_CASE
    li s0, VA_BADMEGA
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_BADMEGA
    /* ---- sfence.vma makes a changed PTE visible */
    NEXT_CASE
    la a2, page3
    SET_PTE l0, 2, a2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    sfence.vma
    li s0, VA_NONE
    ld a1, 0(s0)
    EXPECT a1, 0x3333
    la t1, l0
    sd zero, 16(t1)
    sfence.vma s0, zero
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    GOTO_M m1
m1:
    /* ---- page faults delegated to S */
    NEXT_CASE
    li a1, (1 << CAUSE_LOAD_PAGE) | (1 << CAUSE_STORE_PAGE)
    csrw medeleg, a1
    GOTO_S s_mode3
s_mode3:
    li s0, VA_NONE
    EXPECT_TRAP_S
    ld a1, 24(s0)
    CHECK_STRAP CAUSE_LOAD_PAGE
    CHECK_FIELD s_frame, F_TVAL, VA_NONE + 24
    NEXT_CASE
    li s0, VA_RO
    EXPECT_TRAP_S
    sw a1, 0(s0)
    CHECK_STRAP CAUSE_STORE_PAGE
    CHECK_FIELD s_frame, F_TVAL, VA_RO
    GOTO_M m2
m2:
    csrw medeleg, zero
    /* ---- U-mode: runs from the U alias; supervisor pages fault */
    NEXT_CASE
    li t0, MSTATUS_MPP | MSTATUS_MPIE
    csrc mstatus, t0
    la t0, u_code
    li t1, U_ALIAS
    add t0, t0, t1
    csrw mepc, t0
    la t5, m_frame                                     /* arm the trap from M */
    la t6, u_back
    sd t6, F_RESUME(t5)
    li t6, 1
    sd t6, F_EXPECT(t5)
    mret
u_code:
    li s0, VA_USER
    ld a1, 0(s0)                                       /* U page: fine */
    li s0, VA_RW
    ld a1, 0(s0)                                       /* S page: load page fault */
    j fail
u_back:
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_RW
    /* ---- MPRV: M-mode loads translated as MPP */
    NEXT_CASE
    li a1, MSTATUS_MPP
    csrc mstatus, a1
    li a1, MSTATUS_MPP_S | MSTATUS_MPRV
    csrs mstatus, a1
    li s0, VA_RW
    ld a1, 0(s0)                                       /* S view: mapped */
    li a2, MSTATUS_MPRV
    csrc mstatus, a2
    EXPECT a1, 0x1111
    NEXT_CASE
    EXPECT_TRAP_M
    li a1, MSTATUS_MPRV
    csrs mstatus, a1
    li s0, VA_USER
    ld a1, 0(s0)                                       /* S view of a U page, SUM=0: fault */
    li a2, MSTATUS_MPRV
    csrc mstatus, a2
    CHECK_MTRAP CAUSE_LOAD_PAGE
    csrw satp, zero
    sfence.vma
    TEST_PASS

    .section .pagetables, "aw", @nobits
    .align 12
l2:    .zero 4096
l1:    .zero 4096
l0:    .zero 4096
page0: .zero 4096
page1: .zero 4096
page3: .zero 4096
page4: .zero 4096
page5: .zero 4096
