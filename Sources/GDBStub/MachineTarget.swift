#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Machine
import RISCV

/// A board's harts as gdb sees them (`DebugTarget`), and the loop that runs them between
/// debugger stops (`run`), which stands in for `virtbench run`'s own loop while a debugger
/// server is up.
///
/// The server calls everything here from one thread at a time: `run` on its run thread, the
/// rest while no run is in progress.
public final class MachineTarget: DebugTarget, @unchecked Sendable {
    // @unchecked: the harts are touched by one thread at a time, as the type's comment says;
    // the server's thread joins the run thread before it reads anything here again.

    public let harts: [Hart]
    let control: MachineControl
    /// Carries out a reset the guest asked for (reloads the images, restarts the harts); returns
    /// an error message when it cannot.
    let reset: () -> String?
    /// Instructions left before `--max-insns` ends the run (nil: no limit).
    private var remaining: UInt64?
    public let describedCSRs: [(number: UInt16, name: String)]

    /// How a run between two debugger stops ended.
    public enum RunOutcome: Equatable, Sendable {
        /// The harts stopped for the debugger.
        case stopped(StopEvent)
        /// The platform ended the run (power off, failure, the console's quit).
        case platform(MachineControl.StopRequest)
        /// `--max-insns` ran out.
        case instructionLimit
        /// A hart took trap after trap without retiring anything (its report).
        case noProgress(hart: Int, report: String)
        case error(String)
    }

    public init(harts: [Hart], control: MachineControl, instructionLimit: UInt64?, reset: @escaping () -> String?) {
        precondition(!harts.isEmpty)
        self.harts = harts
        self.control = control
        self.remaining = instructionLimit
        self.reset = reset
        // Every CSR the hart implements, by the numbers of the privileged spec.
        let hart = harts[0]
        describedCSRs = (0..<4096).compactMap { n in
            let number = UInt16(n)
            return hart.debugReadCSR(number) == nil ? nil : (number, Self.name(ofCSR: number))
        }
    }

    /// gdb's name for a CSR: the privileged spec's (its table 2.2 to 2.6).
    static func name(ofCSR number: UInt16) -> String {
        switch number {
        case CSR.hpmcounter3...CSR.hpmcounter31: return "hpmcounter\(number - CSR.hpmcounter3 + 3)"
        case CSR.mhpmcounter3...CSR.mhpmcounter31: return "mhpmcounter\(number - CSR.mhpmcounter3 + 3)"
        case CSR.mhpmevent3...CSR.mhpmevent31: return "mhpmevent\(number - CSR.mhpmevent3 + 3)"
        case CSR.mconfigptr: return "mconfigptr"
        case CSR.mcountinhibit: return "mcountinhibit"
        case CSR.tselect: return "tselect"
        case CSR.tdata1: return "tdata1"
        case CSR.tdata2: return "tdata2"
        case CSR.tdata3: return "tdata3"
        case CSR.mseccfg: return "mseccfg"
        default:
            let name = CSR.name(number)
            // CSR.name falls back to the number, which is no register name.
            return name.first?.isLetter == true ? name : "csr\(String(number, radix: 16))"
        }
    }

    // MARK: DebugTarget

    public var hartCount: Int { harts.count }

    public func read(_ register: RISCVRegister, hart index: Int) -> UInt64? {
        guard harts.indices.contains(index) else { return nil }
        let hart = harts[index]
        switch register {
        case .x(let i): return (0..<32).contains(i) ? hart.register(i) : nil
        case .pc: return hart.pc
        case .f(let i): return (0..<32).contains(i) ? hart.fregister(i) : nil
        case .csr(let number): return hart.debugReadCSR(number)
        case .privilege: return hart.debugPrivilege
        }
    }

    public func write(_ register: RISCVRegister, _ value: UInt64, hart index: Int) -> Bool {
        guard harts.indices.contains(index) else { return false }
        let hart = harts[index]
        switch register {
        case .x(let i):
            guard (0..<32).contains(i) else { return false }
            hart.setRegister(i, value)
        case .pc:
            // Instructions start on even addresses (IALIGN 16): the guest's own jumps clear bit 0.
            hart.pc = value & ~1
        case .f(let i):
            guard (0..<32).contains(i) else { return false }
            hart.setFRegister(i, value)
        case .csr(let number):
            return hart.hostWriteCSR(number, value)
        case .privilege:
            // Changing privilege behind the trap machinery's back would leave the hart
            // inconsistent (mstatus.MPP, the translation contexts); gdb can write mstatus and
            // mepc and step an mret instead.
            return false
        }
        return true
    }

    public func readMemory(_ address: UInt64, count: Int, hart index: Int) -> [UInt8] {
        guard harts.indices.contains(index) else { return [] }
        return harts[index].debugRead(address, count: count)
    }

    public func writeMemory(_ address: UInt64, _ bytes: [UInt8], hart index: Int) -> Int {
        guard harts.indices.contains(index) else { return 0 }
        let writer = harts[index]
        let written = writer.debugWrite(address, bytes)
        // Every hart keeps its own decoded code: the others must drop what was overwritten too,
        // page by page, since consecutive virtual pages need not be consecutive in RAM.
        var offset = 0
        while offset < written {
            let va = address &+ UInt64(offset)
            let chunk = min(written - offset, Int(4096 - (va & 0xfff)))
            if let pa = writer.debugTranslate(va) {
                for (other, hart) in harts.enumerated() where other != index { hart.hostWroteMemory(pa ..< pa &+ UInt64(chunk)) }
            }
            offset += chunk
        }
        return written
    }

