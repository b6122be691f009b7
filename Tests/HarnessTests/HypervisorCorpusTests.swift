import Foundation
import Testing
@testable import DifferentialTesting
@testable import Harness
import TestSupport

/// The H-extension corpus (Corpus/hext) and the VS-mode random programs, checked against
/// QEMU 7.2 (`-cpu rv64,h=true`).
///
/// QEMU must print exactly `Corpus/hext/expected/<name>.txt`; VirtBench's hart must print
/// `expected/virtbench/<name>.txt`, and where the two differ the line must be one that
/// `expected/DEVIATIONS.md` explains (QEMU departing from the specification, or a field the
/// specification leaves to the implementation).
@Suite struct HypervisorCorpusTests {
    @Test func catalogueEntriesHaveSourcesAndExpectedOutputs() throws {
        let root = try PackageRoot.locate()
        #expect(CorpusCatalogue.hext.count == 7)
        for program in CorpusCatalogue.hext {
            #expect(program.requiresHypervisorExtension, "\(program.name)")
            #expect(program.expectedFinalLine == "PASS \(program.name)")
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(program.source).path), "\(program.source)")
            let expected = try #require(program.expectedOutputPath)
            let text = try String(contentsOf: root.appendingPathComponent(expected), encoding: .utf8)
            #expect(text.split(separator: "\n").last.map(String.init) == program.expectedFinalLine, "\(expected)")
        }
        // Gated: a hart without H must not be handed these through `all`.
        let all = Set(CorpusCatalogue.all.map(\.name))
        let leaked = CorpusCatalogue.hext.filter { all.contains($0.name) }.map(\.name)
        #expect(leaked.isEmpty)
        let needH = CorpusCatalogue.all.filter(\.requiresHypervisorExtension).map(\.name)
        #expect(needH.isEmpty)
    }

    @Test func marchDecidesWhetherHIsNeeded() {
        func program(_ march: String) -> CorpusProgram {
            CorpusProgram(name: "x", category: .isa, source: "x.S", linkerScript: "l.ld", commonFiles: [],
                          includeDirectories: [], architecture: .riscv64(march: march), expectedFinalLine: "PASS x")
        }
        #expect(program("rv64gch").requiresHypervisorExtension)
        #expect(program("rv64imach_zicsr").requiresHypervisorExtension)
        #expect(!program("rv64gc").requiresHypervisorExtension)
        // An "h" inside a multi-letter extension name is not the H extension.
        #expect(!program("rv64gc_zihintpause").requiresHypervisorExtension)
        #expect(!CorpusProgram.isa("rv64i").requiresHypervisorExtension)
    }

    @Test func qemuRunnerGetsHForHPrograms() {
        var runner = QEMURunner(executable: "/usr/bin/qemu-system-riscv64")
        runner.extraArguments = ["-cpu", "rv64,h=false", "-smp", "1"]
        let hRunner = runner.configured(for: CorpusProgram.hypervisor("hcsr"))
        #expect(hRunner.extraArguments == ["-smp", "1", "-cpu", "rv64,h=true"])
        #expect(runner.configured(for: CorpusProgram.isa("rv64i")).extraArguments == runner.extraArguments)
    }

    /// Each program passes on QEMU and prints exactly what Corpus/hext/expected holds.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64), arguments: CorpusCatalogue.hext)
    func qemuPrintsTheRecordedOutput(program: CorpusProgram) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let plain = try #require(QEMURunner())
        let image = try builder.build(program)
        let outcome = try plain.configured(for: program).run(kernel: image.path)
        #expect(!outcome.timedOut, "\(program.name) hung: \(outcome.output.suffix(500))")
        #expect(outcome.exitStatus == 0, "\(program.name): \(outcome.output.suffix(500)) \(outcome.standardError)")
        let expectedPath = try #require(program.expectedOutputPath)
        let expected = try String(contentsOf: builder.packageRoot.appendingPathComponent(expectedPath), encoding: .utf8)
        #expect(outcome.output == expected, "\(program.name) differs from \(expectedPath)")
    }

    /// Each program passes on VirtBench's hart with H and prints exactly its recorded output;
    /// every line where that differs from QEMU's is one DEVIATIONS.md explains.
    @Test(.requires(.corpusToolchain), arguments: CorpusCatalogue.hext)
    func virtBenchFollowsTheSpecification(program: CorpusProgram) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let image = try builder.build(program)
        var options = GuestRun.Options(kernel: image.path, instructionLimit: 100_000_000)
        options.board.hypervisor = true
        let result = try GuestRun.run(options)
        #expect(result.exitStatus == 0, "\(program.name): \(result.output.suffix(400))")
        let root = builder.packageRoot
        let ours = try String(contentsOf: root.appendingPathComponent("Corpus/hext/expected/virtbench/\(program.name).txt"), encoding: .utf8)
        #expect(result.output == ours, "\(program.name) differs from expected/virtbench/\(program.name).txt")

        let qemu = try String(contentsOf: root.appendingPathComponent(try #require(program.expectedOutputPath)), encoding: .utf8)
        let notes = try String(contentsOf: root.appendingPathComponent("Corpus/hext/expected/DEVIATIONS.md"), encoding: .utf8)
        let explained = Self.backticked(notes)
        let ourLines = ours.split(separator: "\n").map(String.init), qemuLines = qemu.split(separator: "\n").map(String.init)
        #expect(ourLines.count == qemuLines.count, "\(program.name): line counts differ")
        for (mine, theirs) in zip(ourLines, qemuLines) where mine != theirs {
            let documented = explained.contains { !$0.isEmpty && (mine.hasPrefix($0) || theirs.hasPrefix($0)) }
            let onlyFreeFields = Self.withoutImplementationDefinedFields(mine) == Self.withoutImplementationDefinedFields(theirs)
            #expect(documented || onlyFreeFields, "\(program.name): undocumented difference\n ours: \(mine)\n qemu: \(theirs)")
        }
    }

    /// The `code spans` of DEVIATIONS.md: the line prefixes it explains (a `\|` in a table cell is a `|`).
    static func backticked(_ text: String) -> [String] {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }
            .map { $0.element.replacingOccurrences(of: "\\|", with: "|") }
    }

    /// A trap line without its tinst (0 or the transformed instruction are both legal) and GVA
    /// (QEMU 7.2 leaves it stale) fields.
    static func withoutImplementationDefinedFields(_ line: String) -> String {
        line.split(separator: " ").filter { !$0.hasPrefix("tinst=") && !$0.hasPrefix("gva=") }.joined(separator: " ")
    }
}

