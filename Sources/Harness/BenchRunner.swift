#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Loader

/// Why a side-by-side benchmark could not run at all (bad arguments, missing tools). A workload
/// that fails on one peer is not an error: it is recorded in the report.
public enum BenchError: Error, CustomStringConvertible, Equatable {
    case unknownWorkload(String, known: [String])
    case emptySelection(String)
    case invalidRounds(Int)
    case unknownPeer(String)
    case toolMissing(String)
    case invalidMemory(String, reason: String)
    case build(String)
    case process(String)

    public var description: String {
        switch self {
        case .unknownWorkload(let name, let known):
            return "unknown workload '\(name)': use default, small, or CPU-bound workload names (\(known.joined(separator: ", ")))"
        case .emptySelection(let request):
            return "--corpus '\(request)' selects no workload"
        case .invalidRounds(let rounds):
            return "--rounds must be at least 1 (got \(rounds))"
        case .unknownPeer(let peer):
            return "unknown peer '\(peer)' for --vs: only qemu is supported"
        case .toolMissing(let tool):
            return "\(tool) is not installed (not found on PATH)"
        case .invalidMemory(let text, let reason):
            return "invalid memory size '\(text)': \(reason)"
        case .build(let reason):
            return reason
        case .process(let reason):
            return reason
        }
    }
}

/// Which CPU-bound workloads a `bench --corpus` value means.
public enum BenchSelection {
    /// - nil or `default`: every CPU workload at full size (each about a second on QEMU).
    /// - `small`: their `-small` builds, for tests and quick checks.
    /// - otherwise comma-separated names of CPU workloads, full or small (`crc32,sort-small`).
    ///
    /// Only CPU-bound programs qualify: they print a checksum both peers must agree on and need
    /// no operating system, so their run time is the engine's.
    public static func resolve(_ request: String?, catalogue: [CorpusProgram] = CorpusCatalogue.cpu) throws(BenchError) -> [CorpusProgram] {
        let request = request?.trimmingCharacters(in: .whitespaces) ?? "default"
        let cpu = catalogue.filter { $0.category == .cpu }
        let isSmall: (CorpusProgram) -> Bool = { $0.name.hasSuffix(CPUWorkloadScale.small.nameSuffix) }
        switch request {
        case "default", "":
            let chosen = cpu.filter { !isSmall($0) }
            guard !chosen.isEmpty else { throw .emptySelection(request) }
            return chosen
        case "small":
            let chosen = cpu.filter(isSmall)
            guard !chosen.isEmpty else { throw .emptySelection(request) }
            return chosen
        default:
            var chosen: [CorpusProgram] = []
            for name in request.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                guard let program = cpu.first(where: { $0.name == name }) else {
                    throw .unknownWorkload(name, known: cpu.map(\.name))
                }
                if !chosen.contains(program) { chosen.append(program) }
            }
            guard !chosen.isEmpty else { throw .emptySelection(request) }
            return chosen
        }
    }
}

/// What to run: the workloads, the two executables and the guest sizes.
public struct BenchPlan: Sendable {
    public var programs: [CorpusProgram]
    /// Rounds per workload; each round runs both peers once.
    public var rounds: Int
    /// The `virtbench` binary the VirtBench side runs (normally the running binary itself).
    public var virtbench: String
    public var qemu: String
    /// Guest RAM of the timed runs, as `-m` takes it (QEMU's default, 128M).
    public var memory: String
    /// Guest RAM of the one extra VirtBench run per workload whose peak RSS is reported; nil skips it.
    public var memoryCheck: String?
    /// Seconds before a child counts as hung and is killed.
    public var timeout: Double

    public init(programs: [CorpusProgram], rounds: Int, virtbench: String, qemu: String, memory: String = "128M",
                memoryCheck: String? = "256M", timeout: Double = 300) throws(BenchError) {
        guard rounds >= 1 else { throw .invalidRounds(rounds) }
        guard !programs.isEmpty else { throw .emptySelection("") }
        for size in [memory] + (memoryCheck.map { [$0] } ?? []) {
            do { try BootPlan.validate(memorySize: MemorySize.parse(size)) } catch { throw .invalidMemory(size, reason: error.description) }
        }
        self.programs = programs
        self.rounds = rounds
        self.virtbench = virtbench
        self.qemu = qemu
        self.memory = memory
        self.memoryCheck = memoryCheck
        self.timeout = timeout
    }

