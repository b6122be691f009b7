#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RISCV

/// Privilege levels (privileged spec §1.2). The raw values are the encodings used in MPP/SPP.
public enum Privilege: UInt8, Sendable, CustomStringConvertible {
    case user = 0, supervisor = 1, machine = 3
    public var description: String { ["U", "S", "?", "M"][Int(rawValue)] }
}

/// What the hart supports; fixed when it is created.
public struct HartConfiguration {
    /// The H extension (hypervisor, version 1.0): V mode, two-stage translation, the hypervisor
    /// CSRs and instructions (`-cpu rv64,h=on`).
    public var hypervisor = false
    /// Called with one line per executed instruction and per trap when tracing.
    public var trace: ((String) -> Void)?
    /// The Swift hypervisor owns HS-mode (and M-mode): a trap from a guest that hedeleg/hideleg
    /// do not hand to VS-mode makes `run` return `.guestExit` with the hart left as it was at the
    /// trap, instead of entering a trap vector (KVM_RUN returning to its caller).
    public var hostOwnsSupervisor = false
    /// Compile decoded blocks to host code (BlockCompiler.swift) on x86-64 hosts; false keeps
    /// every block in the dispatch loop (`virtbench run --engine interpreter`). The default is
    /// true unless the environment sets VIRTBENCH_ENGINE=interpreter, so a whole test run can
    /// check the interpreter alone.
    public var compileBlocks = HartConfiguration.compileBlocksByDefault
    /// Traps in a row without an instruction retiring after which `run` returns `.noProgress`
    /// (ProgressGuard.swift).
    public var noProgressTrapLimit = HartConfiguration.defaultNoProgressTrapLimit
    public static var compileBlocksByDefault: Bool {
        getenv("VIRTBENCH_ENGINE").map { String(cString: $0) } != "interpreter"
    }
    public init(hypervisor: Bool = false, hostOwnsSupervisor: Bool = false, trace: ((String) -> Void)? = nil) {
        self.hypervisor = hypervisor
        self.hostOwnsSupervisor = hostOwnsSupervisor
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
    /// With `hostOwnsSupervisor`: a guest trap the host must handle; see `Hart.guestExit`.
    case guestExit
    /// `HartConfiguration.noProgressTrapLimit` traps in a row retired nothing: the hart is stuck
    /// in a trap loop; `Hart.lastTrap` says where (ProgressGuard.swift).
    case noProgress
}

/// What a guest did that made the hart return to its host (`HartExit.guestExit`): the trap
/// as HS-mode would have seen it in scause, stval, htval and htinst.
public struct GuestExit: Sendable, Equatable {
    /// Exception or interrupt code (no interrupt flag).
    public var cause: UInt64
    public var interrupt: Bool
    /// stval: the faulting guest virtual address or instruction bits.
    public var value: UInt64
    /// htval: the faulting guest physical address shifted right by 2 (guest-page faults).
    public var guestPhysicalAddressShifted: UInt64
    /// htinst: the transformed instruction, a pseudoinstruction, or 0.
    public var instruction: UInt64
    /// The guest's pc at the trap (the trapping instruction, or the next one to run for an interrupt).
    public var pc: UInt64
    /// The guest's privilege at the trap: VS (.supervisor) or VU (.user).
    public var privilege: Privilege

