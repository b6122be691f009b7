import Crypto
import Foundation

/// Why a datagram or a packet was dropped; every one is counted.
public enum WireGuardDrop: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Shorter than its message type needs, or of the wrong length.
    case malformed
    /// A message type other than 1–4 (or non-zero reserved bytes).
    case unknownType
    /// mac1 does not match our public key: not meant for us, or forged.
    case badMAC1
    /// Under load without a valid mac2: answered with a cookie reply instead.
    case cookieRequired
    /// An initiation that names no peer we know, or fails to authenticate.
    case handshakeFailed
    /// An initiation whose timestamp is not newer than the last one from that peer (a replay).
    case replayedInitiation
    /// More than one initiation from a peer within 1/50 s.
    case initiationFlood
    /// A response, cookie reply or transport message for an index we did not hand out (or no longer have).
    case unknownIndex
    /// A transport message that does not authenticate under its session's key.
    case authenticationFailed
    /// A transport counter seen already or older than the replay window.
    case replayedCounter
    /// A transport message for a session past REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES.
    case expiredSession
    /// A decrypted packet that is not an IPv4 or IPv6 packet of a consistent length.
    case malformedPacket
    /// A decrypted packet whose source is not in the sending peer's AllowedIPs (cryptokey routing).
    case sourceNotAllowed
    /// An outgoing packet whose destination is in no peer's AllowedIPs.
    case noRoute
    /// An outgoing packet for a peer with no endpoint yet.
    case noEndpoint
    /// Queued for a handshake that never completed (REKEY_ATTEMPT_TIME), or the queue was full.
    case handshakeTimedOut

    public var description: String {
        switch self {
        case .malformed: return "malformed"
        case .unknownType: return "unknown type"
        case .badMAC1: return "bad mac1"
        case .cookieRequired: return "cookie required"
        case .handshakeFailed: return "handshake failed"
        case .replayedInitiation: return "replayed initiation"
        case .initiationFlood: return "initiation flood"
        case .unknownIndex: return "unknown index"
        case .authenticationFailed: return "authentication failed"
        case .replayedCounter: return "replayed counter"
        case .expiredSession: return "expired session"
        case .malformedPacket: return "malformed packet"
        case .sourceNotAllowed: return "source not allowed"
        case .noRoute: return "no route"
        case .noEndpoint: return "no endpoint"
        case .handshakeTimedOut: return "handshake timed out"
        }
    }
}

/// What one peer did, for `virtbench switch`'s report and the tests.
public struct WireGuardPeerCounters: Sendable, Equatable {
    /// Sessions established (as initiator or responder).
    public var handshakes = 0
    public var initiationsSent = 0
    public var responsesSent = 0
    public var cookieRepliesReceived = 0
    /// Data packets (not keepalives) received and sent, and their IP bytes.
    public var rxPackets = 0
    public var rxBytes = 0
    public var txPackets = 0
    public var txBytes = 0
    public var keepalivesSent = 0
    public var keepalivesReceived = 0
    /// UDP payload bytes of every authenticated message from and to the peer (handshakes, cookie
    /// replies, transport), as `wg show`'s transfer counts them.
    public var rxWireBytes = 0
    public var txWireBytes = 0
    public var dropped: [WireGuardDrop: Int] = [:]
    public init() {}
    public var totalDropped: Int { dropped.values.reduce(0, +) }
}

/// The time a WireGuard device runs on: monotonic nanoseconds for its timers, and the wall clock
/// for the TAI64N timestamps of initiations. Tests pass one they move by hand, so timer tests
/// take no time.
public struct WireGuardClock: Sendable {
    public var monotonic: @Sendable () -> Int64
    /// Unix seconds and nanoseconds.
    public var wall: @Sendable () -> (Int64, Int32)

    public init(monotonic: @escaping @Sendable () -> Int64, wall: @escaping @Sendable () -> (Int64, Int32)) {
        self.monotonic = monotonic
        self.wall = wall
    }

    public static let system = WireGuardClock(monotonic: { UserNetwork.monotonicNanoseconds() }, wall: {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return (Int64(now.tv_sec), Int32(now.tv_nsec))
    })
}

/// The WireGuard protocol for one interface (one private key, its peers): the Noise IKpsk2
/// handshake, cookies under load, transport data with replay protection, cryptokey routing and
/// the timers. It does no I/O: each call returns what to send (`Output`), so the same engine runs
/// over a socket (`WireGuardPort`) or between two instances in a test.
///
/// Threads: every call takes the device's lock; calls may come from any thread.
public final class WireGuardDevice: @unchecked Sendable {
    // @unchecked: all mutable state is behind `lock`.

    public enum Output: Sendable, Equatable {
        /// A UDP payload for the peer at this endpoint.
        case datagram([UInt8], to: SocketEndpoint)
        /// A decrypted IP packet from peer number `peer`, its source checked against that peer's AllowedIPs.
        case packet([UInt8], peer: Int)
    }

