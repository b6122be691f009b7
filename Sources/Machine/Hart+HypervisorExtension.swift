import RISCV

/// The H extension's registers (privileged spec, chapter "Hypervisor Extension", version 1.0):
/// the HS-level hypervisor CSRs and the VS-level copies of the supervisor CSRs that stand in
/// for them while V=1. The fields hold only writable bits; read-only fields are added on read.
struct HypervisorState {
    var hstatus: UInt64 = 0
    var hedeleg: UInt64 = 0, hideleg: UInt64 = 0
    /// VSSIP, VSTIP and VSEIP as the hypervisor injects them (bits 2, 6, 10).
    var hvip: UInt64 = 0
    var hcounteren: UInt64 = 0
    var henvcfg: UInt64 = 0
    var htimedelta: UInt64 = 0
    var htval: UInt64 = 0, htinst: UInt64 = 0
    var hgatp: UInt64 = 0
    var vsstatus: UInt64 = 0
    /// vstvec, vsscratch, vsepc, vscause, vstval, vsatp and vstimecmp: the supervisor CSRs'
    /// formats and rules (SupervisorCSRs.swift). Its scounteren and senvcfg are unused: the H
    /// extension gives them no VS copies.
    var virtualSupervisorCSRs = SupervisorCSRs()
    var vsatp: UInt64 { virtualSupervisorCSRs.addressTranslation }
    var vstimecmp: UInt64 {
        get { virtualSupervisorCSRs.timerCompare }
        set { virtualSupervisorCSRs.timerCompare = newValue }
    }
    var mtval2: UInt64 = 0, mtinst: UInt64 = 0
}

/// Why a CSR access or privileged instruction cannot execute: illegal instruction (cause 2)
/// or, while V=1 for an operation HS-mode could perform, virtual instruction (cause 22).
enum PrivilegeFault: Error {
    case illegal, virtualInstruction
    var cause: UInt64 { self == .illegal ? TrapCause.illegalInstruction : TrapCause.virtualInstruction }
}

extension Hart {
    // hstatus fields (H spec §"Hypervisor Status Register").
    static let hstatusGVA: UInt64 = 1 << 6, hstatusSPV: UInt64 = 1 << 7, hstatusSPVP: UInt64 = 1 << 8
    static let hstatusHU: UInt64 = 1 << 9, hstatusVTVM: UInt64 = 1 << 20, hstatusVTW: UInt64 = 1 << 21
    static let hstatusVTSR: UInt64 = 1 << 22
    /// VSXL is fixed at 64 bits; VGEIN is zero because GEILEN is 0 (no guest external interrupt files).
    static let hstatusVSXL64: UInt64 = 2 << 32
    static let hstatusWritable: UInt64 = hstatusGVA | hstatusSPV | hstatusSPVP | hstatusHU | hstatusVTVM | hstatusVTW | hstatusVTSR
    // mstatus fields the H extension adds (RV64: in mstatus itself).
    static let GVA: UInt64 = 1 << 38, MPV: UInt64 = 1 << 39
    // VS-level interrupt bits in mip/mie/hip/hie, and the guest external one.
    static let VSSIP: UInt64 = 1 << 2, VSTIP: UInt64 = 1 << 6, VSEIP: UInt64 = 1 << 10, SGEIP: UInt64 = 1 << 12
    static let virtualSupervisorInterrupts: UInt64 = VSSIP | VSTIP | VSEIP
    /// With H, mideleg's VS-level bits are read-only one: those interrupts always leave M (SGEI
    /// would be too, but GEILEN is 0 here).
    static let hypervisorForcedDelegation: UInt64 = virtualSupervisorInterrupts
    /// The bits hie and hip show: the VS-level ones and SGEI (whose enable is writable, as on QEMU,
    /// though with GEILEN = 0 it never becomes pending).
    static let hypervisorInterrupts: UInt64 = virtualSupervisorInterrupts | SGEIP
    /// Exceptions hedeleg may pass on to VS-mode: not ecalls from HS/VS/M, guest-page faults
    /// or virtual-instruction exceptions, which only the hypervisor can handle.
    static let hypervisorDelegableExceptions: UInt64 = 0xb1ff
    /// Exceptions that exist only with H, which medeleg may delegate to HS.
    static let hypervisorExceptions: UInt64 = 1 << 10 | 0xf << 20
    // Address-translation register fields (satp, vsatp, hgatp).
    static let atpModeShift: UInt64 = 60
    static let atpPPNMask: UInt64 = (1 << 44) - 1
    /// hgatp.VMID: 14 bits (VMIDLEN's maximum for RV64).
    static let hgatpVMIDMask: UInt64 = 0x3fff << 44

