import Synchronization
import Testing
@testable import Network

/// Two WireGuard devices in one process, datagrams handed between them by the test: the Noise
/// handshake and transport, every kind of bad datagram dropped and counted, and the timers and
/// cookies run on a clock the test moves, so nothing here waits.
struct WireGuardProtocolTests {
    /// Monotonic nanoseconds the test sets; the wall clock moves with it.
    final class ManualClock: Sendable {
        let nanoseconds = Mutex<Int64>(1_000_000_000)
        func advance(seconds: Double) { nanoseconds.withLock { $0 += Int64(seconds * 1e9) } }
        var clock: WireGuardClock {
            WireGuardClock(monotonic: { self.nanoseconds.withLock { $0 } },
                           wall: { let now = self.nanoseconds.withLock { $0 }; return (1_765_000_000 + now / 1_000_000_000, Int32(now % 1_000_000_000)) })
        }
    }

    /// Devices A (10.0.0.1) and B (10.0.0.2) that know each other, and the wire between them.
    final class Pair {
        let clock = ManualClock()
        let a: WireGuardDevice
        let b: WireGuardDevice
        static let endpointA = SocketEndpoint(host: "127.0.0.1", port: 51001)
        static let endpointB = SocketEndpoint(host: "127.0.0.1", port: 51002)
        /// IP packets each side delivered, in order.
        var deliveredToA: [[UInt8]] = []
        var deliveredToB: [[UInt8]] = []
        /// Every datagram that crossed, A→B and B→A, for replaying.
        var wireToB: [[UInt8]] = []
        var wireToA: [[UInt8]] = []

        init(presharedA: WireGuardKey? = nil, presharedB: WireGuardKey? = nil, loadLimitB: Int = 256, keepaliveA: Int? = nil, bKnowsA: Bool = false) {
            let keyA = WireGuardKey.generatePrivate(), keyB = WireGuardKey.generatePrivate()
            let zero = WireGuardKey([UInt8](repeating: 0, count: 32))
            a = WireGuardDevice(configuration: WireGuardConfiguration(privateKey: keyA, peers: [
                WireGuardPeerConfiguration(publicKey: keyB.publicKey, presharedKey: presharedA ?? zero, allowedIPs: [IPPrefix(parsing: "10.0.0.2/32")!],
                                           endpoint: Self.endpointB, persistentKeepalive: keepaliveA),
            ]), clock: clock.clock)
            b = WireGuardDevice(configuration: WireGuardConfiguration(privateKey: keyB, peers: [
                WireGuardPeerConfiguration(publicKey: keyA.publicKey, presharedKey: presharedB ?? zero, allowedIPs: [IPPrefix(parsing: "10.0.0.1/32")!],
                                           endpoint: bKnowsA ? Self.endpointA : nil),
            ]), handshakeLoadLimit: loadLimitB, clock: clock.clock)
        }

        /// Hands outputs across until nothing more is sent; `dropToB`/`dropToA` lose datagrams on the way.
        func run(_ outputs: [WireGuardDevice.Output], from sender: WireGuardDevice, dropToB: Bool = false, dropToA: Bool = false) {
            var pending = outputs.map { (sender === a, $0) }
            while !pending.isEmpty {
                let (fromA, output) = pending.removeFirst()
                switch output {
                case .packet(let packet, _):
                    if fromA { deliveredToA.append(packet) } else { deliveredToB.append(packet) }
                case .datagram(let datagram, let to):
                    if fromA {
                        #expect(to == Self.endpointB)
                        wireToB.append(datagram)
                        if !dropToB { pending += b.receive(datagram: datagram, from: Self.endpointA).map { (false, $0) } }
                    } else {
                        #expect(to == Self.endpointA)
                        wireToA.append(datagram)
                        if !dropToA { pending += a.receive(datagram: datagram, from: Self.endpointB).map { (true, $0) } }
                    }
                }
            }
        }
    }

