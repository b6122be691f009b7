import Testing
@testable import Machine

/// The host interface's index checks guard raw pointer accesses (the register files), and the
/// Machine module is built with -Ounchecked, which drops `precondition` and array bounds
/// checks. These run the bad call in a child process: it must stop with the interface's own
/// message, where an unchecked access would read or write past the register file (and, in the
/// case of a far index, die of a segmentation fault with no message).
@Suite("Hart host interface bounds")
struct HostInterfaceBoundsTests {
    static func hart() -> Hart {
        let memory = try! PhysicalMemory(base: 0x8000_0000, size: 1 << 20)
        return Hart(bus: Bus(ram: memory), interrupts: InterruptLines(), timebase: Timebase(mode: .virtual(instructionsPerTick: 100)),
                    control: MachineControl())
    }

    static func expectMessage(_ result: ExitTest.Result?, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let text = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(text.contains(fragment), "stderr: \(text.suffix(400))", sourceLocation: sourceLocation)
    }

    @Test func readingARegisterPastTheFileStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = HostInterfaceBoundsTests.hart().register(40)
        }
        Self.expectMessage(result, "register index 40 out of range")
    }

    @Test func writingAFloatRegisterFarPastTheFileStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            HostInterfaceBoundsTests.hart().setFRegister(1 << 40, 1)
        }
        Self.expectMessage(result, "floating-point register index \(1 << 40) out of range")
    }

    @Test func negativeFloatRegisterReadStops() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = HostInterfaceBoundsTests.hart().fregister(-1)
        }
        Self.expectMessage(result, "floating-point register index -1 out of range")
    }

    @Test func vCPUStateWithTooFewRegistersIsNotLoaded() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var state = VirtualHartState()
            state.registers = [0, 1]
            HostInterfaceBoundsTests.hart().loadDeprivilegedGuest(state)
        }
        Self.expectMessage(result, "vCPU state with 2 integer and 32 floating-point registers")
    }

    @Test func vCPUStateWithTooFewFloatRegistersIsNotLoaded() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var state = VirtualHartState()
            state.floatRegisters = []
            HostInterfaceBoundsTests.hart().loadVirtualHart(state, hgatp: 0)
        }
        Self.expectMessage(result, "vCPU state with 32 integer and 0 floating-point registers")
    }

    /// In range, the same calls work as ever.
    @Test func inRangeAccessesWork() {
        let hart = Self.hart()
        hart.setRegister(31, 7)
        hart.setFRegister(31, 9)
        #expect(hart.register(31) == 7 && hart.fregister(31) == 9 && hart.register(0) == 0)
        var state = VirtualHartState()
        state.registers[5] = 55
        hart.loadDeprivilegedGuest(state)
        #expect(hart.register(5) == 55)
    }
}
