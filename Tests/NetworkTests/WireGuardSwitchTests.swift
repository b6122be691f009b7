import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport
@testable import Network

/// Two VirtBench hosts joined by WireGuard, as a user runs them: `virtbench switch --wireguard`
/// in two processes on loopback, and a third switch behind the second over VXLAN (path MTU 1600),
/// so a full-size frame (a 1500-byte IP packet) crosses both WireGuard and VXLAN. Stations plug
/// into the end switches as `-netdev stream` clients and ping each other both ways.
@Suite(.serialized) struct WireGuardSwitchTests {
    /// `virtbench switch ...` with stdout in a file the test reads as it grows.
    final class Switch {
        let process = Process()
        let output: String

        init(_ arguments: [String]) throws {
            output = NSTemporaryDirectory() + "virtbench-wgswitch-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
            FileManager.default.createFile(atPath: output, contents: nil)
            process.executableURL = URL(fileURLWithPath: try #require(Tool.virtbench.path))
            process.arguments = ["switch"] + arguments
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            process.standardError = process.standardOutput
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(30)
            while !text.contains("virtbench switch: ready") && process.isRunning && Date() < deadline { usleep(20_000) }
            try #require(text.contains("virtbench switch: ready"), "\(text)")
        }

        var text: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

        /// SIGTERM (the switch takes it with sigwait, whatever mask it inherited); its exit status and output.
        func stop() -> (Int32, String) {
            process.terminate()
            process.waitUntilExit()
            defer { unlink(output) }
            return (process.terminationStatus, text)
        }
    }

