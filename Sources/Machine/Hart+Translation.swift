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
    /// The same three with V=1 (H extension): two-stage translation through vsatp and hgatp,
    /// with vsstatus.SUM deciding between the two VS contexts.
    case virtualSupervisor = 4
    case virtualSupervisorUserAccess = 5
    case virtualUser = 6
    static let count = 7

    var isVirtual: Bool { rawValue >= TranslationContext.virtualSupervisor.rawValue }
    /// Accesses in this context are made as user-mode accesses (U pages only).
    var isUser: Bool { self == .user || self == .virtualUser }
    /// Supervisor accesses with SUM set may touch U pages (but never execute from them).
    var permitsUserPages: Bool { self == .supervisorUserAccess || self == .virtualSupervisorUserAccess }
}

/// Where each translation context's software-TLB and jump-cache entries live: one table (slot)
/// per context, except that U-mode has `userBanks` of them, each holding the translations of one
/// address space (satp value) that the host switched the hart to (`Hart.hostSwitchUserAddressSpace`).
/// A full- or para-virtualizing host moves the hart's U-mode between a guest kernel's and its
/// programs' tables on nearly every exit; with one table each move emptied it, as a TLB without
/// ASIDs must. With banks a move back finds its translations still there, as an ASID-tagged TLB
/// does on hardware. A satp write by the hart's own S-mode still empties everything.
enum TranslationSlots {
    static let userBanks = 8
    static let count = TranslationContext.count + userBanks - 1
    /// Bank 0 is U-mode's own context slot; the others follow the contexts.
    static func userSlot(bank: Int) -> Int { bank == 0 ? TranslationContext.user.rawValue : TranslationContext.count + bank - 1 }
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
    /// Set in a write tag whose page may be written but holds decoded code. No access key has
    /// this bit (keys are a page plus alignment bits 0-2), so the store fast path misses, and
    /// the engine's store path checks whether the store hits code before writing straight to RAM.
    static let codePageMarker: UInt64 = 0x10
    static let empty = TLBEntry(readTag: invalid, writeTag: invalid, fetchTag: invalid, hostOffset: 0)
}

/// One remembered G-stage walk (`Hart.guestStage`): the 4 KiB guest page, the host page it maps
/// to, the leaf PTE as the walk left it and how many entries the walk read. A two-stage TLB miss
/// walks G-stage once per VS-stage entry and once for the result, up to 16 walks; remembering
/// them is what a nested-paging TLB does. An entry stands only for a walk that would succeed
/// without writing, and only while `generation` is the hart's (bumped by flushes).
struct GuestStageMemoEntry {
    var page: UInt64
    var generation: UInt64
    var hostPage: UInt64
    var pte: UInt64
    var steps: UInt64
    static let count = 512
    static let empty = GuestStageMemoEntry(page: .max, generation: 0, hostPage: 0, pte: 0, steps: 0)

    /// Whether the walk that filled this entry would grant `access` now with no A/D write: A set,
    /// and the permission the walker checks (G-stage leaves all have U, which it required).
    @inline(__always)
    func grants(_ access: AccessType, mxr: Bool) -> Bool {
        guard pte & PageTableEntry.accessed != 0 else { return false }
        switch access {
        case .read: return pte & PageTableEntry.read != 0 || (mxr && pte & PageTableEntry.execute != 0)
        case .write: return pte & PageTableEntry.write != 0 && pte & PageTableEntry.dirty != 0
        case .fetch: return pte & PageTableEntry.execute != 0
        }
    }
}

/// PMP configuration bits (privileged spec §3.7.1).
enum PMP {
    static let read: UInt8 = 1, write: UInt8 = 2, execute: UInt8 = 4, locked: UInt8 = 0x80
    static let off: UInt8 = 0, tor: UInt8 = 1, na4: UInt8 = 2, napot: UInt8 = 3
}

/// One PMP entry that is not OFF, its range decoded: [lo, hi), with hi = UInt64.max for a NAPOT
/// range that covers the whole address space.
struct PMPRegion {
    var lo: UInt64
    var hi: UInt64
    var cfg: UInt8
}

