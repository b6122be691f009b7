#if canImport(Glibc)
import Glibc
#endif
import Storage

/// A virtio 9P transport (device ID 9): QEMU's `virtio-9p-device` and `virtio-9p-pci`. Each
/// request on its one queue is one 9P message in the device-readable part and room for the
/// reply in the device-writable part; Storage's NinePServer answers it. The configuration space
/// holds the mount tag the guest mounts by (`mount -t 9p -o trans=virtio TAG /mnt`), as Linux's
/// include/uapi/linux/virtio_9p.h lays it out: le16 tag_len, then the tag's bytes, no NUL.
///
/// Requests are served on the notifying hart's thread, one at a time, in ring order, as the
/// synchronous virtio-blk path does: a 9P request is a few host system calls on the share.
public final class VirtioNinePDevice: VirtioDevice {
    /// Feature bits (virtio_9p.h).
    public enum Feature {
        /// The configuration space holds a mount tag.
        public static let mountTag: UInt64 = 1 << 0
    }

    /// The longest mount tag accepted: a bound that keeps the configuration space small (the
    /// tag is only the name a guest mounts by).
    public static let maximumTagLength = 255

    /// Why a mount tag cannot be used.
    public enum TagError: Error, Equatable, CustomStringConvertible {
        case empty
        case tooLong(Int)
        case containsNUL
        public var description: String {
            switch self {
            case .empty: return "the mount tag is empty"
            case .tooLong(let n): return "the mount tag is \(n) bytes long (at most \(VirtioNinePDevice.maximumTagLength))"
            case .containsNUL: return "the mount tag contains a NUL byte"
            }
        }
    }

    public let server: NinePServer
    public let mountTag: String
    public var deviceType: VirtioDeviceType { .ninePTransport }
    public var deviceFeatures: UInt64 { Feature.mountTag }
    /// One request queue.
    public var queueCount: Int { 1 }
    /// What QueueNumMax reads, as on QEMU's virtio-mmio (VIRTQUEUE_MAX_SIZE for every device).
    public let maximumQueueSize: UInt16 = 1024

    public init(server: NinePServer, mountTag: String) throws(TagError) {
        try Self.check(tag: mountTag)
        self.server = server
        self.mountTag = mountTag
    }

    /// Checks a mount tag as the device would take it.
    public static func check(tag: String) throws(TagError) {
        let bytes = Array(tag.utf8)
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maximumTagLength else { throw .tooLong(bytes.count) }
        guard !bytes.contains(0) else { throw .containsNUL }
    }

    /// struct virtio_9p_config: le16 tag_len, u8 tag[tag_len].
    public var configuration: [UInt8] {
        let tag = Array(mountTag.utf8)
        return [UInt8(tag.count & 0xFF), UInt8(tag.count >> 8)] + tag
    }

    public func handle(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> UInt32 {
        let reply: [UInt8]
        if request.readableLength > Int(server.messageSize) {
            // Larger than any message the session allows: answer by its tag without reading it all.
            let header = request.read(count: min(NineP.headerSize, request.readableLength)) ?? []
            let tag = header.count == NineP.headerSize ? UInt16(header[5]) | UInt16(header[6]) << 8 : NineP.noTag
            reply = NinePServer.error(tag: tag, EMSGSIZE)
        } else {
            let message = request.read(count: request.readableLength) ?? []
            reply = server.handle(message, replyLimit: request.writableLength)
        }
        if reply.count <= request.writableLength {
            request.write(reply)
            return UInt32(reply.count)
        }
        // Replies that are not reads cannot be cut to the room given: say so if even that fits.
        let tag = reply.count >= NineP.headerSize ? UInt16(reply[5]) | UInt16(reply[6]) << 8 : NineP.noTag
        let error = NinePServer.error(tag: tag, ENOBUFS)
        guard error.count <= request.writableLength else {
            throw .malformedRequest("virtio-9p request with \(request.writableLength) device-writable bytes, too few for any reply")
        }
        request.write(error)
        return UInt32(error.count)
    }
}
