/*
 * hlsv.S — hypervisor virtual-machine loads and stores: HLV.{B,BU,H,HU,W,WU,D}, HLVX.{HU,WU}
 * and HSV.{B,H,W,D} from HS-mode and from U-mode with hstatus.HU=1; the effective privilege
 * hstatus.SPVP (1: VS supervisor, 0: VU user, so the VS-stage U bit and vsstatus.SUM apply);
 * HLVX reading an execute-only page; the VS-stage page fault (13/15) and guest-page fault
 * (21/23) they raise, with tval = the guest virtual address, htval = GPA >> 2 and GVA = 1.
 *
 * Spec: Privileged spec 1.12 §8.3.2 "Hypervisor Virtual-Machine Load and Store Instructions"
 * (translated as if V=1 at privilege SPVP; HLVX needs execute permission, not read; valid in
 * M, HS, and U when HU=1); §8.2.1 SPVP/HU; §8.6.3 GVA and htval on their faults.
 */
#include "hyp.h"

#define VA_TEST   0x40000000             /* vs_root[1] -> vs_l1 -> vs_l0 */
#define VA_SUP    (VA_TEST + 0x0000)     /* -> data0, RW supervisor */
#define VA_USER   (VA_TEST + 0x1000)     /* -> data1, RW user */
#define VA_XO     (VA_TEST + 0x2000)     /* -> data2, execute-only */
#define VA_NONE   (VA_TEST + 0x3000)     /* invalid */
#define VA_GBAD   (VA_TEST + 0x4000)     /* -> GPA 0xC000_0000, which the G-stage leaves unmapped */
#define GPA_UNMAPPED 0xC0000000

.macro SET_PTE table, index, pa, flags
    srli t0, \pa, 12
    slli t0, t0, 10
    li t1, \flags
    or t0, t0, t1
    la t1, \table
    sd t0, (\index * 8)(t1)
.endm

/* HS-level fault from one hypervisor load/store; prints the record. */
.macro HFAULT text, cause, insn:vararg
    NEXT_CASE
    EXPECT_TRAP_HS
    \insn
    REPORT_TRAP hs_frame, "\text", 1
    CHECK_HFIELD hs_frame, F_CAUSE, \cause
.endm

/* An access QEMU 7.2 mishandles (DEVIATIONS.md): prints the loaded value and whatever trap
   reached M or HS, checks nothing. */
.macro ANY_OUTCOME text, insn:vararg
    NEXT_CASE
    li s1, 0
    EXPECT_TRAP_HS
    EXPECT_TRAP_MH
    \insn
    SHOW "\text value", s1
    REPORT_TRAP hm_frame, "\text at M", 0
    REPORT_TRAP hs_frame, "\text at HS", 0
.endm

TEST_START hlsv
    HYP_INIT
    la a1, vs_l1
    SET_PTE vs_root, 1, a1, PTE_V
    la a1, vs_l0
    SET_PTE vs_l1, 0, a1, PTE_V
    la a1, data0
    SET_PTE vs_l0, 0, a1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    la a1, data1
    SET_PTE vs_l0, 1, a1, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
    la a1, data2
    SET_PTE vs_l0, 2, a1, PTE_V | PTE_X | PTE_A
    li a1, GPA_UNMAPPED
    SET_PTE vs_l0, 4, a1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    li a1, 0x8877665544332281
    la a2, data0
    sd a1, 0(a2)
    li a1, 0x1111
    la a2, data1
    sd a1, 0(a2)
    li a1, 0xfedcba9876543210
    la a2, data2
    sd a1, 0(a2)
    jal hyp_enable_vsstage
    li t0, (1 << CAUSE_LOAD_PAGE) | (1 << CAUSE_STORE_PAGE) | (1 << CAUSE_LOAD_GUEST_PAGE) | (1 << CAUSE_STORE_GUEST_PAGE)
    csrw medeleg, t0
    li t0, HSTATUS_SPVP
    csrw hstatus, t0
    M_GOTO_HS hs1