/// The kind of memory access, which picks the permission bit and the fault cause.
public enum AccessType: Sendable {
    case read, write, fetch

    /// The access behind a page fault (the cause says which kind of access raised it).
    public init?(pageFault cause: UInt64) {
        switch cause {
        case TrapCause.instructionPageFault: self = .fetch
        case TrapCause.loadPageFault: self = .read
        case TrapCause.storePageFault: self = .write
        default: return nil
        }
    }

    public var pageFault: UInt64 {
        switch self {
        case .read: return TrapCause.loadPageFault
        case .write: return TrapCause.storePageFault
        case .fetch: return TrapCause.instructionPageFault
        }
    }
    public var accessFault: UInt64 {
        switch self {
        case .read: return TrapCause.loadAccessFault
        case .write: return TrapCause.storeAccessFault
        case .fetch: return TrapCause.instructionAccessFault
        }
    }
    var guestPageFault: UInt64 {
        switch self {
        case .read: return TrapCause.loadGuestPageFault
        case .write: return TrapCause.storeGuestPageFault
        case .fetch: return TrapCause.instructionGuestPageFault
        }
    }
}

/// A failed translation: the exception to raise (tval is the virtual address) and, for a
/// guest-page fault, what htval/mtval2 and htinst/mtinst report.
struct TranslationFault: Error {
    let cause: UInt64
    /// The guest physical address G-stage translation refused (0 for other faults).
    var guestPhysicalAddress: UInt64 = 0
    /// Set when G-stage refused an implicit access of a VS-stage walk: the pseudoinstruction
    /// htinst reports (0x3000: a 64-bit PTE read; 0x3020: a PTE write for A/D).
    var implicitAccessInstruction: UInt64 = 0
}

/// The H spec's pseudoinstructions for guest-page faults on VS-stage PTE accesses (RV64).
let implicitPTEReadInstruction: UInt64 = 0x3000
let implicitPTEWriteInstruction: UInt64 = 0x3020

/// What an untranslated access may do.
private let allPermissions: UInt64 = PageTableEntry.read | PageTableEntry.write | PageTableEntry.execute
    | PageTableEntry.accessed | PageTableEntry.dirty

extension Hart {
    // MARK: Contexts

    /// Recomputes which TLB context data accesses and fetches use (after privilege, V, MPRV, SUM or satp change).
    func updateTranslationContexts() {
        fetchContext = translationContext(privilege, virtual: virtualized)
        dataContext = translationContext(effectiveDataPrivilege, virtual: effectiveDataVirtualized)
        fetchSlot = slot(fetchContext)
        dataSlot = slot(dataContext)
    }

    /// The TLB and jump-cache slot `context` uses now (`TranslationSlots`).
    @inline(__always)
    func slot(_ context: TranslationContext) -> Int { context == .user ? userSlot : context.rawValue }

    /// Points U-mode at the bank holding `atp`'s translations; when no bank does, the least
    /// recently used one is emptied and given to `atp`. Emptying a bank breaks every chain
    /// (the chain key names the slot, not the address space).
    func selectUserBank(for atp: UInt64) {
        userBankClock &+= 1
        let bank: Int
        if let kept = userBankATP.firstIndex(of: atp) {
            bank = kept
        } else {
            bank = userBankLastUse.indices.min { userBankLastUse[$0] < userBankLastUse[$1] } ?? 0
            let slot = TranslationSlots.userSlot(bank: bank)
            tlbTouched.clear(tlb, entriesPerContext: TLBEntry.entriesPerContext, to: TLBEntry.empty, context: slot)
            blocks.flushJumpCache(slot: slot)
            userBankATP[bank] = atp
            eventCounters.tlbFlushes += 1
        }
        userBankLastUse[bank] = userBankClock
        userSlot = TranslationSlots.userSlot(bank: bank)
        updateTranslationContexts()
    }

    /// Empties every U-mode bank (a host changed tables they cache).
    func flushUserBanks() {
        for bank in 0 ..< TranslationSlots.userBanks {
            tlbTouched.clear(tlb, entriesPerContext: TLBEntry.entriesPerContext, to: TLBEntry.empty,
                             context: TranslationSlots.userSlot(bank: bank))
        }
        forgetUserBanks()
    }

