import RISCV

/// Privilege levels (privileged spec §1.2). The raw values are the encodings used in MPP/SPP.
public enum Privilege: UInt8, Sendable, CustomStringConvertible {
    case user = 0, supervisor = 1, machine = 3
    public var description: String { ["U", "S", "?", "M"][Int(rawValue)] }
}

/// What the hart supports; fixed when it is created.
public struct HartConfiguration {
    /// The H extension (hypervisor). Not implemented yet: the hart ignores it and `virtbench run` refuses `h=on`.
    public var hypervisor = false
    /// Called with one line per executed instruction and per trap when tracing.
    public var trace: ((String) -> Void)?
    public init(hypervisor: Bool = false, trace: ((String) -> Void)? = nil) {
        self.hypervisor = hypervisor
        self.trace = trace
    }
}

/// Why `Hart.run` returned.
public enum HartExit: Equatable, Sendable {
    /// The platform asked to stop (power off, failure, reset, user quit): see `MachineControl`.
    case stopped
    /// The instruction limit given to `run` was reached.
    case limitReached
    /// The hart is in WFI and nothing it knows of (no timer deadline) can wake it; the caller
    /// may feed input and call `run` again.
    case waitingForInterrupt
}

/// Exact event counts a run records (ARCHITECTURE.md, "Metrics every run records").
public struct HartCounters: Sendable {
    /// Instructions retired at each privilege level (index = Privilege.rawValue).
    public var retiredByPrivilege = [UInt64](repeating: 0, count: 4)
    /// Exceptions taken, by cause code.
    public var exceptions = [UInt64](repeating: 0, count: 64)
    /// Interrupts taken, by interrupt number.
    public var interrupts = [UInt64](repeating: 0, count: 64)
    /// Traps taken into M-mode and into S-mode.
    public var trapsToMachine: UInt64 = 0
    public var trapsToSupervisor: UInt64 = 0
    /// Page-table walks and the PTE reads they made.
    public var pageWalks: UInt64 = 0
    public var pageWalkSteps: UInt64 = 0
    /// Software TLB misses (data and fetch) and full flushes.
    public var tlbMisses: UInt64 = 0
    public var tlbFlushes: UInt64 = 0
    /// Blocks decoded, block lookups served by the jump cache (transitions along chained blocks
    /// are not counted: counting them would cost every block), and invalidations by code writes.
    public var blocksDecoded: UInt64 = 0
    public var blockCacheHits: UInt64 = 0
    public var blockCacheMisses: UInt64 = 0
    public var codeInvalidations: UInt64 = 0
    public var mmioAccesses: UInt64 = 0
    public var wfiSleeps: UInt64 = 0
    public init() {}
}

/// One RISC-V hart: RV64IMAFDC with Zicsr, Zifencei, the counters, Sstc and the M/S/U
/// privileged architecture. The engine (Engine.swift) executes it; the MMU (MMU.swift)
/// translates its accesses; this file holds its architectural state, CSRs and trap logic.
public final class Hart {
    // MARK: Platform
    public let hartID: UInt64
    public let bus: Bus
    public let memory: PhysicalMemory
    public let interrupts: InterruptLines
    public let timebase: Timebase
    public let control: MachineControl
    public let configuration: HartConfiguration

    // MARK: Architectural state
    /// x0…x31 plus the discard slot (index 32) that decoded writes to x0 target.
    let x: UnsafeMutablePointer<UInt64>
    /// f0…f31 as raw bits (singles NaN-boxed).
    let f: UnsafeMutablePointer<UInt64>
    public var pc: UInt64 = 0
    public internal(set) var privilege: Privilege = .machine

