import Foundation

// The report's view of the corpus kernel's OS-bound microbenchmarks across modes: what each one
// cost the hypervisor per iteration (exact counts of transitions by kind), what that costs under
// each cost profile (modeled), and how software (`full`) and hardware (`hav`) virtualization
// compare with what Adams & Agesen reported in 2006. Computed here once; the Markdown prints it
// and report.json carries it.

/// The two sides of Adams & Agesen's comparison, as our modes.
public enum VirtualizationTechnique: String, Codable, Sendable, Equatable {
    /// Their binary-translating VMM; ours is `full` (trap-and-emulate with shadow page tables).
    case software
    /// Their first-generation VT-x VMM; ours is `hav` (the H extension, with G-stage tables).
    case hardware

    public var mode: String { self == .software ? "full" : "hav" }
}

/// One of Adams & Agesen's results that an OS-bound microbenchmark of ours maps onto.
public struct AdamsAgesenResult: Codable, Sendable, Equatable {
    /// Our microbenchmark (`CorpusCatalogue.kernelMicrobenchmarks`).
    public let microbenchmark: String
    /// Their nanobenchmark or workload.
    public let theirs: String
    /// Which side was cheaper in their measurements.
    public let winner: VirtualizationTechnique
    /// How far `basis` can be trusted (ANCHORS.md): a verified conclusion, or figures recalled, not re-read.
    public let status: FigureStatus
    /// What they reported, in words and figures.
    public let basis: String
}

/// Adams & Agesen, "A Comparison of Software and Hardware Techniques for x86 Virtualization"
/// (ASPLOS 2006): the one place that lists which of our microbenchmarks maps onto which of their
/// measurements and what they found (statuses as in /work/shared/ANCHORS.md).
public enum AdamsAgesen2006 {
    /// The cost profile of their machine, under which our modes are compared with their verdicts.
    public static let profile = "pentium4-vtx-2006"

    public static let results: [AdamsAgesenResult] = [
        AdamsAgesenResult(microbenchmark: "syscall", theirs: "syscall", winner: .hardware, status: .verified,
                          basis: "conclusion: hardware wins on system calls"),
        AdamsAgesenResult(microbenchmark: "pagefault", theirs: "pgfault", winner: .software, status: .recalled,
                          basis: "pgfault: native 1,093, software 3,927, hardware 11,242 cycles"),
        AdamsAgesenResult(microbenchmark: "ctxswitch", theirs: "process switch", winner: .software, status: .verified,
                          basis: "conclusion: binary translation wins on process switches"),
        AdamsAgesenResult(microbenchmark: "process", theirs: "forkwait", winner: .software, status: .verified,
                          basis: "conclusion: binary translation wins on process switches; forkwait (40,000 processes) native 6.0, software 36.9, hardware 106.4 s (these figures recalled)"),
        AdamsAgesenResult(microbenchmark: "pte", theirs: "ptemod", winner: .software, status: .verified,
                          basis: "conclusion: binary translation wins on page-table changes; ptemod native ~1, software 391, hardware 12,733 cycles (these figures recalled)"),
        AdamsAgesenResult(microbenchmark: "mmio", theirs: "I/O", winner: .software, status: .verified,
                          basis: "conclusion: binary translation wins on I/O"),
    ]
}

/// The corpus kernel's result line, `<name>: <count> iterations, checksum 0x…`, which ends one
/// OS-bound microbenchmark. The modes' phase counts should carry the count as
/// `phase.<name>.iterations` so the report can divide by it.
public enum KernelMicrobenchmarkLine {
    /// The microbenchmark and its iteration count, or nil when `line` is not a result line.
    public static func parse(_ line: String) -> (name: String, iterations: UInt64)? {
        for name in CorpusCatalogue.kernelMicrobenchmarks where line.hasPrefix("\(name): ") {
            let rest = line.dropFirst(name.count + 2)
            guard let space = rest.firstIndex(of: " "), rest[space...].hasPrefix(" iterations"),
                  let count = UInt64(rest[..<space]) else { return nil }
            return (name, count)
        }
        return nil
    }

