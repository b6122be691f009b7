import Loader
import Machine
import RISCV

/// `para`: the guest kernel knows it is virtualized (Xen's PV). It runs in the hart's U-mode on a
/// hart without H, on page tables that hold machine addresses and that the hypervisor validated
/// entry by entry (`FrameTable`); it asks for everything privileged through hypercalls
/// (`HypercallABI`), and its user programs' traps and its timer events are bounced into it
/// through the shared-info page. The hart exits to the host on every trap.
final class ParaVirtualization: VirtualizationKind {
    var domainOverhead: UInt64 { 0 }
    /// Host RAM, which PMP opens to U-mode (page tables decide what of it a guest reaches); all
    /// else, devices included, faults, so a guest's device accesses come to the host.
    let hostRAM: Range<HostPhysicalAddress>

    init(hostRAM: Range<HostPhysicalAddress>) { self.hostRAM = hostRAM }

    /// The devices a para guest may map (as emulated pages): its UART and test finisher, at the
    /// machine addresses equal to their guest physical ones (`guestPhysical(ofDevicePage:)`).
    static let devicePages = Set([GuestLayout.uartBase, GuestLayout.testBase].map { HostPhysicalAddress($0.rawValue) })

    /// Where on the domain's `virt` map an access through a leaf to device page `machine` goes.
    /// A para guest's tables hold machine addresses, and a device page is named by its guest
    /// physical address (host RAM is elsewhere, and PMP faults the access so the host emulates
    /// it): the one place a machine address is read as a guest physical one.
    static func guestPhysical(ofDevicePage machine: HostPhysicalAddress) -> GuestPhysicalAddress {
        GuestPhysicalAddress(machine.rawValue)
    }
    static let pageSize: UInt64 = 4096

    func prepare(_ hart: Hart) {
        hart.hostWriteCSR(CSR.mstatus, Hart.FS) // FS dirty until a guest says otherwise
        hart.hostWriteCSR(CSR.menvcfg, 1 << 63) // Sstc: the host's one-shot timer per vCPU
        hart.hostWriteCSR(CSR.mie, 1 << 5) // STIE: the timer makes the hart exit
        hart.hostWriteCSR(CSR.mcounteren, 7)
        hart.hostWriteCSR(CSR.scounteren, 7) // the guest kernel (U-mode) reads time itself
        hart.hostWriteCSR(CSR.stimecmp, .max)
        // PMP entry 1, TOR over host RAM, read/write/execute; nothing else is open to U-mode.
        hart.hostWriteCSR(CSR.pmpaddr0, hostRAM.lowerBound.rawValue >> 2)
        hart.hostWriteCSR(CSR.pmpaddr0 + 1, hostRAM.upperBound.rawValue >> 2)
        hart.hostWriteCSR(CSR.pmpcfg0, 0x0f << 8)
    }

    func attach(_ domain: Domain, host: Host) throws {
        guard domain.configuration.memorySize <= 1 << 30 else {
            throw HostError.unsupported("a para-virtual domain has at most 1 GiB of RAM (one boot table level)")
        }
    }

    func detach(_ domain: Domain, host: Host) { domain.virtualizationState = nil }