    // CSR state (privileged spec chapters 3 and 4). mstatus holds the writable fields only;
    // SD, UXL and SXL are computed on read.
    var mstatus: UInt64 = 0
    var misa: UInt64
    var medeleg: UInt64 = 0, mideleg: UInt64 = 0
    var mie: UInt64 = 0
    /// The software-writable bits of mip (SSIP, STIP without Sstc, SEIP); device lines are ORed in.
    var mipSoftware: UInt64 = 0
    var mtvec: UInt64 = 0, stvec: UInt64 = 0
    var mcounteren: UInt64 = 0, scounteren: UInt64 = 0
    var menvcfg: UInt64 = 0, senvcfg: UInt64 = 0
    var mscratch: UInt64 = 0, sscratch: UInt64 = 0
    var mepc: UInt64 = 0, sepc: UInt64 = 0
    var mcause: UInt64 = 0, scause: UInt64 = 0
    var mtval: UInt64 = 0, stval: UInt64 = 0
    var satp: UInt64 = 0
    var stimecmp: UInt64 = .max
    var mcountinhibit: UInt64 = 0
    /// fflags (bits 4:0) and frm (bits 7:5) of fcsr.
    var fflags: UInt64 = 0, frm: UInt64 = 0
    /// Offsets that make mcycle/minstret writable while they are derived from `retired`.
    var cycleOffset: UInt64 = 0, instretOffset: UInt64 = 0
    /// PMP (privileged spec §3.7): 16 entries as QEMU's virt CPU has.
    var pmpcfg = [UInt8](repeating: 0, count: 16)
    var pmpaddr = [UInt64](repeating: 0, count: 16)
    /// LR/SC reservation: physical address and the value loaded, or nil.
    var reservationAddress: UInt64 = .max
    var reservationValue: UInt64 = 0
    /// Set while the hart is stopped in WFI.
    public internal(set) var waitingForInterrupt = false

    // MARK: Bookkeeping
    /// Instructions retired since reset (the source of minstret, mcycle and virtual time).
    public internal(set) var retired: UInt64 = 0
    /// Event counts as they accumulate; `counters` adds the open privilege interval.
    var eventCounters = HartCounters()
    /// `retired` when the hart last changed privilege: instructions since then belong to `privilege`.
    var privilegeMark: UInt64 = 0

    /// Exact event counts so far.
    public var counters: HartCounters {
        var c = eventCounters
        c.retiredByPrivilege[Int(privilege.rawValue)] &+= retired &- privilegeMark
        return c
    }

    /// Charges the instructions since the last privilege change to the current privilege.
    /// Called before every privilege change so counting costs nothing per block.
    @inline(__always)
    func closePrivilegeInterval() {
        eventCounters.retiredByPrivilege[Int(privilege.rawValue)] &+= retired &- privilegeMark
        privilegeMark = retired
    }
    /// When `retired` reaches this, the engine leaves its fast loop to poll devices, look at
    /// interrupts and the run limit. Set to 0 to force a check at the next block boundary.
    var nextEventAt: UInt64 = 0
    var runLimitAt: UInt64 = .max
    /// Traps taken before the current `run` call, so the limit can count trap entries too.
    var trapsAtRunStart: UInt64 = 0
    var nextDevicePollAt: UInt64 = 0
    /// The exception an out-of-line slow path raised for the current instruction (.max = none).
    var pendingTrapCause: UInt64 = .max
    var pendingTrapValue: UInt64 = 0
    /// 1 while tracing so every instruction is its own block and is traced once; 64 otherwise.
    let maximumBlockLength: Int
    /// The earliest mtime a device asked to be polled at.
    var devicesDeadline: UInt64 = .max

    // Translation state (MMU.swift) and the decoded-block cache (Engine.swift).
    let tlb: UnsafeMutablePointer<TLBEntry>
    var dataContext = TranslationContext.machine
    var fetchContext = TranslationContext.machine
    var blocks: BlockCache

