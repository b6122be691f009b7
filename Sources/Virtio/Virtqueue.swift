/// What a driver did to a virtqueue that the specification forbids. Each one ends in
/// DEVICE_NEEDS_RESET (§2.1.2): the device stops using the queue until the driver resets it.
public enum VirtqueueError: Error, Equatable, CustomStringConvertible {
    /// The descriptor table, available ring or used ring is not inside guest RAM, or misaligned (§2.7).
    case ringOutsideMemory(part: String, address: UInt64)
    case ringMisaligned(part: String, address: UInt64)
    /// avail.idx moved more than the queue size past what the device consumed (§2.7.6).
    case availableIndexJump(from: UInt16, to: UInt16)
    /// A head or `next` index at or beyond the table it indexes (§2.7.5).
    case descriptorIndexOutOfRange(index: UInt16, tableSize: UInt32)
    /// A chain longer than the queue size: a loop, or simply too long (§2.7.5.3.1: "A driver MUST
    /// NOT create a descriptor chain longer than the Queue Size of the device").
    case chainTooLong(limit: Int)
    /// A buffer not entirely inside guest RAM.
    case bufferOutsideMemory(address: UInt64, length: UInt32)
    /// An indirect table outside RAM, empty, or not a whole number of descriptors (§2.7.5.3).
    case indirectTableInvalid(address: UInt64, length: UInt32)
    /// VIRTQ_DESC_F_INDIRECT inside an indirect table, or with VIRTQ_DESC_F_NEXT (§2.7.5.3.1).
    case nestedIndirectTable
    case indirectWithNext
    /// VIRTQ_DESC_F_INDIRECT without VIRTIO_F_INDIRECT_DESC negotiated.
    case indirectNotNegotiated
    /// A device-readable buffer after a device-writable one (§2.7.4.2).
    case readableAfterWritable
    /// Two buffers of one chain overlap and at least one of them is device-writable, or a
    /// writable buffer overlaps the queue's own rings: the device would write over its input.
    case overlappingBuffers(address: UInt64)

    public var description: String {
        func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
        switch self {
        case .ringOutsideMemory(let part, let a): return "the \(part) at \(hex(a)) is not inside guest RAM"
        case .ringMisaligned(let part, let a): return "the \(part) at \(hex(a)) is misaligned"
        case .availableIndexJump(let from, let to): return "avail.idx jumped from \(from) to \(to), more than the queue size"
        case .descriptorIndexOutOfRange(let i, let n): return "descriptor index \(i) is outside a table of \(n)"
        case .chainTooLong(let limit): return "a descriptor chain is longer than \(limit) (a loop?)"
        case .bufferOutsideMemory(let a, let l): return "a buffer of \(l) bytes at \(hex(a)) is not inside guest RAM"
        case .indirectTableInvalid(let a, let l): return "an indirect table of \(l) bytes at \(hex(a)) is invalid"
        case .nestedIndirectTable: return "an indirect descriptor inside an indirect table"
        case .indirectWithNext: return "an indirect descriptor with the NEXT flag"
        case .indirectNotNegotiated: return "an indirect descriptor without VIRTIO_F_INDIRECT_DESC"
        case .readableAfterWritable: return "a device-readable buffer after a device-writable one"
        case .overlappingBuffers(let a): return "buffers overlap at \(hex(a)) and one of them is device-writable"
        }
    }
}

/// One guest buffer of a descriptor chain, already checked to lie inside guest RAM.
public struct VirtioBuffer: Equatable, Sendable {
    public let address: UInt64
    public let length: UInt32
}

/// One request: the chain the driver made available, split into what the device reads and
/// what it writes, every buffer inside guest RAM and none overlapping another it could write.
public struct VirtioRequest {
    /// The head descriptor's index, returned in the used ring.
    public let head: UInt16
    public let readable: [VirtioBuffer]
    public let writable: [VirtioBuffer]
    let memory: any VirtioGuestMemory

    public var readableLength: Int { readable.reduce(0) { $0 + Int($1.length) } }
    public var writableLength: Int { writable.reduce(0) { $0 + Int($1.length) } }

