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
}
