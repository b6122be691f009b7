import Foundation
import Testing
@testable import Harness

/// The ISA corpus on VirtBench itself: every program must print its PASS line and power off
/// with status 0, and print exactly what it prints on qemu-system-riscv64 (when installed).
@Suite(.serialized) struct GuestRunTests {
    @Test(arguments: CorpusCatalogue.isa)
    func corpusProgramPassesOnVirtBenchAsOnQEMU(_ program: CorpusProgram) throws {
        guard let builder = CorpusTests.toolchainOrSkip() else { return }
        let image = try builder.build(program)
        let result = try GuestRun.run(.init(kernel: image.path, instructionLimit: 200_000_000))
        #expect(result.stop == .powerOff, "\(program.name): \(result.output)")
        #expect(result.exitStatus == 0)
        #expect(result.output.split(separator: "\n").last.map(String.init) == program.expectedFinalLine, "\(result.output)")
        guard CorpusRun.qemuRISCV64() != nil else {
            print("skipping the QEMU comparison for \(program.name): qemu-system-riscv64 is not installed")
            return
        }
        let reference = try CorpusRun.onQEMU(image: image)
        #expect(reference.output == result.output, "QEMU printed:\n\(reference.output)\nVirtBench printed:\n\(result.output)")
        #expect(reference.exitStatus == result.exitStatus)
    }

    @Test func virtualTimeRunsGiveIdenticalCounts() throws {
        guard let builder = CorpusTests.toolchainOrSkip(), let program = CorpusCatalogue.program(named: "interrupts") else { return }
        let image = try builder.build(program)
        let first = try GuestRun.run(.init(kernel: image.path))
        let second = try GuestRun.run(.init(kernel: image.path))
        #expect(first.instructions == second.instructions)
        #expect(first.counters.interrupts == second.counters.interrupts)
        #expect(first.counters.exceptions == second.counters.exceptions)
        #expect(first.output == second.output)
    }
}
