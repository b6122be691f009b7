/// Renders decoded ARMv6-M instructions in the unified assembler syntax (ARMv6-M ARM §A4.2),
/// for traces, fault reports and test failure messages.
public enum ThumbDisassembler {
    /// The names of R0–R15 as the ARM assemblers print them.
    public static func registerName(_ index: UInt8) -> String {
        switch index {
        case 13: return "sp"
        case 14: return "lr"
        case 15: return "pc"
        default: return "r\(index)"
        }
    }

    /// Condition mnemonics by the 4-bit field of `B<cond>` (§A6.3).
    public static let conditionNames = ["eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"]

    /// Special registers by MRS/MSR SYSm value (§B5.2.2, §B5.2.3).
    public static func specialRegisterName(_ sysm: UInt32) -> String {
        switch sysm {
        case 0: return "apsr"
        case 1: return "iapsr"
        case 2: return "eapsr"
        case 3: return "xpsr"
        case 5: return "ipsr"
        case 6: return "epsr"
        case 7: return "iepsr"
        case 8: return "msp"
        case 9: return "psp"
        case 16: return "primask"
        case 20: return "control"
        default: return "sysm\(sysm)"
        }
    }

    private static func list(_ mask: UInt32) -> String {
        "{" + (0 ..< 16).filter { mask & (1 << $0) != 0 }.map { registerName(UInt8($0)) }.joined(separator: ", ") + "}"
    }

    /// The text of one instruction; `address` makes branch targets absolute.
    public static func text(_ op: ThumbOp, address: UInt32 = 0) -> String {
        let m = op.instruction.mnemonic
        let rd = registerName(op.rd), rn = registerName(op.rn), rm = registerName(op.rm)
        let imm = op.immediate
        let target = String(address &+ 4 &+ imm, radix: 16)
        switch op.instruction {
        case .movsRegister: return "movs \(rd), \(rm)"
        case .lslsImmediate, .lsrsImmediate, .asrsImmediate: return "\(m) \(rd), \(rm), #\(imm)"
        case .addsRegister, .subsRegister: return "\(m) \(rd), \(rn), \(rm)"
        case .addsImmediate3, .subsImmediate3: return "\(m) \(rd), \(rn), #\(imm)"
        case .movsImmediate, .cmpImmediate, .addsImmediate8, .subsImmediate8: return "\(m) \(rd), #\(imm)"
        case .rsbs: return "rsbs \(rd), \(rm), #0"
        case .ands, .eors, .lslsRegister, .lsrsRegister, .asrsRegister, .adcs, .sbcs, .rorsRegister, .tst, .cmpRegister,
             .cmn, .orrs, .bics, .mvns, .sxth, .sxtb, .uxth, .uxtb, .rev, .rev16, .revsh:
            return "\(m) \(rd), \(rm)"
        case .muls: return "muls \(rd), \(rm), \(rd)"
        case .addHigh, .cmpHigh, .movHigh: return "\(m) \(rd), \(rm)"
        case .bx, .blx: return "\(m) \(rm)"
        case .ldrLiteral: return "ldr \(rd), [pc, #\(imm)]"
        case .strRegister, .strhRegister, .strbRegister, .ldrsbRegister, .ldrRegister, .ldrhRegister, .ldrbRegister, .ldrshRegister:
            return "\(m) \(rd), [\(rn), \(rm)]"
        case .strImmediate, .ldrImmediate, .strbImmediate, .ldrbImmediate, .strhImmediate, .ldrhImmediate:
            return "\(m) \(rd), [\(rn), #\(imm)]"
        case .strSP, .ldrSP: return "\(m) \(rd), [sp, #\(imm)]"
        case .adr: return "adr \(rd), #\(imm)"
        case .addSPImmediate: return "add \(rd), sp, #\(imm)"
        case .addToSP: return "add sp, #\(imm)"
        case .subFromSP: return "sub sp, #\(imm)"
        case .push, .pop: return "\(m) \(list(imm))"
        case .stm, .ldm:
            let writeBack = op.instruction == .stm || imm & (1 << UInt32(op.rn)) == 0
            return "\(m) \(rn)\(writeBack ? "!" : ""), \(list(imm))"
        case .cps: return imm == 1 ? "cpsid i" : "cpsie i"
        case .bkpt, .udf, .svc: return "\(m) #\(imm)"
        case .nop, .yield, .wfe, .wfi, .sev: return m
        case .bConditional: return "b\(conditionNames[Int(op.rn)]) 0x\(target)"
        case .b, .bl: return "\(m) 0x\(target)"
        case .msr: return "msr \(specialRegisterName(imm)), \(rn)"
        case .mrs: return "mrs \(rd), \(specialRegisterName(imm))"
        case .dsb, .dmb, .isb: return "\(m) sy"
        case .udfWide: return "udf.w #\(((op.raw >> 4) & 0xF000) | (op.raw & 0xFFF))"
        }
    }

    /// Disassembles raw halfwords: the undefined ones print as `.inst`.
    public static func text(first: UInt16, second: UInt16 = 0, address: UInt32 = 0) -> String {
        guard let op = ThumbDecoder.decode(first: first, second: second) else {
            return ThumbDecoder.length(of: first) == 4
                ? ".inst.w 0x\(String(UInt32(first) << 16 | UInt32(second), radix: 16))"
                : ".inst.n 0x\(String(first, radix: 16))"
        }
        return text(op, address: address)
    }
}