    /// The full guest physical address of a guest-page fault: htval's upper bits and the page
    /// offset's low two bits from the guest virtual address, as the H spec suggests.
    public var guestPhysicalAddress: UInt64 { guestPhysicalAddressShifted << 2 | (value & 3) }
}

/// Exact event counts a run records (ARCHITECTURE.md, "Metrics every run records").
public struct HartCounters: Sendable {
    /// Instructions retired at each privilege level: index Privilege.rawValue with V=0 (U, S, M),
    /// plus 4 with V=1 (4 = VU, 5 = VS).
    public var retiredByPrivilege = [UInt64](repeating: 0, count: 8)
    /// Exceptions taken, by cause code.
    public var exceptions = [UInt64](repeating: 0, count: 64)
    /// Interrupts taken, by interrupt number.
    public var interrupts = [UInt64](repeating: 0, count: 64)
    /// Traps taken into M-mode and into S-mode.
    public var trapsToMachine: UInt64 = 0
    public var trapsToSupervisor: UInt64 = 0
    /// Traps taken straight into VS-mode (delegated by hedeleg/hideleg, no hypervisor involved).
    public var trapsToVirtualSupervisor: UInt64 = 0
    /// Traps that went to the Swift host instead (`HartConfiguration.hostOwnsSupervisor`).
    public var guestExits: UInt64 = 0
    /// Total traps taken, whatever their target.
    public var traps: UInt64 { trapsToMachine &+ trapsToSupervisor &+ trapsToVirtualSupervisor &+ guestExits }
    /// G-stage (guest-physical to host-physical) walks and their PTE reads, counted apart from
    /// the stage-1 walks above.
    public var guestPageWalks: UInt64 = 0
    public var guestPageWalkSteps: UInt64 = 0
    /// Page-table walks and the PTE reads they made.
    public var pageWalks: UInt64 = 0
    public var pageWalkSteps: UInt64 = 0
    /// Software TLB misses (data and fetch) and full flushes.
    public var tlbMisses: UInt64 = 0
    public var tlbFlushes: UInt64 = 0
    /// Blocks decoded, block lookups served by the jump cache (transitions along chained blocks
    /// are not counted: counting them would cost every block), and invalidations by code writes.
    public var blocksDecoded: UInt64 = 0
    /// Of those, blocks compiled to host code.
    public var blocksCompiled: UInt64 = 0
    /// Times compiled code stopped before its block's end (a TLB miss, a store near code, an op it
    /// does not compile) and the dispatch loop ran the rest.
    public var compiledBlockStops: UInt64 = 0
    /// Calls from the dispatch loop into compiled code (each may run a whole chain of blocks).
    public var compiledEntries: UInt64 = 0
    public var blockCacheHits: UInt64 = 0
    public var blockCacheMisses: UInt64 = 0
    public var codeInvalidations: UInt64 = 0
    public var mmioAccesses: UInt64 = 0
    public var wfiSleeps: UInt64 = 0
    public init() {}
}

/// One RISC-V hart: RV64IMAFDC with Zicsr, Zifencei, the counters, Sstc and the M/S/U
/// privileged architecture. The engine (Hart+Execution.swift) executes it; the MMU (Hart+Translation.swift)
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
    /// x0…x31 plus the discard slot (index 32) that decoded writes to x0 target, then the slots
    /// compiled code shares with the dispatch loop (`CompiledRun`).
    let x: UnsafeMutablePointer<UInt64>
    /// f0…f31 as raw bits (singles NaN-boxed).
    let f: UnsafeMutablePointer<UInt64>
    public var pc: UInt64 = 0
    public internal(set) var privilege: Privilege = .machine
    /// V (H extension): the hart runs a guest in VS-mode (privilege S) or VU-mode (privilege U).
    public internal(set) var virtualized = false
    /// The H extension's CSRs (Hart+HypervisorExtension.swift).
    var h = HypervisorState()
    /// htval/htinst/GVA for the trap the current instruction raises.
    var pendingTrapDetail = TrapDetail()
    /// The guest trap `run` reports with `.guestExit` (hostOwnsSupervisor only).
    public internal(set) var guestExit: GuestExit?
    /// Set by a trap that goes to the host; `run` returns at the next check.
    var guestExitPending = false

