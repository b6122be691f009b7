import Foundation
import Testing
@testable import Harness
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The report model, its JSON, Markdown and SVG forms, and the writer's all-or-nothing folders.
struct ReportTests {
    static let profile = CostProfile(
        name: "unit", title: "A unit-test processor",
        clock: ClockFigure(hertz: 1e9, status: .assumed, source: "test"),
        figures: Dictionary(uniqueKeysWithValues: CostEvent.allCases.map {
            ($0, CostFigure(cycles: $0 == .instruction ? 1 : 100, status: $0 == .vmExit ? .verified : .recalled, source: "source of \($0.rawValue)"))
        })
    )

    /// A report with one passed native cell, a failed one, and a planned mode.
    static func sampleReport(runID: String = "20250101-000000") -> ComparisonReport {
        let counts = EventCounts(["instructions": 10_000, "exception.ecall-from-u": 12, "pagewalk.steps": 30, "mmio.accesses": 4])
        let passed = WorkloadResult(
            workload: "crc32<small>", category: .cpu, mode: "native", status: .passed,
            rounds: [RoundMeasurement(wallSeconds: 0.25, instructions: 10_000, mips: 0.04), RoundMeasurement(wallSeconds: 0.5, instructions: 10_000, mips: 0.02)],
            medianWallSeconds: 0.375, medianMIPS: 0.03, counts: counts, countsStable: true, relativeThroughput: 1,
            finalLine: "PASS crc32<small>", checksum: "0x1234", exitStatus: 0, modeled: [profile.model(counts)]
        )
        let failed = WorkloadResult(workload: "sort", category: .cpu, mode: "native", status: .failed,
                                    reason: "last line \"x | y\", expected \"PASS sort\"", exitStatus: 1)
        let planned = WorkloadResult(workload: "crc32<small>", category: .cpu, mode: "hav", status: .planned, reason: "mode not implemented yet")
        return ComparisonReport(
            runID: runID, createdAt: "2025-01-01T00:00:00Z",
            host: HostDescription(operatingSystem: "test OS", processorCount: 2, hostName: "test"),
            settings: ComparisonSettings(corpus: "test", rounds: 2, virtualTime: true, instructionLimit: 1000, ramSize: 128 << 20),
            notes: ["a note"],
            modes: [ModeDescription(name: "native", summary: "baseline", implemented: true),
                    ModeDescription(name: "hav", summary: "H extension", implemented: false)],
            workloads: ["crc32<small>", "sort"], profiles: [profile], results: [passed, failed, planned]
        )
    }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func jsonRoundTripsExactly() throws {
        let report = Self.sampleReport()
        let data = try report.jsonData()
        let decoded = try ComparisonReport.decode(data)
        #expect(decoded == report)
        let text = String(decoding: data, as: UTF8.self)
        // Sorted keys: stable diffs in git.
        let created = try #require(text.range(of: "\"createdAt\""))
        let results = try #require(text.range(of: "\"results\""))
        #expect(created.lowerBound < results.lowerBound)
        // Event kinds and cost events are plain object keys, not arrays of pairs.
        #expect(text.contains("\"exception.ecall-from-u\" : 12"))
        #expect(text.contains("\"pageWalkStep\""))
        #expect(decoded.schemaVersion == ComparisonReport.currentSchemaVersion)
    }

    @Test func markdownHasTheTablesAndLabelsEstimates() {
        let markdown = ReportMarkdown.render(Self.sampleReport(), chartFiles: ["throughput.svg"])
        #expect(markdown.contains("| workload | mode | status | median wall s (measured) | instructions (exact) |"))
        #expect(markdown.contains("| crc32<small> | native | passed | 0.3750 | 10000 | 0.03 | 1.000 | 0x1234 | baseline | yes |"))
        // A pipe in a reason must not split the table row.
        #expect(markdown.contains("failed: last line \"x \\| y\""))
        #expect(markdown.contains("| hav | not implemented yet | H extension |"))
        #expect(markdown.contains("recalled (estimate)"))
        #expect(markdown.contains("| vmExit | 100 | verified |"))
        #expect(markdown.contains("![throughput.svg](throughput.svg)"))
        #expect(markdown.contains("**modeled**"))
        // Events per thousand instructions: 12 exceptions in 10,000 instructions.
        #expect(markdown.contains("| crc32<small> | native | 1.200 |"))
    }

    @Test func skippedCellsAreListedOncePerReasonNotInTheTable() {
        var report = Self.sampleReport()
        let refusal = "built for the hypercall ABI: only para runs it"
        report.results += [
            WorkloadResult(workload: "kernel-pv", category: .os, mode: "native", status: .skipped, reason: refusal),
            WorkloadResult(workload: "kernel-pv", category: .os, mode: "full", status: .skipped, reason: refusal),
            WorkloadResult(workload: "kernel-cpu-pv", category: .os, mode: "full", status: .skipped, reason: refusal),
        ]
        #expect(report.skipLines == [refusal + " — native: kernel-pv; full: kernel-pv, kernel-cpu-pv"])
        let markdown = ReportMarkdown.render(report)
        #expect(!markdown.contains("| kernel-pv | native | skipped"), "only what ran is a row")
        #expect(markdown.contains("- " + refusal + " — native: kernel-pv; full: kernel-pv, kernel-cpu-pv\n"))
        #expect(!ReportMarkdown.render(Self.sampleReport()).contains("Not run ("), "nothing skipped, nothing said")
    }

