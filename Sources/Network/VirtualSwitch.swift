import Synchronization

/// How a switch port carries VLANs (IEEE 802.1Q).
public enum SwitchPortMode: Sendable, Equatable, CustomStringConvertible {
    /// An access port of one VLAN: untagged on the wire; a tagged frame arriving on it is dropped.
    case access(vlan: UInt16)
    /// A trunk: every frame tagged on the wire (TPID 0x8100) with one of `allowed`; an untagged
    /// frame, or one of a VLAN not allowed, is dropped.
    case trunk(allowed: Set<UInt16>)

    public var description: String {
        switch self {
        case .access(let vlan): return "access vlan \(vlan)"
        case .trunk(let allowed): return "trunk " + allowed.sorted().map(String.init).joined(separator: ":")
        }
    }

    func carries(_ vlan: UInt16) -> Bool {
        switch self {
        case .access(let own): return own == vlan
        case .trunk(let allowed): return allowed.contains(vlan)
        }
    }

    /// VLAN ids 1...4094: 0 means "priority tag only" and 4095 is reserved (802.1Q §9.6).
    public static let vlanIDs: ClosedRange<UInt16> = 1...4094
}

/// A port's limits on what it may send into the switch, per second; nil is unlimited.
public struct SwitchPortLimits: Sendable, Equatable {
    /// Frames per second the port may send (a token bucket holding one second's worth).
    public var framesPerSecond: Int?
    /// Bytes per second the port may send.
    public var bytesPerSecond: Int?
    /// Frames per second the port may have flooded (broadcast, multicast, unknown unicast).
    public var floodsPerSecond: Int?

    public init(framesPerSecond: Int? = nil, bytesPerSecond: Int? = nil, floodsPerSecond: Int? = nil) {
        self.framesPerSecond = framesPerSecond
        self.bytesPerSecond = bytesPerSecond
        self.floodsPerSecond = floodsPerSecond
    }
}

/// A port as the switch is told of it.
public struct SwitchPortConfiguration: Sendable, Equatable {
    public var name: String
    public var mode: SwitchPortMode
    public var limits: SwitchPortLimits
    /// An overlay port (a VXLAN tunnel to another switch): split horizon keeps the switch from
    /// flooding a frame that came from one overlay port out of another, so overlays joined in a
    /// loop cannot circulate a broadcast.
    public var isOverlay: Bool
    /// The longest frame the port may send on its wire; a longer copy is dropped and counted
    /// (`overPathMTU`), never fragmented. A VXLAN port sets it from its path MTU.
    public var maximumFrameLength: Int?

    public init(name: String, mode: SwitchPortMode, limits: SwitchPortLimits = SwitchPortLimits(), isOverlay: Bool = false,
                maximumFrameLength: Int? = nil) {
        self.name = name
        self.mode = mode
        self.limits = limits
        self.isOverlay = isOverlay
        self.maximumFrameLength = maximumFrameLength
    }
}

/// Why the switch dropped a frame (on ingress) or a copy of one (on egress).
public enum SwitchDrop: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Shorter than an Ethernet header (or a trunk frame too short for its tag).
    case undersize
    /// Longer than a frame may be (an untagged frame over 1514 bytes could not be tagged on a trunk).
    case oversize
    /// A tagged frame on an access port.
    case taggedOnAccessPort
    /// An untagged frame on a trunk.
    case untaggedOnTrunk
    /// A VLAN the trunk does not carry.
    case vlanNotAllowed
    /// A group (multicast) address as the source: no station has one.
    case multicastSource
    /// Over the port's frames/s or bytes/s.
    case rateLimited
    /// Over the port's flood limit.
    case floodLimited
    /// The destination was learned on the port the frame came in on: nothing to forward.
    case sameSegment
    /// No other port carries the frame's VLAN.
    case noDestination
    /// The egress port's peer had no room (the switch keeps no queue of its own).
    case egressRefused
    /// An overlay datagram with a malformed VXLAN header.
    case overlayHeader
    /// An overlay datagram for another VXLAN network (VNI).
    case wrongVNI
    /// The encapsulated frame would be larger than the overlay's path MTU (never fragmented).
    case overPathMTU

    public var description: String {
        switch self {
        case .undersize: return "undersize"
        case .oversize: return "oversize"
        case .taggedOnAccessPort: return "tagged on access port"
        case .untaggedOnTrunk: return "untagged on trunk"
        case .vlanNotAllowed: return "vlan not allowed"
        case .multicastSource: return "multicast source"
        case .rateLimited: return "rate limited"
        case .floodLimited: return "flood limited"
        case .sameSegment: return "same segment"
        case .noDestination: return "no destination"
        case .egressRefused: return "egress refused"
        case .overlayHeader: return "bad vxlan header"
        case .wrongVNI: return "wrong vni"
        case .overPathMTU: return "over path mtu"
        }
    }
}

