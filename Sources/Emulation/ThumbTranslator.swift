import RISCV
import Machine

/// Counts that say what translation cost and bought, for the emulation mode's report.
public struct ThumbTranslationStatistics: Sendable, Equatable {
    /// Blocks translated (a block translated again after a flush counts again).
    public var blocksTranslated: UInt64 = 0
    /// Thumb instructions in those blocks.
    public var thumbInstructionsTranslated: UInt64 = 0
    /// Host time spent decoding and emitting blocks (wall clock, not modelled).
    public var translationNanoseconds: UInt64 = 0
    /// Bytes of RV64 code in the translation cache now, and written over the whole run.
    public var cacheBytesInUse: UInt64 = 0
    public var cacheBytesWritten: UInt64 = 0
    /// RV64 instructions the hart retired running translated code and the shared stubs.
    public var rv64Instructions: UInt64 = 0
    /// Thumb instructions completed by translated code, and by the reference core (system
    /// instructions, faults, exception entry points, accesses outside plain RAM).
    public var translatedThumbInstructions: UInt64 = 0
    public var interpretedThumbInstructions: UInt64 = 0
    /// Direct jumps written into chain slots: from then on that edge never leaves the hart.
    public var chainsPatched: UInt64 = 0
    /// Indirect branches whose target the lookup table did not hold.
    public var lookupMisses: UInt64 = 0
    /// Times the host started the hart on translated code, and why the code came back.
    public var hostEntries: UInt64 = 0
    public var exitsToInterpreter: UInt64 = 0
    public var exitsForBudget: UInt64 = 0
    public var exitsForChaining: UInt64 = 0
    /// Whole-cache flushes (cache full, or guest code rewritten) and the code writes that caused one.
    public var cacheFlushes: UInt64 = 0
    public var codeInvalidations: UInt64 = 0

    /// RV64 instructions per Thumb instruction run by translated code (the code expansion as executed).
    public var rv64PerThumbInstruction: Double {
        translatedThumbInstructions == 0 ? 0 : Double(rv64Instructions) / Double(translatedThumbInstructions)
    }
}

/// Why the translator could not be set up.
public enum ThumbTranslatorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The image could not be loaded (the same checks as the interpreter's board).
    case board(ThumbBoardError)
    /// The RV64 machine's memory could not be reserved.
    case hostMemory(String)
    /// The translated code's one-mask address check needs a code region and SRAM of one
    /// power-of-two size with SRAM at a power-of-two base above the code.
    case unsupportedMemoryMap(ThumbMemoryMap)

    public var description: String {
        switch self {
        case .board(let error): return error.description
        case .hostMemory(let reason): return "cannot build the RV64 host machine: \(reason)"
        case .unsupportedMemoryMap(let map):
            return "the translator needs equal power-of-two code and SRAM sizes and a power-of-two SRAM base above the code (got code \(map.codeSize), SRAM \(map.sramSize) at 0x\(String(map.sramBase, radix: 16)))"
        }
    }
}

/// The ARMv6-M board run by binary translation: Thumb blocks become RV64 code in a
/// translation cache inside the RAM of a simulated RV64 machine, and that machine's hart
/// (`Machine.Hart`, the same engine `native` uses) executes them.
///
/// The design follows QEMU's TCG in miniature:
/// - guest R0–R14 stay in RV64 registers x5–x19 (see `TranslatorRegister`); PC is a constant
///   in the code;
/// - NZCV are lazy: a flag-setting add or subtract only records its operands and result, and
///   C and V are computed when a condition or the host needs them;
/// - direct branches go through chain slots, patched into direct jumps once the target is
///   translated; indirect ones go through a lookup table, and exit to the host on a miss;
/// - guest memory is one window of RV64 RAM; every access is checked with one mask (range
///   and alignment), and anything else, including System Control Space and faults, exits to
///   the host *before* the instruction changes any state;
/// - the host runs such instructions, and system instructions, exception entry and return,
///   semihosting and SysTick, on the reference interpreter, which shares the guest memory, so
///   both execution paths have one architectural state and faults are precise by construction;
/// - a budget register counts Thumb instructions, so the run limit and SysTick interrupts
///   happen at exactly the instruction where the interpreter has them;
/// - stores into 64-byte chunks holding translated code take the host path, which retires
///   the translations when the guest really rewrote translated bytes.
public final class ThumbTranslator {
    /// The reference core: architectural state between translated runs, and the executor of
    /// everything translated code hands back.
    public let cpu: ThumbInterpreter
    public private(set) var statistics = ThumbTranslationStatistics()
    /// The RV64 hart's own counts (blocks it decoded from the translation cache, MMIO exits, ...).
    public var hostCounters: HartCounters { hart.counters }

