import Machine
import RISCV

/// The SBI the hypervisor gives its guests (RISC-V Supervisor Binary Interface, version 2.0):
/// what OpenSBI is to a native kernel, answered in Swift on each `ecall` from VS-mode.
enum GuestSBI {
    // Extension IDs (SBI spec §3–§12; the legacy ones from §5).
    static let legacySetTimer: UInt64 = 0x00, legacyPutchar: UInt64 = 0x01, legacyGetchar: UInt64 = 0x02
    static let legacyShutdown: UInt64 = 0x08
    static let base: UInt64 = 0x10
    static let time: UInt64 = 0x5449_4D45      // "TIME"
    static let ipi: UInt64 = 0x0073_5049       // "sPI"
    static let rfence: UInt64 = 0x5246_4E43    // "RFNC"
    static let hsm: UInt64 = 0x0048_534D       // "HSM"
    static let srst: UInt64 = 0x5352_5354      // "SRST"
    static let dbcn: UInt64 = 0x4442_434E      // "DBCN"
    /// scounteren as a hart starts in S-mode: CY, TM and IR readable from U-mode, as OpenSBI
    /// leaves it (sbi_hart.c), so a guest's programs read `time` in the vDSO as on the board.
    static let startCounterEnable: UInt64 = 7

    /// The extensions `probe_extension` reports.
    static let supported: Set<UInt64> = [legacySetTimer, legacyPutchar, legacyGetchar, legacyShutdown, base, time, ipi,
                                         rfence, hsm, srst, dbcn]

    // Error codes (SBI spec §3.2, Table 1).
    static let success: Int64 = 0, failed: Int64 = -1, notSupported: Int64 = -2, invalidParameter: Int64 = -3
    static let invalidAddress: Int64 = -5, alreadyAvailable: Int64 = -6

    /// SBI 2.0 in get_spec_version's encoding (major in bits 30:24).
    static let specVersion: UInt64 = 2 << 24
    /// VirtBench's SBI implementation ID and version (0.1 as major << 16 | minor), the same as
    /// the corpus firmware's (Corpus/firmware/sbi.h): both are ours and must answer alike, so the
    /// SBI self-test checks exact error codes against either.
    static let implementationID: UInt64 = 0x5642 // "VB", outside the spec's registry
    static let implementationVersion: UInt64 = 0 << 16 | 1

    /// A report name for `extensionID`, used for the "sbi.<name>" event counts.
    static func name(_ extensionID: UInt64) -> String {
        switch extensionID {
        case legacySetTimer: return "legacy-set-timer"
        case legacyPutchar: return "legacy-putchar"
        case legacyGetchar: return "legacy-getchar"
        case legacyShutdown: return "legacy-shutdown"
        case base: return "base"
        case time: return "time"
        case ipi: return "ipi"
        case rfence: return "rfence"
        case hsm: return "hsm"
        case srst: return "srst"
        case dbcn: return "dbcn"
        default: return "unknown"
        }
    }

    /// How the SBI reaches the calling vCPU's supervisor state, which each kind of
    /// virtualization keeps differently (VS CSRs on the hart, or the host's virtual supervisor).
    /// A protocol with small conforming structs, not a struct of closures: `handle` is
    /// specialised for each, so an SBI call allocates no closure contexts.
    protocol SupervisorControl {
        /// Arms the guest's timer at `deadline` in its time base and clears a pending timer
        /// interrupt (set_timer's contract).
        func setTimer(_ deadline: UInt64)
        /// Makes the supervisor software interrupt pending (an IPI to itself).
        func raiseSoftwareInterrupt()
        /// Makes the supervisor software interrupt pending on another vCPU of the domain, which
        /// is off the hart (an IPI from the caller).
        func raiseSoftwareInterrupt(on vcpu: inout VirtualCPU)
        /// What a non-retentive resume finds: sstatus.SIE clear and satp bare (SBI §9.3).
        func resetForNonRetentiveResume()
    }

    /// a0–a5 as the call made them (a tuple, not an array: nothing allocated per call).
    struct Arguments {
        private let values: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        init(_ hart: Hart) {
            values = (hart.register(10), hart.register(11), hart.register(12), hart.register(13), hart.register(14), hart.register(15))
        }
        subscript(_ index: Int) -> UInt64 {
            switch index {
            case 0: return values.0
            case 1: return values.1
            case 2: return values.2
            case 3: return values.3
            case 4: return values.4
            default: return values.5
            }
        }
    }