    /// `virtbench run` with QEMU's own option spellings, plus `--summary` for the exact instret.
    public func virtbenchArguments(kernel: String, memory: String) -> [String] {
        ["run", "-M", "virt", "-m", memory, "-nographic", "-bios", "none", "-kernel", kernel, "--summary"]
    }

    public func qemuArguments(kernel: String) -> [String] {
        var runner = QEMURunner(executable: qemu)
        runner.memory = memory
        return runner.arguments(kernel: kernel)
    }
}

/// Runs a `BenchPlan`: builds each image, then alternates VirtBench and QEMU for every round.
public struct BenchRunner {
    public let plan: BenchPlan
    public let build: (CorpusProgram) throws(CorpusBuildError) -> URL
    public let progress: (String) -> Void

    public init(plan: BenchPlan, build: @escaping (CorpusProgram) throws(CorpusBuildError) -> URL, progress: @escaping (String) -> Void = { _ in }) {
        self.plan = plan
        self.build = build
        self.progress = progress
    }

    /// A folder name for a run started now: `bench-20250101-120000` (UTC).
    public static func makeRunID(date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "bench-" + formatter.string(from: date)
    }

    public func run(runID: String, command: String, host: BenchHostFacts) throws(BenchError) -> BenchReport {
        var results: [BenchWorkloadResult] = []
        var memoryResults: [BenchMemoryResult] = []
        var notes: [String] = []
        for program in plan.programs {
            let image: URL
            do { image = try build(program) } catch { throw .build(error.description) }
            let (result, note) = try measure(program, image: image.path)
            results.append(result)
            if let note { notes.append(note) }
            if let checkSize = plan.memoryCheck, result.failure == nil {
                memoryResults.append(try checkMemory(program, image: image.path, memory: checkSize))
            }
        }
        let example = "ELF"
        return BenchReport(runID: runID, command: command, host: host, rounds: plan.rounds, memory: plan.memory,
                           virtbenchCommand: (["virtbench"] + plan.virtbenchArguments(kernel: example, memory: plan.memory)).joined(separator: " "),
                           qemuCommand: (["qemu-system-riscv64"] + plan.qemuArguments(kernel: example)).joined(separator: " "),
                           workloads: results, memoryCheck: memoryResults, notes: notes)
    }

    /// All rounds of one workload. A failure on either side ends the workload's rounds: its
    /// other figures would describe a broken run.
    func measure(_ program: CorpusProgram, image: String) throws(BenchError) -> (BenchWorkloadResult, String?) {
        var result = BenchWorkloadResult(workload: program.name, instructions: 0, checksumLine: nil, virtbenchSeconds: [], qemuSeconds: [],
                                         virtbenchPeakRSSKiB: [], qemuPeakRSSKiB: [])
        var counts: Set<UInt64> = []
        for round in 0 ..< plan.rounds {
            progress("\(program.name): round \(round + 1)/\(plan.rounds)")
            // Alternate which peer goes first so neither always runs on a cooler (or warmer) host.
            let virtbenchFirst = round % 2 == 0
            var ours: BenchProcessOutcome?
            var theirs: BenchProcessOutcome?
            for side in virtbenchFirst ? [0, 1] : [1, 0] {
                do {
                    if side == 0 {
                        ours = try BenchProcess.run(plan.virtbench, plan.virtbenchArguments(kernel: image, memory: plan.memory), timeout: plan.timeout)
                    } else {
                        theirs = try BenchProcess.run(plan.qemu, plan.qemuArguments(kernel: image), timeout: plan.timeout)
                    }
                } catch {
                    throw .process(error.description)
                }
            }
            guard let ours, let theirs else { break }
            let verdict = Self.judge(program: program, virtbench: ours, qemu: theirs, timeout: plan.timeout)
            switch verdict {
            case .failure(let reason):
                result.failure = reason
                return (result, nil)
            case .passed(let checksum, let instructions):
                result.checksumLine = checksum
                counts.insert(instructions)
                if result.instructions == 0 { result.instructions = instructions }
                result.virtbenchSeconds.append(ours.wallSeconds)
                result.qemuSeconds.append(theirs.wallSeconds)
                result.virtbenchPeakRSSKiB.append(ours.peakRSSKiB)
                result.qemuPeakRSSKiB.append(theirs.peakRSSKiB)
                result.spawnerPeakRSSKiB = max(result.spawnerPeakRSSKiB ?? 0, ours.spawnerPeakRSSKiB, theirs.spawnerPeakRSSKiB)
            }
        }
        let note = counts.count > 1
            ? "\(program.name): instruction counts differed between rounds (\(counts.sorted().map(String.init).joined(separator: ", "))); the first is used"
            : nil
        return (result, note)
    }

