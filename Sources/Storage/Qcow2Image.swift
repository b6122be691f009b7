import CZlib

/// A qcow2 image, version 3 read and written, version 2 read and written without zero
/// clusters (the qcow2 specification, docs/interop/qcow2.txt in QEMU's tree, is what this
/// follows; section names below are its headings).
///
/// Layout: guest cluster → L1 entry → L2 table → L2 entry → host cluster ("Cluster mapping").
/// Allocation is counted in refcount blocks reached through the refcount table ("Host cluster
/// management").
///
/// Crash safety. Metadata is written through at once (the L2 and refcount-block caches hold
/// copies, never the only copy) and in an order where a crash at any point leaves at worst a
/// leaked cluster, never an L2 or L1 entry pointing at a cluster whose refcount is 0 or whose
/// contents were never written:
///   1. the new cluster's contents (guest data, or a zeroed L2 table / refcount block);
///   2. its refcount (and a new refcount block before the refcount table entry naming it);
///   3. an ordering barrier: fdatasync, so 1 and 2 are stable before anything points at them
///      (skipped under cache=unsafe, which promises nothing after a host crash, as in QEMU);
///   4. the L2 (or L1) entry that makes the cluster part of the disk;
///   5. only then, the old cluster the entry pointed at (a compressed one) loses its reference.
/// Guest data written in place into an allocated cluster needs no ordering; the guest's own
/// flush makes it durable (cache=writethrough and directsync sync after every request).
///
/// Under cache=writeback and none the same order holds with one barrier per guest flush
/// rather than one per new cluster (a measured 30x on fresh clusters): steps 4 and 5 wait in
/// memory — the L2 and L1 entries in the cached tables, marked dirty, the old clusters in a
/// list — and `writeMetadata` does them after one fdatasync, at a guest flush, before a dirty
/// table leaves the cache, when the list grows long, and when the image is closed. Readers
/// see the cached tables, so the guest never notices. A host crash before the guest's flush
/// then loses the new clusters (leaked, as allowed) with the writes the guest had not flushed.
public final class Qcow2Image: BlockDriver {
    public let path: String
    public internal(set) var readOnly: Bool
    public let cache: CacheMode
    public internal(set) var header: Qcow2Header
    /// The image reads through to this where a cluster is unallocated ("Backing file").
    public let backing: (any BlockDriver)?
    /// The backing file's path as resolved (nil without a backing file).
    public let backingPath: String?

    let file: HostFile
    let clusterSize: UInt64
    let clusterBits: UInt64
    /// Entries in one L2 table, and in one refcount block.
    let l2Entries: UInt64
    let refcountsPerBlock: UInt64
    var l1: [UInt64]
    var refcountTable: [UInt64]
    var l2Cache = MetadataCache<[UInt64]>(capacity: 16)
    var refcountCache = MetadataCache<[UInt8]>(capacity: 4)
    /// The last compressed cluster inflated, since guests read a cluster in several requests.
    private var inflated: (host: UInt64, data: [UInt8])?
    /// One past the last byte of the file (grows as clusters are appended).
    var fileEnd: UInt64
    /// No free cluster lies below this one (a search hint, lowered when clusters are freed).
    var freeClusterHint: UInt64 = 1
    /// While an operation that may free many clusters runs (a discard), the clusters it freed, whose
    /// space goes back to the host file system in runs when it ends (`punchHoles`); nil otherwise.
    var holesToPunch: [UInt64]?
    /// Host clusters holding metadata (header, L1, refcount table and blocks, L2 tables). Guest
    /// data is never written into one: with inconsistent metadata that write would corrupt the
    /// image further, so it is refused and the image marked corrupt (QEMU's overlap check).
    var metadataClusters: Set<UInt64> = []
    /// The internal snapshots, in the order of the snapshot table ("Snapshots"), and the
    /// table's length in bytes.
    public internal(set) var snapshots: [Qcow2Snapshot] = []
    var snapshotTableLength: UInt64 = 0
    /// The persistent dirty bitmaps, in directory order (Qcow2Bitmap.swift).
    public internal(set) var bitmaps: [Qcow2Bitmap] = []
    /// This open marked the bitmaps `in_use` on disk: closing must store them.
    var bitmapsInUse = false
    /// Steps 4 and 5 waiting for the next barrier (see "Under cache=writeback" above).
    private var dirtyL2Tables: Set<UInt64> = []
    private var dirtyL1Entries: Set<Int> = []
    private var pendingReleases: [Mapping] = []
    /// Releases kept waiting at most, so the list stays small.
    static let maximumPendingReleases = 1024
    /// Whether metadata updates wait for a barrier (writeback, none) or are written at once
    /// (writethrough and directsync sync every request anyway; unsafe promises nothing).
    private var defersMetadata: Bool { cache.hasVolatileWriteCache && cache != .unsafe }

    /// Entry layouts ("Cluster mapping"): host offsets in bits 9-55, flags at the ends.
    static let offsetMask: UInt64 = 0x00ff_ffff_ffff_fe00
    static let copiedFlag: UInt64 = 1 << 63
    static let compressedFlag: UInt64 = 1 << 62
    /// Bit 0 of a standard L2 entry: the cluster reads as zeros (version 3 only).
    static let zeroFlag: UInt64 = 1
    static let refcountTableOffsetMask: UInt64 = 0xffff_ffff_ffff_fe00
    /// Files whose cluster count a full check may track (a 64-MiB array at most).
    static let maximumCheckedClusters: UInt64 = 1 << 24

