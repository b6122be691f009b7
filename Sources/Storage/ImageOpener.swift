#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The image formats this block layer has drivers for.
public enum ImageFormat: String, Sendable, CaseIterable {
    case raw, qcow2

    /// What the first bytes of a file say: qcow2 when they hold its magic, else raw (the only
    /// other format, which has no signature). `offset` is where `firstBytes` start in the file.
    public static func probe(firstBytes: [UInt8], at offset: UInt64 = 0) -> ImageFormat {
        let magic: [UInt8] = [0x51, 0x46, 0x49, 0xfb]
        guard offset == 0, firstBytes.count >= 4 else { return .raw }
        return Array(firstBytes.prefix(4)) == magic ? .qcow2 : .raw
    }
}

/// How to open an image and the chain of backing files behind it.
public struct ImageOpenOptions: Sendable {
    public var readOnly: Bool
    public var cache: CacheMode
    /// The format; nil probes it (and a probed raw image gets its first sector guarded).
    public var format: ImageFormat?
    /// Backing file names are untrusted (they come from inside the image): an absolute name, or
    /// one whose `..` leaves the image's folder, is refused unless this is set.
    public var allowUnsafeBackingPaths: Bool
    /// Images in a chain at most, the top one included.
    public var maximumChainLength: Int
    /// Take QEMU's image locks (ImageLock); false is qemu-img's -U (force-share), for looking at
    /// an image another process has open, read-only only.
    public var lock: Bool
    /// The top image's own backing file opens read-write (and locked as a writer), for `commit`,
    /// which writes the top's data into it; the rest of the chain stays read-only.
    public var writableBacking = false

    public init(readOnly: Bool = false, cache: CacheMode = .writeback, format: ImageFormat? = nil,
                allowUnsafeBackingPaths: Bool = false, maximumChainLength: Int = 16, lock: Bool = true) {
        self.readOnly = readOnly
        self.cache = cache
        self.format = format
        self.allowUnsafeBackingPaths = allowUnsafeBackingPaths
        self.maximumChainLength = maximumChainLength
        self.lock = lock
    }
}

/// Opens images by format, with their backing chains.
public enum ImageOpener {
    /// An opened image and whether its format was guessed as raw (QEMU warns then).
    public struct Opened {
        public let driver: any BlockDriver
        public let probedRaw: Bool
    }

    /// Opens `path`, a file or an NBD URI (`nbd://HOST:PORT/NAME`, `nbd+unix:///NAME?socket=PATH`).
    public static func open(_ path: String, options: ImageOpenOptions = ImageOpenOptions()) throws(StorageError) -> Opened {
        guard options.lock || options.readOnly else {
            throw StorageError(.invalid, "force-share=on can only be used with read-only images")
        }
        if NBDAddress.isURI(path) {
            // The server serves a disk's guest view: there is no format to probe on top of it.
            if let format = options.format, format != .raw {
                throw StorageError(.unsupported, "'\(path)': format=\(format.rawValue) over NBD is not supported (serve the image with its format, e.g. `virtbench image serve -f qcow2`, and use format=raw)")
            }
            return Opened(driver: try NBDClientDisk(uri: path, readOnly: options.readOnly, cache: options.cache), probedRaw: false)
        }
        var chain: [FileIdentity] = []
        let format: ImageFormat
        if let given = options.format { format = given } else { format = try probe(path) }
        let driver = try open(path, format: format, options: options, readOnly: options.readOnly, chain: &chain, probed: options.format == nil)
        return Opened(driver: driver, probedRaw: options.format == nil && format == .raw)
    }

    /// Reads the first bytes of `path` and says which format they are.
    public static func probe(_ path: String) throws(StorageError) -> ImageFormat {
        let file = try HostFile(path: path, writable: false, lock: false)
        return ImageFormat.probe(firstBytes: try file.read(at: 0, count: 4))
    }

    /// A file's identity, so that a chain that comes back to an image is seen whatever names lead to it.
    struct FileIdentity: Equatable {
        let device: UInt64
        let inode: UInt64
    }

    private static func open(_ path: String, format: ImageFormat, options: ImageOpenOptions, readOnly: Bool,
                             chain: inout [FileIdentity], probed: Bool) throws(StorageError) -> any BlockDriver {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            throw StorageError(.host, "Could not open '\(path)': \(String(cString: strerror(code)))", code: code)
        }
        let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        guard !chain.contains(identity) else {
            throw StorageError(.invalid, "backing chain loops: '\(path)' is already in the chain")
        }
        guard chain.count < options.maximumChainLength else {
            throw StorageError(.invalid, "backing chain is longer than \(options.maximumChainLength) images at '\(path)'")
        }
        chain.append(identity)
        switch format {
        case .raw:
            return try RawFileDisk(path: path, readOnly: readOnly, cache: options.cache, probed: probed, lock: options.lock)
        case .qcow2:
            var backingChain = chain
            let backingReadOnly = !(options.writableBacking && chain.count == 1)
            return try Qcow2Image(path: path, readOnly: readOnly, cache: options.cache, lock: options.lock) { name, formatName throws(StorageError) in
                let resolved = try resolveBackingName(name, of: path, allowUnsafe: options.allowUnsafeBackingPaths)
                let backingFormat: ImageFormat
                if let formatName {
                    guard let known = ImageFormat(rawValue: formatName) else {
                        throw StorageError(.unsupported, "backing file '\(name)' of '\(path)' has format '\(formatName)', which is not raw or qcow2")
                    }
                    backingFormat = known
                } else {
                    backingFormat = try probe(resolved)
                }
                let driver = try open(resolved, format: backingFormat, options: options, readOnly: backingReadOnly, chain: &backingChain, probed: false)
                return (driver, resolved)
            }
        }
    }

    /// Where a backing file name leads: relative names are taken from the image's folder (as
    /// QEMU does). Absolute names, `..` that climbs out of that folder, and QEMU's protocol
    /// and json: names are refused unless `allowUnsafe`.
    public static func resolveBackingName(_ name: String, of imagePath: String, allowUnsafe: Bool) throws(StorageError) -> String {
        guard !name.isEmpty, !name.utf8.contains(0) else {
            throw StorageError(.invalid, "backing file name of '\(imagePath)' is empty or holds a NUL")
        }
        if name.hasPrefix("json:") || name.contains("://") {
            throw StorageError(.unsupported, "backing file '\(name)' of '\(imagePath)' names a protocol, not a file")
        }
        if name.hasPrefix("/") {
            guard allowUnsafe else {
                throw StorageError(.invalid, "backing file '\(name)' of '\(imagePath)' is an absolute path; refused unless backing paths outside the image's folder are allowed")
            }
            return name
        }
        var depth = 0
        for component in name.split(separator: "/") {
            if component == ".." { depth -= 1 } else if component != "." { depth += 1 }
            if depth < 0 && !allowUnsafe {
                throw StorageError(.invalid, "backing file '\(name)' of '\(imagePath)' leaves the image's folder; refused unless backing paths outside the image's folder are allowed")
            }
        }
        guard let slash = imagePath.lastIndex(of: "/") else { return name }
        return String(imagePath[...slash]) + name
    }
}
