#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RISCV

/// The execution engine: finds (or decodes) the block at pc, runs it op by op with registers
/// and the software TLB behind raw pointers, and leaves the fast loop only at block boundaries
/// when `retired` crosses `nextEventAt` (device polls, interrupts, the run limit, stop requests).
/// Every instruction's semantics is in `execute`'s switch, once.
extension Hart {
    /// How many instructions may run between device polls in real-time mode, so input and the
    /// host clock are noticed promptly without polling per block.
    public static let realTimePollInterval: UInt64 = 1 << 14

    /// Runs until the platform asks to stop, `instructionLimit` more instructions retire, the
    /// hart waits for an interrupt that nothing scheduled can deliver, or it is stuck taking
    /// trap after trap without retiring anything (`.noProgress`, ProgressGuard.swift).
    ///
    /// Trap entries count toward the limit as well: a guest whose trap vector itself faults
    /// retires nothing yet never stops, and a limit must end that too (a hostile or broken
    /// guest can never hang the host).
    public func run(instructionLimit: UInt64) -> HartExit {
        let (limit, overflow) = retired.addingReportingOverflow(instructionLimit)
        runLimitAt = overflow ? .max : limit
        trapsAtRunStart = eventCounters.traps
        nextEventAt = 0
        while true {
            if guestExitPending { guestExitPending = false; return .guestExit }
            if retired >= nextEventAt, let exit = handleEvents() { return exit }
            if guestExitPending { guestExitPending = false; return .guestExit }
            if blocks.code.base != nil { executeCompiledBlocks() } else { executeInterpretedBlocks() }
        }
    }

    // MARK: Events at block boundaries

    /// Polls devices, takes a pending interrupt, honours stop requests, WFI and the run limit.
    /// Returns an exit when `run` must return; otherwise sets the next event point.
    func handleEvents() -> HartExit? {
        if control.stopPending { return .stopped }
        if madeNoProgress { return .noProgress }
        acknowledgeCodeWatch()
        if decodedCodeFlushPending {
            decodedCodeFlushPending = false
            eventCounters.codeInvalidations &+= UInt64(blocks.dropRewrittenCode(in: memory))
        }
        publishRetired()
        var now = timebase.now
        if retired >= nextDevicePollAt || interrupts.changed {
            pollDevices(now: now)
        }
        if let interrupt = pendingInterrupt(at: now) {
            waitingForInterrupt = false
            takeTrap(cause: interrupt, tval: 0, epc: pc, interrupt: true)
        } else if waitingForInterrupt {
            // WFI: nothing to run until an interrupt is pending (mip & mie, regardless of the
            // global enables, privileged spec §3.3.3).
            if sharesMemory, case .realTime = timebase.mode, mip(at: now) & m.mie != 0 {
                // One is pending already but disabled: WFI falls through at once. A guest that
                // loops on such a WFI (OpenSBI's parked harts, when the IPI that woke them from
                // cold boot came after they cleared it) spins; give its host CPU to harts with work.
                sched_yield()
            }
            while mip(at: now) & m.mie == 0 {
                if control.stopPending { return .stopped }
                let deadline = nextTimerDeadline()
                eventCounters.wfiSleeps += 1
                switch timebase.mode {
                case .virtual:
                    // Harts taking turns (HartScheduler): the others may still run, so give up
                    // the turn; the scheduler moves the clock when every hart waits.
                    if yieldsInWaitForInterrupt { return .waitingForInterrupt }
                    guard deadline != .max else { return .waitingForInterrupt }
                    if deadline > now { timebase.skipped &+= deadline - now }
                case .realTime:
                    // Sleep until the deadline or at most 1 ms, so console input is seen; another
                    // hart's IPI or a device's interrupt wakes the sleep early.
                    let waitTicks = deadline > now ? min(deadline - now, 10_000) : 0
                    if waitTicks > 0 { interrupts.wakeup.sleep(nanoseconds: waitTicks * 100) }
                }
                now = timebase.now
                pollDevices(now: now)
                acknowledgeCodeWatch()
                if deadline == .max, case .realTime = timebase.mode, mip(at: now) & m.mie == 0 {
                    // Nothing scheduled: let the caller decide whether input may still arrive.
                    return .waitingForInterrupt
                }
            }
            waitingForInterrupt = false
            if let interrupt = pendingInterrupt(at: now) { takeTrap(cause: interrupt, tval: 0, epc: pc, interrupt: true) }
        }
        let trapsThisRun = eventCounters.traps &- trapsAtRunStart
        if retired >= runLimitAt || runLimitAt &- retired <= trapsThisRun { return .limitReached }
        scheduleNextEvent(now: now)
        return nil
    }

    /// With other harts: when a page became watched since this hart last looked (CodeWatch.swift),
    /// empties the TLB, so no entry filled before the watch lets a store to it skip the count.
    @inline(__always)
    func acknowledgeCodeWatch() {
        guard let codeWatch = memory.codeWatch else { return }
        let epoch = codeWatch.epoch
        guard epoch != seenCodeWatchEpoch else { return }
        // Mappings did not change, so the jump caches and chains stay.
        tlbTouched.clear(tlb, entriesPerContext: TLBEntry.entriesPerContext, to: TLBEntry.empty)
        seenCodeWatchEpoch = epoch
        codeWatch.acknowledge(hart: Int(hartID), epoch)
    }

    /// Tells the clock how far this hart has run. Virtual time counts the instructions of every
    /// hart: harts then take turns on one host thread, and `retiredByOtherHarts` holds what the
    /// others retired before this hart's turn. Real time reads the host clock instead (and harts
    /// on other threads must not write a shared count).
    @inline(__always)
    func publishRetired() {
        if case .virtual = timebase.mode { timebase.retired = retiredByOtherHarts &+ retired }
    }

    private func pollDevices(now: UInt64) {
        interrupts.changed = false
        let deadline = bus.pollDevices(now: now)
        switch timebase.mode {
        case .virtual:
            let d = min(deadline, stimecmpDeadline)
            nextDevicePollAt = d == .max ? .max : retired &+ max(1, timebase.instructionsUntil(d) ?? 1)
            // Input devices still need an occasional look even without a deadline.
            nextDevicePollAt = min(nextDevicePollAt, retired &+ Hart.realTimePollInterval * 16)
        case .realTime:
            nextDevicePollAt = retired &+ Hart.realTimePollInterval
        }
        devicesDeadline = deadline
    }

    /// The earliest `mtime` at which a timer (ACLINT or Sstc) fires.
    private func nextTimerDeadline() -> UInt64 { min(devicesDeadline, stimecmpDeadline) }

    /// When a timer could wake this hart from WFI (mtime ticks; .max: none scheduled).
    var wakeDeadline: UInt64 { nextTimerDeadline() }

    /// The earliest Sstc deadline an enabled interrupt waits for (stimecmp, or vstimecmp in host time).
    private var stimecmpDeadline: UInt64 {
        let supervisor = m.menvcfg & Hart.STCE != 0 && m.mie & Hart.STIP != 0 ? stimecmp : .max
        let virtual = m.mie & Hart.VSTIP != 0 ? virtualTimerDeadline : .max
        return min(supervisor, virtual)
    }

    private func scheduleNextEvent(now: UInt64) {
        var next = min(runLimitAt, nextDevicePollAt)
        let compare = min(m.menvcfg & Hart.STCE != 0 ? stimecmp : .max, virtualTimerDeadline)
        if compare != .max, let n = timebase.instructionsUntil(compare) {
            next = min(next, retired &+ max(1, n))
        }
        nextEventAt = next
    }

    // MARK: Block lookup and decoding

    /// Finds the block for `pc` in the current fetch context, decoding it on a miss.
    /// Returns nil after raising a fetch fault (pc then points at the trap handler).
    @inline(__always)
    private func lookupBlock() -> Int32? {
        // SAFETY: `jumpEntry` masks pc into the context's slice of the jump cache.
        let entry = blocks.jumpEntry(slot: fetchSlot, pc)
        if entry.pointee.pc == pc {
            eventCounters.blockCacheHits &+= 1
            return entry.pointee.block
        }
        eventCounters.blockCacheMisses &+= 1
        guard let id = findOrDecodeBlock() else { return nil }
        blocks.fillJumpEntry(slot: fetchSlot, pc, block: id)
        return id
    }

    private func fetchPhysical(_ va: UInt64) -> UInt64? {
        // SAFETY: `tlbEntry` returns an entry inside `tlb`; only its tags and offset are read.
        let e = tlbEntry(slot: fetchSlot, va)
        if e.pointee.fetchTag == va & TLBEntry.pageMask {
            let host = va &+ e.pointee.hostOffset
            return host &- UInt64(UInt(bitPattern: memory.bytes)) &+ memory.base
        }
        do {
            return try translateFetch(va)
        } catch {
            noteGuestFault(error)
            takeTrap(cause: error.cause, tval: va, epc: pc, interrupt: false)
            return nil
        }
    }

