/// Big-endian field access over a byte array, for qcow2's on-disk structures (all big-endian,
/// qcow2 spec, "General"). Reads past the end give zero, so a short buffer never traps; callers
/// check lengths first where it matters.
extension Array where Element == UInt8 {
    func bigEndian(_ offset: Int, _ size: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<size {
            value = value << 8 | UInt64(offset + i < count ? self[offset + i] : 0)
        }
        return value
    }

    mutating func putBigEndian(_ value: UInt64, at offset: Int, _ size: Int) {
        for i in 0..<size { self[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(size - 1 - i))) }
    }
}

/// The qcow2 image header (qcow2 spec, "Header") and the header extensions this block layer
/// reads. Version 2 images have the first 72 bytes only; version 3 adds the feature bitmaps,
/// the refcount order and the header length.
public struct Qcow2Header: Equatable, Sendable {
    /// "QFI\xfb".
    public static let magic: UInt32 = 0x5146_49fb
    /// Bytes of a version-2 header, and of a version-3 header without the compression type.
    static let version2Length = 72
    static let version3MinimumLength = 104
    /// What QEMU writes: the version-3 header with the compression type, padded to 8.
    static let version3Length = 112

    /// Incompatible feature bits (spec, "incompatible_features").
    public enum Incompatible {
        public static let dirty: UInt64 = 1 << 0
        public static let corrupt: UInt64 = 1 << 1
        public static let externalDataFile: UInt64 = 1 << 2
        public static let compressionType: UInt64 = 1 << 3
        public static let extendedL2: UInt64 = 1 << 4
        /// What this block layer can open an image with.
        static let understood: UInt64 = dirty | corrupt | compressionType
    }

    /// Compatible feature bits: lazy refcounts (spec, "compatible_features").
    public static let lazyRefcounts: UInt64 = 1 << 0
    /// Autoclear bit 0: the bitmaps extension is consistent (spec, "autoclear_features"); a
    /// writer that does not know bitmaps clears it, and the bitmaps are then ignored.
    public static let bitmapsConsistent: UInt64 = 1 << 0

    /// Header extension types (spec, "Header extensions").
    enum Extension {
        static let end: UInt32 = 0
        static let backingFormat: UInt32 = 0xe279_2aca
        static let featureNameTable: UInt32 = 0x6803_f857
        static let bitmaps: UInt32 = 0x2385_2875
        static let fullDiskEncryption: UInt32 = 0x0537_be77
        static let externalDataFile: UInt32 = 0x4441_5441
    }

    /// QEMU's limits, which bound what an untrusted header can make us allocate: cluster sizes of
    /// 512 B to 2 MiB, an L1 table of at most 32 MiB, a refcount table of at most 8 MiB, a
    /// backing file name of at most 1023 bytes.
    public static let clusterBitsRange: ClosedRange<UInt32> = 9...21
    static let maximumL1Bytes: UInt64 = 32 << 20
    static let maximumRefcountTableBytes: UInt64 = 8 << 20
    static let maximumBackingNameLength: UInt32 = 1023

    public var version: UInt32 = 3
    public var backingFileOffset: UInt64 = 0
    public var backingFileSize: UInt32 = 0
    public var clusterBits: UInt32 = 16
    public var size: UInt64 = 0
    public var cryptMethod: UInt32 = 0
    public var l1Size: UInt32 = 0
    public var l1TableOffset: UInt64 = 0
    public var refcountTableOffset: UInt64 = 0
    public var refcountTableClusters: UInt32 = 0
    public var snapshotCount: UInt32 = 0
    public var snapshotsOffset: UInt64 = 0
    public var incompatibleFeatures: UInt64 = 0
    public var compatibleFeatures: UInt64 = 0
    public var autoclearFeatures: UInt64 = 0
    public var refcountOrder: UInt32 = 4
    public var headerLength: UInt32 = UInt32(version3Length)
    /// 0 zlib, 1 zstd (spec, "compression_type").
    public var compressionType: UInt8 = 0

