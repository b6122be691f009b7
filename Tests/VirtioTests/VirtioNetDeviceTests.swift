import Machine
import Network
import Synchronization
import Testing
@testable import Virtio

private typealias R = VirtioMMIOTransport.Register
private typealias Net = VirtioNetDevice

/// A back-end that keeps what the guest sends and says whether it had room.
private final class HostSide: NetworkPeer {
    let frames = Mutex<[EthernetFrame]>([])
    func receive(_ frame: EthernetFrame) -> Bool {
        frames.withLock { $0.append(frame) }
        return true
    }
    var sent: [[UInt8]] { frames.withLock { $0.map(\.bytes) } }
}

/// How often the device asked the board for a poll.
private final class PollCounter: Sendable {
    let count = Mutex(0)
    func request() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// A driver for virtio-net's receiveq and transmitq on the modern transport (virtio 1.2, §5.1),
/// each queue with its own rings in a 64 KiB area.
private final class NetDriver {
    let driver: TestDriver
    let device: Net
    let link = NetworkLink(name: "n0")
    let host = HostSide()
    let polls = PollCounter()
    static let size: UInt16 = 8
    static func area(_ q: Int) -> UInt64 { TestDriver.queueArea(q) }
    static func buffer(_ q: Int, _ d: UInt16) -> UInt64 { area(q) + 0x4000 + 0x800 * UInt64(d) }
    var nextAvailable = [UInt16](repeating: 0, count: 2)
    var lastUsed = [UInt16](repeating: 0, count: 2)
    var nextDescriptor = [UInt16](repeating: 0, count: 2)

    init(version1: Bool = true) throws {
        let polls = self.polls
        device = Net(mac: MACAddress([0x52, 0x54, 0, 0x12, 0x34, 0x56]), link: link) { polls.request() }
        link.attach(host, as: .backEnd)
        driver = try TestDriver(device: device)
        driver.write(R.status, VirtioStatus.acknowledge | VirtioStatus.driver)
        driver.write(R.driverFeaturesSelect, 0)
        driver.write(R.driverFeatures, UInt32(Net.Feature.mac | Net.Feature.status))
        driver.write(R.driverFeaturesSelect, 1)
        driver.write(R.driverFeatures, version1 ? 1 : 0)
        driver.write(R.status, VirtioStatus.acknowledge | VirtioStatus.driver | VirtioStatus.featuresOK)
        driver.setUpQueues(2, size: Self.size)
    }

    var memory: PhysicalMemory { driver.memory }

    /// Puts a chain of one descriptor per part on queue q: bytes to send, or lengths to fill.
    func offer(_ q: Int, parts: [[UInt8]] = [], writable: [UInt32] = [], address: UInt64? = nil, lengthOverride: UInt32? = nil) {
        let count = parts.count + writable.count
        let head = nextDescriptor[q] % Self.size
        for i in 0..<count {
            let d = (head + UInt16(i)) % Self.size
            let buffer = address ?? Self.buffer(q, d)
            let isWritable = i >= parts.count
            var length = isWritable ? writable[i - parts.count] : UInt32(parts[i].count)
            if !isWritable { _ = memory.write(parts[i], at: buffer) }
            if let lengthOverride { length = lengthOverride }
            let entry = Self.area(q) + 16 * UInt64(d)
            memory.store(entry, width: 8, value: buffer)
            memory.store(entry + 8, width: 4, value: UInt64(length))
            let more = i + 1 < count ? SplitRing.next : 0
            memory.store(entry + 12, width: 2, value: UInt64((isWritable ? SplitRing.write : 0) | more))
            memory.store(entry + 14, width: 2, value: UInt64((d + 1) % Self.size))
        }
        nextDescriptor[q] &+= UInt16(count)
        let available = Self.area(q) + 0x1000
        memory.store(available + 4 + 2 * UInt64(nextAvailable[q] % Self.size), width: 2, value: UInt64(head))
        nextAvailable[q] &+= 1
        memory.store(available + 2, width: 2, value: UInt64(nextAvailable[q]))
        driver.write(R.queueNotify, UInt32(q))
    }

    /// What the device returned on queue q since the last call: the bytes it wrote into each chain's first buffer.
    func used(_ q: Int) -> [[UInt8]] { driver.usedBuffers(q, size: Self.size, lastUsed: &lastUsed[q]) }

    func poll() { _ = driver.transport.poll(now: 0) }
}

private func frame(_ tag: UInt8, length: Int = 60) -> [UInt8] {
    [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x55, 0x0a, 0, 2, 2, 0x08, 0x06] + [UInt8](repeating: tag, count: length - 14)
}

private let header = [UInt8](repeating: 0, count: 12)

@Suite struct VirtioNetDeviceTests {
    @Test func featuresAndConfigurationSayMACAndLinkUpAndNoOffloads() throws {
        let net = try NetDriver()
        net.driver.write(R.deviceFeaturesSelect, 0)
        let low = net.driver.read(R.deviceFeatures)
        #expect(UInt64(low) & (Net.Feature.mac | Net.Feature.status) == Net.Feature.mac | Net.Feature.status)
        #expect(UInt64(low) & (Net.Feature.checksum | Net.Feature.guestChecksum | Net.Feature.mergeableReceiveBuffers | Net.Feature.controlQueue) == 0)
        #expect(UInt64(low) & 0x3f_ffc0 & ~(Net.Feature.mac | Net.Feature.status) == 0, "no GSO, TSO or UFO bits")
        #expect(net.driver.read(R.deviceID) == 1)
        let configuration = (0..<8).map { UInt8(net.driver.transport.read(offset: 0x100 + UInt64($0), width: 1)) }
        #expect(configuration == [0x52, 0x54, 0, 0x12, 0x34, 0x56, 1, 0])
    }

