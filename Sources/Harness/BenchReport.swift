import Foundation

/// Facts about the machine and software a benchmark ran on: without them a MIPS figure cannot
/// be compared with another one.
public struct BenchHostFacts: Sendable, Codable, Equatable {
    /// "model name" from /proc/cpuinfo.
    public var cpuModel: String
    /// Processors online (sysconf), i.e. what the two peers and everything else share.
    public var onlineCores: Int
    /// When the run started, ISO 8601 in UTC.
    public var date: String
    /// First line of `qemu-system-riscv64 --version`.
    public var qemuVersion: String
    /// `git rev-parse HEAD`, with "-dirty" when tracked files differ from it.
    public var commit: String
    /// Operating system and kernel (uname -sr).
    public var kernel: String
    /// How the VirtBench binary was built ("release"/"debug") and its allocator.
    public var virtbenchBuild: String
    /// /proc/loadavg's 1, 5 and 15 minute figures when the run started: on a shared host, a
    /// figure near the core count means the timings competed with other work.
    public var loadAverage: String?

    public init(cpuModel: String, onlineCores: Int, date: String, qemuVersion: String, commit: String,
                kernel: String, virtbenchBuild: String, loadAverage: String? = nil) {
        self.loadAverage = loadAverage
        self.cpuModel = cpuModel
        self.onlineCores = onlineCores
        self.date = date
        self.qemuVersion = qemuVersion
        self.commit = commit
        self.kernel = kernel
        self.virtbenchBuild = virtbenchBuild
    }

    /// The facts as a two-column Markdown table: the one rendering every bench report uses.
    public var markdownTable: String {
        var md = "| host | |\n|---|---|\n"
        md += "| CPU | \(cpuModel) |\n| cores online | \(onlineCores) |\n"
        md += "| date (UTC) | \(date) |\n| kernel | \(kernel) |\n"
        md += "| QEMU | \(qemuVersion) |\n| commit | \(commit) |\n"
        md += "| VirtBench build | \(virtbenchBuild) |\n"
        md += "| load average at start (1/5/15 min) | \(loadAverage ?? "unknown") |\n"
        return md
    }
}

/// One workload measured on both peers.
public struct BenchWorkloadResult: Sendable, Codable, Equatable {
    public var workload: String
    /// VirtBench's exact instret for the whole run. QEMU runs the same ELF to the same power-off,
    /// so the same count is used for its MIPS.
    public var instructions: UInt64
    /// The checksum line both peers printed (`<name>: checksum <hex>`), nil if none was found.
    public var checksumLine: String?
    /// Wall seconds of every round, in round order.
    public var virtbenchSeconds: [Double]
    public var qemuSeconds: [Double]
    /// Peak RSS of every round's child, KiB.
    public var virtbenchPeakRSSKiB: [Int]
    public var qemuPeakRSSKiB: [Int]
    /// Why the workload has no figures (a failed or mismatched run); nil when it passed.
    public var failure: String?
    /// The spawning process's own peak RSS: a child figure at or below it is only an upper
    /// bound (see `BenchProcessOutcome.peakRSSKiB`).
    public var spawnerPeakRSSKiB: Int?

    public init(workload: String, instructions: UInt64, checksumLine: String?, virtbenchSeconds: [Double], qemuSeconds: [Double],
                virtbenchPeakRSSKiB: [Int], qemuPeakRSSKiB: [Int], failure: String? = nil, spawnerPeakRSSKiB: Int? = nil) {
        self.spawnerPeakRSSKiB = spawnerPeakRSSKiB
        self.workload = workload
        self.instructions = instructions
        self.checksumLine = checksumLine
        self.virtbenchSeconds = virtbenchSeconds
        self.qemuSeconds = qemuSeconds
        self.virtbenchPeakRSSKiB = virtbenchPeakRSSKiB
        self.qemuPeakRSSKiB = qemuPeakRSSKiB
        self.failure = failure
    }

