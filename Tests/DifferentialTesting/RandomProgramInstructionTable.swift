import InstructionSpec

/// The ISA extension a random instruction belongs to, so coverage can be reported per
/// extension and a run can leave one out while it is being debugged. The rows derived from the
/// instruction descriptions bring their own (named as `extensionName` says), so a new extension
/// needs no case here.
public struct RandomProgramExtension: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The name as the ISA string spells it, capitalised: "I", "M", "Zba".
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    /// The extension of an instruction description: its `extensionName`, the base ("RV64I") as "I".
    public init(describedAs extensionName: String) {
        self.init(rawValue: extensionName.hasPrefix("RV64") ? String(extensionName.dropFirst(4)) : extensionName)
    }

    // The extensions of the hand-written rows.
    public static let i = Self(rawValue: "I"), m = Self(rawValue: "M"), a = Self(rawValue: "A")
    public static let f = Self(rawValue: "F"), d = Self(rawValue: "D"), c = Self(rawValue: "C")
    public static let zicsr = Self(rawValue: "Zicsr"), zifencei = Self(rawValue: "Zifencei")

    /// Every extension the table draws from, in the order of `<`.
    public static var allCases: [RandomProgramExtension] { Set(RandomInstructionTable.all.map(\.isaExtension)).sorted() }

    /// Orders extensions as the ISA name lists them: single letters in the canonical order
    /// (I, M, A, F, D, Q, L, C, B, ...), then multi-letter ones by the category their second
    /// letter names, then alphabetically (unprivileged spec, "ISA Extension Naming Conventions").
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.orderKey < rhs.orderKey }

    private var orderKey: (Int, Int, String) {
        let canonical = Array("IEMAFDQLCBKJTPVH")
        let letters = Array(rawValue)
        if letters.count == 1 { return (0, canonical.firstIndex(of: letters[0]) ?? 99, rawValue) }
        let category = letters.count > 1 ? canonical.firstIndex(of: Character(letters[1].uppercased())) ?? 99 : 99
        return (1, category, rawValue)
    }

    public var description: String { rawValue }
}

/// What one operand of a table row may be. The generator turns each kind into text and,
/// for a few kinds, into setup instructions placed before the instruction (for example the
/// address register of an AMO). Every kind only produces values that keep the program inside
/// the rules in `RandomProgramGenerator`: the sandbox is the only memory touched, branches only
/// go forward, and the frm field always holds a valid rounding mode.
public enum RandomOperandKind: Sendable, Equatable {
    /// Any writable integer register (never the pinned sp/s0; x0 now and then).
    case integerDestination
    /// Any integer register, pinned ones included: reading them is deterministic.
    case integerSource
    /// An integer source that is sometimes first reloaded with a corner value (0, -1, INT_MIN,
    /// INT32_MIN, ...) so division by zero and signed overflow are hit often.
    case integerSourceBiased
    /// Any floating-point register as destination.
    case floatDestination
    /// A floating-point source of the given width in bytes (4 single, 8 double). It is sometimes
    /// reloaded with a special value first, and single sources are sometimes deliberately left
    /// without their NaN box (`fmv.d.x`), which must read as the canonical NaN.
    case floatSource(width: Int)
    /// A signed immediate of `bits` bits.
    case signedImmediate(bits: Int)
    /// An unsigned immediate in `0..<(1 << bits)` (lui/auipc's 20-bit field).
    case unsignedImmediate(bits: Int)
    /// A shift amount in `0..<limit`.
    case shiftAmount(limit: Int)
    /// A static rounding mode (rne, rtz, rdn, rup) or `dyn`. RMM (rm = 4) is left out on purpose.
    case roundingMode
    /// `offset(base)` with base s0 or sp (both the sandbox middle), `width`-aligned.
    case sandboxAddress(width: Int)
    /// `(reg)` where reg was just set to a `width`-aligned sandbox address (AMOs take no offset).
    case atomicAddress(width: Int)
    /// A forward label at most `maxUnits` units ahead (so every program terminates).
    case forwardLabel(maxUnits: Int)
    /// Text that is always the same, such as a CSR name or `zero`.
    case fixed(String)
    /// A register holding a valid rounding mode (0...3), loaded just before, for writes to frm.
    case roundingModeValue
    /// A register holding a valid fcsr value (frm 0...3, any flags), loaded just before.
    case fcsrValue
    /// An unsigned immediate drawn from `values`, for CSR immediates that must stay valid.
    case immediateChoice([Int])

