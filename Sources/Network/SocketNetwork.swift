import Foundation
import Synchronization

/// Why a socket back-end could not be set up.
public struct SocketNetworkError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// An IPv4 address and port, as `-netdev stream|dgram|socket` name them.
public struct SocketEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }

    var socketAddress: sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = port.bigEndian
        return address
    }
}

/// Where a stream back-end listens or connects: an IPv4 endpoint, or a Unix-domain socket path
/// (`-netdev stream,addr.type=unix,addr.path=PATH`).
public enum StreamAddress: Sendable, Equatable, CustomStringConvertible {
    case inet(SocketEndpoint)
    case unix(path: String)

    public var description: String {
        switch self {
        case .inet(let endpoint): return endpoint.description
        case .unix(let path): return "unix:\(path)"
        }
    }

    /// sun_path's size on Linux (sys/un.h): longer paths cannot be bound.
    static let unixPathLimit = 108
}

/// What a stream back-end did with its peers; frames are counted by the link.
public struct StreamCounters: Sendable, Equatable {
    /// Peers accepted (a server) or connected (a client).
    public var connections = 0
    /// Connections ended because the peer broke the framing (a length no frame can have).
    public var cutOff = 0

    public init() {}
}

/// QEMU's socket back-ends, with QEMU's wire formats, so that two VirtBench processes, or a
/// VirtBench and a QEMU, share one Ethernet:
/// - `stream` (`-netdev stream`, `-netdev socket,listen=|connect=`): one TCP connection; each
///   frame is a 4-byte big-endian length, then the frame. The server side takes one peer at a
///   time; frames sent while no peer is connected are dropped and counted, as on an unplugged wire.
/// - `datagram` (`-netdev dgram`, `-netdev socket,udp=,localaddr=`): one frame per UDP datagram,
///   sent to the remote address, received on the local one.
///
/// Threads: frames from the guest (`receive`, on a hart's thread) go into a bounded outbox that
/// a writer thread sends, so a slow peer never stalls a hart; a full outbox pushes back on the
/// link, which the writer resumes. A reader thread takes the peer's frames into the link. A peer
/// is untrusted: a stream length beyond `maximumStreamFrame` ends the connection (the framing
/// cannot be trusted after it; counted in `streamCounters`), frames too short or too long are
/// dropped and counted by the link, and so is a frame cut short by the peer closing.
///
/// `stop` ends both threads and closes the sockets (a switch process exits through it).
public final class SocketNetwork: NetworkPeer, @unchecked Sendable {
    // @unchecked: the mutable state is in `outbox` (behind its NSCondition), `connection` and
    // `counters` (Mutexes); the rest is set in init.

    public enum Mode: Sendable, Equatable {
        case streamServer(StreamAddress)
        case streamClient(StreamAddress)
        case datagram(local: SocketEndpoint, remote: SocketEndpoint)
    }

    /// Frames waiting for the writer before the link has to hold the rest.
    static let outboxLimit = 256
    /// The longest length a stream peer may announce (QEMU's NET_BUFSIZE is 4096 + 65536); longer
    /// ends the connection.
    public static let maximumStreamFrame = 69632

    public let mode: Mode
    private let link: NetworkLink
    private let errorLog: @Sendable (String) -> Void
    private let outbox = NSCondition()
    private var pending: [EthernetFrame] = []
    private var refused = false
    private var stopping = false
    /// The connected stream socket, or the datagram socket; -1 while a server waits for its peer.
    private let connection = Mutex<Int32>(-1)
    private let listener: Int32
    private let counters = Mutex(StreamCounters())
    /// Left by each of the two threads as it ends, for `stop`.
    private let finished = DispatchGroup()

    /// The peers this back-end had, and how many it cut off.
    public var streamCounters: StreamCounters { counters.withLock { $0 } }

    /// Binds, listens or connects now (an error if the address is taken or the peer refuses),
    /// and plugs the back-end into `link`. Nothing moves until `start`.
    public init(link: NetworkLink, mode: Mode, errorLog: @escaping @Sendable (String) -> Void) throws(SocketNetworkError) {
        self.link = link
        self.mode = mode
        self.errorLog = errorLog
        switch mode {
        case .streamServer(let address):
            let descriptor = try Self.makeSocket(SOCK_STREAM, address)
            var yes: Int32 = 1
            setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
            // QEMU removes a stale socket file before binding a Unix server, and so does this.
            if case .unix(let path) = address { unlink(path) }
            try Self.withSocketAddress(address) { (pointer, length) throws(SocketNetworkError) in
                guard Glibc.bind(descriptor, pointer, length) == 0 else {
                    close(descriptor)
                    throw SocketNetworkError("cannot bind \(address): \(Self.lastError)")
                }
            }
            guard listen(descriptor, 1) == 0 else { throw SocketNetworkError("cannot listen on \(address): \(Self.lastError)") }
            listener = descriptor
        case .streamClient(let address):
            let descriptor = try Self.makeSocket(SOCK_STREAM, address)
            try Self.withSocketAddress(address) { (pointer, length) throws(SocketNetworkError) in
                guard connect(descriptor, pointer, length) == 0 else {
                    close(descriptor)
                    throw SocketNetworkError("cannot connect to \(address): \(Self.lastError)")
                }
            }
            listener = -1
            connection.withLock { $0 = descriptor }
            counters.withLock { $0.connections += 1 }
        case .datagram(let local, _):
            let descriptor = try Self.makeSocket(SOCK_DGRAM)
            try Self.bind(descriptor, local)
            listener = -1
            connection.withLock { $0 = descriptor }
        }
        link.attach(self, as: .backEnd)
    }

