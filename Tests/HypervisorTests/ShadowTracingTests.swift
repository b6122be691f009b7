import Machine
import RISCV
import Testing
@testable import Hypervisor

/// Issue 7, "where it pays": `full` keeps its shadow page tables fresh by write-protecting the
/// guest's page-table pages. A guest rewrites one PTE with every kind of store (sd, amoswap.d,
/// c.sd, lr.d/sc.d, fsd, sw) and then a non-leaf entry, each followed by sfence.vma and a load
/// through the changed mapping: the store must reach guest memory and the load must see the new
/// page (sfence.vma no longer drops shadows, so a stale one would survive); and no shadow leaf
/// may ever let the guest write its page tables.
@Suite struct ShadowTracingTests {
    // Guest physical layout: tables, the pages they map, result slots. RAM is identity-mapped
    // by a gigapage, so the guest writes its tables through the same shadows it runs under.
    static let root: UInt64 = 0x8030_0000, level1: UInt64 = 0x8030_1000, level0: UInt64 = 0x8030_2000
    static let otherLevel0: UInt64 = 0x8030_3000
    static let pages: [UInt64] = (0 ..< 6).map { 0x8031_0000 + $0 * 0x1000 } // A..F
    static let slots: UInt64 = 0x8040_0000
    static let window: UInt64 = 0x1000 // the virtual page whose leaf the guest rewrites
    static let ramSize: UInt64 = 16 << 20

    static func leaf(_ page: UInt64) -> UInt64 { (page >> 12) << 10 | 0xC7 } // V R W A D
    static func pointer(_ table: UInt64) -> UInt64 { (table >> 12) << 10 | 1 }
    static func marker(_ index: Int) -> UInt64 { 0xA0A0 + UInt64(index) * 0x1111 }

    /// What the guest leaves in its result slots, in order.
    static let expectedSlots: [UInt64] = [
        marker(0),          // A through the first mapping
        marker(1),          // sd → B
        leaf(pages[1]),     // amoswap.d's old value
        marker(2),          // amoswap.d → C
        marker(3),          // c.sd → D
        0,                  // sc.d succeeded
        marker(4),          // sc.d → E
        marker(0),          // fsd → A
        marker(1),          // sw (the PTE's low word) → B
        marker(5),          // level-1 entry → another level-0 table mapping F
    ]

    /// Runs the guest under `full`, auditing the shadow tables every few instructions.
    static func run(tracing: Bool) throws -> (slots: [UInt64], events: [String: UInt64], tables: [UInt64: UInt64]) {
        var configuration = Hypervisor.Host.Configuration(
            memorySize: ramSize + Hypervisor.Host.reservedMemory + Hypervisor.Host.domainOverhead(for: .full), virtualization: .full)
        configuration.tracesGuestPageTables = tracing
        let host = try Hypervisor.Host(configuration: configuration)
        let domain = try host.createDomain(DomainConfiguration(name: "tracing", memorySize: ramSize, kernel: program(),
                                                               instructionLimit: 1_000_000))
        let memory = host.board.memory
        func store(_ gpa: UInt64, _ value: UInt64) { _ = memory.store(domain.hostAddress(GuestPhysicalAddress(gpa)), width: 8, value: value) }
        func load(_ gpa: UInt64) -> UInt64 { memory.load(domain.hostAddress(GuestPhysicalAddress(gpa)), width: 8) ?? 0xdead }
        store(root + 2 * 8, (0x8000_0000 >> 12) << 10 | 0xCF) // RAM: V R W X A D gigapage
        store(root, pointer(level1))
        store(level1, pointer(level0))
        store(level0 + (window >> 12) * 8, leaf(pages[0]))
        store(otherLevel0 + (window >> 12) * 8, leaf(pages[5]))
        for (index, page) in pages.enumerated() { store(page, marker(index)) }

        try host.start(domain.id)
        let tableFrames = Set([root, level1, level0, otherLevel0].map { domain.hostAddress(GuestPhysicalAddress($0)) })
        var slices = 0
        while domain.state == .runnable && slices < 10_000 {
            host.run(instructionBudget: 7)
            slices += 1
            guard domain.state == .runnable else { break }
            // mappings() itself refuses a writable traced table; this checks the frames by name.
            for mapping in try host.shadowMappings(of: domain.id) where tracing && mapping.permissions & ShadowPageTables.W != 0 {
                #expect(!tableFrames.contains(mapping.hostPhysical), "\(mapping) lets the guest write a page table")
            }
        }
        #expect(domain.state == .shutdown(status: 0), "\(domain.state)")
        let tables = [level0 + (window >> 12) * 8: load(level0 + (window >> 12) * 8), level1: load(level1)]
        return ((0 ..< expectedSlots.count).map { load(slots + UInt64($0) * 8) }, domain.events, tables)
    }

