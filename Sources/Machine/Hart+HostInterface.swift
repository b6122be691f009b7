import RISCV

// The host hypervisor's narrow interface to a hart: the entry points that exist for
// Sources/Hypervisor (and the harness, acting as a host), gathered here. Besides these the host
// uses only `run` (Hart+Execution.swift); `reset(pc:)`, `pc` (read, and set to resume a guest
// elsewhere), `retired`, `memory`, `configuration`, `counters` and `guestExit` (Hart.swift);
// and the progress guard's `progressState`, `trapsTaken`, `lastTrap`,
// `firstTrapWithoutProgress` and `noProgressReport` (ProgressGuard.swift).
// Nothing here is on the per-instruction path: each call happens on a VM exit or a vCPU switch.
//
// This module is built with -Ounchecked (Package.swift), which removes `precondition` checks and
// the bounds checks of array subscripts: an index that guards a pointer access is checked
// here with an explicit test and `fatalError`, which every optimisation level keeps.

extension Hart {
    // MARK: Registers and CSRs

    /// Reads x`i` (x0 reads 0): an SBI call's or a hypercall's arguments, an emulated load's
    /// base register.
    /// Inlinable: an SBI call or hypercall reads a dozen registers, and as calls into this module
    /// they were a sixth of a para SBI exit's host instructions.
    @inlinable
    public func register(_ i: Int) -> UInt64 {
        guard i >= 0 && i < 32 else { Hart.registerIndexOutOfRange(i) }
        // SAFETY: 0 ≤ i < 32 was just checked; `x` has `CompiledRun.registerFileSlots` slots.
        return i == 0 ? 0 : x[i]
    }

    @usableFromInline @inline(never)
    static func registerIndexOutOfRange(_ i: Int) -> Never { fatalError("register index \(i) out of range") }

    /// Writes x`i` (writes to x0 and out-of-range indices are ignored): an SBI call's or a
    /// hypercall's results, an emulated load's destination.
    @inlinable
    public func setRegister(_ i: Int, _ v: UInt64) {
        // SAFETY: 0 < i < 32 is checked here; `x` has `CompiledRun.registerFileSlots` slots.
        if i > 0 && i < 32 { x[i] = v }
    }

    /// Reads f`i` as raw bits: an emulated floating-point load or store, a vCPU dump.
    public func fregister(_ i: Int) -> UInt64 {
        guard i >= 0 && i < 32 else { fatalError("floating-point register index \(i) out of range") }
        // SAFETY: 0 ≤ i < 32 was just checked; `f` has 32 slots.
        return f[i]
    }

    /// Writes f`i` as raw bits: an emulated floating-point load's destination.
    public func setFRegister(_ i: Int, _ v: UInt64) {
        guard i >= 0 && i < 32 else { fatalError("floating-point register index \(i) out of range") }
        // SAFETY: 0 ≤ i < 32 was just checked; `f` has 32 slots.
        f[i] = v
    }

    /// Reads a CSR as M-mode would (for debuggers, tests and summaries); nil if it does not exist.
    /// The same read as `hostReadCSR`, named for callers that are not a hypervisor.
    public func debugReadCSR(_ number: UInt16) -> UInt64? {
        readCSRValue(number)
    }

    /// The host finished the trapped instruction for the guest (emulated a CSR access, an SBI
    /// call, an MMIO access, a hypercall) and resumes it at `nextPC`: that is progress, though
    /// the hart retired nothing. Every mode's exit handler ends with it after emulating the
    /// trapped instruction.
    public func completeEmulatedInstruction(resumingAt nextPC: UInt64) {
        pc = nextPC
        progress.trapsInARow = 0
    }
}

// MARK: The host's view (HartConfiguration.hostOwnsSupervisor)