/// What one port did. Every frame that arrives is forwarded (one copy or more) or dropped:
/// `rxFrames == forwarded + rxDropped.total`; every copy made for this port is sent or dropped.
public struct SwitchPortCounters: Sendable, Equatable {
    public var rxFrames = 0
    public var rxBytes = 0
    /// Arrived frames forwarded to at least one port.
    public var forwarded = 0
    /// Copies made of this port's frames for other ports (one per destination).
    public var copies = 0
    /// Arrived frames flooded (not sent to one learned port).
    public var flooded = 0
    public var rxDropped: [SwitchDrop: Int] = [:]
    /// Copies this port's peer took.
    public var txFrames = 0
    public var txBytes = 0
    /// Copies for this port that were dropped.
    public var txDropped: [SwitchDrop: Int] = [:]

    public init() {}

    public var totalRxDropped: Int { rxDropped.values.reduce(0, +) }
    public var totalTxDropped: Int { txDropped.values.reduce(0, +) }
}

/// A source of monotonic time in nanoseconds; tests pass one they move by hand.
public typealias SwitchClock = @Sendable () -> Int64

/// A learning L2 switch (IEEE 802.1D/802.1Q) in the shape of a Linux bridge or an Open vSwitch
/// bridge: ports are `NetworkPeer`s; frames come in through `send(_:from:)`.
///
/// - The MAC table maps (VLAN, address) to the port it was last seen on. It holds at most
///   `macTableCapacity` entries; an entry not refreshed for `macAge` nanoseconds is gone. A full
///   table learns nothing new (the frames are flooded instead), so a MAC flood cannot grow it.
/// - Unknown unicast, broadcast and multicast go to every other port of the same VLAN, never back
///   out of the port they came from, and (split horizon) never from one overlay port to another.
/// - Internally every frame belongs to a VLAN; access ports add and strip it, trunks carry the tag.
/// - Nothing queues in the switch: a peer that refuses a copy loses it, counted `egressRefused`.
///
/// Threads: `send` may come from any thread; the switch holds its lock while it hands copies to
/// peers, so frames keep their order, and a peer's `receive` must only take the frame in and must
/// never call back into the switch (the `NetworkPeer` contract).
public final class VirtualSwitch: Sendable {
    /// 802.1Q's tag protocol identifier.
    public static let tagProtocolID: UInt16 = 0x8100
    public static let defaultMACTableCapacity = 4096
    /// 300 s, the 802.1D default ageing time (and Linux's bridge's).
    public static let defaultMACAge: Int64 = 300_000_000_000

    struct TokenBucket {
        var rate: Int
        var tokens: Double
        var last: Int64

        init(rate: Int, now: Int64) {
            self.rate = rate
            tokens = Double(rate)
            last = now
        }

        /// Takes `cost` tokens if there are that many, after refilling at `rate` per second up
        /// to one second's worth.
        mutating func take(_ cost: Int, now: Int64) -> Bool {
            let elapsed = Double(max(0, now - last)) / 1e9
            last = now
            tokens = min(Double(rate), tokens + elapsed * Double(rate))
            guard tokens >= Double(cost) else { return false }
            tokens -= Double(cost)
            return true
        }
    }

    struct Port {
        var configuration: SwitchPortConfiguration
        var peer: any NetworkPeer
        var counters = SwitchPortCounters()
        var frames: TokenBucket?
        var bytes: TokenBucket?
        var floods: TokenBucket?
        var captures: [any FrameCapture] = []
    }

    struct TableKey: Hashable {
        var vlan: UInt16
        var address: MACAddress
    }

    struct TableEntry {
        var port: Int
        var lastSeen: Int64
    }

    struct State {
        var ports: [Port] = []
        var table: [TableKey: TableEntry] = [:]
        /// Addresses not learned because the table was full.
        var tableFull = 0
        /// When a full table last dropped its aged entries (sweeping is O(table), so at most once
        /// per `sweepInterval` while a MAC flood keeps it full).
        var lastSweep = Int64.min
    }

    static let sweepInterval: Int64 = 1_000_000_000

