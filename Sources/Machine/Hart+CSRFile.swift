import RISCV

/// The M-level CSRs' storage (privileged spec chapter 3): plain registers whose read and write
/// rules are the hart's (`readCSRValue`, `writeCSR`), kept apart from the S-level
/// (`SupervisorCSRs`) and H-extension (`HypervisorState`) CSRs. A struct stored inline in the
/// hart: `m.mstatus` is the same single load from the hart as a stored property was.
struct MachineCSRs {
    /// The writable fields only; SD, UXL and SXL are computed on read (`statusValue`).
    var mstatus: UInt64 = 0
    var misa: UInt64
    var medeleg: UInt64 = 0, mideleg: UInt64 = 0
    var mie: UInt64 = 0
    /// The software-writable bits of mip (SSIP, STIP without Sstc, SEIP); device lines are ORed in.
    var mipSoftware: UInt64 = 0
    var mtvec: UInt64 = 0, mcounteren: UInt64 = 0, menvcfg: UInt64 = 0
    var mscratch: UInt64 = 0, mepc: UInt64 = 0, mcause: UInt64 = 0, mtval: UInt64 = 0
    var mcountinhibit: UInt64 = 0
    /// Offsets that make mcycle/minstret writable while they are derived from `retired`.
    var cycleOffset: UInt64 = 0, instretOffset: UInt64 = 0
}

extension Hart {
    // mstatus fields (privileged spec §3.1.6).
    public static let SIE: UInt64 = 1 << 1, MIE: UInt64 = 1 << 3, SPIE: UInt64 = 1 << 5, MPIE: UInt64 = 1 << 7
    public static let SPP: UInt64 = 1 << 8, MPPShift: UInt64 = 11, MPP: UInt64 = 3 << 11
    public static let FSShift: UInt64 = 13, FS: UInt64 = 3 << 13, MPRV: UInt64 = 1 << 17, SUM: UInt64 = 1 << 18
    public static let MXR: UInt64 = 1 << 19, TVM: UInt64 = 1 << 20, TW: UInt64 = 1 << 21, TSR: UInt64 = 1 << 22
    public static let UXL64: UInt64 = 2 << 32, SXL64: UInt64 = 2 << 34, SD: UInt64 = 1 << 63
    public static let mstatusWritable: UInt64 = SIE | MIE | SPIE | MPIE | SPP | MPP | FS | MPRV | SUM | MXR | TVM | TW | TSR
    // Interrupt bits (§3.1.9).
    public static let SSIP: UInt64 = 1 << 1, MSIP: UInt64 = 1 << 3, STIP: UInt64 = 1 << 5, MTIP: UInt64 = 1 << 7
    public static let SEIP: UInt64 = 1 << 9, MEIP: UInt64 = 1 << 11
    public static let supervisorInterrupts: UInt64 = SSIP | STIP | SEIP
    static let allInterrupts: UInt64 = supervisorInterrupts | MSIP | MTIP | MEIP
    /// Exceptions that medeleg can delegate (QEMU's set: everything but ecall from M).
    static let delegableExceptions: UInt64 = 0xb3ff
    /// menvcfg.STCE enables Sstc's stimecmp (Sstc spec §2).
    static let STCE: UInt64 = 1 << 63

    // MARK: CSRs

    /// Reads CSR `number` on behalf of an instruction at the current privilege and V (§2.1:
    /// bits 9:8 give the lowest privilege that may access it; with V=1 the VS CSRs stand in for
    /// the supervisor ones).
    func readCSR(_ number: UInt16) throws(PrivilegeFault) -> UInt64 {
        let target = try checkCSRAccess(number, write: false)
        guard let v = readCSRValue(target) else { throw .illegal }
        return v
    }

