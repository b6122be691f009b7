import RISCV

extension Hart {
    // MARK: Interrupts

    /// The effective mip: software bits, device lines, Sstc's comparison and (with H) the
    /// VS-level bits the hypervisor injects.
    var mip: UInt64 { mip(at: timebase.now) }

    /// The effective mip when `mtime` reads `now`: the event loop reads the clock once and asks
    /// with it, since a clock read costs about as much as a hundred guest instructions.
    @inline(__always)
    func mip(at now: UInt64) -> UInt64 {
        var v = m.mipSoftware | interrupts.pending
        if m.menvcfg & Hart.STCE != 0 {
            v &= ~Hart.STIP
            if now >= stimecmp { v |= Hart.STIP }
        }
        if hasHypervisor { v |= virtualSupervisorPending(at: now) }
        return v
    }

    /// The interrupt to take now, if any (§3.1.9, and the H spec's "Trap Cause Codes"): M-level
    /// interrupts first, then those delegated to HS, then those delegated on to VS; within a
    /// level, the order MEI, MSI, MTI, SEI, SSI, STI, SGEI, VSEI, VSSI, VSTI.
    func pendingInterrupt(at now: UInt64) -> UInt64? {
        let pending = mip(at: now) & m.mie
        if pending == 0 { return nil }
        let machineEnabled = privilege != .machine || m.mstatus & Hart.MIE != 0
        // HS-level interrupts are always enabled below HS (in VS and VU), and in HS only with SIE.
        let supervisorEnabled = privilege == .user || virtualized || (privilege == .supervisor && m.mstatus & Hart.SIE != 0)
        let virtualEnabled = virtualized && (privilege == .user || h.vsstatus & Hart.SIE != 0)
        let toMachine = machineEnabled ? pending & ~m.mideleg : 0
        let toSupervisor = supervisorEnabled ? pending & m.mideleg & ~h.hideleg : 0
        let toVirtualSupervisor = virtualEnabled ? pending & m.mideleg & h.hideleg : 0
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
        // A debugger's breakpoint or watchpoint (Hart+Debug.swift): the hart stops instead.
        if cause == TrapCause.breakpoint && !interrupt && debugger != nil && debugBreakpointHit(at: epc) { return }
        if interrupt { eventCounters.interrupts[Int(code & 63)] += 1 } else { eventCounters.exceptions[Int(code & 63)] += 1 }
        noteTrap(cause: code, interrupt: interrupt, value: tval, pc: epc)
        let delegated = privilege != .machine && ((interrupt ? m.mideleg : m.medeleg) >> code) & 1 != 0
        let toVirtual = delegated && virtualized && ((interrupt ? h.hideleg : h.hedeleg) >> code) & 1 != 0
        let mcauseValue = interrupt ? code | TrapCause.interruptFlag : code
        if let trace = configuration.trace ?? configuration.trapTrace {
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
            var s = m.mstatus & ~(Hart.SPP | Hart.SPIE | Hart.SIE)
            if privilege == .supervisor { s |= Hart.SPP }
            if m.mstatus & Hart.SIE != 0 { s |= Hart.SPIE }
            m.mstatus = s
            privilege = .supervisor
            virtualized = false
            pc = vector(supervisorCSRs.trapVector, code: code, interrupt: interrupt)
        } else {
            eventCounters.trapsToMachine += 1
            m.mcause = mcauseValue
            m.mepc = epc
            m.mtval = tval
            var s = m.mstatus & ~(Hart.MPP | Hart.MPIE | Hart.MIE | Hart.MPV | Hart.GVA)
            s |= UInt64(privilege.rawValue) << Hart.MPPShift
            if m.mstatus & Hart.MIE != 0 { s |= Hart.MPIE }
            if hasHypervisor {
                if virtualized { s |= Hart.MPV }
                if guestVirtual { s |= Hart.GVA }
                h.mtval2 = detail.guestPhysicalAddress
                h.mtinst = detail.instruction
            }
            m.mstatus = s
            privilege = .machine
            virtualized = false
            pc = vector(m.mtvec, code: code, interrupt: interrupt)
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
        let previous = Privilege(rawValue: UInt8((m.mstatus & Hart.MPP) >> Hart.MPPShift)) ?? .user
        let previousVirtual = previous != .machine && m.mstatus & Hart.MPV != 0
        var s = m.mstatus & ~(Hart.MIE | Hart.MPP | Hart.MPV)
        if m.mstatus & Hart.MPIE != 0 { s |= Hart.MIE }
        s |= Hart.MPIE
        if previous != .machine { s &= ~Hart.MPRV }
        m.mstatus = s
        closePrivilegeInterval()
        privilege = previous
        virtualized = previousVirtual
        pc = m.mepc
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
            let previous: Privilege = m.mstatus & Hart.SPP != 0 ? .supervisor : .user
            var s = m.mstatus & ~(Hart.SIE | Hart.SPP | Hart.MPRV)
            if m.mstatus & Hart.SPIE != 0 { s |= Hart.SIE }
            s |= Hart.SPIE
            m.mstatus = s
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

    /// A trap into VS-mode (H spec, "Trap Entry"): vscause/vsepc/vstval, vsstatus's SPP, SPIE and
    /// SIE, then VS-mode at vstvec; V stays 1. The caller has closed the privilege interval.
    func enterVirtualSupervisor(code: UInt64, interrupt: Bool, epc: UInt64, tval: UInt64) {
        eventCounters.trapsToVirtualSupervisor += 1
        h.virtualSupervisorCSRs.cause = interrupt ? code | TrapCause.interruptFlag : code
        h.virtualSupervisorCSRs.exceptionPC = epc
        h.virtualSupervisorCSRs.trapValue = tval
        var s = h.vsstatus & ~(Hart.SPP | Hart.SPIE | Hart.SIE)
        if privilege == .supervisor { s |= Hart.SPP }
        if h.vsstatus & Hart.SIE != 0 { s |= Hart.SPIE }
        h.vsstatus = s
        privilege = .supervisor
        pc = vector(h.virtualSupervisorCSRs.trapVector, code: code, interrupt: interrupt)
    }
}
