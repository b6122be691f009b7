import Foundation
import Testing
@testable import Harness
import TestSupport

/// The ISA corpus on VirtBench itself: every program must print its PASS line and power off
/// with status 0, and print exactly what it prints on qemu-system-riscv64.
@Suite(.serialized) struct GuestRunTests {
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64), arguments: CorpusCatalogue.isa)
    func corpusProgramPassesOnVirtBenchAsOnQEMU(_ program: CorpusProgram) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let image = try builder.build(program)
        let result = try GuestRun.run(.init(kernel: image.path, instructionLimit: 200_000_000))
        #expect(result.stop == .powerOff, "\(program.name): \(result.output)")
        #expect(result.exitStatus == 0)
        #expect(result.output.split(separator: "\n").last.map(String.init) == program.expectedFinalLine, "\(result.output)")
        let reference = try CorpusRun.onQEMU(image: image)
        #expect(reference.output == result.output, "QEMU printed:\n\(reference.output)\nVirtBench printed:\n\(result.output)")
        #expect(reference.exitStatus == result.exitStatus)
    }

    @Test(.requires(.corpusToolchain)) func virtualTimeRunsGiveIdenticalCounts() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let program = try #require(CorpusCatalogue.program(named: "interrupts"))
        let image = try builder.build(program)
        let first = try GuestRun.run(.init(kernel: image.path))
        let second = try GuestRun.run(.init(kernel: image.path))
        #expect(first.instructions == second.instructions)
        #expect(first.counters.interrupts == second.counters.interrupts)
        #expect(first.counters.exceptions == second.counters.exceptions)
        #expect(first.output == second.output)
    }

    /// A guest whose trap vector is unmapped retires nothing but traps forever: the no-progress
    /// guard stops it after 10,000 traps and names them; a smaller instruction limit still ends
    /// it first (trap entries count toward it), so the host is never hung.
    @Test func trapStormIsStoppedByTheGuardOrTheLimit() throws {
        // lui t0, 0x1000; csrw mtvec, t0; ecall — every trap then faults fetching 0x0100_0000.
        let words: [UInt32] = [0x0100_02b7, 0x3052_9073, 0x0000_0073]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trapstorm-\(UUID().uuidString).bin")
        try Data(words.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }).write(to: path)
        defer { try? FileManager.default.removeItem(at: path) }
        let stuck = try GuestRun.run(.init(kernel: path.path, instructionLimit: 100_000))
        #expect(!stuck.limitReached && stuck.instructions == 2)
        #expect(stuck.counters.exceptions[1] == 9_999, "instruction access faults at the unmapped vector, after the ecall")
        #expect(stuck.noProgress == "10000 traps in a row retired no instruction; the first was ecall from M "
            + "(cause 11) at pc 0x80000008, tval 0x0, from M-mode; the last was instruction access fault (cause 1) at pc 0x1000000, "
            + "tval 0x1000000, from M-mode", "\(stuck.noProgress ?? "nil")")
        let limited = try GuestRun.run(.init(kernel: path.path, instructionLimit: 5_000))
        #expect(limited.limitReached && limited.noProgress == nil)
        #expect(limited.counters.exceptions[1] < 5_000)
    }
}
