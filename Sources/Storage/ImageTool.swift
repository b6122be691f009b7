#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `virtbench image` does, with qemu-img's meanings: create, info, convert, commit and
/// rebase (snapshot and bitmap are Qcow2Image's own operations).
public enum ImageTool {
    /// qemu-img's default qcow2 cluster size.
    public static let defaultClusterSize: UInt64 = 65536

    /// `create -f raw FILE SIZE`: a sparse file of `size` bytes.
    public static func createRaw(_ path: String, size: UInt64) throws(StorageError) {
        let file = try HostFile(path: path, writable: true, create: true)
        try file.truncate(to: 0)
        try file.truncate(to: size)
    }

    /// `create -f qcow2 [-b BACKING -F FMT] [-o cluster_size=N] FILE [SIZE]`: a version-3 image
    /// laid out as qemu-img lays it out (header, refcount table, one refcount block, L1 table),
    /// with a refcount table large enough that the image can fill its virtual size without the
    /// table growing. Without SIZE, the backing file's size.
    public static func createQcow2(_ path: String, size: UInt64?, clusterSize: UInt64 = defaultClusterSize,
                                   backingFile: String? = nil, backingFormat: ImageFormat? = nil,
                                   allowUnsafeBackingPaths: Bool = false) throws(StorageError) {
        let clusterBits = UInt32(clusterSize.trailingZeroBitCount)
        guard clusterSize.nonzeroBitCount == 1, Qcow2Header.clusterBitsRange.contains(clusterBits) else {
            throw StorageError(.invalid, "Cluster size must be a power of two between 512 and 2048k")
        }
        var virtualSize = size
        var header = Qcow2Header()
        header.clusterBits = clusterBits
        if let backingFile {
            guard backingFile.utf8.count <= Qcow2Header.maximumBackingNameLength else {
                throw StorageError(.invalid, "backing file name is longer than \(Qcow2Header.maximumBackingNameLength) bytes")
            }
            // The backing file must open (so a typo is caught now), and gives the size if none was.
            // Closed again before the new file is locked for writing (it may be in the chain).
            let resolved = try ImageOpener.resolveBackingName(backingFile, of: path, allowUnsafe: allowUnsafeBackingPaths)
            let (backingSize, backingFormatName) = try { () throws(StorageError) in
                let driver = try ImageOpener.open(resolved, options: ImageOpenOptions(readOnly: true, format: backingFormat,
                                                                                     allowUnsafeBackingPaths: allowUnsafeBackingPaths)).driver
                return (driver.virtualSize, driver.formatName)
            }()
            if virtualSize == nil { virtualSize = backingSize }
            header.backingFile = backingFile
            header.backingFormat = backingFormat?.rawValue ?? backingFormatName
        }
        guard let requested = virtualSize else { throw StorageError(.invalid, "Image creation needs a size parameter") }
        // qemu-img rounds the size up to whole 512-byte sectors.
        let size = (requested + 511) & ~511
        let l2Coverage = clusterSize * (clusterSize / 8)
        let l1Size = (size + l2Coverage - 1) / l2Coverage
        guard l1Size * 8 <= Qcow2Header.maximumL1Bytes, size <= 1 << 62 else {
            throw StorageError(.invalid, "image size \(size) is too large for cluster size \(clusterSize)")
        }
        let l1Clusters = max(1, (l1Size * 8 + clusterSize - 1) / clusterSize)
        // Every cluster the full image may need: metadata, L2 tables, data, and the refcount
        // blocks counting them all.
        let refcountsPerBlock = clusterSize * 8 / 16
        let dataClusters = (size + clusterSize - 1) / clusterSize
        var clusters = 3 + l1Clusters + l1Size + dataClusters
        clusters += (clusters + refcountsPerBlock - 1) / refcountsPerBlock
        let blocks = (clusters + refcountsPerBlock - 1) / refcountsPerBlock
        let tableClusters = max(1, (blocks * 8 + clusterSize - 1) / clusterSize)
        guard tableClusters * clusterSize <= Qcow2Header.maximumRefcountTableBytes else {
            throw StorageError(.invalid, "image size \(size) is too large for cluster size \(clusterSize)")
        }
        let refcountTableOffset = clusterSize
        let refcountBlockOffset = refcountTableOffset + tableClusters * clusterSize
        let l1Offset = refcountBlockOffset + clusterSize
        let metadataClusters = l1Offset / clusterSize + l1Clusters
        guard metadataClusters <= refcountsPerBlock else {
            throw StorageError(.invalid, "image size \(size) is too large for cluster size \(clusterSize)")
        }
        header.size = size
        header.l1Size = UInt32(l1Size)
        header.l1TableOffset = l1Offset
        header.refcountTableOffset = refcountTableOffset
        header.refcountTableClusters = UInt32(tableClusters)
        guard let first = header.serialized() else {
            throw StorageError(.invalid, "the header, its extensions and the backing file name do not fit in one cluster of \(clusterSize) bytes")
        }

        let file = try HostFile(path: path, writable: true, create: true)
        try file.truncate(to: 0)
        try file.write(first, at: 0)
        var table = [UInt8](repeating: 0, count: Int(tableClusters * clusterSize))
        table.putBigEndian(refcountBlockOffset, at: 0, 8)
        try file.write(table, at: refcountTableOffset)
        var block = [UInt8](repeating: 0, count: Int(clusterSize))
        for index in 0..<Int(metadataClusters) { block.putBigEndian(1, at: index * 2, 2) }
        try file.write(block, at: refcountBlockOffset)
        // The L1 table starts empty, written as zeros rather than left a hole (as qemu-img
        // writes it): an L1 entry set later is then a rewrite of space the file already has,
        // which a full file system cannot refuse, so a thin image stays consistent on ENOSPC.
        try file.write([UInt8](repeating: 0, count: Int(l1Clusters * clusterSize)), at: l1Offset)
        try file.synchronize()
    }

