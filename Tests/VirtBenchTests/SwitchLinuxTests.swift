import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// Debian's Linux guests on `virtbench switch` (`kit.test=net-switch`): guests plug in with
/// `-netdev stream` as clients (VirtBench's and QEMU's), ping each other and move a 256 KiB file
/// with matching SHA-256 on one VLAN, cannot reach each other on two, cross two switches joined
/// by an 802.1Q trunk whose capture tshark decodes, reach Linux's own vxlan device in a
/// network namespace over a VXLAN port, and cross two switches joined by WireGuard.
@Suite(.serialized) struct SwitchLinuxTests {
    struct Guest {
        var qemu = false
        var netdev: String
        var address: String
        var ping: String
        var mac: String
        var extra = ""
        /// VirtBench's own options (`--mode hav`), after QEMU's.
        var options: [String] = []
    }

    static func arguments(_ guest: Guest) -> [String] {
        KitNetworkGuest.arguments(test: "net-switch", address: guest.address, ping: guest.ping, extra: guest.extra,
                                  netdev: guest.netdev, mac: guest.mac)
    }

    static func launch(_ guest: Guest) throws -> ProcessResult {
        let arguments = arguments(guest)
        return guest.qemu
            ? ProcessRunner.run(try #require(Tool.qemuSystemRISCV64.path), arguments, timeout: 500)
            : try ProcessRunner.runVirtBench(["run"] + arguments + guest.options, timeout: 500)
    }

    /// Runs the guests side by side; their kit lines, in order.
    static func runTogether(_ guests: [Guest]) throws -> [(ProcessResult, [String])] {
        let results = NetworkSocketTests.ResultBox()
        let group = DispatchGroup()
        for (index, guest) in guests.enumerated() {
            group.enter()
            Thread { results.set(index, try? launch(guest)); group.leave() }.start()
        }
        group.wait()
        return try guests.indices.map { index in
            let result = try #require(results.get(index))
            return (result, result.stdout.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix("kernel-kit: ") })
        }
    }