    struct Keypair {
        var sendKey: SymmetricKey
        var receiveKey: SymmetricKey
        var localIndex: UInt32
        var remoteIndex: UInt32
        var created: Int64
        var isInitiator: Bool
        var sendCounter: UInt64 = 0
        var replay = ReplayWindow()
    }

    struct InitiatorHandshake {
        var localIndex: UInt32
        var ephemeral: Curve25519.KeyAgreement.PrivateKey
        var hash: [UInt8]
        var chainingKey: [UInt8]
    }

    struct Peer {
        var configuration: WireGuardPeerConfiguration
        var endpoint: SocketEndpoint?
        var handshake: InitiatorHandshake?
        /// When the last initiation went out, and when this round of attempts began.
        var lastInitiationSent: Int64?
        var attemptStarted: Int64?
        var greatestTimestamp: [UInt8] = [UInt8](repeating: 0, count: 12)
        var lastInitiationReceived: Int64?
        var current: Keypair?
        var previous: Keypair?
        /// The responder's new session, not used for sending until the initiator's first message confirms it.
        var next: Keypair?
        var queue: [[UInt8]] = []
        var cookie: [UInt8]?
        var cookieReceived: Int64 = 0
        var lastMAC1Sent: [UInt8]?
        /// Timers (whitepaper §6.5): a keepalive owed for data received, a handshake owed for data sent unanswered.
        var keepaliveDue: Int64?
        var handshakeDue: Int64?
        var lastSent: Int64?
        var lastHandshake: Int64?
        var counters = WireGuardPeerCounters()
    }

    enum IndexOwner { case handshake(peer: Int), keypair(peer: Int) }

    struct State {
        var peers: [Peer]
        var indexes: [UInt32: IndexOwner] = [:]
        var cookieSecret: [UInt8]
        var cookieSecretCreated: Int64
        var loadWindowStart: Int64 = 0
        var handshakesInWindow = 0
        var underLoadUntil: Int64 = .min
        /// Datagrams and packets dropped before a peer was known.
        var dropped: [WireGuardDrop: Int] = [:]
        var cookieRepliesSent = 0
    }

    /// Packets held per peer while a handshake is in flight (wireguard-go holds 1024).
    public static let queueLimit = 128

    public let privateKey: WireGuardKey
    public let publicKey: WireGuardKey
    public let peerConfigurations: [WireGuardPeerConfiguration]
    /// The largest IP packet sent; padding never takes a packet past it.
    public let mtu: Int
    /// Handshake messages per second above which mac2 (a cookie) is demanded of every sender.
    public let handshakeLoadLimit: Int
    private let staticKey: Curve25519.KeyAgreement.PrivateKey
    private let clock: WireGuardClock
    private let mac1Key: [UInt8]
    private let cookieKey: [UInt8]
    private let peerByKey: [WireGuardKey: Int]
    private let lock = NSLock()
    private var state: State

    public init(configuration: WireGuardConfiguration, mtu: Int = 1500, handshakeLoadLimit: Int = 256, clock: WireGuardClock = .system) {
        privateKey = configuration.privateKey
        publicKey = configuration.privateKey.publicKey
        staticKey = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: configuration.privateKey.bytes)
        peerConfigurations = configuration.peers
        self.mtu = mtu
        self.handshakeLoadLimit = handshakeLoadLimit
        self.clock = clock
        mac1Key = WireGuardHash.hash(WireGuardProtocol.labelMAC1, publicKey.bytes)
        cookieKey = WireGuardHash.hash(WireGuardProtocol.labelCookie, publicKey.bytes)
        var byKey: [WireGuardKey: Int] = [:]
        for (index, peer) in configuration.peers.enumerated() { byKey[peer.publicKey] = index }
        peerByKey = byKey
        state = State(peers: configuration.peers.map { Peer(configuration: $0, endpoint: $0.endpoint) },
                      cookieSecret: Self.randomBytes(32), cookieSecretCreated: clock.monotonic())
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    // MARK: - What tests and reports read

    public func counters(peer: Int) -> WireGuardPeerCounters { lock.withLock { state.peers[peer].counters } }
    /// Drops before a datagram could be tied to a peer.
    public var deviceDrops: [WireGuardDrop: Int] { lock.withLock { state.dropped } }
    public var cookieRepliesSent: Int { lock.withLock { state.cookieRepliesSent } }
    public func endpoint(peer: Int) -> SocketEndpoint? { lock.withLock { state.peers[peer].endpoint } }
    public func hasSession(peer: Int) -> Bool { lock.withLock { state.peers[peer].current != nil } }
    public func isHandshaking(peer: Int) -> Bool { lock.withLock { state.peers[peer].handshake != nil } }
    /// Monotonic time of the last completed handshake.
    public func lastHandshake(peer: Int) -> Int64? { lock.withLock { state.peers[peer].lastHandshake } }
    /// Which peer's AllowedIPs holds `address` (longest prefix), as the routing of outgoing packets does.
    public func peer(routing address: [UInt8]) -> Int? {
        var best: (Int, Int)?
        for (index, peer) in peerConfigurations.enumerated() {
            for prefix in peer.allowedIPs where prefix.contains(address) && prefix.length >= (best?.1 ?? -1) { best = (index, prefix.length) }
        }
        return best?.0
    }

