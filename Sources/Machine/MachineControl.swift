/// How a run ends from the platform's side: the power-off device, a console escape, an error.
///
/// Devices and the console set `stopRequest`; the hart looks at it at block boundaries and
/// right after every MMIO write, and returns from `run` with `.stopped`.
import Synchronization

public final class MachineControl: Sendable {
    public enum StopRequest: Equatable, Sendable {
        /// sifive_test 0x5555: the guest powered off successfully.
        case powerOff
        /// sifive_test 0x3333 with a code in bits 31:16: the guest reported failure.
        case failure(code: UInt32)
        /// sifive_test 0x7777: the guest asked for a reset.
        case reset
        /// The user quit from the console (Ctrl-A X).
        case userQuit
        /// The guest asked for a reset and the machine was made not to reboot (QEMU's
        /// `-no-reboot`): the run ends instead, with status 0 as in QEMU.
        case resetWithoutReboot
    }

    /// `-no-reboot`: a reset request ends the run (`.resetWithoutReboot`) instead of restarting it.
    public let resetEndsRun: Bool

    // Any thread may ask (a hart's device, the console reader, another hart's runner): the
    // request sits behind a lock and the flag every hart polls is atomic.
    private let request = Mutex<StopRequest?>(nil)
    private let pending = Atomic<Bool>(false)
    /// A debugger stopped the harts (Hart+Debug.swift): not a platform request, so no exit status.
    private let debugHalt = Atomic<Bool>(false)

    public init(resetEndsRun: Bool = false) { self.resetEndsRun = resetEndsRun }

    /// Set once; the first request wins.
    public var stopRequest: StopRequest? { request.withLock { $0 } }
    /// Cheap flag the harts poll.
    @inline(__always)
    public var stopPending: Bool { pending.load(ordering: .acquiring) }

    public func requestStop(_ new: StopRequest) {
        let new = new == .reset && resetEndsRun ? .resetWithoutReboot : new
        request.withLock { current in
            if current == nil { current = new; pending.store(true, ordering: .releasing) }
        }
    }

    /// Makes every hart return from `run` with `.stopped` without a stop request: how a
    /// multi-hart run ends the other harts' threads (a budget spent, one hart stuck).
    public func interruptHarts() { pending.store(true, ordering: .releasing) }

    /// Undoes `interruptHarts` (a real stop request and a debugger's halt stay pending).
    public func resumeHarts() {
        request.withLock { current in pending.store(current != nil || debugHalt.load(ordering: .acquiring), ordering: .releasing) }
    }

    /// Makes every hart return from `run` with `.stopped` for a debugger: a breakpoint or
    /// watchpoint hit, or the user's interrupt (gdb's Ctrl-C), which any thread may ask for.
    public func requestDebugHalt() {
        debugHalt.store(true, ordering: .releasing)
        pending.store(true, ordering: .releasing)
    }

    /// Whether a debugger's halt is pending (harts returning `.stopped` without a stop request).
    public var debugHaltRequested: Bool { debugHalt.load(ordering: .acquiring) }

    /// Clears a debugger's halt before the harts run again (a real stop request stays pending).
    public func clearDebugHalt() {
        request.withLock { current in
            debugHalt.store(false, ordering: .releasing)
            pending.store(current != nil, ordering: .releasing)
        }
    }

    /// Clears a request (after a reset has been carried out).
    public func clear() {
        request.withLock { current in current = nil; pending.store(debugHalt.load(ordering: .acquiring), ordering: .releasing) }
    }

    /// Process exit status for a stop, as QEMU reports it: 0 for power off, the code for failure.
    public static func exitStatus(for request: StopRequest?) -> Int32 {
        switch request {
        case .powerOff, .userQuit, .none: return 0
        case .failure(let code): return Int32(truncatingIfNeeded: code)
        case .reset, .resetWithoutReboot: return 0
        }
    }
}
