import Machine
import Testing
@testable import Devices

@Suite struct GoldfishRTCTests {
    /// A clock that only moves when the test retires instructions (100 per 100 ns tick).
    static func virtualTimebase() -> Timebase { Timebase(mode: .virtual(instructionsPerTick: 100)) }

    static func readTime(_ rtc: GoldfishRTC) -> UInt64 {
        let low = rtc.read(offset: GoldfishRTC.Register.timeLow, width: 4)
        return rtc.read(offset: GoldfishRTC.Register.timeHigh, width: 4) << 32 | low
    }

    @Test func readsTheStartTimeThenAdvancesWithTheTimebase() {
        let timebase = Self.virtualTimebase()
        let start: UInt64 = 1_700_000_000_123_456_700
        let rtc = GoldfishRTC(timebase: timebase, startTime: start) { _ in }
        #expect(Self.readTime(rtc) == start, "TIME_LOW latches the high half for TIME_HIGH")
        timebase.retired = 100 * 10_000_000  // one second of 10 MHz ticks
        #expect(Self.readTime(rtc) == start + 1_000_000_000)
    }

    @Test func defaultStartIsTheHostsWallClock() {
        let before = GoldfishRTC.hostWallClockNanoseconds()
        let rtc = GoldfishRTC(timebase: Self.virtualTimebase()) { _ in }
        let after = GoldfishRTC.hostWallClockNanoseconds()
        let time = Self.readTime(rtc)
        #expect(time >= before && time <= after, "the RTC starts at the host's time, not at 0")
        #expect(time > 1_600_000_000 * 1_000_000_000, "nanoseconds since 1970, after 2020")
    }

    @Test func guestCanSetTheTime() {
        let rtc = GoldfishRTC(timebase: Self.virtualTimebase(), startTime: 5) { _ in }
        let wanted: UInt64 = 0x1234_5678_9abc_def0
        rtc.write(offset: GoldfishRTC.Register.timeHigh, width: 4, value: wanted >> 32)
        rtc.write(offset: GoldfishRTC.Register.timeLow, width: 4, value: wanted & 0xffff_ffff)
        #expect(Self.readTime(rtc) == wanted)
    }

    @Test func alarmRaisesTheInterruptUntilCleared() {
        let timebase = Self.virtualTimebase()
        var level = false
        let rtc = GoldfishRTC(timebase: timebase, startTime: 1_000_000) { level = $0 }
        rtc.write(offset: GoldfishRTC.Register.irqEnabled, width: 4, value: 1)
        rtc.write(offset: GoldfishRTC.Register.alarmHigh, width: 4, value: 0)
        rtc.write(offset: GoldfishRTC.Register.alarmLow, width: 4, value: 1_000_000 + 500)
        #expect(rtc.read(offset: GoldfishRTC.Register.alarmStatus, width: 4) == 1)
        let deadline = rtc.poll(now: timebase.now)
        #expect(deadline == 5, "500 ns is five 100 ns ticks away")
        #expect(!level)
        timebase.retired = 100 * deadline
        _ = rtc.poll(now: timebase.now)
        #expect(level, "the alarm fired")
        #expect(rtc.read(offset: GoldfishRTC.Register.alarmStatus, width: 4) == 0)
        rtc.write(offset: GoldfishRTC.Register.clearInterrupt, width: 4, value: 1)
        #expect(!level)
        #expect(rtc.poll(now: timebase.now) == .max, "no alarm left")
    }
}
