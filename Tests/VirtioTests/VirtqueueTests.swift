import Machine
import Testing
@testable import Virtio

private typealias R = VirtioMMIOTransport.Register
private let base = TestDriver.ramBase
private let all: UInt64 = VirtioFeature.version1 | VirtioFeature.ring | 1

@Suite struct VirtioMMIOTransportTests {
    @Test func modernRegistersIdentifyTheDevice() throws {
        let driver = try TestDriver(device: EchoDevice())
        #expect(driver.read(R.magicValue) == 0x7472_6976)
        #expect(driver.read(R.version) == 2)
        #expect(driver.read(R.deviceID) == VirtioDeviceType.console.rawValue)
        #expect(driver.read(R.vendorID) == 0x554d_4551)
        driver.write(R.deviceFeaturesSelect, 0)
        #expect(UInt64(driver.read(R.deviceFeatures)) == VirtioFeature.ring | 1)
        driver.write(R.deviceFeaturesSelect, 1)
        #expect(driver.read(R.deviceFeatures) == 1, "VERSION_1 is bit 32")
        driver.write(R.queueSelect, 1)
        #expect(driver.read(R.queueSizeMaximum) == 16)
        driver.write(R.queueSelect, 2)
        #expect(driver.read(R.queueSizeMaximum) == 0, "queue 2 does not exist")
        // Configuration space: any width, little-endian, zero past its end.
        #expect(driver.transport.read(offset: 0x100, width: 1) == 0x11)
        #expect(driver.transport.read(offset: 0x101, width: 2) == 0x3322)
        #expect(driver.transport.read(offset: 0x100, width: 4) == 0x4433_2211)
        #expect(driver.transport.read(offset: 0x104, width: 4) == 0)
        // Registers answer 32-bit reads only.
        #expect(driver.transport.read(offset: R.magicValue, width: 1) == 0)
    }

    @Test func legacyRegistersAndFeatures() throws {
        let driver = try TestDriver(device: EchoDevice(), legacy: true)
        #expect(driver.read(R.version) == 1)
        driver.write(R.deviceFeaturesSelect, 1)
        #expect(driver.read(R.deviceFeatures) == 0, "a legacy device offers no bit above 31, so no VERSION_1")
        driver.initialize(features: all)
        #expect(driver.read(R.queuePFN) == UInt32((base + 0x1000) / 4096))
        #expect(driver.transport.queues[0].usedRing == base + 0x1000 + 0x1000, "16 descriptors + avail ring fit in the first page")
        #expect(driver.transport.queues[0].eventIndex, "legacy features take effect when written")
        #expect(driver.status & VirtioStatus.driverOK != 0)
        try echoOnce(driver)
        driver.write(R.queuePFN, 0)
        #expect(driver.read(R.queuePFN) == 0)
    }

    /// FEATURES_OK sticks as on QEMU 7.2 (which Corpus/teachos's virtio_without_version1 test
    /// checks on both): without VERSION_1, as a driver for legacy devices (xv6's) negotiates, the
    /// device still works; bits it never offered are dropped, not refused.
    @Test func featuresOKSticksWithoutVersion1AndDropsUnofferedBitsAsQEMUDoes() throws {
        let driver = try TestDriver(device: EchoDevice())
        driver.write(R.status, VirtioStatus.acknowledge | VirtioStatus.driver)
        driver.write(R.driverFeaturesSelect, 0)
        driver.write(R.driverFeatures, 1)
        driver.write(R.status, VirtioStatus.acknowledge | VirtioStatus.driver | VirtioStatus.featuresOK)
        #expect(driver.status & VirtioStatus.featuresOK != 0, "no VERSION_1: accepted, as QEMU does")
        #expect(driver.transport.core.negotiatedFeatures == 1)
        driver.initialize(features: 1)   // the low word alone, then a queue and DRIVER_OK
        #expect(driver.status & VirtioStatus.driverOK != 0)
        try echoOnce(driver)

        driver.write(R.status, 0)
        driver.write(R.status, VirtioStatus.acknowledge | VirtioStatus.driver)
        driver.write(R.driverFeaturesSelect, 1)
        driver.write(R.driverFeatures, 1 | 1 << 8)
        driver.write(R.status, VirtioStatus.acknowledge | VirtioStatus.driver | VirtioStatus.featuresOK)
        #expect(driver.status & VirtioStatus.featuresOK != 0, "bit 40 was not offered: dropped, FEATURES_OK kept")
        #expect(driver.transport.core.negotiatedFeatures == VirtioFeature.version1, "VERSION_1, not bit 40")
    }

