import Testing
@testable import Machine

/// CodeWatch (Sources/Machine/CodeWatch.swift): the page table FENCE.I trusts when it skips
/// rereading a page, so every way a write can reach RAM must count, and the epochs must say when
/// a TLB entry older than a watch may still have written uncounted.
@Suite struct CodeWatchTests {
    let ram: PhysicalMemory
    let watch: CodeWatch

    init() throws {
        ram = try PhysicalMemory(base: 0x8000_0000, size: 1 << 20)
        ram.watchCode(harts: 2)
        watch = try #require(ram.codeWatch)
    }

    @Test func writesThroughMemoryCountOnlyOnWatchedPages() {
        _ = watch.watch(3)
        ram.store(0x8000_3010, width: 4, value: 1)
        ram.store(0x8000_4010, width: 4, value: 1)    // page 4: not watched
        #expect(watch.writeCount(3) == 1)
        #expect(watch.writeCount(4) == 0)
        ram.write([1, 2, 3], at: 0x8000_3ffe)          // crosses into page 4
        ram.fill(0x8000_3000, count: 16)
        #expect(ram.compareAndSwap(0x8000_3008, width: 8, expected: 0, desired: 7))
        #expect(!ram.compareAndSwap(0x8000_3008, width: 8, expected: 0, desired: 9))  // failed: no write
        #expect(watch.writeCount(3) == 4)
        #expect(watch.writeCount(4) == 0)
    }

    @Test func aPageStaysWatchedWhileAnyHartHasCodeThere() {
        _ = watch.watch(5)
        _ = watch.watch(5)
        watch.unwatch(5)
        #expect(watch.isWatched(5))
        watch.unwatch(5)
        #expect(!watch.isWatched(5))
        ram.store(0x8000_5000, width: 8, value: 1)
        #expect(watch.writeCount(5) == 0)
    }

    @Test func onlyAFirstWatchStartsAnEpochAndEveryHartMustAcknowledgeIt() {
        let first = watch.watch(6)
        let again = watch.watch(6)          // a second hart on a watched page: no new epoch
        #expect(first == 1 && again == 1)
        #expect(watch.acknowledgedByAll == 0)
        watch.acknowledge(hart: 0, watch.epoch)
        #expect(watch.acknowledgedByAll == 0)  // hart 1 may still hold an old TLB entry
        watch.acknowledge(hart: 1, watch.epoch)
        #expect(watch.acknowledgedByAll == first)
        #expect(watch.watch(7) == first + 1)
    }
}
