import Foundation

/// The outcome of one program in one mode.
public enum ResultStatus: String, Codable, Sendable, Equatable {
    /// Every round finished with the program's expected final line and exit status (and, for
    /// modes other than native, the same console output, status and final line as native).
    case passed
    case failed
    /// The mode exists but cannot run this program (wrong ISA or category), or the baseline failed.
    case skipped
    /// The mode is described in the architecture but not built yet: no numbers, on purpose.
    case planned = "not-implemented"
}

/// What one round measured. Wall time is host time and varies; instructions are exact.
public struct RoundMeasurement: Codable, Sendable, Equatable {
    public var wallSeconds: Double
    public var instructions: UInt64
    public var mips: Double

    public init(wallSeconds: Double, instructions: UInt64, mips: Double) {
        self.wallSeconds = wallSeconds
        self.instructions = instructions
        self.mips = mips
    }
}

/// One program × mode cell of a comparison.
public struct WorkloadResult: Codable, Sendable, Equatable {
    public var workload: String
    public var category: CorpusCategory
    public var mode: String
    public var status: ResultStatus
    /// Why it failed or was skipped; nil when it passed.
    public var reason: String?
    public var rounds: [RoundMeasurement]
    /// Median over rounds (measured).
    public var medianWallSeconds: Double?
    public var medianMIPS: Double?
    /// The first round's exact counts.
    public var counts: EventCounts?
    /// Whether every round gave identical counts (expected in virtual-time mode).
    public var countsStable: Bool?
    /// Native's median wall time divided by this mode's: 1 for native, below 1 when slower.
    public var relativeThroughput: Double?
    /// Same console output, exit status and final line as native (nil for native itself).
    public var equivalentToNative: Bool?
    public var finalLine: String?
    /// The checksum the program printed (`<name>: checksum <hex>`), if it prints one.
    public var checksum: String?
    public var exitStatus: Int32?
    /// The first round's counts priced by each cost profile (modeled).
    public var modeled: [ModeledCost]

    public init(workload: String, category: CorpusCategory, mode: String, status: ResultStatus, reason: String? = nil,
                rounds: [RoundMeasurement] = [], medianWallSeconds: Double? = nil, medianMIPS: Double? = nil,
                counts: EventCounts? = nil, countsStable: Bool? = nil, relativeThroughput: Double? = nil,
                equivalentToNative: Bool? = nil, finalLine: String? = nil, checksum: String? = nil, exitStatus: Int32? = nil, modeled: [ModeledCost] = []) {
        self.workload = workload
        self.category = category
        self.mode = mode
        self.status = status
        self.reason = reason
        self.rounds = rounds
        self.medianWallSeconds = medianWallSeconds
        self.medianMIPS = medianMIPS
        self.counts = counts
        self.countsStable = countsStable
        self.relativeThroughput = relativeThroughput
        self.equivalentToNative = equivalentToNative
        self.finalLine = finalLine
        self.checksum = checksum
        self.exitStatus = exitStatus
        self.modeled = modeled
    }
}

/// A mode as the report lists it.
public struct ModeDescription: Codable, Sendable, Equatable {
    public var name: String
    public var summary: String
    public var implemented: Bool
}

/// The settings of a comparison, so a reader can repeat it.
public struct ComparisonSettings: Codable, Sendable, Equatable {
    public var corpus: String
    public var rounds: Int
    public var virtualTime: Bool
    public var instructionLimit: UInt64
    public var ramSize: UInt64
}

/// Where the numbers were taken.
public struct HostDescription: Codable, Sendable, Equatable {
    public var operatingSystem: String
    public var processorCount: Int
    public var hostName: String
    /// The VirtBench commit that ran (`git rev-parse HEAD`, "-dirty" when tracked files differed
    /// from it); nil when unknown (no git, not a checkout, or a report written before it was kept).
    public var commit: String? = nil

    /// The machine this process runs on.
    public static var current: HostDescription {
        let info = ProcessInfo.processInfo
        return HostDescription(operatingSystem: info.operatingSystemVersionString,
                               processorCount: info.activeProcessorCount, hostName: info.hostName)
    }
}

