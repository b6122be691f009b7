import Machine
import RISCV

/// What the guest's own page tables say about one access (privileged spec §4.3.2, "Virtual
/// Address Translation Process"), read by the hypervisor from guest memory.
enum GuestTranslation: Equatable {
    /// Allowed: the guest physical address, the leaf PTE (A, and D for a write, now set) and
    /// the guest physical address of each table the walk read, the root's first.
    case allowed(gpa: GuestPhysicalAddress, pte: UInt64, tables: [GuestPhysicalAddress])
    /// The guest's tables refuse it: the guest sees this page fault.
    case pageFault
    /// A PTE the walk had to read lies outside the guest's RAM: the guest sees an access fault,
    /// as a walk into nothing faults on the real machine; nothing is ever mapped.
    case accessFault
}

/// One leaf of a shadow table: guest virtual page → host physical page.
public struct ShadowMapping: Sendable, Equatable, CustomStringConvertible {
    public var guestVirtual: GuestVirtualAddress
    public var hostPhysical: HostPhysicalAddress
    /// The leaf's R, W, X bits (PTE bits 1–3).
    public var permissions: UInt64
    public var description: String { "VA \(guestVirtual) -> HPA \(hostPhysical) (rwx 0x\(String(permissions, radix: 16)))" }
}

/// The shadow page tables of one `full` domain: real Sv39/Sv48 tables from guest virtual to
/// host physical addresses that the hart walks while the guest runs in U-mode, built on demand
/// from the guest's tables (a hidden page fault fills one 4 KiB leaf). The tables live in a pool
/// of host memory the hypervisor owns (`Domain.hypervisorRange`): no leaf ever points into it,
/// so a guest can never read or write a shadow table.
///
/// Every guest address space (satp's mode, ASID and root) has up to four views, because the
/// guest's kernel and its programs both run in the hart's U-mode: the user view holds guest
/// U=1 pages only; the kernel view U=0 pages, and with sstatus.SUM also U=1 pages without
/// execute; each with or without MXR. Roots are cached per (address space, view), so returning
/// to an address space or switching between kernel and user costs no rebuild.
///
/// Keeping them fresh. With `tracing` (the default), every guest frame a cached shadow entry
/// was derived from (each table of the guest's walk) is a traced page-table page: no shadow
/// leaf maps it writable, so a guest store to it traps, the hypervisor does the store and drops
/// exactly the shadow entries derived from the PTE it overwrote, in every view. The shadows are
/// then never staler than a TLB would be, so sfence.vma and satp writes drop nothing and each
/// address space keeps its tables across context switches. Without tracing nothing tells the
/// hypervisor what the guest changed, so sfence.vma drops what it names (all, for a global one).
///
/// A frame stops being traced when nothing derived from it is cached any more (the region it
/// served was dropped, or the last root of its address space), or when the guest writes it
/// `floodLimit` times with no hidden fault walking it in between: a page the guest rewrites
/// wholesale (a freed table zeroed for reuse) then costs a few traps, its shadows are dropped,
/// and the rest of its writes run at full speed (KVM's write-flooding heuristic). That is
/// simpler than KVM's unsync pages (tables left writable and resynced at sfence.vma) and keeps
/// one invariant: a traced frame is never writable through any view.
final class ShadowPageTables {
    enum View: Hashable {
        case user, kernel, kernelWithUserPages
    }

    struct Key: Hashable {
        /// The guest's satp (mode, ASID, root PPN); 0 for Bare.
        var guestATP: UInt64
        var view: View
        var mxr: Bool

        /// Sv48 shadows for Sv48 guests; Sv39 for Sv39 and for Bare (guest RAM and the devices
        /// lie far below 2^38).
        var levels: Int { ShadowPageTables.levels(guestATP) }
        var satpMode: UInt64 { guestATP >> 60 == 9 ? 9 : 8 }
    }