    /// Moves the current session's send counter as if `counter` messages had gone out: tests of
    /// REKEY_AFTER_MESSAGES and REJECT_AFTER_MESSAGES, which no test could reach by sending.
    func setSendCounter(peer index: Int, to counter: UInt64) { lock.withLock { state.peers[index].current?.sendCounter = counter } }

    // MARK: - Sending

    /// An IP packet to send: encrypted to the peer whose AllowedIPs holds its destination, or
    /// queued while a handshake is made.
    public func send(packet: [UInt8]) -> [Output] {
        guard let destination = Self.addresses(of: packet)?.destination else {
            lock.withLock { state.dropped[.malformedPacket, default: 0] += 1 }
            return []
        }
        guard let index = peer(routing: destination) else {
            lock.withLock { state.dropped[.noRoute, default: 0] += 1 }
            return []
        }
        let now = clock.monotonic()
        return lock.withLock {
            var outputs: [Output] = []
            guard state.peers[index].endpoint != nil else {
                state.peers[index].counters.dropped[.noEndpoint, default: 0] += 1
                return []
            }
            if usableForSending(state.peers[index].current, now: now) {
                outputs += encrypt(packet, peer: index, now: now)
                // Initiator's rekey (§6.2): an old session or too many messages starts a new handshake.
                if let keypair = state.peers[index].current, keypair.isInitiator && now - keypair.created >= WireGuardProtocol.rekeyAfterTime
                    || keypair.sendCounter >= WireGuardProtocol.rekeyAfterMessages {
                    outputs += initiateIfIdle(peer: index, now: now)
                }
            } else {
                if state.peers[index].queue.count >= Self.queueLimit {
                    state.peers[index].queue.removeFirst()
                    state.peers[index].counters.dropped[.handshakeTimedOut, default: 0] += 1
                }
                state.peers[index].queue.append(packet)
                outputs += initiateIfIdle(peer: index, now: now)
            }
            return outputs
        }
    }

    private func usableForSending(_ keypair: Keypair?, now: Int64) -> Bool {
        guard let keypair else { return false }
        return now - keypair.created < WireGuardProtocol.rejectAfterTime && keypair.sendCounter < WireGuardProtocol.rejectAfterMessages
    }

    /// A transport message under the current session; an empty packet is a keepalive.
    private func encrypt(_ packet: [UInt8], peer index: Int, now: Int64) -> [Output] {
        guard var keypair = state.peers[index].current, let endpoint = state.peers[index].endpoint else { return [] }
        // Zero padding to a multiple of 16 (§5.4.6), never past the MTU.
        let padded = packet.isEmpty ? 0 : min((packet.count + 15) / 16 * 16, max(packet.count, mtu))
        let plaintext = packet + [UInt8](repeating: 0, count: padded - packet.count)
        let counter = keypair.sendCounter
        keypair.sendCounter += 1
        state.peers[index].current = keypair
        let message = [WireGuardProtocol.transportType, 0, 0, 0] + WireGuardProtocol.littleEndian32(keypair.remoteIndex)
            + WireGuardProtocol.littleEndian64(counter) + WireGuardProtocol.seal(key: keypair.sendKey, counter: counter, plaintext, authenticating: [])
        if packet.isEmpty {
            state.peers[index].counters.keepalivesSent += 1
        } else {
            state.peers[index].counters.txPackets += 1
            state.peers[index].counters.txBytes += packet.count
            if state.peers[index].handshakeDue == nil {
                state.peers[index].handshakeDue = now + WireGuardProtocol.keepaliveTimeout + WireGuardProtocol.rekeyTimeout
            }
        }
        state.peers[index].counters.txWireBytes += message.count
        state.peers[index].keepaliveDue = nil
        state.peers[index].lastSent = now
        return [.datagram(message, to: endpoint)]
    }

    /// A new initiation unless one went out less than REKEY_TIMEOUT ago.
    private func initiateIfIdle(peer index: Int, now: Int64) -> [Output] {
        if state.peers[index].handshake != nil, let sent = state.peers[index].lastInitiationSent, now - sent < WireGuardProtocol.rekeyTimeout { return [] }
        if state.peers[index].attemptStarted == nil || state.peers[index].handshake == nil { state.peers[index].attemptStarted = now }
        return initiate(peer: index, now: now)
    }

