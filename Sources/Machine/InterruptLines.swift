/// The interrupt wires from the platform's devices into one hart's `mip`.
///
/// Devices (ACLINT, PLIC) drive the bits they own; the hart ORs `pending` into the software
/// view of `mip` when it checks for interrupts at a block boundary. Bits use the `mip`
/// layout (Privileged spec §3.1.9): MSIP 3, MTIP 7, MEIP 11, SEIP 9.
public final class InterruptLines {
    public static let machineSoftware: UInt64 = 1 << 3
    public static let machineTimer: UInt64 = 1 << 7
    public static let supervisorExternal: UInt64 = 1 << 9
    public static let machineExternal: UInt64 = 1 << 11

    /// Bits currently asserted by devices.
    public private(set) var pending: UInt64 = 0
    /// Set whenever `pending` changes so the hart re-evaluates interrupts at the next block boundary.
    public var changed = false

    public init() {}

    /// Raise (`level == true`) or lower the wires in `mask`.
    @inline(__always)
    public func set(_ mask: UInt64, _ level: Bool) {
        let next = level ? pending | mask : pending & ~mask
        if next != pending { pending = next; changed = true }
    }
}
