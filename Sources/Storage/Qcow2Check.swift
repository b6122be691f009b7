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
    /// clusters, refcount table and blocks) and compares them with the refcounts ("Host
    /// cluster management": a cluster's refcount is the number of references to it). With
    /// `repair`, refcounts are set to the references, then the image is checked again.
    public func check(repair: RepairMode? = nil) throws(StorageError) -> ImageCheckReport {
        guard header.snapshotCount == 0 else {
            throw StorageError(.unsupported, "qcow2 image '\(path)' has internal snapshots; checking them is a later slice of issue 20")
        }
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
        var copiedL2: [(offset: UInt64, what: String)] = []
        var previousHost: UInt64?
        for (l1Index, l1Entry) in l1.enumerated() where l1Entry & Self.offsetMask != 0 {
            let l2Offset = l1Entry & Self.offsetMask
            guard l2Offset % clusterSize == 0, l2Offset < fileEnd, clusterSize <= fileEnd - l2Offset else {
                report.corruptions += 1
                report.messages.append("ERROR L2 table offset=\(String(l2Offset, radix: 16)) (L1 index \(l1Index)) is unaligned or outside the image")
                continue
            }
            reference(l2Offset, clusterSize, "L2 table")
            if l1Entry & Self.copiedFlag != 0 { copiedL2.append((l2Offset, "L2 table")) }
            let table = try l2Table(at: l2Offset)
            for (index, entry) in table.enumerated() where entry != 0 {
                let mapping: Mapping
                do {
                    mapping = try decode(entry)
                } catch {
                    report.corruptions += 1
                    report.messages.append("ERROR \(error.description) (L2 entry \(index) of L1 index \(l1Index))")
                    continue
                }
                switch mapping {
                case .unallocated:
                    continue
                case .zero(let host):
                    if host != 0 { reference(host, clusterSize, "zero cluster") }
                case .data(let host, let copied):
                    reference(host, clusterSize, "data cluster")
                    report.allocatedClusters += 1
                    if let previousHost, host != previousHost + clusterSize { report.fragmentedClusters += 1 }
                    previousHost = host
                    if copied { copiedL2.append((host, "data cluster")) }
                case .compressed(let host, let length):
                    reference(host, length, "compressed cluster")
                    report.allocatedClusters += 1
                    report.compressedClusters += 1
                }
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
        // "QCOW_OFLAG_COPIED": set exactly when the refcount is 1.
        for (offset, what) in copiedL2 where references.indices.contains(Int(offset >> clusterBits)) {
            if let count = try? refcount(ofCluster: offset >> clusterBits), count != 1, references[Int(offset >> clusterBits)] == 1 {
                report.messages.append("ERROR OFLAG_COPIED \(what): offset=\(String(offset, radix: 16)) refcount=\(count)")
            }
        }
        report.imageEndOffset = fileEnd

        guard let repair, !fixes.isEmpty else { return report }
        // Never allocate a cluster the metadata references while fixing (a refcount block that
        // must be created goes past the end of the file).
        freeClusterHint = max(freeClusterHint, fileClusters)
        for (index, value) in fixes {
            let count = try refcount(ofCluster: index)
            report.messages.append("Repairing cluster \(index) refcount=\(count) reference=\(value)")
            try setRefcount(ofCluster: index, to: value, excluding: [index])
        }
        try barrier()
        var again = try check(repair: nil)
        again.repairedLeaks = report.leaks - again.leaks
        again.repairedCorruptions = repair == .all ? report.corruptions - again.corruptions : 0
        again.messages = report.messages + again.messages
        return again
    }
}