    func checkMemory(_ program: CorpusProgram, image: String, memory: String) throws(BenchError) -> BenchMemoryResult {
        progress("\(program.name): peak RSS with -m \(memory)")
        let bytes = (try? MemorySize.parse(memory)) ?? 0
        let arguments = plan.virtbenchArguments(kernel: image, memory: memory)
        // GNU time forks from its own small process, so the figure it reports is the child's
        // own peak, free of this process's (see BenchProcessOutcome.peakRSSKiB).
        let gnuTime = HostProcess.locate("/usr/bin/time")
        let outcome: BenchProcessOutcome
        do {
            if let gnuTime {
                outcome = try BenchProcess.run(gnuTime, ["-f", Self.gnuTimeMarker + "%M", plan.virtbench] + arguments, timeout: plan.timeout)
            } else {
                outcome = try BenchProcess.run(plan.virtbench, arguments, timeout: plan.timeout)
            }
        } catch {
            throw .process(error.description)
        }
        let failure = Self.sideFailure(program: program, side: "VirtBench", outcome: outcome, timeout: plan.timeout)
        if gnuTime != nil, let kib = Self.gnuTimePeak(in: outcome.standardError) {
            return BenchMemoryResult(workload: program.name, guestRAMBytes: bytes, peakRSSKiB: kib, method: "GNU time", failure: failure)
        }
        return BenchMemoryResult(workload: program.name, guestRAMBytes: bytes, peakRSSKiB: outcome.peakRSSKiB,
                                 method: outcome.peakRSSIsExact ? "wait4" : "wait4 (upper bound)", failure: failure)
    }

    /// Prefix of the line GNU time adds to stderr, so it cannot be mistaken for the guest's or virtbench's.
    static let gnuTimeMarker = "virtbench-bench-peak-rss-kib: "

