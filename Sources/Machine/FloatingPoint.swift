/// RISC-V floating point (unprivileged spec, F and D chapters) on raw register bits.
///
/// Section numbers below are those of the unprivileged ISA manual 20191213 (F = chapter 11, D = 12).
///
/// The execution engine keeps f registers as raw 64-bit patterns and calls these pure functions
/// for every F/D instruction, so the semantics of each instruction live in one place and can be
/// compared to the manual line by line.
///
/// Conventions shared by every function:
/// - Operands are raw 64-bit f-register contents. Single-precision operands are NaN-boxed
///   (spec §12.2, "NaN Boxing of Narrower Values"): an operand whose upper 32 bits are not all
///   ones reads as the canonical NaN. Single-precision results are returned NaN-boxed.
/// - `rm` is a static rounding mode 0...4 (see ``RoundingMode``). The engine resolves the dynamic
///   mode (7) from `frm` and raises illegal-instruction for 5, 6 or an invalid `frm` before calling;
///   any other value that still arrives here is treated as round-to-nearest-even.
/// - Exception flags are OR-ed into `flags` using the `fflags` encoding (see ``Flag``); nothing
///   is ever cleared, matching the accrued semantics of `fflags`.
/// - Every NaN produced by arithmetic is the canonical NaN (spec §11.3, "NaN Generation and
///   Propagation"): RISC-V does not propagate NaN payloads.
///
/// How results are made exact, without ever changing the host's floating-point environment:
/// - RNE on moderate magnitudes (the common case) uses the host's IEEE 754 hardware in its default
///   mode and decides NX from an exact error term (see "Round-to-nearest-even without touching
///   fenv" below). No overflow, underflow, NV or DZ can arise there.
/// - Everything else forms the exact result with integer arithmetic and rounds it in software
///   (`roundPack`), in all five modes including RMM, which no host has. Singles are widened
///   exactly to double and rounded once, straight to single.
/// - Conversions involving integers and `fcvt.s.d` are software too.
/// An earlier version switched the host's rounding mode through fenv; measured on the x86 build
/// machine that cost 300-800 ns per instruction (glibc rewrites the x87 environment to clear flags)
/// and relied on the compiler not moving arithmetic across the fenv calls.
public enum FloatingPoint {
    /// Bits of the `fflags` CSR (unprivileged spec §11.2, "Accrued exception flag encoding").
    public enum Flag {
        /// NX: the rounded result differs from the exact result.
        public static let inexact: UInt8 = 1 << 0
        /// UF: the result is tiny (after rounding) and inexact.
        public static let underflow: UInt8 = 1 << 1
        /// OF: the rounded result's magnitude exceeded the largest finite number.
        public static let overflow: UInt8 = 1 << 2
        /// DZ: a finite nonzero number was divided by zero.
        public static let divideByZero: UInt8 = 1 << 3
        /// NV: the operation has no meaningful result (NaN operand rules, inf-inf, 0*inf, ...).
        public static let invalid: UInt8 = 1 << 4
    }

    /// Static rounding-mode encodings of the `rm` field (unprivileged spec §11.2, "Rounding mode encoding").
    public enum RoundingMode {
        /// RNE: round to nearest, ties to even.
        public static let nearestEven: UInt8 = 0
        /// RTZ: round towards zero.
        public static let towardZero: UInt8 = 1
        /// RDN: round down, towards negative infinity.
        public static let down: UInt8 = 2
        /// RUP: round up, towards positive infinity.
        public static let up: UInt8 = 3
        /// RMM: round to nearest, ties to max magnitude (away from zero).
        public static let nearestMaxMagnitude: UInt8 = 4
    }

    /// The single-precision canonical NaN (spec §11.3): positive, quiet, zero payload.
    public static let canonicalNaN32: UInt32 = 0x7fc0_0000
    /// The double-precision canonical NaN (spec §12.3).
    public static let canonicalNaN64: UInt64 = 0x7ff8_0000_0000_0000

    /// Upper half of a NaN-boxed single (spec §12.2): all ones.
    @usableFromInline static let boxMask: UInt64 = 0xffff_ffff_0000_0000

    // MARK: NaN boxing

    /// Reads a single-precision operand from a 64-bit register: not properly boxed means canonical NaN (spec §12.2).
    @inlinable @inline(__always)
    static func unbox(_ x: UInt64) -> UInt32 {
        x & boxMask == boxMask ? UInt32(truncatingIfNeeded: x) : canonicalNaN32
    }

    /// Writes a single-precision result into a 64-bit register, NaN-boxed (spec §12.2).
    @inlinable @inline(__always)
    static func box(_ x: UInt32) -> UInt64 {
        boxMask | UInt64(x)
    }

