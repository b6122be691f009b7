#if canImport(Glibc)
import Glibc
#endif
import Storage

/// A virtio 9P transport (device ID 9): QEMU's `virtio-9p-device` and `virtio-9p-pci`. Each
/// request on its one queue is one 9P message in the device-readable part and room for the
/// reply in the device-writable part; Storage's NinePServer answers it. The configuration space
/// holds the mount tag the guest mounts by (`mount -t 9p -o trans=virtio TAG /mnt`), as Linux's
/// include/uapi/linux/virtio_9p.h lays it out: le16 tag_len, then the tag's bytes, no NUL.
///
/// Requests are served one at a time, in ring order: on the notifying hart's thread (`--icount`,
/// and a domain's slots, as virtio-blk's synchronous path), or, as QEMU's 9P server runs its
/// file system calls on worker threads, on one host thread of its own, the way virtio-blk's
/// `aio=threads` runs disk requests: the hart only copies the message out and goes on, the
/// thread runs the server, and the board's next device poll copies the reply into guest memory
/// and completes the request (VirtioBlockDevice says why guest memory is written only there).
/// One thread, so the server, which is not thread-safe, only ever runs on it.
public final class VirtioNinePDevice: VirtioDevice {
    /// Feature bits (virtio_9p.h).
    public enum Feature {
        /// The configuration space holds a mount tag.
        public static let mountTag: UInt64 = 1 << 0
    }

    /// The longest mount tag accepted: a bound that keeps the configuration space small (the
    /// tag is only the name a guest mounts by).
    public static let maximumTagLength = 255

    /// Why a mount tag cannot be used.
    public enum TagError: Error, Equatable, CustomStringConvertible {
        case empty
        case tooLong(Int)
        case containsNUL
        public var description: String {
            switch self {
            case .empty: return "the mount tag is empty"
            case .tooLong(let n): return "the mount tag is \(n) bytes long (at most \(VirtioNinePDevice.maximumTagLength))"
            case .containsNUL: return "the mount tag contains a NUL byte"
            }
        }
    }

    public let server: NinePServer
    public let mountTag: String
    public var deviceType: VirtioDeviceType { .ninePTransport }
    public var deviceFeatures: UInt64 { Feature.mountTag }
    /// One request queue.
    public var queueCount: Int { 1 }
    /// What QueueNumMax reads, as on QEMU's virtio-mmio (VIRTQUEUE_MAX_SIZE for every device).
    public let maximumQueueSize: UInt16 = 1024

    /// Requests handed to the thread and not yet completed at most, so a guest cannot make the
    /// host hold more than this many messages (each at most NineP.maximumMessageSize) for it.
    static let requestsInFlightLimit = 64
    /// The server's thread (nil: requests run on the notifying hart's thread).
    private let io: BlockIOThreads<[UInt8]>?
    private let requestPoll: @Sendable () -> Void
    private weak var transport: (any VirtioHeldQueues)?
    private var inFlight: [UInt64: VirtioRequest] = [:]
    private var nextToken: UInt64 = 0

    /// - Parameters:
    ///   - serverThread: run the server on a host thread of its own, completing requests from
    ///     the board's device polls; otherwise on the notifying hart's thread.
    ///   - requestPoll: with a server thread, called (on any thread) when the device wants the
    ///     board to poll it soon.
    public init(server: NinePServer, mountTag: String, serverThread: Bool = false,
                requestPoll: @escaping @Sendable () -> Void = {}) throws(TagError) {
        try Self.check(tag: mountTag)
        self.server = server
        self.mountTag = mountTag
        self.requestPoll = requestPoll
        io = serverThread ? BlockIOThreads(threadCount: 1, onFinished: requestPoll) : nil
    }

    deinit { io?.shutdown() }

    /// Whether requests run on a server thread.
    public var hasServerThread: Bool { io != nil }

    /// Checks a mount tag as the device would take it.
    public static func check(tag: String) throws(TagError) {
        let bytes = Array(tag.utf8)
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maximumTagLength else { throw .tooLong(bytes.count) }
        guard !bytes.contains(0) else { throw .containsNUL }
    }

