import RISCV

/// Machine code for the fuzzer's guest images, encoded from the one encoding table
/// (`EncodingTable`, mask/match per instruction) so the fuzzer never restates an encoding.
///
/// Registers are plain numbers (x0–x31) because the fuzzer picks them at random as often as
/// it names them. Labels are not needed: every jump the writer emits is to an address it
/// already knows (the code is laid out at a fixed base).
struct FuzzCodeWriter {
    /// Where the first word lands in the guest's address space.
    let base: UInt64
    private(set) var words: [UInt32] = []

    init(base: UInt64) { self.base = base }

    /// The guest address of the next word.
    var address: UInt64 { base + UInt64(words.count) * 4 }

    /// Little-endian bytes of the code, as they go into an ELF segment.
    var bytes: [UInt8] { words.flatMap { word in (0 ..< 4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } } }

    mutating func emit(_ word: UInt32) { words.append(word) }

    /// Overwrites an emitted word (a forward jump whose target is known only later).
    mutating func patch(at index: Int, _ word: UInt32) { words[index] = word }

    // MARK: Encoding from the table

    private static let encodingsByName: [String: Encoding] = Dictionary(
        EncodingTable.encodings.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// The table row for `name`; a name the table lacks is a bug in the fuzzer itself.
    static func encoding(_ name: String) -> Encoding {
        guard let encoding = encodingsByName[name] else { preconditionFailure("no encoding named \(name) in EncodingTable") }
        return encoding
    }

    /// Every row of the table, for picking a random valid instruction.
    static var allEncodings: [Encoding] { EncodingTable.encodings }

    /// `name` with its operand fields filled in the layout its format gives (unprivileged spec
    /// §2.2–§2.5 and figure 2.3). Immediates are truncated to their field: the fuzzer wants
    /// every bit pattern, and the callers that need an exact value keep it in range.
    static func encode(_ name: String, rd: Int = 0, rs1: Int = 0, rs2: Int = 0, immediate: Int64 = 0) -> UInt32 {
        let encoding = encoding(name)
        let rdField = UInt32(rd & 31) << 7, rs1Field = UInt32(rs1 & 31) << 15, rs2Field = UInt32(rs2 & 31) << 20
        let imm = UInt32(truncatingIfNeeded: immediate)
        var fields: UInt32
        switch encoding.format {
        case .r, .rm, .r4: fields = rdField | rs1Field | rs2Field
        case .i: fields = rdField | rs1Field | (imm & 0xfff) << 20
        case .s: fields = rs1Field | rs2Field | (imm & 0x1f) << 7 | (imm >> 5 & 0x7f) << 25
        case .b: fields = rs1Field | rs2Field | RV64Assembler.branchImmediate(immediate)
        case .u: fields = rdField | (imm & 0xfffff) << 12
        case .j: fields = rdField | RV64Assembler.jumpImmediate(immediate)
        case .shift64: fields = rdField | rs1Field | (imm & 0x3f) << 20
        case .shift32: fields = rdField | rs1Field | (imm & 0x1f) << 20
        // The CSR number sits where an I-immediate would; rs1 is the register or the 5-bit zimm.
        case .csr: fields = rdField | rs1Field | (imm & 0xfff) << 20
        case .none: fields = 0
        }
        // Bits the table fixes always come from `match`, whatever the operands were.
        return encoding.match | (fields & ~encoding.mask)
    }

    mutating func emit(_ name: String, rd: Int = 0, rs1: Int = 0, rs2: Int = 0, immediate: Int64 = 0) {
        emit(Self.encode(name, rd: rd, rs1: rs1, rs2: rs2, immediate: immediate))
    }

    // MARK: Common sequences

    /// Loads any 64-bit constant into `rd` (lui/addiw for 32-bit values, else the upper part
    /// built the same way, shifted, plus the low 12 bits), so addresses such as 0x8040_0000,
    /// which a bare `lui` would sign-extend to 0xffff_ffff_8040_0000, come out exact.
    mutating func loadImmediate(_ rd: Int, _ value: UInt64) {
        let signed = Int64(bitPattern: value)
        if signed >= -2048 && signed < 2048 {
            emit("addi", rd: rd, rs1: 0, immediate: signed)
            return
        }
        if signed >= Int64(Int32.min) && signed <= Int64(Int32.max) {
            let low = (signed << 52) >> 52                  // the low 12 bits, sign-extended
            let upper = (signed &- low) >> 12
            emit("lui", rd: rd, immediate: upper)
            if low != 0 { emit("addiw", rd: rd, rs1: rd, immediate: low) }
            return
        }
        // Wider than 32 bits: low 12 bits last, the rest shifted into place; all arithmetic is
        // modulo 2^64, as the hart's is, so values near the top of the range come out right.
        let low = (signed << 52) >> 52
        var upper = (signed &- low) >> 12
        let zeros = upper.trailingZeroBitCount
        upper >>= zeros
        loadImmediate(rd, UInt64(bitPattern: upper))
        emit("slli", rd: rd, rs1: rd, immediate: Int64(12 + zeros))
        if low != 0 { emit("addi", rd: rd, rs1: rd, immediate: low) }
    }

    /// `jal x0` to an address already known (within ±1 MiB of here).
    mutating func jump(to target: UInt64) {
        emit("jal", rd: 0, immediate: Int64(bitPattern: target &- address))
    }

    /// `csrrw x0, csr, rs`.
    mutating func writeCSR(_ csr: UInt16, from register: Int) {
        emit("csrrw", rd: 0, rs1: register, immediate: Int64(csr))
    }

    /// `csrrs rd, csr, x0`.
    mutating func readCSR(_ rd: Int, _ csr: UInt16) {
        emit("csrrs", rd: rd, rs1: 0, immediate: Int64(csr))
    }

    /// An SBI call or hypercall: a7 = extension, a6 = function, a0… = arguments, then ecall.
    mutating func environmentCall(extension extensionID: UInt64, function: UInt64, arguments: [UInt64]) {
        for (index, argument) in arguments.prefix(6).enumerated() { loadImmediate(FuzzRegister.a0 + index, argument) }
        loadImmediate(FuzzRegister.a7, extensionID)
        loadImmediate(FuzzRegister.a6, function)
        emit("ecall")
    }
}

/// ABI register numbers the generators name (unprivileged spec, table 25.1).
enum FuzzRegister {
    static let ra = 1, sp = 2, t0 = 5, t1 = 6, t2 = 7, a0 = 10, a1 = 11, a2 = 12, a6 = 16, a7 = 17
    static let t3 = 28, t4 = 29, t5 = 30, t6 = 31
}
