import Testing
@testable import Harness

/// The `full` mode in the harness's registry (issue 7).
@Suite struct FullModeTests {
    @Test func fullIsImplementedAndSimulationIsItsAlias() throws {
        #expect(ModeRegistry.mode(named: "full") != nil)
        #expect(!ModeRegistry.planned.contains { $0.name == "full" })
        #expect(try ModeRegistry.resolve(["simulation"]) == ["full"])
        #expect(try ModeRegistry.resolve(["native,simulation,full"]) == ["native", "full"])
        #expect(throws: ModeSelectionError.self) { try ModeRegistry.resolve(["simulated"]) }
    }

    @Test func fullRunsSModeKernelsOnly() {
        #expect(FullMode().refusal(for: .isa("rv64i")) != nil, "a bare-metal M-mode program cannot be a guest")
        #expect(FullMode().refusal(for: CorpusProgram.corpusKernel) == nil)
        #expect(FullMode().refusal(for: CorpusProgram.hypervisor("hcsr")) != nil, "no nested virtualization")
    }

    /// LineMarks (shared by every mode) attributes counts to the benchmark whose result line ends a phase.
    @Test func phaseCountsAreTheDifferenceBetweenResultLines() {
        let marks: [(line: String, counts: [String: UInt64])] = [
            ("probing", ["trap.sbi": 3]),
            ("syscall: 10000 iterations, checksum 0x1", ["trap.sbi": 5, "trap.reflected.8": 10_000]),
        ]
        let phases = LineMarks.phaseCounts(marks)
        #expect(phases["phase.syscall.trap.sbi"] == 2)
        #expect(phases["phase.syscall.iterations"] == 10_000)
        #expect(phases["phase.probing.trap.sbi"] == nil, "a line that ends no microbenchmark starts the next phase only")
        #expect(phases["phase.syscall.trap.reflected.8"] == 10_000)
    }
}
