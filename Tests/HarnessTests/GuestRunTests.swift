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

    /// A guest whose trap vector is unmapped retires nothing but traps forever; the instruction
    /// limit must still end the run (trap entries count toward it), never hang the host.
    @Test func trapStormEndsAtTheLimit() throws {
        // lui t0, 0x1000; csrw mtvec, t0; ecall — every trap then faults fetching 0x0100_0000.
        let words: [UInt32] = [0x0100_02b7, 0x3052_9073, 0x0000_0073]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trapstorm-\(UUID().uuidString).bin")
        try Data(words.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let result = try GuestRun.run(.init(kernel: path.path, instructionLimit: 100_000))
        #expect(result.limitReached)
        #expect(result.instructions < 10)
        #expect(result.counters.exceptions[1] > 90_000, "instruction access faults at the unmapped vector")
    }
}
