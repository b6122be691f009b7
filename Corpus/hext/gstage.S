/*
 * gstage.S — two-stage address translation: VS bare + G-stage Sv39x4, VS Sv39 + Sv39x4,
 * G-stage Sv48x4; guest-page faults (causes 20, 21, 23) taken to M and to HS with their
 * tval (the guest virtual address), tval2/htval (the guest physical address >> 2), tinst,
 * and the GVA bit; faults of the implicit VS-stage page-table accesses (htval = the PTE's
 * GPA >> 2, tinst = a pseudoinstruction or 0); GPAs beyond the Sv39x4 range; and the A/D
 * bits of VS-stage and G-stage PTEs (printed: hardware update or fault, whichever happens).
 *
 * Spec: Privileged spec 1.12 chapter 8: §8.5.1 G-stage (Sv39x4: 41-bit GPA, 16 KiB root,
 * U=1 required on every leaf, faults are guest-page faults 20/21/23); §8.5.2 "the VS-stage
 * page-table accesses are themselves translated by the G-stage"; §8.6.3 htval/mtval2 hold
 * the faulting GPA shifted right by 2, stval/mtval the guest virtual address and GVA=1;
 * §8.6.3 Table 8.12 tinst values (transformed instruction, 0, or for an implicit VS-stage
 * PTE access 0x00003000 read / 0x00003020 write in RV64; 0x00002000/0x00002020 for RV32);
 * §4.3.1 A/D: either hardware update or a page fault.
 */
#include "hyp.h"

#define GPA_TEST   0xC0000000             /* g_root[3] -> g_l1 -> g_l0 */
#define GPA_OK     (GPA_TEST + 0x0000)    /* -> data0, URW */
#define GPA_NONE   (GPA_TEST + 0x1000)    /* invalid */
#define GPA_RO     (GPA_TEST + 0x2000)    /* -> ro_page, UR (holds a VS page table) */
#define GPA_NOU    (GPA_TEST + 0x3000)    /* -> data0, RW without U */
#define GPA_NOAD   (GPA_TEST + 0x4000)    /* -> data1, URW with A=D=0 */
#define VA_TEST    0x40000000             /* vs_root[1] -> vs_l1 */
#define VA_OK      (VA_TEST + 0x0000)     /* vs_l0[0] -> GPA_OK */
#define VA_GNONE   (VA_TEST + 0x1000)     /* vs_l0[1] -> GPA_NONE */
#define VA_GRO     (VA_TEST + 0x2000)     /* vs_l0[2] -> GPA_RO */
#define VA_VSNOAD  (VA_TEST + 0x3000)     /* vs_l0[3] -> GPA_OK with A=D=0 */
#define VA_WALKBAD 0x40200000             /* vs_l1[1] -> table at GPA_NONE */
#define VA_WALKRO  0x40400000             /* vs_l1[2] -> table at GPA_RO, leaf A=0 */
#define GPA_FAR    0x20000000000          /* bit 41: beyond Sv39x4's 41-bit GPA */
#define GPTE_TABLE PTE_V

/* table[index] = PTE for the physical address in `pa` with `flags`. Clobbers t0, t1. */
.macro SET_PTE table, index, pa, flags
    srli t0, \pa, 12
    slli t0, t0, 10
    li t1, \flags
    or t0, t0, t1
    la t1, \table
    sd t0, (\index * 8)(t1)
.endm

/* A guest load that must fault into `frame`: prints the record under `text`. */
.macro FAULT_LOAD frame, text, addr, cause
    NEXT_CASE
    li s0, \addr
    EXPECT_TRAP_AT \frame, 0
    ld s1, 0(s0)
    CHECK_HTRAP \frame, \cause
    SHOW_TRAP "\text", \frame
.endm

.macro FAULT_STORE frame, text, addr, cause
    NEXT_CASE
    li s0, \addr
    EXPECT_TRAP_AT \frame, 0
    sd s0, 0(s0)
    CHECK_HTRAP \frame, \cause
    SHOW_TRAP "\text", \frame
