/// One decoded ARMv6-M instruction: the compact form the interpreter executes and the
/// translator translates, so neither looks at encoding bits again.
///
/// Field use by format: `rd` is the destination or transfer register (Rd, Rdn, Rt), `rn` the
/// base or first operand (and the condition of `B<cond>`), `rm` the second operand. `immediate`
/// is already scaled (byte offsets, register masks, sign-extended branch offsets as two's
/// complement).
public struct ThumbOp: Sendable, Hashable {
    public var instruction: ThumbInstruction
    public var rd: UInt8
    public var rn: UInt8
    public var rm: UInt8
    public var immediate: UInt32
    /// 2 or 4 bytes.
    public var length: UInt8
    /// The encoding as fetched (first halfword in the upper 16 bits for 32-bit instructions).
    public var raw: UInt32

    public init(instruction: ThumbInstruction, rd: UInt8 = 0, rn: UInt8 = 0, rm: UInt8 = 0, immediate: UInt32 = 0,
                length: UInt8 = 2, raw: UInt32 = 0) {
        self.instruction = instruction
        self.rd = rd
        self.rn = rn
        self.rm = rm
        self.immediate = immediate
        self.length = length
        self.raw = raw
    }

    /// The branch offset as a signed value (for `b`, `b.cond`, `bl`).
    public var branchOffset: Int32 { Int32(bitPattern: immediate) }
}

/// Decodes ARMv6-M Thumb encodings with `ThumbEncodingTable`.
public enum ThumbDecoder {
    /// Every 16-bit halfword's entry in the table (or nil: UNDEFINED), computed once from the
    /// table so decoding is one array index.
    private static let narrowLookup: [ThumbEncoding?] = (0 ... 0xFFFF).map { bits -> ThumbEncoding? in
        let value = UInt32(bits)
        guard !ThumbEncodingTable.isWide(UInt16(bits)) else { return nil }
        return ThumbEncodingTable.narrow.first { value & $0.mask == $0.match }
    }

    /// The table entry for an encoding, or nil when it is UNDEFINED in ARMv6-M.
    public static func encoding(first: UInt16, second: UInt16) -> ThumbEncoding? {
        if ThumbEncodingTable.isWide(first) {
            let value = UInt32(first) << 16 | UInt32(second)
            return ThumbEncodingTable.wide.first { value & $0.mask == $0.match }
        }
        return narrowLookup[Int(first)]
    }

    /// The number of bytes the instruction starting with `first` occupies.
    public static func length(of first: UInt16) -> Int { ThumbEncodingTable.isWide(first) ? 4 : 2 }

    /// Decodes the instruction that starts with `first`; `second` is the following halfword
    /// (ignored for 16-bit instructions). Nil means UNDEFINED: the core takes a HardFault.
    public static func decode(first: UInt16, second: UInt16 = 0) -> ThumbOp? {
        guard let encoding = encoding(first: first, second: second) else { return nil }
        let raw = encoding.length == 4 ? UInt32(first) << 16 | UInt32(second) : UInt32(first)
        return operands(encoding, raw: raw)
    }

    private static func bits(_ value: UInt32, _ high: Int, _ low: Int) -> UInt32 {
        (value >> UInt32(low)) & ((1 << UInt32(high - low + 1)) - 1)
    }

    private static func signExtend(_ value: UInt32, bits width: Int) -> UInt32 {
        let shift = UInt32(32 - width)
        return UInt32(bitPattern: Int32(bitPattern: value << shift) >> shift)
    }

    private static func operands(_ encoding: ThumbEncoding, raw: UInt32) -> ThumbOp {
        var op = ThumbOp(instruction: encoding.instruction, length: UInt8(encoding.length), raw: raw)
        let low3 = UInt8(bits(raw, 2, 0)), mid3 = UInt8(bits(raw, 5, 3)), high3 = UInt8(bits(raw, 8, 6))
        switch encoding.format {
        case .shiftImmediate:
            op.rd = low3; op.rm = mid3; op.immediate = bits(raw, 10, 6)
        case .threeRegisters, .registerOffset:
            op.rd = low3; op.rn = mid3; op.rm = high3
        case .immediate3:
            op.rd = low3; op.rn = mid3; op.immediate = bits(raw, 8, 6)
        case .immediate8:
            op.rd = UInt8(bits(raw, 10, 8)); op.immediate = bits(raw, 7, 0)
        case .twoRegisters:
            op.rd = low3; op.rn = low3; op.rm = mid3
        case .highRegisters:
            op.rd = UInt8(bits(raw, 7, 7) << 3) | low3; op.rn = op.rd; op.rm = UInt8(bits(raw, 6, 3))
        case .branchRegister:
            op.rm = UInt8(bits(raw, 6, 3))
        case .registerImmediate8:
            op.rd = UInt8(bits(raw, 10, 8)); op.immediate = bits(raw, 7, 0) * 4
        case .immediateOffset(let scale):
            op.rd = low3; op.rn = mid3; op.immediate = bits(raw, 10, 6) * scale
        case .stackAdjust:
            op.immediate = bits(raw, 6, 0) * 4
        case .stackRegisterList:
            // Bit 8 adds LR to a PUSH and PC to a POP.
            let extra: UInt32 = encoding.instruction == .push ? 1 << 14 : 1 << 15
            op.immediate = bits(raw, 7, 0) | (bits(raw, 8, 8) == 1 ? extra : 0)
        case .registerList:
            op.rn = UInt8(bits(raw, 10, 8)); op.immediate = bits(raw, 7, 0)
        case .conditionalBranch:
            op.rn = UInt8(bits(raw, 11, 8)); op.immediate = signExtend(bits(raw, 7, 0) << 1, bits: 9)
        case .branch:
            op.immediate = signExtend(bits(raw, 10, 0) << 1, bits: 12)
        case .immediateOnly:
            op.immediate = bits(raw, 7, 0)
        case .changeState:
            op.immediate = bits(raw, 4, 4)
        case .none:
            break
        case .branchLink:
            // §A6.7.13: I1 = NOT(J1 XOR S), I2 = NOT(J2 XOR S), offset S:I1:I2:imm10:imm11:'0'.
            let s = bits(raw, 26, 26), j1 = bits(raw, 13, 13), j2 = bits(raw, 11, 11)
            let i1 = ~(j1 ^ s) & 1, i2 = ~(j2 ^ s) & 1
            let offset = s << 24 | i1 << 23 | i2 << 22 | bits(raw, 25, 16) << 12 | bits(raw, 10, 0) << 1
            op.immediate = signExtend(offset, bits: 25)
        case .moveToSpecial:
            op.rn = UInt8(bits(raw, 19, 16)); op.immediate = bits(raw, 7, 0)
        case .moveFromSpecial:
            op.rd = UInt8(bits(raw, 11, 8)); op.immediate = bits(raw, 7, 0)
        }
        return op
    }
}