    public var formatName: String { "qcow2" }
    public var virtualSize: UInt64 { header.size }
    public var capabilities: BlockDriverCapabilities {
        backing == nil ? [.discard, .efficientZeroes] : [.discard, .efficientZeroes, .backingFile]
    }
    public var isDirty: Bool { header.incompatibleFeatures & Qcow2Header.Incompatible.dirty != 0 }
    public var isCorrupt: Bool { header.incompatibleFeatures & Qcow2Header.Incompatible.corrupt != 0 }
    var maximumRefcount: UInt64 { header.refcountOrder == 6 ? UInt64.max : (1 << header.refcountBits) - 1 }

    /// Opens the image. `openBacking` is asked for the backing file by its name and format
    /// (ImageOpener resolves the name, limits the chain and detects loops); the image is then
    /// ready, its dirty bit repaired when opened read-write (as QEMU does: "dirty bit").
    init(path: String, readOnly: Bool, cache: CacheMode, lock: Bool = true,
         openBacking: (_ name: String, _ format: String?) throws(StorageError) -> (driver: any BlockDriver, path: String)?) throws(StorageError) {
        file = try HostFile(path: path, writable: !readOnly, lock: lock)
        self.path = path
        self.readOnly = readOnly
        self.cache = cache
        fileEnd = try file.size()
        let first = try file.read(at: 0, count: Int(min(fileEnd, 1 << Qcow2Header.clusterBitsRange.upperBound)))
        header = try Qcow2Header.parse(first, fileSize: fileEnd, path: path)
        clusterBits = UInt64(header.clusterBits)
        clusterSize = header.clusterSize
        l2Entries = clusterSize / 8
        refcountsPerBlock = clusterSize * 8 / header.refcountBits
        let l1Bytes = try file.read(at: header.l1TableOffset, count: Int(header.l1Size) * 8)
        l1 = (0..<Int(header.l1Size)).map { l1Bytes.bigEndian($0 * 8, 8) }
        let tableBytes = try file.read(at: header.refcountTableOffset, count: Int(UInt64(header.refcountTableClusters) * clusterSize))
        refcountTable = (0..<(tableBytes.count / 8)).map { tableBytes.bigEndian($0 * 8, 8) }
        // "corrupt bit": QEMU opens a corrupt image read-only only.
        if header.incompatibleFeatures & Qcow2Header.Incompatible.corrupt != 0 && !readOnly {
            throw StorageError(.corrupt, "qcow2: Image is corrupt; cannot be opened read/write ('\(path)'; open it read-only, or repair it with 'virtbench image check -r all')")
        }
        (snapshots, snapshotTableLength) = try Qcow2Snapshot.readTable(header, file: file, fileSize: fileEnd, path: path)
        bitmaps = try Qcow2Bitmap.readDirectory(header, file: file, fileSize: fileEnd, path: path)
        var metadata: Set<UInt64> = [0]
        let cluster = clusterSize, bits = clusterBits
        func span(_ offset: UInt64, _ length: UInt64) {
            guard length > 0 else { return }
            for index in (offset >> bits)...((offset + length - 1) >> bits) { metadata.insert(index) }
        }
        span(header.l1TableOffset, UInt64(header.l1Size) * 8)
        span(header.refcountTableOffset, UInt64(header.refcountTableClusters) * cluster)
        span(header.snapshotsOffset, snapshotTableLength)
        for snapshot in snapshots { span(snapshot.l1TableOffset, UInt64(snapshot.l1Size) * 8) }
        if let directory = header.bitmapsExtension { span(directory.directoryOffset, directory.directorySize) }
        for bitmap in bitmaps { span(bitmap.tableOffset, UInt64(bitmap.tableSize) * 8) }
        for entry in refcountTable + l1 where entry & Self.offsetMask != 0 && (entry & Self.offsetMask) % cluster == 0 {
            metadata.insert((entry & Self.offsetMask) >> bits)
        }
        metadataClusters = metadata
        if let name = header.backingFile {
            guard let opened = try openBacking(name, header.backingFormat) else {
                throw StorageError(.invalid, "qcow2 image '\(path)': could not open backing file '\(name)'")
            }
            backing = opened.driver
            backingPath = opened.path
        } else {
            backing = nil
            backingPath = nil
        }
        if !readOnly {
            if isDirty {
                // "dirty bit": refcounts may be stale (lazy refcounts); rebuild them, then clear it.
                _ = try check(repair: .all)
                try barrier()
                try setIncompatibleFeatures(header.incompatibleFeatures & ~Qcow2Header.Incompatible.dirty)
            }
            // "autoclear_features": a writer that does not know a bit must clear it; the bitmaps
            // bit stays while the bitmaps extension is there (this layer keeps it consistent).
            let known = header.bitmapsExtension != nil ? Qcow2Header.bitmapsConsistent : 0
            if header.version >= 3 && header.autoclearFeatures & ~known != 0 {
                header.autoclearFeatures &= known
                var field = [UInt8](repeating: 0, count: 8)
                field.putBigEndian(header.autoclearFeatures, at: 0, 8)
                try file.write(field, at: 88)
            }
            try markBitmapsInUse()
        }
    }

    deinit {
        // Closing is a flush point for the metadata: what the guest wrote stays reachable; and
        // the point where bitmaps are stored and lose their `in_use` flag.
        if !readOnly {
            try? writeMetadata()
            if bitmapsInUse || bitmaps.contains(where: { $0.modified }) { try? storeBitmaps(inUse: false) }
        }
    }