    public let macTableCapacity: Int
    public let macAge: Int64
    private let clock: SwitchClock
    private let state = Mutex(State())

    /// `macAge` is in nanoseconds of `clock`, which defaults to the host's monotonic clock.
    public init(macTableCapacity: Int = defaultMACTableCapacity, macAge: Int64 = defaultMACAge, clock: SwitchClock? = nil) {
        precondition(macTableCapacity > 0 && macAge > 0)
        self.macTableCapacity = macTableCapacity
        self.macAge = macAge
        self.clock = clock ?? { UserNetwork.monotonicNanoseconds() }
    }

    /// Adds a port; returns its number (ports are numbered from 0 in the order they are added).
    public func addPort(_ configuration: SwitchPortConfiguration, peer: any NetworkPeer) -> Int {
        let now = clock()
        return state.withLock { state in
            var port = Port(configuration: configuration, peer: peer)
            port.frames = configuration.limits.framesPerSecond.map { TokenBucket(rate: $0, now: now) }
            port.bytes = configuration.limits.bytesPerSecond.map { TokenBucket(rate: $0, now: now) }
            port.floods = configuration.limits.floodsPerSecond.map { TokenBucket(rate: $0, now: now) }
            state.ports.append(port)
            return state.ports.count - 1
        }
    }

    /// Records every frame on `port`'s wire, both ways, as the wire carries it (a trunk's with their
    /// tags): arriving frames as from the back-end side, leaving ones as from the front-end side.
    public func addCapture(_ capture: any FrameCapture, port: Int) {
        state.withLock { $0.ports[port].captures.append(capture) }
    }

    public var portCount: Int { state.withLock { $0.ports.count } }

    public func configuration(port: Int) -> SwitchPortConfiguration { state.withLock { $0.ports[port].configuration } }

    public func counters(port: Int) -> SwitchPortCounters { state.withLock { $0.ports[port].counters } }

    /// Live entries in the MAC table now.
    public var macTableCount: Int {
        let now = clock()
        return state.withLock { state in state.table.values.filter { now - $0.lastSeen < macAge }.count }
    }

    /// Addresses the switch did not learn because its table was full.
    public var addressesNotLearned: Int { state.withLock { $0.tableFull } }

    /// The port `address` was learned on in `vlan`, if the entry is live.
    public func learnedPort(of address: MACAddress, vlan: UInt16) -> Int? {
        let now = clock()
        return state.withLock { state in
            guard let entry = state.table[TableKey(vlan: vlan, address: address)], now - entry.lastSeen < macAge else { return nil }
            return entry.port
        }
    }

    /// Counts a frame that arrived on `port` but was dropped before it reached the switch proper
    /// (an overlay datagram with a bad header or another VNI), so the port's counters hold it too.
    public func countDropped(_ drop: SwitchDrop, bytes: Int, port: Int) {
        state.withLock { state in
            state.ports[port].counters.rxFrames += 1
            state.ports[port].counters.rxBytes += bytes
            state.ports[port].counters.rxDropped[drop, default: 0] += 1
        }
    }

    /// A frame arrives on `port` as its wire carries it; returns why it was dropped, if it was.
    @discardableResult
    public func send(_ bytes: [UInt8], from port: Int) -> SwitchDrop? {
        let now = clock()
        return state.withLock { state in Self.forward(bytes, from: port, now: now, state: &state, capacity: macTableCapacity, age: macAge) }
    }

