import Machine
import RISCV

/// `full`: trap-and-emulate with shadow page tables, the way hypervisors ran unmodified kernels
/// before hardware help. The hart has no H extension; the guest's kernel and its programs both
/// run in the hart's U-mode under a shadow root (`ShadowPageTables`), so every privileged
/// instruction of the kernel (CSR accesses, sret, wfi, sfence.vma) is illegal there and exits
/// to the host, which emulates it on the virtual supervisor (`VirtualSupervisor`). Guest traps
/// are reflected into the guest kernel as the hardware would deliver them; the guest's timer
/// is the hart's own Sstc timer while the guest can take it; ecall from the guest kernel is an
/// SBI call; accesses outside guest RAM go to the same device models as `hav`.
///
/// With `tracesPageTables` the shadows follow the guest's tables by write-protecting them
/// (`ShadowPageTables`): a guest store to one traps and is done here, and sfence.vma drops
/// nothing; without it, every sfence.vma drops the shadows it names.
final class FullVirtualization: VirtualizationKind {
    /// Each domain's shadow-table pool: 512 tables of 4 KiB.
    static let domainOverhead: UInt64 = 2 << 20
    var domainOverhead: UInt64 { Self.domainOverhead }
    let tracesPageTables: Bool
    /// The privileged instructions guest kernels trapped on, decoded.
    var privilegedInstructions = InstructionMemo()

    init(tracesPageTables: Bool = true) {
        self.tracesPageTables = tracesPageTables
    }

    // Bits of the host hart's CSRs the host sets (privileged spec §3.1.6, §3.1.9; Sstc).
    static let STIP = Hart.STIP
    static let mstatusFS = Hart.FS

    /// The host hart: every trap from U-mode goes to the host (hostOwnsSupervisor), the S timer
    /// interrupt is delegated so Sstc's stimecmp raises it in U-mode, all counters readable
    /// (each guest transition sets scounteren), and PMP open so U-mode reaches what the shadow
    /// tables map (and nothing else: they are the only way in).
    func prepare(_ hart: Hart) {
        hart.hostWriteCSR(CSR.menvcfg, 1 << 63) // STCE
        hart.hostWriteCSR(CSR.medeleg, 0xb3ff)
        hart.hostWriteCSR(CSR.mideleg, Self.STIP)
        hart.hostWriteCSR(CSR.mie, Self.STIP)
        hart.hostWriteCSR(CSR.stimecmp, .max)
        hart.hostWriteCSR(CSR.mcounteren, 7)
        hart.hostWriteCSR(CSR.pmpaddr0, UInt64.max >> 10)
        hart.hostWriteCSR(CSR.pmpcfg0, 0x1f)
    }

    func attach(_ domain: Domain, host: Host) throws {
        let shadow = ShadowPageTables(pool: domain.hypervisorRange, memory: host.board.memory, tracing: tracesPageTables)
        let cpu = FullVirtualCPU(shadow: shadow)
        // The virtual supervisor starts with the scounteren an SBI implementation leaves, as hav's vCPUs do.
        cpu.supervisor.registers.counterEnable = GuestSBI.startCounterEnable
        domain.virtualizationState = cpu
    }

    func detach(_ domain: Domain, host: Host) {
        domain.virtualizationState = nil
    }

    static func cpu(_ domain: Domain) -> FullVirtualCPU? { domain.virtualizationState as? FullVirtualCPU }

    func load(_ domain: Domain, host: Host) {
        guard let cpu = Self.cpu(domain) else { return }
        let hart = host.hart
        hart.loadDeprivilegedGuest(domain.vcpu)
        setFloatingPointState(cpu.floatingPointState, hart)
        cpu.loadedRoot = nil
        cpu.hartCounterEnable = nil
        cpu.hartTimerCompare = nil
        resume(domain, cpu, host: host)
    }

    func save(_ domain: Domain, host: Host) {
        guard let cpu = Self.cpu(domain) else { return }
        let hart = host.hart
        var state = hart.saveVirtualHart()
        cpu.floatingPointState = floatingPointState(hart)
        state.supervisor = cpu.supervisor.privilege == .supervisor
        state.csrs = cpu.supervisor.csrs(fs: cpu.floatingPointState)
        state.csrs[CSR.fcsr] = hart.hostReadCSR(CSR.fcsr) ?? 0
        domain.vcpu = state
        // The next domain must not inherit this one's timer.
        hart.hostWriteCSR(CSR.stimecmp, .max)
        cpu.hartTimerCompare = nil
        cpu.hartCounterEnable = nil
    }

