import Foundation
@testable import Harness
import Testing
import TestSupport

/// The `emulation` mode as the harness sees it: listed, refusing RV64 images, and running a
/// Thumb workload through the translator with its costs in the mode events.
struct EmulationModeTests {
    @Test func registryListsEmulationAsImplemented() {
        #expect(ModeRegistry.mode(named: "emulation") != nil)
        #expect(!ModeRegistry.planned.contains { $0.name == "emulation" })
        #expect(ModeRegistry.mode(named: "native")?.refusal(for: CorpusProgram.thumbWorkload("crc32", scale: .small)) != nil,
                "native's behaviour is unchanged: it still refuses Thumb images")
    }

    @Test func refusesRV64Programs() throws {
        let mode = try #require(ModeRegistry.mode(named: "emulation"))
        #expect(mode.refusal(for: CorpusProgram.cpuWorkload("crc32", scale: .small)) != nil)
        #expect(mode.refusal(for: CorpusProgram.thumbWorkload("crc32", scale: .small)) == nil)
    }

    @Test(.requires(.corpusToolchain)) func runsAThumbWorkloadAndReportsTranslationEvents() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let program = CorpusProgram.thumbWorkload("crc32", scale: .small)
        let image = try builder.build(program)
        let mode = try #require(ModeRegistry.mode(named: "emulation"))
        let result = try mode.run(program, image: image, options: ModeRunOptions())
        #expect(result.guest.exitStatus == 0)
        #expect(result.guest.output.split(separator: "\n").last.map(String.init) == program.expectedFinalLine)
        let events = result.modeEvents
        #expect((events["thumb.instructions"] ?? 0) == result.guest.instructions)
        #expect((events["rv64.instructions"] ?? 0) > (events["thumb.instructions"] ?? 0))
        #expect((events["translation.blocks"] ?? 0) > 0)
        #expect(events["translation.nanoseconds"] == nil, "virtual time keeps to exact counts")
        #expect(result.eventCounts.values["translation.blocks"] == events["translation.blocks"])
        let again = try mode.run(program, image: image, options: ModeRunOptions())
        #expect(again.eventCounts == result.eventCounts, "counts repeat exactly, as the harness requires in virtual time")
        let realTime = try mode.run(program, image: image, options: ModeRunOptions(virtualTime: false))
        #expect(realTime.modeEvents["translation.nanoseconds"] != nil, "real-time runs measure translation time")
    }

    @Test func unreadableImageIsASetupError() throws {
        let mode = try #require(ModeRegistry.mode(named: "emulation"))
        let missing = URL(fileURLWithPath: "/nonexistent/\(UUID().uuidString).elf")
        #expect(throws: ModeRunError.self) {
            try mode.run(CorpusProgram.thumbWorkload("crc32", scale: .small), image: missing, options: ModeRunOptions())
        }
    }
}

/// The emulation table computed from a comparison report: ratios from the counts and wall
/// times the report holds, and the native build of the same source found by name.
struct EmulationSummaryTests {
    static func report(nativeWall: Double?) -> ComparisonReport {
        let emulation = WorkloadResult(
            workload: "crc32-small-thumb", category: .thumb, mode: "emulation", status: .passed, medianWallSeconds: 0.5,
            counts: EventCounts(["thumb.instructions": 48_000_000, "rv64.instructions": 240_000_000, "translation.nanoseconds": 2_000_000]))
        var results = [emulation, WorkloadResult(workload: "crc32-small-thumb", category: .thumb, mode: "native", status: .skipped)]
        if let nativeWall {
            results.append(WorkloadResult(workload: "crc32-small", category: .cpu, mode: "native", status: .passed, medianWallSeconds: nativeWall))
        }
        return ComparisonReport(
            runID: "test", createdAt: "2025-01-01T00:00:00Z",
            host: HostDescription(operatingSystem: "test OS", processorCount: 2, hostName: "test"),
            settings: ComparisonSettings(corpus: "test", rounds: 1, virtualTime: true, instructionLimit: 1000, ramSize: 128 << 20),
            notes: [], modes: [ModeDescription(name: "native", summary: "", implemented: true),
                               ModeDescription(name: "emulation", summary: "", implemented: true)],
            workloads: ["crc32-small", "crc32-small-thumb"], profiles: [], results: results)
    }

    @Test func ratiosComeFromTheReport() throws {
        let rows = EmulationSummary.rows(Self.report(nativeWall: 0.1))
        let row = try #require(rows.first)
        #expect(rows.count == 1)
        #expect(row.nativeWorkload == "crc32-small")
        #expect(row.rv64PerThumbInstruction == 5)
        #expect(row.translationSeconds == 0.002)
        #expect(row.slowdownVersusNative == 5)
        // 48 M Thumb instructions in 0.5 s is 96 M/s: twice a 48 MHz M0 at one instruction per cycle.
        #expect(row.speedVersusCortexM0 == 2)
        let table = EmulationSummary.table(rows)
        #expect(table.contains("crc32-small-thumb"))
        #expect(table.contains("modelled"))
    }

    @Test func missingNativeRunLeavesTheSlowdownOpen() throws {
        let row = try #require(EmulationSummary.rows(Self.report(nativeWall: nil)).first)
        #expect(row.slowdownVersusNative == nil)
        #expect(EmulationSummary.table([row]).contains(" - "))
    }
}
