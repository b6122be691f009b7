import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Machine
import Testing
import Storage
@testable import Virtio

/// virtio-9p on the virtio-mmio transport: device ID 9, the mount tag in the configuration space
/// behind VIRTIO_9P_MOUNT_TAG, and 9P messages carried request by request, a read's data
/// spread over several device-writable buffers as Linux's zero-copy reads put it.
@Suite struct VirtioNinePDeviceTests {
    static let base = TestDriver.ramBase

    static func share() throws -> String {
        let folder = NSTemporaryDirectory() + "virtio-9p-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(Array("over virtio\n".utf8)).write(to: URL(fileURLWithPath: folder + "/file.txt"))
        return folder
    }

    /// Puts `message` in one readable buffer and `replyRooms` writable buffers after it, makes the
    /// chain available and returns the reply the device wrote (the used length's worth).
    static func exchange(_ driver: TestDriver, _ message: [UInt8], replyRooms: [UInt32] = [8192]) -> [UInt8] {
        let out = base + 0x10000
        driver.memory.write(message, at: out)
        driver.putDescriptor(.init(address: out, length: UInt32(message.count), flags: SplitRing.next, next: 1), at: 0)
        var address = base + 0x20000
        for (i, room) in replyRooms.enumerated() {
            let last = i == replyRooms.count - 1
            driver.putDescriptor(.init(address: address, length: room, flags: SplitRing.write | (last ? 0 : SplitRing.next),
                                       next: UInt16(i + 2)), at: UInt16(i + 1))
            address += UInt64(room) + 0x100  // a gap: the buffers are not contiguous
        }
        driver.makeAvailable(head: 0)
        guard let used = driver.takeUsed().last else { return [] }
        var reply: [UInt8] = []
        address = base + 0x20000
        for room in replyRooms where reply.count < Int(used.1) {
            reply += driver.memory.read(address, count: min(Int(room), Int(used.1) - reply.count))!
            address += UInt64(room) + 0x100
        }
        return reply
    }

    static func message(_ type: NinePMessageType, tag: UInt16 = 1, _ fill: (inout NinePWriter) -> Void) -> [UInt8] {
        var writer = NinePWriter(type: type, tag: tag)
        fill(&writer)
        return writer.finished()
    }

    @Test func servesTheShareByItsMountTag() throws {
        let folder = try Self.share()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let device = try VirtioNinePDevice(server: NinePServer(root: folder, readOnly: false), mountTag: "hostshare")
        let driver = try TestDriver(device: device, queueSize: 8)
        let accepted = driver.initialize(features: ~0)
        #expect(driver.read(TestDriver.R.deviceID) == 9)
        #expect(accepted & VirtioNinePDevice.Feature.mountTag != 0)
        #expect(driver.transport.read(offset: 0x100, width: 2) == 9, "tag_len")
        let tag = (0..<9).map { UInt8(driver.transport.read(offset: 0x102 + UInt64($0), width: 1)) }
        #expect(tag == Array("hostshare".utf8))

        var reply = Self.exchange(driver, Self.message(.tversion) { $0.u32(8192); $0.string("9P2000.L") })
        #expect(reply.count == 21 && reply[4] == NinePMessageType.rversion.rawValue)
        reply = Self.exchange(driver, Self.message(.tattach) { $0.u32(0); $0.u32(NineP.noFid); $0.string(""); $0.string(""); $0.u32(0) })
        #expect(reply[4] == NinePMessageType.rattach.rawValue)
        reply = Self.exchange(driver, Self.message(.twalk) { $0.u32(0); $0.u32(1); $0.u16(1); $0.string("file.txt") })
        #expect(reply[4] == NinePMessageType.rwalk.rawValue)
        reply = Self.exchange(driver, Self.message(.tlopen) { $0.u32(1); $0.u32(0) })
        #expect(reply[4] == NinePMessageType.rlopen.rawValue)
        // Linux's zero-copy read: an 11-byte buffer for the reply's header, the data after it.
        reply = Self.exchange(driver, Self.message(.tread) { $0.u32(1); $0.u64(0); $0.u32(4096) }, replyRooms: [11, 4096])
        #expect(reply.count == 11 + 12 && reply[4] == NinePMessageType.rread.rawValue)
        #expect(Array(reply[11...]) == Array("over virtio\n".utf8))
        // A read asking more than the buffers hold gets what fits.
        reply = Self.exchange(driver, Self.message(.tread) { $0.u32(1); $0.u64(0); $0.u32(4096) }, replyRooms: [11, 5])
        #expect(reply.count == 16 && Array(reply[11...]) == Array("over ".utf8))
        // No room for even an error: the device cannot answer, and says the driver broke the rules.
        _ = Self.exchange(driver, Self.message(.tclunk) { $0.u32(1) }, replyRooms: [4])
        #expect(driver.status & VirtioStatus.deviceNeedsReset != 0)
    }

