import Foundation
import Synchronization

/// What the gateway side of a WireGuard port did on the switch.
public struct WireGuardGatewayCounters: Sendable, Equatable {
    /// ARP requests answered for addresses in the peers' AllowedIPs, and sent to resolve a station.
    public var arpRepliesSent = 0
    public var arpRequestsSent = 0
    /// IPv4 packets taken off the switch into the tunnel, and put from the tunnel onto the switch.
    public var packetsToTunnel = 0
    public var packetsFromTunnel = 0
    /// Frames the gateway could not carry: not IPv4 or ARP (IPv6 has no gateway here), malformed,
    /// a tunnel packet too large for a frame, a station that never answered ARP.
    public var notCarried = 0
    public var malformed = 0
    public var oversize = 0
    public var unresolved = 0
    public init() {}
}

/// A WireGuard tunnel end point that joins a `VirtualSwitch` as an IPv4 gateway: WireGuard
/// carries IP packets and the switch Ethernet frames, so the port answers ARP for the addresses
/// in its peers' AllowedIPs (proxy ARP, RFC 1027), takes IPv4 frames sent to its MAC address
/// into the tunnel, and puts the tunnel's packets on the switch addressed to the station, whose
/// MAC it learns from ARP and from the frames it sends (asking by ARP when it has not heard of it).
///
/// The UDP side is `WireGuardDevice` over one IPv4 socket: every malformed or unauthenticated
/// datagram is dropped and counted there, never answered except by the protocol's own rules.
/// IPv6 is not carried across the switch (no neighbor discovery here): such frames are counted
/// as not carried.
///
/// Threads: a reader takes datagrams, a timer thread runs the protocol's timers every 100 ms and
/// retries ARP, and one injector alone calls the switch (the switch's `receive` must never call
/// back into it), so frames from the tunnel keep their order.
public final class WireGuardPort: NetworkPeer, @unchecked Sendable {
    // @unchecked: `descriptor`, `device` and the addresses are set in init, `port` before `start`;
    // the rest is behind `condition` or `state`.

    public let device: WireGuardDevice
    public let mac: MACAddress
    /// The local UDP end point, with the port the system chose when the configuration had none.
    public let local: SocketEndpoint
    private let descriptor: Int32
    private var port = -1
    private weak var fabric: VirtualSwitch?
    private let stopping = Atomic(false)
    private let finished = DispatchGroup()
    private let condition = NSCondition()
    private var outbox: [[UInt8]] = []
    private var outboxClosed = false

    struct Pending {
        var packets: [[UInt8]]
        var asked: Int64
        var tries: Int
    }

    struct State {
        var neighbors: [[UInt8]: MACAddress] = [:]
        var pending: [[UInt8]: Pending] = [:]
        var counters = WireGuardGatewayCounters()
    }

    private let state = Mutex(State())
    static let arpRetryInterval: Int64 = 1_000_000_000
    static let arpTries = 3
    static let pendingLimit = 64
    /// Bounds on what a hostile station or peer can make the gateway remember: stations learned
    /// (a full table learns no more) and destinations being resolved at once (more are dropped).
    static let neighborLimit = 4096
    static let resolvingLimit = 256

    /// Binds UDP `address`:ListenPort (an error if it is taken); nothing moves until `attach` and `start`.
    public init(configuration: WireGuardConfiguration, address: String = "0.0.0.0", mac: MACAddress? = nil,
                handshakeLoadLimit: Int = 256, clock: WireGuardClock = .system) throws(SocketNetworkError) {
        device = WireGuardDevice(configuration: configuration, handshakeLoadLimit: handshakeLoadLimit, clock: clock)
        // A locally administered unicast address from the public key, so each tunnel has its own.
        self.mac = mac ?? MACAddress([0x02] + device.publicKey.bytes[0..<5])
        let socket = try SocketNetwork.makeSocket(SOCK_DGRAM)
        try SocketNetwork.bind(socket, SocketEndpoint(host: address, port: configuration.listenPort ?? 0))
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        // SAFETY: `bound` is a local sockaddr_in and `length` its size; getsockname writes at most that.
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        descriptor = socket
        local = SocketEndpoint(host: address, port: UInt16(bigEndian: bound.sin_port))
    }

