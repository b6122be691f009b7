import RISCV

/// The translation regimes the software TLB keeps apart, so that switching privilege or
/// toggling SUM costs nothing (QEMU's "MMU index" idea). Data accesses use the effective
/// privilege (MPRV/MPP); fetches use the real one.
enum TranslationContext: Int {
    /// M-mode: no translation; PMP checks only for locked entries.
    case machine = 0
    /// S-mode with SUM=0: U pages are not accessible.
    case supervisor = 1
    /// S-mode with SUM=1: U pages readable and writable (never executable).
    case supervisorUserAccess = 2
    case user = 3
    static let count = 4
}

/// One software-TLB entry (QEMU's CPUTLBEntry shape): the page-aligned virtual address that
/// hits for reads, writes and fetches, and the offset from virtual address to host pointer.
/// A tag that can never equal an aligned address (`invalid`) marks a missing permission.
struct TLBEntry {
    var readTag: UInt64
    var writeTag: UInt64
    var fetchTag: UInt64
    var hostOffset: UInt64
    static let entriesPerContext = 1024
    static let invalid: UInt64 = .max
    static let pageMask: UInt64 = ~0xfff
}

/// PMP configuration bits (privileged spec §3.7.1).
enum PMP {
    static let read: UInt8 = 1, write: UInt8 = 2, execute: UInt8 = 4, locked: UInt8 = 0x80
    static let off: UInt8 = 0, tor: UInt8 = 1, na4: UInt8 = 2, napot: UInt8 = 3
}

/// The kind of memory access, which picks the permission bit and the fault cause.
enum AccessType {
    case read, write, fetch
    var pageFault: UInt64 {
        switch self {
        case .read: return TrapCause.loadPageFault
        case .write: return TrapCause.storePageFault
        case .fetch: return TrapCause.instructionPageFault
        }
    }
    var accessFault: UInt64 {
        switch self {
        case .read: return TrapCause.loadAccessFault
        case .write: return TrapCause.storeAccessFault
        case .fetch: return TrapCause.instructionAccessFault
        }
    }
}

/// A failed translation: the exception to raise (tval is the virtual address).
struct TranslationFault: Error { let cause: UInt64 }

// Page-table entry bits (privileged spec §4.3.1).
private let pteV: UInt64 = 1, pteR: UInt64 = 2, pteW: UInt64 = 4, pteX: UInt64 = 8
private let pteU: UInt64 = 16, pteA: UInt64 = 64, pteD: UInt64 = 128

extension Hart {
    // MARK: Contexts

    /// Recomputes which TLB context data accesses and fetches use (after privilege, MPRV, SUM or satp change).
    func updateTranslationContexts() {
        func context(for p: Privilege) -> TranslationContext {
            switch p {
            case .machine: return .machine
            case .supervisor: return mstatus & Hart.SUM != 0 ? .supervisorUserAccess : .supervisor
            case .user: return .user
            }
        }
        fetchContext = context(for: privilege)
        dataContext = context(for: effectiveDataPrivilege)
    }

    /// The privilege loads and stores are checked at: MPP when MPRV is set in M-mode (§3.1.6.3).
    var effectiveDataPrivilege: Privilege {
        if privilege == .machine && mstatus & Hart.MPRV != 0 {
            return Privilege(rawValue: UInt8((mstatus & Hart.MPP) >> Hart.MPPShift)) ?? .user
        }
        return privilege
    }

    @inline(__always)
    func tlbEntry(_ context: TranslationContext, _ va: UInt64) -> UnsafeMutablePointer<TLBEntry> {
        tlb + (context.rawValue * TLBEntry.entriesPerContext + Int((va >> 12) & UInt64(TLBEntry.entriesPerContext - 1)))
    }

    /// Drops every cached translation (satp write, sfence.vma, MXR or PMP change).
    func flushTLB() {
        let empty = TLBEntry(readTag: TLBEntry.invalid, writeTag: TLBEntry.invalid, fetchTag: TLBEntry.invalid, hostOffset: 0)
        tlb.update(repeating: empty, count: TranslationContext.count * TLBEntry.entriesPerContext)
        eventCounters.tlbFlushes += 1
        blocks.flushJumpCaches()
    }