    /// The phase-count key that holds a microbenchmark's iteration count.
    public static func iterationsKey(_ microbenchmark: String) -> String { "phase.\(microbenchmark).iterations" }
}

/// What one mode's run of one OS-bound microbenchmark cost (from its `phase.<name>.*` counts).
public struct MicrobenchmarkCost: Codable, Sendable, Equatable {
    public var workload: String
    public var mode: String
    public var microbenchmark: String
    /// `phase.<name>.iterations`; nil when the run did not record it.
    public var iterations: UInt64?
    /// Exits, traps, hypercalls and shadow events over the whole microbenchmark, by count key
    /// (`vmexit.mmio`, `trap.csrw`, `hypercall.mmu-update`, `shadow.resync` …).
    public var byKind: [String: UInt64]
    /// Transitions into the hypervisor (exits, traps, hypercalls, shadow faults; not resyncs).
    public var transitions: UInt64
    public var transitionsPerIteration: Double?
    /// The phase's counts priced by each profile (modeled).
    public var modeled: [ModeledCost]
    /// Profile name → modeled cycles per iteration.
    public var cyclesPerIteration: [String: Double]
    /// Whether the phase counts include the guest's own instructions (then the cycles price the
    /// whole microbenchmark; otherwise only what the hypervisor counted).
    public var includesGuestWork: Bool
    /// Why figures are missing, when they are.
    public var note: String?
}

/// `para` set beside `full`: transitions into the hypervisor per iteration, and their ratio.
public struct TransitionRatio: Codable, Sendable, Equatable {
    public var microbenchmark: String
    public var fullPerIteration: Double?
    public var paraPerIteration: Double?
    /// para ÷ full; nil when either is missing or full took none.
    public var ratio: Double?
}

/// One row of the Adams & Agesen section: their verdict beside ours under their machine's profile.
public struct AdamsAgesenComparison: Codable, Sendable, Equatable {
    public var reported: AdamsAgesenResult
    public var profile: String
    /// Modeled cycles per iteration of `full` (software) and `hav` (hardware) under `profile`.
    public var softwareCyclesPerIteration: Double?
    public var hardwareCyclesPerIteration: Double?
    /// The cheaper side in our model; nil when a side is missing or both cost the same.
    public var ours: VirtualizationTechnique?
    public var agrees: Bool?
    /// full − hav in modeled cycles per iteration at its lowest and highest as every price moves
    /// within its status's spread (`FigureStatus.spread`); nil when a side is missing.
    public var differenceRange: [Double]?
    /// Set when that range holds zero: the verdict turns on estimated prices, not on the counts.
    public var uncertain: Bool?
    /// Why, generated from the counts (or what is missing).
    public var why: String
}

/// A mode that ran (or was asked to run) a workload with microbenchmarks but has no
/// per-microbenchmark counts for it, and why.
public struct MissingMicrobenchmarkCounts: Codable, Sendable, Equatable {
    public var workload: String
    public var mode: String
    public var reason: String
}

/// The whole view (report.json's `microbenchmarks`).
public struct MicrobenchmarkComparison: Codable, Sendable, Equatable {
    /// One per microbenchmark and result that has phase counts.
    public var rows: [MicrobenchmarkCost]
    /// Results of the same workloads without any phase counts (native, modes not built, failures).
    public var missing: [MissingMicrobenchmarkCounts]
    public var paraVersusFull: [TransitionRatio]
    public var adamsAgesen: [AdamsAgesenComparison]

    public var isEmpty: Bool { rows.isEmpty }

