import Foundation

/// `virtbench bench --linux`: Debian's kernel and the kit's initramfs (Scripts/kernel-kit.sh)
/// booted on VirtBench and on QEMU side by side, at each hart count asked for, with the same
/// command line: `-M virt -smp N -m MEM -nographic -kernel Image -initrd initrd.gz -append
/// "console=ttyS0 kit.test=smp"`. What is compared is what a user of either sees: the kernel's
/// own timestamp on "Run /init" (time to /init), how long four shell loops take in parallel
/// (timed by the guest's uptime clock), how many processors the guest brought up, and wall time.
public struct LinuxBootPlan: Sendable {
    public var kitDirectory: String
    public var hartCounts: [Int]
    public var rounds: Int
    public var memory: String
    public var virtbench: String
    public var qemu: String
    public var timeout: Double

    public init(kitDirectory: String, hartCounts: [Int], rounds: Int, memory: String, virtbench: String, qemu: String, timeout: Double) {
        self.kitDirectory = kitDirectory
        self.hartCounts = hartCounts
        self.rounds = rounds
        self.memory = memory
        self.virtbench = virtbench
        self.qemu = qemu
        self.timeout = timeout
    }

    /// The kernel command line: the kit's smp test prints what the bench reads.
    public static let append = "console=ttyS0 kit.test=smp"

    /// QEMU's options, the same for both peers.
    public func machineArguments(harts: Int) -> [String] {
        ["-M", "virt", "-smp", String(harts), "-m", memory, "-nographic",
         "-kernel", kitDirectory + "/Image", "-initrd", kitDirectory + "/initrd.gz", "-append", Self.append]
    }
}

/// The two peers a Linux boot is timed on.
public enum LinuxBootPeer: String, Sendable, Codable, CaseIterable {
    case virtbench, qemu
}

/// One boot on one peer.
public struct LinuxBootSample: Sendable, Codable, Equatable {
    public var peer: LinuxBootPeer
    public var harts: Int
    public var round: Int
    /// Spawn to exit (CLOCK_MONOTONIC).
    public var wallSeconds: Double
    /// The kernel's timestamp on "Run /init as init process".
    public var secondsToInit: Double?
    /// "kernel-kit: 4 parallel loops took S s".
    public var loopSeconds: Double?
    /// "kernel-kit: nproc N".
    public var processors: Int?
    /// How many processors /proc/interrupts shows taking timer interrupts, and IPIs.
    public var processorsTakingTimerInterrupts: Int?
    public var processorsTakingIPIs: Int?
    /// Why the boot does not count (timed out, failed, a line missing, a lockup report).
    public var failure: String?

    public init(peer: LinuxBootPeer, harts: Int, round: Int, wallSeconds: Double, secondsToInit: Double?, loopSeconds: Double?,
                processors: Int?, processorsTakingTimerInterrupts: Int? = nil, processorsTakingIPIs: Int? = nil, failure: String?) {
        self.peer = peer
        self.harts = harts
        self.round = round
        self.wallSeconds = wallSeconds
        self.secondsToInit = secondsToInit
        self.loopSeconds = loopSeconds
        self.processors = processors
        self.processorsTakingTimerInterrupts = processorsTakingTimerInterrupts
        self.processorsTakingIPIs = processorsTakingIPIs
        self.failure = failure
    }
}

/// Reads a boot's console output.
public enum LinuxBootConsole {
    public struct Reading: Equatable, Sendable {
        public var secondsToInit: Double?
        public var loopSeconds: Double?
        public var processors: Int?
        /// From the kit's copy of /proc/interrupts: the processors whose riscv-timer count is
        /// not zero, and those with a non-zero count on some IPI line.
        public var processorsTakingTimerInterrupts: Int?
        public var processorsTakingIPIs: Int?
        /// Lines in which the kernel reports a hard or soft lockup or an RCU stall.
        public var lockupReports: Int
    }

