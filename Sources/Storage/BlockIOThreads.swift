import Foundation

/// What one request does to a disk, as far as the order of requests is concerned.
public enum BlockIOAccess: Sendable, Equatable {
    /// Reads the byte range.
    case read(Range<UInt64>)
    /// Changes the byte range: a write, a discard, a write-zeroes.
    case write(Range<UInt64>)
    /// Makes every earlier write durable (virtio-blk's FLUSH).
    case flush

    /// Whether a request with this access, submitted after `earlier`, must wait until `earlier`
    /// has finished: a flush waits for every earlier change (it must cover them); requests on
    /// overlapping ranges keep their order when either changes the range (the guest may issue a
    /// write and then a read or another write of the same sectors without waiting in between).
    /// Nothing waits for an earlier flush: a later write it happens to make durable too does no harm.
    func mustWait(for earlier: BlockIOAccess) -> Bool {
        switch (earlier, self) {
        case (.write, .flush): return true
        case (.write(let a), .write(let b)), (.write(let a), .read(let b)), (.read(let a), .write(let b)):
            return a.overlaps(b)
        default: return false
        }
    }
}

/// A small pool of host threads that carry out block requests off the harts' threads: QEMU's
/// `aio=threads` (its thread pool running preadv/pwritev/fdatasync).
///
/// The threads never see guest memory: each request is a closure over host buffers and the
/// block driver, and its outcome waits in `takeFinished` until the device's poll, on a hart's
/// thread, applies it (Sources/Virtio/VirtioBlockDevice.swift says why). `onFinished` is called,
/// outside the pool's lock, after each outcome is ready, so that the board polls its devices soon.
///
/// Ordering is by `BlockIOAccess.mustWait`: a request starts only when no earlier one it must
/// wait for is waiting or running. A driver that is not safe to call from several threads at
/// once (qcow2: its metadata cache and allocation) gets one thread, which serializes its requests
/// in submission order among those free to start.
///
/// `cancelAll` (a device reset) drops every request not yet started and forgets the outcome of
/// those running; the running ones still finish (a host system call cannot be taken back), and
/// until they have, later requests still wait for them as above, so a write from before a reset
/// cannot land after an overlapping write from after it.
public final class BlockIOThreads<Outcome>: @unchecked Sendable {
    // @unchecked: every stored property below `condition` is read and written only with
    // `condition` locked; `work` closures run on one pool thread each, and the outcomes they return
    // are handed over under the lock.
    private struct Item {
        let sequence: UInt64
        let token: UInt64
        let access: BlockIOAccess
        let generation: UInt64
        let work: () -> Outcome
    }

    /// Host threads in the pool.
    public let threadCount: Int
    private let onFinished: @Sendable () -> Void
    private let condition = NSCondition()
    private var waiting: [Item] = []
    private var running: [(sequence: UInt64, access: BlockIOAccess)] = []
    private var finished: [(token: UInt64, outcome: Outcome)] = []
    private var nextSequence: UInt64 = 0
    private var generation: UInt64 = 0
    private var stopping = false

    /// Starts `threadCount` threads (at least one).
    public init(threadCount: Int, onFinished: @escaping @Sendable () -> Void = {}) {
        self.threadCount = max(1, threadCount)
        self.onFinished = onFinished
        for index in 0..<self.threadCount {
            let thread = Thread { [self] in self.serve() }
            thread.name = "block-io-\(index)"
            thread.start()
        }
    }

    /// Queues `work`; its outcome comes back from `takeFinished` with `token`.
    public func submit(token: UInt64, access: BlockIOAccess, work: @escaping () -> Outcome) {
        condition.lock()
        waiting.append(Item(sequence: nextSequence, token: token, access: access, generation: generation, work: work))
        nextSequence &+= 1
        condition.broadcast()
        condition.unlock()
    }

    /// The outcomes of the requests finished since the last call, in the order they finished.
    public func takeFinished() -> [(token: UInt64, outcome: Outcome)] {
        condition.lock()
        defer { condition.unlock() }
        let done = finished
        finished = []
        return done
    }

    /// No request waits or runs, cancelled ones included.
    public var isIdle: Bool {
        condition.lock()
        defer { condition.unlock() }
        return waiting.isEmpty && running.isEmpty
    }

    /// Drops the requests not yet started and the outcomes not yet taken; the outcomes of the
    /// requests running now will be dropped too.
    public func cancelAll() {
        condition.lock()
        generation &+= 1
        waiting.removeAll()
        finished.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until every request submitted so far (cancelled ones too) has finished.
    public func drain() {
        condition.lock()
        while !(waiting.isEmpty && running.isEmpty) { condition.wait() }
        condition.unlock()
    }

    /// Lets the threads end once nothing is waiting; the pool takes no more requests' outcomes.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// The first waiting request that waits for nothing earlier (with `condition` locked).
    private func startable() -> Int? {
        outer: for (index, item) in waiting.enumerated() {
            for earlier in running where earlier.sequence < item.sequence && item.access.mustWait(for: earlier.access) { continue outer }
            for earlier in waiting[..<index] where item.access.mustWait(for: earlier.access) { continue outer }
            return index
        }
        return nil
    }

    private func serve() {
        condition.lock()
        while true {
            if let index = startable() {
                let item = waiting.remove(at: index)
                running.append((item.sequence, item.access))
                condition.unlock()
                let outcome = item.work()
                condition.lock()
                running.removeAll { $0.sequence == item.sequence }
                let wanted = item.generation == generation
                if wanted { finished.append((item.token, outcome)) }
                // Requests that waited for this one may start; `drain` may be done.
                condition.broadcast()
                if wanted {
                    condition.unlock()
                    onFinished()
                    condition.lock()
                }
                continue
            }
            if stopping && waiting.isEmpty { break }
            condition.wait()
        }
        condition.unlock()
    }
}
