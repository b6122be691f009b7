/// A decoded instruction: the operation and its operand fields, 16 bytes so the engine's
/// blocks stay dense. Writes to x0 are decoded as writes to `Instruction.discard` (register 32,
/// a scratch slot) so the engine never has to special-case x0.
public struct Instruction: Sendable, Equatable {
    public var op: Op
    public var rd: UInt8
    public var rs1: UInt8
    public var rs2: UInt8
    public var rs3: UInt8
    /// Byte offset of this instruction from the start of its block (set by the engine).
    public var blockOffset: UInt16 = 0
    /// Immediate, shift amount, CSR number, or rounding mode, depending on the format.
    public var imm: Int32
    /// The original bits (16-bit parcels for compressed instructions), for tval and tracing.
    public var raw: UInt32

    /// The integer register index that receives writes destined for x0.
    public static let discard: UInt8 = 32

    public init(op: Op, rd: UInt8 = 0, rs1: UInt8 = 0, rs2: UInt8 = 0, rs3: UInt8 = 0, imm: Int32 = 0, raw: UInt32) {
        self.op = op; self.rd = rd; self.rs1 = rs1; self.rs2 = rs2; self.rs3 = rs3; self.imm = imm; self.raw = raw
    }

    /// 2 for a compressed instruction, 4 otherwise.
    @inline(__always) public var length: UInt64 { raw & 3 == 3 ? 4 : 2 }
    public var isCompressed: Bool { raw & 3 != 3 }
}

/// Decodes instruction bits into `Instruction`s using `EncodingTable`.
public enum Decoder {
    /// Encodings grouped by major opcode so decoding scans a handful of entries.
    private static let buckets: [[Encoding]] = {
        var b = Array(repeating: [Encoding](), count: 128)
        for e in EncodingTable.encodings { b[Int(e.match & 0x7f)].append(e) }
        return b
    }()

    /// Decodes a 32-bit instruction (bits 1:0 == 0b11). Unknown encodings give `.illegal`.
    public static func decode32(_ bits: UInt32) -> Instruction {
        guard bits & 3 == 3 else { return Instruction(op: .illegal, raw: bits) }
        for e in buckets[Int(bits & 0x7f)] where bits & e.mask == e.match {
            return fields(e, bits)
        }
        return Instruction(op: .illegal, raw: bits)
    }

    /// Decodes the instruction whose low 16 bits are `bits` (upper half used only for 32-bit ones).
    public static func decode(_ bits: UInt32) -> Instruction {
        bits & 3 == 3 ? decode32(bits) : decode16(UInt16(truncatingIfNeeded: bits))
    }

    @inline(__always) private static func signExtend(_ v: UInt32, bits: Int) -> Int32 {
        let shift = 32 - bits
        return Int32(bitPattern: v << UInt32(shift)) >> Int32(shift)
    }

    private static func fields(_ e: Encoding, _ x: UInt32) -> Instruction {
        let rdRaw = UInt8((x >> 7) & 31)
        var i = Instruction(op: e.op, rd: rdRaw, rs1: UInt8((x >> 15) & 31), rs2: UInt8((x >> 20) & 31),
                            rs3: UInt8(x >> 27), raw: x)
        switch e.format {
        case .r, .none: break
        case .i: i.imm = Int32(bitPattern: x) >> 20
        case .s: i.imm = (Int32(bitPattern: x) >> 25) << 5 | Int32((x >> 7) & 31)
        case .b:
            let v = (x >> 31) << 12 | ((x >> 7) & 1) << 11 | ((x >> 25) & 0x3f) << 5 | ((x >> 8) & 0xf) << 1
            i.imm = signExtend(v, bits: 13)
        case .u: i.imm = Int32(bitPattern: x & 0xffff_f000)
        case .j:
            let v = (x >> 31) << 20 | ((x >> 12) & 0xff) << 12 | ((x >> 20) & 1) << 11 | ((x >> 21) & 0x3ff) << 1
            i.imm = signExtend(v, bits: 21)
        case .shift64: i.imm = Int32((x >> 20) & 63)
        case .shift32: i.imm = Int32((x >> 20) & 31)
        case .rm, .r4: i.imm = Int32((x >> 12) & 7)
        case .csr: i.imm = Int32(x >> 20)
        }
        // Integer destinations of x0 go to the discard slot; FP destinations (f0 is a real register) do not.
        if rdRaw == 0 && writesIntegerRegister(e.op) { i.rd = Instruction.discard }
        return i
    }

    // MARK: - Superinstructions (engine-internal)

    // Which pairs exist (`fusedOp`, `pairedOp`, `memoryPairedOp`) and which operand slot takes a
    // dependent pair's first result are generated from the descriptions: Generated/GeneratedPairs.swift.

