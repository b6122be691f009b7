import CSlirp
import Foundation
import Synchronization

/// Why `-netdev user` could not be set up.
public struct UserNetworkError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// One `hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT` rule: a host socket whose
/// connections reach the guest.
public struct HostForward: Sendable, Equatable {
    public enum Transport: String, Sendable { case tcp, udp }
    public var transport: Transport
    /// The host address to bind; nil is any (QEMU's default).
    public var hostAddress: String?
    public var hostPort: UInt16
    /// The guest address; nil is the first DHCP address (QEMU's default, 10.0.2.15).
    public var guestAddress: String?
    public var guestPort: UInt16

    public init(transport: Transport, hostAddress: String?, hostPort: UInt16, guestAddress: String?, guestPort: UInt16) {
        self.transport = transport
        self.hostAddress = hostAddress
        self.hostPort = hostPort
        self.guestAddress = guestAddress
        self.guestPort = guestPort
    }
}

/// QEMU's `-netdev user`: user-mode networking through libslirp, the library QEMU uses. The guest
/// sees a NAT router on QEMU's default network: 10.0.2.0/24, the gateway (and the host, whose
/// loopback it reaches) at 10.0.2.2, DNS forwarded at 10.0.2.3, DHCP handing out 10.0.2.15 on.
/// IPv4 only: QEMU's IPv6 side (fec0::/64) is not enabled, so a guest's IPv6 frames are ignored.
///
/// Threads and locking. A Slirp instance is not thread-safe (QEMU calls it only under its big
/// lock), so here one thread owns it: the poll loop started by `start`, which alone calls into
/// libslirp once the instance and its hostfwd rules exist. Frames from the guest arrive on a
/// hart's thread through `receive`; they wait in `pending` (a Mutex) and a pipe wakes the
/// loop, which hands them to `slirp_input`. Frames libslirp sends to the guest (`send_packet`,
/// on the loop's thread) go straight into the link, whose receiver (the NIC's inbox) has its own
/// lock. So the loop never waits for a hart, and a hart never waits for libslirp.
public final class UserNetwork: NetworkPeer, @unchecked Sendable {
    // @unchecked: `slirp`, `timers` and `pollDescriptors` are used only by the poll loop's thread
    // once `start` has run (and by `init` before it); `pending` is behind its Mutex; the rest is
    // immutable.

    /// QEMU's defaults for `-netdev user` (net/slirp.c).
    public static let networkAddress = "10.0.2.0"
    public static let networkMask = "255.255.255.0"
    public static let hostAddress = "10.0.2.2"
    public static let dhcpStart = "10.0.2.15"
    public static let nameServer = "10.0.2.3"
    /// Frames from the guest waiting for the loop before the link has to hold the rest.
    static let pendingLimit = 256

    /// `restrict=on`: the guest reaches nothing outside (libslirp drops its connections); hostfwd
    /// rules still reach it.
    public let restricted: Bool
    public let hostForwards: [HostForward]
    private let link: NetworkLink
    private let errorLog: @Sendable (String) -> Void
    private let pending = Mutex<(frames: [EthernetFrame], refused: Bool)>(([], false))
    /// A pipe written to wake the loop (a frame to take, or libslirp's `notify`), and its read end,
    /// which the loop polls. Both non-blocking: a full pipe already means the loop will wake.
    private let wakeDescriptor: Int32
    private let wakeReadDescriptor: Int32
    private var slirp: OpaquePointer?
    private var timers: [UserNetworkTimer] = []
    private var pollDescriptors: [pollfd] = []
    /// The callback table libslirp keeps a pointer to for the life of the instance.
    // SAFETY: points at one SlirpCb allocated and initialized in init and never freed.
    private let callbacks: UnsafeMutablePointer<SlirpCb>

    /// Makes the Slirp instance and binds the hostfwd sockets (an error if one cannot be bound),
    /// and plugs it into `link` as its back-end. Nothing moves until `start`.
    public init(link: NetworkLink, restricted: Bool, hostForwards: [HostForward],
                errorLog: @escaping @Sendable (String) -> Void) throws(UserNetworkError) {
        self.link = link
        self.restricted = restricted
        self.hostForwards = hostForwards
        self.errorLog = errorLog
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw UserNetworkError("could not create a pipe: \(String(cString: strerror(errno)))") }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        wakeReadDescriptor = ends[0]
        wakeDescriptor = ends[1]
        // SAFETY: one SlirpCb, initialized at once and never freed: libslirp keeps this pointer
        // (slirp->cb) for as long as the instance lives, which is the life of the process.
        callbacks = UnsafeMutablePointer<SlirpCb>.allocate(capacity: 1)
        callbacks.initialize(to: Self.callbackTable)