    /// `info`: what qemu-img info shows, for the keys both tools have.
    public struct Info: Sendable {
        public var filename: String
        public var format: String
        public var virtualSize: UInt64
        /// Bytes the file takes on its file system; nil for an NBD export (qemu-img: "unavailable").
        public var actualSize: UInt64?
        public var clusterSize: UInt64?
        public var backingFilename: String?
        public var fullBackingFilename: String?
        public var backingFormat: String?
        public var dirty = false
        public var qcow2: Qcow2Details?
        /// Internal snapshots (qcow2), in table order.
        public var snapshots: [Qcow2Snapshot] = []

        public struct Qcow2Details: Sendable {
            public var compat: String
            public var compressionType: String
            public var lazyRefcounts: Bool
            public var refcountBits: UInt64
            public var corrupt: Bool
            public var extendedL2: Bool
            /// Persistent dirty bitmaps: name, granularity, qemu-img's flags ("in-use", "auto").
            public var bitmaps: [(name: String, granularity: UInt64, flags: [String])] = []
        }

        /// qemu-img info --output=json, its key order and indentation.
        public var json: String {
            var lines: [String] = []
            func string(_ s: String) -> String {
                var out = "\""
                for scalar in s.unicodeScalars {
                    switch scalar {
                    case "\"": out += "\\\""
                    case "\\": out += "\\\\"
                    case _ where scalar.value < 0x20: out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
                    default: out.unicodeScalars.append(scalar)
                    }
                }
                return out + "\""
            }
            if !snapshots.isEmpty {
                let entries = snapshots.map { snapshot in
                    let fields = (snapshot.icount.flatMap { $0 == UInt64.max ? nil : ["\"icount\": \($0)"] } ?? []) + [
                        "\"vm-clock-nsec\": \(snapshot.vmClockNanoseconds % 1_000_000_000)", "\"name\": \(string(snapshot.name))",
                        "\"date-sec\": \(snapshot.dateSeconds)", "\"date-nsec\": \(snapshot.dateNanoseconds)",
                        "\"vm-clock-sec\": \(snapshot.vmClockNanoseconds / 1_000_000_000)", "\"id\": \(string(snapshot.id))",
                        "\"vm-state-size\": \(snapshot.vmStateSize)"]
                    return "        {\n" + fields.map { "            " + $0 }.joined(separator: ",\n") + "\n        }"
                }
                lines.append("    \"snapshots\": [\n" + entries.joined(separator: ",\n") + "\n    ]")
            }
            if let backingFormat { lines.append("    \"backing-filename-format\": \(string(backingFormat))") }
            lines.append("    \"virtual-size\": \(virtualSize)")
            lines.append("    \"filename\": \(string(filename))")
            if let clusterSize { lines.append("    \"cluster-size\": \(clusterSize)") }
            lines.append("    \"format\": \(string(format))")
            if let actualSize { lines.append("    \"actual-size\": \(actualSize)") }
            if let qcow2 {
                lines.append("""
                        "format-specific": {
                            "type": "qcow2",
                            "data": {
                                "compat": \(string(qcow2.compat)),
                                "compression-type": \(string(qcow2.compressionType)),
                                "lazy-refcounts": \(qcow2.lazyRefcounts),\(bitmapsJSON(qcow2.bitmaps, string))
                                "refcount-bits": \(qcow2.refcountBits),
                                "corrupt": \(qcow2.corrupt),
                                "extended-l2": \(qcow2.extendedL2)
                            }
                        }
                    """)
            }
            if let fullBackingFilename { lines.append("    \"full-backing-filename\": \(string(fullBackingFilename))") }
            if let backingFilename { lines.append("    \"backing-filename\": \(string(backingFilename))") }
            lines.append("    \"dirty-flag\": \(dirty)")
            return "{\n" + lines.joined(separator: ",\n") + "\n}"
        }