    func floatingPointState(_ hart: Hart) -> UInt64 { (hart.hostReadCSR(CSR.mstatus) ?? 0) & Self.mstatusFS }

    func setFloatingPointState(_ fs: UInt64, _ hart: Hart) {
        let status = hart.hostReadCSR(CSR.mstatus) ?? 0
        if status & Self.mstatusFS != fs { hart.hostWriteCSR(CSR.mstatus, (status & ~Self.mstatusFS) | fs) }
    }

    func wakeUp(_ domain: Domain, vcpu: Int, host: Host) -> WakeUp {
        guard let cpu = domain.vcpus[vcpu].kindState as? FullVirtualCPU else { return .never }
        let supervisor = cpu.supervisor
        // WFI resumes on any pending interrupt sie enables, whatever SIE says (§3.3.3).
        if supervisor.softwarePending & supervisor.interruptEnable != 0 { return .now }
        guard supervisor.registers.timerCompare != .max, supervisor.interruptEnable & VirtualSupervisor.STIP != 0 else { return .never }
        return .at(supervisor.registers.timerCompare)
    }

    // MARK: Exits

    func handleExit(_ trap: GuestExit, _ domain: Domain, host: Host) {
        guard let cpu = Self.cpu(domain) else { return }
        let hart = host.hart
        if trap.interrupt {
            // The hart's S timer, armed with the guest's stimecmp: `resume` delivers it.
            resume(domain, cpu, host: host)
            return
        }
        switch trap.cause {
        case TrapCause.environmentCallFromU where cpu.supervisor.privilege == .supervisor:
            domain.count(.trapSBI)
            // A console read writes guest memory behind the shadows' back: note where (below).
            let consoleRead = hart.register(17) == GuestSBI.dbcn && hart.register(16) == 1
            let readLength = hart.register(10), readAddress = GuestPhysicalAddress(hart.register(11))
            let effect = GuestSBI.handle(on: hart, domain: domain,
                                         supervisor: SupervisorControl(cpu: cpu))
            hart.completeEmulatedInstruction(resumingAt: hart.pc &+ 4)
            // A successful read (a0 = 0) wrote a1 bytes, inside the guest's RAM (GuestSBI checked it).
            if consoleRead, hart.register(10) == 0, hart.register(11) > 0,
               case let target = domain.hostAddress(readAddress),
               cpu.shadow.hostWrote(target ..< target + min(readLength, hart.register(11))) > 0 {
                domain.count(.shadowResync)
            }
            switch effect {
            case .none: break
            case .shutdown(let status): host.finish(domain, .shutdown(status: status)); return
            case .suspend: host.block(domain, as: .suspended); return
            case .stopVCPU: host.stopCurrentVCPU(domain); return
            case .flushTranslations: if !cpu.shadow.tracing { dropShadows(cpu, domain, host: host) }
            }
        case TrapCause.illegalInstruction where cpu.supervisor.privilege == .supervisor:
            if !emulatePrivileged(trap, domain, cpu, host: host) {
                reflect(trap.cause, value: trap.value, pc: trap.pc, domain, cpu, host: host)
            }
            if domain.state != .runnable { return }
        case TrapCause.instructionPageFault, TrapCause.loadPageFault, TrapCause.storePageFault:
            shadowFault(trap, domain, cpu, host: host)
            if domain.state != .runnable { return }
        default:
            // The guest's own exceptions (a user's ecall, misaligned and access faults,
            // breakpoints, illegal instructions in guest user mode): delivered to its kernel.
            reflect(trap.cause, value: trap.value, pc: trap.pc, domain, cpu, host: host)
        }
        resume(domain, cpu, host: host)
    }

    /// Delivers exception `cause` to the guest kernel as the hardware would.
    func reflect(_ cause: UInt64, value: UInt64, pc: UInt64, _ domain: Domain, _ cpu: FullVirtualCPU, host: Host) {
        domain.count(DomainEvent.reflected(cause), orKey: "trap.reflected.\(cause)")
        host.hart.pc = cpu.supervisor.enterTrap(code: cause, interrupt: false, epc: pc, value: value)
    }

