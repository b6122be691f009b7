/// Counts for the notification-suppression benchmark and for tests, the same on every transport.
public struct VirtioTransportStatistics: Equatable, Sendable {
    /// Notifications from the driver (stores to QueueNotify, or to a PCI notification address).
    public var notifications: UInt64 = 0
    /// Requests completed.
    public var requests: UInt64 = 0
    /// Used-buffer interrupts raised, and batches that completed without one (suppressed).
    public var interrupts: UInt64 = 0
    public var suppressedInterrupts: UInt64 = 0
    /// Times the device needed a reset.
    public var deviceErrors: UInt64 = 0
}

/// What every virtio transport does the same way, whatever its registers look like: feature
/// negotiation (§2.2), device status (§2.1), the virtqueues and their notifications (§2.7),
/// the interrupt status bits (virtio-mmio's InterruptStatus, virtio-pci's ISR; §4.2.2, §4.1.4.5)
/// and what happens when the driver breaks the protocol (§2.1.2).
///
/// A transport (`VirtioMMIOTransport`, `VirtioPCIFunction`) decodes its own register layout and
/// calls these; one device type therefore serves every transport.
public final class VirtioTransportCore: VirtioHeldQueues {
    /// The transport's name ("virtio7", "virtio-pci 00:01.0"), in error lines and the summary.
    public let name: String
    /// The device behind the transport.
    public let device: any VirtioDevice
    /// The legacy interface (virtio-mmio version 1): no VERSION_1, no FEATURES_OK handshake.
    public let legacy: Bool
    /// The device's virtqueues, as the driver set them up.
    public let queues: [Virtqueue]
    /// The ring features offered (VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX).
    public let ringFeatures: UInt64

    /// Interrupt status bits (§4.2.2 InterruptStatus, §4.1.4.5 ISR): a used buffer, a configuration change.
    public static let usedBufferInterrupt: UInt32 = 1
    public static let configurationChangeInterrupt: UInt32 = 2

    public private(set) var statistics = VirtioTransportStatistics()
    /// Why the device last needed a reset, for tests and the error log.
    public private(set) var lastError: VirtioDeviceError?

    /// Drives the transport's interrupt (a PLIC source, or a PCI function's INTx).
    private let interrupt: (Bool) -> Void
    /// Told about a device error (QEMU prints one line for each).
    private let errorLog: ((String) -> Void)?

    /// The device status field (§2.1).
    public private(set) var status: UInt32 = 0
    /// Pending interrupt reasons, `usedBufferInterrupt` and `configurationChangeInterrupt`.
    public private(set) var interruptStatus: UInt32 = 0
    /// Which 32-bit word of the offered and of the accepted features the driver reads or writes.
    public var deviceFeaturesSelect: UInt32 = 0
    public var driverFeaturesSelect: UInt32 = 0
    /// What the driver wrote as its features so far.
    public private(set) var driverFeatures: UInt64 = 0
    public private(set) var negotiatedFeatures: UInt64 = 0
    /// The queue the per-queue registers refer to.
    public var queueSelect: UInt32 = 0
    /// The device stopped using its queues until a reset (§2.1.2).
    private var broken = false
    /// Queues notified while the transport could not reach guest memory; carried out once it can.
    private var deferredNotifications: [Int] = []
    /// Queues whose notification a device that completes later deferred to the next poll (or
    /// whose available ring it could not take whole yet).
    private var pendingQueues: [Int] = []

    /// Whether the transport may touch guest memory. A PCI function may not while its Bus Master
    /// Enable bit is clear (PCI Local Bus 3.0, §6.2.2): notifications then wait, and held
    /// buffers stay where they are, until the bit is set.
    public var memoryAccessEnabled = true {
        didSet {
            guard memoryAccessEnabled, !oldValue else { return }
            let waiting = deferredNotifications
            deferredNotifications = []
            for index in waiting { notify(queue: index) }
        }
    }