    // MARK: - Handshake: initiator (protocol page, "First Message: Initiator to Responder")

    private func initiate(peer index: Int, now: Int64) -> [Output] {
        guard let endpoint = state.peers[index].endpoint else { return [] }
        let remoteStatic = state.peers[index].configuration.publicKey.bytes
        if let old = state.peers[index].handshake { state.indexes[old.localIndex] = nil }
        let localIndex = newIndex(owner: .handshake(peer: index))
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let ephemeralPublic = Array(ephemeral.publicKey.rawRepresentation)
        var chainingKey = WireGuardHash.hash(WireGuardProtocol.construction)
        var hash = WireGuardHash.hash(WireGuardHash.hash(chainingKey, WireGuardProtocol.identifier), remoteStatic)
        hash = WireGuardHash.hash(hash, ephemeralPublic)
        chainingKey = WireGuardHash.kdf(1, key: chainingKey, ephemeralPublic)[0]
        guard let es = WireGuardProtocol.dh(ephemeral, remoteStatic) else { return [] }
        var derived = WireGuardHash.kdf(2, key: chainingKey, es)
        chainingKey = derived[0]
        let encryptedStatic = WireGuardProtocol.seal(key: SymmetricKey(data: derived[1]), counter: 0, publicKey.bytes, authenticating: hash)
        hash = WireGuardHash.hash(hash, encryptedStatic)
        guard let ss = WireGuardProtocol.dh(staticKey, remoteStatic) else { return [] }
        derived = WireGuardHash.kdf(2, key: chainingKey, ss)
        chainingKey = derived[0]
        let (seconds, nanoseconds) = clock.wall()
        let timestamp = WireGuardProtocol.tai64n(seconds: seconds, nanoseconds: nanoseconds)
        let encryptedTimestamp = WireGuardProtocol.seal(key: SymmetricKey(data: derived[1]), counter: 0, timestamp, authenticating: hash)
        hash = WireGuardHash.hash(hash, encryptedTimestamp)
        var message = [WireGuardProtocol.initiationType, 0, 0, 0] + WireGuardProtocol.littleEndian32(localIndex) + ephemeralPublic
            + encryptedStatic + encryptedTimestamp
        message += macs(for: message, peer: index, now: now)
        state.peers[index].handshake = InitiatorHandshake(localIndex: localIndex, ephemeral: ephemeral, hash: hash, chainingKey: chainingKey)
        state.peers[index].lastInitiationSent = now
        state.peers[index].counters.initiationsSent += 1
        state.peers[index].counters.txWireBytes += message.count
        state.peers[index].lastSent = now
        return [.datagram(message, to: endpoint)]
    }

    /// mac1 under the peer's public key, mac2 under the cookie the peer gave us if it is fresh (§5.4.4).
    private func macs(for message: [UInt8], peer index: Int, now: Int64) -> [UInt8] {
        let mac1 = WireGuardHash.mac(key: WireGuardHash.hash(WireGuardProtocol.labelMAC1, state.peers[index].configuration.publicKey.bytes), message)
        state.peers[index].lastMAC1Sent = mac1
        var mac2 = [UInt8](repeating: 0, count: 16)
        if let cookie = state.peers[index].cookie, now - state.peers[index].cookieReceived < WireGuardProtocol.cookieRefreshTime {
            mac2 = WireGuardHash.mac(key: cookie, message + mac1)
        }
        return mac1 + mac2
    }

    private func newIndex(owner: IndexOwner) -> UInt32 {
        var generator = SystemRandomNumberGenerator()
        while true {
            let index = UInt32.random(in: 0...UInt32.max, using: &generator)
            if state.indexes[index] == nil {
                state.indexes[index] = owner
                return index
            }
        }
    }

    // MARK: - Receiving

    /// A UDP payload from `source`: handshake messages are answered, transport messages decrypted.
    public func receive(datagram: [UInt8], from source: SocketEndpoint) -> [Output] {
        let now = clock.monotonic()
        return lock.withLock {
            guard datagram.count >= 4 else { return dropDevice(.malformed) }
            // The type is a little-endian 32-bit word: the three reserved bytes must be zero.
            guard datagram[1] == 0, datagram[2] == 0, datagram[3] == 0 else { return dropDevice(.unknownType) }
            switch datagram[0] {
            case WireGuardProtocol.initiationType:
                guard datagram.count == WireGuardProtocol.initiationLength else { return dropDevice(.malformed) }
                return receiveInitiation(datagram, from: source, now: now)
            case WireGuardProtocol.responseType:
                guard datagram.count == WireGuardProtocol.responseLength else { return dropDevice(.malformed) }
                return receiveResponse(datagram, from: source, now: now)
            case WireGuardProtocol.cookieReplyType:
                guard datagram.count == WireGuardProtocol.cookieReplyLength else { return dropDevice(.malformed) }
                return receiveCookieReply(datagram, now: now)
            case WireGuardProtocol.transportType:
                guard datagram.count >= WireGuardProtocol.minimumTransportLength else { return dropDevice(.malformed) }
                return receiveTransport(datagram, from: source, now: now)
            default:
                return dropDevice(.unknownType)
            }
        }
    }

