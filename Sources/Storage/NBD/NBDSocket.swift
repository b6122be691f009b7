#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One connected stream socket (TCP or Unix) carrying NBD: whole-message sends and exact-length
/// receives that retry short transfers and EINTR. Another thread may `shutdown` it to wake a
/// blocked receive (that is how a server stops its connections); the descriptor closes with the
/// object. Sends never raise SIGPIPE: a peer gone is an error like any other.
final class NBDSocket: @unchecked Sendable {
    // @unchecked: `descriptor` never changes; the kernel serializes calls on it, and each side
    // of the protocol sends and receives from one thread at a time.
    let descriptor: Int32
    /// Who is at the other end, for messages: "127.0.0.1:40312", "unix socket /tmp/s".
    let peer: String

    init(descriptor: Int32, peer: String) {
        self.descriptor = descriptor
        self.peer = peer
    }

    deinit { close(descriptor) }

    /// Exactly `count` bytes; throws when the peer closes or the connection fails first.
    func receive(_ count: Int) throws(StorageError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            // SAFETY: `buffer` is the array's own storage of `count` bytes, valid inside the
            // closure; done < count, so the range [done, count) lies inside it.
            let n = bytes.withUnsafeMutableBytes { buffer in
                recv(descriptor, buffer.baseAddress! + done, count - done, 0)
            }
            if n > 0 {
                done += n
            } else if n == 0 {
                throw StorageError(.host, "\(peer) closed the connection", code: 5 /* EIO */)
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                throw StorageError(.host, "\(peer) did not answer in time", code: 110 /* ETIMEDOUT */)
            } else if errno != EINTR {
                throw Self.error("receive from", peer)
            }
        }
        return bytes
    }

    /// Sends all of `bytes`.
    func send(_ bytes: [UInt8]) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            // SAFETY: `buffer` is the array's own storage, valid inside the closure, and
            // done < its count, so [done, count) lies inside it.
            let n = bytes.withUnsafeBytes { buffer in
                Glibc.send(descriptor, buffer.baseAddress! + done, buffer.count - done, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                done += n
            } else if n < 0 && errno != EINTR {
                throw Self.error("send to", peer)
            }
        }
    }

    /// Makes a receive or send that waits longer than `seconds` fail (0: wait for ever).
    func setTimeout(seconds: Int) {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Ends both directions; a receive blocked in another thread returns.
    func shutdown() { _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }

    static func error(_ what: String, _ peer: String) -> StorageError {
        let code = errno
        return StorageError(.host, "could not \(what) \(peer): \(String(cString: strerror(code)))", code: code)
    }

    /// Connects to `host` (a name, an IPv4 or an IPv6 address) at `port`, trying each address
    /// the resolver gives.
    static func connect(host: String, port: UInt16) throws(StorageError) -> NBDSocket {
        let peer = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?  // SAFETY: filled by getaddrinfo, freed by freeaddrinfo below, read only before that.
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            throw StorageError(.host, "could not resolve '\(host)': \(String(cString: gai_strerror(status)))", code: 5 /* EIO */)
        }
        defer { freeaddrinfo(list) }
        var lastError = StorageError(.host, "no address for '\(host)'", code: 5 /* EIO */)
        var entry = list
        while let current = entry {
            // SAFETY: `current` is a node of the list getaddrinfo returned, alive until the
            // deferred freeaddrinfo; its ai_addr points to ai_addrlen bytes of address.
            let info = current.pointee
            entry = info.ai_next
            let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.ai_protocol)
            guard fd >= 0 else { lastError = error("open a socket to", peer); continue }
            if Glibc.connect(fd, info.ai_addr, info.ai_addrlen) == 0 {
                var on: Int32 = 1
                // Requests are small and answered one at a time: do not let Nagle hold them back.
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                return NBDSocket(descriptor: fd, peer: peer)
            }
            lastError = error("connect to", peer)
            close(fd)
        }
        throw lastError
    }

    /// Connects to the Unix socket at `path`.
    static func connect(unixPath path: String) throws(StorageError) -> NBDSocket {
        let peer = "unix socket \(path)"
        var address = try unixAddress(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw error("open a socket to", peer) }
        // SAFETY: `pointer` is `address`, a whole sockaddr_un alive for the closure; connect
        // reads the size given and no more.
        let status = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard status == 0 else {
            let failure = error("connect to", peer)
            close(fd)
            throw failure
        }
        return NBDSocket(descriptor: fd, peer: peer)
    }

    /// A sockaddr_un for `path`; refused when the path does not fit (108 bytes with its NUL).
    static func unixAddress(_ path: String) throws(StorageError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw StorageError(.invalid, "Unix socket path '\(path)' is empty or longer than \(capacity - 1) bytes")
        }
        // SAFETY: `buffer` covers sun_path exactly and bytes.count < its size, so the copy
        // and the NUL after it stay inside.
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
            buffer[bytes.count] = 0
        }
        return address
    }
}

