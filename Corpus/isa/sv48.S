/*
 * sv48.S — Sv48 address translation: the four-level walk with 4 KiB pages and 2 MiB, 1 GiB
 * and 512 GiB superpages (mega-, giga- and terapages), misaligned superpages at every level,
 * canonical-address checking (bits 63:48 must equal bit 47; a non-canonical virtual address
 * gives a page fault with stval/mtval = that address), the upper half of the address space,
 * load/store/fetch page faults (causes 13, 15, 12), hardware A/D updates (as QEMU 7.2 does)
 * on leaves and superpage leaves, a pointer PTE at the last level, reserved PTE bits 63:54,
 * the U bit versus S-mode with and without SUM, MXR for execute-only pages, MPRV, U-mode
 * access to supervisor pages, page faults delegated to S, satp writes with an unsupported
 * MODE, and sfence.vma after changing the root table.
 *
 * Spec: Privileged spec 1.12 §4.3.2 (translation algorithm: invalid or W&!R -> fault, a
 * pointer at level 0 -> fault, misaligned superpage -> fault, A/D update), §4.5 Sv48 (four
 * levels VPN[3:0], VA bits 63:48 equal to bit 47, PTE format as Sv39 with bits 63:54 reserved),
 * §4.1.11 satp (MODE 9 = Sv48; an unsupported MODE makes the whole write have no effect),
 * §4.1.1 SUM and MXR, §3.1.6.3 MPRV.
 *
 * Layout (S-mode VAs):
 *   0x0000_0000_8000_0000  1 GiB gigapage, identity, RWX, S only: the program and its data;
 *   0x0000_0000_C000_0000  the same 1 GiB with U set, for U-mode code;
 *   0x0000_0000_4000_0000  4 KiB test pages (level-0 table) and 2 MiB megapages;
 *   0x0000_0001_0000_0000  gigapage with a misaligned PPN;
 *   0x0000_0001_4000_0000  gigapage -> PA 0x8000_0000 with A = D = 0;
 *   0x0000_0080_0000_0000  512 GiB terapage -> PA 0 (so PA x is at VA 0x80_0000_0000 + x);
 *   0x0000_0100_0000_0000  terapage with a misaligned PPN;
 *   0x0000_0180_0000_0000  pointer whose next-level table is all invalid;
 *   0xFFFF_FF80_0000_0000  terapage -> PA 0 in the upper half (root entry 511).
 * Root entry 256 (the first upper-half entry) is also a valid terapage, so an implementation
 * that skipped the canonical check would translate 0x0000_8000_xxxx_xxxx instead of faulting.
 */
#include "test.h"

#define TEST_VA    0x40000000
#define VA_RW      (TEST_VA + 0x0000)     /* RW, A = D = 0 initially */
#define VA_RO      (TEST_VA + 0x1000)     /* R only */
#define VA_NONE    (TEST_VA + 0x2000)     /* invalid */
#define VA_USER    (TEST_VA + 0x3000)     /* RW + U */
#define VA_XO      (TEST_VA + 0x4000)     /* X only */
#define VA_WO      (TEST_VA + 0x5000)     /* W without R: reserved */
#define VA_PTR0    (TEST_VA + 0x6000)     /* a pointer PTE at level 0 */
#define VA_RSVD    (TEST_VA + 0x7000)     /* leaf with reserved bit 60 set */
#define VA_MEGA    0x40200000             /* 2 MiB page -> PA 0x8040_0000 */
#define PA_MEGA    0x80400000
#define VA_BADMEGA 0x40400000             /* 2 MiB page with a misaligned PPN */
#define VA_BADGIGA 0x100000000            /* 1 GiB page with a misaligned PPN */
#define VA_GIGA_AD 0x140000000            /* 1 GiB page -> PA 0x8000_0000, A = D = 0 */
#define VA_TERA    0x8000000000           /* root entry 1: 512 GiB page -> PA 0 */
#define VA_BADTERA 0x10000000000          /* root entry 2: misaligned terapage */
#define VA_EMPTY   0x18000000000          /* root entry 3: pointer to an all-invalid table */
#define VA_HIGH    0xFFFFFF8000000000     /* root entry 511: terapage -> PA 0 */
#define VA_NC_LOW  0x0000800080000000     /* bit 47 set, 63:48 clear: not canonical */
#define VA_NC_HIGH 0xFFFF000080000000     /* bit 47 clear, 63:48 set: not canonical */
#define VA_NC_TOP  0x8000000080000000     /* only bit 63 set above bit 47 */
#define U_ALIAS    0x40000000             /* VA 0xC000_0000 - 0x8000_0000 */
#define GIGA_AD_OFFSET (VA_GIGA_AD - 0x80000000)
#define PTE_LEAF_RWX (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define PTE_RESERVED_60 (1 << 60)