    private func findOrDecodeBlock() -> Int32? {
        let start = pc
        // Every way the guest sets pc clears bit 0 (jalr, xepc), but a host can hand the hart any
        // pc (an ELF entry, a save file, a para trap frame): an odd one faults as a misaligned
        // fetch instead of reaching the decoder, which assumes instructions start on even bytes.
        if debugger != nil, let id = debugBreakBlock(at: start) { return id }
        guard start & 1 == 0 else {
            takeTrap(cause: TrapCause.instructionAddressMisaligned, tval: start, epc: start & ~1, interrupt: false)
            return nil
        }
        guard let pa = fetchPhysical(start) else { return nil }
        let ramOffset = pa &- memory.base
        if let id = blocks.block(atPhysical: ramOffset) { return id }
        if !blocks.hasRoom { blocks.flushAll() }
        blocks.watchBeforeDecoding(page: ramOffset >> 12)
        // Decode up to the end of the page or a block-ending instruction.
        let firstOp = blocks.opCount
        var offset: UInt64 = 0
        var count = 0
        let pageEnd = 4096 - (start & 0xfff)
        while count < maximumBlockLength && offset < pageEnd {
            let here = pa &+ offset
            let low = UInt32(memory.load(here, width: 2)!)
            var bits = low
            if low & 3 == 3 {
                if offset + 4 > pageEnd {
                    // A 32-bit instruction straddles the page: it needs its own translation of the next page.
                    if count > 0 { break }
                    guard let highPA = fetchPhysical(start &+ 2) else { return nil }
                    bits |= UInt32(memory.load(highPA, width: 2)!) << 16
                    // Not cached: the second page's mapping may change independently.
                    var inst = Decoder.decode32(bits)
                    inst.blockOffset = 0
                    blocks.ops[firstOp] = inst
                    return registerBlock(ramOffset: ramOffset, firstOp: firstOp, count: 1, byteLength: 4, cache: false)
                }
                bits |= UInt32(memory.load(here &+ 2, width: 2)!) << 16
            }
            var inst = Decoder.decode(bits)
            inst.blockOffset = UInt16(offset)
            blocks.ops[firstOp + count] = inst
            count += 1
            offset += inst.length
            if Hart.endsBlock(inst.op) { break }
        }
        return registerBlock(ramOffset: ramOffset, firstOp: firstOp, count: count, byteLength: UInt32(offset), cache: true)
    }

    func registerBlock(ramOffset: UInt64, firstOp: Int, count: Int, byteLength: UInt32, cache: Bool) -> Int32 {
        Decoder.fusePairs(UnsafeMutableBufferPointer(start: blocks.ops + firstOp, count: count))
        blocks.ops[firstOp + count] = Instruction(op: .blockEnd, raw: 0)
        let id = Int32(blocks.blockCount)
        blocks.blocks[Int(id)] = DecodedBlock(ramOffset: ramOffset, firstOp: Int32(firstOp), count: Int32(count),
                                              byteLength: byteLength)
        // A block that is not cached (it straddles a page) is decoded anew each time: never compiled.
        if !cache || blocks.code.base == nil { blocks.blocks[Int(id)].interpretedRuns = .max }
        blocks.blockCount += 1
        blocks.opCount += count + 1
        eventCounters.blocksDecoded += 1
        guard cache else { blocks.jumpCachesHoldUnrecordedBlocks = true; return id }
        blocks.byPhysical[ramOffset] = id
        if blocks.noteBlock(id, ramOffset: ramOffset, length: UInt64(byteLength)) {
            // First code in this page: stores to it must now take the slow path.
            let page = ramOffset & ~0xfff
            revokeWrites(toHostPage: UInt64(UInt(bitPattern: memory.hostPointer(memory.base &+ page))))
        }
        return id
    }

    /// Compiles `block`, run `HartConfiguration.compileThreshold` times by now. One the compiler
    /// does not take, or that no longer fits the code cache (the next decode then flushes both
    /// caches), is not tried again.
    @inline(never)
    func compile(_ block: UnsafeMutablePointer<DecodedBlock>) {
        let record = block.pointee
        block.pointee.interpretedRuns = .max
        guard let code = BlockCompiler.compile(blocks.ops + Int(record.firstOp), count: Int(record.count), byteLength: record.byteLength,
                                               record: block, records: blocks.blocks, sharesMemory: sharesMemory),
              let installed = blocks.code.install(code, guestAddress: memory.base &+ record.ramOffset) else { return }
        block.pointee.compiled = installed
        eventCounters.blocksCompiled += 1
    }

    // `Hart.endsBlock` is generated from the instruction descriptions (Generated/GeneratedSemantics.swift),
    // and each op's semantics is written out in its own case of the dispatch loop below.

    // MARK: The dispatch loop

    /// `nextPC` while a block runs to its end: odd, so never a pc (IALIGN is 16).
    private static let fallsThrough: UInt64 = .max

    /// Runs blocks back to back until `retired` reaches `nextEventAt` or a trap is taken.
    /// The op cases are generated from the instruction descriptions into the marked region
    /// (F/D arithmetic in FloatingPoint.swift); compiled code (BlockCompiler.swift) emits the
    /// integer fast paths from the same descriptions and stops wherever it would need more, and
    /// CompiledEngineTests holds the two together. Slow paths are out-of-line methods
    /// so the loop keeps its registers.
    @inline(never) private func executeCompiledBlocks() { executeBlocks(compiling: true, tracing: false) }

    /// The loop without the compiled-code call, specialised separately so the call's register
    /// pressure does not reach the interpreter alone (`--engine interpreter`, non-x86-64 hosts):
    /// measured, sha256 1.68 s with one shared loop, 1.10 s with two; coremark-like 2.15 -> 1.90.
    /// `-d in_asm`/`-d int` traces run in a third copy, so the others carry no trace test (the
    /// compiler is off while tracing, so only the interpreter needs it).
    @inline(never) private func executeInterpretedBlocks() {
        if configuration.trace != nil { executeTracedBlocks() } else { executeBlocks(compiling: false, tracing: false) }
    }
    @inline(never) private func executeTracedBlocks() { executeBlocks(compiling: false, tracing: true) }