    private let memory: PhysicalMemory
    private let hart: Hart
    private let control: MachineControl
    private let map: ThumbMemoryMap
    private var stubs = TranslatorStubs()

    private var blockIndex: [UInt32: Int] = [:]
    private var blocks: [TranslatedBlock] = []
    /// Blocks per 64-byte guest chunk, to decide whether a write rewrote translated code.
    private var chunkBlocks: [UInt32: [Int]] = [:]
    /// Next free byte of the code area.
    private var cursor = Layout.stubBytes
    /// A chain slot to patch on the next entry: (slot offset, target offset).
    private var pendingPatch: (slot: Int, target: Int)?
    private var needsInitialisation = true
    private var invalidationPending = false
    /// Translated code handed over the instruction at the current PC: the reference core runs it next.
    private var interpretNext = false
    private var hostFailure: String?

    /// Where things are in the RV64 machine's RAM (offsets from `Layout.ramBase`).
    enum Layout {
        /// RAM base of QEMU's `virt` board, as everywhere in the package.
        static let ramBase: UInt64 = 0x8000_0000
        /// The shared stubs, then the translation cache: together within one `jal`'s ±1 MiB reach.
        static let codeArea: UInt64 = 0
        static let codeBytes = 1 << 20
        static let stubBytes = 4096
        /// The indirect-branch lookup table: 4096 entries of (guest PC, host address).
        static let lookupTable: UInt64 = 0x10_0000
        static let lookupEntries = 4096
        /// The code-chunk table (one byte per 64 guest bytes); `lookupTable` sits exactly
        /// `chunkToLookupDistance` below it, which the dispatch stub relies on.
        static let chunkTable: UInt64 = 0x20_0000
        static let chunkToLookupDistance: UInt32 = 0x10_0000
        static let chunkShift: UInt32 = 6
        /// ARM address 0 in RV64 RAM; ARM address A is at `guestWindow + A`.
        static let guestWindow: UInt64 = 0x100_0000
        /// The exit doorbell: a store here stops the hart and returns control to the host.
        static let doorbell: UInt64 = 0x1000_0000
    }

    /// `mtvec` (privileged spec §2.2, table 2.5).
    private static let mtvecCSR: UInt16 = 0x305

    /// Loads an ARM ELF32 image as `ThumbBoard` does and prepares the RV64 host machine.
    public convenience init(elf bytes: [UInt8], memoryMap: ThumbMemoryMap = .mps2AN385) throws(ThumbTranslatorError) {
        try self.init(memoryMap: memoryMap) { core throws(ThumbBoardError) in try ThumbBoard.load(elf: bytes, into: core) }
    }

    /// Places raw bytes at ARM addresses (a vector table at 0 among them) and resets, for
    /// tests and generated programs that have no ELF file.
    public convenience init(segments: [(address: UInt32, bytes: [UInt8])], memoryMap: ThumbMemoryMap = .mps2AN385) throws(ThumbTranslatorError) {
        try self.init(memoryMap: memoryMap) { core throws(ThumbBoardError) in
            for (index, segment) in segments.enumerated() {
                do {
                    try core.load(segment.bytes, at: segment.address)
                } catch {
                    throw .segmentOutsideMemory(index: index, address: UInt64(segment.address), size: UInt64(segment.bytes.count))
                }
            }
            // As for an ELF: something must be loaded at 0 for reset to read SP and PC from.
            guard segments.contains(where: { $0.address == 0 && $0.bytes.count >= 8 }) else { throw .noVectorTable }
            do { try core.reset() } catch { throw .noVectorTable }
        }
    }

