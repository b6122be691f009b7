import Foundation

/// The kinds of event a cost profile prices. Each one is a sum over exact counts of a run
/// (`EventCounts`), so the model is "count × published cost", nothing more clever.
public enum CostEvent: String, CaseIterable, Codable, CodingKeyRepresentable, Sendable, Comparable {
    /// One retired instruction: the profile's baseline cycles per instruction.
    case instruction
    /// A synchronous exception other than a page fault, taken and returned from (ecall, illegal instruction, breakpoint …).
    case exception
    /// A page fault taken and returned from.
    case pageFault
    /// An interrupt delivered to a handler and returned from.
    case interrupt
    /// One page-table entry read during a hardware page walk (either stage).
    case pageWalkStep
    /// One access to a device register (uncached, often serialising).
    case mmioAccess
    /// A VM exit and the re-entry that follows it (the round trip, without the handler's own work).
    case vmExit
    /// A trap into a software hypervisor that is not a hypercall (`trap.*`, per the modes'
    /// contract): a privileged instruction trapped and emulated in `full`, a guest trap or
    /// interrupt the hypervisor reflects into the guest kernel (`full`, `para`); entry, the
    /// hypervisor's handling and the return.
    case trap
    /// A hypercall from a paravirtual guest and the return.
    case hypercall
    /// A fault the hypervisor takes to keep a shadow page table in sync with the guest's: a
    /// hidden page fault filled from the guest's tables, or a trapped write to a guest
    /// page-table page (`shadow.*` other than `shadow.resync`).
    case shadowPageFault
    /// Shadow entries dropped because the guest changed its tables (`shadow.resync`): the
    /// hypervisor's work only, since the trap that caused it is counted as a `trap` and the
    /// refill as shadow page faults.
    case shadowResync

    /// What the event is, for report legends.
    public var summary: String {
        switch self {
        case .instruction: return "instructions retired (baseline CPI)"
        case .exception: return "exceptions other than page faults (entry and return)"
        case .pageFault: return "page faults (entry and return)"
        case .interrupt: return "interrupts (delivery and return)"
        case .pageWalkStep: return "page-table entry reads by the page walker"
        case .mmioAccess: return "device register accesses"
        case .vmExit: return "VM exit and re-entry round trips"
        case .trap: return "traps into a software hypervisor (trap-and-emulate, reflected traps)"
        case .hypercall: return "hypercall round trips"
        case .shadowPageFault: return "shadow page-table faults (hidden faults, trapped page-table writes)"
        case .shadowResync: return "shadow page-table resyncs (entries dropped after a guest change)"
        }
    }

    /// How many of these events a run's counts hold.
    public func count(in counts: EventCounts) -> UInt64 {
        switch self {
        case .instruction: return counts["instructions"]
        case .exception:
            let pageFaults = CostEvent.pageFault.count(in: counts)
            return counts.total(prefix: "exception.") &- pageFaults
        case .pageFault: return EventCounts.pageFaultKeys.reduce(0) { $0 &+ counts[$1] }
        case .interrupt: return counts.total(prefix: "interrupt.")
        case .pageWalkStep: return counts["pagewalk.steps"] &+ counts["pagewalk.g-stage-steps"]
        case .mmioAccess: return counts["mmio.accesses"]
        case .vmExit: return counts.total(prefix: "vmexit.")
        // The hart's own `trap.to-machine`/`trap.to-supervisor`/… summaries share the prefix
        // but count every trap the hart took, not transitions into a software hypervisor.
        case .trap: return counts.total(prefix: "trap.") &- counts.total(prefix: EventCounts.hartTrapPrefix)
        case .hypercall: return counts.total(prefix: "hypercall.")
        case .shadowPageFault: return counts.total(prefix: "shadow.") &- counts[EventCounts.shadowResyncKey]
        case .shadowResync: return counts[EventCounts.shadowResyncKey]
        }
    }

    /// Whether one of these events is a transition into the hypervisor (what the report counts
    /// per OS-bound microbenchmark): an exit, a trap, a hypercall or a shadow page fault.
    public var isTransitionIntoHypervisor: Bool {
        switch self {
        case .vmExit, .trap, .hypercall, .shadowPageFault: return true
        default: return false
        }
    }

    /// Whether `key` is one of the counts this event sums (used to list transitions by kind).
    public func covers(_ key: String) -> Bool {
        count(in: EventCounts([key: 1])) == 1
    }

    public static func < (a: CostEvent, b: CostEvent) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// How much trust a figure deserves. Reports print everything that is not `verified` as an estimate.
public enum FigureStatus: String, Codable, Sendable, CaseIterable {
    /// Checked against the cited source.
    case verified
    /// Remembered from the cited source but not re-read (ANCHORS.md marks these); an estimate.
    case recalled
    /// No published figure was at hand: an engineering estimate whose reasoning is the `source` text.
    case assumed
    /// Computed by us from cited figures (a difference of two of them, say): it carries the
    /// errors of each, so it is less sure than the figures themselves.
    case derived

    public var isEstimate: Bool { self != .verified }