    var hasHypervisor: Bool { configuration.hypervisor }

    /// The interrupt-pending bits the hypervisor injects or Sstc's vstimecmp raises (hip's VS bits).
    func virtualSupervisorPending(at now: UInt64) -> UInt64 {
        var v = h.hvip
        if m.menvcfg & Hart.STCE != 0 && h.henvcfg & Hart.STCE != 0 && now &+ h.htimedelta >= h.vstimecmp {
            v |= Hart.VSTIP
        }
        return v
    }

    /// The mtime at which vstimecmp fires, when it is armed.
    var virtualTimerDeadline: UInt64 {
        guard hasHypervisor, m.menvcfg & Hart.STCE != 0, h.henvcfg & Hart.STCE != 0, h.vstimecmp != .max else { return .max }
        return h.vstimecmp >= h.htimedelta ? h.vstimecmp &- h.htimedelta : 0
    }

    /// Which privilege an access to CSR `number` needs, counting HS-mode as level 2 (CSR
    /// addresses 0x2xx and 0x6xx are the hypervisor's, §2.1).
    var csrLevel: UInt8 {
        switch privilege {
        case .machine: return 3
        case .supervisor: return virtualized ? 1 : (hasHypervisor ? 2 : 1)
        case .user: return 0
        }
    }

    /// The V=1 stand-in for a supervisor CSR (H spec: "when V=1, the VS CSRs substitute for
    /// the corresponding supervisor CSRs").
    func virtualAlias(_ number: UInt16) -> UInt16 {
        switch number {
        case CSR.sstatus: return CSR.vsstatus
        case CSR.sie: return CSR.vsie
        case CSR.stvec: return CSR.vstvec
        case CSR.sscratch: return CSR.vsscratch
        case CSR.sepc: return CSR.vsepc
        case CSR.scause: return CSR.vscause
        case CSR.stval: return CSR.vstval
        case CSR.sip: return CSR.vsip
        case CSR.stimecmp: return CSR.vstimecmp
        case CSR.satp: return CSR.vsatp
        default: return number
        }
    }

    /// Checks an access to CSR `number` at the current privilege and V (§2.1, the Sstc spec and
    /// the H spec's list of virtual-instruction cases) and returns the CSR actually accessed.
    /// Whether the CSR exists is left to the read or write that follows (each refuses an unknown
    /// number as illegal), except where it decides the exception: reading a value here too cost
    /// every trapped CSR access a second CSR read (and `time` a second clock read).
    func checkCSRAccess(_ number: UInt16, write: Bool) throws(PrivilegeFault) -> UInt16 {
        let required = UInt8((number >> 8) & 3)
        if required > csrLevel {
            // From VS or VU, what HS-mode could access is a virtual-instruction exception.
            if virtualized && required <= 2 && readCSRValue(number) != nil { throw .virtualInstruction }
            throw .illegal
        }
        if write && number >> 10 == 3 { throw .illegal }
        if number >= CSR.cycle && number <= CSR.hpmcounter31 {
            let bit = UInt64(number - CSR.cycle)
            if privilege != .machine && (m.mcounteren >> bit) & 1 == 0 { throw .illegal }
            if virtualized && (h.hcounteren >> bit) & 1 == 0 { throw .virtualInstruction }
            if privilege == .user && (scounteren >> bit) & 1 == 0 { throw virtualized ? .virtualInstruction : .illegal }
        }
        if number == CSR.fflags || number == CSR.frm || number == CSR.fcsr {
            if !floatingPointEnabled { throw .illegal }
        }
        if privilege == .supervisor && !virtualized {
            if (number == CSR.satp || number == CSR.hgatp) && m.mstatus & Hart.TVM != 0 { throw .illegal }
            if (number == CSR.stimecmp || number == CSR.vstimecmp) && m.menvcfg & Hart.STCE == 0 { throw .illegal }
        }
        guard virtualized else { return number }
        if number == CSR.satp && h.hstatus & Hart.hstatusVTVM != 0 { throw .virtualInstruction }
        if number == CSR.stimecmp {
            if m.menvcfg & Hart.STCE == 0 { throw .illegal }
            if h.henvcfg & Hart.STCE == 0 { throw .virtualInstruction }
        }
        return virtualAlias(number)
    }

