/// A function on the PCIe host bridge's bus 0 (a conventional PCI endpoint, as QEMU's devices
/// on the root bus of `virt` are): its configuration space and the memory BARs it decodes.
///
/// The host bridge (`PCIeECAM`) hands it configuration accesses for its slot, memory accesses
/// that fall in one of its enabled BARs (`PCIeMemoryWindow`), and its INTx pin's wire.
public protocol PCIFunction: AnyObject {
    /// For error lines ("virtio-blk-pci").
    var name: String { get }
    /// The function's type 0 header and capabilities.
    var configurationSpace: PCIConfigurationSpace { get }
    /// A configuration read of `width` (1, 2 or 4) bytes at `register` (< 256, naturally aligned).
    func readConfiguration(register: Int, width: Int) -> UInt32
    /// A configuration write of `width` (1, 2 or 4) bytes at `register` (< 256, naturally aligned).
    func writeConfiguration(register: Int, width: Int, value: UInt32)
    /// A memory access at `offset` inside memory BAR `bar`; `offset + width` is inside the BAR.
    func readBAR(_ bar: Int, offset: UInt64, width: Int) -> UInt64
    func writeBAR(_ bar: Int, offset: UInt64, width: Int, value: UInt64)
    /// Work that does not start with a guest access (a console's input), from the board's polls.
    func poll()
}

extension PCIFunction {
    public func readConfiguration(register: Int, width: Int) -> UInt32 {
        configurationSpace.read(register: register, width: width)
    }

    public func writeConfiguration(register: Int, width: Int, value: UInt32) {
        configurationSpace.write(register: register, width: width, value: value)
    }

    public func poll() {}
}

/// The 256 bytes of a conventional PCI function's configuration space (PCI Local Bus
/// Specification 3.0, §6.1): a type 0 header, memory BARs the software sizes and places, a
/// capability list, and the INTx state.
///
/// Which bits software may change is kept per byte (`writable`), so a write can never change
/// a read-only field whatever its width or offset; BAR sizing falls out of the same masks:
/// the address bits below the BAR's size are read-only zero, so writing all ones reads back
/// the size (§6.2.5.1).
public final class PCIConfigurationSpace {
    /// Offsets in a type 0 header (§6.1).
    public enum Header {
        public static let vendorID = 0x00
        public static let deviceID = 0x02
        public static let command = 0x04
        public static let status = 0x06
        public static let revision = 0x08
        public static let classCode = 0x09
        public static let cacheLineSize = 0x0c
        public static let latencyTimer = 0x0d
        public static let headerType = 0x0e
        public static let bar0 = 0x10
        public static let subsystemVendorID = 0x2c
        public static let subsystemID = 0x2e
        public static let capabilitiesPointer = 0x34
        public static let interruptLine = 0x3c
        public static let interruptPin = 0x3d
        /// Where capabilities may start: the end of the type 0 header.
        public static let end = 0x40
    }

    /// Command register bits (§6.2.2).
    public enum Command {
        public static let memorySpace: UInt16 = 1 << 1
        public static let busMaster: UInt16 = 1 << 2
        public static let interruptDisable: UInt16 = 1 << 10
        /// What software may set on a function without I/O BARs: memory space, bus master,
        /// parity error response, SERR# enable and interrupt disable (QEMU's mask for its devices).
        static let writable: UInt16 = memorySpace | busMaster | 1 << 6 | 1 << 8 | interruptDisable
    }

    /// Status register bits (§6.2.3).
    public enum Status {
        public static let interrupt: UInt16 = 1 << 3
        public static let capabilitiesList: UInt16 = 1 << 4
    }

    /// Bytes of configuration space; ECAM's 4 KiB beyond it belong to PCIe functions only.
    public static let size = 256

    /// One memory BAR: its register index (0-5; a 64-bit BAR also takes the next) and size.
    public struct MemoryBAR: Equatable, Sendable {
        public let index: Int
        public let size: UInt64
        public let is64Bit: Bool
        public let prefetchable: Bool
    }

    private var bytes = [UInt8](repeating: 0, count: PCIConfigurationSpace.size)
    private var writable = [UInt8](repeating: 0, count: PCIConfigurationSpace.size)
    public private(set) var memoryBARs: [MemoryBAR] = []
    /// Where the next capability goes (dword aligned, after the header).
    private var nextCapability = Header.end

    /// The function has an interrupt to deliver (its INTx pin would be asserted were interrupts
    /// not disabled in the command register).
    public var interruptPending = false {
        didSet { if interruptPending != oldValue { updateInterrupt() } }
    }
    /// Drives the function's INTx wire; the host bridge sets it when the function is plugged.
    public var interruptLine: ((Bool) -> Void)? {
        didSet { updateInterrupt() }
    }
    /// Told after every change of the command register (bus mastering on or off).
    public var commandChanged: ((UInt16) -> Void)?

    /// A function with QEMU's subsystem IDs by default (vendor 0x1af4, subsystem 0x1100);
    /// `interruptPin` 1-4 is INTA-INTD, 0 none.
    public init(vendorID: UInt16, deviceID: UInt16, revision: UInt8, classCode: UInt32,
                subsystemVendorID: UInt16 = 0x1af4, subsystemID: UInt16 = 0x1100, interruptPin: UInt8) {
        put(Header.vendorID, width: 2, UInt32(vendorID))
        put(Header.deviceID, width: 2, UInt32(deviceID))
        bytes[Header.revision] = revision
        put(Header.classCode, width: 3, classCode)
        put(Header.subsystemVendorID, width: 2, UInt32(subsystemVendorID))
        put(Header.subsystemID, width: 2, UInt32(subsystemID))
        bytes[Header.interruptPin] = interruptPin
        allowWrites(Header.command, width: 2, mask: UInt32(Command.writable))
        allowWrites(Header.cacheLineSize, width: 1, mask: 0xff)
        allowWrites(Header.interruptLine, width: 1, mask: 0xff)
    }

