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
}
