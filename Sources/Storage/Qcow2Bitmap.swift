/// A persistent dirty bitmap (qcow2 spec, "Bitmaps"): one bit per `granularity` bytes of the
/// virtual disk, set when that range was written while the bitmap was enabled. Incremental
/// backup and migration copy only the set ranges (changed-block tracking).
public struct Qcow2Bitmap: Sendable {
    public internal(set) var name: String
    public internal(set) var granularityBits: UInt8
    /// The directory entry's flags as this image will store them (`in_use` aside).
    var flags: UInt32
    /// Where the stored bits are: the bitmap table (0: none stored yet).
    var tableOffset: UInt64
    var tableSize: UInt32
    /// Type-specific extra data, kept as it is (only when the entry says it is compatible).
    var extraData: [UInt8]
    /// The bits, once loaded (bit k of the disk is bit k % 8, least significant first, of byte
    /// k / 8: "Bitmap data"); nil while only the stored table holds them.
    var bits: [UInt8]?
    /// The loaded bits differ from the stored ones: the next store writes a new table.
    var modified = false
    /// Found with `in_use` set when the image was opened: a writer did not store it (a crash),
    /// so its bits cannot be trusted. It can only be removed, as in QEMU.
    public internal(set) var inconsistent: Bool

    /// Directory entry flags ("Bitmap directory").
    enum Flag {
        static let inUse: UInt32 = 1 << 0
        static let auto: UInt32 = 1 << 1
        static let extraDataCompatible: UInt32 = 1 << 2
        static let known: UInt32 = inUse | auto | extraDataCompatible
    }
    /// Dirty tracking, the only bitmap type (entry byte 16).
    static let dirtyTrackingType: UInt8 = 1
    /// QEMU's limits: granularity 512 B to 2 GiB, names of 1 to 1023 bytes, bitmap tables of at
    /// most 2^27 entries. The bits of one bitmap are held in memory, so this layer also refuses
    /// to load more than 64 MiB of them (a 256 TiB disk at 64 KiB granularity).
    public static let granularityBitsRange: ClosedRange<UInt8> = 9...31
    static let maximumNameLength = 1023
    static let maximumTableEntries: UInt32 = 0x800_0000
    static let maximumLoadedBytes: UInt64 = 64 << 20
    static let entryFixedLength = 24

    public var granularity: UInt64 { 1 << UInt64(granularityBits) }
    /// "auto": the bitmap is enabled and records every write.
    public var enabled: Bool { flags & Flag.auto != 0 }

    /// Bytes of bits for a disk of `size` bytes, and the bitmap table entries that hold them.
    static func dataBytes(size: UInt64, granularityBits: UInt8) -> UInt64 {
        let bitCount = (size + (1 << UInt64(granularityBits)) - 1) >> UInt64(granularityBits)
        return (bitCount + 7) / 8
    }

    static func tableEntries(size: UInt64, granularityBits: UInt8, clusterSize: UInt64) -> UInt64 {
        (dataBytes(size: size, granularityBits: granularityBits) + clusterSize - 1) / clusterSize
    }

