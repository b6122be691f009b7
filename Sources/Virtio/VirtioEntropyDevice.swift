/// A virtio entropy device (virtio 1.2, §5.4): QEMU's `virtio-rng-device`. It fills every
/// device-writable buffer the driver offers with bytes from the host's random number
/// generator (getrandom(2) on Linux, through the standard library's generator).
public final class VirtioEntropyDevice: VirtioDevice {
    public var deviceType: VirtioDeviceType { .entropy }
    /// No device-specific features or configuration (§5.4.3, §5.4.4).
    public var deviceFeatures: UInt64 { 0 }
    public var configuration: [UInt8] { [] }
    /// One request queue, requestq (§5.4.2).
    public var queueCount: Int { 1 }
    /// What QueueNumMax reads, as on QEMU's virtio-mmio (VIRTQUEUE_MAX_SIZE for every device).
    public let maximumQueueSize: UInt16 = 1024
    /// Bytes produced per request at most, so a huge buffer costs no more host work than this;
    /// the driver learns how many it got from the used length.
    static let maximumRequestBytes = 1 << 16

    public init() {}

    public func handle(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> UInt32 {
        let count = min(request.writableLength, Self.maximumRequestBytes)
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count {
            let word = generator.next()
            for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(i)))) }
        }
        request.write(bytes.prefix(count))
        return UInt32(count)
    }
}
