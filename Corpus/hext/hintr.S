/*
 * hintr.S — VS-level interrupts: VSSIP, VSTIP and VSEIP injected through hvip; with hideleg
 * they reach the VS handler as supervisor interrupts (scause 1, 5, 9), without it HS takes
 * them as VS-level interrupts (2, 6, 10); they are never taken while V=0; vsip/vsie are the
 * hip/hie VS bits shifted down; and the Sstc vstimecmp (with htimedelta) raising VSTIP when
 * menvcfg.STCE and henvcfg.STCE are set (or a note if the CSR is absent).
 *
 * Spec: Privileged spec 1.12 §8.2.3 hvip/hip/hie, §8.2.4 hideleg ("an interrupt delegated to
 * VS is presented to VS-mode with its code decremented by 1"), §8.2.12-13 vsip/vsie,
 * §3.1.9 mideleg (VS bits read-only 1 with H), §8.6.2 priority; Sstc 1.0 (vstimecmp,
 * henvcfg.STCE, htimedelta).
 */
#include "hyp.h"

TEST_START hintr
    HYP_INIT
    /* mideleg's VS bits are read-only ones with H */
    NEXT_CASE
    csrw mideleg, zero
    csrr s0, mideleg
    SHOW "mideleg after writing 0", s0
    /* SGEI (bit 12) is read-only one only when GEILEN > 0 (QEMU: yes; VirtBench: GEILEN = 0) */
    li t0, MIP_VSSIP | MIP_VSTIP | MIP_VSEIP
    and s1, s0, t0
    HEXPECT s1, MIP_VSSIP | MIP_VSTIP | MIP_VSEIP
    la t0, vs_irq_hook
    la t1, vs_frame
    sd t0, F_IRQHOOK(t1)
    la t0, hs_irq_hook
    la t1, hs_frame
    sd t0, F_IRQHOOK(t1)
    li t0, MIP_VSSIP | MIP_VSTIP | MIP_VSEIP
    csrw hideleg, t0
    csrw hie, t0

    /* ---- delegated: each hvip bit reaches VS with its code minus one */
    M_GOTO_HS hs1
hs1:
    /* V=0: VS-level interrupts are not taken in HS even with SIE=1 */
    NEXT_CASE
    li t0, MSTATUS_SIE
    csrs sstatus, t0
    li t0, MIP_VSSIP
    csrw hvip, t0
    nop
    nop
    la t0, hs_frame
    ld s0, F_COUNT(t0)
    SHOW "HS traps with VSSIP pending in HS", s0
    HEXPECT s0, 0
    csrr s0, hip
    SHOW "hip", s0
    li t0, MSTATUS_SIE
    csrc sstatus, t0
    HS_GOTO_VS vs1
vs1:
    NEXT_CASE
    csrr s0, sip
    SHOW "vsip (VSSIP pending)", s0 /* spec: 2 (SSIP); see DEVIATIONS.md */
    li t0, 2
    csrw sie, t0                    /* vsie.SSIE */
    csrsi sstatus, MSTATUS_SIE      /* vsstatus.SIE: taken now */
    nop
    la t0, vs_frame
    ld s0, F_CAUSE(t0)
    SHOW "VS interrupt from hvip.VSSIP", s0
    HEXPECT s0, CAUSE_INTERRUPT | IRQ_S_SOFT
    csrci sstatus, MSTATUS_SIE
    csrci sip, 2                    /* vsip.SSIP is hvip.VSSIP: clearing it from VS is allowed */
    GOTO_HS hs2
hs2:
    csrr s0, hvip
    SHOW "hvip after VS cleared vsip.SSIP", s0
    HEXPECT s0, 0
    li t0, MIP_VSTIP
    csrw hvip, t0
    HS_GOTO_VS vs2
