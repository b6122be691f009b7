#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RISCV

/// Privilege levels (privileged spec §1.2). The raw values are the encodings used in MPP/SPP.
public enum Privilege: UInt8, Sendable, CustomStringConvertible {
    case user = 0, supervisor = 1, machine = 3
    public var description: String { ["U", "S", "?", "M"][Int(rawValue)] }
}

/// What the hart supports; fixed when it is created.
public struct HartConfiguration {
    /// The H extension (hypervisor, version 1.0): V mode, two-stage translation, the hypervisor
    /// CSRs and instructions (`-cpu rv64,h=on`).
    public var hypervisor = false
    /// Called with one line per executed instruction and per trap when tracing.
    public var trace: ((String) -> Void)?
    /// Called with one line per trap when `trace` is nil (QEMU's `-d int` without `in_asm`):
    /// unlike `trace` it leaves blocks and the compiler as they are.
    public var trapTrace: ((String) -> Void)?
    /// The Swift hypervisor owns HS-mode (and M-mode): a trap from a guest that hedeleg/hideleg
    /// do not hand to VS-mode makes `run` return `.guestExit` with the hart left as it was at the
    /// trap, instead of entering a trap vector (KVM_RUN returning to its caller).
    public var hostOwnsSupervisor = false
    /// Compile decoded blocks to host code (BlockCompiler.swift) on x86-64 hosts; false keeps
    /// every block in the dispatch loop (`virtbench run --engine interpreter`). The default is
    /// true unless the environment sets VIRTBENCH_ENGINE=interpreter, so a whole test run can
    /// check the interpreter alone.
    public var compileBlocks = HartConfiguration.compileBlocksByDefault
    /// How many times a block runs in the dispatch loop before it is compiled (0: at its first
    /// run). Most of what a kernel runs at boot runs only a few times, and each hart compiles
    /// what it runs: compiling everything on first sight spent about a quarter of Debian's
    /// Linux boot in the compiler (113,000 blocks at about 10 µs each), against 24,000 blocks
    /// with a threshold of 32 and the boot 12% faster (farm-bench, -smp 1). Tests of the
    /// compiler itself use 0, so that short programs exercise it.
    public var compileThreshold = HartConfiguration.defaultCompileThreshold
    public static let defaultCompileThreshold: UInt32 = 32
    /// Traps in a row without an instruction retiring after which `run` returns `.noProgress`
    /// (ProgressGuard.swift).
    public var noProgressTrapLimit = HartConfiguration.defaultNoProgressTrapLimit
    public static var compileBlocksByDefault: Bool {
        getenv("VIRTBENCH_ENGINE").map { String(cString: $0) } != "interpreter"
    }
    public init(hypervisor: Bool = false, hostOwnsSupervisor: Bool = false, trace: ((String) -> Void)? = nil) {
        self.hypervisor = hypervisor
        self.hostOwnsSupervisor = hostOwnsSupervisor
        self.trace = trace
    }
}

/// Why `Hart.run` returned.
public enum HartExit: Equatable, Sendable {
    /// The platform asked to stop (power off, failure, reset, user quit): see `MachineControl`.
    case stopped
    /// The instruction limit given to `run` was reached.
    case limitReached
    /// The hart is in WFI and nothing it knows of (no timer deadline) can wake it; the caller
    /// may feed input and call `run` again.
    case waitingForInterrupt
    /// With `hostOwnsSupervisor`: a guest trap the host must handle; see `Hart.guestExit`.
    case guestExit
    /// `HartConfiguration.noProgressTrapLimit` traps in a row retired nothing: the hart is stuck
    /// in a trap loop; `Hart.lastTrap` says where (ProgressGuard.swift).
    case noProgress
}

/// What a guest did that made the hart return to its host (`HartExit.guestExit`): the trap
/// as HS-mode would have seen it in scause, stval, htval and htinst.
public struct GuestExit: Sendable, Equatable {
    /// Exception or interrupt code (no interrupt flag).
    public var cause: UInt64
    public var interrupt: Bool
    /// stval: the faulting guest virtual address or instruction bits.
    public var value: UInt64
    /// htval: the faulting guest physical address shifted right by 2 (guest-page faults).
    public var guestPhysicalAddressShifted: UInt64
    /// htinst: the transformed instruction, a pseudoinstruction, or 0.
    public var instruction: UInt64
    /// The guest's pc at the trap (the trapping instruction, or the next one to run for an interrupt).
    public var pc: UInt64
    /// The guest's privilege at the trap: VS (.supervisor) or VU (.user).
    public var privilege: Privilege

