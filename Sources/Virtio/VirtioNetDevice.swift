import Network
import Synchronization

/// Frames on their way to the guest: a back-end's thread puts them here through the link, and the
/// device moves them into the driver's receive buffers from the board's device poll, on a hart's
/// thread (as `BlockIOThreads` hands completions over). Bounded: when it is full the link is told
/// "no room" and keeps the frames itself (`NetworkLink.resume` takes them later).
final class VirtioNetInbox: NetworkPeer {
    /// Frames waiting for receive buffers before the link has to hold the rest.
    static let capacity = 64

    private struct State {
        var frames: [EthernetFrame] = []
        /// The inbox turned a frame away since the last time it asked the link for more.
        var refused = false
    }

    private let state = Mutex(State())
    /// Asks the board for a device poll soon (it wakes a hart sleeping in WFI).
    private let requestPoll: @Sendable () -> Void

    init(requestPoll: @escaping @Sendable () -> Void) { self.requestPoll = requestPoll }

    func receive(_ frame: EthernetFrame) -> Bool {
        let taken = state.withLock { (state) -> Bool in
            guard state.frames.count < Self.capacity else {
                state.refused = true
                return false
            }
            state.frames.append(frame)
            return true
        }
        if taken { requestPoll() }
        return taken
    }

    var first: EthernetFrame? { state.withLock { $0.frames.first } }

    func removeFirst() { state.withLock { _ = $0.frames.removeFirst() } }

    /// Whether the inbox turned frames away since the last call, and has room again now.
    func takeRoomAfterRefusal() -> Bool {
        state.withLock { state in
            guard state.refused, state.frames.count < Self.capacity else { return false }
            state.refused = false
            return true
        }
    }

    /// Empties the inbox; returns what it held.
    func removeAll() -> [EthernetFrame] {
        state.withLock { state in
            defer { state.frames = [] }
            return state.frames
        }
    }
}

/// A virtio network device (virtio 1.2, §5.1) with one receiveq and one transmitq: QEMU's
/// `virtio-net-device` / `virtio-net-pci`, on a `NetworkLink` whose back-end is `-netdev ...`.
///
/// Offered: VIRTIO_NET_F_MAC (the address from `mac=`) and VIRTIO_NET_F_STATUS (link up), and, from
/// the transport, VERSION_1, EVENT_IDX and INDIRECT_DESC.
///
/// Refused — not offered, so a driver never asks for them; throughput comparisons with QEMU must set
/// the same there (`csum=off,guest_csum=off,gso=off,guest_tso4=off,...,mrg_rxbuf=off`):
/// - CSUM and GUEST_CSUM: partial checksums would have to be completed here for back-ends that
///   need whole frames (slirp, a socket peer, a pcap file); the guest computes them instead.
/// - HOST_TSO4/6, HOST_UFO, GUEST_TSO4/6, GUEST_UFO, GUEST_ECN, HOST_ECN: segmentation needs
///   the checksums above and frames larger than a link carries (`EthernetFrame.maximumLength`).
/// - MRG_RXBUF: without large receive offloads no frame needs more than one buffer; Linux then
///   posts MTU-sized buffers of its own ("small buffers").
/// - CTRL_VQ (and with it RX filtering, VLAN filtering, announce), MQ, MTU: one queue pair, and the
///   driver's default MTU (1500).
///
/// Descriptor chains come from the guest and are untrusted: the transport checks every buffer
/// (Virtqueue); a transmit chain without a whole header is a device error (DEVICE_NEEDS_RESET, as
/// QEMU's "virtio-net header incorrect"); a frame too short or too long, or one asking for an
/// offload that was not negotiated, is dropped and counted on the link, never sent.
public final class VirtioNetDevice: VirtioDevice {
    /// Feature bits (§5.1.3).
    public enum Feature {
        public static let checksum: UInt64 = 1 << 0
        public static let guestChecksum: UInt64 = 1 << 1
        public static let mac: UInt64 = 1 << 5
        public static let mergeableReceiveBuffers: UInt64 = 1 << 15
        public static let status: UInt64 = 1 << 16
        public static let controlQueue: UInt64 = 1 << 17
    }

    /// Queue numbers (§5.1.2): receiveq1, transmitq1.
    public enum Queue {
        public static let receive = 0
        public static let transmit = 1
    }

    /// VIRTIO_NET_S_LINK_UP in the configuration's status (§5.1.4).
    static let linkUp: UInt16 = 1
    /// struct virtio_net_hdr (§5.1.6): flags, gso_type, le16 hdr_len, gso_size, csum_start,
    /// csum_offset; then le16 num_buffers with VERSION_1 or MRG_RXBUF (§5.1.6.1, legacy §5.1.6.1.1).
    static let legacyHeaderLength = 10
    static let headerLength = 12
    /// flags: VIRTIO_NET_HDR_F_NEEDS_CSUM; gso_type: VIRTIO_NET_HDR_GSO_NONE (§5.1.6).
    static let needsChecksumFlag: UInt8 = 1
    static let gsoNone: UInt8 = 0

