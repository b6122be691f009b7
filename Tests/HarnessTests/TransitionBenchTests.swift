import Harness
import Testing

/// Issue 22: the per-transition benchmark's guests make the transitions they are named for, in
/// every mode, and a run whose guest did not make them reports no figure.
@Suite struct TransitionBenchTests {
    @Test(arguments: TransitionBench.all.map(\.name))
    func eachGuestMakesItsTransitions(_ name: String) throws {
        let kind = try #require(TransitionBench.all.first { $0.name == name }).with(iterations: 300)
        let run = try TransitionBench.runOnce(kind)
        #expect(run.transitions >= 300, "\(name): \(run.transitions) counted")
        #expect(run.nanoseconds.isFinite)
    }

    @Test func aRunWithoutItsEventsReportsNothing() throws {
        let kind = TransitionBench.all[0].with(iterations: 100).expecting("vmexit.never-made")
        #expect(throws: TransitionBench.Failure.self) { try TransitionBench.runOnce(kind) }
    }
}
