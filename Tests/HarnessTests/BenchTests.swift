#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
@testable import Harness
import TestSupport

/// `virtbench bench --vs qemu`: the statistics, the selection and argument checks, judging a
/// round, the report files, the child-process measurement, the benchmark guests, and one tiny
/// end-to-end run against QEMU.
@Suite(.serialized) struct BenchTests {
    // MARK: statistics

    @Test func medianOfOddAndEvenCounts() {
        #expect(BenchStatistics.median([3, 1, 2]) == 2)
        #expect(BenchStatistics.median([4, 1, 3, 2]) == 2.5)
        #expect(BenchStatistics.median([7]) == 7)
        #expect(BenchStatistics.median([]) == nil)
        #expect(BenchStatistics.median([1, .nan, 3]) == nil)
        // One slow outlier does not move the median.
        #expect(BenchStatistics.median([1.0, 1.1, 0.9, 1.05, 50]) == 1.05)
    }

    @Test func geometricMeanOfRatios() throws {
        #expect(try #require(BenchStatistics.geometricMean([2, 8])).isApproximately(4))
        #expect(try #require(BenchStatistics.geometricMean([5])).isApproximately(5))
        // Symmetric: the mean of r and 1/r is 1, whichever side is the numerator.
        #expect(try #require(BenchStatistics.geometricMean([0.25, 4])).isApproximately(1))
        // Large MIPS figures do not overflow.
        #expect(try #require(BenchStatistics.geometricMean(Array(repeating: 1e300, count: 10))).isApproximately(1e300))
        #expect(BenchStatistics.geometricMean([]) == nil)
        #expect(BenchStatistics.geometricMean([1, 0]) == nil)
        #expect(BenchStatistics.geometricMean([1, -2]) == nil)
    }

    @Test func mipsFromInstructionsAndSeconds() {
        #expect(BenchStatistics.mips(instructions: 3_000_000_000, seconds: 2) == 1500)
        #expect(BenchStatistics.mips(instructions: 5, seconds: 0) == nil)
        #expect(BenchStatistics.mips(instructions: 5, seconds: -.infinity) == nil)
    }

    // MARK: selection and arguments

    @Test func corpusKeywordsAndNames() throws {
        let full = try BenchSelection.resolve(nil)
        #expect(full.map(\.name) == CorpusCatalogue.cpuWorkloads)
        #expect(try BenchSelection.resolve("default") == full)
        let small = try BenchSelection.resolve("small")
        #expect(small.map(\.name) == CorpusCatalogue.cpuWorkloads.map { $0 + "-small" })
        #expect(try BenchSelection.resolve(" crc32-small, sort ,crc32-small").map(\.name) == ["crc32-small", "sort"])
    }

