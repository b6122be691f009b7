import Foundation
import Loader
import Testing
@testable import Harness
import TestSupport

/// The corpus kernel (Corpus/kernel): it builds, boots on Debian's OpenSBI fw_jump on VirtBench
/// and prints exactly the expected lines, and QEMU (the reference) prints the same.
@Suite struct KernelTests {
    /// Debian's OpenSBI fw_jump.elf: tests that boot on it declare `.requires(.openSBIJumpELF)`.
    static let openSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf"

    /// Everything the kernel prints after the firmware's banner. The checksums are fixed by the
    /// benchmarks' arithmetic, so any difference is a real change in behaviour; counts and
    /// checksums only, never times, so every machine prints the same. Processes 4 and 5 misbehave
    /// on purpose (a load from kernel memory, a CSR read in U-mode) and must be killed while
    /// everything after them still runs.
    static let expectedOutput = """
        VirtBench corpus kernel on hart 0
        sv39 paging on
        hello from user process 1
        hello from user process 2
        write from a kernel address: refused
        process 4 killed: page fault outside its memory (scause 13)
        process 5 killed: exception (scause 2)
        syscall: 20000 iterations, checksum 0x80c793f827d6cc00
        pagefault: 256 iterations, checksum 0x000000890aa62100
        ctxswitch: 4000 iterations, checksum 0x00000000c8a16ea0
        process: 200 iterations, checksum 0xa05f2e8d37af3cac
        preemption: yes, checksum 0x00000000270a270a
        pte: 2000 iterations, checksum 0x8e4f9a0d69bdfae4
        mmio: 10000 iterations, checksum 0x00000000000ea600
        timer: 20 iterations, checksum 0x0000000000140014
        PASS kernel

        """

    /// The kernel's part of a console transcript: from its banner on (OpenSBI prints its own first).
    static func kernelOutput(_ transcript: String) -> String {
        let text = transcript.replacingOccurrences(of: "\r", with: "")
        guard let start = text.range(of: "VirtBench corpus kernel") else { return "" }
        return String(text[start.lowerBound...])
    }

    @Test func catalogueEntryPointsAtTheSources() throws {
        let root = try PackageRoot.locate()
        let kernel = CorpusProgram.corpusKernel
        #expect(CorpusCatalogue.os.first == kernel)
        #expect(kernel.category == .os)
        #expect(kernel.expectedFinalLine == "PASS kernel")
        for path in [kernel.source, kernel.linkerScript] + kernel.additionalSources + kernel.commonFiles {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path), "\(path)")
        }
        let benchmarkLines = Self.expectedOutput.split(separator: "\n").compactMap { line in
            line.contains(" iterations, checksum 0x") ? line.split(separator: ":").first.map(String.init) : nil
        }
        #expect(benchmarkLines == CorpusCatalogue.kernelMicrobenchmarks)
    }

    /// The image is an RV64 ELF whose entry is fw_jump's next address, 0x8020_0000.
    @Test(.requires(.corpusToolchain)) func kernelBuildsAtTheFirmwarePayloadAddress() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let image = try builder.build(CorpusProgram.corpusKernel)
        let elf = try ELFImage(bytes: [UInt8](Data(contentsOf: image)), expecting: .riscv)
        #expect(elf.entry == 0x8020_0000)
        #expect(elf.elfClass == .elf64)
        // The user programs are linked at their user address but must load into RAM above the firmware.
        #expect(!elf.segments.isEmpty && elf.segments.allSatisfy { $0.physicalAddress >= 0x8020_0000 })
    }

    @Test(.requires(.corpusToolchain, .openSBIJumpELF)) func kernelPassesOnVirtBenchWithOpenSBI() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let firmware = Self.openSBI
        let image = try builder.build(CorpusProgram.corpusKernel)
        let result = try GuestRun.run(.init(kernel: image.path, firmware: .file(firmware), instructionLimit: 200_000_000))
        #expect(!result.limitReached, "the kernel did not finish; output:\n\(result.output)")
        #expect(result.exitStatus == 0, "output:\n\(result.output)")
        #expect(Self.kernelOutput(result.output) == Self.expectedOutput, "output:\n\(result.output)")
        // Each microbenchmark's share of the run is marked by its result line (LineMarks): the
        // iterations it printed, and the hart's counts between it and the line before.
        #expect(result.phaseCounts["phase.syscall.iterations"] == 20_000)
        #expect(result.phaseCounts["phase.syscall.exception.ecall-from-u", default: 0] >= 20_000)
        #expect(result.phaseCounts["phase.pagefault.iterations"] == 256)
        let phaseInstructions = CorpusCatalogue.kernelMicrobenchmarks.map { result.phaseCounts["phase.\($0).instructions", default: 0] }
        #expect(phaseInstructions.allSatisfy { $0 > 0 } && phaseInstructions.reduce(0, +) < result.instructions)
    }

    @Test(.requires(.corpusToolchain, .openSBIJumpELF, .qemuSystemRISCV64)) func kernelGivesTheSameOutputOnQEMU() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let firmware = Self.openSBI
        var qemu = try #require(QEMURunner())
        qemu.bios = firmware
        qemu.timeout = 240  // a hang guard: QEMU needs minutes when the suite loads both cores
        let image = try builder.build(CorpusProgram.corpusKernel)
        let outcome = try qemu.run(kernel: image.path)
        #expect(!outcome.timedOut, "QEMU timed out; output:\n\(outcome.output)")
        #expect(outcome.exitStatus == 0, "\(outcome.standardError)")
        #expect(Self.kernelOutput(outcome.output) == Self.expectedOutput, "output:\n\(outcome.output)")
    }
}
