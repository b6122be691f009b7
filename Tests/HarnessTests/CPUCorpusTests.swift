import Foundation
import Testing
@testable import Harness
import TestSupport

/// The CPU-bound workload corpus (Corpus/cpu): the catalogue matches the sources, every small
/// build compiles, prints its checksum and PASS line on qemu-system-riscv64 and on VirtBench,
/// and the sources stay portable to the ARMv6-M Thumb build of the emulation mode.
@Suite struct CPUCorpusTests {
    static let small = CorpusCatalogue.cpu.filter { $0.name.hasSuffix(CPUWorkloadScale.small.nameSuffix) }

    /// What a passing workload prints: exactly its checksum line and its PASS line.
    static func expectWorkloadOutput(_ output: String, of program: CorpusProgram) {
        let lines = output.replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(program.name) printed:\n\(output)")
        let prefix = "\(program.name): checksum "
        let checksumLine = lines.first ?? ""
        #expect(checksumLine.hasPrefix(prefix), "\(checksumLine)")
        let digits = checksumLine.dropFirst(prefix.count)
        #expect(digits.count == 16 && digits.allSatisfy { "0123456789abcdef".contains($0) }, "\(checksumLine)")
        #expect(lines.last == program.expectedFinalLine, "\(program.name) printed:\n\(output)")
    }

    @Test func catalogueHasEveryWorkloadAtBothScales() throws {
        let root = try PackageRoot.locate()
        #expect(CorpusCatalogue.cpu.count == 2 * CorpusCatalogue.cpuWorkloads.count)
        #expect(CorpusCatalogue.programs(in: .cpu) == CorpusCatalogue.cpu)
        for workload in CorpusCatalogue.cpuWorkloads {
            let full = try #require(CorpusCatalogue.program(named: workload))
            let small = try #require(CorpusCatalogue.program(named: workload + "-small"))
            #expect(full.source == small.source)
            #expect(full.expectedFinalLine == "PASS \(workload)")
            #expect(small.expectedFinalLine == "PASS \(workload)-small")
            #expect(full.compilerFlags.contains("-DWORKLOAD_SCALE=50"))
            #expect(small.compilerFlags.contains("-DWORKLOAD_SCALE=1"))
            for path in [full.source, full.linkerScript] + full.additionalSources + full.commonFiles {
                #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path), "\(path)")
            }
        }
    }

    /// The scales the Swift side passes are the ones workload.h has expected checksums for.
    @Test func scalesMatchTheWorkloadHeader() throws {
        let header = try String(contentsOf: PackageRoot.locate().appendingPathComponent("Corpus/cpu/workload.h"), encoding: .utf8)
        for (scale, macro) in [(CPUWorkloadScale.full, "WORKLOAD_SCALE_FULL"), (.small, "WORKLOAD_SCALE_SMALL")] {
            let definition = header.split(separator: "\n").first { $0.hasPrefix("#define \(macro) ") }
            let value = definition.flatMap { Int($0.split(separator: " ").last ?? "") }
            #expect(value == scale.rounds, "\(macro) in workload.h")
        }
    }

    /// Workloads must build for Thumb later: no assembly in them (only the runtimes have it).
    @Test(arguments: CorpusCatalogue.cpuWorkloads)
    func workloadSourceIsPortableC(_ workload: String) throws {
        let source = try String(contentsOf: PackageRoot.locate().appendingPathComponent("Corpus/cpu/\(workload).c"), encoding: .utf8)
        #expect(!source.contains("asm"), "\(workload).c must not contain inline assembly")
        #expect(!source.contains("#include <"), "\(workload).c must include only workload.h, never a system header")
    }

    /// Every workload compiles for ARMv6-M (Cortex-M0) as it is, the emulation mode's target.
    @Test(.requires(.corpusToolchain), arguments: CorpusCatalogue.cpuWorkloads)
    func workloadCompilesForThumb(_ workload: String) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let root = builder.packageRoot
        let object = FileManager.default.temporaryDirectory.appendingPathComponent("cpu-thumb-\(workload)-\(UUID().uuidString).o")
        defer { try? FileManager.default.removeItem(at: object) }
        let arguments = CorpusArchitecture.thumbv6m.compilerFlags + CorpusProgram.cpuWorkloadFlags + [
            "-DWORKLOAD_SCALE=1", "-Werror", "-I" + root.appendingPathComponent("Corpus/cpu").path,
            "-c", root.appendingPathComponent("Corpus/cpu/\(workload).c").path, "-o", object.path,
        ]
        let outcome = try HostProcess.run(builder.toolchain.clang.path, arguments, timeout: 120)
        #expect(outcome.exitStatus == 0, "\(outcome.output)\(outcome.standardError)")
        #expect(FileManager.default.fileExists(atPath: object.path))
    }

    /// A scale without recorded checksums is refused at build time with a message that says why.
    @Test(.requires(.corpusToolchain)) func unknownScaleIsABuildError() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let base = CorpusProgram.cpuWorkload("crc32", scale: .small)
        let odd = CorpusProgram(
            name: "crc32-scale7-\(UUID().uuidString.prefix(8))", category: .cpu, source: base.source,
            linkerScript: base.linkerScript, commonFiles: base.commonFiles, includeDirectories: base.includeDirectories,
            architecture: base.architecture, expectedFinalLine: "PASS crc32",
            compilerFlags: CorpusProgram.cpuWorkloadFlags + ["-DWORKLOAD_SCALE=7"],
            additionalSources: base.additionalSources)
        do {
            try builder.build(odd)
            Issue.record("a build with WORKLOAD_SCALE=7 succeeded")
        } catch let error {
            guard case .toolFailed(_, _, _, let output) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(output.contains("WORKLOAD_SCALE must be"), "\(output)")
        }
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64), arguments: small)
    func smallWorkloadPassesOnQEMU(_ program: CorpusProgram) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let image = try builder.build(program)
        let result = try CorpusRun.onQEMU(image: image, timeout: 180)
        #expect(!result.timedOut, "\(program.name) timed out; output:\n\(result.output)")
        #expect(result.exitStatus == 0, "\(program.name): \(result.output)")
        Self.expectWorkloadOutput(result.output, of: program)
    }
}

/// The small workloads on VirtBench itself, compared with QEMU line for line. Serialized: each
/// run keeps a 128 MiB board and a busy hart, and the machine is shared.
@Suite(.serialized) struct CPUCorpusGuestRunTests {
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64), arguments: CPUCorpusTests.small)
    func smallWorkloadPassesOnVirtBenchAsOnQEMU(_ program: CorpusProgram) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let image = try builder.build(program)
        // The small builds retire well under 100 million instructions; the limit turns a hang into a failure.
        let result = try GuestRun.run(.init(kernel: image.path, instructionLimit: 400_000_000))
        #expect(!result.limitReached, "\(program.name) did not finish; output:\n\(result.output)")
        #expect(result.stop == .powerOff, "\(program.name): \(result.output)")
        CPUCorpusTests.expectWorkloadOutput(result.output, of: program)
        print("\(program.name): \(result.instructions) instructions on VirtBench, \(String(format: "%.1f", result.mips)) MIPS")
        let reference = try CorpusRun.onQEMU(image: image, timeout: 180)
        #expect(reference.output == result.output, "QEMU printed:\n\(reference.output)\nVirtBench printed:\n\(result.output)")
        #expect(reference.exitStatus == result.exitStatus)
    }
}
