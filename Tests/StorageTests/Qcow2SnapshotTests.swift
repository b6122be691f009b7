import Foundation
import Testing
import TestSupport
@testable import Storage

/// Refcount-table growth and internal snapshots, against qemu-img and qemu-io both ways: images
/// we grow or snapshot are clean under `qemu-img check` and read as we wrote them; snapshots
/// QEMU took are listed, applied and deleted by us.
@Suite(.requires(.qemuImageTools)) struct Qcow2SnapshotTests {
    /// A one-cluster refcount table of 512-byte clusters covers 16,384 clusters (8 MiB) with
    /// 16-bit refcounts and 4,096 (2 MiB) with 64-bit ones: filling the disk grows it (twice or
    /// more with 64-bit refcounts, the table growing by half each time).
    @Test(arguments: [("refcount_bits=16", 12, CacheMode.writeback), ("refcount_bits=64", 6, CacheMode.unsafe)])
    func fillingAnImageGrowsItsRefcountTable(options: String, mebibytes: UInt64, cache: CacheMode) throws {
        let scratch = try Scratch()
        let image = scratch.path("g.qcow2"), mirror = scratch.path("mirror.raw")
        let size = mebibytes << 20
        #expect(try qemuImg("create", "-q", "-f", "qcow2", "-o", "cluster_size=512," + options, image, "\(mebibytes)M").status == 0)
        try ImageTool.createRaw(mirror, size: size)
        do {
            let driver = try #require(try openImage(image, format: .qcow2, cache: cache) as? Qcow2Image)
            #expect(driver.header.refcountTableClusters == 1)
            let raw = try openImage(mirror, format: .raw)
            var generator = Xorshift(seed: mebibytes)
            for offset in stride(from: UInt64(0), to: size, by: 65536) {
                let bytes = generator.bytes(65536)
                try driver.write(bytes, at: offset)
                try raw.write(bytes, at: offset)
            }
            try driver.flush()
            #expect(driver.header.refcountTableClusters > 1, "the table grew")
            let report = try driver.check()
            #expect(report.isClean, "\(report.messages.prefix(5))")
        }
        try Qcow2InteropTests.expectCleanAndEqual(image, mirror)
        // qemu-io reads the last bytes (past what the first table covered) as we wrote them.
        let tail = Array(try readFile(mirror).suffix(16))
        let dump = try qemuIO("-f", "qcow2", "-r", "-c", "read -v \(size - 16) 16", image)
        let expectedHex = tail.map { String(format: "%02x", $0) }.joined(separator: " ")
        #expect(dump.status == 0 && dump.stdout.contains(expectedHex), "\(dump.stdout)\(dump.stderr)")
    }

    /// qemu-io writes with a byte pattern; what qemu-img compare needs to tell two states apart.
    static func qemuWrite(_ image: String, _ pattern: UInt8, _ offset: String, _ length: String) throws {
        let result = try qemuIO("-f", "qcow2", "-c", "write -P \(pattern) \(offset) \(length)", image)
        #expect(result.status == 0, "\(result.stderr)")
    }

    static func expectClean(_ image: String, _ step: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let check = try qemuImg("check", image)
        #expect(check.status == 0, "qemu-img check after \(step): \(check.stdout)\(check.stderr)", sourceLocation: sourceLocation)
    }

    static func expectSame(_ image: String, _ raw: String, _ step: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let compare = try qemuImg("compare", "-f", "raw", "-F", "qcow2", raw, image)
        #expect(compare.status == 0, "qemu-img compare after \(step): \(compare.stdout)\(compare.stderr)", sourceLocation: sourceLocation)
    }

    @Test func snapshotsWeTakeAreListedAppliedAndDeletedByQemu() throws {
        let scratch = try Scratch()
        let image = scratch.path("s.qcow2"), first = scratch.path("first.raw"), second = scratch.path("second.raw")
        try ImageTool.createQcow2(image, size: 2 << 20, clusterSize: 4096)
        try ImageTool.createRaw(first, size: 2 << 20)
        try ImageTool.createRaw(second, size: 2 << 20)
        do {
            let driver = try #require(try openImage(image, format: .qcow2, cache: .writeback) as? Qcow2Image)
            let mirror = try openImage(first, format: .raw), later = try openImage(second, format: .raw)
            var generator = Xorshift(seed: 7)
            for _ in 0..<60 {
                let offset = generator.below(2 << 20 - 20000), bytes = generator.bytes(Int(generator.below(20000)) + 1)
                try driver.write(bytes, at: offset)
                try mirror.write(bytes, at: offset)
                try later.write(bytes, at: offset)
            }
            try driver.createSnapshot(name: "first", dateSeconds: 1_700_000_000, dateNanoseconds: 5)
            // Writes after it copy on write: partial clusters, whole ones, zeroes and discards.
            for _ in 0..<60 {
                let offset = generator.below(2 << 20 - 20000), count = generator.below(20000) + 1
                switch generator.below(4) {
                case 0:
                    try driver.writeZeroes(at: offset, count: count, deallocate: true)
                    try later.writeZeroes(at: offset, count: count, deallocate: false)
                default:
                    let bytes = generator.bytes(Int(count))
                    try driver.write(bytes, at: offset)
                    try later.write(bytes, at: offset)
                }
            }
            try driver.flush()
            #expect(try driver.check().isClean)
            try driver.createSnapshot(name: "second", dateSeconds: 1_700_000_100, dateNanoseconds: 0)
            #expect(driver.snapshots.map(\.id) == ["1", "2"])
        }
        try Self.expectClean(image, "two snapshots")
        try Self.expectSame(image, second, "two snapshots")
        let listed = try qemuImg("snapshot", "-l", image)
        #expect(listed.status == 0 && listed.stdout.contains("first") && listed.stdout.contains("second"), "\(listed.stdout)\(listed.stderr)")
        // QEMU applies the snapshot we took.
        #expect(try qemuImg("snapshot", "-a", "first", image).status == 0)
        try Self.expectSame(image, first, "qemu-img applied 'first'")
        try Self.expectClean(image, "qemu-img applied 'first'")
        // We apply the other one, over a tree QEMU rewrote.
        do {
            let driver = try #require(try openImage(image, format: .qcow2) as? Qcow2Image)
            try driver.applySnapshot("2")
        }
        try Self.expectSame(image, second, "we applied 'second'")
        try Self.expectClean(image, "we applied 'second'")
        // Deleting frees what only the snapshot held; the other stays whole.
        do {
            let driver = try #require(try openImage(image, format: .qcow2) as? Qcow2Image)
            try driver.deleteSnapshot("second")
            #expect(driver.snapshots.map(\.name) == ["first"])
        }
        try Self.expectClean(image, "we deleted 'second'")
        try Self.expectSame(image, second, "we deleted 'second'")
        #expect(try qemuImg("snapshot", "-a", "first", image).status == 0)
        try Self.expectSame(image, first, "qemu-img applied 'first' again")
        do {
            let driver = try #require(try openImage(image, format: .qcow2) as? Qcow2Image)
            try driver.deleteSnapshot("first")
            #expect(driver.snapshots.isEmpty)
            let report = try driver.check()
            #expect(report.isClean, "\(report.messages.prefix(5))")
        }
        try Self.expectClean(image, "we deleted 'first'")
        try Self.expectSame(image, first, "we deleted 'first'")
    }

    @Test func snapshotsQemuTookAreReadAppliedAndDeletedByUs() throws {
        let scratch = try Scratch()
        let image = scratch.path("q.qcow2"), before = scratch.path("before.raw"), after = scratch.path("after.raw")
        #expect(try qemuImg("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", image, "1M").status == 0)
        try Self.qemuWrite(image, 0x11, "0", "512k")
        #expect(try qemuImg("snapshot", "-c", "taken-by-qemu", image).status == 0)
        do {
            // QEMU's table ends the file without padding: our check counts it all the same.
            let driver = try #require(try openImage(image, readOnly: true, format: .qcow2) as? Qcow2Image)
            let report = try driver.check()
            #expect(report.isClean, "\(report.messages.prefix(5))")
        }
        try Self.qemuWrite(image, 0x22, "256k", "512k")
        try ImageTool.createRaw(before, size: 1 << 20)
        try ImageTool.createRaw(after, size: 1 << 20)
        try openImage(before, format: .raw).write([UInt8](repeating: 0x11, count: 512 << 10), at: 0)
        let mirror = try openImage(after, format: .raw)
        try mirror.write([UInt8](repeating: 0x11, count: 256 << 10), at: 0)
        try mirror.write([UInt8](repeating: 0x22, count: 512 << 10), at: 256 << 10)
        do {
            let driver = try #require(try openImage(image, format: .qcow2) as? Qcow2Image)
            let snapshot = try #require(driver.snapshot("taken-by-qemu"))
            #expect(snapshot.id == "1" && snapshot.vmStateSize == 0 && snapshot.diskSize == 1 << 20)
            // Our writes over clusters the snapshot shares copy them.
            try driver.write([UInt8](repeating: 0x33, count: 6000), at: 100)
            try mirror.write([UInt8](repeating: 0x33, count: 6000), at: 100)
            let report = try driver.check()
            #expect(report.isClean, "\(report.messages.prefix(5))")
        }
        try Self.expectClean(image, "our writes")
        try Self.expectSame(image, after, "our writes")
        do {
            let driver = try #require(try openImage(image, format: .qcow2) as? Qcow2Image)
            try driver.applySnapshot("taken-by-qemu")
        }
        try Self.expectSame(image, before, "we applied QEMU's snapshot")
        try Self.expectClean(image, "we applied QEMU's snapshot")
        do {
            let driver = try #require(try openImage(image, format: .qcow2) as? Qcow2Image)
            try driver.deleteSnapshot("1")
        }
        try Self.expectClean(image, "we deleted QEMU's snapshot")
        try Self.expectSame(image, before, "we deleted QEMU's snapshot")
        let listed = try qemuImg("snapshot", "-l", image)
        #expect(listed.status == 0 && listed.stdout.isEmpty, "\(listed.stdout)")
    }

    /// One-bit refcounts cannot count a second reference: the snapshot is refused and the image
    /// is left as it was, as qemu-img refuses it.
    @Test func oneBitRefcountsRefuseASnapshot() throws {
        let scratch = try Scratch()
        let image = scratch.path("r.qcow2")
        #expect(try qemuImg("create", "-q", "-f", "qcow2", "-o", "refcount_bits=1", image, "1M").status == 0)
        try Self.qemuWrite(image, 5, "0", "64k")
        do {
            let driver = try #require(try openImage(image, format: .qcow2) as? Qcow2Image)
            expectRefusal("refcount") { try driver.createSnapshot(name: "s", dateSeconds: 0, dateNanoseconds: 0) }
            #expect(driver.snapshots.isEmpty && !driver.isCorrupt)
        }
        try Self.expectClean(image, "a refused snapshot")
        #expect(try qemuImg("snapshot", "-c", "s", image).status != 0, "qemu-img refuses it too")
    }

    /// Snapshot table entries and snapshot L1 tables a hostile image names: each refused with
    /// one clear error at open.
    @Test func malformedSnapshotTablesAreRefused() throws {
        let scratch = try Scratch()
        let seed = scratch.path("seed.qcow2")
        try ImageTool.createQcow2(seed, size: 1 << 20, clusterSize: 4096)
        let tableOffset: Int
        do {
            let driver = try #require(try openImage(seed) as? Qcow2Image)
            try driver.write([UInt8](repeating: 1, count: 8192), at: 0)
            try driver.createSnapshot(name: "s", dateSeconds: 0, dateNanoseconds: 0)
            tableOffset = Int(driver.header.snapshotsOffset)
        }
        let original = try readFile(seed)
        let big = HostileImageTests.bigEndian
        let cases: [(offset: Int, bytes: [UInt8], fragment: String)] = [
            (60, big(70000, 4), "more than 65536"),                          // nb_snapshots
            (64, big(1 << 40, 8), "snapshot table"),                         // snapshots_offset past the end
            (tableOffset, big(1 << 40, 8), "L1 table"),                      // the snapshot's L1 offset
            (tableOffset, big(4097, 8), "L1 table"),                         // unaligned
            (tableOffset + 8, big(0x0fff_ffff, 4), "L1 table"),              // l1_size
            (tableOffset + 36, big(5000, 4), "extra data"),                  // extra data size
            (tableOffset + 12, big(0xffff, 2), "runs past"),                 // id length past the end
        ]
        for (index, item) in cases.enumerated() {
            var bytes = original
            bytes.replaceSubrange(item.offset ..< item.offset + item.bytes.count, with: item.bytes)
            let path = scratch.path("case\(index).qcow2")
            try writeFile(path, bytes)
            expectRefusal(item.fragment, "case \(index)") { _ = try openImage(path, readOnly: true, format: .qcow2) }
        }
    }
}
