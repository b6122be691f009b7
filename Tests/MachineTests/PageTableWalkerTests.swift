import Testing
@testable import Machine

/// The one page-table walker (PageTableWalker.swift) on tables held in a dictionary: each fault
/// of the translation process (privileged spec v1.12 §4.3.2 steps 3-6) and the leaf it returns.
/// The hart's and the full-virtualization host's uses are covered end to end by the ISA corpus
/// (sv39, sv48), the hypervisor tests and the QEMU differential tests.
@Suite("PageTableWalker")
struct PageTableWalkerTests {
    struct TableReader: PageTableReader {
        struct Missing: Error, Equatable { let address: UInt64 }
        var entries: [UInt64: UInt64]
        func readEntry(at address: UInt64, table: UInt64, level: Int) throws(Missing) -> UInt64 {
            guard let pte = entries[address] else { throw Missing(address: address) }
            return pte
        }
    }

    typealias E = PageTableEntry
    static let root: UInt64 = 0x8000_0000, middle: UInt64 = 0x8000_1000, leafTable: UInt64 = 0x8000_2000
    static let satp: UInt64 = 8 << 60 | root >> 12
    static func pointer(_ table: UInt64) -> UInt64 { (table >> 12) << 10 | E.valid }
    static func leaf(_ page: UInt64, _ flags: UInt64) -> UInt64 { (page >> 12) << 10 | flags | E.valid }

    /// VA 0x40_0000 (VPN 0, 2, 0) → a 4 KiB page with `flags`, through three levels.
    static func tables(leafPTE: UInt64) -> TableReader {
        TableReader(entries: [root: pointer(middle), middle + 2 * 8: pointer(leafTable), leafTable: leafPTE])
    }

    func walk(_ reader: TableReader, _ va: UInt64, _ access: AccessType, user: Bool = false, sum: Bool = false,
              mxr: Bool = false) throws -> Result<PageTableLeaf, PageTableFault> {
        try PageTableWalker(atp: Self.satp)!.walk(va, access, user: user, sum: sum, mxr: mxr, reader: reader)
    }

    @Test func bareDoesNotTranslate() {
        #expect(PageTableWalker(atp: 0) == nil)
        #expect(PageTableWalker(atp: 9 << 60)?.levels == 4)
    }

    @Test func leafGivesAddressEntryAndAccessedDirty() throws {
        let reader = Self.tables(leafPTE: Self.leaf(0x9000_0000, E.read | E.write))
        let leaf = try walk(reader, 0x40_0123, .write).get()
        #expect(leaf.physicalAddress == 0x9000_0123)
        #expect(leaf.entryAddress == Self.leafTable)
        #expect(leaf.level == 0 && leaf.pageSize == 4096)
        #expect(leaf.updatedPTE == leaf.pte | E.accessed | E.dirty && leaf.needsUpdate)
        let read = try walk(Self.tables(leafPTE: Self.leaf(0x9000_0000, E.read | E.accessed)), 0x40_0000, .read).get()
        #expect(!read.needsUpdate)
    }

    @Test func faultsFollowTheSteps() throws {
        #expect(try walk(Self.tables(leafPTE: 0), 0x40_0000, .read) == .failure(.invalidEntry))
        #expect(try walk(Self.tables(leafPTE: Self.leaf(0x9000_0000, E.write)), 0x40_0000, .read) == .failure(.invalidEntry))
        #expect(try walk(Self.tables(leafPTE: Self.leaf(0x9000_0000, E.read) | 1 << 54), 0x40_0000, .read) == .failure(.invalidEntry))
        // A pointer at level 0, and one with A set.
        #expect(try walk(Self.tables(leafPTE: Self.pointer(0x9000_0000)), 0x40_0000, .read) == .failure(.malformedPointer))
        var reader = Self.tables(leafPTE: Self.leaf(0x9000_0000, E.read))
        reader.entries[Self.middle + 2 * 8] = Self.pointer(Self.leafTable) | E.accessed
        #expect(try walk(reader, 0x40_0000, .read) == .failure(.malformedPointer))
        // Not sign-extended from bit 38.
        #expect(try walk(reader, 1 << 40, .read) == .failure(.addressOutOfRange))
        // A 2 MiB megapage whose PPN is not 2 MiB-aligned.
        reader.entries[Self.middle + 2 * 8] = Self.leaf(0x9000_1000, E.read)
        #expect(try walk(reader, 0x40_0000, .read) == .failure(.misalignedSuperpage))
        reader.entries[Self.middle + 2 * 8] = Self.leaf(0x9020_0000, E.read)
        let mega = try walk(reader, 0x45_6789, .read).get()
        #expect(mega.level == 1 && mega.physicalAddress == 0x9025_6789)
    }

    @Test func permissionsFollowUserSumAndMXR() throws {
        let user = Self.tables(leafPTE: Self.leaf(0x9000_0000, E.read | E.execute | E.user))
        let kernel = Self.tables(leafPTE: Self.leaf(0x9000_0000, E.execute))
        #expect(try walk(user, 0x40_0000, .read, user: true).get().physicalAddress == 0x9000_0000)
        #expect(try walk(kernel, 0x40_0000, .fetch, user: true) == .failure(.permissionDenied))
        #expect(try walk(user, 0x40_0000, .read) == .failure(.permissionDenied))
        #expect(try walk(user, 0x40_0000, .read, sum: true).get().level == 0)
        #expect(try walk(user, 0x40_0000, .fetch, sum: true) == .failure(.permissionDenied))
        #expect(try walk(kernel, 0x40_0000, .read) == .failure(.permissionDenied))
        #expect(try walk(kernel, 0x40_0000, .read, mxr: true).get().level == 0)
        #expect(try walk(kernel, 0x40_0000, .write, mxr: true) == .failure(.permissionDenied))
    }

    @Test func aFailedReadIsTheReadersError() {
        let reader = TableReader(entries: [:])
        #expect(throws: TableReader.Missing(address: Self.root)) { try walk(reader, 0x40_0000, .read) }
    }

    @Test func guestStageRootTakesTwoMoreIndexBits() throws {
        // Sv39x4: GPA bit 40 set selects root entry 0x400 of the 16 KiB root.
        let walker = PageTableWalker(atp: Self.satp, guestStage: true)!
        let gpa: UInt64 = 1 << 40 | 0x40_0000
        // The 16 KiB root covers the three pages after Self.root: the tables below it go further up.
        let middle: UInt64 = 0x8000_4000, leafTable: UInt64 = 0x8000_5000
        let entries: [UInt64: UInt64] = [Self.root + 0x400 * 8: Self.pointer(middle), middle + 2 * 8: Self.pointer(leafTable),
                                         leafTable: Self.leaf(0x9000_0000, E.read | E.user)]
        let leaf = try walker.walk(gpa, .read, user: true, sum: true, mxr: false, reader: TableReader(entries: entries)).get()
        #expect(leaf.physicalAddress == 0x9000_0000)
        #expect(try walker.walk(1 << 41, .read, user: true, sum: true, mxr: false, reader: TableReader(entries: entries))
                == .failure(.addressOutOfRange))
    }
}