    // mstatus fields (privileged spec §3.1.6).
    static let SIE: UInt64 = 1 << 1, MIE: UInt64 = 1 << 3, SPIE: UInt64 = 1 << 5, MPIE: UInt64 = 1 << 7
    static let SPP: UInt64 = 1 << 8, MPPShift: UInt64 = 11, MPP: UInt64 = 3 << 11
    static let FSShift: UInt64 = 13, FS: UInt64 = 3 << 13, MPRV: UInt64 = 1 << 17, SUM: UInt64 = 1 << 18
    static let MXR: UInt64 = 1 << 19, TVM: UInt64 = 1 << 20, TW: UInt64 = 1 << 21, TSR: UInt64 = 1 << 22
    static let UXL64: UInt64 = 2 << 32, SXL64: UInt64 = 2 << 34, SD: UInt64 = 1 << 63
    static let mstatusWritable: UInt64 = SIE | MIE | SPIE | MPIE | SPP | MPP | FS | MPRV | SUM | MXR | TVM | TW | TSR
    static let sstatusMask: UInt64 = SIE | SPIE | SPP | FS | SUM | MXR | UXL64 | SD
    // Interrupt bits (§3.1.9).
    static let SSIP: UInt64 = 1 << 1, MSIP: UInt64 = 1 << 3, STIP: UInt64 = 1 << 5, MTIP: UInt64 = 1 << 7
    static let SEIP: UInt64 = 1 << 9, MEIP: UInt64 = 1 << 11
    static let supervisorInterrupts: UInt64 = SSIP | STIP | SEIP
    static let allInterrupts: UInt64 = supervisorInterrupts | MSIP | MTIP | MEIP
    /// Exceptions that medeleg can delegate (QEMU's set: everything but ecall from M).
    static let delegableExceptions: UInt64 = 0xb3ff
    /// menvcfg.STCE enables Sstc's stimecmp (Sstc spec §2).
    static let STCE: UInt64 = 1 << 63

    public init(hartID: UInt64 = 0, bus: Bus, interrupts: InterruptLines, timebase: Timebase,
                control: MachineControl, configuration: HartConfiguration = .init()) {
        self.hartID = hartID
        self.bus = bus
        self.memory = bus.ram
        self.interrupts = interrupts
        self.timebase = timebase
        self.control = control
        self.configuration = configuration
        maximumBlockLength = configuration.trace == nil ? BlockCache.maximumLength : 1
        x = .allocate(capacity: 33)
        x.initialize(repeating: 0, count: 33)
        f = .allocate(capacity: 32)
        f.initialize(repeating: 0, count: 32)
        // misa: MXL=64 and the letters A C D F I M S U (§3.1.1).
        var letters: UInt64 = 0
        for c in "ACDFIMSU".unicodeScalars { letters |= 1 << UInt64(c.value - 65) }
        misa = 2 << 62 | letters
        tlb = .allocate(capacity: TranslationContext.count * TLBEntry.entriesPerContext)
        blocks = BlockCache()
        flushTLB()
        updateTranslationContexts()
    }

    deinit {
        x.deallocate()
        f.deallocate()
        tlb.deallocate()
        blocks.release()
    }

    // MARK: Public register access

    public func register(_ i: Int) -> UInt64 { i == 0 ? 0 : x[i] }
    public func setRegister(_ i: Int, _ v: UInt64) { if i > 0 && i < 32 { x[i] = v } }
    public func fregister(_ i: Int) -> UInt64 { f[i] }
    public func setFRegister(_ i: Int, _ v: UInt64) { f[i] = v }

    /// Architectural reset (privileged spec §3.4): M-mode, MIE and MPRV clear, pc at `resetVector`.
    public func reset(pc resetVector: UInt64) {
        x.update(repeating: 0, count: 33)
        f.update(repeating: 0, count: 32)
        pc = resetVector
        closePrivilegeInterval()
        privilege = .machine
        mstatus = 0
        mie = 0; mipSoftware = 0; medeleg = 0; mideleg = 0
        satp = 0; menvcfg = 0; stimecmp = .max
        for i in 0..<16 { pmpcfg[i] = 0; pmpaddr[i] = 0 }
        reservationAddress = .max
        waitingForInterrupt = false
        flushTLB()
        blocks.flushAll()
        updateTranslationContexts()
        nextEventAt = 0
    }

    /// Reads a CSR as M-mode would (for debuggers, tests and summaries); nil if it does not exist.
    public func debugReadCSR(_ number: UInt16) -> UInt64? {
        readCSRValue(number)
    }

    // MARK: Interrupts

    /// The effective mip: software bits, device lines and Sstc's comparison.
    var mip: UInt64 {
        var v = mipSoftware | interrupts.pending
        if menvcfg & Hart.STCE != 0 {
            v &= ~Hart.STIP
            if timebase.now >= stimecmp { v |= Hart.STIP }
        }
        return v
    }

