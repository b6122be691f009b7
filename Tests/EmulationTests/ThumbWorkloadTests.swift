import Foundation
import Harness
import Loader
import Testing
@testable import Emulation
import TestSupport

/// The Thumb builds of the CPU corpus: each small workload passes on the reference interpreter
/// (its checksum is the one recorded for the RV64 build, so a PASS line means the same value),
/// and prints exactly what qemu-system-arm prints for the same image.
struct ThumbWorkloadTests {
    /// Instructions a small workload may take before the test calls it stuck.
    static let instructionLimit: UInt64 = 400_000_000

    @Test func catalogueHasEveryWorkloadAtBothScales() {
        #expect(CorpusCatalogue.thumb.count == CorpusCatalogue.cpuWorkloads.count * 2)
        #expect(CorpusCatalogue.thumb.allSatisfy { $0.architecture == .thumbv6m && $0.category == .thumb })
        #expect(CorpusCatalogue.program(named: "nbody-small-thumb")?.expectedFinalLine == "PASS nbody-small")
        #expect(Set(CorpusCatalogue.all.map(\.name)).count == CorpusCatalogue.all.count, "Thumb names do not collide with RV64 ones")
    }

    @Test(.requires(.corpusToolchain, .qemuSystemARM), arguments: CorpusCatalogue.cpuWorkloads)
    func smallWorkloadMatchesRV64AndQEMU(_ workload: String) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let program = CorpusProgram.thumbWorkload(workload, scale: .small)
        let rv64 = CorpusProgram.cpuWorkload(workload, scale: .small)
        #expect(program.expectedFinalLine == rv64.expectedFinalLine, "the same lines as the RV64 build")
        let image = try builder.build(program)
        let board = try ThumbBoard(elf: Array(try Data(contentsOf: image)))
        let result = board.run(instructionLimit: Self.instructionLimit)
        #expect(result.stop == .exited(status: 0), "\(result.summary)\n\(result.console)")
        let lines = result.console.split(separator: "\n").map(String.init)
        #expect(lines.last == program.expectedFinalLine, "\(result.console)")
        #expect(lines.first?.hasPrefix("\(workload)-small: checksum ") == true)
        #expect(result.exceptionsTaken.isEmpty, "a clean run takes no exceptions")

        let qemu = try #require(Tool.qemuSystemARM.path)
        let outcome = try HostProcess.run(qemu, ["-M", "mps2-an385", "-semihosting", "-nographic", "-monitor", "none",
                                                 "-serial", "none", "-kernel", image.path], timeout: 120)
        #expect(outcome.exitStatus == 0)
        // QEMU writes the semihosting console to standard error.
        #expect(outcome.output + outcome.standardError == result.console)
    }

    @Test(.requires(.corpusToolchain)) func imageWithoutVectorTableIsRefused() throws {
        let builder = try CorpusBuilder.forThisPackage()
        // A valid ARM ELF whose only segment is in SRAM: nothing at address 0.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("thumb-novector-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("a.s"), object = directory.appendingPathComponent("a.o")
        let elf = directory.appendingPathComponent("a.elf")
        try ".thumb\n.globl _start\n_start: b _start\n".write(to: source, atomically: true, encoding: .utf8)
        let compile = try HostProcess.run(builder.toolchain.clang.path, CorpusArchitecture.thumbv6m.compilerFlags + ["-c", source.path, "-o", object.path], timeout: 60)
        #expect(compile.exitStatus == 0, "\(compile.standardError)")
        let link = try HostProcess.run(builder.toolchain.linker.path, ["-Ttext=0x20000000", "-e", "_start", object.path, "-o", elf.path], timeout: 60)
        #expect(link.exitStatus == 0, "\(link.standardError)")
        #expect(throws: ThumbBoardError.noVectorTable) { try ThumbBoard(elf: Array(try Data(contentsOf: elf))) }
    }

    @Test func malformedAndForeignImagesAreRefused() {
        #expect(throws: ThumbBoardError.self) { try ThumbBoard(elf: []) }
        #expect(throws: ThumbBoardError.self) { try ThumbBoard(elf: Array("not an elf at all".utf8)) }
        var riscv = [UInt8](repeating: 0, count: 64)
        riscv[0 ..< 4] = [0x7f, 0x45, 0x4c, 0x46]
        riscv[4] = 1; riscv[5] = 1; riscv[6] = 1; riscv[16] = 2; riscv[18] = 243
        do {
            _ = try ThumbBoard(elf: riscv)
            Issue.record("a RISC-V ELF was accepted")
        } catch {
            #expect("\(error)".contains("not a loadable ARMv6-M image"))
        }
    }
}