    // CSR state (privileged spec chapters 3 and 4). mstatus holds the writable fields only;
    // SD, UXL and SXL are computed on read.
    var mstatus: UInt64 = 0
    var misa: UInt64
    var medeleg: UInt64 = 0, mideleg: UInt64 = 0
    var mie: UInt64 = 0
    /// The software-writable bits of mip (SSIP, STIP without Sstc, SEIP); device lines are ORed in.
    var mipSoftware: UInt64 = 0
    var mtvec: UInt64 = 0, mcounteren: UInt64 = 0, menvcfg: UInt64 = 0
    var mscratch: UInt64 = 0, mepc: UInt64 = 0, mcause: UInt64 = 0, mtval: UInt64 = 0
    /// The S-level CSRs that are plain registers (stvec, sepc, satp, …) under the rules every
    /// supervisor shares (SupervisorCSRs.swift); sstatus, sie and sip are views of mstatus, mie
    /// and mip.
    var supervisorCSRs = SupervisorCSRs()
    var satp: UInt64 {
        get { supervisorCSRs.addressTranslation }
        set { supervisorCSRs.addressTranslation = newValue }
    }
    var stimecmp: UInt64 {
        get { supervisorCSRs.timerCompare }
        set { supervisorCSRs.timerCompare = newValue }
    }
    var scounteren: UInt64 { supervisorCSRs.counterEnable }
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
    /// Traps in a row that retired nothing (ProgressGuard.swift).
    var progress = ProgressGuard()
    /// `retired` when the hart last changed privilege: instructions since then belong to `privilege`.
    var privilegeMark: UInt64 = 0

    /// Exact event counts so far.
    public var counters: HartCounters {
        var c = eventCounters
        c.retiredByPrivilege[privilegeIndex] &+= retired &- privilegeMark
        return c
    }

    /// Charges the instructions since the last privilege change to the current privilege.
    /// Called before every privilege change so counting costs nothing per block.
    @inline(__always)
    func closePrivilegeInterval() {
        eventCounters.retiredByPrivilege[privilegeIndex] &+= retired &- privilegeMark
        privilegeMark = retired
    }

    /// The slot of `HartCounters.retiredByPrivilege` for the current privilege and V.
    var privilegeIndex: Int { Int(privilege.rawValue) + (virtualized ? 4 : 0) }
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