    /// Removes write permission for every entry that maps host page `hostPage` (it now holds decoded code).
    func revokeWrites(toHostPage hostPage: UInt64) {
        for i in 0..<(TranslationContext.count * TLBEntry.entriesPerContext) where tlb[i].writeTag != TLBEntry.invalid {
            if (tlb[i].writeTag &+ tlb[i].hostOffset) & TLBEntry.pageMask == hostPage { tlb[i].writeTag = TLBEntry.invalid }
        }
    }

    func pmpChanged() { flushTLB() }

    // MARK: Translation

    /// Translates `va` for an access of `type` at privilege `priv` (with `sum` for S-mode) and
    /// returns the physical address, setting A/D bits as hardware does. The caller fills the TLB.
    func translate(_ va: UInt64, _ type: AccessType, context: TranslationContext) throws(TranslationFault) -> (pa: UInt64, pteFlags: UInt64) {
        if context == .machine { return (va, pteR | pteW | pteX | pteA | pteD) }
        let mode = satp >> 60
        if mode == 0 { return (va, pteR | pteW | pteX | pteA | pteD) }
        let levels = mode == 9 ? 4 : 3
        let vaBits = UInt64(12 + 9 * levels)
        // Bits above the VA width must all equal its top bit (§4.4.1).
        let topShift = vaBits - 1
        let upper = va >> topShift
        guard upper == 0 || upper == (UInt64.max >> topShift) else { throw TranslationFault(cause: type.pageFault) }
        eventCounters.pageWalks += 1
        var table = (satp & ((1 << 44) - 1)) << 12
        var level = levels - 1
        while true {
            eventCounters.pageWalkSteps += 1
            let vpn = (va >> (12 + 9 * UInt64(level))) & 0x1ff
            let pteAddress = table &+ vpn &* 8
            guard pmpAllows(pteAddress, width: 8, .read, privilege: .supervisor),
                  let pte = bus.read(pteAddress, width: 8) else {
                throw TranslationFault(cause: type.accessFault)
            }
            // Invalid, W without R, or reserved bits 63:54 set (no Svpbmt or Svnapot): page fault.
            if pte & pteV == 0 || (pte & pteR == 0 && pte & pteW != 0) || pte >> 54 != 0 {
                throw TranslationFault(cause: type.pageFault)
            }
            if pte & (pteR | pteX) == 0 {
                // Pointer to the next level; A/D/U must be clear in non-leaf PTEs.
                guard level > 0, pte & (pteA | pteD | pteU) == 0 else { throw TranslationFault(cause: type.pageFault) }
                table = ((pte >> 10) & ((1 << 44) - 1)) << 12
                level -= 1
                continue
            }
            // Leaf: check permissions.
            let isUserPage = pte & pteU != 0
            switch context {
            case .user: if !isUserPage { throw TranslationFault(cause: type.pageFault) }
            case .supervisor: if isUserPage { throw TranslationFault(cause: type.pageFault) }
            case .supervisorUserAccess: if isUserPage && type == .fetch { throw TranslationFault(cause: type.pageFault) }
            case .machine: break
            }
            let readable = pte & pteR != 0 || (mstatus & Hart.MXR != 0 && pte & pteX != 0)
            switch type {
            case .read: if !readable { throw TranslationFault(cause: type.pageFault) }
            case .write: if pte & pteW == 0 { throw TranslationFault(cause: type.pageFault) }
            case .fetch: if pte & pteX == 0 { throw TranslationFault(cause: type.pageFault) }
            }
            let ppn = (pte >> 10) & ((1 << 44) - 1)
            // A superpage's low PPN bits must be zero (§4.3.2 step 6).
            let lowMask: UInt64 = (1 << (9 * UInt64(level))) - 1
            if ppn & lowMask != 0 { throw TranslationFault(cause: type.pageFault) }
            // Hardware A/D update (§4.3.2 step 7), as QEMU does.
            var updated = pte | pteA
            if type == .write { updated |= pteD }
            if updated != pte {
                guard pmpAllows(pteAddress, width: 8, .write, privilege: .supervisor),
                      bus.write(pteAddress, width: 8, value: updated) else {
                    throw TranslationFault(cause: type.accessFault)
                }
                noteWrite(physical: pteAddress, width: 8)
            }
            let offsetMask: UInt64 = (1 << (12 + 9 * UInt64(level))) - 1
            let pa = ((ppn << 12) & ~offsetMask) | (va & offsetMask)
            return (pa, updated)
        }
    }

