/// Numbers from the virtio specification, version 1.2 (OASIS, 2022), named once.

/// Virtio device types (§5, "Device Types"): what DeviceID reads.
public enum VirtioDeviceType: UInt32, Sendable {
    case network = 1
    case block = 2
    case console = 3
    case entropy = 4
    /// The 9P transport (§5, "Device Types"): a file server reached with 9P messages (virtio-9p).
    case ninePTransport = 9
}

/// Feature bits that are not specific to one device type (§6, "Reserved Feature Bits"), and the
/// legacy ones QEMU still uses (§6.3).
public enum VirtioFeature {
    /// Legacy: interrupt even when notifications are suppressed and the ring ran empty.
    public static let notifyOnEmpty: UInt64 = 1 << 24
    /// Legacy: no assumptions about how a request is split into buffers.
    public static let anyLayout: UInt64 = 1 << 27
    /// Descriptors may point at a table of further descriptors (§2.7.5.3).
    public static let indirectDescriptors: UInt64 = 1 << 28
    /// used_event and avail_event suppress notifications (§2.7.7, §2.7.10).
    public static let eventIndex: UInt64 = 1 << 29
    /// The device follows this specification, not the legacy interface (§6.1).
    public static let version1: UInt64 = 1 << 32
    /// What the split rings of this module implement, offered by every device.
    public static let ring: UInt64 = indirectDescriptors | eventIndex
}

/// Device status bits (§2.1, "Device Status Field").
public enum VirtioStatus {
    public static let acknowledge: UInt32 = 1
    public static let driver: UInt32 = 2
    public static let driverOK: UInt32 = 4
    public static let featuresOK: UInt32 = 8
    /// Set by the device when it hit an error it cannot recover from (§2.1.2).
    public static let deviceNeedsReset: UInt32 = 64
    public static let failed: UInt32 = 128
}

/// Split-ring layout (§2.7).
enum SplitRing {
    /// Bytes per descriptor: le64 addr, le32 len, le16 flags, le16 next (§2.7.5).
    static let descriptorSize: UInt64 = 16
    /// Descriptor flags (§2.7.5).
    static let next: UInt16 = 1
    static let write: UInt16 = 2
    static let indirect: UInt16 = 4
    /// avail.flags: the driver asks for no used-buffer notifications (§2.7.6) — without event index.
    static let availNoInterrupt: UInt16 = 1
    /// Alignment of the three parts (§2.7, table "Virtqueue Part Alignment").
    static let descriptorAlignment: UInt64 = 16
    static let availableAlignment: UInt64 = 2
    static let usedAlignment: UInt64 = 4
    /// Bytes of each ring for a queue of `size`: flags, idx, the ring, and the event word (§2.7.6, §2.7.8).
    static func availableSize(_ size: UInt16) -> UInt64 { 6 + 2 * UInt64(size) }
    static func usedSize(_ size: UInt16) -> UInt64 { 6 + 8 * UInt64(size) }
    /// The largest queue a split ring can describe (§2.7: "The maximum Queue Size value is 32768").
    static let maximumQueueSize: UInt16 = 32768

    /// vring_need_event (§2.7.10): whether moving an index from `old` to `new` passes `event`.
    static func needsEvent(event: UInt16, new: UInt16, old: UInt16) -> Bool {
        new &- event &- 1 < new &- old
    }
}
