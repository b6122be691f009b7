import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
@testable import Network

/// A small IPv4 host on a `VirtualSwitch` port, or on a `virtbench switch` port as a stream client
/// (QEMU's wire format), for the WireGuard gateway tests: it answers ARP for its address, ICMP
/// echo requests and UDP echo (any size), resolves others by ARP, and pings. On an in-process
/// switch its `receive` only queues (the switch is locked then); its own thread answers.
final class IPv4Station: NetworkPeer, @unchecked Sendable {
    let mac: MACAddress
    let address: [UInt8]
    private(set) var port = -1
    private weak var fabric: VirtualSwitch?
    private var stream: Int32 = -1
    private let writeLock = NSLock()
    private let condition = NSCondition()
    private var inbox: [[UInt8]] = []
    private var stopped = false
    private let state = Mutex<(neighbors: [[UInt8]: MACAddress], replies: [UInt16: [UInt8]], requestsAnswered: Int)>(([:], [:], 0))
    private let finished = DispatchGroup()

    init(mac: String, address: String) {
        self.mac = MACAddress(parsing: mac)!
        self.address = IPPrefix.parseAddress(address)!
    }

    func attach(to fabric: VirtualSwitch, vlan: UInt16 = 1) {
        self.fabric = fabric
        port = fabric.addPort(SwitchPortConfiguration(name: "station", mode: .access(vlan: vlan)), peer: self)
        finished.enter()
        Thread { [self] in
            run()
            finished.leave()
        }.start()
    }

