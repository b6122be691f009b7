import RISCV

/// A trapped load or store as MMIO emulation needs it: width, signedness, and the register
/// it reads from or writes to.
struct MMIOAccess {
    let width: UInt64
    let signed: Bool
    let register: Int

    /// Nil for anything but an integer load or store (FP, atomics, or a mismatch with the
    /// fault's direction), which the host does not emulate on devices.
    init?(instruction i: Instruction, isStore: Bool) {
        switch (i.op, isStore) {
        case (.lb, false): (width, signed) = (1, true)
        case (.lbu, false): (width, signed) = (1, false)
        case (.lh, false): (width, signed) = (2, true)
        case (.lhu, false): (width, signed) = (2, false)
        case (.lw, false): (width, signed) = (4, true)
        case (.lwu, false): (width, signed) = (4, false)
        case (.ld, false): (width, signed) = (8, false)
        case (.sb, true): (width, signed) = (1, false)
        case (.sh, true): (width, signed) = (2, false)
        case (.sw, true): (width, signed) = (4, false)
        case (.sd, true): (width, signed) = (8, false)
        default: return nil
        }
        let target = isStore ? i.rs2 : i.rd
        register = target == Instruction.discard ? 0 : Int(target)
    }

    /// A loaded value widened to 64 bits as the instruction does.
    func extend(_ value: UInt64) -> UInt64 {
        guard width < 8 else { return value }
        let shift = 64 - 8 * width
        return signed ? UInt64(bitPattern: Int64(bitPattern: value << shift) >> Int64(shift)) : value & ((1 << (8 * width)) - 1)
    }
}

/// The devices every domain sees at the `virt` addresses, modelled by the host: the domain's
/// own 16550 UART (`Domain.uart`, the board's model), the sifive_test finisher, and where the
/// kind delivers external interrupts the domain's own PLIC (`Domain.plic`, the board's model)
/// and virtio-mmio slots (`Domain.virtioSlots`, with the Virtio module's transports plugged in).
/// Every mode's MMIO path (a hav guest-page fault, a full or para access fault) ends here.
enum GuestDevices {
    // sifive_test commands (low 16 bits of the written word).
    static let finisherPass: UInt64 = 0x5555, finisherFail: UInt64 = 0x3333, finisherReset: UInt64 = 0x7777

    struct Result {
        var value: UInt64 = 0
        /// Set when the access asked the domain to stop, with its exit status.
        var shutdown: Int32?
    }

    /// Performs one access at guest physical `gpa` at the domain's host time `now`; nil when no
    /// device is there (the guest gets an access fault).
    static func access(domain: Domain, gpa: GuestPhysicalAddress, width: UInt64, store: Bool, value: UInt64, now: UInt64) -> Result? {
        // A register access may change an interrupt wire or start I/O: the host looks at the
        // devices before the guest runs on (`Host.pollDevices`).
        domain.devicesTouched = true
        if GuestLayout.uart.contains(gpa, length: width) {
            let uart = domain.uart
            // Brings the UART's clock to now (the character timeout of looped-back bytes). The
            // deadline poll returns is not needed: no interrupt of a domain's UART is delivered,
            // so the guest sees a character timeout (IIR) only when it looks, and then this poll
            // has indicated it.
            _ = uart.poll(now: now)
            let offset = gpa.rawValue - GuestLayout.uartBase.rawValue
            if store {
                uart.write(offset: offset, width: Int(width), value: value)
                return Result()
            }
            return Result(value: uart.read(offset: offset, width: Int(width)))
        }
        if let plic = domain.plic, GuestLayout.plic.contains(gpa, length: width) {
            let offset = gpa.rawValue - GuestLayout.plicBase.rawValue
            if store {
                plic.write(offset: offset, width: Int(width), value: value)
                return Result()
            }
            return Result(value: plic.read(offset: offset, width: Int(width)))
        }
        if !domain.virtioSlots.isEmpty, GuestLayout.virtio.contains(gpa, length: width) {
            let offset = gpa.rawValue - GuestLayout.virtioBase.rawValue
            let slot = domain.virtioSlots[Int(offset / GuestLayout.virtioWindowSize)], within = offset % GuestLayout.virtioWindowSize
            // An access straddling two windows is no register of either.
            guard within + width <= GuestLayout.virtioWindowSize else { return nil }
            if store {
                slot.write(offset: within, width: Int(width), value: value)
                return Result()
            }
            return Result(value: slot.read(offset: within, width: Int(width)))
        }
        if GuestLayout.test.contains(gpa, length: width) {
            guard store, gpa == GuestLayout.testBase else { return Result() }
            switch value & 0xffff {
            case finisherPass, finisherReset: return Result(shutdown: 0)
            case finisherFail: return Result(shutdown: Int32(truncatingIfNeeded: (value >> 16) & 0xffff))
            default: return Result()
            }
        }
        return nil
    }
}