    /// One use of a guest table: the table at `level` of `guestATP`'s walk for the virtual
    /// addresses from `base` (masked to the address space's width) on, one entry span of
    /// level + 1 long. Shadow entries under that range were derived from it.
    struct TableUse: Hashable {
        var guestATP: UInt64
        var level: Int
        var base: GuestVirtualAddress
    }

    struct TracedTable {
        var uses: Set<TableUse> = []
        /// Guest writes since a hidden fault last walked this table.
        var writes = 0
    }

    /// How many roots are cached before the oldest is evicted.
    static let rootLimit = 16
    /// Writes to a traced table, with no hidden fault walking it in between, after which it is
    /// no longer traced (KVM zaps a shadowed page on its third such write).
    static let floodLimit = 3
    static let pageSize: UInt64 = 4096

    // PTE bits (privileged spec §4.3.1), the walker's.
    static let V = PageTableEntry.valid, R = PageTableEntry.read, W = PageTableEntry.write, X = PageTableEntry.execute
    static let U = PageTableEntry.user, A = PageTableEntry.accessed, D = PageTableEntry.dirty

    static func levels(_ guestATP: UInt64) -> Int { guestATP >> 60 == 9 ? 4 : 3 }
    /// The bytes of address space one entry of a table at `level` covers (`level` = levels: all of it).
    static func span(_ level: Int) -> UInt64 { 1 << (12 + 9 * UInt64(level)) }

    let pool: Range<HostPhysicalAddress>
    let memory: PhysicalMemory
    /// Whether guest page-table pages are write-protected and traced (see above).
    let tracing: Bool
    private var nextTable: HostPhysicalAddress
    /// Tables given back (zeroed) by a precise drop, used before the rest of the pool.
    private var freeTables: [HostPhysicalAddress] = []
    private(set) var roots: [Key: HostPhysicalAddress] = [:] {
        didSet { rootsVersion &+= 1 }
    }
    /// Changes whenever `roots` does, so the root a vCPU has loaded is known to be current
    /// without a dictionary lookup on every exit.
    private(set) var rootsVersion: UInt64 = 0
    /// Roots in the order they were made: the oldest goes first at `rootLimit`.
    private var rootOrder: [Key] = []
    /// The traced guest tables, by host physical page.
    private(set) var traced: [HostPhysicalAddress: TracedTable] = [:]
    /// Each address space's table uses and the host frame each was.
    private var uses: [UInt64: [TableUse: HostPhysicalAddress]] = [:]
    /// The shadow leaves (their host addresses) made writable, by the host page they map, so a
    /// page that becomes a traced table loses write permission in every view. Checked before
    /// use: a leaf may have been dropped since, or its table reused.
    private var writableLeaves: [HostPhysicalAddress: Set<HostPhysicalAddress>] = [:]
    /// Set when a valid shadow entry was removed or lost permissions: the hart's cached U-mode
    /// translations must go before the guest runs again.
    var flushPending = false

    init(pool: Range<HostPhysicalAddress>, memory: PhysicalMemory, tracing: Bool = true) {
        self.pool = pool
        self.memory = memory
        self.tracing = tracing
        nextTable = pool.lowerBound
    }

    /// Drops every shadow table (a full pool, or a global sfence.vma without tracing).
    func dropAll() {
        // Only what was handed out needs clearing (freed tables are zero already): the rest of the pool is still zero.
        let zeroed = memory.fill(pool.lowerBound, count: Int((pool.lowerBound ..< nextTable).length))
        precondition(zeroed, "the shadow table pool lies inside host RAM")
        nextTable = pool.lowerBound
        freeTables.removeAll(keepingCapacity: true)
        roots.removeAll(keepingCapacity: true)
        rootOrder.removeAll(keepingCapacity: true)
        traced.removeAll(keepingCapacity: true)
        uses.removeAll(keepingCapacity: true)
        writableLeaves.removeAll(keepingCapacity: true)
        flushPending = true
    }

    var isEmpty: Bool { roots.isEmpty }

    func isTraced(_ hostPage: HostPhysicalAddress) -> Bool { traced[hostPage] != nil }

