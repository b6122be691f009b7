import Testing
@testable import Machine

/// A write to minstret or mcycle replaces the writing instruction's own increment:
/// `csrwi minstret, 0; csrr a0, minstret` reads 0 (the counter counts from the write on).
@Suite struct CounterWriteTests {
    /// Runs `first` then `csrr a0, csr` at the start of RAM and returns a0.
    func readAfterWrite(_ first: UInt32, csr: UInt32) -> UInt64 {
        let memory = try! PhysicalMemory(base: 0x8000_0000, size: 1 << 20)
        let hart = Hart(bus: Bus(ram: memory), interrupts: InterruptLines(), timebase: Timebase(mode: .virtual(instructionsPerTick: 100)),
                        control: MachineControl())
        memory.store(0x8000_0000, width: 4, value: UInt64(first))
        memory.store(0x8000_0004, width: 4, value: UInt64(csr << 20 | 2 << 12 | 10 << 7 | 0x73))  // csrrs a0, csr, zero
        hart.reset(pc: 0x8000_0000)
        _ = hart.run(instructionLimit: 2)
        return hart.register(10)
    }

    @Test(arguments: [0xb02, 0xb00] as [UInt32]) func writtenValueIsWhatTheNextInstructionReads(csr: UInt32) {
        #expect(readAfterWrite(csr << 20 | 0 << 15 | 5 << 12 | 0x73, csr: csr) == 0)   // csrrwi zero, csr, 0
        #expect(readAfterWrite(csr << 20 | 7 << 15 | 5 << 12 | 0x73, csr: csr) == 7)   // csrrwi zero, csr, 7
    }

    @Test func withoutAWriteTheCounterCountsTheInstructionsBefore() {
        // addi zero, zero, 0 (a nop), then csrr a0, minstret: one instruction retired before the read.
        #expect(readAfterWrite(0x0000_0013, csr: 0xb02) == 1)
    }
}

/// mip.SEIP is the software bit ORed with the interrupt controller's line, and only the software
/// bit takes part in csrrs/csrrc (privileged spec §3.1.9): `csrs mip, SSIP` while the PLIC
/// holds SEIP high must not latch SEIP on after the line drops.
@Suite struct InterruptPendingReadModifyWriteTests {
    @Test func settingSSIPWhileThePLICLineIsHighDoesNotLatchSEIP() {
        let memory = try! PhysicalMemory(base: 0x8000_0000, size: 1 << 20)
        let lines = InterruptLines()
        let hart = Hart(bus: Bus(ram: memory), interrupts: lines, timebase: Timebase(mode: .virtual(instructionsPerTick: 100)),
                        control: MachineControl())
        memory.store(0x8000_0000, width: 4, value: 0x3441_6073)   // csrrsi zero, mip, 2 (SSIP)
        memory.store(0x8000_0004, width: 4, value: 0x3440_2573)   // csrrs a0, mip, zero
        lines.set(InterruptLines.supervisorExternal, true)
        hart.reset(pc: 0x8000_0000)
        _ = hart.run(instructionLimit: 1)
        lines.set(InterruptLines.supervisorExternal, false)
        _ = hart.run(instructionLimit: 1)
        #expect(hart.register(10) & Hart.SEIP == 0)
        #expect(hart.register(10) & Hart.SSIP != 0)
    }
}
