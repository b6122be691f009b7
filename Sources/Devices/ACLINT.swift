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
        /// `msip` for hart 0 (hart n's at 4n); bit 0 is the hart's MSIP.
        public static let msip: UInt64 = 0x0
        /// 64-bit `mtimecmp` for hart 0 (hart n's at 0x4000 + 8n).
        public static let mtimecmp: UInt64 = 0x4000
        /// 64-bit `mtime`.
        public static let mtime: UInt64 = 0xbff8
    }

    private let timebase: Timebase
    /// Each hart's wires, hart 0 first; the CLINT drives their MSIP and MTIP.
    private let harts: [InterruptLines]

    private var softwareInterrupt: [Bool]
    /// Each hart's comparator; nil until software first writes it.
    private var comparators: [UInt64?]

    /// - Parameters:
    ///   - timebase: the board's clock, which is `mtime`.
    ///   - harts: each hart's interrupt wires, hart 0 first (msip n and mtimecmp n are hart n's).
    public init(name: String = "clint", timebase: Timebase, harts: [InterruptLines]) {
        precondition(!harts.isEmpty && harts.count <= Self.maximumHarts, "a CLINT serves 1 to \(Self.maximumHarts) harts")
        self.name = name
        self.timebase = timebase
        self.harts = harts
        softwareInterrupt = [Bool](repeating: false, count: harts.count)
        comparators = [UInt64?](repeating: nil, count: harts.count)
    }

    /// A CLINT for a one-hart board.
    public convenience init(name: String = "clint", timebase: Timebase, interrupts: InterruptLines) {
        self.init(name: name, timebase: timebase, harts: [interrupts])
    }

    /// Harts the SiFive layout has room for: 4,095 msip words below mtimecmp (QEMU's limit is lower).
    public static let maximumHarts = 4095

    /// The current `mtime` as software reads it (the same value as the hart's `time` CSR).
    public var mtime: UInt64 { timebase.now }

    /// Hart 0's `mtimecmp` as software reads it.
    public var mtimecmp: UInt64 { comparators[0] ?? 0 }

    // MARK: TimedDevice

    public func poll(now: UInt64) -> UInt64 {
        var next = UInt64.max
        for hart in harts.indices { next = min(next, pollTimer(hart, now: now)) }
        return next
    }

    /// Drives hart `hart`'s MTIP from its comparator; returns when it next needs a look.
    private func pollTimer(_ hart: Int, now: UInt64) -> UInt64 {
        guard let comparator = comparators[hart] else { return .max }
        if now >= comparator {
            harts[hart].set(InterruptLines.machineTimer, true)
            // Only a new mtimecmp (or mtime) can lower MTIP again.
            return .max
        }
        harts[hart].set(InterruptLines.machineTimer, false)
        return comparator
    }

    // MARK: Device

    /// The hart whose 8-byte `mtimecmp` holds `offset`, and the bit position of the access in it.
    private func comparator(at offset: UInt64) -> (hart: Int, shift: UInt64)? {
        guard offset >= Layout.mtimecmp, offset < Layout.mtime else { return nil }
        let hart = Int((offset - Layout.mtimecmp) / 8)
        return hart < harts.count ? (hart, (offset - Layout.mtimecmp) % 8 * 8) : nil
    }

    public func read(offset: UInt64, width: Int) -> UInt64 {
        if let (hart, shift) = comparator(at: offset) {
            return truncate((comparators[hart] ?? 0) >> shift, width)
        }
        if let shift = byteShift(offset, inRegisterAt: Layout.mtime) {
            return truncate(mtime >> shift, width)
        }
        if offset < Layout.mtimecmp {
            // msip words are 32 bits, one per hart; words past the last hart read zero.
            let hart = Int(offset / 4)
            guard hart < harts.count else { return 0 }
            return truncate((softwareInterrupt[hart] ? 1 : 0) >> ((offset % 4) * 8), width)
        }
        return 0
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        if let (hart, shift) = comparator(at: offset) {
            comparators[hart] = merge(comparators[hart] ?? 0, value, shift: shift, width: width)
            _ = pollTimer(hart, now: timebase.now)
        } else if let shift = byteShift(offset, inRegisterAt: Layout.mtime) {
            let newTime = merge(mtime, value, shift: shift, width: width)
            timebase.skipped &+= newTime &- timebase.now
            _ = poll(now: timebase.now)
        } else if offset < Layout.mtimecmp, offset % 4 == 0 {
            let hart = Int(offset / 4)
            guard hart < harts.count else { return }
            // Only bit 0 is implemented; the rest of msip is hard-wired to zero (ACLINT §3.2).
            softwareInterrupt[hart] = value & 1 != 0
            harts[hart].set(InterruptLines.machineSoftware, softwareInterrupt[hart])
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
