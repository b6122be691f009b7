/// The operand layout of a Thumb encoding: which bits are registers and immediates.
///
/// The decoder and the disassembler both work from it, so an encoding's fields are described
/// once, next to its mask and match (ARMv6-M Architecture Reference Manual, chapter A6).
public enum ThumbFormat: Sendable, Hashable {
    /// `op Rd, Rm, #imm5` (bits 10:6 imm5, 5:3 Rm, 2:0 Rd).
    case shiftImmediate
    /// `op Rd, Rn, Rm` (8:6 Rm, 5:3 Rn, 2:0 Rd).
    case threeRegisters
    /// `op Rd, Rn, #imm3` (8:6 imm3, 5:3 Rn, 2:0 Rd).
    case immediate3
    /// `op Rdn, #imm8` (10:8 Rdn, 7:0 imm8).
    case immediate8
    /// `op Rdn, Rm` with low registers (5:3 Rm, 2:0 Rdn).
    case twoRegisters
    /// `op Rdn, Rm` with any registers (7 DN, 6:3 Rm, 2:0 Rdn).
    case highRegisters
    /// `op Rm` (6:3 Rm).
    case branchRegister
    /// `op Rt, [PC, #imm8·4]` or `[SP, #imm8·4]` or `ADR`/`ADD Rd, SP` (10:8 Rt, 7:0 imm8).
    case registerImmediate8
    /// `op Rt, [Rn, Rm]` (8:6 Rm, 5:3 Rn, 2:0 Rt).
    case registerOffset
    /// `op Rt, [Rn, #imm5·scale]` (10:6 imm5, 5:3 Rn, 2:0 Rt); the scale is the access size.
    case immediateOffset(scale: UInt32)
    /// `op SP, SP, #imm7·4` (6:0 imm7).
    case stackAdjust
    /// `PUSH`/`POP`: 8 extra register bit (LR or PC), 7:0 low registers.
    case stackRegisterList
    /// `STM`/`LDM Rn!, {list}` (10:8 Rn, 7:0 list).
    case registerList
    /// `B<cond> label` (11:8 cond, 7:0 imm8).
    case conditionalBranch
    /// `B label` (10:0 imm11).
    case branch
    /// An 8-bit immediate with no register (SVC, BKPT, UDF), 7:0.
    case immediateOnly
    /// `CPSIE`/`CPSID i` (bit 4 chooses).
    case changeState
    /// No operands (hints, barriers).
    case none
    /// `BL label`: 32 bits, S:imm10 in the first halfword, J1, J2, imm11 in the second.
    case branchLink
    /// `MSR spec_reg, Rn` (first halfword 3:0 Rn, second 7:0 SYSm).
    case moveToSpecial
    /// `MRS Rd, spec_reg` (second halfword 11:8 Rd, 7:0 SYSm).
    case moveFromSpecial
}

/// Every ARMv6-M instruction, by mnemonic.
public enum ThumbInstruction: String, Sendable, Hashable, CaseIterable {
    case movsRegister = "movs", lslsImmediate = "lsls", lsrsImmediate = "lsrs", asrsImmediate = "asrs"
    case addsRegister = "adds", subsRegister = "subs", addsImmediate3 = "adds.3", subsImmediate3 = "subs.3"
    case movsImmediate = "movs.i", cmpImmediate = "cmp.i", addsImmediate8 = "adds.8", subsImmediate8 = "subs.8"
    case ands, eors, lslsRegister = "lsls.r", lsrsRegister = "lsrs.r", asrsRegister = "asrs.r", adcs, sbcs
    case rorsRegister = "rors", tst, rsbs, cmpRegister = "cmp", cmn, orrs, muls, bics, mvns
    case addHigh = "add", cmpHigh = "cmp.h", movHigh = "mov", bx, blx
    case ldrLiteral = "ldr.lit"
    case strRegister = "str", strhRegister = "strh", strbRegister = "strb", ldrsbRegister = "ldrsb"
    case ldrRegister = "ldr", ldrhRegister = "ldrh", ldrbRegister = "ldrb", ldrshRegister = "ldrsh"
    case strImmediate = "str.i", ldrImmediate = "ldr.i", strbImmediate = "strb.i", ldrbImmediate = "ldrb.i"
    case strhImmediate = "strh.i", ldrhImmediate = "ldrh.i", strSP = "str.sp", ldrSP = "ldr.sp"
    case adr, addSPImmediate = "add.sp", addToSP = "add.sp7", subFromSP = "sub.sp7"
    case sxth, sxtb, uxth, uxtb, push, cps, rev, rev16, revsh, pop, bkpt
    case nop, yield, wfe, wfi, sev
    case stm, ldm, udf, svc, bConditional = "b.cond", b
    case bl, msr, mrs, dsb, dmb, isb, udfWide = "udf.w"

