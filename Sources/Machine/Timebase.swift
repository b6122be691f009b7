#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The platform's `mtime`: a 10 MHz counter (the `virt` board's timebase-frequency).
///
/// In real-time mode it follows the host's monotonic clock. In virtual-time mode it advances
/// with instructions retired (one tick per `instructionsPerTick`), so two runs of the same
/// program see the same times and give the same counts. The hart keeps `retired` current at
/// block boundaries and before every MMIO access.
public final class Timebase {
    public static let frequency: UInt64 = 10_000_000

    public enum Mode: Equatable, Sendable {
        case realTime
        /// `instructionsPerTick` instructions make one 100 ns tick (100 models a 1 GHz core).
        case virtual(instructionsPerTick: UInt64)
    }

    public let mode: Mode
    /// Instructions retired so far by the hart(s) driving virtual time.
    public var retired: UInt64 = 0
    /// Ticks added to the clock: by WFI in virtual-time mode (time jumps to the next deadline) and
    /// by guest writes to the ACLINT's mtime, so every reader of the clock agrees. Atomic because
    /// harts on other threads read the clock while a device (under the bus's device lock) moves it.
    public var skipped: UInt64 {
        get { skippedTicks.load(ordering: .relaxed) }
        set { skippedTicks.store(newValue, ordering: .relaxed) }
    }
    private let skippedTicks = Atomic<UInt64>(0)
    /// Instructions that do not count toward virtual time: a hypervisor that gives each domain
    /// its own clock sets it to the instructions other domains retired.
    public var retiredOffset: UInt64 = 0
    private let startNanoseconds: UInt64

    public init(mode: Mode) {
        self.mode = mode
        self.startNanoseconds = Timebase.monotonicNanoseconds()
    }

    /// Current `mtime`.
    @inline(__always)
    public var now: UInt64 {
        switch mode {
        case .virtual(let ipt): return (retired &- retiredOffset) / ipt &+ skipped
        case .realTime: return (Timebase.monotonicNanoseconds() &- startNanoseconds) / 100 &+ skipped
        }
    }

    /// Instructions that must retire before `now` reaches `tick` (virtual mode), or nil in real-time mode.
    public func instructionsUntil(_ tick: UInt64) -> UInt64? {
        guard case .virtual(let ipt) = mode else { return nil }
        let n = now
        if tick <= n { return 0 }
        let d = tick - n
        return d > UInt64.max / ipt ? UInt64.max : d * ipt
    }

    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
