import Devices
import Foundation
import Machine
import Monitor

/// `virtbench run` with a monitor: the run loop goes on a thread of its own (Machine's
/// HaltableRun, as under the gdb stub) so the monitor, on the console's input thread, can stop
/// every hart to read them (`info registers`, `info cpus`), pause them (`stop`) and let them go
/// on (`cont`).
///
/// Threads: `start` and `waitForEnd` belong to the main thread; everything the MonitorMachine
/// protocol asks for comes from the console's input thread, one call at a time, so `run` and
/// `paused` need no lock. The end of the run is handed to the main thread under `ended`.
final class MonitoredRun: MonitorMachine, @unchecked Sendable {
    // @unchecked: see the threads above; `ended` is an NSCondition-guarded handoff.
    let board: VirtBoard
    /// The run loop; it returns `.halted` when the monitor stopped the harts.
    private let loop: () -> Run.Outcome
    private var run: HaltableRun<Run.Outcome>?
    private(set) var isPaused = false
    private let ended = NSCondition()
    private var outcome: Run.Outcome?

    init(board: VirtBoard, loop: @escaping () -> Run.Outcome) {
        self.board = board
        self.loop = loop
    }

    var hartCount: Int { board.harts.count }

    /// Starts the harts, or with `paused` (`-S`) leaves them for `cont` (main thread, before the
    /// console reads anything).
    func start(paused: Bool) {
        if paused { isPaused = true } else { startRun() }
    }

    /// Waits until the run ends for good (main thread).
    func waitForEnd() -> Run.Outcome {
        ended.lock()
        defer { ended.unlock() }
        while outcome == nil { ended.wait() }
        return outcome!
    }

    private func finish(_ result: Run.Outcome) {
        ended.lock()
        if outcome == nil { outcome = result }
        ended.signal()
        ended.unlock()
    }

    private var hasEnded: Bool {
        ended.lock()
        defer { ended.unlock() }
        return outcome != nil
    }

    private func startRun() {
        run = HaltableRun.start(control: board.control, cannotStart: .error("cannot start a thread to run the harts")) { [self] in
            let result = loop()
            if case .halted = result { return result }
            finish(result)
            return result
        }
    }

    /// Stops the harts; false if the run had ended by itself meanwhile.
    private func haltHarts() -> Bool {
        guard let running = run else { return !hasEnded }
        run = nil
        let result = running.halt()
        board.control.clearDebugHalt()
        guard case .halted = result else { return false }
        return true
    }

    // MARK: MonitorMachine

    func readHarts() -> [HartRegisters]? {
        guard haltHarts() else { return nil }
        let registers = board.harts.enumerated().map { HartRegisters(hart: $0.element, index: $0.offset) }
        if !isPaused { startRun() }
        return registers
    }

    func pause() {
        guard !isPaused, haltHarts() else { return }
        isPaused = true
    }

    func resume() {
        guard isPaused, !hasEnded else { return }
        isPaused = false
        startRun()
    }

    func reset() {
        // The run loop carries the request out as a guest's reset (or ends the run under
        // -no-reboot); a paused machine does so when it continues, as QEMU's does.
        board.control.requestStop(.reset)
    }

    func quit() {
        // Stopping the harts first rather than asking them to stop: a stop request would lose
        // to one already pending (a reset the loop has not carried out yet), and the run go on.
        if run != nil { _ = haltHarts() }
        finish(.stopped(.userQuit))
    }

    /// Stdin ended: a paused machine could never be continued, so the run ends as with `quit`.
    func inputEnded() {
        if isPaused { finish(.stopped(.userQuit)) }
    }
}

/// What is left of `--max-insns` across the run loop's calls (the monitor's stops split a run
/// into several).
final class InstructionBudget: @unchecked Sendable {
    // @unchecked: only the thread running the loop touches it, and one run is joined before the
    // next starts.
    var remaining: UInt64
    init(_ limit: UInt64?) { remaining = limit ?? .max }
}

extension Run {
    /// What the console's Ctrl-A C and `-monitor stdio` reach: the monitor over `run`, or a line
    /// saying why there is none (the gdb stub runs the harts itself).
    func consoleMonitor(_ layout: ConsoleLayout, run: MonitoredRun?) -> ConsoleMonitor {
        guard layout.monitor != .none else { return .absent }
        guard let run else {
            return ConsoleMonitor(place: .unavailable("the monitor is not available while the gdb stub (-s, -gdb) runs the harts"),
                                  quit: nil, inputEnded: nil)
        }
        let session = MonitorSession(machine: run, banner: Self.monitorBanner, output: writeStandardOutput)
        return ConsoleMonitor(place: layout.monitor == .stdio ? .alone(session) : .shared(session),
                              quit: { run.quit() }, inputEnded: { run.inputEnded() })
    }

    /// QEMU prints "QEMU 7.2.x monitor - type 'help' for more information"; the prompt stays QEMU's.
    static let monitorBanner = "virtbench \(VirtBenchVersion.number) monitor - type 'help' for more information"
}