    /// Steps 4 and 5 for everything waiting: a barrier, the dirty L2 tables and L1 entries,
    /// another barrier, then the old clusters' references dropped.
    func writeMetadata() throws(StorageError) {
        guard !dirtyL2Tables.isEmpty || !dirtyL1Entries.isEmpty || !pendingReleases.isEmpty else { return }
        try file.synchronize()
        for offset in dirtyL2Tables.sorted() {
            guard let table = l2Cache.lookup(offset) else { throw corrupt("dirty L2 table \(offset) left the cache") }
            var bytes = [UInt8](repeating: 0, count: Int(clusterSize))
            for (index, entry) in table.enumerated() where entry != 0 { bytes.putBigEndian(entry, at: index * 8, 8) }
            try file.write(bytes, at: offset)
        }
        dirtyL2Tables = []
        for index in dirtyL1Entries.sorted() {
            var field = [UInt8](repeating: 0, count: 8)
            field.putBigEndian(l1[index], at: 0, 8)
            try file.write(field, at: header.l1TableOffset + UInt64(index) * 8)
        }
        dirtyL1Entries = []
        guard !pendingReleases.isEmpty else { return }
        try file.synchronize()
        let releases = pendingReleases
        pendingReleases = []
        for mapping in releases { try release(mapping) }
    }

    /// Step 5 for a mapping an L2 entry no longer holds: at once after a barrier, or with the
    /// next batch of metadata.
    func dropReference(_ mapping: Mapping) throws(StorageError) {
        if case .unallocated = mapping { return }
        if mapping == .zero(host: 0) { return }
        if defersMetadata {
            pendingReleases.append(mapping)
            if pendingReleases.count >= Self.maximumPendingReleases { try writeMetadata() }
        } else {
            try barrier()
            try release(mapping)
        }
    }

    /// A table about to enter a full L2 cache could push out a dirty one: write them first.
    func makeRoomInL2Cache() throws(StorageError) {
        if l2Cache.count >= l2Cache.capacity && !dirtyL2Tables.isEmpty { try writeMetadata() }
    }

    func setIncompatibleFeatures(_ value: UInt64) throws(StorageError) {
        header.incompatibleFeatures = value
        var field = [UInt8](repeating: 0, count: 8)
        field.putBigEndian(value, at: 0, 8)
        try file.write(field, at: 72)
    }

    /// Sets the corrupt bit after finding inconsistent metadata while writing, and stops writing,
    /// as QEMU does ("qcow2: Marking image as corrupt"); version 2 has no such bit.
    private func markCorrupt() {
        guard !readOnly else { return }
        if header.version >= 3 {
            try? setIncompatibleFeatures(header.incompatibleFeatures | Qcow2Header.Incompatible.corrupt)
            try? file.synchronize()
        }
        readOnly = true
    }

    /// Runs a change to the image; a corruption found on the way marks the image corrupt.
    func changing(_ body: () throws(StorageError) -> Void) throws(StorageError) {
        try checkWritable()
        do {
            try body()
        } catch {
            if error.kind == .corrupt { markCorrupt() }
            throw error
        }
        if !cache.hasVolatileWriteCache { try file.synchronize() }
    }

    /// Step 3 of the crash-safety order above.
    func barrier() throws(StorageError) {
        if cache != .unsafe { try file.synchronize() }
    }

    // MARK: Cluster mapping

    /// What one guest cluster's L2 entry says ("Cluster mapping", "Compressed Clusters").
    enum Mapping: Equatable {
        case unallocated
        /// Reads as zeros; `host` is a cluster still allocated to it, or 0.
        case zero(host: UInt64)
        /// `copied`: the refcount is exactly 1, so the cluster may be written in place.
        case data(host: UInt64, copied: Bool)
        case compressed(host: UInt64, length: UInt64)
    }

    func corrupt(_ why: String) -> StorageError { StorageError(.corrupt, "qcow2 image '\(path)': \(why)") }

    /// The L2 table at `offset`, from the cache or the file.
    func l2Table(at offset: UInt64) throws(StorageError) -> [UInt64] {
        if let table = l2Cache.lookup(offset) { return table }
        guard offset % clusterSize == 0, offset >= clusterSize, offset <= fileEnd, clusterSize <= fileEnd - offset else {
            throw corrupt("L2 table offset \(offset) is unaligned or past the end of the file")
        }
        let bytes = try file.read(at: offset, count: Int(clusterSize))
        let table = (0..<Int(l2Entries)).map { bytes.bigEndian($0 * 8, 8) }
        try makeRoomInL2Cache()
        l2Cache.insert(table, at: offset)
        return table
    }

    /// The L2 table offset for guest cluster `cluster` (0: none), and the entry's index in it.
    func l2Location(_ cluster: UInt64) throws(StorageError) -> (l1Index: Int, l2Offset: UInt64, index: Int) {
        let l1Index = cluster / l2Entries
        guard l1Index < UInt64(l1.count) else { throw corrupt("guest cluster \(cluster) is beyond the L1 table") }
        return (Int(l1Index), l1[Int(l1Index)] & Self.offsetMask, Int(cluster % l2Entries))
    }

    func mapping(ofCluster cluster: UInt64) throws(StorageError) -> Mapping {
        let location = try l2Location(cluster)
        guard location.l2Offset != 0 else { return .unallocated }
        return try decode(try l2Table(at: location.l2Offset)[location.index])
    }

    func decode(_ entry: UInt64) throws(StorageError) -> Mapping {
        if entry & Self.compressedFlag != 0 {
            // "Compressed Clusters Descriptor": x = 62 - (cluster_bits - 8) bits of offset, then
            // the count of 512-byte sectors beyond the first.
            let offsetBits = 62 - (clusterBits - 8)
            let host = entry & ((1 << offsetBits) - 1)
            let sectors = (entry >> offsetBits) & ((1 << (clusterBits - 8)) - 1)
            guard host < fileEnd, host > 0 else { throw corrupt("compressed cluster at \(host) is outside the file") }
            return .compressed(host: host, length: (sectors + 1) * 512 - (host & 511))
        }
        let host = entry & Self.offsetMask
        if host != 0 {
            guard host % clusterSize == 0, host < fileEnd else {
                throw corrupt("data cluster offset \(host) is unaligned or past the end of the file (\(fileEnd) bytes)")
            }
        }
        if header.version >= 3 && entry & Self.zeroFlag != 0 { return .zero(host: host) }
        return host == 0 ? .unallocated : .data(host: host, copied: entry & Self.copiedFlag != 0)
    }

