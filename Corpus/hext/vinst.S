/*
 * vinst.S — the virtual-instruction exception (cause 22) against illegal instruction (2):
 * hstatus.VTVM (sfence.vma, satp in VS), VTW (wfi in VS; wfi in VU), VTSR (sret in VS),
 * counters gated by hcounteren (with mcounteren set) or mcounteren (illegal), hypervisor
 * instructions and CSRs in VS and VU (hfence, hlv/hsv, h* CSRs), supervisor instructions and
 * CSRs in VU, and M-level instructions and CSRs in VS (illegal, not virtual).
 *
 * Spec: Privileged spec 1.12 §8.6.1 "Virtual-instruction exceptions": raised when V=1 for
 * an instruction that would be valid in HS-mode (or U for VU) but is not allowed because of
 * V=1 or a VS-level control (VTVM, VTW, VTSR, hcounteren); M-level or unimplemented ones stay
 * illegal; §8.2.1 VTVM/VTW/VTSR; §8.2.5 hcounteren; §3.1.6.5 TW. mtval is the instruction
 * bits or 0 for both causes (printed: QEMU 7.2 writes the bits).
 */
#include "hyp.h"

/* One instruction that must trap to M with `cause`; prints the record. */
.macro VI text, cause, insn:vararg
    NEXT_CASE
    EXPECT_TRAP_MH
    \insn
    REPORT_TRAP hm_frame, "\text", 1
    CHECK_HFIELD hm_frame, F_CAUSE, \cause
.endm

/* Where QEMU 7.2 departs from the spec (see expected/DEVIATIONS.md): print, do not check. */
.macro VI_PRINT text, cause, insn:vararg
    NEXT_CASE
    EXPECT_TRAP_MH
    \insn
    REPORT_TRAP hm_frame, "\text", 0
.endm

TEST_START vinst
    HYP_INIT
    /* ---- VS with every trap bit set */
    li t0, HSTATUS_VTVM | HSTATUS_VTW | HSTATUS_VTSR
    csrw hstatus, t0
    csrw hcounteren, zero
    M_GOTO_VS vs1
vs1:
    VI "VS sfence.vma VTVM=1", CAUSE_VIRTUAL_INSN, sfence.vma
    VI_PRINT "VS csrr satp VTVM=1", CAUSE_VIRTUAL_INSN, csrr s0, satp   /* QEMU 7.2: see DEVIATIONS.md */
    VI "VS wfi VTW=1", CAUSE_VIRTUAL_INSN, wfi
    VI "VS sret VTSR=1", CAUSE_VIRTUAL_INSN, sret
    VI "VS rdcycle hcounteren=0", CAUSE_VIRTUAL_INSN, rdcycle s0
    VI "VS rdtime hcounteren=0", CAUSE_VIRTUAL_INSN, rdtime s0
    VI "VS hfence.vvma", CAUSE_VIRTUAL_INSN, hfence.vvma
    VI "VS hfence.gvma", CAUSE_VIRTUAL_INSN, hfence.gvma
    VI "VS hlv.w", CAUSE_VIRTUAL_INSN, hlv.w s0, (sp)
    VI "VS hsv.d", CAUSE_VIRTUAL_INSN, hsv.d s0, (sp)
    VI "VS csrr hstatus", CAUSE_VIRTUAL_INSN, csrr s0, hstatus
    VI "VS csrr hgatp", CAUSE_VIRTUAL_INSN, csrr s0, hgatp
    VI "VS csrr vsstatus", CAUSE_VIRTUAL_INSN, csrr s0, vsstatus
    /* M-level: illegal whatever V is */
    VI "VS csrr mstatus", CAUSE_ILLEGAL, csrr s0, mstatus
    VI "VS mret", CAUSE_ILLEGAL, mret
    VI "VS csrr mtval2", CAUSE_ILLEGAL, csrr s0, mtval2
    GOTO_M m2
m2:
    /* ---- the same controls clear: no trap */
    NEXT_CASE
    csrw hstatus, zero
    li t0, 1                        /* CY only */
    csrw hcounteren, t0
    M_GOTO_VS vs2
vs2:
    sfence.vma
    rdcycle s1                      /* ran without a trap; its value is not deterministic */
    csrr s0, satp
    SHOW "VS VTVM=0 satp", s0
    la t0, hm_frame
    ld s0, F_COUNT(t0)
    SHOW "M traps so far", s0
    VI "VS rdinstret hcounteren.CY only", CAUSE_VIRTUAL_INSN, rdinstret s0
    GOTO_M m3
m3:
    /* mcounteren clear: the counter is illegal even with hcounteren set */
    NEXT_CASE
    csrw mcounteren, zero
    li t0, -1
    csrw hcounteren, t0
    M_GOTO_VS vs3
vs3:
    VI "VS rdcycle mcounteren=0", CAUSE_ILLEGAL, rdcycle s0
    GOTO_M m4
m4:
    li t0, -1
    csrw mcounteren, t0
    /* ---- VU: supervisor and hypervisor instructions and CSRs */
    M_GOTO_VU vu1
vu1:
    VI "VU wfi", CAUSE_VIRTUAL_INSN, wfi
    VI_PRINT "VU sret", CAUSE_VIRTUAL_INSN, sret   /* QEMU 7.2: see DEVIATIONS.md */
    VI_PRINT "VU sfence.vma", CAUSE_VIRTUAL_INSN, sfence.vma   /* QEMU 7.2: see DEVIATIONS.md */
    VI_PRINT "VU csrr sstatus", CAUSE_VIRTUAL_INSN, csrr s0, sstatus   /* QEMU 7.2: see DEVIATIONS.md */
    VI "VU csrr hstatus", CAUSE_VIRTUAL_INSN, csrr s0, hstatus
    VI "VU hlv.w", CAUSE_VIRTUAL_INSN, hlv.w s0, (sp)
    VI_PRINT "VU hfence.vvma", CAUSE_VIRTUAL_INSN, hfence.vvma   /* QEMU 7.2: see DEVIATIONS.md */
    VI "VU csrr mstatus", CAUSE_ILLEGAL, csrr s0, mstatus
    GOTO_M m5
m5:
    /* ---- U (V=0) with hstatus.HU=0: hypervisor instructions are illegal, not virtual */
    M_GOTO_U u1
u1:
    VI "U hlv.w HU=0", CAUSE_ILLEGAL, hlv.w s0, (sp)
    VI "U hfence.vvma", CAUSE_ILLEGAL, hfence.vvma
    VI "U csrr hstatus", CAUSE_ILLEGAL, csrr s0, hstatus
    VI "U csrr sstatus", CAUSE_ILLEGAL, csrr s0, sstatus
    GOTO_M done
done:
    TEST_PASS