    // MARK: PMP (§3.7)

    /// True when PMP lets `privilege` perform `type` on every byte of `[pa, pa+width)`.
    func pmpAllows(_ pa: UInt64, width: UInt64, _ type: AccessType, privilege p: Privilege) -> Bool {
        var previousTop: UInt64 = 0
        for i in 0..<16 {
            let cfg = pmpcfg[i]
            let mode = (cfg >> 3) & 3
            let lo: UInt64, hi: UInt64 // [lo, hi)
            switch mode {
            case PMP.tor:
                lo = previousTop; hi = pmpaddr[i] << 2
            case PMP.na4:
                lo = pmpaddr[i] << 2; hi = lo &+ 4
            case PMP.napot:
                let ones = UInt64((~pmpaddr[i]).trailingZeroBitCount)
                let size: UInt64 = ones >= 54 ? 0 : 8 << ones
                lo = (pmpaddr[i] & ~((1 << ones) &- 1)) << 2; hi = size == 0 ? UInt64.max : lo &+ size
            default:
                previousTop = pmpaddr[i] << 2
                continue
            }
            previousTop = pmpaddr[i] << 2
            let end = pa &+ width
            let overlaps = pa < hi && lo < end
            guard overlaps else { continue }
            // Partial matches fail (§3.7.1.3).
            if !(pa >= lo && end <= hi) { return false }
            if p == .machine && cfg & PMP.locked == 0 { return true }
            switch type {
            case .read: return cfg & PMP.read != 0
            case .write: return cfg & PMP.write != 0
            case .fetch: return cfg & PMP.execute != 0
            }
        }
        // No entry matched: M succeeds, S and U fail (16 entries are implemented).
        return p == .machine
    }

    /// True when a whole 4 KiB page has one PMP answer for `type`, so a TLB entry may cover it.
    func pmpUniformPage(_ page: UInt64, _ type: AccessType, privilege p: Privilege) -> Bool {
        pmpAllows(page, width: 4096, type, privilege: p)
    }

    // MARK: Slow paths (TLB misses, MMIO, misaligned accesses)

    /// Translates for a data access and, when the page is RAM with a uniform PMP answer, fills the TLB.
    func translateData(_ va: UInt64, _ type: AccessType, width: UInt64) throws(TranslationFault) -> UInt64 {
        eventCounters.tlbMisses += 1
        let context = dataContext
        let (pa, pteFlags) = try translate(va, type, context: context)
        let p = effectiveDataPrivilege
        guard pmpAllows(pa, width: width, type, privilege: p) else { throw TranslationFault(cause: type.accessFault) }
        let page = pa & TLBEntry.pageMask
        if memory.contains(page, length: 4096) && pmpUniformPage(page, type, privilege: p) {
            let e = tlbEntry(context, va)
            let vpage = va & TLBEntry.pageMask
            let offset = UInt64(UInt(bitPattern: memory.hostPointer(page))) &- vpage
            if e.pointee.hostOffset != offset || (e.pointee.readTag != vpage && e.pointee.writeTag != vpage && e.pointee.fetchTag != vpage) {
                e.pointee = TLBEntry(readTag: TLBEntry.invalid, writeTag: TLBEntry.invalid, fetchTag: TLBEntry.invalid, hostOffset: offset)
            }
            if type == .read { e.pointee.readTag = vpage }
            if type == .write && pteFlags & pteD != 0 && !blocks.isCodePage(page &- memory.base) {
                e.pointee.writeTag = vpage
                // A writable page is also readable (W implies R) once A is set.
                if pmpUniformPage(page, .read, privilege: p) && pteFlags & pteR != 0 { e.pointee.readTag = vpage }
            }
        }
        return pa
    }

