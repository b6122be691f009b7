/// One Ethernet frame as the guest's NIC sends and receives it: destination and source MAC,
/// EtherType (or an 802.1Q tag), payload; no preamble and no frame check sequence (IEEE 802.3
/// §3.1.1), which neither a virtio-net device nor QEMU's net layer carries.
public struct EthernetFrame: Sendable, Equatable {
    /// Destination (6), source (6), EtherType (2).
    public static let headerLength = 14
    /// The largest payload of an untagged frame on a 1500-byte MTU (IEEE 802.3 §3.2.7).
    public static let maximumPayload = 1500
    /// An 802.1Q tag adds 4 bytes between the source address and the EtherType.
    public static let vlanTagLength = 4
    /// The longest frame a link carries: a full payload behind a tagged header (1518 bytes,
    /// IEEE 802.3 §3.2.7 without the 4-byte FCS). Longer is a guest's error, dropped and counted.
    public static let maximumLength = headerLength + vlanTagLength + maximumPayload
    /// The shortest frame a link carries: a header. A wire would pad it to 60 bytes; virtio-net
    /// and QEMU's peers do not need that, so nothing here pads.
    public static let minimumLength = headerLength

    public let bytes: [UInt8]

    /// Nil when `bytes` is shorter than a header or longer than `maximumLength`.
    public init?(_ bytes: [UInt8]) {
        guard let frame = try? Self.validated(bytes) else { return nil }
        self = frame
    }

    private init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// The frame, or why it cannot be one.
    public static func validated(_ bytes: [UInt8]) throws(FrameDrop) -> EthernetFrame {
        guard bytes.count >= minimumLength else { throw .undersize }
        guard bytes.count <= maximumLength else { throw .oversize }
        return EthernetFrame(unchecked: bytes)
    }

    public var destination: MACAddress { MACAddress(bytes[0..<6]) }
    public var source: MACAddress { MACAddress(bytes[6..<12]) }
    public var etherType: UInt16 { UInt16(bytes[12]) << 8 | UInt16(bytes[13]) }
}

/// A 48-bit IEEE 802 MAC address.
public struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    public let octets: [UInt8]

    public init<C: Collection<UInt8>>(_ octets: C) {
        precondition(octets.count == 6, "a MAC address has 6 octets")
        self.octets = Array(octets)
    }

    /// `aa:bb:cc:dd:ee:ff`, as QEMU's `mac=` takes it; nil otherwise.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard part.count == 2, let octet = UInt8(part, radix: 16) else { return nil }
            octets.append(octet)
        }
        self.octets = octets
    }

    /// The group bit (IEEE 802 §8.2): broadcast and multicast. QEMU refuses such a NIC address.
    public var isMulticast: Bool { octets[0] & 1 != 0 }
    public static let broadcast = MACAddress([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])

    /// QEMU's default NIC addresses: 52:54:00:12:34:56 for the first NIC, the last octet counting
    /// up for each further one (net.c, qemu_macaddr_default_if_unset).
    public static func qemuDefault(index: Int) -> MACAddress {
        MACAddress([0x52, 0x54, 0x00, 0x12, 0x34, UInt8(truncatingIfNeeded: 0x56 + index)])
    }

    public var description: String {
        octets.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }
}

/// Why a frame was dropped, as the link counts it.
public enum FrameDrop: Error, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Shorter than an Ethernet header.
    case undersize
    /// Longer than `EthernetFrame.maximumLength`.
    case oversize
    /// The receiver pushed back and the link's queue for it was full.
    case queueFull
    /// The sender asked for an offload the link does not do (a virtio-net GSO or checksum request
    /// that was not negotiated).
    case unsupportedOffload
    /// No receiver is attached on the other side.
    case noPeer
    /// The receiver had a buffer, but one too small for the frame.
    case bufferTooSmall
    /// The receiver took the frame, then was reset before it could deliver it (a NIC reset by its driver).
    case deviceReset
    /// A stream peer closed its connection in the middle of a frame.
    case truncated

    public var description: String {
        switch self {
        case .undersize: return "undersize"
        case .oversize: return "oversize"
        case .queueFull: return "queue full"
        case .unsupportedOffload: return "unsupported offload"
        case .noPeer: return "no peer"
        case .bufferTooSmall: return "buffer too small"
        case .deviceReset: return "device reset"
        case .truncated: return "truncated"
        }
    }
}