    /// A zeroed 4 KiB table from the pool, or nil when the pool is used up.
    private func allocateTable() -> HostPhysicalAddress? {
        if let table = freeTables.popLast() { return table }
        guard nextTable + ShadowPageTables.pageSize <= pool.upperBound else { return nil }
        defer { nextTable = nextTable + ShadowPageTables.pageSize }
        return nextTable
    }

    /// Gives `table` (at `level`) and every table below it back to the pool, zeroed.
    private func freeTable(_ table: HostPhysicalAddress, level: Int) {
        if level > 0 {
            for index in 0 ..< UInt64(512) {
                let pte = memory.load(table + index * 8, width: 8) ?? 0
                if pte & ShadowPageTables.V != 0 { freeTable(HostPhysicalAddress(pageOf: pte), level: level - 1) }
            }
        }
        let zeroed = memory.fill(table, count: Int(ShadowPageTables.pageSize))
        precondition(zeroed, "shadow tables come from the pool, inside host RAM")
        freeTables.append(table)
    }

    /// The root for `key`, made (empty) if needed, evicting the oldest other root at the limit;
    /// nil when the pool has no room left.
    func root(for key: Key) -> HostPhysicalAddress? {
        if let root = roots[key] { return root }
        if roots.count >= ShadowPageTables.rootLimit, let oldest = rootOrder.first(where: { $0 != key }) { removeRoot(oldest) }
        guard let root = allocateTable() else { return nil }
        roots[key] = root
        rootOrder.append(key)
        return root
    }

    /// Drops one root with its tables; the last root of an address space takes its table uses along.
    private func removeRoot(_ key: Key) {
        guard let root = roots.removeValue(forKey: key) else { return }
        rootOrder.removeAll { $0 == key }
        freeTable(root, level: key.levels - 1)
        flushPending = true
        if !roots.keys.contains(where: { $0.guestATP == key.guestATP }) { forgetUses(of: key.guestATP) { _ in true } }
    }

    /// Maps the 4 KiB page at `va` to host page `hostPage` with `permissions` (R/W/X) in `key`'s
    /// root, as a U=1 leaf with A and D set so the hart never writes it; never writable when
    /// `hostPage` is a traced table. Returns nil when the pool is used up, otherwise whether a
    /// valid leaf was there already (if it differed, cached translations are stale: `flushPending`).
    func map(_ key: Key, va: GuestVirtualAddress, hostPage: HostPhysicalAddress, permissions: UInt64) -> Bool? {
        guard var table = root(for: key) else { return nil }
        for level in stride(from: key.levels - 1, to: 0, by: -1) {
            let entry = table + ShadowPageTables.entryOffset(va, level: level)
            let pte = memory.load(entry, width: 8) ?? 0
            if pte & ShadowPageTables.V != 0 {
                table = HostPhysicalAddress(pageOf: pte)
            } else {
                guard let next = allocateTable() else { return nil }
                _ = memory.store(entry, width: 8, value: next.pageTableEntry(flags: ShadowPageTables.V))
                table = next
            }
        }
        let entry = table + ShadowPageTables.entryOffset(va, level: 0)
        let allowed = isTraced(hostPage) ? permissions & ~ShadowPageTables.W : permissions
        let leaf = hostPage.pageTableEntry(flags: allowed | ShadowPageTables.U | ShadowPageTables.A | ShadowPageTables.D | ShadowPageTables.V)
        let old = memory.load(entry, width: 8) ?? 0
        guard old != leaf else { return true }
        _ = memory.store(entry, width: 8, value: leaf)
        if tracing && allowed & ShadowPageTables.W != 0 { writableLeaves[hostPage, default: []].insert(entry) }
        let replaced = old & ShadowPageTables.V != 0
        if replaced { flushPending = true }
        return replaced
    }

    /// Removes the leaf for `va` from every root (sfence.vma of one address, without tracing).
    /// Returns how many leaves were removed.
    func unmap(va: GuestVirtualAddress) -> Int {
        var removed = 0
        for (key, root) in roots {
            guard let entry = entryAddress(root, levels: key.levels, va: va, level: 0),
                  (memory.load(entry, width: 8) ?? 0) & ShadowPageTables.V != 0 else { continue }
            _ = memory.store(entry, width: 8, value: 0)
            removed += 1
        }
        if removed > 0 { flushPending = true }
        return removed
    }

