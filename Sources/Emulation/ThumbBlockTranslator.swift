import RISCV
/// The fixed register assignment of translated code: every guest register lives in an RV64
/// register for the whole run (as QEMU's TCG keeps guest state in host registers across a
/// block), so a translated block touches memory only for the guest's own loads and stores.
///
/// Guest values are kept sign-extended from 32 to 64 bits, the form RV64's W instructions
/// produce; unsigned comparisons of two such values order them as their 32-bit patterns, so
/// carries come from `sltu` directly, and every valid ARM address is a small positive number.
enum TranslatorRegister {
    /// Return address of a stub call; a chain slot's `jal` leaves its own address + 4 here.
    static let link: UInt8 = 1
    /// Scratch registers (not preserved across guest instructions).
    static let t0: UInt8 = 2, t1: UInt8 = 3, t2: UInt8 = 4, t3: UInt8 = 31
    /// R0–R14 in x5–x19.
    static func guest(_ index: UInt8) -> UInt8 { 5 + index }
    /// Lazy flags: the last result (N = bit 63, Z = its low 32 bits are zero), the operands of
    /// the last add or subtract, materialised C and V (0 or 1), and which of those forms holds.
    static let result: UInt8 = 20, operandA: UInt8 = 21, operandB: UInt8 = 22
    static let carry: UInt8 = 23, overflow: UInt8 = 24, flagKind: UInt8 = 25
    /// Thumb instructions left before the code must return to the host.
    static let budget: UInt8 = 26
    /// Host (RV64 physical) address of ARM address 0.
    static let memoryBase: UInt8 = 27
    /// Bits that must be clear in a valid, byte-sized ARM data address; with bits 1:0 added, for words.
    static let byteMask: UInt8 = 28, wordMask: UInt8 = 29
    /// Host address of the code-chunk table: one byte per 64 guest bytes, non-zero where translated code lives.
    static let chunkTable: UInt8 = 30
    /// Holds the guest PC (or branch target) when translated code exits to the host.
    static let exitPC: UInt8 = 31
    /// Holds the exit reason when translated code exits.
    static let exitReason: UInt8 = 4
}

/// The dynamic value of `TranslatorRegister.flagKind`: how C and V are to be derived.
enum LazyFlagKind: Int32 {
    /// C and V are in their registers.
    case materialized = 0
    /// The last flag setter was `result = operandA + operandB`.
    case add = 1
    /// The last flag setter was `result = operandA - operandB`.
    case subtract = 2
}

/// Why translated code handed control back to the host (the value in `exitReason`).
enum TranslatorExit: UInt64 {
    /// The instruction at `exitPC` needs the reference core: a system instruction, an access
    /// outside plain RAM (or into a chunk holding translated code), or a branch that may fault
    /// or return from an exception. Nothing of it has executed yet.
    case interpret = 1
    /// The block at `exitPC` has more instructions than the budget has left.
    case budget = 2
    /// An indirect branch to `exitPC` found no translation in the lookup table.
    case lookup = 3
    /// A direct branch to `exitPC` through an unpatched chain slot (at `link` − 4).
    case chain = 4
    /// The RV64 hart trapped: a translator defect, reported as such.
    case hostTrap = 5
}

/// Addresses of the shared stubs, in bytes from the start of the code area (the translation
/// cache follows them, all within one `jal`'s reach).
struct TranslatorStubs {
    var exit = 0, dispatch = 0, materializeFlags = 0, patch = 0, initialise = 0, trap = 0
}

/// One translated block's description, kept by the host.
struct TranslatedBlock {
    let guestStart: UInt32
    /// Guest bytes the block was translated from (for invalidation).
    let guestEnd: UInt32
    /// Offset of the RV64 code in the code area.
    let hostOffset: Int
    let hostBytes: Int
    /// Thumb instructions the block executes when it runs to its end (0: the first instruction
    /// needs the reference core, and the host runs it without entering the block).
    let instructionCount: Int
}

/// Translates one Thumb basic block into RV64 code (ARMv6-M ARM §A6.7 for each instruction's
/// semantics, which `ThumbInterpreter` states in Swift and this file states as RV64 code).
struct ThumbBlockTranslator {
    typealias R = TranslatorRegister

    /// A block ends after this many Thumb instructions even without a branch, so it stays
    /// within the reach of its out-of-line branches.
    static let maximumInstructions = 32

    let stubs: TranslatorStubs
    /// Offset of this block in the code area (to compute `jal` offsets to stubs and other blocks).
    let hostOffset: Int
    let memoryMap: ThumbMemoryMap
    /// Host offset of an already translated block at a guest address, for direct chaining.
    let translated: (UInt32) -> Int?