    /// Computes the view from a comparison's results and profiles. Only workloads with phase
    /// counts in some mode (the corpus kernel's builds) are shown; a result of such a workload
    /// gets a row per microbenchmark when it has phase counts, else an entry in `missing`.
    public init(results: [WorkloadResult], profiles: [CostProfile]) {
        let names = CorpusCatalogue.kernelMicrobenchmarks
        let workloads = results.reduce(into: [String]()) { list, result in
            guard let counts = result.counts, names.contains(where: { counts.total(prefix: "phase.\($0).") > 0 }),
                  !list.contains(result.workload) else { return }
            list.append(result.workload)
        }
        var rows: [MicrobenchmarkCost] = []
        var missing: [MissingMicrobenchmarkCounts] = []
        for workload in workloads {
            let cells = results.filter { $0.workload == workload }
            let counted = cells.filter { ($0.counts?.total(prefix: "phase.") ?? 0) > 0 }
            for cell in cells where !counted.contains(cell) {
                missing.append(MissingMicrobenchmarkCounts(workload: workload, mode: cell.mode, reason: Self.missingReason(cell)))
            }
            let measured = names.filter { name in counted.contains { ($0.counts?.total(prefix: "phase.\(name).") ?? 0) > 0 } }
            for name in measured {
                rows += counted.map { Self.row($0, microbenchmark: name, profiles: profiles) }
            }
        }
        self.rows = rows
        self.missing = missing

        func first(_ mode: String, _ name: String) -> MicrobenchmarkCost? {
            rows.first { $0.mode == mode && $0.microbenchmark == name && $0.transitionsPerIteration != nil }
                ?? rows.first { $0.mode == mode && $0.microbenchmark == name }
                ?? missing.first { $0.mode == mode }.map {
                    MicrobenchmarkCost(workload: $0.workload, mode: mode, microbenchmark: name, iterations: nil, byKind: [:], transitions: 0,
                                       transitionsPerIteration: nil, modeled: [], cyclesPerIteration: [:], includesGuestWork: false, note: $0.reason)
                }
        }
        let hasPara = rows.contains { $0.mode == "para" } && rows.contains { $0.mode == "full" }
        paraVersusFull = !hasPara ? [] : names.compactMap { name in
            let full = first("full", name), para = first("para", name)
            guard full != nil || para != nil else { return nil }
            let ratio = full?.transitionsPerIteration.flatMap { f in para?.transitionsPerIteration.flatMap { p in f > 0 ? p / f : nil } }
            return TransitionRatio(microbenchmark: name, fullPerIteration: full?.transitionsPerIteration,
                                   paraPerIteration: para?.transitionsPerIteration, ratio: ratio)
        }

        let profile = profiles.first { $0.name == AdamsAgesen2006.profile }
        adamsAgesen = rows.isEmpty ? [] : AdamsAgesen2006.results.map { reported in
            Self.compare(reported, software: first("full", reported.microbenchmark), hardware: first("hav", reported.microbenchmark),
                         profile: profile)
        }
    }

    /// Report order: the cost events that are transitions into the hypervisor, plus resyncs.
    static let transitionEvents = CostEvent.allCases.filter { $0.isTransitionIntoHypervisor || $0 == .shadowResync }

    static func row(_ result: WorkloadResult, microbenchmark name: String, profiles: [CostProfile]) -> MicrobenchmarkCost {
        let prefix = "phase.\(name)."
        var phase = EventCounts()
        for (key, value) in result.counts?.values ?? [:] where key.hasPrefix(prefix) {
            phase.values[String(key.dropFirst(prefix.count))] = value
        }
        let iterationsValue = phase.values.removeValue(forKey: "iterations")
        let iterations = iterationsValue.flatMap { $0 > 0 ? $0 : nil }
        let byKind = phase.values.filter { key, _ in transitionEvents.contains { $0.covers(key) } }
        let transitions = CostEvent.allCases.filter(\.isTransitionIntoHypervisor).reduce(0) { $0 &+ $1.count(in: phase) }
        var note: String?
        if phase.values.isEmpty {
            return MicrobenchmarkCost(workload: result.workload, mode: result.mode, microbenchmark: name, iterations: iterations,
                                      byKind: [:], transitions: 0, transitionsPerIteration: nil, modeled: [], cyclesPerIteration: [:],
                                      includesGuestWork: false, note: "no counts for this microbenchmark in this run")
        }
        if iterations == nil { note = "iterations not recorded (no \(KernelMicrobenchmarkLine.iterationsKey(name)) count): totals only" }
        let modeled = profiles.map { $0.model(phase) }
        var perIteration: [String: Double] = [:]
        if let iterations { for cost in modeled { perIteration[cost.profile] = cost.totalCycles / Double(iterations) } }
        return MicrobenchmarkCost(workload: result.workload, mode: result.mode, microbenchmark: name, iterations: iterations,
                                  byKind: byKind, transitions: transitions,
                                  transitionsPerIteration: iterations.map { Double(transitions) / Double($0) },
                                  modeled: modeled, cyclesPerIteration: perIteration,
                                  includesGuestWork: phase["instructions"] > 0, note: note)
    }

