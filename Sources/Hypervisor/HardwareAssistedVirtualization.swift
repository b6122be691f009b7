import Machine
import RISCV

/// `hav`: guests run in VS/VU-mode with the H extension, under Sv39x4 G-stage tables the host
/// builds in its table area; their own traps and interrupts go straight to VS-mode, and only
/// SBI calls, MMIO, WFI and G-stage faults exit to the host (KVM's arrangement).
final class HardwareAssistedVirtualization: VirtualizationKind {
    /// G-stage tables live in the host's table area, not beside the domain.
    static let domainOverhead: UInt64 = 0
    var domainOverhead: UInt64 { Self.domainOverhead }
    /// Host RAM for G-stage tables (`Host.tableArea`), handed out from the bottom.
    let tableArea: Range<HostPhysicalAddress>
    var nextTableAddress: HostPhysicalAddress
    /// G-stage table blocks of destroyed domains, for the next domains to reuse.
    var freeTables: [(address: HostPhysicalAddress, size: UInt64)] = []

    init(tableArea: Range<HostPhysicalAddress>) {
        self.tableArea = tableArea
        nextTableAddress = tableArea.lowerBound
    }

    /// The HS-level set-up every guest runs under (KVM's choices): exceptions a guest kernel
    /// handles itself go straight to VS; VS interrupts are delegated; WFI exits (VTW) so a
    /// halted vCPU costs no host time; Sstc so a guest timer fires without an exit.
    func prepare(_ hart: Hart) {
        hart.hostWriteCSR(CSR.mstatus, Hart.FS) // FS dirty: guests may use F and D
        hart.hostWriteCSR(CSR.menvcfg, 1 << 63) // STCE
        hart.hostWriteCSR(CSR.henvcfg, 1 << 63)
        let guestExceptions: UInt64 = 1 << 0 | 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 7 | 1 << 8
            | 1 << 12 | 1 << 13 | 1 << 15
        // Everything leaves M (the host is M as well as HS); of that, hedeleg passes what a guest
        // kernel handles itself straight to VS-mode, without an exit.
        hart.hostWriteCSR(CSR.medeleg, guestExceptions | 1 << 9 | 1 << 10 | 0xf << 20)
        hart.hostWriteCSR(CSR.hedeleg, guestExceptions)
        hart.hostWriteCSR(CSR.hideleg, 1 << 2 | 1 << 6 | 1 << 10)
        hart.hostWriteCSR(CSR.hstatus, 1 << 21) // VTW
        hart.hostWriteCSR(CSR.mcounteren, 7)
        hart.hostWriteCSR(CSR.hcounteren, 7)
        // PMP: one entry covering everything, so VS/VU accesses reach what G-stage maps.
        hart.hostWriteCSR(CSR.pmpaddr0, UInt64.max >> 10)
        hart.hostWriteCSR(CSR.pmpcfg0, 0x1f)
    }

    /// The boot vCPU starts with the S-mode scounteren an SBI implementation gives (the H
    /// extension has no VS copy of it: the vCPU's own is what checks VU-mode counter reads).
    func kernelLoaded(_ domain: Domain, host: Host) throws {
        domain.vcpu.csrs[CSR.scounteren] = GuestSBI.startCounterEnable
    }

    func attach(_ domain: Domain, host: Host) throws {
        domain.gstageRoot = try buildGStage(domain, host: host)
    }

    func detach(_ domain: Domain, host: Host) {
        freeTables.append((domain.gstageRoot, Self.tableSize(memorySize: domain.configuration.memorySize)))
    }

    func load(_ domain: Domain, host: Host) {
        host.hart.loadVirtualHart(domain.vcpu, hgatp: domain.hgatp)
    }

    func save(_ domain: Domain, host: Host) {
        domain.vcpu = host.hart.saveVirtualHart()
    }

    /// Each domain's PLIC S-mode context reaches its vCPU as hvip.VSEIP, which the hart
    /// delivers to VS-mode (hideleg passes it) without an exit, as KVM's in-kernel PLIC does.
    var deliversExternalInterrupts: Bool { true }