    public var virtbenchMedianSeconds: Double? { BenchStatistics.median(virtbenchSeconds) }
    public var qemuMedianSeconds: Double? { BenchStatistics.median(qemuSeconds) }
    public var virtbenchMIPS: Double? { virtbenchMedianSeconds.flatMap { BenchStatistics.mips(instructions: instructions, seconds: $0) } }
    public var qemuMIPS: Double? { qemuMedianSeconds.flatMap { BenchStatistics.mips(instructions: instructions, seconds: $0) } }
    /// VirtBench throughput over QEMU's for the same instructions: QEMU's time over ours.
    public var ratio: Double? {
        guard failure == nil, let ours = virtbenchMedianSeconds, let theirs = qemuMedianSeconds, ours > 0 else { return nil }
        return theirs / ours
    }
    public var virtbenchMaxPeakRSSKiB: Int? { virtbenchPeakRSSKiB.max() }
}

/// The host-memory check issue 3 asks for: one VirtBench run of each workload with a larger
/// guest, and its peak RSS.
public struct BenchMemoryResult: Sendable, Codable, Equatable {
    public var workload: String
    /// Guest RAM, bytes.
    public var guestRAMBytes: UInt64
    public var peakRSSKiB: Int
    /// How the peak was measured: "GNU time" (the child's own peak, exact) or "wait4" (an
    /// upper bound when the figure is at or below the spawner's own peak).
    public var method: String
    public var failure: String?

    public init(workload: String, guestRAMBytes: UInt64, peakRSSKiB: Int, method: String = "wait4", failure: String? = nil) {
        self.method = method
        self.workload = workload
        self.guestRAMBytes = guestRAMBytes
        self.peakRSSKiB = peakRSSKiB
        self.failure = failure
    }
}

/// Everything one `virtbench bench --vs qemu` run measured; written as bench.json and bench.md.
public struct BenchReport: Sendable, Codable, Equatable {
    /// Folder name under results/: `bench-<UTC timestamp>`.
    public var runID: String
    /// The command line that produced the report, so anyone can run it again.
    public var command: String
    public var host: BenchHostFacts
    public var rounds: Int
    /// Guest RAM of the timed runs, as `-m` takes it.
    public var memory: String
    /// The two command lines, with ELF standing for the workload image.
    public var virtbenchCommand: String
    public var qemuCommand: String
    public var workloads: [BenchWorkloadResult]
    public var memoryCheck: [BenchMemoryResult]
    /// Anything a reader must know (rounds with differing instruction counts, noise).
    public var notes: [String]

    public init(runID: String, command: String, host: BenchHostFacts, rounds: Int, memory: String,
                virtbenchCommand: String, qemuCommand: String, workloads: [BenchWorkloadResult],
                memoryCheck: [BenchMemoryResult], notes: [String]) {
        self.runID = runID
        self.command = command
        self.host = host
        self.rounds = rounds
        self.memory = memory
        self.virtbenchCommand = virtbenchCommand
        self.qemuCommand = qemuCommand
        self.workloads = workloads
        self.memoryCheck = memoryCheck
        self.notes = notes
    }

    private var passed: [BenchWorkloadResult] { workloads.filter { $0.failure == nil } }
    /// Geometric mean of the per-workload ratios, over the workloads that passed on both peers.
    public var geometricMeanRatio: Double? { BenchStatistics.geometricMean(passed.compactMap(\.ratio)) }
    public var geometricMeanVirtBenchMIPS: Double? { BenchStatistics.geometricMean(passed.compactMap(\.virtbenchMIPS)) }
    public var geometricMeanQEMUMIPS: Double? { BenchStatistics.geometricMean(passed.compactMap(\.qemuMIPS)) }
    /// The same over the integer workloads only (`CorpusCatalogue.floatingPointWorkloads` left
    /// out, at either scale): one floating-point outlier must not carry the headline.
    public var integerGeometricMeanRatio: Double? {
        BenchStatistics.geometricMean(passed.filter { !Self.isFloatingPoint($0.workload) }.compactMap(\.ratio))
    }
    static func isFloatingPoint(_ workload: String) -> Bool {
        let base = workload.hasSuffix(CorpusSelection.smallSuffix) ? String(workload.dropLast(CorpusSelection.smallSuffix.count)) : workload
        return CorpusCatalogue.floatingPointWorkloads.contains(base)
    }
    /// Workloads whose ratio is more than 3× away from the median ratio, either way.
    public var outliers: [BenchWorkloadResult] {
        let ratios = passed.compactMap(\.ratio)
        guard let median = BenchStatistics.median(ratios), median > 0 else { return [] }
        return passed.filter { result in result.ratio.map { $0 > 3 * median || $0 < median / 3 } ?? false }
    }
    public var hasFailures: Bool { workloads.contains { $0.failure != nil } || memoryCheck.contains { $0.failure != nil } }
    /// The workload with the lowest ratio (issue 3 asks the closing note to name it).
    public var slowest: BenchWorkloadResult? {
        passed.filter { $0.ratio != nil }.min { $0.ratio! < $1.ratio! }
    }