        /// The "bitmaps" list of format-specific data, as qemu-img nests it; empty without bitmaps.
        private func bitmapsJSON(_ bitmaps: [(name: String, granularity: UInt64, flags: [String])], _ string: (String) -> String) -> String {
            guard !bitmaps.isEmpty else { return "" }
            let pad = String(repeating: " ", count: 12)
            let entries = bitmaps.map { bitmap in
                let flags = bitmap.flags.map { "\(pad)            \"\($0)\"" }.joined(separator: ",\n")
                return "\(pad)    {\n\(pad)        \"flags\": [\n\(flags)\(flags.isEmpty ? "" : "\n")\(pad)        ],\n"
                    + "\(pad)        \"name\": \(string(bitmap.name)),\n"
                    + "\(pad)        \"granularity\": \(bitmap.granularity)\n\(pad)    }"
            }
            return "\n\(pad)\"bitmaps\": [\n" + entries.joined(separator: ",\n") + "\n\(pad)],"
        }

        /// qemu-img info's human output.
        public var text: String {
            var lines = ["image: \(filename)", "file format: \(format)",
                         "virtual size: \(Self.humanSize(virtualSize)) (\(virtualSize) bytes)",
                         "disk size: \(actualSize.map(Self.humanSize) ?? "unavailable")"]
            if let clusterSize { lines.append("cluster_size: \(clusterSize)") }
            if let backingFilename {
                lines.append("backing file: \(backingFilename)" + (fullBackingFilename != backingFilename ? " (actual path: \(fullBackingFilename ?? ""))" : ""))
            }
            if let backingFormat { lines.append("backing file format: \(backingFormat)") }
            if !snapshots.isEmpty { lines.append(Self.snapshotList(snapshots)) }
            if let qcow2 {
                lines += ["Format specific information:", "    compat: \(qcow2.compat)", "    compression type: \(qcow2.compressionType)",
                          "    lazy refcounts: \(qcow2.lazyRefcounts)"]
                if !qcow2.bitmaps.isEmpty {
                    lines.append("    bitmaps:")
                    for (number, bitmap) in qcow2.bitmaps.enumerated() {
                        lines += ["        [\(number)]:", "            flags:"] + bitmap.flags.enumerated().map { "                [\($0.offset)]: \($0.element)" }
                        lines += ["            name: \(bitmap.name)", "            granularity: \(bitmap.granularity)"]
                    }
                }
                lines += ["    refcount bits: \(qcow2.refcountBits)",
                          "    corrupt: \(qcow2.corrupt)", "    extended l2: \(qcow2.extendedL2)"]
            }
            return lines.joined(separator: "\n")
        }

