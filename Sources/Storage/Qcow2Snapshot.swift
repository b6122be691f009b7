/// One internal snapshot: an entry of the snapshot table (qcow2 spec, "Snapshots"). A snapshot
/// is a copy of the L1 table taken at one moment; every cluster it reaches holds one more
/// reference, so writes to the active disk copy on write and leave it as it was.
public struct Qcow2Snapshot: Equatable, Sendable {
    public var l1TableOffset: UInt64
    public var l1Size: UInt32
    /// A unique ID string (QEMU numbers them "1", "2", ...).
    public var id: String
    public var name: String
    public var dateSeconds: UInt32
    public var dateNanoseconds: UInt32
    /// How long the guest had run when the snapshot was taken (0 for a disk-only snapshot).
    public var vmClockNanoseconds: UInt64
    /// Bytes of saved VM state (0: a disk-only snapshot; the only kind this layer takes).
    public var vmStateSize: UInt64
    /// The virtual disk size when the snapshot was taken (extra data bytes 48-55); nil in
    /// entries without it (version 2 images from before it was defined).
    public var diskSize: UInt64?
    /// The record/replay instruction count (extra data bytes 56-63); `UInt64.max` ("-1") when
    /// icount was off, nil when the entry does not have the field.
    public var icount: UInt64?
    /// Extra data past the fields above, kept as it is ("Unknown fields must be ignored").
    var unknownExtraData: [UInt8] = []

    /// Bytes before the variable part, and QEMU's limits, which bound what an untrusted table
    /// can make us read: 65,536 snapshots, 1 KiB of extra data each, a 64 MiB table.
    static let fixedLength = 40
    static let maximumCount: UInt32 = 65536
    static let maximumExtraData: UInt32 = 1024
    static let maximumTableBytes: UInt64 = 64 << 20
    /// The snapshots' L1 tables together: their clusters are tracked as metadata when the image
    /// opens, so an image naming one huge table from thousands of entries is refused.
    static let maximumTotalL1Bytes: UInt64 = 1 << 30
    /// Extra data this layer writes: vm_state_size_large, disk_size, icount.
    static let writtenExtraData = 24

    /// The entry as it is stored, padded to a multiple of 8.
    func serialized() -> [UInt8] {
        var extra = [UInt8](repeating: 0, count: Self.writtenExtraData)
        extra.putBigEndian(vmStateSize, at: 0, 8)
        extra.putBigEndian(diskSize ?? 0, at: 8, 8)
        extra.putBigEndian(icount ?? UInt64.max, at: 16, 8)
        extra += unknownExtraData
        var bytes = [UInt8](repeating: 0, count: Self.fixedLength)
        bytes.putBigEndian(l1TableOffset, at: 0, 8)
        bytes.putBigEndian(UInt64(l1Size), at: 8, 4)
        bytes.putBigEndian(UInt64(id.utf8.count), at: 12, 2)
        bytes.putBigEndian(UInt64(name.utf8.count), at: 14, 2)
        bytes.putBigEndian(UInt64(dateSeconds), at: 16, 4)
        bytes.putBigEndian(UInt64(dateNanoseconds), at: 20, 4)
        bytes.putBigEndian(vmClockNanoseconds, at: 24, 8)
        bytes.putBigEndian(UInt64(UInt32(truncatingIfNeeded: vmStateSize)), at: 32, 4)
        bytes.putBigEndian(UInt64(extra.count), at: 36, 4)
        bytes += extra + Array(id.utf8) + Array(name.utf8)
        bytes += [UInt8](repeating: 0, count: (8 - bytes.count % 8) % 8)
        return bytes
    }

