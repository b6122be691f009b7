import Machine

/// A virtio device on the virtio-mmio transport (virtio 1.2, §4.2), in either of its two
/// register layouts: version 2 (§4.2.2) or the legacy version 1 (§4.2.4), which QEMU 7.2's
/// `virt` uses unless `-global virtio-mmio.force-legacy=false`.
///
/// Requests are carried out synchronously, on the hart thread whose store to QueueNotify
/// reached the device, and under the bus's device lock like every MMIO access: by the time the
/// store retires the used ring is filled and the interrupt raised. (Backends that complete
/// later come with the storage subsystem.) The exception is a queue the device holds (a
/// console's receive queues): its buffers wait until the device has data, which it puts in them
/// through `supply` from the board's device polls, on the hart's thread as well.
public final class VirtioMMIOTransport: Device, TimedDevice, VirtioHeldQueues {
    /// The slot's name ("virtio7"), in error lines and the summary.
    public let name: String
    /// The device behind the transport.
    public let device: any VirtioDevice
    /// true: the legacy layout (Version 1); false: the modern one (Version 2).
    public let legacy: Bool
    /// The device's virtqueues, as the driver set them up.
    public let queues: [Virtqueue]
    /// The ring features offered (VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX).
    public let ringFeatures: UInt64

    /// Register offsets (§4.2.2, Table "MMIO Device Register Layout"; legacy ones from §4.2.4).
    public enum Register {
        public static let magicValue: UInt64 = 0x000
        public static let version: UInt64 = 0x004
        public static let deviceID: UInt64 = 0x008
        public static let vendorID: UInt64 = 0x00c
        public static let deviceFeatures: UInt64 = 0x010
        public static let deviceFeaturesSelect: UInt64 = 0x014
        public static let driverFeatures: UInt64 = 0x020
        public static let driverFeaturesSelect: UInt64 = 0x024
        /// Legacy only.
        public static let guestPageSize: UInt64 = 0x028
        public static let queueSelect: UInt64 = 0x030
        public static let queueSizeMaximum: UInt64 = 0x034
        public static let queueSize: UInt64 = 0x038
        /// Legacy only.
        public static let queueAlign: UInt64 = 0x03c
        /// Legacy only.
        public static let queuePFN: UInt64 = 0x040
        public static let queueReady: UInt64 = 0x044
        public static let queueNotify: UInt64 = 0x050
        public static let interruptStatus: UInt64 = 0x060
        public static let interruptAcknowledge: UInt64 = 0x064
        public static let status: UInt64 = 0x070
        public static let queueDescriptorLow: UInt64 = 0x080
        public static let queueDescriptorHigh: UInt64 = 0x084
        public static let queueDriverLow: UInt64 = 0x090
        public static let queueDriverHigh: UInt64 = 0x094
        public static let queueDeviceLow: UInt64 = 0x0a0
        public static let queueDeviceHigh: UInt64 = 0x0a4
        public static let configGeneration: UInt64 = 0x0fc
        public static let configuration: UInt64 = 0x100
    }

    /// "virt" in little-endian ASCII.
    public static let magicValue: UInt32 = 0x7472_6976
    /// "QEMU" in little-endian ASCII: the vendor ID QEMU's transports report.
    public static let vendorID: UInt32 = 0x554d_4551
    /// InterruptStatus bits (§4.2.2): a used buffer, a configuration change.
    public static let usedBufferInterrupt: UInt32 = 1
    public static let configurationChangeInterrupt: UInt32 = 2

    /// Counts for the notification-suppression benchmark and for tests.
    public struct Statistics: Equatable, Sendable {
        /// Stores to QueueNotify.
        public var notifications: UInt64 = 0
        /// Requests completed.
        public var requests: UInt64 = 0
        /// Used-buffer interrupts raised, and batches that completed without one (suppressed).
        public var interrupts: UInt64 = 0
        public var suppressedInterrupts: UInt64 = 0
        /// Times the device needed a reset.
        public var deviceErrors: UInt64 = 0
    }
    public private(set) var statistics = Statistics()
    /// Why the device last needed a reset, for tests and the error log.
    public private(set) var lastError: VirtioDeviceError?

    /// Drives the slot's interrupt line (its PLIC source).
    private let interrupt: (Bool) -> Void
    /// Told about a device error (QEMU prints one line for each).
    private let errorLog: ((String) -> Void)?

