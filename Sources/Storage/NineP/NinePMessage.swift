/// Numbers and wire formats of 9P2000.L, named once: the message types of Linux's
/// include/net/9p/9p.h (`enum p9_msg_t`) and the layouts of the 9P2000.L protocol description
/// (diod's protocol.md; Plan 9's intro(5) for the messages 9P2000.L keeps from 9P2000).
///
/// Every message is size[4] type[1] tag[2] and a body, little-endian; size counts the whole
/// message, itself included. Strings are len[2] and that many bytes (UTF-8, no NUL).
public enum NinePMessageType: UInt8, Sendable, CaseIterable {
    case rlerror = 7
    case tstatfs = 8, rstatfs = 9
    case tlopen = 12, rlopen = 13
    case tlcreate = 14, rlcreate = 15
    case tsymlink = 16, rsymlink = 17
    case tmknod = 18, rmknod = 19
    case trename = 20, rrename = 21
    case treadlink = 22, rreadlink = 23
    case tgetattr = 24, rgetattr = 25
    case tsetattr = 26, rsetattr = 27
    case txattrwalk = 30, rxattrwalk = 31
    case txattrcreate = 32, rxattrcreate = 33
    case treaddir = 40, rreaddir = 41
    case tfsync = 50, rfsync = 51
    case tlock = 52, rlock = 53
    case tgetlock = 54, rgetlock = 55
    case tlink = 70, rlink = 71
    case tmkdir = 72, rmkdir = 73
    case trenameat = 74, rrenameat = 75
    case tunlinkat = 76, runlinkat = 77
    case tversion = 100, rversion = 101
    case tauth = 102, rauth = 103
    case tattach = 104, rattach = 105
    case tflush = 108, rflush = 109
    case twalk = 110, rwalk = 111
    case tread = 116, rread = 117
    case twrite = 118, rwrite = 119
    case tclunk = 120, rclunk = 121
    case tremove = 122, rremove = 123
}

/// Constants of the protocol.
public enum NineP {
    /// The version string this server speaks; Tversion with any other gets "unknown" (version(5)).
    public static let version = "9P2000.L"
    /// size[4] type[1] tag[2].
    public static let headerSize = 7
    /// The tag of Tversion, and of an Rlerror for a message too short to carry a tag.
    public static let noTag: UInt16 = 0xFFFF
    /// "No fid" (afid of an unauthenticated Tattach).
    public static let noFid: UInt32 = 0xFFFF_FFFF
    /// At most this many names in one Twalk (walk(5): MAXWELEM).
    public static let maximumWalkNames = 16
    /// Bytes of a qid: type[1] version[4] path[8].
    public static let qidSize = 13
    /// Bytes before the data of Rread and Rreaddir: the header and count[4].
    public static let readReplyHeader = headerSize + 4
    /// The largest msize this server agrees to: Linux's virtio transport asks for at most about
    /// 500 KiB (its ring's pages), and a request never makes the host hold more than this.
    public static let maximumMessageSize: UInt32 = 1 << 20
    /// The smallest msize that leaves room for a useful reply (QEMU refuses below 4096 too).
    public static let minimumMessageSize: UInt32 = 4096

    /// Qid types (intro(5): the high bits of a file's mode).
    public enum QidType {
        public static let directory: UInt8 = 0x80
        public static let symlink: UInt8 = 0x02
        public static let file: UInt8 = 0x00
    }

    /// Tgetattr's request_mask and Rgetattr's valid: P9_GETATTR_BASIC, the struct stat fields.
    public static let getattrBasic: UInt64 = 0x0000_07FF

    /// Tsetattr's valid bits (Linux's P9_ATTR_*).
    public enum SetattrValid {
        public static let mode: UInt32 = 0x001
        public static let uid: UInt32 = 0x002
        public static let gid: UInt32 = 0x004
        public static let size: UInt32 = 0x008
        public static let atime: UInt32 = 0x010
        public static let mtime: UInt32 = 0x020
        public static let ctime: UInt32 = 0x040
        public static let atimeSet: UInt32 = 0x080
        public static let mtimeSet: UInt32 = 0x100
    }

