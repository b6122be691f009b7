#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The interrupt wires from the platform's devices into one hart's `mip`.
///
/// Devices (ACLINT, PLIC) drive the bits they own; the hart ORs `pending` into the software
/// view of `mip` when it checks for interrupts at a block boundary. Bits use the `mip`
/// layout (Privileged spec §3.1.9): MSIP 3, MTIP 7, MEIP 11, SEIP 9.
///
/// With several harts a device on one hart's thread drives another hart's wires (an IPI through
/// the CLINT, a PLIC context), so the bits are atomic, and raising one wakes the hart if it
/// sleeps in WFI on its own thread.
public final class InterruptLines: Sendable {
    public static let machineSoftware: UInt64 = 1 << 3
    public static let machineTimer: UInt64 = 1 << 7
    public static let supervisorExternal: UInt64 = 1 << 9
    public static let machineExternal: UInt64 = 1 << 11

    private let bits = Atomic<UInt64>(0)
    private let changedFlag = Atomic<Bool>(false)
    /// Where the hart sleeps in WFI.
    public let wakeup = HartWakeup()

    public init() {}

    /// Bits currently asserted by devices.
    @inline(__always)
    public var pending: UInt64 { bits.load(ordering: .acquiring) }

    /// Set whenever `pending` changes so the hart re-evaluates interrupts at the next block boundary.
    public var changed: Bool {
        get { changedFlag.load(ordering: .acquiring) }
        set { changedFlag.store(newValue, ordering: .releasing) }
    }

    /// Asks the hart to poll its devices soon, from any thread: at its next block boundary
    /// event, or at once if it sleeps in WFI (a device's I/O thread finished something).
    public func requestPoll() {
        changedFlag.store(true, ordering: .releasing)
        wakeup.signal()
    }

    /// Raise (`level == true`) or lower the wires in `mask`.
    public func set(_ mask: UInt64, _ level: Bool) {
        let old = level ? bits.bitwiseOr(mask, ordering: .acquiringAndReleasing).oldValue
            : bits.bitwiseAnd(~mask, ordering: .acquiringAndReleasing).oldValue
        let new = level ? old | mask : old & ~mask
        guard new != old else { return }
        changedFlag.store(true, ordering: .releasing)
        if level { wakeup.signal() }
    }
}

/// A hart's place to sleep in WFI until an interrupt wire rises or a deadline passes.
///
/// A signal that comes before the sleep is kept, so a wake-up between the hart's last look at
/// its interrupts and its sleep is not lost.
public final class HartWakeup: @unchecked Sendable {
    // @unchecked: the mutex, condition and flag are only touched under the mutex, through pthread calls.
    // SAFETY: each pointer is one allocated, initialised pthread object owned by this wake-up,
    // alive from init to deinit; pthread objects must not move, so they are not stored inline.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var signalled = false

    public init() {
        // SAFETY: pthread objects must not move once initialised, so they live in their own
        // allocations, freed in deinit.
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        // SAFETY: allocated once in init and destroyed just above; nothing uses them after deinit.
        condition.deallocate()
        mutex.deallocate()
    }

    /// Wakes the sleeper, or the next sleep if nobody sleeps now.
    public func signal() {
        pthread_mutex_lock(mutex)
        signalled = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Sleeps until signalled or `nanoseconds` have passed; a pending signal returns at once.
    public func sleep(nanoseconds: UInt64) {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let total = UInt64(deadline.tv_nsec) + nanoseconds
        deadline.tv_sec += Int(total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        pthread_mutex_lock(mutex)
        while !signalled {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
        }
        signalled = false
        pthread_mutex_unlock(mutex)
    }
}
