import RISCV

/// The supervisor CSRs that are plain registers, and the legal-value (WARL) rule of every
/// supervisor CSR, stated once (privileged spec v1.12 chapter 4, "Supervisor-Level ISA"). Three
/// supervisors hold a set: the hart's S-level CSRs, its VS-level copies (H spec §8.2.x: each VS
/// CSR has its supervisor CSR's format), and the virtual supervisor a `full` guest kernel
/// believes it runs on, whose CSRs the hypervisor emulates.
///
/// sstatus, sie and sip are views of registers their owner keeps (the hart's mstatus, mie and
/// mip through mideleg or hideleg; a `full` guest's own words), so they are not stored here: the
/// static rules below say which of their bits exist and which a write may change.
public struct SupervisorCSRs: Sendable, Equatable {
    /// stvec (§4.1.2): WARL, see `legalTrapVector`.
    public var trapVector: UInt64 = 0
    /// sepc (§4.1.7): bit 0 is always zero (IALIGN=16 with C).
    public var exceptionPC: UInt64 = 0
    /// sscratch, scause and stval (§4.1.6, §4.1.8, §4.1.9): any value.
    public var scratch: UInt64 = 0, cause: UInt64 = 0, trapValue: UInt64 = 0
    /// satp (§4.1.11): WARL, see `legalATP`.
    public var addressTranslation: UInt64 = 0
    /// stimecmp (Sstc spec §2): any value; all ones is "never".
    public var timerCompare: UInt64 = .max
    /// scounteren (§4.1.5): the 32 counter enables. Not in the hart's VS set: the H extension
    /// gives it no VS copy (VS-mode uses the HS one, gated by hcounteren).
    public var counterEnable: UInt64 = 0
    /// senvcfg (§4.1.10): only FIOM (bit 0) is implemented. No VS copy either.
    public var environment: UInt64 = 0

    public init() {}

    /// Reads plain register `number` by its supervisor CSR number; nil for any other CSR
    /// (sstatus, sie and sip are the owner's views).
    public func read(_ number: UInt16) -> UInt64? {
        switch number {
        case CSR.stvec: return trapVector
        case CSR.scounteren: return counterEnable
        case CSR.senvcfg: return environment
        case CSR.sscratch: return scratch
        case CSR.sepc: return exceptionPC
        case CSR.scause: return cause
        case CSR.stval: return trapValue
        case CSR.stimecmp: return timerCompare
        case CSR.satp: return addressTranslation
        default: return nil
        }
    }

    /// Writes plain register `number` (a supervisor CSR number) with its legal-value rule;
    /// false for any other CSR. A satp value with an unimplemented mode leaves satp unchanged.
    public mutating func write(_ number: UInt16, _ value: UInt64) -> Bool {
        switch number {
        case CSR.stvec: trapVector = SupervisorCSRs.legalTrapVector(value)
        case CSR.scounteren: counterEnable = value & 0xffff_ffff
        case CSR.senvcfg: environment = value & 1
        case CSR.sscratch: scratch = value
        case CSR.sepc: exceptionPC = value & ~1
        case CSR.scause: cause = value
        case CSR.stval: trapValue = value
        case CSR.stimecmp: timerCompare = value
        case CSR.satp:
            if let legal = SupervisorCSRs.legalATP(value) { addressTranslation = legal }
        default: return false
        }
        return true
    }

    /// The H extension numbers each VS CSR as its supervisor CSR plus 0x100 (vsstatus 0x200 for
    /// sstatus 0x100, vsatp 0x280 for satp 0x180): a VS number minus this is the S number.
    public static let virtualNumberOffset: UInt16 = CSR.vsstatus - CSR.sstatus

    // MARK: The rules

    /// A trap-vector base (stvec, vstvec, mtvec) as written: MODE 2 and 3 are reserved (§3.1.7,
    /// §4.1.2), and such writes are kept as direct.
    public static func legalTrapVector(_ value: UInt64) -> UInt64 {
        value & 3 >= 2 ? value & ~3 : value
    }

    /// A satp or vsatp value as written, or nil when its mode is not implemented: only Bare (0),
    /// Sv39 (8) and Sv48 (9) are, and another mode leaves the register unchanged (§4.1.11, H
    /// spec's vsatp). The ASID keeps its 16 bits.
    public static func legalATP(_ value: UInt64) -> UInt64? {
        let mode = value >> 60
        guard mode == 0 || mode == 8 || mode == 9 else { return nil }
        return value & (0xf << 60 | 0xffff << 44 | (1 << 44) - 1)
    }

    /// The sstatus (and vsstatus) fields software may write (§4.1.1): SIE, SPIE, SPP, FS, SUM
    /// and MXR. UXL is fixed at 64 and SD is computed (`statusRead`); no V, XS or UBE.
    public static let statusWritable: UInt64 = Hart.SIE | Hart.SPIE | Hart.SPP | Hart.FS | Hart.SUM | Hart.MXR

    /// The writable sstatus fields of a written `value`.
    public static func legalStatus(_ value: UInt64) -> UInt64 { value & statusWritable }

    /// sstatus as read from its stored writable fields: UXL=64, and SD set when FS is dirty.
    public static func statusRead(_ stored: UInt64) -> UInt64 {
        var s = stored | Hart.UXL64
        if s & Hart.FS == Hart.FS { s |= Hart.SD }
        return s
    }

    /// The bits sie and sip have at a level (§4.1.3): the supervisor interrupts (SSI, STI, SEI)
    /// that the level above delegates to it (`delegated`, in sie's bit positions: mideleg for S,
    /// hideleg shifted down for VS, all three for a `full` guest). sie reads and writes exactly
    /// these; sip reads them.
    public static func interruptMask(delegated: UInt64) -> UInt64 { delegated & Hart.supervisorInterrupts }

    /// The sip bits a write may change (§4.1.3): SSIP alone, when it is delegated; STIP and SEIP
    /// are set by the timer and the interrupt controller.
    public static func interruptPendingWritable(delegated: UInt64) -> UInt64 { delegated & Hart.SSIP }
}
