import Foundation
import Testing
@testable import Hypervisor

/// The address types' arithmetic at its edges: a guest names any address, so every sum and
/// difference a guest's value can reach must say it overflowed rather than wrap.
@Suite struct AddressTests {
    @Test func addingReportsOverflow() {
        let top = GuestPhysicalAddress(.max - 7)
        #expect(top.adding(7) == GuestPhysicalAddress(.max))
        #expect(top.adding(8) == nil, "2^64 is past the last address")
        #expect(GuestVirtualAddress(1).adding(.max) == nil)
        #expect(HostPhysicalAddress(0).adding(.max) == HostPhysicalAddress(.max))
    }

    @Test func offsetFromABaseAboveIsNil() {
        let base = GuestPhysicalAddress(0x8000_0000)
        #expect(GuestPhysicalAddress(0x8000_1000).offset(from: base) == 0x1000)
        #expect(base.offset(from: base) == 0)
        #expect(GuestPhysicalAddress(0x7fff_ffff).offset(from: base) == nil, "below the base: no wrap to a huge offset")
    }

    @Test func rangesRefuseToWrap() {
        #expect(Range(start: HostPhysicalAddress(.max - 0xfff), length: 0x1000) == nil)
        let ram = try! #require(Range(start: GuestPhysicalAddress(0x8000_0000), length: 64 << 20))
        #expect(ram.length == 64 << 20)
        #expect(ram.contains(GuestPhysicalAddress(0x8000_0000), length: 64 << 20))
        #expect(!ram.contains(GuestPhysicalAddress(0x8000_0000), length: (64 << 20) + 1))
        #expect(!ram.contains(GuestPhysicalAddress(0x83ff_fff8), length: .max), "a length past 2^64 does not wrap into range")
        #expect(!ram.contains(GuestPhysicalAddress(.max), length: 2))
        #expect(ram.rawValues == 0x8000_0000 ..< 0x8400_0000)
    }

    @Test func pagesAndAlignment() {
        let address = GuestVirtualAddress(0xffff_ffc0_1234_5678)
        #expect(address.pageBase == GuestVirtualAddress(0xffff_ffc0_1234_5000))
        #expect(address.pageOffset == 0x678)
        #expect(address.isAligned(to: 8))
        #expect(!address.isAligned(to: 16))
    }

    @Test func printsHexAndEncodesAsTheRawNumber() throws {
        #expect(GuestPhysicalAddress(0x8020_0000).description == "0x80200000")
        #expect(GuestVirtualAddress(0) < GuestVirtualAddress(1))
        // Save files and configurations keep the number they held before the type existed.
        let data = try JSONEncoder().encode([HostPhysicalAddress(42)])
        #expect(String(decoding: data, as: UTF8.self) == "[42]")
        #expect(try JSONDecoder().decode([GuestPhysicalAddress].self, from: data) == [GuestPhysicalAddress(42)])
    }
}