    /// hvip bit 2: VSSIP, the VS-level software interrupt an SBI IPI injects (H spec, "hvip").
    static let virtualSupervisorSoftware: UInt64 = 1 << 2
    /// hvip bit 10: VSEIP, the VS-level external interrupt the hypervisor injects (H spec, "hvip").
    static let virtualSupervisorExternal: UInt64 = 1 << 10

    /// Up to `DomainConfiguration.maximumVCPUs`: each vCPU's VS state is its own saved
    /// `VirtualHartState`, its PLIC context its own hvip.VSEIP and its IPIs its own hvip.VSSIP.
    var maximumVCPUs: Int { DomainConfiguration.maximumVCPUs }

    func externalInterruptsChanged(_ domain: Domain, host: Host) {
        // vCPU n's S-mode context drives vCPU n's hvip: on the hart for the vCPU there, in its
        // saved state for the others.
        let bit = Self.virtualSupervisorExternal
        for index in domain.vcpuInterrupts.indices {
            let raised = domain.vcpuInterrupts[index].pending & InterruptLines.supervisorExternal != 0
            if host.loaded === domain && domain.currentVCPU == index {
                let hvip = host.hart.hostReadCSR(CSR.hvip) ?? 0
                let wanted = raised ? hvip | bit : hvip & ~bit
                if wanted != hvip { host.hart.hostWriteCSR(CSR.hvip, wanted) }
            } else {
                let hvip = domain.vcpus[index].hart.csrs[CSR.hvip] ?? 0
                let wanted = raised ? hvip | bit : hvip & ~bit
                if wanted != hvip { domain.vcpus[index].hart.csrs[CSR.hvip] = wanted }
            }
        }
    }

    func wakeUp(_ domain: Domain, vcpu: Int, host: Host) -> WakeUp {
        let csrs = domain.vcpus[vcpu].hart.csrs
        let enables = csrs[CSR.hie] ?? 0
        if (csrs[CSR.hvip] ?? 0) & enables != 0 { return .now }
        let compare = csrs[CSR.vstimecmp] ?? .max
        guard compare != .max, enables & (1 << 6) != 0 else { return .never }
        let delta = csrs[CSR.htimedelta] ?? 0
        return .at(compare >= delta ? compare - delta : 0)
    }

    // MARK: G-stage tables

    /// Bytes of G-stage tables a domain of `memorySize` needs: the 16 KiB Sv39x4 root and one
    /// 4 KiB table per GiB.
    static func tableSize(memorySize: UInt64) -> UInt64 {
        16 * 1024 + ((memorySize + (1 << 30) - 1) >> 30) * 4096
    }

    /// Builds Sv39x4 tables mapping guest RAM (GPA 0x8000_0000…) to `hostBase…` with 2 MiB
    /// pages: read, write, execute, user (G-stage leaves must be U), accessed and dirty.
    func buildGStage(_ domain: Domain, host: Host) throws -> HostPhysicalAddress {
        let gigabyte: UInt64 = 1 << 30
        let size = domain.configuration.memorySize, hostBase = domain.hostBase
        let gigabytes = (size + gigabyte - 1) / gigabyte
        let needed = Self.tableSize(memorySize: size)
        // The root of an x4 table is 16 KiB and 16 KiB-aligned. A destroyed domain's tables are
        // reused first, so creating and destroying domains never exhausts the table area.
        let root: HostPhysicalAddress
        if let index = freeTables.firstIndex(where: { $0.size >= needed }) {
            root = freeTables.remove(at: index).address
        } else {
            root = HostPhysicalAddress((nextTableAddress.rawValue + 0x3fff) & ~0x3fff)
            guard root + needed <= tableArea.upperBound else {
                throw HostError.tableAreaFull(needed: needed, free: (min(root, tableArea.upperBound) ..< tableArea.upperBound).length,
                                              size: tableArea.length)
            }
            nextTableAddress = root + needed
        }
        let memory = host.board.memory
        let zeroed = memory.fill(root, count: Int(needed))
        precondition(zeroed, "the G-stage table area lies inside host RAM")
        let valid: UInt64 = 1, leaf: UInt64 = 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x80
        for g in 0 ..< gigabytes {
            let table = root + 16 * 1024 + g * 4096
            let gpa = GuestLayout.ramBase + g * gigabyte
            _ = memory.store(root + (gpa.rawValue >> 30) * 8, width: 8, value: table.pageTableEntry(flags: valid))
            for m in 0 ..< min(512, (size - g * gigabyte) / Host.megapage) {
                let hostFrame = hostBase + g * gigabyte + m * Host.megapage
                precondition(host.frameOwner(ofHostAddress: hostFrame) == domain.id, "G-stage maps a frame the domain does not own")
                _ = memory.store(table + m * 8, width: 8, value: hostFrame.pageTableEntry(flags: leaf | valid))
            }
        }
        return root
    }