    private var asm = RV64Assembler()
    private var flags: StaticFlags = .dynamic
    /// Whether `result` is known to be a sign-extended 32-bit value (so Z is `result == 0`).
    private var resultCanonical = false
    private var outOfLine: [(RV64Assembler.Label, OutOfLine)] = []

    /// What the translator knows about the flags at a point in the block.
    private enum StaticFlags: Equatable {
        case dynamic
        case known(LazyFlagKind)
    }

    private enum OutOfLine {
        case interpret(index: Int, pc: UInt32, flags: StaticFlags)
        case budget(pc: UInt32)
        case chain(target: UInt32)
    }

    init(stubs: TranslatorStubs, hostOffset: Int, memoryMap: ThumbMemoryMap, translated: @escaping (UInt32) -> Int?) {
        self.stubs = stubs
        self.hostOffset = hostOffset
        self.memoryMap = memoryMap
        self.translated = translated
    }

    /// The decoded instructions of a block and where each starts.
    struct DecodedBlock {
        var ops: [(op: ThumbOp, pc: UInt32)] = []
        /// Where execution continues after the last op when it does not branch (or the address
        /// of an instruction that could not be decoded or fetched, which the reference core runs).
        var end: UInt32 = 0
        /// The block ends by handing the instruction at `end` to the reference core.
        var endsWithInterpret = false
    }

    /// Instructions the translated code does not run itself: the reference core executes them
    /// (system state, exceptions, semihosting, and UNDEFINED encodings that must fault).
    static func needsReferenceCore(_ instruction: ThumbInstruction) -> Bool {
        switch instruction {
        case .cps, .mrs, .msr, .svc, .bkpt, .wfi, .wfe, .udf, .udfWide: return true
        default: return false
        }
    }

    static func endsBlock(_ op: ThumbOp) -> Bool {
        switch op.instruction {
        case .b, .bConditional, .bl, .bx, .blx: return true
        case .pop: return op.immediate & (1 << 15) != 0
        case .addHigh, .movHigh: return op.rd == 15
        default: return false
        }
    }

    /// Decodes from `pc` up to a branch, an instruction for the reference core, the length
    /// limit, or memory that cannot be fetched. `fetch` reads a halfword of code or returns nil.
    static func decode(at pc: UInt32, limit: Int = maximumInstructions, fetch: (UInt32) -> UInt16?) -> DecodedBlock {
        var block = DecodedBlock()
        var address = pc
        while block.ops.count < limit {
            guard let first = fetch(address) else { block.endsWithInterpret = true; break }
            var second: UInt16 = 0
            if ThumbEncodingTable.isWide(first) {
                guard let s = fetch(address &+ 2) else { block.endsWithInterpret = true; break }
                second = s
            }
            guard let op = ThumbDecoder.decode(first: first, second: second), !needsReferenceCore(op.instruction) else {
                block.endsWithInterpret = true
                break
            }
            block.ops.append((op, address))
            address &+= UInt32(op.length)
            if endsBlock(op) { break }
        }
        block.end = address
        return block
    }

    /// Emits the block; nil when it does not fit the reach of its own branches (the caller
    /// then translates fewer instructions).
    mutating func translate(_ block: DecodedBlock) -> [UInt32]? {
        let count = block.ops.count
        // Charge the whole block up front; a mid-block exit refunds what did not run.
        asm.addi(R.budget, R.budget, -Int32(count))
        let budgetExit = asm.label()
        asm.blt(R.budget, 0, budgetExit)
        outOfLine.append((budgetExit, .budget(pc: block.ops.first?.pc ?? block.end)))

        var endedByBranch = false
        for (index, entry) in block.ops.enumerated() {
            translate(entry.op, at: entry.pc, index: index, count: count)
            endedByBranch = Self.endsBlock(entry.op)
        }
        if !endedByBranch {
            if block.endsWithInterpret {
                asm.jal(0, exitLabel(.interpret(index: count, pc: block.end, flags: flags)))
            } else {
                setFlagKindIfKnown()
                chain(to: block.end)
            }
        }
        for (label, kind) in outOfLine {
            asm.bind(label)
            switch kind {
            case .interpret(let index, let pc, let known):
                if case .known(let kind) = known { asm.addi(R.flagKind, 0, kind.rawValue) }
                if count - index != 0 { asm.addi(R.budget, R.budget, Int32(count - index)) }
                asm.li32(R.exitPC, pc)
                asm.addi(R.exitReason, 0, Int32(TranslatorExit.interpret.rawValue))
                jumpTo(stub: stubs.exit)
            case .budget(let pc):
                asm.addi(R.budget, R.budget, Int32(count))
                asm.li32(R.exitPC, pc)
                asm.addi(R.exitReason, 0, Int32(TranslatorExit.budget.rawValue))
                jumpTo(stub: stubs.exit)
            case .chain(let target):
                asm.li32(R.exitPC, target)
                asm.addi(R.exitReason, 0, Int32(TranslatorExit.chain.rawValue))
                jumpTo(stub: stubs.exit)
            }
        }
        return asm.finish()
    }

