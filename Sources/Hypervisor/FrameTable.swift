import Machine

/// Direct paging's bookkeeping for one para-virtual domain (Xen's page_info: a type and a
/// reference count per frame). A para guest's page tables hold machine addresses and the hart
/// walks them as they are, so every entry is checked before it is written: a leaf may only map
/// frames the domain owns, a page-table frame is never mapped writable, a frame mapped writable
/// never becomes a page table, and a table is used at one level only. Every entry a validated
/// table holds is a counted reference, so when a table loses its last reference (unpinned,
/// unlinked) it drops its own references in turn and the frames become ordinary memory again.
///
/// Pure bookkeeping over host memory: the hypercall layer (`Hypercalls.swift`) turns guest
/// requests into these calls; everything here refuses with an error and changes nothing.
public final class FrameTable {
    public typealias Failure = HypercallABI.HypercallError

    static let pageSize: UInt64 = 4096
    // Sv39 PTE bits (privileged spec, "Sv39").
    static let valid: UInt64 = 1, read: UInt64 = 2, write: UInt64 = 4, execute: UInt64 = 8, user: UInt64 = 16
    static let global: UInt64 = 32, accessed: UInt64 = 64, dirty: UInt64 = 128
    /// N, PBMT and the reserved bits 54–63: none is offered.
    static let reservedBits: UInt64 = 0x3ff << 54

    let memory: PhysicalMemory
    /// The domain's RAM as machine addresses: one contiguous range.
    public let machineBase: HostPhysicalAddress
    public let size: UInt64
    /// Device pages a leaf may map (emulated: every access traps to the host).
    let devicePages: Set<HostPhysicalAddress>

    /// 0: ordinary memory; 1 + n: a level-n page table (set while it validates, too).
    private(set) var type: [UInt8]
    /// References to the frame as a page table (links from parent tables, pins, base pointers).
    private(set) var tableReferences: [UInt32]
    /// Writable leaves that map the frame.
    private(set) var writableMappings: [UInt32]
    private(set) var pinned: [Bool]
    /// Frames the hypervisor itself writes into (the shared-info page, I/O ring pages): they may
    /// never become page tables, or a hypervisor write would be an unvalidated PTE.
    private(set) var hypervisorWritten: Set<Int> = []

    public init(memory: PhysicalMemory, machineBase: HostPhysicalAddress, size: UInt64, devicePages: Set<HostPhysicalAddress>) {
        self.memory = memory
        self.machineBase = machineBase
        self.size = size
        self.devicePages = devicePages
        let frames = Int(size / FrameTable.pageSize)
        type = Array(repeating: 0, count: frames)
        tableReferences = Array(repeating: 0, count: frames)
        writableMappings = Array(repeating: 0, count: frames)
        pinned = Array(repeating: false, count: frames)
    }

    /// The frame index of machine address `address`, nil when the domain does not own it.
    func frame(_ address: HostPhysicalAddress) -> Int? {
        guard let offset = address.offset(from: machineBase), offset < size else { return nil }
        return Int(offset / FrameTable.pageSize)
    }

    func address(of frame: Int) -> HostPhysicalAddress { machineBase + UInt64(frame) * FrameTable.pageSize }

    /// The level a frame is validated at, nil when it is not a page table.
    public func tableLevel(_ address: HostPhysicalAddress) -> Int? {
        guard let f = frame(address), type[f] != 0, tableReferences[f] > 0 else { return nil }
        return Int(type[f]) - 1
    }

    public func isPinned(_ address: HostPhysicalAddress) -> Bool { frame(address).map { pinned[$0] } ?? false }
    public func writableCount(_ address: HostPhysicalAddress) -> UInt32 { frame(address).map { writableMappings[$0] } ?? 0 }

    /// Marks frame `address` as one the hypervisor writes into (refused if it is a table now).
    public func reserveForHypervisorWrites(_ address: HostPhysicalAddress) throws(Failure) {
        guard let f = frame(address) else { throw .notOwned }
        guard type[f] == 0 else { throw .typeConflict }
        hypervisorWritten.insert(f)
    }

    // MARK: Guest requests