    /// The directory entry, padded to 8; `inUse` sets the flag a writer keeps while it holds
    /// the bits in memory.
    func directoryEntry(inUse: Bool) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.entryFixedLength)
        bytes.putBigEndian(tableOffset, at: 0, 8)
        bytes.putBigEndian(UInt64(tableSize), at: 8, 4)
        let stored = (flags & ~Flag.inUse) | (inUse || inconsistent ? Flag.inUse : 0)
        bytes.putBigEndian(UInt64(stored), at: 12, 4)
        bytes[16] = Self.dirtyTrackingType
        bytes[17] = granularityBits
        bytes.putBigEndian(UInt64(name.utf8.count), at: 18, 2)
        bytes.putBigEndian(UInt64(extraData.count), at: 20, 4)
        bytes += extraData + Array(name.utf8)
        bytes += [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
        return bytes
    }

    /// Reads and checks the bitmap directory the header names: every entry well formed, its
    /// table of the size the disk and granularity need, aligned and inside the file; names
    /// unique. The bits themselves are read only when needed (`loadBits`).
    static func readDirectory(_ header: Qcow2Header, file: HostFile, fileSize: UInt64, path: String) throws(StorageError) -> [Qcow2Bitmap] {
        guard let ext = header.bitmapsExtension else { return [] }
        func corrupt(_ why: String) -> StorageError { StorageError(.corrupt, "qcow2 image '\(path)': \(why)") }
        guard ext.directoryOffset <= fileSize, ext.directorySize <= fileSize - ext.directoryOffset else {
            throw corrupt("the bitmap directory at \(ext.directoryOffset) (\(ext.directorySize) bytes) is past the end of the file (\(fileSize) bytes)")
        }
        let directory = try file.read(at: ext.directoryOffset, count: Int(ext.directorySize))
        var bitmaps: [Qcow2Bitmap] = []
        var offset = 0
        for number in 0..<Int(ext.count) {
            guard offset + entryFixedLength <= directory.count else { throw corrupt("bitmap directory entry \(number) runs past the directory") }
            let nameLength = Int(directory.bigEndian(offset + 18, 2)), extraLength = Int(directory.bigEndian(offset + 20, 4))
            let flags = UInt32(directory.bigEndian(offset + 12, 4))
            let type = directory[offset + 16], granularityBits = directory[offset + 17]
            guard extraLength <= directory.count, offset + entryFixedLength + extraLength + nameLength <= directory.count else {
                throw corrupt("bitmap directory entry \(number) runs past the directory")
            }
            let extraStart = offset + entryFixedLength
            let name = String(decoding: directory[(extraStart + extraLength) ..< (extraStart + extraLength + nameLength)], as: UTF8.self)
            guard nameLength >= 1, nameLength <= maximumNameLength else { throw corrupt("bitmap \(number) has a name of \(nameLength) bytes") }
            guard type == dirtyTrackingType else { throw corrupt("bitmap '\(name)' has type \(type); only dirty tracking (1) is defined") }
            guard granularityBitsRange.contains(granularityBits) else {
                throw StorageError(.unsupported, "qcow2 image '\(path)': bitmap '\(name)' has granularity 2^\(granularityBits), outside 512 B to 2 GiB")
            }
            guard flags & ~Flag.known == 0 else { throw corrupt("bitmap '\(name)' has reserved flags 0x\(String(flags, radix: 16))") }
            if extraLength > 0 && flags & Flag.extraDataCompatible == 0 {
                throw StorageError(.unsupported, "qcow2 image '\(path)': bitmap '\(name)' has extra data this block layer does not know")
            }
            let tableOffset = directory.bigEndian(offset, 8), tableSize = UInt32(directory.bigEndian(offset + 8, 4))
            let expected = tableEntries(size: header.size, granularityBits: granularityBits, clusterSize: header.clusterSize)
            guard UInt64(tableSize) == expected, tableSize <= maximumTableEntries else {
                throw corrupt("bitmap '\(name)' has a table of \(tableSize) entries; the disk and granularity need \(expected)")
            }
            guard tableOffset % header.clusterSize == 0, tableOffset > 0 || tableSize == 0, tableOffset <= fileSize,
                  UInt64(tableSize) * 8 <= fileSize - tableOffset else {
                throw corrupt("bitmap '\(name)' has a table at \(tableOffset) that is unaligned or past the end of the file")
            }
            guard !bitmaps.contains(where: { $0.name == name }) else { throw corrupt("two bitmaps are named '\(name)'") }
            bitmaps.append(Qcow2Bitmap(
                name: name, granularityBits: granularityBits, flags: flags & ~Flag.inUse, tableOffset: tableOffset, tableSize: tableSize,
                extraData: Array(directory[extraStart ..< extraStart + extraLength]), bits: nil, inconsistent: flags & Flag.inUse != 0))
            offset = (extraStart + extraLength + nameLength + 7) & ~7
        }
        guard offset >= directory.count || directory.count - offset < 8 else {
            throw corrupt("the bitmap directory holds more than its \(ext.count) entries")
        }
        return bitmaps
    }
}

// MARK: Bitmaps in an open image