    // From the header extensions and the backing file name.
    public var backingFile: String?
    public var backingFormat: String?
    /// The feature name table: (type 0 incompatible / 1 compatible / 2 autoclear, bit) -> name.
    public var featureNames: [FeatureKey: String] = [:]
    /// The bitmaps extension ("Bitmaps extension"), when present and marked consistent.
    public var bitmapsExtension: BitmapsExtension?
    /// Extensions this block layer does not interpret (others' own), kept as they are
    /// so that rewriting the header (a new backing file) does not drop them.
    public var otherExtensions: [RawExtension] = []

    public struct RawExtension: Equatable, Sendable {
        public let type: UInt32
        public let data: [UInt8]
    }

    /// Where the bitmap directory is: its entry count, size in bytes and offset.
    public struct BitmapsExtension: Equatable, Sendable {
        public var count: UInt32
        public var directorySize: UInt64
        public var directoryOffset: UInt64
        /// QEMU's limits: 65,535 bitmaps, a directory of at most 64 MiB.
        static let maximumCount: UInt32 = 65535
        static let maximumDirectorySize: UInt64 = 64 << 20
    }

    public struct FeatureKey: Hashable, Sendable {
        public let type: UInt8
        public let bit: UInt8
    }

    public var clusterSize: UInt64 { 1 << UInt64(clusterBits) }
    public var refcountBits: UInt64 { 1 << UInt64(refcountOrder) }

    public init() {}