    public static func read(_ output: String) -> Reading {
        var reading = Reading(secondsToInit: nil, loopSeconds: nil, processors: nil, lockupReports: 0)
        var columns = 0, timer: [UInt64] = [], ipis: [UInt64] = []
        for line in output.split(whereSeparator: \.isNewline) {
            if let rest = line.suffix(afterPrefix: "kernel-kit: interrupts ") {
                // The header names the columns (CPU0 CPU1 ...); each row is "NAME:" then one count per column.
                let words = rest.split(separator: " ")
                if words.first?.hasPrefix("CPU") == true {
                    columns = words.filter { $0.hasPrefix("CPU") }.count
                    timer = []; ipis = Array(repeating: 0, count: columns)
                } else if columns > 0, words.count > columns, words[0].hasSuffix(":") {
                    let counts = words[1...columns].map { UInt64($0) ?? 0 }
                    if rest.contains("riscv-timer") { timer = counts }
                    if words[0].hasPrefix("IPI") { ipis = zip(ipis, counts).map { $0 &+ $1 } }
                }
                continue
            }
            if line.contains("Run /init as init process"), let close = line.firstIndex(of: "]"), let open = line.firstIndex(of: "[") {
                reading.secondsToInit = Double(line[line.index(after: open) ..< close].trimmingCharacters(in: .whitespaces))
            } else if let rest = line.suffix(afterPrefix: "kernel-kit: 4 parallel loops took ") {
                reading.loopSeconds = Double(rest.split(separator: " ").first ?? "")
            } else if let rest = line.suffix(afterPrefix: "kernel-kit: nproc ") {
                reading.processors = Int(rest.trimmingCharacters(in: .whitespaces))
            }
            if line.contains("hard LOCKUP") || line.contains("soft lockup") || line.contains("rcu_sched self-detected stall")
                || line.contains("rcu: INFO:") {
                reading.lockupReports += 1
            }
        }
        if columns > 0 {
            if !timer.isEmpty { reading.processorsTakingTimerInterrupts = timer.filter { $0 > 0 }.count }
            reading.processorsTakingIPIs = ipis.filter { $0 > 0 }.count
        }
        return reading
    }
}

private extension Substring {
    /// The rest of the line after `prefix`, when the line contains it.
    func suffix(afterPrefix prefix: String) -> Substring? {
        guard let range = range(of: prefix) else { return nil }
        return self[range.upperBound...]
    }
}

/// What `virtbench bench --linux` found, per hart count.
public struct LinuxBootReport: Sendable, Codable, Equatable {
    public var runID: String
    public var command: String
    public var host: BenchHostFacts
    public var rounds: Int
    public var memory: String
    /// The kit's VERSIONS file: which Debian kernel and busybox were booted.
    public var kit: String
    public var samples: [LinuxBootSample]
    public var notes: [String] = []

    public init(runID: String, command: String, host: BenchHostFacts, rounds: Int, memory: String, kit: String, samples: [LinuxBootSample]) {
        self.runID = runID
        self.command = command
        self.host = host
        self.rounds = rounds
        self.memory = memory
        self.kit = kit
        self.samples = samples
    }

    public var hartCounts: [Int] { Array(Set(samples.map(\.harts))).sorted() }

    func good(_ peer: LinuxBootPeer, _ harts: Int) -> [LinuxBootSample] {
        samples.filter { $0.peer == peer && $0.harts == harts && $0.failure == nil }
    }

    public func medianSecondsToInit(_ peer: LinuxBootPeer, harts: Int) -> Double? {
        BenchStatistics.median(good(peer, harts).compactMap(\.secondsToInit))
    }

    public func medianLoopSeconds(_ peer: LinuxBootPeer, harts: Int) -> Double? {
        BenchStatistics.median(good(peer, harts).compactMap(\.loopSeconds))
    }

    public func medianWallSeconds(_ peer: LinuxBootPeer, harts: Int) -> Double? {
        BenchStatistics.median(good(peer, harts).map(\.wallSeconds))
    }

    /// VirtBench's time to /init over QEMU's in the same round, the median over rounds (pairing
    /// keeps the ratio meaningful when the host's speed drifts). Above 1: VirtBench is slower.
    public func timeToInitRatio(harts: Int) -> Double? {
        let ratios = (0..<rounds).compactMap { round -> Double? in
            let pair = samples.filter { $0.harts == harts && $0.round == round && $0.failure == nil }
            guard let ours = pair.first(where: { $0.peer == .virtbench })?.secondsToInit,
                  let theirs = pair.first(where: { $0.peer == .qemu })?.secondsToInit, theirs > 0 else { return nil }
            return ours / theirs
        }
        return BenchStatistics.median(ratios)
    }

