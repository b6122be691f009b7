import Foundation
import Synchronization
import Testing
@testable import Network

/// A clock the test moves by hand, so aging and rate limits are exact and untimed.
final class ManualClock: Sendable {
    private let nanoseconds = Mutex<Int64>(1_000_000_000)
    func advance(seconds: Double) { nanoseconds.withLock { $0 += Int64(seconds * 1e9) } }
    var read: SwitchClock { { self.nanoseconds.withLock { $0 } } }
}

/// A port's peer that records what the switch sends it, or refuses everything.
final class SwitchPortPeer: NetworkPeer {
    let frames = Mutex<[[UInt8]]>([])
    let refuses: Bool
    init(refuses: Bool = false) { self.refuses = refuses }
    func receive(_ frame: EthernetFrame) -> Bool {
        guard !refuses else { return false }
        frames.withLock { $0.append(frame.bytes) }
        return true
    }
    var received: [[UInt8]] { frames.withLock { $0 } }
    func clear() { frames.withLock { $0 = [] } }
}

@Suite struct VirtualSwitchTests {
    static func mac(_ last: UInt8, _ prefix: UInt8 = 0x02) -> [UInt8] { [prefix, 0, 0, 0, 0, last] }

    /// An untagged IPv4-typed frame from `source` to `destination` with `payload` bytes.
    static func frame(to destination: [UInt8], from source: [UInt8], payload: Int = 46, fill: UInt8 = 0xab) -> [UInt8] {
        destination + source + [0x08, 0x00] + [UInt8](repeating: fill, count: payload)
    }

    static func tagged(_ frame: [UInt8], vlan: UInt16) -> [UInt8] {
        Array(frame[0..<12]) + [0x81, 0x00, UInt8(vlan >> 8), UInt8(vlan & 0xff)] + frame[12...]
    }

    static let broadcast = [UInt8](repeating: 0xff, count: 6)

    struct Rig {
        let clock = ManualClock()
        let fabric: VirtualSwitch
        var peers: [SwitchPortPeer] = []

        init(capacity: Int = 64, age: Double = 300, modes: [SwitchPortMode], limits: [SwitchPortLimits] = [], overlay: Set<Int> = []) {
            fabric = VirtualSwitch(macTableCapacity: capacity, macAge: Int64(age * 1e9), clock: clock.read)
            for (index, mode) in modes.enumerated() {
                let peer = SwitchPortPeer()
                peers.append(peer)
                let limit = index < limits.count ? limits[index] : SwitchPortLimits()
                _ = fabric.addPort(SwitchPortConfiguration(name: "p\(index)", mode: mode, limits: limit, isOverlay: overlay.contains(index)), peer: peer)
            }
        }

        func clear() { peers.forEach { $0.clear() } }

        /// Every arrived frame was forwarded or dropped, and every copy made was sent or dropped.
        func reconcile(sourceLocation: SourceLocation = #_sourceLocation) {
            let all = (0..<fabric.portCount).map { fabric.counters(port: $0) }
            for (index, counters) in all.enumerated() {
                #expect(counters.rxFrames == counters.forwarded + counters.totalRxDropped, "port \(index): \(counters)", sourceLocation: sourceLocation)
            }
            let copies = all.map(\.copies).reduce(0, +)
            let outcomes = all.map { $0.txFrames + $0.totalTxDropped }.reduce(0, +)
            #expect(copies == outcomes, "copies made \(copies), sent or dropped \(outcomes)", sourceLocation: sourceLocation)
        }
    }

