import Machine
import RISCV

/// A memory access a `full` guest made, as the guest's own translation judges it.
enum GuestAccess {
    case fetch, read, write

    /// The access behind a page fault the hart raised under a shadow table.
    init?(pageFault cause: UInt64) {
        switch cause {
        case TrapCause.instructionPageFault: self = .fetch
        case TrapCause.loadPageFault: self = .read
        case TrapCause.storePageFault: self = .write
        default: return nil
        }
    }

    var pageFault: UInt64 {
        switch self {
        case .fetch: return TrapCause.instructionPageFault
        case .read: return TrapCause.loadPageFault
        case .write: return TrapCause.storePageFault
        }
    }

    var accessFault: UInt64 {
        switch self {
        case .fetch: return TrapCause.instructionAccessFault
        case .read: return TrapCause.loadAccessFault
        case .write: return TrapCause.storeAccessFault
        }
    }
}

/// What the guest's own page tables say about one access (privileged spec §4.3.2, "Virtual
/// Address Translation Process"), read by the hypervisor from guest memory.
enum GuestTranslation: Equatable {
    /// Allowed: the guest physical address and the leaf PTE (A, and D for a write, now set).
    case allowed(gpa: UInt64, pte: UInt64)
    /// The guest's tables refuse it: the guest sees this page fault.
    case pageFault
    /// A PTE the walk had to read lies outside the guest's RAM: the guest sees an access fault,
    /// as a walk into nothing faults on the real machine; nothing is ever mapped.
    case accessFault
}

/// One leaf of a shadow table: guest virtual page → host physical page.
public struct ShadowMapping: Sendable, Equatable, CustomStringConvertible {
    public var guestVirtual: UInt64
    public var hostPhysical: UInt64
    /// The leaf's R, W, X bits (PTE bits 1–3).
    public var permissions: UInt64
    public var description: String {
        "VA 0x\(String(guestVirtual, radix: 16)) -> HPA 0x\(String(hostPhysical, radix: 16)) (rwx 0x\(String(permissions, radix: 16)))"
    }
}