    /// How much faster the parallel loops ran at `harts` than at the smallest hart count asked
    /// for, on one peer (medians).
    public func loopSpeedUp(_ peer: LinuxBootPeer, harts: Int) -> Double? {
        guard let fewest = hartCounts.first, fewest != harts,
              let base = medianLoopSeconds(peer, harts: fewest), let here = medianLoopSeconds(peer, harts: harts), here > 0 else { return nil }
        return base / here
    }

    public var failures: [LinuxBootSample] { samples.filter { $0.failure != nil } }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}

/// Runs the plan: for each round, each hart count, QEMU then VirtBench, so both see the same
/// host conditions in turn.
public struct LinuxBootBench {
    public let plan: LinuxBootPlan
    public let progress: (String) -> Void

    public init(plan: LinuxBootPlan, progress: @escaping (String) -> Void = { _ in }) {
        self.plan = plan
        self.progress = progress
    }

    public func run(runID: String, command: String, host: BenchHostFacts) throws(BenchProcessError) -> LinuxBootReport {
        var samples: [LinuxBootSample] = []
        for round in 0..<plan.rounds {
            for harts in plan.hartCounts {
                for peer in [LinuxBootPeer.qemu, .virtbench] {
                    progress("round \(round + 1)/\(plan.rounds): \(peer.rawValue) -smp \(harts)")
                    samples.append(try boot(peer, harts: harts, round: round))
                }
            }
        }
        let kit = (try? String(contentsOfFile: plan.kitDirectory + "/VERSIONS", encoding: .utf8)) ?? "unknown"
        return LinuxBootReport(runID: runID, command: command, host: host, rounds: plan.rounds, memory: plan.memory,
                               kit: kit.trimmingCharacters(in: .whitespacesAndNewlines), samples: samples)
    }

    func boot(_ peer: LinuxBootPeer, harts: Int, round: Int) throws(BenchProcessError) -> LinuxBootSample {
        let arguments = plan.machineArguments(harts: harts)
        let outcome = peer == .qemu
            ? try BenchProcess.run(plan.qemu, arguments, timeout: plan.timeout)
            : try BenchProcess.run(plan.virtbench, ["run"] + arguments, timeout: plan.timeout)
        let reading = LinuxBootConsole.read(outcome.output)
        var failure: String?
        if outcome.timedOut {
            failure = "timed out after \(Int(plan.timeout)) s"
        } else if outcome.exitStatus != 0 {
            failure = "exit status \(outcome.exitStatus): \(outcome.standardError.split(separator: "\n").last.map(String.init) ?? "")"
        } else if reading.secondsToInit == nil {
            failure = "no \"Run /init\" line"
        } else if reading.loopSeconds == nil {
            failure = "no loop time (is the kit older than revision 4?)"
        } else if reading.processors != harts {
            failure = "the guest brought up \(reading.processors.map(String.init) ?? "no") processors, not \(harts)"
        } else if harts > 1, reading.processorsTakingTimerInterrupts != harts || reading.processorsTakingIPIs != harts {
            failure = "/proc/interrupts shows timer interrupts on \(reading.processorsTakingTimerInterrupts.map(String.init) ?? "no") and IPIs on \(reading.processorsTakingIPIs.map(String.init) ?? "no") of \(harts) processors"
        } else if reading.lockupReports > 0 {
            failure = "the kernel reported \(reading.lockupReports) lockups or stalls"
        }
        return LinuxBootSample(peer: peer, harts: harts, round: round, wallSeconds: outcome.wallSeconds,
                               secondsToInit: reading.secondsToInit, loopSeconds: reading.loopSeconds,
                               processors: reading.processors, processorsTakingTimerInterrupts: reading.processorsTakingTimerInterrupts,
                               processorsTakingIPIs: reading.processorsTakingIPIs, failure: failure)
    }
}