    private init(memoryMap: ThumbMemoryMap, load: (ThumbInterpreter) throws(ThumbBoardError) -> Void) throws(ThumbTranslatorError) {
        let size = memoryMap.codeSize
        guard size == memoryMap.sramSize, size.nonzeroBitCount == 1, memoryMap.sramBase.nonzeroBitCount == 1,
              memoryMap.sramBase >= size else { throw .unsupportedMemoryMap(memoryMap) }
        map = memoryMap
        let span = UInt64(memoryMap.sramBase) + UInt64(memoryMap.sramSize)
        let chunkTableBytes = span >> UInt64(Layout.chunkShift)
        guard Layout.chunkTable + chunkTableBytes <= Layout.guestWindow else { throw .unsupportedMemoryMap(memoryMap) }
        let ramSize = (Layout.guestWindow + span + 0xFFF) & ~0xFFF
        do {
            memory = try PhysicalMemory(base: Layout.ramBase, size: ramSize)
        } catch {
            throw .hostMemory(error.description)
        }
        let bus = Bus(ram: memory)
        control = MachineControl()
        do {
            try bus.attach(ExitDoorbell(control: control), at: Layout.doorbell, size: 0x1000)
        } catch {
            throw .hostMemory(error.description)
        }
        hart = Hart(bus: bus, interrupts: InterruptLines(), timebase: Timebase(mode: .virtual(instructionsPerTick: 100)),
                    control: control)
        // SAFETY: RAM spans guestWindow + sramBase + sramSize bytes (rounded up to a page) and the
        // guard above put the code region [0, codeSize) below sramBase, so both regions the storage
        // describes lie inside the mapping; the storage keeps `memory` (the mapping's owner) alive.
        let window = memory.hostPointer(Layout.ramBase + Layout.guestWindow)
        let storage = ThumbMemoryStorage(memoryMap: memoryMap, code: window, sram: window + Int(memoryMap.sramBase), owner: memory)
        cpu = ThumbInterpreter(storage: storage)
        do {
            try load(cpu)
        } catch {
            throw .board(error)
        }
        writeStubs()
        clearLookupTable()
        cpu.writeObserver = { [unowned self] address, size in self.noteGuestWrite(address, size) }
    }

    // MARK: Running

    /// Runs to SYS_EXIT, a lockup, or `instructionLimit` Thumb instructions, exactly as
    /// `ThumbBoard.run` counts them.
    public func run(instructionLimit: UInt64) -> ThumbRunResult {
        let end = cpu.instructionsExecuted &+ instructionLimit
        while hostFailure == nil, cpu.stop == nil, cpu.instructionsExecuted < end {
            if invalidationPending { flush() }
            if interpretNext || !cpu.thumbState || cpu.exceptionWaiting {
                // Here, after the limit check: translated code may have used the whole budget
                // just before the instruction it hands over.
                interpretNext = false
                interpretOne()
                continue
            }
            let budget = min(end - cpu.instructionsExecuted, cpu.instructionsUntilTimerEvent)
            guard let block = block(at: cpu.pc), block.instructionCount > 0, UInt64(block.instructionCount) <= budget else {
                interpretOne()
                continue
            }
            runTranslated(from: block, budget: budget)
        }
        let stop: ThumbStop
        if let hostFailure {
            stop = .lockup(reason: "translator failure: \(hostFailure)")
        } else {
            stop = cpu.stop ?? .instructionLimit
        }
        return ThumbRunResult(stop: stop, console: String(decoding: cpu.console, as: UTF8.self),
                              instructionsExecuted: cpu.instructionsExecuted, exceptionsTaken: cpu.exceptionsTaken,
                              lastFault: cpu.lastFault)
    }