    /// What a call asks of the host besides its return values.
    enum Effect: Equatable {
        case none
        /// Stop the domain with this exit status (SRST shutdown, legacy shutdown).
        case shutdown(Int32)
        /// Block the vCPU until an interrupt is pending (HSM retentive suspend).
        case suspend
        /// Flush the vCPU's cached translations (RFENCE on itself).
        case flushTranslations
        /// The calling vCPU stops (HSM hart_stop); the domain ends when none is left started.
        case stopVCPU
    }

    /// Handles the call in a7 (extension), a6 (function) and a0–a5 for `domain`, whose vCPU
    /// is on `hart`. Writes a0 (error) and a1 (value) back as the spec says; legacy calls write
    /// only a0. The caller advances pc past the ecall.
    static func handle(on hart: Hart, domain: Domain, supervisor: some SupervisorControl) -> Effect {
        let extensionID = hart.register(17), function = hart.register(16)
        let a = Arguments(hart)
        domain.count(DomainEvent.sbi(extensionID))
        func reply(_ error: Int64, _ value: UInt64 = 0) {
            hart.setRegister(10, UInt64(bitPattern: error))
            hart.setRegister(11, value)
        }
        switch extensionID {
        case legacySetTimer:
            supervisor.setTimer(a[0])
            hart.setRegister(10, 0)
        case legacyPutchar:
            domain.writeConsole(CollectionOfOne(UInt8(truncatingIfNeeded: a[0])))
            hart.setRegister(10, 0)
        case legacyGetchar:
            hart.setRegister(10, domain.consoleInput.take(1).first.map(UInt64.init) ?? UInt64(bitPattern: -1))
        case legacyShutdown:
            return .shutdown(0)
        case base:
            switch function {
            case 0: reply(success, specVersion)
            case 1: reply(success, implementationID)
            case 2: reply(success, implementationVersion)
            case 3: reply(success, supported.contains(a[0]) ? 1 : 0)
            case 4, 5, 6: reply(success, 0) // mvendorid, marchid, mimpid of the virtual hart
            default: reply(notSupported)
            }
        case time:
            guard function == 0 else { reply(notSupported); return .none }
            supervisor.setTimer(a[0])
            reply(success)
        case ipi:
            guard function == 0 else { reply(notSupported); return .none }
            guard let selected = selectedVCPUs(mask: a[0], base: a[1], count: domain.vcpus.count) else {
                reply(invalidParameter); return .none
            }
            for index in domain.vcpus.indices where selected & 1 << UInt64(index) != 0 {
                if index == domain.currentVCPU {
                    supervisor.raiseSoftwareInterrupt()
                } else {
                    // A waiting vCPU wakes on it at the scheduler's next turn (`Host.wakeBlocked`).
                    supervisor.raiseSoftwareInterrupt(on: &domain.vcpus[index])
                }
            }
            reply(success)
        case rfence:
            // remote_fence_i, remote_sfence_vma and remote_sfence_vma_asid; the HFENCE calls
            // (3–6) are for hypervisors, and guests have no H extension.
            guard function <= 2 else { reply(notSupported); return .none }
            guard let selected = selectedVCPUs(mask: a[0], base: a[1], count: domain.vcpus.count) else {
                reply(invalidParameter); return .none
            }
            // start + size must not wrap, unless size is -1 ("the whole address space").
            if function != 0, a[3] != .max, Range(start: GuestVirtualAddress(a[2]), length: a[3]) == nil {
                reply(invalidAddress); return .none
            }
            reply(success)
            // Only the calling vCPU has translations cached: another vCPU's are dropped when it
            // is next put on the hart (`Hart.loadVirtualHart` flushes the TLB), and decoded
            // code is keyed by physical address and dropped on the stores that change it, so
            // FENCE.I needs nothing more anywhere.
            return selected & 1 << UInt64(domain.currentVCPU) != 0 && function != 0 ? .flushTranslations : .none
        case hsm:
            switch function {
            case 0: // hart_start(hartid, start_addr, opaque)
                guard a[0] < UInt64(domain.vcpus.count) else { reply(invalidParameter); return .none }
                let target = Int(a[0])
                guard domain.vcpus[target].state == .stopped else { reply(alreadyAvailable); return .none }
                guard domain.ownsRAM(GuestPhysicalAddress(a[1]), length: 2) else { reply(invalidAddress); return .none }
                // SBI §9.1: the hart starts in S-mode at start_addr with satp = 0, sstatus.SIE
                // = 0, a0 = hartid and a1 = opaque; it shares the domain's time base.
                var state = VirtualHartState(pc: a[1])
                state.registers[10] = a[0]
                state.registers[11] = a[2]
                state.csrs[CSR.htimedelta] = domain.timeDelta
                state.csrs[CSR.scounteren] = startCounterEnable
                domain.vcpus[target] = VirtualCPU(hart: state, state: .startPending)
                reply(success)
            case 1: // hart_stop: the calling vCPU stops; on success the call does not return
                return .stopVCPU
            case 2: // hart_get_status(hartid)
                guard a[0] < UInt64(domain.vcpus.count) else { reply(invalidParameter); return .none }
                reply(success, domain.vcpus[Int(a[0])].state.hsmStatus)
            case 3: // hart_suspend
                switch a[0] {
                case 0: reply(success); return .suspend // default retentive
                case 0x8000_0000: // default non-retentive: resume at a1 with a0 = hartid, a1 = opaque
                    guard domain.ownsRAM(GuestPhysicalAddress(a[1]), length: 4) else { reply(invalidAddress); return .none }
                    hart.pc = a[1] &- 4 // the caller adds 4 for the ecall
                    hart.setRegister(10, UInt64(domain.currentVCPU))
                    hart.setRegister(11, a[2])
                    supervisor.resetForNonRetentiveResume()
                    return .suspend
                default: reply(invalidParameter)
                }
            default: reply(notSupported)
            }
        case srst:
            guard function == 0 else { reply(notSupported); return .none }
            let type = a[0], reason = a[1]
            let knownReason = reason <= 1 || reason >= 0xF000_0000
            guard type <= 2 || type >= 0xF000_0000, knownReason else { reply(invalidParameter); return .none }
            guard type == 0 else { reply(notSupported); return .none } // reboots are not offered
            return .shutdown(reason == 0 ? 0 : 1)
        case dbcn:
            switch function {
            case 0: // console_write(num_bytes, base_lo, base_hi)
                // On RV64 base_addr_hi is the upper 64 bits of a 128-bit address: it must be 0.
                let address = GuestPhysicalAddress(a[1])
                guard a[2] == 0, domain.ownsRAM(address, length: a[0]) else { reply(invalidParameter); return .none }
                if a[0] > 0, let bytes = hart.memory.read(domain.hostAddress(address), count: Int(a[0])) {
                    domain.writeConsole(bytes)
                }
                reply(success, a[0])
            case 1: // console_read(num_bytes, base_lo, base_hi): what has been typed, up to num_bytes
                let address = GuestPhysicalAddress(a[1])
                guard a[2] == 0, domain.ownsRAM(address, length: a[0]) else { reply(invalidParameter); return .none }
                let bytes = domain.consoleInput.take(Int(min(a[0], 4096)))
                let target = domain.hostAddress(address)
                _ = hart.memory.write(bytes, at: target)
                // Typed bytes may land on a page the guest has code on: drop what was decoded there.
                if !bytes.isEmpty { hart.hostWroteMemory(target ..< target + UInt64(bytes.count)) }
                reply(success, UInt64(bytes.count))
            case 2:
                domain.writeConsole(CollectionOfOne(UInt8(truncatingIfNeeded: a[0])))
                reply(success)
            default: reply(notSupported)
            }
        default:
            reply(notSupported)
        }
        return .none
    }

    /// The vCPUs a hart mask selects, as a bit set (bit n: vCPU n), for a domain of `count`
    /// vCPUs (SBI spec §3.1: hart n is selected when bit n - `base` of `mask` is set, and
    /// `base` = -1 selects every hart); nil when it names a hart that does not exist
    /// (SBI_ERR_INVALID_PARAM).
    static func selectedVCPUs(mask: UInt64, base: UInt64, count: Int) -> UInt64? {
        let all: UInt64 = count >= 64 ? .max : (1 << UInt64(count)) - 1
        if base == .max { return all }
        if mask == 0 { return 0 }
        guard base < UInt64(count), mask & ~(all >> base) == 0 else { return nil }
        return mask << base
    }
}