    /// The domain builder's part (Xen's): boot page tables mapping the guest's RAM one to one in
    /// 4 KiB pages with the tables themselves read-only, pinned through the same validator as
    /// any guest request, a start-info and a shared-info page, all at the top of RAM.
    func kernelLoaded(_ domain: Domain, host: Host) throws {
        let memory = host.board.memory, size = domain.configuration.memorySize, base = domain.hostBase
        let leafTables = size / (2 << 20)
        let reservedFrames = leafTables + 4 // L0s, L1, root, start info, shared info
        let reserved = GuestLayout.ramBase + (size - reservedFrames * Self.pageSize)
        if ELFImage.hasMagic(domain.configuration.kernel), let image = try? ELFImage(bytes: domain.configuration.kernel, expecting: .riscv) {
            for segment in image.segments where segment.physicalAddress + segment.memorySize > reserved.rawValue {
                throw HostError.badKernel("the kernel reaches into the boot tables at \(reserved); give the domain more memory")
            }
        }
        let zeroed = memory.fill(domain.hostAddress(reserved), count: Int(reservedFrames * Self.pageSize))
        precondition(zeroed, "the boot tables lie inside the domain's memory")
        let leafBase = domain.hostAddress(reserved), level1 = leafBase + leafTables * Self.pageSize
        let root = level1 + Self.pageSize, startInfo = root + Self.pageSize, sharedInfo = startInfo + Self.pageSize
        let pointer: UInt64 = FrameTable.valid
        let readOnly = FrameTable.valid | FrameTable.read | FrameTable.user | FrameTable.accessed
        let readWrite = readOnly | FrameTable.write | FrameTable.execute | FrameTable.dirty
        _ = memory.store(root + (GuestLayout.ramBase.rawValue >> 30) * 8, width: 8, value: level1.pageTableEntry(flags: pointer))
        for table in 0 ..< leafTables {
            let leaf = leafBase + table * Self.pageSize
            _ = memory.store(level1 + table * 8, width: 8, value: leaf.pageTableEntry(flags: pointer))
            for index in 0 ..< 512 as Range<UInt64> {
                let frame = base + (table * 512 + index) * Self.pageSize
                let isTable = frame >= leafBase && frame <= root
                _ = memory.store(leaf + index * 8, width: 8, value: frame.pageTableEntry(flags: isTable ? readOnly : readWrite))
            }
        }
        let frames = FrameTable(memory: memory, machineBase: base, size: size, devicePages: Self.devicePages)
        do {
            try frames.pin(root, level: 2)
            try frames.acquireRoot(root)
            try frames.reserveForHypervisorWrites(sharedInfo)
        } catch {
            throw HostError.badKernel("boot page tables refused: \(error.name)")
        }
        let startInfoGPA = reserved + (leafTables + 2) * Self.pageSize
        let cpu = ParaVirtualCPU(frames: frames, startInfo: startInfoGPA, sharedInfo: startInfoGPA + Self.pageSize)
        cpu.kernelRoot = root
        for (name, value) in [("magic", HypercallABI.startInfoMagic), ("machine-base", base.rawValue), ("memory-size", size),
                              ("shared-info", cpu.sharedInfo.rawValue), ("kernel-root", root.rawValue), ("reserved", reserved.rawValue)] {
            _ = memory.store(startInfo + HypercallABI.offset(HypercallABI.startInfo, name), width: 8, value: value)
        }
        _ = memory.store(sharedInfo + HypercallABI.sharedMask, width: 8, value: .max)
        domain.virtualizationState = cpu
        domain.vcpu.registers[10] = 0
        domain.vcpu.registers[11] = startInfoGPA.rawValue
    }

    static func cpu(_ domain: Domain) -> ParaVirtualCPU? { domain.virtualizationState as? ParaVirtualCPU }

    func load(_ domain: Domain, host: Host) {
        guard let cpu = Self.cpu(domain) else { return }
        let hart = host.hart
        for i in 1 ..< 32 { hart.setRegister(i, domain.vcpu.registers[i]) }
        for i in 0 ..< 32 { hart.setFRegister(i, domain.vcpu.floatRegisters[i]) }
        hart.hostWriteCSR(CSR.fcsr, domain.vcpu.csrs[CSR.fcsr] ?? 0)
        setFloatingPointState(hart, cpu.floatingPointState)
        hart.enterDeprivileged(pc: domain.vcpu.pc, satp: cpu.satp)
        hart.hostWriteCSR(CSR.stimecmp, cpu.timerDeadline)
        deliverEvents(domain, cpu, host: host)
    }

    func save(_ domain: Domain, host: Host) {
        let hart = host.hart
        var state = VirtualHartState(pc: hart.pc)
        for i in 1 ..< 32 { state.registers[i] = hart.register(i) }
        for i in 0 ..< 32 { state.floatRegisters[i] = hart.fregister(i) }
        state.csrs[CSR.fcsr] = hart.hostReadCSR(CSR.fcsr) ?? 0
        domain.vcpu = state
        Self.cpu(domain)?.floatingPointState = (hart.hostReadCSR(CSR.mstatus) ?? 0) & Self.fsMask
        hart.hostWriteCSR(CSR.stimecmp, .max)
    }

    static let fsMask = Hart.FS

    func setFloatingPointState(_ hart: Hart, _ fs: UInt64) {
        let status = hart.hostReadCSR(CSR.mstatus) ?? 0
        hart.hostWriteCSR(CSR.mstatus, status & ~Self.fsMask | fs & Self.fsMask)
    }

