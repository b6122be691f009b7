import Testing
@testable import Storage

/// Cluster allocation and refcount updates on images we create, checked with our own check
/// (the interop tests check the same with qemu-img).
struct Qcow2AllocationTests {
    static func image(_ scratch: Scratch, size: UInt64 = 4 << 20, clusterSize: UInt64 = 512) throws -> Qcow2Image {
        let path = scratch.path("a.qcow2")
        try ImageTool.createQcow2(path, size: size, clusterSize: clusterSize)
        return try #require(try openImage(path) as? Qcow2Image)
    }

    @Test func aFreshImageIsCleanAndReadsZeros() throws {
        let scratch = try Scratch()
        let image = try Self.image(scratch)
        #expect(try image.check().isClean)
        #expect(try image.read(at: 0, count: 4096) == [UInt8](repeating: 0, count: 4096))
        #expect(try image.mapping(ofCluster: 0) == .unallocated)
        // Header, refcount table, refcount block and L1 table: each counted once.
        #expect(try image.refcount(ofCluster: 0) == 1)
        #expect(try image.refcount(ofCluster: image.header.refcountTableOffset / 512) == 1)
    }

    @Test func aWriteAllocatesAnL2TableAndADataClusterWithRefcountOne() throws {
        let scratch = try Scratch()
        let image = try Self.image(scratch)
        let end = image.fileEnd / 512
        try image.write([UInt8](repeating: 0xab, count: 100), at: 1000)
        // The L2 table comes first, then the data cluster, both at the end of the file.
        let l2 = image.l1[0] & Qcow2Image.offsetMask
        #expect(l2 == end * 512)
        guard case .data(let host, true) = try image.mapping(ofCluster: 1) else {
            Issue.record("cluster 1 is not an allocated data cluster")
            return
        }
        #expect(host == (end + 1) * 512)
        #expect(try image.refcount(ofCluster: end) == 1 && image.refcount(ofCluster: end + 1) == 1)
        #expect(try image.read(at: 1000, count: 100) == [UInt8](repeating: 0xab, count: 100))
        #expect(try image.read(at: 512, count: 488) == [UInt8](repeating: 0, count: 488), "the rest of the cluster is zeros")
        #expect(try image.check().isClean)
    }

    /// cache=writeback: the L2 entry reaches the file only at the flush (after a barrier), the
    /// data is read back before it, and the old cluster of an overwritten mapping is freed then.
    @Test func underWritebackL2EntriesWaitForTheFlush() throws {
        let scratch = try Scratch()
        let path = scratch.path("a.qcow2")
        try ImageTool.createQcow2(path, size: 4 << 20, clusterSize: 512)
        let image = try #require(try openImage(path, cache: .writeback) as? Qcow2Image)
        try image.write([UInt8](repeating: 9, count: 512), at: 0)
        let l2 = image.l1[0] & Qcow2Image.offsetMask
        let onDisk = { () throws -> UInt64 in try readFile(path).bigEndian(Int(l2), 8) }
        #expect(try onDisk() == 0, "the L2 entry waits for the flush")
        #expect(try image.read(at: 0, count: 512) == [UInt8](repeating: 9, count: 512))
        guard case .data(let host, _) = try image.mapping(ofCluster: 0) else { Issue.record("not allocated"); return }
        try image.flush()
        #expect(try onDisk() == host | Qcow2Image.copiedFlag)
        try image.discard(at: 0, count: 512)
        #expect(try image.refcount(ofCluster: host / 512) == 1, "the free waits for the next flush")
        try image.flush()
        #expect(try image.refcount(ofCluster: host / 512) == 0)
        #expect(try onDisk() == 0)
        #expect(try image.check().isClean)
    }

