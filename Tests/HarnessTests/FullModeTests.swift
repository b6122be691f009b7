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

    /// phaseEvents (shared by hav and full) attributes events to the benchmark whose result line ends a phase.
    @Test func phaseEventsAreTheDifferenceBetweenResultLines() {
        let marks: [(line: String, events: [String: UInt64])] = [
            ("probing", ["trap.sbi": 3]),
            ("syscall: 10000 iterations, checksum 0x1", ["trap.sbi": 5, "trap.reflected.8": 10_000]),
        ]
        let phases = HostedRun.phaseEvents(marks)
        #expect(phases["phase.syscall.trap.sbi"] == 2)
        #expect(phases["phase.syscall.trap.reflected.8"] == 10_000)
    }
}