    @Test func transmittedFramesReachTheBackEndWithoutTheHeader() throws {
        let net = try NetDriver()
        net.offer(Net.Queue.transmit, parts: [header + frame(1)])
        net.offer(Net.Queue.transmit, parts: [header, Array(frame(2).prefix(20)), Array(frame(2).dropFirst(20))])
        #expect(net.host.sent == [frame(1), frame(2)])
        #expect(net.used(Net.Queue.transmit).count == 2)
        #expect(net.link.counters(toward: .backEnd).frames == 2)
    }

    @Test func receivedFramesWaitForBuffersAndComeWithAHeader() throws {
        let net = try NetDriver()
        net.link.send(frame(7), from: .backEnd)
        #expect(net.polls.value == 1, "the arrival asks the board for a poll")
        net.poll()
        #expect(net.used(Net.Queue.receive).isEmpty)
        net.offer(Net.Queue.receive, writable: [1526])
        let got = net.used(Net.Queue.receive)
        var expectedHeader = header
        expectedHeader[10] = 1  // num_buffers
        #expect(got == [expectedHeader + frame(7)])
    }

    @Test func aLegacyDriverGetsTheTenByteHeader() throws {
        let net = try NetDriver(version1: false)
        net.offer(Net.Queue.receive, writable: [1524])
        net.link.send(frame(3), from: .backEnd)
        net.poll()
        #expect(net.used(Net.Queue.receive) == [[UInt8](repeating: 0, count: 10) + frame(3)])
        net.offer(Net.Queue.transmit, parts: [[UInt8](repeating: 0, count: 10) + frame(4)])
        #expect(net.host.sent == [frame(4)])
    }

    @Test func aGuestWithoutBuffersPushesBackAndLosesNothingUpToTheBounds() throws {
        let net = try NetDriver()
        let arriving = VirtioNetInbox.capacity + 20
        for i in 0..<arriving { net.link.send(frame(UInt8(truncatingIfNeeded: i)), from: .backEnd) }
        let counters = net.link.counters(toward: .frontEnd)
        #expect(counters.frames == VirtioNetInbox.capacity)
        #expect(counters.queued == 20 && counters.totalDropped == 0)
        // The guest posts buffers a few at a time; every frame arrives, in order.
        var tags: [UInt8] = []
        while tags.count < arriving {
            for _ in 0..<4 { net.offer(Net.Queue.receive, writable: [1526]) }
            net.poll()
            tags += net.used(Net.Queue.receive).map { $0[12 + 14] }
        }
        #expect(tags == (0..<arriving).map { UInt8(truncatingIfNeeded: $0) })
        #expect(net.link.counters(toward: .frontEnd).queued == 0)
    }

    @Test func hostileTransmitFramesAreDroppedAndCountedNeverSent() throws {
        let net = try NetDriver()
        // Oversize: longer than a tagged 1500-byte frame.
        net.offer(Net.Queue.transmit, parts: [header + frame(1, length: 1519)])
        // Undersize: a header and half an Ethernet header.
        net.offer(Net.Queue.transmit, parts: [header + [1, 2, 3, 4, 5, 6, 7]])
        // Offloads that were never offered: NEEDS_CSUM, then GSO TCPv4.
        var checksum = header
        checksum[0] = 1
        net.offer(Net.Queue.transmit, parts: [checksum + frame(2)])
        var gso = header
        gso[1] = 1
        net.offer(Net.Queue.transmit, parts: [gso + frame(3)])
        // A chain claiming 64 KiB: rejected by its length, never read.
        net.offer(Net.Queue.transmit, parts: [header + frame(4)], lengthOverride: 65536)
        #expect(net.host.sent.isEmpty)
        #expect(!net.driver.transport.needsReset)
        let counters = net.link.counters(toward: .backEnd)
        #expect(counters.dropped == [.oversize: 2, .undersize: 1, .unsupportedOffload: 2])
        #expect(net.used(Net.Queue.transmit).count == 5)
        // The device still works.
        net.offer(Net.Queue.transmit, parts: [header + frame(5)])
        #expect(net.host.sent == [frame(5)])
    }

    @Test func aTransmitChainShorterThanTheHeaderIsADeviceError() throws {
        let net = try NetDriver()
        net.offer(Net.Queue.transmit, parts: [[0, 0, 0]])
        #expect(net.driver.transport.needsReset)
        #expect(net.host.sent.isEmpty)
    }

    @Test func receiveBuffersOutsideRAMOrTooSmallNeverCrash() throws {
        let outside = try NetDriver()
        outside.offer(Net.Queue.receive, writable: [2048], address: TestDriver.ramBase + TestDriver.ramSize - 16)
        outside.link.send(frame(1), from: .backEnd)
        outside.poll()
        #expect(outside.driver.transport.needsReset)

        let small = try NetDriver()
        small.offer(Net.Queue.receive, writable: [64])
        small.offer(Net.Queue.receive, writable: [1526])
        small.link.send(frame(1, length: 1000), from: .backEnd)
        small.link.send(frame(2), from: .backEnd)
        small.poll()
        let got = small.used(Net.Queue.receive)
        #expect(got.count == 2)
        #expect(got.first?.count == 12, "the small buffer goes back with the header only")
        #expect(got.last.map { Array($0.dropFirst(12)) } == frame(2))
        let counters = small.link.counters(toward: .frontEnd)
        #expect(counters.dropped == [.bufferTooSmall: 1])
        // Counted once: the frame the small buffer could not hold is a drop, not also a delivery.
        #expect(counters.frames == 1 && counters.bytes == frame(2).count && counters.sent == 2)
        #expect(!small.driver.transport.needsReset)
    }
}