    /// The host address of the entry at `level` that covers `va` under `root`; nil when a
    /// table above it is missing.
    private func entryAddress(_ root: HostPhysicalAddress, levels: Int, va: GuestVirtualAddress, level: Int) -> HostPhysicalAddress? {
        var table = root
        for current in stride(from: levels - 1, to: level, by: -1) {
            let pte = memory.load(table + ShadowPageTables.entryOffset(va, level: current), width: 8) ?? 0
            guard pte & ShadowPageTables.V != 0 else { return nil }
            table = HostPhysicalAddress(pageOf: pte)
        }
        return table + ShadowPageTables.entryOffset(va, level: level)
    }

    /// The byte offset, in a table at `level`, of the entry that covers `va` (§4.3.2: VPN[level]).
    static func entryOffset(_ va: GuestVirtualAddress, level: Int) -> UInt64 {
        ((va.rawValue >> (12 + 9 * UInt64(level))) & 511) * 8
    }

    // MARK: Tracing the guest's tables

    /// Notes that a fill of `va` in an address space's shadows was derived from the guest tables
    /// `tables` (host frames, the root's first). Each becomes (or stays) traced, its flood count
    /// starts again, and a frame that was not traced loses write permission in every view.
    func trace(_ tables: [HostPhysicalAddress], guestATP: UInt64, va: GuestVirtualAddress) {
        guard tracing else { return }
        let levels = ShadowPageTables.levels(guestATP)
        let masked = va.rawValue & (ShadowPageTables.span(levels) - 1)
        for (index, frame) in tables.enumerated() {
            let level = levels - 1 - index
            let use = TableUse(guestATP: guestATP, level: level,
                               base: GuestVirtualAddress(masked & ~(ShadowPageTables.span(level + 1) - 1)))
            if let previous = uses[guestATP]?[use], previous != frame { forget(use, frame: previous) }
            uses[guestATP, default: [:]][use] = frame
            if traced[frame] == nil { writeProtect(frame) }
            traced[frame, default: TracedTable()].uses.insert(use)
            traced[frame]?.writes = 0
        }
    }

    /// Takes write permission away from every shadow leaf that maps host page `frame`.
    private func writeProtect(_ frame: HostPhysicalAddress) {
        for entry in writableLeaves.removeValue(forKey: frame) ?? [] {
            let pte = memory.load(entry, width: 8) ?? 0
            guard pte & ShadowPageTables.V != 0, pte & ShadowPageTables.W != 0,
                  HostPhysicalAddress(pageOf: pte) == frame else { continue }
            _ = memory.store(entry, width: 8, value: pte & ~ShadowPageTables.W)
            flushPending = true
        }
    }

    /// The guest stored `width` bytes at `offset` into traced table `frame` (the store is done):
    /// drops the shadow entries derived from each PTE it overwrote, in every view of every
    /// address space that uses the table; at the flood limit the frame stops being traced.
    /// Returns how many shadow entries were dropped.
    func tableWritten(_ frame: HostPhysicalAddress, offset: UInt64, width: UInt64) -> Int {
        guard let table = traced[frame], width > 0 else { return 0 }
        var dropped = 0
        for use in table.uses {
            for index in offset / 8 ... (offset + width - 1) / 8 {
                dropped += dropRegion(guestATP: use.guestATP, level: use.level,
                                      va: GuestVirtualAddress(use.base.rawValue | index << (12 + 9 * UInt64(use.level))))
            }
        }
        guard traced[frame] != nil else { return dropped }
        traced[frame]?.writes += 1
        if let writes = traced[frame]?.writes, writes >= ShadowPageTables.floodLimit { dropped += untrace(frame) }
        return dropped
    }