    /// Reads and checks the snapshot table of `header`: every entry inside the file, its L1
    /// table aligned, of bounded size and inside the file. Returns the entries and the table's
    /// length in bytes.
    static func readTable(_ header: Qcow2Header, file: HostFile, fileSize: UInt64,
                          path: String) throws(StorageError) -> (snapshots: [Qcow2Snapshot], length: UInt64) {
        func corrupt(_ why: String) -> StorageError { StorageError(.corrupt, "qcow2 image '\(path)': \(why)") }
        guard header.snapshotCount > 0 else { return ([], 0) }
        guard header.snapshotCount <= maximumCount else {
            throw corrupt("snapshot table of \(header.snapshotCount) entries is more than \(maximumCount)")
        }
        guard header.snapshotsOffset % header.clusterSize == 0, header.snapshotsOffset > 0, header.snapshotsOffset < fileSize else {
            throw corrupt("the snapshot table at \(header.snapshotsOffset) is unaligned or past the end of the file (\(fileSize) bytes)")
        }
        var snapshots: [Qcow2Snapshot] = []
        var offset = header.snapshotsOffset
        var totalL1Bytes: UInt64 = 0
        var end = offset
        for number in 0..<header.snapshotCount {
            func readBytes(_ count: UInt64, _ what: String) throws(StorageError) -> [UInt8] {
                guard offset <= fileSize, count <= fileSize - offset, offset + count - header.snapshotsOffset <= maximumTableBytes else {
                    throw corrupt("snapshot table entry \(number) (\(what)) runs past the end of the file or the 64 MiB limit")
                }
                defer { offset += count }
                return try file.read(at: offset, count: Int(count))
            }
            let fixed = try readBytes(UInt64(fixedLength), "header")
            let extraLength = UInt32(fixed.bigEndian(36, 4))
            guard extraLength <= maximumExtraData else {
                throw corrupt("snapshot table entry \(number) has \(extraLength) bytes of extra data, more than \(maximumExtraData)")
            }
            let extra = try readBytes(UInt64(extraLength), "extra data")
            let idLength = fixed.bigEndian(12, 2), nameLength = fixed.bigEndian(14, 2)
            let id = String(decoding: try readBytes(idLength, "ID"), as: UTF8.self)
            let name = String(decoding: try readBytes(nameLength, "name"), as: UTF8.self)
            // The last entry's padding may be missing at the end of the file (QEMU writes none).
            end = offset
            offset = (offset + 7) & ~7
            var snapshot = Qcow2Snapshot(
                l1TableOffset: fixed.bigEndian(0, 8), l1Size: UInt32(fixed.bigEndian(8, 4)), id: id, name: name,
                dateSeconds: UInt32(fixed.bigEndian(16, 4)), dateNanoseconds: UInt32(fixed.bigEndian(20, 4)),
                vmClockNanoseconds: fixed.bigEndian(24, 8), vmStateSize: fixed.bigEndian(32, 4))
            if extra.count >= 8 { snapshot.vmStateSize = extra.bigEndian(0, 8) }
            if extra.count >= 16 { snapshot.diskSize = extra.bigEndian(8, 8) }
            if extra.count >= 24 { snapshot.icount = extra.bigEndian(16, 8) }
            if extra.count > writtenExtraData { snapshot.unknownExtraData = Array(extra[writtenExtraData...]) }
            let l1Bytes = UInt64(snapshot.l1Size) * 8
            guard snapshot.l1TableOffset % header.clusterSize == 0, l1Bytes <= Qcow2Header.maximumL1Bytes,
                  snapshot.l1TableOffset <= fileSize, l1Bytes <= fileSize - snapshot.l1TableOffset,
                  snapshot.l1TableOffset > 0 || snapshot.l1Size == 0 else {
                throw corrupt("snapshot '\(name)' has an L1 table at \(snapshot.l1TableOffset) of \(snapshot.l1Size) entries that is unaligned, too large or past the end of the file")
            }
            totalL1Bytes += l1Bytes
            guard totalL1Bytes <= maximumTotalL1Bytes else {
                throw corrupt("the snapshots' L1 tables total more than \(maximumTotalL1Bytes >> 20) MiB")
            }
            guard !snapshots.contains(where: { $0.id == id }) else { throw corrupt("two snapshots have the ID '\(id)'") }
            snapshots.append(snapshot)
        }
        return (snapshots, end - header.snapshotsOffset)
    }
}

// MARK: Creating, applying and deleting snapshots (qemu-img snapshot -c, -a, -d)

extension Qcow2Image {
    /// The snapshot named `idOrName`: by ID first, then by name, as qemu-img looks them up.
    public func snapshot(_ idOrName: String) -> Qcow2Snapshot? {
        snapshots.first { $0.id == idOrName } ?? snapshots.first { $0.name == idOrName }
    }