.endm

TEST_START gstage
    HYP_INIT
    /* ---- G-stage tables for GPA 0xC000_0000.. */
    la a1, g_l1
    SET_PTE g_root, 3, a1, GPTE_TABLE
    la a1, g_l0
    SET_PTE g_l1, 0, a1, GPTE_TABLE
    la a1, data0
    SET_PTE g_l0, 0, a1, GPTE_LEAF & ~PTE_X
    la a1, ro_page
    SET_PTE g_l0, 2, a1, PTE_V | PTE_R | PTE_U | PTE_A
    la a1, data0
    SET_PTE g_l0, 3, a1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    la a1, data1
    SET_PTE g_l0, 4, a1, PTE_V | PTE_R | PTE_W | PTE_U
    /* ---- VS-stage tables for VA 0x4000_0000.. (addresses in them are GPAs) */
    la a1, vs_l1
    SET_PTE vs_root, 1, a1, PTE_V
    la a1, vs_l0
    SET_PTE vs_l1, 0, a1, PTE_V
    li a1, GPA_NONE
    SET_PTE vs_l1, 1, a1, PTE_V
    li a1, GPA_RO
    SET_PTE vs_l1, 2, a1, PTE_V
    li a1, GPA_OK
    SET_PTE vs_l0, 0, a1, VPTE_LEAF & ~PTE_X
    li a1, GPA_NONE
    SET_PTE vs_l0, 1, a1, VPTE_LEAF & ~PTE_X
    li a1, GPA_RO
    SET_PTE vs_l0, 2, a1, VPTE_LEAF & ~PTE_X
    li a1, GPA_OK
    SET_PTE vs_l0, 3, a1, PTE_V | PTE_R | PTE_W
    li a1, GPA_OK                       /* the table in the G-read-only page: leaf with A=0 */
    SET_PTE ro_page, 0, a1, PTE_V | PTE_R | PTE_W
    li a1, 0x1111
    la a2, data0
    sd a1, 0(a2)
    li a1, 0x2222
    la a2, data1
    sd a1, 0(a2)
    hfence.gvma

    /* ================= VS bare + G-stage Sv39x4, faults to M */
    M_GOTO_VS vs_bare
vs_bare:
    NEXT_CASE
    li s0, GPA_OK
    ld s1, 0(s0)
    SHOW "VS bare load GPA_OK", s1
    HEXPECT s1, 0x1111
    FAULT_LOAD hm_frame, "load GPA invalid -> M", GPA_NONE + 8, CAUSE_LOAD_GUEST_PAGE
    CHECK_HFIELD hm_frame, F_TVAL, GPA_NONE + 8
    CHECK_HFIELD hm_frame, F_TVAL2, (GPA_NONE + 8) >> 2
    FAULT_STORE hm_frame, "store GPA read-only -> M", GPA_RO + 16, CAUSE_STORE_GUEST_PAGE
    CHECK_HFIELD hm_frame, F_TVAL2, (GPA_RO + 16) >> 2
    NEXT_CASE
    li s0, GPA_RO
    EXPECT_TRAP_MH
    amoadd.d s1, s0, (s0)
    CHECK_HTRAP hm_frame, CAUSE_STORE_GUEST_PAGE
    SHOW_TRAP "amo GPA read-only -> M", hm_frame
    FAULT_LOAD hm_frame, "load G leaf without U -> M", GPA_NOU, CAUSE_LOAD_GUEST_PAGE
    FAULT_LOAD hm_frame, "load GPA beyond Sv39x4 -> M", GPA_FAR + 0x40, CAUSE_LOAD_GUEST_PAGE
    NEXT_CASE
    li s0, GPA_NONE + 0x20
    EXPECT_TRAP_MH m_after_fetch
    jalr s0
    j hfail
