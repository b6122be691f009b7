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

    /// How requests reach the disk: QEMU's `-drive ...,aio=`.
    public enum IOMode: Equatable, Sendable {
        /// On the notifying hart's thread, before its store to the notification register retires.
        /// `--icount` uses this: the same instruction then sees the same completion run after
        /// run, where a host thread's timing would change when the interrupt comes.
        case synchronous
        /// QEMU's `aio=threads`: on this many host threads (one when the driver does not allow
        /// concurrent requests), completed from the board's device polls.
        case threads(Int)
    }

    /// What a request run on an I/O thread gives back: the bytes read, or a status.
    enum Outcome {
        case data([UInt8])
        case status(UInt8)
    }

    /// A request handed to the I/O threads, until its outcome is applied.
    private struct InFlight {
        let request: VirtioRequest
        let queue: Int
        let statusOffset: Int
        let dataLength: Int
    }

    /// Requests with more data than this are not copied into a host buffer: they run on the
    /// polling hart's thread straight from and into guest memory, a chunk at a time as the
    /// synchronous path does, once nothing else is in flight (so they keep their order). Linux
    /// sends at most seg_max (254) pages, about 1 MiB, so it never gets here.
    static let threadedRequestLimit = 4 << 20
    /// The device takes no more requests while the host buffers of those in flight hold this
    /// many bytes, so a guest cannot make the host allocate more than this for it.
    static let bytesInFlightLimit = 64 << 20

    /// The driver's size and read-only state when the device was made. The device reads these
    /// copies, never the driver's own, because an I/O thread may change the driver meanwhile (qcow2
    /// turns read-only when it finds corruption; later writes then fail in the driver, as I/O errors).
    private let diskSize: UInt64
    private let diskReadOnly: Bool

    /// `aio=`: synchronous, or I/O threads.
    public let ioMode: IOMode
    /// The I/O threads (nil when synchronous).
    private let io: BlockIOThreads<Outcome>?
    /// Asks the board for a device poll soon (it wakes a hart sleeping in WFI).
    private let requestPoll: @Sendable () -> Void
    /// The transport, which takes completed requests back (`VirtioHeldQueues.complete`).
    private weak var transport: (any VirtioHeldQueues)?
    private var inFlight: [UInt64: InFlight] = [:]
    private var nextToken: UInt64 = 0
    private var bytesInFlight = 0
    /// A request too large for the I/O threads, waiting for the others to finish.
    private var heldBack: (request: VirtioRequest, queue: Int, plan: Plan, statusOffset: Int)?

    /// - Parameters:
    ///   - serial: QEMU's `serial=`, returned by GET_ID (at most 20 bytes are used).
    ///   - queueCount: QEMU's `num-queues=` (1 unless given).
    ///   - ioMode: QEMU's `aio=`; synchronous unless given.
    ///   - requestPoll: with I/O threads, called (on any thread) when the device wants the board
    ///     to poll it soon: a notification to take, an outcome to apply.
    public init(disk: any BlockDriver, serial: String = "", queueCount: Int = 1, queueSize: UInt16 = defaultQueueSize,
                unmapDiscards: Bool = false, detectZeroes: DetectZeroes = .off, ioMode: IOMode = .synchronous,
                requestPoll: @escaping @Sendable () -> Void = {}) {
        self.detectZeroes = detectZeroes
        precondition(queueCount >= 1, "a block device needs a queue")
        self.disk = disk
        diskSize = disk.virtualSize
        diskReadOnly = disk.readOnly
        self.serial = serial
        self.queueCount = queueCount
        self.queueSize = queueSize
        self.unmapDiscards = unmapDiscards
        self.ioMode = ioMode
        self.requestPoll = requestPoll
        if case .threads(let count) = ioMode {
            // qcow2 is not thread-safe (its L2 and refcount caches, cluster allocation): one
            // thread runs its requests one at a time, in order unless BlockIOAccess lets them pass.
            io = BlockIOThreads(threadCount: disk.allowsConcurrentRequests ? count : 1, onFinished: requestPoll)
        } else {
            io = nil
        }
    }

    deinit { io?.shutdown() }

    /// Capacity in 512-byte sectors (a partial last sector is not part of the disk).
    public var capacity: UInt64 { diskSize / Self.sectorSize }

    public var deviceFeatures: UInt64 {
        var features = Feature.segmentMaximum | Feature.blockSize | Feature.discard | Feature.writeZeroes
        if diskReadOnly { features |= Feature.readOnly }
        // QEMU offers FLUSH only when the guest sees a write cache (cache=writeback, none, unsafe).
        if disk.cache.hasVolatileWriteCache { features |= Feature.flush }  // a `let` of every driver
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

    /// What a request asks of the disk, once its header and segment are checked.
    enum Plan {
        /// Finished without the disk (get-id, a bad range, an unknown type): the status, and
        /// the bytes written before the status byte.
        case done(status: UInt8, written: Int)
        case read(offset: UInt64, length: Int)
        case write(offset: UInt64, length: Int)
        case flush
        case discard(offset: UInt64, count: UInt64)
        case writeZeroes(offset: UInt64, count: UInt64, deallocate: Bool)

        /// The range it touches, for ordering requests that run at once (BlockIOThreads).
        var access: BlockIOAccess {
            switch self {
            case .done: return .read(0..<0)
            case .read(let offset, let length): return .read(offset ..< offset + UInt64(length))
            case .write(let offset, let length): return .write(offset ..< offset + UInt64(length))
            case .flush: return .flush
            case .discard(let offset, let count), .writeZeroes(let offset, let count, _): return .write(offset ..< offset + count)
            }
        }

        /// Bytes of guest data a host buffer holds while it runs on an I/O thread.
        var dataLength: Int {
            switch self {
            case .read(_, let length), .write(_, let length): return length
            default: return 0
            }
        }
    }

    /// Checks a request's header and shape and says what it asks of the disk; `statusOffset` is
    /// where its status byte goes in the device-writable part.
    private func plan(_ request: VirtioRequest) throws(VirtioDeviceError) -> (plan: Plan, statusOffset: Int) {
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
        // Whole sectors only (QEMU checks against the logical block size, 512), inside the disk.
        func transferable(_ length: Int) -> Bool {
            UInt64(length) % Self.sectorSize == 0 && rangeIsInside(sector: sector, bytes: UInt64(length))
        }
        switch type {
        case RequestType.read:
            let length = statusOffset
            guard transferable(length) else { return (.done(status: Status.ioError, written: 0), statusOffset) }
            return (.read(offset: sector * Self.sectorSize, length: length), statusOffset)
        case RequestType.write:
            let length = request.readableLength - Self.headerSize
            guard !diskReadOnly, transferable(length) else { return (.done(status: Status.ioError, written: 0), statusOffset) }
            return (.write(offset: sector * Self.sectorSize, length: length), statusOffset)
        case RequestType.flush:
            return (.flush, statusOffset)
        case RequestType.getID:
            // The serial, NUL-padded to 20 bytes (no terminator when it is 20 long), cut to the buffer.
            var identifier = Array(serial.utf8.prefix(Self.identifierLength))
            identifier += [UInt8](repeating: 0, count: Self.identifierLength - identifier.count)
            let length = min(Self.identifierLength, statusOffset)
            request.write(identifier[..<length])
            return (.done(status: Status.ok, written: length), statusOffset)
        case RequestType.discard, RequestType.writeZeroes:
            return (planDiscardOrZero(request, zero: type == RequestType.writeZeroes), statusOffset)
        default:
            return (.done(status: Status.unsupported, written: 0), statusOffset)
        }
    }

    public func handle(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> UInt32 {
        let (plan, statusOffset) = try plan(request)
        return perform(plan, request, statusOffset: statusOffset)
    }

    /// Carries out `plan` on this thread, straight between the disk and guest memory, and writes
    /// the status; returns the bytes written into the device-writable part.
    private func perform(_ plan: Plan, _ request: VirtioRequest, statusOffset: Int) -> UInt32 {
        var written = 0
        let status: UInt8
        switch plan {
        case .done(let planned, let count):
            status = planned
            written = count
        case .read(let offset, let length):
            status = transfer(offset: offset, length: length) { offset, chunk throws(StorageError) in
                let bytes = try disk.read(at: offset, count: chunk.count)
                request.write(bytes, at: chunk.lowerBound)
            }
            if status == Status.ok { written = length }
        case .write(let offset, let length):
            status = transfer(offset: offset, length: length) { offset, chunk throws(StorageError) in
                guard let bytes = request.read(count: chunk.count, at: Self.headerSize + chunk.lowerBound) else { return }
                try writeChunk(bytes, at: offset)
            }
        case .flush, .discard, .writeZeroes:
            status = Self.run(plan, on: disk)
        }
        request.write([status], at: statusOffset)
        // Writable buffers may add up past 4 GiB on a large guest; the used length is a le32.
        return UInt32(clamping: written + 1)
    }

    /// Writes one chunk of a write request, as write-zeroes when detect-zeroes finds only zeros.
    private func writeChunk(_ bytes: [UInt8], at offset: UInt64) throws(StorageError) {
        try Self.writeChunk(bytes, at: offset, disk: disk, detectZeroes: detectZeroes, unmap: unmapDiscards)
    }

    private static func writeChunk(_ bytes: [UInt8], at offset: UInt64, disk: any BlockDriver, detectZeroes: DetectZeroes,
                                   unmap: Bool) throws(StorageError) {
        if detectZeroes != .off, !bytes.contains(where: { $0 != 0 }) {
            try disk.writeZeroes(at: offset, count: UInt64(bytes.count), deallocate: detectZeroes == .unmap && unmap)
        } else {
            try disk.write(bytes, at: offset)
        }
    }

    // MARK: I/O threads (aio=threads)
    //
    // Where completions are applied: from `poll`, which the board calls on a hart's thread under
    // its device lock (as QEMU applies a thread-pool completion in a bottom half under the
    // iothread lock), never from an I/O thread. The I/O threads only see host buffers and the
    // block driver: a write's data is copied out of guest memory when the request is taken, a
    // read's data is copied into guest memory by `poll`. So guest RAM is written only by hart
    // threads, through the relaxed atomics of GuestMemory.h as before, the used ring is filled
    // with its fences (Virtqueue.complete) by the same thread that raises the interrupt, and the
    // decoded-code invalidation a disk read causes (ObservedGuestMemory) still happens on the
    // hart thread it concerns. The cost is one host copy per request, small next to the system call.
    //
    // Notifications are deferred too (`defersNotification`): the notifying hart only marks the
    // queue and goes on, and the next device poll takes the requests, as QEMU's ioeventfd hands a
    // kick to another thread. Until it does, avail_event (VIRTIO_F_EVENT_IDX) still names the old
    // index, so a driver that adds more requests meanwhile does not notify again.
    //
    // Reset: `reset` cancels the requests not yet started and forgets those running; nothing is
    // written into guest memory for them afterwards (their outcomes never reach `poll`), and
    // BlockIOThreads keeps later overlapping requests and flushes behind the ones still running.

    public func defersNotification(queue: Int) -> Bool {
        guard io != nil else { return false }
        requestPoll()
        return true
    }

    public var acceptsRequests: Bool { heldBack == nil && bytesInFlight < Self.bytesInFlightLimit }

    public func connect(_ queues: any VirtioHeldQueues) { transport = queues }

    public func begin(_ request: VirtioRequest, queue: Int) throws(VirtioDeviceError) -> VirtioRequestProgress {
        guard let io else { return .completed(try handle(request, queue: queue)) }
        let (plan, statusOffset) = try plan(request)
        if case .done = plan { return .completed(perform(plan, request, statusOffset: statusOffset)) }
        if plan.dataLength > Self.threadedRequestLimit {
            if inFlight.isEmpty && io.isIdle { return .completed(perform(plan, request, statusOffset: statusOffset)) }
            heldBack = (request, queue, plan, statusOffset)
            return .started
        }
        let disk = disk, detectZeroes = detectZeroes, unmap = unmapDiscards
        let work: () -> Outcome
        switch plan {
        case .read(let offset, let length):
            work = {
                var data: [UInt8] = []
                data.reserveCapacity(length)
                while data.count < length {
                    guard let chunk = try? disk.read(at: offset + UInt64(data.count), count: min(Self.transferChunk, length - data.count)) else {
                        return .status(Status.ioError)
                    }
                    data += chunk
                }
                return .data(data)
            }
        case .write(let offset, let length):
            guard let data = request.read(count: length, at: Self.headerSize) else {
                return .completed(perform(.done(status: Status.ioError, written: 0), request, statusOffset: statusOffset))
            }
            work = {
                var done = 0
                while done < length {
                    let count = min(Self.transferChunk, length - done)
                    do {
                        try Self.writeChunk(Array(data[done ..< done + count]), at: offset + UInt64(done), disk: disk,
                                            detectZeroes: detectZeroes, unmap: unmap)
                    } catch {
                        return .status(Status.ioError)
                    }
                    done += count
                }
                return .status(Status.ok)
            }
        default:
            work = { .status(Self.run(plan, on: disk)) }
        }
        let token = nextToken
        nextToken &+= 1
        inFlight[token] = InFlight(request: request, queue: queue, statusOffset: statusOffset, dataLength: plan.dataLength)
        bytesInFlight += plan.dataLength
        io.submit(token: token, access: plan.access, work: work)
        return .started
    }

    /// Applies the outcomes the I/O threads finished, in the order they finished (a request and
    /// one after it that waited for it therefore reach the used ring in that order), then runs a
    /// held-back large request once nothing else is in flight.
    public func poll() {
        guard let io, let transport else { return }
        var finished: [(queue: Int, [(request: VirtioRequest, written: UInt32)])] = []
        for (token, outcome) in io.takeFinished() {
            guard let entry = inFlight.removeValue(forKey: token) else { continue }
            bytesInFlight -= entry.dataLength
            var written = 1
            let status: UInt8
            switch outcome {
            case .data(let bytes):
                status = entry.request.write(bytes) ? Status.ok : Status.ioError
                if status == Status.ok { written += bytes.count }
            case .status(let value):
                status = value
            }
            entry.request.write([status], at: entry.statusOffset)
            if let index = finished.firstIndex(where: { $0.queue == entry.queue }) {
                finished[index].1.append((entry.request, UInt32(clamping: written)))
            } else {
                finished.append((entry.queue, [(entry.request, UInt32(clamping: written))]))
            }
        }
        for (queue, requests) in finished { transport.complete(queue: queue, requests) }
        if let held = heldBack, inFlight.isEmpty, io.isIdle {
            heldBack = nil
            let written = perform(held.plan, held.request, statusOffset: held.statusOffset)
            transport.complete(queue: held.queue, [(held.request, written)])
        }
    }

    /// Device reset with requests in flight: see above.
    public func reset() {
        io?.cancelAll()
        inFlight = [:]
        bytesInFlight = 0
        heldBack = nil
    }

    /// Waits until every request handed to the I/O threads has reached the disk (before the
    /// drives are flushed at the end of a run).
    public func drain() { io?.drain() }

    /// Requests handed to the I/O threads and not yet completed, for tests.
    public var requestsInFlight: Int { inFlight.count + (heldBack == nil ? 0 : 1) }

    /// Carries out a flush, discard or write-zeroes plan on `disk` (on any thread).
    private static func run(_ plan: Plan, on disk: any BlockDriver) -> UInt8 {
        do {
            switch plan {
            case .flush: try disk.flush()
            case .discard(let offset, let count): try disk.discard(at: offset, count: count)
            case .writeZeroes(let offset, let count, let deallocate): try disk.writeZeroes(at: offset, count: count, deallocate: deallocate)
            default: return Status.ioError
            }
        } catch {
            return Status.ioError
        }
        return Status.ok
    }

    /// Moves `length` bytes between the disk at `offset` and the request's data, a chunk at a
    /// time; `body` gets the disk offset and the chunk's range within the data.
    private func transfer(offset: UInt64, length: Int, _ body: (UInt64, Range<Int>) throws(StorageError) -> Void) -> UInt8 {
        var done = 0
        while done < length {
            let count = min(Self.transferChunk, length - done)
            do {
                try body(offset + UInt64(done), done ..< done + count)
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
    private func planDiscardOrZero(_ request: VirtioRequest, zero: Bool) -> Plan {
        func status(_ value: UInt8) -> Plan { .done(status: value, written: 0) }
        let dataLength = request.readableLength - Self.headerSize
        guard dataLength == Self.segmentSize, let segment = request.read(count: Self.segmentSize, at: Self.headerSize) else {
            return status(dataLength % Self.segmentSize == 0 && dataLength > 0 ? Status.ioError : Status.unsupported)
        }
        func le(_ range: Range<Int>) -> UInt64 { range.reversed().reduce(0) { $0 << 8 | UInt64(segment[$1]) } }
        let sector = le(0..<8), count = le(8..<12), flags = UInt32(le(12..<16))
        // Discard has no flags; write-zeroes only unmap (§5.2.6.2: the device MUST set UNSUPP otherwise).
        guard flags & ~(zero ? Self.unmapFlag : 0) == 0 else { return status(Status.unsupported) }
        // A discard that discard=ignore drops succeeds even on a read-only drive, as on QEMU 7.2
        // (observed); anything that would change the image is an I/O error there.
        guard !diskReadOnly || (!zero && !unmapDiscards) else { return status(Status.ioError) }
        guard count <= UInt64(Self.maximumDiscardSectors), rangeIsInside(sector: sector, bytes: count * Self.sectorSize) else {
            return status(Status.ioError)
        }
        let offset = sector * Self.sectorSize, bytes = count * Self.sectorSize
        if zero { return .writeZeroes(offset: offset, count: bytes, deallocate: unmapDiscards && flags & Self.unmapFlag != 0) }
        // discard=ignore (QEMU's default for -drive) keeps the data; the request still succeeds.
        return unmapDiscards ? .discard(offset: offset, count: bytes) : status(Status.ok)
    }
}
