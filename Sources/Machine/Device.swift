/// A memory-mapped device: the one protocol every device model implements.
///
/// Offsets are relative to the start of the device's window on the bus; `width` is 1, 2, 4
/// or 8 bytes and the access is naturally aligned (the hart raises misaligned faults for
/// MMIO before a device sees them). Devices answer reads of unknown registers with 0 and
/// ignore writes to them, as QEMU's models do.
public protocol Device: AnyObject {
    /// A short name for traces and error messages ("uart0", "plic").
    var name: String { get }
    func read(offset: UInt64, width: Int) -> UInt64
    func write(offset: UInt64, width: Int, value: UInt64)
}

/// A device that has work to do as time passes (a timer, an input queue).
///
/// The hart calls `poll` at block boundaries whenever the instruction count crosses the
/// deadline the devices asked for, never per instruction.
public protocol TimedDevice: AnyObject {
    /// Update interrupt lines for the current time; return the `mtime` value at which this
    /// device next needs a poll (UInt64.max when only an external event can change its state).
    func poll(now: UInt64) -> UInt64
}
