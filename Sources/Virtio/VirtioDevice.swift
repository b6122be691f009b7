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
}

extension VirtioDevice {
    public func negotiated(_ features: UInt64) {}
    public func reset() {}
}