    // MARK: Helpers

    private func g(_ register: UInt8) -> UInt8 { R.guest(register) }

    private mutating func exitLabel(_ kind: OutOfLine) -> RV64Assembler.Label {
        let label = asm.label()
        outOfLine.append((label, kind))
        return label
    }

    /// `jal x0` to a shared stub.
    private mutating func jumpTo(stub offset: Int) {
        asm.jal(0, byteOffset: Int64(offset - (hostOffset + asm.position * 4)))
    }

    /// A direct branch to guest `target`: straight to its translation when there is one, else
    /// through a chain slot the host patches into a direct jump once the target is translated.
    private mutating func chain(to target: UInt32) {
        if let host = translated(target) {
            asm.jal(0, byteOffset: Int64(host - (hostOffset + asm.position * 4)))
        } else {
            asm.jal(R.link, exitLabel(.chain(target: target)))
        }
    }

    private mutating func setFlagKindIfKnown() {
        if case .known(let kind) = flags { asm.addi(R.flagKind, 0, kind.rawValue) }
    }

    /// Puts C and V in their registers (needed before an instruction that keeps one of them
    /// but replaces `result`, or that reads C).
    private mutating func materializeFlags() {
        switch flags {
        case .known(.materialized): return
        case .known(let kind): asm.addi(R.flagKind, 0, kind.rawValue)
        case .dynamic: break
        }
        asm.jal(R.link, byteOffset: Int64(stubs.materializeFlags - (hostOffset + asm.position * 4)))
        flags = .known(.materialized)
    }

    /// N and Z from `value`, C and V unchanged. `value` must not be a scratch register: the
    /// materialising stub uses them.
    private mutating func setNZ(_ value: UInt8) {
        materializeFlags()
        asm.mv(R.result, value)
        resultCanonical = true
    }

    /// A guest register's value, or PC + 4 (as R15 reads) put in `scratch`.
    private mutating func read(_ register: UInt8, pc: UInt32, into scratch: UInt8) -> UInt8 {
        if register == 15 {
            asm.li32(scratch, pc &+ 4)
            return scratch
        }
        return g(register)
    }

    /// Branches to the interpret exit of instruction `index` unless `address` is a valid,
    /// `size`-aligned data address; `forStore` also refuses chunks that hold translated code.
    private mutating func checkAddress(_ address: UInt8, size: Int, forStore: Bool, exit: RV64Assembler.Label) {
        switch size {
        case 4:
            asm.and(R.t1, address, R.wordMask)
        case 2:
            asm.and(R.t1, address, R.byteMask)
            asm.andi(R.t2, address, 1)
            asm.or(R.t1, R.t1, R.t2)
        default:
            asm.and(R.t1, address, R.byteMask)
        }
        asm.bne(R.t1, 0, exit)
        if forStore {
            asm.srli(R.t1, address, 6)
            asm.add(R.t1, R.t1, R.chunkTable)
            asm.lbu(R.t1, R.t1, 0)
            asm.bne(R.t1, 0, exit)
        }
    }

    private mutating func interpretExit(index: Int, pc: UInt32) -> RV64Assembler.Label {
        exitLabel(.interpret(index: index, pc: pc, flags: flags))
    }

    private enum Width { case byte, signedByte, half, signedHalf, word }

    private mutating func load(_ width: Width, into rd: UInt8, address: UInt8, index: Int, pc: UInt32) {
        let size = width == .word ? 4 : (width == .half || width == .signedHalf) ? 2 : 1
        checkAddress(address, size: size, forStore: false, exit: interpretExit(index: index, pc: pc))
        asm.add(R.t1, address, R.memoryBase)
        switch width {
        case .byte: asm.lbu(rd, R.t1, 0)
        case .signedByte: asm.lb(rd, R.t1, 0)
        case .half: asm.lhu(rd, R.t1, 0)
        case .signedHalf: asm.lh(rd, R.t1, 0)
        case .word: asm.lw(rd, R.t1, 0)
        }
    }

