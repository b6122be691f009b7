import Foundation
import Machine
import Testing
import Storage
@testable import Virtio

private typealias R = VirtioMMIOTransport.Register
private let base = TestDriver.ramBase
typealias Blk = VirtioBlockDevice

/// A scratch raw image of `sectors` sectors, sector n filled with byte n.
private func makeImage(sectors: Int = 64, name: String = #function) throws -> String {
    let path = NSTemporaryDirectory() + "virtio-blk-\(ProcessInfo.processInfo.processIdentifier)-\(name.filter(\.isLetter))-\(UInt32.random(in: 0...UInt32.max)).img"
    var bytes: [UInt8] = []
    for n in 0..<sectors { bytes += [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: 512) }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

/// A block request as the driver lays it out: header, data, status (§5.2.6), in three descriptors.
struct BlockRequest {
    let driver: TestDriver
    static let header = base + 0x10000, data = base + 0x40000, status = base + 0x11000

    @discardableResult
    func submit(type: UInt32, sector: UInt64, dataLength: UInt32, deviceWritesData: Bool, queue: UInt32 = 0) -> (status: UInt8, used: UInt32)? {
        driver.memory.store(Self.header, width: 4, value: UInt64(type))
        driver.memory.store(Self.header + 4, width: 4, value: 0)
        driver.memory.store(Self.header + 8, width: 8, value: sector)
        driver.memory.store(Self.status, width: 1, value: 0xff)
        driver.putDescriptor(.init(address: Self.header, length: 16, flags: SplitRing.next, next: 1), at: 0)
        if dataLength > 0 {
            driver.putDescriptor(.init(address: Self.data, length: dataLength, flags: SplitRing.next | (deviceWritesData ? SplitRing.write : 0), next: 2), at: 1)
            driver.putDescriptor(.init(address: Self.status, length: 1, flags: SplitRing.write), at: 2)
        } else {
            driver.putDescriptor(.init(address: Self.status, length: 1, flags: SplitRing.write), at: 1)
        }
        driver.makeAvailable(head: 0, queue: queue)
        guard let used = driver.takeUsed().first else { return nil }
        return (UInt8(driver.memory.load(Self.status, width: 1)!), used.1)
    }
}

@Suite struct VirtioBlockDeviceTests {
    func setUp(readOnly: Bool = false, cache: RawFileDisk.CacheMode = .writeback, serial: String = "", queues: Int = 1,
               unmap: Bool = false, name: String = #function) throws -> (TestDriver, BlockRequest, String, Blk) {
        let path = try makeImage(name: name)
        let device = Blk(disk: try RawFileDisk(path: path, readOnly: readOnly, cache: cache), serial: serial, queueCount: queues,
                         unmapDiscards: unmap)
        let driver = try TestDriver(device: device)
        driver.initialize(features: ~0)
        return (driver, BlockRequest(driver: driver), path, device)
    }

    @Test func featuresAndConfigurationAsQEMUGivesThem() throws {
        let (driver, _, path, device) = try setUp(queues: 4)
        defer { unlink(path) }
        driver.write(R.deviceFeaturesSelect, 0)
        let low = UInt64(driver.read(R.deviceFeatures))
        for bit in [Blk.Feature.segmentMaximum, Blk.Feature.blockSize, Blk.Feature.flush, Blk.Feature.multiQueue,
                    Blk.Feature.discard, Blk.Feature.writeZeroes] {
            #expect(low & bit != 0)
        }
        #expect(low & Blk.Feature.readOnly == 0)
        #expect(driver.read(R.deviceID) == 2)
        #expect(device.configuration.count == 60)
        #expect(driver.transport.read(offset: 0x100, width: 4) == 64, "capacity, in sectors")
        #expect(driver.transport.read(offset: 0x10c, width: 4) == 254, "seg_max: queue size - 2")
        #expect(driver.transport.read(offset: 0x114, width: 4) == 512, "blk_size")
        #expect(driver.transport.read(offset: 0x122, width: 2) == 4, "num_queues")
    }

    @Test func readWriteFlush() throws {
        let (driver, request, path, _) = try setUp()
        defer { unlink(path) }
        var result = request.submit(type: Blk.RequestType.read, sector: 3, dataLength: 1024, deviceWritesData: true)
        #expect(result?.status == Blk.Status.ok && result?.used == 1025)
        #expect(driver.memory.read(BlockRequest.data, count: 1024) == [UInt8](repeating: 3, count: 512) + [UInt8](repeating: 4, count: 512))
        driver.memory.write([UInt8](repeating: 0xab, count: 512), at: BlockRequest.data)
        result = request.submit(type: Blk.RequestType.write, sector: 10, dataLength: 512, deviceWritesData: false)
        #expect(result?.status == Blk.Status.ok && result?.used == 1)
        result = request.submit(type: Blk.RequestType.flush, sector: 0, dataLength: 0, deviceWritesData: false)
        #expect(result?.status == Blk.Status.ok)
        let file = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Array(file[5120..<5632]) == [UInt8](repeating: 0xab, count: 512))
        #expect(file[5632] == 11)
    }

    @Test func outOfRangeAndPartialSectorsAreIOErrors() throws {
        let (_, request, path, _) = try setUp()
        defer { unlink(path) }
        #expect(request.submit(type: Blk.RequestType.read, sector: 63, dataLength: 1024, deviceWritesData: true)?.status == Blk.Status.ioError)
        #expect(request.submit(type: Blk.RequestType.read, sector: UInt64.max, dataLength: 512, deviceWritesData: true)?.status == Blk.Status.ioError)
        #expect(request.submit(type: Blk.RequestType.read, sector: 0, dataLength: 100, deviceWritesData: true)?.status == Blk.Status.ioError)
        #expect(request.submit(type: Blk.RequestType.read, sector: 63, dataLength: 512, deviceWritesData: true)?.status == Blk.Status.ok)
        #expect(request.submit(type: 99, sector: 0, dataLength: 0, deviceWritesData: false)?.status == Blk.Status.unsupported)
    }

    @Test func readOnlyRefusesWrites() throws {
        let (driver, request, path, _) = try setUp(readOnly: true)
        defer { unlink(path) }
        driver.write(R.deviceFeaturesSelect, 0)
        #expect(UInt64(driver.read(R.deviceFeatures)) & Blk.Feature.readOnly != 0)
        #expect(request.submit(type: Blk.RequestType.write, sector: 0, dataLength: 512, deviceWritesData: false)?.status == Blk.Status.ioError)
        #expect(request.submit(type: Blk.RequestType.read, sector: 1, dataLength: 512, deviceWritesData: true)?.status == Blk.Status.ok)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path))[0] == 0)
    }

    @Test func writeThroughCacheOffersNoFlush() throws {
        let (driver, _, path, _) = try setUp(cache: .writethrough)
        defer { unlink(path) }
        driver.write(R.deviceFeaturesSelect, 0)
        #expect(UInt64(driver.read(R.deviceFeatures)) & Blk.Feature.flush == 0)
    }

    @Test func getIDReturnsTheSerial() throws {
        let (driver, request, path, _) = try setUp(serial: "VB-SERIAL-1")
        defer { unlink(path) }
        let result = request.submit(type: Blk.RequestType.getID, sector: 0, dataLength: 20, deviceWritesData: true)
        #expect(result?.status == Blk.Status.ok && result?.used == 21)
        #expect(driver.memory.read(BlockRequest.data, count: 20) == Array("VB-SERIAL-1".utf8) + [UInt8](repeating: 0, count: 9))
    }

    @Test(arguments: [false, true]) func writeZeroesAndDiscard(unmap: Bool) throws {
        let (driver, request, path, _) = try setUp(unmap: unmap, name: "zero\(unmap)")
        defer { unlink(path) }
        func segment(_ sector: UInt64, _ count: UInt32, _ flags: UInt32) {
            driver.memory.store(BlockRequest.data, width: 8, value: sector)
            driver.memory.store(BlockRequest.data + 8, width: 4, value: UInt64(count))
            driver.memory.store(BlockRequest.data + 12, width: 4, value: UInt64(flags))
        }
        segment(2, 3, 1)
        #expect(request.submit(type: Blk.RequestType.writeZeroes, sector: 0, dataLength: 16, deviceWritesData: false)?.status == Blk.Status.ok)
        var file = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(file[1024..<2560].allSatisfy { $0 == 0 } && file[2560] == 5 && file[1023] == 1)
        segment(20, 1, 0)
        #expect(request.submit(type: Blk.RequestType.discard, sector: 0, dataLength: 16, deviceWritesData: false)?.status == Blk.Status.ok)
        file = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(file[20 * 512] == (unmap ? 0 : 20), "discard=ignore keeps the data, discard=unmap punches a hole")
        segment(20, 1, 1)
        #expect(request.submit(type: Blk.RequestType.discard, sector: 0, dataLength: 16, deviceWritesData: false)?.status == Blk.Status.unsupported)
        segment(60, 10, 0)
        #expect(request.submit(type: Blk.RequestType.writeZeroes, sector: 0, dataLength: 16, deviceWritesData: false)?.status == Blk.Status.ioError)
    }

    @Test func everyQueueServesRequests() throws {
        let (driver, request, path, _) = try setUp(queues: 2)
        defer { unlink(path) }
        // Queue 1 shares the test driver's ring addresses once queue 0 is switched off.
        driver.write(R.queueSelect, 0)
        driver.write(R.queueReady, 0)
        driver.nextAvailable = 0
        driver.lastUsed = 0
        driver.memory.fill(driver.availableRing, count: 0x2000)
        driver.write(R.queueSelect, 1)
        driver.write(R.queueSize, 16)
        driver.write(R.queueDescriptorLow, UInt32(truncatingIfNeeded: driver.descriptorTable))
        driver.write(R.queueDriverLow, UInt32(truncatingIfNeeded: driver.availableRing))
        driver.write(R.queueDeviceLow, UInt32(truncatingIfNeeded: driver.usedRing))
        driver.write(R.queueReady, 1)
        #expect(request.submit(type: Blk.RequestType.read, sector: 7, dataLength: 512, deviceWritesData: true, queue: 1)?.status == Blk.Status.ok)
        #expect(driver.memory.load(BlockRequest.data, width: 1) == 7)
    }

    /// The header must be device-readable and the status device-writable: otherwise the device
    /// cannot even answer, and needs a reset (QEMU: "virtio-blk missing headers").
    @Test func wronglyDirectedBuffersNeedReset() throws {
        let (driver, _, path, _) = try setUp()
        defer { unlink(path) }
        driver.putDescriptor(.init(address: BlockRequest.header, length: 16, flags: SplitRing.write), at: 0)
        driver.makeAvailable(head: 0)
        #expect(driver.transport.needsReset)
        driver.initialize(features: ~0)
        driver.nextAvailable = 0
        driver.lastUsed = 0
        driver.putDescriptor(.init(address: BlockRequest.header, length: 16), at: 0)
        driver.makeAvailable(head: 0)
        #expect(driver.transport.needsReset, "no status byte")
    }
}

