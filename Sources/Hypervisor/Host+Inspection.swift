import Machine

/// One leaf of a domain's G-stage table: guest-physical range → host-physical range.
public struct GStageMapping: Sendable, Equatable, CustomStringConvertible {
    /// The first guest-physical address the leaf translates.
    public var guestPhysical: GuestPhysicalAddress
    /// Where that address lands in host RAM: the frame an isolation audit checks ownership of.
    public var hostPhysical: HostPhysicalAddress
    /// 4 KiB, 2 MiB or 1 GiB: the level the leaf sits at.
    public var size: UInt64
    /// The leaf's R, W, X bits (PTE bits 1–3).
    public var permissions: UInt64

    /// The host-physical bytes the leaf exposes to the guest.
    public var hostRange: Range<HostPhysicalAddress> { hostPhysical ..< hostPhysical + size }
    public var description: String { "GPA \(guestPhysical) -> HPA \(hostPhysical) (\(size >> 10) KiB)" }
}

/// What went wrong reading a G-stage table back (each means the host built a table it
/// should not have).
public enum GStageInspectionError: Error, Equatable, CustomStringConvertible {
    /// A table entry the walk had to read lies outside host RAM.
    case tableOutsideRAM(UInt64)
    /// A PTE with reserved bits or W without R, or a non-leaf at the last level.
    case malformedEntry(address: UInt64, value: UInt64)

    public var description: String {
        switch self {
        case .tableOutsideRAM(let address): return "G-stage table entry at 0x\(String(address, radix: 16)) is outside host RAM"
        case .malformedEntry(let address, let value):
            return "malformed G-stage PTE 0x\(String(value, radix: 16)) at 0x\(String(address, radix: 16))"
        }
    }
}

/// Read-only views of what the host has given each domain, for isolation checks: the
/// audit reads the same G-stage tables the hart walks and the same host RAM the guest writes,
/// so it checks the hypervisor's work rather than its own bookkeeping.
extension Host {
    /// A 64-bit FNV-1a hash of the domain's guest RAM as it lies in host memory (all of it, or
    /// the guest-physical `range`): two runs that leave a domain's memory byte-for-byte equal
    /// give the same digest, and any byte another domain changed shows. Nil for an unknown
    /// domain or a range outside its RAM.
    public func memoryDigest(of id: Int, range: Range<GuestPhysicalAddress>? = nil) -> UInt64? {
        guard let domain = domain(id) else { return nil }
        let range = range ?? domain.guestRAM
        guard domain.ownsRAM(range.lowerBound, length: range.length) else { return nil }
        // In 64 KiB pieces through one reused buffer: the copy costs a few percent of the hashing.
        var hash = Host.fnvOffsetBasis
        var chunk: [UInt8] = []
        chunk.reserveCapacity(Host.digestChunk)
        var address = domain.hostAddress(range.lowerBound), left = range.length
        while left > 0 {
            let count = Int(min(left, UInt64(Host.digestChunk)))
            chunk.removeAll(keepingCapacity: true)
            guard board.memory.append(address, count: count, to: &chunk) else { return nil }
            hash = Host.fnv1a(chunk, continuing: hash)
            address = address + UInt64(count)
            left -= UInt64(count)
        }
        return hash
    }

    // FNV-1a, 64-bit parameters (Fowler/Noll/Vo, draft-eastlake-fnv: offset basis and prime).
    static let fnvOffsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01b3
    static let digestChunk = 64 << 10

    static func fnv1a(_ bytes: [UInt8], continuing hash: UInt64 = fnvOffsetBasis) -> UInt64 {
        var hash = hash
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* fnvPrime }
        return hash
    }

    /// The domain that owns the 2 MiB host frame holding `hostAddress` (nil: free, the
    /// hypervisor's own, or outside host RAM).
    public func frameOwner(ofHostAddress hostAddress: HostPhysicalAddress) -> Int? {
        guard board.memory.contains(hostAddress.rawValue) else { return nil }
        return frameOwner[Int((hostAddress.rawValue - board.memory.base) / Host.megapage)]
    }

    /// Host RAM set aside for the hypervisor's G-stage tables: no domain may map it.
    public var pageTableArea: Range<HostPhysicalAddress> { hostRAMBase ..< hostRAMBase + tableArea }

    /// Where host RAM starts.
    var hostRAMBase: HostPhysicalAddress { HostPhysicalAddress(board.memory.base) }

    /// Every leaf of the domain's G-stage table (Sv39x4, H extension spec "Guest Physical
    /// Address Translation"), read back from host memory in guest-physical order.
    public func gstageMappings(of id: Int) throws -> [GStageMapping] {
        let domain = try find(id)
        var mappings: [GStageMapping] = []
        try walkGStage(table: domain.gstageRoot.rawValue, entries: Host.sv39x4RootEntries, level: 2, guestBase: 0, into: &mappings)
        return mappings
    }

    // Sv39x4: the root has 2^11 entries (2 extra GPA bits); every other level 512; 8-byte PTEs.
    static let sv39x4RootEntries: UInt64 = 2048
    static let entriesPerTable: UInt64 = 512
    static let pteValid: UInt64 = 1, pteRead: UInt64 = 2, pteWrite: UInt64 = 4, pteExecute: UInt64 = 8
    /// PTE bits 63:54 are reserved (or Svpbmt/Svnapot, which the host never sets).
    static let pteReservedBits: UInt64 = 0x3ff << 54

    private func walkGStage(table: UInt64, entries: UInt64, level: Int, guestBase: UInt64, into mappings: inout [GStageMapping]) throws {
        let memory = board.memory
        let span: UInt64 = 1 << (12 + 9 * UInt64(level))
        for index in 0 ..< entries {
            let address = table + index * 8
            guard let pte = memory.load(address, width: 8) else { throw GStageInspectionError.tableOutsideRAM(address) }
            guard pte & Host.pteValid != 0 else { continue }
            let rwx = pte & (Host.pteRead | Host.pteWrite | Host.pteExecute)
            let next = (pte >> 10 & ((1 << 44) - 1)) << 12
            guard pte & Host.pteReservedBits == 0, rwx & (Host.pteRead | Host.pteWrite) != Host.pteWrite,
                  rwx != 0 || level > 0 else {
                throw GStageInspectionError.malformedEntry(address: address, value: pte)
            }
            let guest = guestBase + index * span
            if rwx == 0 {
                try walkGStage(table: next, entries: Host.entriesPerTable, level: level - 1, guestBase: guest, into: &mappings)
            } else {
                mappings.append(GStageMapping(guestPhysical: GuestPhysicalAddress(guest), hostPhysical: HostPhysicalAddress(next),
                                             size: span, permissions: rwx))
            }
        }
    }
}

// MARK: Memory the host has committed

extension Host {
    /// Bytes of the domain's guest RAM the host has committed (pages it touched since its RAM
    /// was last released): what the guest costs in host memory, as opposed to what it was given.
    public func residentGuestMemory(of domain: Domain) -> UInt64 {
        board.memory.residentBytes(domain.hostBase, count: Int(domain.configuration.memorySize)) ?? 0
    }
}