    /// Pretty, key-sorted JSON with the derived figures (medians, MIPS, ratios, means) included,
    /// so a reader of the file does not have to recompute them.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(BenchReportFile(report: self))
    }

    /// Reads back what `jsonData()` wrote.
    public static func decode(_ data: Data) throws -> BenchReport {
        try JSONDecoder().decode(BenchReportFile.self, from: data).report
    }
}

/// The on-disk form: the report itself plus the derived figures, which are recomputed on load.
struct BenchReportFile: Codable {
    struct Derived: Codable {
        var workload: String
        var virtbenchMedianSeconds: Double?
        var qemuMedianSeconds: Double?
        var virtbenchMIPS: Double?
        var qemuMIPS: Double?
        var ratio: Double?
    }
    struct Summary: Codable {
        var geometricMeanRatio: Double?
        var geometricMeanVirtBenchMIPS: Double?
        var geometricMeanQEMUMIPS: Double?
        var integerGeometricMeanRatio: Double?
        var outlierWorkloads: [String]?
        var slowestWorkload: String?
        var derived: [Derived]
    }
    var report: BenchReport
    var summary: Summary

    init(report: BenchReport) {
        self.report = report
        summary = Summary(
            geometricMeanRatio: report.geometricMeanRatio,
            geometricMeanVirtBenchMIPS: report.geometricMeanVirtBenchMIPS,
            geometricMeanQEMUMIPS: report.geometricMeanQEMUMIPS,
            integerGeometricMeanRatio: report.integerGeometricMeanRatio,
            outlierWorkloads: report.outliers.map(\.workload),
            slowestWorkload: report.slowest?.workload,
            derived: report.workloads.map {
                Derived(workload: $0.workload, virtbenchMedianSeconds: $0.virtbenchMedianSeconds, qemuMedianSeconds: $0.qemuMedianSeconds,
                        virtbenchMIPS: $0.virtbenchMIPS, qemuMIPS: $0.qemuMIPS, ratio: $0.ratio)
            })
    }
}

/// Text renderings of a `BenchReport`: the terminal table and the Markdown file.
public enum BenchReportText {
    static func fixed(_ value: Double?, _ digits: Int) -> String {
        guard let value else { return "-" }
        return String(format: "%.\(digits)f", value)
    }

    static func mebibytes(_ kib: Int?) -> String {
        guard let kib else { return "-" }
        return String(format: "%.1f", Double(kib) / 1024)
    }

    /// A child's peak RSS in MiB, marked "≤" when it does not exceed the spawner's own peak and
    /// so only bounds the child's (see `BenchProcessOutcome.peakRSSKiB`).
    static func bounded(_ kib: Int?, floor: Int?) -> String {
        guard let kib else { return "-" }
        if let floor, kib <= floor { return "≤ " + mebibytes(kib) }
        return mebibytes(kib)
    }