    @Test func unknownOrNonCPUWorkloadsAreRefused() {
        #expect(throws: BenchError.unknownWorkload("nosuch", known: CorpusCatalogue.cpu.map(\.name))) {
            try BenchSelection.resolve("crc32,nosuch")
        }
        // ISA self-checks print no checksum: they are not benchmarks.
        #expect(throws: BenchError.unknownWorkload("rv64i", known: CorpusCatalogue.cpu.map(\.name))) {
            try BenchSelection.resolve("rv64i")
        }
        #expect(throws: BenchError.emptySelection(",")) { try BenchSelection.resolve(",") }
        #expect(BenchError.unknownWorkload("x", known: ["crc32"]).description.contains("unknown workload 'x'"))
    }

    @Test func roundsAndMemorySizesAreChecked() throws {
        let programs = try BenchSelection.resolve("crc32-small")
        #expect(throws: BenchError.invalidRounds(0)) {
            try BenchPlan(programs: programs, rounds: 0, virtbench: "/bin/true", qemu: "/bin/true")
        }
        #expect(throws: BenchError.invalidRounds(-3)) {
            try BenchPlan(programs: programs, rounds: -3, virtbench: "/bin/true", qemu: "/bin/true")
        }
        #expect(throws: BenchError.self) {
            try BenchPlan(programs: programs, rounds: 1, virtbench: "/bin/true", qemu: "/bin/true", memory: "lots")
        }
        #expect(throws: BenchError.self) {
            try BenchPlan(programs: programs, rounds: 1, virtbench: "/bin/true", qemu: "/bin/true", memoryCheck: "0M")
        }
        #expect(BenchError.invalidRounds(0).description == "--rounds must be at least 1 (got 0)")
        let plan = try BenchPlan(programs: programs, rounds: 2, virtbench: "/bin/true", qemu: "/usr/bin/qemu-system-riscv64")
        #expect(plan.virtbenchArguments(kernel: "k.elf", memory: "256M")
            == ["run", "-M", "virt", "-m", "256M", "-nographic", "-bios", "none", "-kernel", "k.elf", "--summary"])
        let qemu = plan.qemuArguments(kernel: "k.elf")
        #expect(qemu.starts(with: ["-M", "virt", "-m", "128M", "-bios", "none"]) && qemu.contains("-kernel") && qemu.last == "k.elf")
    }

    // MARK: judging a round

    static let crc = CorpusProgram.cpuWorkload("crc32", scale: .small)

    static func outcome(_ output: String, status: Int32 = 0, stderr: String = "", timedOut: Bool = false) -> BenchProcessOutcome {
        BenchProcessOutcome(output: output, standardError: stderr, exitStatus: status, timedOut: timedOut, wallSeconds: 0.1, peakRSSKiB: 1000)
    }

    static let summary = "virtbench: summary: guest powered off\n  instructions retired: 21612345 (M 21612345, S 0, U 0)\n"

    @Test func summaryCountIsParsed() {
        #expect(BenchRunner.retiredInstructions(inSummary: Self.summary) == 21_612_345)
        #expect(BenchRunner.retiredInstructions(inSummary: "nothing here") == nil)
    }

    @Test func roundPassesOnlyWithEqualChecksums() {
        let good = "crc32-small: checksum 00000000deadbeef\nPASS crc32-small\n"
        #expect(BenchRunner.judge(program: Self.crc, virtbench: Self.outcome(good, stderr: Self.summary), qemu: Self.outcome(good), timeout: 9)
            == .passed(checksumLine: "crc32-small: checksum 00000000deadbeef", instructions: 21_612_345))

        let other = "crc32-small: checksum 0000000000000001\nPASS crc32-small\n"
        guard case .failure(let differ) = BenchRunner.judge(program: Self.crc, virtbench: Self.outcome(good, stderr: Self.summary),
                                                            qemu: Self.outcome(other), timeout: 9) else {
            Issue.record("different checksums passed"); return
        }
        #expect(differ.contains("checksums differ"))

        guard case .failure(let failed) = BenchRunner.judge(program: Self.crc, virtbench: Self.outcome("FAIL crc32-small\n", status: 1, stderr: Self.summary),
                                                            qemu: Self.outcome(good), timeout: 9) else {
            Issue.record("a failing VirtBench run passed"); return
        }
        #expect(failed.contains("VirtBench exited with status 1"))

        guard case .failure(let hung) = BenchRunner.judge(program: Self.crc, virtbench: Self.outcome(good, stderr: Self.summary),
                                                          qemu: Self.outcome("", status: 137, timedOut: true), timeout: 9) else {
            Issue.record("a hung QEMU run passed"); return
        }
        #expect(hung == "QEMU did not finish within 9 s")

        guard case .failure(let noCount) = BenchRunner.judge(program: Self.crc, virtbench: Self.outcome(good), qemu: Self.outcome(good), timeout: 9) else {
            Issue.record("a run without a count passed"); return
        }
        #expect(noCount.contains("instructions retired"))
    }

    // MARK: report

    @Test func headlineGivesBothMeansAndNamesAnOutlier() throws {
        func result(_ name: String, ratio: Double) -> BenchWorkloadResult {
            BenchWorkloadResult(workload: name, instructions: 1000, checksumLine: "\(name): checksum 1", virtbenchSeconds: [1],
                                qemuSeconds: [ratio], virtbenchPeakRSSKiB: [1], qemuPeakRSSKiB: [1])
        }
        var report = Self.sampleReport()
        report.workloads = [result("crc32", ratio: 0.9), result("sort", ratio: 1.1), result("sha256", ratio: 0.8), result("nbody-small", ratio: 4)]
        #expect(report.outliers.map(\.workload) == ["nbody-small"])
        let integer = try #require(report.integerGeometricMeanRatio)
        #expect(abs(integer - pow(0.9 * 1.1 * 0.8, 1.0 / 3)) < 1e-12)
        let headline = BenchReportText.headline(report)
        #expect(headline.contains("over all 4 workloads: **1.334×**; over the 3 integer ones (without nbody-small): **0.925×**. VirtBench is faster on 2 of 4."), "\(headline)")
        #expect(headline.contains("**nbody-small** (4.000×)"), "\(headline)")
        // The sentences follow the rows: without the outlier there is none to name.
        report.workloads.removeLast()
        #expect(!BenchReportText.headline(report).contains("3× from the median"))
        #expect(BenchReportText.markdown(report).contains("VirtBench is faster on 1 of 3."))
    }

    static func sampleReport(runID: String = "bench-20250101-000000") -> BenchReport {
        let host = BenchHostFacts(cpuModel: "Test CPU", onlineCores: 2, date: "2025-01-01T00:00:00Z", qemuVersion: "QEMU emulator version 7.2",
                                  commit: "abc1234", kernel: "Linux 6", virtbenchBuild: "release, jemalloc")
        return BenchReport(
            runID: runID, command: "virtbench bench --vs qemu", host: host, rounds: 3, memory: "128M",
            virtbenchCommand: "virtbench run ELF", qemuCommand: "qemu-system-riscv64 ELF",
            workloads: [
                BenchWorkloadResult(workload: "a", instructions: 1_000_000_000, checksumLine: "a: checksum 1",
                                    virtbenchSeconds: [2, 1, 1.5], qemuSeconds: [1, 1, 1], virtbenchPeakRSSKiB: [30000, 31000, 30500],
                                    qemuPeakRSSKiB: [40000, 40000, 40000]),
                BenchWorkloadResult(workload: "b", instructions: 500_000_000, checksumLine: "b: checksum 2",
                                    virtbenchSeconds: [0.25, 0.25, 0.25], qemuSeconds: [1, 1, 1], virtbenchPeakRSSKiB: [30000],
                                    qemuPeakRSSKiB: [40000]),
                BenchWorkloadResult(workload: "c", instructions: 0, checksumLine: nil, virtbenchSeconds: [], qemuSeconds: [],
                                    virtbenchPeakRSSKiB: [], qemuPeakRSSKiB: [], failure: "checksums differ"),
            ],
            memoryCheck: [BenchMemoryResult(workload: "a", guestRAMBytes: 256 << 20, peakRSSKiB: 40960)],
            notes: ["a note"])
    }

    @Test func derivedFiguresAndMeans() throws {
        let report = Self.sampleReport()
        let a = report.workloads[0], b = report.workloads[1]
        #expect(a.virtbenchMedianSeconds == 1.5 && a.qemuMedianSeconds == 1)
        #expect(try #require(a.virtbenchMIPS).isApproximately(1000 / 1.5))
        #expect(try #require(a.ratio).isApproximately(1 / 1.5))
        #expect(b.ratio == 4)
        #expect(report.workloads[2].ratio == nil)
        // Failed workloads stay out of the means.
        #expect(try #require(report.geometricMeanRatio).isApproximately((4 / 1.5).squareRoot()))
        #expect(try #require(report.geometricMeanQEMUMIPS).isApproximately((1000.0 * 500).squareRoot()))
        #expect(report.slowest?.workload == "a")
        #expect(report.hasFailures)
    }

    @Test func jsonRoundTripsAndCarriesDerivedFigures() throws {
        let report = Self.sampleReport()
        let data = try report.jsonData()
        #expect(try BenchReport.decode(data) == report)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["slowestWorkload"] as? String == "a")
        #expect(try #require(summary["geometricMeanRatio"] as? Double).isApproximately((4 / 1.5).squareRoot()))
    }

    @Test func markdownAndTableShowEveryWorkload() {
        let report = Self.sampleReport()
        let md = BenchReportText.markdown(report)
        #expect(md.contains("| a | 1000000000 | 1.500 | 1.000 | 667 | 1000 | 0.667 | 30.3 |"))
        #expect(md.contains("| **geometric mean** |"))
        #expect(md.contains("- c: checksums differ"))
        #expect(md.contains("| a | 256 | 40.0 | wait4 | ok |"))
        #expect(md.contains("Test CPU") && md.contains("abc1234") && md.contains("QEMU emulator version 7.2"))
        let table = BenchReportText.table(report)
        #expect(table.contains("FAILED c: checksums differ"))
        #expect(table.split(separator: "\n").first?.hasPrefix("workload") == true)
    }

    @Test func rssAtOrBelowTheSpawnersPeakIsShownAsABound() {
        #expect(BenchReportText.bounded(30 * 1024, floor: 31 * 1024) == "≤ 30.0")
        #expect(BenchReportText.bounded(40 * 1024, floor: 31 * 1024) == "40.0")
        #expect(BenchReportText.bounded(40 * 1024, floor: nil) == "40.0")
        #expect(BenchReportText.bounded(nil, floor: 1) == "-")
        var report = Self.sampleReport()
        report.workloads[0].spawnerPeakRSSKiB = 35000
        #expect(BenchReportText.markdown(report).contains("| 0.667 | ≤ 30.3 | 39.1 |"))
    }

    @Test func gnuTimePeakIsParsedFromItsMarkerLine() {
        let stderr = "virtbench: summary: guest powered off\n  instructions retired: 5\n\(BenchRunner.gnuTimeMarker)23456\n"
        #expect(BenchRunner.gnuTimePeak(in: stderr) == 23456)
        #expect(BenchRunner.gnuTimePeak(in: "Command exited with non-zero status 1\n") == nil)
    }

    @Test func writerCreatesRunFolderAndPublishes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-writer-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let writer = BenchReportWriter(resultsDirectory: folder)
        let first = try writer.write(Self.sampleReport(), publish: true, extraFiles: [("jemalloc.md", Data("x".utf8))])
        #expect(first.lastPathComponent == "bench-20250101-000000")
        #expect(FileManager.default.fileExists(atPath: first.appendingPathComponent("bench.json").path))
        #expect(FileManager.default.fileExists(atPath: first.appendingPathComponent("jemalloc.md").path))
        let latest = folder.appendingPathComponent(BenchReportWriter.latestName)
        let published = try Data(contentsOf: latest.appendingPathComponent("bench.md"))
        #expect(String(decoding: published, as: UTF8.self).contains("| a |"))
        // Same run id again: a new folder, and latest replaced, with nothing half-written left.
        // A file put beside the published report by hand describes another run: it goes too.
        try Data("another host".utf8).write(to: latest.appendingPathComponent("notes.md"))
        let second = try writer.write(Self.sampleReport(), publish: true)
        #expect(second.lastPathComponent == "bench-20250101-000000-2")
        #expect(try FileManager.default.contentsOfDirectory(atPath: latest.path).sorted() == ["bench.json", "bench.md"])
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names == ["bench-20250101-000000", "bench-20250101-000000-2", "bench-latest"])
    }

    @Test func unwritableResultsFolderIsReported() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-file-\(UUID().uuidString)")
        try Data("not a folder".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: ReportWriteError.unwritable(path: file.path, reason: "it exists and is not a folder")) {
            try BenchReportWriter(resultsDirectory: file).checkWritable()
        }
    }

    @Test func runIDIsUTCTimestamp() {
        #expect(BenchRunner.makeRunID(date: Date(timeIntervalSince1970: 0)) == "bench-19700101-000000")
    }

    @Test func cpuModelIsReadFromCpuinfo() {
        let text = "processor\t: 0\nvendor_id\t: X\nmodel name\t: Fancy CPU @ 3.00GHz\n"
        #expect(BenchHost.cpuModel(cpuinfo: text) == "Fancy CPU @ 3.00GHz")
        #expect(BenchHost.cpuModel(cpuinfo: "nothing") == nil)
    }

    // MARK: child processes

    @Test func childOutputStatusAndRSS() throws {
        let outcome = try BenchProcess.run("/bin/sh", ["-c", "printf 'a\\r\\nb\\n'; echo err >&2; exit 3"], timeout: 20)
        #expect(outcome.output == "a\nb\n")
        #expect(outcome.standardError == "err\n")
        #expect(outcome.exitStatus == 3)
        #expect(!outcome.timedOut)
        #expect(outcome.wallSeconds > 0 && outcome.wallSeconds < 20)
        #expect(outcome.peakRSSKiB > 0)
        #expect(outcome.spawnerPeakRSSKiB > 0)
    }

    @Test func hungChildIsKilledAtTheDeadline() throws {
        let outcome = try BenchProcess.run("/bin/sleep", ["30"], timeout: 0.3)
        #expect(outcome.timedOut)
        #expect(outcome.exitStatus == 128 + SIGKILL)
        #expect(outcome.wallSeconds < 10)
    }

    @Test func missingExecutableIsAnError() {
        #expect(throws: BenchProcessError.self) { try BenchProcess.run("/nonexistent/virtbench", [], timeout: 5) }
    }

    // MARK: benchmark guests

    @Test(.requires(.corpusToolchain), arguments: BenchGuests.all) func benchmarkGuestPassesOnVirtBench(_ program: CorpusProgram) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let image = try builder.build(program)
        let result = try GuestRun.run(GuestRun.Options(kernel: image.path, instructionLimit: 50_000_000))
        #expect(result.exitStatus == 0)
        #expect(result.output.split(separator: "\n").last.map(String.init) == program.expectedFinalLine)
        if program == BenchGuests.tlbWalk {
            // 64 rounds × 2048 pages, each first touch after sfence.vma a page walk.
            #expect(result.counters.pageWalks >= 64 * 2048)
        } else {
            #expect(result.counters.codeInvalidations >= 16_000)
        }
    }

    // MARK: end to end

    @Test(.requires(.virtbench)) func badArgumentsGiveOneErrorLine() throws {
        let virtbench = try #require(Tool.virtbench.path)
        let zero = try BenchProcess.run(virtbench, ["bench", "--vs", "qemu", "--rounds", "0", "--corpus", "crc32-small"], timeout: 60)
        #expect(zero.exitStatus == 1)
        #expect(zero.standardError == "virtbench: error: The value '0' is invalid for '--rounds <rounds>': the number of rounds must be a whole number of at least 1\n")
        let unknown = try BenchProcess.run(virtbench, ["bench", "--corpus", "crc32,nosuch"], timeout: 60)
        #expect(unknown.exitStatus == 1)
        #expect(unknown.standardError.hasPrefix("virtbench: error: unknown workload 'nosuch'"))
        let peer = try BenchProcess.run(virtbench, ["bench", "--vs", "spike"], timeout: 60)
        #expect(peer.exitStatus == 1)
        #expect(peer.standardError.contains("unknown peer 'spike'"))
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64, .virtbench)) func tinySideBySideRunAgainstQEMU() throws {
        let virtbench = try #require(Tool.virtbench.path)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = try PackageRoot.locate()
        let run = try BenchProcess.run("/bin/sh", ["-c", "cd '\(root.path)' && exec '\(virtbench)' bench --vs qemu --corpus crc32-small --rounds 1 --output '\(folder.path)'"],
                                       timeout: 600)
        #expect(run.exitStatus == 0, "stderr: \(run.standardError)")
        #expect(run.output.contains("crc32-small"))
        let reports = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("bench-") }
        #expect(reports.count == 1)
        let json = try Data(contentsOf: folder.appendingPathComponent(reports[0]).appendingPathComponent("bench.json"))
        let report = try BenchReport.decode(json)
        #expect(report.workloads.map(\.workload) == ["crc32-small"])
        let result = report.workloads[0]
        #expect(result.failure == nil)
        #expect(result.instructions > 1_000_000)
        #expect(result.checksumLine?.hasPrefix("crc32-small: checksum ") == true)
        #expect((result.ratio ?? 0) > 0)
        #expect(report.memoryCheck.first?.peakRSSKiB ?? 0 > 0)
        #expect(report.host.qemuVersion.contains("QEMU"))
    }
}

extension Double {
    /// Equal up to floating-point rounding of a few operations.
    func isApproximately(_ other: Double) -> Bool {
        abs(self - other) <= 1e-9 * max(1, abs(other))
    }
}
