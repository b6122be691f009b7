#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CHostIO

/// A disk image as a raw file, read and written in place with pread/pwrite: QEMU's
/// `-drive file=F,format=raw`.
public final class RawFileDisk {
    /// How writes reach the file: QEMU's `cache=` modes, as far as they differ for a raw file
    /// used by one process. `writeback`, `none` and `unsafe` have a volatile write cache (the
    /// guest flushes it; `unsafe` ignores the flushes), `writethrough` and `directsync` write
    /// each request through to stable storage. (`none` and `directsync` bypass the host page
    /// cache in QEMU with O_DIRECT; here they go through it, which changes speed, not results.)
    public enum CacheMode: String, Sendable, CaseIterable {
        case writeback, none, writethrough, directsync, unsafe

        /// Whether the guest sees a write cache it must flush (QEMU then offers VIRTIO_BLK_F_FLUSH).
        public var hasVolatileWriteCache: Bool { self == .writeback || self == .none || self == .unsafe }
    }

    /// Why an image could not be opened.
    public struct OpenError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The image file, as given on the command line.
    public let path: String
    /// `readonly=on`: the file is opened read-only and the device refuses writes.
    public let readOnly: Bool
    /// `cache=`: whether the guest sees a write cache, and whether writes are synced at once.
    public let cache: CacheMode
    /// Size in bytes when opened.
    public let size: UInt64
    private let descriptor: Int32

    /// Opens `path` (a regular file or a block device) read-only or read-write.
    public init(path: String, readOnly: Bool, cache: CacheMode = .writeback) throws(OpenError) {
        let fd = open(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC)
        guard fd >= 0 else {
            throw OpenError(description: "could not open disk image '\(path)': \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG || (info.st_mode & S_IFMT) == S_IFBLK else {
            close(fd)
            throw OpenError(description: "disk image '\(path)' is not a regular file or block device")
        }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else {
            close(fd)
            throw OpenError(description: "could not find the size of disk image '\(path)'")
        }
        self.path = path
        self.readOnly = readOnly
        self.cache = cache
        self.size = UInt64(end)
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// An I/O failure, reported to the guest in the request status.
    public struct IOError: Error {
        /// The errno of the failed call.
        public let code: Int32
    }

    /// Reads `count` bytes at `offset`; bytes past the end of the file read as zero.
    public func read(at offset: UInt64, count: Int) throws(IOError) -> [UInt8] {
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
                throw IOError(code: errno)
            }
            if n == 0 { break }
            done += n
        }
        return bytes
    }

    /// Writes `bytes` at `offset`, through to storage under the write-through cache modes.
    public func write(_ bytes: [UInt8], at offset: UInt64) throws(IOError) {
        var done = 0
        while done < bytes.count {
            // SAFETY: `buffer` is the array's own storage, valid inside the closure, and done < its
            // count, so pwrite reads at most count - done bytes inside it.
            let n = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError(code: errno)
            }
            done += n
        }
        if !cache.hasVolatileWriteCache { try synchronize() }
    }

    /// Makes every completed write durable (VIRTIO_BLK_T_FLUSH); nothing under cache=unsafe.
    public func flush() throws(IOError) {
        guard cache != .unsafe else { return }
        try synchronize()
    }

    private func synchronize() throws(IOError) {
        if fdatasync(descriptor) != 0 { throw IOError(code: errno) }
    }

    /// Zeroes `count` bytes at `offset`. With `deallocate` the range may become a hole (it
    /// still reads as zeros); a file system that cannot punch holes gets written zeros.
    public func writeZeroes(at offset: UInt64, count: UInt64, deallocate: Bool) throws(IOError) {
        if deallocate, vb_punch_hole(descriptor, Int64(offset), Int64(count)) == 0 {
            if !cache.hasVolatileWriteCache { try synchronize() }
            return
        }
        let chunk = [UInt8](repeating: 0, count: 1 << 16)
        var done: UInt64 = 0
        while done < count {
            let n = Int(min(UInt64(chunk.count), count - done))
            try write(n == chunk.count ? chunk : Array(chunk[..<n]), at: offset + done)
            done += UInt64(n)
        }
    }

    /// Gives the range back to the host file system if it can (VIRTIO_BLK_T_DISCARD with
    /// `discard=unmap`); the contents of a discarded range are unspecified, so failure is no error.
    public func discard(at offset: UInt64, count: UInt64) {
        _ = vb_punch_hole(descriptor, Int64(offset), Int64(count))
    }
}
