import Testing
@testable import Machine

/// Freeing memory hands whole pages back to the host (they read zero and stop being resident)
/// and zeroes the partial pages at the ends; mincore's count follows what was touched.
struct PhysicalMemoryReleaseTests {
    @Test func releasedPagesReadZeroAndAreNoLongerResident() throws {
        let memory = try PhysicalMemory(base: 0x8000_0000, size: 1 << 20)
        #expect(memory.residentBytes(0x8000_0000, count: 1 << 20) == 0)
        #expect(memory.fill(0x8000_0000, count: 1 << 20, with: 0xa5))
        #expect(memory.residentBytes(0x8000_0000, count: 1 << 20) == 1 << 20)
        // From 100 bytes into the first page to 100 bytes before the end.
        #expect(memory.zeroReleasingPages(0x8000_0000 + 100, count: (1 << 20) - 200))
        // Only the first and last pages are still committed (before anything reads the others:
        // a read maps the host's zero page, which mincore counts).
        #expect(memory.residentBytes(0x8000_0000, count: 1 << 20) == 2 * 4096)
        #expect(memory.read(0x8000_0000 + 98, count: 4) == [0xa5, 0xa5, 0, 0])
        #expect(memory.read(0x8000_0000 + (1 << 20) - 102, count: 4) == [0, 0, 0xa5, 0xa5])
        #expect(memory.isZero(0x8000_0000 + 100, count: (1 << 20) - 200) == true)
        #expect(memory.zeroReleasingPages(0x8000_0000 + (1 << 20) - 10, count: 11) == false)
        #expect(memory.residentBytes(0x8000_0000 + (1 << 20) - 10, count: 11) == nil)
    }
}
