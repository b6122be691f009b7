import Foundation
import Synchronization

/// A VXLAN header (RFC 7348 §5): flags (the I bit, 0x08, says the VNI is valid; the other bits
/// are reserved), 24 reserved bits, the 24-bit VXLAN network identifier, 8 reserved bits.
public struct VXLANHeader: Sendable, Equatable {
    public static let length = 8
    static let validVNIFlag: UInt8 = 0x08
    /// IANA's port for VXLAN (RFC 7348 §5).
    public static let standardPort: UInt16 = 4789
    /// What encapsulation adds in front of the inner frame on an IPv4 path: IP (20), UDP (8),
    /// VXLAN (8). With the outer Ethernet header (14) this is VXLAN's usual "50 bytes".
    public static let ipv4Overhead = 20 + 8 + length
    public static let vniRange: ClosedRange<UInt32> = 0...0xff_ffff

    public var vni: UInt32

    public init(vni: UInt32) {
        precondition(Self.vniRange.contains(vni))
        self.vni = vni
    }

    public var bytes: [UInt8] {
        [Self.validVNIFlag, 0, 0, 0, UInt8(vni >> 16), UInt8((vni >> 8) & 0xff), UInt8(vni & 0xff), 0]
    }

    /// The header at the start of `datagram`; nil when it is too short or the I flag is clear.
    /// Reserved bits are ignored on receipt, as §5 says.
    public init?(parsing datagram: [UInt8]) {
        guard datagram.count >= Self.length, datagram[0] & Self.validVNIFlag != 0 else { return nil }
        vni = UInt32(datagram[4]) << 16 | UInt32(datagram[5]) << 8 | UInt32(datagram[6])
    }
}

/// An overlay port of a `VirtualSwitch`: the switch's frames of one VLAN, carried in UDP to a
/// remote VXLAN tunnel end point (another VirtBench switch, or the Linux kernel's vxlan device)
/// under one VNI, and the remote's frames back into that VLAN.
///
/// Untrusted input: a datagram without a valid header is dropped and counted (`overlayHeader`),
/// one for another VNI too (`wrongVNI`); the inner frame goes through the switch's checks.
/// MTU: an encapsulated frame whose IP packet would exceed `pathMTU` is dropped and counted
/// (`overPathMTU`) and the socket refuses to fragment (IP_PMTUDISC_DO): guests on an overlay lower
/// their MTU by `VXLANHeader.ipv4Overhead + 14` bytes (1450 on a 1500-byte path), as with Linux's
/// vxlan device.
public final class VXLANPort: NetworkPeer, @unchecked Sendable {
    // @unchecked: `descriptor` and the configuration are set in init; `port` before `start`;
    // `stopping` is an atomic flag.

    public let local: SocketEndpoint
    public let remote: SocketEndpoint
    public let vni: UInt32
    public let pathMTU: Int
    private let descriptor: Int32
    private var port = -1
    private weak var fabric: VirtualSwitch?
    private let stopping = Atomic(false)
    private let finished = DispatchGroup()

    /// Binds `local` now (an error if it is taken); nothing moves until `attach` and `start`.
    public init(local: SocketEndpoint, remote: SocketEndpoint, vni: UInt32, pathMTU: Int = 1500) throws(SocketNetworkError) {
        guard VXLANHeader.vniRange.contains(vni) else { throw SocketNetworkError("VNI \(vni) is not a 24-bit number") }
        guard inet_addr(remote.host) != INADDR_NONE else { throw SocketNetworkError("'\(remote.host)' is not an IPv4 address") }
        self.local = local
        self.remote = remote
        self.vni = vni
        self.pathMTU = pathMTU
        descriptor = try SocketNetwork.makeSocket(SOCK_DGRAM)
        var discover = IP_PMTUDISC_DO
        setsockopt(descriptor, Int32(IPPROTO_IP), IP_MTU_DISCOVER, &discover, socklen_t(MemoryLayout<Int32>.size))
        try SocketNetwork.bind(descriptor, local)
    }

    /// The longest inner frame that fits the path MTU.
    public var maximumInnerFrame: Int { pathMTU - VXLANHeader.ipv4Overhead }

    /// Adds this tunnel to `fabric` as an overlay port of `vlan`; returns the port's number.
    public func attach(to fabric: VirtualSwitch, name: String, vlan: UInt16, limits: SwitchPortLimits = SwitchPortLimits()) -> Int {
        self.fabric = fabric
        port = fabric.addPort(SwitchPortConfiguration(name: name, mode: .access(vlan: vlan), limits: limits, isOverlay: true,
                                                      maximumFrameLength: maximumInnerFrame), peer: self)
        return port
    }

    /// Starts the thread that takes the remote's datagrams into the switch.
    public func start() {
        finished.startThread(named: "vxlan-\(vni)-reader") { [self] in read() }
    }

    /// Ends the reader and closes the socket.
    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        // Wakes the reader blocked in recv (Linux marks the socket shut down even when unconnected).
        shutdown(descriptor, Int32(SHUT_RDWR))
        finished.wait()
        close(descriptor)
    }

    /// A copy from the switch: encapsulated and sent to the remote. The switch has checked its
    /// length against the path MTU; a send the host refuses is a refused copy.
    public func receive(_ frame: EthernetFrame) -> Bool {
        let datagram = VXLANHeader(vni: vni).bytes + frame.bytes
        var address = remote.socketAddress
        // SAFETY: the datagram's bytes and the local sockaddr_in live across the call.
        let sent = datagram.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        return sent == datagram.count
    }

    private func read() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(descriptor, &buffer, buffer.count, 0)
            if n < 0 && errno == EINTR { continue }
            if stopping.load(ordering: .sequentiallyConsistent) || n < 0 { return }
            guard let fabric else { return }
            let datagram = Array(buffer[0..<n])
            guard let header = VXLANHeader(parsing: datagram) else {
                fabric.countDropped(.overlayHeader, bytes: n, port: port)
                continue
            }
            guard header.vni == vni else {
                fabric.countDropped(.wrongVNI, bytes: n, port: port)
                continue
            }
            fabric.send(Array(datagram[VXLANHeader.length...]), from: port)
        }
    }
}