    /// Reads the H extension's CSRs; nil for any other number (or without H).
    func readHypervisorCSR(_ number: UInt16) -> UInt64? {
        guard hasHypervisor else { return nil }
        switch number {
        case CSR.hstatus: return h.hstatus | Hart.hstatusVSXL64
        case CSR.hedeleg: return h.hedeleg
        case CSR.hideleg: return h.hideleg
        case CSR.hie: return m.mie & Hart.hypervisorInterrupts
        case CSR.hip: return mip & Hart.hypervisorInterrupts
        case CSR.hvip: return h.hvip
        case CSR.hgeip, CSR.hgeie: return 0
        case CSR.hcounteren: return h.hcounteren
        case CSR.henvcfg: return h.henvcfg & (m.menvcfg & Hart.STCE | ~Hart.STCE)
        case CSR.htimedelta: return h.htimedelta
        case CSR.htval: return h.htval
        case CSR.htinst: return h.htinst
        case CSR.hgatp: return h.hgatp
        case CSR.vsstatus: return SupervisorCSRs.statusRead(h.vsstatus)
        case CSR.vsie: return virtualView(of: m.mie)
        case CSR.vsip: return virtualView(of: mip)
        case CSR.vstvec, CSR.vsscratch, CSR.vsepc, CSR.vscause, CSR.vstval, CSR.vsatp, CSR.vstimecmp:
            return h.virtualSupervisorCSRs.read(number - SupervisorCSRs.virtualNumberOffset)
        case CSR.mtval2: return h.mtval2
        case CSR.mtinst: return h.mtinst
        default: return nil
        }
    }

    /// Writes the H extension's CSRs; false for any other number (or without H).
    func writeHypervisorCSR(_ number: UInt16, _ value: UInt64) -> Bool {
        guard hasHypervisor else { return false }
        switch number {
        case CSR.hstatus: h.hstatus = value & Hart.hstatusWritable
        case CSR.hedeleg: h.hedeleg = value & Hart.hypervisorDelegableExceptions
        case CSR.hideleg: h.hideleg = value & Hart.virtualSupervisorInterrupts
        case CSR.hie: m.mie = (m.mie & ~Hart.hypervisorInterrupts) | (value & Hart.hypervisorInterrupts)
        case CSR.hip: h.hvip = (h.hvip & ~Hart.VSSIP) | (value & Hart.VSSIP)
        case CSR.hvip: h.hvip = value & Hart.virtualSupervisorInterrupts
        case CSR.hgeip: break
        case CSR.hgeie: break
        case CSR.hcounteren: h.hcounteren = value & 0xffff_ffff
        case CSR.henvcfg: h.henvcfg = value & (Hart.STCE | 1)
        case CSR.htimedelta: h.htimedelta = value
        case CSR.htval: h.htval = value
        case CSR.htinst: h.htinst = value
        case CSR.hgatp:
            // Bare, Sv39x4 and Sv48x4; another mode leaves hgatp unchanged. The root table is
            // 16 KiB-aligned, so PPN bits 1:0 read as zero.
            let mode = value >> Hart.atpModeShift
            guard mode == 0 || mode == 8 || mode == 9 else { break }
            h.hgatp = value & (0xf << Hart.atpModeShift | Hart.hgatpVMIDMask | (Hart.atpPPNMask & ~3))
            flushTLB()
        case CSR.vsstatus:
            let flush = (value ^ h.vsstatus) & Hart.MXR != 0
            h.vsstatus = SupervisorCSRs.legalStatus(value)
            if flush { flushTLB() }
            updateTranslationContexts()
        case CSR.vsie:
            // sie's rule in the VS bit positions (one above the S ones).
            let writable = SupervisorCSRs.interruptMask(delegated: h.hideleg >> 1) << 1
            m.mie = (m.mie & ~writable) | ((value << 1) & writable)
        case CSR.vsip:
            let writable = SupervisorCSRs.interruptPendingWritable(delegated: h.hideleg >> 1) << 1
            h.hvip = (h.hvip & ~writable) | ((value << 1) & writable)
        case CSR.vsatp:
            guard let legal = SupervisorCSRs.legalATP(value) else { break }
            h.virtualSupervisorCSRs.addressTranslation = legal
            flushTLB(keepingGuestStage: true)
        case CSR.vstvec, CSR.vsscratch, CSR.vsepc, CSR.vscause, CSR.vstval, CSR.vstimecmp:
            _ = h.virtualSupervisorCSRs.write(number - SupervisorCSRs.virtualNumberOffset, value)
        case CSR.mtval2: h.mtval2 = value
        case CSR.mtinst: h.mtinst = value
        default: return false
        }
        return true
    }

