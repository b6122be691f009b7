/// Page-table entry bits (privileged spec v1.12 §4.3.1, the Sv32 PTE; Sv39/Sv48 keep the
/// low ten bits and put the PPN at bits 53:10, §4.4.1).
public enum PageTableEntry {
    public static let valid: UInt64 = 1, read: UInt64 = 2, write: UInt64 = 4, execute: UInt64 = 8
    public static let user: UInt64 = 16, global: UInt64 = 32, accessed: UInt64 = 64, dirty: UInt64 = 128
    /// The 44-bit PPN, after shifting the entry right by `ppnShift`; also satp's PPN field.
    public static let ppnMask: UInt64 = (1 << 44) - 1
    public static let ppnShift: UInt64 = 10
    /// Bits 63:54 are reserved for Svpbmt and Svnapot, neither of which is implemented: an entry
    /// with any of them set is malformed (§4.4.1).
    public static let reservedShift: UInt64 = 54

    /// The physical address of the page (or table) entry `pte` points at.
    @inlinable @inline(__always)
    public static func target(_ pte: UInt64) -> UInt64 { ((pte >> ppnShift) & ppnMask) << 12 }
}

/// Where a walk reads its page-table entries: the hart's bus behind PMP and, for a VS-stage
/// walk, G-stage translation; or a full-virtualization host reading a guest's RAM. Reading is
/// the only thing a walk does to memory: the caller writes A/D back (`PageTableLeaf.updatedPTE`).
/// The walker borrows the reader (a non-mutating requirement), so a reader that holds a class
/// reference costs no reference counting per entry.
public protocol PageTableReader {
    /// Why a read failed (an access fault, or a G-stage fault on the table's address).
    associatedtype Failure: Error
    /// The 8-byte entry at `address` of the table at `table` (both in the tables' own address
    /// space), for the walk's step at `level` (the root's is `levels - 1`).
    func readEntry(at address: UInt64, table: UInt64, level: Int) throws(Failure) -> UInt64
}

/// Why the tables refuse an access: each is a page fault (a guest-page fault at G-stage).
/// The cases follow the steps of the translation process (§4.3.2) that raise them.
public enum PageTableFault: Error, Equatable, Sendable {
    /// The address is not sign-extended from its top bit (§4.4.1), or for G-stage not
    /// zero-extended from bit 40 (Sv39x4) or 49 (Sv48x4).
    case addressOutOfRange
    /// Step 3: V clear, W set without R, or a reserved bit set.
    case invalidEntry
    /// Step 4: a pointer at level 0, or one with A, D or U set (reserved for future use).
    case malformedPointer
    /// Step 5: the leaf's U bit, SUM, MXR or its R/W/X do not allow the access.
    case permissionDenied
    /// Step 6: a superpage whose PPN is not aligned to its size.
    case misalignedSuperpage
}

/// What a successful walk found.
public struct PageTableLeaf: Equatable, Sendable {
    /// The translated address.
    public var physicalAddress: UInt64
    /// The leaf as read.
    public var pte: UInt64
    /// The leaf with A set, and D for a write (§4.3.2 step 7): what the caller stores at
    /// `entryAddress` when it differs from `pte`, and the permissions a TLB may cache.
    public var updatedPTE: UInt64
    /// Where the leaf was read, in the tables' address space (a guest physical address for a
    /// VS-stage or full-virtualization walk).
    public var entryAddress: UInt64
    /// 0 for a 4 KiB page, 1 for a 2 MiB megapage, 2 for a 1 GiB gigapage, 3 for 512 GiB.
    public var level: Int

    /// Whether the caller must write `updatedPTE` back.
    @inlinable
    public init(physicalAddress: UInt64, pte: UInt64, updatedPTE: UInt64, entryAddress: UInt64, level: Int) {
        self.physicalAddress = physicalAddress
        self.pte = pte
        self.updatedPTE = updatedPTE
        self.entryAddress = entryAddress
        self.level = level
    }

    @inlinable public var needsUpdate: Bool { updatedPTE != pte }
    @inlinable public var pageSize: UInt64 { 1 << (12 + 9 * UInt64(level)) }
}

/// The Sv39/Sv48 page-table walk, and its Sv39x4/Sv48x4 form for G-stage translation (privileged
/// spec v1.12 §4.3.2 "Virtual Address Translation Process", §4.4 and §4.5; H spec §8.5 "Two-Stage
/// Address Translation"): the one statement of those rules, used by the hart's MMU for each stage
/// and by the full-virtualization hypervisor walking a guest's tables.
///
/// It is pure: it reads entries through a `PageTableReader` and returns the leaf or the fault;
/// counting, PMP, A/D write-back and mapping faults to causes are the caller's. Generic and
/// inlinable so that the hart's walk, which runs on every TLB miss, is specialised for its
/// reader with no existential or closure in the way.
public struct PageTableWalker: Sendable {
    /// 3 (Sv39) or 4 (Sv48).
    public let levels: Int
    /// The root table's physical address.
    public let root: UInt64
    /// G-stage (x4) form: addresses two bits wider, zero-extended, and a 16 KiB root whose
    /// index takes those two bits; every access counts as a user access.
    public let guestStage: Bool

