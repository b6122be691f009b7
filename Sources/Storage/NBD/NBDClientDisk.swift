#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Where an NBD export is, from QEMU's URI spellings: `nbd://HOST[:PORT]/NAME` (also
/// `nbd+tcp://`; the port defaults to 10809, the host to localhost, an IPv6 host goes in
/// brackets) and `nbd+unix:///NAME?socket=PATH`. The name is the path without its first `/`,
/// percent-decoded; an absent name is the empty one.
public struct NBDAddress: Equatable, Sendable {
    public enum Endpoint: Equatable, Sendable {
        case tcp(host: String, port: UInt16)
        case unix(path: String)
    }

    public var endpoint: Endpoint
    public var exportName: String

    public init(endpoint: Endpoint, exportName: String) {
        self.endpoint = endpoint
        self.exportName = exportName
    }

    /// Whether `text` is meant as an NBD URI (and must then parse as one).
    public static func isURI(_ text: String) -> Bool {
        ["nbd://", "nbd+tcp://", "nbd+unix://"].contains { text.hasPrefix($0) }
    }

    /// Parses an NBD URI; throws `.invalid` with the reason when it is one but malformed.
    public init(uri: String) throws(StorageError) {
        func bad(_ why: String) -> StorageError { StorageError(.invalid, "NBD URI '\(uri)': \(why)") }
        guard let schemeEnd = uri.range(of: "://") else { throw bad("no scheme") }
        let scheme = uri[..<schemeEnd.lowerBound]
        var rest = Substring(uri[schemeEnd.upperBound...])
        var query: Substring?
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let pathPart = slash == rest.endIndex ? "" : rest[rest.index(after: slash)...]
        guard let name = String(pathPart).removingPercentEncoding else { throw bad("bad percent-encoding in the export name") }
        guard name.utf8.count <= NBDProtocol.maximumStringLength, !name.utf8.contains(0) else { throw bad("export name too long or holding a NUL") }
        var parameters: [String: String] = [:]
        for item in (query ?? "").split(separator: "&") {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = parts[1].removingPercentEncoding else { throw bad("query item '\(item)' is not key=value") }
            parameters[parts[0]] = value
        }
        switch scheme {
        case "nbd", "nbd+tcp":
            guard parameters.isEmpty else { throw bad("a TCP address takes no query (\(parameters.keys.sorted().joined(separator: ", ")))") }
            var host = "localhost", port = NBDProtocol.defaultPort
            var portText: Substring?
            if authority.hasPrefix("[") {
                guard let close = authority.firstIndex(of: "]") else { throw bad("unclosed '[' in the host") }
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                let after = authority[authority.index(after: close)...]
                if !after.isEmpty {
                    guard after.hasPrefix(":") else { throw bad("junk after the IPv6 address") }
                    portText = after.dropFirst()
                }
            } else if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                portText = authority[authority.index(after: colon)...]
            } else if !authority.isEmpty {
                host = String(authority)
            }
            if host.isEmpty { host = "localhost" }
            if let portText {
                guard let parsed = UInt16(portText), parsed > 0 else { throw bad("port '\(portText)' is not 1 to 65535") }
                port = parsed
            }
            self.init(endpoint: .tcp(host: host, port: port), exportName: name)
        case "nbd+unix":
            guard authority.isEmpty else { throw bad("nbd+unix:// takes no host (nbd+unix:///NAME?socket=PATH)") }
            guard let path = parameters["socket"], !path.isEmpty, parameters.count == 1 else {
                throw bad("nbd+unix:// needs ?socket=PATH and nothing else")
            }
            self.init(endpoint: .unix(path: path), exportName: name)
        default:
            throw bad("scheme '\(scheme)' is not nbd, nbd+tcp or nbd+unix")
        }
    }
}

/// A disk on an NBD server: QEMU's `-drive file=nbd://…` (its nbd block driver, under format
/// raw). One connection, one request at a time, simple replies (NBD_OPT_GO, or
/// NBD_OPT_EXPORT_NAME for a server that does not know it). Runs on the block I/O threads like
/// the file drivers, so a slow server delays only its own requests.
///
/// A server that goes away fails the request in progress and every later one with EIO (the
/// guest sees I/O errors); there is no reconnection. A server that stops answering fails the
/// request after `replyTimeoutSeconds`. Everything the server sends is checked: a reply with
/// another cookie or magic, or data it was not asked for, ends the connection.
public final class NBDClientDisk: BlockDriver, @unchecked Sendable {
    // @unchecked: `socket` and `nextCookie` change only with `lock` held; everything else is a
    // `let` set by `init`.
    public let path: String
    public let address: NBDAddress
    public let readOnly: Bool
    public let cache: CacheMode
    public let virtualSize: UInt64
    /// The server's NBD_FLAG_* for the export.
    public let transmissionFlags: UInt16
    /// The largest read or write payload sent in one request.
    public let maximumPayload: Int
    private let lock = NSLock()
    private var socket: NBDSocket?
    private var nextCookie: UInt64 = 1

