import Foundation
import Testing
@testable import Storage

/// Images an attacker made: mutated headers and tables, offsets past the end of the file,
/// absurd sizes, backing chains that loop or climb out of their folder. Each is refused with
/// one StorageError or read consistently; never a crash, a hang or an unbounded allocation
/// (the test process would die or stall, failing the run).
struct HostileImageTests {
    /// An image with data, a zero cluster and a discarded cluster, 4 KiB clusters (so that the
    /// tables are small and a mutation often lands in one); with `extras`, also an internal
    /// snapshot taken halfway and a dirty bitmap with bits set.
    static func seedImage(_ path: String, extras: Bool = false) throws {
        try ImageTool.createQcow2(path, size: 1 << 20, clusterSize: 4096)
        let image = try #require(try openImage(path) as? Qcow2Image)
        if extras { try image.addBitmap("b0", granularity: 512) }
        var generator = Xorshift(seed: 1)
        for cluster in stride(from: UInt64(0), to: 256, by: 3) {
            if extras && cluster == 129 { try image.createSnapshot(name: "half", dateSeconds: 0, dateNanoseconds: 0) }
            try image.write(generator.bytes(4096), at: cluster * 4096)
        }
        try image.writeZeroes(at: 0, count: 4096, deallocate: true)
        try image.discard(at: 3 * 4096, count: 4096)
    }

    static func patch(_ path: String, at offset: Int, _ bytes: [UInt8]) throws {
        var contents = try readFile(path)
        contents.replaceSubrange(offset ..< offset + bytes.count, with: bytes)
        try writeFile(path, contents)
    }