/* table[index] = PTE for physical address in register pa with flags. Clobbers t0, t1. */
.macro SET_PTE table, index, pa, flags
    srli t0, \pa, 12
    slli t0, t0, 10
    li t1, \flags
    or t0, t0, t1
    la t1, \table + \index * 8
    sd t0, 0(t1)
.endm

/* Fails unless the A/D bits of the PTE at table[index] equal `bits`. Clobbers a2, a3. */
.macro EXPECT_AD table, index, bits
    la a2, \table
    ld a2, (\index * 8)(a2)
    andi a3, a2, PTE_A | PTE_D
    EXPECT a3, \bits
.endm

TEST_START sv48
    /* ---- build the tables */
    la a1, l2
    SET_PTE l3, 0, a1, PTE_V
    li a1, 0
    SET_PTE l3, 1, a1, PTE_LEAF_RWX
    li a1, 0x80000000
    SET_PTE l3, 2, a1, PTE_LEAF_RWX                    /* PPN not 512 GiB aligned */
    la a1, lempty
    SET_PTE l3, 3, a1, PTE_V
    li a1, 0
    SET_PTE l3, 256, a1, PTE_LEAF_RWX
    SET_PTE l3, 511, a1, PTE_LEAF_RWX
    li a1, 0x80000000
    SET_PTE l2, 2, a1, PTE_LEAF_RWX | PTE_G
    SET_PTE l2, 3, a1, PTE_LEAF_RWX | PTE_U
    SET_PTE l2, 5, a1, PTE_V | PTE_R | PTE_W           /* A = D = 0 */
    li a1, 0x80200000
    SET_PTE l2, 4, a1, PTE_LEAF_RWX                    /* PPN not 1 GiB aligned */
    la a1, l1
    SET_PTE l2, 1, a1, PTE_V
    la a1, l0
    SET_PTE l1, 0, a1, PTE_V
    li a1, PA_MEGA
    SET_PTE l1, 1, a1, PTE_LEAF_RWX & ~PTE_X
    li a1, PA_MEGA + 0x1000
    SET_PTE l1, 2, a1, PTE_LEAF_RWX & ~PTE_X           /* PPN not 2 MiB aligned */
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
    la a1, page5
    SET_PTE l0, 6, a1, PTE_V                           /* pointer at level 0 */
    la a1, page1
    SET_PTE l0, 7, a1, PTE_V | PTE_R | PTE_A | PTE_RESERVED_60
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
    li a1, 0x7777
    la a2, marker
    sd a1, 0(a2)

    /* ---- satp: Sv48 is supported; an unsupported MODE leaves satp unchanged */
    NEXT_CASE
    la a1, l3
    srli a1, a1, 12
    li a2, SATP_SV48
    or a1, a1, a2
    csrw satp, a1
    csrr a3, satp
    EXPECT_REG a3, a1
    NEXT_CASE
    li a2, (5 << 60) | 0x1234                          /* MODE 5 is reserved */
    csrw satp, a2
    csrr a3, satp
    EXPECT_REG a3, a1
    sfence.vma
    GOTO_S s_mode
