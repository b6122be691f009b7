import Machine

/// The core-local interruptor of the `virt` board in the SiFive CLINT layout that QEMU 7.2
/// uses by default: a machine software interrupt register (MSWI) and the machine timer
/// (MTIMER) with `mtimecmp` and `mtime` (RISC-V ACLINT spec 1.0, §2 and §3; SiFive CLINT
/// offsets).
///
/// `mtime` is the board's `Timebase`: there is one clock, so the hart's `time` CSR, Sstc's
/// `stimecmp` and this timer always agree. A guest write to `mtime` therefore moves the
/// timebase itself (through its `skipped` ticks, which wrap like `mtime` does). The timer
/// interrupt (MTIP) is asserted while `mtime >= mtimecmp`.
///
/// Like QEMU, the comparator only drives MTIP after `mtimecmp` has been written once:
/// `mtimecmp` reads 0 after reset, but a hart that enables MTIE before programming the
/// timer does not take a spurious interrupt.
public final class ACLINT: Device, TimedDevice {
    public let name: String

    /// Offsets in the SiFive CLINT layout (`virt` board: `RISCV_ACLINT_SWI_SIZE`,
    /// `RISCV_ACLINT_DEFAULT_MTIMECMP`, `RISCV_ACLINT_DEFAULT_MTIME`).
    public enum Layout {
        /// `msip` for hart 0; bit 0 is the hart's MSIP.
        public static let msip: UInt64 = 0x0
        /// 64-bit `mtimecmp` for hart 0.
        public static let mtimecmp: UInt64 = 0x4000
        /// 64-bit `mtime`.
        public static let mtime: UInt64 = 0xbff8
    }

    private let timebase: Timebase
    private let interrupts: InterruptLines

    private var softwareInterrupt = false
    /// The hart-0 comparator; nil until software first writes it.
    private var comparator: UInt64?

    /// - Parameters:
    ///   - timebase: the board's clock, which is `mtime`.
    ///   - interrupts: hart 0's wires; the CLINT drives MSIP and MTIP.
    public init(name: String = "clint", timebase: Timebase, interrupts: InterruptLines) {
        self.name = name
        self.timebase = timebase
        self.interrupts = interrupts
    }

    /// The current `mtime` as software reads it (the same value as the hart's `time` CSR).
    public var mtime: UInt64 { timebase.now }

    /// The hart-0 `mtimecmp` as software reads it.
    public var mtimecmp: UInt64 { comparator ?? 0 }

    // MARK: TimedDevice

    public func poll(now: UInt64) -> UInt64 {
        guard let comparator else { return .max }
        if now >= comparator {
            interrupts.set(InterruptLines.machineTimer, true)
            // Only a new mtimecmp (or mtime) can lower MTIP again.
            return .max
        }
        interrupts.set(InterruptLines.machineTimer, false)
        return comparator
    }

    // MARK: Device

    public func read(offset: UInt64, width: Int) -> UInt64 {
        if let shift = byteShift(offset, inRegisterAt: Layout.mtimecmp) {
            return truncate(mtimecmp >> shift, width)
        }
        if let shift = byteShift(offset, inRegisterAt: Layout.mtime) {
            return truncate(mtime >> shift, width)
        }
        if let shift = byteShift(offset, inRegisterAt: Layout.msip) {
            // msip is 32 bits; the word above it (hart 1's msip) does not exist on this board.
            return truncate((softwareInterrupt ? 1 : 0) >> shift, width)
        }
        return 0
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        if let shift = byteShift(offset, inRegisterAt: Layout.mtimecmp) {
            comparator = merge(mtimecmp, value, shift: shift, width: width)
            _ = poll(now: timebase.now)
        } else if let shift = byteShift(offset, inRegisterAt: Layout.mtime) {
            let newTime = merge(mtime, value, shift: shift, width: width)
            timebase.skipped &+= newTime &- timebase.now
            _ = poll(now: timebase.now)
        } else if offset == Layout.msip {
            // Only bit 0 is implemented; the rest of msip is hard-wired to zero (ACLINT §3.2).
            softwareInterrupt = value & 1 != 0
            interrupts.set(InterruptLines.machineSoftware, softwareInterrupt)
        }
    }

    /// Bit position within the 64-bit register at `base` of an access at `offset`, if the
    /// access falls inside that register.
    private func byteShift(_ offset: UInt64, inRegisterAt base: UInt64) -> UInt64? {
        guard offset >= base, offset - base < 8 else { return nil }
        return (offset - base) * 8
    }

    private func truncate(_ value: UInt64, _ width: Int) -> UInt64 {
        width >= 8 ? value : value & ((1 << (UInt64(width) * 8)) - 1)
    }

    /// Replaces the `width` bytes at bit `shift` of `old` with the low bytes of `value`.
    private func merge(_ old: UInt64, _ value: UInt64, shift: UInt64, width: Int) -> UInt64 {
        let mask: UInt64 = width >= 8 ? .max : (1 << (UInt64(width) * 8)) - 1
        return (old & ~(mask << shift)) | ((value & mask) << shift)
    }
}