        /// qemu-img's snapshot table ("Snapshot list:", then its printf columns).
        public static func snapshotList(_ snapshots: [Qcow2Snapshot]) -> String {
            func left(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
            func right(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
            var lines = ["Snapshot list:", left("ID", 10) + left("TAG", 17) + right("VM SIZE", 8) + right("DATE", 20) + right("VM CLOCK", 13) + right("ICOUNT", 11)]
            for snapshot in snapshots {
                var seconds = time_t(snapshot.dateSeconds)
                var parts = tm()
                localtime_r(&seconds, &parts)
                func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
                let date = "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
                let clock = snapshot.vmClockNanoseconds / 1_000_000
                let milliseconds = clock % 1000, totalSeconds = clock / 1000
                func pad(_ n: UInt64, _ digits: Int) -> String { let text = String(n); return String(repeating: "0", count: max(0, digits - text.count)) + text }
                let vmClock = "\(pad(totalSeconds / 3600, 2)):\(pad(totalSeconds / 60 % 60, 2)):\(pad(totalSeconds % 60, 2)).\(pad(milliseconds, 3))"
                let icount = snapshot.icount.flatMap { $0 == UInt64.max ? nil : String($0) } ?? ""
                lines.append(left(snapshot.id, 9) + " " + left(snapshot.name, 16) + " " + right(humanSize(snapshot.vmStateSize), 8)
                             + right(date, 20) + right(vmClock, 13) + right(icount, 11))
            }
            return lines.joined(separator: "\n")
        }

        /// qemu-img's sizes: binary units, three significant digits ("196 KiB", "1.5 GiB").
        public static func humanSize(_ bytes: UInt64) -> String {
            let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
            var value = Double(bytes), unit = 0
            while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
            if unit == 0 { return "\(bytes) B" }
            let digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
            var text = rounded(value, digits: digits)
            if text.contains(".") { while text.hasSuffix("0") { text.removeLast() }; if text.hasSuffix(".") { text.removeLast() } }
            return "\(text) \(units[unit])"
        }

        private static func rounded(_ value: Double, digits: Int) -> String {
            let scale = [1.0, 10.0, 100.0][digits]
            let rounded = (value * scale).rounded() / scale
            return digits == 0 ? String(Int(rounded)) : String(rounded)
        }
    }

    /// Reads what `info` shows, opening the image read-only (its backing chain too, as qemu-img does).
    /// `forceShare` is qemu-img's -U: no image lock, so an image in use can be looked at.
    public static func info(_ path: String, format: ImageFormat? = nil, allowUnsafeBackingPaths: Bool = false,
                            forceShare: Bool = false) throws(StorageError) -> Info {
        let opened = try ImageOpener.open(path, options: ImageOpenOptions(readOnly: true, format: format,
                                                                         allowUnsafeBackingPaths: allowUnsafeBackingPaths, lock: !forceShare))
        let allocated = NBDAddress.isURI(path) ? nil : try HostFile(path: path, writable: false, lock: false).allocatedBytes()
        var info = Info(filename: path, format: opened.driver.formatName, virtualSize: opened.driver.virtualSize, actualSize: allocated)
        if let image = opened.driver as? Qcow2Image {
            let header = image.header
            info.clusterSize = header.clusterSize
            info.backingFilename = header.backingFile
            info.fullBackingFilename = image.backingPath
            info.backingFormat = header.backingFormat
            info.dirty = image.isDirty
            info.snapshots = image.snapshots
            info.qcow2 = Info.Qcow2Details(
                compat: header.version >= 3 ? "1.1" : "0.10", compressionType: header.compressionType == 1 ? "zstd" : "zlib",
                lazyRefcounts: header.compatibleFeatures & Qcow2Header.lazyRefcounts != 0, refcountBits: header.refcountBits,
                corrupt: image.isCorrupt, extendedL2: false,
                bitmaps: image.bitmaps.map { ($0.name, $0.granularity, ($0.inconsistent ? ["in-use"] : []) + ($0.enabled ? ["auto"] : [])) })
        }
        return info
    }

    /// `convert -f FMT -O FMT SOURCE TARGET`: the target is created the size of the source and
    /// gets every block of it that is not all zeros (the rest stays unallocated, reading zeros).
    public static func convert(_ source: String, sourceFormat: ImageFormat?, to target: String, targetFormat: ImageFormat,
                               clusterSize: UInt64 = defaultClusterSize, allowUnsafeBackingPaths: Bool = false) throws(StorageError) {
        let input = try ImageOpener.open(source, options: ImageOpenOptions(readOnly: true, format: sourceFormat,
                                                                           allowUnsafeBackingPaths: allowUnsafeBackingPaths)).driver
        let size = input.virtualSize
        switch targetFormat {
        case .raw: try createRaw(target, size: size)
        case .qcow2: try createQcow2(target, size: size, clusterSize: clusterSize)
        }
        let output = try ImageOpener.open(target, options: ImageOpenOptions(cache: .unsafe, format: targetFormat)).driver
        let chunk: UInt64 = max(clusterSize, 1 << 16)
        var offset: UInt64 = 0
        while offset < size {
            let count = Int(min(chunk, size - offset))
            let bytes = try input.read(at: offset, count: count)
            if bytes.contains(where: { $0 != 0 }) { try output.write(bytes, at: offset) }
            offset += UInt64(count)
        }
        // Written under cache=unsafe (no barriers while nothing else can see the target); now durable.
        if let image = output as? Qcow2Image { try image.file.synchronize() }
        if let disk = output as? RawFileDisk { try disk.file.synchronize() }
    }
}

// MARK: Backing chains: commit and rebase, with qemu-img's meanings

extension ImageTool {
    /// `commit [-d] FILE`: every range FILE holds itself (data and zero clusters) is written into
    /// its backing file, which is then flushed; unless `keepTop`, FILE is then emptied so it reads
    /// through to the backing file, which now holds its data. Only the image's own backing file
    /// can be the base (qemu-img's `-b` deeper in the chain is not built).
    public static func commit(_ path: String, format: ImageFormat? = nil, keepTop: Bool = false,
                              allowUnsafeBackingPaths: Bool = false) throws(StorageError) {
        var options = ImageOpenOptions(format: format, allowUnsafeBackingPaths: allowUnsafeBackingPaths)
        options.writableBacking = true
        let top = try ImageOpener.open(path, options: options).driver
        guard let image = top as? Qcow2Image, let base = image.backing else {
            throw StorageError(.invalid, "Image does not have a backing file")
        }
        let ranges = try image.allocatedRanges()
        // What lies past the base's end cannot be committed into it (qemu-img grows the base
        // first; resizing is not built): refused before the first write, so a refused commit
        // leaves the base as it was.
        if let end = ranges.map(\.upperBound).max(), end > base.virtualSize {
            throw StorageError(.unsupported, "'\(path)' holds data past the end of its backing file (\(base.virtualSize) bytes); growing the backing file is not built")
        }
        for range in ranges {
            var offset = range.lowerBound
            while offset < range.upperBound {
                // One cluster at a time: never more than a cluster of guest data in memory.
                let count = min(image.header.clusterSize - offset % image.header.clusterSize, range.upperBound - offset)
                let bytes = try image.read(at: offset, count: Int(count))
                if bytes.allSatisfy({ $0 == 0 }) {
                    try base.writeZeroes(at: offset, count: count, deallocate: false)
                } else {
                    try base.write(bytes, at: offset)
                }
                offset += count
            }
        }
        try base.flush()
        if !keepTop {
            try image.makeEmpty()
            try image.flush()
        }
    }

