import Foundation
import Loader
import Machine

/// What every mode is given for one run: the same settings for every mode, so that the
/// comparison measures the mode and nothing else.
public struct ModeRunOptions: Sendable, Equatable {
    /// Time advances with instructions retired, so event counts are reproducible run to run.
    public var virtualTime: Bool
    /// A guest that has not finished after this many instructions is stopped (a hang must not hang the host).
    public var instructionLimit: UInt64
    /// Guest RAM, as `-m` would give it.
    public var ramSize: UInt64

    public init(virtualTime: Bool = true, instructionLimit: UInt64 = 4_000_000_000, ramSize: UInt64 = 128 << 20) {
        self.virtualTime = virtualTime
        self.instructionLimit = instructionLimit
        self.ramSize = ramSize
    }
}

/// What one run in one mode produced: the guest's own result (console, exit status, hart
/// counters, wall time) plus the events only the mode can see (VM exits by reason,
/// hypercalls by kind, shadow page faults, translated blocks), keyed as in `EventCounts`.
public struct ModeRunResult: Sendable {
    public let guest: GuestRunResult
    /// Events counted by the mode's host-side code (none for `native`, which has no host side),
    /// and every mode's counts per OS-bound microbenchmark (`phase.<benchmark>.*`, `LineMarks`).
    public let modeEvents: [String: UInt64]

    public init(guest: GuestRunResult, modeEvents: [String: UInt64] = [:]) {
        self.guest = guest
        self.modeEvents = modeEvents
    }

    /// Every exact count of the run, hart and mode together.
    public var eventCounts: EventCounts {
        var counts = EventCounts(guest.counters, instructions: guest.instructions)
        for (key, value) in modeEvents { counts.values[key, default: 0] += value }
        return counts
    }
}

/// Why a mode could not run a program at all (as opposed to the guest failing inside it).
public enum ModeRunError: Error, CustomStringConvertible, Equatable {
    /// The board could not be built or the image not loaded.
    case setup(mode: String, program: String, reason: String)

    public var description: String {
        switch self {
        case .setup(let mode, let program, let reason): return "\(mode) could not start \(program): \(reason)"
        }
    }
}

/// One way of running guest software (ARCHITECTURE.md, "The modes").
///
/// Adding a mode to the harness is adding one type that conforms to this protocol and listing
/// it in `ModeRegistry.implemented`: `conform` and `compare` then run it on every corpus
/// program it accepts and hold its results against `native`'s.
public protocol VirtualizationMode: Sendable {
    /// The name used on the command line and in reports (`native`, `emulation`, `full`, `hav`, `para`).
    var name: String { get }
    /// One sentence for tables and `--help`: what runs where.
    var summary: String { get }
    /// Whether this mode can run `program` at all (its category and ISA), with the reason when not.
    func refusal(for program: CorpusProgram) -> String?
    /// Runs one built image of `program` to completion.
    func run(_ program: CorpusProgram, image: URL, options: ModeRunOptions) throws(ModeRunError) -> ModeRunResult
}

/// The baseline: the guest runs directly on the simulated hart, firmware and kernel at their
/// own privilege levels, with no hypervisor underneath.
public struct NativeMode: VirtualizationMode {
    public init() {}
    public var name: String { "native" }
    public var summary: String { "guest runs directly on the simulated hart (the baseline)" }

    public func refusal(for program: CorpusProgram) -> String? {
        switch program.architecture {
        case .riscv64:
            if let firmware = program.firmware.imagePath, !FileManager.default.fileExists(atPath: firmware) {
                return "needs SBI firmware at \(firmware) (Debian package opensbi)"
            }
            return nil
        case .thumbv6m: return "native runs RISC-V images only; Thumb programs need the emulation mode"
        }
    }

    public func run(_ program: CorpusProgram, image: URL, options: ModeRunOptions) throws(ModeRunError) -> ModeRunResult {
        let firmware: BootOptions.Firmware = program.firmware.image(besides: image).map { .file($0) } ?? .none
        let guestOptions = GuestRun.Options(kernel: image.path, firmware: firmware, ramSize: options.ramSize,
                                            virtualTime: options.virtualTime, instructionLimit: options.instructionLimit)
        do {
            let guest = try GuestRun.run(guestOptions)
            return ModeRunResult(guest: guest, modeEvents: guest.phaseCounts)
        } catch {
            throw .setup(mode: name, program: program.name, reason: error.description)
        }
    }
}

/// A mode the architecture describes but nobody has built yet. Listing it keeps reports
/// honest: they show the mode as "not implemented yet" instead of leaving it out or inventing numbers.
public struct PlannedMode: Sendable, Equatable {
    public let name: String
    public let summary: String
}

/// The modes the harness knows, implemented or not.
public enum ModeRegistry {
    /// Modes that can run programs today.
    public static let implemented: [any VirtualizationMode] = [NativeMode(), EmulationMode(), HAVMode(), FullMode(), ParaMode()]

    /// Modes from ARCHITECTURE.md that are not implemented yet. When a mode lands, its entry
    /// moves from here to `implemented`.
    public static var planned: [PlannedMode] {
        [
            PlannedMode(name: "emulation", summary: "an ARMv6-M Thumb program, binary-translated block by block into RV64 code"),
            PlannedMode(name: "hav", summary: "guest kernel in VS-mode with the H extension: two-stage translation, exits for SBI and MMIO"),
            PlannedMode(name: "para", summary: "guest kernel calls the hypervisor: batched page-table hypercalls, PV timer, console and rings"),
        ].filter { planned in !implemented.contains { $0.name == planned.name } }
    }

    /// Every mode name, implemented first, in the order reports list them.
    public static var allNames: [String] { implemented.map(\.name) + planned.map(\.name) }

    /// The implemented mode with this name.
    public static func mode(named name: String) -> (any VirtualizationMode)? {
        implemented.first { $0.name == name }
    }

    /// Other names users may give a mode (ARCHITECTURE.md: `full` is also called simulation).
    public static let aliases: [String: String] = ["simulation": "full"]

    /// Resolves user-given names (an empty list means every mode, implemented or not).
    /// Planned modes are accepted so that reports can show them as not implemented.
    public static func resolve(_ names: [String]) throws(ModeSelectionError) -> [String] {
        if names.isEmpty { return allNames }
        var result: [String] = []
        for given in names.flatMap({ $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }) {
            let name = aliases[given] ?? given
            guard allNames.contains(name) else { throw .unknownMode(name, known: allNames) }
            if !result.contains(name) { result.append(name) }
        }
        return result
    }
}

/// A `--mode` value that names no mode.
public enum ModeSelectionError: Error, CustomStringConvertible, Equatable {
    case unknownMode(String, known: [String])
    public var description: String {
        switch self {
        case .unknownMode(let name, let known):
            return "unknown mode '\(name)' (known modes: \(known.joined(separator: ", ")))"
        }
    }
}