    /// The interrupt to take now, if any, in the spec's priority order (§3.1.9: MEI, MSI, MTI, SEI, SSI, STI).
    func pendingInterrupt() -> UInt64? {
        let pending = mip & mie
        if pending == 0 { return nil }
        let machineEnabled = privilege != .machine || mstatus & Hart.MIE != 0
        let supervisorEnabled = privilege == .user || (privilege == .supervisor && mstatus & Hart.SIE != 0)
        let toMachine = machineEnabled ? pending & ~mideleg : 0
        let toSupervisor = supervisorEnabled ? pending & mideleg : 0
        for set in [toMachine, toSupervisor] where set != 0 {
            for bit: UInt64 in [11, 3, 7, 9, 1, 5] where set & (1 << bit) != 0 { return bit }
        }
        return nil
    }

    // MARK: Traps

    /// Takes a trap (privileged spec §3.1.6.1, §3.3.1 and §4.1.1): chooses M or S by delegation,
    /// saves epc/cause/tval and the interrupt-enable stack, and jumps to the trap vector.
    func takeTrap(cause: UInt64, tval: UInt64, epc: UInt64, interrupt: Bool) {
        let code = cause
        if interrupt { eventCounters.interrupts[Int(code & 63)] += 1 } else { eventCounters.exceptions[Int(code & 63)] += 1 }
        let delegated = privilege != .machine && ((interrupt ? mideleg : medeleg) >> code) & 1 != 0
        let mcauseValue = interrupt ? code | TrapCause.interruptFlag : code
        if let trace = configuration.trace {
            trace("trap: \(TrapCause.name(mcauseValue)) (cause \(code)) at pc=\(hex(epc)) tval=\(hex(tval)) -> \(delegated ? "S" : "M")")
        }
        reservationAddress = .max
        closePrivilegeInterval()
        if delegated {
            eventCounters.trapsToSupervisor += 1
            scause = mcauseValue
            sepc = epc
            stval = tval
            var s = mstatus & ~(Hart.SPP | Hart.SPIE | Hart.SIE)
            if privilege == .supervisor { s |= Hart.SPP }
            if mstatus & Hart.SIE != 0 { s |= Hart.SPIE }
            mstatus = s
            privilege = .supervisor
            pc = vector(stvec, code: code, interrupt: interrupt)
        } else {
            eventCounters.trapsToMachine += 1
            mcause = mcauseValue
            mepc = epc
            mtval = tval
            var s = mstatus & ~(Hart.MPP | Hart.MPIE | Hart.MIE)
            s |= UInt64(privilege.rawValue) << Hart.MPPShift
            if mstatus & Hart.MIE != 0 { s |= Hart.MPIE }
            mstatus = s
            privilege = .machine
            pc = vector(mtvec, code: code, interrupt: interrupt)
        }
        updateTranslationContexts()
        nextEventAt = 0
    }

    private func vector(_ tvec: UInt64, code: UInt64, interrupt: Bool) -> UInt64 {
        let base = tvec & ~3
        return (tvec & 3 == 1 && interrupt) ? base &+ 4 &* code : base
    }

    /// mret (§3.3.2): restore MIE from MPIE, privilege from MPP; MPRV clears when leaving M.
    func returnFromMachine() {
        let previous = Privilege(rawValue: UInt8((mstatus & Hart.MPP) >> Hart.MPPShift)) ?? .user
        var s = mstatus & ~(Hart.MIE | Hart.MPP)
        if mstatus & Hart.MPIE != 0 { s |= Hart.MIE }
        s |= Hart.MPIE
        if previous != .machine { s &= ~Hart.MPRV }
        mstatus = s
        closePrivilegeInterval()
        privilege = previous
        pc = mepc
        updateTranslationContexts()
        nextEventAt = 0
    }

    /// sret (§4.1.1): restore SIE from SPIE, privilege from SPP; MPRV clears.
    func returnFromSupervisor() {
        let previous: Privilege = mstatus & Hart.SPP != 0 ? .supervisor : .user
        var s = mstatus & ~(Hart.SIE | Hart.SPP | Hart.MPRV)
        if mstatus & Hart.SPIE != 0 { s |= Hart.SIE }
        s |= Hart.SPIE
        mstatus = s
        closePrivilegeInterval()
        privilege = previous
        pc = sepc
        updateTranslationContexts()
        nextEventAt = 0
    }