    private func dropDevice(_ reason: WireGuardDrop) -> [Output] {
        state.dropped[reason, default: 0] += 1
        return []
    }

    /// mac1, then (under load) mac2: nil to go on, else what to do instead (§5.4.7, "under load").
    private func checkMACs(_ message: [UInt8], from source: SocketEndpoint, now: Int64) -> [Output]? {
        let mac1Offset = message.count - 32
        guard WireGuardProtocol.constantTimeEqual(WireGuardHash.mac(key: mac1Key, Array(message[0..<mac1Offset])), message[mac1Offset..<(mac1Offset + 16)]) else {
            return dropDevice(.badMAC1)
        }
        // Load: handshake messages per second, counted over one-second windows; over the limit,
        // the next second demands cookies.
        if now - state.loadWindowStart >= WireGuardProtocol.second {
            state.loadWindowStart = now
            state.handshakesInWindow = 0
        }
        state.handshakesInWindow += 1
        if state.handshakesInWindow > handshakeLoadLimit { state.underLoadUntil = now + WireGuardProtocol.second }
        guard now < state.underLoadUntil else { return nil }
        let cookie = currentCookie(for: source, now: now)
        if WireGuardProtocol.constantTimeEqual(WireGuardHash.mac(key: cookie, Array(message[0..<(mac1Offset + 16)])), message[(mac1Offset + 16)...]) {
            return nil
        }
        // The cookie reply: XAEAD(HASH(LABEL_COOKIE ‖ our public), nonce, cookie, mac1).
        let nonce = Self.randomBytes(XChaCha20Poly1305.nonceLength)
        guard let sealed = try? XChaCha20Poly1305.seal(cookie, key: cookieKey, nonce: nonce, authenticating: Array(message[mac1Offset..<(mac1Offset + 16)])) else {
            return dropDevice(.cookieRequired)
        }
        let reply = [WireGuardProtocol.cookieReplyType, 0, 0, 0] + message[4..<8] + nonce + sealed
        state.cookieRepliesSent += 1
        state.dropped[.cookieRequired, default: 0] += 1
        return [.datagram(reply, to: source)]
    }

    /// MAC(secret that changes every two minutes, source address ‖ port).
    private func currentCookie(for source: SocketEndpoint, now: Int64) -> [UInt8] {
        if now - state.cookieSecretCreated >= WireGuardProtocol.cookieRefreshTime {
            state.cookieSecret = Self.randomBytes(32)
            state.cookieSecretCreated = now
        }
        let address = IPPrefix.parseAddress(source.host) ?? []
        return WireGuardHash.mac(key: state.cookieSecret, address + [UInt8(source.port >> 8), UInt8(source.port & 0xff)])
    }