    /// Before the guest runs again: take an interrupt it can take now, point the hart at the
    /// shadow root its privilege, satp, SUM and MXR select, give the guest's U-mode only the
    /// counters its kernel allows, and arm the hart's timer with the guest's stimecmp only
    /// while the guest could take that interrupt (otherwise it would exit at once, forever).
    func resume(_ domain: Domain, _ cpu: FullVirtualCPU, host: Host) {
        let hart = host.hart
        if cpu.shadow.flushPending {
            cpu.shadow.flushPending = false
            hart.hostFlushUserTranslations()
        }
        guard domain.state == .runnable else { return }
        if cpu.supervisor.interruptsEnabled {
            let ready = cpu.supervisor.enabledPending(now: host.guestTime(domain))
            if let code = VirtualSupervisor.interruptPriority.first(where: { ready & (1 << $0) != 0 }) {
                domain.count(DomainEvent.interrupt(code), orKey: "trap.interrupt.\(code)")
                hart.pc = cpu.supervisor.enterTrap(code: code, interrupt: true, epc: hart.pc, value: 0)
            }
        }
        switchAddressSpace(domain, cpu, host: host)
        let counters: UInt64 = cpu.supervisor.privilege == .supervisor ? 7 : cpu.supervisor.registers.counterEnable & 7
        if cpu.hartCounterEnable != counters {
            hart.hostWriteCSR(CSR.scounteren, counters)
            cpu.hartCounterEnable = counters
        }
        let timerDeliverable = cpu.supervisor.interruptsEnabled && cpu.supervisor.interruptEnable & VirtualSupervisor.STIP != 0
        let compare = timerDeliverable ? cpu.supervisor.registers.timerCompare : .max
        if cpu.hartTimerCompare != compare {
            hart.hostWriteCSR(CSR.stimecmp, compare)
            cpu.hartTimerCompare = compare
        }
    }

    /// The shadow key the guest's current state selects.
    func currentKey(_ cpu: FullVirtualCPU) -> ShadowPageTables.Key {
        let supervisor = cpu.supervisor
        let atp = supervisor.registers.addressTranslation
        // Bare: no U bit to honour; one identity view serves kernel and user alike.
        guard atp >> 60 != 0 else { return .init(guestATP: 0, view: .kernel, mxr: false) }
        let view: ShadowPageTables.View = supervisor.privilege == .user ? .user
            : supervisor.status & VirtualSupervisor.SUM != 0 ? .kernelWithUserPages : .kernel
        return .init(guestATP: atp, view: view, mxr: supervisor.status & VirtualSupervisor.MXR != 0)
    }

    /// Points the hart's satp at the shadow root for the guest's current state.
    func switchAddressSpace(_ domain: Domain, _ cpu: FullVirtualCPU, host: Host) {
        let key = currentKey(cpu)
        if let loaded = cpu.loadedRoot, loaded.key == key,
           loaded.version == cpu.shadow.rootsVersion || cpu.shadow.roots[key] == loaded.root {
            if loaded.version != cpu.shadow.rootsVersion { cpu.loadedRoot = (key, loaded.root, cpu.shadow.rootsVersion) }
            return
        }
        if cpu.recentRootsVersion == cpu.shadow.rootsVersion, let known = cpu.recentRoots.first(where: { $0.key == key }) {
            cpu.loadedRoot = (key, known.root, cpu.shadow.rootsVersion)
            host.hart.hostSwitchUserAddressSpace(satp: key.satpMode << 60 | known.root.rawValue >> 12)
            return
        }
        var root = cpu.shadow.root(for: key)
        if root == nil {
            // Too many roots or a full pool: start over (counted as a resync).
            domain.count(.shadowResync)
            cpu.shadow.dropAll()
            root = cpu.shadow.root(for: key)
        }
        guard let root else { return } // a pool always holds at least one root
        // Making the root may have evicted another whose table it now reuses: the hart's banks
        // must not keep that one's translations under this satp.
        if cpu.shadow.flushPending {
            cpu.shadow.flushPending = false
            host.hart.hostFlushUserTranslations()
        }
        cpu.loadedRoot = (key, root, cpu.shadow.rootsVersion)
        if cpu.recentRootsVersion != cpu.shadow.rootsVersion {
            cpu.recentRoots.removeAll(keepingCapacity: true)
            cpu.recentRootsVersion = cpu.shadow.rootsVersion
        }
        if cpu.recentRoots.count == FullVirtualCPU.recentRootLimit { cpu.recentRoots.removeFirst() }
        cpu.recentRoots.append((key, root))
        host.hart.hostSwitchUserAddressSpace(satp: key.satpMode << 60 | root.rawValue >> 12)
    }