/// The report as a table on the terminal and as bench-linux.md.
public enum LinuxBootReportText {
    static func seconds(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "—" }
    static func ratio(_ value: Double?) -> String { value.map { String(format: "%.2f×", $0) } ?? "—" }

    public static func table(_ report: LinuxBootReport) -> String {
        var rows: [[String]] = [["harts", "to /init VB", "to /init QEMU", "VB/QEMU", "loops VB", "loops QEMU", "loop speed-up VB", "loop speed-up QEMU", "wall VB", "wall QEMU"]]
        for harts in report.hartCounts {
            rows.append([String(harts),
                         seconds(report.medianSecondsToInit(.virtbench, harts: harts)), seconds(report.medianSecondsToInit(.qemu, harts: harts)),
                         ratio(report.timeToInitRatio(harts: harts)),
                         seconds(report.medianLoopSeconds(.virtbench, harts: harts)), seconds(report.medianLoopSeconds(.qemu, harts: harts)),
                         ratio(report.loopSpeedUp(.virtbench, harts: harts)), ratio(report.loopSpeedUp(.qemu, harts: harts)),
                         seconds(report.medianWallSeconds(.virtbench, harts: harts)), seconds(report.medianWallSeconds(.qemu, harts: harts))])
        }
        var text = PlainTextTable.render(rows)
        for sample in report.failures {
            text += "failed: \(sample.peer.rawValue) -smp \(sample.harts) round \(sample.round + 1): \(sample.failure ?? "")\n"
        }
        return text
    }

    public static func markdown(_ report: LinuxBootReport) -> String {
        var md = "# Linux boot: VirtBench and QEMU side by side\n\n"
        md += "Run `\(report.runID)`, command `\(report.command)`.\n\n" + report.host.markdownTable
        md += "\nKit: \(report.kit.replacingOccurrences(of: "\n", with: "; ")). Guest RAM \(report.memory); \(report.rounds) rounds, "
        md += "QEMU then VirtBench at each hart count in every round; figures are medians of the boots that passed.\n\n"
        md += "| harts | time to /init, VirtBench (s) | time to /init, QEMU (s) | VirtBench ÷ QEMU | 4 loops, VirtBench (s) | 4 loops, QEMU (s) | loop speed-up, VirtBench | loop speed-up, QEMU |\n"
        md += "|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        for harts in report.hartCounts {
            md += "| \(harts) | \(seconds(report.medianSecondsToInit(.virtbench, harts: harts))) | \(seconds(report.medianSecondsToInit(.qemu, harts: harts))) "
            md += "| \(ratio(report.timeToInitRatio(harts: harts))) | \(seconds(report.medianLoopSeconds(.virtbench, harts: harts))) "
            md += "| \(seconds(report.medianLoopSeconds(.qemu, harts: harts))) | \(ratio(report.loopSpeedUp(.virtbench, harts: harts))) "
            md += "| \(ratio(report.loopSpeedUp(.qemu, harts: harts))) |\n"
        }
        md += "\n## What the figures are\n\n"
        md += "- Time to /init: measured by the guest, the kernel's printk timestamp on `Run /init as init process`.\n"
        md += "- VirtBench ÷ QEMU: the two peers' times to /init in the same round, divided, then the median over rounds (above 1: VirtBench is slower).\n"
        md += "- 4 loops: four busybox shell loops of 30,000 iterations started together by the kit's /init, timed by the guest's /proc/uptime (10 ms resolution).\n"
        if let fewest = report.hartCounts.first {
            md += "- Loop speed-up: the median loop time at -smp \(fewest) over that at each hart count, per peer.\n"
        }
        md += "- A boot counts only if it exits with status 0, prints both lines, brings up as many processors as asked, shows (with more than one) timer interrupts and IPIs on every one of them in /proc/interrupts, and reports no lockup or RCU stall.\n"
        if !report.failures.isEmpty {
            md += "\n## Boots that did not count\n\n"
            for sample in report.failures {
                md += "- \(sample.peer.rawValue) -smp \(sample.harts), round \(sample.round + 1): \(sample.failure ?? "")\n"
            }
        }
        if !report.notes.isEmpty {
            md += "\n## Notes\n\n"
            for note in report.notes { md += "- \(note)\n" }
        }
        return md
    }
}
