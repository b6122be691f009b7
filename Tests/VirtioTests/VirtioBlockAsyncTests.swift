import Foundation
import Machine
import Storage
import Testing
@testable import Virtio

/// An in-memory disk whose requests at chosen offsets wait for the test to open a gate: a slow
/// backend the test controls, with a log of what ran in which order.
private final class GateDisk: BlockDriver, @unchecked Sendable {
    // @unchecked: `bytes`, `log` and `gated` are touched only under `lock`.
    let path = "gate.img"
    let virtualSize: UInt64
    let readOnly = false
    let cache = CacheMode.writeback
    var formatName: String { "raw" }
    var capabilities: BlockDriverCapabilities { [] }
    var allowsConcurrentRequests: Bool { true }

    private let lock = NSLock()
    private var bytes: [UInt8]
    private var entries: [String] = []
    private var gated: Set<UInt64> = []
    /// Opened once per gated request. A gate holds the first request at its offset only.
    let gate = DispatchSemaphore(value: 0)
    /// Signalled when a gated request has started and waits at the gate.
    let waitingAtGate = DispatchSemaphore(value: 0)

    init(sectors: Int) { bytes = [UInt8](repeating: 0, count: sectors * 512); virtualSize = UInt64(sectors * 512) }

    func gate(offset: UInt64) { lock.withLock { _ = gated.insert(offset) } }
    var log: [String] { lock.withLock { entries } }
    func contents(at offset: UInt64, count: Int) -> [UInt8] { lock.withLock { Array(bytes[Int(offset) ..< Int(offset) + count]) } }

    private func run<T>(_ name: String, _ offset: UInt64, _ body: () -> T) -> T {
        let waits = lock.withLock { () -> Bool in
            entries.append("\(name)@\(offset) begin")
            return gated.remove(offset) != nil
        }
        if waits { waitingAtGate.signal(); gate.wait() }
        let result = lock.withLock { () -> T in
            entries.append("\(name)@\(offset) end")
            return body()
        }
        return result
    }

    func read(at offset: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        run("read", offset) { Array(bytes[Int(offset) ..< Int(offset) + count]) }
    }
    func write(_ data: [UInt8], at offset: UInt64) throws(StorageError) {
        run("write", offset) { bytes.replaceSubrange(Int(offset) ..< Int(offset) + data.count, with: data) }
    }
    func flush() throws(StorageError) { run("flush", 0) {} }
    func discard(at offset: UInt64, count: UInt64) throws(StorageError) {}
    func writeZeroes(at offset: UInt64, count: UInt64, deallocate: Bool) throws(StorageError) {
        try write([UInt8](repeating: 0, count: Int(count)), at: offset)
    }
}

/// virtio-blk with `aio=threads`: requests run on I/O threads and complete from the device poll.
/// No assertion depends on timing: the test waits on the disk's semaphores, or drains the pool.
@Suite struct VirtioBlockAsyncTests {
    typealias Blk = VirtioBlockDevice
    static let base = TestDriver.ramBase

    private func setUp(threads: Int = 4) throws -> (TestDriver, GateDisk, Blk) {
        let disk = GateDisk(sectors: 64)
        let device = Blk(disk: disk, ioMode: .threads(threads))
        let driver = try TestDriver(device: device)
        driver.initialize(features: ~0)
        return (driver, disk, device)
    }

    /// Lays out request `n` (header, data, status; descriptors 3n, 3n+1, 3n+2) and makes it
    /// available without notifying. Its data buffer is at `data(n)`, its status byte at `status(n)`.
    private func put(_ driver: TestDriver, _ n: UInt16, type: UInt32, sector: UInt64, data: [UInt8]? = nil, readLength: UInt32 = 0) {
        let header = Self.base + 0x10000 + 0x100 * UInt64(n)
        driver.memory.store(header, width: 4, value: UInt64(type))
        driver.memory.store(header + 4, width: 4, value: 0)
        driver.memory.store(header + 8, width: 8, value: sector)
        driver.memory.store(status(n), width: 1, value: 0xff)
        let first = 3 * n
        if let data {
            driver.memory.write(data, at: self.data(n))
            driver.putDescriptor(.init(address: header, length: 16, flags: SplitRing.next, next: first + 1), at: first)
            driver.putDescriptor(.init(address: self.data(n), length: UInt32(data.count), flags: SplitRing.next, next: first + 2), at: first + 1)
            driver.putDescriptor(.init(address: status(n), length: 1, flags: SplitRing.write), at: first + 2)
        } else if readLength > 0 {
            driver.memory.write([UInt8](repeating: 0x55, count: Int(readLength)), at: self.data(n))
            driver.putDescriptor(.init(address: header, length: 16, flags: SplitRing.next, next: first + 1), at: first)
            driver.putDescriptor(.init(address: self.data(n), length: readLength, flags: SplitRing.next | SplitRing.write, next: first + 2),
                                 at: first + 1)
            driver.putDescriptor(.init(address: status(n), length: 1, flags: SplitRing.write), at: first + 2)
        } else {
            driver.putDescriptor(.init(address: header, length: 16, flags: SplitRing.next, next: first + 2), at: first)
            driver.putDescriptor(.init(address: status(n), length: 1, flags: SplitRing.write), at: first + 2)
        }
        driver.makeAvailable(head: first, notify: false)
    }