    // Protocol page, the responder's side of the first message, then the second message.
    private func receiveInitiation(_ message: [UInt8], from source: SocketEndpoint, now: Int64) -> [Output] {
        if let instead = checkMACs(message, from: source, now: now) { return instead }
        let remoteIndex = WireGuardProtocol.readLittleEndian32(message, at: 4)
        let ephemeralPublic = Array(message[8..<40])
        var chainingKey = WireGuardHash.hash(WireGuardProtocol.construction)
        var hash = WireGuardHash.hash(WireGuardHash.hash(chainingKey, WireGuardProtocol.identifier), publicKey.bytes)
        hash = WireGuardHash.hash(hash, ephemeralPublic)
        chainingKey = WireGuardHash.kdf(1, key: chainingKey, ephemeralPublic)[0]
        guard let es = WireGuardProtocol.dh(staticKey, ephemeralPublic) else { return dropDevice(.handshakeFailed) }
        var derived = WireGuardHash.kdf(2, key: chainingKey, es)
        chainingKey = derived[0]
        let encryptedStatic = Array(message[40..<88])
        guard let remoteStatic = WireGuardProtocol.open(key: SymmetricKey(data: derived[1]), counter: 0, encryptedStatic[...], authenticating: hash),
              let index = peerByKey[WireGuardKey(remoteStatic)] else { return dropDevice(.handshakeFailed) }
        hash = WireGuardHash.hash(hash, encryptedStatic)
        guard let ss = WireGuardProtocol.dh(staticKey, remoteStatic) else { return dropDevice(.handshakeFailed) }
        derived = WireGuardHash.kdf(2, key: chainingKey, ss)
        chainingKey = derived[0]
        let encryptedTimestamp = Array(message[88..<116])
        guard let timestamp = WireGuardProtocol.open(key: SymmetricKey(data: derived[1]), counter: 0, encryptedTimestamp[...], authenticating: hash) else {
            return dropDevice(.handshakeFailed)
        }
        hash = WireGuardHash.hash(hash, encryptedTimestamp)
        // Replay: the timestamp must be newer than any before (big-endian, so bytes compare in order).
        guard timestamp.lexicographicallyPrecedes(state.peers[index].greatestTimestamp) == false, timestamp != state.peers[index].greatestTimestamp else {
            state.peers[index].counters.dropped[.replayedInitiation, default: 0] += 1
            return []
        }
        if let last = state.peers[index].lastInitiationReceived, now - last < WireGuardProtocol.initiationMinimumInterval {
            state.peers[index].counters.dropped[.initiationFlood, default: 0] += 1
            return []
        }
        state.peers[index].greatestTimestamp = timestamp
        state.peers[index].lastInitiationReceived = now
        state.peers[index].endpoint = source

        // The response.
        let localIndex = newIndex(owner: .keypair(peer: index))
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let responseEphemeral = Array(ephemeral.publicKey.rawRepresentation)
        hash = WireGuardHash.hash(hash, responseEphemeral)
        chainingKey = WireGuardHash.kdf(1, key: chainingKey, responseEphemeral)[0]
        guard let ee = WireGuardProtocol.dh(ephemeral, ephemeralPublic), let se = WireGuardProtocol.dh(ephemeral, remoteStatic) else {
            state.indexes[localIndex] = nil
            return dropDevice(.handshakeFailed)
        }
        chainingKey = WireGuardHash.kdf(1, key: chainingKey, ee)[0]
        chainingKey = WireGuardHash.kdf(1, key: chainingKey, se)[0]
        derived = WireGuardHash.kdf(3, key: chainingKey, state.peers[index].configuration.presharedKey.bytes)
        chainingKey = derived[0]
        hash = WireGuardHash.hash(hash, derived[1])
        let encryptedNothing = WireGuardProtocol.seal(key: SymmetricKey(data: derived[2]), counter: 0, [], authenticating: hash)
        var response = [WireGuardProtocol.responseType, 0, 0, 0] + WireGuardProtocol.littleEndian32(localIndex)
            + WireGuardProtocol.littleEndian32(remoteIndex) + responseEphemeral + encryptedNothing
        response += macs(for: response, peer: index, now: now)

        // Transport keys: the responder receives with the first, sends with the second.
        let keys = WireGuardHash.kdf(2, key: chainingKey, [])
        let keypair = Keypair(sendKey: SymmetricKey(data: keys[1]), receiveKey: SymmetricKey(data: keys[0]), localIndex: localIndex,
                              remoteIndex: remoteIndex, created: now, isInitiator: false)
        if let unconfirmed = state.peers[index].next { state.indexes[unconfirmed.localIndex] = nil }
        state.peers[index].next = keypair
        state.peers[index].counters.responsesSent += 1
        state.peers[index].counters.rxWireBytes += message.count
        state.peers[index].counters.txWireBytes += response.count
        state.peers[index].counters.handshakes += 1
        state.peers[index].lastHandshake = now
        state.peers[index].lastSent = now
        return [.datagram(response, to: source)]
    }

    private func receiveResponse(_ message: [UInt8], from source: SocketEndpoint, now: Int64) -> [Output] {
        if let instead = checkMACs(message, from: source, now: now) { return instead }
        let remoteIndex = WireGuardProtocol.readLittleEndian32(message, at: 4)
        let receiver = WireGuardProtocol.readLittleEndian32(message, at: 8)
        guard case .handshake(let index)? = state.indexes[receiver], let handshake = state.peers[index].handshake,
              handshake.localIndex == receiver else { return dropDevice(.unknownIndex) }
        let responseEphemeral = Array(message[12..<44])
        var hash = WireGuardHash.hash(handshake.hash, responseEphemeral)
        var chainingKey = WireGuardHash.kdf(1, key: handshake.chainingKey, responseEphemeral)[0]
        guard let ee = WireGuardProtocol.dh(handshake.ephemeral, responseEphemeral),
              let se = WireGuardProtocol.dh(staticKey, responseEphemeral) else {
            state.peers[index].counters.dropped[.handshakeFailed, default: 0] += 1
            return []
        }
        chainingKey = WireGuardHash.kdf(1, key: chainingKey, ee)[0]
        chainingKey = WireGuardHash.kdf(1, key: chainingKey, se)[0]
        let derived = WireGuardHash.kdf(3, key: chainingKey, state.peers[index].configuration.presharedKey.bytes)
        chainingKey = derived[0]
        hash = WireGuardHash.hash(hash, derived[1])
        guard WireGuardProtocol.open(key: SymmetricKey(data: derived[2]), counter: 0, message[44..<60], authenticating: hash) != nil else {
            state.peers[index].counters.dropped[.handshakeFailed, default: 0] += 1
            return []
        }
        let keys = WireGuardHash.kdf(2, key: chainingKey, [])
        // The handshake's index now names the session.
        state.indexes[receiver] = .keypair(peer: index)
        install(Keypair(sendKey: SymmetricKey(data: keys[0]), receiveKey: SymmetricKey(data: keys[1]), localIndex: receiver,
                        remoteIndex: remoteIndex, created: now, isInitiator: true), peer: index)
        state.peers[index].handshake = nil
        state.peers[index].attemptStarted = nil
        state.peers[index].endpoint = source
        state.peers[index].counters.handshakes += 1
        state.peers[index].counters.rxWireBytes += message.count
        state.peers[index].lastHandshake = now
        // The initiator speaks first under the new keys (key confirmation): the queue, or a keepalive.
        let queued = state.peers[index].queue
        state.peers[index].queue = []
        if queued.isEmpty { return encrypt([], peer: index, now: now) }
        return queued.flatMap { encrypt($0, peer: index, now: now) }
    }

