import Testing
@testable import Devices

@Suite struct PCIeECAMTests {
    /// ECAM offset of a function's register (PCIe Base Specification §7.2.2).
    static func ecam(bus: UInt64, device: UInt64, function: UInt64, register: UInt64 = 0) -> UInt64 {
        bus << 20 | device << 15 | function << 12 | register
    }

    @Test func absentFunctionsReadAllOnes() {
        let ecam = PCIeECAM()
        for (bus, device, function) in [(0, 1, 0), (0, 0, 1), (0, 31, 7), (1, 0, 0), (255, 31, 7)] as [(UInt64, UInt64, UInt64)] {
            let base = Self.ecam(bus: bus, device: device, function: function)
            #expect(ecam.read(offset: base, width: 4) == 0xffff_ffff, "\(bus):\(device).\(function) is absent")
            #expect(ecam.read(offset: base + 2, width: 2) == 0xffff)
            #expect(ecam.read(offset: base + 8, width: 1) == 0xff)
            #expect(ecam.read(offset: base, width: 8) == ~0)
            ecam.write(offset: base + 4, width: 2, value: 0x7)
            #expect(ecam.read(offset: base + 4, width: 2) == 0xffff, "writes to nobody are dropped")
        }
    }

    @Test func hostBridgeIsAtZeroZeroZero() {
        let ecam = PCIeECAM()
        #expect(ecam.read(offset: 0, width: 4) == 0x0008_1b36, "Red Hat QEMU PCIe host bridge")
        #expect(ecam.read(offset: 8, width: 4) == 0x0600_0000, "class 06:00, host bridge")
        #expect(ecam.read(offset: 0x0e, width: 1) == 0, "type 0 header, single function")
        #expect(ecam.read(offset: 0x2c, width: 4) == 0x1100_1af4)
        #expect(ecam.read(offset: 0x100, width: 4) == 0, "no extended capabilities")
        ecam.write(offset: 4, width: 2, value: 0xffff)
        #expect(ecam.read(offset: 4, width: 2) == 0x0547, "only the writable command bits stick")
        ecam.write(offset: 0, width: 4, value: 0)
        #expect(ecam.read(offset: 0, width: 4) == 0x0008_1b36, "identification is read-only")
    }

    @Test func portIOWindowFindsNobody() {
        let window = PCIePortIOWindow()
        #expect(window.read(offset: 0x3f8, width: 1) == 0xff)
        #expect(window.read(offset: 0, width: 4) == 0xffff_ffff)
    }
}
