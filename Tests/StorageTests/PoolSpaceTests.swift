import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport
@testable import Storage

/// Issue #20's over-commit demonstration at the block layer: 20 thin 10-GiB volumes on a 24-MiB
/// tmpfs (in a mount namespace of the test's own), filled until the file system is full. Every
/// volume's writes end in ENOSPC, nothing crashes, every qcow2 volume passes `qemu-img check`
/// without even a leak, and everything written before the failure reads back.
@Suite(.serialized) struct PoolSpaceTests {
    static let mebibyte = 1 << 20
    static let gibibyte: UInt64 = 1 << 30

    /// One write's bytes: a pattern from the volume and the write's number, so each reads back as itself.
    static func pattern(volume: Int, write: Int) -> [UInt8] {
        var generator = Xorshift(seed: UInt64(volume) << 32 | UInt64(write + 1))
        let word = generator.bytes(64)
        return (0..<mebibyte).map { word[$0 % 64] ^ UInt8(truncatingIfNeeded: $0 >> 6) }
    }

    /// Where write `n` of a volume goes: spread over the whole 10 GiB so new L2 tables are
    /// needed along the way, not only data clusters.
    static func offset(write n: Int) -> UInt64 { UInt64(n % 19) * (512 << 20) + UInt64(n / 19) * UInt64(mebibyte) + 4096 }

    @Test(.requires(.tmpfsNamespace), .requires(.mountNamespaceTools, .qemuImageTools))
    func overCommittedVolumesFillTheFileSystemAndStayConsistent() throws {
        let tmpfs = try TmpfsNamespace(bytes: 24 << 20)
        defer { tmpfs.close() }
        let pool = try Pool(directory: tmpfs.directory)
        // 15 qcow2 volumes under each cache mode's metadata order, and 5 raw ones.
        var caches: [String: CacheMode] = [:]
        for index in 0..<20 {
            let name = String(format: "vm%02d", index) + (index < 15 ? ".qcow2" : ".raw")
            try pool.createVolume(name, format: index < 15 ? .qcow2 : .raw, size: 10 * Self.gibibyte)
            caches[name] = index % 3 == 0 ? .writethrough : index % 3 == 1 ? .writeback : .unsafe
        }
        let before = try pool.summary()
        #expect(before.volumeCount == 20 && before.virtualTotal == 200 * Self.gibibyte)
        #expect(before.capacity <= 24 << 20 && before.overcommitRatio > 8000, "200 GiB promised on 24 MiB: \(before.overcommitRatio)")

        let volumes = try pool.volumes()
        var drivers = try volumes.map { volume in
            try ImageOpener.open(volume.path, options: ImageOpenOptions(cache: caches[volume.name]!, format: volume.format)).driver
        }
        // Round robin, a MiB per volume per turn, until every volume has seen the disk full.
        var written = [[Int]](repeating: [], count: drivers.count)
        var full = [Bool](repeating: false, count: drivers.count)
        var turn = 0
        while full.contains(false) && turn < 64 {
            for (index, driver) in drivers.enumerated() where !full[index] {
                do {
                    try driver.write(Self.pattern(volume: index, write: turn), at: Self.offset(write: turn))
                    written[index].append(turn)
                } catch {
                    #expect(error.kind == .host && error.code == ENOSPC, "\(volumes[index].name): \(error)")
                    full[index] = true
                }
            }
            turn += 1
        }
        #expect(!full.contains(false), "every volume met the full file system")
        #expect(written.reduce(0) { $0 + $1.count } >= 10, "the volumes held some data first")
        #expect(try pool.summary().available < UInt64(2 * Self.mebibyte), "the file system is full")

        for (index, driver) in drivers.enumerated() {
            // A full file system still takes rewrites of space a volume already has.
            if let first = written[index].first {
                try driver.write(Self.pattern(volume: index, write: first), at: Self.offset(write: first))
            }
            // And a qcow2 image is still writable: no corrupt flag, no read-only fallback.
            if let image = driver as? Qcow2Image { #expect(!image.isCorrupt && !image.readOnly, "\(volumes[index].name)") }
            try driver.flush()
            try driver.close()
        }
        drivers = []

        for (index, volume) in volumes.enumerated() {
            if volume.format == .qcow2 {
                let check = try qemuImg("check", volume.path)
                #expect(check.status == 0, "\(volume.name): qemu-img check: \(check.stdout)\(check.stderr)")
                #expect(check.stdout.contains("No errors were found"), "\(volume.name): \(check.stdout)")
            }
            let driver = try ImageOpener.open(volume.path, options: ImageOpenOptions(readOnly: true, format: volume.format)).driver
            for write in written[index] {
                #expect(try driver.read(at: Self.offset(write: write), count: Self.mebibyte) == Self.pattern(volume: index, write: write),
                        "\(volume.name) write \(write) reads back")
            }
        }

        // Space given back (a volume deleted) lets a volume that met the full disk go on: a new
        // cluster next to its first write (whose L2 table exists) needs one cluster.
        try pool.deleteVolume("vm14.qcow2")
        let resumedAt = Self.offset(write: 0) + UInt64(2 * Self.mebibyte)
        try { () throws in  // a scope of its own, so the image is closed and unlocked before qemu-img
            let resumed = try ImageOpener.open(volumes[0].path, options: ImageOpenOptions(format: .qcow2)).driver
            try resumed.write([UInt8](repeating: 0xc3, count: 4096), at: resumedAt)
            #expect(try resumed.read(at: resumedAt, count: 4096) == [UInt8](repeating: 0xc3, count: 4096))
            try resumed.close()
        }()
        let check = try qemuImg("check", volumes[0].path)
        #expect(check.status == 0, "after resuming: \(check.stdout)\(check.stderr)")
    }

