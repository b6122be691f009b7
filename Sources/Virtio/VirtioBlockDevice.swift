import Storage

/// A virtio block device (virtio 1.2, §5.2) over any image format's driver (Storage's
/// BlockDriver: raw, qcow2): QEMU's `virtio-blk-device`.
///
/// Read, write, flush, get-id (the serial), discard and write-zeroes, one or several request
/// queues, read-only images; configuration values as QEMU 7.2 gives them for the same options
/// (seg_max = queue size − 2, blk_size 512, one discard or write-zeroes segment per request).
public final class VirtioBlockDevice: VirtioDevice {
    /// Feature bits (§5.2.3).
    public enum Feature {
        public static let segmentMaximum: UInt64 = 1 << 2
        public static let readOnly: UInt64 = 1 << 5
        public static let blockSize: UInt64 = 1 << 6
        public static let flush: UInt64 = 1 << 9
        public static let multiQueue: UInt64 = 1 << 12
        public static let discard: UInt64 = 1 << 13
        public static let writeZeroes: UInt64 = 1 << 14
    }

    /// Request types (§5.2.6).
    public enum RequestType {
        public static let read: UInt32 = 0
        public static let write: UInt32 = 1
        public static let flush: UInt32 = 4
        public static let getID: UInt32 = 8
        public static let discard: UInt32 = 11
        public static let writeZeroes: UInt32 = 13
    }

    /// Request status values (§5.2.6).
    public enum Status {
        public static let ok: UInt8 = 0
        public static let ioError: UInt8 = 1
        public static let unsupported: UInt8 = 2
    }

    /// Request addresses count 512-byte sectors whatever blk_size says (§5.2.6).
    public static let sectorSize: UInt64 = 512
    /// Bytes of the request header: le32 type, le32 reserved, le64 sector (§5.2.6).
    static let headerSize = 16
    /// Bytes of one discard / write-zeroes segment: le64 sector, le32 num_sectors, le32 flags.
    static let segmentSize = 16
    /// The write-zeroes segment flag that allows deallocating the range.
    static let unmapFlag: UInt32 = 1
    /// Length of the device ID that VIRTIO_BLK_T_GET_ID returns (VIRTIO_BLK_ID_BYTES).
    public static let identifierLength = 20
    /// QEMU's default queue-size for virtio-blk, from which it derives seg_max.
    public static let defaultQueueSize: UInt16 = 256
    /// What QueueNumMax reads: QEMU's virtio-mmio reports VIRTQUEUE_MAX_SIZE for every queue
    /// whatever the device's queue-size (observed on QEMU 7.2: 0x400).
    public static let mmioQueueSizeMaximum: UInt16 = 1024
    /// QEMU's default max-discard-sectors and max-write-zeroes-sectors (BDRV_REQUEST_MAX_SECTORS:
    /// INT_MAX bytes in sectors).
    static let maximumDiscardSectors: UInt32 = UInt32(Int32.max) >> 9
    /// Bytes moved between the image and guest RAM at a time, so that a request's size never
    /// decides how much host memory it takes.
    static let transferChunk = 1 << 20

    /// QEMU's `detect-zeroes=`: a write of all zeros becomes a write-zeroes request (`unmap`:
    /// one that may deallocate, when discard=unmap).
    public enum DetectZeroes: String, Sendable, CaseIterable { case off, on, unmap }

    /// The backend: an image through its format's driver.
    public let disk: any BlockDriver
    public let detectZeroes: DetectZeroes
    /// What GET_ID returns (QEMU's `serial=`).
    public let serial: String
    /// `discard=unmap` on the drive: discards and write-zeroes with the unmap flag punch holes.
    public let unmapDiscards: Bool
    /// Request queues (QEMU's `num-queues=`).
    public let queueCount: Int
    /// QEMU's queue-size property: seg_max is this − 2.
    public let queueSize: UInt16
    public var maximumQueueSize: UInt16 { Self.mmioQueueSizeMaximum }
    public var deviceType: VirtioDeviceType { .block }