s_mode:
    /* ---- 4 KiB page through four levels, and the A/D bits */
    NEXT_CASE
    li s0, VA_RW
    ld a1, 0(s0)
    EXPECT a1, 0x1111
    EXPECT_AD l0, 0, PTE_A                             /* read: A set, D still clear */
    NEXT_CASE
    li a1, 0x2222
    sd a1, 8(s0)
    EXPECT_AD l0, 0, PTE_A | PTE_D                     /* write: D set */
    la a2, page0
    ld a3, 8(a2)
    EXPECT a3, 0x2222
    NEXT_CASE
    EXPECT_AD l1, 0, 0                                 /* pointers are not marked */
    EXPECT_AD l2, 1, 0
    EXPECT_AD l3, 0, 0
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
    amoor.w a1, a1, (s0)                               /* AMO: store page fault */
    CHECK_MTRAP CAUSE_STORE_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_RO
    /* ---- invalid page */
    NEXT_CASE
    li s0, VA_NONE
    EXPECT_TRAP_M
    lw a1, 4(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_NONE + 4
    NEXT_CASE
    EXPECT_TRAP_M
    sh a1, 2(s0)
    CHECK_MTRAP CAUSE_STORE_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_NONE + 2
    NEXT_CASE
    EXPECT_TRAP_M s_after_fetch
    jalr s0
    j fail
s_after_fetch:
    CHECK_MTRAP CAUSE_FETCH_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_NONE
    GOTO_S s_mode2                                     /* the resume landed in M */
s_mode2:
    /* ---- W without R is reserved; a pointer at level 0 and reserved bits 63:54 fault */
    NEXT_CASE
    li s0, VA_WO
    EXPECT_TRAP_M
    sd a1, 0(s0)
    CHECK_MTRAP CAUSE_STORE_PAGE
    NEXT_CASE
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    NEXT_CASE
    li s0, VA_PTR0
    EXPECT_TRAP_M
    ld a1, 8(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_PTR0 + 8
    NEXT_CASE
    li s0, VA_RSVD
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_RSVD
    NEXT_CASE
    li s0, VA_EMPTY + 0x12345678                      /* invalid entry in a level-2 table */
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_EMPTY + 0x12345678
    /* ---- U page from S: fault without SUM, allowed with SUM */
    NEXT_CASE
    li s0, VA_USER
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_USER
    NEXT_CASE
    li a1, MSTATUS_SUM
    csrs sstatus, a1
    ld a1, 0(s0)
    EXPECT a1, 0x3333
    sd a1, 8(s0)
    NEXT_CASE
    EXPECT_TRAP_M s_after_ufetch                       /* SUM never allows fetching U pages */
    li t0, U_ALIAS
    la t1, s_ufetch_target
    add t0, t0, t1
    jalr t0
    j fail
s_ufetch_target:
    j fail
s_after_ufetch:
    CHECK_MTRAP CAUSE_FETCH_PAGE
    GOTO_S s_mode3
s_mode3:
    li a1, MSTATUS_SUM
    csrc sstatus, a1
    /* ---- execute-only page: loads fault unless MXR; stores fault either way */
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
    EXPECT_TRAP_M
    sd a1, 8(s0)
    CHECK_MTRAP CAUSE_STORE_PAGE
    li a1, MSTATUS_MXR
    csrc sstatus, a1
    /* ---- 2 MiB megapage, and a misaligned one */
    NEXT_CASE
    li s0, VA_MEGA + 0x123450
    li a1, 0xabcdef
    sd a1, 0(s0)
    li s1, PA_MEGA + 0x123450                          /* same bytes through the gigapage */
    ld a2, 0(s1)
    EXPECT a2, 0xabcdef
    NEXT_CASE
    li s0, VA_BADMEGA + 0x18
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_BADMEGA + 0x18
    /* ---- 1 GiB gigapage with A = D = 0: the walk sets them; a misaligned gigapage faults */
    NEXT_CASE
    la s0, marker
    li t0, GIGA_AD_OFFSET
    add s0, s0, t0
    ld a1, 0(s0)
    EXPECT a1, 0x7777
    EXPECT_AD l2, 5, PTE_A
    NEXT_CASE
    li a1, 0x7878
    sd a1, 8(s0)
    EXPECT_AD l2, 5, PTE_A | PTE_D
    la a2, marker
    ld a3, 8(a2)
    EXPECT a3, 0x7878
    NEXT_CASE
    li s0, VA_BADGIGA + 0x2468
    EXPECT_TRAP_M
    sd a1, 0(s0)
    CHECK_MTRAP CAUSE_STORE_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_BADGIGA + 0x2468
    /* ---- 512 GiB terapage, and a misaligned one */
    NEXT_CASE
    la s0, marker
    li t0, VA_TERA
    add s0, s0, t0                                     /* VA 0x80_0000_0000 + PA */
    ld a1, 0(s0)
    EXPECT a1, 0x7777
    li a1, 0x7979
    sd a1, 16(s0)
    la a2, marker
    ld a3, 16(a2)
    EXPECT a3, 0x7979
    NEXT_CASE
    li s0, VA_TERA + 0x90000000                        /* PA 0x9000_0000: past RAM, no device */
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_ACCESS                      /* translated, then no memory */
    CHECK_FIELD m_frame, F_TVAL, VA_TERA + 0x90000000
    NEXT_CASE
    li s0, VA_BADTERA + 0x80000000
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_BADTERA + 0x80000000
    NEXT_CASE
    EXPECT_TRAP_M s_after_badtera
    jalr s0
    j fail
s_after_badtera:
    CHECK_MTRAP CAUSE_FETCH_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_BADTERA + 0x80000000
    GOTO_S s_mode4
s_mode4:
    /* ---- the upper half: root entry 511, and code running there */
    NEXT_CASE
    la s0, marker
    li t0, VA_HIGH
    add s0, s0, t0
    ld a1, 0(s0)
    EXPECT a1, 0x7777
    NEXT_CASE
    la t0, s_high_code
    li t1, VA_TERA                                     /* fetch through the terapage */
    add t0, t0, t1
    jalr t0
    j fail
s_high_code:
    auipc a1, 0                                        /* runs at VA 0x80_xxxx_xxxx */
    li a2, VA_TERA
    bltu a1, a2, 1f
    la t0, s_back_low                                  /* pc-relative: the high alias */
    li t1, VA_TERA
    sub t0, t0, t1
    jr t0
1:  j fail
s_back_low:
    /* ---- non-canonical addresses: page fault with the full address in stval */
    NEXT_CASE
    li s0, VA_NC_LOW
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_NC_LOW
    NEXT_CASE
    li s0, VA_NC_HIGH
    EXPECT_TRAP_M
    sw a1, 4(s0)
    CHECK_MTRAP CAUSE_STORE_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_NC_HIGH + 4
    NEXT_CASE
    li s0, VA_NC_TOP
    EXPECT_TRAP_M
    lbu a1, 1(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_NC_TOP + 1
    NEXT_CASE
    li s0, VA_NC_LOW
    EXPECT_TRAP_M s_after_ncfetch
    jalr s0
    j fail
s_after_ncfetch:
    CHECK_MTRAP CAUSE_FETCH_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_NC_LOW
    GOTO_S s_mode5
s_mode5:
    /* ---- the VA that is out of range for Sv39 is an ordinary address for Sv48 */
    NEXT_CASE
    li s0, 0x0000008000000000 + 0x80000000
    la a1, marker
    li t0, 0x80000000
    sub a1, a1, t0
    add s0, s0, a1
    ld a1, 0(s0)
    EXPECT a1, 0x7777
    /* ---- sfence.vma makes changed PTEs visible: a leaf, then a root entry */
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
    NEXT_CASE
    la t1, l3
    sd zero, 8(t1)                                     /* root entry 1 (the terapage) */
    sfence.vma
    li s0, VA_TERA + 0x80000000
    EXPECT_TRAP_M
    ld a1, 0(s0)
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_TERA + 0x80000000
    GOTO_M m1
m1:
    /* ---- page faults delegated to S */
    NEXT_CASE
    li a1, (1 << CAUSE_LOAD_PAGE) | (1 << CAUSE_STORE_PAGE) | (1 << CAUSE_FETCH_PAGE)
    csrw medeleg, a1
    GOTO_S s_mode6
s_mode6:
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
    NEXT_CASE
    li s0, VA_NC_HIGH
    EXPECT_TRAP_S
    ld a1, 0(s0)
    CHECK_STRAP CAUSE_LOAD_PAGE
    CHECK_FIELD s_frame, F_TVAL, VA_NC_HIGH
    NEXT_CASE
    li s0, VA_NONE
    EXPECT_TRAP_S s_after_sfetch
    jalr s0
    j fail
s_after_sfetch:
    CHECK_STRAP CAUSE_FETCH_PAGE
    CHECK_FIELD s_frame, F_TVAL, VA_NONE
    GOTO_M m2
m2:
    csrw medeleg, zero
    /* ---- U-mode: runs from the U alias; supervisor pages and the terapage fault */
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
    li s0, VA_HIGH + 0x80000000
    ld a1, 0(s0)                                       /* S terapage: load page fault */
    j fail
u_back:
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_HIGH + 0x80000000
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
    li s0, VA_NC_LOW
    ld a1, 0(s0)                                       /* S view, not canonical: fault */
    li a2, MSTATUS_MPRV
    csrc mstatus, a2
    CHECK_MTRAP CAUSE_LOAD_PAGE
    CHECK_FIELD m_frame, F_TVAL, VA_NC_LOW
    csrw satp, zero
    sfence.vma
    TEST_PASS

    .data
    .align 3
marker: .dword 0, 0, 0

    .section .pagetables, "aw", @nobits
    .align 12
l3:     .zero 4096
l2:     .zero 4096
l1:     .zero 4096
l0:     .zero 4096
lempty: .zero 4096
page0:  .zero 4096
page1:  .zero 4096
page3:  .zero 4096
page4:  .zero 4096
page5:  .zero 4096