    /// How far from the true figure an estimate of this status may lie, as factors of it: a
    /// recalled number is probably near what the source says, an assumed one may be off by half
    /// or double, and a difference of two recalled figures a − b by 0.25 (a + b) / (a − b) of
    /// itself, about 45% for the profiles' (3,223 − 889, 3,927 − 1,093). A verdict that changes
    /// inside this spread is reported as uncertain.
    public var spread: (low: Double, high: Double) {
        switch self {
        case .verified: (1, 1)
        case .recalled: (0.75, 1.25)
        case .assumed: (0.5, 2)
        case .derived: (0.5, 1.5)
        }
    }

    /// "recalled, assumed or derived": the statuses whose figures are estimates, for report prose.
    public static var estimateNames: String {
        let names = allCases.filter(\.isEstimate).map(\.rawValue)
        return names.dropLast().joined(separator: ", ") + (names.count > 1 ? " or " : "") + (names.last ?? "")
    }
}

/// One priced event: cycles, and where the number comes from.
public struct CostFigure: Sendable, Equatable, Codable {
    public let cycles: Double
    public let status: FigureStatus
    public let source: String
}

/// A processor's clock rate, needed to turn modeled cycles into modeled seconds.
public struct ClockFigure: Sendable, Equatable, Codable {
    public let hertz: Double
    public let status: FigureStatus
    public let source: String
}

/// A cost profile: one processor's published costs for the events VirtBench counts, so the
/// report can set exact counts beside the cost tables of real machines.
///
/// Profiles are data files (`Corpus/profiles/*.json`) with a cited source per figure; the
/// harness refuses a profile with a missing, negative or unsourced figure instead of
/// silently pricing an event at zero.
public struct CostProfile: Sendable, Equatable, Codable {
    /// Short identifier used on the command line (`--profile`) and in reports.
    public let name: String
    /// The processor, in words.
    public let title: String
    public let clock: ClockFigure
    public let figures: [CostEvent: CostFigure]

    public init(name: String, title: String, clock: ClockFigure, figures: [CostEvent: CostFigure]) {
        self.name = name
        self.title = title
        self.clock = clock
        self.figures = figures
    }

    /// The modeled cost of a run's counts on this processor.
    public func model(_ counts: EventCounts) -> ModeledCost {
        var cycles: [CostEvent: Double] = [:]
        for event in CostEvent.allCases {
            let count = event.count(in: counts)
            if count > 0, let figure = figures[event] { cycles[event] = Double(count) * figure.cycles }
        }
        let total = cycles.values.reduce(0, +)
        return ModeledCost(profile: name, cyclesByEvent: cycles, totalCycles: total, seconds: total / clock.hertz)
    }

    /// Whether any figure (or the clock) is an estimate rather than a verified number.
    public var hasEstimates: Bool { clock.status.isEstimate || figures.values.contains { $0.status.isEstimate } }

    // MARK: Reading profile files

    /// Reads and checks a profile file.
    public static func load(from url: URL) throws(CostProfileError) -> CostProfile {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try parse(data, path: url.path)
    }

    /// Parses profile JSON. Every `CostEvent` needs a figure with non-negative, finite `cycles`,
    /// a `status` and a non-empty `source`; unknown events are rejected so a typo cannot hide a figure.
    public static func parse(_ data: Data, path: String) throws(CostProfileError) -> CostProfile {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw .malformed(path: path, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let root = object as? [String: Any] else { throw .malformed(path: path, reason: "the top level must be an object") }
        let name = try string(root["name"], field: "name", path: path)
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw .malformed(path: path, reason: "name '\(name)' may hold only letters, digits, '-', '_' and '.'")
        }
        let title = try string(root["title"], field: "title", path: path)
        guard let clockObject = root["clock"] as? [String: Any] else { throw .missingFigure(path: path, figure: "clock") }
        let hertz = try number(clockObject["hertz"], figure: "clock", field: "hertz", path: path)
        guard hertz > 0 else { throw .invalidFigure(path: path, figure: "clock", reason: "hertz must be greater than zero, not \(hertz)") }
        let clock = ClockFigure(hertz: hertz, status: try status(clockObject["status"], figure: "clock", path: path),
                                source: try source(clockObject["source"], figure: "clock", path: path))
        guard let figureObjects = root["figures"] as? [String: Any] else {
            throw .malformed(path: path, reason: "'figures' must be an object with one entry per event")
        }
        for key in figureObjects.keys.sorted() where CostEvent(rawValue: key) == nil {
            throw .unknownEvent(path: path, event: key, known: CostEvent.allCases.map(\.rawValue))
        }
        var figures: [CostEvent: CostFigure] = [:]
        for event in CostEvent.allCases {
            guard let entry = figureObjects[event.rawValue] else { throw .missingFigure(path: path, figure: event.rawValue) }
            guard let figure = entry as? [String: Any] else {
                throw .invalidFigure(path: path, figure: event.rawValue, reason: "must be an object with cycles, status and source")
            }
            let cycles = try number(figure["cycles"], figure: event.rawValue, field: "cycles", path: path)
            guard cycles >= 0 else { throw .invalidFigure(path: path, figure: event.rawValue, reason: "cycles must not be negative (\(cycles))") }
            figures[event] = CostFigure(cycles: cycles, status: try status(figure["status"], figure: event.rawValue, path: path),
                                        source: try source(figure["source"], figure: event.rawValue, path: path))
        }
        return CostProfile(name: name, title: title, clock: clock, figures: figures)
    }

