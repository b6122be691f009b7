import Foundation

/// How a run is judged: against the program's own expectation, and in modes other than
/// native against native's run (Popek–Goldberg equivalence: same console output, exit status
/// and final checksum line).
public enum RunJudgement {
    /// Nil when `result` passes; otherwise the reason, in one line.
    public static func failure(of result: GuestRunResult, program: CorpusProgram, instructionLimit: UInt64) -> String? {
        let run = CorpusRunResult(output: result.output, exitStatus: result.exitStatus, timedOut: result.limitReached)
        if result.limitReached { return "did not finish within \(instructionLimit) instructions" }
        if result.exitStatus != 0 { return "exit status \(result.exitStatus), last line \(quoted(run.finalLine))" }
        if run.finalLine != program.expectedFinalLine {
            return "last line \(quoted(run.finalLine)), expected \(quoted(program.expectedFinalLine))"
        }
        return nil
    }

    /// Nil when `result` is equivalent to `native`; otherwise what differs.
    ///
    /// SBI firmware prints a banner before the kernel runs; in a mode where the hypervisor
    /// answers SBI calls there is no firmware and no banner. So when native's output does not
    /// start with the mode's first line, native's lines before that line are firmware output
    /// and are not compared.
    public static func difference(_ result: GuestRunResult, from native: GuestRunResult) -> String? {
        if result.exitStatus != native.exitStatus { return "exit status \(result.exitStatus), native \(native.exitStatus)" }
        if result.output == native.output { return nil }
        let mine = result.output.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        var theirs = native.output.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)[...]
        if let first = mine.first, theirs.first != first, let start = theirs.firstIndex(of: first) {
            theirs = theirs[start...]
        }
        if mine.elementsEqual(theirs) { return nil }
        let startLine = theirs.startIndex
        for index in 0 ..< max(mine.count, theirs.count) {
            let a = index < mine.count ? String(mine[index]) : nil
            let b = startLine + index < theirs.endIndex ? String(theirs[startLine + index]) : nil
            if a != b { return "console line \(index + 1) is \(quoted(a)), native printed \(quoted(b))" }
        }
        return "console output differs from native"
    }

    /// The value after the last "checksum" on the console (the CPU workloads print
    /// `<name>: checksum <hex>` before their verdict), so reports can show it beside the verdict.
    public static func checksum(in output: String) -> String? {
        // "\r\n" is one Character in Swift, so split on any newline rather than on "\n".
        for line in output.split(whereSeparator: \.isNewline).reversed() {
            guard let range = line.range(of: "checksum ") else { continue }
            let value = line[range.upperBound...].split(separator: " ").first.map(String.init)?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if let value, !value.isEmpty { return value }
        }
        return nil
    }

    static func quoted(_ text: String?) -> String {
        guard let text else { return "(none)" }
        let trimmed = text.replacingOccurrences(of: "\r", with: "")
        return "\"" + (trimmed.count > 80 ? String(trimmed.prefix(80)) + "…" : trimmed) + "\""
    }
}

/// What a comparison runs: which programs, which modes, how often, priced by which profiles.
public struct ComparisonPlan: Sendable {
    public var corpus: CorpusSelection
    /// Mode names, implemented or planned (planned ones are reported as not implemented).
    public var modes: [String]
    public var profiles: [CostProfile]
    public var rounds: Int
    public var options: ModeRunOptions
    /// Whether to measure the hypervisor's host time per transition for the guest modes that
    /// ran (a comparison's report shows it; a conformance run only judges pass and fail).
    public var measuresTransitionCosts: Bool

    public init(corpus: CorpusSelection, modes: [String], profiles: [CostProfile], rounds: Int, options: ModeRunOptions,
                measuresTransitionCosts: Bool = true) {
        self.corpus = corpus
        self.modes = modes
        self.profiles = profiles
        self.rounds = rounds
        self.options = options
        self.measuresTransitionCosts = measuresTransitionCosts
    }
}

/// Why a comparison could not run at all.
public enum ComparisonError: Error, CustomStringConvertible, Equatable {
    case invalidRounds(Int)
    case build(CorpusBuildError)

    public var description: String {
        switch self {
        case .invalidRounds(let n): return "--rounds must be at least 1 (got \(n))"
        case .build(let error): return error.description
        }
    }
}

