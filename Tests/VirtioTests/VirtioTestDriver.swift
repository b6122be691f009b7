import Machine
@testable import Virtio

/// A minimal virtio driver written from the specification (virtio 1.2, §2.7 and §4.2), enough to
/// put chains on a split queue through a virtio-mmio transport and read the results back, and
/// to write the hostile chains the device must refuse.
final class TestDriver {
    static let ramBase: UInt64 = 0x8000_0000
    static let ramSize: UInt64 = 4 << 20
    let memory: PhysicalMemory
    let transport: VirtioMMIOTransport
    let legacy: Bool
    var interruptLevel = false
    var interruptRaises = 0
    let queueSize: UInt16
    // Queue 0's layout: descriptors at +0x1000, available ring at +0x2000, used ring at +0x3000
    // (modern); legacy: one contiguous area from +0x1000 (page 0x80001).
    var descriptorTable: UInt64 = TestDriver.ramBase + 0x1000
    var availableRing: UInt64 = TestDriver.ramBase + 0x2000
    var usedRing: UInt64 = TestDriver.ramBase + 0x3000
    var nextAvailable: UInt16 = 0
    var lastUsed: UInt16 = 0

    init(device: any VirtioDevice, legacy: Bool = false, queueSize: UInt16 = 16) throws {
        memory = try PhysicalMemory(base: Self.ramBase, size: Self.ramSize)
        self.legacy = legacy
        self.queueSize = queueSize
        var driver: TestDriver?
        transport = VirtioMMIOTransport(name: "virtio7", device: device, legacy: legacy, memory: memory) { level in
            if level && driver?.interruptLevel == false { driver?.interruptRaises += 1 }
            driver?.interruptLevel = level
        }
        driver = self
    }

    func read(_ register: UInt64) -> UInt32 { UInt32(transport.read(offset: register, width: 4)) }
    func write(_ register: UInt64, _ value: UInt32) { transport.write(offset: register, width: 4, value: UInt64(value)) }
    var status: UInt32 { read(VirtioMMIOTransport.Register.status) }

    typealias R = VirtioMMIOTransport.Register

    /// Where `setUpQueues` puts queue q: its own 64 KiB from ramBase + 0x10000, descriptors first,
    /// the available ring at +0x1000, the used ring at +0x2000, buffers from +0x4000.
    static func queueArea(_ q: Int) -> UInt64 { ramBase + 0x10000 * UInt64(q + 1) }

    /// Modern queues 0..<count of `size` entries each at `queueArea`, then DRIVER_OK: the end
    /// of §3.1.1 for a test that negotiated features itself.
    func setUpQueues(_ count: Int, size: UInt16) {
        for q in 0..<count {
            let base = Self.queueArea(q)
            write(R.queueSelect, UInt32(q))
            write(R.queueSize, UInt32(size))
            write(R.queueDescriptorLow, UInt32(truncatingIfNeeded: base))
            write(R.queueDriverLow, UInt32(truncatingIfNeeded: base + 0x1000))
            write(R.queueDeviceLow, UInt32(truncatingIfNeeded: base + 0x2000))
            write(R.queueReady, 1)
        }
        write(R.status, status | VirtioStatus.driverOK)
    }

    /// What the device returned on `setUpQueues` queue q of `size` entries since `lastUsed`
    /// (advanced past them): the bytes it wrote into each chain's first buffer.
    func usedBuffers(_ q: Int, size: UInt16, lastUsed: inout UInt16) -> [[UInt8]] {
        let ring = Self.queueArea(q) + 0x2000
        var out: [[UInt8]] = []
        while lastUsed != UInt16(memory.load(ring + 2, width: 2)!) {
            let element = ring + 4 + 8 * UInt64(lastUsed % size)
            let head = UInt16(memory.load(element, width: 4)!), length = Int(memory.load(element + 4, width: 4)!)
            let address = memory.load(Self.queueArea(q) + 16 * UInt64(head), width: 8)!
            out.append(memory.read(address, count: length)!)
            lastUsed &+= 1
        }
        return out
    }