    @Test(arguments: [true, false])
    func everyKindOfStoreToAPageTableReachesMemoryAndTheShadows(tracing: Bool) throws {
        let (slots, events, tables) = try Self.run(tracing: tracing)
        for (index, (got, expected)) in zip(slots, Self.expectedSlots).enumerated() {
            #expect(got == expected, "slot \(index): 0x\(String(got, radix: 16)), expected 0x\(String(expected, radix: 16))")
        }
        // The last stores the guest made to its tables are in its memory.
        #expect(tables[Self.level0 + (Self.window >> 12) * 8] == Self.leaf(Self.pages[1]) & 0xffff_ffff)
        #expect(tables[Self.level1] == Self.pointer(Self.otherLevel0))
        if tracing {
            // Seven stores to traced tables, each trapped and done by the hypervisor, each dropping what it changed.
            #expect(events["shadow.write-protect"] == 7, "\(events)")
            #expect((events["shadow.resync"] ?? 0) >= 7, "\(events)")
        } else {
            #expect(events["shadow.write-protect"] == nil, "\(events)")
        }
    }

    // MARK: The bookkeeping alone

    static func tables() throws -> (ShadowPageTables, PhysicalMemory) {
        let memory = try PhysicalMemory(base: 0x8000_0000, size: 2 << 20)
        return (ShadowPageTables(pool: HostPhysicalAddress(0x8000_0000) ..< HostPhysicalAddress(0x8000_0000) + 64 * 4096, memory: memory), memory)
    }

    static let atp: UInt64 = 8 << 60 | 0x81000
    // Host frames of a guest walk for va 0x1000 and 0x2000 (root, level 1, level 0), and data pages.
    static let walk = [0x8010_0000, 0x8010_1000, 0x8010_2000].map(HostPhysicalAddress.init(rawValue:))
    static let dataPage = HostPhysicalAddress(0x8011_0000)