    /// Makes `keypair` current; the current one becomes previous (kept to decrypt late packets).
    private func install(_ keypair: Keypair, peer index: Int) {
        if let previous = state.peers[index].previous { state.indexes[previous.localIndex] = nil }
        state.peers[index].previous = state.peers[index].current
        state.peers[index].current = keypair
    }

    private func receiveCookieReply(_ message: [UInt8], now: Int64) -> [Output] {
        let receiver = WireGuardProtocol.readLittleEndian32(message, at: 4)
        let index: Int
        switch state.indexes[receiver] {
        case .handshake(let peer)?: index = peer
        case .keypair(let peer)?: index = peer
        case nil: return dropDevice(.unknownIndex)
        }
        guard let mac1 = state.peers[index].lastMAC1Sent,
              let cookie = XChaCha20Poly1305.open(Array(message[32..<64]), key: WireGuardHash.hash(WireGuardProtocol.labelCookie, state.peers[index].configuration.publicKey.bytes),
                                                  nonce: Array(message[8..<32]), authenticating: mac1) else {
            state.peers[index].counters.dropped[.authenticationFailed, default: 0] += 1
            return []
        }
        // Kept for the next retransmission (REKEY_TIMEOUT), which then carries mac2.
        state.peers[index].cookie = cookie
        state.peers[index].cookieReceived = now
        state.peers[index].counters.cookieRepliesReceived += 1
        state.peers[index].counters.rxWireBytes += message.count
        return []
    }

    private func receiveTransport(_ message: [UInt8], from source: SocketEndpoint, now: Int64) -> [Output] {
        let receiver = WireGuardProtocol.readLittleEndian32(message, at: 4)
        guard case .keypair(let index)? = state.indexes[receiver] else { return dropDevice(.unknownIndex) }
        enum Slot { case current, previous, next }
        let slot: Slot
        let keypair: Keypair
        if let k = state.peers[index].current, k.localIndex == receiver { slot = .current; keypair = k }
        else if let k = state.peers[index].next, k.localIndex == receiver { slot = .next; keypair = k }
        else if let k = state.peers[index].previous, k.localIndex == receiver { slot = .previous; keypair = k }
        else { return dropDevice(.unknownIndex) }
        func drop(_ reason: WireGuardDrop) -> [Output] {
            state.peers[index].counters.dropped[reason, default: 0] += 1
            return []
        }
        let counter = WireGuardProtocol.readLittleEndian64(message, at: 8)
        guard now - keypair.created < WireGuardProtocol.rejectAfterTime, counter < WireGuardProtocol.rejectAfterMessages else { return drop(.expiredSession) }
        guard let plaintext = WireGuardProtocol.open(key: keypair.receiveKey, counter: counter, message[WireGuardProtocol.transportHeaderLength...], authenticating: []) else {
            return drop(.authenticationFailed)
        }
        // The window is moved only by authenticated messages, so forgeries cannot advance it.
        var window = keypair.replay
        guard window.accept(counter) else { return drop(.replayedCounter) }
        switch slot {
        case .current: state.peers[index].current?.replay = window
        case .previous: state.peers[index].previous?.replay = window
        case .next:
            // The initiator's first message confirms the responder's new session.
            var confirmed = keypair
            confirmed.replay = window
            state.peers[index].next = nil
            install(confirmed, peer: index)
        }
        state.peers[index].endpoint = source
        state.peers[index].handshakeDue = nil
        state.peers[index].counters.rxWireBytes += message.count
        var outputs: [Output] = []
        if slot == .next {
            // Packets that waited for a session go out under the confirmed one.
            let queued = state.peers[index].queue
            state.peers[index].queue = []
            outputs += queued.flatMap { encrypt($0, peer: index, now: now) }
        }
        // Receiving on an old initiator session: rekey before it must be rejected (§6.2).
        if let current = state.peers[index].current, current.isInitiator,
           now - current.created >= WireGuardProtocol.rejectAfterTime - WireGuardProtocol.keepaliveTimeout - WireGuardProtocol.rekeyTimeout {
            outputs += initiateIfIdle(peer: index, now: now)
        }
        if plaintext.isEmpty {
            state.peers[index].counters.keepalivesReceived += 1
            return outputs
        }
        guard let (source, _, length) = Self.addresses(of: plaintext) else { return outputs + drop(.malformedPacket) }
        guard state.peers[index].configuration.allowedIPs.contains(where: { $0.contains(source) }) else { return outputs + drop(.sourceNotAllowed) }
        state.peers[index].counters.rxPackets += 1
        state.peers[index].counters.rxBytes += length
        if state.peers[index].keepaliveDue == nil { state.peers[index].keepaliveDue = now + WireGuardProtocol.keepaliveTimeout }
        return outputs + [.packet(Array(plaintext[0..<length]), peer: index)]
    }

