/// The one place RISC-V instructions are encoded for code the simulator writes itself (the
/// reset ROM, the Thumb translator's output): the RV64I/M formats
/// (unprivileged spec chapter 2 "RV32I Base Integer Instruction Set", §2.2–§2.5 for the R, I,
/// S, B, U and J layouts; chapter 4 for the W forms), appended to a word buffer, with labels
/// for branches whose targets come later.
public struct RV64Assembler {
    /// A position in the code; bound once, referenced any number of times.
    public struct Label: Hashable { let id: Int }

    public private(set) var words: [UInt32] = []

    public init() {}
    private var bound: [Int: Int] = [:]
    private var fixups: [(at: Int, label: Label, kind: FixupKind)] = []
    private var labelCount = 0

    private enum FixupKind { case branch, jump }

    /// Where the next instruction goes, in words from the start of this buffer.
    public var position: Int { words.count }

    public mutating func label() -> Label {
        labelCount += 1
        return Label(id: labelCount)
    }

    public mutating func bind(_ label: Label) { bound[label.id] = words.count }

    /// Resolves every label reference; nil when a reference was never bound or a branch is out
    /// of range (the translator then makes a shorter block).
    public mutating func finish() -> [UInt32]? {
        for fixup in fixups {
            guard let target = bound[fixup.label.id] else { return nil }
            let offset = Int64(target - fixup.at) * 4
            switch fixup.kind {
            case .branch:
                guard offset >= -4096 && offset < 4096 else { return nil }
                words[fixup.at] |= Self.branchImmediate(offset)
            case .jump:
                guard offset >= -(1 << 20) && offset < (1 << 20) else { return nil }
                words[fixup.at] |= Self.jumpImmediate(offset)
            }
        }
        return words
    }

    // MARK: Formats (unprivileged spec §2.2, figure 2.3)

    private static let opLoad: UInt32 = 0x03, opImm: UInt32 = 0x13, opAUIPC: UInt32 = 0x17, opImm32: UInt32 = 0x1B
    private static let opStore: UInt32 = 0x23, opReg: UInt32 = 0x33, opLUI: UInt32 = 0x37, opReg32: UInt32 = 0x3B
    private static let opBranch: UInt32 = 0x63, opJALR: UInt32 = 0x67, opJAL: UInt32 = 0x6F, opSystem: UInt32 = 0x73

    private mutating func r(_ opcode: UInt32, _ funct3: UInt32, _ funct7: UInt32, _ rd: UInt8, _ rs1: UInt8, _ rs2: UInt8) {
        words.append(funct7 << 25 | UInt32(rs2) << 20 | UInt32(rs1) << 15 | funct3 << 12 | UInt32(rd) << 7 | opcode)
    }

    private mutating func i(_ opcode: UInt32, _ funct3: UInt32, _ rd: UInt8, _ rs1: UInt8, _ imm: Int32) {
        precondition(imm >= -2048 && imm < 2048, "I-immediate out of range")
        words.append(UInt32(bitPattern: imm & 0xFFF) << 20 | UInt32(rs1) << 15 | funct3 << 12 | UInt32(rd) << 7 | opcode)
    }

    private mutating func s(_ funct3: UInt32, _ rs1: UInt8, _ rs2: UInt8, _ imm: Int32) {
        precondition(imm >= -2048 && imm < 2048, "S-immediate out of range")
        let u = UInt32(bitPattern: imm)
        words.append((u >> 5 & 0x7F) << 25 | UInt32(rs2) << 20 | UInt32(rs1) << 15 | funct3 << 12 | (u & 0x1F) << 7 | Self.opStore)
    }

    public static func branchImmediate(_ offset: Int64) -> UInt32 {
        let u = UInt32(truncatingIfNeeded: offset)
        return (u >> 12 & 1) << 31 | (u >> 5 & 0x3F) << 25 | (u >> 1 & 0xF) << 8 | (u >> 11 & 1) << 7
    }

    public static func jumpImmediate(_ offset: Int64) -> UInt32 {
        let u = UInt32(truncatingIfNeeded: offset)
        return (u >> 20 & 1) << 31 | (u >> 1 & 0x3FF) << 21 | (u >> 11 & 1) << 20 | (u >> 12 & 0xFF) << 12
    }

    /// `jal rd, offset` as a word, for patching a chain slot in place.
    public static func jal(_ rd: UInt8, offset: Int64) -> UInt32 {
        jumpImmediate(offset) | UInt32(rd) << 7 | opJAL
    }