    /// `snapshot -c NAME`: a disk-only snapshot of the active L1 table. Every cluster it reaches
    /// gains a reference (a crash then leaves leaks at worst), the COPIED flags go, the L1 table
    /// is copied, and a new snapshot table is switched in by the header.
    public func createSnapshot(name: String, dateSeconds: UInt32, dateNanoseconds: UInt32) throws(StorageError) {
        guard !name.isEmpty, name.utf8.count <= Int(UInt16.max) else {
            throw StorageError(.invalid, "snapshot name must be 1 to \(UInt16.max) bytes")
        }
        guard UInt32(snapshots.count) < Qcow2Snapshot.maximumCount else {
            throw StorageError(.unsupported, "qcow2 image '\(path)' already has \(snapshots.count) snapshots, the most QEMU allows")
        }
        try changing { () throws(StorageError) in
            try writeMetadata()
            // Flags first: a crash between the two steps then leaves flags missing where the
            // refcount is still 1 (a needless copy on write), never set on a cluster counted twice.
            let updates = try plannedRefcounts(try clustersReached(by: l1), increase: true)
            try clearCopiedFlags()
            try writeRefcounts(updates)
            let copy = try allocateContiguous(Self.serializedTable(l1.map { $0 & ~Self.copiedFlag }, clusterSize: clusterSize))
            // QEMU's IDs: one more than the largest numeric ID.
            let nextID = (snapshots.compactMap { UInt64($0.id) }.max() ?? 0) + 1
            let snapshot = Qcow2Snapshot(
                l1TableOffset: copy, l1Size: UInt32(l1.count), id: String(nextID), name: name, dateSeconds: dateSeconds,
                dateNanoseconds: dateNanoseconds, vmClockNanoseconds: 0, vmStateSize: 0, diskSize: virtualSize, icount: UInt64.max)
            try writeSnapshotTable(snapshots + [snapshot])
        }
    }

    /// `snapshot -a NAME`: the active L1 table becomes a copy of the snapshot's. The snapshot's
    /// clusters gain a reference first, the L1 table is rewritten, then what the old active
    /// table reached loses one (freed when no snapshot holds it) and the COPIED flags are
    /// rebuilt. Enabled dirty bitmaps mark every cluster whose mapping changed.
    public func applySnapshot(_ idOrName: String) throws(StorageError) {
        guard let snapshot = snapshot(idOrName) else { throw StorageError(.invalid, "Could not apply snapshot '\(idOrName)': snapshot not found") }
        if let diskSize = snapshot.diskSize, diskSize != virtualSize {
            throw StorageError(.unsupported, "snapshot '\(snapshot.name)' was taken at a disk size of \(diskSize) bytes and the image is \(virtualSize); resizing an image is not built")
        }
        try changing { () throws(StorageError) in
            try writeMetadata()
            var target = try snapshotL1(snapshot)
            // A longer table than the disk needs is only usable when the rest is empty.
            if target.count > l1.count {
                guard target[l1.count...].allSatisfy({ $0 & Self.offsetMask == 0 }) else {
                    throw StorageError(.unsupported, "snapshot '\(snapshot.name)' maps clusters past the disk's \(l1.count)-entry L1 table; growing the L1 table is not built")
                }
                target.removeLast(target.count - l1.count)
            }
            let old = l1
            let new = target.map { $0 & ~Self.copiedFlag } + [UInt64](repeating: 0, count: l1.count - target.count)
            try markChangedClusters(from: old, to: new)
            try adjustRefcounts(try clustersReached(by: new), increase: true)
            try barrier()
            try file.write(Array(Self.serializedTable(new, clusterSize: clusterSize)[0 ..< new.count * 8]), at: header.l1TableOffset)
            try barrier()
            l1 = new
            for entry in new where entry & Self.offsetMask != 0 { metadataClusters.insert((entry & Self.offsetMask) >> clusterBits) }
            try adjustRefcounts(try clustersReached(by: old), increase: false)
            try recomputeCopiedFlags()
        }
    }

    /// `snapshot -d NAME`: the entry leaves the table first (a crash then leaks its clusters),
    /// then everything its L1 table reached loses a reference, the L1 copy is freed, and the
    /// active tables get their COPIED flags back where a cluster is theirs alone again.
    public func deleteSnapshot(_ idOrName: String) throws(StorageError) {
        guard let snapshot = snapshot(idOrName) else { throw StorageError(.invalid, "Could not delete snapshot '\(idOrName)': snapshot not found") }
        try changing { () throws(StorageError) in
            try writeMetadata()
            let table = try snapshotL1(snapshot)
            let reached = try clustersReached(by: table)
            try writeSnapshotTable(snapshots.filter { $0.id != snapshot.id })
            try adjustRefcounts(reached, increase: false)
            let first = snapshot.l1TableOffset >> clusterBits
            let count = (UInt64(snapshot.l1Size) * 8 + clusterSize - 1) >> clusterBits
            for index in first ..< first + count { try freeCluster(index) }
            try recomputeCopiedFlags()
        }
    }