hs1:
    /* ---- SPVP=1: supervisor view; widths and sign extension */
    NEXT_CASE
    li s0, VA_SUP
    hlv.b s1, (s0)
    SHOW "hlv.b", s1
    HEXPECT s1, 0xffffffffffffff81
    hlv.bu s1, (s0)
    SHOW "hlv.bu", s1
    HEXPECT s1, 0x81
    hlv.h s1, (s0)
    SHOW "hlv.h", s1
    HEXPECT s1, 0x2281
    hlv.hu s1, (s0)
    SHOW "hlv.hu", s1
    hlv.w s1, (s0)
    SHOW "hlv.w", s1
    HEXPECT s1, 0x44332281
    hlv.wu s1, (s0)
    SHOW "hlv.wu", s1
    hlv.d s1, (s0)
    SHOW "hlv.d", s1
    HEXPECT s1, 0x8877665544332281
    NEXT_CASE
    li s1, 0x5a
    hsv.b s1, (s0)
    li s1, 0x1234
    addi s2, s0, 2
    hsv.h s1, (s2)
    la t0, data0
    ld s1, 0(t0)
    SHOW "after hsv.b/hsv.h", s1
    HEXPECT s1, 0x887766551234225a
    li s1, 0x0badcafe
    hsv.w s1, (s0)
    li s1, 0x0123456789abcdef
    addi s2, s0, 8
    hsv.d s1, (s2)
    la t0, data0
    ld s1, 0(t0)
    ld s2, 8(t0)
    SHOW "after hsv.w", s1
    SHOW "after hsv.d", s2
    HEXPECT s2, 0x0123456789abcdef
    /* user page from the supervisor view: fault unless vsstatus.SUM (not mstatus.SUM) */
    li s0, VA_USER
    ANY_OUTCOME "SPVP=1 hlv.d user page SUM=0", hlv.d s1, (s0)   /* spec: load page fault at HS */
    NEXT_CASE
    li t0, MSTATUS_SUM
    csrs vsstatus, t0
    hlv.d s1, (s0)
    SHOW "SPVP=1 hlv.d user page vsstatus.SUM=1", s1
    HEXPECT s1, 0x1111
    li t0, MSTATUS_SUM
    csrc vsstatus, t0
    /* ---- SPVP=0: user view */
    NEXT_CASE
    li t0, HSTATUS_SPVP
    csrc hstatus, t0
    hlv.d s1, (s0)
    SHOW "SPVP=0 hlv.d user page", s1
    HEXPECT s1, 0x1111
    li s0, VA_SUP
    ANY_OUTCOME "SPVP=0 hlv.d supervisor page", hlv.d s1, (s0)   /* spec: load page fault at HS */
    ANY_OUTCOME "SPVP=0 hsv.d supervisor page", hsv.d s1, (s0)   /* spec: store page fault at HS */
    li t0, HSTATUS_SPVP
    csrs hstatus, t0
    /* ---- HLVX reads an execute-only page; HLV does not (no MXR) */
    /* spec: hlvx.wu -> 0x76543210, hlvx.hu -> 0x3210 */
    li s0, VA_XO
    ANY_OUTCOME "hlvx.wu execute-only", hlvx.wu s1, (s0)
    ANY_OUTCOME "hlvx.hu execute-only", hlvx.hu s1, (s0)
    ANY_OUTCOME "hlv.w execute-only", hlv.w s1, (s0)     /* spec: load page fault at HS */
    li s0, VA_SUP
    /* spec: load page fault (13) at HS */
    ANY_OUTCOME "hlvx.wu read-write no X", hlvx.wu s1, (s0)
    /* ---- faults: invalid VS PTE, G-stage unmapped GPA */
    li s0, VA_NONE + 8
    ANY_OUTCOME "hlv.d invalid VS PTE", hlv.d s1, (s0)     /* spec: load page fault at HS */
    li s0, VA_GBAD + 16
    HFAULT "hlv.d G-stage unmapped", CAUSE_LOAD_GUEST_PAGE, hlv.d s1, (s0)
    CHECK_HFIELD hs_frame, F_TVAL, VA_GBAD + 16
    CHECK_HFIELD hs_frame, F_TVAL2, (GPA_UNMAPPED + 16) >> 2
    HFAULT "hsv.w G-stage unmapped", CAUSE_STORE_GUEST_PAGE, hsv.w s1, (s0)
    NEXT_CASE
    la t0, hs_frame
    ld s1, F_HSTATUS(t0)
    andi s1, s1, HSTATUS_GVA | HSTATUS_SPV
    SHOW "hstatus GVA|SPV after hsv fault from HS", s1
    HEXPECT s1, HSTATUS_GVA

    /* ---- U-mode with HU=1 (faults still go to HS) */
    li t0, HSTATUS_HU
    csrs hstatus, t0
    GOTO_M m_u
m_u:
    li t0, 0x0badcafe               /* the SPVP=0 hsv.d above may have stored (QEMU 7.2 does) */
    la t1, data0
    sd t0, 0(t1)
    M_GOTO_U u1
u1:
    NEXT_CASE
    li s0, VA_SUP
    hlv.d s1, (s0)
    SHOW "U HU=1 SPVP=1 hlv.d", s1
    HEXPECT s1, 0x0badcafe
    li s1, 0x77
    hsv.b s1, (s0)
    hlv.bu s1, (s0)
    SHOW "U HU=1 hsv.b then hlv.bu", s1
    HEXPECT s1, 0x77
    li s0, VA_GBAD
    HFAULT "U HU=1 hlv.d G-stage unmapped", CAUSE_LOAD_GUEST_PAGE, hlv.d s1, (s0)
    GOTO_M done
done:
    TEST_PASS

    .section .pagetables, "aw", @nobits
    .align 12
vs_l1:   .zero 4096
vs_l0:   .zero 4096
data0:   .zero 4096
data1:   .zero 4096
data2:   .zero 4096