    // MARK: RV64I and M

    public mutating func add(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg, 0, 0, rd, a, b) }
    public mutating func sub(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg, 0, 0x20, rd, a, b) }
    public mutating func sll(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg, 1, 0, rd, a, b) }
    public mutating func slt(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg, 2, 0, rd, a, b) }
    public mutating func sltu(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg, 3, 0, rd, a, b) }
    public mutating func xor(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg, 4, 0, rd, a, b) }
    public mutating func srl(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg, 5, 0, rd, a, b) }
    public mutating func sra(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg, 5, 0x20, rd, a, b) }
    public mutating func or(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg, 6, 0, rd, a, b) }
    public mutating func and(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg, 7, 0, rd, a, b) }
    public mutating func addw(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg32, 0, 0, rd, a, b) }
    public mutating func subw(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg32, 0, 0x20, rd, a, b) }
    public mutating func mulw(_ rd: UInt8, _ a: UInt8, _ b: UInt8) { r(Self.opReg32, 0, 1, rd, a, b) }

    public mutating func addi(_ rd: UInt8, _ a: UInt8, _ imm: Int32) { i(Self.opImm, 0, rd, a, imm) }
    public mutating func slti(_ rd: UInt8, _ a: UInt8, _ imm: Int32) { i(Self.opImm, 2, rd, a, imm) }
    public mutating func sltiu(_ rd: UInt8, _ a: UInt8, _ imm: Int32) { i(Self.opImm, 3, rd, a, imm) }
    public mutating func xori(_ rd: UInt8, _ a: UInt8, _ imm: Int32) { i(Self.opImm, 4, rd, a, imm) }
    public mutating func ori(_ rd: UInt8, _ a: UInt8, _ imm: Int32) { i(Self.opImm, 6, rd, a, imm) }
    public mutating func andi(_ rd: UInt8, _ a: UInt8, _ imm: Int32) { i(Self.opImm, 7, rd, a, imm) }
    public mutating func slli(_ rd: UInt8, _ a: UInt8, _ shamt: Int32) { i(Self.opImm, 1, rd, a, shamt & 63) }
    public mutating func srli(_ rd: UInt8, _ a: UInt8, _ shamt: Int32) { i(Self.opImm, 5, rd, a, shamt & 63) }
    public mutating func srai(_ rd: UInt8, _ a: UInt8, _ shamt: Int32) { i(Self.opImm, 5, rd, a, 0x400 | (shamt & 63)) }
    public mutating func addiw(_ rd: UInt8, _ a: UInt8, _ imm: Int32) { i(Self.opImm32, 0, rd, a, imm) }
    public mutating func slliw(_ rd: UInt8, _ a: UInt8, _ shamt: Int32) { i(Self.opImm32, 1, rd, a, shamt & 31) }
    public mutating func srliw(_ rd: UInt8, _ a: UInt8, _ shamt: Int32) { i(Self.opImm32, 5, rd, a, shamt & 31) }
    public mutating func sraiw(_ rd: UInt8, _ a: UInt8, _ shamt: Int32) { i(Self.opImm32, 5, rd, a, 0x400 | (shamt & 31)) }

    public mutating func lb(_ rd: UInt8, _ base: UInt8, _ offset: Int32) { i(Self.opLoad, 0, rd, base, offset) }
    public mutating func lh(_ rd: UInt8, _ base: UInt8, _ offset: Int32) { i(Self.opLoad, 1, rd, base, offset) }
    public mutating func lw(_ rd: UInt8, _ base: UInt8, _ offset: Int32) { i(Self.opLoad, 2, rd, base, offset) }
    public mutating func ld(_ rd: UInt8, _ base: UInt8, _ offset: Int32) { i(Self.opLoad, 3, rd, base, offset) }
    public mutating func lbu(_ rd: UInt8, _ base: UInt8, _ offset: Int32) { i(Self.opLoad, 4, rd, base, offset) }
    public mutating func lhu(_ rd: UInt8, _ base: UInt8, _ offset: Int32) { i(Self.opLoad, 5, rd, base, offset) }
    public mutating func sb(_ value: UInt8, _ base: UInt8, _ offset: Int32) { s(0, base, value, offset) }
    public mutating func sh(_ value: UInt8, _ base: UInt8, _ offset: Int32) { s(1, base, value, offset) }
    public mutating func sw(_ value: UInt8, _ base: UInt8, _ offset: Int32) { s(2, base, value, offset) }
    public mutating func sd(_ value: UInt8, _ base: UInt8, _ offset: Int32) { s(3, base, value, offset) }

    public mutating func lui(_ rd: UInt8, _ upper20: UInt32) { words.append((upper20 & 0xFFFFF) << 12 | UInt32(rd) << 7 | Self.opLUI) }
    public mutating func jalr(_ rd: UInt8, _ base: UInt8, _ offset: Int32 = 0) { i(Self.opJALR, 0, rd, base, offset) }

    /// `csrrw rd, csr, rs1` (Zicsr, unprivileged spec chapter 9).
    public mutating func csrrw(_ rd: UInt8, _ csr: UInt16, _ source: UInt8) {
        words.append(UInt32(csr) << 20 | UInt32(source) << 15 | 1 << 12 | UInt32(rd) << 7 | Self.opSystem)
    }

    /// `csrrs rd, csr, rs1` (Zicsr): with rs1 = x0, a plain CSR read.
    public mutating func csrrs(_ rd: UInt8, _ csr: UInt16, _ source: UInt8) {
        words.append(UInt32(csr) << 20 | UInt32(source) << 15 | 2 << 12 | UInt32(rd) << 7 | Self.opSystem)
    }

    /// `ecall` and `ebreak` (unprivileged spec §2.8, "Environment Call and Breakpoints").
    public mutating func ecall() { words.append(Self.opSystem) }
    /// `wfi` (privileged spec §3.3.3).
    public mutating func wfi() { words.append(0x1050_0000 | Self.opSystem) }
    public mutating func ebreak() { words.append(1 << 20 | Self.opSystem) }

    public mutating func auipc(_ rd: UInt8, _ upper20: UInt32) { words.append((upper20 & 0xFFFFF) << 12 | UInt32(rd) << 7 | Self.opAUIPC) }

    private enum BranchCondition: UInt32 { case eq = 0, ne = 1, lt = 4, ge = 5, ltu = 6, geu = 7 }

    private mutating func branch(_ condition: BranchCondition, _ a: UInt8, _ b: UInt8, _ target: Label) {
        fixups.append((words.count, target, .branch))
        words.append(UInt32(b) << 20 | UInt32(a) << 15 | condition.rawValue << 12 | Self.opBranch)
    }

    public mutating func beq(_ a: UInt8, _ b: UInt8, _ target: Label) { branch(.eq, a, b, target) }
    public mutating func bne(_ a: UInt8, _ b: UInt8, _ target: Label) { branch(.ne, a, b, target) }
    public mutating func blt(_ a: UInt8, _ b: UInt8, _ target: Label) { branch(.lt, a, b, target) }
    public mutating func bge(_ a: UInt8, _ b: UInt8, _ target: Label) { branch(.ge, a, b, target) }
    public mutating func bltu(_ a: UInt8, _ b: UInt8, _ target: Label) { branch(.ltu, a, b, target) }
    public mutating func bgeu(_ a: UInt8, _ b: UInt8, _ target: Label) { branch(.geu, a, b, target) }

    /// `jal rd, label`.
    public mutating func jal(_ rd: UInt8, _ target: Label) {
        fixups.append((words.count, target, .jump))
        words.append(UInt32(rd) << 7 | Self.opJAL)
    }

    /// `jal rd, <absolute word offset from this buffer's start>`, for targets outside the buffer
    /// whose distance the caller knows (the shared stubs, other blocks).
    public mutating func jal(_ rd: UInt8, byteOffset: Int64) {
        words.append(Self.jal(rd, offset: byteOffset))
    }

    /// Loads a 32-bit constant sign-extended to 64 bits (`lui` + `addiw`), the guest's canonical form.
    public mutating func li32(_ rd: UInt8, _ value: UInt32) {
        let signed = Int32(bitPattern: value)
        if signed >= -2048 && signed < 2048 {
            addi(rd, 0, signed)
            return
        }
        let low = Int32(bitPattern: value << 20) >> 20           // the low 12 bits, sign-extended
        let upper = UInt32(bitPattern: signed &- low) >> 12
        lui(rd, upper)
        if low != 0 { addiw(rd, rd, low) }
    }

    public mutating func mv(_ rd: UInt8, _ source: UInt8) { addi(rd, source, 0) }
    public mutating func nop() { addi(0, 0, 0) }
}
