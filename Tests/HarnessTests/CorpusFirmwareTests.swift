import Foundation
import Loader
import Testing
@testable import Harness
import TestSupport

/// The corpus's own SBI firmware (Corpus/firmware) and its self-test payload (Corpus/sbi): the
/// firmware builds in fw_jump's layout, the corpus kernel prints on it exactly what it prints on
/// OpenSBI, QEMU and VirtBench print the same bytes with it, and every SBI function answers as
/// the specification says (and as Debian's OpenSBI does, where the two agree).
@Suite struct CorpusFirmwareTests {
    /// What the self-test prints on our firmware: one line per extension, every strict check on.
    static let expectedSelfTestOutput = """
        VirtBench SBI v0.1
        SBI self-test on hart 0x0
        base: ok
        time: ok
        ipi: ok
        rfence: ok
        hsm: ok
        srst: ok
        dbcn: console_write
        dbcn: ok
        legacy console: ok
        hsm non-retentive suspend: ok
        PASS sbi

        """

    /// Runs a payload on VirtBench on top of the corpus firmware (built beside it).
    static func runOnVirtBench(_ program: CorpusProgram, builder: CorpusBuilder,
                               instructionLimit: UInt64 = 400_000_000) throws -> GuestRunResult {
        let image = try builder.build(program)
        let firmware = try #require(try builder.firmwareImage(for: program))
        return try GuestRun.run(.init(kernel: image.path, firmware: .file(firmware.path), instructionLimit: instructionLimit))
    }

    /// Runs a payload on QEMU with `bios` (our firmware when nil).
    static func runOnQEMU(_ program: CorpusProgram, builder: CorpusBuilder, qemu: QEMURunner,
                          bios: String? = nil) throws -> ProcessOutcome {
        var qemu = qemu
        let image = try builder.build(program)
        qemu.bios = try bios ?? #require(try builder.firmwareImage(for: program)).path
        qemu.timeout = 240  // a hang guard: QEMU needs minutes when the suite loads both cores
        return try qemu.run(kernel: image.path)
    }

    @Test(.requires(.corpusToolchain)) func firmwareIsBuiltAtTheResetAddressBelowThePayload() throws {
        let builder = try CorpusBuilder.forThisPackage()
        #expect(CorpusFirmware.corpusSBI.program == CorpusProgram.corpusSBIFirmware)
        #expect(CorpusFirmware.corpusSBI.imagePath == nil)
        #expect(!CorpusCatalogue.all.contains(CorpusProgram.corpusSBIFirmware), "the firmware is not a runnable program")
        let image = try #require(try builder.firmwareImage(for: CorpusProgram.corpusKernel))
        #expect(image == builder.imageURL(for: CorpusProgram.corpusSBIFirmware))
        let payload = builder.imageURL(for: CorpusProgram.corpusKernel)
        #expect(CorpusFirmware.corpusSBI.image(besides: payload) == image.path)
        let elf = try ELFImage(bytes: [UInt8](Data(contentsOf: image)), expecting: .riscv)
        #expect(elf.entry == 0x8000_0000)
        #expect(elf.segments.allSatisfy { $0.physicalAddress >= 0x8000_0000 && $0.physicalAddress + $0.memorySize <= 0x8020_0000 })
    }

    /// Building a payload on the corpus firmware builds the firmware too, so a mode can boot it.
    @Test(.requires(.corpusToolchain)) func nativeModeBootsTheKernelOnTheCorpusFirmware() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let kernel = CorpusProgram.corpusKernel
        #expect(kernel.firmware == .corpusSBI)
        let image = try builder.build(kernel)
        #expect(FileManager.default.fileExists(atPath: builder.imageURL(for: CorpusProgram.corpusSBIFirmware).path))
        #expect(NativeMode().refusal(for: kernel) == nil)
        let run = try NativeMode().run(kernel, image: image, options: ModeRunOptions(instructionLimit: 200_000_000))
        #expect(run.guest.exitStatus == 0, "output:\n\(run.guest.output)")
        #expect(run.guest.output.hasPrefix(CorpusFirmware.corpusSBIBanner + "\n"))
        #expect(KernelTests.kernelOutput(run.guest.output) == KernelTests.expectedOutput, "output:\n\(run.guest.output)")
        // SBI calls reach M-mode firmware code as ecalls from S-mode (cause 9).
        #expect(run.guest.counters.exceptions[9] > 0)
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func kernelOnTheCorpusFirmwarePrintsTheSameOnQEMUAndVirtBench() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let qemu = try #require(QEMURunner())
        let ours = try Self.runOnVirtBench(CorpusProgram.corpusKernel, builder: builder)
        #expect(!ours.limitReached && ours.exitStatus == 0, "output:\n\(ours.output)")
        let reference = try Self.runOnQEMU(CorpusProgram.corpusKernel, builder: builder, qemu: qemu)
        #expect(!reference.timedOut && reference.exitStatus == 0, "\(reference.standardError)")
        // The whole transcript, firmware banner included.
        #expect(reference.output == ours.output.replacingOccurrences(of: "\r", with: ""))
        #expect(reference.output == CorpusFirmware.corpusSBIBanner + "\n" + KernelTests.expectedOutput)
    }

    @Test(.requires(.corpusToolchain)) func selfTestPassesOnVirtBench() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let result = try Self.runOnVirtBench(CorpusProgram.sbiSelfTest, builder: builder, instructionLimit: 50_000_000)
        #expect(!result.limitReached, "output:\n\(result.output)")
        #expect(result.exitStatus == 0, "output:\n\(result.output)")
        #expect(result.output == Self.expectedSelfTestOutput)
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func selfTestPrintsTheSameOnQEMU() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let qemu = try #require(QEMURunner())
        let outcome = try Self.runOnQEMU(CorpusProgram.sbiSelfTest, builder: builder, qemu: qemu)
        #expect(!outcome.timedOut && outcome.exitStatus == 0, "\(outcome.standardError)")
        #expect(outcome.output == Self.expectedSelfTestOutput)
    }

    /// OpenSBI is another implementation: the self-test skips its strict checks there (see
    /// Corpus/firmware/README.md for where the two differ) and must still pass.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64, .openSBIJumpELF)) func selfTestPassesOnQEMUWithOpenSBI() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let qemu = try #require(QEMURunner())
        let openSBI = KernelTests.openSBI
        let outcome = try Self.runOnQEMU(CorpusProgram.sbiSelfTest, builder: builder, qemu: qemu, bios: openSBI)
        #expect(!outcome.timedOut && outcome.exitStatus == 0, "\(outcome.standardError)")
        let start = try #require(outcome.output.range(of: "SBI self-test on hart"), "output:\n\(outcome.output)")
        let lines = outcome.output[start.lowerBound...].split(separator: "\n").map(String.init)
        #expect(!lines.contains { $0.hasPrefix("FAIL") }, "output:\n\(outcome.output)")
        #expect(lines.last == "PASS sbi")
        // Debian's OpenSBI (1.1 / 1.2) has no DBCN; the self-test says so instead of calling it.
        #expect(lines.contains("dbcn: not offered") || lines.contains("dbcn: ok"))
    }
}
