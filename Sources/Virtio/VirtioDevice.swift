/// Why a device could not carry out a request: the driver broke the protocol, so the device
/// needs a reset (§2.1.2). An I/O error of the backend is not one of these: it goes back to
/// the driver in the request's own status.
public enum VirtioDeviceError: Error, Equatable, CustomStringConvertible {
    case queue(VirtqueueError)
    /// The chain does not have the shape the device type requires (a missing header or status byte).
    case malformedRequest(String)

    public var description: String {
        switch self {
        case .queue(let e): return e.description
        case .malformedRequest(let why): return why
        }
    }
}

/// One virtio device, whatever transport carries it: its type, features, configuration space,
/// queues and what it does with a request. The transport owns the queues, feature negotiation,
/// status and interrupts; the device only answers requests over its backend.
public protocol VirtioDevice: AnyObject {
    var deviceType: VirtioDeviceType { get }
    /// Device-specific feature bits offered (the transport adds VERSION_1 and the ring features).
    var deviceFeatures: UInt64 { get }
    /// Number of virtqueues.
    var queueCount: Int { get }
    /// QueueNumMax of every queue.
    var maximumQueueSize: UInt16 { get }
    /// The device-specific configuration space, little-endian (§4.2.2: offset 0x100 on virtio-mmio).
    var configuration: [UInt8] { get }
    /// The driver accepted `features` (FEATURES_OK, or DRIVER_OK on a legacy transport).
    func negotiated(_ features: UInt64)
    /// Back to the state after a device reset (§2.4).
    func reset()
    /// Carries out one request from queue `queue`; returns the bytes written into its device-writable part.
    func handle(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> UInt32

    // A device whose requests complete later (virtio-blk with I/O threads) takes a notification
    // as QEMU's ioeventfd does: the notifying hart goes on at once, the transport takes the
    // requests at the next device poll and `begin`s them, and the device completes them from a
    // later poll through `VirtioHeldQueues.complete`.

    /// The driver notified `queue`: true when the device takes its requests at the next device
    /// poll instead of now (it asks the board for that poll itself).
    func defersNotification(queue: Int) -> Bool
    /// Starts one request: `.completed` with the bytes written when it is done already, `.started`
    /// when the device will complete it later.
    func begin(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> VirtioRequestProgress
    /// Whether the device takes another request now; false leaves the rest of the available ring
    /// for a later poll (a bound on the host memory requests in flight hold).
    var acceptsRequests: Bool { get }

    // A device that produces data of its own accord (a console's input, its control events)
    // keeps the driver's buffers on some queues until it has something to put in them.

    /// Whether the driver's buffers on `queue` wait for the device instead of going to `handle`
    /// at the notification (a receive queue).
    func holdsBuffers(queue: Int) -> Bool
    /// The transport the device is plugged into, for filling held buffers later; called once.
    func connect(_ queues: any VirtioHeldQueues)
    /// The driver made buffers available on a queue the device holds.
    func buffersAvailable(queue: Int)
    /// Called from the board's device polls: time to move data that arrived from the host.
    func poll()
    /// The driver wrote `width` bytes at `offset` of the configuration space.
    func writeConfiguration(offset: Int, width: Int, value: UInt64)
}

/// The queues a device holds buffers on, as its transport gives them to it.
public protocol VirtioHeldQueues: AnyObject {
    /// Takes the next buffer the driver made available on `queue`, lets `fill` write into it
    /// (it returns the number of bytes written), returns it to the driver and interrupts if the
    /// driver asked to be. False when there is no buffer, the queue is not set up, or the device
    /// needs a reset. A chain that breaks the rules, or an error thrown by `fill`, puts the
    /// device in DEVICE_NEEDS_RESET as a request through `handle` does.
    func supply(queue: Int, _ fill: (VirtioRequest) throws(VirtioDeviceError) -> UInt32) -> Bool
    /// Returns requests the device `begin`s earlier to the driver, in this order, then interrupts
    /// once if the driver asked to be. Called from the device's `poll`.
    func complete(queue: Int, _ finished: [(request: VirtioRequest, written: UInt32)])
}

/// What `VirtioDevice.begin` did with a request.
public enum VirtioRequestProgress: Equatable {
    /// Done: this many bytes were written into its device-writable part.
    case completed(UInt32)
    /// Under way: the device completes it from a later poll.
    case started
}

extension VirtioDevice {
    public func negotiated(_ features: UInt64) {}
    public func reset() {}
    public func holdsBuffers(queue: Int) -> Bool { false }
    public func connect(_ queues: any VirtioHeldQueues) {}
    public func buffersAvailable(queue: Int) {}
    public func poll() {}
    public func writeConfiguration(offset: Int, width: Int, value: UInt64) {}
    public func defersNotification(queue: Int) -> Bool { false }
    public func begin(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> VirtioRequestProgress {
        .completed(try handle(request, queue: queue))
    }
    public var acceptsRequests: Bool { true }
}