    /// The full guest physical address of a guest-page fault: htval's upper bits and the page
    /// offset's low two bits from the guest virtual address, as the H spec suggests.
    public var guestPhysicalAddress: UInt64 { guestPhysicalAddressShifted << 2 | (value & 3) }
}

/// Exact event counts a run records (ARCHITECTURE.md, "Metrics every run records").
public struct HartCounters: Sendable {
    /// Instructions retired at each privilege level: index Privilege.rawValue with V=0 (U, S, M),
    /// plus 4 with V=1 (4 = VU, 5 = VS).
    public var retiredByPrivilege = [UInt64](repeating: 0, count: 8)
    /// Exceptions taken, by cause code.
    public var exceptions = [UInt64](repeating: 0, count: 64)
    /// Interrupts taken, by interrupt number.
    public var interrupts = [UInt64](repeating: 0, count: 64)
    /// Traps taken into M-mode and into S-mode.
    public var trapsToMachine: UInt64 = 0
    public var trapsToSupervisor: UInt64 = 0
    /// Traps taken straight into VS-mode (delegated by hedeleg/hideleg, no hypervisor involved).
    public var trapsToVirtualSupervisor: UInt64 = 0
    /// Traps that went to the Swift host instead (`HartConfiguration.hostOwnsSupervisor`).
    public var guestExits: UInt64 = 0
    /// Total traps taken, whatever their target.
    public var traps: UInt64 { trapsToMachine &+ trapsToSupervisor &+ trapsToVirtualSupervisor &+ guestExits }
    /// G-stage (guest-physical to host-physical) walks and their PTE reads, counted apart from
    /// the stage-1 walks above.
    public var guestPageWalks: UInt64 = 0
    public var guestPageWalkSteps: UInt64 = 0
    /// Page-table walks and the PTE reads they made.
    public var pageWalks: UInt64 = 0
    public var pageWalkSteps: UInt64 = 0
    /// Software TLB misses (data and fetch) and full flushes.
    public var tlbMisses: UInt64 = 0
    public var tlbFlushes: UInt64 = 0
    /// Blocks decoded, block lookups served by the jump cache (transitions along chained blocks
    /// are not counted: counting them would cost every block), and invalidations by code writes.
    public var blocksDecoded: UInt64 = 0
    /// Of those, blocks compiled to host code.
    public var blocksCompiled: UInt64 = 0
    /// Times compiled code stopped before its block's end (a TLB miss, a store near code, an op it
    /// does not compile) and the dispatch loop ran the rest.
    public var compiledBlockStops: UInt64 = 0
    /// Calls from the dispatch loop into compiled code (each may run a whole chain of blocks).
    public var compiledEntries: UInt64 = 0
    public var blockCacheHits: UInt64 = 0
    public var blockCacheMisses: UInt64 = 0
    public var codeInvalidations: UInt64 = 0
    public var mmioAccesses: UInt64 = 0
    public var wfiSleeps: UInt64 = 0
    public init() {}
}

/// One RISC-V hart: RV64IMAFDC with Zicsr, Zifencei, the counters, Sstc and the M/S/U
/// privileged architecture, with the H extension when configured.
///
/// The hart in parts, one file each (stored properties must live in this class body, so the
/// state of every part is declared here, under its part's MARK):
/// - architectural state (x, f, pc, privilege, V, reset): Hart.swift;
/// - CSR file (the M-level storage, `MachineCSRs`, and the read/write rules): Hart+CSRFile.swift,
///   with the S-level rules in SupervisorCSRs.swift and the H CSRs, hypervisor instructions and
///   guest faults in Hart+HypervisorExtension.swift;
/// - traps and interrupts (mip, takeTrap, mret/sret, VS trap entry): Hart+Traps.swift;
/// - translation (translation contexts, software TLBs, walks through PageTableWalker.swift, PMP,
///   the load/store slow paths): Hart+Translation.swift, with TouchedEntries.swift;
/// - execution (run, the dispatch loop, block lookup, events, WFI and device polls): Hart+Execution.swift,
///   with BlockCache.swift, BlockCompiler.swift (the code cache), Timebase.swift and
///   ProgressGuard.swift;
/// - the host hypervisor's narrow interface (every entry point Sources/Hypervisor calls):
///   Hart+HostInterface.swift.
public final class Hart {
    // MARK: Platform
    public let hartID: UInt64
    public let bus: Bus
    public let memory: PhysicalMemory
    public let interrupts: InterruptLines
    public let timebase: Timebase
    public let control: MachineControl
    public let configuration: HartConfiguration