/// The VS-mode variant of the random differential programs (Corpus/random/support-vs.S).
@Suite struct RandomProgramVirtualSupervisorTests {
    /// For tests that declare `.requires(.corpusToolchain, .qemuSystemRISCV64)`.
    static func tools() throws -> (native: RandomProgramBuilder, virtual: RandomProgramBuilder, runner: QEMURunner) {
        let native = try #require(RandomProgramBuilder(executionMode: .machine))
        let virtual = try #require(RandomProgramBuilder(executionMode: .virtualSupervisor))
        var runner = try #require(QEMURunner())
        runner.extraArguments = RandomProgramExecutionMode.virtualSupervisor.qemuArguments
        return (native, virtual, runner)
    }

    @Test func virtualSupervisorDropsMachineLevelCSRReads() {
        let generator = RandomProgramGenerator()
        let seeds = UInt64(0)..<100
        let programs = seeds.map { generator.generate(seed: $0) }
        // The generator does emit them, so the filter has something to do...
        #expect(programs.contains { $0.units.contains { RandomProgramExecutionMode.machineLevelInstructionKeys.contains($0.instructionKey ?? "") } })
        for program in programs {
            let adapted = RandomProgramExecutionMode.virtualSupervisor.adapt(program)
            let text = adapted.units.flatMap(\.lines).joined(separator: "\n")
            // ...and afterwards no line names a machine-level CSR.
            #expect(!text.contains("misa") && !text.contains("mhartid") && !text.contains("mstatus"), "seed \(program.seed)")
            #expect(adapted.units.filter(\.isLabel).count == program.units.filter(\.isLabel).count)
            #expect(RandomProgramExecutionMode.machine.adapt(program) == program)
        }
    }