    func wakeUp(_ domain: Domain, vcpu: Int, host: Host) -> WakeUp {
        guard let cpu = domain.vcpus[vcpu].kindState as? ParaVirtualCPU else { return .never }
        if cpu.yielded { cpu.yielded = false; return .now }
        let shared = host.board.memory, page = domain.hostAddress(cpu.sharedInfo)
        let pending = shared.load(page + HypercallABI.sharedPending, width: 8) ?? 0
        let mask = shared.load(page + HypercallABI.sharedMask, width: 8) ?? .max
        if pending & ~mask != 0 { return .now }
        guard cpu.timerDeadline != .max, mask & ParaVirtualCPU.timerEvent == 0 else { return .never }
        return .at(cpu.timerDeadline)
    }

    // MARK: Exits

    func handleExit(_ trap: GuestExit, _ domain: Domain, host: Host) {
        guard let cpu = Self.cpu(domain) else { return }
        let hart = host.hart
        if trap.interrupt {
            // The host's timer for this vCPU: the deadline passed (deliverEvents marks it).
            hart.hostWriteCSR(CSR.stimecmp, .max)
        } else if trap.cause == TrapCause.environmentCallFromU && cpu.mode == .kernel {
            Hypercalls.handle(domain, cpu, kind: self, host: host)
        } else if (trap.cause == TrapCause.loadAccessFault || trap.cause == TrapCause.storeAccessFault) && cpu.mode == .kernel,
                  emulateMMIO(trap, domain, cpu, host: host) {
            // done
        } else {
            bounce(domain, cpu, host: host, cause: trap.cause, value: trap.value, epc: trap.pc, interrupt: false)
        }
        if domain.state == .runnable, host.loaded === domain { deliverEvents(domain, cpu, host: host) }
    }

    /// Enters the guest kernel at its callback as a trap would enter S-mode: the shared-info page
    /// takes sepc, scause, stval and the previous mode; from user mode sp and the scratch word
    /// swap (csrrw sp, sscratch, sp) and the kernel root becomes active.
    func bounce(_ domain: Domain, _ cpu: ParaVirtualCPU, host: Host, cause: UInt64, value: UInt64, epc: UInt64, interrupt: Bool) {
        let hart = host.hart, memory = host.board.memory, page = domain.hostAddress(cpu.sharedInfo)
        if interrupt {
            domain.count(DomainEvent.interrupt(cause), orKey: "trap.interrupt.\(cause)")
        } else {
            domain.count(DomainEvent.reflected(cause), orKey: "trap.reflected.\(cause)")
        }
        // A fault at the trap entry itself would bounce forever (Xen's failsafe: the domain dies).
        guard cpu.callback != GuestVirtualAddress(0), interrupt || !(cpu.mode == .kernel && GuestVirtualAddress(epc) == cpu.callback) else {
            host.finish(domain, .crashed(reason: "trap (cause \(cause)) with no usable trap entry at pc 0x\(String(epc, radix: 16))"))
            return
        }
        let status = memory.load(page + HypercallABI.sharedStatus, width: 8) ?? 0
        let sie = status & Self.sie != 0
        var newStatus = status & ~(Self.spp | Self.spie | Self.sie | Self.fsMask)
        if cpu.mode == .kernel { newStatus |= Self.spp }
        if sie { newStatus |= Self.spie }
        newStatus |= (hart.hostReadCSR(CSR.mstatus) ?? 0) & Self.fsMask
        _ = memory.store(page + HypercallABI.sharedStatus, width: 8, value: newStatus)
        _ = memory.store(page + HypercallABI.sharedEPC, width: 8, value: epc)
        _ = memory.store(page + HypercallABI.sharedCause, width: 8, value: interrupt ? cause | TrapCause.interruptFlag : cause)
        _ = memory.store(page + HypercallABI.sharedValue, width: 8, value: value)
        if cpu.mode == .user {
            let scratch = memory.load(page + HypercallABI.sharedScratch, width: 8) ?? 0
            _ = memory.store(page + HypercallABI.sharedScratch, width: 8, value: hart.register(2))
            hart.setRegister(2, scratch)
            cpu.mode = .kernel
        }
        hart.switchDeprivileged(pc: cpu.callback.rawValue, satp: cpu.satp)
    }

    static let sie = Hart.SIE, spie = Hart.SPIE, spp = Hart.SPP
    /// Interrupt causes events arrive with: the supervisor timer, and external for I/O rings.
    static let timerCause: UInt64 = 5, ringCause: UInt64 = 9