    /// - Parameters:
    ///   - serial: QEMU's `serial=`, returned by GET_ID (at most 20 bytes are used).
    ///   - queueCount: QEMU's `num-queues=` (1 unless given).
    public init(disk: any BlockDriver, serial: String = "", queueCount: Int = 1, queueSize: UInt16 = defaultQueueSize,
                unmapDiscards: Bool = false, detectZeroes: DetectZeroes = .off) {
        self.detectZeroes = detectZeroes
        precondition(queueCount >= 1, "a block device needs a queue")
        self.disk = disk
        self.serial = serial
        self.queueCount = queueCount
        self.queueSize = queueSize
        self.unmapDiscards = unmapDiscards
    }

    /// Capacity in 512-byte sectors (a partial last sector is not part of the disk).
    public var capacity: UInt64 { disk.virtualSize / Self.sectorSize }

    public var deviceFeatures: UInt64 {
        var features = Feature.segmentMaximum | Feature.blockSize | Feature.discard | Feature.writeZeroes
        if disk.readOnly { features |= Feature.readOnly }
        // QEMU offers FLUSH only when the guest sees a write cache (cache=writeback, none, unsafe).
        if disk.cache.hasVolatileWriteCache { features |= Feature.flush }
        if queueCount > 1 { features |= Feature.multiQueue }
        return features
    }

    /// struct virtio_blk_config (§5.2.4) up to write_zeroes_may_unmap and its padding.
    public var configuration: [UInt8] {
        var bytes: [UInt8] = []
        func put(_ value: UInt64, _ size: Int) {
            for i in 0..<size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
        }
        put(capacity, 8)                                 // capacity
        put(0, 4)                                        // size_max (not offered)
        put(UInt64(queueSize) - 2, 4)             // seg_max: QEMU's queue size − 2
        put(0, 4)                                        // geometry (not offered)
        put(Self.sectorSize, 4)                          // blk_size
        put(0, 8)                                        // topology (not offered)
        put(0, 1)                                        // writeback (CONFIG_WCE not offered)
        put(0, 1)                                        // unused0
        put(UInt64(queueCount), 2)                       // num_queues
        put(UInt64(Self.maximumDiscardSectors), 4)       // max_discard_sectors
        put(1, 4)                                        // max_discard_seg
        put(1, 4)                                        // discard_sector_alignment (blk_size / 512)
        put(UInt64(Self.maximumDiscardSectors), 4)       // max_write_zeroes_sectors
        put(1, 4)                                        // max_write_zeroes_seg
        // write_zeroes_may_unmap: QEMU 7.2 reports 1 whatever discard= says (observed); with
        // discard=ignore an unmap-flagged write-zeroes still only writes zeros, there and here.
        put(1, 1)
        put(0, 3)                                        // unused1
        return bytes
    }

