import Foundation
import Testing
@testable import Harness

/// How `bench --virtio` reads a boot's output and turns its samples into prose.
@Suite struct VirtioNotificationBenchTests {
    @Test func readsTheSummaryLineAndTheWorkloadLine() {
        let standardError = """
            instructions retired: 123
              virtio8 (virtio-rng, event_idx=on): 3 requests, 3 notifications from the driver, 3 used-buffer interrupts, 0 suppressed, 0 device errors
              virtio7 (virtio-blk, event_idx=off): 2049 requests, 2047 notifications from the driver, 1807 used-buffer interrupts, 14 suppressed, 0 device errors
            """
        #expect(VirtioNotificationOutput.counts(standardError)
                == .init(requests: 2049, notifications: 2047, interrupts: 1807, suppressedInterrupts: 14))
        #expect(VirtioNotificationOutput.counts("no device here") == nil)
        #expect(VirtioNotificationOutput.workloadSeconds("kernel-kit: virtio-io 8 jobs of 256 requests took 3.44 s\n") == 3.44)
    }

    @Test func theProseComesFromTheMedians() throws {
        func sample(_ io: VirtioIOMode, _ on: Bool, round: Int, notifications: UInt64, interrupts: UInt64) -> VirtioNotificationSample {
            VirtioNotificationSample(configuration: .init(io: io, eventIndex: on), round: round, wallSeconds: 1, requests: 1000,
                                     notifications: notifications, interrupts: interrupts, suppressedInterrupts: 0, workloadSeconds: 1)
        }
        let host = BenchHostFacts(cpuModel: "cpu", onlineCores: 2, date: "d", qemuVersion: "q", commit: "c", kernel: "k",
                                  virtbenchBuild: "release", loadAverage: nil)
        let samples = [sample(.threads, false, round: 0, notifications: 1000, interrupts: 900),
                       sample(.threads, true, round: 0, notifications: 500, interrupts: 450),
                       sample(.threads, false, round: 1, notifications: 1000, interrupts: 800),
                       sample(.threads, true, round: 1, notifications: 500, interrupts: 350)]
        let report = VirtioNotificationReport(runID: "r", command: "c", host: host, kit: "kit", harts: 2, memory: "256M", jobs: 8,
                                              requestsPerJob: 256, rounds: 2, samples: samples)
        let on = VirtioNotificationConfiguration(io: .threads, eventIndex: true)
        #expect(report.medianRequests(on) == 1000)
        #expect(report.medianInterruptsPerRequest(on) == 0.4)
        let markdown = VirtioNotificationReportText.markdown(report)
        #expect(markdown.contains("0.500 times per request with event_idx=on and 1.000 with it off (50 % fewer with the event index)"))
        #expect(markdown.contains("0.400 interrupts per request with it on and 0.850 with it off (53 % fewer with the event index)"))
        #expect(markdown.contains("| threads, event_idx=on | 1000 | 0.500 | 0.400 | 1.00 |"))
        #expect(!markdown.contains("synchronous I/O"), "no sentence for a mode without samples")
    }
}