    private mutating func store(_ size: Int, value: UInt8, address: UInt8, index: Int, pc: UInt32) {
        checkAddress(address, size: size, forStore: true, exit: interpretExit(index: index, pc: pc))
        asm.add(R.t1, address, R.memoryBase)
        switch size {
        case 4: asm.sw(value, R.t1, 0)
        case 2: asm.sh(value, R.t1, 0)
        default: asm.sb(value, R.t1, 0)
        }
    }

    /// The effective address `base + offset` (an immediate) in t0.
    private mutating func address(_ base: UInt8, plus offset: UInt32) {
        asm.addiw(R.t0, base, Int32(offset))
    }

    /// Sets the lazy flags for `result = a + b` (or `a - b`) already computed into `R.result`.
    private mutating func noteArithmetic(_ kind: LazyFlagKind, a: UInt8, b: UInt8) {
        asm.mv(R.operandA, a)
        asm.mv(R.operandB, b)
        flags = .known(kind)
        resultCanonical = true
    }

    private mutating func noteArithmetic(_ kind: LazyFlagKind, a: UInt8, immediate: UInt32) {
        asm.mv(R.operandA, a)
        asm.addi(R.operandB, 0, Int32(immediate))
        flags = .known(kind)
        resultCanonical = true
    }

    /// AddWithCarry(a, b, C) with every flag computed now (ADCS, and SBCS with b inverted).
    private mutating func addWithCarry(_ rd: UInt8, a: UInt8, b: UInt8) {
        materializeFlags()
        asm.addw(R.t0, a, b)
        asm.sltu(R.t1, R.t0, a)            // carry out of a + b
        asm.addw(R.t2, R.t0, R.carry)
        asm.sltu(R.t3, R.t2, R.t0)         // carry out of adding C
        asm.or(R.carry, R.t1, R.t3)
        asm.xor(R.t0, a, R.t2)
        asm.xor(R.t1, b, R.t2)
        asm.and(R.t0, R.t0, R.t1)
        asm.srli(R.overflow, R.t0, 63)
        asm.mv(g(rd), R.t2)
        asm.mv(R.result, R.t2)
        resultCanonical = true
    }

    // MARK: Conditions (§A6.3.1)

    /// Branches to `target` when condition `cond` (0–13) holds.
    private mutating func branch(if cond: UInt8, to target: RV64Assembler.Label) {
        // Z and N read `result` alone, whatever the kind.
        switch cond {
        case 0, 1:
            var zero = R.result
            if !resultCanonical {
                asm.slli(R.t0, R.result, 32)
                zero = R.t0
            }
            if cond == 0 { asm.beq(zero, 0, target) } else { asm.bne(zero, 0, target) }
            return
        case 4: asm.blt(R.result, 0, target); return
        case 5: asm.bge(R.result, 0, target); return
        default: break
        }
        if case .known(.subtract) = flags {
            let a = R.operandA, b = R.operandB
            switch cond {
            case 2: asm.bgeu(a, b, target); return        // CS: no borrow
            case 3: asm.bltu(a, b, target); return
            case 8: asm.bltu(b, a, target); return        // HI: a > b unsigned
            case 9: asm.bgeu(b, a, target); return
            case 10: asm.bge(a, b, target); return         // GE: a >= b signed
            case 11: asm.blt(a, b, target); return
            case 12: asm.blt(b, a, target); return
            case 13: asm.bge(b, a, target); return
            default: break
            }
        }
        if case .known(.add) = flags {
            switch cond {
            case 2: asm.bltu(R.result, R.operandA, target); return
            case 3: asm.bgeu(R.result, R.operandA, target); return
            default: break
            }
        }
        materializeFlags()
        switch cond {
        case 2: asm.bne(R.carry, 0, target)
        case 3: asm.beq(R.carry, 0, target)
        case 6: asm.bne(R.overflow, 0, target)
        case 7: asm.beq(R.overflow, 0, target)
        case 8, 9:
            // HI: C set and Z clear.
            asm.slli(R.t0, R.result, 32)
            asm.sltu(R.t0, 0, R.t0)
            asm.and(R.t0, R.t0, R.carry)
            if cond == 8 { asm.bne(R.t0, 0, target) } else { asm.beq(R.t0, 0, target) }
        case 10, 11:
            // GE: N equals V.
            asm.slt(R.t0, R.result, 0)
            asm.xor(R.t0, R.t0, R.overflow)
            if cond == 10 { asm.beq(R.t0, 0, target) } else { asm.bne(R.t0, 0, target) }
        default:
            // GT: Z clear and N equals V; LE the opposite.
            asm.slt(R.t0, R.result, 0)
            asm.xor(R.t0, R.t0, R.overflow)
            asm.xori(R.t0, R.t0, 1)
            asm.slli(R.t1, R.result, 32)
            asm.sltu(R.t1, 0, R.t1)
            asm.and(R.t0, R.t0, R.t1)
            if cond == 12 { asm.bne(R.t0, 0, target) } else { asm.beq(R.t0, 0, target) }
        }
    }

