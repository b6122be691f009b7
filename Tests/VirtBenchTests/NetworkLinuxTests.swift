import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import TestSupport

/// A tiny HTTP/1.0 server on host loopback (127.0.0.1, a free port) for the guest on `-netdev user`
/// to reach through 10.0.2.2. It serves `blob.bin`; a GET of `/release` first connects to the
/// guest's forwarded port on the host (hostfwd), fetches `/guest.txt` there, keeps the body, and
/// only then answers: so the guest stays up until a host client has reached it, with no timing.
final class LoopbackHTTPServer: @unchecked Sendable {
    // @unchecked: `listener` and `port` are set in init and never change; results are behind a Mutex.
    let listener: Int32
    let port: UInt16
    let blob: [UInt8]
    let guestPort: UInt16
    let fromGuest = Mutex<String?>(nil)
    let requests = Mutex<[String]>([])

    init(blob: [UInt8], guestPort: UInt16) throws {
        self.blob = blob
        self.guestPort = guestPort
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        try #require(bound == 0 && listen(descriptor, 8) == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        listener = descriptor
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    /// A free TCP port on 127.0.0.1 (bound and released: the caller binds it again at once).
    static func freePort() -> UInt16 {
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }

    func stop() { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            let request = Self.readRequest(connection)
            let path = request.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            requests.withLock { $0.append(path) }
            switch path {
            case "/blob.bin": Self.respond(connection, body: blob)
            case "/release":
                let body = Self.fetch(port: guestPort, path: "/guest.txt")
                fromGuest.withLock { $0 = body }
                Self.respond(connection, body: Array((body == nil ? "no answer" : "ok").utf8))
            default: Self.respond(connection, body: Array("not found".utf8), status: "404 Not Found")
            }
            close(connection)
        }
    }

    static func readRequest(_ descriptor: Int32) -> String {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: data, as: UTF8.self).contains("\r\n\r\n") {
            let n = recv(descriptor, &chunk, chunk.count, 0)
            guard n > 0 else { break }
            data += chunk[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func respond(_ descriptor: Int32, body: [UInt8], status: String = "200 OK") {
        let head = "HTTP/1.0 \(status)\r\nContent-Length: \(body.count)\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
        var bytes = Array(head.utf8) + body
        while !bytes.isEmpty {
            let n = send(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL))
            guard n > 0 else { return }
            bytes.removeFirst(n)
        }
    }

    /// GET http://127.0.0.1:PORT/PATH: the body, or nil when nothing answered with 200.
    static func fetch(port: UInt16, path: String) -> String? {
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: guest\r\n\r\n".utf8)
        guard send(client, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return nil }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(client, &chunk, chunk.count, 0)
            guard n > 0 else { break }
            data += chunk[0..<n]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.0 200") || text.hasPrefix("HTTP/1.1 200"), let split = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[split.upperBound...])
    }
}

/// Debian's Linux on virtio-net over `-netdev user` (libslirp), on VirtBench and on QEMU with the
/// same command line (`kit.test=net`): eth0 gets QEMU's DHCP lease (10.0.2.15, router 10.0.2.2,
/// DNS 10.0.2.3), fetches a file from a server on host loopback through 10.0.2.2 with a matching
/// SHA-256, and serves a file that a host client fetches through `hostfwd`. Over virtio-mmio
/// (legacy and modern) and virtio-pci.
@Suite(.serialized) struct NetworkLinuxTests {
    static let guestPort: UInt16 = 8080

    struct Outcome {
        var result: ProcessResult
        var lines: [String]
        var fromGuest: String?
        var expectedDigest: String
    }

    static func sha256(_ bytes: [UInt8]) throws -> String {
        let file = ProcessRunner.temporaryFile("blob.bin", bytes)
        defer { ProcessRunner.remove(file) }
        let digest = ProcessRunner.run("/usr/bin/sha256sum", [file], timeout: 30)
        return String(digest.stdout.prefix(64))
    }

    /// Boots the kit with kit.test=net on `device` (virtio-net-device or virtio-net-pci) and a
    /// `-netdev user` with a hostfwd rule; `qemu` runs qemu-system-riscv64 instead of virtbench.
    static func run(device: String, forceLegacy: String = "true", qemu: Bool = false, restrict: Bool = false,
                    extra: [String] = []) throws -> Outcome {
        var blob = [UInt8](repeating: 0, count: 200_000)
        var seed: UInt64 = 0x9e37_79b9_7f4a_7c15
        for i in blob.indices {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            blob[i] = UInt8(truncatingIfNeeded: seed >> 33)
        }
        let hostPort = LoopbackHTTPServer.freePort()
        let server = try LoopbackHTTPServer(blob: blob, guestPort: hostPort)
        defer { server.stop() }
        let kit = Tool.kernelKitDirectory
        let append = "console=ttyS0 kit.test=net kit.net-fetch=http://10.0.2.2:\(server.port)/blob.bin"
            + " kit.net-serve=\(guestPort)" + (restrict ? "" : " kit.net-release=http://10.0.2.2:\(server.port)/release")
        let arguments = ["-M", "virt", "-m", "512M", "-nographic", "-kernel", kit + "/Image", "-initrd", kit + "/initrd.gz",
                         "-append", append, "-global", "virtio-mmio.force-legacy=\(forceLegacy)",
                         "-netdev", "user,id=n0\(restrict ? ",restrict=on" : ""),hostfwd=tcp:127.0.0.1:\(hostPort)-:\(guestPort)",
                         "-device", "\(device),netdev=n0,mac=52:54:00:12:34:99"] + extra
        let result = qemu
            ? ProcessRunner.run(try #require(Tool.qemuSystemRISCV64.path), arguments, timeout: 300)
            : try ProcessRunner.runVirtBench(["run"] + arguments, timeout: 400)
        let lines = result.stdout.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix("kernel-kit: ") }
        return Outcome(result: result, lines: lines, fromGuest: server.fromGuest.withLock { $0 }, expectedDigest: try sha256(blob))
    }

