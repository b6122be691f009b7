import Machine

/// The configuration space of the `virt` board's generic PCIe host bridge (QEMU's GPEX,
/// devicetree `pci-host-ecam-generic`), reached through ECAM at 0x3000_0000.
///
/// ECAM (PCI Express Base Specification, §7.2.2) gives every function 4 KiB of configuration
/// space at `bus << 20 | device << 15 | function << 12`. Bus 0 holds the host bridge itself at
/// 00:00.0, which QEMU also shows (vendor 0x1b36 "Red Hat", device 0x0008 "QEMU PCIe host
/// bridge", class 06:00 host bridge), and the functions plugged in (`plug`), each function 0 of
/// its slot. Every other function is absent: its configuration reads return all ones, which is
/// how software learns that no device answers (§2.3.2, an Unsupported Request on a configuration
/// read completes with all ones), and its writes are dropped.
///
/// The bridge also routes the plugged functions' INTx pins to its four interrupt outputs
/// (PLIC sources 0x20-0x23 on `virt`) with the swizzle the device tree's `interrupt-map`
/// describes, and finds the function whose BAR a memory access in its windows hits.
public final class PCIeECAM: Device, TimedDevice {
    public let name: String
    /// Plugged functions by slot (device number on bus 0).
    public private(set) var functions: [Int: any PCIFunction] = [:]
    /// The plugged slots in ascending order: overlapping BARs (a confused guest) resolve the same way every time.
    private var plugged: [Int] = []
    /// Sets the level of interrupt output 0-3 (INTA-INTD at the bridge).
    private let interruptOutput: (Int, Bool) -> Void
    /// The slots asserting each of the four outputs: an output is a wired OR of its functions.
    private var asserting = [Set<Int>](repeating: [], count: 4)

    /// Offsets in a type 0 configuration header (PCI Local Bus Specification 3.0, §6.1).
    enum Header {
        static let vendorID = 0x00
        static let deviceID = 0x02
        static let command = 0x04
        static let revisionAndClass = 0x08
        static let cacheLineSize = 0x0c
        static let latencyTimer = 0x0d
        static let subsystemVendorID = 0x2c
        static let subsystemID = 0x2e
        static let interruptLine = 0x3c
    }

    /// The host bridge's identity, as QEMU 7.2 reports it.
    public enum HostBridge {
        public static let vendorID: UInt16 = 0x1b36
        public static let deviceID: UInt16 = 0x0008
        /// Base class 0x06 (bridge), subclass 0x00 (host bridge), interface 0, revision 0.
        public static let classAndRevision: UInt32 = 0x0600_0000
        /// QEMU's subsystem IDs (vendor 0x1af4, subsystem 0x1100).
        public static let subsystemVendorID: UInt16 = 0x1af4
        public static let subsystemID: UInt16 = 0x1100
    }

    /// Command register bits software may set: I/O space, memory space, bus master, parity
    /// error response, SERR# enable and interrupt disable (§6.2.2).
    static let commandWritableBits: UInt16 = 0x0547

    /// The host bridge's configuration header; the rest of its 4 KiB reads as zero.
    private var bridge = [UInt8](repeating: 0, count: 0x40)

    /// - Parameter interruptOutput: drives the bridge's interrupt output n (0-3).
    public init(name: String = "pcie-ecam", interruptOutput: @escaping (Int, Bool) -> Void = { _, _ in }) {
        self.name = name
        self.interruptOutput = interruptOutput
        put16(Header.vendorID, HostBridge.vendorID)
        put16(Header.deviceID, HostBridge.deviceID)
        put32(Header.revisionAndClass, HostBridge.classAndRevision)
        put16(Header.subsystemVendorID, HostBridge.subsystemVendorID)
        put16(Header.subsystemID, HostBridge.subsystemID)
    }

    /// Bus, device and function of an ECAM offset.
    public static func function(at offset: UInt64) -> (bus: Int, device: Int, function: Int, register: Int) {
        (Int(offset >> 20 & 0xff), Int(offset >> 15 & 0x1f), Int(offset >> 12 & 0x7), Int(offset & 0xfff))
    }

    /// Slots a function can be plugged into: 1-31 (0 is the host bridge's).
    public static let slots = 1...31

    /// The interrupt output slot `slot`'s pin `pin` (1-4 for INTA-INTD) drives: (slot + pin - 1)
    /// mod 4, the swizzle of the PCI-to-PCI Bridge Architecture Specification §9.1 that QEMU's
    /// GPEX applies and the device tree's interrupt-map states.
    public static func interruptOutput(slot: Int, pin: Int) -> Int { (slot + pin - 1) % 4 }

    /// Plugs `function` into `slot` of bus 0, before the harts run; false if the slot is taken
    /// or does not exist.
    @discardableResult
    public func plug(_ function: any PCIFunction, slot: Int) -> Bool {
        guard Self.slots.contains(slot), functions[slot] == nil else { return false }
        functions[slot] = function
        plugged = functions.keys.sorted()
        let pin = Int(function.configurationSpace.read(register: PCIConfigurationSpace.Header.interruptPin, width: 1))
        if (1...4).contains(pin) {
            let output = Self.interruptOutput(slot: slot, pin: pin)
            function.configurationSpace.interruptLine = { [unowned self] level in
                if level { asserting[output].insert(slot) } else { asserting[output].remove(slot) }
                interruptOutput(output, !asserting[output].isEmpty)
            }
        }
        return true
    }

