import Machine
import Testing
@testable import Devices

@Suite struct FirmwareConfigTests {
    /// Selects `key` the way a little-endian guest must: the register is big-endian.
    static func select(_ device: FirmwareConfig, _ key: UInt16) {
        device.write(offset: FirmwareConfig.Register.selector, width: 2, value: UInt64(key.byteSwapped))
    }

    static func readBytes(_ device: FirmwareConfig, _ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(device.read(offset: FirmwareConfig.Register.data, width: 1)) }
    }

    @Test func signatureAndInterfaceID() {
        let device = FirmwareConfig(memory: nil)
        Self.select(device, FirmwareConfig.Key.signature)
        #expect(Self.readBytes(device, 4) == Array("QEMU".utf8))
        #expect(Self.readBytes(device, 2) == [0, 0], "past the end reads zeros")
        Self.select(device, FirmwareConfig.Key.signature)
        #expect(device.read(offset: 0, width: 4) == 0x554d_4551, "a wide read returns the bytes in order")
        Self.select(device, FirmwareConfig.Key.interfaceID)
        #expect(device.read(offset: 0, width: 4) == 3, "traditional and DMA interfaces")
        #expect(device.read(offset: FirmwareConfig.Register.dmaAddress, width: 8) == 0x4746_4320_554d_4551, "\"QEMU CFG\"")
        Self.select(device, 0x1234)
        #expect(device.read(offset: 0, width: 8) == 0, "an unknown key reads zeros")
    }

    @Test func fileDirectoryListsQEMUsFilesInNameOrder() {
        let device = FirmwareConfig(memory: nil)
        Self.select(device, FirmwareConfig.Key.fileDirectory)
        let count = Self.readBytes(device, 4).reduce(0) { $0 << 8 | Int($1) }
        #expect(count == 3)
        var names: [String] = []
        for index in 0..<count {
            let entry = Self.readBytes(device, 64)
            let size = entry[0..<4].reduce(0) { $0 << 8 | Int($1) }
            let key = UInt16(entry[4]) << 8 | UInt16(entry[5])
            let name = String(decoding: entry[8...].prefix { $0 != 0 }, as: UTF8.self)
            names.append(name)
            #expect(key == FirmwareConfig.Key.firstFile + UInt16(index))
            #expect(size == device.item(key)?.count)
        }
        #expect(names == ["bios-geometry", "bootorder", "etc/boot-fail-wait"])
        Self.select(device, FirmwareConfig.Key.firstFile + 2)
        #expect(Self.readBytes(device, 4) == [0xff, 0xff, 0xff, 0xff], "boot-fail-wait is -1")
    }

    @Test func dmaReadCopiesAnItemIntoRAM() throws {
        let memory = try PhysicalMemory(base: 0x8000_0000, size: 1 << 20)
        let device = FirmwareConfig(memory: memory)
        let request: UInt64 = 0x8000_1000, buffer: UInt64 = 0x8000_2000
        // control = select signature | read; length 6; address of the buffer (all big-endian).
        let control = UInt32(FirmwareConfig.Key.signature) << 16 | 0x08 | 0x02
        var bytes: [UInt8] = []
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: control >> UInt32(shift))) }
        bytes += [0, 0, 0, 6]
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: buffer >> UInt64(shift))) }
        #expect(memory.write(bytes, at: request))
        #expect(memory.write([UInt8](repeating: 0xaa, count: 8), at: buffer))
        // The guest writes the big-endian address: high half first, the low half starts it.
        device.write(offset: FirmwareConfig.Register.dmaAddress, width: 4, value: UInt64(UInt32(request >> 32).byteSwapped))
        device.write(offset: FirmwareConfig.Register.dmaAddressLow, width: 4, value: UInt64(UInt32(truncatingIfNeeded: request).byteSwapped))
        #expect(memory.read(buffer, count: 8) == Array("QEMU".utf8) + [0, 0, 0xaa, 0xaa])
        #expect(memory.read(request, count: 4) == [0, 0, 0, 0], "control 0: done, no error")

        // A write request fails: nothing here is writable.
        #expect(memory.write([0, 0, 0, 0x10, 0, 0, 0, 4] + [UInt8](repeating: 0, count: 8), at: request))
        device.write(offset: FirmwareConfig.Register.dmaAddress, width: 8, value: request.byteSwapped)
        #expect(memory.read(request, count: 4) == [0, 0, 0, 1], "error bit set")
    }
}