    /// How long a request may wait for its reply before the connection is given up.
    public static let replyTimeoutSeconds = 120
    /// The most a trim or write-zeroes asks for at once (its length is 32 bits).
    static let maximumEffectLength: UInt64 = 0xffff_f000

    public var formatName: String { "raw" }
    public var capabilities: BlockDriverCapabilities {
        transmissionFlags & NBDProtocol.TransmissionFlag.sendTrim != 0 ? [.discard] : []
    }

    /// Connects to the export at `uri` and negotiates it. A read-only export opened for
    /// writing is refused, as QEMU refuses it.
    public convenience init(uri: String, readOnly: Bool, cache: CacheMode = .writeback) throws(StorageError) {
        try self.init(address: NBDAddress(uri: uri), path: uri, readOnly: readOnly, cache: cache)
    }

    public init(address: NBDAddress, path: String, readOnly: Bool, cache: CacheMode = .writeback) throws(StorageError) {
        let socket: NBDSocket
        let export: (size: UInt64, flags: UInt16, maximumPayload: Int)
        do {
            switch address.endpoint {
            case .tcp(let host, let port): socket = try NBDSocket.connect(host: host, port: port)
            case .unix(let socketPath): socket = try NBDSocket.connect(unixPath: socketPath)
            }
            socket.setTimeout(seconds: Self.replyTimeoutSeconds)
            export = try Self.negotiate(socket, name: address.exportName)
        } catch {
            throw StorageError(error.kind, "NBD server \(path): \(error.description)", code: error.code)
        }
        if export.flags & NBDProtocol.TransmissionFlag.readOnly != 0 && !readOnly {
            throw StorageError(.readOnly, "NBD server \(path): the export is read-only (use readonly=on)", code: 30 /* EROFS */)
        }
        self.path = path
        self.address = address
        self.readOnly = readOnly
        self.cache = cache
        self.socket = socket
        virtualSize = export.size
        transmissionFlags = export.flags
        maximumPayload = export.maximumPayload
    }

    deinit {
        // NBD_CMD_DISC: the polite end (a server logs an abrupt one).
        if let socket { try? socket.send(Self.requestHeader(type: NBDProtocol.Command.disconnect, flags: 0, cookie: 0, offset: 0, length: 0)) }
    }

    // MARK: Negotiation

