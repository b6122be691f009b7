import Machine

/// One of the `virt` board's eight virtio-mmio transport windows, empty or with a transport
/// (a virtio device, Sources/Virtio) plugged in.
///
/// The device tree lists all eight windows whether or not a device is plugged in, so a
/// driver probes each and must find a well-formed transport that reports "no device": the
/// magic value, a version, DeviceID 0 and QEMU's vendor ID (virtio spec 1.2, §4.2.2; a
/// DeviceID of 0 means the slot is empty, §4.2.3.1.1). Everything else reads 0 and writes
/// are ignored. A plugged slot hands every access to its transport.
///
/// An empty slot reads version 2 (the modern transport); QEMU 7.2's empty slots read 1
/// (legacy) by default and 2 only with `-global virtio-mmio.force-legacy=false`. Drivers skip
/// an empty slot on DeviceID 0 either way.
public final class VirtioMMIOSlot: Device {
    public let name: String
    /// The PLIC source this slot's device raises.
    public let interruptSource: Int
    /// Sets the level of this slot's PLIC source: what a plugged transport drives.
    public let interruptLine: (Bool) -> Void
    /// The transport plugged in, if any (QEMU's virtio-mmio-bus.N holds at most one device).
    public private(set) var transport: (any Device)?
    /// The transport as a timed device, found once when it is plugged in: a dynamic cast on
    /// every poll cost each device poll of the board a few hundred host instructions per slot.
    private var timedTransport: (any TimedDevice)?

    /// Register offsets (virtio spec 1.2, §4.2.2 MMIO Device Register Layout).
    public enum Register {
        /// Reads "virt".
        public static let magicValue: UInt64 = 0x000
        /// Transport version.
        public static let version: UInt64 = 0x004
        /// Virtio device type; 0 = none.
        public static let deviceID: UInt64 = 0x008
        /// Vendor of the transport.
        public static let vendorID: UInt64 = 0x00c
    }

    /// "virt" in little-endian ASCII.
    public static let magicValue: UInt32 = 0x7472_6976
    /// The modern (non-legacy) virtio-mmio interface.
    public static let version: UInt32 = 2
    /// "QEMU" in little-endian ASCII: the vendor ID QEMU's transports report.
    public static let vendorID: UInt32 = 0x554d_4551

    /// - Parameters:
    ///   - interruptSource: the PLIC source the DTB gives this slot (1 + slot index).
    ///   - interruptLine: drives that source (the board connects it to the PLIC).
    public init(name: String, interruptSource: Int, interruptLine: @escaping (Bool) -> Void = { _ in }) {
        self.name = name
        self.interruptSource = interruptSource
        self.interruptLine = interruptLine
    }

    /// Puts a transport in the slot, before the harts run; false if the slot already has one.
    @discardableResult
    public func plug(_ transport: any Device) -> Bool {
        guard self.transport == nil else { return false }
        self.transport = transport
        timedTransport = transport as? any TimedDevice
        return true
    }

    public var isEmpty: Bool { transport == nil }

    public func read(offset: UInt64, width: Int) -> UInt64 {
        if let transport { return transport.read(offset: offset, width: width) }
        // The transport's registers are 32 bits wide and read only with aligned 32-bit
        // accesses (§4.2.2.2); other widths get 0 rather than a torn value.
        guard width == 4 else { return 0 }
        switch offset {
        case Register.magicValue: return UInt64(Self.magicValue)
        case Register.version: return UInt64(Self.version)
        case Register.vendorID: return UInt64(Self.vendorID)
        default: return 0  // DeviceID 0: no device.
        }
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        transport?.write(offset: offset, width: width, value: value)
    }
}

/// A plugged transport whose device has work that does not start with a guest access (console
/// input waiting for a receive buffer) is polled through its slot: the slots are attached to
/// the bus when the board is built, before any device is plugged in.
extension VirtioMMIOSlot: TimedDevice {
    public func poll(now: UInt64) -> UInt64 {
        timedTransport?.poll(now: now) ?? .max
    }
}
