import Foundation
import Testing
@testable import Harness

/// The ISA corpus on VirtBench itself: every program must print its PASS line and power off
/// with status 0, exactly as it does on QEMU (CorpusTests runs the QEMU side).
@Suite(.serialized) struct GuestRunTests {
    @Test(arguments: CorpusCatalogue.isa)
    func corpusProgramPassesOnVirtBench(_ program: CorpusProgram) throws {
        guard let builder = CorpusTests.toolchainOrSkip() else { return }
        let image = try builder.build(program)
        let result = try GuestRun.run(.init(kernel: image.path, instructionLimit: 200_000_000))
        #expect(result.stop == .powerOff, "\(program.name): \(result.output)")
        #expect(result.exitStatus == 0)
        #expect(result.output.split(separator: "\n").last.map(String.init) == program.expectedFinalLine, "\(result.output)")
    }
}
