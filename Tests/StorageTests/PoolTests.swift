import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport
@testable import Storage

/// A pool's accounting (virtual against allocated sizes, the file system's space, over-commit)
/// and its rules for volume names, creation and deletion.
@Suite struct PoolTests {
    static let gibibyte: UInt64 = 1 << 30

    @Test func volumeNamesArePlainVisibleFileNames() throws {
        for good in ["vm1.qcow2", "disk", "a b", "données.raw", String(repeating: "x", count: 255)] {
            #expect(throws: Never.self, "\(good)") { try Pool.checkVolumeName(good) }
        }
        let refused: [(String, String)] = [
            ("", "empty"), (".", "not a file name"), ("..", "not a file name"), (".hidden", "starts with a dot"),
            ("a/b", "holds a '/'"), ("../escape", "holds a '/'"), ("/etc/passwd", "holds a '/'"),
            ("line\nbreak", "control character"), ("tab\there", "control character"),
            (String(repeating: "x", count: 256), "longer than 255"),
        ]
        for (name, why) in refused {
            expectRefusal(why, name.debugDescription) { try Pool.checkVolumeName(name) }
        }
    }

    @Test func aPoolIsAFolder() throws {
        let scratch = try Scratch()
        try writeFile(scratch.path("file"), [1, 2, 3])
        expectRefusal("is not a directory") { _ = try Pool(directory: scratch.path("file")) }
        expectRefusal("No such file") { _ = try Pool(directory: scratch.path("missing")) }
    }

    @Test func thinVolumesReportVirtualAndAllocatedSizes() throws {
        let scratch = try Scratch()
        let pool = try Pool(directory: scratch.directory)
        let qcow2 = try pool.createVolume("b.qcow2", format: .qcow2, size: 10 * Self.gibibyte)
        let raw = try pool.createVolume("a.raw", format: .raw, size: 10 * Self.gibibyte)
        #expect(qcow2.format == .qcow2 && qcow2.virtualSize == 10 * Self.gibibyte && qcow2.problem == nil)
        #expect(raw.format == .raw && raw.virtualSize == 10 * Self.gibibyte && raw.path == scratch.path("a.raw"))
        // Thin: a fresh volume takes its metadata at most, never its virtual size.
        #expect(qcow2.allocatedBytes > 0 && qcow2.allocatedBytes < 1 << 20, "\(qcow2.allocatedBytes)")
        #expect(raw.allocatedBytes < 1 << 20, "\(raw.allocatedBytes)")
        #expect(try pool.volumes().map(\.name) == ["a.raw", "b.qcow2"], "sorted by name")

        // Writing a MiB of data allocates it, and the listing says so.
        let data = [UInt8](repeating: 0x5a, count: 1 << 20)
        try { () throws in
            let driver = try openImage(qcow2.path, format: .qcow2)
            try driver.write(data, at: 3 * Self.gibibyte)
            try driver.close()
        }()
        let written = try #require(try pool.volume(named: "b.qcow2"))
        #expect(written.allocatedBytes >= qcow2.allocatedBytes + (1 << 20), "\(written.allocatedBytes)")
        #expect(written.virtualSize == 10 * Self.gibibyte)
        #expect(try ImageTool.info(qcow2.path).actualSize == written.allocatedBytes, "the same st_blocks as image info")
    }

    @Test func summaryAddsUpTheVolumesAndTheFileSystem() throws {
        let scratch = try Scratch()
        let pool = try Pool(directory: scratch.directory)
        for index in 0..<4 {
            try pool.createVolume("vm\(index).qcow2", format: .qcow2, size: 10 * Self.gibibyte)
        }
        try pool.createVolume("data.raw", format: .raw, size: 3 * Self.gibibyte)
        let volumes = try pool.volumes()
        let summary = try pool.summary()
        #expect(summary.volumeCount == 5)
        #expect(summary.virtualTotal == 43 * Self.gibibyte)
        #expect(summary.allocatedTotal == volumes.reduce(0) { $0 + $1.allocatedBytes })
        var space = statvfs()
        #expect(statvfs(scratch.directory, &space) == 0)
        #expect(summary.capacity == UInt64(space.f_blocks) * UInt64(space.f_frsize))
        #expect(summary.available <= summary.capacity && summary.used <= summary.capacity)
        #expect(summary.overcommitRatio == Double(43 * Self.gibibyte) / Double(summary.capacity))
    }