    /// The fixed-newstyle handshake and NBD_OPT_GO; the export's size, flags and largest payload.
    static func negotiate(_ socket: NBDSocket, name: String) throws(StorageError) -> (size: UInt64, flags: UInt16, maximumPayload: Int) {
        func violation(_ what: String) -> StorageError { StorageError(.invalid, "protocol violation: " + what) }
        var greeting = NBDReader(try socket.receive(18))
        let magic = greeting.u64()!, second = greeting.u64()!, serverFlags = greeting.u16()!
        guard magic == NBDProtocol.initialMagic else { throw violation("not an NBD server (no NBDMAGIC)") }
        guard second == NBDProtocol.optionMagic else {
            throw StorageError(.unsupported, "the server speaks oldstyle NBD, which is not supported (newstyle only)")
        }
        let fixed = serverFlags & NBDProtocol.HandshakeFlag.fixedNewstyle != 0
        let noZeroes = serverFlags & NBDProtocol.HandshakeFlag.noZeroes != 0
        var flags = NBDWriter()
        flags.u32((fixed ? NBDProtocol.ClientFlag.fixedNewstyle : 0) | (noZeroes ? NBDProtocol.ClientFlag.noZeroes : 0))
        try socket.send(flags.bytes)
        let nameBytes = Array(name.utf8)
        func option(_ code: UInt32, _ data: [UInt8]) throws(StorageError) {
            var message = NBDWriter(capacity: 16 + data.count)
            message.u64(NBDProtocol.optionMagic)
            message.u32(code)
            message.u32(UInt32(data.count))
            message.append(data)
            try socket.send(message.bytes)
        }
        if fixed {
            var go = NBDWriter()
            go.u32(UInt32(nameBytes.count))
            go.append(nameBytes)
            go.u16(1)
            go.u16(NBDProtocol.Info.blockSize)
            try option(NBDProtocol.Option.go, go.bytes)
            var size: UInt64?, exportFlags: UInt16 = 0, maximum = NBDProtocol.maximumPayload
            // Replies until the ACK; a bounded number, so a server cannot keep us here.
            for _ in 0 ..< 64 {
                var header = NBDReader(try socket.receive(20))
                let replyMagic = header.u64()!, replyOption = header.u32()!, type = header.u32()!, length = header.u32()!
                guard replyMagic == NBDProtocol.optionReplyMagic, replyOption == NBDProtocol.Option.go else {
                    throw violation("bad option reply (magic \(hex(replyMagic)), option \(replyOption))")
                }
                guard length <= NBDProtocol.maximumOptionLength else { throw violation("option reply of \(length) bytes") }
                var data = NBDReader(try socket.receive(Int(length)))
                switch type {
                case NBDProtocol.Reply.ack:
                    guard let size else { throw violation("NBD_OPT_GO acknowledged without NBD_INFO_EXPORT") }
                    return (size, exportFlags, maximum)
                case NBDProtocol.Reply.info:
                    guard let info = data.u16() else { throw violation("empty NBD_REP_INFO") }
                    if info == NBDProtocol.Info.export {
                        guard let exportSize = data.u64(), let given = data.u16() else { throw violation("short NBD_INFO_EXPORT") }
                        size = exportSize
                        exportFlags = given
                    } else if info == NBDProtocol.Info.blockSize {
                        guard data.u32() != nil, data.u32() != nil, let largest = data.u32() else { throw violation("short NBD_INFO_BLOCK_SIZE") }
                        maximum = max(512, min(Int(largest), NBDProtocol.maximumPayload))
                    }
                case NBDProtocol.Reply.errorUnsupported:
                    return try exportName(socket, nameBytes, noZeroes: noZeroes, option: option)
                default:
                    let message = String(decoding: data.take(data.remaining) ?? [], as: UTF8.self)
                    if type & NBDProtocol.Reply.errorBit == 0 { continue }  // an informational reply we do not use
                    let what = type == NBDProtocol.Reply.errorUnknown ? "no export named '\(name)'" : "NBD_OPT_GO refused (\(hex(type)))"
                    throw StorageError(.invalid, what + (message.isEmpty ? "" : ": " + message))
                }
            }
            throw violation("too many replies to NBD_OPT_GO")
        }
        return try exportName(socket, nameBytes, noZeroes: noZeroes, option: option)
    }

    /// NBD_OPT_EXPORT_NAME, for servers without NBD_OPT_GO: the server closes on a bad name.
    private static func exportName(_ socket: NBDSocket, _ name: [UInt8], noZeroes: Bool,
                                   option: (UInt32, [UInt8]) throws(StorageError) -> Void) throws(StorageError)
        -> (size: UInt64, flags: UInt16, maximumPayload: Int) {
        try option(NBDProtocol.Option.exportName, name)
        var reply = NBDReader(try socket.receive(10 + (noZeroes ? 0 : 124)))
        return (reply.u64()!, reply.u16()!, NBDProtocol.maximumPayload)
    }

    // MARK: Requests

    static func requestHeader(type: UInt16, flags: UInt16, cookie: UInt64, offset: UInt64, length: UInt32) -> [UInt8] {
        var header = NBDWriter(capacity: NBDProtocol.requestHeaderSize)
        header.u32(NBDProtocol.requestMagic)
        header.u16(flags)
        header.u16(type)
        header.u64(cookie)
        header.u64(offset)
        header.u32(length)
        return header.bytes
    }

