import Machine

/// The `sifive_test` finisher: how guests on the `virt` board power off, reboot, or report a
/// failing test with an exit code.
///
/// A 32-bit write to offset 0 holds a status in bits 15:0 and, for a failure, a code in
/// bits 31:16 (QEMU `hw/misc/sifive_test.c`). Linux reaches it through the device tree's
/// `syscon-poweroff` and `syscon-reboot` nodes; test programs write it directly. Other
/// values and offsets are ignored and reads return 0, as in QEMU.
public final class SiFiveTest: Device {
    public let name: String

    /// Status values in bits 15:0 of the finisher register.
    public enum Status {
        /// Report failure; bits 31:16 hold the exit code (`FINISHER_FAIL`).
        public static let fail: UInt64 = 0x3333
        /// Power off after success (`FINISHER_PASS`).
        public static let pass: UInt64 = 0x5555
        /// Reset the machine (`FINISHER_RESET`).
        public static let reset: UInt64 = 0x7777
    }

    private let control: MachineControl

    /// - Parameter control: where the finisher's requests go; the hart stops at the next check.
    public init(name: String = "test", control: MachineControl) {
        self.name = name
        self.control = control
    }

    public func read(offset: UInt64, width: Int) -> UInt64 { 0 }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        guard offset == 0 else { return }
        let code = UInt32(truncatingIfNeeded: (value >> 16) & 0xffff)
        switch value & 0xffff {
        case Status.fail: control.requestStop(.failure(code: code))
        case Status.pass: control.requestStop(.powerOff)
        case Status.reset: control.requestStop(.reset)
        default: break
        }
    }
}