    /// Source, destination and length of an IPv4 or IPv6 packet (the padding after it cut off); nil when malformed.
    static func addresses(of packet: [UInt8]) -> (source: [UInt8], destination: [UInt8], length: Int)? {
        guard let first = packet.first else { return nil }
        switch first >> 4 {
        case 4:
            guard packet.count >= 20 else { return nil }
            let length = Int(packet[2]) << 8 | Int(packet[3])
            guard length >= 20, length <= packet.count, Int(first & 0x0f) * 4 >= 20 else { return nil }
            return (Array(packet[12..<16]), Array(packet[16..<20]), length)
        case 6:
            guard packet.count >= 40 else { return nil }
            let length = 40 + (Int(packet[4]) << 8 | Int(packet[5]))
            guard length <= packet.count else { return nil }
            return (Array(packet[8..<24]), Array(packet[24..<40]), length)
        default:
            return nil
        }
    }

    // MARK: - Timers

    /// Runs the timers due by now (call it often, e.g. every 100 ms): handshake retransmission and
    /// giving up, keepalives owed, a new handshake when sent data goes unanswered, persistent
    /// keepalives, and forgetting sessions past three times REJECT_AFTER_TIME.
    public func tick() -> [Output] {
        let now = clock.monotonic()
        return lock.withLock {
            var outputs: [Output] = []
            for index in state.peers.indices {
                if state.peers[index].handshake != nil, let sent = state.peers[index].lastInitiationSent, now - sent >= WireGuardProtocol.rekeyTimeout {
                    if let started = state.peers[index].attemptStarted, now - started >= WireGuardProtocol.rekeyAttemptTime {
                        // Give up: forget the attempt and what waited for it.
                        if let handshake = state.peers[index].handshake { state.indexes[handshake.localIndex] = nil }
                        state.peers[index].handshake = nil
                        state.peers[index].attemptStarted = nil
                        let lost = state.peers[index].queue.count
                        state.peers[index].queue = []
                        if lost > 0 { state.peers[index].counters.dropped[.handshakeTimedOut, default: 0] += lost }
                    } else {
                        outputs += initiate(peer: index, now: now)
                    }
                }
                if let due = state.peers[index].keepaliveDue, now >= due {
                    state.peers[index].keepaliveDue = nil
                    if usableForSending(state.peers[index].current, now: now) { outputs += encrypt([], peer: index, now: now) }
                }
                if let due = state.peers[index].handshakeDue, now >= due {
                    state.peers[index].handshakeDue = nil
                    outputs += initiateIfIdle(peer: index, now: now)
                }
                if let interval = state.peers[index].configuration.persistentKeepalive, state.peers[index].endpoint != nil,
                   state.peers[index].lastSent.map({ now - $0 >= Int64(interval) * WireGuardProtocol.second }) ?? true {
                    if usableForSending(state.peers[index].current, now: now) {
                        outputs += encrypt([], peer: index, now: now)
                    } else {
                        outputs += initiateIfIdle(peer: index, now: now)
                    }
                }
                if let last = state.peers[index].lastHandshake, now - last >= 3 * WireGuardProtocol.rejectAfterTime {
                    for keypair in [state.peers[index].current, state.peers[index].previous, state.peers[index].next].compactMap({ $0 }) {
                        state.indexes[keypair.localIndex] = nil
                    }
                    state.peers[index].current = nil
                    state.peers[index].previous = nil
                    state.peers[index].next = nil
                    state.peers[index].lastHandshake = nil
                }
            }
            return outputs
        }
    }
}