    /// `count` bytes of the device-readable part from `offset` on; nil if it is shorter.
    public func read(count: Int, at offset: Int = 0) -> [UInt8]? {
        guard count >= 0, offset >= 0, offset + count <= readableLength else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var skip = offset
        for buffer in readable where out.count < count {
            let length = Int(buffer.length)
            if skip >= length { skip -= length; continue }
            let take = min(length - skip, count - out.count)
            // The buffer was checked to be inside RAM when the chain was read.
            guard let bytes = memory.read(buffer.address + UInt64(skip), count: take) else { return nil }
            out += bytes
            skip = 0
        }
        return out
    }

    /// Writes `bytes` into the device-writable part from `offset` on; false if it is shorter.
    @discardableResult
    public func write(_ bytes: some Collection<UInt8>, at offset: Int = 0) -> Bool {
        let bytes = Array(bytes)
        guard offset >= 0, offset + bytes.count <= writableLength else { return false }
        var done = 0
        var skip = offset
        for buffer in writable where done < bytes.count {
            let length = Int(buffer.length)
            if skip >= length { skip -= length; continue }
            let take = min(length - skip, bytes.count - done)
            guard memory.write(bytes[done ..< done + take], at: buffer.address + UInt64(skip)) else { return false }
            done += take
            skip = 0
        }
        return true
    }
}

/// A split virtqueue (§2.7) as the device sees it: where the driver put the three parts, how far
/// the device has consumed the available ring and filled the used ring, and what was negotiated.
///
/// Everything read from the rings is untrusted: each descriptor is checked before its buffer is
/// used, and any violation is a `VirtqueueError` (the transport turns it into DEVICE_NEEDS_RESET).
public final class Virtqueue {
    /// The largest size the device accepts (QueueNumMax).
    public let maximumSize: UInt16
    /// Queue size the driver chose (QueueNum); the device's maximum until it writes one.
    public var size: UInt16
    /// Whether the driver enabled the queue (QueueReady, or a non-zero legacy QueuePFN).
    public var ready = false
    /// Guest-physical addresses of the descriptor table, the available (driver) ring and the
    /// used (device) ring.
    public var descriptorTable: UInt64 = 0
    public var availableRing: UInt64 = 0
    public var usedRing: UInt64 = 0
    /// VIRTIO_F_EVENT_IDX and VIRTIO_F_INDIRECT_DESC, as negotiated.
    public var eventIndex = false
    public var indirectDescriptors = false

    /// The next available-ring slot the device will read (last_avail_idx).
    public private(set) var nextAvailable: UInt16 = 0
    /// The device's copy of used.idx.
    public private(set) var usedIndex: UInt16 = 0
    /// used.idx when the driver was last notified (or the batch began).
    private var usedIndexAtLastSignal: UInt16 = 0

    let memory: any VirtioGuestMemory

    public init(maximumSize: UInt16, memory: any VirtioGuestMemory) {
        precondition(maximumSize >= 1 && maximumSize <= SplitRing.maximumQueueSize, "queue size \(maximumSize) out of range")
        self.maximumSize = maximumSize
        self.size = maximumSize
        self.memory = memory
    }

    /// Back to the state after a device reset (§2.4): disabled, no addresses, indices zero.
    public func reset() {
        size = maximumSize
        ready = false
        descriptorTable = 0
        availableRing = 0
        usedRing = 0
        eventIndex = false
        indirectDescriptors = false
        nextAvailable = 0
        usedIndex = 0
        usedIndexAtLastSignal = 0
    }

    /// Checks that the three parts lie inside RAM and are aligned (§2.7, "Virtqueue Part Alignment").
    public func checkLayout() throws(VirtqueueError) {
        let parts: [(String, UInt64, UInt64, UInt64)] = [
            ("descriptor table", descriptorTable, SplitRing.descriptorSize * UInt64(size), SplitRing.descriptorAlignment),
            ("available ring", availableRing, SplitRing.availableSize(size), SplitRing.availableAlignment),
            ("used ring", usedRing, SplitRing.usedSize(size), SplitRing.usedAlignment),
        ]
        for (name, address, length, alignment) in parts {
            guard address % alignment == 0 else { throw .ringMisaligned(part: name, address: address) }
            guard memory.contains(address, length: length) else { throw .ringOutsideMemory(part: name, address: address) }
        }
    }

