import Foundation
import Machine
import Testing
@testable import Harness
import TestSupport

/// Mode and corpus selection, judging runs, and whole comparisons of small ISA programs on native.
@Suite(.serialized) struct CompareTests {
    static func workload(_ name: String, _ category: CorpusCategory = .cpu) -> CorpusProgram {
        CorpusProgram(name: name, category: category, source: "Corpus/cpu/\(name).c", linkerScript: "Corpus/common/link.ld",
                      commonFiles: [], includeDirectories: [], architecture: .riscv64(march: "rv64gc"),
                      expectedFinalLine: "PASS \(name)")
    }

    static func guestResult(output: String, status: Int32 = 0, limit: Bool = false) -> GuestRunResult {
        GuestRunResult(output: output, exitStatus: status, stop: status == 0 ? .powerOff : .failure(code: UInt32(status)),
                       limitReached: limit, instructions: 10, counters: HartCounters(), wallSeconds: 0.001)
    }

    @Test func modeNamesResolveAndUnknownOnesAreRefused() throws {
        // Implemented modes in ARCHITECTURE.md's order (every mode is implemented now).
        #expect(try ModeRegistry.resolve([]) == ["native", "emulation", "hav", "full", "para"])
        #expect(ModeRegistry.planned.isEmpty)
        #expect(try ModeRegistry.resolve(["hav,native", "native"]) == ["hav", "native"])
        #expect(throws: ModeSelectionError.unknownMode("kvm", known: ModeRegistry.allNames)) { try ModeRegistry.resolve(["native,kvm"]) }
        #expect(ModeRegistry.mode(named: "native") != nil)
        #expect(ModeRegistry.mode(named: "hav") != nil)
        #expect(ModeRegistry.mode(named: "para") != nil)
    }

    @Test func havRunsOnlySModeKernels() {
        #expect(HAVMode().refusal(for: .isa("rv64i")) != nil, "a bare-metal M-mode program cannot be a guest")
        #expect(HAVMode().refusal(for: CorpusProgram.corpusKernel) == nil)
        #expect(HAVMode().refusal(for: CorpusProgram.hypervisor("hcsr")) != nil, "no nested virtualization")
    }

    @Test func nativeRefusesThumbPrograms() {
        let thumb = CorpusProgram(name: "t", category: .thumb, source: "x.c", linkerScript: "l.ld", commonFiles: [],
                                  includeDirectories: [], architecture: .thumbv6m, expectedFinalLine: "PASS t")
        #expect(NativeMode().refusal(for: thumb) != nil)
        #expect(NativeMode().refusal(for: .isa("rv64i")) == nil)
    }

    @Test func conformanceSuitesAreISASmallWorkloadsAndTheKernel() throws {
        let names = try Conformance.suites(nil).programs.map(\.name)
        #expect(names.contains("rv64i") && names.contains("crc32-small") && names.contains("kernel"))
        #expect(!names.contains("crc32"), "full-size workloads belong to compare, not conform")
        #expect(names.contains("crc32-small-thumb") && !names.contains("crc32-thumb"), "the emulation mode conforms on the small Thumb builds")
    }

    @Test func corpusSelectionDefaultsToWorkloadsAndFallsBackToISA() throws {
        let withWorkloads = [CorpusProgram.isa("rv64i"), Self.workload("crc32"), Self.workload("crc32-small"), Self.workload("fork", .os)]
        #expect(try CorpusSelection.resolve(nil, catalogue: withWorkloads).programs.map(\.name) == ["crc32", "fork"])
        // OS-bound programs are small already, so the small selection keeps them.
        #expect(try CorpusSelection.resolve("small", catalogue: withWorkloads).programs.map(\.name) == ["crc32-small", "fork"])
        // The small Thumb builds join both, with their RV64 originals as emulation's reference.
        let withThumb = withWorkloads + [Self.workload("crc32-small-thumb", .thumb)]
        #expect(try CorpusSelection.resolve(nil, catalogue: withThumb).programs.map(\.name) == ["crc32", "fork", "crc32-small", "crc32-small-thumb"])
        #expect(try CorpusSelection.resolve("small", catalogue: withThumb).programs.map(\.name) == ["crc32-small", "fork", "crc32-small-thumb"])
        #expect(try CorpusSelection.resolve("isa", catalogue: withWorkloads).programs.map(\.name) == ["rv64i"])
        #expect(try CorpusSelection.resolve("fork, rv64i", catalogue: withWorkloads).programs.map(\.name) == ["fork", "rv64i"])
        // Categories mix with program names in a list, each program once.
        #expect(try CorpusSelection.resolve("os,isa,fork", catalogue: withWorkloads).programs.map(\.name) == ["fork", "rv64i"])
        #expect(throws: CorpusSelectionError.unknownWorkload("small", known: withWorkloads.map(\.name))) {
            try CorpusSelection.resolve("os,small", catalogue: withWorkloads)
        }

