/// Why a block operation or an image open failed: a category (so a device can map it to its
/// own status) and one line for a person.
public struct StorageError: Error, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The host refused a system call; `code` is its errno.
        case host
        /// The image's metadata is inconsistent or points outside the file.
        case corrupt
        /// A valid image uses something this block layer does not do (yet).
        case unsupported
        /// A write to an image opened read-only.
        case readOnly
        /// Another process (or another open in this one) holds the image (see ImageLock).
        case locked
        /// A request or an argument outside what the image allows.
        case invalid
    }

    public let kind: Kind
    /// errno for `.host`; EIO-like values otherwise, for callers that only report a number.
    public let code: Int32
    public let description: String

    public init(_ kind: Kind, _ description: String, code: Int32 = 5 /* EIO */) {
        self.kind = kind
        self.description = description
        self.code = code
    }
}

/// QEMU's `cache=` modes, as far as they differ for an image used by one process. `writeback`,
/// `none` and `unsafe` have a volatile write cache (the guest flushes it; `unsafe` ignores the
/// flushes), `writethrough` and `directsync` write each request through to stable storage.
/// (`none` and `directsync` bypass the host page cache in QEMU with O_DIRECT; here they go
/// through it, which changes speed, not results.)
public enum CacheMode: String, Sendable, CaseIterable {
    case writeback, none, writethrough, directsync, unsafe

    /// Whether the guest sees a write cache it must flush (QEMU then offers VIRTIO_BLK_F_FLUSH).
    public var hasVolatileWriteCache: Bool { self == .writeback || self == .none || self == .unsafe }
}

/// What a driver does natively, rather than by writing zeros or doing nothing.
public struct BlockDriverCapabilities: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Discard gives space back (a hole in the file, a freed cluster).
    public static let discard = BlockDriverCapabilities(rawValue: 1 << 0)
    /// Write-zeroes can deallocate instead of writing zeros (a hole, a zero cluster).
    public static let efficientZeroes = BlockDriverCapabilities(rawValue: 1 << 1)
    /// The image may read through to a backing file.
    public static let backingFile = BlockDriverCapabilities(rawValue: 1 << 2)
}

/// One image format over a host file, as a guest disk sees it: a flat run of `virtualSize`
/// bytes. QEMU's BlockDriver, cut down to what virtio-blk and the image tool need. Offsets and
/// counts need no alignment; a range past `virtualSize` is `.invalid`.
public protocol BlockDriver: AnyObject {
    /// The format's name as QEMU spells it: "raw", "qcow2".
    var formatName: String { get }
    /// The image file, as it was given.
    var path: String { get }
    /// The guest-visible size in bytes.
    var virtualSize: UInt64 { get }
    /// Opened read-only: writes, discards and write-zeroes fail with `.readOnly`.
    var readOnly: Bool { get }
    /// `cache=`: whether the guest sees a write cache, and whether writes are synced at once.
    var cache: CacheMode { get }
    var capabilities: BlockDriverCapabilities { get }
    /// Whether requests may run on several host threads at once (BlockIOThreads). A driver that
    /// keeps state between requests (qcow2's metadata cache and cluster allocation) says no and
    /// gets its requests one at a time.
    var allowsConcurrentRequests: Bool { get }

    func read(at offset: UInt64, count: Int) throws(StorageError) -> [UInt8]
    func write(_ bytes: [UInt8], at offset: UInt64) throws(StorageError)
    /// Makes every completed write durable; nothing under cache=unsafe.
    func flush() throws(StorageError)
    /// The end of the driver's use, where a process ends with exit() and never deinitializes
    /// it: a flush, and whatever a format keeps in memory until its image is closed is stored
    /// (qcow2's dirty bitmaps). A driver may refuse writes afterwards.
    func close() throws(StorageError)
    /// The range's contents become unspecified and its space may be given back; failure to give
    /// space back is no error.
    func discard(at offset: UInt64, count: UInt64) throws(StorageError)
    /// The range reads as zeros afterwards; with `deallocate` its space may be given back.
    func writeZeroes(at offset: UInt64, count: UInt64, deallocate: Bool) throws(StorageError)
}

extension BlockDriver {
    public var allowsConcurrentRequests: Bool { false }

    public func close() throws(StorageError) { try flush() }

    /// Throws `.invalid` unless [offset, offset + count) lies inside the virtual disk.
    func checkRange(_ offset: UInt64, _ count: UInt64) throws(StorageError) {
        guard offset <= virtualSize, count <= virtualSize - offset else {
            throw StorageError(.invalid, "request at \(offset) for \(count) bytes is past the end of '\(path)' (\(virtualSize) bytes)")
        }
    }

    func checkWritable() throws(StorageError) {
        if readOnly { throw StorageError(.readOnly, "'\(path)' is open read-only", code: 30 /* EROFS */) }
    }
}
