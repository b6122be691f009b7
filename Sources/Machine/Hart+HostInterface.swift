/// The host's controls for a guest that runs deprivileged on a hart without V (a para-virtual
/// kernel in U-mode, Xen's PV guests): the host, not a trap vector, decides where the guest
/// resumes and under which page table.
extension Hart {
    /// Resumes the guest in U-mode (V = 0) at `pc`, translating through `satp` (whose root the
    /// host has validated). Cached translations of the previous address space are dropped.
    public func enterDeprivileged(pc newPC: UInt64, satp newSATP: UInt64) {
        closePrivilegeInterval()
        privilege = .user
        virtualized = false
        satp = newSATP
        pc = newPC
        waitingForInterrupt = false
        reservationAddress = .max
        flushTLB()
        updateTranslationContexts()
        nextEventAt = 0
    }

    /// Drops every cached translation, as sfence.vma would (after the host changed page tables
    /// the hart may have cached).
    public func hostFlushTranslations() {
        flushTLB()
        nextEventAt = 0
    }
}
