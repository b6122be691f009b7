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
}