    /// An IPv4/UDP packet of `total` bytes from `source` to `destination`, its payload numbered.
    static func packet(from source: String, to destination: String, total: Int = 60) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: total)
        bytes[0] = 0x45
        bytes[2] = UInt8(total >> 8); bytes[3] = UInt8(total & 0xff)
        bytes[8] = 64; bytes[9] = 17
        bytes.replaceSubrange(12..<16, with: IPPrefix.parseAddress(source)!)
        bytes.replaceSubrange(16..<20, with: IPPrefix.parseAddress(destination)!)
        for i in 20..<total { bytes[i] = UInt8(truncatingIfNeeded: i * 7) }
        return bytes
    }

    static func datagrams(_ outputs: [WireGuardDevice.Output]) -> [[UInt8]] {
        outputs.compactMap { if case .datagram(let d, _) = $0 { return d } else { return nil } }
    }

    @Test func handshakeThenPacketsBothWaysIncludingAFullSizeOne() {
        let psk = WireGuardKey.generatePrivate()
        let pair = Pair(presharedA: psk, presharedB: psk)
        let first = Self.packet(from: "10.0.0.1", to: "10.0.0.2")
        pair.run(pair.a.send(packet: first), from: pair.a)
        // Initiation (148), response (92), then the queued packet under the new session.
        #expect(pair.wireToB.first?.count == 148 && pair.wireToA.first?.count == 92)
        #expect(pair.deliveredToB == [first])
        #expect(pair.a.counters(peer: 0).handshakes == 1 && pair.b.counters(peer: 0).handshakes == 1)
        let full = Self.packet(from: "10.0.0.2", to: "10.0.0.1", total: 1500)
        pair.run(pair.b.send(packet: full), from: pair.b)
        #expect(pair.deliveredToA == [full])
        // 16-byte header, 1500 bytes (no padding past the MTU), 16-byte tag.
        #expect(pair.wireToA.last?.count == 1532)
        let odd = Self.packet(from: "10.0.0.1", to: "10.0.0.2", total: 61)
        pair.run(pair.a.send(packet: odd), from: pair.a)
        #expect(pair.deliveredToB.last == odd, "padding is cut off by the IP length")
        #expect(pair.wireToB.last?.count == 16 + 64 + 16)
        let countersA = pair.a.counters(peer: 0), countersB = pair.b.counters(peer: 0)
        #expect(countersA.txPackets == 2 && countersA.rxPackets == 1 && countersA.rxBytes == 1500)
        #expect(countersB.rxPackets == 2 && countersB.txPackets == 1 && countersA.totalDropped == 0 && countersB.totalDropped == 0)
        #expect(pair.b.endpoint(peer: 0) == Pair.endpointA, "the responder learned the initiator's endpoint")
    }

    /// Both ends send at once, so both initiate: each answers the other's initiation, both
    /// packets arrive, and traffic goes on under whichever sessions each ended with.
    @Test func simultaneousInitiationsBothComplete() {
        let pair = Pair(bKnowsA: true)
        let fromA = pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2"))
        let fromB = pair.b.send(packet: Self.packet(from: "10.0.0.2", to: "10.0.0.1"))
        #expect(Self.datagrams(fromA).map(\.count) == [148] && Self.datagrams(fromB).map(\.count) == [148])
        pair.run(fromA, from: pair.a)
        pair.run(fromB, from: pair.b)
        #expect(pair.deliveredToA.count == 1 && pair.deliveredToB.count == 1)
        for round in 0..<3 {
            pair.clock.advance(seconds: 1)
            pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2")), from: pair.a)
            pair.run(pair.b.send(packet: Self.packet(from: "10.0.0.2", to: "10.0.0.1")), from: pair.b)
            #expect(pair.deliveredToA.count == 2 + round && pair.deliveredToB.count == 2 + round)
        }
        #expect(pair.a.counters(peer: 0).totalDropped == 0 && pair.b.counters(peer: 0).totalDropped == 0)
        #expect(pair.a.deviceDrops.isEmpty && pair.b.deviceDrops.isEmpty, "\(pair.a.deviceDrops) \(pair.b.deviceDrops)")
    }

    @Test func differentPresharedKeysNeverMakeASession() {
        let pair = Pair(presharedA: WireGuardKey.generatePrivate(), presharedB: WireGuardKey.generatePrivate())
        pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2")), from: pair.a)
        #expect(pair.deliveredToB.isEmpty && !pair.a.hasSession(peer: 0))
        #expect(pair.a.counters(peer: 0).dropped[.handshakeFailed] == 1)
    }

    @Test func forgedReplayedTruncatedAndMisroutedMessagesAreDroppedAndCounted() {
        let pair = Pair()
        pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2")), from: pair.a)
        let initiation = pair.wireToB[0]
        let transport = pair.wireToB[1]
        #expect(pair.deliveredToB.count == 1)
        let from = Pair.endpointA
        // The same transport message again: the replay window refuses it.
        #expect(pair.b.receive(datagram: transport, from: from).isEmpty)
        #expect(pair.b.counters(peer: 0).dropped[.replayedCounter] == 1)
        // One bit flipped in the ciphertext: Poly1305 refuses it, and the window does not move.
        var forged = transport
        forged[20] ^= 0x40
        #expect(pair.b.receive(datagram: forged, from: from).isEmpty)
        #expect(pair.b.counters(peer: 0).dropped[.authenticationFailed] == 1)
        // The initiation replayed: its timestamp is not newer.
        #expect(pair.b.receive(datagram: initiation, from: from).isEmpty)
        #expect(pair.b.counters(peer: 0).dropped[.replayedInitiation] == 1)
        // An initiation with its mac1 broken, truncated messages, an unknown type, an unknown index.
        var badMAC = initiation
        badMAC[120] ^= 1
        #expect(pair.b.receive(datagram: badMAC, from: from).isEmpty)
        #expect(pair.b.receive(datagram: Array(initiation.prefix(100)), from: from).isEmpty)
        #expect(pair.b.receive(datagram: [4, 0, 0], from: from).isEmpty)
        #expect(pair.b.receive(datagram: Array(transport.prefix(31)), from: from).isEmpty)
        #expect(pair.b.receive(datagram: [9, 0, 0, 0] + [UInt8](repeating: 1, count: 40), from: from).isEmpty)
        #expect(pair.b.receive(datagram: [1, 0, 0, 1] + initiation.dropFirst(4), from: from).isEmpty)
        var strange = transport
        strange[4] ^= 0xff
        #expect(pair.b.receive(datagram: strange, from: from).isEmpty)
        let drops = pair.b.deviceDrops
        #expect(drops[.badMAC1] == 1 && drops[.malformed] == 3 && drops[.unknownType] == 2 && drops[.unknownIndex] == 1, "\(drops)")
        // A's packet with a source outside A's AllowedIPs at B: decrypted, then dropped (cryptokey routing).
        pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.9", to: "10.0.0.2")), from: pair.a)
        #expect(pair.deliveredToB.count == 1)
        #expect(pair.b.counters(peer: 0).dropped[.sourceNotAllowed] == 1)
        // A packet for no peer's AllowedIPs, and garbage, never leave A.
        #expect(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "192.0.2.7")).isEmpty)
        #expect(pair.a.send(packet: [0x60, 1, 2]).isEmpty)
        #expect(pair.a.deviceDrops[.noRoute] == 1 && pair.a.deviceDrops[.malformedPacket] == 1)
    }

    @Test func replayWindowTakesLateCountersOnceAndRefusesOldOnes() {
        var window = ReplayWindow()
        var taken: [Bool] = []
        for counter: UInt64 in [0, 5, 3, 3, 1, 3000, 5, 3000 - 2047, 3000 - 2048, 2999, 3000, WireGuardProtocol.rejectAfterMessages] {
            taken.append(window.accept(counter))
        }
        // A repeat, a counter older than the window, and one past REJECT_AFTER_MESSAGES are refused.
        #expect(taken == [true, true, true, false, true, true, false, true, false, true, false, false])
    }

    @Test func rekeyAfterTimeAndRejectAfterTime() {
        let pair = Pair()
        pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2")), from: pair.a)
        pair.run(pair.b.send(packet: Self.packet(from: "10.0.0.2", to: "10.0.0.1")), from: pair.b)
        #expect(pair.a.counters(peer: 0).initiationsSent == 1)
        // Before REKEY_AFTER_TIME: no new handshake.
        pair.clock.advance(seconds: 119)
        pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2")), from: pair.a)
        #expect(pair.a.counters(peer: 0).initiationsSent == 1)
        // Past it, the initiator's next send also starts one, and the session moves on.
        pair.clock.advance(seconds: 2)
        pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2")), from: pair.a)
        #expect(pair.a.counters(peer: 0).initiationsSent == 2 && pair.a.counters(peer: 0).handshakes == 2)
        #expect(pair.deliveredToB.count == 3)
        // The responder never rekeys by time on its own; past REJECT_AFTER_TIME its session is
        // unusable, so its packet waits for a handshake it starts.
        pair.clock.advance(seconds: 181)
        let outputs = pair.b.send(packet: Self.packet(from: "10.0.0.2", to: "10.0.0.1"))
        #expect(Self.datagrams(outputs).map(\.count) == [148], "only an initiation, the packet is queued")
        pair.run(outputs, from: pair.b)
        #expect(pair.deliveredToA.count == 2, "the queued packet went once the handshake completed")
        // A message under an expired session is refused.
        let old = pair.wireToB[1]
        pair.clock.advance(seconds: 1)
        _ = pair.b.receive(datagram: old, from: Pair.endpointA)
        #expect(pair.b.counters(peer: 0).dropped[.expiredSession, default: 0] + pair.b.deviceDrops[.unknownIndex, default: 0] >= 1)
        // Three times REJECT_AFTER_TIME after the last handshake, every key is forgotten.
        pair.clock.advance(seconds: 3 * 180)
        _ = pair.a.tick()
        _ = pair.b.tick()
        #expect(!pair.a.hasSession(peer: 0) && !pair.b.hasSession(peer: 0))
    }

    @Test func rekeyAfterMessagesAndRejectAfterMessages() {
        let pair = Pair()
        pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2")), from: pair.a)
        // At REKEY_AFTER_MESSAGES the packet still goes under the old session, and a handshake
        // starts (a second later: B takes at most one initiation per 1/50 s).
        pair.clock.advance(seconds: 1)
        pair.a.setSendCounter(peer: 0, to: WireGuardProtocol.rekeyAfterMessages)
        let outputs = pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2"))
        #expect(Self.datagrams(outputs).map(\.count) == [16 + 64 + 16, 148])
        pair.run(outputs, from: pair.a)
        #expect(pair.deliveredToB.count == 2 && pair.a.counters(peer: 0).handshakes == 2)
        // At REJECT_AFTER_MESSAGES the session may not send at all: the packet waits for a new one.
        pair.clock.advance(seconds: 1)
        pair.a.setSendCounter(peer: 0, to: WireGuardProtocol.rejectAfterMessages)
        let rejected = pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2"))
        #expect(Self.datagrams(rejected).map(\.count) == [148])
        pair.run(rejected, from: pair.a)
        #expect(pair.deliveredToB.count == 3 && pair.a.counters(peer: 0).handshakes == 3)
    }

    @Test func keepaliveAfterDataReceivedAndHandshakeAfterDataUnanswered() {
        let pair = Pair()
        pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2")), from: pair.a)
        // B got data and sent nothing back: KEEPALIVE_TIMEOUT later it sends a keepalive.
        pair.clock.advance(seconds: 9.9)
        #expect(pair.b.tick().isEmpty)
        pair.clock.advance(seconds: 0.2)
        let keepalive = pair.b.tick()
        #expect(Self.datagrams(keepalive).map(\.count) == [32])
        pair.run(keepalive, from: pair.b)
        #expect(pair.a.counters(peer: 0).keepalivesReceived == 1 && pair.deliveredToA.isEmpty)
        // A sends data that B never answers (lost): KEEPALIVE_TIMEOUT + REKEY_TIMEOUT later A starts a handshake.
        pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2")), from: pair.a, dropToB: true)
        pair.clock.advance(seconds: 14.9)
        #expect(Self.datagrams(pair.a.tick()).isEmpty)
        pair.clock.advance(seconds: 0.2)
        #expect(Self.datagrams(pair.a.tick()).map(\.count) == [148])
    }

    @Test func lostInitiationsAreResentEveryRekeyTimeoutUntilRekeyAttemptTime() {
        let pair = Pair()
        pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2")), from: pair.a, dropToB: true)
        var sent = 1
        for _ in 0..<17 {
            pair.clock.advance(seconds: 5)
            let outputs = pair.a.tick()
            sent += Self.datagrams(outputs).count
            pair.run(outputs, from: pair.a, dropToB: true)
        }
        // 0, 5, ..., 85 s: 18 initiations; at 90 s the attempt is given up with its queued packet.
        #expect(sent == 18 && pair.a.counters(peer: 0).initiationsSent == 18)
        pair.clock.advance(seconds: 5)
        #expect(pair.a.tick().isEmpty && !pair.a.isHandshaking(peer: 0))
        #expect(pair.a.counters(peer: 0).dropped[.handshakeTimedOut] == 1)
    }

    @Test func underLoadTheResponderDemandsACookieWhichTheRetryCarries() throws {
        let pair = Pair(loadLimitB: 0)
        pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2")), from: pair.a)
        #expect(pair.wireToA.map(\.count) == [64], "a cookie reply, not a response")
        #expect(pair.b.cookieRepliesSent == 1 && pair.a.counters(peer: 0).cookieRepliesReceived == 1)
        #expect(!pair.a.hasSession(peer: 0))
        // The retransmission REKEY_TIMEOUT later carries mac2 and gets through.
        pair.clock.advance(seconds: 5)
        pair.run(pair.a.tick(), from: pair.a)
        #expect(pair.a.hasSession(peer: 0) && pair.deliveredToB.count == 1)
        // A cookie reply for A's live index that does not authenticate is dropped; one for an
        // index A no longer has (the first initiation's) is dropped as unknown.
        let response = try #require(pair.wireToA.first { $0.count == WireGuardProtocol.responseLength })
        #expect(pair.a.receive(datagram: pair.wireToA[0], from: Pair.endpointB).isEmpty)
        #expect(pair.a.deviceDrops[.unknownIndex] == 1)
        var forgedReply = pair.wireToA[0]
        forgedReply.replaceSubrange(4..<8, with: response[8..<12])
        forgedReply[40] ^= 1
        #expect(pair.a.receive(datagram: forgedReply, from: Pair.endpointB).isEmpty)
        #expect(pair.a.counters(peer: 0).dropped[.authenticationFailed] == 1)
        // Once the cookie is older than two minutes, the next initiation is asked for a new one.
        pair.clock.advance(seconds: 121)
        let before = pair.b.cookieRepliesSent
        pair.run(pair.a.send(packet: Self.packet(from: "10.0.0.1", to: "10.0.0.2")), from: pair.a)
        #expect(pair.b.cookieRepliesSent == before + 1)
    }

    @Test func persistentKeepaliveKeepsTheTunnelWarm() {
        let pair = Pair(keepaliveA: 25)
        // With no session, the keepalive timer starts a handshake (A's endpoint for B is configured).
        pair.run(pair.a.tick(), from: pair.a)
        #expect(pair.a.hasSession(peer: 0) && pair.b.counters(peer: 0).keepalivesReceived == 1)
        pair.clock.advance(seconds: 24)
        #expect(pair.a.tick().isEmpty)
        pair.clock.advance(seconds: 1)
        pair.run(pair.a.tick(), from: pair.a)
        #expect(pair.b.counters(peer: 0).keepalivesReceived == 2)
    }

    @Test func configurationFileAsWgWritesIt() throws {
        let keyA = WireGuardKey.generatePrivate(), keyB = WireGuardKey.generatePrivate(), psk = WireGuardKey.generatePrivate()
        let text = """
            # an interface
            [Interface]
            PrivateKey = \(keyA.base64)
            ListenPort = 51820

            [Peer]
            PublicKey = \(keyB.publicKey.base64)
            presharedkey=\(psk.base64)
            AllowedIPs = 10.0.0.2/32, 10.9.0.0/16 ,fd00::/64
            Endpoint = 127.0.0.1:51821
            PersistentKeepalive = 25
            """
        let configuration = try WireGuardConfiguration.parse(text)
        #expect(configuration.privateKey == keyA && configuration.listenPort == 51820)
        #expect(configuration.peers.count == 1)
        let peer = try #require(configuration.peers.first)
        #expect(peer.publicKey == keyB.publicKey && peer.presharedKey == psk && peer.persistentKeepalive == 25)
        #expect(peer.allowedIPs.map(\.description) == ["10.0.0.2/32", "10.9.0.0/16", "fd00::/64"])
        #expect(peer.endpoint == SocketEndpoint(host: "127.0.0.1", port: 51821))
        let bad: [(String, String)] = [
            ("[Interface]\nPrivateKey = abc", "not a base64 key"),
            ("[Interface]\nPrivateKey = \(keyA.base64)\nAddress = 10.0.0.1/24", "wg-quick key"),
            ("[Interface]\nPrivateKey = \(keyA.base64)\n[Peer]\nPublicKey = \(keyB.base64)\nEndpoint = example.org:1", "not IPv4-ADDRESS:PORT"),
            ("[Interface]\nPrivateKey = \(keyA.base64)\n[Peer]\nAllowedIPs = 10.0.0.0/8", "needs a PublicKey"),
            ("[Interface]\nPrivateKey = \(keyA.base64)\n[Peer]\nPublicKey = \(keyB.base64)\nAllowedIPs = 10.0.0.0/33", "not an IP address or prefix"),
            ("[Interface]\nListenPort = 1", "needs a PrivateKey"),
            ("[Peer]\nFoo = 1", "unknown key 'foo'"),
            ("PrivateKey = x", "outside a section"),
        ]
        for (text, fragment) in bad {
            #expect(throws: WireGuardConfigurationError.self) { try WireGuardConfiguration.parse(text) }
            do { _ = try WireGuardConfiguration.parse(text) } catch { #expect(error.description.contains(fragment), "\(error.description)") }
        }
    }
}
