import Benchmark
import Harness

/// The hypervisor's own transition costs (issue 22), one benchmark per kind: host nanoseconds
/// per SBI exit, MMIO exit, trapped CSR access, reflected trap, shadow page fault, hypercall of
/// each kind and batched mmu-update entry, as `TransitionBench` measures them (a guest loop of N
/// transitions less the same loop without them, over N). A run whose guest did not make its
/// transitions (its event count falls short) throws instead of recording a figure.
let benchmarks: @Sendable () -> Void = {
    for kind in TransitionBench.all {
        Benchmark("Transition/\(kind.name)",
                  configuration: .init(metrics: [.wallClock, .mallocCountTotal, TransitionMetric.nanoseconds],
                                       warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 7)) { benchmark in
            for _ in benchmark.scaledIterations {
                let run = try TransitionBench.runOnce(kind)
                benchmark.measurement(TransitionMetric.nanoseconds, Int(run.nanoseconds.rounded()))
            }
        }
    }
}

enum TransitionMetric {
    static let nanoseconds = BenchmarkMetric.custom("ns per transition", polarity: .prefersSmaller, useScalingFactor: false)
}