    private func interpretOne() {
        let before = cpu.instructionsExecuted
        cpu.step()
        statistics.interpretedThumbInstructions &+= cpu.instructionsExecuted &- before
    }

    private typealias R = TranslatorRegister

    private func physical(_ offset: Int) -> UInt64 { Layout.ramBase + Layout.codeArea + UInt64(offset) }

    private static func signExtended(_ value: UInt32) -> UInt64 { UInt64(bitPattern: Int64(Int32(bitPattern: value))) }

    /// Puts the guest state on the hart, runs translated code from `block` until it exits,
    /// and takes the state back.
    private func runTranslated(from entry: TranslatedBlock, budget: UInt64) {
        for index in 0 ..< 15 { hart.setRegister(Int(R.guest(UInt8(index))), Self.signExtended(cpu.register(index))) }
        // N and Z in one value: bit 63 is N, the low 32 bits are zero exactly when Z is set.
        let result: UInt64 = cpu.z ? (cpu.n ? 1 << 63 : 0) : (cpu.n ? .max : 1)
        hart.setRegister(Int(R.result), result)
        hart.setRegister(Int(R.carry), cpu.c ? 1 : 0)
        hart.setRegister(Int(R.overflow), cpu.v ? 1 : 0)
        hart.setRegister(Int(R.flagKind), UInt64(LazyFlagKind.materialized.rawValue))
        hart.setRegister(Int(R.budget), budget)
        hart.setRegister(Int(R.memoryBase), Layout.ramBase + Layout.guestWindow)
        let byteMask = ~(UInt64(map.sramBase) | UInt64(map.codeSize - 1))
        hart.setRegister(Int(R.byteMask), byteMask)
        hart.setRegister(Int(R.wordMask), byteMask | 3)
        hart.setRegister(Int(R.chunkTable), Layout.ramBase + Layout.chunkTable)
        let target = physical(entry.hostOffset)
        if needsInitialisation {
            hart.setRegister(Int(R.t0), physical(stubs.trap))
            hart.setRegister(Int(R.t2), target)
            hart.pc = physical(stubs.initialise)
            needsInitialisation = false
        } else if let patch = pendingPatch, patch.target == entry.hostOffset {
            hart.setRegister(Int(R.t0), physical(patch.slot))
            hart.setRegister(Int(R.t1), UInt64(RV64Assembler.jal(0, offset: Int64(patch.target - patch.slot))))
            hart.setRegister(Int(R.t2), target)
            hart.pc = physical(stubs.patch)
            statistics.chainsPatched &+= 1
        } else {
            hart.pc = target
        }
        pendingPatch = nil
        statistics.hostEntries &+= 1

        let retiredBefore = hart.retired
        // No translated Thumb instruction takes more than a few dozen RV64 instructions, so a
        // hart still running after this many has gone astray: a translator defect, reported.
        let (scaled, overflow) = budget.multipliedReportingOverflow(by: 128)
        let exit = hart.run(instructionLimit: overflow ? .max : scaled &+ 4096)
        statistics.rv64Instructions &+= hart.retired &- retiredBefore
        guard exit == .stopped, control.stopRequest == ExitDoorbell.request else {
            hostFailure = "the RV64 hart left translated code without an exit (\(exit)) at 0x\(String(hart.pc, radix: 16))"
            return
        }
        control.clear()

        let left = hart.register(Int(R.budget))
        let executed = budget &- left
        for index in 0 ..< 15 { cpu.setRegister(index, UInt32(truncatingIfNeeded: hart.register(Int(R.guest(UInt8(index)))))) }
        takeFlags()
        cpu.pc = UInt32(truncatingIfNeeded: hart.register(Int(R.exitPC)))
        cpu.retireTranslated(executed)
        statistics.translatedThumbInstructions &+= executed

        switch TranslatorExit(rawValue: hart.register(Int(R.exitReason))) {
        case .interpret:
            statistics.exitsToInterpreter &+= 1
            interpretNext = true
        case .budget:
            statistics.exitsForBudget &+= 1
        case .lookup:
            statistics.lookupMisses &+= 1
        case .chain:
            statistics.exitsForChaining &+= 1
            let slot = Int(hart.register(Int(R.link)) &- 4 &- physical(0))
            let flushes = statistics.cacheFlushes
            if let next = block(at: cpu.pc), statistics.cacheFlushes == flushes, !invalidationPending,
               slot >= Layout.stubBytes, slot < cursor {
                pendingPatch = (slot, next.hostOffset)
            }
        case .hostTrap:
            let cause = hart.debugReadCSR(0x342) ?? 0, epc = hart.debugReadCSR(0x341) ?? 0
            hostFailure = "RV64 trap, mcause \(cause) at 0x\(String(epc, radix: 16))"
        case nil:
            hostFailure = "unknown exit reason \(hart.register(Int(R.exitReason)))"
        }
    }