    func readCSRValue(_ number: UInt16) -> UInt64? {
        switch number {
        case CSR.fflags: return fflags
        case CSR.frm: return frm
        case CSR.fcsr: return frm << 5 | fflags
        case CSR.cycle, CSR.mcycle: return retired &+ m.cycleOffset
        case CSR.instret, CSR.minstret: return retired &+ m.instretOffset
        case CSR.time: return virtualized ? timebase.now &+ h.htimedelta : timebase.now
        case CSR.hpmcounter3...CSR.hpmcounter31, CSR.mhpmcounter3...CSR.mhpmcounter31: return 0
        case CSR.mhpmevent3...CSR.mhpmevent31: return 0
        case CSR.sstatus: return SupervisorCSRs.statusRead(m.mstatus & SupervisorCSRs.statusWritable)
        case CSR.sie: return m.mie & SupervisorCSRs.interruptMask(delegated: m.mideleg)
        case CSR.sip: return mip & SupervisorCSRs.interruptMask(delegated: m.mideleg)
        case CSR.stvec, CSR.scounteren, CSR.senvcfg, CSR.sscratch, CSR.sepc, CSR.scause, CSR.stval, CSR.stimecmp, CSR.satp:
            return supervisorCSRs.read(number)
        case CSR.mvendorid, CSR.marchid, CSR.mimpid, CSR.mconfigptr: return 0
        case CSR.mhartid: return hartID
        case CSR.mstatus: return statusValue()
        case CSR.misa: return m.misa
        case CSR.medeleg: return m.medeleg
        case CSR.mideleg: return m.mideleg
        case CSR.mie: return m.mie
        case CSR.mtvec: return m.mtvec
        case CSR.mcounteren: return m.mcounteren
        case CSR.menvcfg: return m.menvcfg
        case CSR.mcountinhibit: return m.mcountinhibit
        case CSR.mscratch: return m.mscratch
        case CSR.mepc: return m.mepc
        case CSR.mcause: return m.mcause
        case CSR.mtval: return m.mtval
        case CSR.mip: return mip
        case CSR.pmpcfg0, CSR.pmpcfg0 + 2:
            let first = Int(number - CSR.pmpcfg0) * 4
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(pmpcfg[first + i]) << (8 * UInt64(i)) }
            return v
        case CSR.pmpaddr0..<(CSR.pmpaddr0 + 16): return pmpaddr[Int(number - CSR.pmpaddr0)]
        case CSR.tselect: return 0
        case CSR.tdata1, CSR.tdata2, CSR.tdata3: return 0
        case CSR.mseccfg: return 0
        default: return readHypervisorCSR(number)
        }
    }

    func statusValue() -> UInt64 {
        var s = m.mstatus | Hart.UXL64 | Hart.SXL64
        if s & Hart.FS == Hart.FS { s |= Hart.SD }
        return s
    }

    /// Writes CSR `number`; throws for read-only, missing or privileged-above-us CSRs.
    func writeCSR(_ number: UInt16, _ value: UInt64) throws(PrivilegeFault) {
        let number = try checkCSRAccess(number, write: true)
        switch number {
        case CSR.fflags: fflags = value & 0x1f; markFloatingPointDirty()
        case CSR.frm: frm = value & 7; markFloatingPointDirty()
        case CSR.fcsr: fflags = value & 0x1f; frm = (value >> 5) & 7; markFloatingPointDirty()
        case CSR.sstatus: writeStatus((m.mstatus & ~SupervisorCSRs.statusWritable) | SupervisorCSRs.legalStatus(value))
        case CSR.sie:
            let writable = SupervisorCSRs.interruptMask(delegated: m.mideleg)
            m.mie = (m.mie & ~writable) | (value & writable)
        case CSR.sip:
            let writable = SupervisorCSRs.interruptPendingWritable(delegated: m.mideleg)
            m.mipSoftware = (m.mipSoftware & ~writable) | (value & writable)
        case CSR.satp: writeSATP(value)
        case CSR.stvec, CSR.scounteren, CSR.senvcfg, CSR.sscratch, CSR.sepc, CSR.scause, CSR.stval, CSR.stimecmp:
            _ = supervisorCSRs.write(number, value)
        case CSR.mstatus: writeStatus(value)
        case CSR.misa: break // WARL, fixed here
        case CSR.medeleg: m.medeleg = value & (Hart.delegableExceptions | (hasHypervisor ? Hart.hypervisorExceptions : 0))
        case CSR.mideleg: m.mideleg = value & Hart.supervisorInterrupts | forcedDelegation
        case CSR.mie: m.mie = value & (Hart.allInterrupts | (hasHypervisor ? Hart.hypervisorInterrupts : 0))
        case CSR.mtvec: m.mtvec = SupervisorCSRs.legalTrapVector(value)
        case CSR.mcounteren: m.mcounteren = value & 0xffff_ffff
        case CSR.menvcfg: m.menvcfg = value & (Hart.STCE | 1)
        case CSR.mcountinhibit: m.mcountinhibit = value & 0xffff_fffd
        case CSR.mscratch: m.mscratch = value
        case CSR.mepc: m.mepc = value & ~1
        case CSR.mcause: m.mcause = value
        case CSR.mtval: m.mtval = value
        case CSR.mip:
            // SSIP, STIP (unless Sstc drives it) and SEIP are writable from M (§3.1.9).
            var writable = Hart.supervisorInterrupts
            if m.menvcfg & Hart.STCE != 0 { writable &= ~Hart.STIP }
            m.mipSoftware = (m.mipSoftware & ~writable) | (value & writable)
            // With H, mip.VSSIP is an alias of hvip.VSSIP.
            if hasHypervisor { h.hvip = (h.hvip & ~Hart.VSSIP) | (value & Hart.VSSIP) }
        case CSR.mcycle: m.cycleOffset = value &- retired
        case CSR.minstret: m.instretOffset = value &- retired
        case CSR.mhpmcounter3...CSR.mhpmcounter31, CSR.mhpmevent3...CSR.mhpmevent31: break
        case CSR.pmpcfg0, CSR.pmpcfg0 + 2:
            let first = Int(number - CSR.pmpcfg0) * 4
            for i in 0..<8 where pmpcfg[first + i] & PMP.locked == 0 {
                var cfg = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) & 0x9f
                // R=0, W=1 is reserved (§3.7.1); QEMU keeps such an entry without W.
                if cfg & PMP.write != 0 && cfg & PMP.read == 0 { cfg &= ~PMP.write }
                pmpcfg[first + i] = cfg
            }
            pmpChanged()
        case CSR.pmpaddr0..<(CSR.pmpaddr0 + 16):
            let i = Int(number - CSR.pmpaddr0)
            let lockedByNext = i + 1 < 16 && pmpcfg[i + 1] & PMP.locked != 0 && (pmpcfg[i + 1] >> 3) & 3 == PMP.tor
            if pmpcfg[i] & PMP.locked == 0 && !lockedByNext {
                pmpaddr[i] = value & ((1 << 54) - 1)
                pmpChanged()
            }
        case CSR.tselect, CSR.tdata1, CSR.tdata2, CSR.tdata3, CSR.mseccfg: break
        default:
            if !writeHypervisorCSR(number, value), readCSRValue(number) == nil { throw .illegal }
        }
        nextEventAt = 0
    }

    /// The value a Zicsr instruction writes: csrrw(i) writes `source`, csrrs(i) sets its bits in
    /// `old`, csrrc(i) clears them. (The full-virtualization hypervisor emulates the same rule.)
    public static func csrWriteValue(_ op: Op, old: UInt64, source: UInt64) -> UInt64 {
        switch op {
        case .csrrw, .csrrwi: return source
        case .csrrs, .csrrsi: return old | source
        default: return old & ~source
        }
    }

    /// mideleg bits that read as one whatever is written (the VS-level interrupts with H).
    var forcedDelegation: UInt64 { hasHypervisor ? Hart.hypervisorForcedDelegation : 0 }

    func writeStatus(_ value: UInt64) {
        var v = value & (Hart.mstatusWritable | (hasHypervisor ? Hart.MPV | Hart.GVA : 0))
        // MPP is WARL over the implemented privileges; 2 (reserved) keeps the old value.
        if (v & Hart.MPP) >> Hart.MPPShift == 2 { v = (v & ~Hart.MPP) | (m.mstatus & Hart.MPP) }
        let flush = (v ^ m.mstatus) & Hart.MXR != 0
        m.mstatus = v
        if flush { flushTLB() }
        updateTranslationContexts()
    }

    func writeSATP(_ value: UInt64) {
        guard let legal = SupervisorCSRs.legalATP(value) else { return }
        satp = legal
        flushTLB()
        updateTranslationContexts()
    }

    @inline(__always)
    func markFloatingPointDirty() {
        m.mstatus |= Hart.FS
        if virtualized { h.vsstatus |= Hart.FS }
    }
}