    @Test func unknownDestinationsFloodThenLearnedOnesGoToOnePort() {
        let rig = Rig(modes: [.access(vlan: 1), .access(vlan: 1), .access(vlan: 1)])
        let a = Self.mac(1), b = Self.mac(2)
        rig.fabric.send(Self.frame(to: b, from: a), from: 0)
        #expect(rig.peers[0].received.isEmpty, "never back out of the ingress port")
        #expect(rig.peers[1].received.count == 1 && rig.peers[2].received.count == 1, "unknown unicast floods")
        #expect(rig.fabric.learnedPort(of: MACAddress(a), vlan: 1) == 0)
        rig.clear()
        rig.fabric.send(Self.frame(to: a, from: b), from: 1)
        #expect(rig.peers[0].received == [Self.frame(to: a, from: b)], "a learned address gets the frame alone")
        #expect(rig.peers[2].received.isEmpty)
        rig.clear()
        rig.fabric.send(Self.frame(to: Self.broadcast, from: a), from: 0)
        #expect(rig.peers[1].received.count == 1 && rig.peers[2].received.count == 1 && rig.peers[0].received.isEmpty)
        // A frame for a station on its own segment goes nowhere, and is counted.
        #expect(rig.fabric.send(Self.frame(to: a, from: Self.mac(9)), from: 0) == .sameSegment)
        #expect(rig.fabric.counters(port: 0).flooded == 2)
        rig.reconcile()
    }

    @Test func entriesAgeOutByTheInjectedClock() {
        let rig = Rig(age: 10, modes: [.access(vlan: 1), .access(vlan: 1), .access(vlan: 1)])
        let a = Self.mac(1), b = Self.mac(2)
        rig.fabric.send(Self.frame(to: b, from: a), from: 0)
        rig.clock.advance(seconds: 9.9)
        #expect(rig.fabric.learnedPort(of: MACAddress(a), vlan: 1) == 0)
        rig.clock.advance(seconds: 0.2)
        #expect(rig.fabric.learnedPort(of: MACAddress(a), vlan: 1) == nil)
        #expect(rig.fabric.macTableCount == 0)
        rig.clear()
        rig.fabric.send(Self.frame(to: a, from: b), from: 1)
        #expect(rig.peers[0].received.count == 1 && rig.peers[2].received.count == 1, "an aged-out address floods again")
        rig.reconcile()
    }

    @Test func aFullTableFloodsInsteadOfGrowingAndReclaimsAgedEntries() {
        let rig = Rig(capacity: 4, age: 10, modes: [.access(vlan: 1), .access(vlan: 1)])
        for last in UInt8(1)...10 { rig.fabric.send(Self.frame(to: Self.broadcast, from: Self.mac(last)), from: 0) }
        #expect(rig.fabric.macTableCount == 4)
        #expect(rig.fabric.addressesNotLearned == 6)
        #expect(rig.fabric.learnedPort(of: MACAddress(Self.mac(10)), vlan: 1) == nil)
        rig.clear()
        rig.fabric.send(Self.frame(to: Self.mac(10), from: Self.mac(20)), from: 1)
        #expect(rig.peers[0].received.count == 1, "an address the full table did not learn is flooded to")
        rig.clock.advance(seconds: 11)
        rig.fabric.send(Self.frame(to: Self.broadcast, from: Self.mac(30)), from: 1)
        #expect(rig.fabric.learnedPort(of: MACAddress(Self.mac(30)), vlan: 1) == 1, "aged entries make room")
        #expect(rig.fabric.macTableCount == 1)
        rig.reconcile()
    }