    /// After every bank was emptied, no bank keeps its address space (the one in use goes on
    /// translating for satp until the next switch). A root freed before the flush may come back
    /// at another address space's address; forgetting keeps the bank each root gets (and so the
    /// counts of a virtual-time run) independent of where the host placed its tables.
    func forgetUserBanks() {
        for bank in 0 ..< TranslationSlots.userBanks {
            userBankATP[bank] = .max
            userBankLastUse[bank] = 0
        }
    }

    /// The context for accesses made at privilege `p` with V = `virtual`.
    func translationContext(_ p: Privilege, virtual: Bool) -> TranslationContext {
        switch (p, virtual) {
        case (.machine, _): return .machine
        case (.supervisor, false): return m.mstatus & Hart.SUM != 0 ? .supervisorUserAccess : .supervisor
        case (.user, false): return .user
        case (.supervisor, true): return h.vsstatus & Hart.SUM != 0 ? .virtualSupervisorUserAccess : .virtualSupervisor
        case (.user, true): return .virtualUser
        }
    }

    /// The privilege loads and stores are checked at: MPP when MPRV is set in M-mode (§3.1.6.3).
    var effectiveDataPrivilege: Privilege {
        if privilege == .machine && m.mstatus & Hart.MPRV != 0 {
            return Privilege(rawValue: UInt8((m.mstatus & Hart.MPP) >> Hart.MPPShift)) ?? .user
        }
        return privilege
    }

    /// V for loads and stores: MPV when MPRV is set in M-mode and MPP is not M (H spec, mstatus.MPV).
    var effectiveDataVirtualized: Bool {
        if privilege == .machine && m.mstatus & Hart.MPRV != 0 {
            return m.mstatus & Hart.MPP != Hart.MPP && m.mstatus & Hart.MPV != 0
        }
        return virtualized
    }

    @inline(__always)
    func tlbEntry(slot: Int, _ va: UInt64) -> UnsafeMutablePointer<TLBEntry> {
        // SAFETY: slot < TranslationSlots.count (a context's raw value or a user bank's slot) and
        // the page index is masked below entriesPerContext, so the entry lies within `tlb`'s
        // TranslationSlots.count * entriesPerContext entries.
        tlb + (slot * TLBEntry.entriesPerContext + Int((va >> 12) & UInt64(TLBEntry.entriesPerContext - 1)))
    }

    /// Drops every cached translation (satp write, sfence.vma, MXR or PMP change). A flush of
    /// VS-stage translations only (a VS-mode sfence.vma, hfence.vvma, a vsatp write) keeps the
    /// remembered G-stage walks, as those fences leave G-stage mappings cached on hardware.
    func flushTLB(keepingGuestStage: Bool = false) {
        tlbTouched.clear(tlb, entriesPerContext: TLBEntry.entriesPerContext, to: TLBEntry.empty)
        forgetUserBanks()
        eventCounters.tlbFlushes += 1
        blocks.flushJumpCaches()
        if !keepingGuestStage { guestStageGeneration &+= 1 }
    }

    @inline(__always)
    func guestStageMemoEntry(_ gpa: UInt64) -> UnsafeMutablePointer<GuestStageMemoEntry> {
        // SAFETY: the index is masked below GuestStageMemoEntry.count, the size `guestStageMemo` was allocated with.
        guestStageMemo + Int((gpa >> 12) & UInt64(GuestStageMemoEntry.count - 1))
    }

    /// Takes every entry that maps host page `hostPage` (it now holds decoded code) off the store
    /// fast path, keeping the fact that it may be written (`TLBEntry.codePageMarker`).
    func revokeWrites(toHostPage hostPage: UInt64) {
        // Only entries filled since their slot was last emptied can hold a write tag.
        for slot in 0 ..< TranslationSlots.count {
            tlbTouched.forEachTouched(slot, entriesPerContext: TLBEntry.entriesPerContext) { index in
                // SAFETY: slot < TranslationSlots.count and index < entriesPerContext: inside `tlb`.
                let e = tlb + (slot * TLBEntry.entriesPerContext + index)
                if e.pointee.writeTag != TLBEntry.invalid, (e.pointee.writeTag &+ e.pointee.hostOffset) & TLBEntry.pageMask == hostPage {
                    e.pointee.writeTag |= TLBEntry.codePageMarker
                }
            }
        }
    }