    /// The ranges the device must never write buffer data over: its own rings.
    private var ringRanges: [Range<UInt64>] {
        [descriptorTable ..< descriptorTable + SplitRing.descriptorSize * UInt64(size),
         availableRing ..< availableRing + SplitRing.availableSize(size),
         usedRing ..< usedRing + SplitRing.usedSize(size)]
    }

    // The ring fields, read and written through the checked accessors. `checkLayout` has put the
    // rings inside RAM, so a nil here means a broken invariant; it reads as 0 rather than crash.
    private func load16(_ address: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: memory.load(address, width: 2) ?? 0) }
    private func store16(_ address: UInt64, _ value: UInt16) { _ = memory.store(address, width: 2, value: UInt64(value)) }

    /// Whether the driver has made buffers available that the device has not taken yet.
    public func hasAvailable() throws(VirtqueueError) -> Bool {
        try checkLayout()
        return try availableCount() > 0
    }

    private func availableCount() throws(VirtqueueError) -> UInt16 {
        let published = load16(availableRing + 2)
        let count = published &- nextAvailable
        guard count <= size else { throw .availableIndexJump(from: nextAvailable, to: published) }
        return count
    }

    /// Takes the next available chain, or nil when the driver has made none available.
    public func next() throws(VirtqueueError) -> VirtioRequest? {
        try checkLayout()
        guard try availableCount() > 0 else { return nil }
        ringFence()  // the ring entry after avail.idx (§2.7.13.3)
        let head = load16(availableRing + 4 + 2 * UInt64(nextAvailable % size))
        let request = try readChain(head: head)
        nextAvailable &+= 1
        if eventIndex {
            // avail_event: notify the device again once the driver makes buffers available past
            // what it just consumed (§2.7.10).
            store16(usedRing + 4 + 8 * UInt64(size), nextAvailable)
        }
        return request
    }

    /// Walks a chain from `head`, validating every descriptor (§2.7.5, §2.7.5.3).
    func readChain(head: UInt16) throws(VirtqueueError) -> VirtioRequest {
        var readable: [VirtioBuffer] = [], writable: [VirtioBuffer] = []
        var table = descriptorTable
        var tableSize = UInt32(size)
        var indirectTable: Range<UInt64>?
        var index = head
        // Every descriptor visited counts, in the queue's table and in an indirect one, so a loop
        // in either ends here (a chain that long cannot be valid).
        let limit = Int(size)
        var visited = 0
        while true {
            guard UInt32(index) < tableSize else { throw .descriptorIndexOutOfRange(index: index, tableSize: tableSize) }
            visited += 1
            guard visited <= limit else { throw .chainTooLong(limit: limit) }
            let entry = table + SplitRing.descriptorSize * UInt64(index)
            guard let address = memory.load(entry, width: 8), let length = memory.load(entry + 8, width: 4),
                  let flagsWord = memory.load(entry + 12, width: 2), let nextWord = memory.load(entry + 14, width: 2) else {
                throw .ringOutsideMemory(part: "descriptor", address: entry)
            }
            let flags = UInt16(truncatingIfNeeded: flagsWord)
            let bufferLength = UInt32(truncatingIfNeeded: length)
            if flags & SplitRing.indirect != 0 {
                guard indirectDescriptors else { throw .indirectNotNegotiated }
                guard indirectTable == nil else { throw .nestedIndirectTable }
                // A chain may end with one indirect descriptor; it has no NEXT (§2.7.5.3.1), and
                // its WRITE flag is ignored (§2.7.5.3.2).
                guard flags & SplitRing.next == 0 else { throw .indirectWithNext }
                guard bufferLength > 0, UInt64(bufferLength) % SplitRing.descriptorSize == 0,
                      memory.contains(address, length: UInt64(bufferLength)) else {
                    throw .indirectTableInvalid(address: address, length: bufferLength)
                }
                table = address
                tableSize = bufferLength / UInt32(SplitRing.descriptorSize)
                indirectTable = address ..< address + UInt64(bufferLength)
                index = 0
                continue
            }
            guard memory.contains(address, length: UInt64(bufferLength)) else {
                throw .bufferOutsideMemory(address: address, length: bufferLength)
            }
            let buffer = VirtioBuffer(address: address, length: bufferLength)
            if flags & SplitRing.write != 0 {
                writable.append(buffer)
            } else {
                guard writable.isEmpty else { throw .readableAfterWritable }
                readable.append(buffer)
            }
            guard flags & SplitRing.next != 0 else { break }
            index = UInt16(truncatingIfNeeded: nextWord)
        }
        try checkOverlaps(readable: readable, writable: writable, indirectTable: indirectTable)
        return VirtioRequest(head: head, readable: readable, writable: writable, memory: memory)
    }

    /// No device-writable buffer may overlap another buffer of the chain, the rings or the
    /// indirect table: the device would overwrite what it is still reading.
    private func checkOverlaps(readable: [VirtioBuffer], writable: [VirtioBuffer], indirectTable: Range<UInt64>?) throws(VirtqueueError) {
        guard !writable.isEmpty else { return }
        // Sorted by start: a range overlaps an earlier one exactly when it starts before the
        // furthest end so far. Rings and the indirect table count as readable.
        var ranges = readable.map { (start: $0.address, end: $0.address + UInt64($0.length), writable: false) }
            + writable.map { (start: $0.address, end: $0.address + UInt64($0.length), writable: true) }
            + (ringRanges + (indirectTable.map { [$0] } ?? [])).map { (start: $0.lowerBound, end: $0.upperBound, writable: false) }
        ranges = ranges.filter { $0.end > $0.start }
        ranges.sort { $0.start < $1.start }
        var furthestEnd: UInt64 = 0, furthestWritableEnd: UInt64 = 0
        for range in ranges {
            if range.start < furthestWritableEnd || (range.writable && range.start < furthestEnd) {
                throw .overlappingBuffers(address: range.start)
            }
            furthestEnd = max(furthestEnd, range.end)
            if range.writable { furthestWritableEnd = max(furthestWritableEnd, range.end) }
        }
    }

    /// Returns a chain to the driver with the number of bytes the device wrote into it (§2.7.8).
    public func complete(_ request: VirtioRequest, written: UInt32) throws(VirtqueueError) {
        try checkLayout()
        let element = usedRing + 4 + 8 * UInt64(usedIndex % size)
        _ = memory.store(element, width: 4, value: UInt64(request.head))
        _ = memory.store(element + 4, width: 4, value: UInt64(written))
        ringFence()  // the element before used.idx (§2.7.13.5... "device MUST... before updating idx")
        usedIndex &+= 1
        store16(usedRing + 2, usedIndex)
    }

    /// Whether buffers were returned since the last `shouldNotify`.
    public var hasUnsignalledCompletions: Bool { usedIndex != usedIndexAtLastSignal }

    /// Whether the driver wants a used-buffer notification for what was completed since the last
    /// one (§2.7.7, §2.7.10): by used_event with event index, else unless avail.flags suppresses it.
    /// Call after a batch of `complete`s; it starts the next batch.
    public func shouldNotify() -> Bool {
        let previous = usedIndexAtLastSignal
        guard usedIndex != previous else { return false }
        usedIndexAtLastSignal = usedIndex
        ringFence()  // used.idx before used_event / avail.flags (§2.7.7.2)
        if eventIndex {
            let usedEvent = load16(availableRing + 4 + 2 * UInt64(size))
            return SplitRing.needsEvent(event: usedEvent, new: usedIndex, old: previous)
        }
        return load16(availableRing) & SplitRing.availNoInterrupt == 0
    }
}