    /// Parses and validates the header in the image's first cluster: everything that would make
    /// a later step allocate without bound or read outside `fileSize` is refused here.
    /// `readHeaderCluster` gives up to that many bytes from offset 0.
    static func parse(_ bytes: [UInt8], fileSize: UInt64, path: String) throws(StorageError) -> Qcow2Header {
        func corrupt(_ why: String) -> StorageError { StorageError(.corrupt, "qcow2 image '\(path)': \(why)") }
        guard bytes.count >= version2Length, UInt32(bytes.bigEndian(0, 4)) == magic else {
            throw StorageError(.invalid, "'\(path)' is not a qcow2 image (no QFI\\xfb magic)")
        }
        var h = Qcow2Header()
        h.version = UInt32(bytes.bigEndian(4, 4))
        guard h.version == 2 || h.version == 3 else {
            throw StorageError(.unsupported, "qcow2 image '\(path)' has version \(h.version); versions 2 and 3 are supported")
        }
        h.backingFileOffset = bytes.bigEndian(8, 8)
        h.backingFileSize = UInt32(bytes.bigEndian(16, 4))
        h.clusterBits = UInt32(bytes.bigEndian(20, 4))
        h.size = bytes.bigEndian(24, 8)
        h.cryptMethod = UInt32(bytes.bigEndian(32, 4))
        h.l1Size = UInt32(bytes.bigEndian(36, 4))
        h.l1TableOffset = bytes.bigEndian(40, 8)
        h.refcountTableOffset = bytes.bigEndian(48, 8)
        h.refcountTableClusters = UInt32(bytes.bigEndian(56, 4))
        h.snapshotCount = UInt32(bytes.bigEndian(60, 4))
        h.snapshotsOffset = bytes.bigEndian(64, 8)
        guard clusterBitsRange.contains(h.clusterBits) else {
            throw corrupt("cluster size 2^\(h.clusterBits) is outside 512 B to 2 MiB")
        }
        let cluster = h.clusterSize
        if h.version == 2 {
            h.headerLength = UInt32(version2Length)
            h.refcountOrder = 4
            h.incompatibleFeatures = 0
        } else {
            guard bytes.count >= version3MinimumLength else { throw corrupt("version 3 header is truncated") }
            h.incompatibleFeatures = bytes.bigEndian(72, 8)
            h.compatibleFeatures = bytes.bigEndian(80, 8)
            h.autoclearFeatures = bytes.bigEndian(88, 8)
            h.refcountOrder = UInt32(bytes.bigEndian(96, 4))
            h.headerLength = UInt32(bytes.bigEndian(100, 4))
            guard h.headerLength >= UInt32(version3MinimumLength), UInt64(h.headerLength) <= cluster,
                  Int(h.headerLength) <= bytes.count else {
                throw corrupt("header length \(h.headerLength) is outside 104 bytes to one cluster")
            }
            h.compressionType = h.headerLength > 104 ? UInt8(bytes.bigEndian(104, 1)) : 0
        }
        guard h.refcountOrder <= 6 else { throw corrupt("refcount order \(h.refcountOrder) is more than 6 (64-bit refcounts)") }
        guard h.cryptMethod == 0 else {
            throw StorageError(.unsupported, "qcow2 image '\(path)' is encrypted (method \(h.cryptMethod)); encrypted images are not supported")
        }

        try h.parseExtensions(bytes, path: path)

        // Unknown incompatible features make the image unreadable (spec: "MUST fail to open").
        let unknown = h.incompatibleFeatures & ~Incompatible.understood
        if unknown != 0 {
            let names = (0..<64).filter { unknown & (1 << UInt64($0)) != 0 }.map { bit in
                h.featureNames[FeatureKey(type: 0, bit: UInt8(bit))] ?? "Unknown incompatible feature: \(String(1 << UInt64(bit), radix: 16))"
            }
            throw StorageError(.unsupported, "qcow2 image '\(path)' uses unsupported feature(s): \(names.joined(separator: ", "))")
        }
        if h.incompatibleFeatures & Incompatible.compressionType != 0 || h.compressionType != 0 {
            switch h.compressionType {
            case 0 where h.incompatibleFeatures & Incompatible.compressionType == 0: break
            case 0: throw corrupt("the compression type bit is set with zlib compression")
            case 1:
                throw StorageError(.unsupported, "qcow2 image '\(path)' uses zstd compression, and this build has no zstd library")
            default: throw corrupt("unknown compression type \(h.compressionType)")
            }
            if h.incompatibleFeatures & Incompatible.compressionType == 0 { throw corrupt("compression type \(h.compressionType) without its feature bit") }
        }

        // Table placement: aligned, inside the file, and of bounded size.
        guard h.l1TableOffset % cluster == 0, h.refcountTableOffset % cluster == 0 else {
            throw corrupt("the L1 or refcount table is not cluster aligned")
        }
        guard UInt64(h.l1Size) * 8 <= maximumL1Bytes else { throw corrupt("L1 table of \(h.l1Size) entries is too large") }
        guard UInt64(h.refcountTableClusters) * cluster <= maximumRefcountTableBytes, h.refcountTableClusters > 0 else {
            throw corrupt("refcount table of \(h.refcountTableClusters) clusters is empty or too large")
        }
        guard h.l1TableOffset <= fileSize, UInt64(h.l1Size) * 8 <= fileSize - h.l1TableOffset else {
            throw corrupt("the L1 table at \(h.l1TableOffset) (\(h.l1Size) entries) is past the end of the file (\(fileSize) bytes)")
        }
        let refcountTableBytes = UInt64(h.refcountTableClusters) * cluster
        guard h.refcountTableOffset > 0, h.refcountTableOffset <= fileSize, refcountTableBytes <= fileSize - h.refcountTableOffset else {
            throw corrupt("the refcount table at \(h.refcountTableOffset) is past the end of the file (\(fileSize) bytes)")
        }
        // The L1 table must cover the virtual size (spec: l1_size ... entries); a size whose L1
        // table would exceed the limit is absurd.
        let bytesPerL2 = cluster * (cluster / 8)
        let (needed, overflow) = h.size.addingReportingOverflow(bytesPerL2 - 1)
        guard !overflow, h.size <= (1 << 62) else { throw corrupt("virtual size \(h.size) is absurd") }
        guard needed / bytesPerL2 <= UInt64(h.l1Size) else {
            throw corrupt("the L1 table (\(h.l1Size) entries) is too small for the virtual size \(h.size)")
        }
        if h.snapshotCount > 0 {
            guard h.snapshotsOffset % cluster == 0, h.snapshotsOffset < fileSize else { throw corrupt("the snapshot table is past the end of the file") }
        }

        if h.backingFileOffset != 0 {
            guard h.backingFileSize > 0, h.backingFileSize <= maximumBackingNameLength,
                  h.backingFileOffset <= UInt64(bytes.count), UInt64(h.backingFileSize) <= UInt64(bytes.count) - h.backingFileOffset else {
                throw corrupt("the backing file name (\(h.backingFileSize) bytes at \(h.backingFileOffset)) is not inside the first cluster")
            }
            let start = Int(h.backingFileOffset)
            h.backingFile = String(decoding: bytes[start ..< start + Int(h.backingFileSize)], as: UTF8.self)
        }
        return h
    }