    /// One guest cluster's share of a byte range: the range starts `within` bytes into
    /// `cluster`, at guest offset `position`, for `count` bytes.
    struct ClusterPiece {
        var cluster: UInt64, within: UInt64, count: UInt64, position: UInt64
        /// The piece covers its cluster from the start to the end (or to the end of the disk).
        var isWholeCluster: Bool
    }

    /// Walks `offset ..< offset + count` cluster by cluster, in order.
    func forEachClusterPiece(_ offset: UInt64, _ count: UInt64, _ body: (ClusterPiece) throws(StorageError) -> Void) throws(StorageError) {
        var position = offset
        let end = offset + count
        while position < end {
            let within = position & (clusterSize - 1)
            let n = min(end - position, clusterSize - within)
            try body(ClusterPiece(cluster: position >> clusterBits, within: within, count: n, position: position,
                                  isWholeCluster: within == 0 && (n == clusterSize || position + n == virtualSize)))
            position += n
        }
    }

    // MARK: Reading

    public func read(at offset: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        try checkRange(offset, UInt64(count))
        var out: [UInt8] = []
        out.reserveCapacity(count)
        try forEachClusterPiece(offset, UInt64(count)) { piece throws(StorageError) in
            let (position, within, n) = (piece.position, piece.within, piece.count)
            switch try mapping(ofCluster: piece.cluster) {
            case .unallocated:
                if let backing, position < backing.virtualSize {
                    let fromBacking = min(n, backing.virtualSize - position)
                    out += try backing.read(at: position, count: Int(fromBacking))
                    out += [UInt8](repeating: 0, count: Int(n - fromBacking))
                } else {
                    out += [UInt8](repeating: 0, count: Int(n))
                }
            case .zero:
                out += [UInt8](repeating: 0, count: Int(n))
            case .data(let host, _):
                out += try file.read(at: host + within, count: Int(n))
            case .compressed(let host, let length):
                let data = try inflatedCluster(host: host, length: length)
                out += data[Int(within) ..< Int(within + n)]
            }
        }
        return out
    }

    private func inflatedCluster(host: UInt64, length: UInt64) throws(StorageError) -> [UInt8] {
        if let inflated, inflated.host == host { return inflated.data }
        // The last sector may run past the end of the file; what is missing was never data.
        let input = try file.read(at: host, count: Int(min(length, fileEnd - host)))
        guard let data = Self.inflateRaw(input, outputSize: Int(clusterSize)) else {
            throw corrupt("compressed cluster at \(host) does not inflate to one cluster")
        }
        inflated = (host, data)
        return data
    }

