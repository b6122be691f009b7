#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CHostIO

/// An open image file: whole-buffer pread/pwrite that retry short transfers and EINTR, its
/// size, and the durability and hole-punching calls the formats need. Every format driver sits
/// on one of these.
final class HostFile {
    let path: String
    let writable: Bool
    let descriptor: Int32
    /// The image lock this open holds (released with the descriptor).
    private(set) var lock: ImageLock?

    /// Opens `path` (a regular file or a block device) and takes QEMU's image lock for it.
    init(path: String, writable: Bool, lock locking: Bool = true, create: Bool = false) throws(StorageError) {
        let fd = create ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) : open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw StorageError(.host, "Could not open '\(path)': \(String(cString: strerror(code)))", code: code)
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG || (info.st_mode & S_IFMT) == S_IFBLK else {
            close(fd)
            throw StorageError(.invalid, "disk image '\(path)' is not a regular file or block device")
        }
        self.path = path
        self.writable = writable
        descriptor = fd
        if locking {
            do {
                lock = try ImageLock(descriptor: fd, path: path, writer: writable)
            } catch {
                close(fd)
                throw error
            }
        }
    }

    deinit { close(descriptor) }

    /// The file's size now.
    func size() throws(StorageError) -> UInt64 {
        let end = lseek(descriptor, 0, SEEK_END)
        guard end >= 0 else { throw hostError("could not find the size of") }
        return UInt64(end)
    }

    /// Bytes the file occupies on the host (st_blocks), qemu-img's "disk size".
    func allocatedBytes() -> UInt64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return 0 }
        return UInt64(info.st_blocks) * 512
    }

    /// Reads `count` bytes at `offset`; bytes past the end of the file read as zero.
    func read(at offset: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            // SAFETY: `buffer` is the array's own storage of `count` bytes, valid inside the closure,
            // and done < count, so pread writes at most count - done bytes inside it.
            let n = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw hostError("could not read")
            }
            if n == 0 { break }
            done += n
        }
        return bytes
    }

    /// For crash tests: after this many more writes every write fails (EIO), so a test can stop
    /// an operation at each of its writes in turn and check what the file then holds (what a
    /// crash at that point leaves, with the writes before it on disk in order).
    var writesBeforeFailure: Int?

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: [UInt8], at offset: UInt64) throws(StorageError) {
        if let remaining = writesBeforeFailure {
            guard remaining > 0 else { throw StorageError(.host, "write failed (injected for a crash test)", code: EIO) }
            writesBeforeFailure = remaining - 1
        }
        var done = 0
        while done < bytes.count {
            // SAFETY: `buffer` is the array's own storage, valid inside the closure, and done < its
            // count, so pwrite reads at most count - done bytes inside it.
            let n = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw hostError("could not write")
            }
            done += n
        }
    }

    /// fdatasync(2): every completed write is on stable storage.
    func synchronize() throws(StorageError) {
        if fdatasync(descriptor) != 0 { throw hostError("could not sync") }
    }

    /// Deallocates the range, keeping the size; false where the file system cannot.
    @discardableResult
    func punchHole(at offset: UInt64, count: UInt64) -> Bool {
        vb_punch_hole(descriptor, Int64(offset), Int64(count)) == 0
    }

    func truncate(to size: UInt64) throws(StorageError) {
        if ftruncate(descriptor, off_t(size)) != 0 { throw hostError("could not resize") }
    }

    private func hostError(_ what: String) -> StorageError {
        let code = errno
        return StorageError(.host, "\(what) '\(path)': \(String(cString: strerror(code)))", code: code)
    }
}