    /// Header extensions sit between the header and the end of the first cluster, each
    /// 8-byte aligned (spec, "Header extensions").
    private mutating func parseExtensions(_ bytes: [UInt8], path: String) throws(StorageError) {
        var offset = Int(headerLength)
        let end = min(bytes.count, Int(clusterSize))
        while offset + 8 <= end {
            let type = UInt32(bytes.bigEndian(offset, 4)), length = Int(bytes.bigEndian(offset + 4, 4))
            offset += 8
            if type == Extension.end { return }
            guard length <= end - offset else {
                throw StorageError(.corrupt, "qcow2 image '\(path)': header extension 0x\(String(type, radix: 16)) runs past the first cluster")
            }
            let data = Array(bytes[offset ..< offset + length])
            switch type {
            case Extension.backingFormat:
                backingFormat = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
            case Extension.featureNameTable:
                // 48-byte entries: type, bit number, 46 bytes of NUL-padded name.
                for entry in stride(from: 0, to: length - 47, by: 48) {
                    let name = String(decoding: data[(entry + 2) ..< (entry + 48)].prefix { $0 != 0 }, as: UTF8.self)
                    featureNames[FeatureKey(type: data[entry], bit: data[entry + 1])] = name
                }
            case Extension.externalDataFile:
                break  // Refused through its incompatible bit.
            case Extension.bitmaps:
                guard autoclearFeatures & Self.bitmapsConsistent != 0 else {
                    // Written by a program that does not know bitmaps: they are inconsistent and,
                    // as in QEMU, dropped (their clusters leak until a repair).
                    break
                }
                guard length == 24 else {
                    throw StorageError(.corrupt, "qcow2 image '\(path)': the bitmaps extension is \(length) bytes, not 24")
                }
                let bitmaps = BitmapsExtension(count: UInt32(data.bigEndian(0, 4)), directorySize: data.bigEndian(8, 8),
                                               directoryOffset: data.bigEndian(16, 8))
                guard bitmaps.count >= 1, bitmaps.count <= BitmapsExtension.maximumCount, data.bigEndian(4, 4) == 0,
                      bitmaps.directorySize >= UInt64(bitmaps.count) * 24, bitmaps.directorySize <= BitmapsExtension.maximumDirectorySize,
                      bitmaps.directoryOffset % clusterSize == 0, bitmaps.directoryOffset > 0 else {
                    throw StorageError(.corrupt, "qcow2 image '\(path)': the bitmaps extension (\(bitmaps.count) bitmaps, a directory of \(bitmaps.directorySize) bytes at \(bitmaps.directoryOffset)) is malformed")
                }
                bitmapsExtension = bitmaps
            case Extension.fullDiskEncryption:
                throw StorageError(.unsupported, "qcow2 image '\(path)' has a LUKS encryption header; encrypted images are not supported")
            default:
                // Unknown extensions are ignored (spec: "must be ignored" unless known), and kept.
                otherExtensions.append(RawExtension(type: type, data: data))
            }
            offset += (length + 7) & ~7
        }
    }

    /// QEMU's feature name table, which qemu-img writes into every version-3 image.
    static let standardFeatureNames: [(UInt8, UInt8, String)] = [
        (0, 0, "dirty bit"), (0, 1, "corrupt bit"), (0, 2, "external data file"), (0, 3, "compression type"),
        (0, 4, "extended L2 entries"), (1, 0, "lazy refcounts"), (2, 0, "bitmaps"), (2, 1, "raw external data"),
    ]