    public var deviceType: VirtioDeviceType { .network }
    public var deviceFeatures: UInt64 { Feature.mac | Feature.status }
    public var queueCount: Int { 2 }
    /// What QueueNumMax reads, as QEMU's virtio-mmio gives for every queue (VIRTQUEUE_MAX_SIZE).
    public let maximumQueueSize: UInt16 = 1024
    /// mac[6], le16 status, le16 max_virtqueue_pairs (§5.1.4).
    public var configuration: [UInt8] {
        mac.octets + [UInt8(Self.linkUp & 0xff), UInt8(Self.linkUp >> 8), 1, 0]
    }

    public let mac: MACAddress
    /// Where the device's frames go and come from.
    public let link: NetworkLink
    private let inbox: VirtioNetInbox
    private weak var queues: (any VirtioHeldQueues)?
    /// The header the driver and device use: 12 bytes with VERSION_1, 10 on a legacy transport.
    private var headerLength = VirtioNetDevice.legacyHeaderLength

    /// Plugs the device into `link` as its front-end.
    /// - Parameter requestPoll: called (on a back-end's thread) when frames arrive for the guest,
    ///   so the board polls the device soon.
    public init(mac: MACAddress, link: NetworkLink, requestPoll: @escaping @Sendable () -> Void) {
        self.mac = mac
        self.link = link
        self.inbox = VirtioNetInbox(requestPoll: requestPoll)
        link.attach(inbox, as: .frontEnd)
    }

    public func connect(_ queues: any VirtioHeldQueues) { self.queues = queues }

    public func negotiated(_ features: UInt64) {
        let wide = features & (VirtioFeature.version1 | Feature.mergeableReceiveBuffers) != 0
        headerLength = wide ? Self.headerLength : Self.legacyHeaderLength
    }

    /// Frames that arrived before the reset are lost, as on a NIC being reset, and counted so.
    public func reset() {
        headerLength = Self.legacyHeaderLength
        for frame in inbox.removeAll() { link.countDroppedAfterTaking(frame, .deviceReset, toward: .frontEnd) }
        link.resume(.frontEnd)
    }

    public func holdsBuffers(queue: Int) -> Bool { queue == Queue.receive }

    public func buffersAvailable(queue: Int) { deliverReceived() }

    public func poll() { deliverReceived() }

    /// A transmit chain: the header, then the frame (§5.1.6.2). A driver may put both in one buffer
    /// or split them anyhow, so the readable part is read as one.
    public func handle(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> UInt32 {
        guard queue == Queue.transmit else { return 0 }
        let total = request.readableLength
        guard total >= headerLength else {
            throw .malformedRequest("virtio-net header incorrect: a transmit chain of \(total) bytes is shorter than the \(headerLength)-byte header")
        }
        // Read no more than a frame can be, whatever length the guest claims.
        guard total - headerLength <= EthernetFrame.maximumLength else {
            link.count(.oversize, toward: .backEnd)
            return 0
        }
        guard let bytes = request.read(count: total) else {
            throw .malformedRequest("virtio-net: a transmit chain could not be read")
        }
        // No checksum or segmentation offload was offered, so a header asking for one is the
        // guest's error: the frame would go out wrong.
        guard bytes[0] & Self.needsChecksumFlag == 0, bytes[1] == Self.gsoNone else {
            link.count(.unsupportedOffload, toward: .backEnd)
            return 0
        }
        link.send(Array(bytes[headerLength...]), from: .frontEnd)
        return 0
    }

    /// Moves frames from the inbox into receive buffers while there are both: a zeroed header
    /// (num_buffers 1 where it exists), then the frame (§5.1.6.3). A frame larger than the buffer
    /// is dropped and counted, and the buffer goes back with the header only (Linux counts that
    /// as a length error and reuses it).
    private func deliverReceived() {
        guard let queues else { return }
        while let frame = inbox.first {
            var tooSmall = false
            let headerLength = headerLength
            let supplied = queues.supply(queue: Queue.receive) { (request) throws(VirtioDeviceError) -> UInt32 in
                var header = [UInt8](repeating: 0, count: headerLength)
                if headerLength == Self.headerLength { header[10] = 1 }
                guard request.writableLength >= headerLength + frame.bytes.count else {
                    tooSmall = true
                    return request.write(header) ? UInt32(headerLength) : 0
                }
                request.write(header)
                request.write(frame.bytes, at: headerLength)
                return UInt32(headerLength + frame.bytes.count)
            }
            guard supplied else { break }
            inbox.removeFirst()
            if tooSmall { link.countDroppedAfterTaking(frame, .bufferTooSmall, toward: .frontEnd) }
        }
        if inbox.takeRoomAfterRefusal() { link.resume(.frontEnd) }
    }
}