    /// vsip/vsie: the VS-level bits the hypervisor delegated (hideleg), shifted down to the
    /// supervisor positions a guest kernel expects (VSSIP→SSIP, VSTIP→STIP, VSEIP→SEIP).
    func virtualView(of bits: UInt64) -> UInt64 {
        (bits >> 1) & SupervisorCSRs.interruptMask(delegated: h.hideleg >> 1)
    }

    /// F and D are usable only when mstatus.FS and, with V=1, vsstatus.FS are both on.
    @inline(__always)  // every F/D op and FP load or store asks; out of line it cost nbody 5% (callgrind)
    var floatingPointEnabled: Bool {
        m.mstatus & Hart.FS != 0 && (!virtualized || h.vsstatus & Hart.FS != 0)
    }

    /// The guest-physical-address and transformed-instruction values that go with a trap into
    /// HS or M (htval/mtval2, htinst/mtinst). Cleared once a trap has consumed them.
    struct TrapDetail {
        var guestPhysicalAddress: UInt64 = 0
        var instruction: UInt64 = 0
        /// tval holds a guest virtual address (hstatus.GVA / mstatus.GVA).
        var guestVirtualAddress = false
    }

    /// Whether `cause` reports an address in tval (misaligned, access, page and guest-page faults).
    static func isAddressException(_ cause: UInt64) -> Bool {
        switch cause {
        case 0, 1, 4, 5, 6, 7, 12, 13, 15, 20, 21, 23: return true
        default: return false
        }
    }
}

// MARK: Faults and the hypervisor instructions

extension Hart {
    static func isExplicitGuestPageFault(_ cause: UInt64) -> Bool {
        cause == TrapCause.loadGuestPageFault || cause == TrapCause.storeGuestPageFault
    }

    static func isGuestPageFault(_ cause: UInt64) -> Bool {
        isExplicitGuestPageFault(cause) || cause == TrapCause.instructionGuestPageFault
    }

    /// Keeps what a guest-page fault reports beyond tval: the guest physical address (htval and
    /// mtval2 hold it shifted right by 2) and, for a VS-stage PTE access, the pseudoinstruction.
    func noteGuestFault(_ error: TranslationFault) {
        guard Hart.isGuestPageFault(error.cause) else { return }
        pendingTrapDetail.guestPhysicalAddress = error.guestPhysicalAddress >> 2
        pendingTrapDetail.instruction = error.implicitAccessInstruction
    }

    /// Records the exception a failed load or store raises (tval = the address it used).
    func recordAccessFault(_ error: TranslationFault, va: UInt64) {
        pendingTrapCause = error.cause
        pendingTrapValue = va
        noteGuestFault(error)
    }