    private var status: UInt32 = 0
    private var interruptStatus: UInt32 = 0
    private var deviceFeaturesSelect: UInt32 = 0
    private var driverFeaturesSelect: UInt32 = 0
    private var driverFeatures: UInt64 = 0
    private var negotiatedFeatures: UInt64 = 0
    private var queueSelect: UInt32 = 0
    /// The device stopped using its queues until a reset (§2.1.2).
    private var broken = false
    // Legacy ring placement (§4.2.4): QueuePFN counts pages of GuestPageSize bytes, and the used
    // ring starts at the next QueueAlign boundary after the available ring.
    private var guestPageSize: UInt64 = 4096
    private var queueAlign: [UInt64]

    /// - Parameters:
    ///   - memory: guest RAM, where the rings and buffers are.
    ///   - interrupt: sets the level of the slot's interrupt line.
    ///   - errorLog: receives one line for each device error.
    ///   - ringFeatures: which of VIRTIO_F_INDIRECT_DESC and VIRTIO_F_EVENT_IDX to offer (QEMU's
    ///     `indirect_desc=` and `event_idx=` device properties; both by default).
    public init(name: String, device: any VirtioDevice, legacy: Bool, memory: any VirtioGuestMemory,
                ringFeatures: UInt64 = VirtioFeature.ring,
                interrupt: @escaping (Bool) -> Void, errorLog: ((String) -> Void)? = nil) {
        self.name = name
        self.device = device
        self.legacy = legacy
        self.ringFeatures = ringFeatures & VirtioFeature.ring
        self.interrupt = interrupt
        self.errorLog = errorLog
        queues = (0..<device.queueCount).map { _ in Virtqueue(maximumSize: device.maximumQueueSize, memory: memory) }
        queueAlign = Array(repeating: 4096, count: device.queueCount)
        device.connect(self)
    }

    /// Every feature bit offered: the device's, the rings' chosen ones, and VERSION_1 on the modern layout.
    /// A legacy transport offers only the low 32 bits, where VERSION_1 cannot appear (§6.3).
    public var offeredFeatures: UInt64 {
        let all = device.deviceFeatures | ringFeatures
        return legacy ? all & 0xffff_ffff : all | VirtioFeature.version1
    }

    /// The DEVICE_NEEDS_RESET bit is set.
    public var needsReset: Bool { status & VirtioStatus.deviceNeedsReset != 0 }

    private var selectedQueue: Virtqueue? { Int(queueSelect) < queues.count ? queues[Int(queueSelect)] : nil }

    // MARK: Device

    public func read(offset: UInt64, width: Int) -> UInt64 {
        if offset >= Register.configuration { return readConfiguration(offset - Register.configuration, width: width) }
        // Registers are read with aligned 32-bit accesses only (§4.2.2.2).
        guard width == 4 else { return 0 }
        let queue = selectedQueue
        switch offset {
        case Register.magicValue: return UInt64(Self.magicValue)
        case Register.version: return legacy ? 1 : 2
        case Register.deviceID: return UInt64(device.deviceType.rawValue)
        case Register.vendorID: return UInt64(Self.vendorID)
        case Register.deviceFeatures:
            guard deviceFeaturesSelect < 2 else { return 0 }
            return (offeredFeatures >> (32 * UInt64(deviceFeaturesSelect))) & 0xffff_ffff
        case Register.queueSizeMaximum: return UInt64(queue?.maximumSize ?? 0)
        case Register.queuePFN where legacy:
            guard let queue, queue.ready else { return 0 }
            return queue.descriptorTable / guestPageSize
        case Register.queueReady where !legacy: return queue?.ready == true ? 1 : 0
        case Register.interruptStatus: return UInt64(interruptStatus)
        case Register.status: return UInt64(status)
        case Register.queueDescriptorLow where !legacy: return (queue?.descriptorTable ?? 0) & 0xffff_ffff
        case Register.queueDescriptorHigh where !legacy: return (queue?.descriptorTable ?? 0) >> 32
        case Register.queueDriverLow where !legacy: return (queue?.availableRing ?? 0) & 0xffff_ffff
        case Register.queueDriverHigh where !legacy: return (queue?.availableRing ?? 0) >> 32
        case Register.queueDeviceLow where !legacy: return (queue?.usedRing ?? 0) & 0xffff_ffff
        case Register.queueDeviceHigh where !legacy: return (queue?.usedRing ?? 0) >> 32
        // The configuration space of these devices never changes while the driver runs.
        case Register.configGeneration: return 0
        default: return 0
        }
    }