    @Test func discardFreesAndTheClusterIsReused() throws {
        let scratch = try Scratch()
        let image = try Self.image(scratch)
        try image.write([UInt8](repeating: 1, count: 512), at: 0)
        guard case .data(let host, _) = try image.mapping(ofCluster: 0) else { Issue.record("not allocated"); return }
        try image.discard(at: 0, count: 512)
        #expect(try image.mapping(ofCluster: 0) == .unallocated)
        #expect(try image.refcount(ofCluster: host / 512) == 0)
        #expect(try image.read(at: 0, count: 512) == [UInt8](repeating: 0, count: 512))
        try image.write([UInt8](repeating: 2, count: 512), at: 4096)
        #expect(try image.mapping(ofCluster: 8) == .data(host: host, copied: true), "the freed cluster is allocated again")
        #expect(try image.check().isClean)
    }

    @Test func writeZeroesMakesZeroClustersAndFreesTheirData() throws {
        let scratch = try Scratch()
        let image = try Self.image(scratch)
        try image.write([UInt8](repeating: 7, count: 2048), at: 0)
        guard case .data(let host, _) = try image.mapping(ofCluster: 1) else { Issue.record("not allocated"); return }
        // Clusters 1 and 2 whole, half of cluster 3.
        try image.writeZeroes(at: 512, count: 1280, deallocate: true)
        #expect(try image.mapping(ofCluster: 1) == .zero(host: 0))
        #expect(try image.mapping(ofCluster: 2) == .zero(host: 0))
        #expect(try image.refcount(ofCluster: host / 512) == 0)
        let bytes = try image.read(at: 0, count: 2048)
        #expect(bytes == [UInt8](repeating: 7, count: 512) + [UInt8](repeating: 0, count: 1280) + [UInt8](repeating: 7, count: 256))
        #expect(try image.check().isClean)
    }

    @Test func refcountBlocksAreAddedAsTheFileGrows() throws {
        // 512-byte clusters and 16-bit refcounts: one refcount block covers 256 clusters (128 KiB).
        let scratch = try Scratch()
        let image = try Self.image(scratch)
        #expect(image.refcountTable.filter { $0 != 0 }.count == 1)
        var generator = Xorshift(seed: 5)
        var expected: [UInt64: [UInt8]] = [:]
        for cluster in stride(from: UInt64(0), to: 700, by: 1) {
            let bytes = generator.bytes(512)
            try image.write(bytes, at: cluster * 512)
            expected[cluster] = bytes
        }
        #expect(image.refcountTable.filter { $0 != 0 }.count >= 3)
        for (cluster, bytes) in expected where cluster % 37 == 0 {
            #expect(try image.read(at: cluster * 512, count: 512) == bytes)
        }
        let report = try image.check()
        #expect(report.isClean, "\(report.messages)")
        #expect(report.allocatedClusters == 700)
    }

    @Test func checkFindsALeakAndACorruptionAndRepairsThem() throws {
        let scratch = try Scratch()
        let image = try Self.image(scratch)
        try image.write([UInt8](repeating: 3, count: 1024), at: 0)
        guard case .data(let host, _) = try image.mapping(ofCluster: 0),
              case .data(let freed, _) = try image.mapping(ofCluster: 1) else { Issue.record("not allocated"); return }
        try image.discard(at: 512, count: 512)
        let leaked = freed / 512
        try image.setRefcount(ofCluster: leaked, to: 1, excluding: [])
        var report = try image.check()
        #expect(report.leaks == 1 && report.corruptions == 0)
        #expect(report.messages.contains("Leaked cluster \(leaked) refcount=1 reference=0"))
        try image.setRefcount(ofCluster: host / 512, to: 0, excluding: [])
        report = try image.check()
        #expect(report.corruptions == 1)
        #expect(report.messages.contains("ERROR cluster \(host / 512) refcount=0 reference=1"))
        report = try image.check(repair: .leaks)
        #expect(report.leaks == 0 && report.corruptions == 1, "-r leaks leaves corruptions")
        report = try image.check(repair: .all)
        #expect(report.isClean && report.repairedCorruptions == 1)
    }
}
