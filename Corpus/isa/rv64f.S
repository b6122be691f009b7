/*
 * rv64f.S — the F extension on RV64: arithmetic in every static rounding mode and with the
 * dynamic frm, exact fflags per operation, NaN-boxing of singles, canonical NaN results,
 * fmin/fmax with NaNs and signed zeros, conversions with saturation, fclass, fmv, compares
 * with NaN (quiet vs signalling), fsgnj*, the fmadd family, fsqrt, flw/fsw, fcsr/frm/fflags
 * and the mstatus.FS gate.
 *
 * Spec: RISC-V Unprivileged ISA 20191213, chapter 11 "F Standard Extension": §11.2 fcsr
 * (Table 11.3 rounding modes, reserved 5/6 and dynamic 7 with invalid frm illegal; Table 11.4
 * flags), §11.3 NaN generation (canonical NaN 0x7fc00000), §11.5 loads/stores, §11.6-11.9
 * (fmin/fmax are IEEE 754-2019 minimumNumber/maximumNumber, fcvt Table 11.5 saturation, feq
 * quiet, flt/fle signalling, fclass Table 11.7), chapter 12 §12.2 NaN boxing.
 * Privileged spec 1.12 §3.1.6.6: FS=Off makes F instructions illegal.
 */
#include "test.h"
#include "fp.h"

#define ONE   0x3f800000
#define TWO   0x40000000
#define THREE 0x40400000
#define HALF  0x3f000000
#define MONE  0xbf800000
#define PZERO 0x00000000
#define MZERO 0x80000000
#define PINF  0x7f800000
#define MINF  0xff800000
#define QNAN  0x7fc00000          /* canonical NaN */
#define SNAN  0x7f800001
#define QNANP 0x7fc12345          /* quiet NaN with a payload */
#define MAXF  0x7f7fffff
#define MINN  0x00800000          /* smallest normal */
#define MINSUB 0x00000001

