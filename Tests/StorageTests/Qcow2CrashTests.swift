import Foundation
import Testing
import TestSupport
@testable import Storage

/// The crash-safety orders, tested by stopping each operation at every one of its writes in
/// turn (the host file's injected failure: writes before it reached the file, in order, none
/// after) and judging the file left behind with qemu-img: no corruption ever (leaks allowed),
/// and the guest's disk reads as before the operation or as after it.
@Suite(.requires(.qemuImageTools)) struct Qcow2CrashTests {
    /// Copies `seed` and runs `operation` on it with the n-th write failing, for n = 0, 1, ...
    /// until the operation and the close run through; `verify` judges each file. Returns the
    /// number of crash points tried.
    @discardableResult
    static func crashAtEveryWrite(_ seed: String, _ scratch: Scratch, cache: CacheMode = .unsafe,
                                  operation: (Qcow2Image) throws -> Void, verify: (String, Int) throws -> Void) throws -> Int {
        var point = 0
        while true {
            let path = scratch.path("crash.qcow2")
            try writeFile(path, try readFile(seed))
            var failed = false
            do {
                let image = try #require(try openImage(path, format: .qcow2, cache: cache) as? Qcow2Image)
                image.file.writesBeforeFailure = point
                do {
                    try operation(image)
                } catch {
                    guard Self.injected(error) else { throw error }
                    failed = true
                }
                // Closing writes too (metadata, bitmaps): a crash point like any other. After a
                // failed write the image's memory no longer matches the file, and what closing
                // then finds is no concern: only the file is judged.
                do {
                    try image.close()
                } catch {
                    if Self.injected(error) { failed = true } else if !failed { throw error }
                }
            }
            try verify(path, point)
            if !failed { return point + 1 }
            point += 1
            guard point < 2000 else {
                Issue.record("the operation never ran through")
                return point
            }
        }
    }

    static func injected(_ error: any Error) -> Bool { (error as? StorageError)?.description.contains("injected") == true }

    /// qemu-img check finds nothing that could lose data: leaks are allowed (a refcount above
    /// the references), and so is a COPIED flag missing where the refcount is 1 (it only costs
    /// a copy on write, and -r all restores it); a refcount below the references, or a COPIED
    /// flag on a cluster counted twice, is not. And each `granule` of the disk reads as in one
    /// of `states` (raw files): one cluster is written with one write, a request of several is
    /// not atomic.
    static func expectConsistent(_ path: String, _ point: Int, states: [String], granule: Int,
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let check = try qemuImg("check", path)
        let errors = (check.stdout + check.stderr).split(separator: "\n").filter { $0.hasPrefix("ERROR") }
        let harmful = errors.filter { !($0.hasPrefix("ERROR OFLAG_COPIED") && $0.hasSuffix("refcount=1")) }
        #expect(harmful.isEmpty && [0, 2, 3].contains(check.status), "crash at write \(point): \(check.stdout)\(check.stderr)",
                sourceLocation: sourceLocation)
        let flat = path + ".raw"
        #expect(try qemuImg("convert", "-O", "raw", path, flat).status == 0, sourceLocation: sourceLocation)
        let disk = try readFile(flat), candidates = try states.map(readFile)
        for start in stride(from: 0, to: disk.count, by: granule) {
            let end = min(start + granule, disk.count)
            if !candidates.contains(where: { $0.count == disk.count && $0[start ..< end] == disk[start ..< end] }) {
                Issue.record("crash at write \(point): bytes \(start)..<\(end) read as in no state", sourceLocation: sourceLocation)
                break
            }
        }
        if !errors.isEmpty {
            #expect(try qemuImg("check", "-r", "all", path).status == 0, "crash at write \(point): -r all does not repair it",
                    sourceLocation: sourceLocation)
        }
    }

    static func raw(_ scratch: Scratch, _ name: String, from image: String) throws -> String {
        let path = scratch.path(name)
        #expect(try qemuImg("convert", "-O", "raw", image, path).status == 0)
        return path
    }

    @Test func growingTheRefcountTable() throws {
        let scratch = try Scratch()
        let seed = scratch.path("seed.qcow2")
        #expect(try qemuImg("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", seed, "12M").status == 0)
        // Fill until the next few clusters pass what the one-cluster table covers (16,384).
        do {
            let image = try #require(try openImage(seed, format: .qcow2) as? Qcow2Image)
            var offset: UInt64 = 0
            while image.fileEnd / 512 < 16384 - 2 {
                try image.write([UInt8](repeating: 0x5a, count: 512), at: offset)
                offset += 512
            }
            #expect(image.header.refcountTableClusters == 1)
        }
        let before = try Self.raw(scratch, "before.raw", from: seed)
        let after = scratch.path("after.raw")
        try writeFile(after, try readFile(before))
        let at: UInt64 = 11 << 20
        try openImage(after, format: .raw).write([UInt8](repeating: 0xa5, count: 4096), at: at)
        var grew = false
        let points = try Self.crashAtEveryWrite(seed, scratch, operation: { image in
            try image.write([UInt8](repeating: 0xa5, count: 4096), at: at)
            grew = image.header.refcountTableClusters > 1
        }, verify: { path, point in try Self.expectConsistent(path, point, states: [before, after], granule: 512) })
        #expect(grew && points > 10, "\(points) crash points")
    }

    @Test func takingApplyingAndDeletingASnapshotAndCopyingOnWrite() throws {
        let scratch = try Scratch()
        let seed = scratch.path("seed.qcow2")
        try ImageTool.createQcow2(seed, size: 1 << 20, clusterSize: 4096)
        do {
            let image = try openImage(seed, format: .qcow2)
            try image.write([UInt8](repeating: 1, count: 256 << 10), at: 0)
        }
        let first = try Self.raw(scratch, "first.raw", from: seed)
        var points: [Int] = []
        points.append(try Self.crashAtEveryWrite(seed, scratch, operation: { image in
            try image.createSnapshot(name: "s", dateSeconds: 0, dateNanoseconds: 0)
        }, verify: { path, point in try Self.expectConsistent(path, point, states: [first], granule: 4096) }))
        do {
            let image = try #require(try openImage(seed, format: .qcow2) as? Qcow2Image)
            try image.createSnapshot(name: "s", dateSeconds: 0, dateNanoseconds: 0)
        }
        // A write after it copies an L2 table and a data cluster.
        let second = scratch.path("second.raw")
        try writeFile(second, try readFile(first))
        try openImage(second, format: .raw).write([UInt8](repeating: 2, count: 100), at: 5000)
        for cache in [CacheMode.unsafe, .writeback] {
            points.append(try Self.crashAtEveryWrite(seed, scratch, cache: cache, operation: { image in
                try image.write([UInt8](repeating: 2, count: 100), at: 5000)
                try image.flush()
            }, verify: { path, point in try Self.expectConsistent(path, point, states: [first, second], granule: 4096) }))
        }
        do {
            let image = try openImage(seed, format: .qcow2)
            try image.write([UInt8](repeating: 2, count: 100), at: 5000)
        }
        points.append(try Self.crashAtEveryWrite(seed, scratch, operation: { image in try image.applySnapshot("s") },
                                   verify: { path, point in try Self.expectConsistent(path, point, states: [first, second], granule: 4096) }))
        points.append(try Self.crashAtEveryWrite(seed, scratch, operation: { image in try image.deleteSnapshot("s") },
                                   verify: { path, point in try Self.expectConsistent(path, point, states: [second], granule: 4096) }))
        // Create, the copy on write (two cache modes), apply, delete: each stopped at several writes.
        #expect(points.count == 5 && points.allSatisfy { $0 >= 4 }, "\(points)")
    }

    @Test func storingBitmaps() throws {
        let scratch = try Scratch()
        let seed = scratch.path("seed.qcow2")
        try ImageTool.createQcow2(seed, size: 1 << 20, clusterSize: 4096)
        do {
            let image = try #require(try openImage(seed, format: .qcow2) as? Qcow2Image)
            try image.addBitmap("old", granularity: 512)
            try image.write([UInt8](repeating: 1, count: 70000), at: 0)
        }
        let before = try Self.raw(scratch, "before.raw", from: seed)
        let points = try Self.crashAtEveryWrite(seed, scratch, operation: { image in
            try image.addBitmap("new", granularity: 4096)
            try image.clearBitmap("old")
            try image.write([7], at: 600_000)
            try image.removeBitmap("new")
        }, verify: { path, point in
            let after = scratch.path("after.raw")
            try writeFile(after, try readFile(before))
            try openImage(after, format: .raw).write([7], at: 600_000)
            try Self.expectConsistent(path, point, states: [before, after], granule: 4096)
            // Every bitmap left is usable or marked inconsistent; none is half written.
            let image = try #require(try openImage(path, readOnly: true, format: .qcow2) as? Qcow2Image)
            for bitmap in image.bitmaps where !bitmap.inconsistent { _ = try image.dirtyRanges(of: bitmap.name) }
        })
        #expect(points > 20, "\(points) crash points")
    }
}
