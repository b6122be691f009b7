/*
 * hcsr.S — the hypervisor CSRs: which bits of each H and VS CSR (and mtval2/mtinst) are
 * writable (all-ones then zero written, both read back and printed), misa.H, hstatus.VSXL,
 * the hgatp WARL rules (unsupported MODE ignores the whole write, PPN[1:0] read as zero,
 * VMID width), the s* CSRs reading and writing their vs* counterparts when V=1, and
 * mstatus.MPV/GVA after a trap from VS-mode.
 *
 * Spec: Privileged spec 1.12 chapter 8 (H 1.0): §8.1 misa bit 7; §8.2.1 hstatus (VSXL = 2 on
 * RV64, fields); §8.2.10 hgatp ("written with an unsupported MODE, the entire write has no
 * effect"; Sv39x4/Sv48x4 roots are 16 KiB aligned so PPN[1:0] read as zero; VMIDLEN is found
 * by writing ones); §8.2.11-8.2.18 the VS CSRs ("when V=1, the VS CSRs substitute for the
 * corresponding supervisor CSRs"); §8.4.1 mstatus.MPV and GVA; §8.4.3 mtval2, §8.4.4 mtinst.
 * Masks are WARL and only printed; Corpus/hext/expected/hcsr.txt has QEMU 7.2's values.
 */
#include "hyp.h"

/* Writes all-ones then zero to a CSR and prints both read-backs. */
.macro PROBE csr
    li t0, -1
    csrw \csr, t0
    csrr s0, \csr
    csrw \csr, zero
    csrr s1, \csr
    SHOW "\csr ones", s0
    SHOW "\csr zero", s1
.endm

TEST_START hcsr
    HYP_INIT
    /* ---- misa.H (bit 7) */
    NEXT_CASE
    csrr s0, misa
    srli s0, s0, 7
    andi s0, s0, 1
    SHOW "misa.H", s0
    HEXPECT s0, 1
    /* ---- hstatus.VSXL = 2 (64-bit VS-mode), §8.2.1 */
    NEXT_CASE
    csrr s0, hstatus
    srli s0, s0, 32
    andi s0, s0, 3
    SHOW "hstatus.VSXL", s0
    HEXPECT s0, 2

    /* ---- writable bits of every H CSR */
    NEXT_CASE
    PROBE hstatus
    PROBE hedeleg
    PROBE hideleg
    PROBE hvip
    PROBE hip
    PROBE hie
    PROBE hgeie
    PROBE henvcfg
    PROBE hcounteren
    PROBE htimedelta
    PROBE htval
    PROBE htinst
    PROBE vsstatus
    PROBE vsip
    PROBE vsie
    PROBE vstvec
    PROBE vsepc
    PROBE vscause
    PROBE vstval
    PROBE mtval2
    PROBE mtinst
    csrr s0, hgeip                  /* read-only */
    SHOW "hgeip", s0
    /* vsscratch holds the VS handler's frame: probe it, then put the frame back */
    PROBE vsscratch
    la t0, vs_frame
    csrw vsscratch, t0
    /* vsatp: all-ones has MODE 15, unsupported: the write is ignored (like satp, §4.1.11) */
    NEXT_CASE
    li t0, -1
    csrw vsatp, t0
    csrr s0, vsatp
    SHOW "vsatp ones", s0           /* spec: 0 (write ignored); QEMU 7.2 keeps all ones */
    li t0, SATP_SV39 | 0xfffffffffff
    csrw vsatp, t0
    csrr s0, vsatp
    SHOW "vsatp sv39+ppn ones", s0
    csrw vsatp, zero
    /* restore the VS-level state the probes changed */
    li t0, MSTATUS_FS
    csrs vsstatus, t0
    la t0, vs_trap_entry
    csrw vstvec, t0
    li t0, -1
    csrw hcounteren, t0

    /* ---- hgatp WARL, §8.2.10 */
    NEXT_CASE
    csrr s2, hgatp                  /* the Sv39x4 value HYP_INIT wrote */
    li t0, (1 << 60) | 0x1234       /* MODE 1 is not defined for hgatp: no effect */
    csrw hgatp, t0
    csrr s0, hgatp
    SHOW "hgatp mode1", s0          /* spec: unchanged (Sv39x4 value); QEMU 7.2 stores it */
    NEXT_CASE
    li t0, -1                       /* VMID ones, PPN ones */
    li t1, 0x0fffffffffffffff
    and t0, t0, t1
    li t1, HGATP_SV39X4
    or t0, t0, t1
    csrw hgatp, t0
    csrr s0, hgatp
    SHOW "hgatp sv39x4 ones", s0
    andi s1, s0, 3
    SHOW "hgatp ppn[1:0]", s1       /* spec: 0 */
    srli s1, s0, HGATP_VMID_SHIFT
    li t0, 0x3fff
    and s1, s1, t0
    SHOW "hgatp vmid mask", s1
    NEXT_CASE
    li t0, HGATP_SV48X4
    csrw hgatp, t0
    csrr s0, hgatp
    SHOW "hgatp sv48x4", s0
    li t0, (10 << 60)               /* Sv57x4 */
    csrw hgatp, t0
    csrr s0, hgatp
    SHOW "hgatp sv57x4", s0
    csrw hgatp, zero
    csrr s0, hgatp
    SHOW "hgatp bare", s0
    HEXPECT s0, 0
    jal hyp_enable_gstage

    /* ---- s* CSRs are the vs* ones when V=1, §8.2.11 */
    NEXT_CASE
    li t0, 0x1110
    csrw vsepc, t0
    li t0, 0x2220
    csrw sepc, t0
    li t0, 0x1111
    csrw vstval, t0
    li t0, 0x2222
    csrw stval, t0
    li t0, 0x1112
    csrw vscause, t0
    li t0, 0x2223
    csrw scause, t0
    li t0, MSTATUS_SUM
    csrs vsstatus, t0
    csrc mstatus, t0
    jal hyp_enable_vsstage          /* VS code runs translated through the identity tables */
    csrr s5, vsatp
    csrw satp, zero
    M_GOTO_VS vs_code