    // MARK: Architectural state
    /// x0…x31 plus the discard slot (index 32) that decoded writes to x0 target, then the slots
    /// compiled code shares with the dispatch loop (`CompiledRun`) and the loop's `BlockFrame`.
    /// SAFETY: allocated in `init` with `CompiledRun.registerFileSlots` (42) slots and freed in
    /// `deinit`; decoded register numbers are 5-bit fields (0…31) or the discard slot 32.
    @usableFromInline let x: UnsafeMutablePointer<UInt64>
    /// f0…f31 as raw bits (singles NaN-boxed).
    /// SAFETY: 32 slots, allocated in `init` and freed in `deinit`; indices are 5-bit fields.
    let f: UnsafeMutablePointer<UInt64>
    public var pc: UInt64 = 0
    public internal(set) var privilege: Privilege = .machine
    /// V (H extension): the hart runs a guest in VS-mode (privilege S) or VU-mode (privilege U).
    public internal(set) var virtualized = false
    /// The H extension's CSRs (Hart+HypervisorExtension.swift).
    var h = HypervisorState()
    /// htval/htinst/GVA for the trap the current instruction raises.
    var pendingTrapDetail = TrapDetail()
    /// The guest trap `run` reports with `.guestExit` (hostOwnsSupervisor only).
    public internal(set) var guestExit: GuestExit?
    /// Set by a trap that goes to the host; `run` returns at the next check.
    var guestExitPending = false

    // MARK: CSR file (Hart+CSRFile.swift)
    /// The M-level CSRs' storage (`MachineCSRs`), as `h` holds the H extension's.
    var m: MachineCSRs
    /// The S-level CSRs that are plain registers (stvec, sepc, satp, …) under the rules every
    /// supervisor shares (SupervisorCSRs.swift); sstatus, sie and sip are views of mstatus, mie
    /// and mip.
    var supervisorCSRs = SupervisorCSRs()
    var satp: UInt64 {
        get { supervisorCSRs.addressTranslation }
        set { supervisorCSRs.addressTranslation = newValue }
    }
    var stimecmp: UInt64 {
        get { supervisorCSRs.timerCompare }
        set { supervisorCSRs.timerCompare = newValue }
    }
    var scounteren: UInt64 { supervisorCSRs.counterEnable }
    /// fflags (bits 4:0) and frm (bits 7:5) of fcsr.
    var fflags: UInt64 = 0, frm: UInt64 = 0
    /// PMP (privileged spec §3.7): 16 entries as QEMU's virt CPU has.
    var pmpcfg = [UInt8](repeating: 0, count: 16)
    var pmpaddr = [UInt64](repeating: 0, count: 16)
    /// The entries that are not OFF, in priority order, with their ranges worked out: what
    /// `pmpAllows` walks on every TLB fill and page-table read (`rebuildPMPRegions`).
    var pmpRegions: [PMPRegion] = []
    /// LR/SC reservation: physical address and the value loaded, or nil.
    var reservationAddress: UInt64 = .max
    var reservationValue: UInt64 = 0
    /// Other harts run on other host threads over the same RAM (the bus is shared): FENCE needs a
    /// host fence and FENCE.I must drop the decoded code that other harts rewrote (see those instructions).
    let sharesMemory: Bool
    /// Virtual time with other harts taking turns: WFI returns `.waitingForInterrupt` rather than
    /// moving the clock (HartScheduler moves it when every hart waits).
    var yieldsInWaitForInterrupt = false
    /// FENCE.I ran with other harts about: drop every decoded block at the next block boundary.
    var decodedCodeFlushPending = false
    /// The last CodeWatch epoch this hart acknowledged (CodeWatch.swift).
    var seenCodeWatchEpoch: UInt64 = 0
    /// Set while the hart is stopped in WFI.
    public internal(set) var waitingForInterrupt = false
    /// The host thread the hart last ran on (a Linux thread id), for the monitor's `info cpus`;
    /// whoever runs the hart records it (`recordHostThread`).
    public internal(set) var hostThreadID: Int64 = 0