    private static func forward(_ bytes: [UInt8], from index: Int, now: Int64, state: inout State, capacity: Int, age: Int64) -> SwitchDrop? {
        state.ports[index].counters.rxFrames += 1
        state.ports[index].counters.rxBytes += bytes.count
        func drop(_ reason: SwitchDrop) -> SwitchDrop {
            state.ports[index].counters.rxDropped[reason, default: 0] += 1
            return reason
        }
        if bytes.count >= EthernetFrame.minimumLength, bytes.count <= EthernetFrame.maximumLength, let frame = EthernetFrame(bytes) {
            for capture in state.ports[index].captures { capture.record(frame, from: .backEnd) }
        }
        // Ingress: the frame's VLAN and its untagged form.
        guard bytes.count >= EthernetFrame.minimumLength else { return drop(.undersize) }
        guard bytes.count <= EthernetFrame.maximumLength else { return drop(.oversize) }
        let tagged = UInt16(bytes[12]) << 8 | UInt16(bytes[13]) == tagProtocolID
        let vlan: UInt16
        let inner: [UInt8]
        switch state.ports[index].configuration.mode {
        case .access(let own):
            guard !tagged else { return drop(.taggedOnAccessPort) }
            guard bytes.count <= EthernetFrame.maximumLength - EthernetFrame.vlanTagLength else { return drop(.oversize) }
            vlan = own
            inner = bytes
        case .trunk(let allowed):
            guard tagged else { return drop(.untaggedOnTrunk) }
            guard bytes.count >= EthernetFrame.minimumLength + EthernetFrame.vlanTagLength else { return drop(.undersize) }
            vlan = (UInt16(bytes[14]) << 8 | UInt16(bytes[15])) & 0x0fff
            guard allowed.contains(vlan) else { return drop(.vlanNotAllowed) }
            inner = Array(bytes[0..<12]) + bytes[16...]
        }
        let destination = MACAddress(inner[0..<6]), source = MACAddress(inner[6..<12])
        guard !source.isMulticast else { return drop(.multicastSource) }
        if var bucket = state.ports[index].frames {
            defer { state.ports[index].frames = bucket }
            guard bucket.take(1, now: now) else { return drop(.rateLimited) }
        }
        if var bucket = state.ports[index].bytes {
            defer { state.ports[index].bytes = bucket }
            guard bucket.take(bytes.count, now: now) else { return drop(.rateLimited) }
        }

        learn(source, vlan: vlan, port: index, now: now, state: &state, capacity: capacity, age: age)

        // Where it goes: the learned port, or every other port of the VLAN.
        var destinations: [Int] = []
        if !destination.isMulticast, let entry = state.table[TableKey(vlan: vlan, address: destination)], now - entry.lastSeen < age,
           entry.port < state.ports.count, state.ports[entry.port].configuration.mode.carries(vlan) {
            guard entry.port != index else { return drop(.sameSegment) }
            destinations = [entry.port]
        } else {
            let fromOverlay = state.ports[index].configuration.isOverlay
            destinations = state.ports.indices.filter { other in
                other != index && state.ports[other].configuration.mode.carries(vlan)
                    && !(fromOverlay && state.ports[other].configuration.isOverlay)
            }
            guard !destinations.isEmpty else { return drop(.noDestination) }
            if var bucket = state.ports[index].floods {
                defer { state.ports[index].floods = bucket }
                guard bucket.take(1, now: now) else { return drop(.floodLimited) }
            }
            state.ports[index].counters.flooded += 1
        }
        state.ports[index].counters.forwarded += 1
        state.ports[index].counters.copies += destinations.count

        // Egress: tag for a trunk, as is for an access port.
        for other in destinations {
            var wire = inner
            if case .trunk = state.ports[other].configuration.mode {
                wire.insert(contentsOf: [UInt8(tagProtocolID >> 8), UInt8(tagProtocolID & 0xff), UInt8(vlan >> 8), UInt8(vlan & 0xff)], at: 12)
            }
            if let limit = state.ports[other].configuration.maximumFrameLength, wire.count > limit {
                state.ports[other].counters.txDropped[.overPathMTU, default: 0] += 1
                continue
            }
            // The ingress checks keep `wire` within EthernetFrame's bounds.
            let frame = EthernetFrame(wire)!
            for capture in state.ports[other].captures { capture.record(frame, from: .frontEnd) }
            if state.ports[other].peer.receive(frame) {
                state.ports[other].counters.txFrames += 1
                state.ports[other].counters.txBytes += wire.count
            } else {
                state.ports[other].counters.txDropped[.egressRefused, default: 0] += 1
            }
        }
        return nil
    }

    /// Learns (or refreshes) where `address` is. A full table first forgets what has aged out;
    /// if it is still full, the address is not learned and its frames are flooded.
    private static func learn(_ address: MACAddress, vlan: UInt16, port: Int, now: Int64, state: inout State, capacity: Int, age: Int64) {
        let key = TableKey(vlan: vlan, address: address)
        if state.table[key] != nil || state.table.count < capacity {
            state.table[key] = TableEntry(port: port, lastSeen: now)
            return
        }
        if state.lastSweep == .min || now - state.lastSweep >= sweepInterval {
            state.lastSweep = now
            state.table = state.table.filter { now - $0.value.lastSeen < age }
        }
        if state.table.count < capacity {
            state.table[key] = TableEntry(port: port, lastSeen: now)
        } else {
            state.tableFull += 1
        }
    }
}