    @Test func vlansAreIsolatedAndTrunksCarryTags() {
        // p0, p1 on VLAN 10; p2 on VLAN 20; p3 a trunk of 10 and 20; p4 a trunk of 30 only.
        let rig = Rig(modes: [.access(vlan: 10), .access(vlan: 10), .access(vlan: 20), .trunk(allowed: [10, 20]), .trunk(allowed: [30])])
        let a = Self.mac(1), c = Self.mac(3)
        let hello = Self.frame(to: Self.broadcast, from: a)
        rig.fabric.send(hello, from: 0)
        #expect(rig.peers[1].received == [hello])
        #expect(rig.peers[2].received.isEmpty && rig.peers[4].received.isEmpty, "another VLAN sees nothing")
        #expect(rig.peers[3].received == [Self.tagged(hello, vlan: 10)], "the trunk gets it tagged 802.1Q, VLAN 10")
        rig.clear()
        // From the trunk, tagged 20: only VLAN 20's access port, untagged.
        let fromTrunk = Self.frame(to: Self.broadcast, from: c)
        rig.fabric.send(Self.tagged(fromTrunk, vlan: 20), from: 3)
        #expect(rig.peers[2].received == [fromTrunk])
        #expect(rig.peers[0].received.isEmpty && rig.peers[1].received.isEmpty && rig.peers[4].received.isEmpty)
        // The same address in two VLANs is two entries.
        rig.fabric.send(Self.tagged(Self.frame(to: Self.broadcast, from: c), vlan: 10), from: 3)
        #expect(rig.fabric.learnedPort(of: MACAddress(c), vlan: 20) == 3 && rig.fabric.learnedPort(of: MACAddress(c), vlan: 10) == 3)
        rig.clear()
        // Dropped and counted: tagged on an access port, untagged on a trunk, a VLAN the trunk does not carry.
        #expect(rig.fabric.send(Self.tagged(hello, vlan: 20), from: 0) == .taggedOnAccessPort)
        #expect(rig.fabric.send(hello, from: 3) == .untaggedOnTrunk)
        #expect(rig.fabric.send(Self.tagged(hello, vlan: 30), from: 3) == .vlanNotAllowed)
        #expect(rig.fabric.send(Self.tagged(hello, vlan: 30), from: 4) == .noDestination, "VLAN 30 has no other port")
        #expect(rig.peers.allSatisfy { $0.received.isEmpty })
        #expect(rig.fabric.counters(port: 3).rxDropped == [.untaggedOnTrunk: 1, .vlanNotAllowed: 1])
        rig.reconcile()
    }

    @Test func malformedFramesAreDroppedAndCounted() {
        let rig = Rig(modes: [.access(vlan: 1), .trunk(allowed: [1])])
        #expect(rig.fabric.send([1, 2, 3], from: 0) == .undersize)
        #expect(rig.fabric.send([UInt8](repeating: 0, count: 1519), from: 0) == .oversize)
        // An untagged 1518-byte frame is too long to be tagged on a trunk.
        #expect(rig.fabric.send(Self.frame(to: Self.broadcast, from: Self.mac(1), payload: 1504), from: 0) == .oversize)
        // A trunk frame too short for its tag.
        #expect(rig.fabric.send(Self.broadcast + Self.mac(1) + [0x81, 0x00], from: 1) == .undersize)
        #expect(rig.fabric.send(Self.frame(to: Self.broadcast, from: Self.mac(1, 0x01)), from: 0) == .multicastSource)
        #expect(rig.peers.allSatisfy { $0.received.isEmpty })
        #expect(rig.fabric.counters(port: 0).rxDropped == [.undersize: 1, .oversize: 2, .multicastSource: 1])
        #expect(rig.fabric.counters(port: 0).rxBytes == 3 + 1519 + 1518 + 60)
        rig.reconcile()
    }