    public func handle(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> UInt32 {
        // The header must be device-readable and the status byte device-writable (§5.2.6.1);
        // a chain without them is a driver bug the device cannot even report in a status.
        guard request.readableLength >= Self.headerSize, let header = request.read(count: Self.headerSize) else {
            throw .malformedRequest("virtio-blk request without a 16-byte device-readable header")
        }
        guard request.writableLength >= 1 else {
            throw .malformedRequest("virtio-blk request without a device-writable status byte")
        }
        func le(_ range: Range<Int>) -> UInt64 { range.reversed().reduce(0) { $0 << 8 | UInt64(header[$1]) } }
        let type = UInt32(le(0..<4)), sector = le(8..<16)
        let statusOffset = request.writableLength - 1
        var written = 1
        let status: UInt8
        switch type {
        case RequestType.read:
            let length = statusOffset
            status = transfer(request, sector: sector, length: UInt64(length)) { offset, chunk throws(StorageError) in
                let bytes = try disk.read(at: offset, count: chunk.count)
                request.write(bytes, at: chunk.lowerBound)
            }
            if status == Status.ok { written += length }
        case RequestType.write:
            let length = request.readableLength - Self.headerSize
            if disk.readOnly {
                status = Status.ioError
            } else {
                status = transfer(request, sector: sector, length: UInt64(length)) { offset, chunk throws(StorageError) in
                    guard let bytes = request.read(count: chunk.count, at: Self.headerSize + chunk.lowerBound) else { return }
                    if detectZeroes != .off, !bytes.contains(where: { $0 != 0 }) {
                        try disk.writeZeroes(at: offset, count: UInt64(bytes.count), deallocate: detectZeroes == .unmap && unmapDiscards)
                    } else {
                        try disk.write(bytes, at: offset)
                    }
                }
            }
        case RequestType.flush:
            do { try disk.flush(); status = Status.ok } catch { status = Status.ioError }
        case RequestType.getID:
            // The serial, NUL-padded to 20 bytes (no terminator when it is 20 long), cut to the buffer.
            var identifier = Array(serial.utf8.prefix(Self.identifierLength))
            identifier += [UInt8](repeating: 0, count: Self.identifierLength - identifier.count)
            let length = min(Self.identifierLength, statusOffset)
            request.write(identifier[..<length])
            written += length
            status = Status.ok
        case RequestType.discard, RequestType.writeZeroes:
            status = discardOrZero(request, zero: type == RequestType.writeZeroes)
        default:
            status = Status.unsupported
        }
        request.write([status], at: statusOffset)
        // Writable buffers may add up past 4 GiB on a large guest; the used length is a le32.
        return UInt32(clamping: written)
    }

    /// Moves `length` bytes between the disk at `sector` and the request's data, a chunk at a
    /// time; `body` gets the disk offset and the chunk's range within the data.
    private func transfer(_ request: VirtioRequest, sector: UInt64, length: UInt64,
                          _ body: (UInt64, Range<Int>) throws(StorageError) -> Void) -> UInt8 {
        // Whole sectors only (QEMU checks against the logical block size, 512), inside the disk.
        guard length % Self.sectorSize == 0, rangeIsInside(sector: sector, bytes: length) else { return Status.ioError }
        var done = 0
        while done < Int(length) {
            let count = min(Self.transferChunk, Int(length) - done)
            do {
                try body(sector * Self.sectorSize + UInt64(done), done ..< done + count)
            } catch {
                return Status.ioError
            }
            done += count
        }
        return Status.ok
    }

    private func rangeIsInside(sector: UInt64, bytes: UInt64) -> Bool {
        let sectors = bytes / Self.sectorSize
        return sector <= capacity && sectors <= capacity - sector
    }

    /// VIRTIO_BLK_T_DISCARD and _WRITE_ZEROES (§5.2.6): one segment, as QEMU's max_*_seg = 1.
    private func discardOrZero(_ request: VirtioRequest, zero: Bool) -> UInt8 {
        let dataLength = request.readableLength - Self.headerSize
        guard dataLength == Self.segmentSize, let segment = request.read(count: Self.segmentSize, at: Self.headerSize) else {
            return dataLength % Self.segmentSize == 0 && dataLength > 0 ? Status.ioError : Status.unsupported
        }
        func le(_ range: Range<Int>) -> UInt64 { range.reversed().reduce(0) { $0 << 8 | UInt64(segment[$1]) } }
        let sector = le(0..<8), count = le(8..<12), flags = UInt32(le(12..<16))
        // Discard has no flags; write-zeroes only unmap (§5.2.6.2: the device MUST set UNSUPP otherwise).
        guard flags & ~(zero ? Self.unmapFlag : 0) == 0 else { return Status.unsupported }
        // A discard that discard=ignore drops succeeds even on a read-only drive, as on QEMU 7.2
        // (observed); anything that would change the image is an I/O error there.
        guard !disk.readOnly || (!zero && !unmapDiscards) else { return Status.ioError }
        guard count <= UInt64(Self.maximumDiscardSectors), rangeIsInside(sector: sector, bytes: count * Self.sectorSize) else {
            return Status.ioError
        }
        let offset = sector * Self.sectorSize, bytes = count * Self.sectorSize
        if zero {
            do {
                try disk.writeZeroes(at: offset, count: bytes, deallocate: unmapDiscards && flags & Self.unmapFlag != 0)
            } catch {
                return Status.ioError
            }
        } else if unmapDiscards {
            // discard=ignore (QEMU's default for -drive) keeps the data; the request still succeeds.
            do { try disk.discard(at: offset, count: bytes) } catch { return Status.ioError }
        }
        return Status.ok
    }
}