    private func data(_ n: UInt16) -> UInt64 { Self.base + 0x40000 + 0x1000 * UInt64(n) }
    private func status(_ n: UInt16) -> UInt64 { Self.base + 0x11000 + UInt64(n) }
    private func statusByte(_ driver: TestDriver, _ n: UInt16) -> UInt8 { UInt8(driver.memory.load(status(n), width: 1)!) }
    private func poll(_ driver: TestDriver) { _ = driver.transport.poll(now: 0) }

    /// Polls until the device has returned something (a wait, not a timed assertion).
    private func waitForUsed(_ driver: TestDriver) -> [(UInt32, UInt32)] {
        while true {
            poll(driver)
            let used = driver.takeUsed()
            if !used.isEmpty { return used }
            sched_yield()
        }
    }

    @Test func aSlowBackendDoesNotBlockTheNotifyingThread() throws {
        let (driver, disk, device) = try setUp()
        disk.gate(offset: 3 * 512)
        put(driver, 0, type: Blk.RequestType.read, sector: 3, readLength: 512)
        driver.write(TestDriver.R.queueNotify, 0)
        // The notification only marked the queue: nothing taken yet, as with QEMU's ioeventfd.
        #expect(driver.availEvent == 0)
        #expect(device.requestsInFlight == 0)
        poll(driver)
        // The poll handed the request to an I/O thread, which now waits at the gate, and returned.
        disk.waitingAtGate.wait()
        #expect(driver.availEvent == 1)
        #expect(device.requestsInFlight == 1)
        #expect(driver.takeUsed().isEmpty)
        #expect(statusByte(driver, 0) == 0xff && driver.interruptRaises == 0)
        disk.gate.signal()
        device.drain()
        // Finished on the I/O thread, but not in guest memory until the device poll applies it.
        #expect(statusByte(driver, 0) == 0xff)
        poll(driver)
        let used = driver.takeUsed()
        #expect(used.count == 1 && used.first?.0 == 0 && used.first?.1 == 513)
        #expect(statusByte(driver, 0) == Blk.Status.ok)
        #expect(driver.memory.read(data(0), count: 512) == [UInt8](repeating: 0, count: 512))
        #expect(driver.interruptRaises == 1)
        #expect(device.requestsInFlight == 0)
    }

    @Test func laterRequestsCompleteFirstButOverlappingWritesKeepTheirOrder() throws {
        let (driver, disk, device) = try setUp()
        disk.gate(offset: 2 * 512)
        put(driver, 0, type: Blk.RequestType.write, sector: 2, data: [UInt8](repeating: 0xaa, count: 512))
        put(driver, 1, type: Blk.RequestType.write, sector: 2, data: [UInt8](repeating: 0xbb, count: 512))
        put(driver, 2, type: Blk.RequestType.read, sector: 5, readLength: 512)
        driver.write(TestDriver.R.queueNotify, 0)
        poll(driver)
        disk.waitingAtGate.wait()
        // The read of another sector does not wait for the stuck write: it completes first.
        #expect(waitForUsed(driver).map(\.0) == [6])
        #expect(statusByte(driver, 0) == 0xff && statusByte(driver, 1) == 0xff)
        disk.gate.signal()
        device.drain()
        poll(driver)
        #expect(driver.takeUsed().map(\.0) == [0, 3], "the second write waited for the first")
        #expect(disk.contents(at: 2 * 512, count: 512) == [UInt8](repeating: 0xbb, count: 512))
        let writes = disk.log.filter { $0.hasPrefix("write@1024") }
        #expect(writes == ["write@1024 begin", "write@1024 end", "write@1024 begin", "write@1024 end"])
    }

    @Test func aFlushCompletesOnlyAfterTheWritesBeforeIt() throws {
        let (driver, disk, device) = try setUp()
        disk.gate(offset: 7 * 512)
        put(driver, 0, type: Blk.RequestType.write, sector: 7, data: [UInt8](repeating: 0x77, count: 512))
        put(driver, 1, type: Blk.RequestType.flush, sector: 0)
        driver.write(TestDriver.R.queueNotify, 0)
        poll(driver)
        disk.waitingAtGate.wait()
        poll(driver)
        #expect(driver.takeUsed().isEmpty, "the flush waits for the write")
        disk.gate.signal()
        device.drain()
        poll(driver)
        #expect(driver.takeUsed().map(\.0) == [0, 3])
        #expect(statusByte(driver, 1) == Blk.Status.ok)
        let log = disk.log
        let writeEnd = try #require(log.firstIndex(of: "write@3584 end"))
        let flushBegin = try #require(log.firstIndex(of: "flush@0 begin"))
        #expect(writeEnd < flushBegin)
    }