    /// `fmv.x.w`: the low 32 bits of the f register, sign-extended, without looking at the boxing (spec §11.7).
    @inlinable @inline(__always)
    public static func moveXFromW(_ a: UInt64) -> UInt64 {
        UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: a)))
    }

    /// `fmv.w.x`: the low 32 bits of the integer register, NaN-boxed, bits unchanged (spec §11.7).
    @inlinable @inline(__always)
    public static func moveWFromX(_ x: UInt64) -> UInt64 {
        box(UInt32(truncatingIfNeeded: x))
    }

    // MARK: Classification helpers on raw bits

    @inlinable @inline(__always)
    static func isNaN32(_ x: UInt32) -> Bool { x & 0x7fff_ffff > 0x7f80_0000 }

    /// A signaling NaN has the most significant fraction bit clear (IEEE 754-2008 §6.2.1, as RISC-V uses it).
    @inlinable @inline(__always)
    static func isSignaling32(_ x: UInt32) -> Bool { isNaN32(x) && x & 0x0040_0000 == 0 }

    @inlinable @inline(__always)
    static func isNaN64(_ x: UInt64) -> Bool { x & 0x7fff_ffff_ffff_ffff > 0x7ff0_0000_0000_0000 }

    @inlinable @inline(__always)
    static func isSignaling64(_ x: UInt64) -> Bool { isNaN64(x) && x & 0x0008_0000_0000_0000 == 0 }

    // MARK: Single-precision arithmetic

    /// `fadd.s`
    public static func add32(_ a: UInt64, _ b: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic32(.add, a, b, box(0), operands: 2, rm: rm, flags: &flags)
    }

    /// `fsub.s`
    public static func sub32(_ a: UInt64, _ b: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic32(.subtract, a, b, box(0), operands: 2, rm: rm, flags: &flags)
    }

    /// `fmul.s`
    public static func mul32(_ a: UInt64, _ b: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic32(.multiply, a, b, box(0), operands: 2, rm: rm, flags: &flags)
    }

    /// `fdiv.s`
    public static func div32(_ a: UInt64, _ b: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic32(.divide, a, b, box(0), operands: 2, rm: rm, flags: &flags)
    }

    /// `fsqrt.s`
    public static func sqrt32(_ a: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic32(.squareRoot, a, box(0), box(0), operands: 1, rm: rm, flags: &flags)
    }

    /// `fmadd.s`: (a × b) + c with one rounding.
    public static func fmadd32(_ a: UInt64, _ b: UInt64, _ c: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic32(.fusedMultiplyAdd, a, b, c, operands: 3, rm: rm, flags: &flags)
    }

    /// `fmsub.s`: (a × b) − c with one rounding.
    public static func fmsub32(_ a: UInt64, _ b: UInt64, _ c: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic32(.fusedMultiplyAdd, a, b, c ^ signBit32, operands: 3, rm: rm, flags: &flags)
    }

    /// `fnmsub.s`: −(a × b) + c with one rounding (the spec's definition, not −fmsub).
    public static func fnmsub32(_ a: UInt64, _ b: UInt64, _ c: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic32(.fusedMultiplyAdd, a ^ signBit32, b, c, operands: 3, rm: rm, flags: &flags)
    }

    /// `fnmadd.s`: −(a × b) − c with one rounding (the spec's definition, not −fmadd).
    public static func fnmadd32(_ a: UInt64, _ b: UInt64, _ c: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic32(.fusedMultiplyAdd, a ^ signBit32, b, c ^ signBit32, operands: 3, rm: rm, flags: &flags)
    }

    /// Sign bit of a boxed single. Flipping it keeps the box intact, and an unboxed operand
    /// still reads as the canonical NaN (its upper half stays not-all-ones).
    @usableFromInline static let signBit32: UInt64 = 0x8000_0000

    /// Every single-precision arithmetic instruction: NaN rules, then the RNE fast path or exact software.
    @usableFromInline
    static func arithmetic32(
        _ operation: Operation, _ a: UInt64, _ b: UInt64, _ c: UInt64,
        operands: Int, rm: UInt8, flags: inout UInt8
    ) -> UInt64 {
        let x = unbox(a), y = unbox(b), z = unbox(c)
        if operation == .fusedMultiplyAdd {
            // Spec §11.6: inf × 0 sets NV even when the addend is a quiet NaN.
            let xInf = x & 0x7fff_ffff == 0x7f80_0000, yInf = y & 0x7fff_ffff == 0x7f80_0000
            let xZero = x & 0x7fff_ffff == 0, yZero = y & 0x7fff_ffff == 0
            if (xInf && yZero) || (xZero && yInf) {
                flags |= Flag.invalid
                return box(canonicalNaN32)
            }
        }
        let nanX = isNaN32(x), nanY = operands > 1 && isNaN32(y), nanZ = operands > 2 && isNaN32(z)
        if nanX || nanY || nanZ {
            if isSignaling32(x) || (operands > 1 && isSignaling32(y)) || (operands > 2 && isSignaling32(z)) {
                flags |= Flag.invalid
            }
            return box(canonicalNaN32)
        }
        let fx = Float(bitPattern: x), fy = Float(bitPattern: y), fz = Float(bitPattern: z)
        if rm == RoundingMode.nearestEven, let fast = nearestEvenFast32(operation, fx, fy, fz, flags: &flags) {
            return box(fast)
        }
        // Singles widen to doubles exactly; the exact result is then rounded once, to single.
        let wide = exact(operation, Double(fx).bitPattern, Double(fy).bitPattern, Double(fz).bitPattern,
                         rm: rm, format: .binary32, flags: &flags)
        return box(UInt32(truncatingIfNeeded: wide))
    }

    // MARK: Double-precision arithmetic

    /// `fadd.d`
    public static func add64(_ a: UInt64, _ b: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic64(.add, a, b, 0, operands: 2, rm: rm, flags: &flags)
    }

    /// `fsub.d`
    public static func sub64(_ a: UInt64, _ b: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic64(.subtract, a, b, 0, operands: 2, rm: rm, flags: &flags)
    }

    /// `fmul.d`
    public static func mul64(_ a: UInt64, _ b: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic64(.multiply, a, b, 0, operands: 2, rm: rm, flags: &flags)
    }

    /// `fdiv.d`
    public static func div64(_ a: UInt64, _ b: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic64(.divide, a, b, 0, operands: 2, rm: rm, flags: &flags)
    }

    /// `fsqrt.d`
    public static func sqrt64(_ a: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic64(.squareRoot, a, 0, 0, operands: 1, rm: rm, flags: &flags)
    }

    /// `fmadd.d`: (a × b) + c with one rounding.
    public static func fmadd64(_ a: UInt64, _ b: UInt64, _ c: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic64(.fusedMultiplyAdd, a, b, c, operands: 3, rm: rm, flags: &flags)
    }

    /// `fmsub.d`: (a × b) − c with one rounding.
    public static func fmsub64(_ a: UInt64, _ b: UInt64, _ c: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic64(.fusedMultiplyAdd, a, b, c ^ signBit64, operands: 3, rm: rm, flags: &flags)
    }

    /// `fnmsub.d`: −(a × b) + c with one rounding.
    public static func fnmsub64(_ a: UInt64, _ b: UInt64, _ c: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic64(.fusedMultiplyAdd, a ^ signBit64, b, c, operands: 3, rm: rm, flags: &flags)
    }

    /// `fnmadd.d`: −(a × b) − c with one rounding.
    public static func fnmadd64(_ a: UInt64, _ b: UInt64, _ c: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        arithmetic64(.fusedMultiplyAdd, a ^ signBit64, b, c ^ signBit64, operands: 3, rm: rm, flags: &flags)
    }

    @usableFromInline static let signBit64: UInt64 = 0x8000_0000_0000_0000

    /// Every double-precision arithmetic instruction: NaN rules, then the RNE fast path or exact software.
    @usableFromInline
    static func arithmetic64(
        _ operation: Operation, _ a: UInt64, _ b: UInt64, _ c: UInt64,
        operands: Int, rm: UInt8, flags: inout UInt8
    ) -> UInt64 {
        if operation == .fusedMultiplyAdd {
            // Spec §11.6 (and §12.6 for D): inf × 0 sets NV even when the addend is a quiet NaN.
            let aInf = a & ~signBit64 == 0x7ff0_0000_0000_0000, bInf = b & ~signBit64 == 0x7ff0_0000_0000_0000
            let aZero = a & ~signBit64 == 0, bZero = b & ~signBit64 == 0
            if (aInf && bZero) || (aZero && bInf) {
                flags |= Flag.invalid
                return canonicalNaN64
            }
        }
        let nanA = isNaN64(a), nanB = operands > 1 && isNaN64(b), nanC = operands > 2 && isNaN64(c)
        if nanA || nanB || nanC {
            if isSignaling64(a) || (operands > 1 && isSignaling64(b)) || (operands > 2 && isSignaling64(c)) {
                flags |= Flag.invalid
            }
            return canonicalNaN64
        }
        let x = Double(bitPattern: a), y = Double(bitPattern: b), z = Double(bitPattern: c)
        if rm == RoundingMode.nearestEven, let fast = nearestEvenFast64(operation, x, y, z, flags: &flags) {
            return fast
        }
        return exact(operation, a, b, c, rm: rm, format: .binary64, flags: &flags)
    }

    // MARK: Exact arithmetic in software

    // Outside the RNE fast path every operation forms its exact result with integer arithmetic
    // (significands in 64 or 128 bits, shifted-out bits kept as a sticky bit) and rounds it in
    // software with `roundPack`. That gives RMM, which no host has, needs no wider host format,
    // and never changes the host's floating-point environment: switching rounding modes and
    // reading flags through fenv cost 300-800 ns per operation on the x86 build machine, this ~40 ns.
    // Singles are widened exactly to double first and rounded straight to single, once.

    /// A binary interchange format to round into (IEEE 754 §3.6).
    struct Format {
        let precision: Int
        let maxExponent: Int
        let signPosition: Int

        var signBit: UInt64 { 1 << UInt64(signPosition) }
        var infinity: UInt64 { UInt64(2 * maxExponent + 1) << UInt64(precision - 1) }
        var canonicalNaN: UInt64 { infinity | 1 << UInt64(precision - 2) }

        static var binary32: Format { Format(precision: 24, maxExponent: 127, signPosition: 31) }
        static var binary64: Format { Format(precision: 53, maxExponent: 1023, signPosition: 63) }
    }

    static let infinity64: UInt64 = 0x7ff0_0000_0000_0000

    @inline(__always)
    static func isInfinite64(_ x: UInt64) -> Bool { x & ~signBit64 == infinity64 }

    @inline(__always)
    static func isZero64(_ x: UInt64) -> Bool { x & ~signBit64 == 0 }

    @inline(__always)
    static func isNegative64(_ x: UInt64) -> Bool { x & signBit64 != 0 }

    /// A finite nonzero double as sign, unbiased exponent and a significand normalized to bit 63
    /// (value = significand × 2^(exponent − 63)); subnormals are normalized too.
    @inline(__always)
    static func unpack64(_ bits: UInt64) -> (sign: Bool, exponent: Int, significand: UInt64) {
        let field = Int((bits >> 52) & 0x7ff)
        let fraction = bits & 0x000f_ffff_ffff_ffff
        if field == 0 {
            let shift = fraction.leadingZeroBitCount
            return (bits >> 63 != 0, -1011 - shift, fraction << UInt64(shift))
        }
        return (bits >> 63 != 0, field - 1023, (1 << 63) | fraction << 11)
    }

    /// Rounds an exact result into `format`.
    @inline(__always)
    static func pack(sign: Bool, exponent: Int, significand: UInt64, sticky: Bool, rm: UInt8,
                     format: Format, flags: inout UInt8) -> UInt64 {
        roundPack(sign: sign, exponent: exponent, significand: significand, sticky: sticky, rm: rm,
                  precision: format.precision, maxExponent: format.maxExponent,
                  signPosition: format.signPosition, flags: &flags)
    }

    /// ±0 or ±infinity in `format`.
    @inline(__always)
    static func special(negative: Bool, infinite: Bool, format: Format) -> UInt64 {
        (negative ? format.signBit : 0) | (infinite ? format.infinity : 0)
    }

    /// A double that is exactly representable in `format` (an unchanged operand), re-encoded.
    @inline(__always)
    static func reencode(_ bits: UInt64, format: Format) -> UInt64 {
        format.precision == 53 ? bits : UInt64(Float(Double(bitPattern: bits)).bitPattern)
    }

    /// The sign of an exact zero sum of nonzero terms, or of zeros of opposite signs: +0, except −0
    /// when rounding down (IEEE 754 §6.3).
    @inline(__always)
    static func cancellationZero(_ rm: UInt8, format: Format) -> UInt64 {
        rm == RoundingMode.down ? format.signBit : 0
    }

    /// Every arithmetic operation on non-NaN double operands (widened singles included), rounded into `format`.
    static func exact(_ operation: Operation, _ a: UInt64, _ b: UInt64, _ c: UInt64, rm: UInt8,
                      format: Format, flags: inout UInt8) -> UInt64 {
        switch operation {
        case .add: return exactSum(a, b, rm: rm, format: format, flags: &flags)
        case .subtract: return exactSum(a, b ^ signBit64, rm: rm, format: format, flags: &flags)
        case .multiply: return exactProduct(a, b, rm: rm, format: format, flags: &flags)
        case .divide: return exactQuotient(a, b, rm: rm, format: format, flags: &flags)
        case .squareRoot: return exactSquareRoot(a, rm: rm, format: format, flags: &flags)
        case .fusedMultiplyAdd: return exactFusedMultiplyAdd(a, b, c, rm: rm, format: format, flags: &flags)
        }
    }

    /// a + b (operands are not NaN).
    static func exactSum(_ a: UInt64, _ b: UInt64, rm: UInt8, format: Format, flags: inout UInt8) -> UInt64 {
        if isInfinite64(a) || isInfinite64(b) {
            if isInfinite64(a) && isInfinite64(b) && a != b {
                flags |= Flag.invalid
                return format.canonicalNaN
            }
            return special(negative: isNegative64(isInfinite64(a) ? a : b), infinite: true, format: format)
        }
        if isZero64(a) && isZero64(b) {
            return a == b ? special(negative: isNegative64(a), infinite: false, format: format)
                          : cancellationZero(rm, format: format)
        }
        if isZero64(a) { return reencode(b, format: format) }
        if isZero64(b) { return reencode(a, format: format) }
        var x = unpack64(a), y = unpack64(b)
        if x.exponent < y.exponent || (x.exponent == y.exponent && x.significand < y.significand) { swap(&x, &y) }
        // Significands at bits 61...9 (the low 11 bits of a double's normalized significand are
        // zero), leaving a carry bit above and guard bits below; bits shifted out of the smaller
        // operand are jammed into bit 0, which stays far below the rounding point.
        let large = x.significand >> 2
        let small = shiftRightJamming(y.significand >> 2, by: x.exponent - y.exponent)
        let sum = x.sign == y.sign ? large + small : large - small
        if sum == 0 { return cancellationZero(rm, format: format) }
        let shift = sum.leadingZeroBitCount
        return pack(sign: x.sign, exponent: x.exponent + 2 - shift, significand: sum << UInt64(shift),
                    sticky: false, rm: rm, format: format, flags: &flags)
    }

    @inline(__always)
    static func shiftRightJamming(_ value: UInt64, by count: Int) -> UInt64 {
        if count == 0 { return value }
        if count >= 64 { return value != 0 ? 1 : 0 }
        let lost = value << UInt64(64 - count) != 0
        return value >> UInt64(count) | (lost ? 1 : 0)
    }

    /// a × b (operands are not NaN).
    static func exactProduct(_ a: UInt64, _ b: UInt64, rm: UInt8, format: Format, flags: inout UInt8) -> UInt64 {
        let negative = isNegative64(a) != isNegative64(b)
        if isInfinite64(a) || isInfinite64(b) {
            if isZero64(a) || isZero64(b) {
                flags |= Flag.invalid
                return format.canonicalNaN
            }
            return special(negative: negative, infinite: true, format: format)
        }
        if isZero64(a) || isZero64(b) { return special(negative: negative, infinite: false, format: format) }
        let x = unpack64(a), y = unpack64(b)
        let (high, low) = x.significand.multipliedFullWidth(by: y.significand)
        // The product of two significands in [2^63, 2^64) lies in [2^126, 2^128).
        if high >> 63 != 0 {
            return pack(sign: negative, exponent: x.exponent + y.exponent + 1, significand: high,
                        sticky: low != 0, rm: rm, format: format, flags: &flags)
        }
        return pack(sign: negative, exponent: x.exponent + y.exponent, significand: high << 1 | low >> 63,
                    sticky: low << 1 != 0, rm: rm, format: format, flags: &flags)
    }

    /// a ÷ b (operands are not NaN).
    static func exactQuotient(_ a: UInt64, _ b: UInt64, rm: UInt8, format: Format, flags: inout UInt8) -> UInt64 {
        let negative = isNegative64(a) != isNegative64(b)
        if isInfinite64(a) {
            if isInfinite64(b) {
                flags |= Flag.invalid
                return format.canonicalNaN
            }
            return special(negative: negative, infinite: true, format: format)
        }
        if isInfinite64(b) { return special(negative: negative, infinite: false, format: format) }
        if isZero64(b) {
            if isZero64(a) {
                flags |= Flag.invalid
                return format.canonicalNaN
            }
            flags |= Flag.divideByZero
            return special(negative: negative, infinite: true, format: format)
        }
        if isZero64(a) { return special(negative: negative, infinite: false, format: format) }
        let x = unpack64(a), y = unpack64(b)
        // (x · 2^63) / y: the high half x >> 1 is below y, so the quotient fits in 64 bits and lies in (2^62, 2^64).
        let (quotient, remainder) = y.significand.dividingFullWidth((high: x.significand >> 1, low: x.significand << 63))
        let shift = quotient.leadingZeroBitCount
        return pack(sign: negative, exponent: x.exponent - y.exponent - shift, significand: quotient << UInt64(shift),
                    sticky: remainder != 0, rm: rm, format: format, flags: &flags)
    }

    /// √a (operand is not NaN).
    ///
    /// The host's square root in its default mode (RNE) is correctly rounded; after scaling the
    /// operand by an even power of two into [1, 4), the fused residual m − r² is exact and says
    /// on which side of r the exact root lies. The root is never exactly halfway between two
    /// doubles (a midpoint squared needs more bits than the operand has), so r and that side
    /// decide every rounding, to double or, through the same representative, to single.
    static func exactSquareRoot(_ a: UInt64, rm: UInt8, format: Format, flags: inout UInt8) -> UInt64 {
        if isZero64(a) { return special(negative: isNegative64(a), infinite: false, format: format) }
        if isNegative64(a) {
            flags |= Flag.invalid
            return format.canonicalNaN
        }
        if isInfinite64(a) { return format.infinity }
        let x = unpack64(a)
        let half = x.exponent >> 1  // floor, also for negative exponents
        let scaledExponent = x.exponent - 2 * half  // 0 or 1
        let m = Double(bitPattern: UInt64(scaledExponent + 1023) << 52 | (x.significand >> 11) & 0x000f_ffff_ffff_ffff)
        let root = m.squareRoot()
        let residual = m.addingProduct(-root, root)
        var significand = (1 << 63) | (root.bitPattern & 0x000f_ffff_ffff_ffff) << 11
        var exponent = Int((root.bitPattern >> 52) & 0x7ff) - 1023 + half
        if residual < 0 {
            // Exact root just below r: r minus less than one unit of the 64-bit significand.
            significand -= 1
            let shift = significand.leadingZeroBitCount
            significand <<= UInt64(shift)
            exponent -= shift
        }
        return pack(sign: false, exponent: exponent, significand: significand, sticky: residual != 0,
                    rm: rm, format: format, flags: &flags)
    }

    /// a × b + c rounded once (operands are not NaN; inf × 0 was handled by the caller).
    static func exactFusedMultiplyAdd(_ a: UInt64, _ b: UInt64, _ c: UInt64, rm: UInt8, format: Format,
                                      flags: inout UInt8) -> UInt64 {
        let productNegative = isNegative64(a) != isNegative64(b)
        if isInfinite64(a) || isInfinite64(b) {
            if isInfinite64(c) && isNegative64(c) != productNegative {
                flags |= Flag.invalid
                return format.canonicalNaN
            }
            return special(negative: productNegative, infinite: true, format: format)
        }
        if isInfinite64(c) { return special(negative: isNegative64(c), infinite: true, format: format) }
        if isZero64(a) || isZero64(b) {
            // An exact zero product: the sum is c, with IEEE 754 §6.3's sign for two zeros.
            if isZero64(c) {
                return productNegative == isNegative64(c)
                    ? special(negative: productNegative, infinite: false, format: format)
                    : cancellationZero(rm, format: format)
            }
            return reencode(c, format: format)
        }
        if isZero64(c) { return exactProduct(a, b, rm: rm, format: format, flags: &flags) }
        let x = unpack64(a), y = unpack64(b), z = unpack64(c)
        // Product in a 128-bit frame with its top bit at 125 or 124 (its low 22 bits are zero, so
        // the shift by 2 loses nothing); the addend with its top bit at 125. Value = frame × 2^scale.
        let (high, low) = x.significand.multipliedFullWidth(by: y.significand)
        var product = Wide(high: high >> 2, low: low >> 2 | high << 62)
        var productScale = x.exponent + y.exponent - 124
        var addend = Wide(high: z.significand >> 2, low: z.significand << 62)
        var addendScale = z.exponent - 125
        // Align to the larger scale, jamming what falls off the other into bit 0.
        if productScale > addendScale {
            addend = addend.shiftedRightJamming(by: productScale - addendScale)
            addendScale = productScale
        } else {
            product = product.shiftedRightJamming(by: addendScale - productScale)
            productScale = addendScale
        }
        let negative: Bool
        var total: Wide
        if productNegative == z.sign {
            total = product.adding(addend)
            negative = z.sign
        } else if product.isLess(than: addend) {
            total = addend.subtracting(product)
            negative = z.sign
        } else {
            total = product.subtracting(addend)
            negative = productNegative
        }
        if total.isZero { return cancellationZero(rm, format: format) }
        let shift = total.leadingZeroBitCount
        total = total.shiftedLeft(by: shift)
        return pack(sign: negative, exponent: productScale - shift + 127, significand: total.high,
                    sticky: total.low != 0, rm: rm, format: format, flags: &flags)
    }

    /// A 128-bit unsigned integer for the fused multiply-add's exact sum (no `UInt128` before macOS 15).
    struct Wide {
        var high: UInt64
        var low: UInt64

        var isZero: Bool { high == 0 && low == 0 }

        var leadingZeroBitCount: Int { high != 0 ? high.leadingZeroBitCount : 64 + low.leadingZeroBitCount }

        func isLess(than other: Wide) -> Bool { high != other.high ? high < other.high : low < other.low }

        func adding(_ other: Wide) -> Wide {
            let (sum, carry) = low.addingReportingOverflow(other.low)
            return Wide(high: high &+ other.high &+ (carry ? 1 : 0), low: sum)
        }

        func subtracting(_ other: Wide) -> Wide {
            let (difference, borrow) = low.subtractingReportingOverflow(other.low)
            return Wide(high: high &- other.high &- (borrow ? 1 : 0), low: difference)
        }

        func shiftedLeft(by count: Int) -> Wide {
            if count == 0 { return self }
            if count >= 64 { return Wide(high: low << UInt64(count - 64), low: 0) }
            return Wide(high: high << UInt64(count) | low >> UInt64(64 - count), low: low << UInt64(count))
        }

        /// Shifts right, OR-ing every bit shifted out into bit 0 so that inexactness is not lost.
        func shiftedRightJamming(by count: Int) -> Wide {
            if count == 0 { return self }
            if count >= 128 { return Wide(high: 0, low: isZero ? 0 : 1) }
            if count >= 64 {
                let lost = low != 0 || (count > 64 && high << UInt64(128 - count) != 0)
                return Wide(high: 0, low: high >> UInt64(count - 64) | (lost ? 1 : 0))
            }
            let lost = low << UInt64(64 - count) != 0
            return Wide(high: high >> UInt64(count),
                        low: low >> UInt64(count) | high << UInt64(64 - count) | (lost ? 1 : 0))
        }
    }

    // MARK: Round-to-nearest-even without touching fenv

    // Changing and reading the host's exception state costs hundreds of nanoseconds on x86 (glibc
    // rewrites the whole x87 environment to clear flags), while nearly every instruction a guest
    // runs uses RNE on ordinary numbers. For those, the default host environment already gives
    // the RNE result, and the only flag that can arise is NX, which an exact error term decides.
    // Operands and results are kept far from the ends of the exponent range so that no overflow,
    // underflow or inexact error term can occur; everything else takes the exact software path.

    /// Double exponent fields for magnitudes in [2^-900, 2^900): products, quotients and square
    /// roots of such numbers have error terms that are exact doubles (no underflow), and nothing overflows.
    @inline(__always)
    static func isModerate64(_ bits: UInt64) -> Bool {
        ((bits >> 52) & 0x7ff) &- (1023 - 900) < 1800
    }

    /// Single exponent fields for magnitudes in [2^-100, 2^100): far from single over- and underflow.
    @inline(__always)
    static func isModerate32(_ bits: UInt32) -> Bool {
        ((bits >> 23) & 0xff) &- (127 - 100) < 200
    }

    /// RNE double arithmetic with NX from an error-free transformation (TwoSum for sums, the fused
    /// residual for products, quotients and roots); nil when the operation must take the software path.
    @inline(__always)
    static func nearestEvenFast64(_ operation: Operation, _ x: Double, _ y: Double, _ z: Double,
                                  flags: inout UInt8) -> UInt64? {
        let exact: Bool
        let r: Double
        switch operation {
        case .add, .subtract:
            let addend = operation == .add ? y : -y
            guard isModerate64(x.bitPattern) || x == 0, isModerate64(y.bitPattern) || y == 0 else { return nil }
            r = x + addend
            // A zero sum of such operands is exact (nonzero sums are at least 2^-952), and the host's sign is RNE's.
            guard isModerate64(r.bitPattern) || r == 0 else { return nil }
            let b = r - x
            exact = (x - (r - b)) + (addend - b) == 0
        case .multiply:
            guard isModerate64(x.bitPattern) || x == 0, isModerate64(y.bitPattern) || y == 0 else { return nil }
            r = x * y
            // A zero operand gives an exact zero (a product of tiny ones may underflow to zero: not here).
            guard isModerate64(r.bitPattern) || x == 0 || y == 0 else { return nil }
            exact = (-r).addingProduct(x, y) == 0
        case .divide:
            guard isModerate64(x.bitPattern) || x == 0, isModerate64(y.bitPattern) else { return nil }
            r = x / y
            guard isModerate64(r.bitPattern) || x == 0 else { return nil }
            exact = x.addingProduct(-r, y) == 0
        case .squareRoot:
            guard isModerate64(x.bitPattern), x > 0 else { return nil }
            r = x.squareRoot()
            exact = x.addingProduct(-r, r) == 0
        case .fusedMultiplyAdd:
            // ErrFma (Boldo and Muller, "Exact and Approximated Error of the FMA", IEEE TC 2011):
            // x·y + z = r + r2 + r3 exactly, with r2 = 0 only when the error is zero. The bounds
            // keep every intermediate a multiple of at least 2^-1004, so nothing underflows.
            guard isModerate64(x.bitPattern), isModerate64(y.bitPattern),
                  isModerate64(z.bitPattern) || z == 0 else { return nil }
            let u1 = x * y
            guard isModerate64(u1.bitPattern) else { return nil }
            r = z.addingProduct(x, y)
            guard isModerate64(r.bitPattern) else { return nil }
            let u2 = (-u1).addingProduct(x, y)
            let (alpha1, alpha2) = twoSum(z, u2)
            let (beta1, beta2) = twoSum(u1, alpha1)
            let gamma = (beta1 - r) + beta2
            exact = gamma + alpha2 == 0
        }
        if !exact { flags |= Flag.inexact }
        return r.bitPattern
    }

    /// Knuth's TwoSum: `a + b == sum + error` exactly, for any finite doubles whose sum does not overflow.
    @inline(__always)
    static func twoSum(_ a: Double, _ b: Double) -> (sum: Double, error: Double) {
        let sum = a + b
        let bVirtual = sum - a
        return (sum, (a - (sum - bVirtual)) + (b - bVirtual))
    }

    /// RNE single arithmetic through double: 53 ≥ 2·24 + 2 bits, so rounding the double result
    /// to single is the correctly rounded single result (no double-rounding error for +, −, ×, ÷,
    /// √), and exactness is checked with products of singles, which doubles hold exactly.
    @inline(__always)
    static func nearestEvenFast32(_ operation: Operation, _ x: Float, _ y: Float, _ z: Float,
                                  flags: inout UInt8) -> UInt32? {
        let dx = Double(x), dy = Double(y)
        let r: Float
        let exact: Bool
        switch operation {
        case .add, .subtract:
            let addend = operation == .add ? dy : -dy
            guard isModerate32(x.bitPattern) || x == 0, isModerate32(y.bitPattern) || y == 0 else { return nil }
            let sum = dx + addend
            let b = sum - dx
            let error = (dx - (sum - b)) + (addend - b)
            r = Float(sum)
            guard isModerate32(r.bitPattern) || sum == 0 else { return nil }
            exact = error == 0 && Double(r) == sum
        case .multiply:
            let product = dx * dy
            r = Float(product)
            // The double product of two nonzero singles is never zero: zero means an operand was.
            guard isModerate32(r.bitPattern) || product == 0 else { return nil }
            exact = Double(r) == product
        case .divide:
            guard isModerate32(x.bitPattern) || x == 0, isModerate32(y.bitPattern) else { return nil }
            r = Float(dx / dy)
            guard isModerate32(r.bitPattern) || x == 0 else { return nil }
            exact = Double(r) * dy == dx
        case .squareRoot:
            guard isModerate32(x.bitPattern), x > 0 else { return nil }
            r = Float(dx.squareRoot())
            exact = Double(r) * Double(r) == dx
        case .fusedMultiplyAdd:
            // The product of two singles is exact in double; the sum's error comes from TwoSum.
            // When the sum is inexact, rounding it to odd (truncate, then set the last bit) keeps
            // 53 ≥ 24 + 2 bits, so the final rounding to single is still correct.
            let (sum, error) = twoSum(dx * dy, Double(z))
            if error == 0 {
                r = Float(sum)
                exact = Double(r) == sum
            } else {
                let truncated = (error < 0) == (sum < 0) ? sum : (sum < 0 ? sum.nextUp : sum.nextDown)
                r = Float(Double(bitPattern: truncated.bitPattern | 1))
                exact = false
            }
            guard isModerate32(r.bitPattern) else { return nil }
        }
        if !exact { flags |= Flag.inexact }
        return r.bitPattern
    }

    // MARK: Operations

    /// The arithmetic shapes; the negated fused forms are `fusedMultiplyAdd`
    /// with operand signs flipped, which is exact and matches the spec's definitions.
    @usableFromInline
    enum Operation {
        case add, subtract, multiply, divide, squareRoot, fusedMultiplyAdd
    }

    // MARK: Software rounding

    /// Rounds the finite nonzero value `(-1)^sign × significand × 2^(exponent − 63)` (significand
    /// normalized: bit 63 set), plus `sticky` meaning "more nonzero bits below", to a binary
    /// format with `precision` bits and exponent range [1 − maxExponent, maxExponent], whose sign
    /// bit is at `signPosition`. Raises NX, UF (tiny after rounding, spec §11.2 / IEEE 754 §7.5)
    /// and OF as IEEE 754 specifies, and returns the encoded bits.
    @usableFromInline
    static func roundPack(sign: Bool, exponent: Int, significand: UInt64, sticky: Bool, rm: UInt8,
                          precision: Int, maxExponent: Int, signPosition: Int, flags: inout UInt8) -> UInt64 {
        let minExponent = 1 - maxExponent
        let signBits: UInt64 = sign ? 1 << UInt64(signPosition) : 0
        let normalDrop = 64 - precision
        var drop = normalDrop
        var biased = exponent + maxExponent
        if exponent < minExponent {
            // Subnormal: the rounding point is fixed at the bottom of the format.
            drop += minExponent - exponent
            biased = 0
        }
        let (kept, half, rest) = split(significand, sticky: sticky, drop: drop)
        let inexact = half || rest
        var rounded = kept + (roundsUp(kept: kept, half: half, rest: rest, sign: sign, rm: rm) ? 1 : 0)
        if inexact { flags |= Flag.inexact }

        if biased == 0 {
            // IEEE tininess after rounding: tiny unless rounding to `precision` bits with an
            // unbounded exponent reaches 2^minExponent. Only exponent minExponent − 1 can get there.
            var tiny = true
            if exponent == minExponent - 1 {
                let (k, h, r) = split(significand, sticky: sticky, drop: normalDrop)
                let carried = k + (roundsUp(kept: k, half: h, rest: r, sign: sign, rm: rm) ? 1 : 0)
                tiny = carried != 1 << UInt64(precision)
            }
            if tiny && inexact { flags |= Flag.underflow }
            // A carry out of the subnormal fraction lands in the exponent field: the smallest normal.
            return signBits | rounded
        }
        if rounded == 1 << UInt64(precision) {
            rounded >>= 1
            biased += 1
        }
        let infinity = UInt64(2 * maxExponent + 1) << UInt64(precision - 1)
        if biased >= 2 * maxExponent + 1 {
            flags |= Flag.overflow | Flag.inexact
            // IEEE 754 §7.4: directed modes that point toward zero give the largest finite number.
            let toInfinity: Bool
            switch rm {
            case RoundingMode.towardZero: toInfinity = false
            case RoundingMode.down: toInfinity = sign
            case RoundingMode.up: toInfinity = !sign
            default: toInfinity = true
            }
            return signBits | (toInfinity ? infinity : infinity - 1)
        }
        let fractionMask: UInt64 = (1 << UInt64(precision - 1)) - 1
        return signBits | UInt64(biased) << UInt64(precision - 1) | (rounded & fractionMask)
    }

    /// Splits a significand at a rounding point `drop` bits from the bottom: the kept high part,
    /// the first dropped bit, and whether anything below it is nonzero.
    @inline(__always)
    static func split(_ significand: UInt64, sticky: Bool, drop: Int) -> (kept: UInt64, half: Bool, rest: Bool) {
        if drop > 64 { return (0, false, significand != 0 || sticky) }
        if drop == 64 { return (0, significand >> 63 != 0, significand << 1 != 0 || sticky) }
        let kept = significand >> UInt64(drop)
        let half = (significand >> UInt64(drop - 1)) & 1 != 0
        let restMask: UInt64 = (1 << UInt64(drop - 1)) - 1
        return (kept, half, significand & restMask != 0 || sticky)
    }

    /// Whether the magnitude is incremented, per rounding mode (IEEE 754 §4.3).
    @inline(__always)
    static func roundsUp(kept: UInt64, half: Bool, rest: Bool, sign: Bool, rm: UInt8) -> Bool {
        switch rm {
        case RoundingMode.towardZero: return false
        case RoundingMode.down: return sign && (half || rest)
        case RoundingMode.up: return !sign && (half || rest)
        case RoundingMode.nearestMaxMagnitude: return half
        default: return half && (rest || kept & 1 != 0)
        }
    }

    /// Rounds a double (the exact or round-toward-zero value of a wider computation) to single.
    @usableFromInline
    static func narrow(_ value: Double, sticky: Bool, rm: UInt8, precision: Int, maxExponent: Int,
                       signPosition: Int, flags: inout UInt8) -> UInt64 {
        let bits = value.bitPattern
        let sign = bits >> 63 != 0
        let signBits: UInt64 = sign ? 1 << UInt64(signPosition) : 0
        if value.isNaN { return UInt64(canonicalNaN32) }
        if value.isInfinite { return signBits | UInt64(2 * maxExponent + 1) << UInt64(precision - 1) }
        if value == 0 { return signBits }
        let fieldExponent = Int((bits >> 52) & 0x7ff)
        let fraction = bits & 0x000f_ffff_ffff_ffff
        let exponent: Int
        let significand: UInt64
        if fieldExponent == 0 {
            let shift = fraction.leadingZeroBitCount
            significand = fraction << UInt64(shift)
            exponent = -1011 - shift
        } else {
            significand = (1 << 63) | fraction << 11
            exponent = fieldExponent - 1023
        }
        return roundPack(sign: sign, exponent: exponent, significand: significand, sticky: sticky, rm: rm,
                         precision: precision, maxExponent: maxExponent, signPosition: signPosition, flags: &flags)
    }

    /// Rounds an integer of the given sign and magnitude to a binary format (the `fcvt.{s,d}.{w,l}[u]` core).
    @inline(__always)
    static func fromInteger(negative: Bool, magnitude: UInt64, rm: UInt8, precision: Int, maxExponent: Int,
                            signPosition: Int, flags: inout UInt8) -> UInt64 {
        // Spec §11.7: integer zero converts to +0 in every rounding mode.
        if magnitude == 0 { return 0 }
        let shift = magnitude.leadingZeroBitCount
        return roundPack(sign: negative, exponent: 63 - shift, significand: magnitude << UInt64(shift),
                         sticky: false, rm: rm, precision: precision, maxExponent: maxExponent,
                         signPosition: signPosition, flags: &flags)
    }

    // MARK: Sign injection, min/max, compare, classify (single)

    /// `fsgnj.s`: a's magnitude with b's sign. No flags, no NaN canonicalization beyond unboxing (spec §11.6).
    @inlinable
    public static func sgnj32(_ a: UInt64, _ b: UInt64) -> UInt64 {
        box((unbox(a) & 0x7fff_ffff) | (unbox(b) & 0x8000_0000))
    }

    /// `fsgnjn.s`: a's magnitude with the opposite of b's sign (`fneg.s` when a == b).
    @inlinable
    public static func sgnjn32(_ a: UInt64, _ b: UInt64) -> UInt64 {
        box((unbox(a) & 0x7fff_ffff) | (~unbox(b) & 0x8000_0000))
    }

    /// `fsgnjx.s`: a with its sign XOR b's sign (`fabs.s` when a == b).
    @inlinable
    public static func sgnjx32(_ a: UInt64, _ b: UInt64) -> UInt64 {
        box(unbox(a) ^ (unbox(b) & 0x8000_0000))
    }

    /// `fmin.s` with the 2.2 semantics (IEEE 754-2019 minimumNumber): a NaN operand loses to a
    /// number, two NaNs give the canonical NaN, a signaling NaN raises NV, and −0 < +0.
    public static func min32(_ a: UInt64, _ b: UInt64, flags: inout UInt8) -> UInt64 {
        box(minMax32(unbox(a), unbox(b), wantMax: false, flags: &flags))
    }

    /// `fmax.s` with the 2.2 semantics (IEEE 754-2019 maximumNumber).
    public static func max32(_ a: UInt64, _ b: UInt64, flags: inout UInt8) -> UInt64 {
        box(minMax32(unbox(a), unbox(b), wantMax: true, flags: &flags))
    }

    @inline(__always)
    static func minMax32(_ x: UInt32, _ y: UInt32, wantMax: Bool, flags: inout UInt8) -> UInt32 {
        if isSignaling32(x) || isSignaling32(y) { flags |= Flag.invalid }
        let nanX = isNaN32(x), nanY = isNaN32(y)
        if nanX && nanY { return canonicalNaN32 }
        if nanX { return y }
        if nanY { return x }
        let fx = Float(bitPattern: x), fy = Float(bitPattern: y)
        if fx < fy { return wantMax ? y : x }
        if fy < fx { return wantMax ? x : y }
        // Equal: identical bits, or +0 and −0, where the sign bit decides.
        return wantMax ? x & y : x | y
    }

    /// `feq.s`: quiet comparison, NV only for a signaling NaN operand (spec §11.8).
    public static func eq32(_ a: UInt64, _ b: UInt64, flags: inout UInt8) -> UInt64 {
        let x = unbox(a), y = unbox(b)
        if isNaN32(x) || isNaN32(y) {
            if isSignaling32(x) || isSignaling32(y) { flags |= Flag.invalid }
            return 0
        }
        return Float(bitPattern: x) == Float(bitPattern: y) ? 1 : 0
    }

    /// `flt.s`: signaling comparison, NV for any NaN operand (spec §11.8).
    public static func lt32(_ a: UInt64, _ b: UInt64, flags: inout UInt8) -> UInt64 {
        let x = unbox(a), y = unbox(b)
        if isNaN32(x) || isNaN32(y) { flags |= Flag.invalid; return 0 }
        return Float(bitPattern: x) < Float(bitPattern: y) ? 1 : 0
    }

    /// `fle.s`: signaling comparison, NV for any NaN operand (spec §11.8).
    public static func le32(_ a: UInt64, _ b: UInt64, flags: inout UInt8) -> UInt64 {
        let x = unbox(a), y = unbox(b)
        if isNaN32(x) || isNaN32(y) { flags |= Flag.invalid; return 0 }
        return Float(bitPattern: x) <= Float(bitPattern: y) ? 1 : 0
    }

    /// Bits of the `fclass` result (spec §11.9, "Format of result of FCLASS instruction").
    public enum Class {
        public static let negativeInfinity: UInt64 = 1 << 0
        public static let negativeNormal: UInt64 = 1 << 1
        public static let negativeSubnormal: UInt64 = 1 << 2
        public static let negativeZero: UInt64 = 1 << 3
        public static let positiveZero: UInt64 = 1 << 4
        public static let positiveSubnormal: UInt64 = 1 << 5
        public static let positiveNormal: UInt64 = 1 << 6
        public static let positiveInfinity: UInt64 = 1 << 7
        public static let signalingNaN: UInt64 = 1 << 8
        public static let quietNaN: UInt64 = 1 << 9
    }

    /// `fclass.s`: exactly one of the ten class bits. An unboxed operand is the canonical (quiet) NaN.
    @inlinable
    public static func classify32(_ a: UInt64) -> UInt64 {
        let x = unbox(a)
        return classify(sign: x >> 31 != 0, exponentAllOnes: x & 0x7f80_0000 == 0x7f80_0000,
                        exponentZero: x & 0x7f80_0000 == 0, fractionZero: x & 0x007f_ffff == 0,
                        quietBit: x & 0x0040_0000 != 0)
    }

    @inlinable @inline(__always)
    static func classify(sign: Bool, exponentAllOnes: Bool, exponentZero: Bool, fractionZero: Bool,
                         quietBit: Bool) -> UInt64 {
        if exponentAllOnes {
            if fractionZero { return sign ? Class.negativeInfinity : Class.positiveInfinity }
            return quietBit ? Class.quietNaN : Class.signalingNaN
        }
        if exponentZero {
            if fractionZero { return sign ? Class.negativeZero : Class.positiveZero }
            return sign ? Class.negativeSubnormal : Class.positiveSubnormal
        }
        return sign ? Class.negativeNormal : Class.positiveNormal
    }

    // MARK: Sign injection, min/max, compare, classify (double)

    /// `fsgnj.d`
    @inlinable
    public static func sgnj64(_ a: UInt64, _ b: UInt64) -> UInt64 { (a & ~signBit64) | (b & signBit64) }

    /// `fsgnjn.d`
    @inlinable
    public static func sgnjn64(_ a: UInt64, _ b: UInt64) -> UInt64 { (a & ~signBit64) | (~b & signBit64) }

    /// `fsgnjx.d`
    @inlinable
    public static func sgnjx64(_ a: UInt64, _ b: UInt64) -> UInt64 { a ^ (b & signBit64) }

    /// `fmin.d` (2.2 semantics, minimumNumber).
    public static func min64(_ a: UInt64, _ b: UInt64, flags: inout UInt8) -> UInt64 {
        minMax64(a, b, wantMax: false, flags: &flags)
    }

    /// `fmax.d` (2.2 semantics, maximumNumber).
    public static func max64(_ a: UInt64, _ b: UInt64, flags: inout UInt8) -> UInt64 {
        minMax64(a, b, wantMax: true, flags: &flags)
    }

    @inline(__always)
    static func minMax64(_ x: UInt64, _ y: UInt64, wantMax: Bool, flags: inout UInt8) -> UInt64 {
        if isSignaling64(x) || isSignaling64(y) { flags |= Flag.invalid }
        let nanX = isNaN64(x), nanY = isNaN64(y)
        if nanX && nanY { return canonicalNaN64 }
        if nanX { return y }
        if nanY { return x }
        let fx = Double(bitPattern: x), fy = Double(bitPattern: y)
        if fx < fy { return wantMax ? y : x }
        if fy < fx { return wantMax ? x : y }
        return wantMax ? x & y : x | y
    }

    /// `feq.d`: quiet comparison.
    public static func eq64(_ a: UInt64, _ b: UInt64, flags: inout UInt8) -> UInt64 {
        if isNaN64(a) || isNaN64(b) {
            if isSignaling64(a) || isSignaling64(b) { flags |= Flag.invalid }
            return 0
        }
        return Double(bitPattern: a) == Double(bitPattern: b) ? 1 : 0
    }

    /// `flt.d`: signaling comparison.
    public static func lt64(_ a: UInt64, _ b: UInt64, flags: inout UInt8) -> UInt64 {
        if isNaN64(a) || isNaN64(b) { flags |= Flag.invalid; return 0 }
        return Double(bitPattern: a) < Double(bitPattern: b) ? 1 : 0
    }

    /// `fle.d`: signaling comparison.
    public static func le64(_ a: UInt64, _ b: UInt64, flags: inout UInt8) -> UInt64 {
        if isNaN64(a) || isNaN64(b) { flags |= Flag.invalid; return 0 }
        return Double(bitPattern: a) <= Double(bitPattern: b) ? 1 : 0
    }

    /// `fclass.d`
    @inlinable
    public static func classify64(_ a: UInt64) -> UInt64 {
        let exponent = a & 0x7ff0_0000_0000_0000
        return classify(sign: a >> 63 != 0, exponentAllOnes: exponent == 0x7ff0_0000_0000_0000,
                        exponentZero: exponent == 0, fractionZero: a & 0x000f_ffff_ffff_ffff == 0,
                        quietBit: a & 0x0008_0000_0000_0000 != 0)
    }

    // MARK: Conversions to integers

    /// `fcvt.w.s`: to signed 32-bit, result sign-extended to 64 bits.
    public static func cvtWFrom32(_ a: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        toInteger(single(a), rm: rm, kind: .word, flags: &flags)
    }

    /// `fcvt.wu.s`: to unsigned 32-bit; the 32-bit result is sign-extended to 64 bits like every RV64 W result.
    public static func cvtWUFrom32(_ a: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        toInteger(single(a), rm: rm, kind: .unsignedWord, flags: &flags)
    }

    /// `fcvt.l.s`: to signed 64-bit.
    public static func cvtLFrom32(_ a: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        toInteger(single(a), rm: rm, kind: .long, flags: &flags)
    }

    /// `fcvt.lu.s`: to unsigned 64-bit.
    public static func cvtLUFrom32(_ a: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        toInteger(single(a), rm: rm, kind: .unsignedLong, flags: &flags)
    }

    /// `fcvt.w.d`
    public static func cvtWFrom64(_ a: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        toInteger(Double(bitPattern: a), rm: rm, kind: .word, flags: &flags)
    }

    /// `fcvt.wu.d` (result sign-extended to 64 bits)
    public static func cvtWUFrom64(_ a: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        toInteger(Double(bitPattern: a), rm: rm, kind: .unsignedWord, flags: &flags)
    }

    /// `fcvt.l.d`
    public static func cvtLFrom64(_ a: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        toInteger(Double(bitPattern: a), rm: rm, kind: .long, flags: &flags)
    }

    /// `fcvt.lu.d`
    public static func cvtLUFrom64(_ a: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        toInteger(Double(bitPattern: a), rm: rm, kind: .unsignedLong, flags: &flags)
    }

    /// A boxed single widened exactly to double; NaNs stay NaN (only NaN-ness matters to the conversions).
    @inline(__always)
    static func single(_ a: UInt64) -> Double {
        let x = unbox(a)
        return isNaN32(x) ? .nan : Double(Float(bitPattern: x))
    }

    @usableFromInline
    enum IntegerKind { case word, unsignedWord, long, unsignedLong }

    /// Float-to-integer conversion (spec §11.7, "Domains of float-to-integer conversions"): round
    /// to an integer with `rm`, then if that integer does not fit, saturate and raise NV (never NX);
    /// NaN converts to the largest value. Inexact in-range results raise NX.
    static func toInteger(_ value: Double, rm: UInt8, kind: IntegerKind, flags: inout UInt8) -> UInt64 {
        // Bounds as doubles; each is exactly representable (powers of two, or 2^32 − 1 and −2^31).
        let lowest: Double, highest: Double, lowestBits: UInt64, highestBits: UInt64
        switch kind {
        case .word:
            lowest = -2147483648.0; highest = 2147483647.0
            lowestBits = UInt64(bitPattern: Int64(Int32.min)); highestBits = UInt64(Int32.max)
        case .unsignedWord:
            // 2^32 − 1 sign-extended from 32 bits is all ones.
            lowest = 0; highest = 4294967295.0
            lowestBits = 0; highestBits = UInt64.max
        case .long:
            lowest = -9223372036854775808.0; highest = 9223372036854775808.0
            lowestBits = UInt64(bitPattern: Int64.min); highestBits = UInt64(Int64.max)
        case .unsignedLong:
            lowest = 0; highest = 18446744073709551616.0
            lowestBits = 0; highestBits = UInt64.max
        }
        if value.isNaN {
            flags |= Flag.invalid
            return highestBits
        }
        let integral = value.rounded(roundingRule(rm))
        // For 64-bit kinds `highest` is 2^63 / 2^64, the first value that does not fit; for 32-bit ones it is the largest that does.
        let tooHigh = (kind == .long || kind == .unsignedLong) ? integral >= highest : integral > highest
        if integral < lowest || tooHigh {
            flags |= Flag.invalid
            return integral < lowest ? lowestBits : highestBits
        }
        if integral != value { flags |= Flag.inexact }
        switch kind {
        case .word: return UInt64(bitPattern: Int64(integral))
        case .unsignedWord: return UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: UInt32(integral))))
        case .long: return UInt64(bitPattern: Int64(integral))
        case .unsignedLong: return UInt64(integral)
        }
    }

    @inline(__always)
    static func roundingRule(_ rm: UInt8) -> FloatingPointRoundingRule {
        switch rm {
        case RoundingMode.towardZero: return .towardZero
        case RoundingMode.down: return .down
        case RoundingMode.up: return .up
        case RoundingMode.nearestMaxMagnitude: return .toNearestOrAwayFromZero
        default: return .toNearestOrEven
        }
    }

    // MARK: Conversions from integers

    /// `fcvt.s.w`: from the low 32 bits of x as a signed integer, NaN-boxed.
    public static func cvt32FromW(_ x: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        let v = Int64(Int32(truncatingIfNeeded: x))
        return box(UInt32(truncatingIfNeeded: fromInteger(negative: v < 0, magnitude: v.magnitude, rm: rm,
            precision: 24, maxExponent: 127, signPosition: 31, flags: &flags)))
    }

    /// `fcvt.s.wu`: from the low 32 bits of x as an unsigned integer.
    public static func cvt32FromWU(_ x: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        box(UInt32(truncatingIfNeeded: fromInteger(negative: false, magnitude: x & 0xffff_ffff, rm: rm,
            precision: 24, maxExponent: 127, signPosition: 31, flags: &flags)))
    }

    /// `fcvt.s.l`
    public static func cvt32FromL(_ x: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        let v = Int64(bitPattern: x)
        return box(UInt32(truncatingIfNeeded: fromInteger(negative: v < 0, magnitude: v.magnitude, rm: rm,
            precision: 24, maxExponent: 127, signPosition: 31, flags: &flags)))
    }

    /// `fcvt.s.lu`
    public static func cvt32FromLU(_ x: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        box(UInt32(truncatingIfNeeded: fromInteger(negative: false, magnitude: x, rm: rm,
            precision: 24, maxExponent: 127, signPosition: 31, flags: &flags)))
    }

    /// `fcvt.d.w` (always exact)
    public static func cvt64FromW(_ x: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        let v = Int64(Int32(truncatingIfNeeded: x))
        return fromInteger(negative: v < 0, magnitude: v.magnitude, rm: rm,
                           precision: 53, maxExponent: 1023, signPosition: 63, flags: &flags)
    }

    /// `fcvt.d.wu` (always exact)
    public static func cvt64FromWU(_ x: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        fromInteger(negative: false, magnitude: x & 0xffff_ffff, rm: rm,
                    precision: 53, maxExponent: 1023, signPosition: 63, flags: &flags)
    }

    /// `fcvt.d.l`
    public static func cvt64FromL(_ x: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        let v = Int64(bitPattern: x)
        return fromInteger(negative: v < 0, magnitude: v.magnitude, rm: rm,
                           precision: 53, maxExponent: 1023, signPosition: 63, flags: &flags)
    }

    /// `fcvt.d.lu`
    public static func cvt64FromLU(_ x: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        fromInteger(negative: false, magnitude: x, rm: rm,
                    precision: 53, maxExponent: 1023, signPosition: 63, flags: &flags)
    }

    // MARK: Conversions between single and double

    /// `fcvt.s.d`: rounds with `rm`; NaN gives the canonical NaN, NV only for a signaling NaN.
    public static func cvt32From64(_ a: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        if isNaN64(a) {
            if isSignaling64(a) { flags |= Flag.invalid }
            return box(canonicalNaN32)
        }
        return box(UInt32(truncatingIfNeeded: narrow(Double(bitPattern: a), sticky: false, rm: rm,
            precision: 24, maxExponent: 127, signPosition: 31, flags: &flags)))
    }

    /// `fcvt.d.s`: exact; NaN gives the canonical NaN, NV only for a signaling NaN. `rm` is
    /// accepted because the encoding has the field, but no rounding can happen.
    public static func cvt64From32(_ a: UInt64, rm: UInt8, flags: inout UInt8) -> UInt64 {
        let x = unbox(a)
        if isNaN32(x) {
            if isSignaling32(x) { flags |= Flag.invalid }
            return canonicalNaN64
        }
        return Double(Float(bitPattern: x)).bitPattern
    }
}