/// Runs a comparison plan: builds each program, runs it in every mode for every round, judges
/// the runs, and collects measurements, exact counts and modeled costs into a report.
public struct ComparisonRunner {
    public let plan: ComparisonPlan
    /// Builds a program's image; injected so tests can use their own builder.
    public let build: (CorpusProgram) throws(CorpusBuildError) -> URL
    /// One line per step, for the progress display (stderr).
    public let progress: (String) -> Void

    public init(plan: ComparisonPlan, build: @escaping (CorpusProgram) throws(CorpusBuildError) -> URL,
                progress: @escaping (String) -> Void = { _ in }) {
        self.plan = plan
        self.build = build
        self.progress = progress
    }

    /// Runs everything. Guest failures become failed cells; only a plan that cannot run at all throws.
    public func run(runID: String, now: Date = Date()) throws(ComparisonError) -> ComparisonReport {
        guard plan.rounds >= 1 else { throw .invalidRounds(plan.rounds) }
        var results: [WorkloadResult] = []
        let programs = plan.corpus.programs
        let implementedModes = plan.modes.compactMap(ModeRegistry.mode(named:))
        let total = programs.count * implementedModes.count * plan.rounds
        var done = 0
        var nativeRuns: [String: (result: GuestRunResult, wall: Double)] = [:]
        for program in programs {
            let image: URL
            do { image = try build(program) } catch {
                // A toolchain that is missing fails every program the same way: stop with its message.
                if case .toolMissing = error { throw .build(error) }
                for mode in plan.modes {
                    results.append(WorkloadResult(workload: program.name, category: program.category, mode: mode,
                                                  status: ModeRegistry.mode(named: mode) == nil ? .planned : .failed,
                                                  reason: "build failed: \(error.description)"))
                }
                done += implementedModes.count * plan.rounds
                continue
            }
            var native: (result: GuestRunResult, wall: Double)?
            // A para-virtual build has no native run of its own: its plain build's stands in.
            if let counterpart = program.nativeCounterpart { native = nativeRuns[counterpart] }
            for modeName in plan.modes {
                guard let mode = ModeRegistry.mode(named: modeName) else {
                    results.append(WorkloadResult(workload: program.name, category: program.category, mode: modeName,
                                                  status: .planned, reason: "mode not implemented yet"))
                    continue
                }
                // A para-virtual build runs on hypercalls only; every other mode would run it into them.
                let paraOnly = program.isParavirtualBuild && modeName != ParaMode.modeName
                if let refusal = paraOnly ? "built for the hypercall ABI: only para runs it" : mode.refusal(for: program) {
                    results.append(WorkloadResult(workload: program.name, category: program.category, mode: modeName,
                                                  status: .skipped, reason: refusal))
                    done += plan.rounds
                    continue
                }
                var runs: [ModeRunResult] = []
                var setupFailure: String?
                for round in 1 ... plan.rounds {
                    done += 1
                    progress("[\(done)/\(total)] \(program.name) · \(modeName) · round \(round)/\(plan.rounds)")
                    do { runs.append(try mode.run(program, image: image, options: plan.options)) } catch {
                        setupFailure = error.description
                        done += plan.rounds - round
                        break
                    }
                }
                var cell = summarize(program: program, mode: modeName, runs: runs)
                if let setupFailure {
                    cell.status = .failed
                    cell.reason = setupFailure
                } else if let first = runs.first {
                    if let failure = runs.lazy.compactMap({ RunJudgement.failure(of: $0.guest, program: program, instructionLimit: plan.options.instructionLimit) }).first {
                        cell.status = .failed
                        cell.reason = failure
                    }
                    if modeName == "native" {
                        if let wall = cell.medianWallSeconds {
                            native = (first.guest, wall)
                            nativeRuns[program.name] = (first.guest, wall)
                        }
                        cell.relativeThroughput = 1
                    } else if let native {
                        let difference = RunJudgement.difference(first.guest, from: native.result)
                        cell.equivalentToNative = difference == nil
                        if let difference, cell.status == .passed {
                            cell.status = .failed
                            cell.reason = "not equivalent to native: \(difference)"
                        }
                        if let wall = cell.medianWallSeconds, wall > 0 { cell.relativeThroughput = native.wall / wall }
                    } else if program.category == .thumb, let wall = cell.medianWallSeconds, wall > 0,
                              let reference = results.first(where: {
                                  $0.workload == CorpusSelection.rv64Name(of: program) && $0.mode == "native" && $0.status == .passed
                              }), let referenceWall = reference.medianWallSeconds {
                        // A Thumb build has no native run of its own: its yardstick is the RV64 build
                        // of the same source run natively (the emulation table says so).
                        cell.relativeThroughput = referenceWall / wall
                    }
                    if plan.options.virtualTime, cell.countsStable == false, cell.status == .passed {
                        cell.status = .failed
                        cell.reason = "event counts differ between rounds in virtual-time mode"
                    }
                }
                results.append(cell)
            }
        }
        let modes = plan.modes.map { name -> ModeDescription in
            if let mode = ModeRegistry.mode(named: name) { return ModeDescription(name: name, summary: mode.summary, implemented: true) }
            let planned = ModeRegistry.planned.first { $0.name == name }
            return ModeDescription(name: name, summary: planned?.summary ?? "", implemented: false)
        }
        var notes = plan.corpus.notes
        let missing = modes.filter { !$0.implemented }.map(\.name)
        if !missing.isEmpty {
            notes.append("Not implemented yet, so not measured: \(missing.joined(separator: ", ")). Their columns are empty on purpose.")
        }
        if !plan.options.virtualTime {
            notes.append("Run in real-time mode: event counts that depend on timer interrupts may vary between rounds.")
        }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        let guestModes = Set(results.filter { $0.status == .passed && $0.mode != "native" }.map(\.mode))
        let kinds = plan.measuresTransitionCosts ? TransitionBench.all.filter { guestModes.contains(TransitionBench.mode(of: $0)) } : []
        var transitionCosts: [TransitionCost] = []
        for (index, kind) in kinds.enumerated() {
            progress("[transitions \(index + 1)/\(kinds.count)] \(kind.name)")
            do {
                let figure = try TransitionBench.measure(kind, rounds: max(3, plan.rounds))
                transitionCosts.append(TransitionCost(mode: TransitionBench.mode(of: kind), kind: String(kind.name.drop { $0 != "/" }.dropFirst()),
                                                      medianNanoseconds: figure.nanosecondsPerTransition, roundNanoseconds: figure.rounds))
            } catch {
                notes.append("The host time per transition of \(kind.name) was not measured: \(error)")
            }
        }
        var report = ComparisonReport(
            runID: runID, createdAt: formatter.string(from: now), host: .current,
            settings: ComparisonSettings(corpus: plan.corpus.description, rounds: plan.rounds, virtualTime: plan.options.virtualTime,
                                         instructionLimit: plan.options.instructionLimit, ramSize: plan.options.ramSize),
            notes: notes, modes: modes, workloads: programs.map(\.name), profiles: plan.profiles, results: results
        )
        report.transitionCosts = transitionCosts.isEmpty ? nil : transitionCosts
        return report
    }