vs2:
    NEXT_CASE
    li t0, 1 << IRQ_S_TIMER
    csrw sie, t0
    csrsi sstatus, MSTATUS_SIE
    nop
    csrci sstatus, MSTATUS_SIE
    la t0, vs_frame
    ld s0, F_CAUSE(t0)
    SHOW "VS interrupt from hvip.VSTIP", s0
    HEXPECT s0, CAUSE_INTERRUPT | IRQ_S_TIMER
    GOTO_HS hs3
hs3:
    li t0, MIP_VSEIP
    csrw hvip, t0
    HS_GOTO_VS vs3
vs3:
    NEXT_CASE
    li t0, 1 << 9
    csrw sie, t0
    csrsi sstatus, MSTATUS_SIE
    nop
    csrci sstatus, MSTATUS_SIE
    la t0, vs_frame
    ld s0, F_CAUSE(t0)
    SHOW "VS interrupt from hvip.VSEIP", s0
    HEXPECT s0, CAUSE_INTERRUPT | 9
    la t0, vs_frame
    ld s0, F_COUNT(t0)
    SHOW "VS traps", s0
    HEXPECT s0, 3
    GOTO_HS hs4
hs4:
    /* ---- not delegated: HS takes them while V=1, whatever vsstatus.SIE says */
    NEXT_CASE
    csrw hideleg, zero
    li t0, MIP_VSSIP
    csrw hvip, t0
    HS_GOTO_VS vs4
vs4:
    li t0, 1000                     /* give a lazy implementation time to notice */
1:  addi t0, t0, -1
    bnez t0, 1b
    csrr zero, sstatus              /* a CSR access ends QEMU's block: interrupts re-checked */
    la t0, hs_frame
    ld s0, F_CAUSE(t0)
    SHOW "HS interrupt from hvip.VSSIP, hideleg=0", s0 /* spec: 0x8000000000000002 */
    GOTO_M m5
m5:
    /* ---- Sstc: vstimecmp = (time + htimedelta) compare */
    NEXT_CASE
    csrw hvip, zero
    li t0, MIP_VSTIP
    csrw hideleg, t0
    EXPECT_TRAP_MH
    csrr s0, vstimecmp
    la t0, hm_frame
    ld t1, F_EXPECT(t0)
    bnez t1, have_sstc
    NOTE "vstimecmp: not implemented (illegal instruction), Sstc checks skipped"
    j done
have_sstc:
    sd zero, F_EXPECT(t0)
    li t0, 1 << 63                  /* menvcfg.STCE */
    csrs menvcfg, t0
    csrs henvcfg, t0
    li t0, -1
    csrw vstimecmp, t0
    li s1, 1000000
    csrw htimedelta, s1
    csrr s0, hip
    andi s0, s0, MIP_VSTIP
    SHOW "hip.VSTIP with vstimecmp=max", s0
    HEXPECT s0, 0
    csrw vstimecmp, s1              /* time + 1000000 >= 1000000: pending at once */
    csrr s0, hip
    andi s0, s0, MIP_VSTIP
    SHOW "hip.VSTIP with vstimecmp=htimedelta", s0
    HEXPECT s0, MIP_VSTIP
    M_GOTO_VS vs6
vs6:
    NEXT_CASE
    li t0, 1 << IRQ_S_TIMER
    csrw sie, t0
    csrsi sstatus, MSTATUS_SIE
    nop
    csrci sstatus, MSTATUS_SIE
    la t0, vs_frame
    ld s0, F_CAUSE(t0)
    SHOW "VS interrupt from vstimecmp", s0
    HEXPECT s0, CAUSE_INTERRUPT | IRQ_S_TIMER
    csrr s0, stimecmp               /* in VS, stimecmp is vstimecmp */
    SHOW "VS stimecmp (is vstimecmp)", s0
    HEXPECT s0, 1000000
    GOTO_M done
done:
    TEST_PASS

vs_irq_hook:
    csrw sie, zero                  /* vsie: VS cannot clear hvip, so it masks the source */
    ret
hs_irq_hook:
    csrw hvip, zero
    ret
