/*
 * hfence.S — HFENCE.GVMA and HFENCE.VVMA: a G-stage or VS-stage PTE is changed while a
 * translation through it may be cached; the access before the fence may see the old or the
 * new mapping (printed: "stale" lines are implementation-defined), the access after the
 * fence must see the new one (checked). Both the global forms and the address-specific
 * forms (HFENCE.GVMA with rs1 = GPA >> 2, HFENCE.VVMA with rs1 = guest VA) are used.
 *
 * Spec: Privileged spec 1.12 §8.3.1 "Hypervisor Memory-Management Fence Instructions"
 * (HFENCE.GVMA orders G-stage PTE updates, rs1 holds the guest physical address shifted
 * right by 2; HFENCE.VVMA orders VS-stage updates for the current VMID, rs1 is a guest VA);
 * §4.2.1 (without a fence, either translation may be used).
 */
#include "hyp.h"

#define GPA_PAGE  0xC0000000             /* g_root[3] -> g_l1 -> g_l0[0] -> page_a or page_b */
#define GPA_PAGE2 0xC0001000             /* g_l0[1] -> page_b */
#define VA_PAGE   0x40000000             /* vs_root[1] -> vs_l1 -> vs_l0[0] -> GPA_PAGE or GPA_PAGE2 */

.macro SET_PTE table, index, pa, flags
    srli t0, \pa, 12
    slli t0, t0, 10
    li t1, \flags
    or t0, t0, t1
    la t1, \table
    sd t0, (\index * 8)(t1)
.endm

TEST_START hfence
    HYP_INIT
    la a1, g_l1
    SET_PTE g_root, 3, a1, PTE_V
    la a1, g_l0
    SET_PTE g_l1, 0, a1, PTE_V
    la a1, page_a
    SET_PTE g_l0, 0, a1, GPTE_LEAF
    la a1, page_b
    SET_PTE g_l0, 1, a1, GPTE_LEAF
    la a1, vs_l1
    SET_PTE vs_root, 1, a1, PTE_V
    la a1, vs_l0
    SET_PTE vs_l1, 0, a1, PTE_V
    li a1, GPA_PAGE
    SET_PTE vs_l0, 0, a1, VPTE_LEAF
    li t0, 0xaaaa
    la t1, page_a
    sd t0, 0(t1)
    li t0, 0xbbbb
    la t1, page_b
    sd t0, 0(t1)
    hfence.gvma
    li t0, 1 << CAUSE_ECALL_VS      /* GOTO_HS from VS arrives in HS directly */
    csrw medeleg, t0
    M_GOTO_HS hs0
hs0:
    /* ================= G-stage: GPA_PAGE page_a -> page_b */
    HS_GOTO_VS vs1
vs1:
    NEXT_CASE
    li s0, GPA_PAGE
    ld s1, 0(s0)
    SHOW "G: before change", s1
    HEXPECT s1, 0xaaaa
    GOTO_HS hs1
hs1:
    la a1, page_b
    SET_PTE g_l0, 0, a1, GPTE_LEAF
    HS_GOTO_VS vs2
vs2:
    li s0, GPA_PAGE
    ld s1, 0(s0)
    SHOW "G: changed, no fence (stale or fresh)", s1
    GOTO_HS hs2
hs2:
    NEXT_CASE
    hfence.gvma
    HS_GOTO_VS vs3
vs3:
    li s0, GPA_PAGE
    ld s1, 0(s0)
    SHOW "G: after hfence.gvma", s1
    HEXPECT s1, 0xbbbb
    GOTO_HS hs3
hs3:
    /* address-specific: back to page_a, fence only that GPA */
    NEXT_CASE
    la a1, page_a
    SET_PTE g_l0, 0, a1, GPTE_LEAF
    li a0, GPA_PAGE >> 2
    hfence.gvma a0, zero
    HS_GOTO_VS vs4
vs4:
    li s0, GPA_PAGE
    ld s1, 0(s0)
    SHOW "G: after hfence.gvma gpa", s1
    HEXPECT s1, 0xaaaa
    GOTO_HS hs4
hs4:
    /* ================= VS-stage: VA_PAGE -> GPA_PAGE (page_a) then GPA_PAGE2 (page_b) */
    NEXT_CASE
    jal hyp_enable_vsstage
    HS_GOTO_VS vs5
vs5:
    li s0, VA_PAGE
    ld s1, 0(s0)
    SHOW "VS: before change", s1
    HEXPECT s1, 0xaaaa
    GOTO_HS hs5
hs5:
    li a1, GPA_PAGE2
    SET_PTE vs_l0, 0, a1, VPTE_LEAF
    HS_GOTO_VS vs6
vs6:
    li s0, VA_PAGE
    ld s1, 0(s0)
    SHOW "VS: changed, no fence (stale or fresh)", s1
    GOTO_HS hs6
hs6:
    NEXT_CASE
    li a0, VA_PAGE
    hfence.vvma a0, zero
    HS_GOTO_VS vs7
vs7:
    li s0, VA_PAGE
    ld s1, 0(s0)
    SHOW "VS: after hfence.vvma va", s1
    HEXPECT s1, 0xbbbb
    GOTO_HS hs7
hs7:
    /* a guest's own sfence.vma in VS also orders its VS-stage updates */
    NEXT_CASE
    li a1, GPA_PAGE
    SET_PTE vs_l0, 0, a1, VPTE_LEAF
    HS_GOTO_VS vs8
vs8:
    sfence.vma
    li s0, VA_PAGE
    ld s1, 0(s0)
    SHOW "VS: after guest sfence.vma", s1
    HEXPECT s1, 0xaaaa
    GOTO_M done
done:
    TEST_PASS

    .section .pagetables, "aw", @nobits
    .align 12
g_l1:    .zero 4096
g_l0:    .zero 4096
vs_l1:   .zero 4096
vs_l0:   .zero 4096
page_a:  .zero 4096
page_b:  .zero 4096