    /// Marks a due timer and bounces the first pending unmasked event into the kernel when it
    /// can take one (user mode, or the kernel with SIE set).
    func deliverEvents(_ domain: Domain, _ cpu: ParaVirtualCPU, host: Host) {
        let memory = host.board.memory, page = domain.hostAddress(cpu.sharedInfo)
        var pending = memory.load(page + HypercallABI.sharedPending, width: 8) ?? 0
        if cpu.timerDeadline != .max, host.hostTime(for: domain) >= cpu.timerDeadline {
            cpu.timerDeadline = .max
            host.hart.hostWriteCSR(CSR.stimecmp, .max)
            pending |= ParaVirtualCPU.timerEvent
            _ = memory.store(page + HypercallABI.sharedPending, width: 8, value: pending)
        }
        let mask = memory.load(page + HypercallABI.sharedMask, width: 8) ?? .max
        let deliverable = pending & ~mask
        guard deliverable != 0 else { return }
        let status = memory.load(page + HypercallABI.sharedStatus, width: 8) ?? 0
        guard cpu.mode == .user || status & Self.sie != 0 else { return }
        let cause = deliverable & ParaVirtualCPU.timerEvent != 0 ? Self.timerCause : Self.ringCause
        bounce(domain, cpu, host: host, cause: cause, value: 0, epc: host.hart.pc, interrupt: true)
    }

    /// Translates kernel virtual `va` through the active root (tables the validator accepted, so
    /// every step stays in the domain's memory): the physical address and the leaf's flags.
    func translate(_ va: GuestVirtualAddress, _ domain: Domain, _ cpu: ParaVirtualCPU, host: Host) -> (address: HostPhysicalAddress, flags: UInt64)? {
        let memory = host.board.memory
        var table = cpu.activeRoot
        for level in stride(from: 2, through: 0, by: -1) {
            let index = (va.rawValue >> (12 + 9 * UInt64(level))) & 511
            guard let pte = memory.load(table + index * 8, width: 8), pte & FrameTable.valid != 0 else { return nil }
            let target = HostPhysicalAddress(pageOf: pte)
            if pte & (FrameTable.read | FrameTable.write | FrameTable.execute) != 0 {
                let span: UInt64 = 1 << (12 + 9 * UInt64(level))
                return (target + (va.rawValue & (span - 1)), pte & 0x3ff)
            }
            guard cpu.frames.frame(target) != nil else { return nil }
            table = target
        }
        return nil
    }

    /// A kernel load or store that faulted on PMP at a device page it mapped: performed on the
    /// domain's device models. False when it was not one (the fault is the guest's).
    func emulateMMIO(_ trap: GuestExit, _ domain: Domain, _ cpu: ParaVirtualCPU, host: Host) -> Bool {
        let hart = host.hart, isStore = trap.cause == TrapCause.storeAccessFault
        guard let target = translate(GuestVirtualAddress(trap.value), domain, cpu, host: host),
              Self.devicePages.contains(target.address.pageBase) else { return false }
        func fetch(_ va: GuestVirtualAddress) -> UInt64? {
            guard let at = translate(va, domain, cpu, host: host), at.flags & FrameTable.execute != 0,
                  cpu.frames.frame(at.address) != nil else { return nil }
            return host.board.memory.load(at.address, width: 2)
        }
        guard let low = fetch(GuestVirtualAddress(trap.pc)) else { return false }
        let bits: UInt32, length: UInt64
        if low & 3 == 3 {
            guard let high = fetch(GuestVirtualAddress(trap.pc &+ 2)) else { return false }
            bits = UInt32(low | high << 16); length = 4
        } else {
            bits = UInt32(low); length = 2
        }
        domain.count(.trapMMIO)
        domain.count(.mmioAccesses)
        guard let access = MMIOAccess(instruction: Decoder.decode(bits), isStore: isStore),
              let result = GuestDevices.access(domain: domain, gpa: Self.guestPhysical(ofDevicePage: target.address),
                                               width: access.width, store: isStore,
                                               value: isStore ? hart.register(access.register) : 0,
                                               now: host.hostTime(for: domain)) else {
            domain.count(.mmioBadAccess)
            return false
        }
        if !isStore { hart.setRegister(access.register, access.extend(result.value)) }
        hart.completeEmulatedInstruction(resumingAt: trap.pc &+ length)
        if let status = result.shutdown { host.finish(domain, .shutdown(status: status)) }
        return true
    }
}