    func pmpChanged() {
        rebuildPMPRegions()
        flushTLB()
    }

    // MARK: Translation

    /// Translates `va` for an access of `type` in `context` and returns the physical address
    /// with the permissions of the mapping (for V=1, what both stages grant), setting A/D bits
    /// as hardware does. The caller fills the TLB.
    func translate(_ va: UInt64, _ type: AccessType, context: TranslationContext) throws(TranslationFault) -> (pa: UInt64, pteFlags: UInt64) {
        if context == .machine { return (va, allPermissions) }
        guard context.isVirtual else {
            return try walk(va, type, atp: satp, stage: .single, user: context.isUser,
                            userPages: context.permitsUserPages, mxr: m.mstatus & Hart.MXR != 0)
        }
        // VS-stage (vsatp) to a guest physical address, then G-stage (hgatp). MXR from either
        // vsstatus or the HS-level sstatus makes executable pages readable at the VS stage.
        let (gpa, vsFlags) = try walk(va, type, atp: h.vsatp, stage: .virtualSupervisor, user: context.isUser,
                                      userPages: context.permitsUserPages, mxr: (m.mstatus | h.vsstatus) & Hart.MXR != 0)
        let (pa, gFlags) = try guestStage(gpa, type)
        return (pa, vsFlags & gFlags)
    }

    /// G-stage translation of guest physical address `gpa` (H spec "Guest Physical Address
    /// Translation"). `implicitWrite` is nil for the access itself; for a VS-stage page-table
    /// access it says whether the walk reads a PTE or writes its A/D bits, which is what G-stage
    /// checks then, while a refusal is reported with the original access's type.
    func guestStage(_ gpa: UInt64, _ type: AccessType, implicitWrite: Bool? = nil) throws(TranslationFault) -> (pa: UInt64, pteFlags: UInt64) {
        let checked: AccessType = implicitWrite.map { $0 ? .write : .read } ?? type
        let mxr = m.mstatus & Hart.MXR != 0
        // SAFETY: guestStageMemoEntry masks its index into the memo, which lives as long as the hart.
        let memo = guestStageMemoEntry(gpa).pointee
        if memo.page == gpa >> 12, memo.generation == guestStageGeneration, memo.grants(checked, mxr: mxr) {
            // The walk would read the same entries and write nothing: count it as walked.
            eventCounters.guestPageWalks += 1
            eventCounters.guestPageWalkSteps &+= memo.steps
            return (memo.hostPage | gpa & 0xfff, memo.pte)
        }
        do {
            return try walk(gpa, checked, atp: h.hgatp, stage: .guest, user: true, userPages: true, mxr: mxr)
        } catch {
            guard error.cause == TrapCause.loadGuestPageFault || error.cause == TrapCause.storeGuestPageFault
                || error.cause == TrapCause.instructionGuestPageFault else {
                throw TranslationFault(cause: type.accessFault)
            }
            var fault = TranslationFault(cause: type.guestPageFault, guestPhysicalAddress: gpa)
            if let implicitWrite { fault.implicitAccessInstruction = implicitWrite ? implicitPTEWriteInstruction : implicitPTEReadInstruction }
            throw fault
        }
    }

    /// Which table a walk reads: satp's (V=0), vsatp's (whose table addresses are guest
    /// physical and go through G-stage), or hgatp's.
    enum WalkStage { case single, virtualSupervisor, guest }

