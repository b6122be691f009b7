import Synchronization

/// One end of a `NetworkLink`: a front-end (a guest's NIC: virtio-net; later a netfront or a
/// switch port) or a back-end (user networking, a socket; later a switch port, VXLAN, WireGuard).
///
/// `receive` is called with the link locked, from whatever thread the sender runs on (a hart's,
/// a back-end's poll loop): it must only take the frame in (under a lock of its own) and must not
/// call back into the link.
public protocol NetworkPeer: AnyObject, Sendable {
    /// Takes one frame from the other side; false when there is no room for it now (a NIC with no
    /// receive buffers). The link then keeps the frame, and every later one for this peer, in
    /// order, until the peer calls `NetworkLink.resume` — QEMU's `can_receive` and its net queue.
    func receive(_ frame: EthernetFrame) -> Bool
}

/// Which end of a link.
public enum NetworkSide: Int, Sendable, CaseIterable {
    case frontEnd = 0
    case backEnd = 1

    public var other: NetworkSide { self == .frontEnd ? .backEnd : .frontEnd }
}

/// What a link did with the frames sent toward one side.
public struct NetworkCounters: Sendable, Equatable {
    /// Frames and bytes the receiver took.
    public var frames = 0
    public var bytes = 0
    /// Frames that had to wait in the link's queue because the receiver pushed back.
    public var pushedBack = 0
    /// Frames dropped, by reason.
    public var dropped: [FrameDrop: Int] = [:]
    /// Frames waiting in the link's queue now.
    public var queued = 0

    public init() {}

    public var totalDropped: Int { dropped.values.reduce(0, +) }
    /// Every frame sent toward this side is delivered, dropped or still queued.
    public var sent: Int { frames + totalDropped + queued }
}

/// Where a front-end and a back-end meet, as two QEMU NetClientStates that are each other's peer:
/// each side sends frames to the other; a receiver that has no room pushes back instead of losing
/// the frame silently; every frame is counted, delivered or dropped.
///
/// Frames from a sender are checked here once (`EthernetFrame.validated`): an undersize or oversize
/// one from a guest is dropped and counted, never handed on. Frames toward one side keep their order:
/// once one waits in the queue, later ones queue behind it. The queue is bounded (`queueLimit`,
/// as QEMU's net queue is); past it frames are dropped and counted as `queueFull`.
public final class NetworkLink: Sendable {
    /// Frames the link holds for a receiver that pushed back, per direction.
    public static let queueLimit = 256

    private struct State {
        var peers: [(any NetworkPeer)?] = [nil, nil]
        var queues: [[EthernetFrame]] = [[], []]
        var counters: [NetworkCounters] = [NetworkCounters(), NetworkCounters()]
        var captures: [any FrameCapture] = []
    }

    /// The id the command line gave it (`-netdev ...,id=`).
    public let name: String
    private let state = Mutex(State())

    public init(name: String) { self.name = name }

    /// Plugs `peer` into `side`, replacing what was there.
    public func attach(_ peer: any NetworkPeer, as side: NetworkSide) {
        state.withLock { $0.peers[side.rawValue] = peer }
    }

    /// Adds a capture that sees every checked frame sent over the link, in both directions, in
    /// order (QEMU's `filter-dump`, queue=all).
    public func addCapture(_ capture: any FrameCapture) {
        state.withLock { $0.captures.append(capture) }
    }

    /// Sends `bytes` from `side` to the peer on the other side; returns why it was dropped, if it was.
    @discardableResult
    public func send(_ bytes: [UInt8], from side: NetworkSide) -> FrameDrop? {
        let frame: EthernetFrame
        do { frame = try EthernetFrame.validated(bytes) } catch {
            count(error, toward: side.other)
            return error
        }
        return send(frame, from: side)
    }

    /// Sends a checked frame from `side` to the peer on the other side.
    @discardableResult
    public func send(_ frame: EthernetFrame, from side: NetworkSide) -> FrameDrop? {
        let to = side.other.rawValue
        return state.withLock { (state) -> FrameDrop? in
            for capture in state.captures { capture.record(frame, from: side) }
            guard let peer = state.peers[to] else {
                state.counters[to].dropped[.noPeer, default: 0] += 1
                return .noPeer
            }
            if state.queues[to].isEmpty && peer.receive(frame) {
                state.counters[to].frames += 1
                state.counters[to].bytes += frame.bytes.count
                return nil
            }
            guard state.queues[to].count < Self.queueLimit else {
                state.counters[to].dropped[.queueFull, default: 0] += 1
                return .queueFull
            }
            state.queues[to].append(frame)
            state.counters[to].pushedBack += 1
            state.counters[to].queued = state.queues[to].count
            return nil
        }
    }

    /// A sender dropped a frame itself before it reached the link (an offload it cannot carry out):
    /// counted with the frames toward the other side, so the counters account for every one.
    public func count(_ drop: FrameDrop, toward side: NetworkSide) {
        state.withLock { $0.counters[side.rawValue].dropped[drop, default: 0] += 1 }
    }

    /// The receiver on `side` took a frame (counted as delivered then) but could not deliver it
    /// after all: a NIC whose next receive buffer was too small, a socket back-end whose peer was
    /// gone. The frame moves from the delivered count to the drops, so it is counted once.
    public func countDroppedAfterTaking(_ frame: EthernetFrame, _ drop: FrameDrop, toward side: NetworkSide) {
        state.withLock {
            $0.counters[side.rawValue].frames -= 1
            $0.counters[side.rawValue].bytes -= frame.bytes.count
            $0.counters[side.rawValue].dropped[drop, default: 0] += 1
        }
    }

    /// The peer on `side` has room again: hands it the frames waiting for it, in order, until it
    /// pushes back again.
    public func resume(_ side: NetworkSide) {
        let to = side.rawValue
        state.withLock { state in
            guard let peer = state.peers[to] else { return }
            while let frame = state.queues[to].first, peer.receive(frame) {
                state.queues[to].removeFirst()
                state.counters[to].frames += 1
                state.counters[to].bytes += frame.bytes.count
            }
            state.counters[to].queued = state.queues[to].count
        }
    }

    /// What the link did with the frames sent toward `side`.
    public func counters(toward side: NetworkSide) -> NetworkCounters {
        state.withLock { $0.counters[side.rawValue] }
    }
}
