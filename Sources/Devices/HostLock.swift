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
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
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
