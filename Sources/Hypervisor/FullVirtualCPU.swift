import Machine
import RISCV

/// The supervisor a `full` guest kernel believes it runs on: its privilege (S or U, while the
/// hart runs both in U-mode) and every S-mode CSR, kept by the hypervisor and changed only by
/// the instructions it emulates and the traps it reflects (privileged spec chapter 4 and §3.1.6.1).
/// sstatus.FS is the exception: the hart's own mstatus.FS holds it while the vCPU is loaded, so
/// F/D instructions run (and mark it dirty) without a trap.
struct VirtualSupervisor {
    var privilege: Privilege = .supervisor
    /// sstatus's SIE, SPIE, SPP, SUM and MXR (FS lives on the hart, see above).
    var status: UInt64 = 0
    /// sie: SSIE, STIE, SEIE.
    var interruptEnable: UInt64 = 0
    /// sip.SSIP as the guest (or the SBI IPI) set it; STIP comes from `registers.timerCompare`.
    var softwarePending: UInt64 = 0
    /// stvec, sscratch, sepc, scause, stval, satp, scounteren, senvcfg and Sstc's stimecmp (in
    /// the guest's time base, which is the domain's host clock), under the rules the hart applies
    /// to its own (SupervisorCSRs.swift).
    var registers = SupervisorCSRs()

    // sstatus fields and interrupt bits (privileged spec §4.1.1, §4.1.3).
    // (The bit positions are the hart's: one declaration of each.)
    static let SIE = Hart.SIE, SPIE = Hart.SPIE, SPP = Hart.SPP
    static let FS = Hart.FS, SUM = Hart.SUM, MXR = Hart.MXR
    static let SSIP = Hart.SSIP, STIP = Hart.STIP, SEIP = Hart.SEIP
    static let interrupts = Hart.supervisorInterrupts
    /// The order a hart takes pending supervisor interrupts in (§3.1.9): SEI, SSI, STI.
    static let interruptPriority: [UInt64] = [9, 1, 5]

    /// sip as the guest reads it at guest time `now`.
    func pending(now: UInt64) -> UInt64 {
        softwarePending | (now >= registers.timerCompare ? VirtualSupervisor.STIP : 0)
    }

    /// The pending interrupts the guest has enabled, at guest time `now`, which is read only when
    /// an armed timer interrupt is enabled: a clock read is a large part of an exit's cost.
    func enabledPending(now: @autoclosure () -> UInt64) -> UInt64 {
        let timerMatters = interruptEnable & VirtualSupervisor.STIP != 0 && registers.timerCompare != .max
        return (softwarePending | (timerMatters && now() >= registers.timerCompare ? VirtualSupervisor.STIP : 0)) & interruptEnable
    }

    /// Whether an enabled pending interrupt may be taken now: always below S, in S with SIE (§3.1.6.1).
    var interruptsEnabled: Bool { privilege == .user || status & VirtualSupervisor.SIE != 0 }

    /// Enters the guest's trap handler as the hardware would (§4.1.1 and §3.1.6.1): scause,
    /// sepc, stval, SPP/SPIE/SIE, S-mode, and the pc stvec gives (vectored for interrupts).
    /// Returns the handler's address.
    mutating func enterTrap(code: UInt64, interrupt: Bool, epc: UInt64, value: UInt64) -> UInt64 {
        registers.cause = interrupt ? code | TrapCause.interruptFlag : code
        registers.exceptionPC = epc & ~1
        registers.trapValue = value
        var s = status & ~(VirtualSupervisor.SPP | VirtualSupervisor.SPIE | VirtualSupervisor.SIE)
        if privilege == .supervisor { s |= VirtualSupervisor.SPP }
        if status & VirtualSupervisor.SIE != 0 { s |= VirtualSupervisor.SPIE }
        status = s
        privilege = .supervisor
        let base = registers.trapVector & ~3
        return registers.trapVector & 3 == 1 && interrupt ? base &+ 4 &* code : base
    }

