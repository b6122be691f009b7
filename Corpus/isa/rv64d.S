/*
 * rv64d.S — the D extension on RV64: double arithmetic in every rounding mode, exact
 * fflags, canonical NaN (0x7ff8000000000000), fmin/fmax, fsgnj*, the fmadd family, fsqrt,
 * compares, fclass, fcvt between double, single and integers (saturation per Table 11.5),
 * fmv.x.d / fmv.d.x and fld/fsd.
 *
 * Spec: RISC-V Unprivileged ISA 20191213, chapter 12 "D Standard Extension" (§12.2 NaN
 * boxing: fcvt.d.s of an unboxed single sees the canonical NaN; §12.3 fld/fsd; §12.4-12.6
 * arithmetic, conversions, fcvt.s.d rounds per rm and fcvt.d.s is exact; fmv.x.d/fmv.d.x are
 * RV64-only bit moves), and chapter 11 for rounding modes, flags and NaN rules.
 */
#include "test.h"
#include "fp.h"

#define D_ONE   0x3ff0000000000000
#define D_TWO   0x4000000000000000
#define D_THREE 0x4008000000000000
#define D_HALF  0x3fe0000000000000
#define D_MONE  0xbff0000000000000
#define D_PZERO 0
#define D_MZERO 0x8000000000000000
#define D_PINF  0x7ff0000000000000
#define D_MINF  0xfff0000000000000
#define D_QNAN  0x7ff8000000000000
#define D_SNAN  0x7ff0000000000001
#define D_QNANP 0x7ff8000000012345
#define D_MAX   0x7fefffffffffffff
#define D_MINN  0x0010000000000000
#define D_MINSUB 0x0000000000000001
#define D_ULP_HALF 0x3ca0000000000000                /* 2^-53: half an ulp of 1.0 */

