import Foundation
import Testing
import TestSupport

/// `virtbench bench --linux` end to end: Debian's kernel booted on QEMU and on VirtBench at two
/// hart counts, one round; and its refusals.
@Suite(.serialized) struct LinuxBootBenchCommandTests {
    @Test(.requires(.kernelKit, .qemuSystemRISCV64)) func bootsBothPeersAndWritesTheReport() throws {
        let output = NSTemporaryDirectory() + "/virtbench-bench-linux-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = try ProcessRunner.runVirtBench(["bench", "--linux", "--smp", "1,2", "--rounds", "1", "--output", output,
                                                     "--kit", Tool.kernelKitDirectory, "--timeout", "240"], timeout: 900)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        // One row per hart count, each with a time to /init on both peers and a ratio.
        let rows = result.stdout.split(separator: "\n").filter { $0.hasPrefix("1 ") || $0.hasPrefix("2 ") }
        #expect(rows.count == 2, "\(result.stdout)")
        // Columns: harts, time to /init on each peer, then their ratio.
        #expect(rows.allSatisfy { row in
            let columns = row.split(separator: " ")
            return columns.count >= 4 && Double(columns[1]) != nil && Double(columns[2]) != nil && columns[3].hasSuffix("×")
        }, "\(result.stdout)")
        let folders = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.hasPrefix("bench-linux-2") }
        #expect(folders.count == 1)
        let json = try Data(contentsOf: URL(fileURLWithPath: output + "/" + (folders.first ?? "") + "/bench-linux.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let samples = try #require(report["samples"] as? [[String: Any]])
        #expect(samples.count == 4)
        // Each boot brought up as many processors as it was asked for, on both peers.
        #expect(samples.allSatisfy { $0["processors"] as? Int == $0["harts"] as? Int && $0["failure"] == nil }, "\(samples)")
        // At -smp 2 both processors took timer interrupts and IPIs, on both peers.
        #expect(samples.filter { $0["harts"] as? Int == 2 }.allSatisfy {
            $0["processorsTakingTimerInterrupts"] as? Int == 2 && $0["processorsTakingIPIs"] as? Int == 2
        }, "\(samples)")
    }

    @Test func badHartCountsAndAMissingKitAreRefused() throws {
        let bad = try ProcessRunner.runVirtBench(["bench", "--linux", "--smp", "0,x"], timeout: 30)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--smp takes hart counts from 1 to 64"), "\(bad.stderr)")
        let missing = try ProcessRunner.runVirtBench(["bench", "--linux", "--kit", "/nonexistent-kit"], timeout: 30)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no kernel kit in /nonexistent-kit"), "\(missing.stderr)")
    }
}
