import Machine
import Testing
@testable import Devices

@Suite struct ACLINTTests {
    let lines = InterruptLines()
    let timebase = Timebase(mode: .virtual(instructionsPerTick: 10))
    let clint: ACLINT
    init() { clint = ACLINT(timebase: timebase, interrupts: lines) }

    var timerPending: Bool { lines.pending & InterruptLines.machineTimer != 0 }

    @Test func mtimeFollowsTheTimebase() {
        timebase.retired = 12_345
        #expect(clint.read(offset: 0xbff8, width: 8) == 1_234)
        #expect(clint.read(offset: 0xbff8, width: 4) == 1_234)
        #expect(clint.read(offset: 0xbffc, width: 4) == 0)
    }

    @Test func timerInterruptWhenMtimeReachesMtimecmp() {
        #expect(clint.poll(now: timebase.now) == .max, "unprogrammed comparator raises nothing")
        #expect(!timerPending)
        clint.write(offset: 0x4000, width: 8, value: 100)
        #expect(!timerPending)
        #expect(clint.poll(now: timebase.now) == 100, "next deadline is mtimecmp")
        timebase.retired = 990
        #expect(clint.poll(now: timebase.now) == 100)
        #expect(!timerPending)
        timebase.retired = 1_000
        _ = clint.poll(now: timebase.now)
        #expect(timerPending)
        clint.write(offset: 0x4000, width: 8, value: 500)
        #expect(!timerPending, "a later mtimecmp lowers MTIP at once")
        clint.write(offset: 0x4000, width: 8, value: 50)
        #expect(timerPending, "an earlier mtimecmp raises MTIP at once")
    }

    @Test func mtimecmpHalvesAreWritableSeparately() {
        clint.write(offset: 0x4000, width: 4, value: 0xffff_ffff)
        clint.write(offset: 0x4004, width: 4, value: 0x1)
        #expect(clint.read(offset: 0x4000, width: 8) == 0x1_ffff_ffff)
        #expect(clint.read(offset: 0x4004, width: 4) == 1)
        #expect(!timerPending)
    }

    @Test func writingMtimeMovesTheClockForTheTimer() {
        clint.write(offset: 0x4000, width: 8, value: 1_000)
        clint.write(offset: 0xbff8, width: 8, value: 999)
        #expect(clint.mtime == 999)
        #expect(timebase.now == 999, "one clock: the hart's time CSR sees the write too")
        #expect(!timerPending)
        #expect(clint.poll(now: timebase.now) == 1_000)
        timebase.retired += 10
        #expect(clint.mtime == 1_000)
        _ = clint.poll(now: timebase.now)
        #expect(timerPending)
        clint.write(offset: 0xbffc, width: 4, value: 0)
        clint.write(offset: 0xbff8, width: 4, value: 5)
        #expect(clint.mtime == 5, "mtime can be set back, one half at a time")
        #expect(!timerPending)
    }

    @Test func msipDrivesTheSoftwareInterrupt() {
        clint.write(offset: 0, width: 4, value: 0xffff_ffff)
        #expect(lines.pending & InterruptLines.machineSoftware != 0)
        #expect(clint.read(offset: 0, width: 4) == 1, "only bit 0 is implemented")
        clint.write(offset: 0, width: 4, value: 0)
        #expect(lines.pending & InterruptLines.machineSoftware == 0)
        #expect(clint.read(offset: 4, width: 4) == 0, "no second hart")
    }
}