    /// An image whose L1 table is a hole (as virtbench made them before writing it out) on a file
    /// system with room for an L2 table and no more: the table is written and counted, its L1
    /// entry is refused with ENOSPC, and the table is freed again rather than leaked.
    @Test(.requires(.tmpfsNamespace), .requires(.mountNamespaceTools, .qemuImageTools))
    func aTableWhoseEntryCannotBeWrittenIsFreed() throws {
        let tmpfs = try TmpfsNamespace(bytes: 4 << 20)
        defer { tmpfs.close() }
        let path = tmpfs.directory + "/old.qcow2", filler = tmpfs.directory + "/filler"
        try ImageTool.createQcow2(path, size: 1 << 30)
        let l1Offset = try #require(try openImage(path, format: .qcow2) as? Qcow2Image).header.l1TableOffset
        #expect(try HostFile(path: path, writable: true, lock: false).punchHole(at: l1Offset, count: 65536))
        // Fill the file system, then give exactly one cluster back.
        let fill = try HostFile(path: filler, writable: true, lock: false, create: true)
        var end: UInt64 = 0
        while (try? fill.write([UInt8](repeating: 0xee, count: 65536), at: end)) != nil { end += 65536 }
        #expect(fill.punchHole(at: 0, count: 65536))

        try { () throws in
            let image = try #require(try openImage(path, format: .qcow2, cache: .writethrough) as? Qcow2Image)
            do {
                try image.write([UInt8](repeating: 1, count: 4096), at: 0)
                Issue.record("the write needs an L1 entry the full file system cannot hold")
            } catch let error as StorageError {
                #expect(error.kind == .host && error.code == ENOSPC, "\(error)")
            }
            #expect(!image.isCorrupt && !image.readOnly)
            #expect(try image.read(at: 0, count: 4096) == [UInt8](repeating: 0, count: 4096), "the disk reads as before")
            try image.close()
        }()
        let check = try qemuImg("check", path)
        #expect(check.status == 0 && check.stdout.contains("No errors were found"), "no leaked L2 table: \(check.stdout)")
    }

    /// Small clusters need a new refcount block every 128 KiB of file. Whichever write of a large
    /// request fails (a full file system; here an injected EIO, at every write in turn), the
    /// image is never taken for corrupt afterwards: the same request succeeds once writes succeed
    /// again, and no check finds a corruption (a leak at worst, where the rollback's own writes
    /// failed too). A refcount block that was never written must not stay known as metadata.
    @Test(.requires(.qemuImageTools)) func aWriteThatFailsAnywhereNeverMakesTheImageCorrupt() throws {
        let scratch = try Scratch()
        let seed = scratch.path("seed.qcow2"), path = scratch.path("image.qcow2")
        try ImageTool.createQcow2(seed, size: 8 << 20, clusterSize: 512)
        // 160 KiB from cluster 0: past the 256 clusters the first refcount block counts.
        let data = (0..<(160 << 10)).map { UInt8(truncatingIfNeeded: $0 / 512 + 1) }
        var points = 0, refcountBlocks = 0
        while true {
            try writeFile(path, try readFile(seed))
            var failed = false
            try { () throws in
                // cache=unsafe: the same write order with no fdatasync, so every point is quick.
                let image = try #require(try openImage(path, format: .qcow2, cache: .unsafe) as? Qcow2Image)
                image.file.writesBeforeFailure = points
                do { try image.write(data, at: 0) } catch { failed = true }
                image.file.writesBeforeFailure = nil
                try image.write(data, at: 0)
                #expect(!image.isCorrupt && !image.readOnly, "failure at write \(points)")
                #expect(try image.read(at: 0, count: data.count) == data, "failure at write \(points)")
                #expect(try image.check().corruptions == 0, "failure at write \(points)")
                refcountBlocks = image.refcountTable.filter { $0 != 0 }.count
                try image.close()
            }()
            if !failed { break }
            points += 1
        }
        #expect(refcountBlocks >= 2, "the request needed a new refcount block, so a failure hit its write")
        #expect(points > 300, "\(points) writes")
        let check = try qemuImg("check", path)
        #expect(check.status == 0, "\(check.stdout)")
    }
}