    /// Drops every shadow table (the guest flushed everything).
    func dropShadows(_ cpu: FullVirtualCPU, _ domain: Domain, host: Host) {
        guard !cpu.shadow.isEmpty else { return }
        domain.count(.shadowResync)
        cpu.shadow.dropAll()
        cpu.loadedRoot = nil
    }

    func block(_ domain: Domain, host: Host) {
        host.block(domain)
    }

    /// What the SBI changes in a `full` guest: its virtual stimecmp and sip.SSIP, and for a
    /// non-retentive suspend its sstatus.SIE and satp.
    struct SupervisorControl: GuestSBI.SupervisorControl {
        let cpu: FullVirtualCPU
        func setTimer(_ deadline: UInt64) { cpu.supervisor.registers.timerCompare = deadline }
        func raiseSoftwareInterrupt() { cpu.supervisor.softwarePending |= VirtualSupervisor.SSIP }
        func raiseSoftwareInterrupt(on vcpu: inout VirtualCPU) {
            (vcpu.kindState as? FullVirtualCPU)?.supervisor.softwarePending |= VirtualSupervisor.SSIP
        }
        func resetForNonRetentiveResume() {
            cpu.supervisor.status &= ~VirtualSupervisor.SIE
            cpu.supervisor.registers.addressTranslation = 0
        }
    }

    // MARK: Privileged instructions

    /// Emulates a privileged instruction the guest kernel executed (it trapped as illegal in
    /// U-mode): CSR accesses to S-mode CSRs, sret, wfi, sfence.vma. False when the guest kernel
    /// itself may not execute it (an M or H CSR, mret, a write to a read-only CSR, ...): the
    /// caller reflects the illegal instruction.
    func emulatePrivileged(_ trap: GuestExit, _ domain: Domain, _ cpu: FullVirtualCPU, host: Host) -> Bool {
        let hart = host.hart
        let bits = UInt32(truncatingIfNeeded: trap.value)
        guard bits & 3 == 3 else { return false }
        let instruction = privilegedInstructions.decode(bits)
        switch instruction.op {
        case .csrrw, .csrrs, .csrrc, .csrrwi, .csrrsi, .csrrci:
            guard emulateCSR(instruction, domain, cpu, host: host) else { return false }
            hart.completeEmulatedInstruction(resumingAt: trap.pc &+ 4)
        case .sret:
            domain.count(.trapSret)
            hart.completeEmulatedInstruction(resumingAt: cpu.supervisor.returnFromTrap())
        case .wfi:
            domain.count(.trapWFI)
            hart.completeEmulatedInstruction(resumingAt: trap.pc &+ 4)
            let supervisor = cpu.supervisor
            if supervisor.enabledPending(now: host.guestTime(domain)) == 0 { block(domain, host: host) }
        case .sfence_vma:
            domain.count(.trapSfenceVMA)
            hart.completeEmulatedInstruction(resumingAt: trap.pc &+ 4)
            // Traced shadows are never staler than a TLB: nothing to drop.
            guard !cpu.shadow.tracing else { break }
            if instruction.rs1 == 0 {
                dropShadows(cpu, domain, host: host)
            } else if cpu.shadow.unmap(va: GuestVirtualAddress(hart.register(Int(instruction.rs1)))) > 0 {
                domain.count(.shadowResync)
            }
        default:
            return false
        }
        return true
    }