    /// One stage of Sv39/Sv48 (or Sv39x4/Sv48x4 for `.guest`) translation through the one
    /// walker (PageTableWalker.swift): PTE reads behind PMP (and, at the VS stage, G-stage), the
    /// walk's counters, and the A/D write-back (§4.3.2 step 7), done as QEMU does; at the VS
    /// stage the PTE write is itself an access G-stage must allow.
    private func walk(_ va: UInt64, _ type: AccessType, atp: UInt64, stage: WalkStage, user: Bool, userPages: Bool,
                      mxr: Bool) throws(TranslationFault) -> (UInt64, UInt64) {
        guard let walker = PageTableWalker(atp: atp, guestStage: stage == .guest) else { return (va, allPermissions) }
        // A walk counts once its address is in range (it then reads at least the root entry);
        // the reader counts the entries it reads.
        if walker.covers(va) {
            if stage == .guest { eventCounters.guestPageWalks += 1 } else { eventCounters.pageWalks += 1 }
        }
        let reader = HartPageTableReader(hart: self, stage: stage, access: type)
        let leaf: PageTableLeaf
        switch try walker.walk(va, type, user: user, sum: userPages, mxr: mxr, reader: reader) {
        case .success(let found): leaf = found
        case .failure: throw TranslationFault(cause: stage == .guest ? type.guestPageFault : type.pageFault)
        }
        if leaf.needsUpdate {
            let writeAddress = stage == .virtualSupervisor
                ? try guestStage(leaf.entryAddress, type, implicitWrite: true).pa : leaf.entryAddress
            guard pmpAllows(writeAddress, width: 8, .write, privilege: .supervisor) else {
                throw TranslationFault(cause: type.accessFault)
            }
            if sharesMemory, writeAddress & 7 == 0, memory.contains(writeAddress, length: 8) {
                // Another hart may change the PTE between the read and this write: the A/D update
                // is atomic, and a PTE that changed meanwhile is walked again (§4.3.2 step 7).
                guard memory.compareAndSwap(writeAddress, width: 8, expected: leaf.pte, desired: leaf.updatedPTE) else {
                    return try walk(va, type, atp: atp, stage: stage, user: user, userPages: userPages, mxr: mxr)
                }
            } else {
                guard bus.write(writeAddress, width: 8, value: leaf.updatedPTE) else {
                    throw TranslationFault(cause: type.accessFault)
                }
            }
            noteWrite(physical: writeAddress, width: 8)
        }
        if stage == .guest {
            // SAFETY: as for the memo read in guestStage: a masked index into the hart's own memo.
            guestStageMemoEntry(va).pointee = GuestStageMemoEntry(
                page: va >> 12, generation: guestStageGeneration, hostPage: leaf.physicalAddress & TLBEntry.pageMask,
                pte: leaf.updatedPTE, steps: UInt64(walker.levels - leaf.level))
        }
        return (leaf.physicalAddress, leaf.updatedPTE)
    }
}

/// The hart's PTE reads for one stage of a walk: a VS-stage table address is guest physical and
/// goes through G-stage first (a refusal there is the G-stage fault, with the implicit-read
/// pseudoinstruction); then PMP must allow an S-level read and the bus must answer, or the
/// access faults (§4.3.2 step 2, §3.7.1).
struct HartPageTableReader: PageTableReader {
    let hart: Hart
    let stage: Hart.WalkStage
    let access: AccessType

    @inline(__always)
    func readEntry(at address: UInt64, table: UInt64, level: Int) throws(TranslationFault) -> UInt64 {
        if stage == .guest { hart.eventCounters.guestPageWalkSteps += 1 } else { hart.eventCounters.pageWalkSteps += 1 }
        let hostAddress = stage == .virtualSupervisor
            ? try hart.guestStage(address, access, implicitWrite: false).pa : address
        guard hart.pmpAllows(hostAddress, width: 8, .read, privilege: .supervisor),
              let pte = hart.bus.read(hostAddress, width: 8) else {
            throw TranslationFault(cause: access.accessFault)
        }
        return pte
    }
}

extension Hart {
    // MARK: PMP (§3.7)

