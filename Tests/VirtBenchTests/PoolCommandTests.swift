import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `virtbench pool` as a script uses it: volumes created, listed and deleted, sizes in JSON,
/// and one-line errors with exit 1 for bad input.
struct PoolCommandTests {
    static func folder() throws -> String {
        let folder = NSTemporaryDirectory() + "virtbench-pool-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    static func json(_ result: ProcessResult) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    @Test func createListInfoAndDeleteVolumes() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let created = try ProcessRunner.runVirtBench(["pool", "create-volume", "--format", "qcow2", folder, "vm1.qcow2", "10G"], timeout: 30)
        #expect(created.status == 0 && created.stdout == "Vol vm1.qcow2 created\n", "\(created.stdout)\(created.stderr)")
        let raw = try ProcessRunner.runVirtBench(["pool", "create-volume", "--json", folder, "data.raw", "512M"], timeout: 30)
        #expect(raw.status == 0, "\(raw.stderr)")
        let rawRecord = try #require(try Self.json(raw) as? [String: Any])
        #expect(rawRecord["format"] as? String == "raw" && rawRecord["virtual-size"] as? Int == 512 << 20)

        let list = try ProcessRunner.runVirtBench(["pool", "list", "--json", folder], timeout: 30)
        #expect(list.status == 0, "\(list.stderr)")
        let volumes = try #require(try Self.json(list) as? [[String: Any]])
        #expect(volumes.map { $0["name"] as? String } == ["data.raw", "vm1.qcow2"])
        #expect(volumes[1]["format"] as? String == "qcow2" && volumes[1]["virtual-size"] as? Int == 10 << 30)
        #expect(volumes[1]["path"] as? String == folder + "/vm1.qcow2")
        let allocation = try #require(volumes[1]["allocation"] as? Int)
        #expect(allocation > 0 && allocation < 1 << 20, "thin: \(allocation)")

        let table = try ProcessRunner.runVirtBench(["pool", "list", folder], timeout: 30)
        #expect(table.status == 0 && table.stdout.contains("vm1.qcow2") && table.stdout.contains("10.00 GiB"), "\(table.stdout)")

        let info = try ProcessRunner.runVirtBench(["pool", "info", "--json", folder], timeout: 30)
        #expect(info.status == 0, "\(info.stderr)")
        let summary = try #require(try Self.json(info) as? [String: Any])
        #expect(summary["volumes"] as? Int == 2)
        #expect(summary["virtual-total"] as? Int == (10 << 30) + (512 << 20))
        let capacity = try #require(summary["capacity"] as? Int)
        let ratio = try #require(summary["overcommit-ratio"] as? Double)
        #expect(capacity > 0 && abs(ratio - Double((10 << 30) + (512 << 20)) / Double(capacity)) < 1e-9)
        let text = try ProcessRunner.runVirtBench(["pool", "info", folder], timeout: 30)
        #expect(text.status == 0 && text.stdout.contains("Over-commit:") && text.stdout.contains("Volumes:         2"), "\(text.stdout)")

        let deleted = try ProcessRunner.runVirtBench(["pool", "delete-volume", folder, "data.raw"], timeout: 30)
        #expect(deleted.status == 0 && deleted.stdout == "Vol data.raw deleted\n")
        #expect(!FileManager.default.fileExists(atPath: folder + "/data.raw"))
    }

    @Test func badInputIsOneLineErrors() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func refused(_ arguments: [String], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            try ProcessRunner.runVirtBench(arguments, timeout: 30).expectOneLineError(for: arguments, containing: fragment, sourceLocation: sourceLocation)
        }
        try refused(["pool", "info", folder + "/missing"], "No such file")
        try refused(["pool", "create-volume", folder, "../escape", "1M"], "holds a '/'")
        try refused(["pool", "create-volume", folder, ".hidden", "1M"], "starts with a dot")
        try refused(["pool", "create-volume", "--format", "vmdk", folder, "a", "1M"], "Unknown file format 'vmdk'")
        try refused(["pool", "create-volume", folder, "a", "ten"], "Invalid image size")
        try refused(["pool", "create-volume", "-o", "cluster_size=4k", folder, "a.raw", "1M"], "qcow2 volumes only")
        #expect(try ProcessRunner.runVirtBench(["pool", "create-volume", folder, "a", "1M"], timeout: 30).status == 0)
        try refused(["pool", "create-volume", "--format", "qcow2", folder, "a", "1M"], "already exists")
        try refused(["pool", "delete-volume", folder, "nothing"], "no volume 'nothing'")
        try refused(["pool", "list"], "Missing expected argument")
        let file = folder + "/a"
        try refused(["pool", "list", file], "is not a directory")
    }
}