extension Qcow2Image {
    /// The bitmap table of a stored bitmap, each entry checked ("Bitmap table").
    func bitmapTable(_ bitmap: Qcow2Bitmap) throws(StorageError) -> [UInt64] {
        guard bitmap.tableSize > 0 else { return [] }
        let bytes = try file.read(at: bitmap.tableOffset, count: Int(bitmap.tableSize) * 8)
        var table: [UInt64] = []
        table.reserveCapacity(Int(bitmap.tableSize))
        for index in 0..<Int(bitmap.tableSize) {
            let entry = bytes.bigEndian(index * 8, 8)
            let host = entry & Self.offsetMask
            // Bits 1-8 and 56-63 reserved; bit 0 ("all ones") only without an offset.
            guard entry & 0xff00_0000_0000_01fe == 0, host == 0 || entry & 1 == 0 else {
                throw corrupt("bitmap '\(bitmap.name)' table entry \(index) (0x\(String(entry, radix: 16))) has reserved bits set")
            }
            guard host % clusterSize == 0, host < fileEnd, clusterSize <= fileEnd - host || host == 0 else {
                throw corrupt("bitmap '\(bitmap.name)' table entry \(index) points past the end of the file")
            }
            table.append(entry)
        }
        return table
    }

    /// The bits of bitmap `index`, read from its table on first use.
    func loadBits(_ index: Int) throws(StorageError) {
        guard bitmaps[index].bits == nil else { return }
        let bitmap = bitmaps[index]
        let length = Qcow2Bitmap.dataBytes(size: virtualSize, granularityBits: bitmap.granularityBits)
        let loaded = bitmaps.reduce(UInt64(0)) { $0 + UInt64($1.bits?.count ?? 0) }
        guard length <= Qcow2Bitmap.maximumLoadedBytes, loaded + length <= 4 * Qcow2Bitmap.maximumLoadedBytes else {
            throw StorageError(.unsupported, "qcow2 image '\(path)': bitmap '\(bitmap.name)' has \(length) bytes of bits, more than this block layer holds in memory")
        }
        var bits = [UInt8](repeating: 0, count: Int(length))
        for (number, entry) in try bitmapTable(bitmap).enumerated() {
            let start = UInt64(number) * clusterSize
            let count = min(clusterSize, length - start)
            let host = entry & Self.offsetMask
            if host != 0 {
                metadataClusters.insert(host >> clusterBits)
                bits.replaceSubrange(Int(start) ..< Int(start + count), with: try file.read(at: host, count: Int(count)))
            } else if entry & 1 != 0 {
                bits.replaceSubrange(Int(start) ..< Int(start + count), with: repeatElement(0xff, count: Int(count)))
            }
        }
        // "Unused tail bits must be zero": ignore any that are not.
        let bitCount = (virtualSize + bitmap.granularity - 1) >> UInt64(bitmap.granularityBits)
        if bitCount % 8 != 0, let last = bits.indices.last { bits[last] &= UInt8((1 << (bitCount % 8)) - 1) }
        bitmaps[index].bits = bits
    }

    /// The index of the bitmap named `name`, usable (not inconsistent) unless `forRemoval`.
    func bitmapIndex(_ name: String, forRemoval: Bool = false) throws(StorageError) -> Int {
        guard let index = bitmaps.firstIndex(where: { $0.name == name }) else {
            throw StorageError(.invalid, "Dirty bitmap '\(name)' not found")
        }
        if bitmaps[index].inconsistent && !forRemoval {
            throw StorageError(.invalid, "Bitmap '\(name)' is inconsistent and cannot be used; it was not stored properly (remove it)")
        }
        return index
    }

    /// Sets the bits of every enabled bitmap covering `offset ..< offset + count` (a write, a
    /// write-zeroes or a discard through this driver).
    func markDirty(_ offset: UInt64, _ count: UInt64) {
        guard count > 0, tracksWrites else { return }
        for index in bitmaps.indices where bitmaps[index].enabled && bitmaps[index].bits != nil {
            setBits(index, offset, count)
        }
    }

    private func setBits(_ index: Int, _ offset: UInt64, _ count: UInt64) {
        let shift = UInt64(bitmaps[index].granularityBits)
        let first = offset >> shift, last = (offset + count - 1) >> shift
        var bit = first
        bitmaps[index].modified = true
        while bit <= last {
            if bit % 8 == 0 && bit + 7 <= last {
                bitmaps[index].bits![Int(bit / 8)] = 0xff
                bit += 8
            } else {
                bitmaps[index].bits![Int(bit / 8)] |= 1 << UInt8(bit % 8)
                bit += 1
            }
        }
    }