        let isaOnly = [CorpusProgram.isa("rv64i"), CorpusProgram.isa("traps")]
        let fallback = try CorpusSelection.resolve(nil, catalogue: isaOnly)
        #expect(fallback.programs.map(\.name) == ["rv64i", "traps"])
        #expect(fallback.notes.count == 1)
        #expect(throws: CorpusSelectionError.empty("cpu")) { try CorpusSelection.resolve("cpu", catalogue: isaOnly) }
        #expect(throws: CorpusSelectionError.unknownWorkload("crc64", known: ["rv64i", "traps"])) {
            try CorpusSelection.resolve("rv64i,crc64", catalogue: isaOnly)
        }
        #expect(CorpusSelectionError.unknownWorkload("crc64", known: []).description.hasPrefix("unknown workload 'crc64'"))
    }

    @Test func judgementNamesWhatWentWrong() {
        let program = CorpusProgram.isa("rv64i")
        #expect(RunJudgement.failure(of: Self.guestResult(output: "hello\nPASS rv64i\n"), program: program, instructionLimit: 5) == nil)
        #expect(RunJudgement.failure(of: Self.guestResult(output: "PASS rv64i\n", limit: true), program: program, instructionLimit: 5)
            == "did not finish within 5 instructions")
        #expect(RunJudgement.failure(of: Self.guestResult(output: "FAIL 3\n", status: 3), program: program, instructionLimit: 5)
            == "exit status 3, last line \"FAIL 3\"")
        #expect(RunJudgement.failure(of: Self.guestResult(output: "PASS rv64m\n"), program: program, instructionLimit: 5)
            == "last line \"PASS rv64m\", expected \"PASS rv64i\"")

        #expect(RunJudgement.checksum(in: "crc32-small: checksum 0xdeadbeef\r\nPASS crc32-small\n") == "0xdeadbeef")
        #expect(RunJudgement.checksum(in: "PASS rv64i\n") == nil)

        let native = Self.guestResult(output: "a\nchecksum 1\n")
        #expect(RunJudgement.difference(Self.guestResult(output: "a\nchecksum 1\n"), from: native) == nil)
        #expect(RunJudgement.difference(Self.guestResult(output: "a\nchecksum 2\n"), from: native)
            == "console line 2 is \"checksum 2\", native printed \"checksum 1\"")
        #expect(RunJudgement.difference(Self.guestResult(output: "a\nchecksum 1\n", status: 1), from: native) == "exit status 1, native 0")
    }

    @Test func medianOfOddAndEvenCounts() {
        #expect(ComparisonRunner.median([]) == nil)
        #expect(ComparisonRunner.median([3, 1, 2]) == 2)
        #expect(ComparisonRunner.median([4, 1, 3, 2]) == 2.5)
    }

    @Test func hartCountersBecomeNamedEventCounts() {
        var counters = HartCounters()
        counters.exceptions[8] = 5
        counters.exceptions[13] = 2
        counters.interrupts[7] = 3
        counters.pageWalkSteps = 9
        counters.retiredByPrivilege[0] = 40
        let counts = EventCounts(counters, instructions: 100)
        #expect(counts["instructions"] == 100)
        #expect(counts["instructions.user"] == 40)
        #expect(counts["exception.ecall-from-u"] == 5)
        #expect(counts["exception.load-page-fault"] == 2)
        #expect(counts["interrupt.machine-timer-interrupt"] == 3)
        #expect(CostEvent.exception.count(in: counts) == 5)
        #expect(CostEvent.pageFault.count(in: counts) == 2)
        #expect(CostEvent.interrupt.count(in: counts) == 3)
        #expect(CostEvent.pageWalkStep.count(in: counts) == 9)
        #expect(counts.values["tlb.misses"] == nil, "zero counts are left out")
    }

    /// Virtual time makes counts a function of the program alone: two runs, same counts.
    /// `interrupts` takes timer interrupts, the part most likely to depend on the host clock.
    @Test(.requires(.corpusToolchain), arguments: ["interrupts", "rv64i"])
    func countsAreIdenticalAcrossRunsInVirtualTime(_ name: String) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let program = try #require(CorpusCatalogue.program(named: name))
        let image = try builder.build(program)
        let options = ModeRunOptions(virtualTime: true, instructionLimit: 200_000_000)
        let first = try NativeMode().run(program, image: image, options: options)
        let second = try NativeMode().run(program, image: image, options: options)
        #expect(first.guest.output == second.guest.output)
        #expect(first.eventCounts == second.eventCounts)
        #expect(first.eventCounts["instructions"] > 0)
    }

    @Test(.requires(.corpusToolchain)) func comparisonOfSmallProgramsReportsNativeAndSkipsWhatAModeCannotRun() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let selection = try CorpusSelection.resolve("rv64i,traps")
        let profiles = try CostProfileLibrary.loadAll(in: CostProfileTests.shippedFolder())
        let plan = ComparisonPlan(corpus: selection, modes: ["native", "para"], profiles: profiles, rounds: 2,
                                  options: ModeRunOptions(instructionLimit: 200_000_000))
        var progress: [String] = []
        let runner = ComparisonRunner(plan: plan, build: { program throws(CorpusBuildError) in try builder.build(program) },
                                      progress: { progress.append($0) })
        let report = try runner.run(runID: "test")
        #expect(progress.count == 4, "\(progress)")
        #expect(progress.first == "[1/8] rv64i · native · round 1/2")
        #expect(!report.hasFailures)
        let native = try #require(report.result(workload: "traps", mode: "native"))
        #expect(native.status == .passed, "\(native.reason ?? "")")
        #expect(native.rounds.count == 2)
        #expect(native.countsStable == true)
        #expect(native.relativeThroughput == 1)
        #expect(native.finalLine == "PASS traps")
        #expect(native.modeled.count == profiles.count)
        #expect((native.counts?.total(prefix: "exception.") ?? 0) > 0, "the traps test takes exceptions")
        // para runs only kernels built for its hypercalls: a bare-metal test is skipped, with no numbers.
        let para = try #require(report.result(workload: "traps", mode: "para"))
        #expect(para.status == .skipped && para.reason != nil)
        #expect(para.rounds.isEmpty && para.counts == nil && para.medianWallSeconds == nil, "no numbers for a run that did not happen")

        let table = Conformance.table(report)
        #expect(table.contains("isa    rv64i    passed  skipped ["), "\(table)")
        #expect(table.contains("2 passed, 0 failed, 2 skipped"), "\(table)")
    }

    @Test(.requires(.corpusToolchain)) func aFailingProgramFailsItsCellWithTheReason() throws {
        let builder = try CorpusBuilder.forThisPackage()
        // rv64i with an expectation it cannot meet, and a limit far too small for traps.
        let impostor = CorpusProgram(name: "rv64i", category: .isa, source: "Corpus/isa/rv64i.S", linkerScript: "Corpus/common/link.ld",
                                     commonFiles: CorpusProgram.isa("rv64i").commonFiles, includeDirectories: ["Corpus/common"],
                                     architecture: .riscv64(march: "rv64gc"), expectedFinalLine: "PASS something-else")
        let plan = ComparisonPlan(corpus: CorpusSelection(programs: [impostor], description: "test", notes: []),
                                  modes: ["native"], profiles: [], rounds: 1, options: ModeRunOptions(instructionLimit: 200_000_000))
        let report = try ComparisonRunner(plan: plan, build: { program throws(CorpusBuildError) in try builder.build(program) }).run(runID: "t")
        let cell = try #require(report.result(workload: "rv64i", mode: "native"))
        #expect(cell.status == .failed)
        #expect(cell.reason == "last line \"PASS rv64i\", expected \"PASS something-else\"")
        #expect(report.hasFailures)

        let limited = ComparisonPlan(corpus: try CorpusSelection.resolve("traps"), modes: ["native"], profiles: [], rounds: 1,
                                     options: ModeRunOptions(instructionLimit: 50))
        let short = try ComparisonRunner(plan: limited, build: { program throws(CorpusBuildError) in try builder.build(program) }).run(runID: "t")
        #expect(short.result(workload: "traps", mode: "native")?.reason == "did not finish within 50 instructions")
    }

    @Test func zeroRoundsIsRefused() {
        let plan = ComparisonPlan(corpus: CorpusSelection(programs: [], description: "", notes: []), modes: ["native"],
                                  profiles: [], rounds: 0, options: ModeRunOptions())
        #expect(throws: ComparisonError.invalidRounds(0)) {
            try ComparisonRunner(plan: plan, build: { program throws(CorpusBuildError) in throw .inputMissing(program: program.name, path: "") }).run(runID: "t")
        }
    }
}
