import Foundation
import Harness
import Loader
import Testing
@testable import Emulation
import TestSupport

/// Every Thumb corpus image runs the same on the translator as on the reference interpreter:
/// same console, same ending, same instruction count, same exceptions; and the same console as
/// qemu-system-arm.
struct ThumbTranslatorWorkloadTests {
    @Test(.requires(.corpusToolchain, .qemuSystemARM), arguments: CorpusCatalogue.cpuWorkloads)
    func smallWorkloadMatchesInterpreterAndQEMU(_ workload: String) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let program = CorpusProgram.thumbWorkload(workload, scale: .small)
        let image = try builder.build(program)
        let bytes = Array(try Data(contentsOf: image))
        let reference = try ThumbBoard(elf: bytes).run(instructionLimit: ThumbWorkloadTests.instructionLimit)
        let translator = try ThumbTranslator(elf: bytes)
        let translated = translator.run(instructionLimit: ThumbWorkloadTests.instructionLimit)
        #expect(translated.stop == .exited(status: 0), "\(translated.summary)\n\(translated.console)")
        #expect(translated.console == reference.console)
        #expect(translated.stop == reference.stop)
        #expect(translated.instructionsExecuted == reference.instructionsExecuted)
        #expect(translated.exceptionsTaken == reference.exceptionsTaken)
        let statistics = translator.statistics
        #expect(statistics.blocksTranslated > 0)
        #expect(statistics.translatedThumbInstructions > statistics.interpretedThumbInstructions,
                "translated code, not the interpreter, does the work")
        #expect(statistics.chainsPatched > 0)
        #expect(statistics.rv64Instructions > statistics.translatedThumbInstructions)
        print("\(program.name): \(statistics.translatedThumbInstructions) translated + \(statistics.interpretedThumbInstructions) interpreted Thumb instructions, \(statistics.rv64Instructions) RV64 (\(String(format: "%.2f", statistics.rv64PerThumbInstruction)) per Thumb), \(statistics.blocksTranslated) blocks, \(statistics.cacheBytesInUse) cache bytes, \(statistics.chainsPatched) chains, \(statistics.hostEntries) host entries")

        let qemu = try #require(Tool.qemuSystemARM.path)
        let outcome = try HostProcess.run(qemu, ["-M", "mps2-an385", "-semihosting", "-nographic", "-monitor", "none",
                                                 "-serial", "none", "-kernel", image.path], timeout: 120)
        #expect(outcome.output + outcome.standardError == translated.console)
    }
}