    /// Rewrites a decoded block in place so adjacent dependent pairs run as one superinstruction.
    /// The first op of a pair gets the fused op; the second keeps everything, except that a
    /// commutative second op may have its sources swapped so the first's result is always in
    /// the same operand slot the engine expects: rs2 for register-register ops, rs1 for
    /// register-immediate ops and branches. Pairs never overlap.
    public static func fusePairs(_ ops: UnsafeMutableBufferPointer<Instruction>) {
        // A buffer pointer, not an array: the engine fuses a block in place in its op arena.
        // SAFETY: in both passes every index used is i or i + 1 with i + 1 < ops.count (the loop
        // conditions; i changes only just before `continue` or the end of an iteration), so each
        // access is inside the buffer, whose subscript checks bounds in debug builds only.
        var i = 0
        while i + 1 < ops.count {
            let first = ops[i]
            var second = ops[i + 1]
            guard let fused = fusedOp(first.op, second.op) else {
                if let paired = pairedOp(first.op, second.op) {
                    ops[i].op = paired
                    i += 2
                } else {
                    i += 1
                }
                continue
            }
            // Writes to x0 go to the discard slot, which no source names, so they never fuse.
            let result = first.rd
            let dependent: Bool
            if takesPairedResultInRS2(second.op) {
                if isCommutative(second.op) && second.rs2 != result && second.rs1 == result { swap(&second.rs1, &second.rs2) }
                dependent = second.rs2 == result
            } else {
                if isCommutative(second.op) && second.rs1 != result && second.rs2 == result { swap(&second.rs1, &second.rs2) }
                dependent = second.rs1 == result
            }
            guard dependent else {
                if let paired = pairedOp(first.op, ops[i + 1].op) {
                    ops[i].op = paired
                    i += 2
                } else {
                    i += 1
                }
                continue
            }
            ops[i].op = fused
            ops[i + 1] = second
            i += 2
        }
        // Second pass: adjacent ops that are both still single may pair with a load or store.
        // (Pairs with memory ops taking first pick displaced better ALU pairs: crc32 ran 13% slower.
        // Choosing all pairs for the fewest dispatches per block was slower still: sha256 +42% time.)
        i = 0
        while i + 1 < ops.count {
            if ops[i].op.isEngineInternal { i += 2; continue }
            if !ops[i + 1].op.isEngineInternal, let paired = memoryPairedOp(ops[i].op, ops[i + 1].op) {
                ops[i].op = paired
                i += 2
            } else {
                i += 1
            }
        }
    }

    // MARK: - Compressed (unprivileged spec, "C" Standard Extension, RVC opcode listing for RV64)