    /// The first cluster of an image: this header, its extensions (backing format, feature
    /// name table, the kept ones) and the backing file name after them; nil when they do not
    /// fit in one cluster. The feature name table is only a help for error messages, so (as
    /// QEMU does) it is left out when the rest would not fit with it.
    func serialized() -> [UInt8]? {
        serialized(featureNameTable: version >= 3) ?? serialized(featureNameTable: false)
    }

    private func serialized(featureNameTable: Bool) -> [UInt8]? {
        var table: [UInt8] = []
        if featureNameTable {
            for (type, bit, name) in Self.standardFeatureNames {
                table += [type, bit] + Array(name.utf8) + [UInt8](repeating: 0, count: 46 - name.utf8.count)
            }
        }
        var bitmapsData: [(UInt32, [UInt8])] = []
        if let bitmapsExtension {
            var data = [UInt8](repeating: 0, count: 24)
            data.putBigEndian(UInt64(bitmapsExtension.count), at: 0, 4)
            data.putBigEndian(bitmapsExtension.directorySize, at: 8, 8)
            data.putBigEndian(bitmapsExtension.directoryOffset, at: 16, 8)
            bitmapsData = [(Extension.bitmaps, data)]
        }
        let extensions: [(UInt32, [UInt8])] = (backingFormat.map { [(Extension.backingFormat, Array($0.utf8))] } ?? [])
            + (featureNameTable ? [(Extension.featureNameTable, table)] : []) + bitmapsData + otherExtensions.map { ($0.type, $0.data) }
        let start = version >= 3 ? Int(headerLength) : Self.version2Length
        let name = backingFile.map { Array($0.utf8) } ?? []
        let needed = start + extensions.reduce(8) { $0 + 8 + ($1.1.count + 7) & ~7 } + name.count
        guard needed <= Int(clusterSize) else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(clusterSize))
        bytes.putBigEndian(UInt64(Self.magic), at: 0, 4)
        bytes.putBigEndian(UInt64(version), at: 4, 4)
        bytes.putBigEndian(UInt64(clusterBits), at: 20, 4)
        bytes.putBigEndian(size, at: 24, 8)
        bytes.putBigEndian(UInt64(cryptMethod), at: 32, 4)
        bytes.putBigEndian(UInt64(l1Size), at: 36, 4)
        bytes.putBigEndian(l1TableOffset, at: 40, 8)
        bytes.putBigEndian(refcountTableOffset, at: 48, 8)
        bytes.putBigEndian(UInt64(refcountTableClusters), at: 56, 4)
        bytes.putBigEndian(UInt64(snapshotCount), at: 60, 4)
        bytes.putBigEndian(snapshotsOffset, at: 64, 8)
        if version >= 3 {
            bytes.putBigEndian(incompatibleFeatures, at: 72, 8)
            bytes.putBigEndian(compatibleFeatures, at: 80, 8)
            bytes.putBigEndian(autoclearFeatures, at: 88, 8)
            bytes.putBigEndian(UInt64(refcountOrder), at: 96, 4)
            bytes.putBigEndian(UInt64(headerLength), at: 100, 4)
            bytes[104] = compressionType
        }
        var offset = start
        for (type, data) in extensions + [(Extension.end, [])] {
            bytes.putBigEndian(UInt64(type), at: offset, 4)
            bytes.putBigEndian(UInt64(data.count), at: offset + 4, 4)
            bytes.replaceSubrange(offset + 8 ..< offset + 8 + data.count, with: data)
            offset += 8 + (data.count + 7) & ~7
        }
        if !name.isEmpty {
            bytes.putBigEndian(UInt64(offset), at: 8, 8)
            bytes.putBigEndian(UInt64(name.count), at: 16, 4)
            bytes.replaceSubrange(offset ..< offset + name.count, with: name)
        }
        return bytes
    }
}