    /// Reads the lazy flags back into NZCV.
    private func takeFlags() {
        let result = hart.register(Int(R.result)), a = hart.register(Int(R.operandA)), b = hart.register(Int(R.operandB))
        cpu.n = result >> 63 == 1
        cpu.z = result & 0xFFFF_FFFF == 0
        switch LazyFlagKind(rawValue: Int32(truncatingIfNeeded: hart.register(Int(R.flagKind)))) {
        case .add:
            cpu.c = result < a
            cpu.v = ((a ^ result) & (b ^ result)) >> 63 == 1
        case .subtract:
            cpu.c = a >= b
            cpu.v = ((a ^ b) & (a ^ result)) >> 63 == 1
        default:
            cpu.c = hart.register(Int(R.carry)) != 0
            cpu.v = hart.register(Int(R.overflow)) != 0
        }
    }

    // MARK: Translation

    /// The translation of the block at `pc`, translating it now if needed; nil when nothing
    /// there can be fetched (the reference core then raises the fault).
    private func block(at pc: UInt32) -> TranslatedBlock? {
        if let index = blockIndex[pc] { return blocks[index] }
        guard pc & 1 == 0, fetch(pc) != nil else { return nil }
        let started = Timebase.monotonicNanoseconds()
        defer { statistics.translationNanoseconds &+= Timebase.monotonicNanoseconds() &- started }
        var limit = ThumbBlockTranslator.maximumInstructions
        while true {
            let decoded = ThumbBlockTranslator.decode(at: pc, limit: limit) { fetch($0) }
            var translator = ThumbBlockTranslator(stubs: stubs, hostOffset: cursor, memoryMap: map) { [blockIndex, blocks] target in
                blockIndex[target].map { blocks[$0].hostOffset }
            }
            guard let words = translator.translate(decoded) else {
                // Out of the reach of the block's own branches: try a shorter block.
                if limit > 1 { limit /= 2; continue }
                hostFailure = "block at 0x\(String(pc, radix: 16)) cannot be encoded"
                return nil
            }
            let bytes = words.count * 4
            if cursor + bytes > Layout.codeBytes {
                if blocks.isEmpty {
                    hostFailure = "block at 0x\(String(pc, radix: 16)) does not fit the translation cache"
                    return nil
                }
                flush()
                continue   // chained offsets changed: translate again into the empty cache
            }
            for (i, word) in words.enumerated() { poke(physical(cursor + 4 * i), width: 4, UInt64(word)) }
            let block = TranslatedBlock(guestStart: pc, guestEnd: decoded.ops.last.map { $0.pc &+ UInt32($0.op.length) } ?? pc,
                                        hostOffset: cursor, hostBytes: bytes, instructionCount: decoded.ops.count)
            record(block)
            cursor += bytes
            statistics.blocksTranslated &+= 1
            statistics.thumbInstructionsTranslated &+= UInt64(decoded.ops.count)
            statistics.cacheBytesWritten &+= UInt64(bytes)
            statistics.cacheBytesInUse = UInt64(cursor - Layout.stubBytes)
            return block
        }
    }