    /// One readable and one writable buffer: the device copies, the used ring says how much,
    /// the interrupt rises and InterruptACK lowers it.
    func echoOnce(_ driver: TestDriver) throws {
        driver.memory.write(Array("hello".utf8), at: base + 0x10000)
        driver.putDescriptor(.init(address: base + 0x10000, length: 5, flags: SplitRing.next, next: 1), at: 0)
        driver.putDescriptor(.init(address: base + 0x11000, length: 8, flags: SplitRing.write), at: 1)
        driver.makeAvailable(head: 0)
        let used = driver.takeUsed()
        #expect(used.count == 1 && used[0] == (0, 5))
        #expect(driver.memory.read(base + 0x11000, count: 5) == Array("hello".utf8))
        #expect(driver.interruptLevel && driver.read(R.interruptStatus) == VirtioMMIOTransport.usedBufferInterrupt)
        driver.acknowledgeInterrupts()
        #expect(!driver.interruptLevel)
    }

    @Test func aChainIsCarriedOutWhenQueueNotifyIsWritten() throws {
        let driver = try TestDriver(device: EchoDevice())
        driver.initialize(features: all)
        try echoOnce(driver)
        #expect(driver.transport.statistics.requests == 1)
    }

    @Test func indirectTables() throws {
        let device = EchoDevice()
        let driver = try TestDriver(device: device)
        driver.initialize(features: all)
        let table = base + 0x20000
        driver.memory.write(Array("abcdef".utf8), at: base + 0x10000)
        // Two normal descriptors, then one indirect one ending the chain (§2.7.5.3.2).
        driver.putDescriptor(.init(address: base + 0x10000, length: 2, flags: SplitRing.next, next: 5), at: 3)
        driver.putDescriptor(.init(address: table, length: 48, flags: SplitRing.indirect), at: 5)
        driver.putDescriptor(.init(address: base + 0x10002, length: 2, flags: SplitRing.next, next: 1), at: 0, table: table)
        driver.putDescriptor(.init(address: base + 0x10004, length: 2, flags: SplitRing.next, next: 2), at: 1, table: table)
        driver.putDescriptor(.init(address: base + 0x11000, length: 6, flags: SplitRing.write), at: 2, table: table)
        driver.makeAvailable(head: 3)
        #expect(driver.takeUsed().map(\.1) == [6])
        #expect(driver.memory.read(base + 0x11000, count: 6) == Array("abcdef".utf8))
        #expect(device.requests.last?.readable.count == 3)
        #expect(!driver.transport.needsReset)
    }

    @Test func eventIndexSuppressesAndBatchesNotifications() throws {
        let driver = try TestDriver(device: EchoDevice())
        driver.initialize(features: all)
        driver.putDescriptor(.init(address: base + 0x10000, length: 4, flags: SplitRing.next, next: 1), at: 0)
        driver.putDescriptor(.init(address: base + 0x11000, length: 4, flags: SplitRing.write), at: 1)
        // Three chains, one notification: one interrupt for the batch.
        driver.usedEvent = 0
        for _ in 0..<3 { driver.makeAvailable(head: 0, notify: false) }
        driver.write(R.queueNotify, 0)
        #expect(driver.takeUsed().count == 3)
        #expect(driver.interruptRaises == 1)
        #expect(driver.availEvent == 3, "the device asks to be notified past what it consumed")
        driver.acknowledgeInterrupts()
        // used_event far ahead: the driver does not want to hear of the next completion.
        driver.usedEvent = 10
        driver.makeAvailable(head: 0)
        #expect(driver.takeUsed().count == 1)
        #expect(driver.interruptRaises == 1 && !driver.interruptLevel)
        #expect(driver.transport.statistics.suppressedInterrupts == 1)
        // used_event = the index just passed: notified.
        driver.usedEvent = 4
        driver.makeAvailable(head: 0)
        #expect(driver.interruptRaises == 2)
    }