m_after_fetch:
    CHECK_HTRAP hm_frame, CAUSE_FETCH_GUEST_PAGE
    SHOW_TRAP "fetch GPA invalid -> M", hm_frame
    CHECK_HFIELD hm_frame, F_TVAL2, (GPA_NONE + 0x20) >> 2

    /* ---- G-stage A/D: leaf with A=D=0 (QEMU 7.2 sets them in hardware; a fault is also legal) */
    M_GOTO_VS vs_gad
vs_gad:
    NEXT_CASE
    li s0, GPA_NOAD
    EXPECT_TRAP_MH
    ld s1, 0(s0)
    la t0, g_l0
    ld s2, 32(t0)
    andi s2, s2, PTE_A | PTE_D
    SHOW "G leaf A|D after load", s2
    EXPECT_TRAP_MH
    sd s0, 8(s0)
    la t0, g_l0
    ld s2, 32(t0)
    andi s2, s2, PTE_A | PTE_D
    SHOW "G leaf A|D after store", s2
    la t0, hm_frame
    ld s3, F_COUNT(t0)
    SHOW "M traps so far", s3
    la t0, hm_frame                 /* no fault expected any more */
    sd zero, F_EXPECT(t0)

    /* ================= the same faults delegated to HS */
    GOTO_M m_deleg
m_deleg:
    li t0, (1 << CAUSE_FETCH_GUEST_PAGE) | (1 << CAUSE_LOAD_GUEST_PAGE) | (1 << CAUSE_STORE_GUEST_PAGE)
    csrw medeleg, t0
    M_GOTO_VS vs_deleg
vs_deleg:
    FAULT_LOAD hs_frame, "load GPA invalid -> HS", GPA_NONE + 8, CAUSE_LOAD_GUEST_PAGE
    CHECK_HFIELD hs_frame, F_TVAL, GPA_NONE + 8
    CHECK_HFIELD hs_frame, F_TVAL2, (GPA_NONE + 8) >> 2
    FAULT_STORE hs_frame, "store GPA read-only -> HS", GPA_RO + 16, CAUSE_STORE_GUEST_PAGE
    NEXT_CASE
    li s0, GPA_NONE + 0x20
    EXPECT_TRAP_HS hs_after_fetch
    jalr s0
    j hfail
hs_after_fetch:
    CHECK_HTRAP hs_frame, CAUSE_FETCH_GUEST_PAGE
    SHOW_TRAP "fetch GPA invalid -> HS", hs_frame
    la t0, hs_frame
    ld s0, F_HSTATUS(t0)
    andi s0, s0, HSTATUS_GVA | HSTATUS_SPV
    SHOW "hstatus GVA|SPV", s0
    HEXPECT s0, HSTATUS_GVA | HSTATUS_SPV

    /* ================= VS Sv39 + G Sv39x4 (still delegated to HS) */
    NEXT_CASE
    jal hyp_enable_vsstage
    HS_GOTO_VS vs_sv39