    /// The KiB figure from GNU time's marker line.
    static func gnuTimePeak(in standardError: String) -> Int? {
        for line in standardError.split(separator: "\n").reversed() where line.hasPrefix(gnuTimeMarker) {
            return Int(line.dropFirst(gnuTimeMarker.count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    enum Verdict: Equatable {
        case passed(checksumLine: String, instructions: UInt64)
        case failure(String)
    }

    /// Both peers must pass, print the same checksum line, and VirtBench must report its count.
    static func judge(program: CorpusProgram, virtbench: BenchProcessOutcome, qemu: BenchProcessOutcome, timeout: Double) -> Verdict {
        if let failure = sideFailure(program: program, side: "VirtBench", outcome: virtbench, timeout: timeout) { return .failure(failure) }
        if let failure = sideFailure(program: program, side: "QEMU", outcome: qemu, timeout: timeout) { return .failure(failure) }
        let ours = checksumLine(in: virtbench.output, program: program)
        let theirs = checksumLine(in: qemu.output, program: program)
        guard let ours else { return .failure("VirtBench printed no checksum line") }
        guard ours == theirs else {
            return .failure("checksums differ: VirtBench '\(ours)', QEMU '\(theirs ?? "none")'")
        }
        guard let instructions = retiredInstructions(inSummary: virtbench.standardError) else {
            return .failure("VirtBench's --summary has no 'instructions retired' line")
        }
        return .passed(checksumLine: ours, instructions: instructions)
    }

    /// Why one side's run does not count, or nil when it passed.
    static func sideFailure(program: CorpusProgram, side: String, outcome: BenchProcessOutcome, timeout: Double) -> String? {
        if outcome.timedOut { return "\(side) did not finish within \(Int(timeout)) s" }
        let lastLine = outcome.output.split(separator: "\n").last.map { $0.trimmingCharacters(in: .whitespaces) }
        if outcome.exitStatus != 0 {
            let detail = outcome.standardError.split(separator: "\n").first { $0.contains("error") }.map { ": " + $0 } ?? ""
            return "\(side) exited with status \(outcome.exitStatus)\(detail); last output line '\(lastLine ?? "")'"
        }
        if lastLine != program.expectedFinalLine {
            return "\(side) ended with '\(lastLine ?? "")' instead of '\(program.expectedFinalLine)'"
        }
        return nil
    }

    /// The `<name>: checksum <hex>` line a CPU workload prints (Corpus/cpu/workload.h).
    static func checksumLine(in output: String, program: CorpusProgram) -> String? {
        let prefix = "\(program.name): checksum "
        return output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(prefix) }
    }

    /// The count from `virtbench run --summary`'s "instructions retired: N (...)" line.
    public static func retiredInstructions(inSummary text: String) -> UInt64? {
        let key = "instructions retired: "
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: key) else { continue }
            return UInt64(line[range.upperBound...].prefix { $0.isNumber })
        }
        return nil
    }
}

/// Gathers `BenchHostFacts` from the running system.
public enum BenchHost {
    public static func facts(qemu: String, packageRoot: URL, virtbenchBuild: String, date: Date = Date()) -> BenchHostFacts {
        let iso = ISO8601DateFormatter()
        iso.timeZone = TimeZone(identifier: "UTC")
        return BenchHostFacts(cpuModel: cpuModel() ?? "unknown", onlineCores: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))),
                              date: iso.string(from: date), qemuVersion: firstLine(of: qemu, ["--version"]) ?? "unknown",
                              commit: commit(in: packageRoot) ?? "unknown", kernel: kernel(),
                              virtbenchBuild: virtbenchBuild, loadAverage: loadAverage())
    }

    /// The first three fields of /proc/loadavg, or nil where there is none.
    public static func loadAverage() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// The first "model name" in /proc/cpuinfo (all cores of this host are the same model).
    public static func cpuModel(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> String? {
        guard let cpuinfo else { return nil }
        for line in cpuinfo.split(separator: "\n") where line.hasPrefix("model name") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// `git rev-parse HEAD` of the checkout at `root`, with "-dirty" when tracked files differ from it.
    public static func commit(in root: URL) -> String? {
        guard let git = HostProcess.locate("git"),
              let head = firstLine(of: git, ["-C", root.path, "rev-parse", "HEAD"]), head.count >= 7 else { return nil }
        let status = try? HostProcess.run(git, ["-C", root.path, "status", "--porcelain", "--untracked-files=no"], timeout: 20)
        let dirty = status.map { !$0.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty } ?? false
        return head + (dirty ? "-dirty" : "")
    }

    static func kernel() -> String {
        var name = utsname()
        uname(&name)
        // utsname's fields are fixed-size C char arrays, imported as tuples: read them element by
        // element up to the NUL.
        func text<T>(_ field: T) -> String {
            let characters = Mirror(reflecting: field).children.lazy.compactMap { $0.value as? CChar }
            return String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return text(name.sysname) + " " + text(name.release)
    }

    static func firstLine(of executable: String, _ arguments: [String]) -> String? {
        guard let outcome = try? HostProcess.run(executable, arguments, timeout: 20), outcome.exitStatus == 0 else { return nil }
        return outcome.output.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