    static func expected(digest: String) -> [String] {
        [
            "kernel-kit: running test net",
            "kernel-kit: eth0 mac 52:54:00:12:34:99",
            "kernel-kit: dhcp lease 10.0.2.15/24 router 10.0.2.2 dns 10.0.2.3",
            "kernel-kit: eth0 carrier 1 operstate up",
            "kernel-kit: fetched 200000 bytes sha256 \(digest)",
            "kernel-kit: serving on \(guestPort)",
            "kernel-kit: released: ok",
        ]
    }

    static func check(_ outcome: Outcome, sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = outcome.lines.filter { !$0.hasPrefix("kernel-kit: netdev ") && !$0.hasPrefix("kernel-kit: fetch took ") && !$0.contains("powering off") }
        #expect(outcome.result.status == 0, "\(outcome.result.stderr)\n\(outcome.result.stdout.suffix(3000))", sourceLocation: sourceLocation)
        #expect(lines == expected(digest: outcome.expectedDigest), "\(outcome.result.stdout.suffix(3000))", sourceLocation: sourceLocation)
        #expect(outcome.fromGuest == "served by the guest\n", "the host client reached the guest's port", sourceLocation: sourceLocation)
    }

    @Test(.requires(.kernelKitNet, .virtbench), arguments: ["true", "false"])
    func linuxOnVirtioNetMMIOFetchesFromHostLoopbackAndIsReachedThroughHostfwd(forceLegacy: String) throws {
        Self.check(try Self.run(device: "virtio-net-device", forceLegacy: forceLegacy))
    }

    @Test(.requires(.kernelKitNet, .virtbench)) func linuxOnVirtioNetPCIFetchesFromHostLoopbackAndIsReachedThroughHostfwd() throws {
        Self.check(try Self.run(device: "virtio-net-pci"))
    }

    /// The same guest as a hav domain of the Swift hypervisor: its NIC in one of the domain's
    /// virtio-mmio slots, interrupts through the domain's PLIC, and frames from libslirp's thread
    /// waking the hypervisor while the domain waits in WFI. With --icount too: the guest's clock
    /// is its instructions, frames still arrive when the host delivers them.
    @Test(.requires(.kernelKitNet, .virtbench), arguments: [false, true])
    func aHavGuestFetchesFromHostLoopbackAndIsReachedThroughHostfwd(icount: Bool) throws {
        Self.check(try Self.run(device: "virtio-net-device", extra: ["--mode", "hav"] + (icount ? ["--icount"] : [])))
    }

    @Test(.requires(.kernelKitNet, .qemuSystemRISCV64), arguments: ["virtio-net-device", "virtio-net-pci"])
    func qemuPrintsTheSameLines(device: String) throws {
        Self.check(try Self.run(device: device, qemu: true))
    }

    /// restrict=on: the guest still gets its lease (libslirp then names no router and no DNS), but
    /// reaches nothing, host loopback included; QEMU, on the same library, behaves the same.
    @Test(.requires(.kernelKitNet, .virtbench, .qemuSystemRISCV64), arguments: [false, true])
    func restrictOnKeepsTheGuestFromHostLoopback(qemu: Bool) throws {
        let outcome = try Self.run(device: "virtio-net-device", qemu: qemu, restrict: true)
        #expect(outcome.result.status == 0, "\(outcome.result.stderr)")
        #expect(outcome.lines.contains { $0.hasPrefix("kernel-kit: dhcp lease 10.0.2.15/24 router  dns") }, "\(outcome.lines)")
        #expect(outcome.lines.contains { $0.hasPrefix("kernel-kit: fetch of ") && $0.hasSuffix(" failed") }, "\(outcome.lines)")
        #expect(!outcome.lines.contains { $0.hasPrefix("kernel-kit: fetched ") })
    }

    /// `-object filter-dump` on VirtBench and on QEMU: tshark reads both captures and finds the
    /// same conversation in them: QEMU's DHCP exchange with the guest's MAC, and the guest's HTTP
    /// GET to 10.0.2.2.
    @Test(.requires(.kernelKitNet, .virtbench, .qemuSystemRISCV64, .tshark), arguments: [false, true])
    func filterDumpWritesAPcapThatTsharkDecodes(qemu: Bool) throws {
        try Self.expectCapturedConversation(qemu: qemu)
    }