    /// The assembler mnemonic (the raw value carries a suffix where two encodings share one).
    public var mnemonic: String {
        String(rawValue.prefix { $0 != "." })
    }
}

/// One encoding: the instruction whose fixed bits under `mask` equal `match`.
///
/// Sixteen-bit encodings are matched against the halfword; 32-bit ones against
/// `first << 16 | second`. ARMv6-M ARM §A5.1: a first halfword whose bits 15:11 are 0b11101,
/// 0b11110 or 0b11111 starts a 32-bit instruction.
public struct ThumbEncoding: Sendable, Hashable {
    public let mask: UInt32
    public let match: UInt32
    public let format: ThumbFormat
    public let instruction: ThumbInstruction
    /// 2 or 4 bytes.
    public let length: Int
}

/// The ARMv6-M instruction set as one table, in the order the decoder tries it: where two
/// encodings overlap (MOVS is LSLS #0, UDF and SVC sit in the B<cond> space) the more specific
/// comes first. Source: ARMv6-M Architecture Reference Manual (DDI 0419), §A5.2 and §A6.7.
public enum ThumbEncodingTable {
    private static func h(_ mask: UInt32, _ match: UInt32, _ format: ThumbFormat, _ instruction: ThumbInstruction) -> ThumbEncoding {
        ThumbEncoding(mask: mask, match: match, format: format, instruction: instruction, length: 2)
    }

    private static func w(_ mask: UInt32, _ match: UInt32, _ format: ThumbFormat, _ instruction: ThumbInstruction) -> ThumbEncoding {
        ThumbEncoding(mask: mask, match: match, format: format, instruction: instruction, length: 4)
    }