    /// Whether any bitmap records writes, so the write path pays nothing without one.
    var tracksWrites: Bool { bitmaps.contains { $0.enabled && $0.bits != nil } }

    /// The guest byte ranges bitmap `name` marks dirty, in order, adjacent granules merged.
    public func dirtyRanges(of name: String) throws(StorageError) -> [Range<UInt64>] {
        let index = try bitmapIndex(name)
        try loadBits(index)
        let bits = bitmaps[index].bits ?? []
        let granularity = bitmaps[index].granularity
        var ranges: [Range<UInt64>] = []
        for (byteIndex, byte) in bits.enumerated() where byte != 0 {
            for bit in 0..<8 where byte & (1 << UInt8(bit)) != 0 {
                let start = (UInt64(byteIndex) * 8 + UInt64(bit)) * granularity
                guard start < virtualSize else { break }
                let end = min(start + granularity, virtualSize)
                if let last = ranges.last, last.upperBound == start { ranges[ranges.count - 1] = last.lowerBound ..< end } else { ranges.append(start ..< end) }
            }
        }
        return ranges
    }

    // MARK: qemu-img bitmap's operations

    /// `--add [-g GRANULARITY] [--disable]`: a new bitmap, empty, enabled unless told otherwise.
    public func addBitmap(_ name: String, granularity: UInt64, enabled: Bool = true) throws(StorageError) {
        try checkWritable()
        guard header.version >= 3 else { throw StorageError(.unsupported, "qcow2 image '\(path)' is version 2 (compat=0.10): bitmaps need version 3") }
        guard !name.isEmpty, name.utf8.count <= Qcow2Bitmap.maximumNameLength else {
            throw StorageError(.invalid, "bitmap name must be 1 to \(Qcow2Bitmap.maximumNameLength) bytes")
        }
        guard !bitmaps.contains(where: { $0.name == name }) else { throw StorageError(.invalid, "Bitmap already exists: \(name)") }
        guard granularity.nonzeroBitCount == 1, Qcow2Bitmap.granularityBitsRange.contains(UInt8(clamping: granularity.trailingZeroBitCount)) else {
            throw StorageError(.invalid, "Granularity must be power of 2 and at least 512")
        }
        guard UInt32(bitmaps.count) < Qcow2Header.BitmapsExtension.maximumCount else {
            throw StorageError(.unsupported, "qcow2 image '\(path)' already has \(bitmaps.count) bitmaps, the most QEMU allows")
        }
        let bits = UInt8(granularity.trailingZeroBitCount)
        guard Qcow2Bitmap.dataBytes(size: virtualSize, granularityBits: bits) <= Qcow2Bitmap.maximumLoadedBytes else {
            throw StorageError(.unsupported, "a bitmap of granularity \(granularity) over \(virtualSize) bytes is larger than this block layer holds in memory; use a coarser granularity")
        }
        bitmaps.append(Qcow2Bitmap(
            name: name, granularityBits: bits, flags: enabled ? Qcow2Bitmap.Flag.auto : 0, tableOffset: 0, tableSize: 0, extraData: [],
            bits: [UInt8](repeating: 0, count: Int(Qcow2Bitmap.dataBytes(size: virtualSize, granularityBits: bits))),
            modified: true, inconsistent: false))
        try storeBitmaps(inUse: true)
    }

    /// `--remove`: the bitmap and its clusters go (an inconsistent one too).
    public func removeBitmap(_ name: String) throws(StorageError) {
        try checkWritable()
        let index = try bitmapIndex(name, forRemoval: true)
        let removed = bitmaps.remove(at: index)
        try storeBitmaps(inUse: true, alsoFreeing: [removed])
    }

    /// `--clear`: every bit unset.
    public func clearBitmap(_ name: String) throws(StorageError) {
        try checkWritable()
        let index = try bitmapIndex(name)
        try loadBits(index)
        bitmaps[index].bits = [UInt8](repeating: 0, count: bitmaps[index].bits?.count ?? 0)
        bitmaps[index].modified = true
        try storeBitmaps(inUse: true)
    }