    /// csrrw/csrrs/csrrc (and immediates) on the virtual supervisor's CSRs, with the spec's
    /// read and write side rules (§2.1, Zicsr: rd = x0 skips the read of csrrw, rs1 = x0 or a
    /// zero immediate skips the write of csrrs/csrrc).
    func emulateCSR(_ op: Instruction, _ domain: Domain, _ cpu: FullVirtualCPU, host: Host) -> Bool {
        let hart = host.hart
        let number = UInt16(op.imm & 0xfff)
        let immediate = op.op == .csrrwi || op.op == .csrrsi || op.op == .csrrci
        let source = immediate ? UInt64(op.rs1) : hart.register(Int(op.rs1))
        let swaps = op.op == .csrrw || op.op == .csrrwi
        let writes = swaps || op.rs1 != 0
        // Only S-level CSRs (bits 9:8 = 1) are emulated; a write to a read-only one is illegal.
        guard (number >> 8) & 3 == 1, !(writes && number >> 10 == 3) else { return false }
        var fs = floatingPointState(hart)
        guard let old = cpu.supervisor.read(number, fs: fs, now: host.guestTime(domain)) else { return false }
        domain.count(swaps ? .trapCSRWrite : !writes ? .trapCSRRead : op.op == .csrrs || op.op == .csrrsi ? .trapCSRSet : .trapCSRClear)
        if writes {
            _ = cpu.supervisor.write(number, Hart.csrWriteValue(op.op, old: old, source: source), fs: &fs)
            setFloatingPointState(fs, hart)
        }
        hart.setRegister(Int(op.rd), old)
        return true
    }

    // MARK: Memory

    /// A page fault under the shadow root: the guest's tables decide. Allowed → a hidden fault,
    /// filled in the shadow (the guest never sees it); refused → the guest's own page fault (or
    /// access fault for a walk outside its RAM); allowed but outside guest RAM → MMIO.
    func shadowFault(_ trap: GuestExit, _ domain: Domain, _ cpu: FullVirtualCPU, host: Host) {
        let hart = host.hart
        guard let access = AccessType(pageFault: trap.cause) else { return }
        let va = GuestVirtualAddress(trap.value)
        let key = currentKey(cpu)
        let supervisor = cpu.supervisor
        let translation = ShadowPageTables.translate(
            va, access, atp: supervisor.registers.addressTranslation, user: supervisor.privilege == .user,
            sum: supervisor.status & VirtualSupervisor.SUM != 0, mxr: supervisor.status & VirtualSupervisor.MXR != 0,
            domain: domain, hart: hart)
        switch translation {
        case .pageFault:
            reflect(access.pageFault, value: trap.value, pc: trap.pc, domain, cpu, host: host)
        case .accessFault:
            reflect(access.accessFault, value: trap.value, pc: trap.pc, domain, cpu, host: host)
        case .allowed(let gpa, let pte, let tables):
            let page = gpa.pageBase
            guard domain.ownsRAM(page, length: ShadowPageTables.pageSize) else {
                guard access != .fetch else {
                    reflect(access.accessFault, value: trap.value, pc: trap.pc, domain, cpu, host: host)
                    return
                }
                emulateMMIO(trap, gpa: gpa, access: access, domain, cpu, host: host)
                return
            }
            let hostPage = domain.hostAddress(page)
            if access == .write && cpu.shadow.isTraced(hostPage) {
                storeToTracedTable(trap, gpa: gpa, pte: pte, tables: tables, domain, cpu, host: host)
                return
            }
            domain.count(.shadowFault)
            fill(key, va: va, hostPage: hostPage, pte: pte, tables: tables, domain, cpu, host: host)
        }
    }

    /// Maps `va` in `key`'s shadow to `hostPage` as guest leaf `pte` allows, noting the guest
    /// tables it came from (`tables`, guest physical); a full pool is emptied first.
    /// Returns whether a valid leaf was there already.
    @discardableResult
    func fill(_ key: ShadowPageTables.Key, va: GuestVirtualAddress, hostPage: HostPhysicalAddress, pte: UInt64, tables: [GuestPhysicalAddress],
              _ domain: Domain, _ cpu: FullVirtualCPU, host: Host) -> Bool {
        let hostTables = tables.map { domain.hostAddress($0) }
        let permissions = ShadowPageTables.permissions(of: pte, view: key.view, mxr: key.mxr)
        func attempt() -> Bool? {
            cpu.shadow.trace(hostTables, guestATP: key.guestATP, va: va)
            return cpu.shadow.map(key, va: va, hostPage: hostPage, permissions: permissions)
        }
        if let replaced = attempt() { return replaced }
        // The pool is used up: drop everything, rebuild this root, map again.
        domain.count(.shadowResync)
        cpu.shadow.dropAll()
        cpu.loadedRoot = nil
        switchAddressSpace(domain, cpu, host: host)
        return attempt() ?? false
    }

