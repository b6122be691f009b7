import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// Two machines on one Ethernet through QEMU's socket back-ends and wire formats: two VirtBench
/// processes on `-netdev stream` (a 4-byte big-endian length before each frame), a VirtBench
/// listening with `-netdev socket,listen=` and a QEMU connecting with `-netdev socket,connect=`,
/// and a VirtBench and a QEMU on `-netdev dgram` (one frame per UDP datagram). Each guest sets a
/// static address (`kit.net-ip=`), pings the other until it answers and waits to be pinged.
@Suite(.serialized) struct NetworkSocketTests {
    struct Machine {
        var qemu: Bool
        var netdev: String
        var address: String
        var peer: String
        var mac: String
    }

    static func arguments(_ machine: Machine) -> [String] {
        KitNetworkGuest.arguments(test: "net-peers", address: machine.address, ping: machine.peer, netdev: machine.netdev, mac: machine.mac)
    }

    static func launch(_ machine: Machine) throws -> ProcessResult {
        machine.qemu
            ? ProcessRunner.run(try #require(Tool.qemuSystemRISCV64.path), arguments(machine), timeout: 400)
            : try ProcessRunner.runVirtBench(["run"] + arguments(machine), timeout: 400)
    }

    /// Whether something accepts TCP connections on 127.0.0.1:port (a server that takes one peer
    /// at a time sees this probe come and go before the real client).
    static func accepts(_ port: UInt16) -> Bool {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    /// Runs `first`, then (once `waitFor` accepts connections, if given) `second`, side by side;
    /// both must ping each other.
    static func pingEachOther(_ first: Machine, _ second: Machine, waitFor port: UInt16? = nil) throws {
        let results = ResultBox()
        let group = DispatchGroup()
        group.enter()
        Thread { results.set(0, try? launch(first)); group.leave() }.start()
        if let port {
            var ready = false
            for _ in 0..<300 where !ready {
                ready = accepts(port)
                if !ready { usleep(100_000) }
            }
            #expect(ready, "the listening side never accepted on port \(port)")
        }
        group.enter()
        Thread { results.set(1, try? launch(second)); group.leave() }.start()
        group.wait()
        for (index, machine) in [first, second].enumerated() {
            let result = try #require(results.get(index))
            let lines = result.stdout.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix("kernel-kit: ") }
            #expect(result.status == 0, "\(machine.qemu ? "QEMU" : "VirtBench"): \(result.stderr)")
            #expect(lines.contains("kernel-kit: static \(machine.address)/24"), "\(lines)")
            #expect(lines.contains("kernel-kit: ping \(machine.peer) answered yes"), "\(machine.qemu ? "QEMU" : "VirtBench"): \(lines)")
            #expect(lines.contains("kernel-kit: pinged by the peer yes"), "\(lines)")
        }
    }

    final class ResultBox: @unchecked Sendable {
        // @unchecked: every access holds `lock`.
        private let lock = NSLock()
        private var results: [Int: ProcessResult] = [:]
        func set(_ index: Int, _ result: ProcessResult?) { lock.withLock { results[index] = result } }
        func get(_ index: Int) -> ProcessResult? { lock.withLock { results[index] } }
    }

    @Test(.requires(.kernelKitNetPeers, .virtbench)) func twoVirtBenchesPingOverStream() throws {
        let port = LoopbackHTTPServer.freePort()
        let inet = "addr.type=inet,addr.host=127.0.0.1,addr.port=\(port)"
        try Self.pingEachOther(
            Machine(qemu: false, netdev: "stream,id=n0,server=on,\(inet)", address: "10.0.3.1", peer: "10.0.3.2", mac: "52:54:00:00:03:01"),
            Machine(qemu: false, netdev: "stream,id=n0,server=off,\(inet)", address: "10.0.3.2", peer: "10.0.3.1", mac: "52:54:00:00:03:02"),
            waitFor: port)
    }

    @Test(.requires(.kernelKitNetPeers, .virtbench, .qemuSystemRISCV64)) func virtBenchListensAndQEMUConnectsOverSocket() throws {
        let port = LoopbackHTTPServer.freePort()
        try Self.pingEachOther(
            Machine(qemu: false, netdev: "socket,id=n0,listen=127.0.0.1:\(port)", address: "10.0.3.1", peer: "10.0.3.2", mac: "52:54:00:00:03:01"),
            Machine(qemu: true, netdev: "socket,id=n0,connect=127.0.0.1:\(port)", address: "10.0.3.2", peer: "10.0.3.1", mac: "52:54:00:00:03:02"),
            waitFor: port)
    }

    @Test(.requires(.kernelKitNetPeers, .virtbench, .qemuSystemRISCV64)) func virtBenchAndQEMUPingOverDgram() throws {
        let a = LoopbackHTTPServer.freePort(), b = LoopbackHTTPServer.freePort()
        func dgram(local: UInt16, remote: UInt16) -> String {
            "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=\(local),remote.type=inet,remote.host=127.0.0.1,remote.port=\(remote)"
        }
        try Self.pingEachOther(
            Machine(qemu: false, netdev: dgram(local: a, remote: b), address: "10.0.3.1", peer: "10.0.3.2", mac: "52:54:00:00:03:01"),
            Machine(qemu: true, netdev: dgram(local: b, remote: a), address: "10.0.3.2", peer: "10.0.3.1", mac: "52:54:00:00:03:02"))
    }

    @Test(.requires(.virtbench)) func badSocketOptionsAreOneLineErrors() throws {
        let cases: [([String], String)] = [
            (["-netdev", "stream,id=n0,server=on,addr.type=unix"], "addr.path is required with addr.type=unix"),
            (["-netdev", "stream,id=n0,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=1,addr.path=/tmp/s"], "addr.path goes with addr.type=unix only"),
            (["-netdev", "stream,id=n0,server=on,addr.type=fd,addr.host=3,addr.port=1"], "inet or unix"),
            (["-netdev", "dgram,id=n0,remote.type=inet,remote.host=127.0.0.1,remote.port=1"], "local.type= is not available"),
            (["-netdev", "socket,id=n0,listen=127.0.0.1:1,connect=127.0.0.1:2"], "exactly one of listen="),
            (["-netdev", "socket,id=n0,mcast=230.0.0.1:1234"], "Invalid parameter 'mcast'"),
            (["-netdev", "socket,id=n0,connect=localhost:1"], "not an IPv4 address"),
            (["-netdev", "stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=1", "-device", "virtio-net-device,netdev=n0"], "cannot connect to 127.0.0.1:1"),
        ]
        for (arguments, fragment) in cases {
            let all = ["run", "-M", "virt", "-bios", "none", "-kernel", "/nonexistent"] + arguments
            let result = try ProcessRunner.runVirtBench(all, timeout: 30)
            result.expectOneLineError(for: all, containing: fragment, sourceLocation: #_sourceLocation)
        }
    }
}