    /// Works out the range of every entry that is not OFF, in priority order, after any change
    /// to pmpcfg or pmpaddr: a TOR entry's bottom is the previous entry's address whatever that
    /// entry's mode (§3.7.1).
    func rebuildPMPRegions() {
        var regions: [PMPRegion] = []
        var previousTop: UInt64 = 0
        for i in 0..<16 {
            let cfg = pmpcfg[i]
            let lo: UInt64, hi: UInt64 // [lo, hi)
            switch (cfg >> 3) & 3 {
            case PMP.tor:
                lo = previousTop; hi = pmpaddr[i] << 2
            case PMP.na4:
                lo = pmpaddr[i] << 2; hi = lo &+ 4
            case PMP.napot:
                let ones = UInt64((~pmpaddr[i]).trailingZeroBitCount)
                let size: UInt64 = ones >= 54 ? 0 : 8 << ones
                lo = (pmpaddr[i] & ~((1 << ones) &- 1)) << 2; hi = size == 0 ? UInt64.max : lo &+ size
            default:
                lo = 0; hi = 0
            }
            previousTop = pmpaddr[i] << 2
            if (cfg >> 3) & 3 != PMP.off { regions.append(PMPRegion(lo: lo, hi: hi, cfg: cfg)) }
        }
        pmpRegions = regions
    }

    /// True when PMP lets `privilege` perform `type` on every byte of `[pa, pa+width)`.
    func pmpAllows(_ pa: UInt64, width: UInt64, _ type: AccessType, privilege p: Privilege) -> Bool {
        for region in pmpRegions {
            let lo = region.lo, hi = region.hi, cfg = region.cfg
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
        // A debugger's watched pages stay out of the TLB, so every access to them comes here.
        if debugger != nil, try debugWatchedAccess(va, width: width, type) { return pa }
        let page = pa & TLBEntry.pageMask
        if memory.contains(page, length: 4096) && pmpUniformPage(page, type, privilege: p) {
            // SAFETY: `tlbEntry` returns an entry inside `tlb`; the offset it stores maps `vpage`
            // to `page`, which `memory.contains` just placed wholly in host RAM.
            let e = tlbEntry(slot: dataSlot, va)
            tlbTouched.note(dataSlot, Int((va >> 12) & UInt64(TLBEntry.entriesPerContext - 1)))
            let vpage = va & TLBEntry.pageMask
            let offset = UInt64(UInt(bitPattern: memory.hostPointer(page))) &- vpage
            if e.pointee.hostOffset != offset || (e.pointee.readTag != vpage && e.pointee.writeTag != vpage && e.pointee.fetchTag != vpage) {
                e.pointee = TLBEntry(readTag: TLBEntry.invalid, writeTag: TLBEntry.invalid, fetchTag: TLBEntry.invalid, hostOffset: offset)
            }
            if type == .read { e.pointee.readTag = vpage }
            if type == .write && pteFlags & PageTableEntry.dirty != 0 {
                // SAFETY: `e` is still the entry above; `page` is in RAM (checked above), so its RAM
                // offset names a page the code-chunk map has a word for.
                // Code of this hart's, or of another's (CodeWatch.swift): stores take the slow path.
                let watched = blocks.isCodePage(page &- memory.base) || memory.codeWatch?.isWatched((page &- memory.base) >> 12) == true
                e.pointee.writeTag = watched ? vpage | TLBEntry.codePageMarker : vpage
                // A writable page is also readable (W implies R) once A is set.
                if pmpUniformPage(page, .read, privilege: p) && pteFlags & PageTableEntry.read != 0 { e.pointee.readTag = vpage }
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
            // SAFETY: as in `translateData`; `page` is RAM because `memory.contains(pa, length: 2)`
            // held and RAM is whole pages.
            let e = tlbEntry(slot: fetchSlot, va)
            tlbTouched.note(fetchSlot, Int((va >> 12) & UInt64(TLBEntry.entriesPerContext - 1)))
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
        publishRetired()
        guard let r = bus.region(containing: pa), pa - r.base + width <= r.size else { return nil }
        let v = bus.withDevices { r.device.read(offset: pa - r.base, width: Int(width)) }
        nextEventAt = 0
        return v
    }

    func mmioWrite(_ pa: UInt64, width: UInt64, value: UInt64) -> Bool {
        eventCounters.mmioAccesses += 1
        publishRetired()
        guard let r = bus.region(containing: pa), pa - r.base + width <= r.size else { return false }
        bus.withDevices { r.device.write(offset: pa - r.base, width: Int(width), value: value) }
        // A device write can raise a line, stop the machine or move a timer deadline.
        nextEventAt = 0
        nextDevicePollAt = 0
        return true
    }
}