    /// Stops tracing `frame`: drops every shadow entry derived from it (what the parent table's
    /// entry pointing at it produced; for a root, every view of its address space). Returns how
    /// many shadow entries (or roots) were dropped.
    func untrace(_ frame: HostPhysicalAddress) -> Int {
        guard let table = traced[frame] else { return 0 }
        var dropped = 0
        for use in table.uses {
            if use.level == ShadowPageTables.levels(use.guestATP) - 1 {
                for key in roots.keys where key.guestATP == use.guestATP {
                    removeRoot(key)
                    dropped += 1
                }
            } else {
                dropped += dropRegion(guestATP: use.guestATP, level: use.level + 1, va: use.base)
            }
        }
        // Every use went with its region; a use the loops did not reach would be a stale record.
        if let left = traced[frame] { for use in left.uses { forget(use, frame: frame) } }
        return dropped
    }

    /// The host wrote guest memory `range` itself (an SBI console read): traced tables in it
    /// stop being traced, since their shadows may be stale. Returns the entries dropped.
    func hostWrote(_ range: Range<HostPhysicalAddress>) -> Int {
        let frames = traced.keys.filter { $0 < range.upperBound && $0 + ShadowPageTables.pageSize > range.lowerBound }
        return frames.reduce(0) { $0 + untrace($1) }
    }

    /// Drops the shadow entry at `level` covering `va` (and every table below it) in every view
    /// of `guestATP`, and forgets the guest tables used below it. Returns how many were valid.
    private func dropRegion(guestATP: UInt64, level: Int, va: GuestVirtualAddress) -> Int {
        var dropped = 0
        for (key, root) in roots where key.guestATP == guestATP {
            guard let entry = entryAddress(root, levels: key.levels, va: va, level: level) else { continue }
            let pte = memory.load(entry, width: 8) ?? 0
            guard pte & ShadowPageTables.V != 0 else { continue }
            if level > 0 { freeTable(HostPhysicalAddress(pageOf: pte), level: level - 1) }
            _ = memory.store(entry, width: 8, value: 0)
            dropped += 1
        }
        if dropped > 0 { flushPending = true }
        // A leaf has no tables below it: the common case needs no search.
        guard level > 0 else { return dropped }
        let size = ShadowPageTables.span(level)
        forgetUses(of: guestATP) { $0.level < level && $0.base.offset(from: va).map { $0 < size } ?? false }
        return dropped
    }

    private func forgetUses(of guestATP: UInt64, where matches: (TableUse) -> Bool) {
        guard let list = uses[guestATP] else { return }
        for (use, frame) in list where matches(use) { forget(use, frame: frame) }
    }

    private func forget(_ use: TableUse, frame: HostPhysicalAddress) {
        uses[use.guestATP]?[use] = nil
        if uses[use.guestATP]?.isEmpty == true { uses[use.guestATP] = nil }
        traced[frame]?.uses.remove(use)
        if traced[frame]?.uses.isEmpty == true { traced[frame] = nil }
    }

    // MARK: Audit

    /// Every leaf of every cached root, read back from host memory (for isolation audits).
    /// Throws when a table pointer leaves the pool (the hypervisor built a table it should not
    /// have) or a leaf lets the guest write a traced page-table page (its writes would not trap).
    func mappings() throws -> [ShadowMapping] {
        var result: [ShadowMapping] = []
        func walk(_ table: HostPhysicalAddress, level: Int, base: UInt64) throws {
            guard pool.contains(table) else { throw HostError.audit("shadow table \(table) outside the pool") }
            for index in 0 ..< UInt64(512) {
                let pte = memory.load(table + index * 8, width: 8) ?? 0
                guard pte & ShadowPageTables.V != 0 else { continue }
                let va = base | index << (12 + 9 * UInt64(level))
                let next = HostPhysicalAddress(pageOf: pte)
                if pte & (ShadowPageTables.R | ShadowPageTables.X) == 0 {
                    try walk(next, level: level - 1, base: va)
                } else {
                    let mapping = ShadowMapping(guestVirtual: GuestVirtualAddress(va), hostPhysical: next,
                                                permissions: pte & (ShadowPageTables.R | ShadowPageTables.W | ShadowPageTables.X))
                    if pte & ShadowPageTables.W != 0 && isTraced(next) {
                        throw HostError.audit("\(mapping) makes a traced guest page table writable")
                    }
                    result.append(mapping)
                }
            }
        }
        for (key, root) in roots { try walk(root, level: key.levels - 1, base: 0) }
        return result
    }