    static func missingReason(_ result: WorkloadResult) -> String {
        if result.status != .passed { return result.status.rawValue + (result.reason.map { ": \($0)" } ?? "") }
        if result.mode == "native" {
            return "native has no hypervisor to count transitions, and this run did not split the hart's counts by microbenchmark"
        }
        return "no per-microbenchmark counts in this run"
    }

    // MARK: Adams & Agesen

    static func compare(_ reported: AdamsAgesenResult, software: MicrobenchmarkCost?, hardware: MicrobenchmarkCost?,
                        profile: CostProfile?) -> AdamsAgesenComparison {
        var comparison = AdamsAgesenComparison(reported: reported, profile: AdamsAgesen2006.profile, softwareCyclesPerIteration: nil,
                                               hardwareCyclesPerIteration: nil, ours: nil, agrees: nil, why: "")
        guard let profile else {
            comparison.why = "the \(AdamsAgesen2006.profile) profile is not part of this report"
            return comparison
        }
        let soft = software?.cyclesPerIteration[profile.name], hard = hardware?.cyclesPerIteration[profile.name]
        comparison.softwareCyclesPerIteration = soft
        comparison.hardwareCyclesPerIteration = hard
        guard let soft, let hard, let software, let hardware else {
            comparison.why = [(software, "full"), (hardware, "hav")].compactMap { row, mode in
                guard row?.cyclesPerIteration[profile.name] == nil else { return nil }
                return "\(mode): " + (row?.note ?? "not in this report")
            }.joined(separator: "; ")
            return comparison
        }
        comparison.ours = soft < hard ? .software : hard < soft ? .hardware : nil
        comparison.agrees = comparison.ours.map { $0 == reported.winner }
        comparison.why = why(reported, software: software, hardware: hardware, ours: comparison.ours, profile: profile)
        if let range = differenceRange(software: software, hardware: hardware, profile: profile) {
            comparison.differenceRange = [range.low, range.high]
            comparison.uncertain = range.low <= 0 && range.high >= 0
            if comparison.uncertain == true {
                comparison.why += "; but full − hav ranges from \(amount(range.low)) to \(amount(range.high)) cycles per iteration "
                    + "as the estimated prices move within their spread, so this verdict is uncertain"
            }
        }
        return comparison
    }

    /// The lowest and highest full − hav (modeled cycles per iteration) as each figure of the
    /// profile moves within its status's spread: every event's count difference times its price,
    /// the price taken at whichever end makes the sum smallest, then largest. Nil without
    /// iteration counts on both sides.
    static func differenceRange(software: MicrobenchmarkCost, hardware: MicrobenchmarkCost,
                                profile: CostProfile) -> (low: Double, high: Double)? {
        guard let softIterations = software.iterations, let hardIterations = hardware.iterations,
              let soft = software.modeled.first(where: { $0.profile == profile.name }),
              let hard = hardware.modeled.first(where: { $0.profile == profile.name }) else { return nil }
        var low = 0.0, high = 0.0
        for (event, figure) in profile.figures where figure.cycles > 0 {
            // Cycles per iteration at the figure as given; the spread scales each side's share alike.
            let difference = (soft.cyclesByEvent[event] ?? 0) / Double(softIterations) - (hard.cyclesByEvent[event] ?? 0) / Double(hardIterations)
            let spread = figure.status.spread
            let ends = (difference * spread.low, difference * spread.high)
            low += min(ends.0, ends.1)
            high += max(ends.0, ends.1)
        }
        return (low, high)
    }