    /// Plugs into a `virtbench switch` port listening on the Unix socket `path`.
    func connect(unixPath path: String) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw SocketNetworkError("cannot connect to \(path): errno \(errno)")
        }
        stream = descriptor
        finished.enter()
        Thread { [self] in
            readStream()
            finished.leave()
        }.start()
        finished.enter()
        Thread { [self] in
            run()
            finished.leave()
        }.start()
    }

    private func readStream() {
        func readExactly(_ count: Int) -> [UInt8]? {
            var bytes = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let n = bytes[done...].withUnsafeMutableBytes { recv(stream, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return nil }
                done += n
            }
            return bytes
        }
        while let header = readExactly(4) {
            let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
            guard let frame = readExactly(length) else { return }
            condition.lock()
            inbox.append(frame)
            condition.signal()
            condition.unlock()
        }
    }

    func stop() {
        if stream >= 0 { shutdown(stream, Int32(SHUT_RDWR)) }
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        finished.wait()
        if stream >= 0 { close(stream) }
    }

    var echoRequestsAnswered: Int { state.withLock { $0.requestsAnswered } }

    func receive(_ frame: EthernetFrame) -> Bool {
        condition.lock()
        inbox.append(frame.bytes)
        condition.signal()
        condition.unlock()
        return true
    }

    private func run() {
        while true {
            condition.lock()
            while inbox.isEmpty && !stopped { condition.wait() }
            if stopped {
                condition.unlock()
                return
            }
            let frames = inbox
            inbox = []
            condition.unlock()
            for frame in frames { handle(frame) }
        }
    }

    private func handle(_ frame: [UInt8]) {
        guard frame.count >= 14 else { return }
        let type = UInt16(frame[12]) << 8 | UInt16(frame[13])
        let body = Array(frame[14...])
        if type == 0x0806, body.count >= 28 {
            let senderMAC = MACAddress(body[8..<14]), senderIP = Array(body[14..<18]), target = Array(body[24..<28])
            state.withLock { $0.neighbors[senderIP] = senderMAC }
            if body[7] == 1 && target == address {
                send(Self.ethernet(senderMAC, mac, 0x0806) + [0, 1, 8, 0, 6, 4, 0, 2] + mac.octets + address + senderMAC.octets + senderIP)
            }
        } else if type == 0x0800, body.count >= 28, Array(body[16..<20]) == address, body[9] == 17 {
            // UDP to the echo port (RFC 862): the same payload back, without a UDP checksum (IPv4 allows none).
            let length = Int(body[2]) << 8 | Int(body[3])
            let headerLength = Int(body[0] & 0x0f) * 4
            guard length <= body.count, length >= headerLength + 8, body[headerLength + 2] == 0, body[headerLength + 3] == 7 else { return }
            var packet = Array(body[0..<length])
            let source = Array(packet[12..<16])
            packet.replaceSubrange(12..<16, with: address)
            packet.replaceSubrange(16..<20, with: source)
            let sourcePort = Array(packet[headerLength..<(headerLength + 2)])
            packet.replaceSubrange(headerLength..<(headerLength + 2), with: packet[(headerLength + 2)..<(headerLength + 4)])
            packet.replaceSubrange((headerLength + 2)..<(headerLength + 4), with: sourcePort)
            packet[headerLength + 6] = 0; packet[headerLength + 7] = 0
            packet[10] = 0; packet[11] = 0
            let header = Self.checksum(packet[0..<headerLength])
            packet[10] = UInt8(header >> 8); packet[11] = UInt8(header & 0xff)
            state.withLock { $0.requestsAnswered += 1 }
            send(Self.ethernet(MACAddress(frame[6..<12]), mac, 0x0800) + packet)
        } else if type == 0x0800, body.count >= 28, Array(body[16..<20]) == address, body[9] == 1 {
            let length = Int(body[2]) << 8 | Int(body[3])
            guard length <= body.count else { return }
            var packet = Array(body[0..<length])
            let headerLength = Int(packet[0] & 0x0f) * 4
            if packet[headerLength] == 8 {
                // Echo request: swap the addresses, type 0, new checksums.
                let source = Array(packet[12..<16])
                packet.replaceSubrange(12..<16, with: address)
                packet.replaceSubrange(16..<20, with: source)
                packet[headerLength] = 0
                Self.fillChecksums(&packet)
                let destinationMAC = MACAddress(frame[6..<12])
                state.withLock { $0.requestsAnswered += 1 }
                send(Self.ethernet(destinationMAC, mac, 0x0800) + packet)
            } else if packet[headerLength] == 0 {
                let sequence = UInt16(packet[headerLength + 6]) << 8 | UInt16(packet[headerLength + 7])
                state.withLock { $0.replies[sequence] = packet }
            }
        }
    }

    private func send(_ frame: [UInt8]) {
        guard stream >= 0 else {
            fabric?.send(frame, from: port)
            return
        }
        let message = [UInt8(frame.count >> 24), UInt8((frame.count >> 16) & 0xff), UInt8((frame.count >> 8) & 0xff), UInt8(frame.count & 0xff)] + frame
        writeLock.withLock { _ = message.withUnsafeBytes { Glibc.send(stream, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
    }

    static func ethernet(_ destination: MACAddress, _ source: MACAddress, _ type: UInt16) -> [UInt8] {
        destination.octets + source.octets + [UInt8(type >> 8), UInt8(type & 0xff)]
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        var sum: UInt32 = 0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let high = UInt32(bytes[index]) << 8
            let low = index + 1 < bytes.endIndex ? UInt32(bytes[index + 1]) : 0
            sum += high | low
            index += 2
        }
        while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// The IPv4 header's checksum and the ICMP message's (RFC 791, RFC 792).
    static func fillChecksums(_ packet: inout [UInt8]) {
        let headerLength = Int(packet[0] & 0x0f) * 4
        packet[10] = 0; packet[11] = 0
        let header = checksum(packet[0..<headerLength])
        packet[10] = UInt8(header >> 8); packet[11] = UInt8(header & 0xff)
        packet[headerLength + 2] = 0; packet[headerLength + 3] = 0
        let icmp = checksum(packet[headerLength...])
        packet[headerLength + 2] = UInt8(icmp >> 8); packet[headerLength + 3] = UInt8(icmp & 0xff)
    }

    /// Pings `target` with an IP packet of `size` bytes (DF set); the reply's bytes, or nil after
    /// `timeout` seconds. Resolves the target's MAC by ARP first.
    func ping(_ target: String, size: Int = 84, sequence: UInt16, timeout: Double = 5) -> [UInt8]? {
        let destination = IPPrefix.parseAddress(target)!
        let deadline = Date().addingTimeInterval(timeout)
        var neighbor: MACAddress?
        var asked = Date.distantPast
        while neighbor == nil && Date() < deadline {
            neighbor = state.withLock { $0.neighbors[destination] }
            if neighbor == nil && Date().timeIntervalSince(asked) > 1 {
                send(Self.ethernet(.broadcast, mac, 0x0806) + [0, 1, 8, 0, 6, 4, 0, 1] + mac.octets + address + [0, 0, 0, 0, 0, 0] + destination)
                asked = Date()
            }
            if neighbor == nil { usleep(10_000) }
        }
        guard let neighbor else { return nil }
        var packet = [UInt8](repeating: 0, count: size)
        packet[0] = 0x45
        packet[2] = UInt8(size >> 8); packet[3] = UInt8(size & 0xff)
        packet[6] = 0x40  // DF: a full-size packet must cross whole.
        packet[8] = 64; packet[9] = 1
        packet.replaceSubrange(12..<16, with: address)
        packet.replaceSubrange(16..<20, with: destination)
        packet[20] = 8
        packet[24] = 0x56; packet[25] = 0x42
        packet[26] = UInt8(sequence >> 8); packet[27] = UInt8(sequence & 0xff)
        for i in 28..<size { packet[i] = UInt8(truncatingIfNeeded: i &* 31 &+ Int(sequence)) }
        Self.fillChecksums(&packet)
        send(Self.ethernet(neighbor, mac, 0x0800) + packet)
        while Date() < deadline {
            if let reply = state.withLock({ $0.replies[sequence] }) { return reply }
            usleep(10_000)
        }
        return nil
    }
}