    /// A guest store to a traced page-table page (no shadow leaf lets it write there): done here
    /// with the instruction's own width and semantics (stores, F/D stores, compressed forms,
    /// AMOs, SC), then the shadow entries derived from what it overwrote are dropped. A store
    /// that crosses into the next page is not emulated: the page stops being traced and the
    /// guest runs the instruction again, natively.
    func storeToTracedTable(_ trap: GuestExit, gpa: GuestPhysicalAddress, pte: UInt64, tables: [GuestPhysicalAddress],
                            _ domain: Domain, _ cpu: FullVirtualCPU, host: Host) {
        let hart = host.hart
        domain.count(.shadowWriteProtect)
        let frame = domain.hostAddress(gpa.pageBase)
        let va = GuestVirtualAddress(trap.value)
        // Reads through the page need no trap: map it (read-only, as a traced table).
        fill(currentKey(cpu), va: va, hostPage: frame, pte: pte, tables: tables, domain, cpu, host: host)
        guard let bits = fetchInstruction(at: GuestVirtualAddress(trap.pc), domain, cpu, hart: hart),
              let store = GuestStore(Decoder.decode(bits), hart: hart),
              store.address == va, store.address.pageOffset + store.width <= ShadowPageTables.pageSize else {
            if cpu.shadow.untrace(frame) > 0 { domain.count(.shadowResync) }
            hart.pc = trap.pc
            return
        }
        let target = domain.hostAddress(gpa)
        switch store.kind {
        case .store(let value):
            hart.hostStore(physical: target, width: store.width, value: value)
        case .conditional(let value):
            let stored = hart.hostStoreConditional(physical: target, width: store.width, value: value)
            hart.setRegister(Int(store.destination), stored ? 0 : 1)
        case .atomic(let op, let source):
            let old = hart.memory.load(target, width: Int(store.width)) ?? 0
            hart.hostStore(physical: target, width: store.width, value: GuestStore.combine(op, old, source))
            hart.setRegister(Int(store.destination), store.width == 4 ? UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: old))) : old)
        }
        if cpu.shadow.tableWritten(frame, offset: gpa.pageOffset, width: store.width) > 0 { domain.count(.shadowResync) }
        hart.completeEmulatedInstruction(resumingAt: trap.pc &+ (bits & 3 == 3 ? 4 : 2))
    }

    /// Reads the instruction at guest virtual `pc` through the guest's own tables, as the
    /// guest's fetch would; nil when it could not fetch there.
    func fetchInstruction(at pc: GuestVirtualAddress, _ domain: Domain, _ cpu: FullVirtualCPU, hart: Hart) -> UInt32? {
        let supervisor = cpu.supervisor
        func half(_ va: GuestVirtualAddress) -> UInt64? {
            guard case .allowed(let gpa, _, _) = ShadowPageTables.translate(
                va, .fetch, atp: supervisor.registers.addressTranslation, user: supervisor.privilege == .user,
                sum: false, mxr: false, domain: domain, hart: hart),
                domain.ownsRAM(gpa, length: 2) else { return nil }
            return hart.memory.load(domain.hostAddress(gpa), width: 2)
        }
        guard let low = half(pc) else { return nil }
        if low & 3 != 3 { return UInt32(low) }
        guard let high = half(GuestVirtualAddress(pc.rawValue &+ 2)) else { return nil }
        return UInt32(low | high << 16)
    }

    /// Emulates a guest load or store to a device (the same models `hav` uses); an access to
    /// nothing, or one the host does not emulate on devices, is an access fault the guest sees.
    func emulateMMIO(_ trap: GuestExit, gpa: GuestPhysicalAddress, access: AccessType, _ domain: Domain, _ cpu: FullVirtualCPU, host: Host) {
        let hart = host.hart
        domain.count(.trapMMIO)
        domain.count(.mmioAccesses)
        let isStore = access == .write
        guard let bits = fetchInstruction(at: GuestVirtualAddress(trap.pc), domain, cpu, hart: hart),
              let mmio = MMIOAccess(instruction: Decoder.decode(bits), isStore: isStore),
              let result = GuestDevices.access(domain: domain, gpa: gpa, width: mmio.width, store: isStore,
                                               value: isStore ? hart.register(mmio.register) : 0,
                                               now: host.hostTime(for: domain)) else {
            domain.count(.mmioBadAccess)
            reflect(access.accessFault, value: trap.value, pc: trap.pc, domain, cpu, host: host)
            return
        }
        if !isStore { hart.setRegister(mmio.register, mmio.extend(result.value)) }
        hart.completeEmulatedInstruction(resumingAt: trap.pc &+ (bits & 3 == 3 ? 4 : 2))
        if let status = result.shutdown { host.finish(domain, .shutdown(status: status)) }
    }
}

