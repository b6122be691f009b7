// `Op`, the operation of each instruction, is generated: Generated/GeneratedOp.swift.

/// How an encoding's operand fields are laid out (unprivileged spec §2.2–2.3 and the F/A chapters).
public enum InstructionFormat: Sendable {
    case r, i, s, b, u, j
    /// I-type shift with a 6-bit (RV64) shift amount.
    case shift64
    /// I-type shift with a 5-bit shift amount (the W forms).
    case shift32
    /// R-type floating point whose funct3 is the rounding mode (kept in `imm`).
    case rm
    /// R4-type fused multiply-add: rs3 in bits 31:27, rounding mode in funct3.
    case r4
    /// CSR access: the CSR number in `imm`; for the immediate forms `rs1` is the 5-bit zimm.
    case csr
    /// No operands (ecall, mret, fence…).
    case none
}

/// One line of the encoding table: the manual's mask/match pair for an instruction.
public struct Encoding: Sendable {
    public let name: String
    public let mask: UInt32
    public let match: UInt32
    public let format: InstructionFormat
    public let op: Op
}
