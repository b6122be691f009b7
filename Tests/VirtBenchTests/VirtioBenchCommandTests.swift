import Foundation
import Testing
import TestSupport

/// `virtbench bench --virtio` end to end, small: the kit's parallel dd workload on a virtio-blk
/// drive with event_idx off and on, under I/O threads and under --icount.
@Suite(.serialized) struct VirtioBenchCommandTests {
    @Test(.requires(.kernelKitVirtioIO, .virtbench)) func countsAreConsistentAndTheReportIsWritten() throws {
        let output = NSTemporaryDirectory() + "/virtbench-bench-virtio-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let jobs = 4, count = 64
        let result = try ProcessRunner.runVirtBench(["bench", "--virtio", "--rounds", "1", "--smp", "2", "--io-jobs", String(jobs),
                                                     "--io-count", String(count), "--output", output, "--kit", Tool.kernelKitDirectory,
                                                     "--timeout", "240"], timeout: 1200)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout)")
        let folders = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.hasPrefix("bench-virtio-2") }
        #expect(folders.count == 1)
        let folder = output + "/" + (folders.first ?? "")
        let json = try Data(contentsOf: URL(fileURLWithPath: folder + "/bench-virtio.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        let samples = try #require(report["samples"] as? [[String: Any]])
        #expect(samples.count == 4, "threads and synchronous, event_idx off and on")
        for sample in samples {
            let configuration = sample["configuration"] as? [String: Any]
            let requests = try #require(sample["requests"] as? Int), notifications = try #require(sample["notifications"] as? Int)
            let interrupts = try #require(sample["interrupts"] as? Int)
            #expect(sample["failure"] == nil, "\(sample)")
            // The workload's requests all reached the device; the driver never notified more
            // than once per request (a few spare for queue setup), nor did the device interrupt.
            #expect(requests >= jobs * count, "\(sample)")
            #expect(notifications <= requests + 8 && notifications > 0, "\(sample)")
            #expect(interrupts <= requests + 8 && interrupts > 0, "\(configuration as Any): \(sample)")
        }
        // With synchronous I/O every notification is served before the next can be made, so
        // the driver notifies about once per request whatever event_idx says.
        for sample in samples where (sample["configuration"] as? [String: Any])?["io"] as? String == "synchronous" {
            let requests = sample["requests"] as? Int ?? 0, notifications = sample["notifications"] as? Int ?? 0
            #expect(notifications * 10 >= requests * 9, "\(sample)")
        }
        let markdown = try String(contentsOfFile: folder + "/bench-virtio.md", encoding: .utf8)
        #expect(markdown.contains("| threads, event_idx=on |") && markdown.contains("| synchronous, event_idx=off |"))
        #expect(markdown.contains("times per request with event_idx=on"))
    }

    @Test func aKitWithoutTheWorkloadIsRefused() throws {
        let kit = NSTemporaryDirectory() + "/virtbench-old-kit-\(getpid())"
        try FileManager.default.createDirectory(atPath: kit, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: kit) }
        for file in ["Image", "initrd.gz"] { FileManager.default.createFile(atPath: kit + "/" + file, contents: Data([0])) }
        try "smp\nvirtio-disk\n".write(toFile: kit + "/TESTS", atomically: true, encoding: .utf8)
        let old = try ProcessRunner.runVirtBench(["bench", "--virtio", "--kit", kit], timeout: 30)
        #expect(old.status != 0)
        #expect(old.stderr.contains("has no kit.test=virtio-io"), "\(old.stderr)")
        let both = try ProcessRunner.runVirtBench(["bench", "--virtio", "--linux"], timeout: 30)
        #expect(both.status != 0 && both.stderr.contains("give one"), "\(both.stderr)")
    }
}
