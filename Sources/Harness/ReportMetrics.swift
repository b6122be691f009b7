import Machine
import RISCV

/// Exact event counts of one run, by kind, under stable dotted names
/// (`instructions.user`, `exception.ecall-from-u`, `pagewalk.steps`, `vmexit.sbi` …).
///
/// A flat dictionary rather than a struct with a field per event, because each mode adds its
/// own kinds (VM exits by reason, hypercalls by kind) and the report, the charts and the cost
/// model must handle kinds they have never heard of without a schema change.
public struct EventCounts: Sendable, Equatable, Codable {
    public var values: [String: UInt64]

    public init(_ values: [String: UInt64] = [:]) { self.values = values }

    /// The hart's counters under their report names; zero counts are left out so reports list
    /// only what happened.
    public init(_ counters: HartCounters, instructions: UInt64) {
        var values: [String: UInt64] = ["instructions": instructions]
        let privileges: [(Privilege, String)] = [(.user, "user"), (.supervisor, "supervisor"), (.machine, "machine")]
        for (privilege, label) in privileges where Int(privilege.rawValue) < counters.retiredByPrivilege.count {
            values["instructions.\(label)"] = counters.retiredByPrivilege[Int(privilege.rawValue)]
        }
        for (cause, count) in counters.exceptions.enumerated() where count > 0 {
            values["exception.\(Self.slug(TrapCause.name(UInt64(cause))))"] = count
        }
        for (number, count) in counters.interrupts.enumerated() where count > 0 {
            values["interrupt.\(Self.slug(TrapCause.name(UInt64(number) | TrapCause.interruptFlag)))"] = count
        }
        values["trap.to-machine"] = counters.trapsToMachine
        values["trap.to-supervisor"] = counters.trapsToSupervisor
        values["pagewalk.walks"] = counters.pageWalks
        values["pagewalk.steps"] = counters.pageWalkSteps
        values["tlb.misses"] = counters.tlbMisses
        values["tlb.flushes"] = counters.tlbFlushes
        values["block.decoded"] = counters.blocksDecoded
        values["block.cache-hits"] = counters.blockCacheHits
        values["block.cache-misses"] = counters.blockCacheMisses
        values["block.code-invalidations"] = counters.codeInvalidations
        values["pagewalk.g-stage-walks"] = counters.guestPageWalks
        values["pagewalk.g-stage-steps"] = counters.guestPageWalkSteps
        values["trap.to-virtual-supervisor"] = counters.trapsToVirtualSupervisor
        values["instructions.virtual-supervisor"] = counters.retiredByPrivilege[5]
        values["instructions.virtual-user"] = counters.retiredByPrivilege[4]
        values["mmio.accesses"] = counters.mmioAccesses
        values["wfi.sleeps"] = counters.wfiSleeps
        self.values = values.filter { $0.value > 0 }
    }

    public subscript(_ key: String) -> UInt64 { values[key] ?? 0 }

    /// The sum over every kind under `prefix` (for example all `exception.` causes).
    public func total(prefix: String) -> UInt64 {
        values.reduce(0) { $1.key.hasPrefix(prefix) ? $0 &+ $1.value : $0 }
    }

    /// The hart's trap summaries (`trap.to-machine`, `trap.to-supervisor`,
    /// `trap.to-virtual-supervisor`), told apart from the modes' `trap.<what>` transitions.
    public static let hartTrapPrefix = "trap.to-"
    /// Shadow entries dropped after a guest page-table change (the modes' contract).
    public static let shadowResyncKey = "shadow.resync"

    /// Page faults are counted apart from other exceptions because every cost table prices them apart.
    public static let pageFaultKeys: Set<String> = [
        TrapCause.instructionPageFault, TrapCause.loadPageFault, TrapCause.storePageFault,
    ].map { "exception." + slug(TrapCause.name($0)) }.reduce(into: []) { $0.insert($1) }

    /// "store/AMO address misaligned" → "store-amo-address-misaligned".
    static func slug(_ name: String) -> String {
        var result = ""
        for character in name.lowercased() {
            if character.isLetter || character.isNumber {
                result.append(character)
            } else if !result.hasSuffix("-") {
                result.append("-")
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        return result
    }

    public init(from decoder: any Swift.Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: UInt64].self)
    }

    public func encode(to encoder: any Swift.Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }
}
