import Foundation

/// What a campaign runs: how many cases of which kinds in which modes, against which binary.
public struct FuzzCampaignConfiguration: Sendable {
    public var seed: UInt64
    /// Cases per kind.
    public var count: Int
    public var kinds: [FuzzKind]
    public var modes: [FuzzMode]
    /// Children at a time.
    public var jobs: Int
    /// Seconds a case may run before it counts as an overrun.
    public var timeout: Double
    /// Where failing cases are kept (one folder each, with repro.sh).
    public var outputDirectory: String
    /// The `virtbench` binary under test.
    public var executable: String
    /// Folders with built corpus kernels to use as extra ELF bases (`.build/corpus`), if any.
    public var corpusDirectory: String?

    public init(seed: UInt64, count: Int, kinds: [FuzzKind], modes: [FuzzMode], jobs: Int, timeout: Double,
                outputDirectory: String, executable: String, corpusDirectory: String? = nil) {
        self.seed = seed
        self.count = count
        self.kinds = kinds
        self.modes = modes
        self.jobs = jobs
        self.timeout = timeout
        self.outputDirectory = outputDirectory
        self.executable = executable
        self.corpusDirectory = corpusDirectory
    }
}

/// Why a campaign could not start.
public struct FuzzCampaignError: Error, CustomStringConvertible {
    public let description: String
}

/// One case's result.
public struct FuzzCaseResult: Sendable {
    public let kind: FuzzKind
    public let index: Int
    public let mode: FuzzMode
    public let verdict: FuzzVerdict
    public let termination: FuzzTermination
    public let seconds: Double
    /// The folder holding the reproducer, for a finding.
    public let reproducer: String?
}

/// Runs a campaign: generates each case from the plan, runs it as a child with a deadline,
/// classifies it, keeps the inputs and a repro.sh of every finding, and tallies the results.
public final class FuzzCampaign: @unchecked Sendable {
    public let configuration: FuzzCampaignConfiguration
    public private(set) var plan: FuzzPlan
    /// Scratch folder for cases while they run; removed at the end.
    let workDirectory: String
    /// Guards `results`, `next` and the progress callback.
    private let lock = NSLock()
    private var results: [FuzzCaseResult] = []
    private var next = 0
    /// Cases that could not be run at all (files not written, child not started).
    public private(set) var harnessErrors: [String] = []

    /// Corpus kernels worth mutating, by the target they were built for (CorpusCatalogue names).
    static let corpusKernelNames: [FuzzGuestTarget: [String]] = [.supervisor: ["kernel", "kernel-cpu", "sbi"], .paravirtual: ["kernel-pv"]]

    public init(_ configuration: FuzzCampaignConfiguration) throws {
        self.configuration = configuration
        plan = FuzzPlan(seed: configuration.seed, modes: configuration.modes)
        guard FileManager.default.isExecutableFile(atPath: configuration.executable) else {
            throw FuzzCampaignError(description: "the binary to fuzz, \(configuration.executable), is not an executable file")
        }
        let work = FileManager.default.temporaryDirectory
            .appendingPathComponent("virtbench-fuzz-work-\(ProcessInfo.processInfo.processIdentifier)-\(configuration.seed)").path
        workDirectory = work
        do {
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: configuration.outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw FuzzCampaignError(description: "cannot create \(work) or \(configuration.outputDirectory): \(error.localizedDescription)")
        }
        if let corpus = configuration.corpusDirectory, configuration.kinds.contains(.elf) {
            for (target, names) in Self.corpusKernelNames {
                for name in names {
                    if let bytes = FileManager.default.contents(atPath: corpus + "/" + name + ".elf") {
                        plan.corpusKernels[target, default: []].append((name + ".elf", [UInt8](bytes)))
                    }
                }
            }
        }
    }

    /// Removes the scratch folder (what findings need was copied to the output folder).
    public func removeWorkDirectory() { try? FileManager.default.removeItem(atPath: workDirectory) }

    /// The cases this campaign runs, in order.
    public var caseList: [(kind: FuzzKind, index: Int)] {
        configuration.kinds.sorted().flatMap { kind in
            (0 ..< configuration.count).compactMap { index in plan.mode(kind: kind, index: index) == nil ? nil : (kind, index) }
        }
    }