    /// A frame that becomes a traced table loses write permission in every view at once, and
    /// no later fill makes it writable again while it is one.
    @Test func aTracedTableIsWritableThroughNoView() throws {
        let (shadow, _) = try Self.tables()
        let views: [ShadowPageTables.Key] = [.init(guestATP: Self.atp, view: .kernel, mxr: false),
                                             .init(guestATP: Self.atp, view: .kernelWithUserPages, mxr: true)]
        let rw = ShadowPageTables.R | ShadowPageTables.W
        for key in views { #expect(shadow.map(key, va: GuestVirtualAddress(0x4000_0000), hostPage: Self.walk[2], permissions: rw) == false) }
        #expect(try shadow.mappings().allSatisfy { $0.permissions == rw })
        shadow.flushPending = false
        shadow.trace(Self.walk, guestATP: Self.atp, va: GuestVirtualAddress(0x1000))
        #expect(shadow.flushPending, "write permission taken away: the hart's cached translations must go")
        #expect(try shadow.mappings().allSatisfy { $0.permissions == ShadowPageTables.R })
        _ = shadow.map(views[0], va: GuestVirtualAddress(0x4000_1000), hostPage: Self.walk[2], permissions: rw)
        #expect(try shadow.mappings().allSatisfy { $0.permissions & ShadowPageTables.W == 0 })
    }

    /// A write to a traced PTE drops exactly the shadow entries derived from it, in every view;
    /// a write to a level-1 entry drops its whole 2 MiB and stops tracing the level-0 table below.
    @Test func aTracedWriteDropsOnlyWhatItChanged() throws {
        let (shadow, _) = try Self.tables()
        let user = ShadowPageTables.Key(guestATP: Self.atp, view: .user, mxr: false)
        let kernel = ShadowPageTables.Key(guestATP: Self.atp, view: .kernelWithUserPages, mxr: false)
        for va in [0x1000, 0x2000].map(GuestVirtualAddress.init(rawValue:)) {
            shadow.trace(Self.walk, guestATP: Self.atp, va: va)
            for key in [user, kernel] { _ = shadow.map(key, va: va, hostPage: Self.dataPage, permissions: ShadowPageTables.R) }
        }
        #expect(try shadow.mappings().count == 4)
        #expect(shadow.tableWritten(Self.walk[2], offset: 8, width: 8) == 2, "va 0x1000's leaf in both views")
        #expect(try shadow.mappings().map(\.guestVirtual.rawValue).sorted() == [0x2000, 0x2000])
        #expect(shadow.tableWritten(Self.walk[2], offset: 0x100, width: 4) == 0, "a PTE nothing was derived from")
        #expect(shadow.tableWritten(Self.walk[1], offset: 0, width: 8) == 2, "the level-0 table's pointer in both views")
        #expect(try shadow.mappings().isEmpty)
        #expect(!shadow.isTraced(Self.walk[2]), "nothing cached comes from the old level-0 table any more")
        #expect(shadow.isTraced(Self.walk[0]) && shadow.isTraced(Self.walk[1]))
    }

    /// A table written `floodLimit` times with no fill walking it in between stops being traced
    /// and everything derived from it goes; a root takes every view of its address space along.
    @Test func aFloodedTableStopsBeingTraced() throws {
        let (shadow, _) = try Self.tables()
        let key = ShadowPageTables.Key(guestATP: Self.atp, view: .kernel, mxr: false)
        shadow.trace(Self.walk, guestATP: Self.atp, va: GuestVirtualAddress(0x1000))
        _ = shadow.map(key, va: GuestVirtualAddress(0x1000), hostPage: Self.dataPage, permissions: ShadowPageTables.R)
        for _ in 1 ..< ShadowPageTables.floodLimit { _ = shadow.tableWritten(Self.walk[0], offset: 0x800, width: 8) }
        #expect(shadow.isTraced(Self.walk[0]))
        shadow.trace(Self.walk, guestATP: Self.atp, va: GuestVirtualAddress(0x1000)) // a fill walked it: the count starts again
        for _ in 1 ..< ShadowPageTables.floodLimit { _ = shadow.tableWritten(Self.walk[0], offset: 0x800, width: 8) }
        #expect(shadow.isTraced(Self.walk[0]) && shadow.roots[key] != nil)
        #expect(shadow.tableWritten(Self.walk[0], offset: 0x800, width: 8) == 1, "the flood limit: the root goes")
        #expect(shadow.roots.isEmpty && shadow.traced.isEmpty)
    }
}

/// The few RISC-V encodings the tracing guest needs (unprivileged spec chapter 2 formats, A's
/// AMO format, C's CS format), written out so the guest is readable next to what it checks.
private struct GuestProgram {
    var bytes: [UInt8] = []
    mutating func word(_ w: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: w >> UInt32(shift))) } }
    mutating func half(_ h: UInt16) { bytes.append(UInt8(h & 0xff)); bytes.append(UInt8(h >> 8)) }
    mutating func iType(_ op: UInt32, _ f3: UInt32, _ rd: UInt32, _ rs1: UInt32, _ imm: Int32) {
        word(UInt32(bitPattern: imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op)
    }
    mutating func sType(_ op: UInt32, _ f3: UInt32, _ rs1: UInt32, _ rs2: UInt32, _ imm: Int32) {
        let u = UInt32(bitPattern: imm & 0xfff)
        word((u >> 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 31) << 7 | op)
    }
    mutating func addi(_ rd: UInt32, _ rs1: UInt32, _ imm: Int32) { iType(0x13, 0, rd, rs1, imm) }
    mutating func slli(_ rd: UInt32, _ rs1: UInt32, _ shift: Int32) { iType(0x13, 1, rd, rs1, shift) }
    mutating func ori(_ rd: UInt32, _ rs1: UInt32, _ imm: Int32) { iType(0x13, 6, rd, rs1, imm) }
    mutating func ld(_ rd: UInt32, _ rs1: UInt32) { iType(0x03, 3, rd, rs1, 0) }
    mutating func sd(_ rs2: UInt32, _ rs1: UInt32, _ imm: Int32 = 0) { sType(0x23, 3, rs1, rs2, imm) }
    mutating func sw(_ rs2: UInt32, _ rs1: UInt32) { sType(0x23, 2, rs1, rs2, 0) }
    mutating func fsd(_ fs2: UInt32, _ rs1: UInt32) { sType(0x27, 3, rs1, fs2, 0) }
    mutating func fmvDX(_ fd: UInt32, _ rs1: UInt32) { word(0x79 << 25 | rs1 << 15 | fd << 7 | 0x53) }
    mutating func amo(_ funct5: UInt32, _ rd: UInt32, _ rs1: UInt32, _ rs2: UInt32) { word(funct5 << 27 | rs2 << 20 | rs1 << 15 | 3 << 12 | rd << 7 | 0x2f) }
    /// c.sd rs2', 0(rs1') (registers x8–x15).
    mutating func compressedSD(_ rs2: UInt32, _ rs1: UInt32) { half(UInt16(0b111 << 13 | (rs1 - 8) << 7 | (rs2 - 8) << 2)) }
    mutating func csrw(_ csr: UInt32, _ rs1: UInt32) { iType(0x73, 1, 0, rs1, Int32(csr)) }
    mutating func csrs(_ csr: UInt32, _ rs1: UInt32) { iType(0x73, 2, 0, rs1, Int32(csr)) }
    mutating func sfenceVMA() { word(0x1200_0073) }
    mutating func ecall() { word(0x0000_0073) }
    /// Any 64-bit constant, 11 bits at a time.
    mutating func li(_ rd: UInt32, _ value: UInt64) {
        addi(rd, 0, 0)
        for shift in stride(from: 55, through: 0, by: -11) {
            slli(rd, rd, 11)
            ori(rd, rd, Int32((value >> UInt64(shift)) & 0x7ff))
        }
    }
}