    /// Writes `value` into the PTE at machine address `address` after validating it.
    public func updateEntry(at address: HostPhysicalAddress, value: UInt64) throws(Failure) {
        guard address.isAligned(to: 8) else { throw .invalidAddress }
        guard let f = frame(address) else { throw .notOwned }
        guard type[f] != 0, tableReferences[f] > 0 else { throw .notPageTable }
        let level = Int(type[f]) - 1
        let old = memory.load(address, width: 8) ?? 0
        try acquire(entry: value, level: level)
        release(entry: old, level: level)
        _ = memory.store(address, width: 8, value: value)
    }

    /// Pins frame `address` as a level-`level` table (validating it if it is not one yet).
    public func pin(_ address: HostPhysicalAddress, level: UInt64) throws(Failure) {
        guard level <= 2 else { throw .invalidParameter }
        guard address.isAligned(to: FrameTable.pageSize) else { throw .invalidAddress }
        guard let f = frame(address) else { throw .notOwned }
        guard !pinned[f] else { throw .pinState }
        try acquireTable(f, level: Int(level))
        pinned[f] = true
    }

    public func unpin(_ address: HostPhysicalAddress) throws(Failure) {
        guard address.isAligned(to: FrameTable.pageSize) else { throw .invalidAddress }
        guard let f = frame(address) else { throw .notOwned }
        guard pinned[f] else { throw .pinState }
        pinned[f] = false
        releaseTable(f)
    }

    /// Takes a reference on a pinned level-2 table for use as a root (new-baseptr).
    public func acquireRoot(_ address: HostPhysicalAddress) throws(Failure) {
        guard address.isAligned(to: FrameTable.pageSize) else { throw .invalidAddress }
        guard let f = frame(address) else { throw .notOwned }
        guard pinned[f], type[f] == 3 else { throw .notPageTable }
        tableReferences[f] += 1
    }

    public func releaseRoot(_ address: HostPhysicalAddress) {
        guard let f = frame(address), type[f] == 3, tableReferences[f] > 0 else { return }
        releaseTable(f)
    }

    // MARK: References

    /// Takes the references entry `pte` of a level-`level` table needs, or throws having taken none.
    func acquire(entry pte: UInt64, level: Int) throws(Failure) {
        guard pte & FrameTable.valid != 0 else { return }
        guard pte & FrameTable.reservedBits == 0 else { throw .invalidParameter }
        let target = HostPhysicalAddress(pageOf: pte)
        if pte & (FrameTable.read | FrameTable.write | FrameTable.execute) == 0 {
            // A pointer to the next level's table.
            guard level > 0, pte & (FrameTable.user | FrameTable.accessed | FrameTable.dirty | FrameTable.global) == 0 else {
                throw .invalidParameter
            }
            guard let child = frame(target) else { throw .notOwned }
            try acquireTable(child, level: level - 1)
            return
        }
        guard pte & FrameTable.write == 0 || pte & FrameTable.read != 0, pte & FrameTable.user != 0 else { throw .invalidParameter }
        // 1 GiB leaves are not offered (no domain owns an aligned gigabyte it could use that way).
        guard level < 2 else { throw .invalidParameter }
        let span: UInt64 = level == 1 ? 512 * FrameTable.pageSize : FrameTable.pageSize
        guard target.isAligned(to: span) else { throw .invalidParameter }
        if level == 0 && devicePages.contains(target) { return }
        guard let first = frame(target), let offset = target.offset(from: machineBase), offset <= size - span else { throw .notOwned }
        guard pte & FrameTable.write != 0 else { return }
        let count = Int(span / FrameTable.pageSize)
        for f in first ..< first + count where type[f] != 0 { throw .typeConflict }
        for f in first ..< first + count { writableMappings[f] += 1 }
    }

    /// Drops what `acquire(entry:level:)` took for `pte` (an entry that was validated).
    func release(entry pte: UInt64, level: Int) {
        guard pte & FrameTable.valid != 0, pte & FrameTable.reservedBits == 0 else { return }
        let target = HostPhysicalAddress(pageOf: pte)
        if pte & (FrameTable.read | FrameTable.write | FrameTable.execute) == 0 {
            if level > 0, let child = frame(target) { releaseTable(child) }
            return
        }
        guard pte & FrameTable.write != 0, level < 2, let first = frame(target) else { return }
        let count = level == 1 ? 512 : 1
        for f in first ..< min(first + count, writableMappings.count) where writableMappings[f] > 0 { writableMappings[f] -= 1 }
    }