    private func record(_ block: TranslatedBlock) {
        let index = blocks.count
        blocks.append(block)
        blockIndex[block.guestStart] = index
        // The lookup table entry (the dispatch stub indexes by PC bits 12:1).
        let slot = Int((block.guestStart >> 1) & UInt32(Layout.lookupEntries - 1))
        let entry = Layout.ramBase + Layout.lookupTable + UInt64(16 * slot)
        poke(entry, width: 8, Self.signExtended(block.guestStart))
        poke(entry + 8, width: 8, physical(block.hostOffset))
        guard block.guestEnd > block.guestStart else { return }
        for chunk in (block.guestStart >> Layout.chunkShift) ... ((block.guestEnd - 1) >> Layout.chunkShift) {
            poke(Layout.ramBase + Layout.chunkTable + UInt64(chunk), width: 1, 1)
            chunkBlocks[chunk, default: []].append(index)
        }
    }

    /// A halfword of code in the code region or SRAM, or nil.
    private func fetch(_ address: UInt32) -> UInt16? {
        let inCode = address < map.codeSize && map.codeSize - address >= 2
        let inSRAM = address >= map.sramBase && address - map.sramBase < map.sramSize && map.sramSize - (address - map.sramBase) >= 2
        guard address & 1 == 0, inCode || inSRAM, let value = try? cpu.read(address, size: 2) else { return nil }
        return UInt16(truncatingIfNeeded: value)
    }

    /// Every store the reference core makes (including those translated code handed to it):
    /// a write into translated bytes retires the translations before the next block runs.
    private func noteGuestWrite(_ address: UInt32, _ size: Int) {
        let chunk = address >> Layout.chunkShift
        guard let candidates = chunkBlocks[chunk] else { return }
        let end = address &+ UInt32(size)
        for index in candidates where blocks[index].guestStart < end && address < blocks[index].guestEnd {
            if !invalidationPending { statistics.codeInvalidations &+= 1 }
            invalidationPending = true
            return
        }
    }

    /// Empties the translation cache, the lookup table and the chunk table, and has the hart
    /// forget the RV64 code it decoded from the cache (a reset flushes its block cache; the
    /// guest's state lives in the reference core meanwhile, so nothing is lost).
    private func flush() {
        for chunk in chunkBlocks.keys { poke(Layout.ramBase + Layout.chunkTable + UInt64(chunk), width: 1, 0) }
        chunkBlocks = [:]
        blockIndex = [:]
        blocks = []
        cursor = Layout.stubBytes
        pendingPatch = nil
        invalidationPending = false
        clearLookupTable()
        hart.reset(pc: physical(stubs.exit))
        needsInitialisation = true
        statistics.cacheFlushes &+= 1
        statistics.cacheBytesInUse = 0
    }

    private func clearLookupTable() {
        // Tag all ones: odd, so no (even) branch target ever matches an empty entry.
        let cleared = memory.fill(Layout.ramBase + Layout.lookupTable, count: 16 * Layout.lookupEntries, with: 0xFF)
        precondition(cleared, "the lookup table lies inside the translator's RAM")
    }

    /// A little-endian store of `width` bytes into the RV64 machine's RAM at a place the layout
    /// fixes (the code area, the lookup and chunk tables): bounds-checked like any host write,
    /// so a layout mistake stops here instead of writing past the mapping.
    private func poke(_ address: UInt64, width: Int, _ value: UInt64) {
        let stored = memory.store(address, width: width, value: value)
        precondition(stored, "the translator's code area and tables lie inside its RAM")
    }

    // MARK: Shared stubs