    // Compressed (RVC) operand kinds: register fields of three bits (x8..x15) and the
    // immediate ranges of the unprivileged spec, chapter 16 "C" (Table 16.5–16.6).
    /// rd' in x9..x15 (x8 is the pinned sandbox base).
    case compressedIntegerDestination
    /// rs' in x8..x15.
    case compressedIntegerSource
    /// fd'/fs' in f8..f15.
    case compressedFloatRegister
    /// rd in x1..x31 except the pinned sp and s0.
    case compressedNonZeroDestination
    /// rs2 in x1..x31 (non-zero, as c.mv and c.add require).
    case compressedNonZeroSource
    /// A non-zero signed 6-bit immediate.
    case nonZeroSignedImmediate6
    /// A non-zero shift amount, 1..63.
    case nonZeroShiftAmount
    /// c.lui's non-zero 6-bit immediate in the assembler's 20-bit notation.
    case compressedUpperImmediate
    /// c.addi4spn's immediate: a multiple of 4 in 4...1020.
    case stackPointerAddImmediate
    /// `offset(s0)` with a zero-extended offset: `width`-aligned, below 32·width.
    case compressedSandboxAddress(width: Int)
    /// `offset(sp)` with a zero-extended offset: `width`-aligned, below 64·width.
    case stackSandboxAddress(width: Int)
}

/// How a table row becomes instructions. Most rows are one instruction; a few operations only
/// make sense together with setup that the minimizer must not separate from them.
public enum RandomInstructionForm: Sendable, Equatable {
    /// One instruction: the mnemonic followed by its operands.
    case single
    /// `lr` then up to two ALU instructions then `sc` to the same address, which succeeds.
    case loadReservedStoreConditional(width: Int)
    /// An `sc` with no reservation held, which must fail and write 1 (A spec, §8.2).
    case unreservedStoreConditional(width: Int)
    /// `lla` of a forward label into a register, then an indirect jump through it.
    case indirectJump
    /// `c.addi16sp` up, one sp-relative access, `c.addi16sp` back down so sp stays pinned.
    case stackAdjustSandwich
    /// `csrr mstatus` masked to the FS field (bits 14:13), the only deterministic part here.
    case mstatusFloatStatus
}

/// One row of the generator's instruction table: an assembler mnemonic, the kinds of its
/// operands in assembler order, and the extension it comes from.
public struct RandomInstruction: Sendable, Equatable {
    /// The assembler mnemonic as clang accepts it (e.g. `amoadd.w.aq`).
    public let mnemonic: String
    /// Operand kinds in assembler order.
    public let operands: [RandomOperandKind]
    /// The extension the instruction belongs to.
    public let isaExtension: RandomProgramExtension
    /// One instruction or one of the fixed groups.
    public let form: RandomInstructionForm
    /// The extension the assembler is told of around this instruction alone (`.option arch`),
    /// for one of an extension still being added, which the programs' -march does not name.
    public let assemblerExtension: String?

    /// A table row; unnamed arguments keep the table reading like a listing.
    public init(_ mnemonic: String, _ operands: [RandomOperandKind], _ isaExtension: RandomProgramExtension,
                form: RandomInstructionForm = .single, assemblerExtension: String? = nil) {
        self.mnemonic = mnemonic
        self.operands = operands
        self.isaExtension = isaExtension
        self.form = form
        self.assemblerExtension = assemblerExtension
    }

    /// A short unique name for coverage counting: the mnemonic, any fixed operands (CSR
    /// names), and a note for the form whose meaning differs from the plain mnemonic.
    public var key: String {
        var parts = [mnemonic]
        for operand in operands {
            if case .fixed(let text) = operand { parts.append(text) }
        }
        if case .unreservedStoreConditional = form { parts.append("(no reservation)") }
        return parts.joined(separator: " ")
    }
}

/// The instructions the random generator draws from: the whole of RV64GC that an M-mode
/// program can run deterministically. Left out on purpose: ecall/ebreak/c.ebreak/wfi/mret
/// (they trap or wait), counters (cycle/time/instret differ between machines), rm = RMM, and
/// misaligned accesses unless `RandomProgramConfiguration.allowMisalignedAccesses` is set.
public enum RandomInstructionTable {
    private typealias K = RandomOperandKind

