import Machine
import Testing
@testable import Devices

/// A function with one 32-bit memory BAR of 256 bytes that reads back its offset, and INTA.
private final class ProbeFunction: PCIFunction {
    let name = "probe"
    let configurationSpace = PCIConfigurationSpace(vendorID: 0x1234, deviceID: 0x5678, revision: 2, classCode: 0xff_00_00, interruptPin: 1)
    var writes: [(UInt64, Int, UInt64)] = []
    init() { configurationSpace.addMemoryBAR(index: 0, size: 0x100, is64Bit: false, prefetchable: false) }
    func readBAR(_ bar: Int, offset: UInt64, width: Int) -> UInt64 { offset }
    func writeBAR(_ bar: Int, offset: UInt64, width: Int, value: UInt64) { writes.append((offset, width, value)) }
}

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

    /// A plugged function answers in its slot; its 32-bit BAR sizes to 256 bytes and decodes
    /// only with memory space enabled; configuration accesses of 8 bytes are two of 4.
    @Test func pluggedFunctionIsConfiguredAndDecoded() {
        let ecam = PCIeECAM()
        let probe = ProbeFunction()
        #expect(ecam.plug(probe, slot: 3))
        let base = Self.ecam(bus: 0, device: 3, function: 0)
        #expect(ecam.read(offset: base, width: 4) == 0x5678_1234)
        #expect(ecam.read(offset: base + 8, width: 8) == 0x0000_0000_ff00_0002, "class ff0000, revision 2; BIST/header/latency/cache line 0")
        ecam.write(offset: base + 0x10, width: 4, value: 0xffff_ffff)
        #expect(ecam.read(offset: base + 0x10, width: 4) == 0xffff_ff00, "256 bytes, 32-bit, not prefetchable")
        ecam.write(offset: base + 0x10, width: 8, value: 0x4000_0200)
        #expect(ecam.read(offset: base + 0x10, width: 4) == 0x4000_0200)
        #expect(ecam.decode(0x4000_0210, width: 4) == nil, "memory space is off")
        ecam.write(offset: base + 4, width: 2, value: 0x2)
        #expect(ecam.decode(0x4000_0210, width: 4)?.offset == 0x10)
        #expect(ecam.decode(0x4000_02fc, width: 8) == nil, "an access straddling the BAR's end")
        #expect(ecam.read(offset: Self.ecam(bus: 0, device: 3, function: 1), width: 4) == 0xffff_ffff, "function 1 is absent")
    }

    /// INTA of slot s drives output (s + 0) mod 4, the swizzle the device tree's interrupt-map
    /// states; on the board that is PLIC source 0x20 + output.
    @Test func intxFollowsTheSwizzleToThePLIC() throws {
        let board = try VirtBoard { _ in }
        for slot in 1...4 {
            let probe = ProbeFunction()
            #expect(try board.plugPCI(probe, slot: slot))
            probe.configurationSpace.interruptPending = true
            let source = VirtMemoryMap.pcieIRQ + slot % 4
            #expect(board.plic.isPending(source), "slot \(slot) INTA -> PLIC \(source)")
            #expect((VirtMemoryMap.pcieIRQ..<VirtMemoryMap.pcieIRQ + 4).filter { board.plic.isPending($0) }.count == slot,
                    "no other source rises")
        }
        #expect(board.pcieMemoryWindows.map(\.base) == [0x4000_0000, 0x4_0000_0000])
        #expect(try !board.plugPCI(ProbeFunction(), slot: 1), "slot 1 is taken")
        // The window reaches the BAR once software placed it and turned memory space on.
        let base = Self.ecam(bus: 0, device: 2, function: 0)
        board.pcieECAM.write(offset: base + 0x10, width: 4, value: 0x4000_1000)
        #expect(board.bus.read(0x4000_1004, width: 4) == 0xffff_ffff, "not decoded yet: master abort")
        board.pcieECAM.write(offset: base + 4, width: 2, value: 0x2)
        #expect(board.bus.read(0x4000_1004, width: 4) == 4)
    }
}
