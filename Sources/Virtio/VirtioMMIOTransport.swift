import Machine

/// A virtio device on the virtio-mmio transport (virtio 1.2, §4.2), in either of its two
/// register layouts: version 2 (§4.2.2) or the legacy version 1 (§4.2.4), which QEMU 7.2's
/// `virt` uses unless `-global virtio-mmio.force-legacy=false`.
///
/// Requests are carried out synchronously, on the hart thread whose store to QueueNotify
/// reached the device, and under the bus's device lock like every MMIO access: by the time the
/// store retires the used ring is filled and the interrupt raised. Two exceptions: a device that
/// completes later (virtio-blk with `aio=threads`) only marks the queue at the notification, and
/// takes and completes its requests from the board's device polls (VirtioBlockDevice.swift); and
/// a queue the device holds (a console's receive queues) keeps its buffers until the device has
/// data, which it puts in them through `supply` from the device polls, on a hart's thread as well.
public final class VirtioMMIOTransport: Device, TimedDevice {
    /// The slot's name ("virtio7"), in error lines and the summary.
    public var name: String { core.name }
    /// Features, status, queues and interrupts, shared with the other transports.
    public let core: VirtioTransportCore
    /// The device behind the transport.
    public var device: any VirtioDevice { core.device }
    /// true: the legacy layout (Version 1); false: the modern one (Version 2).
    public var legacy: Bool { core.legacy }
    /// The device's virtqueues, as the driver set them up.
    public var queues: [Virtqueue] { core.queues }
    /// The ring features offered (VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX).
    public var ringFeatures: UInt64 { core.ringFeatures }

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
    public static let usedBufferInterrupt = VirtioTransportCore.usedBufferInterrupt
    public static let configurationChangeInterrupt = VirtioTransportCore.configurationChangeInterrupt

    public typealias Statistics = VirtioTransportStatistics
    public var statistics: Statistics { core.statistics }
    /// Why the device last needed a reset, for tests and the error log.
    public var lastError: VirtioDeviceError? { core.lastError }

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
        core = VirtioTransportCore(name: name, device: device, legacy: legacy, memory: memory, ringFeatures: ringFeatures,
                                   interrupt: interrupt, errorLog: errorLog)
        queueAlign = Array(repeating: 4096, count: device.queueCount)
    }

    /// Every feature bit offered: the device's, the rings' chosen ones, and VERSION_1 on the modern layout.
    public var offeredFeatures: UInt64 { core.offeredFeatures }

    /// The DEVICE_NEEDS_RESET bit is set.
    public var needsReset: Bool { core.needsReset }

    // MARK: Device

    public func read(offset: UInt64, width: Int) -> UInt64 {
        if offset >= Register.configuration { return core.readConfiguration(offset - Register.configuration, width: width) }
        // Registers are read with aligned 32-bit accesses only (§4.2.2.2).
        guard width == 4 else { return 0 }
        let queue = core.selectedQueue
        switch offset {
        case Register.magicValue: return UInt64(Self.magicValue)
        case Register.version: return legacy ? 1 : 2
        case Register.deviceID: return UInt64(device.deviceType.rawValue)
        case Register.vendorID: return UInt64(Self.vendorID)
        case Register.deviceFeatures: return UInt64(core.deviceFeaturesWord)
        case Register.queueSizeMaximum: return UInt64(queue?.maximumSize ?? 0)
        case Register.queuePFN where legacy:
            guard let queue, queue.ready else { return 0 }
            return queue.descriptorTable / guestPageSize
        case Register.queueReady where !legacy: return queue?.ready == true ? 1 : 0
        case Register.interruptStatus: return UInt64(core.interruptStatus)
        case Register.status: return UInt64(core.status)
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

    public func write(offset: UInt64, width: Int, value: UInt64) {
        if offset >= Register.configuration {
            return core.writeConfiguration(offset - Register.configuration, width: width, value: value)
        }
        guard width == 4 else { return }
        let word = UInt32(truncatingIfNeeded: value)
        let queue = core.selectedQueue
        switch offset {
        case Register.deviceFeaturesSelect: core.deviceFeaturesSelect = word
        case Register.driverFeaturesSelect: core.driverFeaturesSelect = word
        case Register.driverFeatures: core.writeDriverFeaturesWord(word)
        case Register.guestPageSize where legacy:
            // A page size of 0 would divide by zero below; QEMU takes it as a shift of 0 (bytes).
            guestPageSize = word == 0 ? 1 : UInt64(word)
        case Register.queueSelect: core.queueSelect = word
        case Register.queueSize:
            guard let queue else { return }
            core.writeQueueSize(word)
            if legacy && queue.ready { placeLegacyRings(queue, descriptorTable: queue.descriptorTable) }
        case Register.queueAlign where legacy:
            let index = Int(core.queueSelect)
            guard index < queueAlign.count else { return }
            // A power of two, as the legacy layout requires; anything else keeps the default.
            if word != 0 && word & (word - 1) == 0 { queueAlign[index] = UInt64(word) }
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
        case Register.queueNotify: core.notify(queue: Int(word))
        case Register.interruptAcknowledge: core.acknowledge(word)
        case Register.status: if word == 0 { reset() } else { core.writeStatus(word) }
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

    /// Device reset (§2.4): everything back to its initial state, the interrupt line low.
    public func reset() {
        guestPageSize = 4096
        queueAlign = Array(repeating: 4096, count: queues.count)
        core.reset()
    }

    /// Lets the device move data that arrived from the host into the buffers it holds.
    public func poll(now: UInt64) -> UInt64 {
        core.poll()
        return .max
    }
}