    /// The same body in M-mode and in VS-mode under the identity two-stage mapping prints the
    /// same dump on QEMU: the VS prologue changes nothing the body can observe.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func vsDumpEqualsNativeDumpOnQEMU() throws {
        let tools = try Self.tools()
        let count = max((ProcessInfo.processInfo.environment["VIRTBENCH_RANDOM_PROGRAMS"].flatMap(Int.init) ?? 200) / 10, 8)
        let generator = RandomProgramGenerator()
        for seed in UInt64(0x5600_0000)..<(0x5600_0000 + UInt64(count)) {
            // Both variants run the VS-adapted body, so the only difference is the privilege.
            let program = RandomProgramExecutionMode.virtualSupervisor.adapt(generator.generate(seed: seed))
            let nativeELF = try tools.native.build(program, name: "seed-\(seed)")
            let virtualELF = try tools.virtual.build(program, name: "seed-\(seed)")
            let native = RandomProgramDump(output: try QEMURandomProgramTarget(runner: tools.runner).run(elf: nativeELF))
            let virtual = RandomProgramDump(output: try QEMURandomProgramTarget(runner: tools.runner).run(elf: virtualELF))
            #expect(native.isComplete && virtual.isComplete, "seed \(seed)")
            #expect(native.differences(from: virtual, names: ("M", "VS")).isEmpty,
                    "seed \(seed): \(native.differences(from: virtual, names: ("M", "VS")).prefix(5))")
        }
    }

    /// A trap in a VS body reaches the M-mode handler and is reported like a native one.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func trapInAVirtualSupervisorBodyIsReported() throws {
        let tools = try Self.tools()
        var program = RandomProgramGenerator(configuration: .init(instructionCount: 1)).generate(seed: 99)
        program.units = [RandomProgramUnit(lines: ["unimp"], instructionKey: "unimp", isaExtension: .i)]
        let elf = try tools.virtual.build(program, name: "unit-trap")
        let dump = RandomProgramDump(output: try QEMURandomProgramTarget(runner: tools.runner).run(elf: elf))
        #expect(dump.trapped && dump.isComplete)
        // Privileged spec 1.12, Table 3.6: cause 2 is an illegal instruction, taken to M (medeleg = 0).
        #expect(dump.fields.first { $0.name == "trap" }?.value.hasPrefix("mcause=0000000000000002 mepc=00000000800") == true)
    }

    /// Random programs in VS-mode under a G-stage mapping: VirtBench's hart with H against
    /// QEMU (VIRTBENCH_RANDOM_PROGRAMS sets how many; a quarter of it, at least 8, run here).
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func virtBenchMatchesQEMUOnVirtualSupervisorPrograms() throws {
        let tools = try Self.tools()
        let count = max((ProcessInfo.processInfo.environment["VIRTBENCH_RANDOM_PROGRAMS"].flatMap(Int.init) ?? 200) / 4, 8)
        let tester = RandomDifferentialTester(reference: QEMURandomProgramTarget(runner: tools.runner),
                                              candidate: VirtBenchRandomProgramTarget(hypervisor: true),
                                              builder: tools.virtual)
        let results = try tester.run(seeds: UInt64(0x7500_0000)..<(0x7500_0000 + UInt64(count)))
        #expect(results.count == count)
        let mismatches = results.filter { !$0.matched }.map(\.differences)
        #expect(mismatches.isEmpty)
    }
}
