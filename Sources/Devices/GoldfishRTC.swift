#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Machine

/// The Goldfish real-time clock QEMU's `virt` board has at 0x10_1000: wall-clock time in
/// nanoseconds since the Unix epoch, and one alarm that raises PLIC source 11.
///
/// Linux (`rtc-goldfish`) and U-Boot (`goldfish_rtc`) read the date from it. The register
/// layout is the Android emulator's Goldfish RTC, as QEMU implements it
/// (`hw/rtc/goldfish_rtc.c`): reading TIME_LOW latches the high half so that a following
/// TIME_HIGH read gives a consistent 64-bit value, and ALARM_LOW arms the alarm using the
/// high half written before it.
///
/// Time starts at the host's wall clock when the board is built and then advances with the
/// board's timebase, so in virtual-time mode it moves with instructions retired like every
/// other clock of the board.
public final class GoldfishRTC: Device, TimedDevice {
    public let name: String

    /// Register offsets.
    public enum Register {
        public static let timeLow: UInt64 = 0x00
        public static let timeHigh: UInt64 = 0x04
        public static let alarmLow: UInt64 = 0x08
        public static let alarmHigh: UInt64 = 0x0c
        public static let irqEnabled: UInt64 = 0x10
        public static let clearAlarm: UInt64 = 0x14
        public static let alarmStatus: UInt64 = 0x18
        public static let clearInterrupt: UInt64 = 0x1c
    }

    /// Nanoseconds per `mtime` tick of the 10 MHz timebase.
    private static let nanosecondsPerTick = 1_000_000_000 / Timebase.frequency

    private let timebase: Timebase
    private let setInterruptLevel: (Bool) -> Void
    /// Wall-clock nanoseconds at `mtime` 0; guest writes to TIME_LOW move it.
    private var epochOffset: UInt64
    /// High half latched by a TIME_LOW read, or written to TIME_HIGH for a following TIME_LOW write.
    private var latchedHigh: UInt32 = 0
    private var alarmHighHalf: UInt32 = 0
    private var alarm: UInt64 = 0
    private(set) var alarmRunning = false
    private(set) var interruptPending = false
    private(set) var interruptEnabled = false
    /// The level last driven onto the PLIC source: the line is driven only when it changes, as
    /// the UART's is, since the board polls the RTC tens of thousands of times a second.
    private var lineLevel = false

    /// - Parameters:
    ///   - startTime: nanoseconds since the Unix epoch at `mtime` 0; nil takes the host's clock now.
    ///   - setInterruptLevel: drives the RTC's PLIC source.
    public init(name: String = "rtc", timebase: Timebase, startTime: UInt64? = nil,
                setInterruptLevel: @escaping (Bool) -> Void) {
        self.name = name
        self.timebase = timebase
        self.setInterruptLevel = setInterruptLevel
        let wallClock = startTime ?? Self.hostWallClockNanoseconds()
        epochOffset = wallClock &- timebase.now &* Self.nanosecondsPerTick
    }

    /// The host's `CLOCK_REALTIME` in nanoseconds since the Unix epoch.
    public static func hostWallClockNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// The clock's current value in nanoseconds since the Unix epoch.
    public var time: UInt64 { epochOffset &+ timebase.now &* Self.nanosecondsPerTick }

    public func read(offset: UInt64, width: Int) -> UInt64 {
        checkAlarm()
        switch offset {
        case Register.timeLow:
            let now = time
            latchedHigh = UInt32(truncatingIfNeeded: now >> 32)
            return now & 0xffff_ffff
        case Register.timeHigh: return UInt64(latchedHigh)
        case Register.alarmLow: return alarm & 0xffff_ffff
        case Register.alarmHigh: return alarm >> 32
        case Register.irqEnabled: return interruptEnabled ? 1 : 0
        case Register.alarmStatus: return alarmRunning ? 1 : 0
        default: return 0
        }
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        let value32 = UInt32(truncatingIfNeeded: value)
        switch offset {
        case Register.timeLow:
            let wanted = UInt64(latchedHigh) << 32 | UInt64(value32)
            epochOffset = epochOffset &+ (wanted &- time)
        case Register.timeHigh:
            latchedHigh = value32
        case Register.alarmLow:
            alarm = UInt64(alarmHighHalf) << 32 | UInt64(value32)
            alarmRunning = true
        case Register.alarmHigh:
            alarmHighHalf = value32
        case Register.irqEnabled:
            interruptEnabled = value32 & 1 != 0
        case Register.clearAlarm:
            alarmRunning = false
        case Register.clearInterrupt:
            interruptPending = false
        default:
            return
        }
        checkAlarm()
    }

    /// Fires the alarm if its time has come and drives the interrupt line.
    private func checkAlarm() {
        if alarmRunning && time >= alarm {
            alarmRunning = false
            interruptPending = true
        }
        let level = interruptPending && interruptEnabled
        if level != lineLevel {
            lineLevel = level
            setInterruptLevel(level)
        }
    }

    public func poll(now: UInt64) -> UInt64 {
        checkAlarm()
        guard alarmRunning else { return .max }
        let ticks = (alarm &- epochOffset &+ Self.nanosecondsPerTick &- 1) / Self.nanosecondsPerTick
        return max(ticks, now &+ 1)
    }
}