    /// Expands a 16-bit instruction to the base instruction it stands for. Reserved and
    /// RV32-only encodings decode as `.illegal`.
    public static func decode16(_ c: UInt16) -> Instruction {
        let x = UInt32(c)
        let raw = x
        func bit(_ n: UInt32) -> UInt32 { (x >> n) & 1 }
        func bits(_ hi: UInt32, _ lo: UInt32) -> UInt32 { (x >> lo) & ((1 << (hi - lo + 1)) - 1) }
        let rdFull = UInt8(bits(11, 7)), rs2Full = UInt8(bits(6, 2))
        let rdPrime = UInt8(bits(4, 2) + 8), rs1Prime = UInt8(bits(9, 7) + 8)
        func make(_ op: Op, rd: UInt8 = 0, rs1: UInt8 = 0, rs2: UInt8 = 0, imm: Int32 = 0) -> Instruction {
            var i = Instruction(op: op, rd: rd, rs1: rs1, rs2: rs2, imm: imm, raw: raw)
            if rd == 0 && writesIntegerRegister(op) { i.rd = Instruction.discard }
            return i
        }
        let illegal = Instruction(op: .illegal, raw: raw)
        let funct3 = bits(15, 13)
        switch (x & 3, funct3) {
        case (0, 0): // c.addi4spn
            let imm = bits(10, 7) << 6 | bits(12, 11) << 4 | bit(5) << 3 | bit(6) << 2
            return imm == 0 ? illegal : make(.addi, rd: rdPrime, rs1: 2, imm: Int32(imm))
        case (0, 1): // c.fld
            return make(.fld, rd: rdPrime, rs1: rs1Prime, imm: Int32(bits(6, 5) << 6 | bits(12, 10) << 3))
        case (0, 2): // c.lw
            return make(.lw, rd: rdPrime, rs1: rs1Prime, imm: Int32(bit(5) << 6 | bits(12, 10) << 3 | bit(6) << 2))
        case (0, 3): // c.ld
            return make(.ld, rd: rdPrime, rs1: rs1Prime, imm: Int32(bits(6, 5) << 6 | bits(12, 10) << 3))
        case (0, 5): // c.fsd
            return make(.fsd, rs1: rs1Prime, rs2: rdPrime, imm: Int32(bits(6, 5) << 6 | bits(12, 10) << 3))
        case (0, 6): // c.sw
            return make(.sw, rs1: rs1Prime, rs2: rdPrime, imm: Int32(bit(5) << 6 | bits(12, 10) << 3 | bit(6) << 2))
        case (0, 7): // c.sd
            return make(.sd, rs1: rs1Prime, rs2: rdPrime, imm: Int32(bits(6, 5) << 6 | bits(12, 10) << 3))
        case (1, 0): // c.addi (c.nop when rd == 0)
            let imm = signExtend(bit(12) << 5 | bits(6, 2), bits: 6)
            return make(.addi, rd: rdFull, rs1: rdFull, imm: imm)
        case (1, 1): // c.addiw (RV64); rd == 0 reserved
            guard rdFull != 0 else { return illegal }
            return make(.addiw, rd: rdFull, rs1: rdFull, imm: signExtend(bit(12) << 5 | bits(6, 2), bits: 6))
        case (1, 2): // c.li
            return make(.addi, rd: rdFull, rs1: 0, imm: signExtend(bit(12) << 5 | bits(6, 2), bits: 6))
        case (1, 3):
            if rdFull == 2 { // c.addi16sp
                let v = bit(12) << 9 | bits(4, 3) << 7 | bit(5) << 6 | bit(2) << 5 | bit(6) << 4
                return v == 0 ? illegal : make(.addi, rd: 2, rs1: 2, imm: signExtend(v, bits: 10))
            }
            let v = bit(12) << 17 | bits(6, 2) << 12 // c.lui
            return v == 0 ? illegal : make(.lui, rd: rdFull, imm: signExtend(v, bits: 18))
        case (1, 4):
            let shamt = Int32(bit(12) << 5 | bits(6, 2))
            switch bits(11, 10) {
            case 0: return make(.srli, rd: rs1Prime, rs1: rs1Prime, imm: shamt)
            case 1: return make(.srai, rd: rs1Prime, rs1: rs1Prime, imm: shamt)
            case 2: return make(.andi, rd: rs1Prime, rs1: rs1Prime, imm: signExtend(bit(12) << 5 | bits(6, 2), bits: 6))
            default:
                let ops: [Op] = bit(12) == 0 ? [.sub, .xor, .or, .and] : [.subw, .addw, .illegal, .illegal]
                let op = ops[Int(bits(6, 5))]
                return op == .illegal ? illegal : make(op, rd: rs1Prime, rs1: rs1Prime, rs2: rdPrime)
            }
        case (1, 5): // c.j
            let v = bit(12) << 11 | bit(8) << 10 | bits(10, 9) << 8 | bit(6) << 7 | bit(7) << 6 | bit(2) << 5 | bit(11) << 4 | bits(5, 3) << 1
            return make(.jal, rd: 0, imm: signExtend(v, bits: 12))
        case (1, 6), (1, 7): // c.beqz, c.bnez
            let v = bit(12) << 8 | bits(6, 5) << 6 | bit(2) << 5 | bits(11, 10) << 3 | bits(4, 3) << 1
            return make(funct3 == 6 ? .beq : .bne, rs1: rs1Prime, rs2: 0, imm: signExtend(v, bits: 9))
        case (2, 0): // c.slli
            return make(.slli, rd: rdFull, rs1: rdFull, imm: Int32(bit(12) << 5 | bits(6, 2)))
        case (2, 1): // c.fldsp
            return make(.fld, rd: rdFull, rs1: 2, imm: Int32(bits(4, 2) << 6 | bit(12) << 5 | bits(6, 5) << 3))
        case (2, 2): // c.lwsp
            guard rdFull != 0 else { return illegal }
            return make(.lw, rd: rdFull, rs1: 2, imm: Int32(bits(3, 2) << 6 | bit(12) << 5 | bits(6, 4) << 2))
        case (2, 3): // c.ldsp
            guard rdFull != 0 else { return illegal }
            return make(.ld, rd: rdFull, rs1: 2, imm: Int32(bits(4, 2) << 6 | bit(12) << 5 | bits(6, 5) << 3))
        case (2, 4):
            if bit(12) == 0 {
                if rs2Full == 0 { // c.jr
                    return rdFull == 0 ? illegal : make(.jalr, rd: 0, rs1: rdFull, imm: 0)
                }
                return make(.add, rd: rdFull, rs1: 0, rs2: rs2Full) // c.mv
            }
            if rs2Full == 0 {
                if rdFull == 0 { return make(.ebreak) } // c.ebreak
                return make(.jalr, rd: 1, rs1: rdFull, imm: 0) // c.jalr
            }
            return make(.add, rd: rdFull, rs1: rdFull, rs2: rs2Full) // c.add
        case (2, 5): // c.fsdsp
            return make(.fsd, rs1: 2, rs2: rs2Full, imm: Int32(bits(9, 7) << 6 | bits(12, 10) << 3))
        case (2, 6): // c.swsp
            return make(.sw, rs1: 2, rs2: rs2Full, imm: Int32(bits(8, 7) << 6 | bits(12, 9) << 2))
        case (2, 7): // c.sdsp
            return make(.sd, rs1: 2, rs2: rs2Full, imm: Int32(bits(9, 7) << 6 | bits(12, 10) << 3))
        default:
            return illegal
        }
    }
}
