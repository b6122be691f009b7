/// One kind of event a domain counts, by its report key ("vmexit.sbi", "trap.reflected.8"):
/// a slot in one fixed table, so counting an event on an exit path is an array increment rather
/// than a string built, hashed and looked up (issue 22). Reports see the same keys as before
/// through `Domain.events`, which is built from the table when it is read.
struct DomainEvent: Equatable {
    let slot: Int

    /// Every key with a slot: the fixed ones, then the per-cause families, the SBI extensions
    /// and the hypercalls.
    static let names: [String] = {
        var names = fixed
        for family in causeFamilies { names += (0 ..< causeLimit).map { "\(family)\($0)" } }
        names += sbiExtensions.map { "sbi." + GuestSBI.name($0) }
        names += HypercallABI.Function.allCases.map { "hypercall." + HypercallABI.call($0).name }
        return names
    }()
    static let slots: [String: Int] = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })

    private static let fixed = [
        "vmexit.sbi", "vmexit.mmio", "vmexit.interrupt", "vmexit.guest-page-fault", "vmexit.wfi", "vmexit.virtual-instruction",
        "mmio.accesses", "mmio.bad-access", "trap.sbi", "trap.mmio", "trap.sret", "trap.wfi", "trap.sfence.vma",
        "trap.csrr", "trap.csrw", "trap.csrs", "trap.csrc", "shadow.fault", "shadow.resync", "shadow.write-protect",
        "hypercall.sbi", "hypercall.unknown",
    ]
    /// Keys made of a prefix and a trap cause or interrupt code (exception causes and interrupt
    /// codes are below 64 on RV64); a larger one is counted under its key outside the table.
    private static let causeFamilies = ["trap.reflected.", "trap.interrupt.", "vmexit.reflected.cause-"]
    private static let causeLimit = 64
    private static let sbiExtensions: [UInt64] = [
        GuestSBI.legacySetTimer, GuestSBI.legacyPutchar, GuestSBI.legacyGetchar, GuestSBI.legacyShutdown, GuestSBI.base,
        GuestSBI.time, GuestSBI.ipi, GuestSBI.rfence, GuestSBI.hsm, GuestSBI.srst, GuestSBI.dbcn, .max, // .max: "sbi.unknown"
    ]

    /// The event named `name` (a key in `names`; for the static lets below).
    private init(_ name: String) {
        guard let slot = DomainEvent.slots[name] else { preconditionFailure("no event slot for \(name)") }
        self.slot = slot
    }

    fileprivate init(slot: Int) { self.slot = slot }

    static let vmexitSBI = DomainEvent("vmexit.sbi"), vmexitMMIO = DomainEvent("vmexit.mmio")
    static let vmexitInterrupt = DomainEvent("vmexit.interrupt"), vmexitGuestPageFault = DomainEvent("vmexit.guest-page-fault")
    static let vmexitWFI = DomainEvent("vmexit.wfi"), vmexitVirtualInstruction = DomainEvent("vmexit.virtual-instruction")
    static let mmioAccesses = DomainEvent("mmio.accesses"), mmioBadAccess = DomainEvent("mmio.bad-access")
    static let trapSBI = DomainEvent("trap.sbi"), trapMMIO = DomainEvent("trap.mmio"), trapSret = DomainEvent("trap.sret")
    static let trapWFI = DomainEvent("trap.wfi"), trapSfenceVMA = DomainEvent("trap.sfence.vma")
    static let trapCSRRead = DomainEvent("trap.csrr"), trapCSRWrite = DomainEvent("trap.csrw")
    static let trapCSRSet = DomainEvent("trap.csrs"), trapCSRClear = DomainEvent("trap.csrc")
    static let shadowFault = DomainEvent("shadow.fault"), shadowResync = DomainEvent("shadow.resync")
    static let shadowWriteProtect = DomainEvent("shadow.write-protect")
    static let hypercallSBI = DomainEvent("hypercall.sbi"), hypercallUnknown = DomainEvent("hypercall.unknown")

    private static let reflectedBase = slots["trap.reflected.0"]!, interruptBase = slots["trap.interrupt.0"]!
    private static let havReflectedBase = slots["vmexit.reflected.cause-0"]!
    /// The SBI extensions' slots follow one another in `sbiExtensions`' order ("sbi.unknown" last).
    private static let sbiBase = slots["sbi." + GuestSBI.name(sbiExtensions[0])]!
    /// By raw value (the functions are numbered from 0 without gaps).
    private static let hypercallSlots: [Int] = HypercallABI.Function.allCases.sorted { $0.rawValue < $1.rawValue }
        .map { slots["hypercall." + HypercallABI.call($0).name]! }

    /// "trap.reflected.<cause>"; nil for a cause beyond the table.
    static func reflected(_ cause: UInt64) -> DomainEvent? { cause < causeLimit ? DomainEvent(slot: reflectedBase + Int(cause)) : nil }
    /// "trap.interrupt.<code>".
    static func interrupt(_ code: UInt64) -> DomainEvent? { code < causeLimit ? DomainEvent(slot: interruptBase + Int(code)) : nil }
    /// `hav`'s "vmexit.reflected.cause-<cause>".
    static func havReflected(_ cause: UInt64) -> DomainEvent? { cause < causeLimit ? DomainEvent(slot: havReflectedBase + Int(cause)) : nil }
    /// "sbi.<extension name>" ("sbi.unknown" for an extension the SBI does not know).
    static func sbi(_ extensionID: UInt64) -> DomainEvent {
        // A scan of twelve IDs costs a fraction of hashing one on every SBI call.
        DomainEvent(slot: sbiBase + (sbiExtensions.firstIndex(of: extensionID) ?? sbiExtensions.count - 1))
    }
    /// "hypercall.<name>".
    static func hypercall(_ function: HypercallABI.Function) -> DomainEvent {
        DomainEvent(slot: hypercallSlots[Int(function.rawValue)])
    }
}

/// A domain's event counts: the table's slots, and (rarely) keys outside it.
struct DomainEventCounts {
    private var counts = [UInt64](repeating: 0, count: DomainEvent.names.count)
    private var others: [String: UInt64] = [:]

    mutating func count(_ event: DomainEvent) {
        counts[event.slot] &+= 1
        // A count that wrapped (a restored save file may start near 2^64) stays listed, at 0.
        if counts[event.slot] == 0 { others[DomainEvent.names[event.slot]] = 0 }
    }

    mutating func count(_ key: String) {
        if let slot = DomainEvent.slots[key] { count(DomainEvent(slot: slot)) } else { others[key, default: 0] &+= 1 }
    }

    /// Every event counted at least once, by key.
    var dictionary: [String: UInt64] {
        get {
            var result = others
            for (slot, value) in counts.enumerated() where value != 0 { result[DomainEvent.names[slot]] = value }
            return result
        }
        set {
            counts = [UInt64](repeating: 0, count: DomainEvent.names.count)
            others = [:]
            // A key restored with the count 0 stays listed (a save file may say so): kept outside the table.
            for (key, value) in newValue {
                if let slot = DomainEvent.slots[key], value != 0 { counts[slot] = value } else { others[key] = value }
            }
        }
    }
}
