#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CHostIO

/// QEMU's image locking (file-posix.c's scheme, which qemu-img and qemu-system use): one byte
/// per block-layer permission at 100 + bit for "I hold it" and at 200 + bit for "I do not let
/// others hold it", each taken as a shared OFD lock. An open may go ahead when nobody else locks
/// the "not shared" byte of a permission it takes, nor the "held" byte of one it refuses to
/// share. So VirtBench and QEMU see each other's locks: a second writer of one image is refused
/// whichever program opened it first, with QEMU's words.
///
/// What we take: a writer holds consistent-read and write and shares everything but write (as
/// a virtio-blk drive without share-rw does); a reader holds consistent-read and also refuses to
/// share write (as qemu-img info does without -U), so an image in use cannot change under it.
public struct ImageLock {
    /// Block-layer permissions, in QEMU's bit order (BLK_PERM_*), with the names its errors use.
    public enum Permission: Int, CaseIterable {
        case consistentRead = 0, write, writeUnchanged, resize

        var name: String {
            switch self {
            case .consistentRead: "consistent read"
            case .write: "write"
            case .writeUnchanged: "write unchanged"
            case .resize: "resize"
            }
        }
    }

    /// First byte of the "held" range (RAW_LOCK_PERM_BASE) and of the "not shared" range (RAW_LOCK_SHARED_BASE).
    static let heldBase: Int64 = 100
    static let unsharedBase: Int64 = 200

    public let held: Set<Permission>
    public let unshared: Set<Permission>

    /// How long a conflict may last before it is reported. A lock can outlive its image's close
    /// by the time another thread's child process takes from fork to exec (the child shares the
    /// open file description, and with it the locks, until exec closes it), so a conflict is
    /// looked at again for a short while before it counts; a real second user stays refused.
    static let conflictRetries = 20
    static let conflictRetryMicroseconds: UInt32 = 5_000

    /// Checks for conflicts, then takes the lock bytes on `descriptor` (dropped when it closes).
    init(descriptor: Int32, path: String, writer: Bool) throws(StorageError) {
        var attempt = 0
        while true {
            do {
                self = try ImageLock(attempt: descriptor, path: path, writer: writer)
                return
            } catch {
                attempt += 1
                guard error.kind == .locked, attempt < Self.conflictRetries else { throw error }
                usleep(Self.conflictRetryMicroseconds)
            }
        }
    }

    private init(attempt descriptor: Int32, path: String, writer: Bool) throws(StorageError) {
        held = writer ? [.consistentRead, .write] : [.consistentRead]
        unshared = [.write]
        // Take our bytes first, then test others' (QEMU's order): two opens racing both see each other.
        for permission in held { try Self.lock(descriptor, Self.heldBase + Int64(permission.rawValue), path) }
        for permission in unshared { try Self.lock(descriptor, Self.unsharedBase + Int64(permission.rawValue), path) }
        for permission in Permission.allCases.sorted(by: { $0.rawValue < $1.rawValue }) {
            if held.contains(permission), vb_byte_is_locked(descriptor, Self.unsharedBase + Int64(permission.rawValue)) == 1 {
                Self.unlockAll(descriptor)
                throw StorageError(.locked, "Failed to get \"\(permission.name)\" lock. Is another process using the image [\(path)]?",
                                   code: 11 /* EAGAIN */)
            }
            if unshared.contains(permission), vb_byte_is_locked(descriptor, Self.heldBase + Int64(permission.rawValue)) == 1 {
                Self.unlockAll(descriptor)
                throw StorageError(.locked, "Failed to get shared \"\(permission.name)\" lock. Is another process using the image [\(path)]?",
                                   code: 11 /* EAGAIN */)
            }
        }
    }

    private static func lock(_ descriptor: Int32, _ offset: Int64, _ path: String) throws(StorageError) {
        guard vb_lock_byte(descriptor, offset, 1, 0) == 0 else {
            // Someone holds an exclusive lock on a byte we share: QEMU reports it the same way.
            unlockAll(descriptor)
            throw StorageError(.locked, "Failed to lock byte \(offset). Is another process using the image [\(path)]?",
                               code: 11 /* EAGAIN */)
        }
    }

    private static func unlockAll(_ descriptor: Int32) {
        for base in [heldBase, unsharedBase] {
            for permission in Permission.allCases { _ = vb_lock_byte(descriptor, base + Int64(permission.rawValue), 1, 1) }
        }
    }
}