    @Test func rateAndFloodLimitsDropAndCountByTheClock() {
        let rig = Rig(modes: [.access(vlan: 1), .access(vlan: 1), .access(vlan: 1)],
                      limits: [SwitchPortLimits(framesPerSecond: 10), SwitchPortLimits(bytesPerSecond: 60 * 5), SwitchPortLimits(floodsPerSecond: 3)])
        for _ in 0..<15 { rig.fabric.send(Self.frame(to: Self.mac(2), from: Self.mac(1)), from: 0) }
        #expect(rig.fabric.counters(port: 0).rxDropped == [.rateLimited: 5], "10 frames/s with a bucket of one second")
        rig.clock.advance(seconds: 0.5)
        for _ in 0..<10 { rig.fabric.send(Self.frame(to: Self.mac(2), from: Self.mac(1)), from: 0) }
        #expect(rig.fabric.counters(port: 0).rxDropped == [.rateLimited: 10], "half a second refills 5")
        for _ in 0..<7 { rig.fabric.send(Self.frame(to: Self.mac(1), from: Self.mac(2)), from: 1) }
        #expect(rig.fabric.counters(port: 1).rxDropped == [.rateLimited: 2], "300 bytes/s is five 60-byte frames")
        // Port 2 floods broadcasts: 3 a second pass; unicast to a learned port is not a flood.
        for _ in 0..<5 { rig.fabric.send(Self.frame(to: Self.broadcast, from: Self.mac(3)), from: 2) }
        for _ in 0..<5 { rig.fabric.send(Self.frame(to: Self.mac(1), from: Self.mac(3)), from: 2) }
        #expect(rig.fabric.counters(port: 2).rxDropped == [.floodLimited: 2])
        #expect(rig.fabric.counters(port: 2).flooded == 3 && rig.fabric.counters(port: 2).forwarded == 8)
        rig.reconcile()
    }

    @Test func aRefusingPeerAndAPathMTUAreCountedCopies() {
        let clock = ManualClock()
        let fabric = VirtualSwitch(clock: clock.read)
        let good = SwitchPortPeer(), full = SwitchPortPeer(refuses: true), narrow = SwitchPortPeer()
        _ = fabric.addPort(SwitchPortConfiguration(name: "a", mode: .access(vlan: 1)), peer: good)
        _ = fabric.addPort(SwitchPortConfiguration(name: "b", mode: .access(vlan: 1)), peer: full)
        _ = fabric.addPort(SwitchPortConfiguration(name: "c", mode: .access(vlan: 1), maximumFrameLength: 100), peer: narrow)
        fabric.send(Self.frame(to: Self.broadcast, from: Self.mac(1), payload: 200), from: 0)
        fabric.send(Self.frame(to: Self.broadcast, from: Self.mac(1), payload: 46), from: 0)
        #expect(fabric.counters(port: 1).txDropped == [.egressRefused: 2])
        #expect(fabric.counters(port: 2).txDropped == [.overPathMTU: 1] && narrow.received.count == 1)
        #expect(fabric.counters(port: 0).copies == 4)
    }

    /// Split horizon: two switches joined by two overlay ports each (a loop: A's o1 to B's o1,
    /// A's o2 to B's o2) pass one broadcast across once per overlay and never back, so the loop
    /// carries a bounded number of copies. The overlays' peers here forward synchronously into
    /// the other switch, as two VXLAN tunnels would.
    @Test func splitHorizonKeepsAnOverlayLoopFromCirculatingABroadcast() {
        final class Tunnel: NetworkPeer, @unchecked Sendable {
            var far: VirtualSwitch?
            var farPort = 0
            let carried = Mutex(0)
            func receive(_ frame: EthernetFrame) -> Bool {
                carried.withLock { $0 += 1 }
                guard carried.withLock({ $0 }) < 1000 else { return false }
                far?.send(frame.bytes, from: farPort)
                return true
            }
        }
        let a = VirtualSwitch(), b = VirtualSwitch()
        let guestA = SwitchPortPeer(), guestB = SwitchPortPeer()
        _ = a.addPort(SwitchPortConfiguration(name: "g", mode: .access(vlan: 1)), peer: guestA)
        _ = b.addPort(SwitchPortConfiguration(name: "g", mode: .access(vlan: 1)), peer: guestB)
        var tunnels: [Tunnel] = []
        for _ in 0..<2 {
            let ab = Tunnel(), ba = Tunnel()
            let portA = a.addPort(SwitchPortConfiguration(name: "o", mode: .access(vlan: 1), isOverlay: true), peer: ab)
            let portB = b.addPort(SwitchPortConfiguration(name: "o", mode: .access(vlan: 1), isOverlay: true), peer: ba)
            ab.far = b
            ab.farPort = portB
            ba.far = a
            ba.farPort = portA
            tunnels += [ab, ba]
        }
        a.send(Self.frame(to: Self.broadcast, from: Self.mac(1)), from: 0)
        // A floods to both overlays; B takes each and gives it to its guest only.
        #expect(tunnels.map { $0.carried.withLock { $0 } } == [1, 0, 1, 0])
        #expect(guestB.received.count == 2 && guestA.received.isEmpty)
    }
}