    // MARK: Exits

    func handleExit(_ trap: GuestExit, _ domain: Domain, host: Host) {
        let hart = host.hart
        if trap.interrupt {
            // The host enables no interrupts of its own; a VS interrupt hideleg did not pass
            // cannot arise. Count it and let the guest go on.
            domain.count(.vmexitInterrupt)
            return
        }
        switch trap.cause {
        case TrapCause.environmentCallFromVS:
            domain.count(.vmexitSBI)
            let effect = GuestSBI.handle(on: hart, domain: domain, supervisor: SupervisorControl(hart: hart))
            hart.completeEmulatedInstruction(resumingAt: hart.pc &+ 4)
            switch effect {
            case .none: break
            case .shutdown(let status): host.finish(domain, .shutdown(status: status))
            case .suspend: host.block(domain, as: .suspended)
            case .stopVCPU: host.stopCurrentVCPU(domain)
            case .flushTranslations: hart.loadVirtualHart(hart.saveVirtualHart(), hgatp: domain.hgatp)
            }
        case TrapCause.loadGuestPageFault, TrapCause.storeGuestPageFault:
            domain.count(.vmexitMMIO)
            domain.count(.mmioAccesses)
            emulateMMIO(trap, domain, host: host)
        case TrapCause.instructionGuestPageFault:
            domain.count(.vmexitGuestPageFault)
            hart.injectGuestException(cause: TrapCause.instructionAccessFault, value: trap.value)
        case TrapCause.virtualInstruction:
            if trap.value == 0x1050_0073 { // wfi
                domain.count(.vmexitWFI)
                hart.completeEmulatedInstruction(resumingAt: hart.pc &+ 4)
                host.block(domain)
            } else {
                // What a guest kernel may not do even in VS-mode is illegal to it.
                domain.count(.vmexitVirtualInstruction)
                hart.injectGuestException(cause: TrapCause.illegalInstruction, value: trap.value)
            }
        default:
            // Exceptions hedeleg does not pass (none today) go to the guest as they are.
            domain.count(DomainEvent.havReflected(trap.cause), orKey: "vmexit.reflected.cause-\(trap.cause)")
            hart.injectGuestException(cause: trap.cause, value: trap.value)
        }
    }

    /// What the SBI changes in a VS guest: vstimecmp (Sstc, so the timer fires without an
    /// exit), hvip's VSSIP, and for a non-retentive suspend vsstatus.SIE and vsatp.
    struct SupervisorControl: GuestSBI.SupervisorControl {
        let hart: Hart
        func setTimer(_ deadline: UInt64) {
            hart.hostWriteCSR(CSR.vstimecmp, deadline)
            // Legacy set_timer also clears a pending timer interrupt; with vstimecmp that is implied.
            hart.hostWriteCSR(CSR.hvip, (hart.hostReadCSR(CSR.hvip) ?? 0) & ~(1 << 6))
        }
        func raiseSoftwareInterrupt() {
            hart.hostWriteCSR(CSR.hvip, (hart.hostReadCSR(CSR.hvip) ?? 0) | HardwareAssistedVirtualization.virtualSupervisorSoftware)
        }
        func raiseSoftwareInterrupt(on vcpu: inout VirtualCPU) {
            vcpu.hart.csrs[CSR.hvip, default: 0] |= HardwareAssistedVirtualization.virtualSupervisorSoftware
        }
        func resetForNonRetentiveResume() {
            hart.hostWriteCSR(CSR.vsstatus, (hart.hostReadCSR(CSR.vsstatus) ?? 0) & ~2) // SIE clear
            hart.hostWriteCSR(CSR.vsatp, 0)
        }
    }