    // Translation state (Hart+Translation.swift) and the decoded-block cache (Hart+Execution.swift).
    let tlb: UnsafeMutablePointer<TLBEntry>
    /// The TLB entries filled since the last flush, so a flush clears only those.
    let tlbTouched = TouchedEntries(contexts: TranslationContext.count)
    var dataContext = TranslationContext.machine
    var fetchContext = TranslationContext.machine
    var blocks: BlockCache

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
        x = .allocate(capacity: CompiledRun.registerFileSlots)
        x.initialize(repeating: 0, count: CompiledRun.registerFileSlots)
        f = .allocate(capacity: 32)
        f.initialize(repeating: 0, count: 32)
        // misa: MXL=64 and the letters A C D F I M S U (§3.1.1).
        var letters: UInt64 = 0
        for c in "ACDFIMSU".unicodeScalars { letters |= 1 << UInt64(c.value - 65) }
        if configuration.hypervisor { letters |= 1 << UInt64(Character("H").asciiValue! - 65) }
        misa = 2 << 62 | letters
        mideleg = configuration.hypervisor ? Hart.hypervisorForcedDelegation : 0
        tlb = .allocate(capacity: TranslationContext.count * TLBEntry.entriesPerContext)
        tlb.initialize(repeating: TLBEntry.empty, count: TranslationContext.count * TLBEntry.entriesPerContext)
        blocks = BlockCache(ramSize: bus.ram.size, compileBlocks: configuration.compileBlocks && configuration.trace == nil)
        flushTLB()
        updateTranslationContexts()
    }

    deinit {
        x.deallocate()
        f.deallocate()
        tlb.deallocate()
        tlbTouched.release()
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
        virtualized = false
        h = HypervisorState()
        pendingTrapDetail = TrapDetail()
        mstatus = 0
        mie = 0; mipSoftware = 0; medeleg = 0; mideleg = forcedDelegation
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

    /// The effective mip: software bits, device lines, Sstc's comparison and (with H) the
    /// VS-level bits the hypervisor injects.
    var mip: UInt64 {
        var v = mipSoftware | interrupts.pending
        if menvcfg & Hart.STCE != 0 {
            v &= ~Hart.STIP
            if timebase.now >= stimecmp { v |= Hart.STIP }
        }
        if hasHypervisor { v |= virtualSupervisorPending }
        return v
    }

    /// The interrupt to take now, if any (§3.1.9, and the H spec's "Trap Cause Codes"): M-level
    /// interrupts first, then those delegated to HS, then those delegated on to VS; within a
    /// level, the order MEI, MSI, MTI, SEI, SSI, STI, SGEI, VSEI, VSSI, VSTI.
    func pendingInterrupt() -> UInt64? {
        let pending = mip & mie
        if pending == 0 { return nil }
        let machineEnabled = privilege != .machine || mstatus & Hart.MIE != 0
        // HS-level interrupts are always enabled below HS (in VS and VU), and in HS only with SIE.
        let supervisorEnabled = privilege == .user || virtualized || (privilege == .supervisor && mstatus & Hart.SIE != 0)
        let virtualEnabled = virtualized && (privilege == .user || h.vsstatus & Hart.SIE != 0)
        let toMachine = machineEnabled ? pending & ~mideleg : 0
        let toSupervisor = supervisorEnabled ? pending & mideleg & ~h.hideleg : 0
        let toVirtualSupervisor = virtualEnabled ? pending & mideleg & h.hideleg : 0
        for set in [toMachine, toSupervisor, toVirtualSupervisor] where set != 0 {
            for bit: UInt64 in [11, 3, 7, 9, 1, 5, 12, 10, 2, 6] where set & (1 << bit) != 0 { return bit }
        }
        return nil
    }

    // MARK: Traps

    /// Takes a trap (privileged spec §3.1.6.1, §3.3.1, §4.1.1 and the H spec's "Traps"):
    /// chooses M, HS or VS by medeleg/mideleg and hedeleg/hideleg, saves epc/cause/tval (and
    /// htval/htinst/GVA from `pendingTrapDetail`) and the interrupt-enable stack, and jumps to
    /// the trap vector.
    func takeTrap(cause: UInt64, tval: UInt64, epc: UInt64, interrupt: Bool) {
        let code = cause
        let detail = pendingTrapDetail
        pendingTrapDetail = TrapDetail()
        if interrupt { eventCounters.interrupts[Int(code & 63)] += 1 } else { eventCounters.exceptions[Int(code & 63)] += 1 }
        noteTrap(cause: code, interrupt: interrupt, value: tval, pc: epc)
        let delegated = privilege != .machine && ((interrupt ? mideleg : medeleg) >> code) & 1 != 0
        let toVirtual = delegated && virtualized && ((interrupt ? h.hideleg : h.hedeleg) >> code) & 1 != 0
        let mcauseValue = interrupt ? code | TrapCause.interruptFlag : code
        if let trace = configuration.trace {
            let target = toVirtual ? "VS" : delegated ? (hasHypervisor ? "HS" : "S") : "M"
            trace("trap: \(TrapCause.name(mcauseValue)) (cause \(code)) at pc=\(hex(epc)) tval=\(hex(tval)) -> \(target)")
        }
        // tval holds a guest virtual address for address exceptions raised by a guest access
        // (V=1) or by HLV/HSV on the guest's behalf.
        let guestVirtual = !interrupt && Hart.isAddressException(code) && (virtualized || detail.guestVirtualAddress)
        if configuration.hostOwnsSupervisor && !toVirtual {
            // The host is HS (and M): leave the guest exactly as it was and return to Swift.
            eventCounters.guestExits &+= 1
            guestExit = GuestExit(cause: code, interrupt: interrupt, value: tval,
                                  guestPhysicalAddressShifted: detail.guestPhysicalAddress, instruction: detail.instruction,
                                  pc: epc, privilege: privilege)
            pc = epc
            guestExitPending = true
            nextEventAt = 0
            return
        }
        reservationAddress = .max
        closePrivilegeInterval()
        if toVirtual {
            // VS-level interrupts arrive in the guest under their supervisor numbers (VSSI → SSI, …).
            let vsCode = interrupt && Hart.virtualSupervisorInterrupts & (1 << code) != 0 ? code - 1 : code
            enterVirtualSupervisor(code: vsCode, interrupt: interrupt, epc: epc, tval: tval)
        } else if delegated {
            eventCounters.trapsToSupervisor += 1
            supervisorCSRs.cause = mcauseValue
            supervisorCSRs.exceptionPC = epc
            supervisorCSRs.trapValue = tval
            if hasHypervisor {
                var hs = h.hstatus & ~(Hart.hstatusSPV | Hart.hstatusGVA)
                if virtualized {
                    hs |= Hart.hstatusSPV
                    hs = (hs & ~Hart.hstatusSPVP) | (privilege == .supervisor ? Hart.hstatusSPVP : 0)
                }
                if guestVirtual { hs |= Hart.hstatusGVA }
                h.hstatus = hs
                h.htval = detail.guestPhysicalAddress
                h.htinst = detail.instruction
            }
            var s = mstatus & ~(Hart.SPP | Hart.SPIE | Hart.SIE)
            if privilege == .supervisor { s |= Hart.SPP }
            if mstatus & Hart.SIE != 0 { s |= Hart.SPIE }
            mstatus = s
            privilege = .supervisor
            virtualized = false
            pc = vector(supervisorCSRs.trapVector, code: code, interrupt: interrupt)
        } else {
            eventCounters.trapsToMachine += 1
            mcause = mcauseValue
            mepc = epc
            mtval = tval
            var s = mstatus & ~(Hart.MPP | Hart.MPIE | Hart.MIE | Hart.MPV | Hart.GVA)
            s |= UInt64(privilege.rawValue) << Hart.MPPShift
            if mstatus & Hart.MIE != 0 { s |= Hart.MPIE }
            if hasHypervisor {
                if virtualized { s |= Hart.MPV }
                if guestVirtual { s |= Hart.GVA }
                h.mtval2 = detail.guestPhysicalAddress
                h.mtinst = detail.instruction
            }
            mstatus = s
            privilege = .machine
            virtualized = false
            pc = vector(mtvec, code: code, interrupt: interrupt)
        }
        updateTranslationContexts()
        nextEventAt = 0
    }

    func vector(_ tvec: UInt64, code: UInt64, interrupt: Bool) -> UInt64 {
        let base = tvec & ~3
        return (tvec & 3 == 1 && interrupt) ? base &+ 4 &* code : base
    }

    /// mret (§3.3.2): restore MIE from MPIE, privilege from MPP and V from MPV (when MPP is not
    /// M); MPRV clears when leaving M; MPV clears.
    func returnFromMachine() {
        let previous = Privilege(rawValue: UInt8((mstatus & Hart.MPP) >> Hart.MPPShift)) ?? .user
        let previousVirtual = previous != .machine && mstatus & Hart.MPV != 0
        var s = mstatus & ~(Hart.MIE | Hart.MPP | Hart.MPV)
        if mstatus & Hart.MPIE != 0 { s |= Hart.MIE }
        s |= Hart.MPIE
        if previous != .machine { s &= ~Hart.MPRV }
        mstatus = s
        closePrivilegeInterval()
        privilege = previous
        virtualized = previousVirtual
        pc = mepc
        updateTranslationContexts()
        nextEventAt = 0
    }

    /// sret (§4.1.1, H spec "Trap Return"): from HS (or M), restore SIE from SPIE, privilege from
    /// SPP and V from hstatus.SPV (which clears); from VS, the same through vsstatus with V kept.
    /// MPRV clears.
    func returnFromSupervisor() {
        closePrivilegeInterval()
        if virtualized {
            let previous: Privilege = h.vsstatus & Hart.SPP != 0 ? .supervisor : .user
            var s = h.vsstatus & ~(Hart.SIE | Hart.SPP)
            if h.vsstatus & Hart.SPIE != 0 { s |= Hart.SIE }
            s |= Hart.SPIE
            h.vsstatus = s
            privilege = previous
            pc = h.virtualSupervisorCSRs.exceptionPC
        } else {
            let previous: Privilege = mstatus & Hart.SPP != 0 ? .supervisor : .user
            var s = mstatus & ~(Hart.SIE | Hart.SPP | Hart.MPRV)
            if mstatus & Hart.SPIE != 0 { s |= Hart.SIE }
            s |= Hart.SPIE
            mstatus = s
            privilege = previous
            if hasHypervisor {
                virtualized = h.hstatus & Hart.hstatusSPV != 0
                h.hstatus &= ~Hart.hstatusSPV
            }
            pc = supervisorCSRs.exceptionPC
        }
        updateTranslationContexts()
        nextEventAt = 0
    }

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
        case CSR.cycle, CSR.mcycle: return retired &+ cycleOffset
        case CSR.instret, CSR.minstret: return retired &+ instretOffset
        case CSR.time: return virtualized ? timebase.now &+ h.htimedelta : timebase.now
        case CSR.hpmcounter3...CSR.hpmcounter31, CSR.mhpmcounter3...CSR.mhpmcounter31: return 0
        case CSR.mhpmevent3...CSR.mhpmevent31: return 0
        case CSR.sstatus: return SupervisorCSRs.statusRead(mstatus & SupervisorCSRs.statusWritable)
        case CSR.sie: return mie & SupervisorCSRs.interruptMask(delegated: mideleg)
        case CSR.sip: return mip & SupervisorCSRs.interruptMask(delegated: mideleg)
        case CSR.stvec, CSR.scounteren, CSR.senvcfg, CSR.sscratch, CSR.sepc, CSR.scause, CSR.stval, CSR.stimecmp, CSR.satp:
            return supervisorCSRs.read(number)
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
        default: return readHypervisorCSR(number)
        }
    }

    func statusValue() -> UInt64 {
        var s = mstatus | Hart.UXL64 | Hart.SXL64
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
        case CSR.sstatus: writeStatus((mstatus & ~SupervisorCSRs.statusWritable) | SupervisorCSRs.legalStatus(value))
        case CSR.sie:
            let writable = SupervisorCSRs.interruptMask(delegated: mideleg)
            mie = (mie & ~writable) | (value & writable)
        case CSR.sip:
            let writable = SupervisorCSRs.interruptPendingWritable(delegated: mideleg)
            mipSoftware = (mipSoftware & ~writable) | (value & writable)
        case CSR.satp: writeSATP(value)
        case CSR.stvec, CSR.scounteren, CSR.senvcfg, CSR.sscratch, CSR.sepc, CSR.scause, CSR.stval, CSR.stimecmp:
            _ = supervisorCSRs.write(number, value)
        case CSR.mstatus: writeStatus(value)
        case CSR.misa: break // WARL, fixed here
        case CSR.medeleg: medeleg = value & (Hart.delegableExceptions | (hasHypervisor ? Hart.hypervisorExceptions : 0))
        case CSR.mideleg: mideleg = value & Hart.supervisorInterrupts | forcedDelegation
        case CSR.mie: mie = value & (Hart.allInterrupts | (hasHypervisor ? Hart.hypervisorInterrupts : 0))
        case CSR.mtvec: mtvec = SupervisorCSRs.legalTrapVector(value)
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
            // With H, mip.VSSIP is an alias of hvip.VSSIP.
            if hasHypervisor { h.hvip = (h.hvip & ~Hart.VSSIP) | (value & Hart.VSSIP) }
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
        if (v & Hart.MPP) >> Hart.MPPShift == 2 { v = (v & ~Hart.MPP) | (mstatus & Hart.MPP) }
        let flush = (v ^ mstatus) & Hart.MXR != 0
        mstatus = v
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
        mstatus |= Hart.FS
        if virtualized { h.vsstatus |= Hart.FS }
    }
}