    /// Makes the save file the save cases mutate: runs `virtbench host … --save` once, takes
    /// the file apart, and checks that the file put back together (canonical header, checksum
    /// recomputed) restores and finishes with status 0, so a mutation's effect is its own.
    public func prepareSaveBase() throws {
        guard configuration.kinds.contains(.save), plan.mode(kind: .save, index: 0) != nil else { return }
        let maker = FuzzPlan.saveBaseCase()
        let directory = workDirectory + "/save-base"
        let made = try runPrepared(maker, directory: directory)
        guard made.termination == .exited(0), let bytes = FileManager.default.contents(atPath: directory + "/base.vbsave") else {
            throw FuzzCampaignError(description: "could not make the base save file (\(made.termination)): \(made.standardError.prefix(600))")
        }
        let base: FuzzSaveFile
        do { base = try FuzzSaveFile(parsing: [UInt8](bytes)) } catch { throw FuzzCampaignError(description: "base save file: \(error)") }
        let check = FuzzCase(kind: .save, index: -1, mode: .host, seed: 0, files: [("check.vbsave", base.serialized())],
                             arguments: [.text("host"), .text("--restore"), .file("check.vbsave")], notes: [])
        let restored = try runPrepared(check, directory: workDirectory + "/save-check")
        guard restored.termination == .exited(0) else {
            throw FuzzCampaignError(description: "the base save file, rewritten by the fuzzer, does not restore cleanly (\(restored.termination)): \(restored.standardError.prefix(600))")
        }
        plan.saveBase = base
    }

    /// Runs every case with `jobs` children at a time; `report` gets one line per finding as it happens.
    public func run(report: @escaping @Sendable (String) -> Void) -> [FuzzCaseResult] {
        let work = caseList
        let group = DispatchGroup()
        for _ in 0 ..< max(1, configuration.jobs) {
            group.enter()
            let worker = Thread { [self] in
                while let item = take(from: work) {
                    guard let result = runCase(kind: item.kind, index: item.index) else { continue }
                    lock.lock()
                    results.append(result)
                    if let finding = result.verdict.finding {
                        report("finding: \(item.kind.rawValue) #\(item.index) (\(result.mode.rawValue)): \(finding.category): \(result.verdict.place ?? "") -> \(result.reproducer ?? "")")
                    }
                    lock.unlock()
                }
                group.leave()
            }
            worker.start()
        }
        group.wait()
        return results.sorted { ($0.kind, $0.index) < ($1.kind, $1.index) }
    }

    private func take(from work: [(kind: FuzzKind, index: Int)]) -> (kind: FuzzKind, index: Int)? {
        lock.lock()
        defer { lock.unlock() }
        guard next < work.count else { return nil }
        next += 1
        return work[next - 1]
    }

    func runCase(kind: FuzzKind, index: Int) -> FuzzCaseResult? {
        guard let fuzzCase = plan.makeCase(kind: kind, index: index) else {
            preconditionFailure("case \(kind) #\(index) is on the list but the plan cannot make it")
        }
        let name = "\(kind.rawValue)-\(index)"
        let directory = workDirectory + "/" + name
        let outcome: FuzzChildOutcome
        do { outcome = try runPrepared(fuzzCase, directory: directory) } catch {
            // Not being able to write files or start a child is the campaign's own failure, not
            // a finding about the binary: it is kept apart and ends the campaign with an error.
            lock.lock()
            harnessErrors.append("\(fuzzCase.label): \(error)")
            lock.unlock()
            return nil
        }
        let verdict = FuzzVerdict.classify(outcome, controlDomain: fuzzCase.controlDomain, guestMayExitWithOne: fuzzCase.guestMayExitWithOne)
        var reproducer: String?
        if verdict.finding != nil {
            reproducer = keepReproducer(fuzzCase, directory: directory, outcome: outcome, verdict: verdict)
        }
        try? FileManager.default.removeItem(atPath: directory)
        return FuzzCaseResult(kind: kind, index: index, mode: fuzzCase.mode, verdict: verdict, termination: outcome.termination,
                              seconds: outcome.seconds, reproducer: reproducer)
    }

