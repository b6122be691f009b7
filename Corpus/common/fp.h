/*
 * fp.h — check macros for the F and D tests: operands and results are given as IEEE bit
 * patterns so the expected values are exact, and every check also compares fflags exactly
 * (NX=1, UF=2, OF=4, DZ=8, NV=16; Unprivileged ISA 20191213 §11.2 Table 11.4).
 * `rm` is one of rne, rtz, rdn, rup, rmm, dyn.
 */
#ifndef VIRTBENCH_CORPUS_FP_H
#define VIRTBENCH_CORPUS_FP_H

#define FLAG_NX 1
#define FLAG_UF 2
#define FLAG_OF 4
#define FLAG_DZ 8
#define FLAG_NV 16

/* ---- single precision: registers hold NaN-boxed values; results compared sign-extended */
.macro CHECK_S freg, result, flags
    frflags a5
    fmv.x.w a3, \freg
    li a4, \result
    sext.w a4, a4
    EXPECT_REG a3, a4
    EXPECT a5, \flags
.endm

.macro FOP_S op, rm, a, b, result, flags
    NEXT_CASE
    li a1, \a
    fmv.w.x fa0, a1
    li a2, \b
    fmv.w.x fa1, a2
    fsflags zero
    \op fa2, fa0, fa1, \rm
    CHECK_S fa2, \result, \flags
.endm

/* no rounding mode: fmin, fmax, fsgnj* */
.macro FOP2_S op, a, b, result, flags
    NEXT_CASE
    li a1, \a
    fmv.w.x fa0, a1
    li a2, \b
    fmv.w.x fa1, a2
    fsflags zero
    \op fa2, fa0, fa1
    CHECK_S fa2, \result, \flags
.endm

.macro FSQRT_S rm, a, result, flags
    NEXT_CASE
    li a1, \a
    fmv.w.x fa0, a1
    fsflags zero
    fsqrt.s fa2, fa0, \rm
    CHECK_S fa2, \result, \flags
.endm

.macro FMA_S op, rm, a, b, c, result, flags
    NEXT_CASE
    li a1, \a
    fmv.w.x fa0, a1
    li a1, \b
    fmv.w.x fa1, a1
    li a1, \c
    fmv.w.x fa3, a1
    fsflags zero
    \op fa2, fa0, fa1, fa3, \rm
    CHECK_S fa2, \result, \flags
.endm

/* compares and fclass: integer result */
.macro FCMP_S op, a, b, result, flags
    NEXT_CASE
    li a1, \a
    fmv.w.x fa0, a1
    li a2, \b
    fmv.w.x fa1, a2
    fsflags zero
    \op a3, fa0, fa1
    frflags a5
    EXPECT a3, \result
    EXPECT a5, \flags
.endm

.macro FCLASS_S a, result
    NEXT_CASE
    li a1, \a
    fmv.w.x fa0, a1
    fclass.s a3, fa0
    EXPECT a3, \result
.endm

/* float -> integer */
.macro FCVT_I_S op, rm, a, result, flags
    NEXT_CASE
    li a1, \a
    fmv.w.x fa0, a1
    fsflags zero
    \op a3, fa0, \rm
    frflags a5
    EXPECT a3, \result
    EXPECT a5, \flags
.endm

/* integer -> float */
.macro FCVT_S_I op, rm, a, result, flags
    NEXT_CASE
    li a1, \a
    fsflags zero
    \op fa2, a1, \rm
    CHECK_S fa2, \result, \flags
.endm

/* ---- double precision */
.macro CHECK_D freg, result, flags
    frflags a5
    fmv.x.d a3, \freg
    EXPECT a3, \result
    EXPECT a5, \flags
.endm

.macro FOP_D op, rm, a, b, result, flags
    NEXT_CASE
    li a1, \a
    fmv.d.x fa0, a1
    li a2, \b
    fmv.d.x fa1, a2
    fsflags zero
    \op fa2, fa0, fa1, \rm
    CHECK_D fa2, \result, \flags
.endm

.macro FOP2_D op, a, b, result, flags
    NEXT_CASE
    li a1, \a
    fmv.d.x fa0, a1
    li a2, \b
    fmv.d.x fa1, a2
    fsflags zero
    \op fa2, fa0, fa1
    CHECK_D fa2, \result, \flags
.endm

.macro FSQRT_D rm, a, result, flags
    NEXT_CASE
    li a1, \a
    fmv.d.x fa0, a1
    fsflags zero
    fsqrt.d fa2, fa0, \rm
    CHECK_D fa2, \result, \flags
.endm

.macro FMA_D op, rm, a, b, c, result, flags
    NEXT_CASE
    li a1, \a
    fmv.d.x fa0, a1
    li a1, \b
    fmv.d.x fa1, a1
    li a1, \c
    fmv.d.x fa3, a1
    fsflags zero
    \op fa2, fa0, fa1, fa3, \rm
    CHECK_D fa2, \result, \flags
.endm

.macro FCMP_D op, a, b, result, flags
    NEXT_CASE
    li a1, \a
    fmv.d.x fa0, a1
    li a2, \b
    fmv.d.x fa1, a2
    fsflags zero
    \op a3, fa0, fa1
    frflags a5
    EXPECT a3, \result
    EXPECT a5, \flags
.endm

.macro FCLASS_D a, result
    NEXT_CASE
    li a1, \a
    fmv.d.x fa0, a1
    fclass.d a3, fa0
    EXPECT a3, \result
.endm

.macro FCVT_I_D op, rm, a, result, flags
    NEXT_CASE
    li a1, \a
    fmv.d.x fa0, a1
    fsflags zero
    \op a3, fa0, \rm
    frflags a5
    EXPECT a3, \result
    EXPECT a5, \flags
.endm

.macro FCVT_D_I op, rm, a, result, flags
    NEXT_CASE
    li a1, \a
    fsflags zero
    \op fa2, a1, \rm
    CHECK_D fa2, \result, \flags
.endm

#endif