    @Test func onlyPlainVisibleFilesAreVolumes() throws {
        let scratch = try Scratch()
        let pool = try Pool(directory: scratch.directory)
        try pool.createVolume("real.raw", format: .raw, size: 4096)
        try writeFile(scratch.path(".hidden"), [0])
        try FileManager.default.createDirectory(atPath: scratch.path("folder"), withIntermediateDirectories: false)
        #expect(symlink(scratch.path("real.raw"), scratch.path("link")) == 0)
        #expect(try pool.volumes().map(\.name) == ["real.raw"])
        #expect(try pool.volume(named: "link") == nil, "a link is not a volume")
    }

    @Test func aBrokenImageIsListedWithItsProblem() throws {
        let scratch = try Scratch()
        let pool = try Pool(directory: scratch.directory)
        // The qcow2 magic, then a version no one writes.
        try writeFile(scratch.path("broken.qcow2"), [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 9] + [UInt8](repeating: 0, count: 504))
        try pool.createVolume("fine.qcow2", format: .qcow2, size: 1 << 20)
        let volumes = try pool.volumes()
        #expect(volumes.map(\.name) == ["broken.qcow2", "fine.qcow2"])
        #expect(volumes[0].format == .qcow2 && volumes[0].virtualSize == nil && volumes[0].problem != nil)
        #expect(volumes[1].problem == nil)
        #expect(try pool.summary().virtualTotal == 1 << 20)
    }

    @Test func creatingRefusesANameThatExists() throws {
        let scratch = try Scratch()
        let pool = try Pool(directory: scratch.directory)
        try writeFile(scratch.path("taken"), [1, 2, 3])
        expectRefusal("already exists") { try pool.createVolume("taken", format: .qcow2, size: 1 << 20) }
        #expect(try readFile(scratch.path("taken")) == [1, 2, 3], "the file that was there is untouched")
        try pool.createVolume("disk.qcow2", format: .qcow2, size: 1 << 20)
        expectRefusal("already exists") { try pool.createVolume("disk.qcow2", format: .raw, size: 1 << 20) }
        #expect(try pool.volume(named: "disk.qcow2")?.format == .qcow2)
        expectRefusal("holds a '/'") { try pool.createVolume("../outside", format: .raw, size: 1) }
        #expect(!FileManager.default.fileExists(atPath: scratch.directory + "/../outside"))
        // A qcow2 volume too large for its cluster size is refused and leaves no file behind.
        expectRefusal("too large") { try pool.createVolume("huge.qcow2", format: .qcow2, size: 1 << 61, clusterSize: 512) }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("huge.qcow2")))
    }

    @Test func deletingTakesOnlyAnUnusedVolume() throws {
        let scratch = try Scratch()
        let pool = try Pool(directory: scratch.directory)
        try pool.createVolume("gone.raw", format: .raw, size: 1 << 20)
        try pool.deleteVolume("gone.raw")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("gone.raw")))
        expectRefusal("no volume 'gone.raw'") { try pool.deleteVolume("gone.raw") }
        try FileManager.default.createDirectory(atPath: scratch.path("folder"), withIntermediateDirectories: false)
        expectRefusal("not a regular file") { try pool.deleteVolume("folder") }
        expectRefusal("holds a '/'") { try pool.deleteVolume("../x") }

        // A volume a writer has open (a running guest) keeps its name.
        try pool.createVolume("busy.qcow2", format: .qcow2, size: 1 << 20)
        let writer = try openImage(scratch.path("busy.qcow2"), format: .qcow2)
        expectRefusal("lock") { try pool.deleteVolume("busy.qcow2") }
        #expect(FileManager.default.fileExists(atPath: scratch.path("busy.qcow2")))
        try writer.close()
    }
}