    /// One more reference to frame `f` as a level-`level` table; the first one validates every
    /// entry (taking their references), all or nothing.
    func acquireTable(_ f: Int, level: Int) throws(Failure) {
        if type[f] != 0 {
            // Typed already (or validating now: a table may not reach itself).
            guard type[f] == UInt8(level + 1), tableReferences[f] > 0 else { throw .typeConflict }
            tableReferences[f] += 1
            return
        }
        guard writableMappings[f] == 0, !hypervisorWritten.contains(f) else { throw .typeConflict }
        type[f] = UInt8(level + 1)
        let base = address(of: f)
        for index in 0 ..< 512 {
            let entry = memory.load(base + UInt64(index) * 8, width: 8) ?? 0
            do {
                try acquire(entry: entry, level: level)
            } catch {
                for undo in 0 ..< index { release(entry: memory.load(base + UInt64(undo) * 8, width: 8) ?? 0, level: level) }
                type[f] = 0
                throw error
            }
        }
        tableReferences[f] = 1
    }

    func releaseTable(_ f: Int) {
        guard tableReferences[f] > 0 else { return }
        tableReferences[f] -= 1
        guard tableReferences[f] == 0 else { return }
        let level = Int(type[f]) - 1
        let base = address(of: f)
        // Keep the type while dropping the entries' references, so a table that reaches back to
        // this one cannot re-type it half way.
        for index in 0 ..< 512 { release(entry: memory.load(base + UInt64(index) * 8, width: 8) ?? 0, level: level) }
        type[f] = 0
    }

    // MARK: Audit

    /// Recomputes every reference from the tables themselves and checks the rules: the
    /// problems found (empty when the bookkeeping is right). For tests and fuzzers.
    public func audit(roots: [HostPhysicalAddress]) -> [String] {
        var problems: [String] = []
        var tableRefs = [UInt32](repeating: 0, count: type.count)
        var writable = [UInt32](repeating: 0, count: type.count)
        for f in 0 ..< type.count where pinned[f] { tableRefs[f] += 1 }
        for root in roots { if let f = frame(root) { tableRefs[f] += 1 } else { problems.append("root \(root) not owned") } }
        for f in hypervisorWritten where type[f] != 0 { problems.append("frame \(f) is written by the hypervisor and a page table") }
        for f in 0 ..< type.count where type[f] != 0 {
            guard tableReferences[f] > 0 else { problems.append("frame \(f) typed with no references"); continue }
            let level = Int(type[f]) - 1
            for index in 0 ..< 512 {
                let pte = memory.load(address(of: f) + UInt64(index) * 8, width: 8) ?? 0
                guard pte & FrameTable.valid != 0 else { continue }
                let target = HostPhysicalAddress(pageOf: pte)
                if pte & (FrameTable.read | FrameTable.write | FrameTable.execute) == 0 {
                    guard let child = frame(target), level > 0, type[child] == UInt8(level) else {
                        problems.append("frame \(f) entry \(index): pointer to a non-table \(target)"); continue
                    }
                    tableRefs[child] += 1
                } else {
                    if level == 0 && devicePages.contains(target) { continue }
                    let span = level == 1 ? 512 : 1
                    guard let first = frame(target), first + span <= type.count else {
                        problems.append("frame \(f) entry \(index): maps \(target), not the domain's"); continue
                    }
                    if pte & FrameTable.write != 0 {
                        for g in first ..< first + span {
                            writable[g] += 1
                            if type[g] != 0 { problems.append("frame \(g) is a page table and mapped writable") }
                        }
                    }
                }
            }
        }
        for f in 0 ..< type.count {
            if tableRefs[f] != tableReferences[f] { problems.append("frame \(f): \(tableReferences[f]) table references counted, \(tableRefs[f]) found") }
            if writable[f] != writableMappings[f] { problems.append("frame \(f): \(writableMappings[f]) writable mappings counted, \(writable[f]) found") }
        }
        return problems
    }
}