extension Host {
    /// Every leaf of every shadow table the `full` domain `id` has now, read back from host
    /// memory: for isolation audits (each must map a frame the domain owns, none the pool).
    public func shadowMappings(of id: Int) throws -> [ShadowMapping] {
        let domain = try find(id)
        guard let cpu = FullVirtualization.cpu(domain) else {
            throw HostError.unsupported("domain \(id) is not fully virtualized: it has no shadow page tables")
        }
        return try cpu.shadow.mappings()
    }
}

/// A store-class instruction as a trapped write to a traced page table needs it: its address,
/// width and effect (unprivileged spec: the RV64I and F/D stores, the C forms that expand to
/// them, and the A extension's AMOs and SC). Nil for any other instruction.
struct GuestStore {
    enum Kind {
        case store(UInt64)
        case conditional(UInt64)
        case atomic(Op, source: UInt64)
    }

    let address: GuestVirtualAddress
    let width: UInt64
    let kind: Kind
    /// The register an AMO or SC writes (`Instruction.discard` for x0).
    let destination: UInt8

    init?(_ i: Instruction, hart: Hart) {
        let base = hart.register(Int(i.rs1))
        let source = hart.register(Int(i.rs2))
        destination = i.rd
        switch i.op {
        case .sb, .sh, .sw, .sd, .fsw, .fsd:
            address = GuestVirtualAddress(base &+ UInt64(bitPattern: Int64(i.imm)))
            switch i.op {
            case .sb: (width, kind) = (1, .store(source))
            case .sh: (width, kind) = (2, .store(source))
            case .sw: (width, kind) = (4, .store(source))
            case .sd: (width, kind) = (8, .store(source))
            case .fsw: (width, kind) = (4, .store(hart.fregister(Int(i.rs2)) & 0xffff_ffff))
            default: (width, kind) = (8, .store(hart.fregister(Int(i.rs2))))
            }
        case .sc_w, .sc_d:
            (address, width, kind) = (GuestVirtualAddress(base), i.op == .sc_w ? 4 : 8, .conditional(source))
        case .amoswap_w, .amoadd_w, .amoxor_w, .amoand_w, .amoor_w, .amomin_w, .amomax_w, .amominu_w, .amomaxu_w:
            (address, width, kind) = (GuestVirtualAddress(base), 4, .atomic(i.op, source: source))
        case .amoswap_d, .amoadd_d, .amoxor_d, .amoand_d, .amoor_d, .amomin_d, .amomax_d, .amominu_d, .amomaxu_d:
            (address, width, kind) = (GuestVirtualAddress(base), 8, .atomic(i.op, source: source))
        default:
            return nil
        }
    }

    /// What AMO `op` stores, given the value in memory (`old`, `width` bytes zero-extended) and
    /// rs2 (unprivileged spec, "Atomic Memory Operations": the .W forms compare 32-bit values).
    static func combine(_ op: Op, _ old: UInt64, _ source: UInt64) -> UInt64 {
        func signed32(_ v: UInt64) -> Int64 { Int64(Int32(truncatingIfNeeded: v)) }
        switch op {
        case .amoswap_w, .amoswap_d: return source
        case .amoadd_w, .amoadd_d: return old &+ source
        case .amoxor_w, .amoxor_d: return old ^ source
        case .amoand_w, .amoand_d: return old & source
        case .amoor_w, .amoor_d: return old | source
        case .amomin_w: return signed32(old) < signed32(source) ? old : source
        case .amomax_w: return signed32(old) > signed32(source) ? old : source
        case .amominu_w: return UInt32(truncatingIfNeeded: old) < UInt32(truncatingIfNeeded: source) ? old : source
        case .amomaxu_w: return UInt32(truncatingIfNeeded: old) > UInt32(truncatingIfNeeded: source) ? old : source
        case .amomin_d: return Int64(bitPattern: old) < Int64(bitPattern: source) ? old : source
        case .amomax_d: return Int64(bitPattern: old) > Int64(bitPattern: source) ? old : source
        case .amominu_d: return old < source ? old : source
        default: return old > source ? old : source
        }
    }
}