/// Everything `virtbench compare` found, the content of `report.json`; the Markdown report
/// and the charts are drawn from it alone, so the JSON is the complete record.
public struct ComparisonReport: Codable, Sendable, Equatable {
    /// Bumped when a field changes meaning, so tools reading old reports can tell.
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var runID: String
    /// ISO 8601, UTC.
    public var createdAt: String
    public var host: HostDescription
    public var settings: ComparisonSettings
    public var notes: [String]
    /// Which figures are measured, exact or modeled, in words (the report's legend).
    public var measurementKinds: [String: String]
    public var modes: [ModeDescription]
    public var workloads: [String]
    public var profiles: [CostProfile] { didSet { refreshMicrobenchmarks() } }
    public var results: [WorkloadResult] { didSet { refreshMicrobenchmarks() } }
    /// The OS-bound microbenchmarks across modes and the Adams & Agesen comparison, derived from
    /// `results` and `profiles` (kept in step with them) so the JSON carries what the Markdown
    /// prints; nil in reports written before it existed.
    public var microbenchmarks: MicrobenchmarkComparison?
    /// The hypervisor's host time per transition kind, measured after the corpus ran for the
    /// guest modes that passed a program (`TransitionBench`); nil when none ran.
    public var transitionCosts: [TransitionCost]?

    /// The legend every report carries.
    public static let standardMeasurementKinds: [String: String] = [
        "wallSeconds": "measured: host wall-clock time of the run, varies from run to run and machine to machine",
        "mips": "measured: guest instructions retired per wall-clock microsecond",
        "relativeThroughput": "measured: native's median wall time divided by the mode's (for a Thumb build under emulation, the native run of the RV64 build of the same source)",
        "counts": "exact: events counted by the simulated hart and the mode; identical across runs in virtual-time mode",
        "modeled": "modeled: exact counts multiplied by a cost profile's cycles per event; profile figures marked \(FigureStatus.estimateNames) are estimates",
        "transitionCosts": "measured: host nanoseconds the hypervisor spends per transition of each kind (median over rounds), on this host in this run",
    ]

    public init(runID: String, createdAt: String, host: HostDescription, settings: ComparisonSettings, notes: [String],
                modes: [ModeDescription], workloads: [String], profiles: [CostProfile], results: [WorkloadResult]) {
        schemaVersion = Self.currentSchemaVersion
        self.runID = runID
        self.createdAt = createdAt
        self.host = host
        self.settings = settings
        self.notes = notes
        measurementKinds = Self.standardMeasurementKinds
        self.modes = modes
        self.workloads = workloads
        self.profiles = profiles
        self.results = results
        refreshMicrobenchmarks()
    }

    private mutating func refreshMicrobenchmarks() {
        let view = MicrobenchmarkComparison(results: results, profiles: profiles)
        microbenchmarks = view.isEmpty ? nil : view
    }

    /// The result for one cell, if the comparison covered it.
    public func result(workload: String, mode: String) -> WorkloadResult? {
        results.first { $0.workload == workload && $0.mode == mode }
    }

    /// Whether any implemented mode failed any program.
    public var hasFailures: Bool { results.contains { $0.status == .failed } }

    /// The cells a mode refused to run, once per reason (in the order first met), each reason's
    /// workloads grouped by mode: tables list only what ran, and say why the rest did not here.
    public var skipsByReason: [(reason: String, modes: [(mode: String, workloads: [String])])] {
        var order: [String] = []
        var byReason: [String: [(mode: String, workloads: [String])]] = [:]
        for result in results where result.status == .skipped {
            let reason = result.reason ?? "no reason given"
            if byReason[reason] == nil { order.append(reason) }
            var modes = byReason[reason, default: []]
            if let index = modes.firstIndex(where: { $0.mode == result.mode }) {
                modes[index].workloads.append(result.workload)
            } else {
                modes.append((result.mode, [result.workload]))
            }
            byReason[reason] = modes
        }
        return order.map { ($0, byReason[$0] ?? []) }
    }

    /// `skipsByReason` as lines: "REASON: mode a, b; mode c".
    public var skipLines: [String] {
        skipsByReason.map { entry in
            entry.reason + " — " + entry.modes.map { "\($0.mode): \($0.workloads.joined(separator: ", "))" }.joined(separator: "; ")
        }
    }

    /// Pretty, key-sorted JSON so reports diff cleanly in git.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var data = try encoder.encode(self)
        data.append(0x0a)
        return data
    }

    /// Reads a report written by `jsonData()`.
    public static func decode(_ data: Data) throws -> ComparisonReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(ComparisonReport.self, from: data)
    }
}

/// One transition kind's measured host time (`virtbench transitions` measures the same).
public struct TransitionCost: Codable, Sendable, Equatable {
    /// The mode the kind belongs to ("hav", "full", "para").
    public var mode: String
    /// What the transition is ("SBI call exit", "hypercall version").
    public var kind: String
    public var medianNanoseconds: Double
    public var roundNanoseconds: [Double]

    public init(mode: String, kind: String, medianNanoseconds: Double, roundNanoseconds: [Double]) {
        self.mode = mode; self.kind = kind; self.medianNanoseconds = medianNanoseconds; self.roundNanoseconds = roundNanoseconds
    }
}
