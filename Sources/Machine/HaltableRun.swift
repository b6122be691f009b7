#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A run of a machine's harts on a host thread of its own, which another thread can stop to look
/// at the harts: the gdb stub (GDBServer) and `virtbench run`'s monitor both work this way.
///
/// Stopping the world: `halt()` asks every hart to return from `run` through
/// `MachineControl.requestDebugHalt` and waits for `body` to return (a hart thread notices at its
/// next block boundary or MMIO write; a hart in WFI at its next wakeup). Once `join` has returned
/// no thread runs a hart, so the caller may read and write them freely. The caller clears the
/// halt (`MachineControl.clearDebugHalt`) before it starts the next run.
///
/// `body` must return when `MachineControl.debugHaltRequested` is set and its harts stop.
public final class HaltableRun<Outcome: Sendable>: @unchecked Sendable {
    // @unchecked: `body` runs on the run thread alone, from `start` until it returns; the thread
    // that started the run reads the outcome only through the lock, and touches what `body`
    // touches only after `join`.
    private let body: () -> Outcome
    private let control: MachineControl
    private let wake: Int32?
    private let outcome = Mutex<Outcome?>(nil)
    private var thread = pthread_t()
    private var joined: Outcome?

    private init(control: MachineControl, wake: Int32?, body: @escaping () -> Outcome) {
        self.control = control
        self.wake = wake
        self.body = body
    }

    /// Starts `body` on a new thread. When it returns, one byte is written to `wake` (if given),
    /// so a thread waiting in poll(2) learns of it. If no thread can be created, the run has
    /// already finished with `cannotStart`.
    public static func start(control: MachineControl, wake: Int32? = nil, cannotStart: Outcome,
                             body: @escaping () -> Outcome) -> HaltableRun {
        let run = HaltableRun(control: control, wake: wake, body: body)
        // A C thread entry cannot name a generic type, so the thread gets a plain closure.
        let entry = ThreadEntry { run.finish(run.body()) }
        // SAFETY: the retained reference is taken back exactly once, by the thread body (or
        // below if the thread could not be created).
        let argument = Unmanaged.passRetained(entry).toOpaque()
        let status = pthread_create(&run.thread, nil, { argument in
            // SAFETY: the pointer is the retained ThreadEntry passed to pthread_create, released here once.
            Unmanaged<ThreadEntry>.fromOpaque(argument!).takeRetainedValue().main()
            return nil
        }, argument)
        if status != 0 {
            // SAFETY: the thread never started, so the retained reference is still ours to release.
            Unmanaged<ThreadEntry>.fromOpaque(argument).release()
            run.thread = pthread_t()
            run.finish(cannotStart)
        }
        return run
    }

    private func finish(_ result: Outcome) {
        outcome.withLock { $0 = result }
        if let wake {
            var byte: UInt8 = 1
            _ = write(wake, &byte, 1)
        }
    }

    /// Whether `body` has returned (the harts are not running).
    public var isFinished: Bool { outcome.withLock { $0 != nil } }

    /// Waits for the thread and returns how `body` ended. Call it from one thread only.
    public func join() -> Outcome {
        if let joined { return joined }
        if thread != pthread_t() { pthread_join(thread, nil) }
        thread = pthread_t()
        // The thread has ended, and it stores an outcome before it does.
        let result = outcome.withLock { $0 }!
        joined = result
        return result
    }

    /// Stops every hart and waits for the run to end (it may have ended by itself meanwhile:
    /// the outcome says how). The halt stays requested until the caller clears it.
    public func halt() -> Outcome {
        control.requestDebugHalt()
        return join()
    }
}

/// What a HaltableRun's thread runs.
private final class ThreadEntry: @unchecked Sendable {
    // @unchecked: handed to one new thread, which alone calls `main`.
    let main: () -> Void
    init(_ main: @escaping () -> Void) { self.main = main }
}