    @Test func withoutEventIndexAvailFlagsSuppress() throws {
        let driver = try TestDriver(device: EchoDevice())
        driver.initialize(features: VirtioFeature.version1)
        driver.putDescriptor(.init(address: base + 0x11000, length: 4, flags: SplitRing.write), at: 0)
        driver.memory.store(driver.availableRing, width: 2, value: UInt64(SplitRing.availNoInterrupt))
        driver.makeAvailable(head: 0)
        #expect(driver.takeUsed().count == 1 && !driver.interruptLevel)
        driver.memory.store(driver.availableRing, width: 2, value: 0)
        driver.makeAvailable(head: 0)
        #expect(driver.interruptLevel)
    }

    /// QEMU's event_idx=off / indirect_desc=off: the bits are not offered, so not negotiated.
    @Test func ringFeaturesCanBeWithheld() throws {
        let memory = try PhysicalMemory(base: base, size: 1 << 20)
        let transport = VirtioMMIOTransport(name: "v", device: EchoDevice(), legacy: false, memory: memory,
                                            ringFeatures: VirtioFeature.indirectDescriptors, interrupt: { _ in })
        #expect(transport.offeredFeatures & VirtioFeature.eventIndex == 0)
        #expect(transport.offeredFeatures & VirtioFeature.indirectDescriptors != 0)
    }

    @Test func resetClearsEverything() throws {
        let device = EchoDevice()
        let driver = try TestDriver(device: device)
        driver.initialize(features: all)
        try echoOnce(driver)
        driver.write(R.status, 0)
        #expect(driver.status == 0 && !driver.transport.queues[0].ready && driver.transport.queues[0].nextAvailable == 0)
        #expect(device.resets >= 2, "initialize resets too")
    }
}

/// Guest descriptors are untrusted (§2.7.5.3.1, §2.1.2): every violation ends in
/// DEVICE_NEEDS_RESET and a configuration-change interrupt, nothing outside guest RAM is touched,
/// and the device ignores its queues until the driver resets it.
@Suite struct HostileDescriptorTests {
    enum Case: String, CaseIterable {
        case loop, chainLongerThanQueue, headOutOfRange, nextOutOfRange, bufferPastRAM, bufferWrapsAround,
             bufferBelowRAM, indirectTableOutsideRAM, indirectTableBadLength, nestedIndirect, indirectWithNext,
             indirect65536Entries, readableAfterWritable, writableOverlapsReadable, writableOverlapsRing,
             availableIndexJump, ringOutsideRAM, queueSizeTooLarge
    }