    /// `rebase -b NEW [-F FMT] FILE` (NEW may be "" for no backing file): every cluster FILE does
    /// not hold itself and that reads differently through NEW than through the old backing file
    /// gets the old contents copied into FILE, so the guest sees the same disk; then the header
    /// names NEW. With `unsafe` (qemu-img's -u) only the header changes.
    public static func rebase(_ path: String, format: ImageFormat? = nil, newBacking: String, newBackingFormat: ImageFormat? = nil,
                              unsafe: Bool = false, allowUnsafeBackingPaths: Bool = false) throws(StorageError) {
        let top = try ImageOpener.open(path, options: ImageOpenOptions(format: format, allowUnsafeBackingPaths: allowUnsafeBackingPaths)).driver
        guard let image = top as? Qcow2Image else {
            throw StorageError(.unsupported, "'\(path)' is \(top.formatName): only qcow2 images have a backing file to change")
        }
        var formatName = newBackingFormat?.rawValue
        if !newBacking.isEmpty {
            let resolved: String
            do {
                resolved = try ImageOpener.resolveBackingName(newBacking, of: path, allowUnsafe: allowUnsafeBackingPaths)
            } catch {
                throw StorageError(error.kind, "Could not open new backing file '\(newBacking)': \(error.description)", code: error.code)
            }
            if !unsafe || formatName == nil {
                let opened: any BlockDriver
                do {
                    opened = try ImageOpener.open(resolved, options: ImageOpenOptions(readOnly: true, format: newBackingFormat,
                                                                                    allowUnsafeBackingPaths: allowUnsafeBackingPaths)).driver
                } catch {
                    throw StorageError(error.kind, "Could not open new backing file '\(newBacking)': \(error.description)", code: error.code)
                }
                formatName = opened.formatName
                if !unsafe { try copyDifferences(into: image, oldBacking: image.backing, newBacking: opened) }
            }
        } else if !unsafe {
            try copyDifferences(into: image, oldBacking: image.backing, newBacking: nil)
        }
        try image.flush()
        try image.setBackingFile(newBacking.isEmpty ? nil : newBacking, format: formatName)
    }

