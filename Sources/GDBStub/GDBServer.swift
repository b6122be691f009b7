#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Machine

/// Where the stub listens, from QEMU's `-gdb` device: `tcp::PORT` or `tcp:HOST:PORT` (`-s` is
/// `tcp::1234`). An empty host means the loopback address, 127.0.0.1: QEMU listens on every
/// interface there, but a gdb stub hands out the whole machine, so reaching it from elsewhere
/// takes an explicit `tcp:0.0.0.0:PORT`. Port 0 picks a free port (`GDBServer.port` says which).
public struct GDBEndpoint: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public static let defaultPort: UInt16 = 1234
    /// What an empty host means.
    public static let loopback = "127.0.0.1"

    public init(host: String = GDBEndpoint.loopback, port: UInt16 = GDBEndpoint.defaultPort) {
        self.host = host
        self.port = port
    }

    /// The endpoint of a `-gdb` argument; nil for `none` (no stub, as QEMU's `-gdb none`).
    public static func parse(_ spec: String) throws(GDBServerError) -> GDBEndpoint? {
        if spec == "none" { return nil }
        guard spec.hasPrefix("tcp:") else { throw .badEndpoint(spec, "only tcp:[HOST]:PORT (or none) is supported") }
        let rest = spec.dropFirst(4)
        guard let colon = rest.lastIndex(of: ":") else { throw .badEndpoint(spec, "the port is missing (tcp:[HOST]:PORT)") }
        var host = String(rest[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let portText = rest[rest.index(after: colon)...]
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber), let port = UInt16(portText) else {
            throw .badEndpoint(spec, "'\(portText)' is not a TCP port (0 to 65535)")
        }
        return GDBEndpoint(host: host.isEmpty ? loopback : host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why the stub could not start.
public enum GDBServerError: Error, CustomStringConvertible, Equatable {
    case badEndpoint(String, String)
    case cannotListen(String, String)

    public var description: String {
        switch self {
        case .badEndpoint(let spec, let why): return "-gdb \(spec): \(why)"
        case .cannotListen(let endpoint, let why): return "cannot listen for gdb on \(endpoint): \(why)"
        }
    }
}

/// The gdb stub's server: listens for one gdb at a time and runs the machine between its
/// commands, as QEMU's `-s`/`-S` do.
///
/// One thread (the caller of `serve`) owns the socket and the protocol and waits in poll(2);
/// the harts run on a run thread (Machine's `HaltableRun`) started for each resume and joined
/// when they stop, so nothing reads a hart while it runs. A Ctrl-C from gdb, a gdb connecting to a
/// running machine, or a gdb going away while it runs stops the harts with
/// `MachineControl.requestDebugHalt`.
///
/// When gdb goes away (or detaches with `D`), its breakpoints and watchpoints go with it and the
/// machine runs on, so the run ends when the guest does; another gdb may connect meanwhile.
/// (QEMU 7.2 differs when gdb disconnects without detaching: a machine that was stopped stays
/// stopped until another gdb connects and continues it.)
public final class GDBServer {
    public let endpoint: GDBEndpoint
    /// The port it listens on (the one the system picked when `endpoint.port` was 0).
    public let port: UInt16
    private let listener: Int32

    /// How the run ended.
    public enum Outcome: Equatable, Sendable {
        /// As the machine's own loop would have ended it.
        case run(MachineTarget.RunOutcome)
        /// gdb killed the machine (`k`, `vKill`).
        case killed
    }

    /// Opens the listening socket; nothing is accepted until `serve`.
    public init(endpoint: GDBEndpoint) throws(GDBServerError) {
        self.endpoint = endpoint
        (listener, port) = try Self.openListener(on: endpoint)
    }

    deinit { close(listener) }

    /// Runs `target` under the debugger until the machine stops for good or gdb kills it.
    /// With `startStopped` (`-S`) the harts wait for a gdb to connect and continue them.
    public func serve(_ target: MachineTarget, startStopped: Bool) -> Outcome {
        var session = Session(server: self, target: target)
        return session.serve(startStopped: startStopped)
    }

    // MARK: Sockets

    private static func openListener(on endpoint: GDBEndpoint) throws(GDBServerError) -> (Int32, UInt16) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        // SAFETY: getaddrinfo fills `list` with a chain it allocated, or leaves it nil on failure;
        // the chain is walked only through its own `ai_next` links and freed once, below.
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard status == 0, let first = list else {
            throw .cannotListen(endpoint.description, String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var reason = "no address"
        // SAFETY: each node comes from the chain getaddrinfo built and lives until freeaddrinfo.
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let info = node {
            // SAFETY: `info` is a live node of the chain (see above).
            let entry = info.pointee
            node = entry.ai_next
            let fd = socket(entry.ai_family, entry.ai_socktype, entry.ai_protocol)
            guard fd >= 0 else { reason = String(cString: strerror(errno)); continue }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            guard bind(fd, entry.ai_addr, entry.ai_addrlen) == 0, listen(fd, 1) == 0 else {
                reason = String(cString: strerror(errno))
                close(fd)
                continue
            }
            guard let port = boundPort(fd) else {
                reason = String(cString: strerror(errno))
                close(fd)
                continue
            }
            return (fd, port)
        }
        throw .cannotListen(endpoint.description, reason)
    }

    /// The local port of a bound socket.
    private static func boundPort(_ fd: Int32) -> UInt16? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        // SAFETY: `storage` is large enough for any socket address; getsockname writes at most
        // `length` bytes into it through the rebound pointer, which lives only for the call.
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard status == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            // SAFETY: the family says the storage holds a sockaddr_in, which fits in it.
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) } }
        case AF_INET6:
            // SAFETY: the family says the storage holds a sockaddr_in6, which fits in it.
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) } }
        default:
            return nil
        }
    }

    fileprivate func acceptClient() -> Int32? {
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { return nil }
        // Packets are small and each waits for its answer: send them at once.
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    fileprivate var listenerDescriptor: Int32 { listener }
}