    /// The 16-bit encodings (§A5.2).
    public static let narrow: [ThumbEncoding] = [
        // Shift (immediate), add, subtract, move and compare (§A5.2.1).
        h(0xFFC0, 0x0000, .twoRegisters, .movsRegister),
        h(0xF800, 0x0000, .shiftImmediate, .lslsImmediate),
        h(0xF800, 0x0800, .shiftImmediate, .lsrsImmediate),
        h(0xF800, 0x1000, .shiftImmediate, .asrsImmediate),
        h(0xFE00, 0x1800, .threeRegisters, .addsRegister),
        h(0xFE00, 0x1A00, .threeRegisters, .subsRegister),
        h(0xFE00, 0x1C00, .immediate3, .addsImmediate3),
        h(0xFE00, 0x1E00, .immediate3, .subsImmediate3),
        h(0xF800, 0x2000, .immediate8, .movsImmediate),
        h(0xF800, 0x2800, .immediate8, .cmpImmediate),
        h(0xF800, 0x3000, .immediate8, .addsImmediate8),
        h(0xF800, 0x3800, .immediate8, .subsImmediate8),
        // Data processing (§A5.2.2): bits 9:6 select the operation.
        h(0xFFC0, 0x4000, .twoRegisters, .ands),
        h(0xFFC0, 0x4040, .twoRegisters, .eors),
        h(0xFFC0, 0x4080, .twoRegisters, .lslsRegister),
        h(0xFFC0, 0x40C0, .twoRegisters, .lsrsRegister),
        h(0xFFC0, 0x4100, .twoRegisters, .asrsRegister),
        h(0xFFC0, 0x4140, .twoRegisters, .adcs),
        h(0xFFC0, 0x4180, .twoRegisters, .sbcs),
        h(0xFFC0, 0x41C0, .twoRegisters, .rorsRegister),
        h(0xFFC0, 0x4200, .twoRegisters, .tst),
        h(0xFFC0, 0x4240, .twoRegisters, .rsbs),
        h(0xFFC0, 0x4280, .twoRegisters, .cmpRegister),
        h(0xFFC0, 0x42C0, .twoRegisters, .cmn),
        h(0xFFC0, 0x4300, .twoRegisters, .orrs),
        h(0xFFC0, 0x4340, .twoRegisters, .muls),
        h(0xFFC0, 0x4380, .twoRegisters, .bics),
        h(0xFFC0, 0x43C0, .twoRegisters, .mvns),
        // Special data instructions and branch and exchange (§A5.2.3).
        h(0xFF00, 0x4400, .highRegisters, .addHigh),
        h(0xFF00, 0x4500, .highRegisters, .cmpHigh),
        h(0xFF00, 0x4600, .highRegisters, .movHigh),
        h(0xFF87, 0x4700, .branchRegister, .bx),
        h(0xFF87, 0x4780, .branchRegister, .blx),
        h(0xF800, 0x4800, .registerImmediate8, .ldrLiteral),
        // Load/store single data item (§A5.2.4).
        h(0xFE00, 0x5000, .registerOffset, .strRegister),
        h(0xFE00, 0x5200, .registerOffset, .strhRegister),
        h(0xFE00, 0x5400, .registerOffset, .strbRegister),
        h(0xFE00, 0x5600, .registerOffset, .ldrsbRegister),
        h(0xFE00, 0x5800, .registerOffset, .ldrRegister),
        h(0xFE00, 0x5A00, .registerOffset, .ldrhRegister),
        h(0xFE00, 0x5C00, .registerOffset, .ldrbRegister),
        h(0xFE00, 0x5E00, .registerOffset, .ldrshRegister),
        h(0xF800, 0x6000, .immediateOffset(scale: 4), .strImmediate),
        h(0xF800, 0x6800, .immediateOffset(scale: 4), .ldrImmediate),
        h(0xF800, 0x7000, .immediateOffset(scale: 1), .strbImmediate),
        h(0xF800, 0x7800, .immediateOffset(scale: 1), .ldrbImmediate),
        h(0xF800, 0x8000, .immediateOffset(scale: 2), .strhImmediate),
        h(0xF800, 0x8800, .immediateOffset(scale: 2), .ldrhImmediate),
        h(0xF800, 0x9000, .registerImmediate8, .strSP),
        h(0xF800, 0x9800, .registerImmediate8, .ldrSP),
        // PC- and SP-relative addresses (§A6.7.5, §A6.7.3).
        h(0xF800, 0xA000, .registerImmediate8, .adr),
        h(0xF800, 0xA800, .registerImmediate8, .addSPImmediate),
        // Miscellaneous 16-bit instructions (§A5.2.5).
        h(0xFF80, 0xB000, .stackAdjust, .addToSP),
        h(0xFF80, 0xB080, .stackAdjust, .subFromSP),
        h(0xFFC0, 0xB200, .twoRegisters, .sxth),
        h(0xFFC0, 0xB240, .twoRegisters, .sxtb),
        h(0xFFC0, 0xB280, .twoRegisters, .uxth),
        h(0xFFC0, 0xB2C0, .twoRegisters, .uxtb),
        h(0xFE00, 0xB400, .stackRegisterList, .push),
        h(0xFFEF, 0xB662, .changeState, .cps),
        h(0xFFC0, 0xBA00, .twoRegisters, .rev),
        h(0xFFC0, 0xBA40, .twoRegisters, .rev16),
        h(0xFFC0, 0xBAC0, .twoRegisters, .revsh),
        h(0xFE00, 0xBC00, .stackRegisterList, .pop),
        h(0xFF00, 0xBE00, .immediateOnly, .bkpt),
        // Hints (§A5.2.5, table A5-6); IT does not exist in ARMv6-M.
        h(0xFFFF, 0xBF00, .none, .nop),
        h(0xFFFF, 0xBF10, .none, .yield),
        h(0xFFFF, 0xBF20, .none, .wfe),
        h(0xFFFF, 0xBF30, .none, .wfi),
        h(0xFFFF, 0xBF40, .none, .sev),
        // Multiple load/store (§A6.7.40, §A6.7.57).
        h(0xF800, 0xC000, .registerList, .stm),
        h(0xF800, 0xC800, .registerList, .ldm),
        // Conditional branch and supervisor call (§A5.2.6): cond 0b1110 is UDF, 0b1111 SVC.
        h(0xFF00, 0xDE00, .immediateOnly, .udf),
        h(0xFF00, 0xDF00, .immediateOnly, .svc),
        h(0xF000, 0xD000, .conditionalBranch, .bConditional),
        h(0xF800, 0xE000, .branch, .b),
    ]

    /// The 32-bit encodings (§A5.3), matched against `first << 16 | second`.
    public static let wide: [ThumbEncoding] = [
        w(0xFFF0_FF00, 0xF380_8800, .moveToSpecial, .msr),
        w(0xFFFF_F000, 0xF3EF_8000, .moveFromSpecial, .mrs),
        w(0xFFFF_FFF0, 0xF3BF_8F40, .none, .dsb),
        w(0xFFFF_FFF0, 0xF3BF_8F50, .none, .dmb),
        w(0xFFFF_FFF0, 0xF3BF_8F60, .none, .isb),
        w(0xFFF0_F000, 0xF7F0_A000, .none, .udfWide),
        w(0xF800_D000, 0xF000_D000, .branchLink, .bl),
    ]

    /// Both tables, the order the decoder tries them in within each width.
    public static var all: [ThumbEncoding] { narrow + wide }

    /// Whether a first halfword starts a 32-bit instruction (§A5.1).
    public static func isWide(_ first: UInt16) -> Bool {
        first >> 11 == 0b11101 || first >> 11 == 0b11110 || first >> 11 == 0b11111
    }
}