    // MARK: Building the function

    /// Adds a memory BAR at register `index` of `size` bytes (a power of two, at least 16).
    public func addMemoryBAR(index: Int, size: UInt64, is64Bit: Bool, prefetchable: Bool) {
        precondition(size >= 16 && size & (size - 1) == 0, "a BAR's size is a power of two of at least 16 bytes")
        precondition(index >= 0 && index + (is64Bit ? 1 : 0) < 6, "BAR \(index) does not exist")
        let register = Header.bar0 + 4 * index
        // Bit 0 = 0: memory; bits 2:1 = 10b: 64-bit; bit 3: prefetchable (§6.2.5.1).
        put(register, width: 4, (is64Bit ? 0b100 : 0) | (prefetchable ? 0b1000 : 0))
        let addressMask = ~(size - 1)
        allowWrites(register, width: 4, mask: UInt32(truncatingIfNeeded: addressMask) & ~0xf)
        if is64Bit { allowWrites(register + 4, width: 4, mask: UInt32(truncatingIfNeeded: addressMask >> 32)) }
        memoryBARs.append(MemoryBAR(index: index, size: size, is64Bit: is64Bit, prefetchable: prefetchable))
    }

    /// Appends a capability with ID `id` and `body` (the bytes after the ID and next pointer);
    /// `writableBody` gives the bits of the body software may write (none by default). The new
    /// capability becomes the head of the list, as QEMU links them. Returns its offset.
    @discardableResult
    public func addCapability(id: UInt8, body: [UInt8], writableBody: [UInt8] = []) -> Int {
        let offset = nextCapability
        let length = 2 + body.count
        precondition(offset + length <= Self.size, "the capabilities do not fit in configuration space")
        bytes[offset] = id
        bytes[offset + 1] = bytes[Header.capabilitiesPointer]
        for (i, byte) in body.enumerated() { bytes[offset + 2 + i] = byte }
        for (i, mask) in writableBody.prefix(body.count).enumerated() { writable[offset + 2 + i] = mask }
        bytes[Header.capabilitiesPointer] = UInt8(offset)
        bytes[Header.status] |= UInt8(Status.capabilitiesList)
        nextCapability = (offset + length + 3) & ~3
        return offset
    }

    // MARK: Accesses

    /// `width` bytes at `register`, little-endian; past the 256 bytes, all ones (no extended space).
    public func read(register: Int, width: Int) -> UInt32 {
        var value: UInt32 = 0
        for i in 0..<min(width, 4) {
            let byte = register + i < Self.size && register + i >= 0 ? bytes[register + i] : 0xff
            value |= UInt32(byte) << (8 * UInt32(i))
        }
        return value
    }

    /// Changes only the writable bits of the bytes written.
    public func write(register: Int, width: Int, value: UInt32) {
        let oldCommand = command
        for i in 0..<min(width, 4) where register + i >= 0 && register + i < Self.size {
            let mask = writable[register + i]
            let byte = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))
            bytes[register + i] = bytes[register + i] & ~mask | byte & mask
        }
        if command != oldCommand {
            updateInterrupt()
            commandChanged?(command)
        }
    }

    /// Stores `width` bytes at `register` whatever the masks: for a function's own fields.
    public func put(_ register: Int, width: Int, _ value: UInt32) {
        for i in 0..<width { bytes[register + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }

    /// Lets software write the bits of `mask` in the `width` bytes at `register`.
    public func allowWrites(_ register: Int, width: Int, mask: UInt32) {
        for i in 0..<width { writable[register + i] = UInt8(truncatingIfNeeded: mask >> (8 * UInt32(i))) }
    }

    // MARK: State

    public var command: UInt16 { UInt16(read(register: Header.command, width: 2)) }
    public var status: UInt16 { UInt16(read(register: Header.status, width: 2)) }
    public var memorySpaceEnabled: Bool { command & Command.memorySpace != 0 }
    public var busMasterEnabled: Bool { command & Command.busMaster != 0 }

    /// The address memory BAR `bar` holds (whatever the command register says).
    public func address(ofBAR bar: MemoryBAR) -> UInt64 {
        let register = Header.bar0 + 4 * bar.index
        let low = UInt64(read(register: register, width: 4) & ~0xf)
        return bar.is64Bit ? low | UInt64(read(register: register + 4, width: 4)) << 32 : low
    }

    /// The memory BAR decoding `[address, address + width)` and the offset into it: only with
    /// memory space enabled, and never for an access that straddles the BAR's end.
    public func decode(_ pciAddress: UInt64, width: Int) -> (bar: Int, offset: UInt64)? {
        guard memorySpaceEnabled else { return nil }
        for bar in memoryBARs {
            let base = address(ofBAR: bar)
            // A BAR at 0 is unassigned (the firmware never places one there: it is not in a window).
            guard base != 0, pciAddress >= base else { continue }
            let offset = pciAddress - base
            if offset < bar.size && UInt64(width) <= bar.size - offset { return (bar.index, offset) }
        }
        return nil
    }

    /// INTx: asserted while an interrupt is pending and not disabled; the status register's
    /// Interrupt Status bit follows the pending state whatever the disable bit (§6.2.3).
    private func updateInterrupt() {
        let status = self.status & ~Status.interrupt | (interruptPending ? Status.interrupt : 0)
        put(Header.status, width: 2, UInt32(status))
        interruptLine?(interruptPending && command & Command.interruptDisable == 0)
    }
}