    /// Inflates a raw deflate stream (qcow2's zlib compression type: no zlib header) to
    /// exactly `outputSize` bytes, or nil.
    static func inflateRaw(_ input: [UInt8], outputSize: Int) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: outputSize)
        var source = input
        var stream = z_stream()
        // SAFETY: both buffers are the arrays' own storage, alive for the closures; zlib reads at
        // most avail_in bytes and writes at most avail_out bytes, their counts, and inflateEnd
        // drops its pointers before the closures return.
        let produced: Int = source.withUnsafeMutableBufferPointer { inBuffer in
            // SAFETY: see above.
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                // Window bits -15: a raw stream, any window up to 32 KiB (QEMU writes 4 KiB ones).
                guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return -1 }
                let status = inflate(&stream, Z_FINISH)
                let total = Int(stream.total_out)
                inflateEnd(&stream)
                let complete = status == Z_STREAM_END || (status == Z_BUF_ERROR && stream.avail_out == 0)
                return complete ? total : -1
            }
        }
        return produced == outputSize ? output : nil
    }

    // MARK: Writing

    public func write(_ bytes: [UInt8], at offset: UInt64) throws(StorageError) {
        try checkRange(offset, UInt64(bytes.count))
        try checkWritable()
        markDirty(offset, UInt64(bytes.count))
        try changing { () throws(StorageError) in
            try forEachClusterPiece(offset, UInt64(bytes.count)) { piece throws(StorageError) in
                let done = Int(piece.position - offset)
                try writeCluster(piece.cluster, within: Int(piece.within), bytes[done ..< done + Int(piece.count)])
            }
        }
    }

    /// Writes into one guest cluster: in place when it is allocated to this image alone,
    /// otherwise into a new cluster holding the old contents around the new bytes
    /// (copy-on-write from the backing file, a compressed cluster or zeros).
    private func writeCluster(_ cluster: UInt64, within: Int, _ chunk: ArraySlice<UInt8>) throws(StorageError) {
        let old = try mapping(ofCluster: cluster)
        if case .data(let host, true) = old {
            guard !metadataClusters.contains(host >> clusterBits) else {
                throw corrupt("Preventing invalid write on metadata: guest cluster \(cluster) points at metadata cluster \(host)")
            }
            try file.write(Array(chunk), at: host + UInt64(within))
            return
        }
        var contents: [UInt8]
        if chunk.count == Int(clusterSize) {
            contents = Array(chunk)
        } else {
            let start = cluster << clusterBits
            contents = try read(at: start, count: Int(min(clusterSize, virtualSize - start)))
            contents += [UInt8](repeating: 0, count: Int(clusterSize) - contents.count)
            contents.replaceSubrange(within ..< within + chunk.count, with: chunk)
        }
        try replaceCluster(cluster, old: old, entry: { host in host | Self.copiedFlag }, contents: contents)
    }

    /// Points guest cluster `cluster` at a new host cluster holding `contents`, in the
    /// crash-safe order, then drops the old mapping's clusters.
    private func replaceCluster(_ cluster: UInt64, old: Mapping, entry: (UInt64) -> UInt64, contents: [UInt8]) throws(StorageError) {
        let location = try l2Location(cluster)
        let l2Offset = try ensureL2Table(location.l1Index)
        let host = try allocateCluster(contents: contents)
        do {
            try setL2Entry(l2Offset, location.index, entry(host))
        } catch {
            // The entry never reached the file (ENOSPC on a file system that allocates on
            // rewrite): the new cluster is counted but unreferenced, so it is given back rather
            // than leaked; the guest's cluster still maps what it mapped before.
            try? freeCluster(host >> clusterBits)
            throw error
        }
        try dropReference(old)
    }

    /// Steps 1-3: a free cluster gets `contents` and a refcount of 1; returns its offset.
    func allocateCluster(contents: [UInt8]) throws(StorageError) -> UInt64 {
        let index = try findFreeCluster(excluding: [])
        guard !metadataClusters.contains(index) else { throw corrupt("cluster \(index) holds metadata but its refcount is 0") }
        let host = index << clusterBits
        do {
            try file.write(contents, at: host)
        } catch {
            // The file system is full (or failed): the cluster was never counted, so the image
            // is as it was; a cluster appended in part is cut off so its space goes back.
            if host >= fileEnd { try? file.truncate(to: fileEnd) }
            throw error
        }
        fileEnd = max(fileEnd, host + clusterSize)
        try setRefcount(ofCluster: index, to: 1, excluding: [index])
        freeClusterHint = index + 1
        if !defersMetadata { try barrier() }
        return host
    }

    /// The L2 table for L1 entry `l1Index`, ready to be changed: a zeroed one if there is none,
    /// and a copy of it if an internal snapshot shares it ("Snapshots": the L1 entry's bit 63
    /// is clear when the table's refcount is above 1, and a write must then copy it first).
    /// The copy follows the crash-safe order of a data cluster: written and counted, then the L1
    /// entry, then the shared table loses this L1 table's reference.
    func ensureL2Table(_ l1Index: Int) throws(StorageError) -> UInt64 {
        let entry = l1[l1Index]
        let existing = entry & Self.offsetMask
        if existing != 0 && entry & Self.copiedFlag != 0 { return existing }
        var table = [UInt64](repeating: 0, count: Int(l2Entries))
        if existing != 0 {
            if try refcount(ofCluster: existing >> clusterBits) == 1 {
                // Not shared after all (the flag was missing): only the flag changes.
                try setL1Entry(l1Index, existing | Self.copiedFlag)
                return existing
            }
            // Every cluster the shared table names is now named by two tables: none is COPIED.
            table = try l2Table(at: existing).map { $0 & ~Self.copiedFlag }
        }
        let host = try allocateCluster(contents: Self.serializedTable(table, clusterSize: clusterSize))
        metadataClusters.insert(host >> clusterBits)
        do {
            try setL1Entry(l1Index, host | Self.copiedFlag)
        } catch {
            // The L1 entry was not written (a sparse L1 table on a full file system): nothing
            // names the new table, so it is freed instead of leaked.
            try? freeCluster(host >> clusterBits)
            throw error
        }
        try makeRoomInL2Cache()
        l2Cache.insert(table, at: host)
        if existing != 0 { try dropReference(.data(host: existing, copied: false)) }
        return host
    }

    /// Step 4 for an L1 entry: in the table at once, or with the next batch of metadata.
    func setL1Entry(_ l1Index: Int, _ value: UInt64) throws(StorageError) {
        if defersMetadata {
            dirtyL1Entries.insert(l1Index)
        } else {
            var field = [UInt8](repeating: 0, count: 8)
            field.putBigEndian(value, at: 0, 8)
            try file.write(field, at: header.l1TableOffset + UInt64(l1Index) * 8)
        }
        l1[l1Index] = value
    }

    /// A table of big-endian 64-bit entries, zero-padded to whole clusters.
    static func serializedTable(_ entries: [UInt64], clusterSize: UInt64) -> [UInt8] {
        let bytes = max(clusterSize, (UInt64(entries.count) * 8 + clusterSize - 1) / clusterSize * clusterSize)
        var out = [UInt8](repeating: 0, count: Int(bytes))
        for (index, entry) in entries.enumerated() where entry != 0 { out.putBigEndian(entry, at: index * 8, 8) }
        return out
    }

    /// Step 4: one L2 entry, written to the file and the cached table.
    private func setL2Entry(_ l2Offset: UInt64, _ index: Int, _ value: UInt64) throws(StorageError) {
        _ = try l2Table(at: l2Offset)
        if defersMetadata {
            dirtyL2Tables.insert(l2Offset)
        } else {
            var field = [UInt8](repeating: 0, count: 8)
            field.putBigEndian(value, at: 0, 8)
            try file.write(field, at: l2Offset + UInt64(index) * 8)
        }
        l2Cache.update(l2Offset) { $0[index] = value }
    }

    /// Step 5: the clusters a mapping held lose one reference each.
    private func release(_ mapping: Mapping) throws(StorageError) {
        switch mapping {
        case .unallocated, .zero(host: 0): return
        case .zero(let host), .data(let host, _):
            try freeCluster(host >> clusterBits)
        case .compressed(let host, let length):
            // A compressed cluster holds a reference to every host cluster its bytes touch.
            let last = min(host + length, fileEnd) - 1
            for index in (host >> clusterBits)...(last >> clusterBits) { try freeCluster(index) }
            if inflated?.host == host { inflated = nil }
        }
    }

    public func flush() throws(StorageError) {
        guard cache != .unsafe else { return }
        try writeMetadata()
        try file.synchronize()
    }

    /// Whole clusters become zero clusters (version 3) or unallocated (version 2 without a
    /// backing file) and their host clusters are freed; partial clusters get written zeros.
    public func writeZeroes(at offset: UInt64, count: UInt64, deallocate: Bool) throws(StorageError) {
        try checkRange(offset, count)
        try checkWritable()
        markDirty(offset, count)
        try changing { () throws(StorageError) in
            try forEachClusterPiece(offset, count) { piece throws(StorageError) in
                if piece.isWholeCluster {
                    try zeroCluster(piece.cluster)
                } else {
                    try writeCluster(piece.cluster, within: Int(piece.within), ArraySlice(repeating: 0, count: Int(piece.count)))
                }
            }
        }
    }

    private func zeroCluster(_ cluster: UInt64) throws(StorageError) {
        let old = try mapping(ofCluster: cluster)
        if old == .zero(host: 0) || (old == .unallocated && backing == nil) { return }
        if header.version < 3 && backing != nil {
            // No zero flag before version 3: zeros over a backing file must be written.
            try replaceCluster(cluster, old: old, entry: { $0 | Self.copiedFlag }, contents: [UInt8](repeating: 0, count: Int(clusterSize)))
            return
        }
        let location = try l2Location(cluster)
        let l2Offset = try ensureL2Table(location.l1Index)
        try setL2Entry(l2Offset, location.index, header.version >= 3 ? Self.zeroFlag : 0)
        try dropReference(old)
    }

    // MARK: Backing chains (commit, rebase)

    /// The guest byte ranges this image holds itself (data, zero or compressed clusters), in
    /// order, adjacent clusters merged; the rest reads through to the backing file.
    public func allocatedRanges() throws(StorageError) -> [Range<UInt64>] {
        var ranges: [Range<UInt64>] = []
        let clusters = (virtualSize + clusterSize - 1) >> clusterBits
        var cluster: UInt64 = 0
        while cluster < clusters {
            let location = try l2Location(cluster)
            if location.l2Offset == 0 {
                cluster = (UInt64(location.l1Index) + 1) * l2Entries  // a whole L2 table's worth unallocated
                continue
            }
            if try mapping(ofCluster: cluster) != .unallocated {
                let start = cluster << clusterBits, end = min(start + clusterSize, virtualSize)
                if let last = ranges.last, last.upperBound == start { ranges[ranges.count - 1] = last.lowerBound ..< end } else { ranges.append(start ..< end) }
            }
            cluster += 1
        }
        return ranges
    }

    /// Every cluster becomes unallocated again, reading through to the backing file, and its
    /// host clusters are freed (qemu-img commit's emptying of the committed image). The L2
    /// tables stay, all entries zero.
    public func makeEmpty() throws(StorageError) {
        try changing { () throws(StorageError) in
            for range in try allocatedRanges() {
                try forEachClusterPiece(range.lowerBound, UInt64(range.count)) { piece throws(StorageError) in
                    let old = try mapping(ofCluster: piece.cluster)
                    let location = try l2Location(piece.cluster)
                    try setL2Entry(try ensureL2Table(location.l1Index), location.index, 0)
                    try dropReference(old)
                }
            }
        }
    }

    /// Names another backing file (nil: none) in the header; the open image keeps reading
    /// through the old one, so the caller closes it afterwards. The header cluster is written
    /// whole, after a barrier: everything written before (a rebase's copied clusters) is on
    /// disk before the image points elsewhere.
    public func setBackingFile(_ name: String?, format: String?) throws(StorageError) {
        try checkWritable()
        if let name {
            guard !name.isEmpty, name.utf8.count <= Qcow2Header.maximumBackingNameLength else {
                throw StorageError(.invalid, "backing file name must be 1 to \(Qcow2Header.maximumBackingNameLength) bytes")
            }
        }
        var updated = header
        updated.backingFile = name
        updated.backingFormat = name == nil ? nil : format
        updated.backingFileOffset = 0
        updated.backingFileSize = 0
        guard updated.serialized() != nil else {
            throw StorageError(.invalid, "qcow2 image '\(path)': the new backing file name does not fit in the header cluster")
        }
        try writeMetadata()
        try rewriteHeader(updated)
    }

    /// Whole clusters are freed: unallocated without a backing file, zero clusters over one
    /// (so the backing file's data does not show through; version 2 leaves them as they are).
    /// Partial clusters are left alone, which a discard allows.
    public func discard(at offset: UInt64, count: UInt64) throws(StorageError) {
        try checkRange(offset, count)
        try checkWritable()
        markDirty(offset, count)
        holesToPunch = []
        defer {
            punchHoles(inClusters: holesToPunch ?? [])
            holesToPunch = nil
        }
        try changing { () throws(StorageError) in
            try forEachClusterPiece(offset, count) { piece throws(StorageError) in
                // Partial clusters are left alone.
                guard piece.isWholeCluster else { return }
                let old = try mapping(ofCluster: piece.cluster)
                let location = try l2Location(piece.cluster)
                if backing == nil {
                    if old != .unallocated && location.l2Offset != 0 {
                        try setL2Entry(try ensureL2Table(location.l1Index), location.index, 0)
                        try dropReference(old)
                    }
                } else if header.version >= 3 && old != .zero(host: 0) {
                    // Over a backing file even an unallocated cluster becomes a zero one, so a
                    // discarded range reads the same (zeros) whatever was allocated before.
                    let l2Offset = try ensureL2Table(location.l1Index)
                    try setL2Entry(l2Offset, location.index, Self.zeroFlag)
                    try dropReference(old)
                }
            }
        }
    }

    // MARK: Refcounts ("Host cluster management")

    func refcountBlock(at offset: UInt64) throws(StorageError) -> [UInt8] {
        if let block = refcountCache.lookup(offset) { return block }
        guard offset % clusterSize == 0, offset >= clusterSize, offset <= fileEnd, clusterSize <= fileEnd - offset else {
            throw corrupt("refcount block offset \(offset) is unaligned or past the end of the file")
        }
        let block = try file.read(at: offset, count: Int(clusterSize))
        refcountCache.insert(block, at: offset)
        return block
    }

    /// The byte range of entry `index` in a refcount block, and its shift within a byte when
    /// refcounts are narrower than a byte (packed from the least significant bit).
    private func entryLocation(_ index: UInt64) -> (byte: Int, width: Int, shift: UInt64) {
        let bits = header.refcountBits
        if bits >= 8 { return (Int(index * bits / 8), Int(bits / 8), 0) }
        return (Int(index * bits / 8), 1, (index * bits) % 8)
    }

    func refcountEntry(_ block: [UInt8], _ index: UInt64) -> UInt64 {
        let (byte, width, shift) = entryLocation(index)
        if header.refcountBits >= 8 { return block.bigEndian(byte, width) }
        return (UInt64(block[byte]) >> shift) & ((1 << header.refcountBits) - 1)
    }

    func setRefcountEntry(_ block: inout [UInt8], _ index: UInt64, _ value: UInt64) {
        let (byte, width, shift) = entryLocation(index)
        if header.refcountBits >= 8 {
            block.putBigEndian(value, at: byte, width)
        } else {
            let mask = UInt8(truncatingIfNeeded: ((1 << header.refcountBits) - 1) << shift)
            block[byte] = (block[byte] & ~mask) | (UInt8(truncatingIfNeeded: value << shift) & mask)
        }
    }

    /// The refcount of host cluster `index`; clusters no refcount block covers have 0.
    public func refcount(ofCluster index: UInt64) throws(StorageError) -> UInt64 {
        let tableIndex = index / refcountsPerBlock
        guard tableIndex < UInt64(refcountTable.count) else { return 0 }
        let blockOffset = refcountTable[Int(tableIndex)] & Self.refcountTableOffsetMask
        guard blockOffset != 0 else { return 0 }
        return refcountEntry(try refcountBlock(at: blockOffset), index % refcountsPerBlock)
    }

    /// Writes the refcount of host cluster `index`, allocating its refcount block if need be;
    /// `excluding` are clusters that must not become that block (they are being allocated).
    func setRefcount(ofCluster index: UInt64, to value: UInt64, excluding: Set<UInt64>, depth: Int = 0) throws(StorageError) {
        guard value <= maximumRefcount else { throw corrupt("refcount of cluster \(index) would overflow \(header.refcountBits) bits") }
        let tableIndex = index / refcountsPerBlock
        if tableIndex >= UInt64(refcountTable.count) { try growRefcountTable(covering: index, excluding: excluding) }
        var blockOffset = refcountTable[Int(tableIndex)] & Self.refcountTableOffsetMask
        if blockOffset == 0 {
            blockOffset = try allocateRefcountBlock(tableIndex, excluding: excluding.union([index]), depth: depth)
        }
        var block = try refcountBlock(at: blockOffset)
        let entry = index % refcountsPerBlock
        setRefcountEntry(&block, entry, value)
        let (byte, width, _) = entryLocation(entry)
        try file.write(Array(block[byte ..< byte + width]), at: blockOffset + UInt64(byte))
        refcountCache.insert(block, at: blockOffset)
    }

    /// A new refcount block for refcount table entry `tableIndex`: written (describing itself
    /// when it falls in its own range, else counted in another block first), then the table
    /// entry naming it, after a barrier.
    private func allocateRefcountBlock(_ tableIndex: UInt64, excluding: Set<UInt64>, depth: Int) throws(StorageError) -> UInt64 {
        guard depth < 4 else { throw corrupt("could not place a refcount block") }
        let index = try findFreeCluster(excluding: excluding)
        guard !metadataClusters.contains(index) else { throw corrupt("cluster \(index) holds metadata but its refcount is 0") }
        metadataClusters.insert(index)
        let offset = index << clusterBits, endBefore = fileEnd
        let countedElsewhere = index / refcountsPerBlock != tableIndex
        do {
            var block = [UInt8](repeating: 0, count: Int(clusterSize))
            if countedElsewhere {
                try setRefcount(ofCluster: index, to: 1, excluding: excluding.union([index]), depth: depth + 1)
            } else {
                setRefcountEntry(&block, index % refcountsPerBlock, 1)
            }
            try file.write(block, at: offset)
            fileEnd = max(fileEnd, offset + clusterSize)
            refcountCache.insert(block, at: offset)
            try barrier()
            var field = [UInt8](repeating: 0, count: 8)
            field.putBigEndian(offset, at: 0, 8)
            try file.write(field, at: header.refcountTableOffset + tableIndex * 8)
        } catch {
            // The table does not name the block (the file system is full, or failed): the cluster
            // is free again, and a count another block gained for it is given back. Left known as
            // metadata at refcount 0, it would later be taken for corruption.
            metadataClusters.remove(index)
            refcountCache.remove(offset)
            if countedElsewhere { try? setRefcount(ofCluster: index, to: 0, excluding: excluding.union([index]), depth: depth + 1) }
            // Cut off if appended, unless counting it elsewhere may have appended a block after it.
            if !countedElsewhere && offset >= endBefore {
                try? file.truncate(to: endBefore)
                fileEnd = endBefore
            }
            throw error
        }
        refcountTable[Int(tableIndex)] = offset
        return offset
    }

    /// Grows the refcount table until it covers host cluster `index` ("Host cluster management":
    /// the table is any number of contiguous clusters). The new table and the refcount blocks
    /// for every new table entry up to the new area go in clusters past everything the old
    /// table covers (and past `excluding`, clusters being allocated), and those blocks count
    /// themselves and the table. All of it is written and made stable before the header names
    /// the new table, in one 12-byte write of its offset and size; a crash before that leaves
    /// only unreferenced clusters past the covered range (nothing to repair), and after it the
    /// old table's clusters leaked at worst, until they are freed here. The table grows by half
    /// again at least, so filling an image grows it a few times, not once per block.
    private func growRefcountTable(covering index: UInt64, excluding: Set<UInt64>) throws(StorageError) {
        let oldEntries = UInt64(refcountTable.count)
        let entriesPerCluster = clusterSize / 8
        let fileClusters = (fileEnd + clusterSize - 1) >> clusterBits
        let areaStart = max(oldEntries * refcountsPerBlock, fileClusters, (excluding.max() ?? 0) + 1, index + 1)
        // The area's own size decides how many blocks cover it: iterate to a fixed point (it
        // grows monotonically and by at most a cluster or two per round).
        var blocks: UInt64 = 1, tableClusters: UInt64 = 1
        while true {
            let lastTableIndex = (areaStart + blocks + tableClusters - 1) / refcountsPerBlock
            let entries = max(lastTableIndex + 1, oldEntries + oldEntries / 2)
            let neededTable = (entries + entriesPerCluster - 1) / entriesPerCluster
            let neededBlocks = lastTableIndex + 1 - oldEntries
            if neededTable <= tableClusters && neededBlocks <= blocks { break }
            tableClusters = max(tableClusters, neededTable)
            blocks = max(blocks, neededBlocks)
            guard tableClusters * clusterSize <= Qcow2Header.maximumRefcountTableBytes else {
                throw StorageError(.unsupported, "qcow2 image '\(path)': the refcount table would grow past \(Qcow2Header.maximumRefcountTableBytes >> 20) MiB (QEMU's limit) to cover cluster \(index)")
            }
        }
        let areaEnd = areaStart + blocks + tableClusters
        let tableOffset = (areaStart + blocks) << clusterBits
        var table = [UInt8](repeating: 0, count: Int(tableClusters * clusterSize))
        for (i, entry) in refcountTable.enumerated() { table.putBigEndian(entry, at: i * 8, 8) }
        for k in 0..<blocks {
            let tableIndex = oldEntries + k, first = tableIndex * refcountsPerBlock
            var block = [UInt8](repeating: 0, count: Int(clusterSize))
            let low = max(first, areaStart), high = min(first + refcountsPerBlock, areaEnd)
            if low < high { for cluster in low ..< high { setRefcountEntry(&block, cluster - first, 1) } }
            let blockOffset = (areaStart + k) << clusterBits
            try file.write(block, at: blockOffset)
            refcountCache.insert(block, at: blockOffset)
            table.putBigEndian(blockOffset, at: Int(tableIndex) * 8, 8)
        }
        try file.write(table, at: tableOffset)
        fileEnd = max(fileEnd, areaEnd << clusterBits)
        try barrier()
        var field = [UInt8](repeating: 0, count: 12)
        field.putBigEndian(tableOffset, at: 0, 8)
        field.putBigEndian(tableClusters, at: 8, 4)
        try file.write(field, at: 48)
        try barrier()
        let oldOffset = header.refcountTableOffset, oldClusters = UInt64(header.refcountTableClusters)
        header.refcountTableOffset = tableOffset
        header.refcountTableClusters = UInt32(tableClusters)
        refcountTable = (0..<Int(tableClusters * entriesPerCluster)).map { table.bigEndian($0 * 8, 8) }
        for cluster in areaStart ..< areaEnd { metadataClusters.insert(cluster) }
        for cluster in (oldOffset >> clusterBits) ..< (oldOffset >> clusterBits) + oldClusters {
            metadataClusters.remove(cluster)
            try freeCluster(cluster)
        }
    }

    /// The lowest free host cluster at or above the hint (past the end of the file, if need be).
    func findFreeCluster(excluding: Set<UInt64>) throws(StorageError) -> UInt64 {
        var index = max(freeClusterHint, 1)
        while true {
            if !excluding.contains(index), try refcount(ofCluster: index) == 0 { return index }
            index += 1
        }
    }

    /// One reference fewer; a cluster nobody references is given back to the host file system.
    func freeCluster(_ index: UInt64) throws(StorageError) {
        let count = try refcount(ofCluster: index)
        guard count > 0 else { throw corrupt("cluster \(index) is freed but its refcount is already 0") }
        try setRefcount(ofCluster: index, to: count - 1, excluding: [])
        if count == 1 { clusterBecameFree(index) }
    }

    /// Bookkeeping for a cluster whose refcount reached 0: it may be allocated again, holds no
    /// table any more, and its space goes back to the host file system.
    func clusterBecameFree(_ index: UInt64, punchHole: Bool = true) {
        freeClusterHint = min(freeClusterHint, index)
        l2Cache.remove(index << clusterBits)
        refcountCache.remove(index << clusterBits)
        metadataClusters.remove(index)
        guard punchHole else { return }
        if holesToPunch != nil { holesToPunch?.append(index) } else { file.punchHole(at: index << clusterBits, count: clusterSize) }
    }

    /// Gives freed clusters' space back to the host file system in runs of adjacent clusters: one
    /// fallocate per run, not per cluster (a large discard, or a snapshot applied over a disk that
    /// diverged, frees thousands). Leaving a hole unpunched after a crash only leaks space.
    func punchHoles(inClusters indices: some Sequence<UInt64>) {
        var run: Range<UInt64>?
        for index in indices.sorted() {
            if let current = run, current.upperBound == index {
                run = current.lowerBound ..< index + 1
            } else {
                if let current = run { file.punchHole(at: current.lowerBound << clusterBits, count: UInt64(current.count) << clusterBits) }
                run = index ..< index + 1
            }
        }
        if let current = run { file.punchHole(at: current.lowerBound << clusterBits, count: UInt64(current.count) << clusterBits) }
    }
}