/// Writes all of `bytes` to `fd`; false once the peer is gone.
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var sent = 0
    while sent < bytes.count {
        let n = bytes[sent...].withContiguousStorageIfAvailable { part in
            // SAFETY: `part` is the array's own storage for the slice, valid during this call;
            // send reads at most `part.count` bytes of it.
            send(fd, part.baseAddress, part.count, Int32(MSG_NOSIGNAL))
        } ?? -1
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return false }
        sent += n
    }
    return true
}

/// One `serve` call: the connected gdb (if any), the run in progress (if any), and what to do
/// when that run stops.
private struct Session {
    let server: GDBServer
    let target: MachineTarget
    var client: (fd: Int32, connection: RemoteConnection)?
    /// The harts' run between two debugger stops (Machine's HaltableRun); it writes a byte to
    /// the wake pipe when they stop.
    var run: HaltableRun<MachineTarget.RunOutcome>?
    /// What the stop of the current run is for.
    var afterStop = AfterStop.reply
    let wake: (read: Int32, write: Int32)

    enum AfterStop {
        /// gdb resumed the harts and waits for the stop reply.
        case reply
        /// A gdb connected to the running machine: attach to the stopped harts, reply nothing.
        case attach
        /// gdb went away while the harts ran: run on without it.
        case runDetached
    }

    init(server: GDBServer, target: MachineTarget) {
        self.server = server
        self.target = target
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 { fatalError("gdb stub: pipe: \(String(cString: strerror(errno)))") }
        wake = (fds[0], fds[1])
    }