    static func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "virtbench-switch-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)"
    }

    /// Starts a switch and waits for it to say it is ready.
    static func startSwitch(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> SpawnedVirtBench {
        let process = try SpawnedVirtBench(["switch"] + arguments, sourceLocation: sourceLocation)
        _ = process.waitFor("virtbench switch: ready", sourceLocation: sourceLocation)
        return process
    }

    /// SIGTERM, then the switch's exit status and its per-port counter lines.
    static func stopSwitch(_ process: SpawnedVirtBench) throws -> (Int32, [String: String]) {
        kill(process.pid, SIGTERM)
        let result = try #require(process.wait(timeout: 30), "the switch exits on SIGTERM")
        var lines: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") where line.hasPrefix("virtbench switch: port ") && line.contains(": rx ") {
            let name = line.dropFirst("virtbench switch: port ".count).prefix { $0 != ":" }
            lines[String(name)] = String(line)
        }
        return (result.status, lines)
    }

    /// "rx N frames ... forwarded F ... dropped D": every frame that arrived is accounted for.
    static func reconciles(_ line: String) -> Bool {
        func number(after word: String) -> Int? {
            guard let range = line.range(of: word + " ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        guard let rx = number(after: "rx"), let forwarded = number(after: "forwarded"), let dropped = number(after: "), dropped") else { return false }
        return rx == forwarded + dropped && rx > 0
    }

    static func unix(_ path: String) -> String { "stream,id=n0,server=off,addr.type=unix,addr.path=\(path)" }

    /// Two guests on access ports of VLAN 10 (one port a Unix socket, one TCP): they ping each
    /// other and the second fetches the first's file with the same SHA-256; on QEMU too.
    @Test(.requires(.kernelKitNetSwitch, .virtbench, .qemuSystemRISCV64), arguments: [false, true])
    func twoGuestsOnOneVLANPingAndMoveAFile(secondIsQEMU: Bool) throws {
        try Self.pingAndMoveAFile(second: Guest(qemu: secondIsQEMU, netdev: "", address: "", ping: "", mac: ""))
    }

    /// The same with hav domains of the Swift hypervisor: two of them, and a hav server with a
    /// native client. Each domain's NIC is in its virtio-mmio slots, behind its own PLIC.
    @Test(.requires(.kernelKitNetSwitch, .virtbench), arguments: [true, false])
    func havGuestsOnOneVLANPingAndMoveAFile(secondIsHav: Bool) throws {
        try Self.pingAndMoveAFile(first: ["--mode", "hav"], second: Guest(netdev: "", address: "", ping: "", mac: "",
                                                                          options: secondIsHav ? ["--mode", "hav"] : []))
    }

    /// A server guest (VirtBench, with `first` options) on a Unix-socket port and a client
    /// (`second`'s runner and options) on a TCP port of VLAN 10: they ping each other and the
    /// client fetches the server's file with the same SHA-256; the switch accounts for every frame.
    static func pingAndMoveAFile(first: [String] = [], second: Guest) throws {
        let socketPath = Self.temporaryPath("a.sock")
        let port = LoopbackHTTPServer.freePort()
        let fabric = try Self.startSwitch(["--port", "a,listen=unix:\(socketPath),vlan=10", "--port", "b,listen=tcp:127.0.0.1:\(port),vlan=10"])
        let outcome = try Self.runTogether([
            Guest(netdev: Self.unix(socketPath), address: "10.0.6.1", ping: "10.0.6.2", mac: "52:54:00:00:06:01", extra: " kit.net-serve=yes",
                  options: first),
            Guest(qemu: second.qemu, netdev: "stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=\(port)",
                  address: "10.0.6.2", ping: "10.0.6.1", mac: "52:54:00:00:06:02", extra: " kit.net-fetch=http://10.0.6.1:8080/blob.bin",
                  options: second.options),
        ])
        let (status, counters) = try Self.stopSwitch(fabric)
        let (server, serverLines) = outcome[0], (client, clientLines) = outcome[1]
        #expect(server.status == 0 && client.status == 0, "\(server.stderr)\n\(client.stderr)")
        #expect(serverLines.contains("kernel-kit: ping 10.0.6.2 answered yes"), "\(serverLines)")
        #expect(clientLines.contains("kernel-kit: ping 10.0.6.1 answered yes"), "\(clientLines)")
        let served = try #require(serverLines.first { $0.hasPrefix("kernel-kit: serving 262144 bytes sha256 ") }, "\(serverLines)")
        let digest = String(served.suffix(64))
        #expect(clientLines.contains("kernel-kit: fetched 262144 bytes sha256 \(digest)"), "\(clientLines)")
        #expect(serverLines.contains("kernel-kit: connections served 2"), "\(serverLines)")
        #expect(status == 0)
        for name in ["a", "b"] {
            let line = try #require(counters[name], "\(counters)")
            #expect(Self.reconciles(line), "\(line)")
            #expect(line.contains("1 connections, 0 cut off"), "\(line)")
        }
    }

    /// Guests on VLANs 10 and 20 of one switch: neither answers the other's ping, and the
    /// switch counts their broadcasts (ARP) as frames with nowhere to go.
    @Test(.requires(.kernelKitNetSwitch, .virtbench)) func guestsOnDifferentVLANsCannotReachEachOther() throws {
        let a = Self.temporaryPath("a.sock"), b = Self.temporaryPath("b.sock")
        let fabric = try Self.startSwitch(["--port", "a,listen=unix:\(a),vlan=10", "--port", "b,listen=unix:\(b),vlan=20"])
        let outcome = try Self.runTogether([
            Guest(netdev: Self.unix(a), address: "10.0.7.1", ping: "10.0.7.2", mac: "52:54:00:00:07:01", extra: " kit.net-tries=6"),
            Guest(netdev: Self.unix(b), address: "10.0.7.2", ping: "10.0.7.1", mac: "52:54:00:00:07:02", extra: " kit.net-tries=6"),
        ])
        let (status, counters) = try Self.stopSwitch(fabric)
        #expect(status == 0)
        #expect(outcome[0].1.contains("kernel-kit: ping 10.0.7.2 answered no"), "\(outcome[0].1)")
        #expect(outcome[1].1.contains("kernel-kit: ping 10.0.7.1 answered no"), "\(outcome[1].1)")
        for name in ["a", "b"] {
            let line = try #require(counters[name], "\(counters)")
            #expect(Self.reconciles(line) && line.contains("no destination"), "\(line)")
            #expect(line.contains("tx 0 frames"), "nothing crossed between the VLANs: \(line)")
        }
    }

    /// Two VirtBench hosts joined by WireGuard: each runs a switch with a guest and a `--wireguard`
    /// port (keys from `wg genkey`, a preshared key from `wg genpsk`) to the other, on loopback.
    /// The guests ping each other through the tunnel and the second fetches the first's 256 KiB
    /// file with the same SHA-256; each end counts one handshake and what one sent the other got.
    @Test(.requires(.kernelKitNetSwitch, .virtbench, .wireguardTools))
    func guestsOnTwoSwitchesJoinedByWireGuardPingAndMoveAFile() throws {
        let wg = try #require(Tool.wireguardTools.path)
        func shell(_ command: String) -> String {
            ProcessRunner.run("/bin/sh", ["-c", command], timeout: 30).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let privateA = shell("\(wg) genkey"), privateB = shell("\(wg) genkey"), psk = shell("\(wg) genpsk")
        let publicA = shell("echo \(privateA) | \(wg) pubkey"), publicB = shell("echo \(privateB) | \(wg) pubkey")
        let portA = LoopbackHTTPServer.freePort(), portB = LoopbackHTTPServer.freePort()
        let configA = Self.temporaryPath("a.conf"), configB = Self.temporaryPath("b.conf")
        defer { unlink(configA); unlink(configB) }
        try "[Interface]\nPrivateKey = \(privateA)\nListenPort = \(portA)\n\n[Peer]\nPublicKey = \(publicB)\nPresharedKey = \(psk)\nAllowedIPs = 10.0.8.2/32\nEndpoint = 127.0.0.1:\(portB)\n"
            .write(toFile: configA, atomically: true, encoding: .utf8)
        try "[Interface]\nPrivateKey = \(privateB)\nListenPort = \(portB)\n\n[Peer]\nPublicKey = \(publicA)\nPresharedKey = \(psk)\nAllowedIPs = 10.0.8.1/32\nEndpoint = 127.0.0.1:\(portA)\n"
            .write(toFile: configB, atomically: true, encoding: .utf8)
        let a = Self.temporaryPath("a.sock"), b = Self.temporaryPath("b.sock")
        let switchA = try Self.startSwitch(["--port", "g,listen=unix:\(a)", "--wireguard", "wg,config=\(configA),address=127.0.0.1"])
        let switchB = try Self.startSwitch(["--port", "g,listen=unix:\(b)", "--wireguard", "wg,config=\(configB),address=127.0.0.1"])
        // The fetching guest starts once the serving one serves: the kit fetches right after its
        // first answered ping, and a server still writing its file would refuse the connection.
        let serving = try SpawnedVirtBench(["run"] + Self.arguments(
            Guest(netdev: Self.unix(a), address: "10.0.8.1", ping: "10.0.8.2", mac: "52:54:00:00:08:01", extra: " kit.net-serve=yes kit.net-tries=240")))
        let deadline = ProcessRunner.now() + 400
        while !serving.stdout.contains("kernel-kit: serving") && ProcessRunner.now() < deadline { usleep(50_000) }
        let fetching = try Self.launch(
            Guest(netdev: Self.unix(b), address: "10.0.8.2", ping: "10.0.8.1", mac: "52:54:00:00:08:02", extra: " kit.net-fetch=http://10.0.8.1:8080/blob.bin"))
        let served = try #require(serving.wait(timeout: 400), "the serving guest ends")
        let outcome = [served, fetching].map { result in
            (result, result.stdout.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix("kernel-kit: ") })
        }
        var peerLines: [String] = []
        for (fabric, peer) in [(switchA, publicB), (switchB, publicA)] {
            kill(fabric.pid, SIGTERM)
            let result = try #require(fabric.wait(timeout: 30), "the switch exits on SIGTERM")
            #expect(result.status == 0, "\(result.stderr)")
            let line = try #require(result.stdout.split(separator: "\n").first { $0.contains("wireguard wg peer \(peer):") }, "\(result.stdout)")
            peerLines.append(String(line))
            #expect(line.contains("handshakes 1 ") && line.contains("dropped 0"), "\(line)")
        }
        let (server, serverLines) = outcome[0], (client, clientLines) = outcome[1]
        #expect(server.status == 0 && client.status == 0, "\(server.stderr)\n\(client.stderr)")
        #expect(serverLines.contains("kernel-kit: ping 10.0.8.2 answered yes"), "\(serverLines)")
        #expect(clientLines.contains("kernel-kit: ping 10.0.8.1 answered yes"), "\(clientLines)")
        let file = try #require(serverLines.first { $0.hasPrefix("kernel-kit: serving 262144 bytes sha256 ") }, "\(serverLines)")
        #expect(clientLines.contains("kernel-kit: fetched 262144 bytes sha256 \(file.suffix(64))"), "\(clientLines)")
        // "transfer rx N tx M": what A sent on the wire (the file, encrypted) B received, and back.
        func transfer(_ line: String) -> [Int] {
            guard let range = line.range(of: "transfer rx ") else { return [] }
            return line[range.upperBound...].split(separator: " ").compactMap { Int($0) }.prefix(2).map { $0 }
        }
        let carriedA = transfer(peerLines[0]), carriedB = transfer(peerLines[1])
        #expect(carriedA.count == 2 && carriedA == carriedB.reversed() && carriedA[1] > 262_144, "\(peerLines)")
    }

    /// Two switches joined by an 802.1Q trunk (the second switch's trunk port connects to the
    /// first's); a guest on VLAN 10 of each pings the other; tshark reads the first switch's
    /// capture of the trunk and finds every frame tagged with VLAN 10, ICMP among them.
    @Test(.requires(.kernelKitNetSwitch, .virtbench, .tshark)) func twoSwitchesJoinedByATrunkCarryTaggedFrames() throws {
        let a = Self.temporaryPath("a.sock"), b = Self.temporaryPath("b.sock"), capture = Self.temporaryPath("trunk.pcap")
        defer { unlink(capture) }
        let trunkPort = LoopbackHTTPServer.freePort()
        let first = try Self.startSwitch(["--port", "g,listen=unix:\(a),vlan=10", "--port", "t,listen=tcp:127.0.0.1:\(trunkPort),trunk=10:20",
                                          "--capture", "t=\(capture)"])
        let second = try Self.startSwitch(["--port", "t,connect=tcp:127.0.0.1:\(trunkPort),trunk=10:20", "--port", "g,listen=unix:\(b),vlan=10"])
        let outcome = try Self.runTogether([
            Guest(netdev: Self.unix(a), address: "10.0.8.1", ping: "10.0.8.2", mac: "52:54:00:00:08:01"),
            Guest(netdev: Self.unix(b), address: "10.0.8.2", ping: "10.0.8.1", mac: "52:54:00:00:08:02"),
        ])
        let (secondStatus, secondCounters) = try Self.stopSwitch(second)
        let (firstStatus, firstCounters) = try Self.stopSwitch(first)
        #expect(firstStatus == 0 && secondStatus == 0)
        #expect(outcome[0].1.contains("kernel-kit: ping 10.0.8.2 answered yes"), "\(outcome[0].1)")
        #expect(outcome[1].1.contains("kernel-kit: ping 10.0.8.1 answered yes"), "\(outcome[1].1)")
        for line in Array(firstCounters.values) + Array(secondCounters.values) { #expect(Self.reconciles(line), "\(line)") }
        let decoded = ProcessRunner.run(try #require(Tool.tshark.path), ["-r", capture, "-T", "fields", "-e", "vlan.etype", "-e", "vlan.id", "-e", "_ws.col.Protocol"], timeout: 60)
        #expect(decoded.status == 0, "\(decoded.stderr)")
        let rows = decoded.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(!rows.isEmpty)
        #expect(rows.allSatisfy { $0.count >= 2 && $0[1] == "10" }, "every frame on the trunk is tagged VLAN 10: \(decoded.stdout)")
        #expect(rows.contains { $0.last == "ICMP" } && rows.contains { $0.last == "ARP" }, "\(decoded.stdout)")
    }

    /// A guest on a VirtBench switch reaches Linux's vxlan device in another network namespace.
    /// `unshare -rn` makes namespace A, which runs the switch; a second namespace B (unshare -n
    /// inside A) holds the kernel's vx0 (VNI 42, 10.0.9.9/24, MTU 1450) on one end of a veth pair
    /// (192.0.2.2), the switch's VXLAN port uses the other (192.0.2.1). Two namespaces because
    /// Linux's vxlan delivers to a local destination address without encapsulating at all. The
    /// guest, outside both, plugs into the switch over a Unix socket, lowers its MTU to 1450 for
    /// VXLAN's 50 bytes and pings 10.0.9.9; dumpcap on A's veth end records the UDP, which
    /// tshark decodes as VXLAN with VNI 42 around the guest's ICMP.
    @Test(.requires(.vxlanNamespace), .requires(.kernelKitNetSwitch, .virtbench, .tshark, .networkNamespaceTools))
    func aGuestPingsLinuxsVXLANDeviceInANamespace() throws {
        let socketPath = Self.temporaryPath("g.sock"), capture = Self.temporaryPath("vxlan.pcap")
        defer { unlink(capture) }
        let virtbench = try #require(ProcessRunner.virtbenchPath)
        let dumpcap = try #require(Tool.tshark.path).replacingOccurrences(of: "tshark", with: "dumpcap")
        let script = """
            set -e
            ip link set lo up
            ip link add veth0 type veth peer name veth1
            ip addr add 192.0.2.1/24 dev veth0
            ip link set veth0 up
            unshare -n sleep 100000 & peer=$!
            while [ "$(readlink /proc/$peer/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.1; done
            ip link set veth1 netns $peer
            nsenter -t $peer -n sh -ec 'ip link set lo up; ip addr add 192.0.2.2/24 dev veth1; ip link set veth1 up
                ip link add vx0 type vxlan id 42 dstport 4789 remote 192.0.2.1 local 192.0.2.2 nolearning
                ip link set vx0 mtu 1450; ip addr add 10.0.9.9/24 dev vx0; ip link set vx0 up'
            \(dumpcap) -q -i veth0 -f udp -w \(capture) 2>/dev/null & capture=$!
            sleep 1
            \(virtbench) switch --port g,listen=unix:\(socketPath),vlan=1 --vxlan vx,local=192.0.2.1:4789,remote=192.0.2.2:4789,vni=42,vlan=1 & switch=$!
            trap 'kill -TERM $switch; wait $switch; status=$?; sleep 1; kill -TERM $capture; wait $capture; kill $peer; nsenter -t $peer -n ip -s link show vx0 | sed "s/^/namespace: /"; exit $status' TERM
            wait $switch
            """
        let fabric = try SpawnedVirtBench(["-rn", "sh", "-c", script], executable: try #require(Tool.networkNamespaceTools.path))
        _ = fabric.waitFor("virtbench switch: ready")
        let outcome = try Self.runTogether([
            Guest(netdev: Self.unix(socketPath), address: "10.0.9.1", ping: "10.0.9.9", mac: "52:54:00:00:09:01", extra: " kit.net-mtu=1450 kit.net-tries=30"),
        ])
        let (status, counters) = try Self.stopSwitch(fabric)
        #expect(status == 0, "\(fabric.stderr)")
        #expect(outcome[0].1.contains("kernel-kit: eth0 mtu 1450"), "\(outcome[0].1)")
        #expect(outcome[0].1.contains("kernel-kit: ping 10.0.9.9 answered yes"), "\(outcome[0].1)\n\(fabric.stdout)")
        for name in ["g", "vx"] {
            let line = try #require(counters[name], "\(counters)")
            #expect(Self.reconciles(line), "\(line)")
        }
        let decoded = ProcessRunner.run(try #require(Tool.tshark.path), ["-r", capture, "-d", "udp.port==4789,vxlan",
                                                                           "-T", "fields", "-e", "vxlan.vni", "-e", "ip.src", "-e", "ip.dst", "-e", "_ws.col.Protocol"], timeout: 60)
        #expect(decoded.status == 0, "\(decoded.stderr)")
        let rows = decoded.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        #expect(!rows.isEmpty && rows.allSatisfy { $0.first == "42" }, "\(decoded.stdout)")
        // tshark gives the outer and the inner IP addresses (192.0.2.1,10.0.9.1).
        #expect(rows.contains { $0.count >= 4 && $0[1].contains("10.0.9.1") && $0[2].contains("10.0.9.9") && $0[3] == "ICMP" }, "\(decoded.stdout)")
        #expect(rows.contains { $0.count >= 4 && $0[1].contains("10.0.9.9") && $0[2].contains("10.0.9.1") && $0[3] == "ICMP" }, "\(decoded.stdout)")
    }

    @Test(.requires(.virtbench)) func badSwitchOptionsAreOneLineErrors() throws {
        let keyless = Self.temporaryPath("wg.conf")
        try "[Interface]\nListenPort = 51820\n".write(toFile: keyless, atomically: true, encoding: .utf8)
        defer { unlink(keyless) }
        let cases: [([String], String)] = [
            ([], "give at least one --port, --vxlan or --wireguard"),
            (["--wireguard", "w"], "config=FILE (wg's configuration format) is required"),
            (["--wireguard", "w,config=/nonexistent/wg.conf"], "cannot read /nonexistent/wg.conf"),
            (["--wireguard", "w,config=\(keyless)"], "the [Interface] needs a PrivateKey"),
            (["--wireguard", "w,config=\(keyless),trunk=3"], "unknown key 'trunk'"),
            (["--wireguard", "w,config=\(keyless),address=localhost"], "is not an IPv4 address"),
            (["--wireguard", "w,config=\(keyless),mac=ff:ff:ff:ff:ff:ff"], "is not a unicast MAC address"),
            (["--port", "a"], "exactly one of listen= or connect="),
            (["--port", "a,listen=unix:/tmp/x,vlan=0"], "vlan=0 is not a number in 1...4094"),
            (["--port", "a,listen=unix:/tmp/x,trunk=10:5000"], "'5000' is not a VLAN id"),
            (["--port", "a,listen=unix:/tmp/x,vlan=3,trunk=4"], "exclude each other"),
            (["--port", "a,listen=udp:1.2.3.4:5"], "is not unix:PATH or tcp:IP:PORT"),
            (["--port", "a,listen=tcp:localhost:5"], "is not IP:PORT"),
            (["--port", "a,listen=unix:/tmp/x,speed=9"], "unknown key 'speed'"),
            (["--port", "a,listen=unix:/tmp/x", "--port", "a,listen=unix:/tmp/y"], "given twice"),
            (["--vxlan", "v,local=127.0.0.1:1,remote=127.0.0.1:2,vni=16777216"], "vni=16777216"),
            (["--vxlan", "v,local=127.0.0.1:1,vni=3"], "are required"),
            (["--port", "a,listen=unix:/tmp/x", "--capture", "b=/tmp/c.pcap"], "no port named 'b'"),
            (["--port", "a,connect=tcp:127.0.0.1:1"], "cannot connect to 127.0.0.1:1"),
            (["--port", "a,listen=unix:/tmp/x", "--mac-table-size", "0"], "--mac-table-size must be positive"),
        ]
        for (arguments, fragment) in cases {
            let all = ["switch"] + arguments
            let result = try ProcessRunner.runVirtBench(all, timeout: 30)
            result.expectOneLineError(for: all, containing: fragment, sourceLocation: #_sourceLocation)
        }
    }

    /// A hostile client on a port: an oversize length, garbage, a frame cut off by a disconnect;
    /// the switch cuts it off, counts it, keeps serving the next client and exits cleanly.
    @Test(.requires(.virtbench)) func hostileClientsAreCutOffAndCounted() throws {
        let path = Self.temporaryPath("h.sock")
        let fabric = try Self.startSwitch(["--port", "h,listen=unix:\(path)", "--port", "o,listen=unix:\(Self.temporaryPath("o.sock"))"])
        func connected() throws -> Int32 {
            let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            try #require(status == 0)
            return client
        }
        func send(_ client: Int32, _ bytes: [UInt8]) { _ = Glibc.send(client, bytes, bytes.count, Int32(MSG_NOSIGNAL)) }
        let frame = [UInt8](repeating: 0xff, count: 6) + [2, 0, 0, 0, 0, 1, 0x08, 0x06] + [UInt8](repeating: 0, count: 46)
        // 1: garbage (a short frame), a good frame, then a length no frame has: cut off.
        var client = try connected()
        send(client, [0, 0, 0, 3, 1, 2, 3] + [0, 0, 0, 60] + frame + [0x7f, 0xff, 0xff, 0xff])
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(recv(client, &buffer, buffer.count, 0) == 0, "the switch closes the connection")
        close(client)
        // 2: the next client is served, and stops in the middle of a frame.
        client = try connected()
        send(client, [0, 0, 0, 60] + frame.prefix(30))
        shutdown(client, Int32(SHUT_WR))
        _ = recv(client, &buffer, buffer.count, 0)
        close(client)
        let (status, counters) = try Self.stopSwitch(fabric)
        #expect(status == 0)
        let line = try #require(counters["h"], "\(counters)")
        #expect(line.contains("2 connections, 1 cut off"), "\(line)")
        #expect(line.contains("in dropped oversize 1, truncated 1, undersize 1"), "\(line)")
        #expect(line.contains("rx 1 frames"), "\(line)")
    }
}