vs_code:
    csrr s0, sepc
    csrr s1, stval
    csrr s2, scause
    csrr s3, sstatus
    li t0, MSTATUS_SUM
    and s3, s3, t0
    csrr s4, satp
    csrw satp, zero                 /* back to bare before any VS access */
    li t0, 0x3330
    csrw sepc, t0
    li t0, 0x3331
    csrw stval, t0
    SHOW "VS sepc", s0
    HEXPECT s0, 0x1110
    SHOW "VS stval", s1
    HEXPECT s1, 0x1111
    SHOW "VS scause", s2
    HEXPECT s2, 0x1112
    SHOW "VS sstatus.SUM", s3
    HEXPECT s3, MSTATUS_SUM
    SHOW "VS satp is vsatp", s4
    HEXPECT_REG s4, s5
    GOTO_M m_back
m_back:
    NEXT_CASE
    csrr s0, vsepc
    csrr s1, sepc
    csrr s2, vstval
    csrr s3, stval
    SHOW "M vsepc", s0
    HEXPECT s0, 0x3330
    SHOW "M sepc", s1
    HEXPECT s1, 0x2220
    SHOW "M vstval", s2
    HEXPECT s2, 0x3331
    SHOW "M stval", s3
    HEXPECT s3, 0x2222
    /* ---- mstatus.MPV and GVA after the ecall from VS (cause 10): MPV=1, GVA=0 */
    NEXT_CASE
    SHOW_TRAP "ecall from VS", hm_frame
    CHECK_HFIELD hm_frame, F_CAUSE, CAUSE_ECALL_VS
    la t0, hm_frame
    ld s0, F_STATUS(t0)
    srli s1, s0, 39
    andi s1, s1, 1
    SHOW "mstatus.MPV", s1
    HEXPECT s1, 1
    srli s1, s0, 38
    andi s1, s1, 1
    SHOW "mstatus.GVA", s1
    HEXPECT s1, 0
    /* MPV and GVA are writable in M-mode */
    NEXT_CASE
    li t0, MSTATUS_MPV | MSTATUS_GVA
    csrs mstatus, t0
    csrr s0, mstatus
    and s0, s0, t0
    csrc mstatus, t0
    SHOW "mstatus MPV|GVA set", s0
    /* ---- sstatus in HS never shows MPV/GVA; hstatus.SPV follows traps from VS to HS */
    NEXT_CASE
    li t0, 1 << CAUSE_ECALL_VS
    csrw medeleg, t0
    M_GOTO_VS vs_ecall
vs_ecall:
    EXPECT_TRAP_HS hs_after_ecall
    ecall
    j hfail
hs_after_ecall:
    SHOW_TRAP "ecall from VS to HS", hs_frame
    CHECK_HTRAP hs_frame, CAUSE_ECALL_VS
    la t0, hs_frame
    ld s0, F_HSTATUS(t0)
    andi s0, s0, HSTATUS_SPV | HSTATUS_SPVP
    SHOW "hstatus SPV|SPVP", s0
    HEXPECT s0, HSTATUS_SPV | HSTATUS_SPVP
    GOTO_M done
done:
    TEST_PASS