    private func readConfiguration(_ offset: UInt64, width: Int) -> UInt64 {
        let bytes = device.configuration
        guard offset + UInt64(width) <= UInt64(bytes.count) else { return 0 }
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(bytes[Int(offset) + i]) << (8 * UInt64(i)) }
        return value
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        if offset >= Register.configuration {
            let start = offset - Register.configuration
            guard start + UInt64(width) <= UInt64(device.configuration.count) else { return }
            return device.writeConfiguration(offset: Int(start), width: width, value: value)
        }
        guard width == 4 else { return }
        let word = UInt32(truncatingIfNeeded: value)
        let queue = selectedQueue
        switch offset {
        case Register.deviceFeaturesSelect: deviceFeaturesSelect = word
        case Register.driverFeaturesSelect: driverFeaturesSelect = word
        case Register.driverFeatures:
            // Legacy drivers write only the low word; features take effect at once (§4.2.4).
            guard driverFeaturesSelect < (legacy ? 1 : 2) else { return }
            let shift = 32 * UInt64(driverFeaturesSelect)
            driverFeatures = driverFeatures & ~(0xffff_ffff << shift) | UInt64(word) << shift
            if legacy { accept(driverFeatures & offeredFeatures) }
        case Register.guestPageSize where legacy:
            // A page size of 0 would divide by zero below; QEMU takes it as a shift of 0 (bytes).
            guestPageSize = word == 0 ? 1 : UInt64(word)
        case Register.queueSelect: queueSelect = word
        case Register.queueSize:
            guard let queue else { return }
            guard word >= 1, word <= UInt32(queue.maximumSize) else {
                return fail(.malformedRequest("QueueNum \(word) is outside 1...\(queue.maximumSize)"))
            }
            queue.size = UInt16(word)
            if legacy && queue.ready { placeLegacyRings(queue, descriptorTable: queue.descriptorTable) }
        case Register.queueAlign where legacy:
            guard Int(queueSelect) < queues.count else { return }
            // A power of two, as the legacy layout requires; anything else keeps the default.
            if word != 0 && word & (word - 1) == 0 { queueAlign[Int(queueSelect)] = UInt64(word) }
        case Register.queuePFN where legacy:
            guard let queue else { return }
            if word == 0 {
                // The driver stops using the queue (§4.2.4).
                queue.ready = false
                queue.descriptorTable = 0
            } else {
                queue.ready = true
                placeLegacyRings(queue, descriptorTable: UInt64(word) * guestPageSize)
            }
        case Register.queueReady where !legacy: queue?.ready = word & 1 != 0
        case Register.queueNotify: notify(queue: Int(word))
        case Register.interruptAcknowledge:
            interruptStatus &= ~word
            interrupt(interruptStatus != 0)
        case Register.status: writeStatus(word)
        case Register.queueDescriptorLow where !legacy: queue?.descriptorTable = setLow(queue?.descriptorTable, word)
        case Register.queueDescriptorHigh where !legacy: queue?.descriptorTable = setHigh(queue?.descriptorTable, word)
        case Register.queueDriverLow where !legacy: queue?.availableRing = setLow(queue?.availableRing, word)
        case Register.queueDriverHigh where !legacy: queue?.availableRing = setHigh(queue?.availableRing, word)
        case Register.queueDeviceLow where !legacy: queue?.usedRing = setLow(queue?.usedRing, word)
        case Register.queueDeviceHigh where !legacy: queue?.usedRing = setHigh(queue?.usedRing, word)
        default: break
        }
    }

    private func setLow(_ old: UInt64?, _ word: UInt32) -> UInt64 { (old ?? 0) & ~0xffff_ffff | UInt64(word) }
    private func setHigh(_ old: UInt64?, _ word: UInt32) -> UInt64 { (old ?? 0) & 0xffff_ffff | UInt64(word) << 32 }

    /// The legacy layout: descriptors, then the available ring, then the used ring at the next
    /// QueueAlign boundary (§2.7.2, "Legacy Interfaces: A Note on Virtqueue Layout").
    private func placeLegacyRings(_ queue: Virtqueue, descriptorTable: UInt64) {
        let align = queueAlign[queues.firstIndex { $0 === queue } ?? 0]
        queue.descriptorTable = descriptorTable
        queue.availableRing = descriptorTable &+ SplitRing.descriptorSize * UInt64(queue.size)
        let availableEnd = queue.availableRing &+ SplitRing.availableSize(queue.size)
        queue.usedRing = (availableEnd &+ align &- 1) & ~(align &- 1)
    }

    private func writeStatus(_ value: UInt32) {
        if value == 0 { return reset() }
        var value = value
        if !legacy && value & VirtioStatus.featuresOK != 0 && status & VirtioStatus.featuresOK == 0 {
            // FEATURES_OK sticks only for a subset of what was offered that includes VERSION_1;
            // otherwise the driver reads it back clear (§2.2.2, §3.1.1 step 6).
            let acceptable = driverFeatures & ~offeredFeatures == 0 && driverFeatures & VirtioFeature.version1 != 0
            if acceptable { accept(driverFeatures) } else { value &= ~VirtioStatus.featuresOK }
        }
        // DEVICE_NEEDS_RESET belongs to the device: the driver cannot clear it but by a reset.
        status = value & ~VirtioStatus.deviceNeedsReset | status & VirtioStatus.deviceNeedsReset
    }

    private func accept(_ features: UInt64) {
        negotiatedFeatures = features
        for queue in queues {
            queue.eventIndex = features & VirtioFeature.eventIndex != 0
            queue.indirectDescriptors = features & VirtioFeature.indirectDescriptors != 0
        }
        device.negotiated(features)
    }

    /// Device reset (§2.4): everything back to its initial state, the interrupt line low.
    public func reset() {
        status = 0
        interruptStatus = 0
        deviceFeaturesSelect = 0
        driverFeaturesSelect = 0
        driverFeatures = 0
        negotiatedFeatures = 0
        queueSelect = 0
        broken = false
        lastError = nil
        guestPageSize = 4096
        queueAlign = Array(repeating: 4096, count: queues.count)
        for queue in queues { queue.reset() }
        device.reset()
        interrupt(false)
    }

    /// QueueNotify: carry out everything queue `index` has available, then notify the driver
    /// once for the batch if it asked to be (event index or avail.flags).
    private func notify(queue index: Int) {
        statistics.notifications += 1
        guard index < queues.count, !broken, queues[index].ready else { return }
        if device.holdsBuffers(queue: index) { return device.buffersAvailable(queue: index) }
        let queue = queues[index]
        do throws(VirtioDeviceError) {
            while let request = try Self.queueStep({ () throws(VirtqueueError) in try queue.next() }) {
                let written = try device.handle(request, queue: index)
                try Self.queueStep({ () throws(VirtqueueError) in try queue.complete(request, written: written) })
                statistics.requests += 1
            }
        } catch {
            signalUsed(queue)
            return fail(error)
        }
        signalUsed(queue)
    }

    private static func queueStep<T>(_ body: () throws(VirtqueueError) -> T) throws(VirtioDeviceError) -> T {
        do { return try body() } catch { throw .queue(error) }
    }

    public func supply(queue index: Int, _ fill: (VirtioRequest) throws(VirtioDeviceError) -> UInt32) -> Bool {
        guard index < queues.count, !broken, queues[index].ready else { return false }
        let queue = queues[index]
        do throws(VirtioDeviceError) {
            guard let request = try Self.queueStep({ () throws(VirtqueueError) in try queue.next() }) else { return false }
            let written = try fill(request)
            try Self.queueStep({ () throws(VirtqueueError) in try queue.complete(request, written: written) })
            statistics.requests += 1
        } catch {
            signalUsed(queue)
            fail(error)
            return false
        }
        signalUsed(queue)
        return true
    }

    /// Lets the device move data that arrived from the host into the buffers it holds.
    public func poll(now: UInt64) -> UInt64 {
        if !broken { device.poll() }
        return .max
    }

    private func signalUsed(_ queue: Virtqueue) {
        if queue.shouldNotify() {
            statistics.interrupts += 1
            raise(Self.usedBufferInterrupt)
        } else {
            statistics.suppressedInterrupts += 1
        }
    }

    private func raise(_ bits: UInt32) {
        interruptStatus |= bits
        interrupt(true)
    }

    /// The driver broke the protocol: the device stops using its queues, and with VERSION_1 it
    /// sets DEVICE_NEEDS_RESET and sends a configuration-change notification (§2.1.2). A legacy
    /// device has no such bit; it only stops, as QEMU's does.
    private func fail(_ error: VirtioDeviceError) {
        broken = true
        lastError = error
        statistics.deviceErrors += 1
        errorLog?("\(name): virtio device error: \(error.description)")
        guard negotiatedFeatures & VirtioFeature.version1 != 0 else { return }
        status |= VirtioStatus.deviceNeedsReset
        raise(Self.configurationChangeInterrupt)
    }
}