    /// The transformed instruction htinst/mtinst report for a guest-page fault on an explicit
    /// access (H spec, "Transformed Instruction or Pseudoinstruction for mtinst or htinst"): the
    /// access's 32-bit encoding with its immediate cleared and the rs1 field replaced by the
    /// faulting address's offset from the access's base; bit 1 clear if the original was compressed.
    func transformedInstruction(_ op: Instruction, faultAddress: UInt64) -> UInt64 {
        let rd = op.rd == Instruction.discard ? 0 : UInt64(op.rd)
        let rs2 = UInt64(op.rs2)
        // SAFETY: rs1 is a decoded 5-bit register field (< 32), within `x`'s 39 slots.
        let displaced = x[Int(op.rs1)] &+ UInt64(bitPattern: Int64(op.imm))
        let encoded: UInt64, base: UInt64
        switch op.op {
        case .lb: encoded = 0x03 | rd << 7; base = displaced
        case .lh: encoded = 0x03 | rd << 7 | 1 << 12; base = displaced
        case .lw: encoded = 0x03 | rd << 7 | 2 << 12; base = displaced
        case .ld: encoded = 0x03 | rd << 7 | 3 << 12; base = displaced
        case .lbu: encoded = 0x03 | rd << 7 | 4 << 12; base = displaced
        case .lhu: encoded = 0x03 | rd << 7 | 5 << 12; base = displaced
        case .lwu: encoded = 0x03 | rd << 7 | 6 << 12; base = displaced
        case .flw: encoded = 0x07 | rd << 7 | 2 << 12; base = displaced
        case .fld: encoded = 0x07 | rd << 7 | 3 << 12; base = displaced
        case .sb: encoded = 0x23 | rs2 << 20; base = displaced
        case .sh: encoded = 0x23 | 1 << 12 | rs2 << 20; base = displaced
        case .sw: encoded = 0x23 | 2 << 12 | rs2 << 20; base = displaced
        case .sd: encoded = 0x23 | 3 << 12 | rs2 << 20; base = displaced
        case .fsw: encoded = 0x27 | 2 << 12 | rs2 << 20; base = displaced
        case .fsd: encoded = 0x27 | 3 << 12 | rs2 << 20; base = displaced
        case .lr_w, .lr_d, .sc_w, .sc_d, .amoswap_w, .amoadd_w, .amoxor_w, .amoand_w, .amoor_w, .amomin_w,
             .amomax_w, .amominu_w, .amomaxu_w, .amoswap_d, .amoadd_d, .amoxor_d, .amoand_d, .amoor_d,
             .amomin_d, .amomax_d, .amominu_d, .amomaxu_d,
             .hlv_b, .hlv_bu, .hlv_h, .hlv_hu, .hlvx_hu, .hlv_w, .hlvx_wu, .hlv_wu, .hlv_d,
             .hsv_b, .hsv_h, .hsv_w, .hsv_d:
            // SAFETY: as above, rs1 < 32.
            encoded = UInt64(op.raw) & ~(0x1f << 15); base = x[Int(op.rs1)]
        default:
            return 0
        }
        let transformed = encoded | ((faultAddress &- base) & 0x1f) << 15
        return op.raw & 3 == 3 ? transformed | 3 : (transformed & ~2) | 1
    }

    /// Whether sret, wfi or sfence.vma may run: `trappedBy` is the mstatus bit that traps it in
    /// HS-mode (TSR, TW, TVM), `virtualTrap` the hstatus bit that traps it in VS-mode (VTSR,
    /// VTW, VTVM). mstatus.TW alone also applies below HS.
    func supervisorInstructionFault(trappedBy bit: UInt64, virtualTrap virtualBit: UInt64) -> PrivilegeFault? {
        let waitTrapped = bit == Hart.TW && m.mstatus & Hart.TW != 0
        switch privilege {
        case .machine: return nil
        case .supervisor where !virtualized: return m.mstatus & bit != 0 ? .illegal : nil
        case .supervisor:
            if waitTrapped { return .illegal }
            return h.hstatus & virtualBit != 0 ? .virtualInstruction : nil
        case .user:
            if !virtualized || waitTrapped { return .illegal }
            return .virtualInstruction
        }
    }

    /// The hypervisor instructions as far as their privilege rules tell them apart.
    enum HypervisorInstruction {
        case fenceVVMA, fenceGVMA, virtualMachineAccess
    }

    /// Whether a hypervisor instruction (HLV, HLVX, HSV, HFENCE) may run: in M and HS (HFENCE.GVMA
    /// not with mstatus.TVM), in U only the loads and stores and only with hstatus.HU; from VS or
    /// VU it is a virtual-instruction exception. The interpreter's cases pass the kind as a
    /// constant rather than the op they dispatched on: an op read kept live past the dispatch
    /// cost every dispatch one more host instruction (+2% of the interpreter's instructions).
    func hypervisorInstructionFault(_ kind: HypervisorInstruction) -> PrivilegeFault? {
        guard hasHypervisor else { return .illegal }
        if virtualized { return .virtualInstruction }
        switch privilege {
        case .machine: return nil
        case .supervisor: return kind == .fenceGVMA && m.mstatus & Hart.TVM != 0 ? .illegal : nil
        case .user:
            if kind != .virtualMachineAccess { return .illegal }
            return h.hstatus & Hart.hstatusHU != 0 ? nil : .illegal
        }
    }

