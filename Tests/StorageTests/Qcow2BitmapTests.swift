import Foundation
import Testing
import TestSupport
@testable import Storage

/// Persistent dirty bitmaps against qemu-img and qemu-io both ways: bitmaps we write are listed
/// by `qemu-img info` and extended by QEMU's own writes; bitmaps QEMU made and wrote are read by
/// us; the set bits after a known write pattern are exactly the granules written.
@Suite(.requires(.qemuImageTools)) struct Qcow2BitmapTests {
    /// The granules `writes` touch, as merged byte ranges of a disk of `size` bytes.
    static func granules(_ writes: [(offset: UInt64, count: UInt64)], _ granularity: UInt64, size: UInt64) -> [Range<UInt64>] {
        var touched = Set<UInt64>()
        for write in writes where write.count > 0 {
            for granule in (write.offset / granularity)...((write.offset + write.count - 1) / granularity) { touched.insert(granule) }
        }
        var ranges: [Range<UInt64>] = []
        for granule in touched.sorted() {
            let start = granule * granularity, end = min(start + granularity, size)
            if let last = ranges.last, last.upperBound == start { ranges[ranges.count - 1] = last.lowerBound ..< end } else { ranges.append(start ..< end) }
        }
        return ranges
    }

    static func infoBitmaps(_ image: String, forceShare: Bool = false) throws -> [[String: Any]] {
        let info = forceShare ? try qemuImg("info", "-U", "--output=json", image) : try qemuImg("info", "--output=json", image)
        #expect(info.status == 0, "\(info.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        let data = (json["format-specific"] as? [String: Any])?["data"] as? [String: Any]
        return data?["bitmaps"] as? [[String: Any]] ?? []
    }

    static func expectClean(_ image: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let check = try qemuImg("check", image)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)", sourceLocation: sourceLocation)
    }

    @Test func bitmapsWeWriteAreListedByQemuImgAndHoldExactlyTheWrittenGranules() throws {
        let scratch = try Scratch()
        let image = scratch.path("b.qcow2")
        let size: UInt64 = 4 << 20
        try ImageTool.createQcow2(image, size: size)
        let writes: [(offset: UInt64, count: UInt64)] = [(0, 1), (8192, 10000), (3 << 20 + 5, 70000), (size - 1, 1)]
        let zeroes: (offset: UInt64, count: UInt64) = (1 << 20, 4096), discarded: (offset: UInt64, count: UInt64) = (2 << 20, 65536)
        do {
            let driver = try #require(try openImage(image, format: .qcow2, cache: .writeback) as? Qcow2Image)
            try driver.addBitmap("b0", granularity: 4096)
            try driver.addBitmap("off", granularity: 65536, enabled: false)
            var generator = Xorshift(seed: 3)
            for write in writes { try driver.write(generator.bytes(Int(write.count)), at: write.offset) }
            try driver.writeZeroes(at: zeroes.offset, count: zeroes.count, deallocate: true)
            try driver.discard(at: discarded.offset, count: discarded.count)
        }
        let listed = try Self.infoBitmaps(image)
        #expect(listed.count == 2)
        #expect(listed.first?["name"] as? String == "b0" && listed.first?["granularity"] as? Int == 4096)
        #expect(listed.first?["flags"] as? [String] == ["auto"])
        #expect(listed.last?["name"] as? String == "off" && listed.last?["flags"] as? [String] == [])
        try Self.expectClean(image)
        let driver = try #require(try openImage(image, readOnly: true, format: .qcow2) as? Qcow2Image)
        #expect(try driver.dirtyRanges(of: "b0") == Self.granules(writes + [zeroes, discarded], 4096, size: size))
        #expect(try driver.dirtyRanges(of: "off").isEmpty, "a disabled bitmap records nothing")
        #expect(try driver.check().isClean)
    }

    @Test func bitmapsQemuMadeAndWroteAreReadAndExtendedByUsAndBack() throws {
        let scratch = try Scratch()
        let image = scratch.path("q.qcow2")
        let size: UInt64 = 4 << 20, granularity: UInt64 = 16384
        #expect(try qemuImg("create", "-q", "-f", "qcow2", image, "4M").status == 0)
        #expect(try qemuImg("bitmap", "--add", "-g", "16k", image, "q0").status == 0)
        var writes: [(offset: UInt64, count: UInt64)] = [(100 << 10, 50 << 10), (1 << 20, 1)]
        for write in writes {
            let result = try qemuIO("-f", "qcow2", "-c", "write -P 1 \(write.offset) \(write.count)", image)
            #expect(result.status == 0, "\(result.stderr)")
        }
        do {
            let driver = try #require(try openImage(image, readOnly: true, format: .qcow2) as? Qcow2Image)
            #expect(driver.bitmaps.map(\.name) == ["q0"] && driver.bitmaps.first?.granularity == granularity)
            #expect(try driver.dirtyRanges(of: "q0") == Self.granules(writes, granularity, size: size))
            // Our check counts QEMU's bitmap directory, table and data clusters.
            let report = try driver.check()
            #expect(report.isClean, "\(report.messages.prefix(5))")
        }
        // Our writes join QEMU's in its bitmap...
        do {
            let driver = try #require(try openImage(image, format: .qcow2) as? Qcow2Image)
            try driver.write([7, 7, 7], at: 2 << 20)
            writes.append((2 << 20, 3))
        }
        try Self.expectClean(image)
        // ...and QEMU loads what we stored and adds its own (a misread of our bits would show).
        #expect(try qemuIO("-f", "qcow2", "-c", "write -P 2 3M 4k", image).status == 0)
        writes.append((3 << 20, 4096))
        let driver = try #require(try openImage(image, readOnly: true, format: .qcow2) as? Qcow2Image)
        #expect(try driver.dirtyRanges(of: "q0") == Self.granules(writes, granularity, size: size))
        try Self.expectClean(image)
    }

    /// While open for writing, bitmaps carry `in_use` on disk; a copy taken then (a crash) has
    /// them inconsistent: listed as in-use, usable only to remove, and the image still clean.
    @Test func anOpenImageMarksItsBitmapsInUseAndACrashLeavesThemInconsistent() throws {
        let scratch = try Scratch()
        let image = scratch.path("u.qcow2"), crashed = scratch.path("crashed.qcow2")
        try ImageTool.createQcow2(image, size: 1 << 20)
        do {
            let driver = try #require(try openImage(image, format: .qcow2) as? Qcow2Image)
            try driver.addBitmap("b0", granularity: 65536)
        }
        #expect(try Self.infoBitmaps(image).first?["flags"] as? [String] == ["auto"])
        do {
            let driver = try #require(try openImage(image, format: .qcow2) as? Qcow2Image)
            try driver.write([1], at: 0)
            #expect(try Self.infoBitmaps(image, forceShare: true).first?["flags"] as? [String] == ["in-use", "auto"])
            try writeFile(crashed, try readFile(image))
        }
        #expect(try Self.infoBitmaps(image).first?["flags"] as? [String] == ["auto"])
        let copy = try #require(try openImage(crashed, format: .qcow2) as? Qcow2Image)
        #expect(copy.bitmaps.first?.inconsistent == true)
        expectRefusal("inconsistent") { _ = try copy.dirtyRanges(of: "b0") }
        expectRefusal("inconsistent") { try copy.clearBitmap("b0") }
        try copy.removeBitmap("b0")
        #expect(copy.bitmaps.isEmpty)
        #expect(try copy.check().isClean)
    }

    /// An incremental backup: a full copy, then per backup only the granules the bitmap marks,
    /// each backup's image backed by the one before. The chain reads as the source did (qemu-img
    /// compare), each backup holds exactly the dirty granules, and the bitmap starts over.
    @Test func incrementalBackupsHoldTheDirtyGranulesAndTheChainReadsAsTheSource() throws {
        let scratch = try Scratch()
        let source = scratch.path("src.qcow2"), full = scratch.path("full.qcow2")
        let first = scratch.path("inc1.qcow2"), second = scratch.path("inc2.qcow2"), kept = scratch.path("kept.qcow2")
        let size: UInt64 = 8 << 20
        #expect(try qemuImg("create", "-q", "-f", "qcow2", source, "8M").status == 0)
        #expect(try qemuIO("-f", "qcow2", "-c", "write -P 1 0 8M", source).status == 0)
        #expect(try qemuImg("bitmap", "--add", source, "cbt").status == 0)
        try ImageTool.convert(source, sourceFormat: .qcow2, to: full, targetFormat: .qcow2)
        // QEMU's writes after the full backup: data, and zeros over data.
        #expect(try qemuIO("-f", "qcow2", "-c", "write -P 2 1M 100k", "-c", "write -z 5M 64k", source).status == 0)
        var copied = try ImageTool.backup(source, sourceFormat: .qcow2, bitmap: "cbt", to: first, previous: "full.qcow2", previousFormat: .qcow2)
        var dirty = Self.granules([(1 << 20, 100 << 10), (5 << 20, 64 << 10)], 65536, size: size)
        #expect(copied == dirty.reduce(0) { $0 + UInt64($1.count) })
        #expect(try qemuImg("compare", source, first).status == 0, "the chain inc1 → full reads as the source")
        #expect(try #require(try openImage(first, readOnly: true) as? Qcow2Image).allocatedRanges() == dirty)
        // The bitmap was cleared: our own writes are the next backup.
        do {
            let driver = try openImage(source, format: .qcow2)
            try driver.write([UInt8](repeating: 3, count: 5000), at: 7 << 20)
        }
        copied = try ImageTool.backup(source, sourceFormat: .qcow2, bitmap: "cbt", to: second, previous: "inc1.qcow2", previousFormat: .qcow2)
        dirty = Self.granules([(7 << 20, 5000)], 65536, size: size)
        #expect(copied == 65536)
        #expect(try qemuImg("compare", source, second).status == 0, "the chain inc2 → inc1 → full reads as the source")
        #expect(try #require(try openImage(second, readOnly: true) as? Qcow2Image).allocatedRanges() == dirty)
        // bitmap-mode never leaves the bitmap as it was.
        #expect(try ImageTool.backup(source, sourceFormat: .qcow2, bitmap: "cbt", to: kept, previous: nil, previousFormat: nil, bitmapMode: .never) == 0)
        for image in [source, full, first, second] { try Self.expectClean(image) }
        expectRefusal("not found") {
            _ = try ImageTool.backup(source, sourceFormat: .qcow2, bitmap: "none", to: kept, previous: nil, previousFormat: nil)
        }
    }

    /// Applying a snapshot changes what the guest reads where the snapshot and the disk differ:
    /// enabled bitmaps mark those clusters, and only those.
    @Test func applyingASnapshotMarksTheClustersItChanges() throws {
        let scratch = try Scratch()
        let image = scratch.path("a.qcow2")
        try ImageTool.createQcow2(image, size: 1 << 20, clusterSize: 4096)
        let driver = try #require(try openImage(image, format: .qcow2) as? Qcow2Image)
        try driver.write([UInt8](repeating: 1, count: 64 << 10), at: 0)
        try driver.createSnapshot(name: "s", dateSeconds: 0, dateNanoseconds: 0)
        try driver.write([2], at: 8192 + 10)                // cluster 2 rewritten
        try driver.write([3], at: 512 << 10)                // cluster 128, new after the snapshot
        try driver.addBitmap("b0", granularity: 4096)       // empty: only the apply marks it
        try driver.applySnapshot("s")
        #expect(try driver.dirtyRanges(of: "b0") == [8192 ..< 12288, (512 << 10) ..< (516 << 10)])
        #expect(try driver.read(at: 8192, count: 4096) == [UInt8](repeating: 1, count: 4096))
        #expect(try driver.check().isClean)
    }

    /// The end of a run closes its drives: bitmaps are stored without `in_use`, and the image
    /// takes no more writes.
    @Test func closingStoresTheBitmapsAndEndsWriting() throws {
        let scratch = try Scratch()
        let image = scratch.path("c.qcow2")
        try ImageTool.createQcow2(image, size: 1 << 20)
        let driver = try #require(try openImage(image, format: .qcow2) as? Qcow2Image)
        try driver.addBitmap("b0", granularity: 65536)
        try driver.write([1], at: 70000)
        #expect(try Self.infoBitmaps(image, forceShare: true).first?["flags"] as? [String] == ["in-use", "auto"])
        try driver.close()
        #expect(try Self.infoBitmaps(image, forceShare: true).first?["flags"] as? [String] == ["auto"])
        #expect(throws: StorageError.self) { try driver.write([2], at: 0) }
        #expect(try driver.dirtyRanges(of: "b0") == [65536 ..< 131072])
    }

    /// Bitmap extension fields, directory entries and table entries a hostile image names:
    /// each refused with one clear error (at open, or when the bits are first read).
    @Test func malformedBitmapsAreRefused() throws {
        let scratch = try Scratch()
        let seed = scratch.path("seed.qcow2")
        try ImageTool.createQcow2(seed, size: 1 << 20, clusterSize: 4096)
        var extensionOffset = 0, directoryOffset = 0, tableOffset = 0
        do {
            let driver = try #require(try openImage(seed) as? Qcow2Image)
            try driver.addBitmap("b0", granularity: 512)
            try driver.write([1], at: 0)
        }
        do {
            let driver = try #require(try openImage(seed, readOnly: true) as? Qcow2Image)
            let header = try readFile(seed)
            var offset = Int(driver.header.headerLength)
            while header.bigEndian(offset, 4) != 0x2385_2875 { offset += 8 + (Int(header.bigEndian(offset + 4, 4)) + 7) & ~7 }
            extensionOffset = offset + 8
            directoryOffset = Int(try #require(driver.header.bitmapsExtension).directoryOffset)
            tableOffset = Int(try #require(driver.bitmaps.first).tableOffset)
            #expect(tableOffset != 0)
        }
        let original = try readFile(seed)
        let big = HostileImageTests.bigEndian
        let cases: [(offset: Int, bytes: [UInt8], fragment: String)] = [
            (extensionOffset, big(0, 4), "bitmaps extension"),                     // nb_bitmaps 0
            (extensionOffset, big(70000, 4), "bitmaps extension"),                 // too many
            (extensionOffset + 8, big(1 << 40, 8), "bitmaps extension"),           // directory size
            (extensionOffset + 16, big(1 << 40, 8), "bitmap directory"),           // directory past the end
            (extensionOffset + 16, big(4097, 8), "bitmaps extension"),             // unaligned
            (directoryOffset, big(1 << 40, 8), "table at"),                        // table offset past the end
            (directoryOffset + 8, big(99, 4), "table of 99 entries"),              // table size
            (directoryOffset + 12, big(1 << 7, 4), "reserved flags"),
            (directoryOffset + 16, [2], "type 2"),
            (directoryOffset + 17, [40], "granularity"),
            (directoryOffset + 18, big(0xffff, 2), "runs past"),                   // name length
            (directoryOffset + 20, big(4, 4), "extra data"),                       // extra data, not compatible
            (tableOffset, big(1 << 40, 8), "points past the end"),                 // table entry
            (tableOffset, big(0xff00_0000_0000_0000, 8), "reserved bits"),
        ]
        for (index, item) in cases.enumerated() {
            var bytes = original
            bytes.replaceSubrange(item.offset ..< item.offset + item.bytes.count, with: item.bytes)
            let path = scratch.path("case\(index).qcow2")
            try writeFile(path, bytes)
            expectRefusal(item.fragment, "case \(index)") {
                let driver = try #require(try openImage(path, readOnly: true, format: .qcow2) as? Qcow2Image)
                _ = try driver.dirtyRanges(of: "b0")
            }
        }
    }
}