    mutating func serve(startStopped: Bool) -> GDBServer.Outcome {
        defer {
            if let client { close(client.fd) }
            close(wake.read)
            close(wake.write)
        }
        if !startStopped { startRun(ResumeRequest(running: Array(0..<target.hartCount)), afterStop: .reply) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var fds: [pollfd] = []
            let listening = client == nil
            fds.append(pollfd(fd: listening ? server.listenerDescriptor : -1, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: client?.fd ?? -1, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: run == nil ? -1 : wake.read, events: Int16(POLLIN), revents: 0))
            // A timeout so a stop the console asks for is seen while nothing runs (-S, no gdb yet).
            let ready = poll(&fds, nfds_t(fds.count), 100)
            if ready < 0 && errno != EINTR { return .run(.error("gdb stub: poll: \(String(cString: strerror(errno)))")) }
            // The console's quit while the harts are stopped (no run to notice it).
            if run == nil, let request = target.control.stopRequest, request != .reset, let end = runStopped(.platform(request)) {
                return end
            }

            if fds[2].revents != 0, let finished = run {
                var byte: UInt8 = 0
                _ = read(wake.read, &byte, 1)
                let outcome = finished.join()
                run = nil
                target.control.clearDebugHalt()
                if let end = runStopped(outcome) { return end }
            }
            if fds[0].revents != 0, client == nil, let fd = server.acceptClient() {
                client = (fd, RemoteConnection(target: target))
                if run != nil {
                    // Nothing may read the harts until they stop: gdb's first packets wait.
                    client?.connection.connectedWhileRunning()
                    afterStop = .attach
                    target.control.requestDebugHalt()
                } else {
                    target.attach()
                }
            }
            if fds[1].revents != 0, let connected = client {
                let n = recv(connected.fd, &buffer, buffer.count, 0)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    disconnect()
                    continue
                }
                for action in connected.connection.receive(buffer[0 ..< n]) {
                    if let end = perform(action) { return end }
                }
            }
        }
    }

    /// What a stopped run means: a stop to report, or the end of the machine (nil: go on).
    private mutating func runStopped(_ outcome: MachineTarget.RunOutcome) -> GDBServer.Outcome? {
        guard case .stopped(let event) = outcome else {
            // The machine is gone: tell gdb how it exited, as a process's exit.
            if let client { _ = writeAll(client.fd, Packet.frame(RemoteProtocol.encodeStop(.exited(status: Self.exitStatus(outcome))))) }
            return .run(outcome)
        }
        switch afterStop {
        case .reply:
            if let client {
                for action in client.connection.stopped(event) {
                    if let end = perform(action) { return end }
                }
            }
        case .attach:
            target.attach()
            if let client {
                for action in client.connection.attached() {
                    if let end = perform(action) { return end }
                }
            }
        case .runDetached:
            target.detach()
            startRun(ResumeRequest(running: Array(0..<target.hartCount)), afterStop: .reply)
        }
        afterStop = .reply
        return nil
    }

    static func exitStatus(_ outcome: MachineTarget.RunOutcome) -> UInt8 {
        switch outcome {
        case .platform(let request): return UInt8(truncatingIfNeeded: MachineControl.exitStatus(for: request))
        case .instructionLimit: return 124
        case .noProgress: return 3
        case .error: return 1
        case .stopped: return 0
        }
    }

    private mutating func perform(_ action: RemoteConnection.Action) -> GDBServer.Outcome? {
        guard let connected = client else { return nil }
        switch action {
        case .send(let bytes):
            if !writeAll(connected.fd, bytes) { disconnect() }
        case .resume(let request):
            startRun(request, afterStop: .reply)
        case .interrupt:
            if run != nil { target.control.requestDebugHalt() }
        case .kill:
            close(connected.fd)
            client = nil
            if let running = run {
                _ = running.halt()
                run = nil
                target.control.clearDebugHalt()
            }
            return .killed
        case .detach:
            close(connected.fd)
            client = nil
            target.detach()
            if run == nil { startRun(ResumeRequest(running: Array(0..<target.hartCount)), afterStop: .reply) }
        }
        return nil
    }

    /// gdb went away without detaching: as a detach (see `GDBServer`).
    private mutating func disconnect() {
        guard let connected = client else { return }
        close(connected.fd)
        client = nil
        if run != nil {
            afterStop = .runDetached
            target.control.requestDebugHalt()
        } else {
            target.detach()
            startRun(ResumeRequest(running: Array(0..<target.hartCount)), afterStop: .reply)
        }
    }

    private mutating func startRun(_ request: ResumeRequest, afterStop: AfterStop) {
        self.afterStop = afterStop
        run = HaltableRun.start(control: target.control, wake: wake.write, cannotStart: .error("gdb stub: cannot start a thread to run the harts")) { [target] in
            target.run(request)
        }
    }
}