    /// The reasons, from the counts: how many transitions of which kinds each side took per
    /// iteration, and which difference between our modes and theirs explains the verdict.
    static func why(_ reported: AdamsAgesenResult, software: MicrobenchmarkCost, hardware: MicrobenchmarkCost,
                    ours: VirtualizationTechnique?, profile: CostProfile) -> String {
        let iterationsFull = Double(software.iterations ?? 1), iterationsHAV = Double(hardware.iterations ?? 1)
        func perIteration(_ row: MicrobenchmarkCost, _ iterations: Double, where include: (String) -> Bool) -> Double {
            Double(row.byKind.filter { include($0.key) }.values.reduce(0, +)) / iterations
        }
        let full = software.transitionsPerIteration ?? 0, hav = hardware.transitionsPerIteration ?? 0
        var parts = ["per iteration hav takes \(amount(hav)) exits (\(kinds(hardware))), full \(amount(full)) traps and shadow faults (\(kinds(software)))"]

        let reflected = perIteration(software, iterationsFull) { $0.hasPrefix("trap.reflected.") }
        let privileged = perIteration(software, iterationsFull) {
            $0.hasPrefix("trap.") && !$0.hasPrefix("trap.reflected.") && !$0.hasPrefix("trap.interrupt.") && !$0.hasPrefix(EventCounts.hartTrapPrefix)
        }
        let pageFaultReflections: Set<String> = ["trap.reflected.12", "trap.reflected.13", "trap.reflected.15"]
        let paging = perIteration(software, iterationsFull) {
            $0.hasPrefix("shadow.") || $0 == "trap.sfence.vma" || pageFaultReflections.contains($0)
        }
        let havPaging = perIteration(hardware, iterationsHAV) { $0.contains("fault") || $0.contains("page") }
        // A reason is named only when it happens at least every other iteration: a shadow fault
        // now and then is not why a system call costs what it does.
        let often = 0.5
        if hav < full {
            if reflected >= often {
                parts.append("full hands each guest trap on through the hypervisor (\(amount(reflected)) reflected), hav delegates them to the guest kernel without an exit")
            }
            if paging >= often && havPaging < paging {
                parts.append("our hav has a G-stage (nested paging), which 2006 VT-x lacked: the guest takes its page faults and changes its tables without an exit, where their hardware VMM exited to keep shadow tables (full: \(amount(paging)) shadow events, page-fault reflections and sfence.vma traps)")
            }
            if privileged >= often {
                parts.append("our full is trap-and-emulate, not binary translation: each privileged instruction costs a trap (\(amount(privileged)) per iteration) where their BT VMM ran translated code with callouts")
            }
        } else {
            parts.append(full == hav ? "full takes as many transitions as hav" : "full takes fewer transitions than hav")
        }
        if min(full, hav) > 0 && max(full, hav) <= min(full, hav) * 1.1 {
            let priced = { (row: MicrobenchmarkCost) in
                CostEvent.allCases.filter { event in event.isTransitionIntoHypervisor && row.byKind.keys.contains { event.covers($0) } }
            }
            let prices = { (events: [CostEvent]) in events.map { price($0, profile) }.joined(separator: " and ") }
            parts.append("with about as many transitions on both sides, the verdict rests on the profile's prices: \(prices(priced(software))) against \(prices(priced(hardware)))")
        }
        switch (ours, ours == reported.winner) {
        case (nil, _): parts.append("the two cost the same in our model")
        case (_, true): parts.append("as they reported")
        case (_, false): parts.append("unlike their result")
        }
        return parts.joined(separator: "; ")
    }

    static func price(_ event: CostEvent, _ profile: CostProfile) -> String {
        guard let figure = profile.figures[event] else { return "\(event.rawValue) unpriced" }
        return "\(event.rawValue) \(String(format: "%g", figure.cycles)) (\(figure.status.rawValue))"
    }

    /// A per-iteration amount, to three significant digits.
    static func amount(_ value: Double) -> String { String(format: "%.3g", value) }

    /// The three most frequent kinds, with their counts per iteration.
    static func kinds(_ row: MicrobenchmarkCost) -> String {
        let iterations = Double(row.iterations ?? 1)
        let top = row.byKind.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(3)
        return top.isEmpty ? "none" : top.map { "\($0.key) \(amount(Double($0.value) / iterations))" }.joined(separator: ", ")
    }
}