    /// A snapshot's L1 table, as stored.
    func snapshotL1(_ snapshot: Qcow2Snapshot) throws(StorageError) -> [UInt64] {
        let bytes = try file.read(at: snapshot.l1TableOffset, count: Int(snapshot.l1Size) * 8)
        return (0..<Int(snapshot.l1Size)).map { bytes.bigEndian($0 * 8, 8) }
    }

    /// Every host cluster an L1 table reaches (its L2 tables, the data, zero-allocated and
    /// compressed clusters they name) with the number of references the table holds to it.
    func clustersReached(by table: [UInt64]) throws(StorageError) -> [UInt64: UInt64] {
        var counts: [UInt64: UInt64] = [:]
        for entry in table where entry & Self.offsetMask != 0 {
            let l2Offset = entry & Self.offsetMask
            counts[l2Offset >> clusterBits, default: 0] += 1
            for l2Entry in try l2Table(at: l2Offset) where l2Entry != 0 {
                switch try decode(l2Entry) {
                case .unallocated, .zero(host: 0): continue
                case .zero(let host), .data(let host, _): counts[host >> clusterBits, default: 0] += 1
                case .compressed(let host, let length):
                    let last = min(host + length, fileEnd) - 1
                    for index in (host >> clusterBits)...(last >> clusterBits) { counts[index, default: 0] += 1 }
                }
            }
        }
        return counts
    }

    /// Adds or removes references; every new refcount is checked before the first is written,
    /// so a table that would overflow the refcount width (refcount_bits=1 cannot share a
    /// cluster) or drop below zero changes nothing.
    func adjustRefcounts(_ counts: [UInt64: UInt64], increase: Bool) throws(StorageError) {
        try writeRefcounts(try plannedRefcounts(counts, increase: increase))
    }

    /// The new refcounts `adjustRefcounts` would write, each checked; nothing is written.
    func plannedRefcounts(_ counts: [UInt64: UInt64], increase: Bool) throws(StorageError) -> [(index: UInt64, value: UInt64)] {
        var updates: [(index: UInt64, value: UInt64)] = []
        updates.reserveCapacity(counts.count)
        for (index, n) in counts.sorted(by: { $0.key < $1.key }) {
            let current = try refcount(ofCluster: index)
            if increase {
                guard current <= maximumRefcount, n <= maximumRefcount - current else {
                    throw StorageError(.unsupported, "qcow2 image '\(path)': cluster \(index) would need a refcount of \(current + n), more than \(header.refcountBits)-bit refcounts hold")
                }
                updates.append((index, current + n))
            } else {
                guard current >= n else { throw corrupt("cluster \(index) has refcount \(current) but loses \(n) references") }
                updates.append((index, current - n))
            }
        }
        return updates
    }

    /// Writes planned refcounts (sorted by cluster) and frees the clusters that reach 0.
    func writeRefcounts(_ updates: [(index: UInt64, value: UInt64)]) throws(StorageError) {
        // One write per refcount block, not per cluster (a snapshot of a full disk touches
        // every cluster). Every cluster reached has a refcount already, so its block exists.
        var start = 0
        while start < updates.count {
            let tableIndex = updates[start].index / refcountsPerBlock
            var end = start
            while end < updates.count && updates[end].index / refcountsPerBlock == tableIndex { end += 1 }
            let blockOffset = tableIndex < UInt64(refcountTable.count) ? refcountTable[Int(tableIndex)] & Self.refcountTableOffsetMask : 0
            if blockOffset == 0 {
                for update in updates[start ..< end] { try setRefcount(ofCluster: update.index, to: update.value, excluding: []) }
            } else {
                var block = try refcountBlock(at: blockOffset)
                for update in updates[start ..< end] { setRefcountEntry(&block, update.index % refcountsPerBlock, update.value) }
                try file.write(block, at: blockOffset)
                refcountCache.insert(block, at: blockOffset)
            }
            for update in updates[start ..< end] where update.value == 0 { clusterBecameFree(update.index, punchHole: false) }
            start = end
        }
        punchHoles(inClusters: updates.lazy.filter { $0.value == 0 }.map(\.index))
    }

