import Testing
@testable import Hypervisor

/// Issue 22: events are counted into fixed slots, and `Domain.events` still reads (and a
/// restored save file still writes) the same keys and counts as the dictionary it replaced.
@Suite struct DomainEventTests {
    @Test func slotsReadBackUnderTheirReportKeys() {
        var counts = DomainEventCounts()
        counts.count(.vmexitSBI)
        counts.count(.vmexitSBI)
        counts.count(DomainEvent.sbi(GuestSBI.time))
        counts.count(DomainEvent.sbi(0x1234_5678))
        counts.count(DomainEvent.reflected(8)!)
        counts.count(DomainEvent.hypercall(.mmuUpdate))
        counts.count("trap.reflected.99") // beyond the table: kept under its key
        #expect(counts.dictionary == ["vmexit.sbi": 2, "sbi.time": 1, "sbi.unknown": 1, "trap.reflected.8": 1,
                                      "hypercall.mmu-update": 1, "trap.reflected.99": 1])
        #expect(DomainEvent.reflected(64) == nil)
    }

    @Test func aRestoredDictionaryReadsBackAsItWas() {
        var counts = DomainEventCounts()
        let saved: [String: UInt64] = ["vmexit.mmio": .max, "trap.csrr": 0, "vmexit.fuzz": 7, "sbi.base": 3]
        counts.dictionary = saved
        #expect(counts.dictionary == saved)
        counts.count(.vmexitMMIO) // wraps, as the dictionary's &+= did
        counts.count(.trapCSRRead)
        #expect(counts.dictionary == ["vmexit.mmio": 0, "trap.csrr": 1, "vmexit.fuzz": 7, "sbi.base": 3])
    }
}