    // MARK: Instructions

    /// Exits to the reference core (for the instruction at `pc`) unless `value` is an
    /// interworking target translated code may take: Thumb (bit 0 set) and not an EXC_RETURN.
    private mutating func checkBranchTarget(_ value: UInt8, index: Int, pc: UInt32) {
        let exit = interpretExit(index: index, pc: pc)
        asm.andi(R.t1, value, 1)
        asm.beq(R.t1, 0, exit)
        asm.sraiw(R.t1, value, 28)
        asm.addi(R.t1, R.t1, 1)
        asm.beq(R.t1, 0, exit)
    }

    private mutating func dispatch() {
        jumpTo(stub: stubs.dispatch)
    }

    private mutating func translate(_ op: ThumbOp, at pc: UInt32, index: Int, count: Int) {
        let rd = op.rd, rn = op.rn, rm = op.rm, imm = op.immediate
        let next = pc &+ UInt32(op.length)
        switch op.instruction {
        case .movsRegister:
            asm.mv(g(rd), g(rm)); setNZ(g(rd))
        case .lslsImmediate:
            materializeFlags()
            asm.srliw(R.t0, g(rm), Int32(32 - imm))
            asm.andi(R.carry, R.t0, 1)
            asm.slliw(g(rd), g(rm), Int32(imm))
            setNZ(g(rd))
        case .lsrsImmediate:
            materializeFlags()
            if imm == 0 {
                asm.srliw(R.carry, g(rm), 31)
                asm.addi(g(rd), 0, 0)
            } else {
                asm.srliw(R.t0, g(rm), Int32(imm - 1))
                asm.andi(R.carry, R.t0, 1)
                asm.srliw(g(rd), g(rm), Int32(imm))
            }
            setNZ(g(rd))
        case .asrsImmediate:
            materializeFlags()
            if imm == 0 {
                asm.srliw(R.carry, g(rm), 31)
                asm.sraiw(g(rd), g(rm), 31)
            } else {
                asm.sraiw(R.t0, g(rm), Int32(imm - 1))
                asm.andi(R.carry, R.t0, 1)
                asm.sraiw(g(rd), g(rm), Int32(imm))
            }
            setNZ(g(rd))
        case .addsRegister:
            asm.addw(R.result, g(rn), g(rm)); noteArithmetic(.add, a: g(rn), b: g(rm)); asm.mv(g(rd), R.result)
        case .subsRegister:
            asm.subw(R.result, g(rn), g(rm)); noteArithmetic(.subtract, a: g(rn), b: g(rm)); asm.mv(g(rd), R.result)
        case .addsImmediate3:
            asm.addiw(R.result, g(rn), Int32(imm)); noteArithmetic(.add, a: g(rn), immediate: imm); asm.mv(g(rd), R.result)
        case .subsImmediate3:
            asm.addiw(R.result, g(rn), -Int32(imm)); noteArithmetic(.subtract, a: g(rn), immediate: imm); asm.mv(g(rd), R.result)
        case .movsImmediate:
            asm.addi(g(rd), 0, Int32(imm)); setNZ(g(rd))
        case .cmpImmediate:
            asm.addiw(R.result, g(rd), -Int32(imm)); noteArithmetic(.subtract, a: g(rd), immediate: imm)
        case .addsImmediate8:
            asm.addiw(R.result, g(rd), Int32(imm)); noteArithmetic(.add, a: g(rd), immediate: imm); asm.mv(g(rd), R.result)
        case .subsImmediate8:
            asm.addiw(R.result, g(rd), -Int32(imm)); noteArithmetic(.subtract, a: g(rd), immediate: imm); asm.mv(g(rd), R.result)
        case .ands: asm.and(g(rd), g(rd), g(rm)); setNZ(g(rd))
        case .eors: asm.xor(g(rd), g(rd), g(rm)); setNZ(g(rd))
        case .orrs: asm.or(g(rd), g(rd), g(rm)); setNZ(g(rd))
        case .bics:
            asm.xori(R.t0, g(rm), -1); asm.and(g(rd), g(rd), R.t0); setNZ(g(rd))
        case .mvns: asm.xori(g(rd), g(rm), -1); setNZ(g(rd))
        case .tst:
            // Materialise first: the stub call uses the scratch registers.
            materializeFlags(); asm.and(R.result, g(rd), g(rm)); resultCanonical = true
        case .lslsRegister, .lsrsRegister, .asrsRegister, .rorsRegister:
            shiftByRegister(op.instruction, rd: rd, rm: rm)
        case .adcs: addWithCarry(rd, a: g(rd), b: g(rm))
        case .sbcs:
            materializeFlags()
            asm.xori(R.link, g(rm), -1)
            addWithCarry(rd, a: g(rd), b: R.link)
        case .rsbs:
            asm.subw(R.result, 0, g(rm)); noteArithmetic(.subtract, a: 0, b: g(rm)); asm.mv(g(rd), R.result)
        case .cmpRegister:
            asm.subw(R.result, g(rd), g(rm)); noteArithmetic(.subtract, a: g(rd), b: g(rm))
        case .cmn:
            asm.addw(R.result, g(rd), g(rm)); noteArithmetic(.add, a: g(rd), b: g(rm))
        case .muls: asm.mulw(g(rd), g(rd), g(rm)); setNZ(g(rd))   // C and V unchanged (§A6.7.44)
        case .addHigh:
            let a = read(rd, pc: pc, into: R.t0), b = read(rm, pc: pc, into: R.t1)
            asm.addw(R.t2, a, b)
            writeHigh(rd, value: R.t2)
        case .cmpHigh:
            let a = read(rd, pc: pc, into: R.t0), b = read(rm, pc: pc, into: R.t1)
            asm.subw(R.result, a, b); noteArithmetic(.subtract, a: a, b: b)
        case .movHigh:
            let value = read(rm, pc: pc, into: R.t2)
            writeHigh(rd, value: value)
        case .bx, .blx:
            let value = read(rm, pc: pc, into: R.t2)
            checkBranchTarget(value, index: index, pc: pc)
            asm.andi(R.exitPC, value, -2)
            if op.instruction == .blx { asm.li32(g(14), next | 1) }
            setFlagKindIfKnown()
            dispatch()
        case .ldrLiteral:
            let address = ((pc &+ 4) & ~3) &+ imm
            if isRAM(address, size: 4) {
                asm.li32(R.t0, address)
                asm.add(R.t0, R.t0, R.memoryBase)
                asm.lw(g(rd), R.t0, 0)
            } else {
                asm.jal(0, interpretExit(index: index, pc: pc))
            }
        case .strRegister, .strhRegister, .strbRegister:
            asm.addw(R.t0, g(rn), g(rm))
            store(op.instruction == .strRegister ? 4 : op.instruction == .strhRegister ? 2 : 1, value: g(rd), address: R.t0, index: index, pc: pc)
        case .ldrRegister, .ldrhRegister, .ldrbRegister, .ldrsbRegister, .ldrshRegister:
            asm.addw(R.t0, g(rn), g(rm))
            let width: Width = op.instruction == .ldrRegister ? .word : op.instruction == .ldrhRegister ? .half
                : op.instruction == .ldrbRegister ? .byte : op.instruction == .ldrsbRegister ? .signedByte : .signedHalf
            load(width, into: g(rd), address: R.t0, index: index, pc: pc)
        case .strImmediate, .strhImmediate, .strbImmediate:
            address(g(rn), plus: imm)
            store(op.instruction == .strImmediate ? 4 : op.instruction == .strhImmediate ? 2 : 1, value: g(rd), address: R.t0, index: index, pc: pc)
        case .ldrImmediate, .ldrhImmediate, .ldrbImmediate:
            address(g(rn), plus: imm)
            load(op.instruction == .ldrImmediate ? .word : op.instruction == .ldrhImmediate ? .half : .byte, into: g(rd), address: R.t0, index: index, pc: pc)
        case .strSP:
            address(g(13), plus: imm); store(4, value: g(rd), address: R.t0, index: index, pc: pc)
        case .ldrSP:
            address(g(13), plus: imm); load(.word, into: g(rd), address: R.t0, index: index, pc: pc)
        case .adr: asm.li32(g(rd), ((pc &+ 4) & ~3) &+ imm)
        case .addSPImmediate: asm.addiw(g(rd), g(13), Int32(imm))
        case .addToSP: asm.addiw(g(13), g(13), Int32(imm))
        case .subFromSP: asm.addiw(g(13), g(13), -Int32(imm))
        case .sxth: asm.slli(R.t0, g(rm), 48); asm.srai(g(rd), R.t0, 48)
        case .sxtb: asm.slli(R.t0, g(rm), 56); asm.srai(g(rd), R.t0, 56)
        case .uxth: asm.slli(R.t0, g(rm), 48); asm.srli(g(rd), R.t0, 48)
        case .uxtb: asm.andi(g(rd), g(rm), 255)
        case .rev:
            let x = g(rm)
            asm.andi(R.t0, x, 255); asm.slli(R.t0, R.t0, 24)
            asm.srliw(R.t1, x, 24); asm.or(R.t0, R.t0, R.t1)
            asm.srliw(R.t1, x, 8); asm.andi(R.t1, R.t1, 255); asm.slli(R.t1, R.t1, 16); asm.or(R.t0, R.t0, R.t1)
            asm.srliw(R.t1, x, 16); asm.andi(R.t1, R.t1, 255); asm.slli(R.t1, R.t1, 8); asm.or(R.t0, R.t0, R.t1)
            asm.addiw(g(rd), R.t0, 0)
        case .rev16:
            let x = g(rm)
            asm.li32(R.t2, 0x00FF_00FF)
            asm.and(R.t0, x, R.t2); asm.slli(R.t0, R.t0, 8)
            asm.srli(R.t1, x, 8); asm.and(R.t1, R.t1, R.t2)
            asm.or(R.t0, R.t0, R.t1)
            asm.addiw(g(rd), R.t0, 0)
        case .revsh:
            let x = g(rm)
            asm.andi(R.t0, x, 255); asm.slli(R.t0, R.t0, 56); asm.srai(R.t0, R.t0, 48)
            asm.srli(R.t1, x, 8); asm.andi(R.t1, R.t1, 255)
            asm.or(g(rd), R.t0, R.t1)
        case .push:
            let registers = (0 ..< 15).filter { imm & (1 << UInt32($0)) != 0 }.map(UInt8.init)
            let bytes = Int32(4 * registers.count)
            asm.addiw(R.t0, g(13), -bytes)
            checkRange(words: registers.count, forStore: true, index: index, pc: pc)
            asm.add(R.t0, R.t0, R.memoryBase)
            for (slot, register) in registers.enumerated() { asm.sw(g(register), R.t0, Int32(4 * slot)) }
            asm.addiw(g(13), g(13), -bytes)
        case .pop:
            let registers = (0 ..< 16).filter { imm & (1 << UInt32($0)) != 0 }.map(UInt8.init)
            asm.mv(R.t0, g(13))
            checkRange(words: registers.count, forStore: false, index: index, pc: pc)
            asm.add(R.t0, R.t0, R.memoryBase)
            let returns = registers.last == 15
            if returns {
                asm.lw(R.exitPC, R.t0, Int32(4 * (registers.count - 1)))
                checkBranchTarget(R.exitPC, index: index, pc: pc)
            }
            for (slot, register) in registers.enumerated() where register != 15 { asm.lw(g(register), R.t0, Int32(4 * slot)) }
            asm.addiw(g(13), g(13), Int32(4 * registers.count))
            if returns {
                asm.andi(R.exitPC, R.exitPC, -2)
                setFlagKindIfKnown()
                dispatch()
            }
        case .stm, .ldm:
            let registers = (0 ..< 8).filter { imm & (1 << UInt32($0)) != 0 }.map(UInt8.init)
            asm.mv(R.t0, g(rn))
            checkRange(words: registers.count, forStore: op.instruction == .stm, index: index, pc: pc)
            asm.add(R.t0, R.t0, R.memoryBase)
            for (slot, register) in registers.enumerated() {
                if op.instruction == .stm { asm.sw(g(register), R.t0, Int32(4 * slot)) } else { asm.lw(g(register), R.t0, Int32(4 * slot)) }
            }
            if op.instruction == .stm || !registers.contains(rn) { asm.addiw(g(rn), g(rn), Int32(4 * registers.count)) }
        case .nop, .yield, .sev, .dsb, .dmb, .isb:
            break
        case .bConditional:
            setFlagKindIfKnown()
            let fallThrough = asm.label()
            branch(if: rn ^ 1, to: fallThrough)
            chain(to: pc &+ 4 &+ imm)
            asm.bind(fallThrough)
            chain(to: next)
        case .b:
            setFlagKindIfKnown()
            chain(to: pc &+ 4 &+ imm)
        case .bl:
            asm.li32(g(14), next | 1)
            setFlagKindIfKnown()
            chain(to: pc &+ 4 &+ imm)
        case .cps, .mrs, .msr, .svc, .bkpt, .wfi, .wfe, .udf, .udfWide:
            // decode() never puts these in a block: the reference core runs them.
            asm.jal(0, interpretExit(index: index, pc: pc))
        }
    }