    /// Writes the case's files into `directory` and runs it there.
    func runPrepared(_ fuzzCase: FuzzCase, directory: String) throws -> FuzzChildOutcome {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for file in fuzzCase.files { try Data(file.bytes).write(to: URL(fileURLWithPath: directory + "/" + file.name)) }
        } catch {
            throw FuzzCampaignError(description: "cannot write the case's files in \(directory): \(error.localizedDescription)")
        }
        do {
            return try FuzzChildProcess.run(configuration.executable, fuzzCase.commandLine(directory: directory),
                                            outputDirectory: directory, deadline: configuration.timeout)
        } catch {
            throw FuzzCampaignError(description: error.description)
        }
    }

    /// Copies a failing case into the output folder: its input files, what it printed, a note
    /// of how it was made and what was found, and repro.sh with the exact command line.
    func keepReproducer(_ fuzzCase: FuzzCase, directory: String, outcome: FuzzChildOutcome, verdict: FuzzVerdict) -> String {
        let destination = configuration.outputDirectory + "/seed-\(configuration.seed)-\(fuzzCase.kind.rawValue)-\(fuzzCase.index)"
        let fileManager = FileManager.default
        try? fileManager.removeItem(atPath: destination)
        try? fileManager.createDirectory(atPath: destination, withIntermediateDirectories: true)
        for file in fuzzCase.files { try? Data(file.bytes).write(to: URL(fileURLWithPath: destination + "/" + file.name)) }
        try? Data(outcome.standardOutput.utf8).write(to: URL(fileURLWithPath: destination + "/stdout.txt"))
        try? Data(outcome.standardError.utf8).write(to: URL(fileURLWithPath: destination + "/stderr.txt"))
        let command = fuzzCase.commandLine(directory: nil).map(Self.shellQuoted).joined(separator: " ")
        let finding = verdict.finding.map { "\($0.category): \(verdict.place ?? "")" } ?? ""
        let script = """
        #!/bin/sh
        # virtbench fuzz --seed \(configuration.seed): \(fuzzCase.label), case seed \(fuzzCase.seed)
        # found: \(finding)
        # VIRTBENCH=path/to/virtbench runs another build (default: the one that found it).
        cd "$(dirname "$0")" || exit 1
        exec "${VIRTBENCH:-\(configuration.executable)}" \(command) </dev/null

        """
        let scriptPath = destination + "/repro.sh"
        try? Data(script.utf8).write(to: URL(fileURLWithPath: scriptPath))
        try? fileManager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: scriptPath)
        var note = "campaign seed \(configuration.seed), \(fuzzCase.label), case seed \(fuzzCase.seed)\n"
        note += "termination: \(outcome.termination) after \(String(format: "%.2f", outcome.seconds)) s\n"
        note += "found: \(finding)\n\nwhat the case holds:\n"
        note += fuzzCase.notes.map { "  " + $0 }.joined(separator: "\n") + "\n"
        try? Data(note.utf8).write(to: URL(fileURLWithPath: destination + "/case.txt"))
        return destination
    }

    static func shellQuoted(_ text: String) -> String {
        let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=,".contains($0) }
        return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// The tally a campaign prints at the end.
public struct FuzzSummary: Sendable {
    public let results: [FuzzCaseResult]

    public init(results: [FuzzCaseResult]) { self.results = results }

    public var findings: [FuzzCaseResult] { results.filter { $0.verdict.finding != nil } }

    static let columns = ["signal", "runtime error", "overrun", "bad error", "control domain"]

    /// A row per kind and mode (cases, fine, each finding category, runtime-trap reports),
    /// a total, then the findings grouped by where they happened with the first case of each.
    public func render() -> String {
        var rows = [["kind", "mode", "cases", "fine", "deaths by signal", "runtime traps", "overruns", "bad errors", "control domain failed", "seconds"]]
        func row(_ kind: String, _ mode: String, _ group: [FuzzCaseResult]) -> [String] {
            let count = { (category: String) in group.filter { $0.verdict.finding?.category == category }.count }
            return [kind, mode, "\(group.count)", "\(group.filter { $0.verdict.finding == nil }.count)", "\(count("signal"))",
                    "\(group.filter(\.verdict.runtimeTrap).count)", "\(count("overrun"))", "\(count("bad error"))",
                    "\(count("control domain"))", String(format: "%.1f", group.reduce(0) { $0 + $1.seconds })]
        }
        let keys = Set(results.map { "\($0.kind.rawValue) \($0.mode.rawValue)" })
        for kind in FuzzKind.allCases {
            for mode in FuzzMode.allCases where keys.contains("\(kind.rawValue) \(mode.rawValue)") {
                rows.append(row(kind.rawValue, mode.rawValue, results.filter { $0.kind == kind && $0.mode == mode }))
            }
        }
        rows.append(row("total", "", results))
        var text = PlainTextTable.render(rows, ruleUnderHeader: false)
        // How the cases without findings ended, so a campaign that only ever reaches one error
        // message or the instruction limit shows it.
        var endings: [Int32: Int] = [:]
        for result in results where result.verdict.finding == nil {
            if case .exited(let status) = result.termination { endings[status, default: 0] += 1 }
        }
        if !endings.isEmpty {
            text += "exit statuses without findings: " + endings.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", ") + "\n"
        }
        let groups = Dictionary(grouping: findings) { "\($0.verdict.finding!.category): \($0.verdict.place ?? "")" }
        if !groups.isEmpty {
            text += "\nfindings by place (count, first case, reproducer):\n"
            for (place, members) in groups.sorted(by: { $0.value.count > $1.value.count || ($0.value.count == $1.value.count && $0.key < $1.key) }) {
                let first = members[0]
                let modes = Set(members.map(\.mode)).sorted().map(\.rawValue).joined(separator: ",")
                text += "  \(members.count)x \(place)\n      modes \(modes); first \(first.kind.rawValue) #\(first.index) (\(first.mode.rawValue)): \(first.reproducer ?? "-")\n"
            }
        }
        return text
    }
}
