import Devices
import Foundation
import Loader
import Machine

/// What one in-process VirtBench run of a guest produced.
public struct GuestRunResult: Sendable {
    /// Everything the guest wrote to the UART.
    public let output: String
    /// The process exit status QEMU would give: 0 for a sifive_test pass, the failure code otherwise.
    public let exitStatus: Int32
    /// How the run ended.
    public let stop: MachineControl.StopRequest?
    public let limitReached: Bool
    public let instructions: UInt64
    public let counters: HartCounters
    public let wallSeconds: Double
    /// The run's counts per OS-bound microbenchmark of the corpus kernel (`LineMarks`): empty
    /// for a guest that prints no result line.
    public var phaseCounts: [String: UInt64] = [:]
    /// Set when the no-progress guard stopped the guest: `Hart.noProgressReport`.
    public var noProgress: String?
    public var mips: Double { wallSeconds > 0 ? Double(instructions) / wallSeconds / 1e6 : 0 }
}

/// Boots a `VirtBoard` the way `virtbench run` does and runs it to completion without a
/// terminal: the building block of the conformance tests, the differential testers and the
/// benchmark comparisons.
public enum GuestRun {
    public struct Options: Sendable {
        public var boot: BootOptions
        public var board: VirtBoardConfiguration
        /// Stop after this many instructions (a hung guest must not hang the host).
        public var instructionLimit: UInt64
        /// Compile blocks to host code (`HartConfiguration.compileBlocks`); false: the interpreter alone.
        public var compileBlocks = HartConfiguration.compileBlocksByDefault
        /// Runs of a block before it is compiled (`HartConfiguration.compileThreshold`).
        public var compileThreshold = HartConfiguration.defaultCompileThreshold
        public init(kernel: String, firmware: BootOptions.Firmware = .none, ramSize: UInt64 = 128 << 20,
                    virtualTime: Bool = true, instructionLimit: UInt64 = 4_000_000_000) {
            boot = BootOptions(firmware: firmware, kernel: kernel)
            // Virtual time promises repeatable runs, so the device tree's rng-seed is fixed too.
            board = VirtBoardConfiguration(ramSize: ramSize,
                                           timebaseMode: virtualTime ? .virtual(instructionsPerTick: 100) : .realTime,
                                           randomSeed: virtualTime ? 0 : nil)
            self.instructionLimit = instructionLimit
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case board(VirtBoardError)
        case boot(BootError)
        public var description: String {
            switch self {
            case .board(let e): return e.description
            case .boot(let e): return e.description
            }
        }
    }

    /// Builds the board, loads the images and points the hart at the boot plan's start.
    public static func prepare(_ options: Options, hart: HartConfiguration = .init(),
                               output: @escaping (UInt8) -> Void) throws(Failure) -> VirtBoard {
        let board: VirtBoard
        do { board = try VirtBoard(configuration: options.board, hart: hart, consoleOutput: output) } catch { throw .board(error) }
        do {
            let plan = try BootLoader.plan(options.boot, for: board)
            try BootLoader.load(plan, into: board)
            board.hart.reset(pc: plan.startAddress)
            for (register, value) in plan.initialRegisters() { board.hart.setRegister(register, value) }
        } catch {
            throw .boot(error)
        }
        return board
    }

    /// Runs the guest until it powers off, fails, or reaches the instruction limit.
    public static func run(_ options: Options) throws(Failure) -> GuestRunResult {
        let output = OutputCollector()
        // The board's console calls back before the hart exists, so the marks reach it through `output`.
        let marks = LineMarks { [unowned output] in
            guard let hart = output.hart else { return [:] }
            return EventCounts(hart.counters, instructions: hart.retired).values
        }
        var configuration = HartConfiguration()
        configuration.compileBlocks = options.compileBlocks
        configuration.compileThreshold = options.compileThreshold
        let board = try prepare(options, hart: configuration) { output.bytes.append($0); marks.feed($0) }
        output.hart = board.hart
        let start = Date()
        var limitReached = false
        var noProgress: String?
        let hart = board.hart
        while true {
            let remaining = options.instructionLimit &- hart.retired
            if hart.retired >= options.instructionLimit { limitReached = true; break }
            let exit = hart.run(instructionLimit: remaining)
            if exit == .stopped || exit == .waitingForInterrupt { break }
            if exit == .limitReached { limitReached = true; break }
            if exit == .noProgress { noProgress = hart.noProgressReport; break }
        }
        let seconds = Date().timeIntervalSince(start)
        let stop = board.control.stopRequest
        return GuestRunResult(output: String(decoding: output.bytes, as: UTF8.self),
                              exitStatus: limitReached || noProgress != nil ? -1 : MachineControl.exitStatus(for: stop),
                              stop: stop, limitReached: limitReached, instructions: hart.retired,
                              counters: hart.counters, wallSeconds: seconds, phaseCounts: marks.phaseCounts,
                              noProgress: noProgress)
    }

    private final class OutputCollector: @unchecked Sendable {
        var bytes: [UInt8] = []
        weak var hart: Hart?
    }
}