    static func bigEndian(_ value: UInt64, _ size: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(size - 1 - $0))) }
    }

    /// Plain images, and images with a snapshot and a dirty bitmap (whose snapshot table,
    /// snapshot L1 table, bitmap directory and bitmap table are mutated too).
    @Test(arguments: [false, true])
    func mutatedImagesAreRefusedOrReadConsistently(extras: Bool) throws {
        let scratch = try Scratch()
        let seed = scratch.path("seed.qcow2"), mutated = scratch.path("m.qcow2")
        try Self.seedImage(seed, extras: extras)
        let original = try readFile(seed)
        let image = try #require(try openImage(seed, readOnly: true) as? Qcow2Image)
        // Where the metadata lives: header, L1 table, refcount table, its first block, L2 tables.
        var regions: [Range<Int>] = [0 ..< 512]
        let header = image.header
        regions.append(Int(header.l1TableOffset) ..< Int(header.l1TableOffset) + Int(header.l1Size) * 8)
        regions.append(Int(header.refcountTableOffset) ..< Int(header.refcountTableOffset) + 64)
        regions.append(Int(image.refcountTable[0]) ..< Int(image.refcountTable[0]) + 4096)
        for entry in image.l1 where entry != 0 {
            let offset = Int(entry & Qcow2Image.offsetMask)
            regions.append(offset ..< offset + 4096)
        }
        if extras {
            let snapshot = try #require(image.snapshots.first), bitmap = try #require(image.bitmaps.first)
            let directory = try #require(header.bitmapsExtension)
            regions.append(Int(header.snapshotsOffset) ..< Int(header.snapshotsOffset + image.snapshotTableLength))
            regions.append(Int(snapshot.l1TableOffset) ..< Int(snapshot.l1TableOffset) + Int(snapshot.l1Size) * 8)
            regions.append(Int(directory.directoryOffset) ..< Int(directory.directoryOffset + directory.directorySize))
            regions.append(Int(bitmap.tableOffset) ..< Int(bitmap.tableOffset) + Int(bitmap.tableSize) * 8)
        }
        var generator = Xorshift(seed: 2026)
        var refused = 0, read = 0
        for round in 0..<500 {
            var bytes = original
            for _ in 0...(generator.below(3)) {
                let region = regions[Int(generator.below(UInt64(regions.count)))]
                let at = region.lowerBound + Int(generator.below(UInt64(region.count)))
                switch generator.below(4) {
                case 0: bytes[at] ^= UInt8(1) << UInt8(generator.below(8))            // a bit flip
                case 1: bytes[at] = UInt8(truncatingIfNeeded: generator.next())        // a random byte
                case 2:                                                               // a huge 64-bit field
                    let start = at & ~7
                    if start + 8 <= bytes.count { bytes.replaceSubrange(start ..< start + 8, with: Self.bigEndian(generator.next(), 8)) }
                default:                                                              // past the end of the file
                    let start = at & ~7
                    if start + 8 <= bytes.count {
                        bytes.replaceSubrange(start ..< start + 8, with: Self.bigEndian(UInt64(bytes.count) + generator.below(1 << 30) * 512, 8))
                    }
                }
            }
            try writeFile(mutated, bytes)
            do {
                let driver = try openImage(mutated, readOnly: true, format: .qcow2)
                let count = Int(min(driver.virtualSize, 1 << 20))
                let first = try driver.read(at: 0, count: count)
                let second = try driver.read(at: 0, count: count)
                #expect(first == second, "round \(round): two reads differ")
                if let image = driver as? Qcow2Image, extras {
                    // The snapshot and the bitmap read as consistently, or are refused.
                    if let snapshot = image.snapshots.first { _ = try? image.snapshotL1(snapshot) }
                    if let bitmap = image.bitmaps.first, !bitmap.inconsistent { _ = try? image.dirtyRanges(of: bitmap.name) }
                }
                read += 1
            } catch let error as StorageError {
                #expect(!error.description.isEmpty)
                refused += 1
            }
            // Writing must also fail cleanly or leave an image whose reads stay consistent.
            do {
                let driver = try openImage(mutated, format: .qcow2)
                let offset = generator.below(max(1, min(driver.virtualSize, 1 << 20) - 8192))
                let data = generator.bytes(8192)
                try driver.write(data, at: offset)
                if try driver.read(at: offset, count: data.count) != data {
                    // Only two guest clusters sharing one host cluster (a refcount below its
                    // references) make a write not read back: check must call that corruption.
                    let report = try (driver as? Qcow2Image)?.check()
                    #expect((report?.corruptions ?? 0) > 0, "round \(round): a write did not read back on an image check finds clean")
                }
                if extras, let image = driver as? Qcow2Image {
                    // Snapshot and bitmap changes over mutated tables fail cleanly or work.
                    _ = try? image.applySnapshot("half")
                    _ = try? image.deleteSnapshot("half")
                    _ = try? image.clearBitmap("b0")
                }
            } catch is StorageError {
            }
        }
        // The mutations must exercise both outcomes.
        #expect(refused > 20 && read > 20, "refused \(refused), read \(read)")
    }

    @Test func absurdHeaderFieldsAreRefusedWithOneError() throws {
        let scratch = try Scratch()
        let seed = scratch.path("seed.qcow2")
        try Self.seedImage(seed)
        let original = try readFile(seed)
        let cases: [(offset: Int, bytes: [UInt8], fragment: String)] = [
            (20, Self.bigEndian(30, 4), "cluster size"),                       // cluster_bits
            (24, Self.bigEndian(1 << 63, 8), "virtual size"),                  // size
            (36, Self.bigEndian(0xffff_ffff, 4), "L1 table"),                  // l1_size
            (40, Self.bigEndian(1 << 50, 8), "L1 table"),                      // l1_table_offset past the end
            (48, Self.bigEndian(1 << 40, 8), "refcount table"),                // refcount_table_offset
            (56, Self.bigEndian(0x10_0000, 4), "refcount table"),              // refcount_table_clusters
            (4, Self.bigEndian(4, 4), "version 4"),
            (32, Self.bigEndian(1, 4), "encrypted"),
            (96, Self.bigEndian(7, 4), "refcount order"),
            (100, Self.bigEndian(1 << 20, 4), "header length"),
            (72, Self.bigEndian(1 << 4, 8), "extended L2 entries"),            // named from the feature table
            (72, Self.bigEndian(1 << 9, 8), "Unknown incompatible feature"),
            (72, Self.bigEndian(1 << 2, 8), "external data file"),
            (16, Self.bigEndian(5000, 4), "backing file name"),
        ]
        for (index, item) in cases.enumerated() {
            var bytes = original
            bytes.replaceSubrange(item.offset ..< item.offset + item.bytes.count, with: item.bytes)
            if item.offset == 16 { bytes.replaceSubrange(8 ..< 16, with: Self.bigEndian(200, 8)) }
            let path = scratch.path("case\(index).qcow2")
            try writeFile(path, bytes)
            expectRefusal(item.fragment, "case \(index): \(item.fragment)") { _ = try openImage(path, readOnly: true, format: .qcow2) }
        }
    }

    @Test func zstdIsRefusedWithoutALibrary() throws {
        let scratch = try Scratch()
        let path = scratch.path("z.qcow2")
        try Self.seedImage(path)
        try Self.patch(path, at: 72, Self.bigEndian(1 << 3, 8))
        try Self.patch(path, at: 104, [1])
        expectRefusal("zstd") { _ = try openImage(path, readOnly: true, format: .qcow2) }
    }

    @Test func aCorruptImageOpensReadOnlyOnly() throws {
        let scratch = try Scratch()
        let path = scratch.path("c.qcow2")
        try Self.seedImage(path)
        try Self.patch(path, at: 72, Self.bigEndian(1 << 1, 8))
        expectRefusal("Image is corrupt; cannot be opened read/write") { _ = try openImage(path, format: .qcow2) }
        let image = try #require(try openImage(path, readOnly: true) as? Qcow2Image)
        #expect(image.isCorrupt)
        #expect(try image.read(at: 4096, count: 16).count == 16)
    }

    @Test func corruptionFoundWhileWritingMarksTheImageCorrupt() throws {
        let scratch = try Scratch()
        let path = scratch.path("c.qcow2")
        try Self.seedImage(path)
        let l1Offset: Int
        do {
            let image = try #require(try openImage(path, readOnly: true) as? Qcow2Image)
            l1Offset = Int(image.header.l1TableOffset)
        }
        // The first L2 table now points far past the end of the file.
        try Self.patch(path, at: l1Offset, Self.bigEndian((1 << 63) | (1 << 40), 8))
        do {
            let image = try #require(try openImage(path) as? Qcow2Image)
            #expect(throws: StorageError.self) { try image.write([1], at: 0) }
            #expect(image.isCorrupt && image.readOnly)
        }
        #expect(throws: StorageError.self) { _ = try openImage(path) }
    }

    @Test func aDirtyImageHasItsRefcountsRebuiltWhenOpenedForWriting() throws {
        let scratch = try Scratch()
        let path = scratch.path("d.qcow2")
        try Self.seedImage(path)
        do {
            let image = try #require(try openImage(path) as? Qcow2Image)
            // Cluster 3's data cluster was freed by the discard: give it a stale refcount.
            let free = try (1 ..< image.fileEnd / 4096).first { try image.refcount(ofCluster: $0) == 0 }
            try image.setRefcount(ofCluster: try #require(free), to: 1, excluding: [])
            #expect(try image.check().leaks == 1)
        }
        try Self.patch(path, at: 72, Self.bigEndian(1 << 0, 8))
        do {
            let reader = try #require(try openImage(path, readOnly: true) as? Qcow2Image)
            #expect(reader.isDirty, "a read-only open leaves the dirty bit")
        }
        let image = try #require(try openImage(path) as? Qcow2Image)
        #expect(!image.isDirty)
        #expect(try image.check().isClean)
    }

    @Test func backingChainsThatLoopAreRefused() throws {
        let scratch = try Scratch()
        let a = scratch.path("a.qcow2"), b = scratch.path("b.qcow2")
        try ImageTool.createQcow2(b, size: 1 << 20)
        try ImageTool.createQcow2(a, size: nil, backingFile: "b.qcow2", backingFormat: .qcow2)
        // B now names A: A -> B -> A.
        try ImageTool.createQcow2(b, size: 1 << 20, backingFile: "a.qcow2", backingFormat: .qcow2)
        expectRefusal("loops") { _ = try openImage(a, readOnly: true) }
        // An image naming itself.
        let c = scratch.path("c.qcow2")
        try ImageTool.createQcow2(c, size: 1 << 20)
        var header = try #require(try openImage(c, readOnly: true) as? Qcow2Image).header
        header.backingFile = "./c.qcow2"
        header.backingFormat = "qcow2"
        try Self.patch(c, at: 0, try #require(header.serialized()))
        expectRefusal("loops") { _ = try openImage(c, readOnly: true) }
    }

    @Test func longChainsStopAtTheLimit() throws {
        let scratch = try Scratch()
        try ImageTool.createQcow2(scratch.path("c0.qcow2"), size: 1 << 20)
        for n in 1..<17 {
            try ImageTool.createQcow2(scratch.path("c\(n).qcow2"), size: nil, backingFile: "c\(n - 1).qcow2", backingFormat: .qcow2)
        }
        _ = try openImage(scratch.path("c15.qcow2"), readOnly: true)  // 16 images
        expectRefusal("longer than 16") { _ = try openImage(scratch.path("c16.qcow2"), readOnly: true) }
    }

    @Test func backingNamesLeavingTheFolderAreRefusedUnlessAllowed() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path("sub"), withIntermediateDirectories: true)
        let base = scratch.path("base.qcow2"), up = scratch.path("sub/up.qcow2"), absolute = scratch.path("abs.qcow2")
        try ImageTool.createQcow2(base, size: 1 << 20)
        #expect(throws: StorageError.self) { try ImageTool.createQcow2(up, size: nil, backingFile: "../base.qcow2") }
        try ImageTool.createQcow2(up, size: nil, backingFile: "../base.qcow2", allowUnsafeBackingPaths: true)
        try ImageTool.createQcow2(absolute, size: nil, backingFile: base, allowUnsafeBackingPaths: true)
        for path in [up, absolute] {
            expectRefusal("refused unless") { _ = try openImage(path, readOnly: true) }
            #expect(try openImage(path, readOnly: true, allowUnsafe: true).virtualSize == 1 << 20)
        }
        // Climbing and coming back stays inside: sub/../base.qcow2 from the top folder.
        #expect(try ImageOpener.resolveBackingName("sub/../base.qcow2", of: base, allowUnsafe: false) == scratch.path("sub/../base.qcow2"))
    }
}