    /// Adds this tunnel to `fabric` as an access port of `vlan`; returns the port's number.
    public func attach(to fabric: VirtualSwitch, name: String, vlan: UInt16, limits: SwitchPortLimits = SwitchPortLimits()) -> Int {
        self.fabric = fabric
        port = fabric.addPort(SwitchPortConfiguration(name: name, mode: .access(vlan: vlan), limits: limits), peer: self)
        return port
    }

    public var gatewayCounters: WireGuardGatewayCounters { state.withLock { $0.counters } }

    public func start() {
        finished.startThread(named: "wireguard-reader") { [self] in read() }
        finished.startThread(named: "wireguard-timers") { [self] in timers() }
        finished.startThread(named: "wireguard-injector") { [self] in inject() }
    }

    /// Ends the threads and closes the socket.
    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        shutdown(descriptor, Int32(SHUT_RDWR))
        condition.lock()
        outboxClosed = true
        condition.broadcast()
        condition.unlock()
        finished.wait()
        close(descriptor)
    }

    // MARK: - From the switch

    /// A copy from the switch (called with the switch locked): ARP is answered through the
    /// injector, IPv4 to this port's address goes into the tunnel.
    public func receive(_ frame: EthernetFrame) -> Bool {
        let bytes = frame.bytes
        let toUs = frame.destination == mac
        switch frame.etherType {
        case 0x0806:
            handleARP(bytes)
        case 0x0800 where toUs:
            let packet = Array(bytes[EthernetFrame.headerLength...])
            guard let (source, _, length) = WireGuardDevice.addresses(of: packet), source.count == 4 else {
                state.withLock { $0.counters.malformed += 1 }
                return true
            }
            state.withLock {
                if $0.neighbors[source] != nil || $0.neighbors.count < Self.neighborLimit { $0.neighbors[source] = frame.source }
                $0.counters.packetsToTunnel += 1
            }
            transmit(device.send(packet: Array(packet[0..<length])))
        default:
            if toUs { state.withLock { $0.counters.notCarried += 1 } }
        }
        return true
    }

    /// RFC 826 over Ethernet and IPv4: learn the sender; answer a request for an address that a
    /// peer's AllowedIPs holds (never for the asker's own address, so duplicate-address probes and
    /// a station's own address stay local); a reply resolves what waited for it.
    private func handleARP(_ frame: [UInt8]) {
        let arp = Array(frame[EthernetFrame.headerLength...])
        guard arp.count >= 28, arp[0] == 0, arp[1] == 1, arp[2] == 8, arp[3] == 0, arp[4] == 6, arp[5] == 4 else {
            state.withLock { $0.counters.malformed += 1 }
            return
        }
        let operation = UInt16(arp[6]) << 8 | UInt16(arp[7])
        let senderMAC = MACAddress(arp[8..<14]), senderIP = Array(arp[14..<18]), targetIP = Array(arp[24..<28])
        guard !senderMAC.isMulticast else { return }
        var release: [[UInt8]] = []
        var reply: [UInt8]?
        let answers = operation == 1 && targetIP != senderIP && device.peer(routing: targetIP) != nil
        state.withLock { state in
            if senderIP != [0, 0, 0, 0], state.neighbors[senderIP] != nil || state.neighbors.count < Self.neighborLimit {
                state.neighbors[senderIP] = senderMAC
                if let waiting = state.pending.removeValue(forKey: senderIP) {
                    release = waiting.packets.map { Self.ethernet(to: senderMAC, from: mac, type: 0x0800) + $0 }
                    state.counters.packetsFromTunnel += waiting.packets.count
                }
            }
            if answers && state.neighbors[targetIP] == nil {
                reply = Self.ethernet(to: senderMAC, from: mac, type: 0x0806) + [0, 1, 8, 0, 6, 4, 0, 2] + mac.octets + targetIP + senderMAC.octets + senderIP
                state.counters.arpRepliesSent += 1
            }
        }
        enqueue((reply.map { [$0] } ?? []) + release)
    }

    static func ethernet(to destination: MACAddress, from source: MACAddress, type: UInt16) -> [UInt8] {
        destination.octets + source.octets + [UInt8(type >> 8), UInt8(type & 0xff)]
    }

    // MARK: - From the tunnel

    /// Sends the device's datagrams; puts its packets on the switch.
    private func transmit(_ outputs: [WireGuardDevice.Output]) {
        var frames: [[UInt8]] = []
        let now = UserNetwork.monotonicNanoseconds()
        for output in outputs {
            switch output {
            case .datagram(let datagram, let endpoint):
                var address = endpoint.socketAddress
                // SAFETY: the datagram's bytes and the local sockaddr_in live across the call.
                _ = datagram.withUnsafeBytes { bytes in
                    withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                        }
                    }
                }
            case .packet(let packet, _):
                guard packet.first.map({ $0 >> 4 }) == 4, let (source, destination, _) = WireGuardDevice.addresses(of: packet) else {
                    state.withLock { $0.counters.notCarried += 1 }
                    continue
                }
                guard packet.count <= EthernetFrame.maximumPayload else {
                    state.withLock { $0.counters.oversize += 1 }
                    continue
                }
                state.withLock { state in
                    if let station = state.neighbors[destination] {
                        frames.append(Self.ethernet(to: station, from: mac, type: 0x0800) + packet)
                        state.counters.packetsFromTunnel += 1
                        return
                    }
                    guard state.pending[destination] != nil || state.pending.count < Self.resolvingLimit else {
                        state.counters.unresolved += 1
                        return
                    }
                    var waiting = state.pending[destination] ?? Pending(packets: [], asked: now, tries: 1)
                    if waiting.packets.count >= Self.pendingLimit {
                        waiting.packets.removeFirst()
                        state.counters.unresolved += 1
                    }
                    let first = waiting.packets.isEmpty && state.pending[destination] == nil
                    waiting.packets.append(packet)
                    state.pending[destination] = waiting
                    if first {
                        frames.append(arpRequest(for: destination, from: source))
                        state.counters.arpRequestsSent += 1
                    }
                }
            }
        }
        enqueue(frames)
    }

    /// Who has `target`? Asked from this port's MAC on behalf of `sender` (the tunnel's address).
    private func arpRequest(for target: [UInt8], from sender: [UInt8]) -> [UInt8] {
        Self.ethernet(to: .broadcast, from: mac, type: 0x0806) + [0, 1, 8, 0, 6, 4, 0, 1] + mac.octets + sender + [0, 0, 0, 0, 0, 0] + target
    }

    private func enqueue(_ frames: [[UInt8]]) {
        guard !frames.isEmpty else { return }
        condition.lock()
        outbox += frames
        condition.signal()
        condition.unlock()
    }

    private func inject() {
        while true {
            condition.lock()
            while outbox.isEmpty && !outboxClosed { condition.wait() }
            if outboxClosed {
                condition.unlock()
                return
            }
            let frames = outbox
            outbox = []
            condition.unlock()
            guard let fabric else { continue }
            for frame in frames { fabric.send(frame, from: port) }
        }
    }

    private func read() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            // SAFETY: `buffer` holds buffer.count bytes; `address` is a local sockaddr_in of `length` bytes.
            let n = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, &buffer, buffer.count, 0, $0, &length) }
            }
            if n < 0 && errno == EINTR { continue }
            if stopping.load(ordering: .sequentiallyConsistent) || n < 0 { return }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count))
            let source = SocketEndpoint(host: String(cString: text), port: UInt16(bigEndian: address.sin_port))
            transmit(device.receive(datagram: Array(buffer[0..<n]), from: source))
        }
    }

    private func timers() {
        while !stopping.load(ordering: .sequentiallyConsistent) {
            usleep(100_000)
            transmit(device.tick())
            let now = UserNetwork.monotonicNanoseconds()
            var frames: [[UInt8]] = []
            state.withLock { state in
                for (target, var waiting) in state.pending where now - waiting.asked >= Self.arpRetryInterval {
                    if waiting.tries >= Self.arpTries {
                        state.counters.unresolved += waiting.packets.count
                        state.pending[target] = nil
                        continue
                    }
                    waiting.tries += 1
                    waiting.asked = now
                    state.pending[target] = waiting
                    if let sender = waiting.packets.first.flatMap({ WireGuardDevice.addresses(of: $0)?.source }) {
                        frames.append(arpRequest(for: target, from: sender))
                        state.counters.arpRequestsSent += 1
                    }
                }
            }
            enqueue(frames)
        }
    }
}