    @Test func aMessageLargerThanTheSessionAllowsGetsAnErrorByItsTag() throws {
        let folder = try Self.share()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let device = try VirtioNinePDevice(server: NinePServer(root: folder, readOnly: false), mountTag: "t")
        let driver = try TestDriver(device: device, queueSize: 8)
        driver.initialize(features: ~0)
        _ = Self.exchange(driver, Self.message(.tversion) { $0.u32(4096); $0.string("9P2000.L") })
        let huge = Self.message(.twrite, tag: 42) { $0.u32(0); $0.u64(0); $0.u32(9000); $0.data([UInt8](repeating: 7, count: 9000)) }
        let reply = Self.exchange(driver, huge)
        #expect(reply == NinePServer.error(tag: 42, EMSGSIZE))
    }

    @Test func mountTagsAreChecked() {
        #expect(throws: VirtioNinePDevice.TagError.empty) { try VirtioNinePDevice.check(tag: "") }
        #expect(throws: VirtioNinePDevice.TagError.tooLong(256)) { try VirtioNinePDevice.check(tag: String(repeating: "x", count: 256)) }
        #expect(throws: VirtioNinePDevice.TagError.containsNUL) { try VirtioNinePDevice.check(tag: "a\0b") }
    }
}

/// virtio-9p with its server on a thread of its own: the notification only hands the requests
/// over, and the board's poll completes them in ring order with the same replies.
@Suite struct VirtioNinePThreadTests {
    @Test func requestsCompleteFromThePollInRingOrder() throws {
        let folder = try VirtioNinePDeviceTests.share()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let polls = NinePPollCounter()
        let device = try VirtioNinePDevice(server: NinePServer(root: folder, readOnly: false), mountTag: "t",
                                           serverThread: true, requestPoll: { polls.add() })
        let driver = try TestDriver(device: device, queueSize: 8)
        driver.initialize(features: ~0)
        let base = VirtioNinePDeviceTests.base
        // Three requests in one notification: version, attach, walk to the file.
        let messages = [
            VirtioNinePDeviceTests.message(.tversion, tag: 1) { $0.u32(8192); $0.string("9P2000.L") },
            VirtioNinePDeviceTests.message(.tattach, tag: 2) { $0.u32(0); $0.u32(NineP.noFid); $0.string(""); $0.string(""); $0.u32(0) },
            VirtioNinePDeviceTests.message(.twalk, tag: 3) { $0.u32(0); $0.u32(1); $0.u16(1); $0.string("file.txt") },
        ]
        for (i, message) in messages.enumerated() {
            let out = base + 0x10000 + 0x1000 * UInt64(i), reply = base + 0x20000 + 0x1000 * UInt64(i)
            driver.memory.write(message, at: out)
            driver.putDescriptor(.init(address: out, length: UInt32(message.count), flags: SplitRing.next, next: UInt16(2 * i + 1)), at: UInt16(2 * i))
            driver.putDescriptor(.init(address: reply, length: 512, flags: SplitRing.write), at: UInt16(2 * i + 1))
            driver.makeAvailable(head: UInt16(2 * i), notify: i == messages.count - 1)
        }
        #expect(driver.takeUsed().isEmpty, "nothing completes on the notifying thread")
        #expect(polls.count >= 1, "the device asked for a poll")
        var used: [(UInt32, UInt32)] = []
        for _ in 0..<2000 where used.count < 3 {
            driver.transport.core.poll()
            used += driver.takeUsed()
            if used.count < 3 { usleep(1000) }
        }
        #expect(used.map(\.0) == [0, 2, 4], "ring order")
        let types = (0..<3).map { driver.memory.read(base + 0x20000 + 0x1000 * UInt64($0) + 4, count: 1)?.first }
        #expect(types == [NinePMessageType.rversion.rawValue, NinePMessageType.rattach.rawValue, NinePMessageType.rwalk.rawValue])
        #expect(device.requestsInFlight == 0)
    }
}

/// Counts the polls a device asks for, from any thread.
private final class NinePPollCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    var count: Int { lock.withLock { value } }
    func add() { lock.withLock { value += 1 } }
}
