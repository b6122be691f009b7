/// The NBD protocol's numbers, as the specification names them (NetworkBlockDevice/nbd,
/// doc/proto.md: "Fixed newstyle negotiation", "Transmission"). Every number on the wire is
/// big-endian. Shared by the server (NBDServer) and the client (NBDClientDisk).
public enum NBDProtocol {
    /// "NBDMAGIC", the first thing a server sends.
    static let initialMagic: UInt64 = 0x4e42_444d_4147_4943
    /// "IHAVEOPT": the newstyle server's second word, and the start of every client option.
    static let optionMagic: UInt64 = 0x4948_4156_454f_5054
    /// Starts every option reply from the server.
    static let optionReplyMagic: UInt64 = 0x0003_e889_0455_65a9
    static let requestMagic: UInt32 = 0x2560_9513
    static let simpleReplyMagic: UInt32 = 0x6744_6698
    static let structuredReplyMagic: UInt32 = 0x668e_33ef

    /// The port IANA gave NBD (and qemu-nbd's default).
    public static let defaultPort: UInt16 = 10809

    /// The server's handshake flags (16 bits).
    enum HandshakeFlag {
        static let fixedNewstyle: UInt16 = 1 << 0
        static let noZeroes: UInt16 = 1 << 1
    }

    /// The client's flags (32 bits); any other bit set makes the server close the connection.
    enum ClientFlag {
        static let fixedNewstyle: UInt32 = 1 << 0
        static let noZeroes: UInt32 = 1 << 1
        static let known: UInt32 = fixedNewstyle | noZeroes
    }

    /// NBD_OPT_*.
    enum Option {
        static let exportName: UInt32 = 1
        static let abort: UInt32 = 2
        static let list: UInt32 = 3
        static let info: UInt32 = 6
        static let go: UInt32 = 7
        static let structuredReply: UInt32 = 8
    }

    /// NBD_REP_*: the error replies have bit 31 set.
    enum Reply {
        static let ack: UInt32 = 1
        static let server: UInt32 = 2
        static let info: UInt32 = 3
        static let errorBit: UInt32 = 1 << 31
        static let errorUnsupported: UInt32 = errorBit | 1
        static let errorPolicy: UInt32 = errorBit | 2
        static let errorInvalid: UInt32 = errorBit | 3
        static let errorUnknown: UInt32 = errorBit | 6
        static let errorTooBig: UInt32 = errorBit | 9
    }

    /// NBD_INFO_* of NBD_REP_INFO replies to NBD_OPT_INFO and NBD_OPT_GO.
    enum Info {
        static let export: UInt16 = 0
        static let name: UInt16 = 1
        static let blockSize: UInt16 = 3
    }

    /// NBD_FLAG_* of the transmission flags (16 bits) sent with the export's size.
    public enum TransmissionFlag {
        public static let hasFlags: UInt16 = 1 << 0
        public static let readOnly: UInt16 = 1 << 1
        public static let sendFlush: UInt16 = 1 << 2
        public static let sendFUA: UInt16 = 1 << 3
        public static let sendTrim: UInt16 = 1 << 5
        public static let sendWriteZeroes: UInt16 = 1 << 6
    }

    /// NBD_CMD_*.
    enum Command {
        static let read: UInt16 = 0
        static let write: UInt16 = 1
        static let disconnect: UInt16 = 2
        static let flush: UInt16 = 3
        static let trim: UInt16 = 4
        static let writeZeroes: UInt16 = 6
    }

    /// NBD_CMD_FLAG_*.
    enum CommandFlag {
        static let forceUnitAccess: UInt16 = 1 << 0
        static let noHole: UInt16 = 1 << 1
    }

    /// The error values of a reply (they are Linux's errno numbers, but fixed by the protocol).
    public enum ErrorCode {
        public static let permission: UInt32 = 1       // NBD_EPERM
        public static let io: UInt32 = 5               // NBD_EIO
        public static let noMemory: UInt32 = 12        // NBD_ENOMEM
        public static let invalid: UInt32 = 22         // NBD_EINVAL
        public static let noSpace: UInt32 = 28         // NBD_ENOSPC
        public static let overflow: UInt32 = 75        // NBD_EOVERFLOW
        public static let notSupported: UInt32 = 95    // NBD_ENOTSUP
        public static let shutdown: UInt32 = 108       // NBD_ESHUTDOWN
    }

    /// A request header: magic, flags, type, cookie, offset, length (28 bytes).
    static let requestHeaderSize = 28
    /// A simple reply header: magic, error, cookie (16 bytes).
    static let simpleReplyHeaderSize = 16
    /// The most a name or other string in an option may hold (the specification's limit).
    static let maximumStringLength = 4096
    /// The largest option payload read; longer ones close the connection (nothing legitimate is
    /// near it: an NBD_OPT_GO carries a name of at most 4 KiB and a few info requests).
    static let maximumOptionLength = 64 * 1024
    /// The largest read or write payload (the maximum block size advertised with
    /// NBD_INFO_BLOCK_SIZE; 32 MiB is what qemu-nbd and nbdkit allow too).
    public static let maximumPayload = 32 * 1024 * 1024
    /// The block size advertised as preferred; the minimum is 1 (drivers take any offset).
    static let preferredBlockSize: UInt32 = 4096
}

/// Big-endian building and reading of NBD messages.
struct NBDWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 32) { bytes.reserveCapacity(capacity) }

    mutating func u16(_ value: UInt16) { for shift in stride(from: 8, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt16(shift))) } }
    mutating func u32(_ value: UInt32) { for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
    mutating func u64(_ value: UInt64) { for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) } }
    mutating func append(_ data: [UInt8]) { bytes += data }
}

/// Reads big-endian fields from a received message; every read is checked against its length.
struct NBDReader {
    let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }

    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, count <= remaining else { return nil }
        defer { position += count }
        return Array(bytes[position ..< position + count])
    }

    private mutating func integer(_ count: Int) -> UInt64? {
        guard count <= remaining else { return nil }
        var value: UInt64 = 0
        for index in position ..< position + count { value = value << 8 | UInt64(bytes[index]) }
        position += count
        return value
    }

    mutating func u16() -> UInt16? { integer(2).map { UInt16($0) } }
    mutating func u32() -> UInt32? { integer(4).map { UInt32($0) } }
    mutating func u64() -> UInt64? { integer(8) }
}