    static func freeUDPPort() -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(descriptor) }
        var address = SocketEndpoint(host: "127.0.0.1", port: 0).socketAddress
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }

    /// "transfer rx N tx M bytes" of a peer's line.
    static func transfer(in line: String) -> (rx: Int, tx: Int)? {
        guard let range = line.range(of: "transfer ") else { return nil }
        let rest = String(line[range.upperBound...])
        guard let rx = number(after: "rx", in: rest), let tx = number(after: "tx", in: rest) else { return nil }
        return (rx, tx)
    }

    /// The number after `word ` in `line`.
    static func number(after word: String, in line: String) -> Int? {
        guard let range = line.range(of: word + " ") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    /// Two in-process WireGuard ports on loopback, each with a station on its switch; a hostile
    /// sender throws random datagrams at one of them (random lengths, and the exact lengths of
    /// every message type): each is dropped and counted before it reaches a peer, and the tunnel
    /// still carries a full-size ping afterwards.
    @Test func hostileDatagramsAreDroppedAndCountedAndTheTunnelStillCarries() throws {
        let keyA = WireGuardKey.generatePrivate(), keyB = WireGuardKey.generatePrivate()
        let portB = Self.freeUDPPort()
        let gatewayA = try WireGuardPort(configuration: WireGuardConfiguration(privateKey: keyA, peers: [
            WireGuardPeerConfiguration(publicKey: keyB.publicKey, allowedIPs: [IPPrefix(parsing: "10.0.5.2/32")!],
                                       endpoint: SocketEndpoint(host: "127.0.0.1", port: portB)),
        ]), address: "127.0.0.1")
        let gatewayB = try WireGuardPort(configuration: WireGuardConfiguration(privateKey: keyB, listenPort: portB, peers: [
            WireGuardPeerConfiguration(publicKey: keyA.publicKey, allowedIPs: [IPPrefix(parsing: "10.0.5.1/32")!]),
        ]), address: "127.0.0.1")
        let fabricA = VirtualSwitch(), fabricB = VirtualSwitch()
        let stationA = IPv4Station(mac: "52:54:00:00:05:01", address: "10.0.5.1")
        let stationB = IPv4Station(mac: "52:54:00:00:05:02", address: "10.0.5.2")
        _ = gatewayA.attach(to: fabricA, name: "wg", vlan: 1)
        _ = gatewayB.attach(to: fabricB, name: "wg", vlan: 1)
        stationA.attach(to: fabricA)
        stationB.attach(to: fabricB)
        gatewayA.start()
        gatewayB.start()
        defer {
            gatewayA.stop(); gatewayB.stop()
            stationA.stop(); stationB.stop()
        }
        #expect(stationA.ping("10.0.5.2", size: 1500, sequence: 1)?.count == 1500)

        let attacker = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(attacker) }
        var target = SocketEndpoint(host: "127.0.0.1", port: portB).socketAddress
        var generator = SystemRandomNumberGenerator()
        let count = 1000
        for index in 0..<count {
            let lengths = [0, 1, 3, 4, 31, 32, 64, 92, 148, 200, Int.random(in: 0...1600, using: &generator)]
            var datagram = (0..<lengths[index % lengths.count]).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Half of them look like real messages: a valid type and zero reserved bytes.
            if index % 2 == 0, datagram.count >= 4 {
                datagram[0] = UInt8(1 + index / 2 % 4)
                datagram[1] = 0; datagram[2] = 0; datagram[3] = 0
            }
            _ = datagram.withUnsafeBytes { bytes in
                withUnsafePointer(to: &target) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(attacker, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            // Paced, so the loopback socket's buffer never overflows and every one is seen.
            if index % 20 == 19 { usleep(2_000) }
        }
        let deadline = Date().addingTimeInterval(10)
        while gatewayB.device.deviceDrops.values.reduce(0, +) < count && Date() < deadline { usleep(10_000) }
        let drops = gatewayB.device.deviceDrops
        #expect(drops.values.reduce(0, +) == count, "\(drops)")
        #expect(drops[.malformed, default: 0] > 0 && drops[.badMAC1, default: 0] > 0 && drops[.unknownIndex, default: 0] > 0
                && drops[.unknownType, default: 0] > 0, "\(drops)")
        #expect(gatewayB.device.counters(peer: 0).totalDropped == 0, "nothing reached the peer: \(gatewayB.device.counters(peer: 0))")
        #expect(stationB.ping("10.0.5.1", size: 1500, sequence: 2)?.count == 1500, "the tunnel still carries")
        #expect(gatewayB.device.counters(peer: 0).handshakes == 1)
    }

    @Test(.requires(.virtbench)) func twoSwitchesJoinedByWireGuardCarryFullSizeFramesAcrossVXLANToo() throws {
        let directory = NSTemporaryDirectory() + "virtbench-wg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keyA = WireGuardKey.generatePrivate(), keyB = WireGuardKey.generatePrivate(), psk = WireGuardKey.generatePrivate()
        let portB = Self.freeUDPPort(), vxlanB = Self.freeUDPPort(), vxlanC = Self.freeUDPPort()
        // A knows where B is; B learns A's endpoint from A's first handshake.
        try """
            [Interface]
            PrivateKey = \(keyA.base64)

            [Peer]
            PublicKey = \(keyB.publicKey.base64)
            PresharedKey = \(psk.base64)
            AllowedIPs = 10.0.7.2/32
            Endpoint = 127.0.0.1:\(portB)
            """.write(toFile: directory + "/a.conf", atomically: true, encoding: .utf8)
        try """
            [Interface]
            PrivateKey = \(keyB.base64)
            ListenPort = \(portB)

            [Peer]
            PublicKey = \(keyA.publicKey.base64)
            PresharedKey = \(psk.base64)
            AllowedIPs = 10.0.7.1/32
            """.write(toFile: directory + "/b.conf", atomically: true, encoding: .utf8)

        let switchC = try Switch(["--port", "s,listen=unix:\(directory)/c.sock",
                                  "--vxlan", "vx,local=127.0.0.1:\(vxlanC),remote=127.0.0.1:\(vxlanB),vni=7,mtu=1600"])
        let switchB = try Switch(["--wireguard", "wg,config=\(directory)/b.conf,address=127.0.0.1",
                                  "--vxlan", "vx,local=127.0.0.1:\(vxlanB),remote=127.0.0.1:\(vxlanC),vni=7,mtu=1600"])
        let switchA = try Switch(["--port", "s,listen=unix:\(directory)/a.sock", "--wireguard", "wg,config=\(directory)/a.conf,address=127.0.0.1"])
        #expect(switchA.text.contains("public key \(keyA.publicKey.base64)"), "\(switchA.text)")
        let stationA = IPv4Station(mac: "52:54:00:00:07:01", address: "10.0.7.1")
        let stationB = IPv4Station(mac: "52:54:00:00:07:02", address: "10.0.7.2")
        try stationA.connect(unixPath: directory + "/a.sock")
        try stationB.connect(unixPath: directory + "/c.sock")

        #expect(stationA.ping("10.0.7.2", size: 84, sequence: 1, timeout: 10)?.count == 84)
        #expect(stationA.ping("10.0.7.2", size: 1500, sequence: 2)?.count == 1500, "a 1514-byte frame crosses WireGuard and VXLAN")
        #expect(stationB.ping("10.0.7.1", size: 1500, sequence: 3)?.count == 1500, "and back")
        stationA.stop()
        stationB.stop()

        let (statusA, outputA) = switchA.stop(), (statusB, outputB) = switchB.stop(), (statusC, outputC) = switchC.stop()
        #expect(statusA == 0 && statusB == 0 && statusC == 0, "\(outputA)\n\(outputB)\n\(outputC)")
        let peerA = try #require(outputA.split(separator: "\n").first { $0.contains("wireguard wg peer \(keyB.publicKey.base64)") }.map(String.init), "\(outputA)")
        let peerB = try #require(outputB.split(separator: "\n").first { $0.contains("wireguard wg peer \(keyA.publicKey.base64)") }.map(String.init), "\(outputB)")
        #expect(Self.number(after: "handshakes", in: peerA) == 1 && Self.number(after: "handshakes", in: peerB) == 1, "\(peerA)\n\(peerB)")
        // Three pings each way: A sent two requests and one reply, and got two replies and one request.
        #expect(Self.number(after: "tx", in: peerA) == 3 && Self.number(after: "rx", in: peerA) == 3, "\(peerA)")
        #expect(Self.number(after: "tx", in: peerB) == 3 && Self.number(after: "rx", in: peerB) == 3, "\(peerB)")
        #expect(peerA.contains("dropped 0") && peerB.contains("dropped 0"), "\(peerA)\n\(peerB)")
        #expect(peerB.contains("endpoint 127.0.0.1:"), "B learned A's endpoint: \(peerB)")
        // What one side sent on the wire the other received, handshakes included.
        let transferA = try #require(Self.transfer(in: peerA)), transferB = try #require(Self.transfer(in: peerB))
        #expect(transferA.rx == transferB.tx && transferA.tx == transferB.rx && transferA.rx > 3000, "\(peerA)\n\(peerB)")
        #expect(outputC.contains("over path mtu") == false, "\(outputC)")
    }
}