    @Test(arguments: Case.allCases) func hostileChainNeedsReset(_ hostile: Case) throws {
        let device = EchoDevice()
        let driver = try TestDriver(device: device)
        driver.initialize(features: all)
        let d = TestDriver.Descriptor.self
        let ramEnd = base + TestDriver.ramSize
        var head: UInt16 = 0
        switch hostile {
        case .loop:
            driver.putDescriptor(d.init(address: base + 0x10000, length: 4, flags: SplitRing.next, next: 1), at: 0)
            driver.putDescriptor(d.init(address: base + 0x10010, length: 4, flags: SplitRing.next, next: 0), at: 1)
        case .chainLongerThanQueue:
            for i in 0..<16 { driver.putDescriptor(d.init(address: base + 0x10000, length: 4, flags: SplitRing.next, next: UInt16(i + 1)), at: UInt16(i)) }
        case .headOutOfRange:
            head = 16
        case .nextOutOfRange:
            driver.putDescriptor(d.init(address: base + 0x10000, length: 4, flags: SplitRing.next, next: 200), at: 0)
        case .bufferPastRAM:
            driver.putDescriptor(d.init(address: ramEnd - 8, length: 16, flags: SplitRing.write), at: 0)
        case .bufferWrapsAround:
            driver.putDescriptor(d.init(address: UInt64.max - 7, length: 0x100, flags: SplitRing.write), at: 0)
        case .bufferBelowRAM:
            driver.putDescriptor(d.init(address: 0x1000_0000, length: 8), at: 0)
        case .indirectTableOutsideRAM:
            driver.putDescriptor(d.init(address: ramEnd, length: 32, flags: SplitRing.indirect), at: 0)
        case .indirectTableBadLength:
            driver.putDescriptor(d.init(address: base + 0x20000, length: 20, flags: SplitRing.indirect), at: 0)
        case .nestedIndirect:
            driver.putDescriptor(d.init(address: base + 0x20000, length: 16, flags: SplitRing.indirect), at: 0)
            driver.putDescriptor(d.init(address: base + 0x30000, length: 16, flags: SplitRing.indirect), at: 0, table: base + 0x20000)
        case .indirectWithNext:
            driver.putDescriptor(d.init(address: base + 0x20000, length: 16, flags: SplitRing.indirect | SplitRing.next, next: 1), at: 0)
        case .indirect65536Entries:
            // A 1 MiB table, inside RAM, each entry chaining to the next: far longer than the queue.
            let table = base + 0x100000
            for i in 0..<65536 {
                driver.putDescriptor(d.init(address: base + 0x10000, length: 1, flags: i < 65535 ? SplitRing.next : 0, next: UInt16(truncatingIfNeeded: i + 1)), at: UInt16(truncatingIfNeeded: i), table: table)
            }
            driver.putDescriptor(d.init(address: table, length: 65536 * 16, flags: SplitRing.indirect), at: 0)
        case .readableAfterWritable:
            driver.putDescriptor(d.init(address: base + 0x11000, length: 4, flags: SplitRing.write | SplitRing.next, next: 1), at: 0)
            driver.putDescriptor(d.init(address: base + 0x10000, length: 4), at: 1)
        case .writableOverlapsReadable:
            driver.putDescriptor(d.init(address: base + 0x10000, length: 16, flags: SplitRing.next, next: 1), at: 0)
            driver.putDescriptor(d.init(address: base + 0x10008, length: 16, flags: SplitRing.write), at: 1)
        case .writableOverlapsRing:
            driver.putDescriptor(d.init(address: driver.descriptorTable, length: 16, flags: SplitRing.write), at: 0)
        case .availableIndexJump:
            driver.memory.store(driver.availableRing + 2, width: 2, value: 100)
            driver.write(R.queueNotify, 0)
        case .ringOutsideRAM:
            driver.write(R.status, 0)
            driver.transport.queues[0].ready = false
            driver.write(R.queueDriverLow, UInt32(truncatingIfNeeded: ramEnd - 2))
            driver.write(R.queueDriverHigh, 0)
            driver.initializeKeepingRings()
            driver.putDescriptor(d.init(address: base + 0x11000, length: 4, flags: SplitRing.write), at: 0)
            driver.write(R.queueNotify, 0)
        case .queueSizeTooLarge:
            driver.write(R.queueSelect, 0)
            driver.write(R.queueSize, 17)
        }
        if ![.availableIndexJump, .ringOutsideRAM, .queueSizeTooLarge].contains(hostile) { driver.makeAvailable(head: head) }

        #expect(driver.transport.needsReset, "\(hostile): \(String(describing: driver.transport.lastError))")
        #expect(driver.read(R.interruptStatus) & VirtioMMIOTransport.configurationChangeInterrupt != 0)
        #expect(driver.interruptLevel)
        #expect(driver.takeUsed().isEmpty)
        #expect(device.requests.isEmpty)
        // The device ignores the queue until a reset; the driver cannot clear the bit by itself.
        driver.write(R.status, driver.status & ~VirtioStatus.deviceNeedsReset)
        #expect(driver.transport.needsReset)
        driver.putDescriptor(d.init(address: base + 0x11000, length: 4, flags: SplitRing.write), at: 1)
        driver.makeAvailable(head: 1)
        #expect(device.requests.isEmpty)
        // After a reset the queue works again.
        driver.nextAvailable = 0
        driver.lastUsed = 0
        driver.descriptorTable = base + 0x1000
        driver.availableRing = base + 0x2000
        driver.initialize(features: all)
        #expect(!driver.transport.needsReset && !driver.interruptLevel)
        driver.makeAvailable(head: 1)
        #expect(driver.takeUsed().count == 1)
    }

