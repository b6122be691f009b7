import Foundation
import Testing
import TestSupport
@testable import Storage

/// A server on 127.0.0.1 (a port the system picks) over one image, run on a thread of its own;
/// stopped (connections cut, image flushed) by `finish`.
final class ServedImage: @unchecked Sendable {
    let server: NBDServer
    let port: UInt16
    private let finished = DispatchSemaphore(value: 0)
    let log = LogLines()

    init(_ driver: any BlockDriver, name: String = "disk", readOnly: Bool = false, maximumClients: Int = 0) throws {
        let log = self.log
        server = NBDServer(driver: driver, exportName: name, readOnly: readOnly) { log.append($0) }
        let listener = try NBDListener.tcp(host: "127.0.0.1", port: 0)
        port = try #require(listener.port)
        let server = self.server, finished = self.finished
        Thread {
            try? server.run(listener: listener, maximumClients: maximumClients, persistent: true)
            finished.signal()
        }.start()
    }

    var uri: String { "nbd://127.0.0.1:\(port)/disk" }

    func finish() {
        server.stop()
        finished.wait()
    }
}

final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

/// A client written by hand, byte by byte, to send what a real client never would.
struct RawNBDClient {
    let socket: NBDSocket

    init(port: UInt16) throws { socket = try NBDSocket.connect(host: "127.0.0.1", port: port) }

    /// The server's greeting: NBDMAGIC, IHAVEOPT, its handshake flags.
    func greeting() throws -> UInt16 {
        var reader = NBDReader(try socket.receive(18))
        #expect(reader.u64() == NBDProtocol.initialMagic)
        #expect(reader.u64() == NBDProtocol.optionMagic)
        return reader.u16()!
    }

    func send(_ bytes: [UInt8]) throws { try socket.send(bytes) }

    func option(_ code: UInt32, _ data: [UInt8], length: UInt32? = nil, magic: UInt64 = NBDProtocol.optionMagic) throws {
        var message = NBDWriter()
        message.u64(magic)
        message.u32(code)
        message.u32(length ?? UInt32(data.count))
        message.append(data)
        try socket.send(message.bytes)
    }

    /// One option reply: its option, type and data.
    func optionReply() throws -> (option: UInt32, type: UInt32, data: [UInt8]) {
        var header = NBDReader(try socket.receive(20))
        #expect(header.u64() == NBDProtocol.optionReplyMagic)
        let option = header.u32()!, type = header.u32()!, length = header.u32()!
        return (option, type, try socket.receive(Int(length)))
    }

    static func goData(_ name: String, infos: [UInt16] = []) -> [UInt8] {
        var data = NBDWriter()
        data.u32(UInt32(name.utf8.count))
        data.append(Array(name.utf8))
        data.u16(UInt16(infos.count))
        for info in infos { data.u16(info) }
        return data.bytes
    }

    /// Greeting, fixed newstyle without zeroes, NBD_OPT_GO for `name`, replies to the ACK.
    func go(_ name: String = "disk") throws {
        _ = try greeting()
        var flags = NBDWriter()
        flags.u32(NBDProtocol.ClientFlag.fixedNewstyle | NBDProtocol.ClientFlag.noZeroes)
        try send(flags.bytes)
        try option(NBDProtocol.Option.go, Self.goData(name))
        while try optionReply().type != NBDProtocol.Reply.ack {}
    }

    func request(_ type: UInt16, flags: UInt16 = 0, offset: UInt64, length: UInt32, payload: [UInt8] = [], magic: UInt32 = NBDProtocol.requestMagic) throws {
        var header = NBDWriter()
        header.u32(magic)
        header.u16(flags)
        header.u16(type)
        header.u64(0x1234)
        header.u64(offset)
        header.u32(length)
        try socket.send(header.bytes + payload)
    }

    /// The error value of a simple reply, and `dataLength` bytes after it when it is 0.
    func reply(dataLength: Int = 0) throws -> (error: UInt32, data: [UInt8]) {
        var header = NBDReader(try socket.receive(16))
        #expect(header.u32() == NBDProtocol.simpleReplyMagic)
        let error = header.u32()!
        #expect(header.u64() == 0x1234)
        return (error, error == 0 ? try socket.receive(dataLength) : [])
    }