    /// The walker for address-translation register `atp` (satp, vsatp or hgatp, whose mode was
    /// checked when written); nil for Bare, which does not translate. Mode 9 (Sv48, Sv48x4) walks
    /// four levels, mode 8 three.
    @inlinable
    public init?(atp: UInt64, guestStage: Bool = false) {
        let mode = atp >> 60
        if mode == 0 { return nil }
        levels = mode == 9 ? 4 : 3
        root = (atp & PageTableEntry.ppnMask) << 12
        self.guestStage = guestStage
    }

    /// Whether `va` is an address these tables translate (a walk reads at least the root entry).
    @inlinable @inline(__always)
    public func covers(_ va: UInt64) -> Bool {
        let vaBits = UInt64(12 + 9 * levels)
        if guestStage {
            // A guest physical address is two bits wider and zero-extended (41 bits for Sv39x4).
            return va >> (vaBits + 2) == 0
        }
        // Bits above the VA width must all equal its top bit (§4.4.1).
        let upper = va >> (vaBits - 1)
        return upper == 0 || upper == (UInt64.max >> (vaBits - 1))
    }

    /// Walks the tables for an access of `access` to `va`. `user` says the access is made from
    /// U-mode (only U pages); otherwise `sum` lets it read and write (never execute) U pages.
    /// `mxr` makes executable pages readable. A read the reader refuses is its own error, thrown
    /// unchanged; a refusal by the tables is the returned fault.
    @inlinable @inline(__always)
    public func walk<Reader: PageTableReader>(
        _ va: UInt64, _ access: AccessType, user: Bool, sum: Bool, mxr: Bool, reader: Reader
    ) throws(Reader.Failure) -> Result<PageTableLeaf, PageTableFault> {
        guard covers(va) else { return .failure(.addressOutOfRange) }
        var table = root
        var level = levels - 1
        while true {
            // The x4 root table is 16 KiB: its index takes two more bits.
            let indexBits: UInt64 = guestStage && level == levels - 1 ? 11 : 9
            let index = (va >> (12 + 9 * UInt64(level))) & ((1 << indexBits) - 1)
            let entryAddress = table &+ index &* 8
            let pte = try reader.readEntry(at: entryAddress, table: table, level: level)
            // Step 3: invalid, W without R, or reserved bits 63:54 set (no Svpbmt or Svnapot).
            if pte & PageTableEntry.valid == 0 || (pte & PageTableEntry.read == 0 && pte & PageTableEntry.write != 0)
                || pte >> PageTableEntry.reservedShift != 0 {
                return .failure(.invalidEntry)
            }
            if pte & (PageTableEntry.read | PageTableEntry.execute) == 0 {
                // Step 4: a pointer to the next level; A, D and U must be clear in non-leaf PTEs.
                guard level > 0, pte & (PageTableEntry.accessed | PageTableEntry.dirty | PageTableEntry.user) == 0 else {
                    return .failure(.malformedPointer)
                }
                table = PageTableEntry.target(pte)
                level -= 1
                continue
            }
            // Step 5: a leaf. G-stage accesses count as user accesses (U must be set).
            let userPage = pte & PageTableEntry.user != 0
            if user && !userPage { return .failure(.permissionDenied) }
            if !user && userPage && (!sum || access == .fetch) { return .failure(.permissionDenied) }
            let readable = pte & PageTableEntry.read != 0 || (mxr && pte & PageTableEntry.execute != 0)
            switch access {
            case .read: if !readable { return .failure(.permissionDenied) }
            case .write: if pte & PageTableEntry.write == 0 { return .failure(.permissionDenied) }
            case .fetch: if pte & PageTableEntry.execute == 0 { return .failure(.permissionDenied) }
            }
            // Step 6: a superpage's low PPN bits must be zero.
            let ppn = (pte >> PageTableEntry.ppnShift) & PageTableEntry.ppnMask
            let lowMask: UInt64 = (1 << (9 * UInt64(level))) - 1
            if ppn & lowMask != 0 { return .failure(.misalignedSuperpage) }
            // Step 7: A, and D for a write, set as hardware does (the caller stores it).
            var updated = pte | PageTableEntry.accessed
            if access == .write { updated |= PageTableEntry.dirty }
            // Step 8: the page's base from the PPN, the offset within it from the address.
            let offsetMask: UInt64 = (1 << (12 + 9 * UInt64(level))) - 1
            return .success(PageTableLeaf(physicalAddress: ((ppn << 12) & ~offsetMask) | (va & offsetMask), pte: pte,
                                          updatedPTE: updated, entryAddress: entryAddress, level: level))
        }
    }
}