vs_sv39:
    NEXT_CASE
    li s0, VA_OK
    ld s1, 0(s0)
    SHOW "VS sv39 load VA_OK", s1
    HEXPECT s1, 0x1111
    FAULT_LOAD hs_frame, "sv39 load VA->GPA invalid -> HS", VA_GNONE + 8, CAUSE_LOAD_GUEST_PAGE
    CHECK_HFIELD hs_frame, F_TVAL, VA_GNONE + 8
    CHECK_HFIELD hs_frame, F_TVAL2, (GPA_NONE + 8) >> 2
    FAULT_STORE hs_frame, "sv39 store VA->GPA read-only -> HS", VA_GRO + 24, CAUSE_STORE_GUEST_PAGE
    CHECK_HFIELD hs_frame, F_TVAL2, (GPA_RO + 24) >> 2
    /* implicit VS-stage walk read at an unmapped GPA: htval is the PTE's GPA */
    FAULT_LOAD hs_frame, "sv39 walk read fault (load)", VA_WALKBAD + 0x10, CAUSE_LOAD_GUEST_PAGE
    CHECK_HFIELD hs_frame, F_TVAL, VA_WALKBAD + 0x10
    CHECK_HFIELD hs_frame, F_TVAL2, GPA_NONE >> 2
    /* spec: a store's walk fault is a store guest-page fault (23); printed, not checked */
    NEXT_CASE
    li s0, VA_WALKBAD + 0x18
    EXPECT_TRAP_HS
    sd s0, 0(s0)
    SHOW_TRAP "sv39 walk read fault (store)", hs_frame
    /* VS-stage A/D: leaf with A=D=0 in a G-writable table */
    NEXT_CASE
    li s0, VA_VSNOAD
    EXPECT_TRAP_HS
    ld s1, 0(s0)
    la t0, vs_l0
    ld s2, 24(t0)
    andi s2, s2, PTE_A | PTE_D
    SHOW "VS leaf A|D after load", s2
    EXPECT_TRAP_HS
    sd s0, 32(s0)
    la t0, vs_l0
    ld s2, 24(t0)
    andi s2, s2, PTE_A | PTE_D
    SHOW "VS leaf A|D after store", s2
    /* VS leaf with A=0 in a table that the G-stage maps read-only: setting A is a write */
    NEXT_CASE
    li s0, VA_WALKRO
    EXPECT_TRAP_HS
    ld s1, 0(s0)
    la t0, ro_page
    ld s2, 0(t0)
    andi s2, s2, PTE_A | PTE_D
    SHOW "VS leaf in G-read-only table A|D", s2
    SHOW_TRAP "last HS trap", hs_frame
    la t0, hs_frame
    sd zero, F_EXPECT(t0)
    GOTO_M m_sv48

    /* ================= G-stage Sv48x4, VS bare */
m_sv48:
    NEXT_CASE
    csrw vsatp, zero
    la a1, g48_l2
    SET_PTE g48_root, 0, a1, GPTE_TABLE
    li a1, 0
    SET_PTE g48_l2, 0, a1, GPTE_LEAF
    li a1, 0x80000000
    SET_PTE g48_l2, 2, a1, GPTE_LEAF
    la a1, g_l1
    SET_PTE g48_l2, 3, a1, GPTE_TABLE
    la t0, g48_root
    srli t0, t0, 12
    li t1, HGATP_SV48X4
    or t0, t0, t1
    csrw hgatp, t0
    csrr s0, hgatp
    srli s0, s0, 60
    SHOW "hgatp mode (Sv48x4)", s0
    HEXPECT s0, 9
    hfence.gvma
    M_GOTO_VS vs_sv48
vs_sv48:
    NEXT_CASE
    li s0, GPA_OK
    ld s1, 0(s0)
    SHOW "Sv48x4 load GPA_OK", s1
    HEXPECT s1, 0x1111
    FAULT_LOAD hs_frame, "Sv48x4 load GPA invalid -> HS", GPA_NONE + 8, CAUSE_LOAD_GUEST_PAGE
    CHECK_HFIELD hs_frame, F_TVAL2, (GPA_NONE + 8) >> 2
    /* bit 41 is inside Sv48x4's 50-bit GPA: unmapped (g48_root[0] covers 0..512 GiB only
       through g48_l2 entries 0..3), so it faults with the full GPA in htval */
    FAULT_LOAD hs_frame, "Sv48x4 load GPA 2^41 -> HS", GPA_FAR, CAUSE_LOAD_GUEST_PAGE
    CHECK_HFIELD hs_frame, F_TVAL2, GPA_FAR >> 2
    GOTO_M done
done:
    TEST_PASS

    .section .pagetables, "aw", @nobits
    .align 14
g48_root: .zero 16384
    .align 12
g_l1:    .zero 4096
g_l0:    .zero 4096
vs_l1:   .zero 4096
vs_l0:   .zero 4096
ro_page: .zero 4096
data0:   .zero 4096
data1:   .zero 4096
g48_l2:  .zero 4096
