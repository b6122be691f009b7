import Foundation
import Testing
import TestSupport
@testable import Storage

/// commit and rebase with qemu-img's meanings, checked by qemu-img itself: the guest sees the
/// same disk before and after (`qemu-img compare` against a raw copy taken before), every image
/// is clean under `qemu-img check`, and the headers name what `qemu-img info` shows.
@Suite(.requires(.qemuImageTools)) struct BackingChainTests {
    /// base (0x11 everywhere) under top, into which qemu-io writes data, a zeroed range and a
    /// partial cluster; `before` is top's guest view as raw, taken by qemu-img.
    struct Chain {
        let scratch: Scratch
        var base: String { scratch.path("base.qcow2") }
        var top: String { scratch.path("top.qcow2") }
        var before: String { scratch.path("before.raw") }

        init() throws {
            scratch = try Scratch()
            #expect(try qemuImg("create", "-q", "-f", "qcow2", scratch.path("base.qcow2"), "4M").status == 0)
            #expect(try qemuIO("-f", "qcow2", "-c", "write -P 0x11 0 4M", scratch.path("base.qcow2")).status == 0)
            #expect(try qemuImg("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", scratch.path("top.qcow2")).status == 0)
            #expect(try qemuIO("-f", "qcow2", "-c", "write -P 0x22 64k 128k", "-c", "write -z 1M 64k", "-c", "write -P 0x23 2M 1000",
                               scratch.path("top.qcow2")).status == 0)
            #expect(try qemuImg("convert", "-O", "raw", scratch.path("top.qcow2"), scratch.path("before.raw")).status == 0)
        }

        func expectSameDisk(_ image: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let compare = try qemuImg("compare", "-f", "raw", "-F", "qcow2", before, image)
            #expect(compare.status == 0, "qemu-img compare: \(compare.stdout)\(compare.stderr)", sourceLocation: sourceLocation)
        }

        func expectClean(_ image: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let check = try qemuImg("check", image)
            #expect(check.status == 0, "qemu-img check \(image): \(check.stdout)\(check.stderr)", sourceLocation: sourceLocation)
        }
    }

    @Test func allocatedRangesAreWhatQemuImgMapsToTheTop() throws {
        let chain = try Chain()
        let image = try #require(try openImage(chain.top, readOnly: true) as? Qcow2Image)
        // 64k-192k data, 1M-1M+64k zero, the cluster holding 2M..2M+1000.
        #expect(try image.allocatedRanges() == [0x10000 ..< 0x30000, 0x100000 ..< 0x110000, 0x200000 ..< 0x210000])
    }

    /// The base then reads as the top did, the top is emptied (all of it reads through), and
    /// with -d the top keeps its clusters.
    @Test(arguments: [false, true]) func commitMovesTheTopsDataIntoTheBase(keepTop: Bool) throws {
        let chain = try Chain()
        try ImageTool.commit(chain.top, keepTop: keepTop)
        try chain.expectSameDisk(chain.base)
        try chain.expectSameDisk(chain.top)
        try chain.expectClean(chain.base)
        try chain.expectClean(chain.top)
        let top = try #require(try openImage(chain.top, readOnly: true) as? Qcow2Image)
        #expect(try top.allocatedRanges().isEmpty != keepTop)
    }

    /// A top grown past its base (qemu-img resize) with data on both sides of the base's end: the
    /// commit is refused before it writes anything, so the base keeps every byte it had.
    @Test func commitPastTheBasesEndIsRefusedBeforeTheFirstWrite() throws {
        let chain = try Chain()
        #expect(try qemuImg("resize", "-q", chain.top, "8M").status == 0)
        #expect(try qemuIO("-f", "qcow2", "-c", "write -P 0x33 6M 64k", chain.top).status == 0)
        let baseBefore = try readFile(chain.base)
        #expect(throws: StorageError.self) { try ImageTool.commit(chain.top) }
        #expect(try readFile(chain.base) == baseBefore)
        try chain.expectClean(chain.base)
    }

    /// Onto another base (different bytes in the first half, zeros after): everything the old
    /// base gave that the new one does not is copied into the top; qemu-img sees the same disk
    /// and the new backing file. Then onto no backing file at all.
    @Test func rebaseKeepsTheGuestsDiskWhateverTheNewBackingFileHolds() throws {
        let chain = try Chain()
        let other = chain.scratch.path("other.qcow2")
        #expect(try qemuImg("create", "-q", "-f", "qcow2", other, "4M").status == 0)
        #expect(try qemuIO("-f", "qcow2", "-c", "write -P 0x11 0 1M", "-c", "write -P 0x33 1M 1M", other).status == 0)
        try ImageTool.rebase(chain.top, newBacking: "other.qcow2", newBackingFormat: .qcow2)
        try chain.expectSameDisk(chain.top)
        try chain.expectClean(chain.top)
        let info = try qemuImg("info", chain.top)
        #expect(info.stdout.contains("backing file: other.qcow2") && info.stdout.contains("backing file format: qcow2"), "\(info.stdout)")
        do {
            // The first megabyte is the same in both bases: nothing there needed copying.
            let top = try #require(try openImage(chain.top, readOnly: true) as? Qcow2Image)
            #expect(try top.allocatedRanges().first == 0x10000 ..< 0x30000)
        }
        try ImageTool.rebase(chain.top, newBacking: "")
        try chain.expectSameDisk(chain.top)
        try chain.expectClean(chain.top)
        #expect(try #require(try openImage(chain.top, readOnly: true) as? Qcow2Image).header.backingFile == nil)
    }

    /// -u changes only the header: the top then reads through the new file, as with qemu-img -u.
    @Test func unsafeRebaseOnlyRenamesTheBackingFile() throws {
        let chain = try Chain()
        #expect(try qemuImg("create", "-q", "-f", "qcow2", chain.scratch.path("zeros.qcow2"), "4M").status == 0)
        try ImageTool.rebase(chain.top, newBacking: "zeros.qcow2", unsafe: true)
        try chain.expectClean(chain.top)
        let image = try #require(try openImage(chain.top, readOnly: true) as? Qcow2Image)
        #expect(image.header.backingFile == "zeros.qcow2" && image.header.backingFormat == "qcow2")
        #expect(try image.read(at: 0, count: 16) == [UInt8](repeating: 0, count: 16))
        #expect(try image.read(at: 0x10000, count: 4) == [0x22, 0x22, 0x22, 0x22])
    }

    /// Header extensions we do not interpret survive a header rewrite; as QEMU does, the feature
    /// name table is left out where it would not fit beside the backing file name; and a name
    /// too long for the header cluster is refused with the header unchanged.
    @Test func rewritingTheHeaderKeepsUnknownExtensionsAndRefusesWhatDoesNotFit() throws {
        let scratch = try Scratch()
        func onDisk(_ image: String, _ clusterSize: Int) throws -> Qcow2Header {
            let bytes = try readFile(image)
            return try Qcow2Header.parse(Array(bytes.prefix(clusterSize)), fileSize: UInt64(bytes.count), path: image)
        }
        let large = scratch.path("large.qcow2")
        #expect(try qemuImg("create", "-q", "-f", "qcow2", "-o", "cluster_size=4096", large, "1M").status == 0)
        var header = try onDisk(large, 4096)
        header.otherExtensions = [.init(type: 0x1234_5678, data: [1, 2, 3])]
        let handle = try #require(FileHandle(forUpdatingAtPath: large))
        try handle.write(contentsOf: Data(try #require(header.serialized())))
        try handle.close()
        do { try #require(try openImage(large) as? Qcow2Image).setBackingFile("b.qcow2", format: "qcow2") }
        let rewritten = try onDisk(large, 4096)
        #expect(rewritten.backingFile == "b.qcow2" && rewritten.backingFormat == "qcow2")
        #expect(rewritten.otherExtensions == [.init(type: 0x1234_5678, data: [1, 2, 3])])
        #expect(rewritten.featureNames.count == Qcow2Header.standardFeatureNames.count)

        let small = scratch.path("small.qcow2")
        #expect(try qemuImg("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", small, "1M").status == 0)
        do {
            let opened = try #require(try openImage(small) as? Qcow2Image)
            try opened.setBackingFile(String(repeating: "y", count: 100), format: "qcow2")
            // 112 bytes of header, the format extension, the end marker and 400 bytes of name: over 512.
            #expect(throws: StorageError.self) { try opened.setBackingFile(String(repeating: "z", count: 400), format: "qcow2") }
        }
        let kept = try onDisk(small, 512)
        #expect(kept.backingFile == String(repeating: "y", count: 100))
        #expect(kept.featureNames.isEmpty)
    }
}
