import Machine

/// The configuration space of the `virt` board's generic PCIe host bridge (QEMU's GPEX,
/// devicetree `pci-host-ecam-generic`), reached through ECAM at 0x3000_0000.
///
/// ECAM (PCI Express Base Specification, §7.2.2) gives every function 4 KiB of configuration
/// space at `bus << 20 | device << 15 | function << 12`. The bus has nothing plugged in but
/// the host bridge itself at 00:00.0, which QEMU also shows (vendor 0x1b36 "Red Hat",
/// device 0x0008 "QEMU PCIe host bridge", class 06:00 host bridge), so `lspci` and U-Boot's
/// `pci` list the same thing on both. Every other function is absent: its configuration reads
/// return all ones, which is how software learns that no device answers (§2.3.2, an
/// Unsupported Request on a configuration read completes with all ones), and its writes are dropped.
public final class PCIeECAM: Device {
    public let name: String

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

    public init(name: String = "pcie-ecam") {
        self.name = name
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

    public func read(offset: UInt64, width: Int) -> UInt64 {
        let allOnes: UInt64 = width >= 8 ? ~0 : (1 << (8 * UInt64(width))) - 1
        let f = Self.function(at: offset)
        guard f.bus == 0 && f.device == 0 && f.function == 0 else { return allOnes }
        var value: UInt64 = 0
        for i in 0..<width where f.register + i < bridge.count {
            value |= UInt64(bridge[f.register + i]) << (8 * UInt64(i))
        }
        return value
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        let f = Self.function(at: offset)
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