    /// The open flags of Tlopen and Tlcreate: Linux's generic values (include/net/9p/9p.h, P9_DOTL_*).
    public enum OpenFlag {
        public static let accessMode: UInt32 = 0o3
        public static let writeOnly: UInt32 = 0o1
        public static let readWrite: UInt32 = 0o2
        public static let create: UInt32 = 0o100
        public static let exclusive: UInt32 = 0o200
        public static let truncate: UInt32 = 0o1000
        public static let append: UInt32 = 0o2000
        public static let directory: UInt32 = 0o200000
        public static let dataSync: UInt32 = 0o10000
        public static let sync: UInt32 = 0o4010000
    }

    /// Tunlinkat's flag for a directory (AT_REMOVEDIR).
    public static let removeDirectory: UInt32 = 0x200
}

/// A server's unique identification of a file (intro(5)): its type, a version and a path that
/// no other file of the share has at the same time.
public struct NinePQid: Equatable, Sendable {
    public var type: UInt8
    public var version: UInt32
    public var path: UInt64

    public init(type: UInt8, version: UInt32, path: UInt64) {
        self.type = type
        self.version = version
        self.path = path
    }
}

/// Why a message could not be read: it is shorter than its fields say.
public struct NinePDecodeError: Error, Equatable {}

/// Reads the fields of one message from its bytes, each read checked against what is left.
public struct NinePReader {
    let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    mutating func integer(_ width: Int) throws(NinePDecodeError) -> UInt64 {
        guard remaining >= width else { throw NinePDecodeError() }
        var value: UInt64 = 0
        for i in (0..<width).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
        offset += width
        return value
    }

    public mutating func u8() throws(NinePDecodeError) -> UInt8 { UInt8(try integer(1)) }
    public mutating func u16() throws(NinePDecodeError) -> UInt16 { UInt16(try integer(2)) }
    public mutating func u32() throws(NinePDecodeError) -> UInt32 { UInt32(try integer(4)) }
    public mutating func u64() throws(NinePDecodeError) -> UInt64 { try integer(8) }

    /// `count` raw bytes.
    public mutating func data(_ count: Int) throws(NinePDecodeError) -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else { throw NinePDecodeError() }
        defer { offset += count }
        return bytes[offset ..< offset + count]
    }

    /// A string's raw bytes (len[2] bytes); whether they make a valid name is the caller's check.
    public mutating func string() throws(NinePDecodeError) -> [UInt8] {
        Array(try data(Int(try u16())))
    }

    public mutating func qid() throws(NinePDecodeError) -> NinePQid {
        NinePQid(type: try u8(), version: try u32(), path: try u64())
    }
}

/// Builds one message: `begin` writes the header with a size to be filled in, `finish` fills it.
public struct NinePWriter {
    public private(set) var bytes: [UInt8] = []

    public init(type: NinePMessageType, tag: UInt16) {
        bytes.reserveCapacity(64)
        u32(0)
        u8(type.rawValue)
        u16(tag)
    }

    mutating func integer(_ value: UInt64, _ width: Int) {
        for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    public mutating func u16(_ value: UInt16) { integer(UInt64(value), 2) }
    public mutating func u32(_ value: UInt32) { integer(UInt64(value), 4) }
    public mutating func u64(_ value: UInt64) { integer(value, 8) }
    public mutating func data(_ value: some Collection<UInt8>) { bytes += value }
    /// A string; at most 65535 bytes go out (the length field's limit).
    public mutating func string(_ value: some Collection<UInt8>) {
        let cut = Array(value.prefix(Int(UInt16.max)))
        u16(UInt16(cut.count))
        bytes += cut
    }
    public mutating func string(_ value: String) { string(Array(value.utf8)) }
    public mutating func qid(_ qid: NinePQid) {
        u8(qid.type)
        u32(qid.version)
        u64(qid.path)
    }

    /// The message, with its size filled in.
    public func finished() -> [UInt8] {
        var out = bytes
        let size = UInt32(out.count)
        for i in 0..<4 { out[i] = UInt8(truncatingIfNeeded: size >> (8 * UInt32(i))) }
        return out
    }
}