    /// A write by ADD/MOV (high registers): SP keeps word alignment, PC branches (bit 0 ignored, §A6.7.3).
    private mutating func writeHigh(_ rd: UInt8, value: UInt8) {
        switch rd {
        case 15:
            asm.andi(R.exitPC, value, -2)
            setFlagKindIfKnown()
            dispatch()
        case 13: asm.andi(g(13), value, -4)
        default: asm.mv(g(rd), value)
        }
    }

    /// Checks that `words` consecutive words from the address in t0 are RAM (and, for stores,
    /// hold no translated code); the span is at most 64 bytes, so its two ends decide.
    private mutating func checkRange(words: Int, forStore: Bool, index: Int, pc: UInt32) {
        let exit = interpretExit(index: index, pc: pc)
        checkAddress(R.t0, size: 4, forStore: forStore, exit: exit)
        if words > 1 {
            asm.addiw(R.t2, R.t0, Int32(4 * (words - 1)))
            checkAddress(R.t2, size: 4, forStore: forStore, exit: exit)
        }
    }

    private func isRAM(_ address: UInt32, size: UInt32) -> Bool {
        guard address % size == 0 else { return false }
        if address < memoryMap.codeSize && memoryMap.codeSize - address >= size { return true }
        return address >= memoryMap.sramBase && address - memoryMap.sramBase < memoryMap.sramSize
            && memoryMap.sramSize - (address - memoryMap.sramBase) >= size
    }

