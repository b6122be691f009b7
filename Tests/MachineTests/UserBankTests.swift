import Testing
import RISCV
@testable import Machine

/// U-mode's TLB banks (`TranslationSlots`): a host that moves the hart between address spaces
/// keeps each one's translations, empties them all when it says a table changed, and hands
/// banks out by use alone, never by where the roots lie.
@Suite("U-mode TLB banks")
struct UserBankTests {
    static let ramBase: UInt64 = 0x8000_0000
    static let va: UInt64 = 0x4000

    /// A hart in U-mode and RAM holding one Sv39 root per address space: each maps `va` to a data
    /// page of its own (root i at page 16 + 4i, its tables after it, its data page at + 3).
    static func hart(spaces: Int) -> (Hart, [UInt64]) {
        let memory = try! PhysicalMemory(base: ramBase, size: 1 << 20)
        let hart = Hart(bus: Bus(ram: memory), interrupts: InterruptLines(), timebase: Timebase(mode: .virtual(instructionsPerTick: 100)),
                        control: MachineControl())
        var satps: [UInt64] = []
        for space in 0 ..< spaces {
            let root = ramBase + UInt64(16 + 4 * space) * 4096, middle = root + 4096, leaf = root + 2 * 4096, data = root + 3 * 4096
            _ = memory.store(root, width: 8, value: (middle >> 12) << 10 | PageTableEntry.valid)
            _ = memory.store(middle, width: 8, value: (leaf >> 12) << 10 | PageTableEntry.valid)
            _ = memory.store(leaf + (va >> 12) * 8, width: 8, value: pte(data))
            satps.append(8 << 60 | root >> 12)
        }
        // PMP opens RAM to U-mode, as a deprivileging host's does.
        hart.hostWriteCSR(CSR.pmpaddr0, ramBase >> 2)
        hart.hostWriteCSR(CSR.pmpaddr0 + 1, (ramBase + (1 << 20)) >> 2)
        hart.hostWriteCSR(CSR.pmpcfg0, 0x0f << 8)
        hart.loadDeprivilegedGuest(VirtualHartState())
        return (hart, satps)
    }

    static func pte(_ page: UInt64) -> UInt64 {
        (page >> 12) << 10 | PageTableEntry.valid | PageTableEntry.read | PageTableEntry.write | PageTableEntry.user
            | PageTableEntry.accessed | PageTableEntry.dirty
    }

    /// Whether the current bank holds a read translation of `va`, and where it leads.
    static func cached(_ hart: Hart) -> UInt64? {
        let e = hart.tlbEntry(slot: hart.dataSlot, va)
        guard e.pointee.readTag == va else { return nil }
        let hostBase = UInt64(UInt(bitPattern: hart.memory.hostPointer(ramBase)))
        return va &+ e.pointee.hostOffset &- hostBase &+ ramBase
    }

    @Test func returningToAnAddressSpaceFindsItsTranslations() throws {
        let (hart, satps) = Self.hart(spaces: 2)
        hart.hostSwitchUserAddressSpace(satp: satps[0])
        let first = try hart.translateData(Self.va, .read, width: 8)
        hart.hostSwitchUserAddressSpace(satp: satps[1])
        #expect(Self.cached(hart) == nil)
        let second = try hart.translateData(Self.va, .read, width: 8)
        #expect(first != second)
        let misses = hart.eventCounters.tlbMisses
        hart.hostSwitchUserAddressSpace(satp: satps[0])
        #expect(Self.cached(hart) == first)
        hart.hostSwitchUserAddressSpace(satp: satps[1])
        #expect(Self.cached(hart) == second)
        #expect(hart.eventCounters.tlbMisses == misses)
    }

    @Test func aHostFlushEmptiesEveryBank() throws {
        let (hart, satps) = Self.hart(spaces: 2)
        for satp in satps {
            hart.hostSwitchUserAddressSpace(satp: satp)
            _ = try hart.translateData(Self.va, .read, width: 8)
        }
        // The host rewrites space 0's leaf (as a shadow-table drop would), then says so.
        let leaf = Self.ramBase + 16 * 4096 + 2 * 4096, moved = Self.ramBase + 200 * 4096
        _ = hart.memory.store(leaf + (Self.va >> 12) * 8, width: 8, value: Self.pte(moved))
        hart.hostFlushUserTranslations()
        #expect(Self.cached(hart) == nil)
        hart.hostSwitchUserAddressSpace(satp: satps[0])
        #expect(Self.cached(hart) == nil)
        #expect(try hart.translateData(Self.va, .read, width: 8) == moved)
    }

    @Test func theLeastRecentlyUsedBankGoesToANewAddressSpace() throws {
        let (hart, satps) = Self.hart(spaces: TranslationSlots.userBanks + 1)
        var translated: [UInt64] = []
        for satp in satps.prefix(TranslationSlots.userBanks) {
            hart.hostSwitchUserAddressSpace(satp: satp)
            translated.append(try hart.translateData(Self.va, .read, width: 8))
        }
        // Use space 0 again, so space 1 is now the least recently used.
        hart.hostSwitchUserAddressSpace(satp: satps[0])
        hart.hostSwitchUserAddressSpace(satp: satps[TranslationSlots.userBanks])
        #expect(Self.cached(hart) == nil)
        _ = try hart.translateData(Self.va, .read, width: 8)
        hart.hostSwitchUserAddressSpace(satp: satps[0])
        #expect(Self.cached(hart) == translated[0])
        hart.hostSwitchUserAddressSpace(satp: satps[3])
        #expect(Self.cached(hart) == translated[3])
        // Space 1 was evicted; taking a bank back for it evicts space 2, now the oldest.
        hart.hostSwitchUserAddressSpace(satp: satps[1])
        #expect(Self.cached(hart) == nil)
        hart.hostSwitchUserAddressSpace(satp: satps[2])
        #expect(Self.cached(hart) == nil)
    }

    /// After a flush every bank is free again, so the slots roots get follow the order of use,
    /// whatever addresses earlier roots had.
    @Test func afterAFlushBanksGoByUseNotByAddress() throws {
        let (hart, satps) = Self.hart(spaces: 3)
        hart.hostSwitchUserAddressSpace(satp: satps[2])
        hart.hostSwitchUserAddressSpace(satp: satps[1])
        hart.hostFlushUserTranslations()
        hart.hostSwitchUserAddressSpace(satp: satps[0])
        let slotOfFirst = hart.userSlot
        hart.hostSwitchUserAddressSpace(satp: satps[1])
        let slotOfSecond = hart.userSlot

        let (fresh, freshSATPs) = Self.hart(spaces: 3)
        fresh.hostSwitchUserAddressSpace(satp: freshSATPs[0])
        #expect(fresh.userSlot == slotOfFirst)
        fresh.hostSwitchUserAddressSpace(satp: freshSATPs[1])
        #expect(fresh.userSlot == slotOfSecond)
    }
}