    @inline(__always) private func executeBlocks(compiling: Bool, tracing: Bool) {
        let x = self.x
        let tlbMask = UInt64(TLBEntry.entriesPerContext - 1)

        /// The host address of `va` through a data-TLB entry whose tag matched.
        @inline(__always) func host(_ va: UInt64, _ e: UnsafeMutablePointer<TLBEntry>) -> UnsafeMutableRawPointer {
            // SAFETY: called only after a tag match, when `hostOffset` maps va's page into host RAM.
            UnsafeMutableRawPointer(bitPattern: UInt(truncatingIfNeeded: va &+ e.pointee.hostOffset)).unsafelyUnwrapped
        }

        guard let first = lookupBlock() else { return }
        // Hoisted for the whole run of blocks: every change to them (trap, xRET, CSR write,
        // sfence.vma, decoded-code invalidation) leaves this function or goes through a lookup.
        let dataTLB = tlb + dataSlot * TLBEntry.entriesPerContext
        // Chains are only followed within one fetch slot and cache generation.
        let slot = fetchSlot
        var chainKey = blocks.chainKey(slot: slot)
        // SAFETY: `first` and every block id below come from `lookupBlock`, i.e. from
        // `registerBlock`, so they index registered blocks, whose ops lie inside `blocks.ops`.
        // The current block, its first op and its pc, kept in the register file's `BlockFrame`
        // slots (see there for why).
        var blockPointer: UnsafeMutablePointer<DecodedBlock> {
            // SAFETY: the slot holds only pointers stored by the setter below, all from `blocks.blocks`.
            get { UnsafeMutablePointer(bitPattern: UInt(x[BlockFrame.block])).unsafelyUnwrapped }
            set { x[BlockFrame.block] = UInt64(UInt(bitPattern: newValue)) }
        }
        var ops: UnsafeMutablePointer<Instruction> {
            // SAFETY: the slot holds only pointers stored by the setter below, all into `blocks.ops`.
            get { UnsafeMutablePointer(bitPattern: UInt(x[BlockFrame.ops])).unsafelyUnwrapped }
            set { x[BlockFrame.ops] = UInt64(UInt(bitPattern: newValue)) }
        }
        var blockPC: UInt64 {
            get { x[BlockFrame.pc] }
            set { x[BlockFrame.pc] = newValue }
        }
        blockPointer = blocks.blocks + Int(first)
        ops = blocks.ops + Int(blockPointer.pointee.firstOp)
        blockPC = pc
        if compiling {
            x[CompiledRun.jumpCache] = UInt64(UInt(bitPattern: blocks.jumpEntry(slot: slot, 0)))
        }

        /// The data-TLB entry for `va`, and the tag a `width`-byte access must match (page and alignment in one compare).
        // SAFETY: the index is masked to the context's entry count and `dataTLB` is a context's first entry.
        @inline(__always) func entry(_ va: UInt64) -> UnsafeMutablePointer<TLBEntry> { dataTLB + Int((va >> 12) & tlbMask) }
        @inline(__always) func key(_ va: UInt64, _ width: UInt64) -> UInt64 { va & (TLBEntry.pageMask | (width &- 1)) }

        while true {
            if tracing { traceInstruction(ops.pointee, pc: blockPC) }
            // Set only by ops that leave the block elsewhere; the fall-through pc is worked out at
            // the block end, so nothing is computed or kept in a register for it while the block runs.
            var nextPC = Hart.fallsThrough
            // A compiled block runs as host code, chaining on through compiled successors while the
            // budget lasts; it returns in the block it ended in, and when that stopped early, the
            // loop below runs the rest of it.
            var interpretFrom = 0, ranToEnd = false
            if compiling, let compiled = blockPointer.pointee.compiled {
                x[CompiledRun.chained] = 0
                x[CompiledRun.budget] = nextEventAt > retired ? nextEventAt &- retired : 0
                x[CompiledRun.key] = UInt64(chainKey)
                // SAFETY: a block has compiled code only when the code cache has its entry
                // sequence; compiled code returns with exitBlock set to the block it ended in.
                let result = blocks.code.entry.unsafelyUnwrapped(x, UnsafeMutableRawPointer(dataTLB), blockPC, compiled)
                eventCounters.compiledEntries &+= 1
                retired = retired &+ x[CompiledRun.chained]
                blockPointer = UnsafeMutablePointer(bitPattern: UInt(x[CompiledRun.exitBlock])).unsafelyUnwrapped
                blockPC = x[CompiledRun.exitPC]
                ops = blocks.ops + Int(blockPointer.pointee.firstOp)
                if result & 1 == 0 || result == Hart.fallsThrough {
                    nextPC = result
                    interpretFrom = Int(blockPointer.pointee.count)
                    ranToEnd = true
                } else {
                    interpretFrom = Int(result >> 1)
                    eventCounters.compiledBlockStops &+= 1
                }
            } else if compiling {
                // Not compiled yet: interpret it until it has shown it runs more than once.
                let runs = blockPointer.pointee.interpretedRuns, threshold = configuration.compileThreshold
                if runs < threshold {
                    blockPointer.pointee.interpretedRuns = runs &+ 1
                } else if runs == threshold {
                    compile(blockPointer)
                    if blockPointer.pointee.compiled != nil { continue }
                }
            }
            var p = ops + interpretFrom
            /// How many ops of the current block precede `p` (unsigned: a shift, not a signed division).
            @inline(__always) func executed(_ p: UnsafeMutablePointer<Instruction>) -> Int {
                Int(bitPattern: (UInt(bitPattern: p) &- UInt(bitPattern: ops)) / UInt(MemoryLayout<Instruction>.stride))
            }

            /// A store the TLB could not take. False means leave the block: after a fault (recorded),
            /// or after a store that changed decoded code or woke a device (pc moves past the store).
            var leaveAfterStore = false
            @inline(__always) func storeThroughSlowPath(_ p: UnsafeMutablePointer<Instruction>, _ va: UInt64, _ width: UInt64, _ value: UInt64) -> Bool {
                guard let mustLeave = storeSlowPath(va, width, value, executed: executed(p)) else { return false }
                if mustLeave { leaveAfterStore = true; return false }
                return true
            }

            /// An integer load (T's width and signedness) at rs1 + imm through the TLB fast path, else
            /// the slow path. False means leave the block (a fault was recorded).
            @inline(__always) func load<T: FixedWidthInteger>(_ p: UnsafeMutablePointer<Instruction>, _: T.Type) -> Bool {
                let va = x[p.rs1] &+ p.imm, e = entry(va)
                let width = UInt64(MemoryLayout<T>.size)
                if e.pointee.readTag == key(va, width) {
                    // SAFETY: a matching read tag means the entry maps va's page to host RAM for reads and the
                    // access is aligned to its width (the tag keeps va's low bits), so it lies within that page.
                    x[p.rd] = UInt64(bitPattern: Int64(truncatingIfNeeded: GuestRAM.load(host(va, e), as: T.self)))
                    return true
                }
                guard let v = loadSlowPath(va, width, executed: executed(p)) else { return false }
                x[p.rd] = UInt64(bitPattern: Int64(truncatingIfNeeded: T(truncatingIfNeeded: v)))
                return true
            }
            /// An integer store of T's width of rs2 at rs1 + imm. False means leave the block (see `storeThroughSlowPath`).
            @inline(__always) func store<T: FixedWidthInteger>(_ p: UnsafeMutablePointer<Instruction>, _: T.Type) -> Bool {
                let va = x[p.rs1] &+ p.imm, e = entry(va)
                let width = UInt64(MemoryLayout<T>.size)
                if e.pointee.writeTag == key(va, width) {
                    // SAFETY: a matching write tag means the page is host RAM, writable, holds no decoded code,
                    // and the access is aligned to its width, so it lies within that page.
                    GuestRAM.store(T(truncatingIfNeeded: x[p.rs2]), at: host(va, e))
                    return true
                }
                return storeThroughSlowPath(p, va, width, x[p.rs2])
            }
            /// flw/fld: the loaded bits into rd (a single NaN-boxed). False means leave the block.
            @inline(__always) func loadFloat(_ p: UnsafeMutablePointer<Instruction>, width: UInt64) -> Bool {
                guard floatingPointEnabled else { raiseIllegal(p.pointee); return false }
                let va = x[p.rs1] &+ p.imm, e = entry(va)
                var v: UInt64
                if e.pointee.readTag == key(va, width) {
                    // SAFETY: as in `load`: a matching read tag bounds the access to one mapped RAM page.
                    v = width == 4 ? UInt64(GuestRAM.load(host(va, e), as: UInt32.self)) : GuestRAM.load(host(va, e), as: UInt64.self)
                } else {
                    guard let s = loadSlowPath(va, width, executed: executed(p)) else { return false }
                    v = s
                }
                if width == 4 { v |= 0xffff_ffff_0000_0000 }
                self.f[p.rd] = v  // read from self: one register fewer held across the whole loop
                markFloatingPointDirty()
                return true
            }
            /// fsw/fsd. False means leave the block.
            @inline(__always) func storeFloat(_ p: UnsafeMutablePointer<Instruction>, width: UInt64) -> Bool {
                guard floatingPointEnabled else { raiseIllegal(p.pointee); return false }
                let va = x[p.rs1] &+ p.imm, e = entry(va)
                if e.pointee.writeTag == key(va, width) {
                    // SAFETY: as in `store`: a matching write tag bounds the access to one writable RAM page.
                    if width == 4 { GuestRAM.store(UInt32(truncatingIfNeeded: self.f[p.rs2]), at: host(va, e)) }
                    else { GuestRAM.store(self.f[p.rs2], at: host(va, e)) }
                    return true
                }
                return storeThroughSlowPath(p, va, width, self.f[p.rs2])
            }
            /// Runs an out-of-line op with `retired` counting the ops before it in the block, so what
            /// it does (a CSR read of instret, a trap) sees the exact count.
            @inline(__always) func countingOpsBefore<R>(_ p: UnsafeMutablePointer<Instruction>, _ body: () -> R) -> R {
                let before = UInt64(executed(p))
                retired = retired &+ before
                defer { retired = retired &- before }
                return body()
            }

            if !ranToEnd { execution: while true {
                switch p.pointee.op {
                // BEGIN GENERATED: interpreter cases (generate-engine, from Sources/InstructionSpec)
                case .blockEnd:
                    break execution
                case .illegal:
                    raiseIllegal(p.pointee); break execution
                // RV64I
                case .lui:
                    x[p.rd] = p.imm
                case .auipc:
                    x[p.rd] = blockPC &+ UInt64(p.pointee.blockOffset) &+ p.imm
                case .jal:
                    let here = blockPC &+ UInt64(p.pointee.blockOffset)
                    x[p.rd] = here &+ p.pointee.length
                    nextPC = here &+ p.imm
                    p += 1; break execution
                case .jalr:
                    let here = blockPC &+ UInt64(p.pointee.blockOffset)
                    nextPC = (x[p.rs1] &+ p.imm) & ~1
                    x[p.rd] = here &+ p.pointee.length
                    p += 1; break execution
                case .beq:
                    if x[p.rs1] == x[p.rs2] { nextPC = blockPC &+ UInt64(p.pointee.blockOffset) &+ p.imm }
                    p += 1; break execution
                case .bne:
                    if x[p.rs1] != x[p.rs2] { nextPC = blockPC &+ UInt64(p.pointee.blockOffset) &+ p.imm }
                    p += 1; break execution
                case .blt:
                    if Int64(bitPattern: x[p.rs1]) < Int64(bitPattern: x[p.rs2]) { nextPC = blockPC &+ UInt64(p.pointee.blockOffset) &+ p.imm }
                    p += 1; break execution
                case .bge:
                    if Int64(bitPattern: x[p.rs1]) >= Int64(bitPattern: x[p.rs2]) { nextPC = blockPC &+ UInt64(p.pointee.blockOffset) &+ p.imm }
                    p += 1; break execution
                case .bltu:
                    if x[p.rs1] < x[p.rs2] { nextPC = blockPC &+ UInt64(p.pointee.blockOffset) &+ p.imm }
                    p += 1; break execution
                case .bgeu:
                    if x[p.rs1] >= x[p.rs2] { nextPC = blockPC &+ UInt64(p.pointee.blockOffset) &+ p.imm }
                    p += 1; break execution
                case .lb:
                    guard load(p, Int8.self) else { break execution }
                case .lh:
                    guard load(p, Int16.self) else { break execution }
                case .lw:
                    guard load(p, Int32.self) else { break execution }
                case .ld:
                    guard load(p, UInt64.self) else { break execution }
                case .lbu:
                    guard load(p, UInt8.self) else { break execution }
                case .lhu:
                    guard load(p, UInt16.self) else { break execution }
                case .lwu:
                    guard load(p, UInt32.self) else { break execution }
                case .sb:
                    guard store(p, UInt8.self) else { break execution }
                case .sh:
                    guard store(p, UInt16.self) else { break execution }
                case .sw:
                    guard store(p, UInt32.self) else { break execution }
                case .sd:
                    guard store(p, UInt64.self) else { break execution }
                case .addi:
                    x[p.rd] = x[p.rs1] &+ p.imm
                case .slti:
                    let a = x[p.rs1], b = p.imm
                    x[p.rd] = Int64(bitPattern: a) < Int64(bitPattern: b) ? 1 : 0
                case .sltiu:
                    let a = x[p.rs1], b = p.imm
                    x[p.rd] = a < b ? 1 : 0
                case .xori:
                    x[p.rd] = x[p.rs1] ^ p.imm
                case .ori:
                    x[p.rd] = x[p.rs1] | p.imm
                case .andi:
                    x[p.rd] = x[p.rs1] & p.imm
                case .slli:
                    x[p.rd] = x[p.rs1] << (p.imm & 63)
                case .srli:
                    x[p.rd] = x[p.rs1] >> (p.imm & 63)
                case .srai:
                    x[p.rd] = UInt64(bitPattern: Int64(bitPattern: x[p.rs1]) >> Int64(p.imm & 63))
                case .add:
                    x[p.rd] = x[p.rs1] &+ x[p.rs2]
                case .sub:
                    x[p.rd] = x[p.rs1] &- x[p.rs2]
                case .sll:
                    x[p.rd] = x[p.rs1] << (x[p.rs2] & 63)
                case .slt:
                    let a = x[p.rs1], b = x[p.rs2]
                    x[p.rd] = Int64(bitPattern: a) < Int64(bitPattern: b) ? 1 : 0
                case .sltu:
                    let a = x[p.rs1], b = x[p.rs2]
                    x[p.rd] = a < b ? 1 : 0
                case .xor:
                    x[p.rd] = x[p.rs1] ^ x[p.rs2]
                case .srl:
                    x[p.rd] = x[p.rs1] >> (x[p.rs2] & 63)
                case .sra:
                    x[p.rd] = UInt64(bitPattern: Int64(bitPattern: x[p.rs1]) >> Int64(x[p.rs2] & 63))
                case .or:
                    x[p.rd] = x[p.rs1] | x[p.rs2]
                case .and:
                    x[p.rd] = x[p.rs1] & x[p.rs2]
                case .addiw:
                    x[p.rd] = sext32(x[p.rs1] &+ p.imm)
                case .slliw:
                    x[p.rd] = sext32(x[p.rs1] << (p.imm & 31))
                case .srliw:
                    x[p.rd] = sext32(UInt64(UInt32(truncatingIfNeeded: x[p.rs1]) >> UInt32(p.imm & 31)))
                case .sraiw:
                    x[p.rd] = UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: x[p.rs1]) >> Int32(p.imm & 31)))
                case .addw:
                    x[p.rd] = sext32(x[p.rs1] &+ x[p.rs2])
                case .subw:
                    x[p.rd] = sext32(x[p.rs1] &- x[p.rs2])
                case .sllw:
                    x[p.rd] = sext32(x[p.rs1] << (x[p.rs2] & 31))
                case .srlw:
                    x[p.rd] = sext32(UInt64(UInt32(truncatingIfNeeded: x[p.rs1]) >> UInt32(x[p.rs2] & 31)))
                case .sraw:
                    x[p.rd] = UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: x[p.rs1]) >> Int32(x[p.rs2] & 31)))
                case .fence:
                    // One hart has nothing to order; harts on other threads need a host fence (GuestMemory.h).
                    if sharesMemory { GuestRAM.fence() }
                case .ecall:
                    pendingTrapCause = privilege == .machine ? TrapCause.environmentCallFromM
                        : privilege == .user ? TrapCause.environmentCallFromU
                        : virtualized ? TrapCause.environmentCallFromVS : TrapCause.environmentCallFromS
                    pendingTrapValue = 0
                    break execution
                case .ebreak:
                    // The spec allows tval = 0 or the pc; QEMU 7.2 writes 0, and we match it.
                    pendingTrapCause = TrapCause.breakpoint; pendingTrapValue = 0; break execution
                // Zifencei
                case .fence_i:
                    // The hart's own stores invalidate its decoded code as they happen. Other harts' stores
                    // do not (each hart has its own caches), so with other harts FENCE.I drops, at the next
                    // block boundary, every page whose decoded code no longer matches RAM. Ends the block
                    // either way, so code after it is decoded afresh.
                    if sharesMemory { decodedCodeFlushPending = true; nextEventAt = 0 }
                // M
                case .mul:
                    x[p.rd] = x[p.rs1] &* x[p.rs2]
                case .mulh:
                    x[p.rd] = UInt64(bitPattern: Int64(bitPattern: x[p.rs1]).multipliedFullWidth(by: Int64(bitPattern: x[p.rs2])).high)
                case .mulhsu:
                    let a = x[p.rs1], b = x[p.rs2]
                    x[p.rd] = Int64(bitPattern: a) < 0 ? a.multipliedFullWidth(by: b).high &- b : a.multipliedFullWidth(by: b).high
                case .mulhu:
                    x[p.rd] = x[p.rs1].multipliedFullWidth(by: x[p.rs2]).high
                case .div:
                    let a = x[p.rs1], b = x[p.rs2]
                    x[p.rd] = b == 0 ? .max : (Int64(bitPattern: a) == .min && Int64(bitPattern: b) == -1) ? a : UInt64(bitPattern: Int64(bitPattern: a) / Int64(bitPattern: b))
                case .divu:
                    let a = x[p.rs1], b = x[p.rs2]
                    x[p.rd] = b == 0 ? .max : a / b
                case .rem:
                    let a = x[p.rs1], b = x[p.rs2]
                    x[p.rd] = b == 0 ? a : (Int64(bitPattern: a) == .min && Int64(bitPattern: b) == -1) ? 0 : UInt64(bitPattern: Int64(bitPattern: a) % Int64(bitPattern: b))
                case .remu:
                    let a = x[p.rs1], b = x[p.rs2]
                    x[p.rd] = b == 0 ? a : a % b
                case .mulw:
                    x[p.rd] = sext32(x[p.rs1] &* x[p.rs2])
                case .divw:
                    let a = x[p.rs1], b = x[p.rs2]
                    let a32 = Int32(truncatingIfNeeded: a), b32 = Int32(truncatingIfNeeded: b)
                    x[p.rd] = sext32(b32 == 0 ? .max : (a32 == .min && b32 == -1) ? a : UInt64(bitPattern: Int64(a32 / b32)))
                case .divuw:
                    let a = x[p.rs1], b = x[p.rs2]
                    x[p.rd] = UInt32(truncatingIfNeeded: b) == 0 ? .max : sext32(UInt64(UInt32(truncatingIfNeeded: a) / UInt32(truncatingIfNeeded: b)))
                case .remw:
                    let a = x[p.rs1], b = x[p.rs2]
                    let a32 = Int32(truncatingIfNeeded: a), b32 = Int32(truncatingIfNeeded: b)
                    x[p.rd] = sext32(b32 == 0 ? a : (a32 == .min && b32 == -1) ? 0 : UInt64(bitPattern: Int64(a32 % b32)))
                case .remuw:
                    let a = x[p.rs1], b = x[p.rs2]
                    x[p.rd] = UInt32(truncatingIfNeeded: b) == 0 ? sext32(a) : sext32(UInt64(UInt32(truncatingIfNeeded: a) % UInt32(truncatingIfNeeded: b)))
                // Zba
                case .sh1add:
                    x[p.rd] = x[p.rs2] &+ (x[p.rs1] << 1)
                case .sh2add:
                    x[p.rd] = x[p.rs2] &+ (x[p.rs1] << 2)
                case .sh3add:
                    x[p.rd] = x[p.rs2] &+ (x[p.rs1] << 3)
                case .add_uw:
                    x[p.rd] = x[p.rs2] &+ (x[p.rs1] & 0xffff_ffff)
                case .sh1add_uw:
                    x[p.rd] = x[p.rs2] &+ ((x[p.rs1] & 0xffff_ffff) << 1)
                case .sh2add_uw:
                    x[p.rd] = x[p.rs2] &+ ((x[p.rs1] & 0xffff_ffff) << 2)
                case .sh3add_uw:
                    x[p.rd] = x[p.rs2] &+ ((x[p.rs1] & 0xffff_ffff) << 3)
                case .slli_uw:
                    x[p.rd] = (x[p.rs1] & 0xffff_ffff) << (p.imm & 63)
                // Zbs
                case .bset:
                    x[p.rd] = x[p.rs1] | (1 << (x[p.rs2] & 63))
                case .bclr:
                    x[p.rd] = x[p.rs1] & ~(1 << (x[p.rs2] & 63))
                case .binv:
                    x[p.rd] = x[p.rs1] ^ (1 << (x[p.rs2] & 63))
                case .bext:
                    x[p.rd] = (x[p.rs1] >> (x[p.rs2] & 63)) & 1
                case .bseti:
                    x[p.rd] = x[p.rs1] | (1 << (p.imm & 63))
                case .bclri:
                    x[p.rd] = x[p.rs1] & ~(1 << (p.imm & 63))
                case .binvi:
                    x[p.rd] = x[p.rs1] ^ (1 << (p.imm & 63))
                case .bexti:
                    x[p.rd] = (x[p.rs1] >> (p.imm & 63)) & 1
                // A
                case .lr_w, .sc_w, .amoswap_w, .amoadd_w, .amoxor_w, .amoand_w, .amoor_w, .amomin_w, .amomax_w,
                     .amominu_w, .amomaxu_w, .lr_d, .sc_d, .amoswap_d, .amoadd_d, .amoxor_d, .amoand_d, .amoor_d,
                     .amomin_d, .amomax_d, .amominu_d, .amomaxu_d:
                    guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }
                // F
                case .flw:
                    guard loadFloat(p, width: 4) else { break execution }
                case .fsw:
                    guard storeFloat(p, width: 4) else { break execution }
                case .fmadd_s, .fmsub_s, .fnmsub_s, .fnmadd_s, .fadd_s, .fsub_s, .fmul_s, .fdiv_s, .fsqrt_s,
                     .fsgnj_s, .fsgnjn_s, .fsgnjx_s, .fmin_s, .fmax_s, .fcvt_w_s, .fcvt_wu_s, .fcvt_l_s, .fcvt_lu_s,
                     .fcvt_s_w, .fcvt_s_wu, .fcvt_s_l, .fcvt_s_lu, .fmv_x_w, .fclass_s, .fmv_w_x, .feq_s, .flt_s,
                     .fle_s:
                    guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }
                // D
                case .fld:
                    guard loadFloat(p, width: 8) else { break execution }
                case .fsd:
                    guard storeFloat(p, width: 8) else { break execution }
                case .fmadd_d, .fmsub_d, .fnmsub_d, .fnmadd_d, .fdiv_d, .fsqrt_d, .fsgnj_d, .fsgnjn_d, .fsgnjx_d,
                     .fmin_d, .fmax_d, .fcvt_s_d, .fcvt_d_s, .fcvt_w_d, .fcvt_wu_d, .fcvt_l_d, .fcvt_lu_d, .fcvt_d_w,
                     .fcvt_d_wu, .fcvt_d_l, .fcvt_d_lu, .fmv_x_d, .fclass_d, .fmv_d_x, .feq_d, .flt_d, .fle_d:
                    guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }
                case .fadd_d, .fsub_d, .fmul_d:
                    guard floatingPointEnabled, executeDoubleArithmetic(p) else { raiseIllegal(p.pointee); break execution }
                // Zicsr
                case .csrrw, .csrrs, .csrrc, .csrrwi, .csrrsi, .csrrci:
                    if let fault = countingOpsBefore(p, { executeCSR(p) }) { raise(fault, p.pointee); break execution }
                // Privileged
                case .sret:
                    if let fault = supervisorInstructionFault(trappedBy: Hart.TSR, virtualTrap: Hart.hstatusVTSR) {
                        raise(fault, p.pointee); break execution
                    }
                    returnFromSupervisor()
                    nextPC = pc
                case .mret:
                    guard privilege == .machine else { raiseIllegal(p.pointee); break execution }
                    returnFromMachine()
                    nextPC = pc
                case .wfi:
                    // TW traps WFI below M (VTW below HS); U-mode WFI is always illegal here, as on QEMU (§3.1.6.5).
                    if let fault = supervisorInstructionFault(trappedBy: Hart.TW, virtualTrap: Hart.hstatusVTW) {
                        raise(fault, p.pointee); break execution
                    }
                    waitingForInterrupt = true
                    nextEventAt = 0
                case .sfence_vma:
                    if let fault = supervisorInstructionFault(trappedBy: Hart.TVM, virtualTrap: Hart.hstatusVTVM) {
                        raise(fault, p.pointee); break execution
                    }
                    // With V=1 it fences only the VS stage (H spec: sfence.vma in VS-mode).
                    flushTLB(keepingGuestStage: virtualized)
                    nextEventAt = 0
                // H
                case .hfence_vvma:
                    if let fault = hypervisorInstructionFault(.fenceVVMA) { raise(fault, p.pointee); break execution }
                    flushTLB(keepingGuestStage: true)
                    nextEventAt = 0
                case .hfence_gvma:
                    if let fault = hypervisorInstructionFault(.fenceGVMA) { raise(fault, p.pointee); break execution }
                    flushTLB()
                    nextEventAt = 0
                case .hlv_b, .hlv_bu, .hlv_h, .hlv_hu, .hlvx_hu, .hlv_w, .hlv_wu, .hlvx_wu, .hlv_d, .hsv_b, .hsv_h,
                     .hsv_w, .hsv_d:
                    if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
                    guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
                // Superinstructions: each derived from its two ops' descriptions (Superinstructions.swift)
                case .slli_add:
                    let t: UInt64 = x[p.rs1] << (p.imm & 63)
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] &+ t
                    p += 1
                case .srli_add:
                    let t: UInt64 = x[p.rs1] >> (p.imm & 63)
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] &+ t
                    p += 1
                case .slli_xor:
                    let t: UInt64 = x[p.rs1] << (p.imm & 63)
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] ^ t
                    p += 1
                case .slliw_xor:
                    let t: UInt64 = sext32(x[p.rs1] << (p.imm & 31))
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] ^ t
                    p += 1
                case .srliw_xor:
                    let t: UInt64 = sext32(UInt64(UInt32(truncatingIfNeeded: x[p.rs1]) >> UInt32(p.imm & 31)))
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] ^ t
                    p += 1
                case .slli_or:
                    let t: UInt64 = x[p.rs1] << (p.imm & 63)
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] | t
                    p += 1
                case .srliw_or:
                    let t: UInt64 = sext32(UInt64(UInt32(truncatingIfNeeded: x[p.rs1]) >> UInt32(p.imm & 31)))
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] | t
                    p += 1
                case .mul_add:
                    let t: UInt64 = x[p.rs1] &* x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] &+ t
                    p += 1
                case .add_add:
                    let t: UInt64 = x[p.rs1] &+ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] &+ t
                    p += 1
                case .and_xor:
                    let t: UInt64 = x[p.rs1] & x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] ^ t
                    p += 1
                case .sltu_and:
                    let t: UInt64
                    do {
                        let a = x[p.rs1], b = x[p.rs2]
                        t = a < b ? 1 : 0
                    }
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] & t
                    p += 1
                case .addw_add:
                    let t: UInt64 = sext32(x[p.rs1] &+ x[p.rs2])
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] &+ t
                    p += 1
                case .xor_srliw:
                    let t: UInt64 = x[p.rs1] ^ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = sext32(UInt64(UInt32(truncatingIfNeeded: t) >> UInt32(q.imm & 31)))
                    p += 1
                case .xor_slli:
                    let t: UInt64 = x[p.rs1] ^ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = t << (q.imm & 63)
                    p += 1
                case .xor_slliw:
                    let t: UInt64 = x[p.rs1] ^ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = sext32(t << (q.imm & 31))
                    p += 1
                case .xor_andi:
                    let t: UInt64 = x[p.rs1] ^ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = t & q.imm
                    p += 1
                case .andi_slli:
                    let t: UInt64 = x[p.rs1] & p.imm
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = t << (q.imm & 63)
                    p += 1
                case .slli_srli:
                    let t: UInt64 = x[p.rs1] << (p.imm & 63)
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = t >> (q.imm & 63)
                    p += 1
                case .addi_bne:
                    let t: UInt64 = x[p.rs1] &+ p.imm
                    x[p.rd] = t
                    let q = p + 1
                    if t != x[q.rs2] { nextPC = blockPC &+ UInt64(q.pointee.blockOffset) &+ q.imm }
                    p += 2; break execution
                case .addi_beq:
                    let t: UInt64 = x[p.rs1] &+ p.imm
                    x[p.rd] = t
                    let q = p + 1
                    if t == x[q.rs2] { nextPC = blockPC &+ UInt64(q.pointee.blockOffset) &+ q.imm }
                    p += 2; break execution
                case .addiw_bgeu:
                    let t: UInt64 = sext32(x[p.rs1] &+ p.imm)
                    x[p.rd] = t
                    let q = p + 1
                    if t >= x[q.rs2] { nextPC = blockPC &+ UInt64(q.pointee.blockOffset) &+ q.imm }
                    p += 2; break execution
                case .addiw_bltu:
                    let t: UInt64 = sext32(x[p.rs1] &+ p.imm)
                    x[p.rd] = t
                    let q = p + 1
                    if t < x[q.rs2] { nextPC = blockPC &+ UInt64(q.pointee.blockOffset) &+ q.imm }
                    p += 2; break execution
                case .add_then_add:
                    let t: UInt64 = x[p.rs1] &+ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] &+ x[q.rs2]
                    p += 1
                case .addi_then_addi:
                    let t: UInt64 = x[p.rs1] &+ p.imm
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] &+ q.imm
                    p += 1
                case .srliw_then_slli:
                    let t: UInt64 = sext32(UInt64(UInt32(truncatingIfNeeded: x[p.rs1]) >> UInt32(p.imm & 31)))
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] << (q.imm & 63)
                    p += 1
                case .slli_then_srliw:
                    let t: UInt64 = x[p.rs1] << (p.imm & 63)
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = sext32(UInt64(UInt32(truncatingIfNeeded: x[q.rs1]) >> UInt32(q.imm & 31)))
                    p += 1
                case .or_then_slli:
                    let t: UInt64 = x[p.rs1] | x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] << (q.imm & 63)
                    p += 1
                case .xor_then_xor:
                    let t: UInt64 = x[p.rs1] ^ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] ^ x[q.rs2]
                    p += 1
                case .slli_then_or:
                    let t: UInt64 = x[p.rs1] << (p.imm & 63)
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] | x[q.rs2]
                    p += 1
                case .srliw_then_or:
                    let t: UInt64 = sext32(UInt64(UInt32(truncatingIfNeeded: x[p.rs1]) >> UInt32(p.imm & 31)))
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] | x[q.rs2]
                    p += 1
                case .addiw_then_add:
                    let t: UInt64 = sext32(x[p.rs1] &+ p.imm)
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] &+ x[q.rs2]
                    p += 1
                case .add_then_sltu:
                    let t: UInt64 = x[p.rs1] &+ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    do {
                        let a = x[q.rs1], b = x[q.rs2]
                        x[q.rd] = a < b ? 1 : 0
                    }
                    p += 1
                case .sltu_then_sltu:
                    let t: UInt64
                    do {
                        let a = x[p.rs1], b = x[p.rs2]
                        t = a < b ? 1 : 0
                    }
                    x[p.rd] = t
                    let q = p + 1
                    do {
                        let a = x[q.rs1], b = x[q.rs2]
                        x[q.rd] = a < b ? 1 : 0
                    }
                    p += 1
                case .add_then_bltu:
                    let t: UInt64 = x[p.rs1] &+ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    if x[q.rs1] < x[q.rs2] { nextPC = blockPC &+ UInt64(q.pointee.blockOffset) &+ q.imm }
                    p += 2; break execution
                case .add_then_bne:
                    let t: UInt64 = x[p.rs1] &+ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    if x[q.rs1] != x[q.rs2] { nextPC = blockPC &+ UInt64(q.pointee.blockOffset) &+ q.imm }
                    p += 2; break execution
                case .slli_then_slli:
                    let t: UInt64 = x[p.rs1] << (p.imm & 63)
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] << (q.imm & 63)
                    p += 1
                case .addi_then_slli:
                    let t: UInt64 = x[p.rs1] &+ p.imm
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] << (q.imm & 63)
                    p += 1
                case .addi_then_add:
                    let t: UInt64 = x[p.rs1] &+ p.imm
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] &+ x[q.rs2]
                    p += 1
                case .xor_then_add:
                    let t: UInt64 = x[p.rs1] ^ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] &+ x[q.rs2]
                    p += 1
                case .srli_then_slli:
                    let t: UInt64 = x[p.rs1] >> (p.imm & 63)
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] << (q.imm & 63)
                    p += 1
                case .xor_then_and:
                    let t: UInt64 = x[p.rs1] ^ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] & x[q.rs2]
                    p += 1
                case .srliw_then_addi:
                    let t: UInt64 = sext32(UInt64(UInt32(truncatingIfNeeded: x[p.rs1]) >> UInt32(p.imm & 31)))
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] &+ q.imm
                    p += 1
                case .addi_then_xor:
                    let t: UInt64 = x[p.rs1] &+ p.imm
                    x[p.rd] = t
                    let q = p + 1
                    x[q.rd] = x[q.rs1] ^ x[q.rs2]
                    p += 1
                case .xor_then_bne:
                    let t: UInt64 = x[p.rs1] ^ x[p.rs2]
                    x[p.rd] = t
                    let q = p + 1
                    if x[q.rs1] != x[q.rs2] { nextPC = blockPC &+ UInt64(q.pointee.blockOffset) &+ q.imm }
                    p += 2; break execution
                case .addi_then_bne:
                    let t: UInt64 = x[p.rs1] &+ p.imm
                    x[p.rd] = t
                    let q = p + 1
                    if x[q.rs1] != x[q.rs2] { nextPC = blockPC &+ UInt64(q.pointee.blockOffset) &+ q.imm }
                    p += 2; break execution
                case .lw_then_lw:
                    do {
                        guard load(p, Int32.self) else { break execution }
                    }
                    p += 1
                    guard load(p, Int32.self) else { break execution }
                case .lhu_then_lhu:
                    do {
                        guard load(p, UInt16.self) else { break execution }
                    }
                    p += 1
                    guard load(p, UInt16.self) else { break execution }
                case .sw_then_addi:
                    do {
                        guard store(p, UInt32.self) else { break execution }
                    }
                    p += 1
                    x[p.rd] = x[p.rs1] &+ p.imm
                case .sb_then_addi:
                    do {
                        guard store(p, UInt8.self) else { break execution }
                    }
                    p += 1
                    x[p.rd] = x[p.rs1] &+ p.imm
                case .lw_then_srliw:
                    do {
                        guard load(p, Int32.self) else { break execution }
                    }
                    p += 1
                    x[p.rd] = sext32(UInt64(UInt32(truncatingIfNeeded: x[p.rs1]) >> UInt32(p.imm & 31)))
                case .lbu_then_xor:
                    do {
                        guard load(p, UInt8.self) else { break execution }
                    }
                    p += 1
                    x[p.rd] = x[p.rs1] ^ x[p.rs2]
                case .lw_then_add:
                    do {
                        guard load(p, Int32.self) else { break execution }
                    }
                    p += 1
                    x[p.rd] = x[p.rs1] &+ x[p.rs2]
                case .lw_then_slli:
                    do {
                        guard load(p, Int32.self) else { break execution }
                    }
                    p += 1
                    x[p.rd] = x[p.rs1] << (p.imm & 63)
                case .ld_then_addiw:
                    do {
                        guard load(p, UInt64.self) else { break execution }
                    }
                    p += 1
                    x[p.rd] = sext32(x[p.rs1] &+ p.imm)
                case .ld_then_addi:
                    do {
                        guard load(p, UInt64.self) else { break execution }
                    }
                    p += 1
                    x[p.rd] = x[p.rs1] &+ p.imm
                case .add_then_sw:
                    do {
                        x[p.rd] = x[p.rs1] &+ x[p.rs2]
                    }
                    p += 1
                    guard store(p, UInt32.self) else { break execution }
                case .add_then_lw:
                    do {
                        x[p.rd] = x[p.rs1] &+ x[p.rs2]
                    }
                    p += 1
                    guard load(p, Int32.self) else { break execution }
                case .add_then_lwu:
                    do {
                        x[p.rd] = x[p.rs1] &+ x[p.rs2]
                    }
                    p += 1
                    guard load(p, UInt32.self) else { break execution }
                case .sd_then_add:
                    do {
                        guard store(p, UInt64.self) else { break execution }
                    }
                    p += 1
                    x[p.rd] = x[p.rs1] &+ x[p.rs2]
                // END GENERATED: interpreter cases
                }
                p += 1
            } }

            retired = retired &+ UInt64(executed(p))
            if pendingTrapCause != .max {
                let cause = pendingTrapCause
                pendingTrapCause = .max
                if Hart.isExplicitGuestPageFault(cause) && pendingTrapDetail.instruction == 0 {
                    // The first half of a pair carries the pair's op: htinst describes the instruction itself.
                    var faulting = p.pointee
                    if faulting.op.isEngineInternal { faulting.op = Decoder.decode(faulting.raw).op }
                    pendingTrapDetail.instruction = transformedInstruction(faulting, faultAddress: pendingTrapValue)
                }
                takeTrap(cause: cause, tval: pendingTrapValue, epc: blockPC &+ UInt64(p.pointee.blockOffset), interrupt: false)
                return
            }
            if leaveAfterStore {
                // The store retired; continue after it (it may have rewritten this very block).
                retired = retired &+ 1
                pc = blockPC &+ UInt64(p.pointee.blockOffset) &+ p.pointee.length
                return
            }
            let fallsThrough = nextPC == Hart.fallsThrough
            if fallsThrough { nextPC = blockPC &+ UInt64(blockPointer.pointee.byteLength) }
            if retired >= nextEventAt { pc = nextPC; return }
            if nextPC == blockPC { continue } // a loop that is one block: run it again
            // Block chaining: each block remembers its last taken and fall-through successors.
            let chain = fallsThrough ? blockPointer.pointee.fallThrough : blockPointer.pointee.taken
            if chain.pc == nextPC && chain.key == chainKey {
                // SAFETY: a slot whose key matches the current generation was filled below with
                // non-nil pointers to a live block and its ops; a flush bumps the generation.
                blockPointer = chain.block.unsafelyUnwrapped
                ops = chain.ops.unsafelyUnwrapped
                blockPC = nextPC
                continue
            }
            pc = nextPC
            guard let next = lookupBlock() else { return }
            let currentKey = blocks.chainKey(slot: slot)
            let nextBlock = blocks.blocks + Int(next)
            let nextOps = blocks.ops + Int(nextBlock.pointee.firstOp)
            if currentKey == chainKey {
                let link = ChainSlot(pc: nextPC, key: chainKey, block: nextBlock, ops: nextOps)
                if fallsThrough { blockPointer.pointee.fallThrough = link } else { blockPointer.pointee.taken = link }
            }
            chainKey = currentKey
            blockPointer = nextBlock
            ops = nextOps
            blockPC = nextPC
        }
    }

    func raiseIllegal(_ op: Instruction) {
        raise(.illegal, op)
    }

    /// Records an illegal- or virtual-instruction exception for `op` (tval = the instruction bits).
    private func raise(_ fault: PrivilegeFault, _ op: Instruction) {
        pendingTrapCause = fault.cause
        pendingTrapValue = UInt64(op.raw)
    }

    /// A load the TLB could not serve. `executed` instructions of the block have retired, so
    /// devices and counters see the exact count. Nil after recording a fault.
    @inline(never)
    private func loadSlowPath(_ va: UInt64, _ width: UInt64, executed: Int) -> UInt64? {
        retired = retired &+ UInt64(executed)
        defer { retired = retired &- UInt64(executed) }
        do { return try loadSlow(va, width: width) } catch {
            recordAccessFault(error, va: va)
            return nil
        }
    }

    /// A store the TLB could not serve. Returns whether the block must end after it, or nil after a fault.
    @inline(never)
    private func storeSlowPath(_ va: UInt64, _ width: UInt64, _ value: UInt64, executed: Int) -> Bool? {
        // A writable page that holds decoded code (data next to code is common in small
        // programs): a store that misses the code's 64-byte chunks goes straight to RAM.
        let e = tlbEntry(slot: dataSlot, va)
        if e.pointee.writeTag == va & (TLBEntry.pageMask | (width &- 1)) | TLBEntry.codePageMarker {
            // SAFETY: the write tag matched page and alignment, so va's page is mapped to host RAM
            // and the `width`-byte access stays inside it; `tlbEntry` stays inside `tlb`.
            let host = UnsafeMutableRawPointer(bitPattern: UInt(truncatingIfNeeded: va &+ e.pointee.hostOffset)).unsafelyUnwrapped
            let ramOffset = UInt64(UInt(bitPattern: host) &- UInt(bitPattern: memory.bytes))
            if !blocks.writeHitsCode(ramOffset, length: width) {
                switch width {
                case 1: GuestRAM.store(UInt8(truncatingIfNeeded: value), at: host)
                case 2: GuestRAM.store(UInt16(truncatingIfNeeded: value), at: host)
                case 4: GuestRAM.store(UInt32(truncatingIfNeeded: value), at: host)
                default: GuestRAM.store(value, at: host)
                }
                memory.codeWatch?.noteWrite(ramOffset, length: width)
                if reservationAddress == ramOffset &+ memory.base { reservationAddress = .max }
                return false
            }
        }
        retired = retired &+ UInt64(executed)
        defer { retired = retired &- UInt64(executed) }
        do {
            let invalidated = try storeSlow(va, width: width, value: value)
            return invalidated || control.stopPending || nextEventAt == 0
        } catch {
            recordAccessFault(error, va: va)
            return nil
        }
    }

    private func traceInstruction(_ op: Instruction, pc: UInt64) {
        configuration.trace?("\(privilege) \(hex(pc)): \(Disassembler.text(op, pc: pc))")
    }

    // MARK: Out-of-line semantics

    // Out-of-line ops take their op by address: passed by value, the 16-byte op is rebuilt from its
    // bytes in registers at every call (about 20 host instructions), which dominated fadd.d's cost.
    // SAFETY: `p` points into the current block's ops, which stay in place while an op runs.

    /// Executes a CSR instruction (Zicsr, unprivileged spec chapter 9); returns the fault if it may not.
    private func executeCSR(_ p: UnsafeMutablePointer<Instruction>) -> PrivilegeFault? {
        let op = p.pointee
        let number = UInt16(op.imm & 0xfff)
        let immediateForm = op.op == .csrrwi || op.op == .csrrsi || op.op == .csrrci
        let source = immediateForm ? UInt64(op.rs1) : x[Int(op.rs1)]
        // csrrs/csrrc with x0 (or a zero immediate) do not write, so they can read read-only CSRs.
        let writes = op.op == .csrrw || op.op == .csrrwi || op.rs1 != 0
        let readsValue = !(op.op == .csrrw || op.op == .csrrwi) || op.rd != Instruction.discard
        do {
            var old: UInt64 = 0
            if readsValue || !writes {
                old = try readCSR(number)
            }
            if writes {
                // mip.SEIP reads as the software-writable bit ORed with the PLIC's line, but only the
                // software bit takes part in csrrs/csrrc (privileged spec §3.1.9): otherwise OpenSBI's
                // `csrs mip, SSIP` for an IPI, landing while the PLIC line is high, would latch SEIP
                // on for good and the hart would take external interrupts no claim can clear.
                let base = number == CSR.mip ? old & ~Hart.SEIP | m.mipSoftware & Hart.SEIP : old
                try writeCSR(number, Hart.csrWriteValue(op.op, old: base, source: source))
                // The written value is what the next instruction reads: the writing instruction's
                // own increment does not count (privileged spec §3.3.1: a CSR write takes effect
                // after the instruction has otherwise completed, its retirement included).
                if number == CSR.minstret { m.instretOffset &-= 1 }
                if number == CSR.mcycle { m.cycleOffset &-= 1 }
            }
            x[Int(op.rd)] = old
            return nil
        } catch {
            return error
        }
    }

    /// Executes LR/SC and AMOs (unprivileged spec chapter 14). False after recording a fault.
    private func executeAtomic(_ p: UnsafeMutablePointer<Instruction>) -> Bool {
        guard let fault = atomicFault(p.pointee) else { return true }
        pendingTrapCause = fault.cause
        pendingTrapValue = fault.value
        return false
    }

    private func atomicFault(_ op: Instruction) -> (cause: UInt64, value: UInt64)? {
        let rd = Int(op.rd)
        let va = x[Int(op.rs1)]
        let isWord: Bool
        switch op.op {
        case .lr_w, .sc_w, .amoswap_w, .amoadd_w, .amoxor_w, .amoand_w, .amoor_w, .amomin_w, .amomax_w, .amominu_w, .amomaxu_w:
            isWord = true
        default:
            isWord = false
        }
        let width: UInt64 = isWord ? 4 : 8
        let isLoadReserved = op.op == .lr_w || op.op == .lr_d
        // Misaligned atomics trap (QEMU raises the misaligned exception rather than an access fault).
        if va & (width - 1) != 0 {
            return (isLoadReserved ? TrapCause.loadAddressMisaligned : TrapCause.storeAddressMisaligned, va)
        }
        func extend(_ v: UInt64) -> UInt64 { isWord ? UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: v))) : v }
        do {
            if isLoadReserved {
                let pa = try translateData(va, .read, width: width)
                guard let v = bus.read(pa, width: Int(width)) else { return (TrapCause.loadAccessFault, va) }
                reservationAddress = pa
                reservationValue = v
                x[rd] = extend(v)
                return nil
            }
            let pa = try translateData(va, .write, width: width)
            guard memory.contains(pa, length: width) else { return (TrapCause.storeAccessFault, va) }
            if op.op == .sc_w || op.op == .sc_d {
                // LR/SC across harts: SC is one compare-and-swap against the value LR loaded, and
                // succeeds while this hart's reservation holds and memory still holds that value.
                // As on QEMU, a value another hart changed and changed back (ABA) still succeeds;
                // the A extension allows it, since the reservation set is only a hint of conflicts.
                let success = reservationAddress == pa
                    && memory.compareAndSwap(pa, width: Int(width), expected: reservationValue, desired: x[Int(op.rs2)])
                reservationAddress = .max
                if success { noteWrite(physical: pa, width: width) }
                x[rd] = success ? 0 : 1
                return nil
            }
            // An AMO is a compare-and-swap loop, so it is atomic against every other hart's AMO,
            // SC and store (compiled code's stores included: they are plain host stores).
            let src = x[Int(op.rs2)]
            var current: UInt64
            repeat {
                current = memory.load(pa, width: Int(width))!
                let a = extend(current), b = extend(src)
                let result: UInt64
                switch op.op {
                case .amoswap_w, .amoswap_d: result = src
                case .amoadd_w, .amoadd_d: result = current &+ src
                case .amoxor_w, .amoxor_d: result = current ^ src
                case .amoand_w, .amoand_d: result = current & src
                case .amoor_w, .amoor_d: result = current | src
                case .amomin_w, .amomin_d: result = Int64(bitPattern: a) < Int64(bitPattern: b) ? current : src
                case .amomax_w, .amomax_d: result = Int64(bitPattern: a) > Int64(bitPattern: b) ? current : src
                case .amominu_w: result = UInt32(truncatingIfNeeded: current) < UInt32(truncatingIfNeeded: src) ? current : src
                case .amomaxu_w: result = UInt32(truncatingIfNeeded: current) > UInt32(truncatingIfNeeded: src) ? current : src
                case .amominu_d: result = current < src ? current : src
                default: result = current > src ? current : src
                }
                if memory.compareAndSwap(pa, width: Int(width), expected: current, desired: result) { break }
            } while true
            noteWrite(physical: pa, width: width)
            if reservationAddress == pa { reservationAddress = .max }
            x[rd] = extend(current)
            return nil
        } catch {
            noteGuestFault(error)
            return (error.cause, va)
        }
    }

    /// The rounding mode for an op's rm field: dynamic (7) reads frm; 5, 6 and a bad frm are illegal.
    @inline(__always)
    private func roundingMode(_ rm: Int32) -> UInt8? {
        let mode = rm == 7 ? UInt8(frm) : UInt8(rm)
        return mode <= 4 ? mode : nil
    }

    /// fadd.d, fsub.d and fmul.d, the bulk of double-precision code: round-to-nearest-even on
    /// moderate operands (FloatingPoint's fast path, which leaves NaNs, infinities and extreme
    /// magnitudes to the exact path) without `executeFloatingPoint`'s general dispatch; anything
    /// else goes there. False means illegal.
    private func executeDoubleArithmetic(_ p: UnsafeMutablePointer<Instruction>) -> Bool {
        let op = p.pointee
        let rm = op.imm == 7 ? frm : UInt64(UInt32(bitPattern: op.imm))
        guard rm == UInt64(FloatingPoint.RoundingMode.nearestEven) else { return executeFloatingPoint(p) }
        let operation: FloatingPoint.Operation = op.op == .fadd_d ? .add : op.op == .fsub_d ? .subtract : .multiply
        var flags: UInt8 = 0
        guard let r = FloatingPoint.nearestEvenFast64(operation, Double(bitPattern: f[Int(op.rs1)]),
                                                      Double(bitPattern: f[Int(op.rs2)]), 0, flags: &flags)
        else { return executeFloatingPoint(p) }
        f[Int(op.rd)] = r
        fflags |= UInt64(flags)
        markFloatingPointDirty()
        return true
    }

    /// Executes an F or D instruction other than loads and stores. False means illegal.
    private func executeFloatingPoint(_ p: UnsafeMutablePointer<Instruction>) -> Bool {
        let op = p.pointee
        let rd = Int(op.rd), a = f[Int(op.rs1)], b = f[Int(op.rs2)], c = f[Int(op.rs3)]
        let xa = x[Int(op.rs1)]
        var flags: UInt8 = 0
        typealias FP = FloatingPoint
        // Ops with an rm field.
        switch op.op {
        case .fadd_s, .fsub_s, .fmul_s, .fdiv_s, .fsqrt_s, .fmadd_s, .fmsub_s, .fnmsub_s, .fnmadd_s,
             .fadd_d, .fsub_d, .fmul_d, .fdiv_d, .fsqrt_d, .fmadd_d, .fmsub_d, .fnmsub_d, .fnmadd_d,
             .fcvt_w_s, .fcvt_wu_s, .fcvt_l_s, .fcvt_lu_s, .fcvt_s_w, .fcvt_s_wu, .fcvt_s_l, .fcvt_s_lu,
             .fcvt_w_d, .fcvt_wu_d, .fcvt_l_d, .fcvt_lu_d, .fcvt_d_w, .fcvt_d_wu, .fcvt_d_l, .fcvt_d_lu,
             .fcvt_s_d, .fcvt_d_s:
            guard let rm = roundingMode(op.imm) else { return false }
            switch op.op {
            case .fadd_s: f[rd] = FP.add32(a, b, rm: rm, flags: &flags)
            case .fsub_s: f[rd] = FP.sub32(a, b, rm: rm, flags: &flags)
            case .fmul_s: f[rd] = FP.mul32(a, b, rm: rm, flags: &flags)
            case .fdiv_s: f[rd] = FP.div32(a, b, rm: rm, flags: &flags)
            case .fsqrt_s: f[rd] = FP.sqrt32(a, rm: rm, flags: &flags)
            case .fmadd_s: f[rd] = FP.fmadd32(a, b, c, rm: rm, flags: &flags)
            case .fmsub_s: f[rd] = FP.fmsub32(a, b, c, rm: rm, flags: &flags)
            case .fnmsub_s: f[rd] = FP.fnmsub32(a, b, c, rm: rm, flags: &flags)
            case .fnmadd_s: f[rd] = FP.fnmadd32(a, b, c, rm: rm, flags: &flags)
            case .fadd_d: f[rd] = FP.add64(a, b, rm: rm, flags: &flags)
            case .fsub_d: f[rd] = FP.sub64(a, b, rm: rm, flags: &flags)
            case .fmul_d: f[rd] = FP.mul64(a, b, rm: rm, flags: &flags)
            case .fdiv_d: f[rd] = FP.div64(a, b, rm: rm, flags: &flags)
            case .fsqrt_d: f[rd] = FP.sqrt64(a, rm: rm, flags: &flags)
            case .fmadd_d: f[rd] = FP.fmadd64(a, b, c, rm: rm, flags: &flags)
            case .fmsub_d: f[rd] = FP.fmsub64(a, b, c, rm: rm, flags: &flags)
            case .fnmsub_d: f[rd] = FP.fnmsub64(a, b, c, rm: rm, flags: &flags)
            case .fnmadd_d: f[rd] = FP.fnmadd64(a, b, c, rm: rm, flags: &flags)
            case .fcvt_w_s: x[rd] = FP.cvtWFrom32(a, rm: rm, flags: &flags)
            case .fcvt_wu_s: x[rd] = FP.cvtWUFrom32(a, rm: rm, flags: &flags)
            case .fcvt_l_s: x[rd] = FP.cvtLFrom32(a, rm: rm, flags: &flags)
            case .fcvt_lu_s: x[rd] = FP.cvtLUFrom32(a, rm: rm, flags: &flags)
            case .fcvt_w_d: x[rd] = FP.cvtWFrom64(a, rm: rm, flags: &flags)
            case .fcvt_wu_d: x[rd] = FP.cvtWUFrom64(a, rm: rm, flags: &flags)
            case .fcvt_l_d: x[rd] = FP.cvtLFrom64(a, rm: rm, flags: &flags)
            case .fcvt_lu_d: x[rd] = FP.cvtLUFrom64(a, rm: rm, flags: &flags)
            case .fcvt_s_w: f[rd] = FP.cvt32FromW(xa, rm: rm, flags: &flags)
            case .fcvt_s_wu: f[rd] = FP.cvt32FromWU(xa, rm: rm, flags: &flags)
            case .fcvt_s_l: f[rd] = FP.cvt32FromL(xa, rm: rm, flags: &flags)
            case .fcvt_s_lu: f[rd] = FP.cvt32FromLU(xa, rm: rm, flags: &flags)
            case .fcvt_d_w: f[rd] = FP.cvt64FromW(xa, rm: rm, flags: &flags)
            case .fcvt_d_wu: f[rd] = FP.cvt64FromWU(xa, rm: rm, flags: &flags)
            case .fcvt_d_l: f[rd] = FP.cvt64FromL(xa, rm: rm, flags: &flags)
            case .fcvt_d_lu: f[rd] = FP.cvt64FromLU(xa, rm: rm, flags: &flags)
            case .fcvt_s_d: f[rd] = FP.cvt32From64(a, rm: rm, flags: &flags)
            default: f[rd] = FP.cvt64From32(a, rm: rm, flags: &flags)
            }
        case .fsgnj_s: f[rd] = FP.sgnj32(a, b)
        case .fsgnjn_s: f[rd] = FP.sgnjn32(a, b)
        case .fsgnjx_s: f[rd] = FP.sgnjx32(a, b)
        case .fmin_s: f[rd] = FP.min32(a, b, flags: &flags)
        case .fmax_s: f[rd] = FP.max32(a, b, flags: &flags)
        case .feq_s: x[rd] = FP.eq32(a, b, flags: &flags)
        case .flt_s: x[rd] = FP.lt32(a, b, flags: &flags)
        case .fle_s: x[rd] = FP.le32(a, b, flags: &flags)
        case .fclass_s: x[rd] = FP.classify32(a)
        case .fmv_x_w: x[rd] = FP.moveXFromW(a)
        case .fmv_w_x: f[rd] = FP.moveWFromX(xa)
        case .fsgnj_d: f[rd] = FP.sgnj64(a, b)
        case .fsgnjn_d: f[rd] = FP.sgnjn64(a, b)
        case .fsgnjx_d: f[rd] = FP.sgnjx64(a, b)
        case .fmin_d: f[rd] = FP.min64(a, b, flags: &flags)
        case .fmax_d: f[rd] = FP.max64(a, b, flags: &flags)
        case .feq_d: x[rd] = FP.eq64(a, b, flags: &flags)
        case .flt_d: x[rd] = FP.lt64(a, b, flags: &flags)
        case .fle_d: x[rd] = FP.le64(a, b, flags: &flags)
        case .fclass_d: x[rd] = FP.classify64(a)
        case .fmv_x_d: x[rd] = a
        case .fmv_d_x: f[rd] = xa
        default: return false
        }
        fflags |= UInt64(flags)
        markFloatingPointDirty()
        return true
    }
}

/// Sixteen lowercase hex digits, for traces (Machine does not use Foundation).
func hex(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, 16 - s.count)) + s
}

/// An op's operand fields as the interpreter indexes them.
extension UnsafeMutablePointer where Pointee == Instruction {
    @inline(__always) var rd: Int { Int(pointee.rd) }
    @inline(__always) var rs1: Int { Int(pointee.rs1) }
    @inline(__always) var rs2: Int { Int(pointee.rs2) }
    /// The immediate, sign-extended to 64 bits.
    @inline(__always) var imm: UInt64 { UInt64(bitPattern: Int64(pointee.imm)) }
}