    /// Whether the server has closed the connection (a receive sees its end).
    var isClosed: Bool {
        socket.setTimeout(seconds: 10)
        do { _ = try socket.receive(1); return false } catch { return error.code != 110 /* ETIMEDOUT: still open */ }
    }
}

@Suite struct NBDTests {
    static let size = 1 << 20

    static func rawImage(_ scratch: Scratch, fill: UInt8 = 0x5a) throws -> String {
        let path = scratch.path("disk.raw")
        try writeFile(path, [UInt8](repeating: fill, count: size))
        return path
    }

    @Test func uriSpellingsParseAsQEMUWritesThem() throws {
        #expect(try NBDAddress(uri: "nbd://127.0.0.1:10810/disk") == NBDAddress(endpoint: .tcp(host: "127.0.0.1", port: 10810), exportName: "disk"))
        #expect(try NBDAddress(uri: "nbd://server") == NBDAddress(endpoint: .tcp(host: "server", port: 10809), exportName: ""))
        #expect(try NBDAddress(uri: "nbd+tcp://[::1]:99/a%20b") == NBDAddress(endpoint: .tcp(host: "::1", port: 99), exportName: "a b"))
        #expect(try NBDAddress(uri: "nbd+unix:///vol?socket=/tmp/s.sock") == NBDAddress(endpoint: .unix(path: "/tmp/s.sock"), exportName: "vol"))
        for bad in ["nbd://h:0/x", "nbd://h:70000/x", "nbd+unix:///x", "nbd+unix://host/x?socket=/s", "nbd://h/x?socket=/s", "nbd+ssh://h/x", "nbd://[::1/x"] {
            expectRefusal("NBD URI", bad) { _ = try NBDAddress(uri: bad) }
        }
    }

    /// Our client against our server: every command, and the file holds what was written.
    @Test func clientReadsWritesZeroesTrimsAndFlushesThroughTheServer() throws {
        let scratch = try Scratch()
        let path = try Self.rawImage(scratch)
        let served = try ServedImage(try openImage(path, format: .raw))
        defer { served.finish() }
        let client = try NBDClientDisk(uri: served.uri, readOnly: false, cache: .writeback)
        #expect(client.virtualSize == UInt64(Self.size))
        #expect(try client.read(at: 100, count: 10) == [UInt8](repeating: 0x5a, count: 10))
        let pattern = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try client.write(pattern, at: 4096)
        try client.writeZeroes(at: 200_000, count: 5000, deallocate: false)
        try client.writeZeroes(at: 300_000, count: 65536, deallocate: true)
        try client.discard(at: 500_000, count: 4096)
        try client.flush()
        #expect(try client.read(at: 4096, count: pattern.count) == pattern)
        let file = try readFile(path)
        #expect(Array(file[4096 ..< 4096 + pattern.count]) == pattern)
        #expect(file[200_000 ..< 205_000].allSatisfy { $0 == 0 })
        #expect(file[300_000 ..< 365_536].allSatisfy { $0 == 0 })
        #expect(file[199_999] == 0x5a && file[205_000] == 0x5a)
        expectRefusal("past the end") { _ = try client.read(at: UInt64(Self.size) - 1, count: 2) }
        // A read larger than the biggest payload goes out as several requests.
        #expect(try client.read(at: 0, count: Self.size).count == Self.size)
    }

    /// A qcow2 overlay is served as its guest view: the backing file's data shows through.
    @Test func aQcow2OverlayIsServedAsItsGuestView() throws {
        let scratch = try Scratch()
        let base = try Self.rawImage(scratch, fill: 0xc3)
        let overlay = scratch.path("overlay.qcow2")
        try ImageTool.createQcow2(overlay, size: nil, backingFile: "disk.raw", backingFormat: .raw)
        let served = try ServedImage(try openImage(overlay, format: .qcow2))
        defer { served.finish() }
        let client = try NBDClientDisk(uri: served.uri, readOnly: false)
        #expect(try client.read(at: 0, count: 4096) == [UInt8](repeating: 0xc3, count: 4096))
        try client.write([1, 2, 3], at: 10)
        #expect(try client.read(at: 8, count: 6) == [0xc3, 0xc3, 1, 2, 3, 0xc3])
        #expect(try readFile(base).allSatisfy { $0 == 0xc3 }, "the backing file stays as it was")
    }