    // MARK: Execution bookkeeping (Hart+Execution.swift)
    /// Instructions retired since reset (the source of minstret, mcycle and virtual time).
    public internal(set) var retired: UInt64 = 0
    /// Event counts as they accumulate; `counters` adds the open privilege interval.
    var eventCounters = HartCounters()
    /// Traps in a row that retired nothing (ProgressGuard.swift).
    var progress = ProgressGuard()
    /// In virtual time with several harts: the instructions the other harts retired before this
    /// hart's current turn (see `publishRetired`); 0 on a one-hart board.
    public var retiredByOtherHarts: UInt64 = 0
    /// `retired` when the hart last changed privilege: instructions since then belong to `privilege`.
    var privilegeMark: UInt64 = 0

    /// Exact event counts so far.
    public var counters: HartCounters {
        var c = eventCounters
        c.retiredByPrivilege[privilegeIndex] &+= retired &- privilegeMark
        return c
    }

    /// Charges the instructions since the last privilege change to the current privilege.
    /// Called before every privilege change so counting costs nothing per block.
    @inline(__always)
    func closePrivilegeInterval() {
        eventCounters.retiredByPrivilege[privilegeIndex] &+= retired &- privilegeMark
        privilegeMark = retired
    }

    /// The slot of `HartCounters.retiredByPrivilege` for the current privilege and V.
    var privilegeIndex: Int { Int(privilege.rawValue) + (virtualized ? 4 : 0) }
    /// When `retired` reaches this, the engine leaves its fast loop to poll devices, look at
    /// interrupts and the run limit. Set to 0 to force a check at the next block boundary.
    var nextEventAt: UInt64 = 0
    var runLimitAt: UInt64 = .max
    /// Traps taken before the current `run` call, so the limit can count trap entries too.
    var trapsAtRunStart: UInt64 = 0
    var nextDevicePollAt: UInt64 = 0
    /// The exception an out-of-line slow path raised for the current instruction (.max = none).
    var pendingTrapCause: UInt64 = .max
    var pendingTrapValue: UInt64 = 0
    /// 1 while tracing so every instruction is its own block and is traced once; 64 otherwise.
    /// A debugger sets 1 too, for breakpoints, watchpoints and single steps (Hart+Debug.swift).
    var maximumBlockLength: Int
    /// The earliest mtime a device asked to be polled at.
    var devicesDeadline: UInt64 = .max

    // MARK: Translation (Hart+Translation.swift) and the decoded-block cache (Hart+Execution.swift)
    /// SAFETY: `TranslationSlots.count * TLBEntry.entriesPerContext` entries, allocated in
    /// `init` and freed in `deinit`; `tlbEntry` masks every index into its slot's range.
    let tlb: UnsafeMutablePointer<TLBEntry>
    /// The TLB entries filled since the last flush, so a flush clears only those.
    let tlbTouched = TouchedEntries(contexts: TranslationSlots.count)
    /// SAFETY: `GuestStageMemoEntry.count` entries, allocated in `init` and freed in `deinit`;
    /// `guestStageMemoEntry` masks every index into range.
    let guestStageMemo: UnsafeMutablePointer<GuestStageMemoEntry>
    /// The memo entries made since the last G-stage flush carry this; a flush bumps it.
    var guestStageGeneration: UInt64 = 1
    var dataContext = TranslationContext.machine
    var fetchContext = TranslationContext.machine
    /// The slots (`TranslationSlots`) of `dataContext` and `fetchContext`, and U-mode's.
    var dataSlot = TranslationContext.machine.rawValue
    var fetchSlot = TranslationContext.machine.rawValue
    var userSlot = TranslationContext.user.rawValue
    /// The satp whose translations each U-mode bank holds (.max: none yet), and when each was last chosen.
    var userBankATP = [UInt64](repeating: .max, count: TranslationSlots.userBanks)
    var userBankLastUse = [UInt64](repeating: 0, count: TranslationSlots.userBanks)
    var userBankClock: UInt64 = 0
    var blocks: BlockCache