    // MARK: CSRs

    /// Result of a CSR access check.
    enum CSRFault: Error { case illegal }

    /// Reads CSR `number` on behalf of an instruction at the current privilege (§2.1: bits 9:8
    /// give the lowest privilege that may access it; bits 11:10 == 3 mark it read-only).
    func readCSR(_ number: UInt16) throws(CSRFault) -> UInt64 {
        guard UInt8((number >> 8) & 3) <= privilege.rawValue else { throw .illegal }
        try checkCounterAccess(number)
        if number == CSR.satp && privilege == .supervisor && mstatus & Hart.TVM != 0 { throw .illegal }
        if (number == CSR.fflags || number == CSR.frm || number == CSR.fcsr) && mstatus & Hart.FS == 0 { throw .illegal }
        if number == CSR.stimecmp && privilege == .supervisor && menvcfg & Hart.STCE == 0 { throw .illegal }
        guard let v = readCSRValue(number) else { throw .illegal }
        return v
    }

    /// Counter CSRs from S/U are gated by mcounteren and scounteren (§3.1.11, §4.1.5).
    private func checkCounterAccess(_ number: UInt16) throws(CSRFault) {
        guard number >= CSR.cycle && number <= CSR.hpmcounter31 else { return }
        let bit = UInt64(number - CSR.cycle)
        if privilege != .machine && (mcounteren >> bit) & 1 == 0 { throw .illegal }
        if privilege == .user && (scounteren >> bit) & 1 == 0 { throw .illegal }
    }

    func readCSRValue(_ number: UInt16) -> UInt64? {
        switch number {
        case CSR.fflags: return fflags
        case CSR.frm: return frm
        case CSR.fcsr: return frm << 5 | fflags
        case CSR.cycle, CSR.mcycle: return retired &+ cycleOffset
        case CSR.instret, CSR.minstret: return retired &+ instretOffset
        case CSR.time: return timebase.now
        case CSR.hpmcounter3...CSR.hpmcounter31, CSR.mhpmcounter3...CSR.mhpmcounter31: return 0
        case CSR.mhpmevent3...CSR.mhpmevent31: return 0
        case CSR.sstatus: return statusValue() & Hart.sstatusMask
        case CSR.sie: return mie & mideleg
        case CSR.stvec: return stvec
        case CSR.scounteren: return scounteren
        case CSR.senvcfg: return senvcfg
        case CSR.sscratch: return sscratch
        case CSR.sepc: return sepc
        case CSR.scause: return scause
        case CSR.stval: return stval
        case CSR.sip: return mip & mideleg
        case CSR.stimecmp: return stimecmp
        case CSR.satp: return satp
        case CSR.mvendorid, CSR.marchid, CSR.mimpid, CSR.mconfigptr: return 0
        case CSR.mhartid: return hartID
        case CSR.mstatus: return statusValue()
        case CSR.misa: return misa
        case CSR.medeleg: return medeleg
        case CSR.mideleg: return mideleg
        case CSR.mie: return mie
        case CSR.mtvec: return mtvec
        case CSR.mcounteren: return mcounteren
        case CSR.menvcfg: return menvcfg
        case CSR.mcountinhibit: return mcountinhibit
        case CSR.mscratch: return mscratch
        case CSR.mepc: return mepc
        case CSR.mcause: return mcause
        case CSR.mtval: return mtval
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
        default: return nil
        }
    }

    func statusValue() -> UInt64 {
        var s = mstatus | Hart.UXL64 | Hart.SXL64
        if s & Hart.FS == Hart.FS { s |= Hart.SD }
        return s
    }

