import Foundation

/// An NBD server for one export over any BlockDriver (so a qcow2 overlay is served as the disk
/// its guest sees): fixed-newstyle negotiation and simple replies (NetworkBlockDevice/nbd,
/// doc/proto.md). Structured replies are not offered: NBD_OPT_STRUCTURED_REPLY gets
/// NBD_REP_ERR_UNSUP, and clients (qemu's among them) then use simple replies.
///
/// Everything a client sends is untrusted. Options longer than `NBDProtocol.maximumOptionLength`,
/// a bad magic number, unknown client flags, an unknown export name given to
/// NBD_OPT_EXPORT_NAME and a write whose payload exceeds `NBDProtocol.maximumPayload` close that
/// connection (the protocol leaves no other answer, or no way to skip the bytes); every other
/// bad option or request gets the protocol's error (NBD_REP_ERR_INVALID, NBD_EINVAL, NBD_ENOSPC,
/// NBD_EPERM) and the connection goes on. A request reaches the driver only inside the export.
public final class NBDServer: @unchecked Sendable {
    // @unchecked: the driver is called with `driverLock` held unless it allows concurrent
    // requests; the connection bookkeeping is read and written with `condition` locked.
    public let driver: any BlockDriver
    /// The name clients ask for ("" is qemu-nbd's default, and what `nbd://host/` asks for).
    public let exportName: String
    /// Writes, trims and write-zeroes are refused with NBD_EPERM (the driver may be writable).
    public let readOnly: Bool
    private let log: @Sendable (String) -> Void
    private let driverLock = NSLock()
    private let condition = NSCondition()
    private var connections: [ObjectIdentifier: NBDSocket] = [:]
    private var listener: NBDListener?
    private var stopping = false
    /// How long negotiation may take (qemu-nbd's --handshake-limit default); transmission has no limit.
    public static let handshakeLimitSeconds = 10
    /// Connections served so far, for tests and the log.
    public private(set) var connectionsServed = 0

    /// `log` hears one line per connection that ended with an error.
    public init(driver: any BlockDriver, exportName: String = "", readOnly: Bool = false, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.driver = driver
        self.exportName = exportName
        self.readOnly = readOnly || driver.readOnly
        self.log = log
    }

    /// NBD_FLAG_* sent with the export: flush and FUA always (a driver's flush is cheap when it
    /// has nothing to do), trim and write-zeroes, or read-only.
    public var transmissionFlags: UInt16 {
        typealias Flag = NBDProtocol.TransmissionFlag
        var flags = Flag.hasFlags | Flag.sendFlush | Flag.sendFUA
        if readOnly { flags |= Flag.readOnly } else { flags |= Flag.sendTrim | Flag.sendWriteZeroes }
        return flags
    }

    // MARK: Serving a listener

    /// Accepts connections until `stop` (or, unless `persistent`, until the last client of at
    /// least one leaves), each on a thread of its own; at most `maximumClients` at once (0: no
    /// limit), later ones waiting in the listen queue as qemu-nbd's `--shared` has them. Then
    /// cuts the connections left, waits for their threads and closes the driver (a flush, and
    /// qcow2's dirty bitmaps stored: the process exits without deinitializing it).
    public func run(listener: NBDListener, maximumClients: Int, persistent: Bool) throws(StorageError) {
        condition.lock()
        self.listener = listener
        condition.unlock()
        while true {
            condition.lock()
            while !stopping && maximumClients > 0 && connections.count >= maximumClients { condition.wait() }
            let stop = stopping
            condition.unlock()
            if stop { break }
            guard let socket = listener.accept() else { break }
            condition.lock()
            if stopping {
                condition.unlock()
                socket.shutdown()
                break
            }
            connections[ObjectIdentifier(socket)] = socket
            connectionsServed += 1
            condition.unlock()
            let thread = Thread { [self] in
                serve(socket)
                condition.lock()
                connections[ObjectIdentifier(socket)] = nil
                if !persistent && connections.isEmpty {
                    stopping = true
                    listener.shutdown()
                }
                condition.broadcast()
                condition.unlock()
            }
            thread.name = "nbd-client"
            thread.start()
        }
        condition.lock()
        stopping = true
        for socket in connections.values { socket.shutdown() }
        while !connections.isEmpty { condition.wait() }
        // The listener closes (and a Unix socket's file goes) now, not when the server does.
        self.listener = nil
        condition.unlock()
        try withDriver { () throws(StorageError) in try driver.close() }
    }