    /// The per-workload rows shared by the terminal and Markdown tables.
    static func rows(_ report: BenchReport) -> [[String]] {
        var rows = [["workload", "instructions", "VirtBench s", "QEMU s", "VirtBench MIPS", "QEMU MIPS", "ratio", "VirtBench peak RSS MiB", "QEMU peak RSS MiB"]]
        for result in report.workloads {
            rows.append([
                result.workload, result.failure == nil ? String(result.instructions) : "-",
                fixed(result.virtbenchMedianSeconds, 3), fixed(result.qemuMedianSeconds, 3),
                fixed(result.virtbenchMIPS, 0), fixed(result.qemuMIPS, 0), fixed(result.ratio, 3),
                bounded(result.virtbenchMaxPeakRSSKiB, floor: result.spawnerPeakRSSKiB),
                bounded(result.qemuPeakRSSKiB.max(), floor: result.spawnerPeakRSSKiB),
            ])
        }
        rows.append(["geometric mean", "", "", "", fixed(report.geometricMeanVirtBenchMIPS, 0), fixed(report.geometricMeanQEMUMIPS, 0),
                     fixed(report.geometricMeanRatio, 3), "", ""])
        return rows
    }

    /// The table `virtbench bench` prints: aligned columns, failures listed underneath.
    public static func table(_ report: BenchReport) -> String {
        let rows = rows(report)
        let widths = (0 ..< rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for (index, row) in rows.enumerated() {
            let cells = zip(row, widths).enumerated().map { column, cell in
                // Names left, figures right, as a reader scans them.
                column == 0 ? cell.0.padding(toLength: cell.1, withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: cell.1 - cell.0.count) + cell.0
            }
            text += cells.joined(separator: "  ") + "\n"
            if index == 0 || index == rows.count - 2 { text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        for result in report.workloads where result.failure != nil { text += "FAILED \(result.workload): \(result.failure!)\n" }
        for check in report.memoryCheck {
            if let failure = check.failure {
                text += "FAILED \(check.workload) with \(check.guestRAMBytes >> 20) MiB: \(failure)\n"
            }
        }
        if let worst = report.memoryCheck.filter({ $0.failure == nil }).max(by: { $0.peakRSSKiB < $1.peakRSSKiB }) {
            text += "peak RSS with a \(worst.guestRAMBytes >> 20) MiB guest: \(mebibytes(worst.peakRSSKiB)) MiB (\(worst.workload))\n"
        }
        return text
    }

    /// The sentences a reader takes away, generated from the rows: both geometric means, on how
    /// many workloads VirtBench is the faster, and any workload far from the rest.
    static func headline(_ report: BenchReport) -> String {
        let ratios = report.workloads.filter { $0.failure == nil }.compactMap(\.ratio)
        guard let all = report.geometricMeanRatio, !ratios.isEmpty else { return "" }
        var text = "Geometric mean of the ratios over all \(ratios.count) workloads: **\(fixed(all, 3))×**"
        let floatingPoint = report.workloads.filter { $0.failure == nil && $0.ratio != nil && BenchReport.isFloatingPoint($0.workload) }
        if let integer = report.integerGeometricMeanRatio, !floatingPoint.isEmpty {
            text += "; over the \(ratios.count - floatingPoint.count) integer ones (without \(floatingPoint.map(\.workload).joined(separator: ", "))): **\(fixed(integer, 3))×**"
        }
        text += ". VirtBench is faster on \(ratios.filter { $0 > 1 }.count) of \(ratios.count).\n"
        let outliers = report.outliers
        if !outliers.isEmpty, let median = BenchStatistics.median(ratios) {
            text += "More than 3× from the median ratio (\(fixed(median, 3))×), so the means lean on it: "
            text += outliers.map { "**\($0.workload)** (\(fixed($0.ratio, 3))×)" }.joined(separator: ", ") + ".\n"
        }
        return text + "\n"
    }

    /// bench.md: what was run, on what, the figures, and which of them are measured and which exact.
    public static func markdown(_ report: BenchReport) -> String {
        var md = "# VirtBench vs QEMU: CPU-bound corpus, side by side\n\n"
        md += "Command: `\(report.command)`\n\n"
        md += report.host.markdownTable + "\n"
        md += "Each round runs both peers once, one after the other (the order alternates by round), as child processes of "
        md += "the same `virtbench` so both pay process start-up alike; \(report.rounds) round(s), median wall time.\n\n"
        md += "- VirtBench: `\(report.virtbenchCommand)`\n- QEMU: `\(report.qemuCommand)`\n\n"
        let rows = rows(report)
        md += "| " + rows[0].joined(separator: " | ") + " |\n"
        md += "|" + rows[0].enumerated().map { $0.offset == 0 ? "---" : "---:" }.joined(separator: "|") + "|\n"
        for row in rows.dropFirst() {
            let cells = row.first == "geometric mean" ? row.map { $0.isEmpty ? "" : "**\($0)**" } : row
            md += "| " + cells.joined(separator: " | ") + " |\n"
        }
        md += "\n" + headline(report)
        if let slowest = report.slowest, let ratio = slowest.ratio {
            md += "Slowest relative to QEMU: **\(slowest.workload)** at \(fixed(ratio, 3))×.\n\n"
        }
        let failures = report.workloads.filter { $0.failure != nil }
        if !failures.isEmpty {
            md += "## Failures (left out of the means)\n\n"
            for result in failures { md += "- \(result.workload): \(result.failure!)\n" }
            md += "\n"
        }
        if !report.memoryCheck.isEmpty {
            md += "## Host memory\n\n"
            md += "One VirtBench run per workload with a larger guest. Peak RSS counts every host page the process touched, "
            md += "including the guest RAM the workload touched, so it is an upper bound on the memory VirtBench needs beyond "
            md += "guest RAM. Measured through GNU time (`/usr/bin/time -f %M`, the child's own peak) when installed; otherwise "
            md += "wait4's `ru_maxrss`, which Linux raises to the spawning process's own peak at exec, so a figure marked ≤ is a bound.\n\n"
            md += "| workload | guest RAM MiB | peak RSS MiB | measured by | result |\n|---|---:|---:|---|---|\n"
            for check in report.memoryCheck {
                md += "| \(check.workload) | \(check.guestRAMBytes >> 20) | \(mebibytes(check.failure == nil ? check.peakRSSKiB : nil)) | \(check.method) | \(check.failure ?? "ok") |\n"
            }
            md += "\n"
        }
        md += "## What the figures are\n\n"
        md += "- Instructions: exact, VirtBench's instret over the whole run (QEMU runs the identical ELF to the same power-off, so the count is the same).\n"
        md += "- Wall time: measured, CLOCK_MONOTONIC from spawn to exit of each child, including start-up and image loading.\n"
        md += "- MIPS: instructions / median wall time. Ratio: QEMU median wall time / VirtBench median wall time (above 1 means VirtBench is faster).\n"
        md += "- Peak RSS columns: wait4 `ru_maxrss` of each timed child; \"≤\" marks figures that do not exceed the spawning `virtbench bench` process's own peak (Linux records the spawner's peak at exec), which are upper bounds.\n"
        md += "- Both peers must print the same checksum line and pass; a workload that does not is listed as a failure and left out of the means.\n"
        if !report.notes.isEmpty {
            md += "\n## Notes\n\n"
            for note in report.notes { md += "- \(note)\n" }
        }
        return md
    }
}

/// Writes `<results>/<run id>/bench.json` and `bench.md`, and with `publish` replaces
/// `<results>/bench-latest/`, through the same staging-and-rename `ReportWriter` the
/// comparison reports use, so no reader ever finds half a report.
public struct BenchReportWriter {
    public let resultsDirectory: URL
    public static let latestName = "bench-latest"
    private var writer: ReportWriter { ReportWriter(resultsDirectory: resultsDirectory, publishedName: Self.latestName) }

    public init(resultsDirectory: URL) {
        self.resultsDirectory = resultsDirectory
    }

    /// Fails early, before a long benchmark, if the results folder cannot be written.
    public func checkWritable() throws(ReportWriteError) {
        try writer.checkWritable()
    }

    /// Writes the report and returns its folder.
    @discardableResult
    public func write(_ report: BenchReport, publish: Bool, extraFiles: [(String, Data)] = []) throws(ReportWriteError) -> URL {
        let json: Data
        do { json = try report.jsonData() } catch { throw .encoding("\(error)") }
        let files = [("bench.json", json), ("bench.md", Data(BenchReportText.markdown(report).utf8))] + extraFiles
        return try writer.write(files: files, runID: report.runID, publish: publish)
    }
}