    /// Clears bit 63 of every active L1 and L2 entry (before a snapshot shares them all).
    func clearCopiedFlags() throws(StorageError) {
        for l1Index in l1.indices where l1[l1Index] & Self.offsetMask != 0 {
            let l2Offset = l1[l1Index] & Self.offsetMask
            let table = try l2Table(at: l2Offset)
            if table.contains(where: { $0 & Self.copiedFlag != 0 }) {
                let cleared = table.map { $0 & ~Self.copiedFlag }
                try file.write(Self.serializedTable(cleared, clusterSize: clusterSize), at: l2Offset)
                l2Cache.insert(cleared, at: l2Offset)
            }
        }
        if l1.contains(where: { $0 & Self.copiedFlag != 0 }) {
            l1 = l1.map { $0 & ~Self.copiedFlag }
            try file.write(Array(Self.serializedTable(l1, clusterSize: clusterSize)[0 ..< l1.count * 8]), at: header.l1TableOffset)
        }
    }

    /// Rebuilds bit 63 of the active L1 and L2 entries from the refcounts ("Snapshots": it is
    /// only accurate in the active tables and is set exactly when the refcount is 1).
    func recomputeCopiedFlags() throws(StorageError) {
        for l1Index in l1.indices where l1[l1Index] & Self.offsetMask != 0 {
            let l2Offset = l1[l1Index] & Self.offsetMask
            let l1Wanted = try refcount(ofCluster: l2Offset >> clusterBits) == 1 ? l2Offset | Self.copiedFlag : l2Offset
            if l1Wanted != l1[l1Index] {
                var field = [UInt8](repeating: 0, count: 8)
                field.putBigEndian(l1Wanted, at: 0, 8)
                try file.write(field, at: header.l1TableOffset + UInt64(l1Index) * 8)
                l1[l1Index] = l1Wanted
            }
            var table = try l2Table(at: l2Offset)
            var changed = false
            for (index, entry) in table.enumerated() where entry & Self.compressedFlag == 0 && entry & Self.offsetMask != 0 {
                let host = entry & Self.offsetMask
                let wanted = try refcount(ofCluster: host >> clusterBits) == 1 ? entry | Self.copiedFlag : entry & ~Self.copiedFlag
                if wanted != entry {
                    table[index] = wanted
                    changed = true
                }
            }
            if changed {
                try file.write(Self.serializedTable(table, clusterSize: clusterSize), at: l2Offset)
                l2Cache.insert(table, at: l2Offset)
            }
        }
    }

    /// `bytes` (whole clusters) in free clusters that follow each other, counted; their offset.
    func allocateContiguous(_ bytes: [UInt8]) throws(StorageError) -> UInt64 {
        let count = UInt64(bytes.count) / clusterSize
        var start = max(1, (fileEnd + clusterSize - 1) >> clusterBits)
        search: while true {
            for index in start ..< start + count where try refcount(ofCluster: index) != 0 || metadataClusters.contains(index) {
                start = index + 1
                continue search
            }
            break
        }
        let range = start ..< start + count
        try file.write(bytes, at: start << clusterBits)
        fileEnd = max(fileEnd, range.upperBound << clusterBits)
        let allocating = Set(range)
        for index in range { try setRefcount(ofCluster: index, to: 1, excluding: allocating) }
        for index in range { metadataClusters.insert(index) }
        try barrier()
        return start << clusterBits
    }

    /// Writes `list` as the new snapshot table in new clusters, switches the header to it (the
    /// count and offset in one 12-byte write, after a barrier), then frees the old table.
    func writeSnapshotTable(_ list: [Qcow2Snapshot]) throws(StorageError) {
        let bytes = list.flatMap { $0.serialized() }
        guard UInt64(bytes.count) <= Qcow2Snapshot.maximumTableBytes else {
            throw StorageError(.unsupported, "the snapshot table would be larger than \(Qcow2Snapshot.maximumTableBytes >> 20) MiB")
        }
        var offset: UInt64 = 0
        if !bytes.isEmpty {
            let padded = bytes + [UInt8](repeating: 0, count: Int((clusterSize - UInt64(bytes.count) % clusterSize) % clusterSize))
            offset = try allocateContiguous(padded)
        }
        try barrier()
        var field = [UInt8](repeating: 0, count: 12)
        field.putBigEndian(UInt64(list.count), at: 0, 4)
        field.putBigEndian(offset, at: 4, 8)
        try file.write(field, at: 60)
        try barrier()
        let oldOffset = header.snapshotsOffset, oldLength = snapshotTableLength
        header.snapshotCount = UInt32(list.count)
        header.snapshotsOffset = offset
        snapshots = list
        snapshotTableLength = UInt64(bytes.count)
        if oldOffset != 0 && oldLength > 0 {
            for index in (oldOffset >> clusterBits) ... ((oldOffset + oldLength - 1) >> clusterBits) { try freeCluster(index) }
        }
    }
}