    /// Makes `run` return: no more connections, the open ones cut (a request being carried out
    /// finishes first). Safe from any thread.
    public func stop() {
        condition.lock()
        stopping = true
        listener?.shutdown()
        for socket in connections.values { socket.shutdown() }
        condition.broadcast()
        condition.unlock()
    }

    // MARK: One connection

    /// Serves one connection to its end: negotiation, then requests until NBD_CMD_DISC or the
    /// client goes. A connection that ends with an error is logged, never more.
    func serve(_ socket: NBDSocket) {
        do {
            // A client that connects and says nothing must not hold a client slot forever.
            socket.setTimeout(seconds: Self.handshakeLimitSeconds)
            guard try negotiate(socket) else { return }
            socket.setTimeout(seconds: 0)
            try transmit(socket)
        } catch {
            log("\(socket.peer): \(error.description); connection closed")
        }
    }

    /// The options phase. True when the client moved on to transmission, false when it aborted.
    private func negotiate(_ socket: NBDSocket) throws(StorageError) -> Bool {
        var greeting = NBDWriter()
        greeting.u64(NBDProtocol.initialMagic)
        greeting.u64(NBDProtocol.optionMagic)
        greeting.u16(NBDProtocol.HandshakeFlag.fixedNewstyle | NBDProtocol.HandshakeFlag.noZeroes)
        try socket.send(greeting.bytes)
        var flagBytes = NBDReader(try socket.receive(4))
        let clientFlags = flagBytes.u32()!
        guard clientFlags & ~NBDProtocol.ClientFlag.known == 0 else { throw violation("unknown client flags \(hex(clientFlags))") }
        let fixed = clientFlags & NBDProtocol.ClientFlag.fixedNewstyle != 0
        let noZeroes = clientFlags & NBDProtocol.ClientFlag.noZeroes != 0
        while true {
            var header = NBDReader(try socket.receive(16))
            let magic = header.u64()!, option = header.u32()!, length = header.u32()!
            guard magic == NBDProtocol.optionMagic else { throw violation("option without the IHAVEOPT magic (\(hex(magic)))") }
            guard length <= NBDProtocol.maximumOptionLength else { throw violation("option \(option) of \(length) bytes is too long") }
            let data = try socket.receive(Int(length))
            // Without fixed newstyle a server cannot answer an option it does not take: only
            // NBD_OPT_EXPORT_NAME is understood (proto.md, "Newstyle negotiation").
            guard fixed || option == NBDProtocol.Option.exportName else {
                throw violation("option \(option) from a client that did not ask for fixed newstyle")
            }
            func reply(_ type: UInt32, _ payload: [UInt8] = []) throws(StorageError) {
                var message = NBDWriter(capacity: 20 + payload.count)
                message.u64(NBDProtocol.optionReplyMagic)
                message.u32(option)
                message.u32(type)
                message.u32(UInt32(payload.count))
                message.append(payload)
                try socket.send(message.bytes)
            }
            switch option {
            case NBDProtocol.Option.exportName:
                guard String(decoding: data, as: UTF8.self) == exportName, !data.contains(0) else {
                    // The only answer NBD_OPT_EXPORT_NAME allows to a bad name is closing.
                    throw violation("NBD_OPT_EXPORT_NAME asked for an export that does not exist")
                }
                var message = NBDWriter()
                message.u64(driver.virtualSize)
                message.u16(transmissionFlags)
                if !noZeroes { message.append([UInt8](repeating: 0, count: 124)) }
                try socket.send(message.bytes)
                return true
            case NBDProtocol.Option.abort:
                try? reply(NBDProtocol.Reply.ack)
                return false
            case NBDProtocol.Option.list:
                guard data.isEmpty else {
                    try reply(NBDProtocol.Reply.errorInvalid, Array("NBD_OPT_LIST takes no data".utf8))
                    continue
                }
                var server = NBDWriter()
                server.u32(UInt32(exportName.utf8.count))
                server.append(Array(exportName.utf8))
                try reply(NBDProtocol.Reply.server, server.bytes)
                try reply(NBDProtocol.Reply.ack)
            case NBDProtocol.Option.info, NBDProtocol.Option.go:
                var request = NBDReader(data)
                guard let nameLength = request.u32(), nameLength <= NBDProtocol.maximumStringLength,
                      let name = request.take(Int(nameLength)), let count = request.u16(), request.remaining == Int(count) * 2 else {
                    try reply(NBDProtocol.Reply.errorInvalid, Array("malformed NBD_OPT_INFO or NBD_OPT_GO".utf8))
                    continue
                }
                var requested: [UInt16] = []
                for _ in 0 ..< count { requested.append(request.u16()!) }
                guard String(decoding: name, as: UTF8.self) == exportName, !name.contains(0) else {
                    try reply(NBDProtocol.Reply.errorUnknown, Array("no export of that name".utf8))
                    continue
                }
                var export = NBDWriter()
                export.u16(NBDProtocol.Info.export)
                export.u64(driver.virtualSize)
                export.u16(transmissionFlags)
                try reply(NBDProtocol.Reply.info, export.bytes)
                var sizes = NBDWriter()
                sizes.u16(NBDProtocol.Info.blockSize)
                sizes.u32(1)
                sizes.u32(NBDProtocol.preferredBlockSize)
                sizes.u32(UInt32(NBDProtocol.maximumPayload))
                try reply(NBDProtocol.Reply.info, sizes.bytes)
                if requested.contains(NBDProtocol.Info.name) {
                    var named = NBDWriter()
                    named.u16(NBDProtocol.Info.name)
                    named.append(Array(exportName.utf8))
                    try reply(NBDProtocol.Reply.info, named.bytes)
                }
                try reply(NBDProtocol.Reply.ack)
                if option == NBDProtocol.Option.go { return true }
            default:
                try reply(NBDProtocol.Reply.errorUnsupported)
            }
        }
    }