        var config = SlirpConfig()
        config.version = 4
        config.restricted = restricted ? 1 : 0
        config.in_enabled = true
        config.vnetwork = Self.address(Self.networkAddress)
        config.vnetmask = Self.address(Self.networkMask)
        config.vhost = Self.address(Self.hostAddress)
        config.in6_enabled = false
        config.vdhcp_start = Self.address(Self.dhcpStart)
        config.vnameserver = Self.address(Self.nameServer)
        config.if_mtu = 0  // libslirp's defaults: 1500
        config.if_mru = 0
        config.disable_host_loopback = false
        config.enable_emu = false
        // SAFETY: `config` lives across the call (libslirp copies what it keeps); `callbacks` lives
        // for the process; the opaque pointer is `self`, retained once here and never released,
        // since the instance (and its callbacks' use of it) lives for the process.
        slirp = withUnsafePointer(to: &config) { slirp_new($0, callbacks, Unmanaged.passRetained(self).toOpaque()) }
        guard let slirp else { throw UserNetworkError("libslirp could not create the network") }
        for rule in hostForwards {
            let host = rule.hostAddress.map(Self.address) ?? in_addr(s_addr: INADDR_ANY)
            let guest = Self.address(rule.guestAddress ?? Self.dhcpStart)
            if rule.hostAddress.map({ inet_addr($0) == INADDR_NONE }) == true || rule.guestAddress.map({ inet_addr($0) == INADDR_NONE }) == true {
                throw UserNetworkError("invalid host forwarding rule: bad address")
            }
            guard slirp_add_hostfwd(slirp, rule.transport == .udp ? 1 : 0, host, Int32(rule.hostPort), guest, Int32(rule.guestPort)) == 0 else {
                throw UserNetworkError("could not set up host forwarding rule '\(rule.transport):\(rule.hostAddress ?? ""):\(rule.hostPort)-\(rule.guestAddress ?? ""):\(rule.guestPort)' (port \(rule.hostPort) in use?)")
            }
        }
        link.attach(self, as: .backEnd)
    }

    static func address(_ text: String) -> in_addr { in_addr(s_addr: inet_addr(text)) }

    /// Starts the poll loop on a thread of its own.
    public func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "netdev-user-\(link.name)"
        thread.start()
    }

    // MARK: From the guest (any thread)

    public func receive(_ frame: EthernetFrame) -> Bool {
        let taken = pending.withLock { (pending) -> Bool in
            guard pending.frames.count < Self.pendingLimit else {
                pending.refused = true
                return false
            }
            pending.frames.append(frame)
            return true
        }
        if taken { wake() }
        return taken
    }

    func wake() {
        var one: UInt8 = 1
        // SAFETY: writes the one byte of a local; a full (non-blocking) pipe only means the loop
        // has wake-ups waiting anyway.
        _ = write(wakeDescriptor, &one, 1)
    }

    // MARK: The poll loop (its own thread)

    private func run() {
        guard let slirp else { return }
        while true {
            let frames = pending.withLock { (pending) -> ([EthernetFrame], Bool) in
                defer { pending.frames = []; pending.refused = false }
                return (pending.frames, pending.refused)
            }
            for frame in frames.0 {
                // SAFETY: the frame's bytes live across the call; libslirp copies what it keeps.
                frame.bytes.withUnsafeBufferPointer { slirp_input(slirp, $0.baseAddress, Int32($0.count)) }
            }
            if frames.1 { link.resume(.backEnd) }
            fireTimers()

            var timeout: UInt32 = UInt32.max
            pollDescriptors = [pollfd(fd: wakeReadDescriptor, events: Int16(POLLIN), revents: 0)]
            // SAFETY: the opaque pointer is `self`, alive for the call (and the process); addPoll
            // only appends to `pollDescriptors`, on this thread.
            slirp_pollfds_fill(slirp, &timeout, Self.addPoll, Unmanaged.passUnretained(self).toOpaque())
            if let next = timers.compactMap(\.expiry).min() {
                let wait = max(0, next - Self.milliseconds())
                timeout = UInt32(min(Int64(timeout), wait))
            }
            let milliseconds = timeout == UInt32.max ? -1 : Int32(min(timeout, 1000))
            let ready = poll(&pollDescriptors, nfds_t(pollDescriptors.count), milliseconds)
            if ready > 0 && pollDescriptors[0].revents & Int16(POLLIN) != 0 {
                var drained = [UInt8](repeating: 0, count: 256)
                // SAFETY: reads at most `drained.count` bytes into `drained`'s own storage.
                while read(wakeReadDescriptor, &drained, drained.count) == drained.count {}
            }
            // SAFETY: as for slirp_pollfds_fill; getRevents reads `pollDescriptors` by the indexes
            // addPoll returned during this same round.
            slirp_pollfds_poll(slirp, ready < 0 ? 1 : 0, Self.getRevents, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    private func fireTimers() {
        let now = Self.milliseconds()
        for timer in timers {
            guard let expiry = timer.expiry, expiry <= now else { continue }
            timer.expiry = nil
            timer.callback(timer.callbackOpaque)
        }
    }

    static func milliseconds() -> Int64 { monotonicNanoseconds() / 1_000_000 }

    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    // MARK: libslirp's callbacks (all on the loop's thread, or in `init` before it starts)

    /// The UserNetwork an opaque pointer from libslirp stands for.
    private static func instance(_ opaque: UnsafeMutableRawPointer?) -> UserNetwork {
        // SAFETY: every opaque pointer libslirp hands back is the one given to slirp_new or the
        // poll calls: `self`, retained for the life of the process.
        Unmanaged<UserNetwork>.fromOpaque(opaque!).takeUnretainedValue()
    }

    private static let addPoll: SlirpAddPollCb = { descriptor, events, opaque in
        let network = instance(opaque)
        var wanted: Int16 = 0
        if events & Int32(SLIRP_POLL_IN) != 0 { wanted |= Int16(POLLIN) }
        if events & Int32(SLIRP_POLL_OUT) != 0 { wanted |= Int16(POLLOUT) }
        if events & Int32(SLIRP_POLL_PRI) != 0 { wanted |= Int16(POLLPRI) }
        network.pollDescriptors.append(pollfd(fd: descriptor, events: wanted, revents: 0))
        return Int32(network.pollDescriptors.count - 1)
    }

    private static let getRevents: SlirpGetREventsCb = { index, opaque in
        let network = instance(opaque)
        guard index >= 0, Int(index) < network.pollDescriptors.count else { return 0 }
        let got = network.pollDescriptors[Int(index)].revents
        var events: Int32 = 0
        if got & Int16(POLLIN) != 0 { events |= Int32(SLIRP_POLL_IN) }
        if got & Int16(POLLOUT) != 0 { events |= Int32(SLIRP_POLL_OUT) }
        if got & Int16(POLLPRI) != 0 { events |= Int32(SLIRP_POLL_PRI) }
        if got & Int16(POLLERR) != 0 { events |= Int32(SLIRP_POLL_ERR) }
        if got & Int16(POLLHUP) != 0 { events |= Int32(SLIRP_POLL_HUP) }
        return events
    }

    private static let callbackTable: SlirpCb = {
        var table = SlirpCb()
        table.send_packet = { buffer, length, opaque in
            guard let buffer, length > 0 else { return 0 }
            // SAFETY: libslirp passes a frame of `length` bytes at `buffer`, valid for this call;
            // it is copied into an array before the call returns.
            let bytes = [UInt8](UnsafeRawBufferPointer(start: buffer, count: length))
            instance(opaque).link.send(bytes, from: .backEnd)
            return length
        }
        table.guest_error = { message, opaque in
            guard let message else { return }
            instance(opaque).errorLog("netdev user: guest error: " + String(cString: message))
        }
        table.clock_get_ns = { _ in monotonicNanoseconds() }
        table.timer_new = { callback, callbackOpaque, opaque in
            let timer = UserNetworkTimer(callback: callback!, callbackOpaque: callbackOpaque)
            instance(opaque).timers.append(timer)
            // SAFETY: the timer is kept in `timers` until timer_free, which is the only place
            // the pointer is turned back into the object after it is dropped from the list.
            return Unmanaged.passUnretained(timer).toOpaque()
        }
        table.timer_free = { pointer, opaque in
            guard let pointer else { return }
            // SAFETY: only compares addresses: the timer is dropped from the list, nothing is dereferenced.
            instance(opaque).timers.removeAll { Unmanaged.passUnretained($0).toOpaque() == pointer }
        }
        table.timer_mod = { pointer, expiry, opaque in
            guard let pointer else { return }
            // SAFETY: libslirp passes back a pointer timer_new returned and timer_free has not
            // taken yet: the object is held by `timers`.
            Unmanaged<UserNetworkTimer>.fromOpaque(pointer).takeUnretainedValue().expiry = expiry
            _ = opaque
        }
        table.register_poll_fd = { _, _ in }
        table.unregister_poll_fd = { _, _ in }
        table.notify = { opaque in instance(opaque).wake() }
        return table
    }()
}

/// A libslirp timer: a callback to run once the loop's clock reaches `expiry` (milliseconds).
final class UserNetworkTimer {
    let callback: SlirpTimerCb
    // SAFETY: libslirp's own pointer for the callback, handed back to it as is, never dereferenced here.
    let callbackOpaque: UnsafeMutableRawPointer?
    var expiry: Int64?

    init(callback: @escaping SlirpTimerCb, callbackOpaque: UnsafeMutableRawPointer?) {
        self.callback = callback
        self.callbackOpaque = callbackOpaque
    }
}