/// One virtual hart's state as a hypervisor saves it between runs (Xen's vcpu_guest_context):
/// registers, pc, VS or VU privilege, and the CSRs that belong to the guest rather than to HS.
public struct VirtualHartState: Sendable, Equatable, Codable {
    public var registers = [UInt64](repeating: 0, count: 32)
    public var floatRegisters = [UInt64](repeating: 0, count: 32)
    public var pc: UInt64 = 0
    /// True in VS-mode, false in VU-mode.
    public var supervisor = true
    /// The guest-owned CSRs by number (`Hart.virtualHartCSRs`).
    public var csrs: [UInt16: UInt64] = [:]

    public init(pc: UInt64 = 0) {
        self.pc = pc
        csrs[CSR.vstimecmp] = .max
    }

    /// Stops the process unless both register arrays hold 32 values: the arrays are public and
    /// a state can come from anywhere, and the loops that copy them onto a hart index them
    /// without bounds checks in this -Ounchecked module.
    func checkRegisterCounts() {
        guard registers.count == 32, floatRegisters.count == 32 else {
            fatalError("vCPU state with \(registers.count) integer and \(floatRegisters.count) floating-point registers, not 32 each")
        }
    }
}

extension Hart {
    /// The CSRs a vCPU owns: the VS copies, the VS interrupt state (vsie lives in mie's VS bits,
    /// hvip is the injection register), the guest's timer and time offset, and the supervisor
    /// CSRs that have no VS copy (scounteren, senvcfg) together with fcsr.
    public static let virtualHartCSRs: [UInt16] = [
        CSR.vsstatus, CSR.hie, CSR.hvip, CSR.vstvec, CSR.vsscratch, CSR.vsepc, CSR.vscause, CSR.vstval, CSR.vsatp,
        CSR.vstimecmp, CSR.htimedelta, CSR.scounteren, CSR.senvcfg, CSR.fcsr,
    ]

    /// Reads any CSR as M-mode (the host is M and HS); nil if it does not exist. The modes read
    /// the guest's CSRs through it to emulate csrr and to save a vCPU.
    public func hostReadCSR(_ number: UInt16) -> UInt64? { readCSRValue(number) }

    /// Writes any CSR as M-mode would, without the privilege checks a guest instruction gets.
    /// Returns false if the CSR does not exist. The modes set up hgatp, hedeleg/hideleg, hvip
    /// (interrupt injection) and the emulated guest CSRs through it.
    @discardableResult
    public func hostWriteCSR(_ number: UInt16, _ value: UInt64) -> Bool {
        let savedPrivilege = privilege, savedVirtual = virtualized
        privilege = .machine
        virtualized = false
        defer {
            privilege = savedPrivilege
            virtualized = savedVirtual
            updateTranslationContexts()
        }
        do { try writeCSR(number, value); return true } catch { return false }
    }

    /// Puts vCPU `state` on the hart, in VS or VU mode under G-stage table `hgatp`: the
    /// hardware-assisted mode's vCPU switch-in.
    public func loadVirtualHart(_ state: VirtualHartState, hgatp: UInt64) {
        state.checkRegisterCounts()
        if h.hgatp != hgatp { hostWriteCSR(CSR.hgatp, hgatp) }
        // SAFETY: indices stay below 32, within `x` (39 slots) and `f` (32 slots), and within the
        // state's arrays, which `checkRegisterCounts` found to hold 32 each.
        for i in 1..<32 { x[i] = state.registers[i] }
        for i in 0..<32 { f[i] = state.floatRegisters[i] }
        for number in Hart.virtualHartCSRs { hostWriteCSR(number, state.csrs[number] ?? 0) }
        if state.csrs[CSR.vstimecmp] == nil { h.vstimecmp = .max }
        closePrivilegeInterval()
        privilege = state.supervisor ? .supervisor : .user
        virtualized = true
        pc = state.pc
        waitingForInterrupt = false
        reservationAddress = .max
        // The guest's vsatp and VMID may both differ from the last vCPU's.
        flushTLB()
        updateTranslationContexts()
        nextEventAt = 0
    }