/// VXLAN ports over real UDP on loopback.
@Suite(.serialized) struct VXLANPortTests {
    static func endpoint(_ port: UInt16) -> SocketEndpoint { SocketEndpoint(host: "127.0.0.1", port: port) }

    /// Binds a pair of VXLAN ports to each other on free loopback ports.
    static func pair(vni: UInt32) throws -> (VXLANPort, VXLANPort) {
        for _ in 0..<10 {
            let a = UInt16.random(in: 40000...50000), b = UInt16.random(in: 50001...60000)
            guard let left = try? VXLANPort(local: endpoint(a), remote: endpoint(b), vni: vni) else { continue }
            guard let right = try? VXLANPort(local: endpoint(b), remote: endpoint(a), vni: vni) else {
                left.stop()
                continue
            }
            return (left, right)
        }
        throw SocketNetworkError("no free UDP ports")
    }

    static func waitUntil(_ condition: () -> Bool) {
        for _ in 0..<500 where !condition() { usleep(10_000) }
    }

    @Test func theHeaderIsRFC7348s() {
        #expect(VXLANHeader(vni: 0x12_3456).bytes == [0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0])
        #expect(VXLANHeader(parsing: [0x08, 0xff, 0xff, 0xff, 0, 0, 42, 0xff])?.vni == 42, "reserved bits are ignored on receipt")
        #expect(VXLANHeader(parsing: [0x00, 0, 0, 0, 0, 0, 42, 0]) == nil, "no I flag")
        #expect(VXLANHeader(parsing: [0x08, 0, 0, 0, 0, 0, 42]) == nil, "short")
    }