    // MARK: Debugger (Hart+Debug.swift)
    /// Breakpoints, watchpoints and the last debugger stop; nil (no cost) without a debugger.
    var debugger: HartDebugger?

    public init(hartID: UInt64 = 0, bus: Bus, interrupts: InterruptLines, timebase: Timebase,
                control: MachineControl, configuration: HartConfiguration = .init()) {
        self.hartID = hartID
        self.bus = bus
        self.memory = bus.ram
        sharesMemory = bus.isShared
        self.interrupts = interrupts
        self.timebase = timebase
        self.control = control
        self.configuration = configuration
        maximumBlockLength = configuration.trace == nil ? BlockCache.maximumLength : 1
        // SAFETY: the sizes the declarations of `x`, `f`, `tlb` and `guestStageMemo` state; each is fully
        // initialised right after its allocation, and freed in `deinit`.
        x = .allocate(capacity: CompiledRun.registerFileSlots)
        x.initialize(repeating: 0, count: CompiledRun.registerFileSlots)
        f = .allocate(capacity: 32)
        f.initialize(repeating: 0, count: 32)
        // misa: MXL=64 and the letters A C D F I M S U (§3.1.1).
        var letters: UInt64 = 0
        for c in "ACDFIMSU".unicodeScalars { letters |= 1 << UInt64(c.value - 65) }
        if configuration.hypervisor { letters |= 1 << UInt64(Character("H").asciiValue! - 65) }
        m = MachineCSRs(misa: 2 << 62 | letters, mideleg: configuration.hypervisor ? Hart.hypervisorForcedDelegation : 0)
        // SAFETY: as for `x` and `f` above.
        tlb = .allocate(capacity: TranslationSlots.count * TLBEntry.entriesPerContext)
        tlb.initialize(repeating: TLBEntry.empty, count: TranslationSlots.count * TLBEntry.entriesPerContext)
        guestStageMemo = .allocate(capacity: GuestStageMemoEntry.count)
        guestStageMemo.initialize(repeating: GuestStageMemoEntry.empty, count: GuestStageMemoEntry.count)
        blocks = BlockCache(ramSize: bus.ram.size, compileBlocks: configuration.compileBlocks && configuration.trace == nil,
                            codeWatch: bus.ram.codeWatch)
        flushTLB()
        updateTranslationContexts()
    }

    deinit {
        // SAFETY: the allocations made in `init`, freed once; nothing can run on the hart any more.
        x.deallocate()
        f.deallocate()
        tlb.deallocate()
        guestStageMemo.deallocate()
        tlbTouched.release()
        blocks.release()
    }

    /// Architectural reset (privileged spec §3.4): M-mode, MIE and MPRV clear, pc at `resetVector`.
    public func reset(pc resetVector: UInt64) {
        // SAFETY: x0…x31 and the discard slot (33 of `x`'s 39 slots) and all 32 of `f`'s.
        x.update(repeating: 0, count: 33)
        f.update(repeating: 0, count: 32)
        pc = resetVector
        closePrivilegeInterval()
        privilege = .machine
        virtualized = false
        h = HypervisorState()
        pendingTrapDetail = TrapDetail()
        m.mstatus = 0
        m.mie = 0; m.mipSoftware = 0; m.medeleg = 0; m.mideleg = forcedDelegation
        satp = 0; m.menvcfg = 0; stimecmp = .max
        for i in 0..<16 { pmpcfg[i] = 0; pmpaddr[i] = 0 }
        rebuildPMPRegions()
        reservationAddress = .max
        waitingForInterrupt = false
        flushTLB()
        blocks.flushAll()
        updateTranslationContexts()
        nextEventAt = 0
    }
}

extension Hart {
    /// Notes the calling thread as the one that runs this hart (`hostThreadID`).
    public func recordHostThread() {
        #if os(Linux)
        // gettid(2) is not imported into Swift; /proc/thread-self links to "PID/task/TID".
        var link = [CChar](repeating: 0, count: 64)
        let length = readlink("/proc/thread-self", &link, link.count - 1)
        let text = length > 0 ? String(decoding: link[0 ..< length].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        hostThreadID = text.split(separator: "/").last.flatMap { Int64($0) } ?? 0
        #else
        var id: UInt64 = 0
        pthread_threadid_np(nil, &id)
        hostThreadID = Int64(bitPattern: id)
        #endif
    }
}
