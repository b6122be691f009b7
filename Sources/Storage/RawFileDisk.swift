/// A disk image as a raw file, read and written in place with pread/pwrite: QEMU's
/// `-drive file=F,format=raw`.
public final class RawFileDisk: BlockDriver {
    /// `RawFileDisk.CacheMode`, the name the virtio tests and options grew up with.
    public typealias CacheMode = Storage.CacheMode

    /// The image file, as given on the command line.
    public let path: String
    /// `readonly=on`: the file is opened read-only and the device refuses writes.
    public let readOnly: Bool
    /// `cache=`: whether the guest sees a write cache, and whether writes are synced at once.
    public let cache: CacheMode
    /// Size in bytes when opened.
    public let size: UInt64
    /// The format was probed, not given: as QEMU does for a probed raw image, a write to the
    /// first sector that would make the file look like another format is refused, so a guest
    /// cannot turn its disk into a qcow2 image whose backing file is a host path.
    public let restrictFirstSector: Bool
    let file: HostFile

    public var formatName: String { "raw" }
    public var virtualSize: UInt64 { size }
    public var capabilities: BlockDriverCapabilities { [.discard, .efficientZeroes] }
    /// pread, pwrite, fdatasync and hole punching on one descriptor are safe from several
    /// threads, and nothing here changes after `init`.
    public var allowsConcurrentRequests: Bool { true }

    /// Opens `path` (a regular file or a block device) read-only or read-write, taking QEMU's
    /// image lock (ImageLock) unless `lock` is false.
    public init(path: String, readOnly: Bool, cache: CacheMode = .writeback, probed: Bool = false, lock: Bool = true) throws(StorageError) {
        file = try HostFile(path: path, writable: !readOnly, lock: lock)
        self.path = path
        self.readOnly = readOnly
        self.cache = cache
        self.size = try file.size()
        restrictFirstSector = probed
    }

    /// Reads `count` bytes at `offset`; bytes past the end of the file read as zero.
    public func read(at offset: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        try file.read(at: offset, count: count)
    }

    /// Writes `bytes` at `offset`, through to storage under the write-through cache modes.
    public func write(_ bytes: [UInt8], at offset: UInt64) throws(StorageError) {
        try checkWritable()
        if restrictFirstSector, offset < 4, ImageFormat.probe(firstBytes: Array(bytes.prefix(Int(4 - offset))), at: offset) != .raw {
            throw StorageError(.invalid, "write to the first sector of probed raw image '\(path)' would make it look like a qcow2 image",
                               code: 1 /* EPERM */)
        }
        try file.write(bytes, at: offset)
        if !cache.hasVolatileWriteCache { try file.synchronize() }
    }

    /// Makes every completed write durable (VIRTIO_BLK_T_FLUSH); nothing under cache=unsafe.
    public func flush() throws(StorageError) {
        guard cache != .unsafe else { return }
        try file.synchronize()
    }

    /// Zeroes `count` bytes at `offset`. With `deallocate` the range may become a hole (it
    /// still reads as zeros); a file system that cannot punch holes gets written zeros.
    public func writeZeroes(at offset: UInt64, count: UInt64, deallocate: Bool) throws(StorageError) {
        try checkWritable()
        if deallocate, file.punchHole(at: offset, count: count) {
            if !cache.hasVolatileWriteCache { try file.synchronize() }
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
    public func discard(at offset: UInt64, count: UInt64) throws(StorageError) {
        try checkWritable()
        file.punchHole(at: offset, count: count)
    }
}
