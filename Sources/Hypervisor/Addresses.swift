import Machine

/// An address in one of the hypervisor's three address spaces. A hypervisor that mixes them
/// up hands a guest a view of memory it does not own (the classic bug that rust-vmm's
/// `GuestAddress` newtype exists to stop, STYLE.md): a guest virtual address used as a guest
/// physical one, or a guest physical one used as a host address without `Domain.hostAddress`.
/// Each space is its own type, so the compiler rejects such a mix; the raw `UInt64` is taken
/// out with `rawValue` only at the edges (the hart's registers and CSRs, physical memory, save
/// files). Arithmetic that a guest's value can reach is overflow-checked and says so in its
/// result instead of wrapping.
public protocol MemoryAddress: RawRepresentable<UInt64>, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    init(rawValue: UInt64)
}

extension MemoryAddress {
    /// 4 KiB, the base page of Sv39/Sv48 and of the G-stage (privileged spec §4.3, §9.5).
    @inlinable public static var pageSize: UInt64 { 4096 }

    @inlinable public init(_ rawValue: UInt64) { self.init(rawValue: rawValue) }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The address `offset` bytes further on; nil when that passes 2^64.
    @inlinable public func adding(_ offset: UInt64) -> Self? {
        let (sum, overflow) = rawValue.addingReportingOverflow(offset)
        return overflow ? nil : Self(rawValue: sum)
    }

    /// How many bytes this address lies past `base`; nil when it lies below it.
    @inlinable public func offset(from base: Self) -> UInt64? {
        rawValue >= base.rawValue ? rawValue - base.rawValue : nil
    }

    /// The address `offset` bytes further on, for a sum the caller has bounded already (an
    /// offset inside a range it checked); traps on overflow, as `UInt64`'s `+` does. A value a
    /// guest chose goes through `adding(_:)` instead.
    @inlinable public static func + (address: Self, offset: UInt64) -> Self { Self(rawValue: address.rawValue + offset) }

    /// The start of the 4 KiB page holding this address.
    @inlinable public var pageBase: Self { Self(rawValue: rawValue & ~(Self.pageSize - 1)) }

    /// The byte offset of this address in its 4 KiB page.
    @inlinable public var pageOffset: UInt64 { rawValue & (Self.pageSize - 1) }

    /// The page a page-table entry's PPN names (PTE bits 53:10; privileged spec §4.4.1, and
    /// the same for Sv48 and the G-stage's Sv39x4).
    @inlinable public init(pageOf pte: UInt64) { self.init(rawValue: (pte >> 10 & ((1 << 44) - 1)) << 12) }

    /// A page-table entry naming this address's page, with `flags` in bits 9:0.
    @inlinable public func pageTableEntry(flags: UInt64) -> UInt64 { (rawValue >> 12) << 10 | flags }

    /// True when this address is a multiple of `alignment` (a power of two).
    @inlinable public func isAligned(to alignment: UInt64) -> Bool { rawValue & (alignment - 1) == 0 }

    public var description: String { "0x" + String(rawValue, radix: 16) }

    // Hashed as the bare number is, through its one-shot path: without these a Set or Dictionary
    // keyed by an address (the para device pages, the shadow tables' traced frames) takes the
    // general hash(into:) and finalize, measured at +12% instructions on a batched mmu-update.
    @inlinable public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    @inlinable public func _rawHashValue(seed: Int) -> Int { rawValue._rawHashValue(seed: seed) }
}

/// An address as a guest's program or kernel uses it: what its own page tables (or none, in
/// Bare mode) translate; a trap's stval for a page fault.
public struct GuestVirtualAddress: MemoryAddress {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
}

/// An address in a domain's physical address space (QEMU's `virt` map, `GuestLayout`): its RAM
/// from 0x8000_0000 and its devices below; what the guest's page tables and hypercalls name,
/// and what the G-stage translates (htval << 2 on a guest-page fault).
public struct GuestPhysicalAddress: MemoryAddress {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
}

/// An address in the host's physical memory (the board's RAM): where a domain's RAM, the
/// hypervisor's shadow and G-stage tables, and a para-virtual guest's page tables' targets
/// ("machine addresses", Xen's name) really are.
public struct HostPhysicalAddress: MemoryAddress {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }
}

extension Range where Bound: MemoryAddress {
    /// The `length` bytes from `start`; nil when they would pass 2^64.
    @inlinable public init?(start: Bound, length: UInt64) {
        guard let end = start.adding(length) else { return nil }
        self = start ..< end
    }

    /// The number of bytes in the range.
    @inlinable public var length: UInt64 { upperBound.rawValue - lowerBound.rawValue }

    /// True when `[address, address + length)` lies inside this range, computed without
    /// overflow (a guest names any address and width).
    @inlinable public func contains(_ address: Bound, length: UInt64) -> Bool {
        (lowerBound.rawValue ..< upperBound.rawValue).contains(address.rawValue, length: length)
    }

    /// The same bytes as raw addresses, for an edge that takes them (the hart, the bus).
    @inlinable public var rawValues: Range<UInt64> { lowerBound.rawValue ..< upperBound.rawValue }
}

// The edges where a host physical address reaches the board's memory and the hart, which
// take raw addresses: the conversion happens here, once.

extension PhysicalMemory {
    func load(_ address: HostPhysicalAddress, width: Int) -> UInt64? { load(address.rawValue, width: width) }
    func store(_ address: HostPhysicalAddress, width: Int, value: UInt64) -> Bool { store(address.rawValue, width: width, value: value) }
    func read(_ address: HostPhysicalAddress, count: Int) -> [UInt8]? { read(address.rawValue, count: count) }
    func write(_ data: some Collection<UInt8>, at address: HostPhysicalAddress) -> Bool { write(data, at: address.rawValue) }
    func fill(_ address: HostPhysicalAddress, count: Int, with byte: UInt8 = 0) -> Bool { fill(address.rawValue, count: count, with: byte) }
    func isZero(_ address: HostPhysicalAddress, count: Int) -> Bool? { isZero(address.rawValue, count: count) }
    func zeroReleasingPages(_ address: HostPhysicalAddress, count: Int) -> Bool { zeroReleasingPages(address.rawValue, count: count) }
    func residentBytes(_ address: HostPhysicalAddress, count: Int) -> UInt64? { residentBytes(address.rawValue, count: count) }
    func append(_ address: HostPhysicalAddress, count: Int, to destination: inout some RangeReplaceableCollection<UInt8>) -> Bool {
        append(address.rawValue, count: count, to: &destination)
    }
}

extension Hart {
    @discardableResult
    func hostStore(physical address: HostPhysicalAddress, width: UInt64, value: UInt64) -> Bool {
        hostStore(physical: address.rawValue, width: width, value: value)
    }
    func hostStoreConditional(physical address: HostPhysicalAddress, width: UInt64, value: UInt64) -> Bool {
        hostStoreConditional(physical: address.rawValue, width: width, value: value)
    }
    func hostWroteMemory(_ range: Range<HostPhysicalAddress>) { hostWroteMemory(range.rawValues) }
}
