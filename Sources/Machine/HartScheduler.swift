#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Runs the harts of a multi-hart board (`-smp N`).
///
/// - Real time: each hart on its own host thread, as QEMU's multi-threaded TCG runs vCPUs. They
///   share guest RAM through relaxed atomics (PhysicalMemory.swift, GuestRAM), devices through
///   the bus's one device lock, and interrupt wires through atomics that wake a hart sleeping in
///   WFI. Each hart keeps its own TLBs and decoded-code caches: RISC-V makes a hart see another's
///   code only after its own FENCE.I (which then drops the decoded code whose bytes changed), and another's page-table
///   changes only after its own SFENCE.VMA, which is what OpenSBI's remote fences make it run.
/// - Virtual time (`--icount`): the harts take turns of `turnLength` instructions on the calling
///   thread, hart 0 first, so two runs retire the same instructions in the same order and give
///   the same counts and output. The clock counts every hart's instructions; a hart in WFI gives
///   up its turn, and only when every hart waits does time jump to the earliest deadline.
public final class HartScheduler {
    /// Instructions per turn in virtual time: short enough that a spinning hart does not hold up
    /// the one it waits for for long, long enough that switching costs nothing measurable.
    public static let turnLength: UInt64 = 10_000
    /// Instructions a hart thread runs between looks at the shared instruction budget.
    static let budgetCheckInterval: UInt64 = 1 << 20

    public let harts: [Hart]
    let control: MachineControl

    /// Why `run` returned, and which hart it concerns.
    public enum Exit: Equatable, Sendable {
        /// The platform asked to stop (`MachineControl.stopRequest` says why).
        case stopped
        /// The harts together retired the instruction budget.
        case limitReached
        /// Every hart waits for an interrupt nothing scheduled can raise.
        case waitingForInterrupt
        /// This hart is stuck taking trap after trap (`Hart.noProgressReport`).
        case noProgress(hart: Int)
        /// This hart left for a host hypervisor, which a board's harts do not have.
        case guestExit(hart: Int)
    }

    public init(harts: [Hart], control: MachineControl) {
        precondition(!harts.isEmpty)
        self.harts = harts
        self.control = control
    }

    /// Instructions all harts retired since reset.
    public var retired: UInt64 { harts.reduce(0) { $0 &+ $1.retired } }

    /// Runs the harts until the platform stops them, `instructionLimit` instructions retire
    /// between them, or none can go on.
    public func run(instructionLimit: UInt64 = .max) -> Exit {
        if case .virtual = harts[0].timebase.mode { return runInTurns(instructionLimit: instructionLimit) }
        return runInParallel(instructionLimit: instructionLimit)
    }

    // MARK: Virtual time: turns on one thread

    private func runInTurns(instructionLimit: UInt64) -> Exit {
        for hart in harts { hart.yieldsInWaitForInterrupt = true; hart.recordHostThread() }
        defer { for hart in harts { hart.yieldsInWaitForInterrupt = false } }
        let start = retired
        while true {
            var allWaiting = true
            for (index, hart) in harts.enumerated() {
                let done = retired &- start
                if done >= instructionLimit { return .limitReached }
                hart.retiredByOtherHarts = retired &- hart.retired
                let before = hart.retired
                let exit = hart.run(instructionLimit: min(Self.turnLength, instructionLimit - done))
                if hart.retired != before { allWaiting = false }
                switch exit {
                case .stopped: return .stopped
                case .noProgress: return .noProgress(hart: index)
                case .guestExit: return .guestExit(hart: index)
                case .waitingForInterrupt, .limitReached: continue
                }
            }
            if allWaiting {
                // Nobody ran: jump the clock to the earliest deadline, as one hart's WFI does.
                let timebase = harts[0].timebase
                let deadline = harts.map(\.wakeDeadline).min() ?? .max
                guard deadline != .max else { return .waitingForInterrupt }
                harts[0].publishRetired()
                let now = timebase.now
                if deadline > now { timebase.skipped &+= deadline - now }
                _ = harts[0].bus.pollDevices(now: timebase.now)
            }
        }
    }

    // MARK: Real time: one host thread per hart

    private func runInParallel(instructionLimit: UInt64) -> Exit {
        let shared = SharedRun(limit: instructionLimit, start: retired)
        var threads: [pthread_t] = []
        for index in harts.indices.dropFirst() {
            let context = HartThread(index: index, hart: harts[index], control: control, shared: shared)
            // SAFETY: the retained context is released by the thread body, exactly once.
            let argument = Unmanaged.passRetained(context).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { argument in
                let context = Unmanaged<HartThread>.fromOpaque(argument!).takeRetainedValue()
                context.run()
                return nil
            }, argument)
            if status != 0 {
                Unmanaged<HartThread>.fromOpaque(argument).release()
                shared.finish(.stopped)
                control.interruptHarts()
                break
            }
            threads.append(thread)
        }
        HartThread(index: 0, hart: harts[0], control: control, shared: shared).run()
        for thread in threads { pthread_join(thread, nil) }
        control.resumeHarts()
        return shared.exit ?? .stopped
    }
}

/// What the hart threads of one parallel run share: the instruction budget and the first exit.
final class SharedRun: Sendable {
    let limit: UInt64
    let start: UInt64
    private let retiredSinceStart = Atomic<UInt64>(0)
    private let firstExit = Mutex<HartScheduler.Exit?>(nil)

    init(limit: UInt64, start: UInt64) { self.limit = limit; self.start = start }

    /// Adds `count` retired instructions; true when the budget is spent.
    func add(_ count: UInt64) -> Bool {
        retiredSinceStart.wrappingAdd(count, ordering: .relaxed).newValue >= limit
    }

    /// Records why the run ends; the first reason wins.
    func finish(_ exit: HartScheduler.Exit) { firstExit.withLock { if $0 == nil { $0 = exit } } }

    var exit: HartScheduler.Exit? { firstExit.withLock { $0 } }
    var isFinished: Bool { exit != nil }
}

/// One hart's host thread in a parallel run.
final class HartThread: @unchecked Sendable {
    // @unchecked: `hart` is used by this thread alone while the run lasts (the scheduler's
    // thread only touches it again after pthread_join); everything else here is Sendable.
    let index: Int
    let hart: Hart
    let control: MachineControl
    let shared: SharedRun

    init(index: Int, hart: Hart, control: MachineControl, shared: SharedRun) {
        self.index = index; self.hart = hart; self.control = control; self.shared = shared
    }

    func run() {
        hart.recordHostThread()
        while !shared.isFinished {
            let before = hart.retired
            let exit = hart.run(instructionLimit: HartScheduler.budgetCheckInterval)
            let spent = shared.add(hart.retired &- before)
            var finished: HartScheduler.Exit? = spent ? .limitReached : nil
            switch exit {
            case .stopped:
                // The platform's request, or another hart thread ending the run.
                // A debugger's halt (Hart+Debug.swift) ends the run as the platform's request does.
                if control.stopRequest != nil || control.debugHaltRequested { finished = .stopped } else if !shared.isFinished { continue }
            case .noProgress: finished = .noProgress(hart: index)
            case .guestExit: finished = .guestExit(hart: index)
            case .waitingForInterrupt:
                // WFI with no deadline: only another hart or a device can wake it.
                hart.interrupts.wakeup.sleep(nanoseconds: 1_000_000)
            case .limitReached: break
            }
            if let finished {
                shared.finish(finished)
                control.interruptHarts()
            }
        }
    }
}
