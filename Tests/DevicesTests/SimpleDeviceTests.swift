import Machine
import Testing
@testable import Devices

@Suite struct SiFiveTestDeviceTests {
    @Test(arguments: [
        (UInt64(0x5555), MachineControl.StopRequest.powerOff),
        (UInt64(0x3333 | 42 << 16), MachineControl.StopRequest.failure(code: 42)),
        (UInt64(0x7777), MachineControl.StopRequest.reset),
    ])
    func finisherRequestsStop(value: UInt64, expected: MachineControl.StopRequest) {
        let control = MachineControl()
        let test = SiFiveTest(control: control)
        test.write(offset: 0, width: 4, value: value)
        #expect(control.stopRequest == expected)
        #expect(control.stopPending)
    }

    @Test func otherValuesAndOffsetsAreIgnored() {
        let control = MachineControl()
        let test = SiFiveTest(control: control)
        test.write(offset: 0, width: 4, value: 0x1234)
        test.write(offset: 4, width: 4, value: 0x5555)
        #expect(control.stopRequest == nil)
        #expect(test.read(offset: 0, width: 4) == 0)
    }
}

@Suite struct VirtioSlotTests {
    @Test func emptySlotIdentifiesAsNoDevice() {
        let slot = VirtioMMIOSlot(name: "virtio0", interruptSource: 1)
        #expect(slot.read(offset: 0x000, width: 4) == 0x7472_6976)
        #expect(slot.read(offset: 0x004, width: 4) == 2)
        #expect(slot.read(offset: 0x008, width: 4) == 0)
        #expect(slot.read(offset: 0x00c, width: 4) == 0x554d_4551)
        #expect(slot.read(offset: 0x070, width: 4) == 0)
        slot.write(offset: 0x070, width: 4, value: 0xf)
        #expect(slot.read(offset: 0x070, width: 4) == 0, "writes to an empty slot change nothing")
    }

    /// A plugged slot hands every access to its transport, and its interrupt line is the
    /// board's PLIC source 1 + slot index.
    @Test func pluggedSlotForwardsAccessesAndDrivesItsPLICSource() throws {
        final class Register: Device {
            let name = "fake"
            var value: UInt64 = 0
            func read(offset: UInt64, width: Int) -> UInt64 { offset == 0x70 ? value : 0x1234 }
            func write(offset: UInt64, width: Int, value: UInt64) { if offset == 0x70 { self.value = value } }
        }
        let board = try VirtBoard(consoleOutput: { _ in })
        let slot = board.virtioSlots[7]
        #expect(slot.isEmpty)
        #expect(slot.plug(Register()))
        #expect(!slot.plug(Register()), "one device per slot")
        #expect(board.bus.read(0x1000_8000, width: 4) == 0x1234)
        #expect(board.bus.write(0x1000_8070, width: 4, value: 7))
        #expect(board.bus.read(0x1000_8070, width: 4) == 7)
        #expect(board.bus.read(0x1000_1000 + 0x008, width: 4) == 0, "the other slots stay empty")
        slot.interruptLine(true)
        #expect(board.plic.isPending(8))
    }
}