    /// The vCPU state currently on the hart: the hardware-assisted mode's vCPU switch-out; the
    /// full-virtualization mode reads the guest's registers through it too.
    public func saveVirtualHart() -> VirtualHartState {
        var state = VirtualHartState(pc: pc)
        state.supervisor = privilege == .supervisor
        // SAFETY: indices stay below 32, within `x` (39 slots) and `f` (32 slots).
        for i in 1..<32 { state.registers[i] = x[i] }
        for i in 0..<32 { state.floatRegisters[i] = f[i] }
        for number in Hart.virtualHartCSRs { state.csrs[number] = readCSRValue(number) ?? 0 }
        return state
    }

    /// Delivers an exception to the guest as the hardware would if hedeleg had delegated it:
    /// vscause/vsepc/vstval, vsstatus's SPP/SPIE/SIE, VS-mode at vstvec. For faults the host
    /// decides belong to the guest (an access outside its memory, an instruction it emulates
    /// as illegal).
    public func injectGuestException(cause: UInt64, value: UInt64) {
        guard virtualized else { return }
        eventCounters.exceptions[Int(cause & 63)] += 1
        noteTrap(cause: cause, interrupt: false, value: value, pc: pc)
        closePrivilegeInterval()
        enterVirtualSupervisor(code: cause, interrupt: false, epc: pc, tval: value)
        updateTranslationContexts()
        nextEventAt = 0
    }

    /// Reads `width` bytes at guest virtual address `va` as the guest at its current privilege
    /// would fetch them (HLVX's rules), for a host that must decode a trapped instruction
    /// itself (the hardware-assisted mode's MMIO emulation when htinst is 0). Nil when the guest
    /// could not fetch there.
    public func readGuestInstruction(at va: UInt64) -> UInt32? {
        let context = translationContext(privilege, virtual: true)
        func half(_ address: UInt64) -> UInt64? {
            guard let pa = try? translate(address, .fetch, context: context).pa, memory.contains(pa, length: 2) else { return nil }
            return memory.load(pa, width: 2)
        }
        guard let low = half(va) else { return nil }
        if low & 3 != 3 { return UInt32(low) }
        guard let high = half(va &+ 2) else { return nil }
        return UInt32(low | high << 16)
    }

    /// Tells the hart that its host wrote `range` of physical memory behind its back (loading a
    /// guest, restoring a snapshot, clearing a destroyed domain's memory): instructions decoded
    /// from those bytes are dropped, as a store by the hart itself would drop them.
    public func hostWroteMemory(_ range: Range<UInt64>) {
        guard let first = range.first.map({ max($0, memory.base) }), range.upperBound > first else { return }
        let low = (first &- memory.base) >> 12, high = (range.upperBound &- 1 &- memory.base) >> 12
        let pages = blocks.codeInPage.keys.filter { $0 >= low && $0 <= high }
        for page in pages {
            eventCounters.codeInvalidations += 1
            blocks.invalidatePage(page << 12)
        }
        if !pages.isEmpty { nextEventAt = 0 }
    }

    /// Whether an interrupt is pending for the guest on the hart now (hip & hie, VS bits):
    /// what wakes a vCPU that stopped in WFI.
    public var guestInterruptPending: Bool { mip & m.mie & Hart.virtualSupervisorInterrupts != 0 }
}

// MARK: The host's view without H (full virtualization: the guest kernel in U-mode)

extension Hart {
    /// Puts a deprivileged guest's registers and pc on the hart in U-mode (V=0): a full
    /// virtualization host runs both the guest's kernel and its programs there, under a satp it
    /// sets with `hostSwitchUserAddressSpace`. The caller chooses mstatus.FS and satp.
    public func loadDeprivilegedGuest(_ state: VirtualHartState) {
        state.checkRegisterCounts()
        // SAFETY: indices stay below 32, within `x` (39 slots) and `f` (32 slots), and within the
        // state's arrays, which `checkRegisterCounts` found to hold 32 each.
        for i in 1..<32 { x[i] = state.registers[i] }
        for i in 0..<32 { f[i] = state.floatRegisters[i] }
        closePrivilegeInterval()
        privilege = .user
        virtualized = false
        pc = state.pc
        waitingForInterrupt = false
        reservationAddress = .max
        // Another guest (or vCPU) may have used the same root addresses for other tables.
        hostFlushUserTranslations()
        updateTranslationContexts()
    }

