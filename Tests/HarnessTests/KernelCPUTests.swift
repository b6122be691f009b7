import Foundation
import Testing
@testable import Harness
import TestSupport

/// The corpus kernel running the CPU-bound corpus as user programs (`kernel-cpu`): every
/// workload prints in a U-mode process exactly the two lines its bare-metal `-small` build
/// prints, and QEMU prints the same as VirtBench.
@Suite struct KernelCPUTests {
    static let program = CorpusProgram.corpusKernelCPU

    /// The kernel's lines around the workloads' own.
    static let header = ["VirtBench corpus kernel on hart 0", "sv39 paging on"]

    static func lines(_ output: String) -> [String] {
        output.replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
    }

    @Test func catalogueEntryBuildsEveryWorkloadAsAUserProgram() throws {
        let root = try PackageRoot.locate()
        #expect(CorpusCatalogue.os.contains(Self.program))
        #expect(Self.program.firmware == .corpusSBI)
        #expect(Self.program.compilerFlags.contains("-DWORKLOAD_SCALE=\(CPUWorkloadScale.small.rounds)"))
        for workload in CorpusCatalogue.cpuWorkloads {
            #expect(Self.program.additionalSources.contains("Corpus/kernel/cpu/user-\(workload).c"), "\(workload)")
        }
        for path in [Self.program.source, Self.program.linkerScript] + Self.program.additionalSources + Self.program.commonFiles {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path), "\(path)")
        }
        // user-runtime.c dispatches by index in the catalogue's order.
        let runtime = try String(contentsOf: root.appendingPathComponent("Corpus/kernel/cpu/user-runtime.c"), encoding: .utf8)
        for (index, workload) in CorpusCatalogue.cpuWorkloads.enumerated() {
            let id = workload.replacingOccurrences(of: "-", with: "_")
            #expect(runtime.contains("case \(index): workload_main_\(id)();"), "\(workload)")
        }
    }

    /// The kernel's transcript is the bare-metal builds' output, workload after workload.
    @Test(.requires(.corpusToolchain)) func workloadsPrintWhatTheirBareMetalBuildsPrint() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let result = try CorpusFirmwareTests.runOnVirtBench(Self.program, builder: builder, instructionLimit: 1_000_000_000)
        #expect(!result.limitReached && result.exitStatus == 0, "output:\n\(result.output)")
        var expected = [CorpusFirmware.corpusSBIBanner] + Self.header
        for workload in CorpusCatalogue.cpuWorkloads {
            let bareMetal = try #require(CorpusCatalogue.program(named: workload + CPUWorkloadScale.small.nameSuffix))
            let run = try GuestRun.run(.init(kernel: builder.build(bareMetal).path, instructionLimit: 400_000_000))
            #expect(run.exitStatus == 0, "\(bareMetal.name): \(run.output)")
            expected += Self.lines(run.output)
        }
        expected.append("PASS kernel-cpu")
        #expect(Self.lines(result.output) == expected)
        // The workloads ran in U-mode: most instructions retired there.
        #expect(result.counters.retiredByPrivilege[0] > result.instructions / 2)
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func qemuPrintsTheSame() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let qemu = try #require(QEMURunner())
        let ours = try CorpusFirmwareTests.runOnVirtBench(Self.program, builder: builder, instructionLimit: 1_000_000_000)
        let reference = try CorpusFirmwareTests.runOnQEMU(Self.program, builder: builder, qemu: qemu)
        #expect(!reference.timedOut && reference.exitStatus == 0, "\(reference.standardError)")
        #expect(reference.output == ours.output.replacingOccurrences(of: "\r", with: ""))
        #expect(Self.lines(reference.output).last == "PASS kernel-cpu")
    }

    /// On OpenSBI too: the kernel needs nothing of its firmware but the SBI.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64, .openSBIJumpELF)) func runsOnOpenSBIAsWell() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let qemu = try #require(QEMURunner())
        let openSBI = KernelTests.openSBI
        let ours = try CorpusFirmwareTests.runOnVirtBench(Self.program, builder: builder, instructionLimit: 1_000_000_000)
        let reference = try CorpusFirmwareTests.runOnQEMU(Self.program, builder: builder, qemu: qemu, bios: openSBI)
        #expect(!reference.timedOut && reference.exitStatus == 0, "\(reference.standardError)")
        #expect(KernelTests.kernelOutput(reference.output) == KernelTests.kernelOutput(ours.output))
    }
}