    // MARK: The guest's tables

    /// Walks the guest's Sv39/Sv48 tables (`atp`) for an access of `access` at `va`, made as a
    /// user access (`user`) or a supervisor one with `sum`, with `mxr`: the hart's own walker
    /// (PageTableWalker.swift, §4.3.2) on the guest's behalf, reading only the guest's RAM. Sets
    /// A (and D for a write) in the guest's leaf PTE as the hardware would. Bare `atp` maps va
    /// to itself.
    static func translate(_ va: GuestVirtualAddress, _ access: AccessType, atp: UInt64, user: Bool, sum: Bool, mxr: Bool,
                          domain: Domain, hart: Hart) -> GuestTranslation {
        // Bare: the guest's virtual addresses are its physical ones.
        guard let walker = PageTableWalker(atp: atp) else {
            return .allowed(gpa: GuestPhysicalAddress(va.rawValue), pte: R | W | X | A | D | V, tables: [])
        }
        let reader = GuestTableReader(domain: domain, memory: hart.memory)
        let walked: Result<PageTableLeaf, PageTableFault>
        do {
            walked = try walker.walk(va.rawValue, access, user: user, sum: sum, mxr: mxr, reader: reader)
        } catch {
            return .accessFault
        }
        guard case .success(let leaf) = walked else { return .pageFault }
        if leaf.needsUpdate {
            hart.hostStore(physical: domain.hostAddress(GuestPhysicalAddress(leaf.entryAddress)), width: 8, value: leaf.updatedPTE)
        }
        return .allowed(gpa: GuestPhysicalAddress(leaf.physicalAddress), pte: leaf.updatedPTE, tables: reader.path.tables)
    }

    /// The R/W/X a shadow leaf for guest leaf `pte` may have in `view`: the pages the view may
    /// touch, readable through MXR, and writable only once the guest's D is set (so the first
    /// write faults and sets it).
    static func permissions(of pte: UInt64, view: View, mxr: Bool) -> UInt64 {
        let userPage = pte & U != 0
        var execute = pte & X
        switch view {
        case .user: if !userPage { return 0 }
        case .kernel: if userPage { return 0 }
        case .kernelWithUserPages: if userPage { execute = 0 }
        }
        let read = pte & R != 0 || (mxr && pte & X != 0) ? R : 0
        let write = pte & W != 0 && pte & D != 0 ? W : 0
        return read | write | execute
    }
}

/// A walk of a `full` guest's own tables by its hypervisor: table addresses are guest physical,
/// and an entry outside the guest's RAM is an access fault for the guest (a walk into nothing
/// faults on the real machine) with nothing ever read there.
struct GuestTableReader: PageTableReader {
    struct OutsideGuestRAM: Error {}

    /// The guest physical address of each table the walk read, the root's first: the frames the
    /// shadow entries it produces derive from (`ShadowPageTables.trace`).
    final class Path {
        var tables: [GuestPhysicalAddress] = []
        init() { tables.reserveCapacity(4) } // an Sv48 walk reads at most four tables
    }

    let domain: Domain
    let memory: PhysicalMemory
    let path = Path()

    func readEntry(at address: UInt64, table: UInt64, level: Int) throws(OutsideGuestRAM) -> UInt64 {
        // The walker works in raw addresses (Machine); here they are the guest's physical ones.
        let entry = GuestPhysicalAddress(address)
        path.tables.append(GuestPhysicalAddress(table))
        guard domain.ownsRAM(entry, length: 8), let pte = memory.load(domain.hostAddress(entry), width: 8) else {
            throw OutsideGuestRAM()
        }
        return pte
    }
}