    /// HLV, HLVX and HSV: a load or store made as though V=1 at privilege hstatus.SPVP, with
    /// vsstatus.SUM/MXR, through both stages. HLVX needs execute, not read, permission. Faults
    /// report the guest virtual address (GVA=1). False after recording a fault.
    func executeHypervisorAccess(_ op: Instruction) -> Bool {
        // SAFETY: rs1 and rs2 are decoded 5-bit register fields (< 32) and rd is one too or the
        // discard slot (32): all within `x`'s 39 slots.
        let va = x[Int(op.rs1)]
        let nominal: Privilege = h.hstatus & Hart.hstatusSPVP != 0 ? .supervisor : .user
        let context = translationContext(nominal, virtual: true)
        do {
            switch op.op {
            case .hsv_b, .hsv_h, .hsv_w, .hsv_d:
                let width: UInt64 = op.op == .hsv_b ? 1 : op.op == .hsv_h ? 2 : op.op == .hsv_w ? 4 : 8
                try hypervisorStore(va, width: width, value: x[Int(op.rs2)], context: context, privilege: nominal)
            default:
                let (width, signed): (UInt64, Bool)
                switch op.op {
                case .hlv_b: (width, signed) = (1, true)
                case .hlv_bu: (width, signed) = (1, false)
                case .hlv_h: (width, signed) = (2, true)
                case .hlv_hu, .hlvx_hu: (width, signed) = (2, false)
                case .hlv_w: (width, signed) = (4, true)
                case .hlv_wu, .hlvx_wu: (width, signed) = (4, false)
                default: (width, signed) = (8, false)
                }
                let executable = op.op == .hlvx_hu || op.op == .hlvx_wu
                var v = try hypervisorLoad(va, width: width, context: context, privilege: nominal, executable: executable)
                if signed {
                    let shift = 64 - 8 * width
                    v = UInt64(bitPattern: Int64(bitPattern: v << shift) >> Int64(shift))
                }
                // SAFETY: rd < 33, as said at the top of this function.
                x[Int(op.rd)] = v
            }
            return true
        } catch {
            recordAccessFault(error, va: va)
            pendingTrapDetail.guestVirtualAddress = true
            return false
        }
    }

    private func hypervisorLoad(_ va: UInt64, width: UInt64, context: TranslationContext, privilege nominal: Privilege,
                                executable: Bool) throws(TranslationFault) -> UInt64 {
        if (va & 0xfff) + width > 4096 {
            var v: UInt64 = 0
            for i in 0..<width {
                v |= try hypervisorLoad(va &+ i, width: 1, context: context, privilege: nominal, executable: executable) << (8 * i)
            }
            return v
        }
        let pa: UInt64
        do {
            pa = try translate(va, executable ? .fetch : .read, context: context).pa
        } catch {
            // HLVX checks execute permission but is a load: it raises load faults.
            var fault = TranslationFault(cause: Hart.asLoadCause(error.cause), guestPhysicalAddress: error.guestPhysicalAddress)
            fault.implicitAccessInstruction = error.implicitAccessInstruction
            throw fault
        }
        guard pmpAllows(pa, width: width, .read, privilege: nominal) else { throw TranslationFault(cause: TrapCause.loadAccessFault) }
        if memory.contains(pa, length: width) { return memory.load(pa, width: Int(width))! }
        guard va & (width - 1) == 0, let v = mmioRead(pa, width: width) else { throw TranslationFault(cause: TrapCause.loadAccessFault) }
        return v
    }

    private func hypervisorStore(_ va: UInt64, width: UInt64, value: UInt64, context: TranslationContext,
                                 privilege nominal: Privilege) throws(TranslationFault) {
        if (va & 0xfff) + width > 4096 {
            // Translate both pages first so a fault leaves memory unchanged.
            _ = try translate(va, .write, context: context)
            _ = try translate(va &+ width &- 1, .write, context: context)
            for i in 0..<width { try hypervisorStore(va &+ i, width: 1, value: value >> (8 * i), context: context, privilege: nominal) }
            return
        }
        let pa = try translate(va, .write, context: context).pa
        guard pmpAllows(pa, width: width, .write, privilege: nominal) else { throw TranslationFault(cause: TrapCause.storeAccessFault) }
        if memory.contains(pa, length: width) {
            noteWrite(physical: pa, width: width)
            memory.store(pa, width: Int(width), value: value)
            if reservationAddress == pa { reservationAddress = .max }
            return
        }
        guard va & (width - 1) == 0, mmioWrite(pa, width: width, value: value) else { throw TranslationFault(cause: TrapCause.storeAccessFault) }
    }

    /// The load-side cause for a fault raised by an execute-permission check (HLVX).
    static func asLoadCause(_ cause: UInt64) -> UInt64 {
        switch cause {
        case TrapCause.instructionPageFault: return TrapCause.loadPageFault
        case TrapCause.instructionGuestPageFault: return TrapCause.loadGuestPageFault
        case TrapCause.instructionAccessFault: return TrapCause.loadAccessFault
        default: return cause
        }
    }
}
