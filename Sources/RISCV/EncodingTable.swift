/// The 32-bit encodings of RV64GC, Zicsr, Zifencei and the privileged instructions, as
/// mask/match pairs (the unprivileged spec's chapter 34 "RV32/64G Instruction Set Listings" and
/// the privileged spec's table of privileged instructions). The decoder, the disassembler and the
/// random-program tests all read this one table. Its entries come from the instruction descriptions
/// (Sources/InstructionSpec); the named opcodes and field helpers below are what they are written in.
public enum EncodingTable {
    // Major opcodes (unprivileged spec, Table 70 "RISC-V base opcode map").
    static let LOAD: UInt32 = 0x03, LOAD_FP: UInt32 = 0x07, MISC_MEM: UInt32 = 0x0f, OP_IMM: UInt32 = 0x13
    static let AUIPC: UInt32 = 0x17, OP_IMM_32: UInt32 = 0x1b, STORE: UInt32 = 0x23, STORE_FP: UInt32 = 0x27
    static let AMO: UInt32 = 0x2f, OP: UInt32 = 0x33, LUI: UInt32 = 0x37, OP_32: UInt32 = 0x3b
    static let MADD: UInt32 = 0x43, MSUB: UInt32 = 0x47, NMSUB: UInt32 = 0x4b, NMADD: UInt32 = 0x4f
    static let OP_FP: UInt32 = 0x53, BRANCH: UInt32 = 0x63, JALR: UInt32 = 0x67, JAL: UInt32 = 0x6f, SYSTEM: UInt32 = 0x73

    static func f3(_ opcode: UInt32, _ funct3: UInt32) -> UInt32 { opcode | funct3 << 12 }
    static func f7(_ opcode: UInt32, _ funct3: UInt32, _ funct7: UInt32) -> UInt32 { opcode | funct3 << 12 | funct7 << 25 }
    static func amo(_ funct5: UInt32, _ width: UInt32) -> UInt32 { AMO | width << 12 | funct5 << 27 }
    static func fp(_ funct7: UInt32, rs2: UInt32 = 0, funct3: UInt32 = 0) -> UInt32 { OP_FP | funct3 << 12 | rs2 << 20 | funct7 << 25 }

    static let opcodeMask: UInt32 = 0x7f, funct3Mask: UInt32 = 0x707f, rMask: UInt32 = 0xfe00707f
    static let shift64Mask: UInt32 = 0xfc00707f, amoMask: UInt32 = 0xf800707f, lrMask: UInt32 = 0xf9f0707f
    static let fmaMask: UInt32 = 0x0600007f, fpRmMask: UInt32 = 0xfe00007f, fpRmRs2Mask: UInt32 = 0xfff0007f
    static let fpF3Rs2Mask: UInt32 = 0xfff0707f
    /// HLV/HLVX fix funct7 and the rs2 field (which selects unsigned and execute forms); HSV fixes rd = 0.
    static let hlvMask: UInt32 = 0xfff0707f, hsvMask: UInt32 = 0xfe007fff
    static func hlv(_ funct7: UInt32, _ rs2: UInt32) -> UInt32 { SYSTEM | 4 << 12 | rs2 << 20 | funct7 << 25 }

    // `encodings`, one line per described instruction, is generated: Generated/GeneratedEncodings.swift.

    /// Name of each op as the manual spells it (compressed ops print as their expansion).
    public static let names: [String] = {
        var n = Array(repeating: "illegal", count: Op.allCases.count)
        for e in encodings { n[Int(e.op.rawValue)] = e.name }
        return n
    }()
}
