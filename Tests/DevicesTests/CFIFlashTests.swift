import Foundation
import Testing
@testable import Devices

/// The flash bank's command set, driven the way U-Boot's and Linux's CFI drivers drive a
/// 32-bit bank of two x16 chips: commands go to both chips at once (`0x00XX00XX`), query and
/// identifier addresses are chip-word indices shifted by the bus width.
@Suite struct CFIFlashTests {
    /// A command for both chips of the bank.
    static func both(_ command: UInt8) -> UInt64 { UInt64(command) | UInt64(command) << 16 }

    /// The CFI byte at query address `index`, as one chip reports it.
    static func query(_ flash: CFIFlash, _ index: UInt64) -> UInt8 {
        let word = flash.read(offset: index << 2, width: 4)
        #expect(word >> 16 == word & 0xffff, "both chips answer the same at query address 0x\(String(index, radix: 16))")
        return UInt8(truncatingIfNeeded: word)
    }

    @Test func cfiQueryDescribesTheBank() {
        let flash = CFIFlash(name: "flash0")
        flash.write(offset: 0x55 << 2, width: 4, value: Self.both(0x98))
        #expect(flash.read(offset: 0x10 << 2, width: 4) == 0x0051_0051, "'Q' from each chip")
        #expect([0x10, 0x11, 0x12].map { Self.query(flash, $0) } == Array("QRY".utf8))
        #expect(Self.query(flash, 0x13) == 0x01 && Self.query(flash, 0x14) == 0x00, "Intel/Sharp command set")
        #expect(Self.query(flash, 0x27) == 24, "each chip holds 2^24 bytes, the bank 32 MiB")
        #expect(Self.query(flash, 0x2a) == 11, "2 KiB write buffer per chip")
        #expect(Self.query(flash, 0x2c) == 1, "one erase region")
        let blocks = UInt16(Self.query(flash, 0x2d)) | UInt16(Self.query(flash, 0x2e)) << 8
        let blockSize = (UInt32(Self.query(flash, 0x2f)) | UInt32(Self.query(flash, 0x30)) << 8) * 256
        #expect(blocks + 1 == 128 && blockSize == 128 << 10, "128 blocks of 128 KiB per chip")
        #expect([0x31, 0x32, 0x33].map { Self.query(flash, $0) } == Array("PRI".utf8))
        #expect(flash.read(offset: 0x60 << 2, width: 4) == 0, "past the table reads zero")
        // A doubleword read is two bus cycles.
        #expect(flash.read(offset: 0x10 << 2, width: 8) == 0x0052_0052_0051_0051)
        flash.write(offset: 0, width: 4, value: Self.both(0xff))
        #expect(flash.read(offset: 0x40, width: 4) == 0, "read array mode again: the blank bank reads zero")
    }

    @Test func identifierAndStatus() {
        let flash = CFIFlash(name: "flash0")
        flash.write(offset: 0, width: 4, value: Self.both(0x90))
        #expect(flash.read(offset: 0, width: 4) == 0x0089_0089, "Intel")
        #expect(flash.read(offset: 4, width: 4) == 0x0018_0018, "device 0x18")
        #expect(flash.read(offset: 0, width: 1) == 0x89)
        flash.write(offset: 0, width: 4, value: Self.both(0x70))
        #expect(flash.read(offset: 0x1234, width: 4) == 0x0080_0080, "ready, no errors, at any address")
        #expect(flash.read(offset: 0, width: 2) == 0x0080)
    }