    /// The same capture of a hav domain's NIC.
    @Test(.requires(.kernelKitNet, .virtbench, .tshark)) func filterDumpCapturesAHavGuest() throws {
        try Self.expectCapturedConversation(extra: ["--mode", "hav"])
    }

    static func expectCapturedConversation(qemu: Bool = false, extra: [String] = []) throws {
        let capture = ProcessRunner.temporaryFile("capture.pcap", [])
        defer { ProcessRunner.remove(capture) }
        let outcome = try Self.run(device: "virtio-net-device", qemu: qemu, extra: ["-object", "filter-dump,id=f0,netdev=n0,file=\(capture)"] + extra)
        Self.check(outcome)
        let tshark = try #require(Tool.tshark.path)
        let decoded = ProcessRunner.run(tshark, ["-r", capture, "-Y", "dhcp || http.request", "-T", "fields", "-e", "ip.src", "-e", "ip.dst",
                                                 "-e", "dhcp.option.dhcp", "-e", "dhcp.hw.mac_addr", "-e", "http.request.uri"], timeout: 60)
        #expect(decoded.status == 0, "\(decoded.stderr)")
        let rows = decoded.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        // DHCP message types (RFC 2132 §9.6): 1 Discover, 2 Offer, 3 Request, 5 ACK.
        let dhcp = rows.filter { $0.count >= 4 && !$0[2].isEmpty }
        #expect(dhcp.map { $0[2] } == ["1", "2", "3", "5"], "\(decoded.stdout)")
        // The client's hardware address, in chaddr and again in the client identifier (option 61) when the guest sends.
        #expect(dhcp.allSatisfy { $0[3].split(separator: ",").allSatisfy { $0 == "52:54:00:12:34:99" } }, "\(decoded.stdout)")
        #expect(dhcp.filter { $0[0] == "10.0.2.2" }.count == 2, "the offer and the ACK come from 10.0.2.2")
        #expect(rows.contains { $0.count >= 5 && $0[0] == "10.0.2.15" && $0[1] == "10.0.2.2" && $0[4] == "/blob.bin" }, "\(decoded.stdout)")
    }

    @Test(.requires(.virtbench)) func badNetworkOptionsAreOneLineErrors() throws {
        let cases: [([String], String)] = [
            (["-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n1"], "can't find value 'n1'"),
            (["-netdev", "user,id=n0,smb=/tmp", "-device", "virtio-net-device,netdev=n0"], "Invalid parameter 'smb'"),
            (["-netdev", "tap,id=n0"], "-netdev tap is not available"),
            (["-netdev", "user", "-device", "virtio-net-device,netdev=n0"], "Parameter 'id' is missing"),
            (["-netdev", "user,id=n0,hostfwd=tcp::99999-:22"], "invalid host forwarding rule"),
            (["-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0,mac=01:00:5e:00:00:01"], "doesn't take value"),
            (["-netdev", "user,id=n0", "-device", "virtio-net-device"], "netdev= is required"),
            (["-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0", "-device", "virtio-net-pci,netdev=n0"], "it's in use"),
            (["-netdev", "user,id=n0", "-netdev", "user,id=n0"], "Duplicate ID 'n0'"),
            (["--mode", "full", "-netdev", "user,id=n0"], "-netdev applies to --mode native and hav only, not --mode full"),
            (["--mode", "para", "-object", "filter-dump,id=f0,netdev=n0,file=/tmp/x.pcap"], "-object applies to --mode native and hav only"),
            (["-netdev", "user,id=n0", "-object", "filter-dump,id=f0,netdev=n1,file=/tmp/x.pcap"], "can't find value 'n1'"),
            (["-netdev", "user,id=n0", "-object", "filter-dump,id=f0,netdev=n0"], "needs file=PATH"),
            (["-netdev", "user,id=n0", "-object", "filter-dump,id=f0,netdev=n0,file=/tmp/x.pcap,queue=rx"], "Property 'filter-dump.queue' not found"),
            (["-object", "memory-backend-ram,id=m0,size=1G"], "object type 'memory-backend-ram' is not available"),
        ]
        for (arguments, fragment) in cases {
            let all = ["run", "-M", "virt", "-bios", "none", "-kernel", "/nonexistent"] + arguments
            let result = try ProcessRunner.runVirtBench(all, timeout: 30)
            result.expectOneLineError(for: all, containing: fragment, sourceLocation: #_sourceLocation)
        }
    }

    /// A hostfwd port that is taken on the host is an error before the guest starts, as on QEMU.
    @Test(.requires(.virtbench)) func aHostfwdPortInUseIsAnError() throws {
        let server = try LoopbackHTTPServer(blob: [], guestPort: 1)
        defer { server.stop() }
        let all = ["run", "-M", "virt", "-bios", "none", "-kernel", "/nonexistent",
                   "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:\(server.port)-:22", "-device", "virtio-net-device,netdev=n0"]
        let result = try ProcessRunner.runVirtBench(all, timeout: 30)
        result.expectOneLineError(for: all, containing: "could not set up host forwarding rule", sourceLocation: #_sourceLocation)
    }
}