    private static let rd = K.integerDestination, rs = K.integerSource, rsb = K.integerSourceBiased
    private static let fd = K.floatDestination, fs = K.floatSource(width: 4), fsd = K.floatSource(width: 8)
    private static let rm = K.roundingMode

    private static func r(_ names: [String], _ ext: RandomProgramExtension, _ ops: [K]) -> [RandomInstruction] {
        names.map { RandomInstruction($0, ops, ext) }
    }

    /// The register-register and register-immediate ALU ops (RV64I, M, Zba, ...): one row per
    /// instruction description, with the operands it gives (`InstructionDescription.randomOperands`:
    /// M's divisions and the shift-adds get biased sources, so division by zero, overflow and bits
    /// shifted out are hit often). An op of an extension the programs' -march does not name yet (one
    /// not marked complete) is assembled with that extension named around it alone.
    static let derived: [RandomInstruction] = RV64Instructions.all.compactMap { description in
        guard let operands = description.randomOperands else { return nil }
        let complete = RV64Instructions.completeExtensions.contains(description.extensionName)
        return RandomInstruction(description.name, operands.map(kind), RandomProgramExtension(describedAs: description.extensionName),
                                 assemblerExtension: complete ? nil : description.multiLetterExtension)
    }

    /// The tester's operand kind for a description's operand.
    private static func kind(_ operand: RandomOperand) -> K {
        switch operand {
        case .destination: return rd
        case .source: return rs
        case .biasedSource: return rsb
        case .signedImmediate(let bits): return .signedImmediate(bits: bits)
        case .shiftAmount(let limit): return .shiftAmount(limit: limit)
        }
    }

    /// The rest of RV64I (unprivileged spec ch. 2 and ch. 5) and fence.i (Zifencei): the shapes
    /// that need more than a register or an immediate.
    static let base: [RandomInstruction] =
        r(["lui", "auipc"], .i, [rd, .unsignedImmediate(bits: 20)])
        + [("lb", 1), ("lh", 2), ("lw", 4), ("ld", 8), ("lbu", 1), ("lhu", 2), ("lwu", 4)].map {
            RandomInstruction($0.0, [rd, .sandboxAddress(width: $0.1)], .i)
        }
        + [("sb", 1), ("sh", 2), ("sw", 4), ("sd", 8)].map {
            RandomInstruction($0.0, [rs, .sandboxAddress(width: $0.1)], .i)
        }
        + r(["beq", "bne", "blt", "bge", "bltu", "bgeu"], .i, [rs, rs, .forwardLabel(maxUnits: 12)])
        + [
            RandomInstruction("jal", [rd, .forwardLabel(maxUnits: 12)], .i),
            RandomInstruction("jalr", [rd], .i, form: .indirectJump),
            RandomInstruction("fence", [], .i),
            RandomInstruction("fence", [.fixed("rw"), .fixed("rw")], .i),
            RandomInstruction("fence.i", [], .zifencei),
        ]

    /// A (unprivileged spec ch. 8): every AMO in both widths, with random aq/rl bits.
    static let atomic: [RandomInstruction] = {
        var rows: [RandomInstruction] = []
        for (suffix, width) in [("w", 4), ("d", 8)] {
            rows.append(RandomInstruction("lr.\(suffix)", [], .a, form: .loadReservedStoreConditional(width: width)))
            rows.append(RandomInstruction("sc.\(suffix)", [], .a, form: .unreservedStoreConditional(width: width)))
            for op in ["amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu", "amomaxu"] {
                for ordering in ["", ".aq", ".rl", ".aqrl"] {
                    rows.append(RandomInstruction("\(op).\(suffix)\(ordering)", [rd, rs, .atomicAddress(width: width)], .a))
                }
            }
        }
        return rows
    }()