    @Test func aLegacyDeviceStopsWithoutTheStatusBit() throws {
        let device = EchoDevice()
        let driver = try TestDriver(device: device, legacy: true)
        driver.initialize(features: all)
        driver.putDescriptor(.init(address: base + 0x10000, length: 4, flags: SplitRing.next, next: 0), at: 0)
        driver.makeAvailable(head: 0)
        #expect(driver.transport.lastError == .queue(.chainTooLong(limit: 16)))
        #expect(!driver.transport.needsReset, "legacy has no DEVICE_NEEDS_RESET; QEMU only marks the device broken")
        driver.putDescriptor(.init(address: base + 0x11000, length: 4, flags: SplitRing.write), at: 1)
        driver.makeAvailable(head: 1)
        #expect(device.requests.isEmpty)
    }

    @Test func indirectWithoutTheFeatureIsRefused() throws {
        let driver = try TestDriver(device: EchoDevice())
        driver.initialize(features: VirtioFeature.version1)
        driver.putDescriptor(.init(address: base + 0x20000, length: 16, flags: SplitRing.indirect), at: 0)
        driver.makeAvailable(head: 0)
        #expect(driver.transport.lastError == .queue(.indirectNotNegotiated))
    }
}

extension TestDriver {
    /// Feature negotiation and DRIVER_OK for queue 0 whose addresses are already written.
    func initializeKeepingRings() {
        write(R.status, VirtioStatus.acknowledge | VirtioStatus.driver)
        write(R.driverFeaturesSelect, 1)
        write(R.driverFeatures, 1)
        write(R.status, VirtioStatus.acknowledge | VirtioStatus.driver | VirtioStatus.featuresOK)
        write(R.queueSelect, 0)
        write(R.queueSize, UInt32(queueSize))
        write(R.queueDescriptorLow, UInt32(truncatingIfNeeded: descriptorTable))
        write(R.queueDeviceLow, UInt32(truncatingIfNeeded: usedRing))
        write(R.queueReady, 1)
        write(R.status, status | VirtioStatus.driverOK)
    }
}

/// Random rings: whatever a driver writes into the descriptor table and the rings, the device
/// either completes chains or needs a reset; it never traps, and with the test's RAM far below
/// the addresses drawn, most buffers fall outside RAM and must be refused.
@Suite struct RandomDescriptorTests {
    /// SplitMix64, so a failing seed can be replayed.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    @Test(arguments: 0..<8) func randomRingsNeverCrashTheHost(seed: UInt64) throws {
        var random = Generator(state: seed)
        let device = EchoDevice()
        let driver = try TestDriver(device: device)
        for round in 0..<200 {
            driver.nextAvailable = 0
            driver.lastUsed = 0
            driver.initialize(features: random.next() & 1 == 0 ? all : VirtioFeature.version1)
            // Addresses: mostly inside RAM (some near its edges), some anywhere.
            func address() -> UInt64 {
                switch random.next() % 4 {
                case 0: return random.next()
                case 1: return base + TestDriver.ramSize - random.next() % 64
                default: return base + 0x10000 + random.next() % 0x30000
                }
            }
            for index in 0..<16 {
                let flags = UInt16(truncatingIfNeeded: random.next() & 7)
                driver.putDescriptor(.init(address: address(), length: UInt32(truncatingIfNeeded: random.next() % 0x2000),
                                           flags: flags, next: UInt16(truncatingIfNeeded: random.next() % 20)), at: UInt16(index))
            }
            // An indirect table's worth of random entries where the random addresses may point.
            for offset in stride(from: UInt64(0), to: 0x400, by: 16) {
                driver.memory.store(base + 0x10000 + offset, width: 8, value: address())
                driver.memory.store(base + 0x10008 + offset, width: 8, value: random.next())
            }
            for _ in 0..<Int(random.next() % 4 + 1) { driver.makeAvailable(head: UInt16(random.next() % 18), notify: false) }
            driver.write(R.queueNotify, 0)
            let used = driver.takeUsed()
            #expect(driver.transport.needsReset || !used.isEmpty || device.requests.isEmpty, "seed \(seed) round \(round)")
            for buffer in device.requests.flatMap({ $0.readable + $0.writable }) {
                #expect(driver.memory.contains(buffer.address, length: UInt64(buffer.length)), "seed \(seed) round \(round)")
            }
            device.requests.removeAll()
        }
    }
}