    @Test func aReadOnlyExportRefusesWritesWithEPERMAndWritableClients() throws {
        let scratch = try Scratch()
        let path = try Self.rawImage(scratch)
        let served = try ServedImage(try openImage(path, readOnly: true, format: .raw), readOnly: true)
        defer { served.finish() }
        expectRefusal("read-only") { _ = try NBDClientDisk(uri: served.uri, readOnly: false) }
        let reader = try NBDClientDisk(uri: served.uri, readOnly: true)
        #expect(try reader.read(at: 0, count: 2) == [0x5a, 0x5a])
        #expect(reader.transmissionFlags & NBDProtocol.TransmissionFlag.readOnly != 0)
        let raw = try RawNBDClient(port: served.port)
        try raw.go()
        for (type, length) in [(NBDProtocol.Command.write, UInt32(4)), (NBDProtocol.Command.trim, 4096), (NBDProtocol.Command.writeZeroes, 4096)] {
            try raw.request(type, offset: 0, length: length, payload: type == NBDProtocol.Command.write ? [9, 9, 9, 9] : [])
            #expect(try raw.reply().error == NBDProtocol.ErrorCode.permission, "command \(type)")
        }
        #expect(try readFile(path).allSatisfy { $0 == 0x5a })
    }

    @Test func listNamesTheExportAndUnknownOptionsAreUnsupported() throws {
        let scratch = try Scratch()
        let served = try ServedImage(try openImage(try Self.rawImage(scratch), format: .raw), name: "volume")
        defer { served.finish() }
        let raw = try RawNBDClient(port: served.port)
        let flags = try raw.greeting()
        #expect(flags & NBDProtocol.HandshakeFlag.fixedNewstyle != 0)
        try raw.send([0, 0, 0, 1])
        try raw.option(NBDProtocol.Option.list, [])
        let server = try raw.optionReply()
        #expect(server.type == NBDProtocol.Reply.server)
        #expect(server.data == [0, 0, 0, 6] + Array("volume".utf8))
        #expect(try raw.optionReply().type == NBDProtocol.Reply.ack)
        for unknown: UInt32 in [NBDProtocol.Option.structuredReply, 5 /* STARTTLS */, 10, 0xdead] {
            try raw.option(unknown, [1, 2, 3])
            #expect(try raw.optionReply() .type == NBDProtocol.Reply.errorUnsupported, "option \(unknown)")
        }
        try raw.option(NBDProtocol.Option.info, RawNBDClient.goData("volume", infos: [NBDProtocol.Info.name]))
        var types: [UInt32] = []
        while true {
            let reply = try raw.optionReply()
            types.append(reply.type)
            if reply.type == NBDProtocol.Reply.info, reply.data.prefix(2) == [0, 0] {
                #expect(reply.data.count == 12)
                #expect(Array(reply.data[2..<10]) == [0, 0, 0, 0, 0, 0x10, 0, 0], "size 1 MiB")
            }
            if reply.type == NBDProtocol.Reply.ack { break }
        }
        #expect(types.filter { $0 == NBDProtocol.Reply.info }.count == 3, "export, block size and name")
        try raw.option(NBDProtocol.Option.abort, [])
        #expect(try raw.optionReply().type == NBDProtocol.Reply.ack)
        #expect(raw.isClosed)
    }