    /// Writes CSR `number`; throws for read-only, missing or privileged-above-us CSRs.
    func writeCSR(_ number: UInt16, _ value: UInt64) throws(CSRFault) {
        guard UInt8((number >> 8) & 3) <= privilege.rawValue, number >> 10 != 3 else { throw .illegal }
        if number == CSR.satp && privilege == .supervisor && mstatus & Hart.TVM != 0 { throw .illegal }
        if (number == CSR.fflags || number == CSR.frm || number == CSR.fcsr) && mstatus & Hart.FS == 0 { throw .illegal }
        if number == CSR.stimecmp && privilege == .supervisor && menvcfg & Hart.STCE == 0 { throw .illegal }
        switch number {
        case CSR.fflags: fflags = value & 0x1f; markFloatingPointDirty()
        case CSR.frm: frm = value & 7; markFloatingPointDirty()
        case CSR.fcsr: fflags = value & 0x1f; frm = (value >> 5) & 7; markFloatingPointDirty()
        case CSR.sstatus: writeStatus((mstatus & ~Hart.sstatusMask) | (value & Hart.sstatusMask))
        case CSR.sie: mie = (mie & ~mideleg) | (value & mideleg)
        case CSR.stvec: stvec = legalTrapVector(value)
        case CSR.scounteren: scounteren = value & 0xffff_ffff
        case CSR.senvcfg: senvcfg = value & 1
        case CSR.sscratch: sscratch = value
        case CSR.sepc: sepc = value & ~1
        case CSR.scause: scause = value
        case CSR.stval: stval = value
        case CSR.sip:
            // Only SSIP is writable through sip (§4.1.3).
            let writable = Hart.SSIP & mideleg
            mipSoftware = (mipSoftware & ~writable) | (value & writable)
        case CSR.stimecmp: stimecmp = value
        case CSR.satp: writeSATP(value)
        case CSR.mstatus: writeStatus(value)
        case CSR.misa: break // WARL, fixed here
        case CSR.medeleg: medeleg = value & Hart.delegableExceptions
        case CSR.mideleg: mideleg = value & Hart.supervisorInterrupts
        case CSR.mie: mie = value & Hart.allInterrupts
        case CSR.mtvec: mtvec = legalTrapVector(value)
        case CSR.mcounteren: mcounteren = value & 0xffff_ffff
        case CSR.menvcfg: menvcfg = value & (Hart.STCE | 1)
        case CSR.mcountinhibit: mcountinhibit = value & 0xffff_fffd
        case CSR.mscratch: mscratch = value
        case CSR.mepc: mepc = value & ~1
        case CSR.mcause: mcause = value
        case CSR.mtval: mtval = value
        case CSR.mip:
            // SSIP, STIP (unless Sstc drives it) and SEIP are writable from M (§3.1.9).
            var writable = Hart.supervisorInterrupts
            if menvcfg & Hart.STCE != 0 { writable &= ~Hart.STIP }
            mipSoftware = (mipSoftware & ~writable) | (value & writable)
        case CSR.mcycle: cycleOffset = value &- retired
        case CSR.minstret: instretOffset = value &- retired
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
            if readCSRValue(number) == nil { throw .illegal }
        }
        nextEventAt = 0
    }

    private func legalTrapVector(_ value: UInt64) -> UInt64 {
        // MODE 2 and 3 are reserved (§3.1.7); keep such writes as direct.
        value & 3 >= 2 ? value & ~3 : value
    }

    func writeStatus(_ value: UInt64) {
        var v = value & Hart.mstatusWritable
        // MPP is WARL over the implemented privileges; 2 (reserved) keeps the old value.
        if (v & Hart.MPP) >> Hart.MPPShift == 2 { v = (v & ~Hart.MPP) | (mstatus & Hart.MPP) }
        let flush = (v ^ mstatus) & Hart.MXR != 0
        mstatus = v
        if flush { flushTLB() }
        updateTranslationContexts()
    }

    func writeSATP(_ value: UInt64) {
        // Only Bare (0), Sv39 (8) and Sv48 (9) are implemented; other modes leave satp unchanged (§4.1.11).
        let mode = value >> 60
        guard mode == 0 || mode == 8 || mode == 9 else { return }
        satp = value & (0xf << 60 | 0xffff << 44 | (1 << 44) - 1)
        flushTLB()
        updateTranslationContexts()
    }

    @inline(__always)
    func markFloatingPointDirty() { mstatus |= Hart.FS }
}