/// The shadow page tables of one `full` domain: real Sv39/Sv48 tables from guest virtual to
/// host physical addresses that the hart walks while the guest runs in U-mode, built on demand
/// from the guest's tables (a hidden page fault fills one 4 KiB leaf) and dropped when the
/// guest flushes (sfence.vma). The tables live in a pool of host memory the hypervisor owns
/// (`Domain.hypervisorRange`): no leaf ever points into it, so a guest can never read or write
/// a shadow table.
///
/// Every guest address space (satp's mode, ASID and root) has up to four views, because the
/// guest's kernel and its programs both run in the hart's U-mode: the user view holds guest
/// U=1 pages only; the kernel view U=0 pages, and with sstatus.SUM also U=1 pages without
/// execute; each with or without MXR. Roots are cached per (address space, view), so returning
/// to an address space or switching between kernel and user costs no rebuild.
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
        var levels: Int { guestATP >> 60 == 9 ? 4 : 3 }
        var satpMode: UInt64 { guestATP >> 60 == 9 ? 9 : 8 }
    }

    /// How many roots are cached before all are dropped and rebuilt on demand.
    static let rootLimit = 16
    static let pageSize: UInt64 = 4096

    // PTE bits (privileged spec §4.3.1).
    static let V: UInt64 = 1, R: UInt64 = 2, W: UInt64 = 4, X: UInt64 = 8, U: UInt64 = 16, A: UInt64 = 64, D: UInt64 = 128
    static let ppnMask: UInt64 = (1 << 44) - 1

    let pool: Range<UInt64>
    let memory: PhysicalMemory
    private var nextTable: UInt64
    private(set) var roots: [Key: UInt64] = [:]
    /// Bumped whenever every table is dropped, so a holder of a root knows to look it up again.
    private(set) var generation = 0

    init(pool: Range<UInt64>, memory: PhysicalMemory) {
        self.pool = pool
        self.memory = memory
        nextTable = pool.lowerBound
    }

    /// Drops every shadow table (a global sfence.vma, a full pool, or too many roots).
    func dropAll() {
        // Only what was handed out needs clearing: the rest of the pool is still zero.
        memory.hostPointer(pool.lowerBound).initializeMemory(as: UInt8.self, repeating: 0, count: Int(nextTable - pool.lowerBound))
        nextTable = pool.lowerBound
        roots.removeAll(keepingCapacity: true)
        generation += 1
    }

    var isEmpty: Bool { roots.isEmpty }

    /// A zeroed 4 KiB table from the pool, or nil when the pool is used up.
    private func allocateTable() -> UInt64? {
        guard nextTable + ShadowPageTables.pageSize <= pool.upperBound else { return nil }
        defer { nextTable += ShadowPageTables.pageSize }
        return nextTable
    }

    /// The root for `key`, made (empty) if needed; nil when the pool has no room left.
    func root(for key: Key) -> UInt64? {
        if let root = roots[key] { return root }
        guard roots.count < ShadowPageTables.rootLimit, let root = allocateTable() else { return nil }
        roots[key] = root
        return root
    }

    /// Maps the 4 KiB page at `va` to host page `hostPage` with `permissions` (R/W/X) in `key`'s
    /// root, as a U=1 leaf with A and D set so the hart never writes it. Returns nil when the pool
    /// is used up, otherwise whether a valid leaf was replaced (cached translations are stale).
    func map(_ key: Key, va: UInt64, hostPage: UInt64, permissions: UInt64) -> Bool? {
        guard var table = root(for: key) else { return nil }
        for level in stride(from: key.levels - 1, to: 0, by: -1) {
            let entry = table + ((va >> (12 + 9 * UInt64(level))) & 511) * 8
            let pte = memory.load(entry, width: 8) ?? 0
            if pte & ShadowPageTables.V != 0 {
                table = ((pte >> 10) & ShadowPageTables.ppnMask) << 12
            } else {
                guard let next = allocateTable() else { return nil }
                _ = memory.store(entry, width: 8, value: (next >> 12) << 10 | ShadowPageTables.V)
                table = next
            }
        }
        let entry = table + ((va >> 12) & 511) * 8
        let replaced = (memory.load(entry, width: 8) ?? 0) & ShadowPageTables.V != 0
        let leaf = (hostPage >> 12) << 10 | permissions | ShadowPageTables.U | ShadowPageTables.A | ShadowPageTables.D | ShadowPageTables.V
        _ = memory.store(entry, width: 8, value: leaf)
        return replaced
    }

    /// Removes the leaf for `va` from every root (sfence.vma of one address). Returns how many
    /// leaves were removed.
    func unmap(va: UInt64) -> Int {
        var removed = 0
        for (key, root) in roots {
            var table = root
            var found = true
            for level in stride(from: key.levels - 1, to: 0, by: -1) {
                let pte = memory.load(table + ((va >> (12 + 9 * UInt64(level))) & 511) * 8, width: 8) ?? 0
                guard pte & ShadowPageTables.V != 0 else { found = false; break }
                table = ((pte >> 10) & ShadowPageTables.ppnMask) << 12
            }
            let entry = table + ((va >> 12) & 511) * 8
            if found, (memory.load(entry, width: 8) ?? 0) & ShadowPageTables.V != 0 {
                _ = memory.store(entry, width: 8, value: 0)
                removed += 1
            }
        }
        return removed
    }

    /// Every leaf of every cached root, read back from host memory (for isolation audits).
    /// Throws when a table pointer leaves the pool: the hypervisor built a table it should not have.
    func mappings() throws -> [ShadowMapping] {
        var result: [ShadowMapping] = []
        func walk(_ table: UInt64, level: Int, base: UInt64) throws {
            guard pool.contains(table) else { throw HostError.audit("shadow table 0x\(String(table, radix: 16)) outside the pool") }
            for index in 0 ..< UInt64(512) {
                let pte = memory.load(table + index * 8, width: 8) ?? 0
                guard pte & ShadowPageTables.V != 0 else { continue }
                let va = base | index << (12 + 9 * UInt64(level))
                let next = ((pte >> 10) & ShadowPageTables.ppnMask) << 12
                if pte & (ShadowPageTables.R | ShadowPageTables.X) == 0 {
                    try walk(next, level: level - 1, base: va)
                } else {
                    result.append(ShadowMapping(guestVirtual: va, hostPhysical: next,
                                                permissions: pte & (ShadowPageTables.R | ShadowPageTables.W | ShadowPageTables.X)))
                }
            }
        }
        for (key, root) in roots { try walk(root, level: key.levels - 1, base: 0) }
        return result
    }

    // MARK: The guest's tables

    /// Walks the guest's Sv39/Sv48 tables (`atp`) for an access of `access` at `va`, made as a
    /// user access (`user`) or a supervisor one with `sum`, with `mxr` (§4.3.2 steps 1–8,
    /// §4.4): the same checks the hart makes, on the guest's behalf. Sets A (and D for a write)
    /// in the guest's leaf PTE as the hardware would. Bare `atp` maps va to itself.
    static func translate(_ va: UInt64, _ access: GuestAccess, atp: UInt64, user: Bool, sum: Bool, mxr: Bool,
                          domain: Domain, hart: Hart) -> GuestTranslation {
        let mode = atp >> 60
        if mode == 0 { return .allowed(gpa: va, pte: R | W | X | A | D | V) }
        let levels = mode == 9 ? 4 : 3
        let vaBits = UInt64(12 + 9 * levels)
        let upper = va >> (vaBits - 1)
        guard upper == 0 || upper == (UInt64.max >> (vaBits - 1)) else { return .pageFault }
        var table = (atp & ppnMask) << 12
        var level = levels - 1
        while true {
            let pteAddress = table &+ ((va >> (12 + 9 * UInt64(level))) & 511) * 8
            guard domain.ownsRAM(pteAddress, length: 8),
                  let pte = hart.memory.load(domain.hostAddress(pteAddress), width: 8) else { return .accessFault }
            if pte & V == 0 || (pte & R == 0 && pte & W != 0) || pte >> 54 != 0 { return .pageFault }
            if pte & (R | X) == 0 {
                guard level > 0, pte & (A | D | U) == 0 else { return .pageFault }
                table = ((pte >> 10) & ppnMask) << 12
                level -= 1
                continue
            }
            let isUserPage = pte & U != 0
            if user && !isUserPage { return .pageFault }
            if !user && isUserPage && (!sum || access == .fetch) { return .pageFault }
            let readable = pte & R != 0 || (mxr && pte & X != 0)
            switch access {
            case .read: if !readable { return .pageFault }
            case .write: if pte & W == 0 { return .pageFault }
            case .fetch: if pte & X == 0 { return .pageFault }
            }
            let ppn = (pte >> 10) & ppnMask
            let lowMask: UInt64 = (1 << (9 * UInt64(level))) - 1
            if ppn & lowMask != 0 { return .pageFault }
            var updated = pte | A
            if access == .write { updated |= D }
            if updated != pte { hart.hostStore(physical: domain.hostAddress(pteAddress), width: 8, value: updated) }
            let offsetMask: UInt64 = (1 << (12 + 9 * UInt64(level))) - 1
            return .allowed(gpa: ((ppn << 12) & ~offsetMask) | (va & offsetMask), pte: updated)
        }
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