@Suite struct VirtioEntropyDeviceTests {
    @Test func fillsTheBuffer() throws {
        let driver = try TestDriver(device: VirtioEntropyDevice(), queueSize: 8)
        driver.initialize(features: ~0)
        #expect(driver.read(R.deviceID) == 4)
        driver.putDescriptor(.init(address: base + 0x10000, length: 64, flags: SplitRing.write), at: 0)
        driver.makeAvailable(head: 0)
        #expect(driver.takeUsed().first?.1 == 64)
        #expect(driver.memory.isZero(base + 0x10000, count: 64) == false)
    }
}

/// virtio-blk over the qcow2 driver: requests reach the image through the cluster mapping, and
/// detect-zeroes=unmap with discard=unmap turns an all-zero write into a zero cluster.
@Suite struct VirtioBlockOnQcow2Tests {
    @Test func detectZeroesMakesZeroClusters() throws {
        let path = NSTemporaryDirectory() + "virtio-blk-qcow2-\(UInt32.random(in: 0...UInt32.max)).qcow2"
        defer { unlink(path) }
        try ImageTool.createQcow2(path, size: 1 << 20)
        let opened = try ImageOpener.open(path, options: ImageOpenOptions(format: .qcow2))
        let device = Blk(disk: opened.driver, unmapDiscards: true, detectZeroes: .unmap)
        let driver = try TestDriver(device: device)
        driver.initialize(features: ~0)
        let request = BlockRequest(driver: driver)
        let cluster = 65536
        driver.memory.write([UInt8](repeating: 0x3c, count: cluster), at: BlockRequest.data)
        #expect(request.submit(type: Blk.RequestType.write, sector: 128, dataLength: UInt32(cluster), deviceWritesData: false)?.status == Blk.Status.ok)
        #expect(try opened.driver.read(at: 65536, count: 4) == [0x3c, 0x3c, 0x3c, 0x3c])
        let before = try #require(try ImageTool.info(path, forceShare: true).actualSize)
        driver.memory.write([UInt8](repeating: 0, count: cluster), at: BlockRequest.data)
        #expect(request.submit(type: Blk.RequestType.write, sector: 128, dataLength: UInt32(cluster), deviceWritesData: false)?.status == Blk.Status.ok)
        #expect(request.submit(type: Blk.RequestType.flush, sector: 0, dataLength: 0, deviceWritesData: false)?.status == Blk.Status.ok)
        #expect(request.submit(type: Blk.RequestType.read, sector: 128, dataLength: 512, deviceWritesData: true)?.status == Blk.Status.ok)
        #expect(driver.memory.read(BlockRequest.data, count: 512) == [UInt8](repeating: 0, count: 512))
        // The data cluster was freed (its hole punched) rather than overwritten with zeros.
        #expect(try #require(try ImageTool.info(path, forceShare: true).actualSize) < before)
    }
}