    /// `--enable` / `--disable`: whether the bitmap records writes ("auto").
    public func setBitmapEnabled(_ name: String, _ enabled: Bool) throws(StorageError) {
        try checkWritable()
        let index = try bitmapIndex(name)
        if enabled {
            try loadBits(index)
            bitmaps[index].flags |= Qcow2Bitmap.Flag.auto
        } else {
            bitmaps[index].flags &= ~Qcow2Bitmap.Flag.auto
        }
        try storeBitmaps(inUse: true)
    }

    /// `--merge`: every range in `ranges` (another bitmap's dirty ranges) becomes dirty in `name`.
    public func mergeIntoBitmap(_ name: String, ranges: [Range<UInt64>]) throws(StorageError) {
        try checkWritable()
        let index = try bitmapIndex(name)
        try loadBits(index)
        for range in ranges where range.lowerBound < virtualSize {
            setBits(index, range.lowerBound, min(range.upperBound, virtualSize) - range.lowerBound)
        }
        try storeBitmaps(inUse: true)
    }

    /// Opening for writing: every consistent bitmap is marked `in_use` on disk before any write
    /// (the directory rewritten in place, with the autoclear bit cleared around it so a torn
    /// write reads as inconsistent), and the enabled ones are loaded to record writes. Closing
    /// stores them and clears the flag; a crash leaves them marked, as QEMU leaves its own.
    func markBitmapsInUse() throws(StorageError) {
        guard let ext = header.bitmapsExtension, bitmaps.contains(where: { !$0.inconsistent }) else { return }
        for index in bitmaps.indices where bitmaps[index].enabled && !bitmaps[index].inconsistent { try loadBits(index) }
        let directory = bitmaps.flatMap { $0.directoryEntry(inUse: true) }
        guard UInt64(directory.count) == ext.directorySize else { throw corrupt("the bitmap directory does not rewrite to its own size") }
        try setAutoclear(header.autoclearFeatures & ~Qcow2Header.bitmapsConsistent)
        try barrier()
        try file.write(directory, at: ext.directoryOffset)
        try barrier()
        try setAutoclear(header.autoclearFeatures | Qcow2Header.bitmapsConsistent)
        try barrier()
        bitmapsInUse = true
    }

    private func setAutoclear(_ value: UInt64) throws(StorageError) {
        header.autoclearFeatures = value
        var field = [UInt8](repeating: 0, count: 8)
        field.putBigEndian(value, at: 0, 8)
        try file.write(field, at: 88)
    }

