import Foundation
import Testing
import TestSupport
@testable import Storage

/// Images made by qemu-img and written by our driver are clean under `qemu-img check` and hold
/// what we wrote (`qemu-img compare` against a raw mirror of the same writes); images we make are
/// read by qemu-img and qemu-io; `info` agrees with qemu-img's on the keys both have.
@Suite(.requires(.qemuImageTools)) struct Qcow2InteropTests {
    /// Random writes, write-zeroes and discards of random sizes, applied to the image and to a
    /// raw mirror file (for which discard writes zeros: the qcow2 driver's discard without a
    /// backing file makes clusters read as zeros, and partial clusters are left alone, so the
    /// mirror takes only whole clusters).
    static func exercise(_ image: any BlockDriver, mirror: String, seed: UInt64, clusterSize: UInt64, operations: Int = 200) throws {
        let raw = try openImage(mirror, format: .raw)
        var generator = Xorshift(seed: seed)
        let size = image.virtualSize
        for operation in 0..<operations {
            if operation % 50 == 49 { try image.flush() }
            let offset = generator.below(size)
            let count = min(generator.below(3 * clusterSize) + 1, size - offset)
            switch generator.below(10) {
            case 0:
                try image.writeZeroes(at: offset, count: count, deallocate: generator.below(2) == 0)
                try raw.writeZeroes(at: offset, count: count, deallocate: false)
            case 1:
                try image.discard(at: offset, count: count)
                // Only whole clusters are discarded, and they then read as zeros.
                let first = (offset + clusterSize - 1) / clusterSize * clusterSize
                let last = (offset + count) / clusterSize * clusterSize
                if last > first { try raw.writeZeroes(at: first, count: last - first, deallocate: false) }
            default:
                let bytes = generator.bytes(Int(count))
                try image.write(bytes, at: offset)
                try raw.write(bytes, at: offset)
            }
        }
        try image.flush()
    }

    static func expectCleanAndEqual(_ image: String, _ mirror: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let check = try qemuImg("check", image)
        #expect(check.status == 0, "qemu-img check: \(check.stdout)\(check.stderr)", sourceLocation: sourceLocation)
        let compare = try qemuImg("compare", "-f", "raw", "-F", "qcow2", mirror, image)
        #expect(compare.status == 0, "qemu-img compare: \(compare.stdout)\(compare.stderr)", sourceLocation: sourceLocation)
    }

    @Test(arguments: ["65536", "512"])
    func qemuMadeImageWrittenByUsIsCleanAndHoldsOurWrites(clusterSize: String) throws {
        let scratch = try Scratch()
        let image = scratch.path("q.qcow2"), mirror = scratch.path("mirror.raw")
        #expect(try qemuImg("create", "-q", "-f", "qcow2", "-o", "cluster_size=\(clusterSize)", image, "3M").status == 0)
        try ImageTool.createRaw(mirror, size: 3 << 20)
        do {
            // cache=writeback: L2 entries and frees wait for flushes and for the close.
            let driver = try openImage(image, format: .qcow2, cache: .writeback)
            try Self.exercise(driver, mirror: mirror, seed: 11, clusterSize: UInt64(clusterSize)!)
        }
        try Self.expectCleanAndEqual(image, mirror)
    }

    @Test(arguments: ["refcount_bits=1", "refcount_bits=64", "compat=0.10"])
    func unusualRefcountWidthsAndVersionTwo(options: String) throws {
        let scratch = try Scratch()
        let image = scratch.path("q.qcow2"), mirror = scratch.path("mirror.raw")
        #expect(try qemuImg("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096," + options, image, "1M").status == 0)
        try ImageTool.createRaw(mirror, size: 1 << 20)
        do {
            let driver = try openImage(image, format: .qcow2)
            try Self.exercise(driver, mirror: mirror, seed: 3, clusterSize: 4096, operations: 120)
        }
        try Self.expectCleanAndEqual(image, mirror)
    }

    @Test func overlayOnAQemuBaseCopiesOnWriteAndLeavesTheBaseAlone() throws {
        let scratch = try Scratch()
        let base = scratch.path("base.qcow2"), overlay = scratch.path("overlay.qcow2"), mirror = scratch.path("mirror.raw")
        #expect(try qemuImg("create", "-q", "-f", "qcow2", base, "2M").status == 0)
        #expect(try qemuIO("-f", "qcow2", "-c", "write -P 0x5a 0 2M", base).status == 0)
        #expect(try qemuImg("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", overlay).status == 0)
        #expect(try qemuImg("convert", "-O", "raw", base, mirror).status == 0)
        let baseBefore = try readFile(base)
        do {
            let driver = try openImage(overlay, format: .qcow2, cache: .writeback)
            // A partial write inside a base cluster: the rest of the cluster comes from the base.
            try driver.write([1, 2, 3], at: 70000)
            try openImage(mirror, format: .raw).write([1, 2, 3], at: 70000)
            try Self.exercise(driver, mirror: mirror, seed: 21, clusterSize: 65536, operations: 60)
        }
        try Self.expectCleanAndEqual(overlay, mirror)
        #expect(try readFile(base) == baseBefore, "the base image changed")
        #expect(try qemuImg("check", base).status == 0)
    }

    @Test func imagesWeMakeAreReadByQemu() throws {
        let scratch = try Scratch()
        let image = scratch.path("ours.qcow2"), mirror = scratch.path("mirror.raw"), converted = scratch.path("converted.raw")
        try ImageTool.createQcow2(image, size: 5 << 20)
        try ImageTool.createRaw(mirror, size: 5 << 20)
        do {
            let driver = try openImage(image, format: .qcow2)
            try Self.exercise(driver, mirror: mirror, seed: 99, clusterSize: 65536, operations: 100)
            try driver.write([UInt8](repeating: 0x6b, count: 65536), at: 1 << 20)
            try openImage(mirror, format: .raw).write([UInt8](repeating: 0x6b, count: 65536), at: 1 << 20)
        }
        #expect(try qemuImg("check", image).status == 0)
        #expect(try qemuImg("convert", "-f", "qcow2", "-O", "raw", image, converted).status == 0)
        #expect(try readFile(converted) == readFile(mirror))
        let read = try qemuIO("-f", "qcow2", "-r", "-c", "read -P 0x6b 1M 4k", image)
        #expect(read.status == 0 && !read.stdout.contains("Pattern verification failed"), "\(read.stdout)")
    }

    @Test func compressedImagesReadBackIdentical() throws {
        let scratch = try Scratch()
        let source = scratch.path("source.raw"), compressed = scratch.path("c.qcow2")
        var generator = Xorshift(seed: 8)
        // Compressible text with some random runs, and an all-zero stretch.
        var bytes: [UInt8] = []
        while bytes.count < 3 << 20 {
            bytes += Array("block \(bytes.count) of a compressible image\n".utf8)
            if generator.below(50) == 0 { bytes += generator.bytes(3000) }
            if generator.below(400) == 0 { bytes += [UInt8](repeating: 0, count: 70000) }
        }
        bytes = Array(bytes.prefix(3 << 20))
        try writeFile(source, bytes)
        #expect(try qemuImg("convert", "-c", "-f", "raw", "-O", "qcow2", source, compressed).status == 0)
        let image = try #require(try openImage(compressed, readOnly: true, format: .qcow2) as? Qcow2Image)
        #expect(try image.read(at: 0, count: bytes.count) == bytes)
        // Unaligned reads across compressed clusters.
        #expect(try image.read(at: 65000, count: 200_000) == Array(bytes[65000 ..< 265_000]))
        #expect(try image.check().compressedClusters > 0)
    }

    @Test func writingOverCompressedClustersKeepsTheImageClean() throws {
        let scratch = try Scratch()
        let source = scratch.path("source.raw"), compressed = scratch.path("c.qcow2")
        let bytes = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 / 7) }
        try writeFile(source, bytes)
        #expect(try qemuImg("convert", "-c", "-f", "raw", "-O", "qcow2", source, compressed).status == 0)
        do {
            let image = try openImage(compressed, format: .qcow2)
            try image.write([0xee, 0xee], at: 100_000)
            var expected = bytes
            expected[100_000] = 0xee
            expected[100_001] = 0xee
            #expect(try image.read(at: 0, count: bytes.count) == expected)
            try image.discard(at: 0, count: 65536)
        }
        let check = try qemuImg("check", compressed)
        #expect(check.status == 0, "\(check.stdout)")
    }

    @Test func infoAgreesWithQemuImg() throws {
        let scratch = try Scratch()
        let base = scratch.path("base.qcow2"), overlay = scratch.path("overlay.qcow2"), raw = scratch.path("r.img")
        try ImageTool.createQcow2(base, size: 7 << 20, clusterSize: 4096)
        try ImageTool.createQcow2(overlay, size: nil, backingFile: "base.qcow2", backingFormat: .qcow2)
        try ImageTool.createRaw(raw, size: 1 << 20)
        for path in [base, overlay, raw] {
            let theirs = try qemuImg("info", "--output=json", path)
            #expect(theirs.status == 0)
            let their = try #require(try JSONSerialization.jsonObject(with: Data(theirs.stdout.utf8)) as? [String: Any])
            let our = try #require(try JSONSerialization.jsonObject(with: Data(try ImageTool.info(path).json.utf8)) as? [String: Any])
            for key in ["virtual-size", "filename", "cluster-size", "format", "backing-filename", "backing-filename-format",
                        "full-backing-filename", "dirty-flag"] {
                #expect(their[key].map { "\($0)" } == our[key].map { "\($0)" }, "\(path): \(key)")
            }
            let theirData = (their["format-specific"] as? [String: Any])?["data"] as? [String: Any]
            let ourData = (our["format-specific"] as? [String: Any])?["data"] as? [String: Any]
            #expect(theirData?.keys.sorted() == ourData?.keys.sorted())
            for (key, value) in theirData ?? [:] { #expect("\(value)" == "\(ourData?[key] ?? "none")", "\(path): \(key)") }
        }
    }

    @Test func checkAgreesWithQemuImgOnLeaksAndCorruptions() throws {
        let scratch = try Scratch()
        let path = scratch.path("a.qcow2")
        try ImageTool.createQcow2(path, size: 1 << 20, clusterSize: 4096)
        var host: UInt64 = 0
        do {
            let image = try #require(try openImage(path) as? Qcow2Image)
            try image.write([UInt8](repeating: 1, count: 8192), at: 0)
            guard case .data(let data, _) = try image.mapping(ofCluster: 1) else { Issue.record("not allocated"); return }
            host = data
            try image.discard(at: 4096, count: 4096)
            try image.setRefcount(ofCluster: host / 4096, to: 1, excluding: [])
        }
        #expect(try qemuImg("check", path).status == 3, "one leak: exit 3")
        do {
            let image = try #require(try openImage(path, readOnly: true) as? Qcow2Image)
            #expect(try image.check().leaks == 1)
        }
        #expect(try qemuImg("check", "-r", "leaks", path).status == 0)
        do {
            let image = try #require(try openImage(path) as? Qcow2Image)
            guard case .data(let data, _) = try image.mapping(ofCluster: 0) else { Issue.record("not allocated"); return }
            try image.setRefcount(ofCluster: data / 4096, to: 0, excluding: [])
            #expect(try image.check().corruptions == 1)
        }
        #expect(try qemuImg("check", path).status == 2, "one corruption: exit 2")
    }

    @Test func aSecondWriterIsRefusedAsQemuRefusesIt() throws {
        let scratch = try Scratch()
        let path = scratch.path("a.qcow2")
        try ImageTool.createQcow2(path, size: 1 << 20)
        let first = try openImage(path)
        #expect(throws: StorageError.self) { _ = try openImage(path) }
        do {
            _ = try openImage(path)
        } catch let error as StorageError {
            #expect(error.kind == .locked)
            #expect(error.description.contains("Failed to get \"write\" lock"), "\(error.description)")
        }
        // QEMU sees our lock, and says the same.
        let qemu = try qemuIO("-f", "qcow2", "-c", "read 0 512", path)
        #expect(qemu.status != 0 && qemu.stderr.contains("Failed to get \"write\" lock"), "\(qemu.stderr)")
        // A reader is refused too: it does not share write, and we write; -U (no lock) may look.
        expectRefusal("Failed to get shared \"write\" lock") { _ = try openImage(path, readOnly: true) }
        #expect(try ImageTool.info(path, forceShare: true).virtualSize == 1 << 20)
        #expect(try qemuImg("info", "-U", path).status == 0)
        #expect(try qemuImg("info", path).stderr.contains("Failed to get shared \"write\" lock"))
        _ = first
        _ = try first.read(at: 0, count: 1)
    }
}