    /// Malformed negotiation and requests: each gets the protocol's error or its connection
    /// closed, the server keeps serving the next client, and the image never changes.
    @Test func hostileClientsGetErrorsOrAreCutOffAndTheNextClientIsServed() throws {
        let scratch = try Scratch()
        let path = try Self.rawImage(scratch)
        let served = try ServedImage(try openImage(path, format: .raw), maximumClients: 4)
        defer { served.finish() }
        typealias Command = NBDProtocol.Command
        typealias ErrorCode = NBDProtocol.ErrorCode
        let end = UInt64(Self.size)

        // Negotiation: the server closes the connection after each of these (true), or waits for
        // bytes that never come until the client goes (false).
        let closing: [(String, Bool, (RawNBDClient) throws -> Void)] = [
            ("disconnect at once", false, { _ in }),
            ("unknown client flags", true, { try $0.send([0, 0, 0x80, 1]) }),
            ("truncated client flags", false, { try $0.send([0, 0]) }),
            ("bad option magic", true, { c in try c.send([0, 0, 0, 1]); try c.option(NBDProtocol.Option.go, [], magic: 0x1122_3344) }),
            ("huge option length", true, { c in try c.send([0, 0, 0, 1]); try c.option(NBDProtocol.Option.go, [], length: 0xffff_ffff) }),
            ("truncated option", false, { c in try c.send([0, 0, 0, 1]); try c.option(NBDProtocol.Option.go, [1, 2], length: 100) }),
            ("unknown export by name", true, { c in try c.send([0, 0, 0, 1]); try c.option(NBDProtocol.Option.exportName, Array("nope".utf8)) }),
            ("option without fixed newstyle", true, { c in try c.send([0, 0, 0, 0]); try c.option(NBDProtocol.Option.list, []) }),
        ]
        for (what, closes, body) in closing {
            let client = try RawNBDClient(port: served.port)
            _ = try client.greeting()
            try body(client)
            if closes { #expect(client.isClosed, "\(what)") }
            client.socket.shutdown()
        }
        // Bad NBD_OPT_GO data gets NBD_REP_ERR_INVALID or _UNKNOWN and the negotiation goes on.
        do {
            let client = try RawNBDClient(port: served.port)
            _ = try client.greeting()
            try client.send([0, 0, 0, 1])
            try client.option(NBDProtocol.Option.go, [0, 0, 0x10, 0, 1, 2])
            #expect(try client.optionReply().type == NBDProtocol.Reply.errorInvalid)
            try client.option(NBDProtocol.Option.go, RawNBDClient.goData("disk") + [0])
            #expect(try client.optionReply().type == NBDProtocol.Reply.errorInvalid)
            try client.option(NBDProtocol.Option.go, RawNBDClient.goData("other"))
            #expect(try client.optionReply().type == NBDProtocol.Reply.errorUnknown)
            try client.option(NBDProtocol.Option.list, [1])
            #expect(try client.optionReply().type == NBDProtocol.Reply.errorInvalid)
        }
        // Requests with the protocol's error and the connection still usable.
        let client = try RawNBDClient(port: served.port)
        try client.go()
        let answered: [(String, UInt16, UInt16, UInt64, UInt32, [UInt8], UInt32)] = [
            ("read past the end", Command.read, 0, end - 10, 20, [], ErrorCode.invalid),
            ("read at a huge offset", Command.read, 0, UInt64.max, 1, [], ErrorCode.invalid),
            ("read of 4 GiB - 1", Command.read, 0, 0, 0xffff_ffff, [], ErrorCode.invalid),
            ("read with unknown flags", Command.read, 0x80, 0, 10, [], ErrorCode.invalid),
            ("write past the end", Command.write, 0, end - 2, 4, [1, 2, 3, 4], ErrorCode.noSpace),
            ("write at offset 2^64 - 1", Command.write, 0, UInt64.max, 4, [1, 2, 3, 4], ErrorCode.noSpace),
            ("write with unknown flags", Command.write, 0x40, 0, 4, [1, 2, 3, 4], ErrorCode.invalid),
            ("trim past the end", Command.trim, 0, end, 1, [], ErrorCode.invalid),
            ("write zeroes past the end", Command.writeZeroes, 0, 0, 0xffff_ffff, [], ErrorCode.noSpace),
            ("block status, not negotiated", 7, 0, 0, 512, [], ErrorCode.invalid),
            ("unknown command", 0x7777, 0, 0, 512, [], ErrorCode.invalid),
        ]
        for (what, type, flags, offset, length, payload, expected) in answered {
            try client.request(type, flags: flags, offset: offset, length: length, payload: payload)
            #expect(try client.reply().error == expected, "\(what)")
        }
        try client.request(Command.read, offset: 0, length: 4)
        #expect(try client.reply(dataLength: 4).data == [0x5a, 0x5a, 0x5a, 0x5a], "the connection still serves")
        // A write too large to take in, and a bad request magic, close the connection.
        try client.request(Command.write, offset: 0, length: 0xffff_ffff)
        #expect(client.isClosed)
        let badMagic = try RawNBDClient(port: served.port)
        try badMagic.go()
        try badMagic.request(Command.read, offset: 0, length: 4, magic: 0xdead_beef)
        #expect(badMagic.isClosed)
        // Truncated headers and a write whose payload stops halfway, then gone.
        for cut in [[UInt8](repeating: 0x25, count: 5), [0x25, 0x60, 0x95, 0x13, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 7, 7]] {
            let partial = try RawNBDClient(port: served.port)
            try partial.go()
            try partial.send(cut)
            partial.socket.shutdown()
        }
        // Random bytes after the greeting, and after a good negotiation.
        var random = Xorshift(seed: 20)
        for index in 0 ..< 60 {
            let noise = try RawNBDClient(port: served.port)
            if index % 2 == 0 { _ = try noise.greeting() } else { try noise.go() }
            try? noise.send(random.bytes(Int(random.below(300))))
            noise.socket.shutdown()
        }
        // The next client is served, and nothing above changed the image.
        let good = try NBDClientDisk(uri: served.uri, readOnly: false)
        #expect(try good.read(at: 0, count: 8) == [UInt8](repeating: 0x5a, count: 8))
        #expect(try readFile(path).allSatisfy { $0 == 0x5a }, "a hostile client changed the image")
        #expect(served.log.all.contains { $0.contains("protocol violation") })
    }

    /// Four clients at once, each writing its own region from a thread of its own (qcow2's
    /// driver takes one request at a time, raw's several): every client then reads every
    /// region as its writer left it.
    @Test(arguments: [ImageFormat.raw, .qcow2]) func severalClientsAtOnceSeeEachOthersWrites(format: ImageFormat) throws {
        let scratch = try Scratch()
        var path = scratch.path("disk.qcow2")
        if format == .raw { path = try Self.rawImage(scratch) } else { try ImageTool.createQcow2(path, size: UInt64(Self.size)) }
        let served = try ServedImage(try openImage(path, format: format), maximumClients: 0)
        defer { served.finish() }
        let clients = try (0 ..< 4).map { _ in try NBDClientDisk(uri: served.uri, readOnly: false) }
        let region = 96 * 1024
        @Sendable func pattern(_ index: Int) -> [UInt8] { (0 ..< region).map { UInt8(truncatingIfNeeded: $0 &* (index + 3) &+ index) } }
        let failures = LogLines()
        DispatchQueue.concurrentPerform(iterations: clients.count) { index in
            do {
                for piece in stride(from: 0, to: region, by: 8192) {
                    try clients[index].write(Array(pattern(index)[piece ..< piece + 8192]), at: UInt64(index * region + piece))
                }
                try clients[index].flush()
            } catch {
                failures.append("client \(index): \(error)")
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        for reader in clients {
            for index in clients.indices {
                #expect(try reader.read(at: UInt64(index * region), count: region) == pattern(index))
            }
        }
        #expect(served.server.connectionsServed == 4)
    }

    /// A server that goes away fails the request in flight and every later one with an I/O
    /// error, promptly, and never brings the client's process down.
    @Test func aServerThatGoesAwayGivesIOErrors() throws {
        let scratch = try Scratch()
        let served = try ServedImage(try openImage(try Self.rawImage(scratch), format: .raw))
        let client = try NBDClientDisk(uri: served.uri, readOnly: false)
        #expect(try client.read(at: 0, count: 1) == [0x5a])
        served.finish()
        for _ in 0 ..< 3 {
            do {
                _ = try client.read(at: 0, count: 1)
                Issue.record("a read from a stopped server succeeded")
            } catch {
                #expect(error.kind == .host && error.code == 5, "\(error)")
            }
            #expect(throws: StorageError.self) { try client.write([1], at: 0) }
        }
        expectRefusal("NBD server") { _ = try NBDClientDisk(uri: served.uri, readOnly: false) }
    }
}