    /// The safe rebase's copy: cluster by cluster over what `image` does not hold itself.
    private static func copyDifferences(into image: Qcow2Image, oldBacking: (any BlockDriver)?, newBacking: (any BlockDriver)?) throws(StorageError) {
        let clusterSize = image.header.clusterSize, size = image.virtualSize
        let allocated = try image.allocatedRanges()
        var index = 0
        var offset: UInt64 = 0
        while offset < size {
            let count = min(clusterSize, size - offset)
            while index < allocated.count && allocated[index].upperBound <= offset { index += 1 }
            let held = index < allocated.count && allocated[index].contains(offset)
            if !held {
                let old = try readOrZeros(oldBacking, offset, count), new = try readOrZeros(newBacking, offset, count)
                if old != new {
                    if old.allSatisfy({ $0 == 0 }) {
                        try image.writeZeroes(at: offset, count: count, deallocate: false)
                    } else {
                        try image.write(old, at: offset)
                    }
                }
            }
            offset += count
        }
    }

    /// `count` bytes at `offset` of `driver`, zeros past its end or without one (what a qcow2
    /// image reads where its backing file ends).
    private static func readOrZeros(_ driver: (any BlockDriver)?, _ offset: UInt64, _ count: UInt64) throws(StorageError) -> [UInt8] {
        guard let driver, offset < driver.virtualSize else { return [UInt8](repeating: 0, count: Int(count)) }
        let available = min(count, driver.virtualSize - offset)
        return try driver.read(at: offset, count: Int(available)) + [UInt8](repeating: 0, count: Int(count - available))
    }
}

// MARK: Incremental backup from a dirty bitmap

extension ImageTool {
    /// What a bitmap does when a backup has been made (QEMU's backup job `bitmap-mode`).
    public enum BitmapMode: String, Sendable {
        /// Cleared once the target is complete and durable: the next backup holds what changed
        /// after this one (QEMU's default for an incremental backup).
        case onSuccess = "on-success"
        /// Left as it was (the same changes go into the next backup too).
        case never
    }

