import CGuestMemory
import Machine

/// Guest-physical memory as a virtio device reaches it: every access bounds checked, nothing
/// outside guest RAM ever touched.
///
/// The board's `PhysicalMemory` is one (guest-physical = the board's physical addresses); a
/// hypervisor domain will give its devices a window that translates and bounds its own RAM,
/// so that one device type serves the board and every mode.
public protocol VirtioGuestMemory: AnyObject {
    /// Whether `[address, address + length)` is guest RAM.
    func contains(_ address: UInt64, length: UInt64) -> Bool
    /// A little-endian load of 1, 2, 4 or 8 bytes, atomic when aligned; nil outside RAM.
    func load(_ address: UInt64, width: Int) -> UInt64?
    /// A little-endian store of 1, 2, 4 or 8 bytes; false (nothing written) outside RAM.
    func store(_ address: UInt64, width: Int, value: UInt64) -> Bool
    /// Copies `count` bytes out; nil outside RAM.
    func read(_ address: UInt64, count: Int) -> [UInt8]?
    /// Copies bytes in; false (nothing written) outside RAM.
    func write(_ data: some Collection<UInt8>, at address: UInt64) -> Bool
}

/// The board's RAM. Ring fields go through `load`/`store` (relaxed atomics: harts on other
/// threads touch them). Buffer contents go through the bulk `read`/`write` copies: a buffer
/// belongs to the device from the moment the driver makes it available until the device marks
/// it used (§2.7.13), so a driver that follows the specification does not touch those bytes
/// meanwhile; one that does only races with itself, in its own RAM.
extension PhysicalMemory: VirtioGuestMemory {}

/// A full fence between this thread's ring accesses and the harts' (the ring's memory barriers,
/// §2.7.13.3 and §2.7.13.5: read avail.idx before the entries it covers, write used entries
/// before used.idx, and used.idx before reading used_event).
@inline(__always)
func ringFence() { vb_fence() }

/// Guest memory that reports every range a device wrote buffer data into: a hart keeps decoded
/// instructions per physical page, and a disk read into a page of code must drop them
/// (`Hart.hostWroteMemory`). Ring updates are not reported: they are not code.
public final class ObservedGuestMemory: VirtioGuestMemory {
    private let memory: any VirtioGuestMemory
    private let wrote: (Range<UInt64>) -> Void

    /// `wrote` hears of every range written through `write` (on the thread that wrote it).
    public init(_ memory: any VirtioGuestMemory, wrote: @escaping (Range<UInt64>) -> Void) {
        self.memory = memory
        self.wrote = wrote
    }

    public func contains(_ address: UInt64, length: UInt64) -> Bool { memory.contains(address, length: length) }
    public func load(_ address: UInt64, width: Int) -> UInt64? { memory.load(address, width: width) }
    public func store(_ address: UInt64, width: Int, value: UInt64) -> Bool { memory.store(address, width: width, value: value) }
    public func read(_ address: UInt64, count: Int) -> [UInt8]? { memory.read(address, count: count) }

    public func write(_ data: some Collection<UInt8>, at address: UInt64) -> Bool {
        let count = UInt64(data.count)
        guard memory.write(data, at: address) else { return false }
        if count > 0 { wrote(address ..< address + count) }
        return true
    }
}
