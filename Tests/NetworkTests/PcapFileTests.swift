import Foundation
import Testing
@testable import Network

@Suite struct PcapFileTests {
    static func word(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }

    /// The libpcap layout: a 24-byte global header, then per frame a 16-byte record header with
    /// the kept and the original length. Both directions of a link go in, in order; a frame longer
    /// than maxlen is cut and keeps its original length.
    @Test func aLinkCaptureHasTheHeaderAndOneRecordPerFrameBothWays() throws {
        let path = NSTemporaryDirectory() + "virtbench-pcap-\(getpid()).pcap"
        defer { unlink(path) }
        let link = NetworkLink(name: "n0")
        link.addCapture(try PcapFile(path: path, snapLength: 64))
        let out = [UInt8](repeating: 0xaa, count: 14) + [UInt8](repeating: 1, count: 86)
        let back = [UInt8](repeating: 0xbb, count: 14) + [UInt8](repeating: 2, count: 46)
        link.send(out, from: .frontEnd)
        link.send(back, from: .backEnd)
        link.send([1, 2, 3], from: .frontEnd)  // undersize: dropped before the capture
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Self.word(bytes, 0) == 0xa1b2_c3d4)
        #expect(Array(bytes[4..<8]) == [2, 0, 4, 0])
        #expect(Self.word(bytes, 16) == 64)
        #expect(Self.word(bytes, 20) == 1, "LINKTYPE_ETHERNET")
        #expect(Self.word(bytes, 24 + 8) == 64 && Self.word(bytes, 24 + 12) == 100)
        #expect(Array(bytes[40..<104]) == Array(out.prefix(64)))
        #expect(Self.word(bytes, 104 + 8) == 60 && Self.word(bytes, 104 + 12) == 60)
        #expect(Array(bytes[120..<180]) == back)
        #expect(bytes.count == 180)
    }

    @Test func anUnwritablePathIsAnError() {
        #expect(throws: PcapFileError.self) { _ = try PcapFile(path: "/nonexistent-folder/capture.pcap") }
    }
}