    /// §3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK (modern), queue setup, DRIVER_OK.
    @discardableResult
    func initialize(features wanted: UInt64, queue: UInt32 = 0) -> UInt64 {
        write(R.status, 0)
        write(R.status, VirtioStatus.acknowledge)
        write(R.status, VirtioStatus.acknowledge | VirtioStatus.driver)
        write(R.deviceFeaturesSelect, 0)
        var offered = UInt64(read(R.deviceFeatures))
        write(R.deviceFeaturesSelect, 1)
        offered |= UInt64(read(R.deviceFeatures)) << 32
        let accepted = offered & wanted
        write(R.driverFeaturesSelect, 0)
        write(R.driverFeatures, UInt32(truncatingIfNeeded: accepted))
        if !legacy {
            write(R.driverFeaturesSelect, 1)
            write(R.driverFeatures, UInt32(truncatingIfNeeded: accepted >> 32))
            write(R.status, VirtioStatus.acknowledge | VirtioStatus.driver | VirtioStatus.featuresOK)
        }
        write(R.queueSelect, queue)
        write(R.queueSize, UInt32(queueSize))
        if legacy {
            write(R.guestPageSize, 4096)
            write(R.queueAlign, 4096)
            descriptorTable = Self.ramBase + 0x1000
            availableRing = descriptorTable + 16 * UInt64(queueSize)
            usedRing = (availableRing + 6 + 2 * UInt64(queueSize) + 4095) & ~4095
            write(R.queuePFN, UInt32(descriptorTable / 4096))
        } else {
            write(R.queueDescriptorLow, UInt32(truncatingIfNeeded: descriptorTable))
            write(R.queueDescriptorHigh, UInt32(descriptorTable >> 32))
            write(R.queueDriverLow, UInt32(truncatingIfNeeded: availableRing))
            write(R.queueDriverHigh, UInt32(availableRing >> 32))
            write(R.queueDeviceLow, UInt32(truncatingIfNeeded: usedRing))
            write(R.queueDeviceHigh, UInt32(usedRing >> 32))
            write(R.queueReady, 1)
        }
        write(R.status, status | VirtioStatus.driverOK)
        return accepted
    }

    /// One descriptor as the driver writes it (§2.7.5).
    struct Descriptor {
        var address: UInt64
        var length: UInt32
        var flags: UInt16 = 0
        var next: UInt16 = 0
    }

    func putDescriptor(_ d: Descriptor, at index: UInt16, table: UInt64? = nil) {
        let entry = (table ?? descriptorTable) + 16 * UInt64(index)
        memory.store(entry, width: 8, value: d.address)
        memory.store(entry + 8, width: 4, value: UInt64(d.length))
        memory.store(entry + 12, width: 2, value: UInt64(d.flags))
        memory.store(entry + 14, width: 2, value: UInt64(d.next))
    }

    /// Makes the chain starting at `head` available and (optionally) notifies queue `queue`.
    func makeAvailable(head: UInt16, notify: Bool = true, queue: UInt32 = 0) {
        memory.store(availableRing + 4 + 2 * UInt64(nextAvailable % queueSize), width: 2, value: UInt64(head))
        nextAvailable &+= 1
        memory.store(availableRing + 2, width: 2, value: UInt64(nextAvailable))
        if notify { write(R.queueNotify, queue) }
    }

    /// Used entries the device added since the last call: (head, length).
    func takeUsed() -> [(UInt32, UInt32)] {
        let index = UInt16(memory.load(usedRing + 2, width: 2)!)
        var out: [(UInt32, UInt32)] = []
        while lastUsed != index {
            let element = usedRing + 4 + 8 * UInt64(lastUsed % queueSize)
            out.append((UInt32(memory.load(element, width: 4)!), UInt32(memory.load(element + 4, width: 4)!)))
            lastUsed &+= 1
        }
        return out
    }

    func acknowledgeInterrupts() {
        write(R.interruptAcknowledge, read(R.interruptStatus))
    }

    var usedEvent: UInt16 {
        get { UInt16(memory.load(availableRing + 4 + 2 * UInt64(queueSize), width: 2)!) }
        set { memory.store(availableRing + 4 + 2 * UInt64(queueSize), width: 2, value: UInt64(newValue)) }
    }
    var availEvent: UInt16 { UInt16(memory.load(usedRing + 4 + 8 * UInt64(queueSize), width: 2)!) }
}

/// A device that echoes: it copies what it reads into what it may write, and counts requests.
final class EchoDevice: VirtioDevice {
    var deviceType: VirtioDeviceType { .console }
    var deviceFeatures: UInt64 { 1 << 0 }
    var queueCount: Int { 2 }
    var maximumQueueSize: UInt16 { 16 }
    var configuration: [UInt8] { [0x11, 0x22, 0x33, 0x44, 0x55] }
    var requests: [VirtioRequest] = []
    var resets = 0
    func reset() { resets += 1 }
    func handle(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> UInt32 {
        requests.append(request)
        let count = min(request.readableLength, request.writableLength)
        guard let bytes = request.read(count: count) else { throw .malformedRequest("short") }
        request.write(bytes)
        return UInt32(count)
    }
}
