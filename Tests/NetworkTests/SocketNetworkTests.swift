import Foundation
import Testing
@testable import Network

/// A stream peer written from QEMU's wire format: a 4-byte big-endian length, then the frame.
@Suite struct SocketNetworkTests {
    static func connectedClient(_ port: UInt16) throws -> Int32 {
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = SocketEndpoint(host: "127.0.0.1", port: port).socketAddress
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return client
    }

    static func framed(_ length: Int, _ body: [UInt8]) -> [UInt8] {
        [UInt8((length >> 24) & 0xff), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)] + body
    }

    /// Waits (bounded) for the reader thread; the assertions are on what arrived, not when.
    static func waitUntil(_ condition: () -> Bool) {
        for _ in 0..<500 where !condition() { usleep(10_000) }
    }

    @Test func aHostileStreamPeerIsCountedAndCutOffNeverCrashes() throws {
        var server: SocketNetwork?
        var port: UInt16 = 0
        let link = NetworkLink(name: "s0")
        for _ in 0..<5 where server == nil {
            port = .random(in: 40000...60000)
            server = try? SocketNetwork(link: link, mode: .streamServer(.inet(SocketEndpoint(host: "127.0.0.1", port: port)))) { _ in }
        }
        let network = try #require(server)
        let guest = RecordingPeer()
        link.attach(guest, as: .frontEnd)
        network.start()
        let client = try Self.connectedClient(port)
        defer { close(client) }
        let good = [UInt8](repeating: 0xff, count: 6) + [0x52, 0x54, 0, 0, 0, 1, 0x08, 0x06] + [UInt8](repeating: 7, count: 46)
        var bytes = Self.framed(good.count, good)       // a frame
        bytes += Self.framed(0, [])                      // empty: undersize
        bytes += Self.framed(2000, [UInt8](repeating: 1, count: 2000))  // oversize
        bytes += Self.framed(good.count, good)           // still in step afterwards
        bytes += Self.framed(1 << 30, [])                // a length no frame has: the connection ends
        _ = send(client, bytes, bytes.count, Int32(MSG_NOSIGNAL))
        Self.waitUntil { guest.count == 2 && link.counters(toward: .frontEnd).totalDropped == 3 }
        #expect(guest.frames.withLock { $0.map(\.bytes) } == [good, good])
        // The impossible length is an oversize frame too, and the connection it ended is counted.
        #expect(link.counters(toward: .frontEnd).dropped == [.undersize: 1, .oversize: 2])
        #expect(network.streamCounters.cutOff == 1)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(recv(client, &buffer, buffer.count, 0) == 0, "the back-end closed the connection")

        // A new peer is taken afterwards, and the guest's frames reach it in the same format.
        let second = try Self.connectedClient(port)
        defer { close(second) }
        // Frames sent before the back-end has accepted it are dropped (no peer), so send until one arrives.
        var received: [UInt8] = []
        for _ in 0..<500 where received.count < 4 + good.count {
            link.send(good, from: .frontEnd)
            usleep(10_000)
            let n = recv(second, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 { received += buffer[0..<n] }
        }
        #expect(Array(received.prefix(4 + good.count)) == Self.framed(good.count, good))
    }

    /// Frames the guest sends while no stream peer is connected are the link's drops (no peer),
    /// not deliveries as well; a peer that goes away mid-frame is a truncated frame; `stop` ends
    /// the threads and frees the port (and a Unix socket's file).
    @Test func everyFrameIsCountedOnceAndStopEndsTheThreads() throws {
        let path = NSTemporaryDirectory() + "virtbench-socket-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let link = NetworkLink(name: "s1")
        let network = try SocketNetwork(link: link, mode: .streamServer(.unix(path: path))) { _ in }
        let guest = RecordingPeer()
        link.attach(guest, as: .frontEnd)
        network.start()
        let good = [UInt8](repeating: 0xff, count: 6) + [0x52, 0x54, 0, 0, 0, 1, 0x08, 0x06] + [UInt8](repeating: 7, count: 46)
        for _ in 0..<3 { link.send(good, from: .frontEnd) }
        Self.waitUntil { link.counters(toward: .backEnd).totalDropped == 3 }
        let toPeer = link.counters(toward: .backEnd)
        #expect(toPeer.dropped == [.noPeer: 3])
        #expect(toPeer.frames == 0 && toPeer.bytes == 0 && toPeer.sent == 3)

        let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        try SocketNetwork.withSocketAddress(.unix(path: path)) { pointer, length in
            #expect(connect(client, pointer, length) == 0)
        }
        var bytes = Self.framed(good.count, good)
        bytes += Self.framed(good.count, Array(good.prefix(20)))   // the peer stops mid-frame
        _ = send(client, bytes, bytes.count, Int32(MSG_NOSIGNAL))
        shutdown(client, Int32(SHUT_WR))
        Self.waitUntil { link.counters(toward: .frontEnd).totalDropped == 1 }
        #expect(guest.frames.withLock { $0.map(\.bytes) } == [good])
        #expect(link.counters(toward: .frontEnd).dropped == [.truncated: 1])
        #expect(network.streamCounters.connections == 1)

        network.stop()
        #expect(!FileManager.default.fileExists(atPath: path), "stop removes the socket file")
    }
}
