import Testing
@testable import Storage

/// The L2 / refcount-block cache: least recently used out first, hits and misses counted,
/// updates and removals seen by later lookups.
struct MetadataCacheTests {
    @Test func evictsTheLeastRecentlyUsedTable() {
        var cache = MetadataCache<[UInt64]>(capacity: 2)
        cache.insert([1], at: 0x10000)
        cache.insert([2], at: 0x20000)
        #expect(cache.lookup(0x10000) == [1])  // 0x10000 is now the most recent
        cache.insert([3], at: 0x30000)          // evicts 0x20000
        #expect(cache.count == 2)
        #expect(cache.contains(0x10000) && cache.contains(0x30000) && !cache.contains(0x20000))
        #expect(cache.lookup(0x20000) == nil)
        #expect(cache.hits == 1 && cache.misses == 1)
    }

    @Test func updatesAndRemovalsAreSeen() {
        var cache = MetadataCache<[UInt64]>(capacity: 4)
        cache.insert([0, 0], at: 512)
        cache.update(512) { $0[1] = 7 }
        #expect(cache.lookup(512) == [0, 7])
        cache.insert([9], at: 512)  // replacing does not grow the cache
        #expect(cache.count == 1 && cache.lookup(512) == [9])
        cache.remove(512)
        #expect(cache.lookup(512) == nil && cache.count == 0)
        cache.update(512) { $0 = [1] }  // updating an absent table adds nothing
        #expect(cache.count == 0)
    }
}