    /// Measurements and counts of a mode's rounds, before judging.
    func summarize(program: CorpusProgram, mode: String, runs: [ModeRunResult]) -> WorkloadResult {
        let rounds = runs.map { RoundMeasurement(wallSeconds: $0.guest.wallSeconds, instructions: $0.guest.instructions, mips: $0.guest.mips) }
        let counts = runs.first?.eventCounts
        let stable = runs.isEmpty ? nil : runs.allSatisfy { $0.eventCounts == counts }
        let finalLine = runs.first.map { CorpusRunResult(output: $0.guest.output, exitStatus: $0.guest.exitStatus, timedOut: $0.guest.limitReached).finalLine } ?? nil
        return WorkloadResult(
            workload: program.name, category: program.category, mode: mode, status: .passed, rounds: rounds,
            medianWallSeconds: Self.median(rounds.map(\.wallSeconds)), medianMIPS: Self.median(rounds.map(\.mips)),
            counts: counts, countsStable: stable, finalLine: finalLine,
            checksum: runs.first.flatMap { RunJudgement.checksum(in: $0.guest.output) }, exitStatus: runs.first?.guest.exitStatus,
            modeled: counts.map { counts in plan.profiles.map { $0.model(counts) } } ?? []
        )
    }

    /// The middle value (mean of the two middle ones for an even count); nil for no values.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// A run identifier that sorts by time: `20250131-142501` (UTC).
    public static func makeRunID(at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }
}