    /// The function and BAR that decode a memory access at PCI address `address`, if any.
    public func decode(_ address: UInt64, width: Int) -> (function: any PCIFunction, bar: Int, offset: UInt64)? {
        for slot in plugged {
            guard let function = functions[slot] else { continue }
            if let hit = function.configurationSpace.decode(address, width: width) { return (function, hit.bar, hit.offset) }
        }
        return nil
    }

    public func poll(now: UInt64) -> UInt64 {
        for slot in plugged { functions[slot]?.poll() }
        return .max
    }

    public func read(offset: UInt64, width: Int) -> UInt64 {
        let allOnes: UInt64 = width >= 8 ? ~0 : (1 << (8 * UInt64(width))) - 1
        let f = Self.function(at: offset)
        if f.bus == 0 && f.function == 0, let function = functions[f.device] {
            // Past the 256 bytes of a conventional function: all ones, as QEMU answers.
            guard f.register < PCIConfigurationSpace.size else { return allOnes }
            // Configuration accesses are at most 4 bytes; an 8-byte one is two (QEMU splits it too).
            guard width == 8 else { return UInt64(function.readConfiguration(register: f.register, width: width)) }
            return UInt64(function.readConfiguration(register: f.register, width: 4))
                | UInt64(function.readConfiguration(register: f.register + 4, width: 4)) << 32
        }
        guard f.bus == 0 && f.device == 0 && f.function == 0 else { return allOnes }
        var value: UInt64 = 0
        for i in 0..<width where f.register + i < bridge.count {
            value |= UInt64(bridge[f.register + i]) << (8 * UInt64(i))
        }
        return value
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        let f = Self.function(at: offset)
        if f.bus == 0 && f.function == 0, let function = functions[f.device] {
            guard f.register < PCIConfigurationSpace.size else { return }
            if width == 8 {
                function.writeConfiguration(register: f.register, width: 4, value: UInt32(truncatingIfNeeded: value))
                function.writeConfiguration(register: f.register + 4, width: 4, value: UInt32(truncatingIfNeeded: value >> 32))
            } else {
                function.writeConfiguration(register: f.register, width: width, value: UInt32(truncatingIfNeeded: value))
            }
            return
        }
        guard f.bus == 0 && f.device == 0 && f.function == 0 else { return }
        for i in 0..<width {
            let register = f.register + i
            let byte = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))
            switch register {
            case Header.command: bridge[register] = byte & UInt8(Self.commandWritableBits & 0xff)
            case Header.command + 1: bridge[register] = byte & UInt8(Self.commandWritableBits >> 8)
            case Header.cacheLineSize, Header.latencyTimer, Header.interruptLine: bridge[register] = byte
            default: break  // Identification and the remaining fields are read-only.
            }
        }
    }

    private func put16(_ offset: Int, _ value: UInt16) {
        bridge[offset] = UInt8(truncatingIfNeeded: value)
        bridge[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    private func put32(_ offset: Int, _ value: UInt32) {
        put16(offset, UInt16(truncatingIfNeeded: value))
        put16(offset + 2, UInt16(truncatingIfNeeded: value >> 16))
    }
}

/// The PCIe host bridge's port I/O window at 0x0300_0000. With no device on the bus no I/O
/// BAR is assigned, so every read finds nobody (all ones, as an x86 port read of an empty
/// port does) and writes go nowhere.
public final class PCIePortIOWindow: Device {
    public let name: String

    public init(name: String = "pcie-pio") { self.name = name }

    public func read(offset: UInt64, width: Int) -> UInt64 {
        width >= 8 ? ~0 : (1 << (8 * UInt64(width))) - 1
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {}
}

/// One of the host bridge's memory windows (the 32-bit one at 0x4000_0000, the 64-bit one above
/// RAM): PCI memory addresses equal CPU addresses in both (the device tree's `ranges`), and an
/// access goes to the function whose enabled BAR holds it. Nobody answering is a master abort:
/// reads return all ones and writes are dropped, as on real bridges.
public final class PCIeMemoryWindow: Device {
    public let name: String
    /// The window's first CPU (and PCI) address.
    public let base: UInt64
    private unowned let host: PCIeECAM

    public init(name: String, base: UInt64, host: PCIeECAM) {
        self.name = name
        self.base = base
        self.host = host
    }

    public func read(offset: UInt64, width: Int) -> UInt64 {
        guard let hit = host.decode(base &+ offset, width: width) else { return width >= 8 ? ~0 : (1 << (8 * UInt64(width))) - 1 }
        return hit.function.readBAR(hit.bar, offset: hit.offset, width: width)
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        guard let hit = host.decode(base &+ offset, width: width) else { return }
        hit.function.writeBAR(hit.bar, offset: hit.offset, width: width, value: value)
    }
}