    /// struct virtio_9p_config: le16 tag_len, u8 tag[tag_len].
    public var configuration: [UInt8] {
        let tag = Array(mountTag.utf8)
        return [UInt8(tag.count & 0xFF), UInt8(tag.count >> 8)] + tag
    }

    /// The room an Rlerror takes: a request with less device-writable room cannot be answered.
    static let smallestReply = NineP.headerSize + 4

    public func handle(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> UInt32 {
        if let early = try Self.earlyReply(request, messageSize: Int(server.messageSize)) { return Self.deliver(early, into: request) }
        let message = request.read(count: request.readableLength) ?? []
        return Self.deliver(server.handle(message, replyLimit: request.writableLength), into: request)
    }

    /// What is answered without the server: nothing for a chain with no room for a reply (the
    /// driver broke the rules), an Rlerror for a message larger than msize.
    private static func earlyReply(_ request: VirtioRequest, messageSize: Int) throws(VirtioDeviceError) -> [UInt8]? {
        guard request.writableLength >= smallestReply else {
            throw .malformedRequest("virtio-9p request with \(request.writableLength) device-writable bytes, too few for any reply")
        }
        guard request.readableLength > messageSize else { return nil }
        // Answered by its tag without reading it all.
        let header = request.read(count: min(NineP.headerSize, request.readableLength)) ?? []
        let tag = header.count == NineP.headerSize ? UInt16(header[5]) | UInt16(header[6]) << 8 : NineP.noTag
        return NinePServer.error(tag: tag, EMSGSIZE)
    }

    /// Writes `reply` into the request's device-writable part and returns its length; a reply
    /// that does not fit (only a read's can be cut, and the server did) becomes an Rlerror.
    private static func deliver(_ reply: [UInt8], into request: VirtioRequest) -> UInt32 {
        var reply = reply
        if reply.count > request.writableLength {
            let tag = reply.count >= NineP.headerSize ? UInt16(reply[5]) | UInt16(reply[6]) << 8 : NineP.noTag
            reply = NinePServer.error(tag: tag, ENOBUFS)  // fits: earlyReply checked the room
        }
        request.write(reply)
        return UInt32(reply.count)
    }

    // MARK: The server thread

    public func defersNotification(queue: Int) -> Bool {
        guard io != nil else { return false }
        requestPoll()
        return true
    }

    public var acceptsRequests: Bool { inFlight.count < Self.requestsInFlightLimit }

    public func connect(_ queues: any VirtioHeldQueues) { transport = queues }

    public func begin(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> VirtioRequestProgress {
        guard let io else { return .completed(try handle(request, queue: queue)) }
        // msize itself belongs to the server's thread: the largest the server ever agrees to
        // bounds the copy here, and the server checks the agreed one.
        if let early = try Self.earlyReply(request, messageSize: Int(NineP.maximumMessageSize)) {
            return .completed(Self.deliver(early, into: request))
        }
        let message = request.read(count: request.readableLength) ?? []
        let limit = request.writableLength, server = server
        let token = nextToken
        nextToken &+= 1
        inFlight[token] = request
        // Every request "writes" the same range, so each waits for the one before: ring order.
        io.submit(token: token, access: .write(0 ..< 1)) { server.handle(message, replyLimit: limit) }
        return .started
    }

    /// Copies the replies the thread finished into guest memory and returns their requests.
    public func poll() {
        guard let io, let transport else { return }
        var finished: [(request: VirtioRequest, written: UInt32)] = []
        for (token, reply) in io.takeFinished() {
            guard let request = inFlight.removeValue(forKey: token) else { continue }
            finished.append((request, Self.deliver(reply, into: request)))
        }
        if !finished.isEmpty { transport.complete(queue: 0, finished) }
    }

    /// Device reset: requests not started are dropped, replies of those running never reach
    /// guest memory.
    public func reset() {
        io?.cancelAll()
        inFlight = [:]
    }

    /// Waits until the server thread has finished every request handed to it.
    public func drain() { io?.drain() }

    /// Requests handed to the server thread and not yet completed, for tests.
    public var requestsInFlight: Int { inFlight.count }
}
