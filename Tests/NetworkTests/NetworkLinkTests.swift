import Synchronization
import Testing
@testable import Network

/// A peer that takes frames while it has room, as a NIC with a number of receive buffers.
private final class CountingPeer: NetworkPeer {
    let room = Mutex(0)
    let taken = Mutex<[EthernetFrame]>([])

    init(room: Int) { self.room.withLock { $0 = room } }

    func receive(_ frame: EthernetFrame) -> Bool {
        room.withLock { room in
            guard room > 0 else { return false }
            room -= 1
            taken.withLock { $0.append(frame) }
            return true
        }
    }

    func give(_ more: Int) { room.withLock { $0 += more } }
    var frames: [EthernetFrame] { taken.withLock { $0 } }
}

private func frame(_ tag: UInt8, length: Int = 60) -> [UInt8] {
    [0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x52, 0x55, 0x0a, 0, 2, 2, 0x08, 0x00] + [UInt8](repeating: tag, count: length - 14)
}

@Suite struct NetworkLinkTests {
    @Test func framesCrossInBothDirectionsAndAreCounted() {
        let link = NetworkLink(name: "n0")
        let guest = CountingPeer(room: 10), host = CountingPeer(room: 10)
        link.attach(guest, as: .frontEnd)
        link.attach(host, as: .backEnd)
        #expect(link.send(frame(1), from: .frontEnd) == nil)
        #expect(link.send(frame(2, length: 100), from: .backEnd) == nil)
        #expect(host.frames.map(\.bytes) == [frame(1)])
        #expect(guest.frames.map(\.bytes) == [frame(2, length: 100)])
        #expect(link.counters(toward: .backEnd).frames == 1)
        #expect(link.counters(toward: .backEnd).bytes == 60)
        #expect(link.counters(toward: .frontEnd).bytes == 100)
    }

    @Test func undersizeAndOversizeFramesFromAGuestAreDroppedAndCounted() {
        let link = NetworkLink(name: "n0")
        let host = CountingPeer(room: 10)
        link.attach(host, as: .backEnd)
        #expect(link.send([], from: .frontEnd) == .undersize)
        #expect(link.send(Array(frame(1).prefix(13)), from: .frontEnd) == .undersize)
        #expect(link.send(frame(1, length: EthernetFrame.maximumLength + 1), from: .frontEnd) == .oversize)
        #expect(link.send(frame(1, length: 65536), from: .frontEnd) == .oversize)
        #expect(link.send(frame(1, length: EthernetFrame.maximumLength), from: .frontEnd) == nil)
        #expect(link.send(Array(frame(1).prefix(14)), from: .frontEnd) == nil)
        let counters = link.counters(toward: .backEnd)
        #expect(counters.dropped == [.undersize: 2, .oversize: 2])
        #expect(counters.frames == 2)
        #expect(counters.sent == 6)
        #expect(host.frames.count == 2)
    }

    @Test func aReceiverWithoutRoomPushesBackAndGetsTheFramesInOrderLater() {
        let link = NetworkLink(name: "n0")
        let guest = CountingPeer(room: 1)
        link.attach(guest, as: .frontEnd)
        for tag in 1...5 { #expect(link.send(frame(UInt8(tag)), from: .backEnd) == nil) }
        #expect(guest.frames.count == 1)
        var counters = link.counters(toward: .frontEnd)
        #expect(counters.pushedBack == 4 && counters.queued == 4 && counters.totalDropped == 0)
        // Room for two: they come in order, the rest still waits.
        guest.give(2)
        link.resume(.frontEnd)
        #expect(guest.frames.map { $0.bytes[14] } == [1, 2, 3])
        // A new frame queues behind the waiting ones instead of overtaking them.
        guest.give(1)
        link.send(frame(6), from: .backEnd)
        #expect(guest.frames.count == 3)
        guest.give(10)
        link.resume(.frontEnd)
        #expect(guest.frames.map { $0.bytes[14] } == [1, 2, 3, 4, 5, 6])
        counters = link.counters(toward: .frontEnd)
        #expect(counters.frames == 6 && counters.queued == 0 && counters.sent == 6)
    }

    @Test func theQueueIsBoundedAndOverflowIsCounted() {
        let link = NetworkLink(name: "n0")
        link.attach(CountingPeer(room: 0), as: .frontEnd)
        for _ in 0..<(NetworkLink.queueLimit + 10) { link.send(frame(0), from: .backEnd) }
        let counters = link.counters(toward: .frontEnd)
        #expect(counters.queued == NetworkLink.queueLimit)
        #expect(counters.dropped[.queueFull] == 10)
        #expect(counters.sent == NetworkLink.queueLimit + 10)
    }

    @Test func framesWithNoPeerAreDroppedAndCounted() {
        let link = NetworkLink(name: "n0")
        #expect(link.send(frame(1), from: .frontEnd) == .noPeer)
        #expect(link.counters(toward: .backEnd).dropped == [.noPeer: 1])
    }

    @Test func macAddressesParseAsQEMUWritesThem() {
        #expect(MACAddress(parsing: "52:54:00:12:34:56")?.description == "52:54:00:12:34:56")
        #expect(MACAddress(parsing: "52:54:00:12:34") == nil)
        #expect(MACAddress(parsing: "52:54:00:12:34:5g") == nil)
        #expect(MACAddress(parsing: "52:54:00:12:34:567") == nil)
        #expect(MACAddress(parsing: "01:00:5e:00:00:01")?.isMulticast == true)
        #expect(MACAddress.qemuDefault(index: 1).description == "52:54:00:12:34:57")
    }
}