    private static func string(_ value: Any?, field: String, path: String) throws(CostProfileError) -> String {
        guard let text = value as? String, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .malformed(path: path, reason: "'\(field)' must be a non-empty string")
        }
        return text
    }

    private static func number(_ value: Any?, figure: String, field: String, path: String) throws(CostProfileError) -> Double {
        guard let value else { throw .missingFigure(path: path, figure: "\(figure).\(field)") }
        // JSONSerialization may hand booleans over as NSNumber too; `true` is not a cycle count.
        guard !isBoolean(value), let number = value as? NSNumber else {
            throw .invalidFigure(path: path, figure: figure, reason: "\(field) must be a number")
        }
        let double = number.doubleValue
        guard double.isFinite else { throw .invalidFigure(path: path, figure: figure, reason: "\(field) must be finite") }
        return double
    }

    /// JSON `true`/`false` arrive as NSNumber too; they report the C type `char` ("c"), which
    /// no JSON number does.
    private static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    private static func status(_ value: Any?, figure: String, path: String) throws(CostProfileError) -> FigureStatus {
        guard let text = value as? String, let status = FigureStatus(rawValue: text) else {
            throw .invalidFigure(path: path, figure: figure,
                                 reason: "status must be one of \(FigureStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return status
    }

    private static func source(_ value: Any?, figure: String, path: String) throws(CostProfileError) -> String {
        guard let text = value as? String, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw .invalidFigure(path: path, figure: figure, reason: "every figure needs a non-empty source")
        }
        return text
    }
}

/// A run's counts priced by one profile. Modeled, not measured: the report labels it so.
public struct ModeledCost: Sendable, Equatable, Codable {
    public let profile: String
    public let cyclesByEvent: [CostEvent: Double]
    public let totalCycles: Double
    /// totalCycles at the profile's clock.
    public let seconds: Double
}

/// Why a profile file was refused.
public enum CostProfileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case missingFigure(path: String, figure: String)
    case invalidFigure(path: String, figure: String, reason: String)
    case unknownEvent(path: String, event: String, known: [String])
    case unknownProfile(String, known: [String])
    case duplicateName(String, paths: [String])

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cost profile \(path): cannot read: \(reason)"
        case .malformed(let path, let reason): return "cost profile \(path): \(reason)"
        case .missingFigure(let path, let figure): return "cost profile \(path): missing figure '\(figure)'"
        case .invalidFigure(let path, let figure, let reason): return "cost profile \(path): figure '\(figure)': \(reason)"
        case .unknownEvent(let path, let event, let known):
            return "cost profile \(path): unknown event '\(event)' (known: \(known.joined(separator: ", ")))"
        case .unknownProfile(let name, let known):
            return "unknown cost profile '\(name)' (known: \(known.isEmpty ? "none" : known.joined(separator: ", "))); give a name or a .json path"
        case .duplicateName(let name, let paths): return "two cost profiles are named '\(name)': \(paths.joined(separator: ", "))"
        }
    }
}

/// The profiles shipped in `Corpus/profiles`.
public enum CostProfileLibrary {
    /// Where the shipped profiles live, relative to the package root.
    public static let directory = "Corpus/profiles"

    /// Every `*.json` profile in `folder`, sorted by file name; any bad file fails the whole load.
    public static func loadAll(in folder: URL) throws(CostProfileError) -> [CostProfile] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw .unreadable(path: folder.path, reason: error.localizedDescription)
        }
        var profiles: [CostProfile] = []
        var paths: [String: String] = [:]
        for file in names.filter({ $0.hasSuffix(".json") }).sorted() {
            let url = folder.appendingPathComponent(file)
            let profile = try CostProfile.load(from: url)
            if let other = paths[profile.name] { throw .duplicateName(profile.name, paths: [other, url.path]) }
            paths[profile.name] = url.path
            profiles.append(profile)
        }
        return profiles
    }

    /// Resolves `--profile` values: each is a shipped profile's name or a path to a file.
    /// An empty list selects every shipped profile.
    public static func select(_ requests: [String], in folder: URL) throws(CostProfileError) -> [CostProfile] {
        let shipped = try loadAll(in: folder)
        if requests.isEmpty { return shipped }
        var result: [CostProfile] = []
        for request in requests {
            let profile: CostProfile
            if let match = shipped.first(where: { $0.name == request }) {
                profile = match
            } else if request.hasSuffix(".json") || request.contains("/") {
                profile = try CostProfile.load(from: URL(fileURLWithPath: request))
            } else {
                throw .unknownProfile(request, known: shipped.map(\.name))
            }
            if !result.contains(where: { $0.name == profile.name }) { result.append(profile) }
        }
        return result
    }
}