    /// Sends one request and takes its reply; the data read for NBD_CMD_READ. A failure of the
    /// connection (or a reply that breaks the protocol) ends it for good.
    private func request(_ type: UInt16, flags: UInt16 = 0, offset: UInt64, length: UInt32, payload: [UInt8] = []) throws(StorageError) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        guard let socket else { throw StorageError(.host, "NBD server \(path): the connection was lost earlier", code: 5 /* EIO */) }
        let cookie = nextCookie
        nextCookie &+= 1
        let status: UInt32
        var data: [UInt8] = []
        do throws(StorageError) {
            try socket.send(Self.requestHeader(type: type, flags: flags, cookie: cookie, offset: offset, length: length) + payload)
            var reply = NBDReader(try socket.receive(NBDProtocol.simpleReplyHeaderSize))
            let magic = reply.u32()!
            status = reply.u32()!
            let replyCookie = reply.u64()!
            guard magic == NBDProtocol.simpleReplyMagic, replyCookie == cookie else {
                throw StorageError(.invalid, "protocol violation: reply magic \(hex(magic)), cookie \(replyCookie) for \(cookie)")
            }
            if status == 0 && type == NBDProtocol.Command.read { data = try socket.receive(Int(length)) }
        } catch {
            // The connection is gone or out of step: no later request can use it.
            socket.shutdown()
            self.socket = nil
            throw StorageError(.host, "NBD server \(path): \(error.description)", code: 5 /* EIO */)
        }
        if status != 0 { try Self.fail(status, path) }
        return data
    }

    /// Throws the error an NBD error value stands for.
    private static func fail(_ code: UInt32, _ path: String) throws(StorageError) -> Never {
        switch code {
        case NBDProtocol.ErrorCode.permission: throw StorageError(.readOnly, "NBD server \(path) refused a write (EPERM)", code: 1)
        case NBDProtocol.ErrorCode.noSpace: throw StorageError(.host, "NBD server \(path): no space left (ENOSPC)", code: 28)
        case NBDProtocol.ErrorCode.invalid: throw StorageError(.invalid, "NBD server \(path) found the request invalid (EINVAL)", code: 22)
        default: throw StorageError(.host, "NBD server \(path) failed the request (error \(code))", code: 5 /* EIO */)
        }
    }

    public func read(at offset: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        try checkRange(offset, UInt64(count))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            let chunk = min(maximumPayload, count - bytes.count)
            bytes += try request(NBDProtocol.Command.read, offset: offset + UInt64(bytes.count), length: UInt32(chunk))
        }
        return bytes
    }

    /// Whether each change must be durable before it completes (cache=writethrough, directsync).
    private var writeThrough: Bool { !cache.hasVolatileWriteCache }

    public func write(_ bytes: [UInt8], at offset: UInt64) throws(StorageError) {
        try checkWritable()
        try checkRange(offset, UInt64(bytes.count))
        let fua = writeThrough && transmissionFlags & NBDProtocol.TransmissionFlag.sendFUA != 0
        var done = 0
        while done < bytes.count {
            let chunk = min(maximumPayload, bytes.count - done)
            _ = try request(NBDProtocol.Command.write, flags: fua ? NBDProtocol.CommandFlag.forceUnitAccess : 0,
                            offset: offset + UInt64(done), length: UInt32(chunk), payload: Array(bytes[done ..< done + chunk]))
            done += chunk
        }
        if writeThrough && !fua { try flush() }
    }

    public func flush() throws(StorageError) {
        guard cache != .unsafe, transmissionFlags & NBDProtocol.TransmissionFlag.sendFlush != 0 else { return }
        _ = try request(NBDProtocol.Command.flush, offset: 0, length: 0)
    }

    public func discard(at offset: UInt64, count: UInt64) throws(StorageError) {
        try checkWritable()
        try checkRange(offset, count)
        guard transmissionFlags & NBDProtocol.TransmissionFlag.sendTrim != 0 else { return }
        var done: UInt64 = 0
        while done < count {
            let chunk = min(Self.maximumEffectLength, count - done)
            _ = try request(NBDProtocol.Command.trim, offset: offset + done, length: UInt32(chunk))
            done += chunk
        }
    }

    public func writeZeroes(at offset: UInt64, count: UInt64, deallocate: Bool) throws(StorageError) {
        try checkWritable()
        try checkRange(offset, count)
        guard transmissionFlags & NBDProtocol.TransmissionFlag.sendWriteZeroes != 0 else {
            var done: UInt64 = 0
            while done < count {
                let chunk = Int(min(UInt64(min(maximumPayload, 1 << 20)), count - done))
                try write([UInt8](repeating: 0, count: chunk), at: offset + done)
                done += UInt64(chunk)
            }
            return
        }
        let fua = writeThrough && transmissionFlags & NBDProtocol.TransmissionFlag.sendFUA != 0
        let flags = (deallocate ? 0 : NBDProtocol.CommandFlag.noHole) | (fua ? NBDProtocol.CommandFlag.forceUnitAccess : 0)
        var done: UInt64 = 0
        while done < count {
            let chunk = min(Self.maximumEffectLength, count - done)
            _ = try request(NBDProtocol.Command.writeZeroes, flags: flags, offset: offset + done, length: UInt32(chunk))
            done += chunk
        }
        if writeThrough && !fua { try flush() }
    }
}