    @Test func eraseThenProgramWordAndBuffer() {
        let flash = CFIFlash(name: "flash1")
        let block: UInt64 = 0x4_0000
        flash.write(offset: block + 0x100, width: 4, value: Self.both(0x20))
        flash.write(offset: block + 0x100, width: 4, value: Self.both(0xd0))
        #expect(flash.read(offset: block, width: 4) == 0x0080_0080, "status after the erase")
        flash.write(offset: block, width: 4, value: Self.both(0xff))
        #expect(flash.read(offset: block, width: 8) == ~0, "the whole 256 KiB block is erased")
        #expect(flash.read(offset: block + 0x3_fffc, width: 4) == 0xffff_ffff)
        #expect(flash.read(offset: block - 4, width: 4) == 0, "the previous block is untouched")

        flash.write(offset: block + 8, width: 4, value: Self.both(0x40))
        flash.write(offset: block + 8, width: 4, value: 0xcafe_f00d)
        flash.write(offset: block, width: 4, value: Self.both(0xff))
        #expect(flash.read(offset: block + 8, width: 4) == 0xcafe_f00d)

        // Buffered program of three words: count is (words per chip - 1).
        flash.write(offset: block + 0x20, width: 4, value: Self.both(0xe8))
        #expect(flash.read(offset: block + 0x20, width: 4) & 0x80 != 0, "buffer available")
        flash.write(offset: block + 0x20, width: 4, value: Self.both(2))
        for i in 0..<3 { flash.write(offset: block + 0x20 + UInt64(4 * i), width: 4, value: 0x1111_1111 * UInt64(i + 1)) }
        flash.write(offset: block + 0x20, width: 4, value: Self.both(0xd0))
        flash.write(offset: block, width: 4, value: Self.both(0xff))
        #expect((0..<3).map { flash.read(offset: block + 0x20 + UInt64(4 * $0), width: 4) } == [0x1111_1111, 0x2222_2222, 0x3333_3333])
    }

    @Test func aBadEraseConfirmSetsTheErrorBitsUntilCleared() {
        let flash = CFIFlash(name: "flash0")
        flash.write(offset: 0, width: 4, value: Self.both(0x20))
        flash.write(offset: 0, width: 4, value: Self.both(0x70))  // not the confirm
        flash.write(offset: 0, width: 4, value: Self.both(0x70))
        #expect(flash.read(offset: 0, width: 1) == 0xb0, "ready with erase and program errors: an improper sequence")
        flash.write(offset: 0, width: 4, value: Self.both(0x50))
        flash.write(offset: 0, width: 4, value: Self.both(0x70))
        #expect(flash.read(offset: 0, width: 1) == 0x80)
        flash.write(offset: 0, width: 4, value: Self.both(0xff))
        #expect(flash.read(offset: 0, width: 4) == 0, "nothing was erased")
    }

    @Test func backingFileIsReadAndWrittenThrough() throws {
        let path = NSTemporaryDirectory() + "virtbench-pflash-\(UInt64.random(in: 0 ... .max)).img"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var image = Data(count: Int(CFIFlash.Geometry.bankSize))
        image.replaceSubrange(0..<4, with: [0xde, 0xad, 0xbe, 0xef])
        try image.write(to: URL(fileURLWithPath: path))

        let flash = try CFIFlash(name: "flash0", backingFile: path)
        #expect(flash.read(offset: 0, width: 4) == 0xefbe_adde)
        flash.write(offset: 0x100, width: 4, value: Self.both(0x40))
        flash.write(offset: 0x100, width: 4, value: 0x0403_0201)
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Array(written[0x100..<0x104]) == [1, 2, 3, 4], "the program reached the file")
        #expect(written.count == Int(CFIFlash.Geometry.bankSize))
    }

    @Test func backingFileErrors() throws {
        let path = NSTemporaryDirectory() + "virtbench-pflash-small-\(UInt64.random(in: 0 ... .max)).img"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(count: 4096).write(to: URL(fileURLWithPath: path))
        #expect(throws: CFIFlash.Error.wrongSize(path: path, size: 4096, expected: CFIFlash.Geometry.bankSize)) {
            try CFIFlash(name: "flash0", backingFile: path)
        }
        do {
            _ = try CFIFlash(name: "flash0", backingFile: "/nonexistent/flash.img")
            Issue.record("a missing file was accepted")
        } catch {
            #expect(error.description.contains("/nonexistent/flash.img"))
        }
    }
}
