#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A storage pool as libvirt's `dir` pools are: a folder whose plain files are the volumes (raw
/// and qcow2 images). Volumes are thin: a volume's virtual size is what its guest sees, its
/// allocation what it takes on the file system now, so the virtual sizes may add up to more
/// than the file system holds (over-commit). When the file system fills, a guest write that
/// needs new space fails with ENOSPC, which virtio-blk reports to that guest as an I/O error.
public struct Pool: Sendable {
    /// The pool's folder, as given.
    public let directory: String

    /// One volume: a file in the pool's folder.
    public struct Volume: Sendable, Equatable {
        /// The file name inside the pool (no `/`).
        public let name: String
        /// The pool's folder and the name.
        public let path: String
        /// What its first bytes say it is (a file with the qcow2 magic is qcow2, anything else raw).
        public let format: ImageFormat
        /// The guest-visible size (libvirt's "capacity"); nil when `problem` says why it is unknown.
        public let virtualSize: UInt64?
        /// Bytes the file takes on the file system now (st_blocks; libvirt's "allocation").
        public let allocatedBytes: UInt64
        /// Why the volume could not be read (a qcow2 header that does not parse), for listing it
        /// anyway: one bad file must not hide the others.
        public let problem: String?
    }

    /// The pool as a whole: its file system's space (statvfs) and its volumes' sums.
    public struct Summary: Sendable, Equatable {
        /// Size of the file system holding the pool (f_blocks × f_frsize; libvirt's "Capacity").
        public let capacity: UInt64
        /// Bytes in use on that file system, by anything (libvirt's "Allocation").
        public let used: UInt64
        /// Bytes an unprivileged writer may still allocate (f_bavail; libvirt's "Available").
        public let available: UInt64
        public let volumeCount: Int
        /// The volumes' virtual sizes added up (volumes with a problem count 0).
        public let virtualTotal: UInt64
        /// The volumes' allocations added up.
        public let allocatedTotal: UInt64

        /// Virtual sizes promised per byte of file system: above 1 the pool is over-committed,
        /// and a guest that fills its disk may find the file system full first. 0 for a file
        /// system of no size.
        public var overcommitRatio: Double { capacity == 0 ? 0 : Double(virtualTotal) / Double(capacity) }
    }

