import GDBStub
import Testing

/// The remote protocol's framing (the gdb manual, "Remote Protocol" → "Overview"): checksums,
/// escapes, acknowledgements and the interrupt byte, byte by byte.
@Suite("GDB packet framing")
struct PacketTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func checksumIsTheByteSumModulo256() {
        #expect(Packet.checksum(Self.bytes("")) == 0)
        // The manual's example reply "OK" travels as $OK#9a.
        #expect(Packet.frame(Self.bytes("OK")) == Self.bytes("$OK#9a"))
        #expect(Packet.frame(Self.bytes("g")) == Self.bytes("$g#67"))
        #expect(Packet.checksum([0xff, 0xff, 0x03]) == 0x01)
    }

    @Test func binaryDataEscapesTheFourSpecialBytes() {
        let data: [UInt8] = [0x23, 0x24, 0x7d, 0x2a, 0x41, 0x00]
        let escaped = Packet.escaped(data)
        #expect(escaped == [0x7d, 0x03, 0x7d, 0x04, 0x7d, 0x5d, 0x7d, 0x0a, 0x41, 0x00])
        #expect(Packet.unescaped(escaped) == data)
        // A payload cannot end inside an escape.
        #expect(Packet.unescaped([0x41, 0x7d]) == nil)
    }

    @Test func readerSplitsPacketsAcknowledgementsAndInterrupts() {
        var reader = PacketReader(maximumLength: 64)
        let events = reader.feed(Self.bytes("+$g#67-") + [0x03] + Self.bytes("$m0,4#fd"))
        #expect(events == [.acknowledged, .packet(Self.bytes("g")), .resendRequested, .interrupt, .packet(Self.bytes("m0,4"))])
    }

    @Test func packetsMayArriveInPieces() {
        var reader = PacketReader(maximumLength: 64)
        var events: [PacketReader.Event] = []
        for byte in Self.bytes("$qC#b4") { events += reader.feed([byte]) }
        #expect(events == [.packet(Self.bytes("qC"))])
    }

    @Test func aWrongOrMissingChecksumIsCorruptAndTheReaderRecovers() {
        var reader = PacketReader(maximumLength: 64)
        #expect(reader.feed(Self.bytes("$g#68")) == [.corrupt])
        #expect(reader.feed(Self.bytes("$g#zz")) == [.corrupt])
        // A packet cut off by the start of the next one.
        #expect(reader.feed(Self.bytes("$m0,$g#67")) == [.corrupt, .packet(Self.bytes("g"))])
        #expect(reader.feed(Self.bytes("$g#67")) == [.packet(Self.bytes("g"))])
    }

    @Test func anOverlongPacketIsDroppedNotBuffered() {
        var reader = PacketReader(maximumLength: 8)
        let payload = Self.bytes(String(repeating: "a", count: 100))
        let framed = Packet.frame(payload)
        #expect(reader.feed(framed) == [.corrupt])
        #expect(reader.feed(Self.bytes("$g#67")) == [.packet(Self.bytes("g"))])
    }

    @Test func noiseOutsidePacketsIsIgnored() {
        var reader = PacketReader(maximumLength: 64)
        #expect(reader.feed(Self.bytes("garbage\n#99")) == [])
        #expect(reader.feed(Self.bytes("$?#3f")) == [.packet(Self.bytes("?"))])
    }

    @Test func hexNumbersAndRegisterValues() {
        #expect(Hex.value(of: Self.bytes("80000000")) == 0x8000_0000)
        #expect(Hex.value(of: Self.bytes("FFffFFffFFffFFff")) == .max)
        #expect(Hex.value(of: Self.bytes("")) == nil)
        #expect(Hex.value(of: Self.bytes("1ffffffffffffffff")) == nil)
        #expect(Hex.value(of: Self.bytes("12g")) == nil)
        #expect(Hex.littleEndian(0x8000_1234, width: 8) == Self.bytes("3412008000000000"))
        #expect(Hex.littleEndianValue(of: Self.bytes("3412008000000000")) == 0x8000_1234)
        #expect(Hex.littleEndianValue(of: Self.bytes("341")) == nil)
        #expect(Hex.littleEndianValue(of: Self.bytes("000000000000000000")) == nil)
        #expect(Hex.decode(Self.bytes("00ff7a")) == [0, 0xff, 0x7a])
        #expect(Hex.decode(Self.bytes("0g")) == nil)
        #expect(Hex.number(0x1234, width: 8) == Self.bytes("00001234"))
    }
}
