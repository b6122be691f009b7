import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport
@testable import Network

/// VirtBench's WireGuard port against Debian's wireguard-go, on a TUN device in a network
/// namespace the test makes and configured with `wg`: the port's UDP socket is opened inside that
/// namespace (a thread joins it with setns), so everything stays on the namespace's loopback. A
/// station on the port's switch and the namespace's kernel exchange ICMP and UDP both ways,
/// full-size packets included, with sessions begun from each side; `wg show` agrees with the
/// port's counters.
@Suite(.serialized) struct WireGuardInteropTests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = Pipe(), stderr = Pipe(), stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let out = stdout.fileHandleForReading.readDataToEndOfFile(), err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }

    /// A network namespace holding wireguard-go on interface `name` (10.0.9.2/24, MTU 1500),
    /// configured with `setconf`; it lives until `close`.
    final class Namespace {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        let name: String
        var listenPort: UInt16 = 0

        init(name: String, configuration: String) throws {
            self.name = name
            let wireguardGo = try #require(Tool.wireguardGo.path), wg = try #require(Tool.wireguardTools.path)
            let file = NSTemporaryDirectory() + "virtbench-\(name).conf"
            try configuration.write(toFile: file, atomically: true, encoding: .utf8)
            let script = """
                set -e
                ip link set lo up
                WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \(wireguardGo) -f \(name) >/dev/null 2>&1 & daemon=$!
                i=0; while [ ! -S /var/run/wireguard/\(name).sock ]; do i=$((i+1)); [ $i -lt 200 ] || exit 3; sleep 0.05; done
                \(wg) setconf \(name) \(file)
                rm -f \(file)
                ip addr add 10.0.9.2/24 dev \(name)
                ip link set \(name) mtu 1500 up
                echo ready $(\(wg) show \(name) listen-port)
                cat >/dev/null
                kill $daemon; wait $daemon || true
                """
            process.executableURL = URL(fileURLWithPath: try #require(Tool.networkNamespaceTools.path))
            process.arguments = ["-n", "sh", "-c", script]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            var text = ""
            while !text.contains("\n") {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            let words = text.split(whereSeparator: \.isWhitespace)
            try #require(words.first == "ready", "the namespace did not come up: \(text)")
            listenPort = try #require(words.last.flatMap { UInt16($0) })
        }

        /// Runs a command inside the namespace.
        func run(_ arguments: [String]) throws -> Output {
            try WireGuardInteropTests.run(try #require(Tool.networkNamespaceTools.path).replacingOccurrences(of: "unshare", with: "nsenter"),
                                          ["-t", "\(process.processIdentifier)", "-n"] + arguments)
        }

        func wg(_ arguments: [String]) throws -> Output { try run([try #require(Tool.wireguardTools.path)] + arguments) }

        /// Runs `body` on a thread that has joined the namespace, so the sockets it opens live there.
        func inside<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
            let path = "/proc/\(process.processIdentifier)/ns/net"
            nonisolated(unsafe) var result: Result<T, any Error>?
            let done = DispatchSemaphore(value: 0)
            let thread = Thread {
                let descriptor = open(path, O_RDONLY)
                if descriptor < 0 || Self.setNetworkNamespace(descriptor) != 0 {
                    result = .failure(SocketNetworkError("cannot join \(path): errno \(errno)"))
                } else {
                    result = Result { try body() }
                }
                if descriptor >= 0 { Glibc.close(descriptor) }
                done.signal()
            }
            thread.start()
            done.wait()
            return try result!.get()
        }

        /// setns(2) with CLONE_NEWNET; Glibc's module map does not export setns, so it is looked up.
        static func setNetworkNamespace(_ descriptor: Int32) -> Int32 {
            typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(nil, "setns") else { return -1 }
            let cloneNewNet: Int32 = 0x4000_0000
            return unsafeBitCast(symbol, to: SetNamespace.self)(descriptor, cloneNewNet)
        }

        func close() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    /// A UDP datagram of `payload` bytes from a socket in the namespace to the station's echo port
    /// (don't fragment), and the echo back; nil after `timeout` seconds.
    static func udpEcho(_ namespace: Namespace, to address: String, payload: Int, timeout: Int = 5) throws -> [UInt8]? {
        try namespace.inside {
            let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { Glibc.close(descriptor) }
            var discover = IP_PMTUDISC_DO
            setsockopt(descriptor, Int32(IPPROTO_IP), IP_MTU_DISCOVER, &discover, socklen_t(MemoryLayout<Int32>.size))
            var wait = timeval(tv_sec: timeout, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
            var destination = SocketEndpoint(host: address, port: 7).socketAddress
            let message = (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 13) }
            let sent = message.withUnsafeBytes { bytes in
                withUnsafePointer(to: &destination) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            guard sent == payload else { return nil }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let received = recv(descriptor, &buffer, buffer.count, 0)
            guard received >= 0 else { return nil }
            let reply = Array(buffer[0..<received])
            return reply == message ? reply : nil
        }
    }

    @Test(.requires(.wireguardGo, .wireguardTools, .networkNamespaceTools))
    func pingsAndUDPBothWaysWithWireguardGoInANamespace() throws {
        let wg = try #require(Tool.wireguardTools.path)
        // Keys as wg makes them: our parsing and our public key agree with `wg pubkey`.
        let theirPrivate = try Self.run(wg, ["genkey"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let theirPublic = try Self.run(wg, ["pubkey"], input: theirPrivate + "\n").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(WireGuardKey(base64: theirPrivate)?.publicKey.base64 == theirPublic)
        let ours = WireGuardKey.generatePrivate()
        let psk = try #require(WireGuardKey(base64: try Self.run(wg, ["genpsk"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let name = "vbwg\(getpid() % 100_000)"
        let namespace = try Namespace(name: name, configuration: "[Interface]\nPrivateKey = \(theirPrivate)\n")
        defer { namespace.close() }

        let configuration = try WireGuardConfiguration.parse("""
            [Interface]
            PrivateKey = \(ours.base64)
            [Peer]
            PublicKey = \(theirPublic)
            PresharedKey = \(psk.base64)
            AllowedIPs = 10.0.9.2/32
            Endpoint = 127.0.0.1:\(namespace.listenPort)
            """)
        let gateway = try namespace.inside { try WireGuardPort(configuration: configuration, address: "127.0.0.1") }
        let fabric = VirtualSwitch()
        let station = IPv4Station(mac: "52:54:00:00:09:01", address: "10.0.9.1")
        let gatewayPort = gateway.attach(to: fabric, name: "wg", vlan: 1)
        station.attach(to: fabric)
        gateway.start()
        defer {
            gateway.stop()
            station.stop()
        }
        let pskFile = NSTemporaryDirectory() + "virtbench-\(name).psk"
        try (psk.base64 + "\n").write(toFile: pskFile, atomically: true, encoding: .utf8)
        defer { unlink(pskFile) }
        let addUs = ["set", name, "peer", ours.publicKey.base64, "preshared-key", pskFile, "allowed-ips", "10.0.9.1/32",
                     "endpoint", "127.0.0.1:\(gateway.local.port)"]
        let set = try namespace.wg(addUs)
        #expect(set.status == 0, "\(set.stderr)")

        // The station pings first, so VirtBench initiates; the namespace's kernel answers.
        let small = station.ping("10.0.9.2", size: 84, sequence: 1)
        #expect(small?.count == 84)
        let full = station.ping("10.0.9.2", size: 1500, sequence: 2)
        #expect(full?.count == 1500, "a full-size packet crosses whole")
        #expect(gateway.device.counters(peer: 0).initiationsSent >= 1)

        // Then the namespace sends UDP to the station's echo port, a full-size datagram too.
        #expect(try Self.udpEcho(namespace, to: "10.0.9.1", payload: 100)?.count == 100)
        #expect(try Self.udpEcho(namespace, to: "10.0.9.1", payload: 1472)?.count == 1472, "1500-byte IP packets cross both ways")

        // wireguard-go forgets us (and its counters) and begins a session of its own: VirtBench answers as responder.
        let beforeReadd = gateway.device.counters(peer: 0)
        #expect(try namespace.wg(["set", name, "peer", ours.publicKey.base64, "remove"]).status == 0)
        #expect(try namespace.wg(addUs).status == 0)
        #expect(try Self.udpEcho(namespace, to: "10.0.9.1", payload: 1472)?.count == 1472)
        #expect(station.ping("10.0.9.2", size: 1500, sequence: 3)?.count == 1500)

        let counters = gateway.device.counters(peer: 0)
        #expect(counters.responsesSent >= 1 && counters.handshakes >= 2, "\(counters)")
        #expect(counters.totalDropped == 0 && gateway.device.deviceDrops.isEmpty, "\(counters) \(gateway.device.deviceDrops)")
        #expect(counters.rxPackets == 6 && counters.txPackets == 6, "three pings answered, three UDP echoes: \(counters)")
        let gatewayCounters = gateway.gatewayCounters
        #expect(gatewayCounters.packetsToTunnel == 6 && gatewayCounters.packetsFromTunnel == 6, "\(gatewayCounters)")
        #expect(fabric.counters(port: gatewayPort).rxFrames > 0)

        // wg's view of the same peer: a handshake, and transfer that matches ours after the re-add.
        let handshakes = try namespace.wg(["show", name, "latest-handshakes"]).stdout
        let seconds = handshakes.split(whereSeparator: \.isWhitespace).last.flatMap { Int($0) } ?? 0
        #expect(seconds > 0, "\(handshakes)")
        let transfer = try namespace.wg(["show", name, "transfer"]).stdout.split(whereSeparator: \.isWhitespace)
        try #require(transfer.count == 3, "\(transfer)")
        let theirRx = Int(transfer[1]) ?? -1, theirTx = Int(transfer[2]) ?? -1
        // Since the re-add both count the same datagrams: the handshake's and the transport's.
        let ourRx = counters.rxWireBytes - beforeReadd.rxWireBytes, ourTx = counters.txWireBytes - beforeReadd.txWireBytes
        #expect(theirRx > 0 && theirRx == ourTx && theirTx == ourRx, "wg show transfer: rx \(theirRx) tx \(theirTx); VirtBench: rx \(ourRx) tx \(ourTx)")
    }

    /// VirtBench under load (cookie-load 0: every handshake must carry mac2): wireguard-go's first
    /// initiation gets a cookie reply (XChaCha20-Poly1305 under the hash of our public key, bound
    /// to its mac1); wireguard-go keeps the cookie and its retry REKEY_TIMEOUT later carries mac2,
    /// which VirtBench accepts, and the UDP exchange goes through.
    @Test(.requires(.wireguardGo, .wireguardTools, .networkNamespaceTools))
    func underLoadWireguardGoAnswersVirtBenchsCookieReply() throws {
        let wg = try #require(Tool.wireguardTools.path)
        let theirPrivate = try Self.run(wg, ["genkey"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let theirPublic = try #require(WireGuardKey(base64: theirPrivate)).publicKey
        let ours = WireGuardKey.generatePrivate()
        let name = "vbwc\(getpid() % 100_000)"
        let namespace = try Namespace(name: name, configuration: "[Interface]\nPrivateKey = \(theirPrivate)\n")
        defer { namespace.close() }
        let configuration = WireGuardConfiguration(privateKey: ours, peers: [
            WireGuardPeerConfiguration(publicKey: theirPublic, allowedIPs: [IPPrefix(parsing: "10.0.9.2/32")!],
                                       endpoint: SocketEndpoint(host: "127.0.0.1", port: namespace.listenPort)),
        ])
        let gateway = try namespace.inside { try WireGuardPort(configuration: configuration, address: "127.0.0.1", handshakeLoadLimit: 0) }
        let fabric = VirtualSwitch()
        let station = IPv4Station(mac: "52:54:00:00:09:01", address: "10.0.9.1")
        _ = gateway.attach(to: fabric, name: "wg", vlan: 1)
        station.attach(to: fabric)
        gateway.start()
        defer {
            gateway.stop()
            station.stop()
        }
        #expect(try namespace.wg(["set", name, "peer", ours.publicKey.base64, "allowed-ips", "10.0.9.1/32",
                                  "endpoint", "127.0.0.1:\(gateway.local.port)"]).status == 0)
        #expect(try Self.udpEcho(namespace, to: "10.0.9.1", payload: 1472, timeout: 20)?.count == 1472)
        #expect(gateway.device.cookieRepliesSent >= 1)
        #expect(gateway.device.deviceDrops[.cookieRequired, default: 0] == gateway.device.cookieRepliesSent)
        let counters = gateway.device.counters(peer: 0)
        #expect(counters.responsesSent == 1 && counters.handshakes == 1 && counters.rxPackets == 1, "\(counters)")
    }
}