    /// The transmission phase: one request at a time, each answered with a simple reply.
    private func transmit(_ socket: NBDSocket) throws(StorageError) {
        typealias Command = NBDProtocol.Command
        typealias CommandFlag = NBDProtocol.CommandFlag
        typealias ErrorCode = NBDProtocol.ErrorCode
        while true {
            var header = NBDReader(try socket.receive(NBDProtocol.requestHeaderSize))
            let magic = header.u32()!, flags = header.u16()!, type = header.u16()!
            let cookie = header.u64()!, offset = header.u64()!, length = header.u32()!
            guard magic == NBDProtocol.requestMagic else { throw violation("request without the request magic (\(hex(magic)))") }
            func reply(_ error: UInt32, _ data: [UInt8] = []) throws(StorageError) {
                var message = NBDWriter(capacity: NBDProtocol.simpleReplyHeaderSize + data.count)
                message.u32(NBDProtocol.simpleReplyMagic)
                message.u32(error)
                message.u64(cookie)
                message.append(data)
                try socket.send(message.bytes)
            }
            let inside = offset <= driver.virtualSize && UInt64(length) <= driver.virtualSize - offset
            let fua = flags & CommandFlag.forceUnitAccess != 0
            switch type {
            case Command.read:
                guard flags & ~CommandFlag.forceUnitAccess == 0 else { try reply(ErrorCode.invalid); continue }
                guard Int(length) <= NBDProtocol.maximumPayload, inside else { try reply(ErrorCode.invalid); continue }
                do {
                    let bytes = try withDriver { () throws(StorageError) in try driver.read(at: offset, count: Int(length)) }
                    guard bytes.count == Int(length) else { try reply(ErrorCode.io); continue }
                    try reply(0, bytes)
                } catch {
                    try reply(Self.errorCode(error))
                }
            case Command.write:
                // The payload follows the header whatever the answer; one too long to take in
                // leaves no way back to the next header.
                guard Int(length) <= NBDProtocol.maximumPayload else { throw violation("write of \(length) bytes is over the maximum payload") }
                let bytes = try socket.receive(Int(length))
                guard flags & ~CommandFlag.forceUnitAccess == 0 else { try reply(ErrorCode.invalid); continue }
                guard !readOnly else { try reply(ErrorCode.permission); continue }
                guard inside else { try reply(ErrorCode.noSpace); continue }
                try reply(carryOut(fua: fua) { () throws(StorageError) in try driver.write(bytes, at: offset) })
            case Command.flush:
                guard flags & ~CommandFlag.forceUnitAccess == 0 else { try reply(ErrorCode.invalid); continue }
                try reply(carryOut(fua: false) { () throws(StorageError) in try driver.flush() })
            case Command.trim:
                guard flags & ~CommandFlag.forceUnitAccess == 0 else { try reply(ErrorCode.invalid); continue }
                guard !readOnly else { try reply(ErrorCode.permission); continue }
                guard inside else { try reply(ErrorCode.invalid); continue }
                try reply(carryOut(fua: fua) { () throws(StorageError) in try driver.discard(at: offset, count: UInt64(length)) })
            case Command.writeZeroes:
                guard flags & ~(CommandFlag.forceUnitAccess | CommandFlag.noHole) == 0 else { try reply(ErrorCode.invalid); continue }
                guard !readOnly else { try reply(ErrorCode.permission); continue }
                guard inside else { try reply(ErrorCode.noSpace); continue }
                let deallocate = flags & CommandFlag.noHole == 0
                try reply(carryOut(fua: fua) { () throws(StorageError) in
                    try driver.writeZeroes(at: offset, count: UInt64(length), deallocate: deallocate)
                })
            case Command.disconnect:
                return
            default:
                // Commands not negotiated (NBD_CMD_CACHE, NBD_CMD_BLOCK_STATUS, ...) or unknown.
                try reply(ErrorCode.invalid)
            }
        }
    }