    /// Two switches joined by two overlays (a loop) pass one broadcast across each overlay once;
    /// split horizon keeps either from sending it back, so the loop goes quiet. Then a datagram
    /// with a bad header and one for another VNI are dropped and counted, and a frame over the
    /// path MTU is dropped and counted on its way out.
    @Test func twoSwitchesInAnOverlayLoopSurviveABroadcastAndBadDatagramsAreCounted() throws {
        let a = VirtualSwitch(), b = VirtualSwitch()
        let guestA = SwitchPortPeer(), guestB = SwitchPortPeer()
        _ = a.addPort(SwitchPortConfiguration(name: "g", mode: .access(vlan: 1)), peer: guestA)
        _ = b.addPort(SwitchPortConfiguration(name: "g", mode: .access(vlan: 1)), peer: guestB)
        var tunnels: [VXLANPort] = []
        var overlayPortsOfB: [Int] = []
        for _ in 0..<2 {
            let (left, right) = try Self.pair(vni: 7)
            _ = left.attach(to: a, name: "o", vlan: 1)
            overlayPortsOfB.append(right.attach(to: b, name: "o", vlan: 1))
            tunnels += [left, right]
        }
        tunnels.forEach { $0.start() }
        defer { tunnels.forEach { $0.stop() } }

        let broadcast = VirtualSwitchTests.frame(to: VirtualSwitchTests.broadcast, from: VirtualSwitchTests.mac(1))
        a.send(broadcast, from: 0)
        Self.waitUntil { guestB.received.count == 2 }
        // The same broadcast after it, so that anything the loop sent back would have arrived first.
        usleep(200_000)
        #expect(guestB.received == [broadcast, broadcast], "one copy over each overlay")
        #expect(guestA.received.isEmpty, "nothing came back around the loop")
        #expect(overlayPortsOfB.allSatisfy { b.counters(port: $0).rxFrames == 1 && b.counters(port: $0).copies == 1 })

        // Bad datagrams, straight at B's first overlay port.
        let sender = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(sender) }
        var address = tunnels[1].local.socketAddress
        for datagram in [[0x00, 0, 0, 0, 0, 0, 7, 0] + broadcast, [0x08, 0, 0, 0, 0, 0, 8, 0] + broadcast, [0x08, 0, 0]] as [[UInt8]] {
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(sender, datagram, datagram.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        Self.waitUntil { b.counters(port: overlayPortsOfB[0]).totalRxDropped == 3 }
        #expect(b.counters(port: overlayPortsOfB[0]).rxDropped == [.overlayHeader: 2, .wrongVNI: 1])
        #expect(guestB.received.count == 2)

        // 1500 - 36 = 1464 bytes fit the path; a 1514-byte frame does not.
        a.send(VirtualSwitchTests.frame(to: VirtualSwitchTests.broadcast, from: VirtualSwitchTests.mac(1), payload: 1500), from: 0)
        #expect(a.counters(port: 1).txDropped == [.overPathMTU: 1] && a.counters(port: 2).txDropped == [.overPathMTU: 1])
    }
}

/// A hostile guest on one port: random frames, a MAC flood and a broadcast storm, bounded in
/// number. The other VLAN sees none of it, the table stays within its bound, and the counters
/// account for every frame.
@Suite struct HostileSwitchTrafficTests {
    @Test func aStormStaysInItsVLANAndEveryFrameIsCounted() {
        let clock = ManualClock()
        let fabric = VirtualSwitch(macTableCapacity: 128, macAge: 10_000_000_000, clock: clock.read)
        let hostile = SwitchPortPeer(), neighbour = SwitchPortPeer(), other = SwitchPortPeer(), trunk = SwitchPortPeer()
        _ = fabric.addPort(SwitchPortConfiguration(name: "h", mode: .access(vlan: 10), limits: SwitchPortLimits(floodsPerSecond: 100)), peer: hostile)
        _ = fabric.addPort(SwitchPortConfiguration(name: "n", mode: .access(vlan: 10)), peer: neighbour)
        _ = fabric.addPort(SwitchPortConfiguration(name: "o", mode: .access(vlan: 20)), peer: other)
        _ = fabric.addPort(SwitchPortConfiguration(name: "t", mode: .trunk(allowed: [20])), peer: trunk)
        var generator = SystemRandomNumberGenerator()
        var sent = 0
        for round in 0..<20 {
            for _ in 0..<200 {
                // Random bytes of random length, tags and group bits included.
                let length = Int.random(in: 0...1600, using: &generator)
                fabric.send((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }, from: 0)
                // A MAC flood: a fresh source each time, to an unknown destination.
                let source: [UInt8] = [0x02, UInt8(round), UInt8.random(in: 0...255), UInt8.random(in: 0...255), UInt8.random(in: 0...255), 1]
                fabric.send(VirtualSwitchTests.frame(to: VirtualSwitchTests.mac(99), from: source), from: 0)
                // A broadcast storm.
                fabric.send(VirtualSwitchTests.frame(to: VirtualSwitchTests.broadcast, from: VirtualSwitchTests.mac(1)), from: 0)
                sent += 3
            }
            clock.advance(seconds: 1)
        }
        #expect(other.received.isEmpty && trunk.received.isEmpty, "VLAN 20 saw nothing")
        #expect(fabric.macTableCount <= 128)
        let counters = fabric.counters(port: 0)
        #expect(counters.rxFrames == sent)
        #expect(counters.rxFrames == counters.forwarded + counters.totalRxDropped)
        #expect(counters.copies == neighbour.received.count, "every copy went to the neighbour on VLAN 10")
        #expect(counters.flooded <= 100 * 21, "the flood limit held: \(counters.flooded)")
        #expect((counters.rxDropped[.floodLimited] ?? 0) > 0)
    }
}