    @Test func aResetWithRequestsInFlightWritesNothingIntoGuestMemoryAfterwards() throws {
        // One thread: the second request waits behind the first and is cancelled by the reset.
        let (driver, disk, device) = try setUp(threads: 1)
        disk.gate(offset: 4 * 512)
        put(driver, 0, type: Blk.RequestType.read, sector: 4, readLength: 512)
        put(driver, 1, type: Blk.RequestType.read, sector: 9, readLength: 512)
        driver.write(TestDriver.R.queueNotify, 0)
        poll(driver)
        disk.waitingAtGate.wait()
        #expect(device.requestsInFlight == 2)
        driver.write(TestDriver.R.status, 0)
        #expect(device.requestsInFlight == 0)
        disk.gate.signal()
        device.drain()
        poll(driver)
        // Neither request's data, status nor used entry reached guest memory; the second never ran.
        #expect(driver.memory.read(data(0), count: 512) == [UInt8](repeating: 0x55, count: 512))
        #expect(statusByte(driver, 0) == 0xff && statusByte(driver, 1) == 0xff)
        #expect(driver.memory.load(driver.usedRing + 2, width: 2) == 0)
        #expect(!disk.log.contains("read@4608 begin"))
        // The device works again after the driver sets it up anew.
        driver.nextAvailable = 0
        driver.lastUsed = 0
        driver.memory.store(driver.availableRing + 2, width: 2, value: 0)
        driver.initialize(features: ~0)
        put(driver, 0, type: Blk.RequestType.read, sector: 9, readLength: 512)
        driver.write(TestDriver.R.queueNotify, 0)
        poll(driver)
        device.drain()
        poll(driver)
        #expect(driver.takeUsed().map(\.0) == [0])
        #expect(statusByte(driver, 0) == Blk.Status.ok)
    }

    @Test func aHostileChainStillEndsInNeedsReset() throws {
        let (driver, _, device) = try setUp()
        driver.putDescriptor(.init(address: 0x10, length: 16), at: 0)  // outside guest RAM
        driver.makeAvailable(head: 0)
        poll(driver)
        #expect(driver.transport.needsReset)
        #expect(device.requestsInFlight == 0)
    }

    /// virtio-blk over the NBD client drive, to a server whose disk is the gate: the request
    /// crosses the connection and waits in the server while the notifying thread goes on; once
    /// the server is gone, the next request completes with an I/O error, not a hang or a crash.
    @Test func aSlowNBDServerDoesNotBlockTheNotifyingThreadAndALostOneGivesIOErrors() throws {
        let disk = GateDisk(sectors: 64)
        let server = NBDServer(driver: disk, exportName: "gate")
        let listener = try NBDListener.tcp(host: "127.0.0.1", port: 0)
        let port = try #require(listener.port)
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            try? server.run(listener: listener, maximumClients: 0, persistent: true)
            stopped.signal()
        }.start()
        let client = try NBDClientDisk(uri: "nbd://127.0.0.1:\(port)/gate", readOnly: false)
        let device = Blk(disk: client, ioMode: .threads(4))
        let driver = try TestDriver(device: device)
        driver.initialize(features: ~0)
        disk.gate(offset: 3 * 512)
        put(driver, 0, type: Blk.RequestType.read, sector: 3, readLength: 512)
        driver.write(TestDriver.R.queueNotify, 0)
        poll(driver)
        disk.waitingAtGate.wait()
        #expect(device.requestsInFlight == 1)
        #expect(driver.takeUsed().isEmpty && statusByte(driver, 0) == 0xff, "the poll returned while the server holds the read")
        disk.gate.signal()
        #expect(waitForUsed(driver).map(\.0) == [0])
        #expect(statusByte(driver, 0) == Blk.Status.ok)
        #expect(driver.memory.read(data(0), count: 512) == [UInt8](repeating: 0, count: 512))

        server.stop()
        stopped.wait()
        put(driver, 1, type: Blk.RequestType.write, sector: 4, data: [UInt8](repeating: 0x44, count: 512))
        driver.write(TestDriver.R.queueNotify, 0)
        #expect(waitForUsed(driver).map(\.0) == [3])
        #expect(statusByte(driver, 1) == Blk.Status.ioError)
        #expect(disk.contents(at: 4 * 512, count: 512) == [UInt8](repeating: 0, count: 512))
    }
}