    /// - Parameters:
    ///   - memory: guest RAM, where the rings and buffers are.
    ///   - interrupt: sets the level of the transport's interrupt.
    ///   - errorLog: receives one line for each device error.
    ///   - ringFeatures: which of VIRTIO_F_INDIRECT_DESC and VIRTIO_F_EVENT_IDX to offer.
    public init(name: String, device: any VirtioDevice, legacy: Bool, memory: any VirtioGuestMemory,
                ringFeatures: UInt64, interrupt: @escaping (Bool) -> Void, errorLog: ((String) -> Void)?) {
        self.name = name
        self.device = device
        self.legacy = legacy
        self.ringFeatures = ringFeatures & VirtioFeature.ring
        self.interrupt = interrupt
        self.errorLog = errorLog
        queues = (0..<device.queueCount).map { _ in Virtqueue(maximumSize: device.maximumQueueSize, memory: memory) }
        device.connect(self)
    }

    /// Every feature bit offered: the device's, the rings' chosen ones, and VERSION_1 when modern.
    /// A legacy transport offers only the low 32 bits, where VERSION_1 cannot appear (§6.3).
    public var offeredFeatures: UInt64 {
        let all = device.deviceFeatures | ringFeatures
        return legacy ? all & 0xffff_ffff : all | VirtioFeature.version1
    }

    /// The DEVICE_NEEDS_RESET bit is set.
    public var needsReset: Bool { status & VirtioStatus.deviceNeedsReset != 0 }

    /// The queue `queueSelect` names, nil when it names none.
    public var selectedQueue: Virtqueue? { Int(queueSelect) < queues.count ? queues[Int(queueSelect)] : nil }

    // MARK: Features and status

    /// The word of the offered features `deviceFeaturesSelect` picks (0 past the second).
    public var deviceFeaturesWord: UInt32 {
        guard deviceFeaturesSelect < 2 else { return 0 }
        return UInt32(truncatingIfNeeded: offeredFeatures >> (32 * UInt64(deviceFeaturesSelect)))
    }

    /// The driver wrote the word of its features `driverFeaturesSelect` picks. A legacy driver
    /// writes only the low word, and its features take effect at once (§4.2.4).
    public func writeDriverFeaturesWord(_ word: UInt32) {
        guard driverFeaturesSelect < (legacy ? 1 : 2) else { return }
        let shift = 32 * UInt64(driverFeaturesSelect)
        driverFeatures = driverFeatures & ~(0xffff_ffff << shift) | UInt64(word) << shift
        if legacy { accept(driverFeatures & offeredFeatures) }
    }

    /// The driver wrote the device status; 0 resets the device (the transport may have state
    /// of its own to reset, so it calls `reset` itself for 0).
    public func writeStatus(_ value: UInt32) {
        if value == 0 { return reset() }
        if !legacy && value & VirtioStatus.featuresOK != 0 && status & VirtioStatus.featuresOK == 0 {
            // FEATURES_OK sticks whatever the driver accepted, as on QEMU 7.2: its
            // virtio_set_features keeps the offered bits and drops the others, and
            // virtio_set_status validates nothing unless VERSION_1 was accepted. The spec lets a
            // device refuse both (§2.2.2, §6.1), but drivers written for legacy devices rely on
            // it: xv6's writes only the low feature word, so never accepts VERSION_1 (bit 32),
            // and checks that FEATURES_OK stuck (issue 18). Corpus/virtio/features.c compares both
            // transports with QEMU; Corpus/teachos's virtio_without_version1 uses such a device.
            accept(driverFeatures & offeredFeatures)
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

    /// Device reset (§2.4): everything back to its initial state, the interrupt low.
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
        deferredNotifications = []
        pendingQueues = []
        for queue in queues { queue.reset() }
        device.reset()
        interrupt(false)
    }

    /// The driver set the selected queue's size: 1 through its maximum, or the device needs a reset.
    public func writeQueueSize(_ value: UInt32) {
        guard let queue = selectedQueue else { return }
        guard value >= 1, value <= UInt32(queue.maximumSize) else {
            return fail(.malformedRequest("queue size \(value) is outside 1...\(queue.maximumSize)"))
        }
        queue.size = UInt16(value)
    }

    // MARK: Interrupts

    /// The driver acknowledged the interrupt reasons in `bits` (virtio-mmio's InterruptACK).
    public func acknowledge(_ bits: UInt32) {
        interruptStatus &= ~bits
        interrupt(interruptStatus != 0)
    }

    /// Reads the interrupt reasons and clears them, lowering the interrupt (virtio-pci's ISR, §4.1.4.5).
    public func takeInterruptStatus() -> UInt32 {
        let bits = interruptStatus
        acknowledge(bits)
        return bits
    }

    // MARK: Configuration space

    /// `width` bytes of the device-specific configuration at `offset`, little-endian; 0 past its end.
    public func readConfiguration(_ offset: UInt64, width: Int) -> UInt64 {
        let bytes = device.configuration
        guard offset < UInt64(bytes.count), UInt64(width) <= UInt64(bytes.count) - offset else { return 0 }
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(bytes[Int(offset) + i]) << (8 * UInt64(i)) }
        return value
    }