    @Test func theCommitIsRecordedAndNamed() throws {
        var report = Self.sampleReport()
        #expect(ReportMarkdown.render(report).contains("from an unknown commit."))
        report.host.commit = "0123456789abcdef-dirty"
        #expect(try ComparisonReport.decode(report.jsonData()).host.commit == "0123456789abcdef-dirty")
        #expect(ReportMarkdown.render(report).contains("from commit 0123456789abcdef-dirty."))
    }

    @Test func transitionCostsRoundTripAndAreTabulatedPerMode() throws {
        var report = Self.sampleReport()
        #expect(!ReportMarkdown.render(report).contains("Host time per transition"), "no section without measurements")
        report.transitionCosts = [
            TransitionCost(mode: "hav", kind: "SBI call exit", medianNanoseconds: 61.4, roundNanoseconds: [70, 61.4, 58]),
            TransitionCost(mode: "hav", kind: "MMIO exit", medianNanoseconds: 640, roundNanoseconds: [640, 650, 600]),
            TransitionCost(mode: "para", kind: "hypercall version", medianNanoseconds: 90, roundNanoseconds: [90, 91, 89]),
        ]
        #expect(try ComparisonReport.decode(report.jsonData()) == report)
        let markdown = ReportMarkdown.render(report)
        #expect(markdown.contains("| hav | SBI call exit | 61 | 70, 61, 58 |"))
        #expect(markdown.contains("- hav: from 61 ns (SBI call exit) to 640 ns (MMIO exit)."))
        #expect(markdown.contains("- para: hypercall version costs 90 ns."))
        #expect(markdown.contains("(the median of 3 rounds;"))
    }

    @Test func chartsAreWellFormedSVGWithEscapedNames() throws {
        let charts = ReportCharts.render(Self.sampleReport())
        #expect(charts.map(\.file) == ["throughput.svg", "mips.svg", "events.svg", "cycles.svg"])
        for chart in charts {
            let parser = XMLParser(data: Data(chart.svg.utf8))
            #expect(parser.parse(), "\(chart.file) is not well-formed XML")
            #expect(chart.svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(!chart.svg.contains("crc32<small>"))
        }
        let throughput = try #require(charts.first { $0.file == "throughput.svg" }).svg
        #expect(throughput.contains("crc32&lt;small&gt;"))
        #expect(throughput.contains("not implemented yet: hav"))
        #expect(throughput.contains("<rect x="))
    }

    @Test func chartScaleUsesRoundNumbers() {
        #expect(SVGBarChart.niceCeiling(0.9) == 1)
        #expect(SVGBarChart.niceCeiling(1.3) == 2)
        #expect(SVGBarChart.niceCeiling(2.2) == 2.5)
        #expect(SVGBarChart.niceCeiling(730) == 1000)
        #expect(SVGBarChart.niceCeiling(0) == 1)
        let empty = SVGBarChart(title: "t", subtitle: "s", yLabel: "y", categories: [], series: []).render()
        #expect(empty.contains("no data"))
    }

    @Test func writerCreatesTheRunFolderAndPublishes() throws {
        let results = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: results) }
        let writer = ReportWriter(resultsDirectory: results)
        let folder = try writer.write(Self.sampleReport(), publish: true)
        #expect(folder.lastPathComponent == "20250101-000000")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files == ["cycles.svg", "events.svg", "mips.svg", "report.json", "report.md", "throughput.svg"])
        let latest = results.appendingPathComponent(ReportWriter.latestName)
        #expect(try Data(contentsOf: latest.appendingPathComponent("report.json")) == Data(contentsOf: folder.appendingPathComponent("report.json")))

        // A second report with the same run id gets its own folder and replaces latest.
        let second = try writer.write(Self.sampleReport(), publish: true)
        #expect(second.lastPathComponent == "20250101-000000-2")
        let entries = try FileManager.default.contentsOfDirectory(atPath: results.path).sorted()
        #expect(entries == ["20250101-000000", "20250101-000000-2", "latest"], "no temporary folders left behind")
    }

    @Test func unwritableResultsFolderIsAClearErrorAndWritesNothing() throws {
        let scratch = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        // A file where a folder is needed fails for every user, root included.
        let blocker = scratch.appendingPathComponent("blocker")
        try Data("x".utf8).write(to: blocker)
        let writer = ReportWriter(resultsDirectory: blocker.appendingPathComponent("results"))
        #expect(throws: ReportWriteError.unwritable(path: blocker.appendingPathComponent("results").path,
                                                    reason: "\(blocker.path) is a file, not a folder")) {
            try writer.checkWritable()
        }
        #expect(throws: ReportWriteError.self) { try writer.write(Self.sampleReport(), publish: true) }
        let onFile = ReportWriter(resultsDirectory: blocker)
        #expect(throws: ReportWriteError.self) { try onFile.write(Self.sampleReport(), publish: false) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["blocker"])

        // Permissions only stop a non-root user.
        if getuid() != 0 {
            let locked = scratch.appendingPathComponent("locked")
            try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked.path)
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked.path) }
            #expect(throws: ReportWriteError.self) { try ReportWriter(resultsDirectory: locked).write(Self.sampleReport(), publish: false) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: locked.path).isEmpty)
        } else {
            print("note: running as root, so the read-only-folder case is not exercised (root ignores permissions)")
        }
    }
}
