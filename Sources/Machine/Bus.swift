import Synchronization

/// The physical address space: RAM plus memory-mapped device windows.
///
/// The hart's software TLB sends RAM accesses straight to host memory; everything else
/// (and every TLB miss) comes here. An address that is neither RAM nor a device window is
/// an access fault, as on real hardware.
public final class Bus {
    public struct Region {
        public let base: UInt64
        public let size: UInt64
        public let device: any Device
    }

    public let ram: PhysicalMemory
    /// Set when harts run on several host threads: then every device access and poll holds
    /// `deviceLock`, one lock for all devices as QEMU's iothread lock is, since MMIO is rare
    /// next to RAM traffic and devices stay single-threaded code. One hart takes no lock.
    public var isShared = false
    private let deviceLock = Mutex<Void>(())

    /// Runs `body` holding the device lock when harts share the bus.
    @inline(__always)
    public func withDevices<T>(_ body: () -> T) -> T {
        guard isShared else { return body() }
        return deviceLock.withLock { _ in body() }
    }
    public private(set) var regions: [Region] = []
    /// Devices that need polling as time passes (timers, input).
    public private(set) var timedDevices: [any TimedDevice] = []

    public init(ram: PhysicalMemory) { self.ram = ram }

    public enum AttachError: Error, CustomStringConvertible {
        case overlap(String, String)
        public var description: String {
            switch self {
            case .overlap(let a, let b): return "device window \(a) overlaps \(b)"
            }
        }
    }

    /// Maps `device` at `[base, base + size)`.
    public func attach(_ device: any Device, at base: UInt64, size: UInt64) throws(AttachError) {
        for r in regions where base < r.base &+ r.size && r.base < base &+ size {
            throw .overlap(device.name, r.device.name)
        }
        if base < ram.base &+ ram.size && ram.base < base &+ size { throw .overlap(device.name, "RAM") }
        regions.append(Region(base: base, size: size, device: device))
        regions.sort { $0.base < $1.base }
        if let timed = device as? any TimedDevice { timedDevices.append(timed) }
    }

    /// The device window containing `address`, if any.
    @inline(__always)
    public func region(containing address: UInt64) -> Region? {
        for r in regions where address >= r.base && address - r.base < r.size { return r }
        return nil
    }

    /// Reads `width` bytes at a physical address outside the TLB fast path; nil = access fault.
    public func read(_ address: UInt64, width: Int) -> UInt64? {
        if let v = ram.load(address, width: width) { return v }
        guard let r = region(containing: address), address - r.base + UInt64(width) <= r.size else { return nil }
        return withDevices { r.device.read(offset: address - r.base, width: width) }
    }

    /// Writes `width` bytes at a physical address outside the TLB fast path; false = access fault.
    public func write(_ address: UInt64, width: Int, value: UInt64) -> Bool {
        if ram.store(address, width: width, value: value) { return true }
        guard let r = region(containing: address), address - r.base + UInt64(width) <= r.size else { return false }
        withDevices { r.device.write(offset: address - r.base, width: width, value: value) }
        return true
    }

    /// Polls every timed device; returns the earliest `mtime` at which one needs polling again.
    public func pollDevices(now: UInt64) -> UInt64 {
        withDevices {
            // One read of the list, and each device borrowed from it by index: iterating with
            // for-in retained and released every device on every poll.
            let devices = timedDevices
            var next = UInt64.max
            for index in devices.indices { next = min(next, devices[index].poll(now: now)) }
            return next
        }
    }
}