    public func describe(hart index: Int) -> String {
        harts.indices.contains(index) ? "hart \(harts[index].hartID)" : "no such hart"
    }

    // MARK: Debugger state on the harts

    /// Gives every hart debugger state (a debugger connected).
    public func attach() {
        for hart in harts { hart.attachDebugger() }
    }

    /// Takes the debugger's state off every hart (it detached or went away).
    public func detach() {
        for hart in harts { hart.detachDebugger() }
    }

    // MARK: Running

    /// Runs the harts as `request` says until a debugger stop, the end of the run, or (for a
    /// step) one instruction. Called on the server's run thread; `MachineControl.requestDebugHalt`
    /// from any thread stops it.
    public func run(_ request: ResumeRequest) -> RunOutcome {
        let watchpoints = request.watchpoints
        let stepping = !request.stepping.isEmpty
        for hart in harts {
            hart.setDebugPoints(breakpoints: request.breakpoints, watchpoints: watchpoints, singleInstructionBlocks: stepping)
            hart.clearDebugStop()
        }
        let chosen = (stepping ? request.stepping : request.running).filter { harts.indices.contains($0) }
        if let address = request.address, let first = chosen.first { harts[first].pc = address & ~1 }
        // A halt asked for before this run started (a Ctrl-C racing the resume) stops it at once.
        if control.debugHaltRequested { return .stopped(stopEvent(among: chosen)) }
        if stepping { return step(chosen) }
        guard !chosen.isEmpty else { return .stopped(.interrupted(hart: nil)) }
        return runUntilStop(chosen)
    }

    /// One instruction on each hart in `indices` (a hart in WFI stays there); the event names
    /// the first, unless a breakpoint or watchpoint stopped one.
    private func step(_ indices: [Int]) -> RunOutcome {
        for index in indices {
            let hart = harts[index]
            let before = hart.retired
            let exit = hart.run(instructionLimit: 1)
            if remaining != nil { remaining! -= min(remaining!, hart.retired &- before) }
            switch exit {
            case .stopped, .limitReached, .waitingForInterrupt: break
            case .noProgress: return .stopped(.signal(hart: index, number: Self.sigsegv))
            case .guestExit: return .error("hart \(index) exited to a hypervisor that this command does not run")
            }
            if let outcome = platformStop() { return outcome }
            if control.debugHaltRequested { break }
        }
        if let stopped = indices.first(where: { harts[$0].debugStop != nil }) { return .stopped(event(for: stopped)) }
        return .stopped(.trap(hart: indices[0]))
    }

    /// SIGSEGV: how a hart stuck in a trap loop is reported, so gdb shows where it is.
    static let sigsegv: UInt8 = 11

    /// Instructions a lone hart runs between looks at the instruction budget.
    static let slice: UInt64 = 1 << 24

    private func runUntilStop(_ indices: [Int]) -> RunOutcome {
        let running = indices.map { harts[$0] }
        let scheduler = running.count > 1 ? HartScheduler(harts: running, control: control) : nil
        while true {
            if let remaining, remaining == 0 { return .instructionLimit }
            let limit = min(remaining ?? .max, scheduler == nil ? Self.slice : .max)
            let before = running.reduce(0) { $0 &+ $1.retired }
            let exit: HartScheduler.Exit
            if let scheduler {
                exit = scheduler.run(instructionLimit: limit)
            } else {
                switch running[0].run(instructionLimit: limit) {
                case .stopped: exit = .stopped
                case .limitReached: exit = .limitReached
                case .waitingForInterrupt: exit = .waitingForInterrupt
                case .noProgress: exit = .noProgress(hart: 0)
                case .guestExit: exit = .guestExit(hart: 0)
                }
            }
            let ran = running.reduce(0) { $0 &+ $1.retired } &- before
            if remaining != nil { remaining! -= min(remaining!, ran) }
            if let outcome = platformStop() { return outcome }
            if control.debugHaltRequested { return .stopped(stopEvent(among: indices)) }
            switch exit {
            case .stopped, .limitReached: continue
            case .waitingForInterrupt:
                // Only a device (console input, a timer) or the debugger can wake them now.
                usleep(1000)
            case .noProgress(let hart): return .stopped(.signal(hart: indices[hart], number: Self.sigsegv))
            case .guestExit(let hart): return .error("hart \(indices[hart]) exited to a hypervisor that this command does not run")
            }
        }
    }

    /// The platform's stop request, carried out when it is a reset (the run goes on: nil).
    private func platformStop() -> RunOutcome? {
        guard let request = control.stopRequest else { return nil }
        guard request == .reset else { return .platform(request) }
        // QEMU re-copies its boot images and restarts the harts; a debugger keeps its breakpoints.
        control.clear()
        if let message = reset() { return .error(message) }
        return nil
    }

    /// The stop to report after a debugger halt: the first hart in `indices` that hit a
    /// breakpoint or watchpoint, or an interrupt (Ctrl-C, or a debugger attaching).
    private func stopEvent(among indices: [Int]) -> StopEvent {
        if let stopped = indices.first(where: { harts[$0].debugStop != nil }) { return event(for: stopped) }
        return .interrupted(hart: nil)
    }

    private func event(for index: Int) -> StopEvent {
        switch harts[index].debugStop {
        case .watchpoint(let watchpoint, let address)?:
            return .watchpoint(hart: index, kind: watchpoint.kind, address: address)
        case .breakpoint?, nil:
            return .trap(hart: index)
        }
    }
}
