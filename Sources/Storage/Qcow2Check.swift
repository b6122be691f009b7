/// What `qemu-img check` reports for a qcow2 image: every host cluster's refcount set beside
/// the references the metadata holds to it.
public struct ImageCheckReport: Sendable {
    /// One line per finding, in qemu-img's words ("Leaked cluster 5 refcount=1 reference=0",
    /// "ERROR cluster 5 refcount=0 reference=1", "Repairing cluster ...").
    public var messages: [String] = []
    public var leaks = 0
    public var corruptions = 0
    public var repairedLeaks = 0
    public var repairedCorruptions = 0
    public var allocatedClusters: UInt64 = 0
    public var totalClusters: UInt64 = 0
    public var fragmentedClusters: UInt64 = 0
    public var compressedClusters: UInt64 = 0
    public var imageEndOffset: UInt64 = 0
    public var isClean: Bool { leaks == 0 && corruptions == 0 }
}

/// qemu-img check's `-r`: which inconsistencies to repair.
public enum RepairMode: String, Sendable {
    /// Refcounts above the references (space is wasted, nothing is at risk).
    case leaks
    /// Also refcounts below the references (a cluster in use could be allocated again).
    case all
}

extension Qcow2Image {
    /// Counts references from the metadata (header, L1, L2 tables, data and compressed
    /// clusters, refcount table and blocks, the snapshot table and every snapshot's L1 table
    /// and what it reaches, the bitmap directory, tables and data) and compares them with the
    /// refcounts ("Host cluster management": a cluster's refcount is the number of references
    /// to it). With `repair`, refcounts are set to the references (and with `.all` the COPIED
    /// flags rebuilt), then the image is checked again.
    public func check(repair: RepairMode? = nil) throws(StorageError) -> ImageCheckReport {
        if repair != nil { try checkWritable() }
        // References waiting for a barrier would show as leaks: settle them first.
        if !readOnly { try writeMetadata() }
        let fileClusters = (fileEnd + clusterSize - 1) >> clusterBits
        guard fileClusters <= Self.maximumCheckedClusters else {
            throw StorageError(.unsupported, "qcow2 image '\(path)' has \(fileClusters) clusters, more than a check tracks (\(Self.maximumCheckedClusters))")
        }
        var report = ImageCheckReport()
        report.totalClusters = (virtualSize + clusterSize - 1) >> clusterBits
        var references = [UInt32](repeating: 0, count: Int(fileClusters))

        func reference(_ offset: UInt64, _ length: UInt64, _ what: String) {
            guard length > 0 else { return }
            guard offset < fileEnd, length <= fileEnd - offset || what == "compressed cluster" else {
                report.corruptions += 1
                report.messages.append("ERROR \(what) offset=\(String(offset, radix: 16)) is outside the image (end \(String(fileEnd, radix: 16)))")
                return
            }
            let last = min(offset + length, fileEnd) - 1
            for index in (offset >> clusterBits)...(last >> clusterBits) { references[Int(index)] &+= 1 }
        }

        reference(0, clusterSize, "header")
        reference(header.l1TableOffset, UInt64(header.l1Size) * 8, "L1 table")
        reference(header.refcountTableOffset, UInt64(header.refcountTableClusters) * clusterSize, "refcount table")
        for entry in refcountTable where entry & Self.refcountTableOffsetMask != 0 {
            let offset = entry & Self.refcountTableOffsetMask
            if offset % clusterSize != 0 {
                report.corruptions += 1
                report.messages.append("ERROR refcount block offset=\(String(offset, radix: 16)) is not cluster aligned")
            } else {
                reference(offset, clusterSize, "refcount block")
            }
        }
        reference(header.snapshotsOffset, snapshotTableLength, "snapshot table")
        // Bit 63 is only meaningful in the active tables: (offset, flag set) of each there.
        var copiedFlags: [(offset: UInt64, set: Bool, what: String)] = []
        var previousHost: UInt64?
        func walk(_ table: [UInt64], active: Bool, _ name: String) throws(StorageError) {
            for (l1Index, l1Entry) in table.enumerated() where l1Entry & Self.offsetMask != 0 {
                let l2Offset = l1Entry & Self.offsetMask
                guard l2Offset % clusterSize == 0, l2Offset < fileEnd, clusterSize <= fileEnd - l2Offset else {
                    report.corruptions += 1
                    report.messages.append("ERROR L2 table offset=\(String(l2Offset, radix: 16)) (\(name) L1 index \(l1Index)) is unaligned or outside the image")
                    continue
                }
                reference(l2Offset, clusterSize, "L2 table")
                if active { copiedFlags.append((l2Offset, l1Entry & Self.copiedFlag != 0, "L2 cluster")) }
                let l2 = try l2Table(at: l2Offset)
                for (index, entry) in l2.enumerated() where entry != 0 {
                    let mapping: Mapping
                    do {
                        mapping = try decode(entry)
                    } catch {
                        report.corruptions += 1
                        report.messages.append("ERROR \(error.description) (L2 entry \(index) of \(name) L1 index \(l1Index))")
                        continue
                    }
                    switch mapping {
                    case .unallocated:
                        continue
                    case .zero(let host):
                        if host != 0 {
                            reference(host, clusterSize, "zero cluster")
                            if active { copiedFlags.append((host, entry & Self.copiedFlag != 0, "data cluster")) }
                        }
                    case .data(let host, let copied):
                        reference(host, clusterSize, "data cluster")
                        if active {
                            report.allocatedClusters += 1
                            if let previousHost, host != previousHost + clusterSize { report.fragmentedClusters += 1 }
                            previousHost = host
                            copiedFlags.append((host, copied, "data cluster"))
                        }
                    case .compressed(let host, let length):
                        reference(host, length, "compressed cluster")
                        if active {
                            report.allocatedClusters += 1
                            report.compressedClusters += 1
                        }
                    }
                }
            }
        }
        try walk(l1, active: true, "active")
        for snapshot in snapshots {
            reference(snapshot.l1TableOffset, UInt64(snapshot.l1Size) * 8, "snapshot L1 table")
            try walk(try snapshotL1(snapshot), active: false, "snapshot '\(snapshot.name)'")
        }
        if let directory = header.bitmapsExtension { reference(directory.directoryOffset, directory.directorySize, "bitmap directory") }
        for bitmap in bitmaps where bitmap.tableOffset != 0 {
            reference(bitmap.tableOffset, UInt64(bitmap.tableSize) * 8, "bitmap table")
            do {
                for entry in try bitmapTable(bitmap) where entry & Self.offsetMask != 0 {
                    reference(entry & Self.offsetMask, clusterSize, "bitmap data")
                }
            } catch {
                report.corruptions += 1
                report.messages.append("ERROR \(error.description)")
            }
        }

        var fixes: [(UInt64, UInt64)] = []
        for index in 0..<fileClusters {
            let referenced = UInt64(references[Int(index)])
            let count: UInt64
            do {
                count = try refcount(ofCluster: index)
            } catch {
                report.corruptions += 1
                report.messages.append("ERROR cluster \(index): \(error.description)")
                continue
            }
            guard count != referenced else { continue }
            if count > referenced {
                report.leaks += 1
                report.messages.append("Leaked cluster \(index) refcount=\(count) reference=\(referenced)")
                if repair != nil { fixes.append((index, referenced)) }
            } else {
                report.corruptions += 1
                report.messages.append("ERROR cluster \(index) refcount=\(count) reference=\(referenced)")
                if repair == .all { fixes.append((index, referenced)) }
            }
        }
        // "QCOW_OFLAG_COPIED": set exactly when the refcount is 1 (judged by the references,
        // which a repair makes the refcounts), in the active tables; qemu-img counts a wrong
        // flag as a corruption, and -r all rebuilds the flags.
        var wrongFlags = 0
        for flag in copiedFlags where references.indices.contains(Int(flag.offset >> clusterBits)) {
            let referenced = references[Int(flag.offset >> clusterBits)]
            if (referenced == 1) != flag.set {
                wrongFlags += 1
                report.corruptions += 1
                report.messages.append("ERROR OFLAG_COPIED \(flag.what): offset=\(String(flag.offset, radix: 16)) refcount=\(referenced)")
            }
        }
        report.imageEndOffset = fileEnd

        guard let repair, !fixes.isEmpty || (repair == .all && wrongFlags > 0) else { return report }
        // Never allocate a cluster the metadata references while fixing (a refcount block that
        // must be created goes past the end of the file).
        freeClusterHint = max(freeClusterHint, fileClusters)
        for (index, value) in fixes {
            let count = try refcount(ofCluster: index)
            report.messages.append("Repairing cluster \(index) refcount=\(count) reference=\(value)")
            try setRefcount(ofCluster: index, to: value, excluding: [index])
        }
        if repair == .all { try recomputeCopiedFlags() }
        try barrier()
        var again = try check(repair: nil)
        again.repairedLeaks = report.leaks - again.leaks
        again.repairedCorruptions = repair == .all ? report.corruptions - again.corruptions : 0
        again.messages = report.messages + again.messages
        return again
    }
}