    /// A driver write into the device-specific configuration; dropped past its end.
    public func writeConfiguration(_ offset: UInt64, width: Int, value: UInt64) {
        let count = UInt64(device.configuration.count)
        guard offset < count, UInt64(width) <= count - offset else { return }
        device.writeConfiguration(offset: Int(offset), width: width, value: value)
    }

    // MARK: Queues

    /// A notification for queue `index`: carry out everything it has available, then notify the
    /// driver once for the batch if it asked to be (event index or avail.flags).
    public func notify(queue index: Int) {
        statistics.notifications += 1
        guard index < queues.count, !broken, queues[index].ready else { return }
        guard memoryAccessEnabled else {
            if !deferredNotifications.contains(index) { deferredNotifications.append(index) }
            return
        }
        if device.holdsBuffers(queue: index) { return device.buffersAvailable(queue: index) }
        if device.defersNotification(queue: index) {
            if !pendingQueues.contains(index) { pendingQueues.append(index) }
            return
        }
        takeRequests(queue: index)
    }

    /// Takes the queue's available requests while the device accepts them; returns whether the
    /// ring was emptied. Requests the device completed at once are returned as a batch, with one
    /// interrupt if the driver asked for it.
    @discardableResult
    private func takeRequests(queue index: Int) -> Bool {
        let queue = queues[index]
        var emptied = false
        do throws(VirtioDeviceError) {
            while device.acceptsRequests {
                guard let request = try Self.queueStep({ () throws(VirtqueueError) in try queue.next() }) else {
                    emptied = true
                    break
                }
                guard case .completed(let written) = try device.begin(request, queue: index) else { continue }
                try Self.queueStep({ () throws(VirtqueueError) in try queue.complete(request, written: written) })
                statistics.requests += 1
            }
        } catch {
            signalUsed(queue)
            fail(error)
            return true
        }
        signalUsed(queue)
        return emptied
    }

    public func complete(queue index: Int, _ finished: [(request: VirtioRequest, written: UInt32)]) {
        guard index < queues.count, !broken, !finished.isEmpty else { return }
        let queue = queues[index]
        do throws(VirtioDeviceError) {
            for (request, written) in finished {
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
        guard index < queues.count, !broken, memoryAccessEnabled, queues[index].ready else { return false }
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

    /// Lets the device move data that arrived from the host into the buffers it holds, complete
    /// what finished, and take the requests of queues notified since the last poll.
    public func poll() {
        guard !broken && memoryAccessEnabled else { return }
        device.poll()
        guard !pendingQueues.isEmpty else { return }
        let notified = pendingQueues
        pendingQueues = []
        for index in notified where !broken && queues[index].ready {
            // A ring the device could not take whole stays pending for the next poll.
            if !takeRequests(queue: index), !pendingQueues.contains(index) { pendingQueues.append(index) }
        }
    }

    private func signalUsed(_ queue: Virtqueue) {
        // A poll or notification that completed nothing neither interrupts nor suppresses one.
        guard queue.hasUnsignalledCompletions else { return }
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
    public func fail(_ error: VirtioDeviceError) {
        broken = true
        lastError = error
        statistics.deviceErrors += 1
        errorLog?("\(name): virtio device error: \(error.description)")
        guard negotiatedFeatures & VirtioFeature.version1 != 0 else { return }
        status |= VirtioStatus.deviceNeedsReset
        raise(Self.configurationChangeInterrupt)
    }
}