TEST_START rv64f
    /* ---- basic arithmetic, exact: no flags */
    FOP_S fadd.s, rne, ONE, TWO, THREE, 0
    FOP_S fsub.s, rne, ONE, TWO, MONE, 0
    FOP_S fmul.s, rne, TWO, THREE, 0x40c00000, 0
    FOP_S fdiv.s, rne, THREE, TWO, 0x3fc00000, 0
    FOP_S fsub.s, rne, ONE, ONE, PZERO, 0            /* x - x = +0 except in rdn */
    FOP_S fsub.s, rdn, ONE, ONE, MZERO, 0
    FOP_S fadd.s, rne, MZERO, MZERO, MZERO, 0

    /* ---- rounding: 1/3 in every static mode */
    FOP_S fdiv.s, rne, ONE, THREE, 0x3eaaaaab, FLAG_NX
    FOP_S fdiv.s, rtz, ONE, THREE, 0x3eaaaaaa, FLAG_NX
    FOP_S fdiv.s, rdn, ONE, THREE, 0x3eaaaaaa, FLAG_NX
    FOP_S fdiv.s, rup, ONE, THREE, 0x3eaaaaab, FLAG_NX
    FOP_S fdiv.s, rmm, ONE, THREE, 0x3eaaaaab, FLAG_NX
    FOP_S fdiv.s, rne, MONE, THREE, 0xbeaaaaab, FLAG_NX
    FOP_S fdiv.s, rtz, MONE, THREE, 0xbeaaaaaa, FLAG_NX
    FOP_S fdiv.s, rdn, MONE, THREE, 0xbeaaaaab, FLAG_NX
    FOP_S fdiv.s, rup, MONE, THREE, 0xbeaaaaaa, FLAG_NX
    /* exact ties: 1 + 2^-24 is halfway between 1 and 1 + 2^-23 */
    FOP_S fadd.s, rne, ONE, 0x33800000, ONE, FLAG_NX
    FOP_S fadd.s, rmm, ONE, 0x33800000, 0x3f800001, FLAG_NX
    FOP_S fadd.s, rup, ONE, 0x33800000, 0x3f800001, FLAG_NX
    FOP_S fadd.s, rtz, ONE, 0x33800000, ONE, FLAG_NX
    FOP_S fadd.s, rne, 0x3f800001, 0x33800000, 0x3f800002, FLAG_NX  /* tie to even, upward */
    FOP_S fadd.s, rmm, MONE, 0xb3800000, 0xbf800001, FLAG_NX
    FOP_S fadd.s, rdn, MONE, 0xb3800000, 0xbf800001, FLAG_NX
    FOP_S fadd.s, rup, MONE, 0xb3800000, MONE, FLAG_NX

    /* ---- dynamic rounding mode from frm */
    NEXT_CASE
    fsrmi 1                                           /* RTZ */
    FOP_S fdiv.s, dyn, ONE, THREE, 0x3eaaaaaa, FLAG_NX
    fsrmi 3                                           /* RUP */
    FOP_S fdiv.s, dyn, ONE, THREE, 0x3eaaaaab, FLAG_NX
    fsrmi 4                                           /* RMM */
    FOP_S fadd.s, dyn, ONE, 0x33800000, 0x3f800001, FLAG_NX
    fsrmi 2                                           /* RDN */
    FOP_S fsub.s, dyn, ONE, ONE, MZERO, 0
    /* fcsr = frm << 5 | fflags */
    NEXT_CASE
    csrr a3, fcsr
    EXPECT a3, (2 << 5)
    fsrmi 0
    /* invalid frm (5, 6, 7 is "dynamic" itself) makes dyn instructions illegal */
    NEXT_CASE
    fsrmi 5
    EXPECT_TRAP_M
    fadd.s fa2, fa0, fa1, dyn
    CHECK_MTRAP CAUSE_ILLEGAL
    NEXT_CASE
    fsrmi 7
    EXPECT_TRAP_M
    fmul.s fa2, fa0, fa1, dyn
    CHECK_MTRAP CAUSE_ILLEGAL
    NEXT_CASE
    fsrmi 5
    fadd.s fa2, fa0, fa1, rne                         /* a static mode is unaffected */
    fsrmi 0
    /* reserved static rounding modes 5 and 6 are illegal */
    NEXT_CASE
    EXPECT_TRAP_M
    .insn r 0x53, 5, 0, fa2, fa0, fa1                 /* fadd.s with rm=5 */
    CHECK_MTRAP CAUSE_ILLEGAL
    NEXT_CASE
    EXPECT_TRAP_M
    .insn r 0x53, 6, 0, fa2, fa0, fa1
    CHECK_MTRAP CAUSE_ILLEGAL

    /* ---- fcsr fields */
    NEXT_CASE
    li a1, 0x1ff
    csrw fcsr, a1
    csrr a3, fcsr
    EXPECT a3, 0xff                                   /* only 8 bits exist */
    csrr a3, frm
    EXPECT a3, 7
    csrr a3, fflags
    EXPECT a3, 0x1f
    NEXT_CASE
    fsflagsi 0x3
    csrr a3, fcsr
    EXPECT a3, 0xe3                                   /* fflags written, frm kept */
    csrwi fcsr, 0
    /* flags accumulate until cleared */
    NEXT_CASE
    li a1, ONE
    fmv.w.x fa0, a1
    li a1, THREE
    fmv.w.x fa1, a1
    fdiv.s fa2, fa0, fa1
    fmv.w.x fa3, zero
    fdiv.s fa2, fa0, fa3
    frflags a3
    EXPECT a3, FLAG_NX | FLAG_DZ

    /* ---- overflow, underflow, division by zero, invalid */
    FOP_S fmul.s, rne, MAXF, TWO, PINF, FLAG_OF | FLAG_NX
    FOP_S fmul.s, rtz, MAXF, TWO, MAXF, FLAG_OF | FLAG_NX
    FOP_S fmul.s, rdn, MAXF, TWO, MAXF, FLAG_OF | FLAG_NX
    FOP_S fmul.s, rup, 0xff7fffff, TWO, 0xff7fffff, FLAG_OF | FLAG_NX
    FOP_S fmul.s, rne, MINN, HALF, 0x00400000, 0      /* exact subnormal: no UF */
    FOP_S fmul.s, rne, MINSUB, HALF, PZERO, FLAG_UF | FLAG_NX
    FOP_S fmul.s, rup, MINSUB, HALF, MINSUB, FLAG_UF | FLAG_NX
    FOP_S fdiv.s, rne, ONE, PZERO, PINF, FLAG_DZ
    FOP_S fdiv.s, rne, MONE, PZERO, MINF, FLAG_DZ
    FOP_S fdiv.s, rne, ONE, MZERO, MINF, FLAG_DZ
    FOP_S fdiv.s, rne, PZERO, PZERO, QNAN, FLAG_NV
    FOP_S fsub.s, rne, PINF, PINF, QNAN, FLAG_NV
    FOP_S fmul.s, rne, PINF, PZERO, QNAN, FLAG_NV
    FOP_S fdiv.s, rne, PINF, PINF, QNAN, FLAG_NV
    FOP_S fadd.s, rne, PINF, ONE, PINF, 0
    FOP_S fdiv.s, rne, ONE, PINF, PZERO, 0

    /* ---- NaN results are canonical; only signalling NaNs raise NV */
    FOP_S fadd.s, rne, QNANP, ONE, QNAN, 0
    FOP_S fadd.s, rne, 0xffc00000, ONE, QNAN, 0
    FOP_S fmul.s, rne, SNAN, ONE, QNAN, FLAG_NV
    FOP_S fdiv.s, rne, ONE, SNAN, QNAN, FLAG_NV
    FOP_S fsub.s, rne, QNANP, SNAN, QNAN, FLAG_NV

    /* ---- NaN boxing (§12.2): a single not boxed in a 64-bit register reads as canonical NaN */
    NEXT_CASE
    li a1, ONE
    fmv.d.x fa0, a1                                   /* upper 32 bits zero: not a valid single */
    li a1, ONE
    fmv.w.x fa1, a1
    fsflags zero
    fadd.s fa2, fa0, fa1
    CHECK_S fa2, QNAN, 0
    NEXT_CASE
    li a1, 0xffffffff00000000 | MONE
    fmv.d.x fa0, a1                                   /* properly boxed -1.0 */
    fadd.s fa2, fa0, fa1
    CHECK_S fa2, PZERO, 0
    NEXT_CASE
    li a1, 0xfffffffe3f800000                         /* one upper bit clear: not boxed */
    fmv.d.x fa0, a1
    fsgnj.s fa2, fa1, fa0                             /* sign taken from the canonical NaN: + */
    CHECK_S fa2, ONE, 0
    fsgnj.s fa2, fa0, fa1                             /* magnitude from the canonical NaN */
    CHECK_S fa2, QNAN, 0
    /* writes of singles are boxed: fmv.x.d sees all-ones upper bits */
    NEXT_CASE
    li a1, THREE
    fmv.w.x fa0, a1
    fmv.x.d a3, fa0
    EXPECT a3, 0xffffffff40400000
    NEXT_CASE
    fadd.s fa2, fa0, fa0
    fmv.x.d a3, fa2
    EXPECT a3, 0xffffffff40c00000
    /* fmv.x.w transfers the low 32 bits unchanged, sign-extended, even when not boxed */
    NEXT_CASE
    li a1, 0x12345678c0000000
    fmv.d.x fa0, a1
    fmv.x.w a3, fa0
    EXPECT a3, 0xffffffffc0000000
    NEXT_CASE
    li a1, SNAN
    fmv.w.x fa0, a1                                   /* moves do not quieten NaNs or set flags */
    fsflags zero
    fmv.x.w a3, fa0
    EXPECT a3, SNAN
    frflags a3
    EXPECT a3, 0

    /* ---- flw / fsw */
    NEXT_CASE
    la s0, fdata
    flw fa0, 0(s0)
    fmv.x.d a3, fa0
    EXPECT a3, 0xffffffffc0490fdb                     /* -pi, boxed */
    NEXT_CASE
    flw fa1, 4(s0)
    fsw fa1, 8(s0)
    lwu a3, 8(s0)
    EXPECT a3, SNAN                                   /* signalling NaN stored unchanged */
    NEXT_CASE
    li a1, 0xaaaaaaaa11223344
    fmv.d.x fa0, a1
    fsw fa0, 12(s0)                                   /* low 32 bits, boxed or not */
    lwu a3, 12(s0)
    EXPECT a3, 0x11223344
    NEXT_CASE
    addi s1, s0, 16
    fsw fa0, -4(s1)
    flw fa2, -4(s1)
    fmv.x.d a3, fa2
    EXPECT a3, 0xffffffff11223344

    /* ---- fmin / fmax: minimumNumber / maximumNumber, -0 < +0 */
    FOP2_S fmin.s, ONE, TWO, ONE, 0
    FOP2_S fmax.s, ONE, TWO, TWO, 0
    FOP2_S fmin.s, MZERO, PZERO, MZERO, 0
    FOP2_S fmin.s, PZERO, MZERO, MZERO, 0
    FOP2_S fmax.s, MZERO, PZERO, PZERO, 0
    FOP2_S fmax.s, PZERO, MZERO, PZERO, 0
    FOP2_S fmin.s, QNANP, ONE, ONE, 0
    FOP2_S fmax.s, MONE, QNANP, MONE, 0
    FOP2_S fmin.s, QNANP, QNANP, QNAN, 0
    FOP2_S fmin.s, SNAN, ONE, ONE, FLAG_NV
    FOP2_S fmax.s, ONE, SNAN, ONE, FLAG_NV
    FOP2_S fmax.s, SNAN, QNANP, QNAN, FLAG_NV
    FOP2_S fmin.s, MINF, MAXF, MINF, 0

    /* ---- sign injection: no canonicalisation, no flags */
    FOP2_S fsgnj.s, ONE, MONE, MONE, 0
    FOP2_S fsgnj.s, MONE, ONE, ONE, 0
    FOP2_S fsgnjn.s, ONE, MONE, ONE, 0
    FOP2_S fsgnjn.s, ONE, ONE, MONE, 0
    FOP2_S fsgnjx.s, MONE, MONE, ONE, 0
    FOP2_S fsgnjx.s, MONE, ONE, MONE, 0
    FOP2_S fsgnj.s, SNAN, MONE, 0xff800001, 0
    FOP2_S fsgnjx.s, QNANP, MZERO, 0xffc12345, 0
    NEXT_CASE                                         /* fmv.s / fneg.s / fabs.s aliases */
    li a1, MONE
    fmv.w.x fa0, a1
    fabs.s fa1, fa0
    fmv.x.w a3, fa1
    EXPECT a3, ONE
    fneg.s fa1, fa1
    fmv.x.w a3, fa1
    EXPECT a3, 0xffffffffbf800000
    fmv.s fa2, fa1
    fmv.x.w a3, fa2
    EXPECT a3, 0xffffffffbf800000

    /* ---- fused multiply-add: one rounding, NV for inf*0 even with a quiet NaN addend */
    FMA_S fmadd.s, rne, TWO, THREE, ONE, 0x40e00000, 0
    FMA_S fmsub.s, rne, TWO, THREE, ONE, 0x40a00000, 0
    FMA_S fnmsub.s, rne, TWO, THREE, ONE, 0xc0a00000, 0
    FMA_S fnmadd.s, rne, TWO, THREE, ONE, 0xc0e00000, 0
    FMA_S fmadd.s, rne, 0x3f800400, 0x3f7ff800, MONE, 0xb2800000, 0   /* -2^-26, exact */
    FMA_S fmadd.s, rne, PINF, PZERO, QNANP, QNAN, FLAG_NV
    FMA_S fmadd.s, rne, ONE, ONE, SNAN, QNAN, FLAG_NV
    FMA_S fmadd.s, rne, QNANP, ONE, ONE, QNAN, 0
    FMA_S fmadd.s, rne, PINF, ONE, MINF, QNAN, FLAG_NV
    FMA_S fmadd.s, rtz, ONE, ONE, 0x33800000, ONE, FLAG_NX
    FMA_S fmadd.s, rup, ONE, ONE, 0x33800000, 0x3f800001, FLAG_NX
    FMA_S fnmadd.s, rne, ONE, PZERO, PZERO, MZERO, 0      /* -(1*0) - 0 = -0 */
    FMA_S fmsub.s, rne, ONE, PZERO, PZERO, PZERO, 0       /* 0 - 0 = +0 in rne */
    FMA_S fmsub.s, rdn, ONE, PZERO, PZERO, MZERO, 0

    /* ---- fsqrt */
    FSQRT_S rne, 0x40800000, TWO, 0
    FSQRT_S rne, TWO, 0x3fb504f3, FLAG_NX
    FSQRT_S rtz, TWO, 0x3fb504f3, FLAG_NX
    FSQRT_S rup, TWO, 0x3fb504f4, FLAG_NX
    FSQRT_S rne, MONE, QNAN, FLAG_NV
    FSQRT_S rne, MZERO, MZERO, 0
    FSQRT_S rne, PINF, PINF, 0
    FSQRT_S rne, MINF, QNAN, FLAG_NV
    FSQRT_S rne, SNAN, QNAN, FLAG_NV
    FSQRT_S rne, QNANP, QNAN, 0

    /* ---- compares: feq is quiet, flt/fle signal on any NaN */
    FCMP_S feq.s, ONE, ONE, 1, 0
    FCMP_S feq.s, ONE, TWO, 0, 0
    FCMP_S feq.s, MZERO, PZERO, 1, 0
    FCMP_S feq.s, QNANP, QNANP, 0, 0
    FCMP_S feq.s, SNAN, ONE, 0, FLAG_NV
    FCMP_S flt.s, ONE, TWO, 1, 0
    FCMP_S flt.s, TWO, ONE, 0, 0
    FCMP_S flt.s, MZERO, PZERO, 0, 0
    FCMP_S flt.s, QNANP, ONE, 0, FLAG_NV
    FCMP_S flt.s, MINF, MAXF, 1, 0
    FCMP_S fle.s, MZERO, PZERO, 1, 0
    FCMP_S fle.s, ONE, ONE, 1, 0
    FCMP_S fle.s, TWO, ONE, 0, 0
    FCMP_S fle.s, ONE, QNANP, 0, FLAG_NV
    FCMP_S fle.s, SNAN, SNAN, 0, FLAG_NV

    /* ---- fclass: one bit per class (Table 11.7) */
    FCLASS_S MINF, 1 << 0
    FCLASS_S MONE, 1 << 1
    FCLASS_S 0x807fffff, 1 << 2
    FCLASS_S MZERO, 1 << 3
    FCLASS_S PZERO, 1 << 4
    FCLASS_S MINSUB, 1 << 5
    FCLASS_S MAXF, 1 << 6
    FCLASS_S PINF, 1 << 7
    FCLASS_S SNAN, 1 << 8
    FCLASS_S QNAN, 1 << 9
    FCLASS_S 0xffc00001, 1 << 9
    NEXT_CASE
    li a1, ONE
    fmv.d.x fa0, a1                                   /* unboxed: classifies as canonical NaN */
    fclass.s a3, fa0
    EXPECT a3, 1 << 9

    /* ---- float -> integer, with Table 11.5 saturation */
    FCVT_I_S fcvt.w.s, rne, 0x3fc00000, 2, FLAG_NX          /* 1.5 */
    FCVT_I_S fcvt.w.s, rne, 0x40200000, 2, FLAG_NX          /* 2.5 ties to even */
    FCVT_I_S fcvt.w.s, rmm, 0x40200000, 3, FLAG_NX
    FCVT_I_S fcvt.w.s, rtz, 0xbfc00000, -1, FLAG_NX
    FCVT_I_S fcvt.w.s, rdn, 0xbfc00000, -2, FLAG_NX
    FCVT_I_S fcvt.w.s, rup, 0x3f8ccccd, 2, FLAG_NX          /* 1.1 */
    FCVT_I_S fcvt.w.s, rne, THREE, 3, 0
    FCVT_I_S fcvt.w.s, rne, 0xcf000000, 0xffffffff80000000, 0  /* -2^31 fits */
    FCVT_I_S fcvt.w.s, rne, 0x4f000000, 0x7fffffff, FLAG_NV    /* 2^31 does not */
    FCVT_I_S fcvt.w.s, rne, PINF, 0x7fffffff, FLAG_NV
    FCVT_I_S fcvt.w.s, rne, MINF, 0xffffffff80000000, FLAG_NV
    FCVT_I_S fcvt.w.s, rne, QNANP, 0x7fffffff, FLAG_NV
    FCVT_I_S fcvt.w.s, rne, 0xffc00000, 0x7fffffff, FLAG_NV    /* NaN sign ignored */
    FCVT_I_S fcvt.wu.s, rne, MONE, 0, FLAG_NV
    FCVT_I_S fcvt.wu.s, rtz, 0xbf000000, 0, FLAG_NX            /* -0.5 rounds to 0: valid */
    FCVT_I_S fcvt.wu.s, rne, 0x4f32d05e, 0xffffffffb2d05e00, 0 /* 3e9, sign-extended result */
    FCVT_I_S fcvt.wu.s, rne, 0x4f800000, -1, FLAG_NV           /* 2^32 */
    FCVT_I_S fcvt.wu.s, rne, QNAN, -1, FLAG_NV
    FCVT_I_S fcvt.wu.s, rne, MINF, 0, FLAG_NV
    FCVT_I_S fcvt.l.s, rne, 0x5f000000, 0x7fffffffffffffff, FLAG_NV  /* 2^63 */
    FCVT_I_S fcvt.l.s, rne, 0xdf000000, 0x8000000000000000, 0        /* -2^63 */
    FCVT_I_S fcvt.l.s, rne, SNAN, 0x7fffffffffffffff, FLAG_NV
    FCVT_I_S fcvt.l.s, rdn, 0xbf000000, -1, FLAG_NX
    FCVT_I_S fcvt.l.s, rne, 0x4f32d05e, 3000000000, 0
    FCVT_I_S fcvt.lu.s, rne, 0x5f800000, -1, FLAG_NV                 /* 2^64 */
    FCVT_I_S fcvt.lu.s, rne, 0x5f000000, 0x8000000000000000, 0
    FCVT_I_S fcvt.lu.s, rne, MONE, 0, FLAG_NV
    FCVT_I_S fcvt.lu.s, rne, QNAN, -1, FLAG_NV
    FCVT_I_S fcvt.lu.s, rup, 0x3e800000, 1, FLAG_NX                  /* 0.25 up */

    /* ---- integer -> float */
    FCVT_S_I fcvt.s.w, rne, -1, MONE, 0
    FCVT_S_I fcvt.s.w, rne, 0x7fffffff, 0x4f000000, FLAG_NX
    FCVT_S_I fcvt.s.w, rtz, 0x7fffffff, 0x4effffff, FLAG_NX
    FCVT_S_I fcvt.s.w, rne, 0x100000003, 0x40400000, 0               /* only the low word */
    FCVT_S_I fcvt.s.w, rne, 0, PZERO, 0
    FCVT_S_I fcvt.s.wu, rne, -1, 0x4f800000, FLAG_NX                 /* 0xffffffff */
    FCVT_S_I fcvt.s.wu, rtz, -1, 0x4f7fffff, FLAG_NX
    FCVT_S_I fcvt.s.l, rne, 0x8000000000000000, 0xdf000000, 0
    FCVT_S_I fcvt.s.l, rne, 3, THREE, 0
    FCVT_S_I fcvt.s.l, rdn, -0x1000001, 0xcb800001, FLAG_NX         /* -(2^24+1) */
    FCVT_S_I fcvt.s.lu, rne, -1, 0x5f800000, FLAG_NX
    FCVT_S_I fcvt.s.lu, rtz, -1, 0x5f7fffff, FLAG_NX

    /* ---- FS = Off makes every F instruction illegal, with mtval = the instruction */
    NEXT_CASE
    li a1, MSTATUS_FS
    csrc mstatus, a1
    EXPECT_TRAP_M
    .option push
    .option norvc
fs_off_insn:
    fadd.s fa0, fa1, fa2
    .option pop
    CHECK_MTRAP CAUSE_ILLEGAL
    la a1, fs_off_insn
    lwu a2, 0(a1)
    CHECK_FIELD_REG m_frame, F_TVAL, a2
    NEXT_CASE
    EXPECT_TRAP_M
    csrr a3, fcsr                                     /* fcsr access is illegal too */
    CHECK_MTRAP CAUSE_ILLEGAL
    NEXT_CASE
    li a1, (1 << 13)
    csrs mstatus, a1                                  /* FS = Initial */
    fmv.w.x fa0, zero                                 /* writing an f register makes it Dirty */
    csrr a3, mstatus
    srli a4, a3, 13
    andi a4, a4, 3
    EXPECT a4, 3
    srli a4, a3, 63                                   /* SD summarises a Dirty FS */
    EXPECT a4, 1

    TEST_PASS

    .data
    .align 3
fdata:
    .word 0xc0490fdb, SNAN, 0, 0, 0, 0