    /// F and D (unprivileged spec ch. 11 and 12).
    static let floatingPoint: [RandomInstruction] = {
        var rows: [RandomInstruction] = []
        for (p, width, ext) in [("s", 4, RandomProgramExtension.f), ("d", 8, .d)] {
            let src = K.floatSource(width: width)
            rows += r(["fadd.\(p)", "fsub.\(p)", "fmul.\(p)", "fdiv.\(p)"], ext, [fd, src, src, rm])
            rows += r(["fsqrt.\(p)"], ext, [fd, src, rm])
            rows += r(["fmin.\(p)", "fmax.\(p)", "fsgnj.\(p)", "fsgnjn.\(p)", "fsgnjx.\(p)"], ext, [fd, src, src])
            rows += r(["fmadd.\(p)", "fmsub.\(p)", "fnmsub.\(p)", "fnmadd.\(p)"], ext, [fd, src, src, src, rm])
            rows += r(["fcvt.w.\(p)", "fcvt.wu.\(p)", "fcvt.l.\(p)", "fcvt.lu.\(p)"], ext, [rd, src, rm])
            rows += r(["fcvt.\(p).w", "fcvt.\(p).wu", "fcvt.\(p).l", "fcvt.\(p).lu"], ext, [fd, rsb, rm])
            rows += r(["feq.\(p)", "flt.\(p)", "fle.\(p)"], ext, [rd, src, src])
            rows += r(["fclass.\(p)"], ext, [rd, src])
        }
        rows += [
            RandomInstruction("fmv.x.w", [rd, fs], .f),
            RandomInstruction("fmv.w.x", [fd, rsb], .f),
            RandomInstruction("flw", [fd, .sandboxAddress(width: 4)], .f),
            RandomInstruction("fsw", [fs, .sandboxAddress(width: 4)], .f),
            RandomInstruction("fcvt.s.d", [fd, fsd, rm], .d),
            RandomInstruction("fcvt.d.s", [fd, fs, rm], .d),
            RandomInstruction("fmv.x.d", [rd, fsd], .d),
            RandomInstruction("fmv.d.x", [fd, rsb], .d),
            RandomInstruction("fld", [fd, .sandboxAddress(width: 8)], .d),
            RandomInstruction("fsd", [fsd, .sandboxAddress(width: 8)], .d),
        ]
        return rows
    }()

    /// Zicsr on the deterministic CSRs: reads of fflags, frm, fcsr, misa, mhartid and
    /// mstatus.FS; writes only of the floating-point CSRs, and only with valid frm values.
    static let csr: [RandomInstruction] = {
        var rows: [RandomInstruction] = []
        for name in ["fflags", "frm", "fcsr", "misa", "mhartid"] {
            rows.append(RandomInstruction("csrrs", [rd, .fixed(name), .fixed("zero")], .zicsr))
        }
        rows.append(RandomInstruction("csrr mstatus.FS", [rd], .zicsr, form: .mstatusFloatStatus))
        rows += [
            // Read-and-clear: captures the flags of the instructions since the last clear, which
            // the final fcsr (usually all flags by then) cannot show.
            RandomInstruction("csrrw", [rd, .fixed("fflags"), .fixed("zero")], .zicsr),
            RandomInstruction("csrrw", [rd, .fixed("fflags"), rs], .zicsr),
            RandomInstruction("csrrs", [rd, .fixed("fflags"), rs], .zicsr),
            RandomInstruction("csrrc", [rd, .fixed("fflags"), rs], .zicsr),
            RandomInstruction("csrrw", [rd, .fixed("frm"), .roundingModeValue], .zicsr),
            RandomInstruction("csrrs", [rd, .fixed("frm"), .roundingModeValue], .zicsr),
            RandomInstruction("csrrc", [rd, .fixed("frm"), rs], .zicsr),
            RandomInstruction("csrrw", [rd, .fixed("fcsr"), .fcsrValue], .zicsr),
            RandomInstruction("csrrc", [rd, .fixed("fcsr"), rs], .zicsr),
            RandomInstruction("csrrwi", [rd, .fixed("fflags"), .immediateChoice(Array(0..<32))], .zicsr),
            RandomInstruction("csrrsi", [rd, .fixed("fflags"), .immediateChoice(Array(0..<32))], .zicsr),
            RandomInstruction("csrrci", [rd, .fixed("fflags"), .immediateChoice(Array(0..<32))], .zicsr),
            RandomInstruction("csrrwi", [rd, .fixed("frm"), .immediateChoice(Array(0...3))], .zicsr),
            RandomInstruction("csrrsi", [rd, .fixed("frm"), .immediateChoice(Array(0...3))], .zicsr),
            RandomInstruction("csrrci", [rd, .fixed("frm"), .immediateChoice(Array(0..<8))], .zicsr),
            // A 5-bit immediate reaches only fflags inside fcsr (frm is bits 7:5), so any value stays valid.
            RandomInstruction("csrrwi", [rd, .fixed("fcsr"), .immediateChoice(Array(0..<32))], .zicsr),
            RandomInstruction("csrrsi", [rd, .fixed("fcsr"), .immediateChoice(Array(0..<32))], .zicsr),
            RandomInstruction("csrrci", [rd, .fixed("fcsr"), .immediateChoice(Array(0..<32))], .zicsr),
        ]
        return rows
    }()