    /// LSLS/LSRS/ASRS/RORS by register: Shift_C (§A2.2.2) with the amount in Rm's bottom byte;
    /// 0 keeps the value and C, amounts of 32 and more shift everything out.
    private mutating func shiftByRegister(_ instruction: ThumbInstruction, rd: UInt8, rm: UInt8) {
        materializeFlags()
        let done = asm.label(), large = asm.label()
        let value = g(rd)
        asm.andi(R.t0, g(rm), 255)
        asm.beq(R.t0, 0, done)
        switch instruction {
        case .lslsRegister:
            asm.sltiu(R.t2, R.t0, 33)
            asm.beq(R.t2, 0, large)
            asm.slli(R.t1, value, 32); asm.srli(R.t1, R.t1, 32)      // zero-extended value
            asm.sll(R.t1, R.t1, R.t0)                                  // amount ≤ 32: bit 32 is the last bit out
            asm.srli(R.carry, R.t1, 32); asm.andi(R.carry, R.carry, 1)
            asm.addiw(value, R.t1, 0)
            asm.jal(0, done)
            asm.bind(large)
            asm.addi(R.carry, 0, 0); asm.addi(value, 0, 0)
        case .lsrsRegister:
            asm.sltiu(R.t2, R.t0, 33)
            asm.beq(R.t2, 0, large)
            asm.slli(R.t1, value, 32); asm.srli(R.t1, R.t1, 32)
            asm.addi(R.t2, R.t0, -1)
            asm.srl(R.t1, R.t1, R.t2)                                  // the last bit out is now bit 0
            asm.andi(R.carry, R.t1, 1)
            asm.srli(R.t1, R.t1, 1)
            asm.addiw(value, R.t1, 0)
            asm.jal(0, done)
            asm.bind(large)
            asm.addi(R.carry, 0, 0); asm.addi(value, 0, 0)
        case .asrsRegister:
            // Amounts above 32 give the same result and carry as 32.
            asm.sltiu(R.t2, R.t0, 33)
            asm.bne(R.t2, 0, large)
            asm.addi(R.t0, 0, 32)
            asm.bind(large)
            asm.addi(R.t2, R.t0, -1)
            asm.sra(R.t1, value, R.t2)
            asm.andi(R.carry, R.t1, 1)
            asm.srai(value, R.t1, 1)
        default:
            // ROR: rotate by amount mod 32 on the doubled word; C is the result's bit 31.
            asm.andi(R.t0, R.t0, 31)
            asm.slli(R.t1, value, 32)
            asm.slli(R.t2, value, 32); asm.srli(R.t2, R.t2, 32)
            asm.or(R.t1, R.t1, R.t2)
            asm.srl(R.t1, R.t1, R.t0)
            asm.addiw(value, R.t1, 0)
            asm.slt(R.carry, value, 0)
        }
        asm.bind(done)
        asm.mv(R.result, value)
        resultCanonical = true
    }
}
