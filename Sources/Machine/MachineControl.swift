/// How a run ends from the platform's side: the power-off device, a console escape, an error.
///
/// Devices and the console set `stopRequest`; the hart looks at it at block boundaries and
/// right after every MMIO write, and returns from `run` with `.stopped`.
public final class MachineControl: @unchecked Sendable {
    public enum StopRequest: Equatable, Sendable {
        /// sifive_test 0x5555: the guest powered off successfully.
        case powerOff
        /// sifive_test 0x3333 with a code in bits 31:16: the guest reported failure.
        case failure(code: UInt32)
        /// sifive_test 0x7777: the guest asked for a reset.
        case reset
        /// The user quit from the console (Ctrl-A X).
        case userQuit
    }

    /// Set once; the first request wins.
    public private(set) var stopRequest: StopRequest?
    /// Cheap flag the hart polls.
    public private(set) var stopPending = false

    public init() {}

    public func requestStop(_ request: StopRequest) {
        if stopRequest == nil { stopRequest = request; stopPending = true }
    }

    /// Clears a request (after a reset has been carried out).
    public func clear() { stopRequest = nil; stopPending = false }

    /// Process exit status for a stop, as QEMU reports it: 0 for power off, the code for failure.
    public static func exitStatus(for request: StopRequest?) -> Int32 {
        switch request {
        case .powerOff, .userQuit, .none: return 0
        case .failure(let code): return Int32(truncatingIfNeeded: code)
        case .reset: return 0
        }
    }
}