    /// RV64C (unprivileged spec ch. 16) written with explicit `c.` mnemonics. c.ebreak is left
    /// out (it traps); c.jal, c.flw and c.fsw do not exist on RV64.
    static let compressed: [RandomInstruction] = {
        let crd = K.compressedIntegerDestination, crs = K.compressedIntegerSource
        let cfr = K.compressedFloatRegister, nzrd = K.compressedNonZeroDestination
        return [
            RandomInstruction("c.addi4spn", [crd, .fixed("sp"), .stackPointerAddImmediate], .c),
            RandomInstruction("c.fld", [cfr, .compressedSandboxAddress(width: 8)], .c),
            RandomInstruction("c.lw", [crd, .compressedSandboxAddress(width: 4)], .c),
            RandomInstruction("c.ld", [crd, .compressedSandboxAddress(width: 8)], .c),
            RandomInstruction("c.fsd", [cfr, .compressedSandboxAddress(width: 8)], .c),
            RandomInstruction("c.sw", [crs, .compressedSandboxAddress(width: 4)], .c),
            RandomInstruction("c.sd", [crs, .compressedSandboxAddress(width: 8)], .c),
            RandomInstruction("c.nop", [], .c),
            RandomInstruction("c.addi", [nzrd, .nonZeroSignedImmediate6], .c),
            RandomInstruction("c.addiw", [nzrd, .signedImmediate(bits: 6)], .c),
            RandomInstruction("c.li", [nzrd, .signedImmediate(bits: 6)], .c),
            RandomInstruction("c.addi16sp", [], .c, form: .stackAdjustSandwich),
            RandomInstruction("c.lui", [nzrd, .compressedUpperImmediate], .c),
            RandomInstruction("c.srli", [crd, .nonZeroShiftAmount], .c),
            RandomInstruction("c.srai", [crd, .nonZeroShiftAmount], .c),
            RandomInstruction("c.andi", [crd, .signedImmediate(bits: 6)], .c),
            RandomInstruction("c.sub", [crd, crs], .c),
            RandomInstruction("c.xor", [crd, crs], .c),
            RandomInstruction("c.or", [crd, crs], .c),
            RandomInstruction("c.and", [crd, crs], .c),
            RandomInstruction("c.subw", [crd, crs], .c),
            RandomInstruction("c.addw", [crd, crs], .c),
            RandomInstruction("c.j", [.forwardLabel(maxUnits: 6)], .c),
            RandomInstruction("c.beqz", [crs, .forwardLabel(maxUnits: 6)], .c),
            RandomInstruction("c.bnez", [crs, .forwardLabel(maxUnits: 6)], .c),
            RandomInstruction("c.slli", [nzrd, .nonZeroShiftAmount], .c),
            RandomInstruction("c.fldsp", [fd, .stackSandboxAddress(width: 8)], .c),
            RandomInstruction("c.lwsp", [nzrd, .stackSandboxAddress(width: 4)], .c),
            RandomInstruction("c.ldsp", [nzrd, .stackSandboxAddress(width: 8)], .c),
            RandomInstruction("c.jr", [], .c, form: .indirectJump),
            RandomInstruction("c.mv", [nzrd, .compressedNonZeroSource], .c),
            RandomInstruction("c.jalr", [], .c, form: .indirectJump),
            RandomInstruction("c.add", [nzrd, .compressedNonZeroSource], .c),
            RandomInstruction("c.fsdsp", [K.floatSource(width: 8), .stackSandboxAddress(width: 8)], .c),
            RandomInstruction("c.swsp", [rs, .stackSandboxAddress(width: 4)], .c),
            RandomInstruction("c.sdsp", [rs, .stackSandboxAddress(width: 8)], .c),
        ]
    }()

    /// Every row, in one list. Generation picks an extension first (with the weights in
    /// `RandomProgramConfiguration`) and then a row of that extension uniformly.
    public static let all: [RandomInstruction] = derived + base + atomic + floatingPoint + csr + compressed
}
