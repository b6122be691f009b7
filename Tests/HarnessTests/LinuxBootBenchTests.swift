import Foundation
import Testing
@testable import Harness

/// `virtbench bench --linux`: reading a boot's console, judging it, and the figures the report
/// derives (the end-to-end run against QEMU is in VirtBenchTests/LinuxBootBenchCommandTests).
struct LinuxBootBenchTests {
    static let console = """
        [    0.000000] Linux version 6.12.58+deb13-riscv64
        [    2.389009] Run /init as init process\r
        kernel-kit: running test smp
        kernel-kit: nproc 4
        kernel-kit: interrupts            CPU0       CPU1       CPU2       CPU3
        kernel-kit: interrupts  10:        972        883        885        899  RISC-V INTC   5 Edge      riscv-timer
        kernel-kit: interrupts IPI0:        52         33          0         39  Rescheduling interrupts
        kernel-kit: interrupts IPI1:       198        188        336          0  Function call interrupts
        kernel-kit: interrupts IPI2:         0          0          0          0  CPU stop interrupts
        kernel-kit: 4 parallel loops took 1.18 s
        kernel-kit: powering off
        """

    @Test func consoleLinesAreRead() {
        let reading = LinuxBootConsole.read(Self.console)
        #expect(reading.secondsToInit == 2.389009)
        #expect(reading.loopSeconds == 1.18)
        #expect(reading.processors == 4)
        #expect(reading.lockupReports == 0)
        #expect(reading.processorsTakingTimerInterrupts == 4)
        // CPU2 has only function-call IPIs and CPU3 only reschedules: all four took some.
        #expect(reading.processorsTakingIPIs == 4)
    }

    @Test func aProcessorWithoutTimerInterruptsIsSeen() {
        let idle = Self.console.replacingOccurrences(of: "972        883        885        899", with: "972          0        885        899")
        #expect(LinuxBootConsole.read(idle).processorsTakingTimerInterrupts == 3)
    }

    @Test func lockupsAndStallsAreCounted() {
        let output = Self.console + "\n[   30.1] watchdog: Watchdog detected hard LOCKUP on cpu 0\n[   31.2] rcu: INFO: rcu_sched self-detected stall on CPU\n"
        #expect(LinuxBootConsole.read(output).lockupReports == 2)
        #expect(LinuxBootConsole.read("no such lines").secondsToInit == nil)
    }

    static func sample(_ peer: LinuxBootPeer, harts: Int, round: Int, toInit: Double, loops: Double, failure: String? = nil) -> LinuxBootSample {
        LinuxBootSample(peer: peer, harts: harts, round: round, wallSeconds: toInit + loops + 1, secondsToInit: toInit,
                        loopSeconds: loops, processors: harts, failure: failure)
    }

    static func report() -> LinuxBootReport {
        let host = BenchHostFacts(cpuModel: "test CPU", onlineCores: 2, date: "2026-12-07T00:00:00Z", qemuVersion: "QEMU 7.2",
                                  commit: "abc", kernel: "Linux", virtbenchBuild: "release")
        let samples = [
            sample(.qemu, harts: 1, round: 0, toInit: 2.0, loops: 4.0), sample(.virtbench, harts: 1, round: 0, toInit: 2.2, loops: 3.0),
            sample(.qemu, harts: 4, round: 0, toInit: 2.0, loops: 2.0), sample(.virtbench, harts: 4, round: 0, toInit: 3.0, loops: 1.5),
            sample(.qemu, harts: 1, round: 1, toInit: 4.0, loops: 4.0), sample(.virtbench, harts: 1, round: 1, toInit: 4.0, loops: 3.0),
            sample(.qemu, harts: 4, round: 1, toInit: 2.0, loops: 2.0), sample(.virtbench, harts: 4, round: 1, toInit: 9.0, loops: 9.0, failure: "timed out"),
        ]
        return LinuxBootReport(runID: "bench-linux-20261207-000000", command: "virtbench bench --linux", host: host, rounds: 2,
                               memory: "1G", kit: "suite trixie", samples: samples)
    }

    @Test func ratiosArePairedByRoundAndFailuresLeftOut() throws {
        let report = Self.report()
        #expect(report.hartCounts == [1, 4])
        // Round 0: 2.2 / 2.0 = 1.1; round 1: 4.0 / 4.0 = 1.0; median 1.05.
        #expect(abs(try #require(report.timeToInitRatio(harts: 1)) - 1.05) < 1e-9)
        // The failed round-1 VirtBench boot leaves only round 0's pair.
        #expect(report.timeToInitRatio(harts: 4) == 1.5)
        #expect(report.medianSecondsToInit(.virtbench, harts: 4) == 3.0)
        #expect(report.loopSpeedUp(.virtbench, harts: 4) == 2.0)
        #expect(report.loopSpeedUp(.qemu, harts: 4) == 2.0)
        #expect(report.loopSpeedUp(.qemu, harts: 1) == nil)
        #expect(report.failures.count == 1)
    }

    @Test func textAndMarkdownShowEveryHartCountAndEveryFailure() throws {
        let report = Self.report()
        let table = LinuxBootReportText.table(report)
        #expect(table.contains("1.50×"))
        #expect(table.contains("failed: virtbench -smp 4 round 2: timed out"))
        let markdown = LinuxBootReportText.markdown(report)
        #expect(markdown.contains("| 1 | 3.10 | 3.00 | 1.05× |"))
        #expect(markdown.contains("| 4 | 3.00 | 2.00 | 1.50× | 1.50 | 2.00 | 2.00× | 2.00× |"))
        #expect(markdown.contains("- virtbench -smp 4, round 2: timed out"))
        let decoded = try JSONDecoder().decode(LinuxBootReport.self, from: report.jsonData())
        #expect(decoded == report)
    }

    @Test func bothPeersGetTheSameMachineOptions() {
        let plan = LinuxBootPlan(kitDirectory: "/kit", hartCounts: [1, 4], rounds: 1, memory: "1G", virtbench: "vb", qemu: "q", timeout: 60)
        #expect(plan.machineArguments(harts: 4) == ["-M", "virt", "-smp", "4", "-m", "1G", "-nographic", "-kernel", "/kit/Image",
                                                    "-initrd", "/kit/initrd.gz", "-append", "console=ttyS0 kit.test=smp"])
    }
}
