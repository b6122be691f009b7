import Foundation
import Testing
@testable import Machine

/// PhysicalMemory's bounds-checked accessors: everything outside RAM is refused before a byte
/// is touched, so the hypervisor, the loader and the snapshot code need no pointers of their own.
@Suite("PhysicalMemory")
struct PhysicalMemoryTests {
    static let base: UInt64 = 0x8000_0000
    static let size: UInt64 = 4 << 20

    func memory() throws -> PhysicalMemory { try PhysicalMemory(base: Self.base, size: Self.size) }

    @Test func writeCopiesContiguousAndOtherCollections() throws {
        let ram = try memory()
        #expect(ram.write([1, 2, 3, 4], at: Self.base))
        #expect(ram.write(Data([5, 6]), at: Self.base + 4))
        #expect(ram.write([0, 7, 8, 0][1 ..< 3], at: Self.base + 6))
        #expect(ram.write((9 ... 10).lazy.map { UInt8($0) }, at: Self.base + 8))   // no contiguous storage
        #expect(ram.read(Self.base, count: 10) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    }

    @Test func writeRefusesWhatDoesNotFit() throws {
        let ram = try memory()
        let end = Self.base + Self.size
        #expect(ram.write([1, 2], at: end - 2))
        #expect(!ram.write([3, 4, 5], at: end - 2))
        #expect(!ram.write(Data([1]), at: end))
        #expect(!ram.write([1], at: Self.base - 1))
        #expect(ram.write([UInt8](), at: end))   // an empty write at the end touches nothing
        #expect(ram.read(end - 2, count: 2) == [1, 2])
    }

    @Test func fillSetsExactlyTheRange() throws {
        let ram = try memory()
        #expect(ram.fill(Self.base + 1, count: 3, with: 0xAB))
        #expect(ram.read(Self.base, count: 5) == [0, 0xAB, 0xAB, 0xAB, 0])
        #expect(ram.fill(Self.base + 2, count: 1))
        #expect(ram.read(Self.base, count: 5) == [0, 0xAB, 0, 0xAB, 0])
        #expect(ram.fill(Self.base, count: Int(Self.size), with: 0x11))
        #expect(ram.load(Self.base + Self.size - 8, width: 8) == 0x1111_1111_1111_1111)
    }

    @Test func fillRefusesRangesOutsideRAM() throws {
        let ram = try memory()
        #expect(!ram.fill(Self.base + Self.size - 4, count: 5, with: 1))
        #expect(!ram.fill(Self.base - 4096, count: 4096))
        #expect(!ram.fill(Self.base, count: -1))
        #expect(!ram.fill(.max - 2, count: 8))
        #expect(ram.isZero(Self.base + Self.size - 4096, count: 4096) == true)
    }

    @Test func isZeroLooksAtEveryByte() throws {
        let ram = try memory()
        #expect(ram.isZero(Self.base, count: Int(Self.size)) == true)
        _ = ram.store(Self.base + 3 * 4096 + 17, width: 1, value: 1)
        #expect(ram.isZero(Self.base, count: Int(Self.size)) == false)
        #expect(ram.isZero(Self.base + 3 * 4096, count: 17) == true)
        #expect(ram.isZero(Self.base + 3 * 4096 + 17, count: 1) == false)
        #expect(ram.isZero(Self.base + 3 * 4096 + 18, count: 10_000) == true)
        #expect(ram.isZero(Self.base, count: 0) == true)
        #expect(ram.isZero(Self.base + Self.size - 1, count: 2) == nil)
        #expect(ram.isZero(Self.base, count: -1) == nil)
    }

    @Test func appendCopiesIntoAnyBuffer() throws {
        let ram = try memory()
        _ = ram.write([1, 2, 3, 4, 5], at: Self.base + Self.size - 5)
        var data = Data([9])
        #expect(ram.append(Self.base + Self.size - 5, count: 5, to: &data))
        #expect(data == Data([9, 1, 2, 3, 4, 5]))
        var bytes: [UInt8] = []
        #expect(ram.append(Self.base + Self.size - 2, count: 2, to: &bytes))
        #expect(bytes == [4, 5])
        #expect(!ram.append(Self.base + Self.size - 2, count: 3, to: &bytes))
        #expect(!ram.append(Self.base, count: -1, to: &bytes))
        #expect(bytes == [4, 5])
    }
}