    /// Points U-mode translation at a root (`satp` value). A full-virtualization host switches
    /// shadow roots on nearly every guest kernel/user transition: the translations of up to
    /// `TranslationSlots.userBanks` roots stay cached across switches (`selectUserBank`), so the
    /// host owes `hostFlushUserTranslations` whenever it changes or frees a table of any of them.
    public func hostSwitchUserAddressSpace(satp value: UInt64) {
        guard let legal = SupervisorCSRs.legalATP(value) else { return }
        satp = legal
        selectUserBank(for: legal)
        nextEventAt = 0
    }

    /// Drops U-mode's cached translations, of every root, after the host changed a table a root
    /// leads to (a shadow entry removed or its permissions lowered, a root freed).
    public func hostFlushUserTranslations() {
        flushUserBanks()
        eventCounters.tlbFlushes += 1
        blocks.flushJumpCaches()
        nextEventAt = 0
    }

    /// Stores `value` at physical `pa` on the guest's behalf (a full-virtualization host setting
    /// A/D bits in a guest PTE), with the bookkeeping a store by the hart does: decoded code
    /// there is dropped and a reservation on it is lost. False outside RAM.
    @discardableResult
    public func hostStore(physical pa: UInt64, width: UInt64, value: UInt64) -> Bool {
        guard memory.contains(pa, length: width) else { return false }
        if noteWrite(physical: pa, width: width) { nextEventAt = 0 }
        _ = memory.store(pa, width: Int(width), value: value)
        if reservationAddress == pa { reservationAddress = .max }
        return true
    }

    /// A store-conditional done on the guest's behalf at physical `pa` (a full-virtualization
    /// host emulating an SC to a page it write-protects): it succeeds, and stores, under the
    /// rule the hart's own SC follows (the reservation is on `pa` and the reserved value is
    /// unchanged); the reservation is gone afterwards either way. False when it failed.
    public func hostStoreConditional(physical pa: UInt64, width: UInt64, value: UInt64) -> Bool {
        defer { reservationAddress = .max }
        guard memory.contains(pa, length: width), reservationAddress == pa,
              memory.load(pa, width: Int(width)) == reservationValue else { return false }
        if noteWrite(physical: pa, width: width) { nextEventAt = 0 }
        _ = memory.store(pa, width: Int(width), value: value)
        return true
    }
}

/// The host's controls for a guest that runs deprivileged on a hart without V (a para-virtual
/// kernel in U-mode, Xen's PV guests): the host, not a trap vector, decides where the guest
/// resumes and under which page table.
extension Hart {
    /// Resumes a guest (a different one, or after the host changed its tables) in U-mode (V = 0)
    /// at `pc`, translating through `satp` (whose root the host has validated). Every cached
    /// translation is dropped.
    public func enterDeprivileged(pc newPC: UInt64, satp newSATP: UInt64) {
        flushTLB()
        switchDeprivileged(pc: newPC, satp: newSATP)
    }

    /// Resumes the guest on the hart in U-mode at `pc` through `satp`, as it moves between its own
    /// address spaces (a para-virtual kernel's root and its programs'): each root's translations
    /// stay cached in a U-mode bank (`selectUserBank`), so the host owes `hostFlushTranslations`
    /// whenever it changes a validated table or lets one go.
    public func switchDeprivileged(pc newPC: UInt64, satp newSATP: UInt64) {
        closePrivilegeInterval()
        privilege = .user
        virtualized = false
        satp = newSATP
        pc = newPC
        waitingForInterrupt = false
        reservationAddress = .max
        selectUserBank(for: newSATP)
        nextEventAt = 0
    }

    /// Drops every cached translation, as sfence.vma would (after the host changed page tables
    /// the hart may have cached).
    public func hostFlushTranslations() {
        flushTLB()
        nextEventAt = 0
    }
}
