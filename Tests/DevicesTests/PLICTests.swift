import Machine
import Testing
@testable import Devices

// PLIC register offsets (RISC-V PLIC spec 1.0.0, §3).
private func priority(_ source: Int) -> UInt64 { UInt64(4 * source) }
private let pendingBase: UInt64 = 0x1000
private func enable(context: Int) -> UInt64 { 0x2000 + 0x80 * UInt64(context) }
private func threshold(context: Int) -> UInt64 { 0x20_0000 + 0x1000 * UInt64(context) }
private func claim(context: Int) -> UInt64 { threshold(context: context) + 4 }

@Suite struct PLICTests {
    let lines = InterruptLines()
    let plic: PLIC
    init() { plic = PLIC(interrupts: lines) }

    func write(_ offset: UInt64, _ value: UInt32) { plic.write(offset: offset, width: 4, value: UInt64(value)) }
    func read(_ offset: UInt64) -> UInt32 { UInt32(plic.read(offset: offset, width: 4)) }
    var machineExternal: Bool { lines.pending & InterruptLines.machineExternal != 0 }
    var supervisorExternal: Bool { lines.pending & InterruptLines.supervisorExternal != 0 }

    @Test func claimAndCompleteALevelSource() {
        write(priority(10), 1)
        write(enable(context: 1), 1 << 10)
        plic.setSourceLevel(10, true)
        #expect(read(pendingBase) == 1 << 10)
        #expect(supervisorExternal)
        #expect(!machineExternal, "source 10 is enabled only for the S-mode context")
        #expect(read(claim(context: 1)) == 10)
        #expect(!supervisorExternal, "a claimed source is no longer pending")
        #expect(read(pendingBase) == 0)
        #expect(read(claim(context: 1)) == 0, "nothing else to claim")
        // The device still holds its line high: completion makes it pending again.
        write(claim(context: 1), 10)
        #expect(supervisorExternal)
        plic.setSourceLevel(10, false)
        #expect(supervisorExternal, "the gateway cannot retract a forwarded request (PLIC spec 1.0.0, gateways)")
        #expect(read(claim(context: 1)) == 10)
        write(claim(context: 1), 10)
        #expect(!supervisorExternal, "completed with the line low: nothing pending")
    }

    @Test func claimedSourceIsNotPendingUntilCompleted() {
        write(priority(3), 1)
        write(enable(context: 0), 1 << 3)
        plic.setSourceLevel(3, true)
        #expect(read(claim(context: 0)) == 3)
        plic.setSourceLevel(3, false)
        plic.setSourceLevel(3, true)
        #expect(!plic.isPending(3), "the gateway holds a new request while the old one is in service")
        #expect(!machineExternal)
        write(claim(context: 0), 3)
        #expect(plic.isPending(3))
        #expect(machineExternal)
    }

    @Test func priorityOrderAndTieBreak() {
        for source in [2, 5, 7] { write(priority(source), 1) }
        write(priority(7), 4)
        write(enable(context: 0), (1 << 2) | (1 << 5) | (1 << 7))
        for source in [2, 5, 7] { plic.setSourceLevel(source, true) }
        #expect(read(claim(context: 0)) == 7, "highest priority first")
        #expect(read(claim(context: 0)) == 2, "equal priorities: lowest ID first")
        #expect(read(claim(context: 0)) == 5)
        #expect(read(claim(context: 0)) == 0)
    }

    @Test func thresholdMasksLowPriorities() {
        write(priority(1), 2)
        write(enable(context: 0), 1 << 1)
        write(threshold(context: 0), 2)
        plic.setSourceLevel(1, true)
        #expect(!machineExternal, "priority must exceed the threshold")
        #expect(read(claim(context: 0)) == 0)
        write(threshold(context: 0), 1)
        #expect(machineExternal)
        #expect(read(threshold(context: 0)) == 1)
    }

    @Test func priorityZeroNeverInterrupts() {
        write(enable(context: 0), 1 << 4)
        plic.setSourceLevel(4, true)
        #expect(plic.isPending(4))
        #expect(!machineExternal)
    }

    @Test func registersAreMaskedToWhatExists() {
        write(priority(1), 0xffff_ffff)
        #expect(read(priority(1)) == 7, "3 priority bits")
        write(enable(context: 0), 0xffff_ffff)
        #expect(read(enable(context: 0)) == 0xffff_fffe, "source 0 does not exist")
        write(enable(context: 0) + 12, 0xffff_ffff)
        #expect(read(enable(context: 0) + 12) == 1, "only source 96 exists in the fourth word")
        write(pendingBase, 0xffff_ffff)
        #expect(read(pendingBase) == 0, "pending bits are read-only")
        #expect(read(threshold(context: 2)) == 0, "context 2 does not exist")
    }

    @Test func completionForADisabledSourceIsIgnored() {
        write(priority(9), 1)
        write(enable(context: 0), 1 << 9)
        plic.setSourceLevel(9, true)
        #expect(read(claim(context: 0)) == 9)
        write(enable(context: 0), 0)
        write(claim(context: 0), 9)
        write(enable(context: 0), 1 << 9)
        #expect(!plic.isPending(9), "the ignored completion left the source in service")
    }

    @Test func sourcesOutsideTheRangeAreIgnored() {
        plic.setSourceLevel(0, true)
        plic.setSourceLevel(97, true)
        plic.setSourceLevel(-1, true)
        #expect(read(pendingBase) == 0)
        plic.setSourceLevel(96, true)
        #expect(read(pendingBase + 12) == 1)
    }
}