/// A listening socket that hands out connected NBDSockets.
public final class NBDListener: @unchecked Sendable {
    // @unchecked: `descriptor` never changes; `accept` runs on one thread and `shutdown` may
    // come from another, which the kernel allows.
    let descriptor: Int32
    /// Where it listens, as a client would name it: "127.0.0.1:10809", "unix socket /tmp/s".
    public let address: String
    /// The TCP port (the one the kernel chose when 0 was asked for); nil for a Unix socket.
    public let port: UInt16?
    /// The socket file to remove when done.
    private let unixPath: String?

    private init(descriptor: Int32, address: String, port: UInt16?, unixPath: String?) {
        self.descriptor = descriptor
        self.address = address
        self.port = port
        self.unixPath = unixPath
    }

    deinit {
        close(descriptor)
        if let unixPath { unlink(unixPath) }
    }

    /// Listens on `host` (an address or a name; the first address it resolves to) at `port`
    /// (0: any free port).
    public static func tcp(host: String, port: UInt16) throws(StorageError) -> NBDListener {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?  // SAFETY: filled by getaddrinfo, freed by freeaddrinfo below, read only before that.
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw StorageError(.host, "could not resolve '\(host)': \(String(cString: gai_strerror(status)))", code: 5 /* EIO */)
        }
        defer { freeaddrinfo(list) }
        // SAFETY: `first` is the first node getaddrinfo returned, alive until the deferred
        // freeaddrinfo; its ai_addr points to ai_addrlen bytes of address.
        let info = first.pointee
        let shown = host.contains(":") ? "[\(host)]" : host
        let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.ai_protocol)
        guard fd >= 0 else { throw NBDSocket.error("open a socket on", shown) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.ai_addr, info.ai_addrlen) == 0, listen(fd, 16) == 0 else {
            let failure = NBDSocket.error("listen on", "\(shown):\(port)")
            close(fd)
            throw failure
        }
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // SAFETY: `pointer` is `bound`, a whole sockaddr_storage alive for the closure, and
        // `length` says its size, so getsockname writes inside it.
        let named = withUnsafeMutablePointer(to: &bound) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        var chosen = port
        if named == 0 {
            // sin_port and sin6_port sit at the same offset, in network order.
            // SAFETY: `buffer` covers the whole sockaddr_storage (128 bytes); bytes 2 and 3 are inside.
            chosen = withUnsafeBytes(of: &bound) { buffer in
                UInt16(buffer[2]) << 8 | UInt16(buffer[3])
            }
        }
        return NBDListener(descriptor: fd, address: "\(shown):\(chosen)", port: chosen, unixPath: nil)
    }

    /// Listens on a new Unix socket at `path` (an existing file there is an error, as for qemu-nbd).
    public static func unix(path: String) throws(StorageError) -> NBDListener {
        var address = try NBDSocket.unixAddress(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw NBDSocket.error("open a socket at", path) }
        // SAFETY: `pointer` is `address`, a whole sockaddr_un alive for the closure; bind
        // reads the size given and no more.
        let status = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard status == 0, listen(fd, 16) == 0 else {
            let failure = NBDSocket.error("listen on", "unix socket \(path)")
            close(fd)
            throw failure
        }
        return NBDListener(descriptor: fd, address: "unix socket \(path)", port: nil, unixPath: path)
    }

    /// The next connection; nil once `shutdown` was called (or accepting fails for good).
    func accept() -> NBDSocket? {
        while true {
            var peer = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            // SAFETY: `pointer` is `peer`, a whole sockaddr_storage alive for the closure, and
            // `length` says its size, so accept writes inside it.
            let fd = withUnsafeMutablePointer(to: &peer) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(descriptor, $0, &length) }
            }
            if fd >= 0 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                var on: Int32 = 1
                if port != nil { setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size)) }
                return NBDSocket(descriptor: fd, peer: port == nil ? "a client of \(address)" : Self.describe(peer))
            }
            // A client that gave up before we took it, or a signal: keep listening.
            if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE {
                if errno == EMFILE || errno == ENFILE { usleep(10_000) }
                continue
            }
            return nil
        }
    }

    /// Makes a blocked `accept` return nil.
    func shutdown() { _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }

    /// "ADDRESS:PORT" of a TCP peer.
    private static func describe(_ storage: sockaddr_storage) -> String {
        var storage = storage
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST)), service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        // SAFETY: `pointer` is `storage`, a whole sockaddr_storage alive for the closure;
        // getnameinfo writes at most the given sizes into the two arrays.
        let status = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, socklen_t(MemoryLayout<sockaddr_storage>.size), &host, socklen_t(host.count), &service, socklen_t(service.count),
                            NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard status == 0 else { return "a client" }
        let hostText = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let serviceText = String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return hostText.contains(":") ? "[\(hostText)]:\(serviceText)" : "\(hostText):\(serviceText)"
    }
}