    /// sret (§3.3.2): privilege from SPP, SIE from SPIE, SPIE set, SPP cleared. Returns sepc.
    mutating func returnFromTrap() -> UInt64 {
        privilege = status & VirtualSupervisor.SPP != 0 ? .supervisor : .user
        var s = status & ~(VirtualSupervisor.SIE | VirtualSupervisor.SPP)
        if status & VirtualSupervisor.SPIE != 0 { s |= VirtualSupervisor.SIE }
        status = s | VirtualSupervisor.SPIE
        return registers.exceptionPC
    }

    /// Reads S-mode CSR `number` (`fs`: the hart's mstatus.FS); nil for a CSR a guest kernel
    /// does not have (M, H, debug, or unknown), which is illegal to it.
    func read(_ number: UInt16, fs: UInt64, now: @autoclosure () -> UInt64) -> UInt64? {
        switch number {
        case CSR.sstatus: return SupervisorCSRs.statusRead(status | fs)
        case CSR.sie: return interruptEnable
        case CSR.sip: return pending(now: now())
        default: return registers.read(number)
        }
    }

    /// Writes S-mode CSR `number` with the WARL rules the hart applies to its own
    /// (`SupervisorCSRs`); every supervisor interrupt counts as delegated to the guest. Returns
    /// the new FS for sstatus writes, and false for a CSR the guest does not have.
    mutating func write(_ number: UInt16, _ value: UInt64, fs: inout UInt64) -> Bool {
        switch number {
        case CSR.sstatus:
            let legal = SupervisorCSRs.legalStatus(value)
            status = legal & ~VirtualSupervisor.FS
            fs = legal & VirtualSupervisor.FS
        case CSR.sie: interruptEnable = value & SupervisorCSRs.interruptMask(delegated: VirtualSupervisor.interrupts)
        case CSR.sip: softwarePending = value & SupervisorCSRs.interruptPendingWritable(delegated: VirtualSupervisor.interrupts)
        default: return registers.write(number, value)
        }
        return true
    }

    /// The guest's CSRs by their S numbers, as `VirtualHartState.csrs` shows them off the hart.
    func csrs(fs: UInt64) -> [UInt16: UInt64] {
        var result: [UInt16: UInt64] = [:]
        for number in [CSR.sstatus, CSR.sie, CSR.stvec, CSR.scounteren, CSR.senvcfg, CSR.sscratch, CSR.sepc, CSR.scause,
                       CSR.stval, CSR.sip, CSR.stimecmp, CSR.satp] {
            result[number] = read(number, fs: fs, now: 0)
        }
        result[CSR.sip] = softwarePending
        return result
    }
}

/// One `full` domain's vCPU beyond its registers: the virtual supervisor and the shadow page
/// tables its guest runs under (`Domain.virtualizationState`).
final class FullVirtualCPU {
    var supervisor = VirtualSupervisor()
    let shadow: ShadowPageTables
    /// sstatus.FS while the vCPU is off the hart (on it, the hart's mstatus.FS).
    var floatingPointState: UInt64 = 0
    /// The shadow root the hart's satp points at, its key, and the shadow tables' `rootsVersion`
    /// when it was loaded (it may be stale once the roots have changed since).
    var loadedRoot: (key: ShadowPageTables.Key, root: HostPhysicalAddress, version: UInt64)?
    /// The last few roots loaded, valid while the shadow tables' `rootsVersion` is
    /// `recentRootsVersion`: a guest's kernel/user transitions move between two or three keys,
    /// and finding one here costs no hashing.
    var recentRoots: [(key: ShadowPageTables.Key, root: HostPhysicalAddress)] = []
    var recentRootsVersion: UInt64 = .max
    static let recentRootLimit = 4
    /// What `resume` last wrote to the hart's scounteren and stimecmp while this vCPU was on it
    /// (nil: unknown, after a load or save), so an exit reads neither CSR back.
    var hartCounterEnable: UInt64?
    var hartTimerCompare: UInt64?

    init(shadow: ShadowPageTables) {
        self.shadow = shadow
    }
}