    /// The htinst values of a guest-page fault on an implicit VS-stage PTE access (H extension,
    /// "Transformed Instruction or Pseudoinstruction for mtinst or htinst": 32- and 64-bit
    /// reads 0x2000 and 0x3000, writes for A/D updates 0x2020 and 0x3020).
    static let pageTableAccessPseudoinstructions: [UInt64] = [0x2000, 0x2020, 0x3000, 0x3020]

    /// The instruction a guest-page fault trapped, and its length: from htinst's transformed
    /// instruction when the hart gave one (its bit 1 clear means the original was compressed,
    /// H spec "Transformed Instruction or Pseudoinstruction for mtinst or htinst"), else decoded
    /// from the guest's own code at the faulting pc (`fetch`, nil when that is unreadable).
    static func trappedInstruction(htinst: UInt64, fetch: @autoclosure () -> UInt32?) -> (Instruction, UInt64)? {
        if htinst & 0x7f != 0 {
            return (Decoder.decode(UInt32(truncatingIfNeeded: htinst) | 3), htinst & 2 != 0 ? 4 : 2)
        }
        guard let fetched = fetch() else { return nil }
        return (Decoder.decode(fetched), fetched & 3 == 3 ? 4 : 2)
    }

    /// Emulates a load or store the guest made to a device (or to nothing): the guest's UART,
    /// PLIC and test device are the host's models; any other address outside its RAM is an access
    /// fault the guest sees.
    func emulateMMIO(_ trap: GuestExit, _ domain: Domain, host: Host) {
        let hart = host.hart
        let isStore = trap.cause == TrapCause.storeGuestPageFault
        let fault = isStore ? TrapCause.storeAccessFault : TrapCause.loadAccessFault
        // A pseudoinstruction in htinst means the fault was the guest's own page-table walk
        // reaching outside its RAM: page tables are never emulated, so the guest's access
        // faults, as a walk into nothing does on the real machine.
        if Self.pageTableAccessPseudoinstructions.contains(trap.instruction) {
            domain.count(.mmioBadAccess)
            hart.injectGuestException(cause: fault, value: trap.value)
            return
        }
        guard let (instruction, length) = Self.trappedInstruction(htinst: trap.instruction, fetch: hart.readGuestInstruction(at: trap.pc)) else {
            hart.injectGuestException(cause: fault, value: trap.value)
            return
        }
        guard let access = MMIOAccess(instruction: instruction, isStore: isStore),
              let result = GuestDevices.access(domain: domain, gpa: GuestPhysicalAddress(trap.guestPhysicalAddress), width: access.width,
                                               store: isStore, value: isStore ? hart.register(access.register) : 0,
                                               now: host.hostTime(for: domain)) else {
            domain.count(.mmioBadAccess)
            hart.injectGuestException(cause: fault, value: trap.value)
            return
        }
        if !isStore { hart.setRegister(access.register, access.extend(result.value)) }
        hart.completeEmulatedInstruction(resumingAt: trap.pc &+ length)
        if let status = result.shutdown { host.finish(domain, .shutdown(status: status)) }
        // An interrupt the access raised or lowered (a THR write, a claim) reaches hvip when the
        // host looks at the devices the guest touched, before the guest runs on (`Host.pollDevices`).
    }
}