    static var lastError: String { String(cString: strerror(errno)) }

    static func makeSocket(_ type: __socket_type, _ address: StreamAddress? = nil) throws(SocketNetworkError) -> Int32 {
        var family = AF_INET
        if case .unix = address { family = AF_UNIX }
        let descriptor = socket(family, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SocketNetworkError("cannot create a socket: \(lastError)") }
        return descriptor
    }

    /// Calls `body` with `address` as a sockaddr and its length.
    static func withSocketAddress(_ address: StreamAddress,
                                  _ body: (UnsafePointer<sockaddr>, socklen_t) throws(SocketNetworkError) -> Void) throws(SocketNetworkError) {
        switch address {
        case .inet(let endpoint):
            guard inet_addr(endpoint.host) != INADDR_NONE || endpoint.host == "255.255.255.255" else {
                throw SocketNetworkError("'\(endpoint.host)' is not an IPv4 address")
            }
            var inet = endpoint.socketAddress
            // SAFETY: `inet` is a sockaddr_in local to this call, passed with its own size.
            try withUnsafePointer(to: &inet) { (pointer) throws(SocketNetworkError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (rebound) throws(SocketNetworkError) in
                    try body(rebound, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .unix(let path):
            let bytes = Array(path.utf8)
            guard !bytes.isEmpty, bytes.count < StreamAddress.unixPathLimit else {
                throw SocketNetworkError("'\(path)' is not a usable Unix socket path (1 to \(StreamAddress.unixPathLimit - 1) bytes)")
            }
            var unix = sockaddr_un()
            unix.sun_family = sa_family_t(AF_UNIX)
            // SAFETY: sun_path holds `unixPathLimit` bytes; the path is shorter (checked above), and
            // the rest stays zero, so it is NUL-terminated.
            withUnsafeMutableBytes(of: &unix.sun_path) { $0.copyBytes(from: bytes) }
            // SAFETY: `unix` is a sockaddr_un local to this call, passed with its own size.
            try withUnsafePointer(to: &unix) { (pointer) throws(SocketNetworkError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (rebound) throws(SocketNetworkError) in
                    try body(rebound, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
    }

    static func bind(_ descriptor: Int32, _ endpoint: SocketEndpoint) throws(SocketNetworkError) {
        guard inet_addr(endpoint.host) != INADDR_NONE || endpoint.host == "255.255.255.255" else {
            throw SocketNetworkError("'\(endpoint.host)' is not an IPv4 address")
        }
        var address = endpoint.socketAddress
        // SAFETY: `address` is a sockaddr_in local to this call, passed with its own size.
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw SocketNetworkError("cannot bind \(endpoint): \(lastError)")
        }
    }

    /// Starts the reader and the writer threads.
    public func start() {
        finished.startThread(named: "netdev-\(link.name)-reader") { [self] in read() }
        finished.startThread(named: "netdev-\(link.name)-writer") { [self] in write() }
    }

    /// Ends the reader and the writer (frames still in the outbox are dropped and counted), closes
    /// the sockets, and removes a Unix server's socket file; returns once both threads have ended.
    /// Call it once, after `start`.
    public func stop() {
        outbox.lock()
        stopping = true
        let abandoned = pending
        pending = []
        outbox.signal()
        outbox.unlock()
        for frame in abandoned { link.countDroppedAfterTaking(frame, .noPeer, toward: .backEnd) }
        // shutdown wakes a thread blocked in accept or recv on the socket; close comes after both
        // threads are gone, so neither ever uses a descriptor number the process has reused.
        if listener >= 0 { shutdown(listener, Int32(SHUT_RDWR)) }
        connection.withLock { if $0 >= 0 { shutdown($0, Int32(SHUT_RDWR)) } }
        finished.wait()
        if listener >= 0 { close(listener) }
        connection.withLock {
            if $0 >= 0 { close($0) }
            $0 = -1
        }
        if case .streamServer(.unix(let path)) = mode { unlink(path) }
    }

    private var isStopping: Bool {
        outbox.lock()
        defer { outbox.unlock() }
        return stopping
    }

    // MARK: From the guest

    public func receive(_ frame: EthernetFrame) -> Bool {
        outbox.lock()
        defer { outbox.unlock() }
        // Stopped: the link keeps the frame, counted as queued.
        if stopping { return false }
        guard pending.count < Self.outboxLimit else {
            refused = true
            return false
        }
        pending.append(frame)
        outbox.signal()
        return true
    }

    private func write() {
        while true {
            outbox.lock()
            while pending.isEmpty && !stopping { outbox.wait() }
            if stopping {
                outbox.unlock()
                return
            }
            let frames = pending
            pending = []
            let resume = refused
            refused = false
            outbox.unlock()
            for frame in frames { send(frame) }
            if resume { link.resume(.backEnd) }
        }
    }

    private func send(_ frame: EthernetFrame) {
        let descriptor = connection.withLock { $0 }
        guard descriptor >= 0 else {
            link.countDroppedAfterTaking(frame, .noPeer, toward: .backEnd)
            return
        }
        switch mode {
        case .datagram(_, let remote):
            var address = remote.socketAddress
            // SAFETY: the frame's bytes and the local sockaddr_in live across the call.
            let sent = frame.bytes.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            if sent != frame.bytes.count { link.countDroppedAfterTaking(frame, .noPeer, toward: .backEnd) }
        case .streamServer, .streamClient:
            let length = UInt32(frame.bytes.count)
            var bytes = [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)] + frame.bytes
            while !bytes.isEmpty {
                let sent = Glibc.send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL))
                if sent < 0 && errno == EINTR { continue }
                guard sent > 0 else {
                    // The peer went away; the reader sees it too and closes the connection.
                    link.countDroppedAfterTaking(frame, .noPeer, toward: .backEnd)
                    return
                }
                bytes.removeFirst(sent)
            }
        }
    }

    // MARK: From the peer

    private func read() {
        switch mode {
        case .datagram:
            let descriptor = connection.withLock { $0 }
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = recv(descriptor, &buffer, buffer.count, 0)
                if n < 0 && errno == EINTR { continue }
                if isStopping { return }
                guard n >= 0 else { return errorLog("netdev \(link.name): receive failed: \(Self.lastError)") }
                link.send(Array(buffer[0..<n]), from: .backEnd)
            }
        case .streamClient:
            let descriptor = connection.withLock { $0 }
            readStream(descriptor)
            if isStopping { return }
            errorLog("netdev \(link.name): the peer closed the connection")
            connection.withLock { $0 = -1 }
            close(descriptor)
        case .streamServer:
            while true {
                let descriptor = accept(listener, nil, nil)
                if descriptor < 0 && errno == EINTR { continue }
                if isStopping {
                    if descriptor >= 0 { close(descriptor) }
                    return
                }
                guard descriptor >= 0 else { return errorLog("netdev \(link.name): accept failed: \(Self.lastError)") }
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
                connection.withLock { $0 = descriptor }
                counters.withLock { $0.connections += 1 }
                readStream(descriptor)
                // stop() closes the connection it finds; one that ended on its own is closed here.
                let closeHere = connection.withLock { (current) -> Bool in
                    guard !isStopping else { return false }
                    current = -1
                    return true
                }
                if closeHere { close(descriptor) } else { return }
            }
        }
    }

    /// Reads length-prefixed frames until the peer closes or breaks the framing.
    private func readStream(_ descriptor: Int32) {
        while true {
            guard let prefix = readExactly(descriptor, 4) else { return }
            guard prefix.count == 4 else {
                if !isStopping { link.count(.truncated, toward: .frontEnd) }
                return
            }
            let length = Int(prefix[0]) << 24 | Int(prefix[1]) << 16 | Int(prefix[2]) << 8 | Int(prefix[3])
            guard length <= Self.maximumStreamFrame else {
                errorLog("netdev \(link.name): the peer announced a frame of \(length) bytes; closing the connection")
                link.count(.oversize, toward: .frontEnd)
                counters.withLock { $0.cutOff += 1 }
                return
            }
            guard let frame = readExactly(descriptor, length), frame.count == length else {
                // The peer went away (or the back-end stopped) in the middle of a frame.
                if !isStopping { link.count(.truncated, toward: .frontEnd) }
                return
            }
            link.send(frame, from: .backEnd)
        }
    }

    /// `count` bytes; fewer when the connection ended part-way; nil when it ended before the first byte.
    private func readExactly(_ descriptor: Int32, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            // SAFETY: reads at most `count - done` bytes into `bytes` from offset `done`, inside its `count` bytes.
            let n = bytes.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress! + done, count - done, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return done == 0 ? nil : Array(bytes[0..<done]) }
            done += n
        }
        return bytes
    }
}
