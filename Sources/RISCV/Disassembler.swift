/// Turns decoded instructions back into assembly text for traces and test failure messages.
/// Compressed instructions print as the base instruction they expand to.
public enum Disassembler {
    private static let formats: [InstructionFormat] = {
        var table = Array(repeating: InstructionFormat.none, count: Op.allCases.count)
        for e in EncodingTable.encodings { table[Int(e.op.rawValue)] = e.format }
        return table
    }()

    private static func xreg(_ r: UInt8) -> String { r == Instruction.discard ? "zero" : abiNames[Int(r)] }
    private static func freg(_ r: UInt8) -> String { "f\(r)" }

    /// ABI register names (psABI "Integer Register Convention").
    public static let abiNames = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
                                  "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
                                  "t3", "t4", "t5", "t6"]

    private static func usesFloatRegisters(_ op: Op) -> (rd: Bool, rs: Bool) {
        let name = EncodingTable.names[Int(op.rawValue)]
        guard name.hasPrefix("f") && name != "fence" && name != "fence.i" else { return (false, false) }
        if name.hasPrefix("fmv.x") || name.hasPrefix("fclass") || name.hasPrefix("feq") || name.hasPrefix("flt")
            || name.hasPrefix("fle") || (name.hasPrefix("fcvt.w") || name.hasPrefix("fcvt.l")) {
            return (false, true)
        }
        if name.hasPrefix("fmv.w.x") || name.hasPrefix("fmv.d.x") || name.hasSuffix(".w") || name.hasSuffix(".wu")
            || name.hasSuffix(".l") || name.hasSuffix(".lu") {
            return (true, false)
        }
        return (true, true)
    }

    /// Assembly text for `i` located at `pc` (used to print branch and jump targets).
    public static func text(_ i: Instruction, pc: UInt64) -> String {
        let name = EncodingTable.names[Int(i.op.rawValue)]
        if i.op == .illegal { return "illegal 0x" + String(i.raw, radix: 16) }
        let (fd, fs) = usesFloatRegisters(i.op)
        let rd = fd ? freg(i.rd) : xreg(i.rd)
        let rs1 = fs ? freg(i.rs1) : xreg(i.rs1)
        let rs2 = fs ? freg(i.rs2) : xreg(i.rs2)
        let target = "0x" + String(pc &+ UInt64(bitPattern: Int64(i.imm)), radix: 16)
        switch i.op {
        case .lb, .lh, .lw, .ld, .lbu, .lhu, .lwu, .flw, .fld:
            return "\(name) \(rd), \(i.imm)(\(xreg(i.rs1)))"
        case .sb, .sh, .sw, .sd:
            return "\(name) \(xreg(i.rs2)), \(i.imm)(\(xreg(i.rs1)))"
        case .fsw, .fsd:
            return "\(name) \(freg(i.rs2)), \(i.imm)(\(xreg(i.rs1)))"
        case .hlv_b, .hlv_bu, .hlv_h, .hlv_hu, .hlvx_hu, .hlv_w, .hlvx_wu, .hlv_wu, .hlv_d:
            return "\(name) \(rd), (\(xreg(i.rs1)))"
        case .hsv_b, .hsv_h, .hsv_w, .hsv_d:
            return "\(name) \(xreg(i.rs2)), (\(xreg(i.rs1)))"
        case .fmv_w_x, .fmv_d_x, .fcvt_s_w, .fcvt_s_wu, .fcvt_s_l, .fcvt_s_lu, .fcvt_d_w, .fcvt_d_wu, .fcvt_d_l, .fcvt_d_lu:
            return "\(name) \(freg(i.rd)), \(xreg(i.rs1))"
        default: break
        }
        switch formats[Int(i.op.rawValue)] {
        case .r: return i.op == .sfence_vma || i.op == .hfence_vvma || i.op == .hfence_gvma ? "\(name) \(rs1), \(rs2)" : "\(name) \(rd), \(rs1), \(rs2)"
        case .rm:
            return i.op == .fsqrt_s || i.op == .fsqrt_d || name.hasPrefix("fcvt") ? "\(name) \(rd), \(rs1)" : "\(name) \(rd), \(rs1), \(rs2)"
        case .r4: return "\(name) \(rd), \(rs1), \(rs2), \(freg(i.rs3))"
        case .i: return i.op == .jalr ? "jalr \(rd), \(i.imm)(\(rs1))" : "\(name) \(rd), \(rs1), \(i.imm)"
        case .shift64, .shift32: return "\(name) \(rd), \(rs1), \(i.imm)"
        case .s: return "\(name) \(rs2), \(i.imm)(\(rs1))"
        case .b: return "\(name) \(rs1), \(rs2), \(target)"
        case .u: return "\(name) \(rd), 0x\(String(UInt32(bitPattern: i.imm) >> 12, radix: 16))"
        case .j: return "\(name) \(rd), \(target)"
        case .csr:
            let src = i.op == .csrrwi || i.op == .csrrsi || i.op == .csrrci ? "\(i.rs1)" : xreg(i.rs1)
            return "\(name) \(rd), \(CSR.name(UInt16(i.imm & 0xfff))), \(src)"
        case .none: return name
        }
    }
}
