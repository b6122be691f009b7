import Foundation
import Testing
@testable import Network

@Suite struct UserNetworkTests {
    static let guestMAC: [UInt8] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]

    /// An ARP request (RFC 826) from 10.0.2.15 asking for `target`.
    static func arpRequest(for target: [UInt8]) -> [UInt8] {
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + guestMAC + [0x08, 0x06]
            + [0, 1, 0x08, 0, 6, 4, 0, 1] + guestMAC + [10, 0, 2, 15] + [0, 0, 0, 0, 0, 0] + target
    }

    /// Waits (bounded) for the loop's thread to answer; the assertion is on what came, not when.
    static func waitForFrames(_ guest: RecordingPeer, count: Int) -> [EthernetFrame] {
        for _ in 0..<500 {
            let frames = guest.frames.withLock { $0 }
            if frames.count >= count { return frames }
            usleep(10_000)
        }
        return guest.frames.withLock { $0 }
    }

    @Test func theGatewayAnswersARPAsQEMUsUserNetwork() throws {
        let link = NetworkLink(name: "n0")
        let guest = RecordingPeer()
        link.attach(guest, as: .frontEnd)
        let network = try UserNetwork(link: link, restricted: false, hostForwards: []) { _ in }
        network.start()
        link.send(Self.arpRequest(for: [10, 0, 2, 2]), from: .frontEnd)
        let replies = Self.waitForFrames(guest, count: 1)
        let reply = try #require(replies.first)
        #expect(reply.destination.octets == Self.guestMAC)
        #expect(reply.etherType == 0x0806)
        #expect(Array(reply.bytes[20..<22]) == [0, 2], "an ARP reply")
        #expect(Array(reply.bytes[28..<32]) == [10, 0, 2, 2], "for the gateway")
        #expect(Array(reply.bytes[38..<42]) == [10, 0, 2, 15], "to the guest")
        #expect(link.counters(toward: .backEnd).frames == 1)
        #expect(link.counters(toward: .frontEnd).frames >= 1)
    }

    @Test func aHostfwdRuleOnAPortInUseIsAnError() throws {
        // A port libslirp could bind once (a few tries, in case another process holds one).
        var taken: (UserNetwork, HostForward)?
        for _ in 0..<5 where taken == nil {
            let rule = HostForward(transport: .tcp, hostAddress: "127.0.0.1", hostPort: .random(in: 40000...60000), guestAddress: nil, guestPort: 22)
            if let network = try? UserNetwork(link: NetworkLink(name: "a"), restricted: false, hostForwards: [rule], errorLog: { _ in }) {
                taken = (network, rule)
            }
        }
        let (holder, rule) = try #require(taken)
        #expect(holder.hostForwards == [rule])
        #expect(throws: UserNetworkError.self) {
            _ = try UserNetwork(link: NetworkLink(name: "b"), restricted: false, hostForwards: [rule]) { _ in }
        }
    }
}