extension ShadowTracingTests {
    /// The guest kernel (entered at 0x8020_0000 in S-mode, a raw image).
    static func program() -> [UInt8] {
        // x5–x7 temporaries, x8 (s0) the window, x9 (s1) the PTE's identity address, x18 the next slot.
        let t0: UInt32 = 5, t1: UInt32 = 6, t2: UInt32 = 7, s0: UInt32 = 8, s1: UInt32 = 9, slot: UInt32 = 18
        let a2: UInt32 = 12, a3: UInt32 = 13
        var g = GuestProgram()
        func loadWindow(_ g: inout GuestProgram) {
            g.sfenceVMA()
            g.ld(t0, s0)
            g.sd(t0, slot)
            g.addi(slot, slot, 8)
        }
        g.li(t0, 8 << 60 | root >> 12)
        g.csrw(0x180, t0) // satp
        g.sfenceVMA()
        g.li(s0, window)
        g.li(s1, level0 + (window >> 12) * 8)
        g.li(slot, slots)
        g.ld(t0, s0); g.sd(t0, slot); g.addi(slot, slot, 8)
        g.li(t1, leaf(pages[1])); g.sd(t1, s1); loadWindow(&g)                        // sd
        g.li(t1, leaf(pages[2])); g.amo(0b00001, t2, s1, t1)                           // amoswap.d
        g.sd(t2, slot); g.addi(slot, slot, 8); loadWindow(&g)
        g.li(a2, leaf(pages[3])); g.addi(a3, s1, 0); g.compressedSD(a2, a3); g.half(0x0001) // c.sd, c.nop to realign
        loadWindow(&g)
        g.amo(0b00010, t2, s1, 0); g.li(t1, leaf(pages[4])); g.amo(0b00011, t2, s1, t1) // lr.d, sc.d
        g.sd(t2, slot); g.addi(slot, slot, 8); loadWindow(&g)
        g.li(t0, 1 << 13); g.csrs(0x100, t0)                                           // sstatus.FS = Initial
        g.li(t1, leaf(pages[0])); g.fmvDX(1, t1); g.fsd(1, s1); loadWindow(&g)         // fsd
        g.li(t1, leaf(pages[1]) & 0xffff_ffff); g.sw(t1, s1); loadWindow(&g)           // sw
        g.li(t0, level1); g.li(t1, pointer(otherLevel0)); g.sd(t1, t0); loadWindow(&g) // a level-1 entry
        // SBI system reset: shutdown, no reason.
        g.li(17, 0x5352_5354); g.li(16, 0); g.li(10, 0); g.li(11, 0); g.ecall()
        return g.bytes
    }
}