    /// Writes every modified bitmap's bits to new clusters and a new table, then a new
    /// directory, then the header naming it (one cluster, after a barrier), and only then frees
    /// what the old directory named: a crash leaves the old bitmaps or the new ones, and leaks.
    /// With `inUse` (the image stays open and enabled bitmaps go on recording) the entries keep
    /// the `in_use` flag; closing stores them without it. Those found inconsistent keep it.
    func storeBitmaps(inUse: Bool, alsoFreeing removed: [Qcow2Bitmap] = []) throws(StorageError) {
        try checkWritable()
        try writeMetadata()
        var freed: [Qcow2Bitmap] = removed
        for index in bitmaps.indices where bitmaps[index].modified {
            guard let bits = bitmaps[index].bits else { continue }
            let entries = Qcow2Bitmap.tableEntries(size: virtualSize, granularityBits: bitmaps[index].granularityBits, clusterSize: clusterSize)
            var table: [UInt64] = []
            for number in 0..<Int(entries) {
                let start = number * Int(clusterSize), end = min(start + Int(clusterSize), bits.count)
                let chunk = bits[start ..< end]
                if chunk.allSatisfy({ $0 == 0 }) {
                    table.append(0)
                } else {
                    let host = try allocateCluster(contents: Array(chunk) + [UInt8](repeating: 0, count: Int(clusterSize) - chunk.count))
                    metadataClusters.insert(host >> clusterBits)
                    table.append(host)
                }
            }
            freed.append(bitmaps[index])
            bitmaps[index].tableOffset = entries == 0 ? 0 : try allocateContiguous(Self.serializedTable(table, clusterSize: clusterSize))
            bitmaps[index].tableSize = UInt32(entries)
            bitmaps[index].modified = false
        }
        var updated = header
        let oldDirectory = header.bitmapsExtension
        if bitmaps.isEmpty {
            updated.bitmapsExtension = nil
            updated.autoclearFeatures &= ~Qcow2Header.bitmapsConsistent
        } else {
            let directory = bitmaps.flatMap { $0.directoryEntry(inUse: inUse) }
            guard UInt64(directory.count) <= Qcow2Header.BitmapsExtension.maximumDirectorySize else {
                throw StorageError(.unsupported, "the bitmap directory would be larger than 64 MiB")
            }
            let padded = directory + [UInt8](repeating: 0, count: Int((clusterSize - UInt64(directory.count) % clusterSize) % clusterSize))
            let offset = try allocateContiguous(padded)
            updated.bitmapsExtension = Qcow2Header.BitmapsExtension(count: UInt32(bitmaps.count), directorySize: UInt64(directory.count),
                                                                    directoryOffset: offset)
            updated.autoclearFeatures |= Qcow2Header.bitmapsConsistent
        }
        try rewriteHeader(updated)
        bitmapsInUse = inUse && !bitmaps.isEmpty
        // What the old directory named and nothing names now: replaced tables and their data.
        if let oldDirectory {
            let first = oldDirectory.directoryOffset >> clusterBits, last = (oldDirectory.directoryOffset + oldDirectory.directorySize - 1) >> clusterBits
            for index in first...last { try freeCluster(index) }
        }
        for bitmap in freed where bitmap.tableOffset != 0 {
            for entry in try bitmapTable(bitmap) where entry & Self.offsetMask != 0 { try freeCluster((entry & Self.offsetMask) >> clusterBits) }
            let first = bitmap.tableOffset >> clusterBits
            for index in first ..< first + (UInt64(bitmap.tableSize) * 8 + clusterSize - 1) / clusterSize { try freeCluster(index) }
        }
    }

    /// Stores the bitmaps without `in_use` and flushes; the image is read-only afterwards, so
    /// no write can reach it while its bitmaps say they are up to date.
    public func close() throws(StorageError) {
        guard !readOnly else { return }
        try writeMetadata()
        if bitmapsInUse || bitmaps.contains(where: { $0.modified }) { try storeBitmaps(inUse: false) }
        try flush()
        readOnly = true
    }

    /// Enabled bitmaps get the clusters whose mapping differs between two L1 tables (a snapshot
    /// applied changes what the guest reads there).
    func markChangedClusters(from old: [UInt64], to new: [UInt64]) throws(StorageError) {
        guard tracksWrites else { return }
        let span = l2Entries << clusterBits
        for index in 0 ..< max(old.count, new.count) {
            let a = index < old.count ? old[index] & Self.offsetMask : 0, b = index < new.count ? new[index] & Self.offsetMask : 0
            if a == b { continue }
            let tableA = a == 0 ? [] : try l2Table(at: a), tableB = b == 0 ? [] : try l2Table(at: b)
            for entry in 0 ..< Int(l2Entries) {
                let x = entry < tableA.count ? tableA[entry] & ~Self.copiedFlag : 0, y = entry < tableB.count ? tableB[entry] & ~Self.copiedFlag : 0
                let start = UInt64(index) * span + UInt64(entry) << clusterBits
                if x != y && start < virtualSize { markDirty(start, min(clusterSize, virtualSize - start)) }
            }
        }
    }

    /// The header cluster rewritten whole from `updated`, after a barrier (everything it will
    /// name is stable first), then another barrier.
    func rewriteHeader(_ updated: Qcow2Header) throws(StorageError) {
        guard let bytes = updated.serialized() else {
            throw StorageError(.invalid, "qcow2 image '\(path)': the header and its extensions do not fit in the first cluster")
        }
        try barrier()
        try file.write(bytes, at: 0)
        try barrier()
        header = updated
        header.backingFileOffset = bytes.bigEndian(8, 8)
        header.backingFileSize = UInt32(bytes.bigEndian(16, 4))
    }
}