    /// `backup --bitmap NAME [-b PREVIOUS [-F FMT]] SOURCE TARGET`: QEMU's incremental backup
    /// (a backup job with sync=incremental) as one offline command. TARGET is a new qcow2 image
    /// the size of SOURCE that gets exactly the granules the bitmap marks dirty (all-zero ones as
    /// zeros, so they read as zeros over a backing file); with PREVIOUS (the last backup, named
    /// relative to TARGET's folder) as its backing file, the chain TARGET → PREVIOUS → ... reads
    /// as SOURCE did. Returns the bytes copied.
    public static func backup(_ source: String, sourceFormat: ImageFormat?, bitmap: String, to target: String,
                              previous: String?, previousFormat: ImageFormat?, clusterSize: UInt64 = defaultClusterSize,
                              bitmapMode: BitmapMode = .onSuccess, allowUnsafeBackingPaths: Bool = false) throws(StorageError) -> UInt64 {
        let opened = try ImageOpener.open(source, options: ImageOpenOptions(readOnly: bitmapMode == .never, format: sourceFormat,
                                                                            allowUnsafeBackingPaths: allowUnsafeBackingPaths)).driver
        guard let image = opened as? Qcow2Image else {
            throw StorageError(.unsupported, "'\(source)' is \(opened.formatName): only qcow2 images hold dirty bitmaps")
        }
        let ranges = try image.dirtyRanges(of: bitmap)
        try createQcow2(target, size: image.virtualSize, clusterSize: clusterSize, backingFile: previous, backingFormat: previousFormat,
                        allowUnsafeBackingPaths: allowUnsafeBackingPaths)
        let output = try ImageOpener.open(target, options: ImageOpenOptions(cache: .unsafe, format: .qcow2,
                                                                            allowUnsafeBackingPaths: allowUnsafeBackingPaths)).driver
        if previous != nil, let base = (output as? Qcow2Image)?.backing, base.virtualSize != image.virtualSize {
            throw StorageError(.invalid, "the previous backup is \(base.virtualSize) bytes and '\(source)' is \(image.virtualSize): they are not backups of one disk")
        }
        var copied: UInt64 = 0
        let chunk: UInt64 = 1 << 20
        for range in ranges {
            var offset = range.lowerBound
            while offset < range.upperBound {
                let count = min(chunk, range.upperBound - offset)
                let bytes = try image.read(at: offset, count: Int(count))
                if bytes.allSatisfy({ $0 == 0 }) {
                    try output.writeZeroes(at: offset, count: count, deallocate: false)
                } else {
                    try output.write(bytes, at: offset)
                }
                copied += count
                offset += count
            }
        }
        // Written under cache=unsafe (nothing else sees the target yet); durable before the
        // bitmap that says what it holds is cleared.
        if let written = output as? Qcow2Image { try written.file.synchronize() }
        if bitmapMode == .onSuccess { try image.clearBitmap(bitmap) }
        try image.close()
        return copied
    }
}