    /// Translates an instruction fetch; returns the physical address or raises nothing (the caller traps).
    func translateFetch(_ va: UInt64) throws(TranslationFault) -> UInt64 {
        eventCounters.tlbMisses += 1
        let context = fetchContext
        let (pa, _) = try translate(va, .fetch, context: context)
        guard memory.contains(pa, length: 2), pmpAllows(pa, width: 2, .fetch, privilege: privilege) else {
            throw TranslationFault(cause: TrapCause.instructionAccessFault)
        }
        let page = pa & TLBEntry.pageMask
        if pmpUniformPage(page, .fetch, privilege: privilege) {
            let e = tlbEntry(context, va)
            let vpage = va & TLBEntry.pageMask
            let offset = UInt64(UInt(bitPattern: memory.hostPointer(page))) &- vpage
            if e.pointee.hostOffset != offset {
                e.pointee = TLBEntry(readTag: TLBEntry.invalid, writeTag: TLBEntry.invalid, fetchTag: TLBEntry.invalid, hostOffset: offset)
            }
            e.pointee.fetchTag = vpage
        }
        return pa
    }

    /// Bookkeeping for a store that reached physical memory outside the fast path: decoded
    /// code in that page is invalidated. Returns true when code was invalidated.
    @discardableResult
    func noteWrite(physical pa: UInt64, width: UInt64) -> Bool {
        guard memory.contains(pa) else { return false }
        let offset = pa &- memory.base
        guard blocks.writeHitsCode(offset, length: width) else { return false }
        eventCounters.codeInvalidations += 1
        blocks.invalidatePage(offset)
        return true
    }

    /// A load that missed the TLB or crossed a page; `width` is 1, 2, 4 or 8.
    func loadSlow(_ va: UInt64, width: UInt64) throws(TranslationFault) -> UInt64 {
        if va & (width - 1) != 0 && (va & 0xfff) + width > 4096 {
            // Misaligned across a page: assemble from bytes (QEMU performs misaligned accesses).
            var v: UInt64 = 0
            for i in 0..<width { v |= try loadSlow(va &+ i, width: 1) << (8 * i) }
            return v
        }
        let pa = try translateData(va, .read, width: width)
        if memory.contains(pa, length: width) {
            return memory.load(pa, width: Int(width))!
        }
        guard va & (width - 1) == 0, let v = mmioRead(pa, width: width) else { throw TranslationFault(cause: TrapCause.loadAccessFault) }
        return v
    }

    /// A store that missed the TLB, crossed a page, hit MMIO or a page holding decoded code.
    /// Returns true when it invalidated decoded code (the engine must leave the block).
    func storeSlow(_ va: UInt64, width: UInt64, value: UInt64) throws(TranslationFault) -> Bool {
        if va & (width - 1) != 0 && (va & 0xfff) + width > 4096 {
            // Translate both pages before writing anything so a fault leaves memory unchanged.
            _ = try translateData(va, .write, width: 1)
            _ = try translateData(va &+ width &- 1, .write, width: 1)
            var invalidated = false
            for i in 0..<width { invalidated = try storeSlow(va &+ i, width: 1, value: value >> (8 * i)) || invalidated }
            return invalidated
        }
        let pa = try translateData(va, .write, width: width)
        if memory.contains(pa, length: width) {
            let invalidated = noteWrite(physical: pa, width: width)
            memory.store(pa, width: Int(width), value: value)
            if reservationAddress == pa { reservationAddress = .max }
            return invalidated
        }
        guard va & (width - 1) == 0, mmioWrite(pa, width: width, value: value) else { throw TranslationFault(cause: TrapCause.storeAccessFault) }
        return false
    }

    func mmioRead(_ pa: UInt64, width: UInt64) -> UInt64? {
        eventCounters.mmioAccesses += 1
        timebase.retired = retired
        guard let r = bus.region(containing: pa), pa - r.base + width <= r.size else { return nil }
        let v = r.device.read(offset: pa - r.base, width: Int(width))
        nextEventAt = 0
        return v
    }

    func mmioWrite(_ pa: UInt64, width: UInt64, value: UInt64) -> Bool {
        eventCounters.mmioAccesses += 1
        timebase.retired = retired
        guard let r = bus.region(containing: pa), pa - r.base + width <= r.size else { return false }
        r.device.write(offset: pa - r.base, width: Int(width), value: value)
        // A device write can raise a line, stop the machine or move a timer deadline.
        nextEventAt = 0
        nextDevicePollAt = 0
        return true
    }
}