    private func writeStubs() {
        var asm = RV64Assembler()
        let t0 = R.t0, t1 = R.t1, target = R.exitPC

        // Exit: ring the doorbell; the hart stops right after the MMIO store.
        stubs.exit = asm.position * 4
        let exitLoop = asm.label()
        asm.bind(exitLoop)
        asm.lui(t0, UInt32(Layout.doorbell >> 12))
        asm.sw(0, t0, 0)
        asm.jal(0, exitLoop)

        // Dispatch: the lookup table entry for the target in x31 (index = PC bits 12:1).
        stubs.dispatch = asm.position * 4
        let miss = asm.label()
        asm.slli(t0, target, 51)
        asm.srli(t0, t0, 52)
        asm.slli(t0, t0, 4)
        asm.add(t0, t0, R.chunkTable)
        asm.lui(t1, Layout.chunkToLookupDistance >> 12)
        asm.sub(t0, t0, t1)
        asm.ld(t1, t0, 0)
        asm.bne(t1, target, miss)
        asm.ld(t1, t0, 8)
        asm.jalr(0, t1)
        asm.bind(miss)
        asm.addi(R.exitReason, 0, Int32(TranslatorExit.lookup.rawValue))
        asm.jal(0, exitLoop)

        // Materialise C and V from the lazy form; returns through `link`.
        stubs.materializeFlags = asm.position * 4
        let done = asm.label(), subtract = asm.label()
        asm.beq(R.flagKind, 0, done)
        asm.addi(t0, 0, LazyFlagKind.add.rawValue)
        asm.bne(R.flagKind, t0, subtract)
        asm.sltu(R.carry, R.result, R.operandA)
        asm.xor(t0, R.operandA, R.result)
        asm.xor(t1, R.operandB, R.result)
        asm.and(t0, t0, t1)
        asm.srli(R.overflow, t0, 63)
        asm.addi(R.flagKind, 0, 0)
        asm.jalr(0, R.link)
        asm.bind(subtract)
        asm.sltu(R.carry, R.operandA, R.operandB)
        asm.xori(R.carry, R.carry, 1)
        asm.xor(t0, R.operandA, R.operandB)
        asm.xor(t1, R.operandA, R.result)
        asm.and(t0, t0, t1)
        asm.srli(R.overflow, t0, 63)
        asm.addi(R.flagKind, 0, 0)
        asm.bind(done)
        asm.jalr(0, R.link)

        // Patch a chain slot through the hart's own store, so its decoded-code cache drops the
        // old slot (a host write would leave the engine running the stale jump), then go on.
        stubs.patch = asm.position * 4
        asm.sw(t1, t0, 0)
        asm.jalr(0, R.t2)

        // Initialise after a reset: the trap vector, then the block.
        stubs.initialise = asm.position * 4
        asm.csrrw(0, Self.mtvecCSR, t0)
        asm.jalr(0, R.t2)

        // Any RV64 trap lands here and is reported.
        stubs.trap = asm.position * 4
        asm.addi(R.exitReason, 0, Int32(TranslatorExit.hostTrap.rawValue))
        asm.jal(0, exitLoop)

        guard let words = asm.finish(), words.count * 4 <= Layout.stubBytes else {
            preconditionFailure("the translator's stubs are fixed code that fits their page")
        }
        for (i, word) in words.enumerated() { poke(physical(4 * i), width: 4, UInt64(word)) }
    }
}

/// The MMIO register translated code stores to when it leaves: the store stops the hart
/// (`MachineControl` is how a device ends `Hart.run`), and the host reads the exit registers.
final class ExitDoorbell: Device {
    /// The stop request the doorbell raises. `MachineControl` has no request meaning "host
    /// call", so the doorbell borrows `.reset`, which nothing else on this private machine raises.
    static let request = MachineControl.StopRequest.reset
    private let control: MachineControl
    init(control: MachineControl) { self.control = control }
    var name: String { "translator-exit" }
    func read(offset: UInt64, width: Int) -> UInt64 { 0 }
    func write(offset: UInt64, width: Int, value: UInt64) { control.requestStop(Self.request) }
}