    /// Opens the pool in `directory`, which must be a folder.
    public init(directory: String) throws(StorageError) {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            let code = errno
            throw StorageError(.host, "pool '\(directory)': \(String(cString: strerror(code)))", code: code)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw StorageError(.invalid, "pool '\(directory)' is not a directory", code: ENOTDIR)
        }
        self.directory = directory
    }

    /// Longest volume name: a file name's limit on Linux (NAME_MAX).
    public static let maximumNameLength = 255

    /// Refuses a volume name that is not one plain, visible file name in the pool: empty, with a
    /// `/` (it would reach another folder), `.` or `..`, a leading dot (hidden files are not
    /// volumes, so a volume there could never be listed), control characters (they would break
    /// the listing's lines), or longer than NAME_MAX.
    public static func checkVolumeName(_ name: String) throws(StorageError) {
        guard !name.isEmpty else { throw StorageError(.invalid, "volume name is empty", code: EINVAL) }
        guard name.utf8.count <= maximumNameLength else {
            throw StorageError(.invalid, "volume name is longer than \(maximumNameLength) bytes", code: ENAMETOOLONG)
        }
        guard !name.contains("/") else {
            throw StorageError(.invalid, "volume name '\(name)' holds a '/': volumes are plain file names in the pool", code: EINVAL)
        }
        guard !name.hasPrefix(".") else {
            let why = name == "." || name == ".." ? "is not a file name" : "starts with a dot (hidden files are not volumes)"
            throw StorageError(.invalid, "volume name '\(name)' \(why)", code: EINVAL)
        }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw StorageError(.invalid, "volume name '\(name.debugDescription)' holds a control character", code: EINVAL)
        }
    }

    /// The path of volume `name`, after checking the name.
    public func path(of name: String) throws(StorageError) -> String {
        try Self.checkVolumeName(name)
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Every volume, by name: the regular files in the folder whose names are volume names.
    /// Folders, links, devices and hidden files are not volumes and are left out.
    public func volumes() throws(StorageError) -> [Volume] {
        guard let stream = opendir(directory) else {
            let code = errno
            throw StorageError(.host, "pool '\(directory)': \(String(cString: strerror(code)))", code: code)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            // SAFETY: d_name is a NUL-terminated array inside the dirent readdir returned, valid
            // until the next readdir on this stream; String(cString:) copies it out now.
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(cString: bytes.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if (try? Self.checkVolumeName(name)) != nil { names.append(name) }
        }
        var volumes: [Volume] = []
        for name in names.sorted() {
            if let volume = try volume(named: name) { volumes.append(volume) }
        }
        return volumes
    }

    /// Volume `name`, or nil when there is no regular file of that name (gone since the folder
    /// was read, or not a file).
    public func volume(named name: String) throws(StorageError) -> Volume? {
        let path = try path(of: name)
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            let code = errno
            throw StorageError(.host, "volume '\(path)': \(String(cString: strerror(code)))", code: code)
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return nil }
        let allocated = UInt64(info.st_blocks) * 512
        // Without the image lock (qemu-img's -U): a volume a running guest has open is listed too.
        let file: HostFile
        do {
            file = try HostFile(path: path, writable: false, lock: false)
        } catch {
            return Volume(name: name, path: path, format: .raw, virtualSize: nil, allocatedBytes: allocated, problem: error.description)
        }
        let size = try file.size()
        let first = try file.read(at: 0, count: Int(min(size, 1 << Qcow2Header.clusterBitsRange.upperBound)))
        let format = ImageFormat.probe(firstBytes: first)
        switch format {
        case .raw:
            return Volume(name: name, path: path, format: .raw, virtualSize: size, allocatedBytes: allocated, problem: nil)
        case .qcow2:
            do {
                let header = try Qcow2Header.parse(first, fileSize: size, path: path)
                return Volume(name: name, path: path, format: .qcow2, virtualSize: header.size, allocatedBytes: allocated, problem: nil)
            } catch {
                return Volume(name: name, path: path, format: .qcow2, virtualSize: nil, allocatedBytes: allocated, problem: error.description)
            }
        }
    }

    /// The file system's space and the volumes' sums.
    public func summary() throws(StorageError) -> Summary {
        var space = statvfs()
        guard statvfs(directory, &space) == 0 else {
            let code = errno
            throw StorageError(.host, "pool '\(directory)': statvfs: \(String(cString: strerror(code)))", code: code)
        }
        let unit = UInt64(space.f_frsize)
        let volumes = try volumes()
        return Summary(capacity: UInt64(space.f_blocks) * unit,
                       used: (UInt64(space.f_blocks) - UInt64(space.f_bfree)) * unit,
                       available: UInt64(space.f_bavail) * unit,
                       volumeCount: volumes.count,
                       virtualTotal: volumes.reduce(0) { $0 + ($1.virtualSize ?? 0) },
                       allocatedTotal: volumes.reduce(0) { $0 + $1.allocatedBytes })
    }

    /// Creates volume `name` (libvirt's vol-create-as): a sparse raw file or a qcow2 image of
    /// `size` virtual bytes, taking only what its metadata needs. A name that exists is refused,
    /// whatever it is; a volume that could not be made whole (the file system is full) is removed.
    @discardableResult
    public func createVolume(_ name: String, format: ImageFormat, size: UInt64,
                             clusterSize: UInt64 = ImageTool.defaultClusterSize) throws(StorageError) -> Volume {
        let path = try path(of: name)
        // O_EXCL: the name is claimed atomically, so two creators cannot both make it.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw StorageError(.invalid, "volume '\(name)' already exists in pool '\(directory)'", code: code) }
            throw StorageError(.host, "could not create volume '\(path)': \(String(cString: strerror(code)))", code: code)
        }
        close(descriptor)
        do {
            switch format {
            case .raw: try ImageTool.createRaw(path, size: size)
            case .qcow2: try ImageTool.createQcow2(path, size: size, clusterSize: clusterSize)
            }
        } catch {
            unlink(path)
            throw error
        }
        guard let volume = try volume(named: name) else {
            throw StorageError(.host, "volume '\(path)' disappeared while it was created", code: ENOENT)
        }
        return volume
    }

    /// Deletes volume `name` (libvirt's vol-delete). Only a regular file is deleted, and not
    /// while a writer (a running guest, QEMU) holds its image lock: its guest would go on
    /// writing into a file no one can reach.
    public func deleteVolume(_ name: String) throws(StorageError) {
        let path = try path(of: name)
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT { throw StorageError(.invalid, "no volume '\(name)' in pool '\(directory)'", code: code) }
            throw StorageError(.host, "volume '\(path)': \(String(cString: strerror(code)))", code: code)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw StorageError(.invalid, "'\(path)' is not a regular file, so not a volume", code: EINVAL)
        }
        // Held as a writer while the name goes, so no guest can open it in between.
        let file = try HostFile(path: path, writable: true, lock: true)
        guard unlink(path) == 0 else {
            let code = errno
            throw StorageError(.host, "could not delete volume '\(path)': \(String(cString: strerror(code)))", code: code)
        }
        withExtendedLifetime(file) {}
    }
}
