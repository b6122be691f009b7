#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plain mutual-exclusion lock for the few places where a host thread (the console
/// reader) hands data to a device that the hart's thread owns.
///
/// The mutex lives in its own allocation because a `pthread_mutex_t` must not move once
/// initialised, which a Swift stored property does not guarantee.
public final class HostLock: @unchecked Sendable {
    // @unchecked: the pointer is only ever touched through pthread calls, which do their own synchronisation.
    /// SAFETY: one `pthread_mutex_t`, allocated and initialised in `init`, destroyed and freed in
    /// `deinit`; it never moves, and no other code can reach it.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        // SAFETY: room for exactly one mutex, initialised before pthread_mutex_init sees it.
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        // SAFETY: no thread can hold the lock any more (holding it keeps `self` alive); destroyed,
        // deinitialised and freed once, in the reverse order of `init`.
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