TEST_START rv64d
    /* ---- arithmetic */
    FOP_D fadd.d, rne, D_ONE, D_TWO, D_THREE, 0
    FOP_D fsub.d, rne, D_ONE, D_TWO, D_MONE, 0
    FOP_D fmul.d, rne, D_TWO, D_THREE, 0x4018000000000000, 0
    FOP_D fdiv.d, rne, D_THREE, D_TWO, 0x3ff8000000000000, 0
    FOP_D fsub.d, rne, D_TWO, D_TWO, D_PZERO, 0
    FOP_D fsub.d, rdn, D_TWO, D_TWO, D_MZERO, 0
    FOP_D fdiv.d, rne, D_ONE, D_THREE, 0x3fd5555555555555, FLAG_NX
    FOP_D fdiv.d, rtz, D_ONE, D_THREE, 0x3fd5555555555555, FLAG_NX
    FOP_D fdiv.d, rup, D_ONE, D_THREE, 0x3fd5555555555556, FLAG_NX
    FOP_D fdiv.d, rdn, D_ONE, D_THREE, 0x3fd5555555555555, FLAG_NX
    FOP_D fdiv.d, rmm, D_ONE, D_THREE, 0x3fd5555555555555, FLAG_NX
    FOP_D fdiv.d, rdn, D_MONE, D_THREE, 0xbfd5555555555556, FLAG_NX
    FOP_D fdiv.d, rup, D_MONE, D_THREE, 0xbfd5555555555555, FLAG_NX
    FOP_D fadd.d, rne, D_ONE, D_ULP_HALF, D_ONE, FLAG_NX              /* tie to even */
    FOP_D fadd.d, rmm, D_ONE, D_ULP_HALF, 0x3ff0000000000001, FLAG_NX /* tie away */
    FOP_D fadd.d, rup, D_ONE, D_ULP_HALF, 0x3ff0000000000001, FLAG_NX
    FOP_D fadd.d, rtz, D_ONE, D_ULP_HALF, D_ONE, FLAG_NX
    FOP_D fadd.d, rne, 0x3ff0000000000001, D_ULP_HALF, 0x3ff0000000000002, FLAG_NX
    NEXT_CASE
    fsrmi 3                                             /* dynamic: RUP */
    FOP_D fdiv.d, dyn, D_ONE, D_THREE, 0x3fd5555555555556, FLAG_NX
    fsrmi 0
    FOP_D fdiv.d, dyn, D_ONE, D_THREE, 0x3fd5555555555555, FLAG_NX

    FOP_D fmul.d, rne, D_MAX, D_TWO, D_PINF, FLAG_OF | FLAG_NX
    FOP_D fmul.d, rtz, D_MAX, D_TWO, D_MAX, FLAG_OF | FLAG_NX
    FOP_D fmul.d, rne, D_MINN, D_HALF, 0x0008000000000000, 0
    FOP_D fmul.d, rne, D_MINSUB, D_HALF, D_PZERO, FLAG_UF | FLAG_NX
    FOP_D fmul.d, rup, D_MINSUB, D_HALF, D_MINSUB, FLAG_UF | FLAG_NX
    FOP_D fdiv.d, rne, D_ONE, D_PZERO, D_PINF, FLAG_DZ
    FOP_D fdiv.d, rne, D_ONE, D_MZERO, D_MINF, FLAG_DZ
    FOP_D fdiv.d, rne, D_PZERO, D_PZERO, D_QNAN, FLAG_NV
    FOP_D fsub.d, rne, D_PINF, D_PINF, D_QNAN, FLAG_NV
    FOP_D fmul.d, rne, D_MINF, D_PZERO, D_QNAN, FLAG_NV
    FOP_D fadd.d, rne, D_QNANP, D_ONE, D_QNAN, 0
    FOP_D fadd.d, rne, D_SNAN, D_ONE, D_QNAN, FLAG_NV
    FOP_D fmul.d, rne, 0xfff8000000000000, D_ONE, D_QNAN, 0

    /* ---- fmin / fmax */
    FOP2_D fmin.d, D_ONE, D_TWO, D_ONE, 0
    FOP2_D fmax.d, D_ONE, D_TWO, D_TWO, 0
    FOP2_D fmin.d, D_PZERO, D_MZERO, D_MZERO, 0
    FOP2_D fmax.d, D_MZERO, D_PZERO, D_PZERO, 0
    FOP2_D fmin.d, D_QNANP, D_MONE, D_MONE, 0
    FOP2_D fmax.d, D_QNANP, D_QNANP, D_QNAN, 0
    FOP2_D fmin.d, D_SNAN, D_TWO, D_TWO, FLAG_NV
    FOP2_D fmax.d, D_TWO, D_SNAN, D_TWO, FLAG_NV

    /* ---- sign injection */
    FOP2_D fsgnj.d, D_ONE, D_MONE, D_MONE, 0
    FOP2_D fsgnjn.d, D_ONE, D_MONE, D_ONE, 0
    FOP2_D fsgnjn.d, D_MONE, D_MONE, D_ONE, 0
    FOP2_D fsgnjx.d, D_MONE, D_MONE, D_ONE, 0
    FOP2_D fsgnjx.d, D_ONE, D_MONE, D_MONE, 0
    FOP2_D fsgnj.d, D_SNAN, D_MZERO, 0xfff0000000000001, 0

    /* ---- fused multiply-add */
    FMA_D fmadd.d, rne, D_TWO, D_THREE, D_ONE, 0x401c000000000000, 0
    FMA_D fmsub.d, rne, D_TWO, D_THREE, D_ONE, 0x4014000000000000, 0
    FMA_D fnmsub.d, rne, D_TWO, D_THREE, D_ONE, 0xc014000000000000, 0
    FMA_D fnmadd.d, rne, D_TWO, D_THREE, D_ONE, 0xc01c000000000000, 0
    FMA_D fmadd.d, rne, 0x3ff0000002000000, 0x3feffffffc000000, D_MONE, 0xbc90000000000000, 0
    FMA_D fmadd.d, rne, D_PZERO, D_PINF, D_QNANP, D_QNAN, FLAG_NV
    FMA_D fmadd.d, rne, D_ONE, D_ONE, D_SNAN, D_QNAN, FLAG_NV
    FMA_D fmadd.d, rup, D_ONE, D_ONE, D_ULP_HALF, 0x3ff0000000000001, FLAG_NX
    FMA_D fnmadd.d, rne, D_ONE, D_PZERO, D_PZERO, D_MZERO, 0

    /* ---- fsqrt */
    FSQRT_D rne, 0x4010000000000000, D_TWO, 0
    FSQRT_D rne, D_TWO, 0x3ff6a09e667f3bcd, FLAG_NX
    FSQRT_D rtz, D_TWO, 0x3ff6a09e667f3bcc, FLAG_NX
    FSQRT_D rne, D_MONE, D_QNAN, FLAG_NV
    FSQRT_D rne, D_MZERO, D_MZERO, 0
    FSQRT_D rne, D_SNAN, D_QNAN, FLAG_NV

    /* ---- compares */
    FCMP_D feq.d, D_ONE, D_ONE, 1, 0
    FCMP_D feq.d, D_PZERO, D_MZERO, 1, 0
    FCMP_D feq.d, D_QNAN, D_QNAN, 0, 0
    FCMP_D feq.d, D_ONE, D_SNAN, 0, FLAG_NV
    FCMP_D flt.d, D_MONE, D_ONE, 1, 0
    FCMP_D flt.d, D_ONE, D_ONE, 0, 0
    FCMP_D flt.d, D_QNAN, D_ONE, 0, FLAG_NV
    FCMP_D fle.d, D_ONE, D_ONE, 1, 0
    FCMP_D fle.d, D_MZERO, D_PZERO, 1, 0
    FCMP_D fle.d, D_QNANP, D_ONE, 0, FLAG_NV

    /* ---- fclass */
    FCLASS_D D_MINF, 1 << 0
    FCLASS_D D_MONE, 1 << 1
    FCLASS_D 0x8000000000000001, 1 << 2
    FCLASS_D D_MZERO, 1 << 3
    FCLASS_D D_PZERO, 1 << 4
    FCLASS_D 0x000fffffffffffff, 1 << 5
    FCLASS_D D_ONE, 1 << 6
    FCLASS_D D_PINF, 1 << 7
    FCLASS_D D_SNAN, 1 << 8
    FCLASS_D D_QNAN, 1 << 9

    /* ---- double -> integer */
    FCVT_I_D fcvt.w.d, rne, 0x4004000000000000, 2, FLAG_NX            /* 2.5 */
    FCVT_I_D fcvt.w.d, rmm, 0x4004000000000000, 3, FLAG_NX
    FCVT_I_D fcvt.w.d, rup, 0x3ff199999999999a, 2, FLAG_NX            /* 1.1 */
    FCVT_I_D fcvt.w.d, rtz, 0x41dfffffffe00000, 0x7fffffff, FLAG_NX   /* 2^31 - 0.5 */
    FCVT_I_D fcvt.w.d, rne, 0x41dfffffffe00000, 0x7fffffff, FLAG_NV   /* rounds to 2^31 */
    FCVT_I_D fcvt.w.d, rtz, 0xc1e0000000100000, 0xffffffff80000000, FLAG_NX  /* -2^31 - 0.5 */
    FCVT_I_D fcvt.w.d, rdn, 0xc1e0000000100000, 0xffffffff80000000, FLAG_NV
    FCVT_I_D fcvt.w.d, rne, D_QNAN, 0x7fffffff, FLAG_NV
    FCVT_I_D fcvt.w.d, rne, D_MINF, 0xffffffff80000000, FLAG_NV
    FCVT_I_D fcvt.wu.d, rne, 0x41e65a0bc0000000, 0xffffffffb2d05e00, 0 /* 3e9 */
    FCVT_I_D fcvt.wu.d, rne, D_MONE, 0, FLAG_NV
    FCVT_I_D fcvt.wu.d, rne, 0x41f0000000000000, -1, FLAG_NV          /* 2^32 */
    FCVT_I_D fcvt.wu.d, rne, D_SNAN, -1, FLAG_NV
    FCVT_I_D fcvt.l.d, rne, 0x43e0000000000000, 0x7fffffffffffffff, FLAG_NV
    FCVT_I_D fcvt.l.d, rne, 0xc3e0000000000000, 0x8000000000000000, 0
    FCVT_I_D fcvt.l.d, rne, D_PINF, 0x7fffffffffffffff, FLAG_NV
    FCVT_I_D fcvt.l.d, rne, D_QNAN, 0x7fffffffffffffff, FLAG_NV
    FCVT_I_D fcvt.l.d, rdn, 0xbfe0000000000000, -1, FLAG_NX
    FCVT_I_D fcvt.lu.d, rne, 0x43f0000000000000, -1, FLAG_NV
    FCVT_I_D fcvt.lu.d, rne, 0x43e0000000000000, 0x8000000000000000, 0
    FCVT_I_D fcvt.lu.d, rne, D_MONE, 0, FLAG_NV
    FCVT_I_D fcvt.lu.d, rtz, 0xbfe0000000000000, 0, FLAG_NX
    FCVT_I_D fcvt.lu.d, rne, D_MINF, 0, FLAG_NV

    /* ---- integer -> double */
    FCVT_D_I fcvt.d.w, rne, -1, D_MONE, 0
    FCVT_D_I fcvt.d.w, rne, 0xffffffff00000002, D_TWO, 0              /* low word only */
    FCVT_D_I fcvt.d.wu, rne, -1, 0x41efffffffe00000, 0                /* 0xffffffff exactly */
    FCVT_D_I fcvt.d.l, rne, 0x7fffffffffffffff, 0x43e0000000000000, FLAG_NX
    FCVT_D_I fcvt.d.l, rtz, 0x7fffffffffffffff, 0x43dfffffffffffff, FLAG_NX
    FCVT_D_I fcvt.d.l, rne, 0x8000000000000000, 0xc3e0000000000000, 0
    FCVT_D_I fcvt.d.lu, rne, -1, 0x43f0000000000000, FLAG_NX
    FCVT_D_I fcvt.d.lu, rne, 3, D_THREE, 0

    /* ---- double <-> single */
    NEXT_CASE
    li a1, 0x3fd5555555555555
    fmv.d.x fa0, a1
    fsflags zero
    fcvt.s.d fa2, fa0, rne
    CHECK_S fa2, 0x3eaaaaab, FLAG_NX
    NEXT_CASE
    fcvt.s.d fa2, fa0, rtz
    CHECK_S fa2, 0x3eaaaaaa, FLAG_NX
    NEXT_CASE
    li a1, D_MAX
    fmv.d.x fa0, a1
    fsflags zero
    fcvt.s.d fa2, fa0, rne
    CHECK_S fa2, 0x7f800000, FLAG_OF | FLAG_NX
    NEXT_CASE
    fsflags zero
    fcvt.s.d fa2, fa0, rtz
    CHECK_S fa2, 0x7f7fffff, FLAG_OF | FLAG_NX
    NEXT_CASE
    li a1, 0x3ff0000010000000                          /* 1 + 2^-24: a tie in single */
    fmv.d.x fa0, a1
    fsflags zero
    fcvt.s.d fa2, fa0, rne
    CHECK_S fa2, 0x3f800000, FLAG_NX
    NEXT_CASE
    fsflags zero
    fcvt.s.d fa2, fa0, rmm
    CHECK_S fa2, 0x3f800001, FLAG_NX
    NEXT_CASE
    li a1, 0x01a56e1fc2f8f359                          /* 1e-300 */
    fmv.d.x fa0, a1
    fsflags zero
    fcvt.s.d fa2, fa0, rne
    CHECK_S fa2, 0, FLAG_UF | FLAG_NX
    NEXT_CASE
    fsflags zero
    fcvt.s.d fa2, fa0, rup
    CHECK_S fa2, 1, FLAG_UF | FLAG_NX
    NEXT_CASE
    li a1, D_SNAN
    fmv.d.x fa0, a1
    fsflags zero
    fcvt.s.d fa2, fa0
    CHECK_S fa2, 0x7fc00000, FLAG_NV
    NEXT_CASE
    li a1, D_QNANP
    fmv.d.x fa0, a1
    fsflags zero
    fcvt.s.d fa2, fa0
    CHECK_S fa2, 0x7fc00000, 0
    NEXT_CASE
    li a1, 0x3eaaaaab
    fmv.w.x fa0, a1
    fsflags zero
    fcvt.d.s fa2, fa0
    CHECK_D fa2, 0x3fd5555560000000, 0                 /* widening is exact */
    NEXT_CASE
    li a1, 1
    fmv.w.x fa0, a1
    fcvt.d.s fa2, fa0
    CHECK_D fa2, 0x36a0000000000000, 0                 /* single subnormal 2^-149 */
    NEXT_CASE
    li a1, 0x7f800001
    fmv.w.x fa0, a1
    fcvt.d.s fa2, fa0
    CHECK_D fa2, D_QNAN, FLAG_NV
    NEXT_CASE
    li a1, 0xff800000
    fmv.w.x fa0, a1
    fsflags zero
    fcvt.d.s fa2, fa0
    CHECK_D fa2, D_MINF, 0
    NEXT_CASE
    li a1, 0x000000003f800000                          /* unboxed single */
    fmv.d.x fa0, a1
    fcvt.d.s fa2, fa0
    CHECK_D fa2, D_QNAN, 0

    /* ---- fmv and fld/fsd */
    NEXT_CASE
    li a1, 0x0123456789abcdef
    fmv.d.x fa0, a1
    fmv.x.d a3, fa0
    EXPECT_REG a3, a1
    NEXT_CASE
    la s0, ddata
    fld fa0, 0(s0)
    fmv.x.d a3, fa0
    EXPECT a3, D_SNAN                                  /* loads do not quieten */
    fsd fa0, 16(s0)
    ld a3, 16(s0)
    EXPECT a3, D_SNAN
    NEXT_CASE
    fld fa1, 8(s0)
    addi s1, s0, 32
    fsd fa1, -8(s1)
    ld a3, 24(s0)
    EXPECT a3, 0xc00921fb54442d18                      /* -pi */
    NEXT_CASE
    fmv.d fa2, fa1
    fneg.d fa3, fa2
    fabs.d fa4, fa2
    fmv.x.d a3, fa3
    EXPECT a3, 0x400921fb54442d18
    fmv.x.d a3, fa4
    EXPECT a3, 0x400921fb54442d18
    frflags a3
    TEST_PASS

    .data
    .align 3
ddata:
    .dword D_SNAN, 0xc00921fb54442d18, 0, 0