    /// Runs a change on the driver, then a flush for FUA; the reply's error value.
    private func carryOut(fua: Bool, _ body: () throws(StorageError) -> Void) -> UInt32 {
        do {
            try withDriver { () throws(StorageError) in
                try body()
                if fua { try driver.flush() }
            }
            return 0
        } catch {
            return Self.errorCode(error)
        }
    }

    /// `body` with the driver to itself when it takes one request at a time.
    private func withDriver<T>(_ body: () throws(StorageError) -> T) throws(StorageError) -> T {
        if driver.allowsConcurrentRequests { return try body() }
        driverLock.lock()
        defer { driverLock.unlock() }
        return try body()
    }

    /// The NBD error value for a driver's error.
    static func errorCode(_ error: StorageError) -> UInt32 {
        switch error.kind {
        case .readOnly: return NBDProtocol.ErrorCode.permission
        case .invalid: return error.code == 1 /* EPERM */ ? NBDProtocol.ErrorCode.permission : NBDProtocol.ErrorCode.invalid
        case .host:
            switch error.code {
            case 28 /* ENOSPC */, 122 /* EDQUOT */: return NBDProtocol.ErrorCode.noSpace
            case 1 /* EPERM */, 30 /* EROFS */: return NBDProtocol.ErrorCode.permission
            case 12 /* ENOMEM */: return NBDProtocol.ErrorCode.noMemory
            default: return NBDProtocol.ErrorCode.io
            }
        case .corrupt, .unsupported, .locked: return NBDProtocol.ErrorCode.io
        }
    }

    private func violation(_ what: String) -> StorageError { StorageError(.invalid, "protocol violation: " + what) }
}

func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }
