#if canImport(Glibc)
import Glibc
#endif
import CHostIO

/// Why a share could not be served.
public struct NinePShareError: Error, Equatable, CustomStringConvertible {
    public let description: String
}

/// A 9P2000.L file server for one host folder, the share: QEMU's `-fsdev local` with
/// `security_model=none`. It takes one T-message and gives back its R-message; the transport
/// (virtio-9p) only carries the bytes, so the server knows nothing of virtio or of guests.
///
/// Confinement. Every fid holds an `O_PATH` descriptor of its file. A walk opens each name with
/// `openat2` relative to the descriptor it walks from, with RESOLVE_BENEATH (no absolute path,
/// no `..` above the starting point), RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS: the kernel
/// checks these during the lookup itself, so a folder swapped for a symlink at any moment cannot
/// lead it out. A symlink is walked to but never through (the client reads it with Treadlink
/// and resolves it in its own namespace, as 9P2000.L intends). `..` is taken lexically, from the
/// fid's place below the root, and never above the root. Names that create or remove files are
/// single components (no `/`, no NUL, not `.` or `..`) relative to a directory fid's
/// descriptor. Device nodes are never opened or created, so a guest cannot reach the host's
/// devices through a node in the share.
///
/// Ownership and modes pass through as far as the server's process may (`security_model=none`):
/// files are made with the mode the client asks, then given the client's uid and gid, failures
/// of that last step ignored as QEMU does.
///
/// Requests are carried out one at a time, in order, so Tflush never finds one to cancel.
public final class NinePServer {
    /// The share's root.
    public let rootPath: String
    /// `readonly=on`: every request that would change the share fails with EROFS.
    public let readOnly: Bool
    /// The msize agreed by Tversion (the largest message either side sends).
    public private(set) var messageSize: UInt32 = NineP.maximumMessageSize
    /// At most this many fids at once: each holds host descriptors.
    public static let maximumFids = 16384

    private let rootDescriptor: Int32
    private var versionAgreed = false
    private var fids: [UInt32: NinePFid] = [:]

    /// Opens the share at `path` (a folder).
    public init(root path: String, readOnly: Bool) throws(NinePShareError) {
        // The kernel's openat2 is what keeps lookups inside the share: without it, no share.
        let probe = vb_openat2(AT_FDCWD, "/", vb_o_path | O_CLOEXEC, 0, vb_resolve_no_symlinks)
        guard probe >= 0 else {
            throw NinePShareError(description: "the host kernel has no openat2(2) (Linux 5.6 or later is needed to confine a share)")
        }
        close(probe)
        let descriptor = open(path, vb_o_path | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw NinePShareError(description: "cannot open shared folder '\(path)': \(String(cString: strerror(errno)))")
        }
        rootPath = path
        self.readOnly = readOnly
        rootDescriptor = descriptor
    }

    deinit {
        for fid in fids.values { fid.close() }
        close(rootDescriptor)
    }

    /// Fids in use, for tests.
    public var fidCount: Int { fids.count }

    /// Carries out one message and returns the reply. `replyLimit` is the room the transport has
    /// for the reply: Tread and Treaddir return no more data than fits in it and in msize. A
    /// message that breaks the protocol gets an Rlerror, never a crash.
    public func handle(_ message: [UInt8], replyLimit: Int = Int.max) -> [UInt8] {
        guard message.count >= NineP.headerSize else { return Self.error(tag: NineP.noTag, EPROTO) }
        var reader = NinePReader(message)
        // The header is there: these reads cannot fail.
        let size = (try? reader.u32()) ?? 0, typeByte = (try? reader.u8()) ?? 0, tag = (try? reader.u16()) ?? NineP.noTag
        guard size >= UInt32(NineP.headerSize), Int(size) <= message.count else { return Self.error(tag: tag, EPROTO) }
        guard size <= messageSize else { return Self.error(tag: tag, EMSGSIZE) }
        // Bytes past `size` are not part of the message.
        reader = NinePReader(Array(message.prefix(Int(size))), offset: NineP.headerSize)
        guard let type = NinePMessageType(rawValue: typeByte) else { return Self.error(tag: tag, EOPNOTSUPP) }
        guard versionAgreed || type == .tversion else { return Self.error(tag: tag, EPROTO) }
        let limit = max(0, min(Int(messageSize), replyLimit) - NineP.readReplyHeader)
        do {
            var reply = NinePWriter(type: NinePMessageType(rawValue: type.rawValue + 1) ?? .rlerror, tag: tag)
            try perform(type, &reader, &reply, dataLimit: limit)
            return reply.finished()
        } catch let failure as NinePErrno {
            return Self.error(tag: tag, failure.code)
        } catch {
            // A field ran past the end of the message.
            return Self.error(tag: tag, EPROTO)
        }
    }

    /// Rlerror: ecode[4], a Linux errno.
    public static func error(tag: UInt16, _ code: Int32) -> [UInt8] {
        var writer = NinePWriter(type: .rlerror, tag: tag)
        writer.u32(UInt32(bitPattern: code))
        return writer.finished()
    }

    private func perform(_ type: NinePMessageType, _ r: inout NinePReader, _ w: inout NinePWriter, dataLimit: Int) throws {
        switch type {
        case .tversion: try version(&r, &w)
        case .tattach: try attach(&r, &w)
        case .twalk: try walk(&r, &w)
        case .tclunk:
            let fid = try r.u32()
            guard let entry = fids.removeValue(forKey: fid) else { throw NinePErrno(EBADF) }
            entry.close()
        case .tflush:
            _ = try r.u16()  // every earlier request has finished: nothing to cancel
        case .tlopen: try lopen(&r, &w)
        case .tlcreate: try lcreate(&r, &w)
        case .tread: try read(&r, &w, dataLimit: dataLimit)
        case .twrite: try write(&r, &w)
        case .treaddir: try readdir(&r, &w, dataLimit: dataLimit)
        case .tgetattr: try getattr(&r, &w)
        case .tsetattr: try setattr(&r)
        case .tstatfs: try statfs(&r, &w)
        case .tfsync:
            let entry = try fid(try r.u32()), dataOnly = try r.u32() != 0
            guard let descriptor = entry.openDescriptor else { throw NinePErrno(EBADF) }
            guard (dataOnly ? fdatasync(descriptor) : fsync(descriptor)) == 0 else { throw NinePErrno(errno) }
        case .tmkdir: try mkdir(&r, &w)
        case .tsymlink: try symlink(&r, &w)
        case .tmknod: try mknod(&r, &w)
        case .treadlink:
            let entry = try fid(try r.u32())
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlinkat(entry.pathDescriptor, "", &buffer, buffer.count - 1)
            guard count >= 0 else { throw NinePErrno(errno) }
            w.string(buffer[..<count].map { UInt8(bitPattern: $0) })
        case .tlink:
            let directory = try fid(try r.u32()), target = try fid(try r.u32()), name = try Self.name(try r.string())
            try refuseIfReadOnly()
            guard linkat(AT_FDCWD, Self.descriptorPath(target.pathDescriptor), directory.pathDescriptor, name, AT_SYMLINK_FOLLOW) == 0 else {
                throw NinePErrno(errno)
            }
        case .trenameat: try renameat(&r)
        case .tunlinkat:
            let directory = try fid(try r.u32()), name = try Self.name(try r.string()), flags = try r.u32()
            guard flags & ~NineP.removeDirectory == 0 else { throw NinePErrno(EINVAL) }
            try refuseIfReadOnly()
            guard unlinkat(directory.pathDescriptor, name, flags == 0 ? 0 : AT_REMOVEDIR) == 0 else { throw NinePErrno(errno) }
        default:
            // Tauth (no authentication here), Txattrwalk/Txattrcreate (no extended attributes),
            // Tlock/Tgetlock, Trename and Tremove (Linux uses Trenameat and Tunlinkat when the
            // server has them), and every R-message sent as a request.
            throw NinePErrno(EOPNOTSUPP)
        }
    }

    // MARK: Session

    private func version(_ r: inout NinePReader, _ w: inout NinePWriter) throws {
        let asked = try r.u32(), name = try r.string()
        guard asked >= NineP.minimumMessageSize else { throw NinePErrno(EINVAL) }
        // A new session: every fid of the old one is gone (version(5)).
        for fid in fids.values { fid.close() }
        fids = [:]
        messageSize = min(asked, NineP.maximumMessageSize)
        let speaks = name == Array(NineP.version.utf8)
        versionAgreed = speaks
        w.u32(messageSize)
        w.string(speaks ? NineP.version : "unknown")
    }

    private func attach(_ r: inout NinePReader, _ w: inout NinePWriter) throws {
        let fid = try r.u32(), authenticationFid = try r.u32()
        _ = try r.string()  // uname: 9P2000.L names users by number (n_uname)
        _ = try r.string()  // aname: one share per server, whatever the client names
        let user = try r.u32()
        guard authenticationFid == NineP.noFid else { throw NinePErrno(EOPNOTSUPP) }
        try checkFree(fid)
        let descriptor = dup(rootDescriptor)
        guard descriptor >= 0 else { throw NinePErrno(errno) }
        let entry = NinePFid(pathDescriptor: descriptor, components: [], user: user)
        let status = try Self.status(of: descriptor)
        fids[fid] = entry
        w.qid(Self.qid(status))
    }

    private func fid(_ number: UInt32) throws -> NinePFid {
        guard let entry = fids[number] else { throw NinePErrno(EBADF) }
        return entry
    }

    private func checkFree(_ number: UInt32) throws {
        guard fids[number] == nil else { throw NinePErrno(EBADF) }
        guard fids.count < Self.maximumFids else { throw NinePErrno(EMFILE) }
    }

    private func refuseIfReadOnly() throws {
        if readOnly { throw NinePErrno(EROFS) }
    }

    // MARK: Walking

    private func walk(_ r: inout NinePReader, _ w: inout NinePWriter) throws {
        let startNumber = try r.u32(), newNumber = try r.u32(), count = Int(try r.u16())
        let start = try fid(startNumber)
        guard count <= NineP.maximumWalkNames else { throw NinePErrno(EINVAL) }
        var names: [[UInt8]] = []
        for _ in 0..<count {
            let name = try r.string()
            // ".." is a step up; anything else must be one name (the kernel's lookup would read
            // a "/" as a separator and stop at a NUL).
            guard name == [0x2E, 0x2E] || Self.isSingleName(name) else { throw NinePErrno(EINVAL) }
            names.append(name)
        }
        if newNumber != startNumber { try checkFree(newNumber) }
        var descriptor = dup(start.pathDescriptor)
        guard descriptor >= 0 else { throw NinePErrno(errno) }
        var components = start.components
        var qids: [NinePQid] = []
        for name in names {
            let next: Int32
            var nextComponents = components
            if name == [0x2E, 0x2E] {
                // Lexically up from where the fid stands below the root; the root's parent is itself.
                _ = nextComponents.popLast()
                next = nextComponents.isEmpty ? dup(rootDescriptor) : Self.openBeneath(rootDescriptor, Array(nextComponents.joined(separator: [0x2F])))
            } else {
                nextComponents.append(name)
                next = Self.openBeneath(descriptor, name)
            }
            guard next >= 0 else {
                let code = errno
                close(descriptor)
                if qids.isEmpty { throw NinePErrno(code) }
                break
            }
            close(descriptor)
            descriptor = next
            components = nextComponents
            do {
                qids.append(Self.qid(try Self.status(of: descriptor)))
            } catch {
                close(descriptor)
                throw error
            }
        }
        if qids.count == names.count {
            let entry = NinePFid(pathDescriptor: descriptor, components: components, user: start.user)
            fids.removeValue(forKey: newNumber)?.close()
            fids[newNumber] = entry
        } else {
            close(descriptor)
        }
        w.u16(UInt16(qids.count))
        for qid in qids { w.qid(qid) }
    }

    /// An O_PATH descriptor of `path` below `directory`, never leaving it and never following a
    /// symlink (a symlink at the end is opened itself); -1 with errno set otherwise.
    static func openBeneath(_ directory: Int32, _ path: [UInt8]) -> Int32 {
        vb_openat2(directory, cString(path), vb_o_path | O_NOFOLLOW | O_CLOEXEC, 0,
                   vb_resolve_beneath | vb_resolve_no_symlinks | vb_resolve_no_magiclinks)
    }

    // MARK: Files

    private func lopen(_ r: inout NinePReader, _ w: inout NinePWriter) throws {
        let entry = try fid(try r.u32()), flags = try r.u32()
        guard entry.openDescriptor == nil else { throw NinePErrno(EBADF) }
        let status = try Self.status(of: entry.pathDescriptor)
        let format = status.st_mode & S_IFMT
        guard format != S_IFLNK else { throw NinePErrno(ELOOP) }
        // Only regular files and folders: opening a device node or a FIFO of the share on the
        // host would reach a host device, or block the server.
        guard format == S_IFREG || format == S_IFDIR else { throw NinePErrno(EOPNOTSUPP) }
        if flags & NineP.OpenFlag.accessMode != 0 || flags & NineP.OpenFlag.truncate != 0 { try refuseIfReadOnly() }
        // The descriptor's own file, whatever has happened to its name since the walk.
        let descriptor = open(Self.descriptorPath(entry.pathDescriptor), Self.hostOpenFlags(flags) | O_CLOEXEC)
        guard descriptor >= 0 else { throw NinePErrno(errno) }
        entry.openDescriptor = descriptor
        w.qid(Self.qid(status))
        w.u32(0)  // iounit: the client goes by msize
    }

    private func lcreate(_ r: inout NinePReader, _ w: inout NinePWriter) throws {
        let entry = try fid(try r.u32()), name = try r.string(), flags = try r.u32(), mode = try r.u32(), group = try r.u32()
        let cName = try Self.name(name)
        guard entry.openDescriptor == nil else { throw NinePErrno(EBADF) }
        try refuseIfReadOnly()
        let descriptor = vb_openat2(entry.pathDescriptor, cName, Self.hostOpenFlags(flags) | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
                                    mode & 0o7777, vb_resolve_beneath | vb_resolve_no_symlinks | vb_resolve_no_magiclinks)
        guard descriptor >= 0 else { throw NinePErrno(errno) }
        _ = fchown(descriptor, entry.user, group)  // as far as the server may (security_model=none)
        let pathDescriptor = dup(descriptor)
        guard pathDescriptor >= 0 else {
            let code = errno
            close(descriptor)
            throw NinePErrno(code)
        }
        // The fid now stands for the new, open file (9P2000.L lcreate).
        close(entry.pathDescriptor)
        entry.pathDescriptor = pathDescriptor
        entry.openDescriptor = descriptor
        entry.components.append(name)
        w.qid(Self.qid(try Self.status(of: descriptor)))
        w.u32(0)
    }

    private func read(_ r: inout NinePReader, _ w: inout NinePWriter, dataLimit: Int) throws {
        let entry = try fid(try r.u32()), offset = try r.u64(), asked = try r.u32()
        guard let descriptor = entry.openDescriptor else { throw NinePErrno(EBADF) }
        guard offset <= UInt64(Int64.max) else { throw NinePErrno(EINVAL) }
        let count = min(Int(asked), dataLimit)
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            // SAFETY: `bytes` is the array's own storage of `count` bytes, valid inside the
            // closure, and done < count, so pread writes at most count - done bytes inside it.
            let got = buffer.withUnsafeMutableBytes { bytes in
                pread(descriptor, bytes.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw NinePErrno(errno) }
            if got == 0 { break }
            done += got
        }
        w.u32(UInt32(done))
        w.data(buffer[..<done])
    }

    private func write(_ r: inout NinePReader, _ w: inout NinePWriter) throws {
        let entry = try fid(try r.u32()), offset = try r.u64(), count = Int(try r.u32())
        let data = Array(try r.data(count))
        guard let descriptor = entry.openDescriptor else { throw NinePErrno(EBADF) }
        guard offset <= UInt64(Int64.max) else { throw NinePErrno(EINVAL) }
        var done = 0
        while done < count {
            // SAFETY: `bytes` is the array's own storage of `count` bytes, valid inside the
            // closure, and done < count, so pwrite reads at most count - done bytes inside it.
            let put = data.withUnsafeBytes { bytes in
                pwrite(descriptor, bytes.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if put < 0 && errno == EINTR { continue }
            guard put > 0 else {
                if done > 0 { break }
                throw NinePErrno(put < 0 ? errno : EIO)
            }
            done += put
        }
        w.u32(UInt32(done))
    }

    private func readdir(_ r: inout NinePReader, _ w: inout NinePWriter, dataLimit: Int) throws {
        let entry = try fid(try r.u32()), offset = try r.u64(), asked = try r.u32()
        let listing = try entry.directoryListing()
        let limit = min(Int(asked), dataLimit)
        if offset == 0 {
            listing.rewind()
        } else if offset != listing.position {
            listing.seek(to: Int(Int64(bitPattern: offset)))
        }
        var data: [UInt8] = []
        while let item = listing.next() {
            // qid[13] offset[8] type[1] name[s]
            let length = NineP.qidSize + 8 + 1 + 2 + item.name.count
            guard data.count + length <= limit else {
                listing.unread(item)
                break
            }
            var fields = NinePWriter(type: .rreaddir, tag: 0)
            let qidType: UInt8 = item.type == UInt8(DT_DIR) ? NineP.QidType.directory
                : item.type == UInt8(DT_LNK) ? NineP.QidType.symlink : NineP.QidType.file
            fields.qid(NinePQid(type: qidType, version: 0, path: item.inode))
            fields.u64(UInt64(bitPattern: Int64(item.nextOffset)))
            fields.u8(item.type)
            fields.string(item.name)
            data += fields.bytes.dropFirst(NineP.headerSize)
        }
        w.u32(UInt32(data.count))
        w.data(data)
    }

    private func getattr(_ r: inout NinePReader, _ w: inout NinePWriter) throws {
        let entry = try fid(try r.u32())
        _ = try r.u64()  // request_mask: the basic fields are always there
        let s = try Self.status(of: entry.pathDescriptor)
        w.u64(NineP.getattrBasic)
        w.qid(Self.qid(s))
        w.u32(UInt32(s.st_mode))
        w.u32(s.st_uid)
        w.u32(s.st_gid)
        w.u64(UInt64(s.st_nlink))
        w.u64(UInt64(s.st_rdev))
        w.u64(UInt64(bitPattern: Int64(s.st_size)))
        w.u64(UInt64(bitPattern: Int64(s.st_blksize)))
        w.u64(UInt64(bitPattern: Int64(s.st_blocks)))
        for time in [s.st_atim, s.st_mtim, s.st_ctim] {
            w.u64(UInt64(bitPattern: Int64(time.tv_sec)))
            w.u64(UInt64(bitPattern: Int64(time.tv_nsec)))
        }
        for _ in 0..<4 { w.u64(0) }  // btime (sec, nsec), gen, data_version: not in the basic set
    }

    private func setattr(_ r: inout NinePReader) throws {
        let entry = try fid(try r.u32()), valid = try r.u32(), mode = try r.u32(), user = try r.u32(), group = try r.u32()
        let size = try r.u64()
        let accessSeconds = try r.u64(), accessNanoseconds = try r.u64(), modifySeconds = try r.u64(), modifyNanoseconds = try r.u64()
        typealias V = NineP.SetattrValid
        try refuseIfReadOnly()
        let status = try Self.status(of: entry.pathDescriptor)
        let isSymlink = status.st_mode & S_IFMT == S_IFLNK
        let path = Self.descriptorPath(entry.pathDescriptor)
        // A symlink has no mode, size or times of its own to set here (through /proc they would
        // reach its target, which the server must never follow).
        if isSymlink && valid & (V.mode | V.size | V.atime | V.mtime) != 0 { throw NinePErrno(EOPNOTSUPP) }
        if valid & V.mode != 0 {
            guard chmod(path, mode_t(mode & 0o7777)) == 0 else { throw NinePErrno(errno) }
        }
        if valid & (V.atime | V.mtime) != 0 {
            func time(_ given: Bool, _ explicit: Bool, _ seconds: UInt64, _ nanoseconds: UInt64) -> timespec {
                guard given else { return timespec(tv_sec: 0, tv_nsec: vb_utime_omit) }
                guard explicit else { return timespec(tv_sec: 0, tv_nsec: vb_utime_now) }
                return timespec(tv_sec: Int(Int64(bitPattern: seconds)), tv_nsec: Int(nanoseconds % 1_000_000_000))
            }
            let times = [time(valid & V.atime != 0, valid & V.atimeSet != 0, accessSeconds, accessNanoseconds),
                         time(valid & V.mtime != 0, valid & V.mtimeSet != 0, modifySeconds, modifyNanoseconds)]
            guard utimensat(AT_FDCWD, path, times, 0) == 0 else { throw NinePErrno(errno) }
        }
        if valid & (V.uid | V.gid) != 0 {
            let newUser = valid & V.uid != 0 ? user : UInt32.max, newGroup = valid & V.gid != 0 ? group : UInt32.max
            guard fchownat(entry.pathDescriptor, "", newUser, newGroup, vb_at_empty_path | AT_SYMLINK_NOFOLLOW) == 0 else {
                throw NinePErrno(errno)
            }
        }
        if valid & V.size != 0 {
            guard size <= UInt64(Int64.max) else { throw NinePErrno(EFBIG) }
            guard status.st_mode & S_IFMT == S_IFREG else { throw NinePErrno(EINVAL) }
            guard truncate(path, off_t(size)) == 0 else { throw NinePErrno(errno) }
        }
        // V.ctime alone: the change time moves with any of the above, and cannot be set.
    }

    private func statfs(_ r: inout NinePReader, _ w: inout NinePWriter) throws {
        let entry = try fid(try r.u32())
        var s = statvfs()
        guard fstatvfs(entry.pathDescriptor, &s) == 0 else { throw NinePErrno(errno) }
        let type = vb_file_system_type(entry.pathDescriptor)
        guard type >= 0 else { throw NinePErrno(errno) }
        w.u32(UInt32(truncatingIfNeeded: type))
        w.u32(UInt32(truncatingIfNeeded: s.f_frsize))
        w.u64(UInt64(s.f_blocks))
        w.u64(UInt64(s.f_bfree))
        w.u64(UInt64(s.f_bavail))
        w.u64(UInt64(s.f_files))
        w.u64(UInt64(s.f_ffree))
        w.u64(UInt64(s.f_fsid))
        w.u32(UInt32(truncatingIfNeeded: s.f_namemax))
    }

    // MARK: Names in a directory

    private func mkdir(_ r: inout NinePReader, _ w: inout NinePWriter) throws {
        let directory = try fid(try r.u32()), name = try Self.name(try r.string()), mode = try r.u32(), group = try r.u32()
        try refuseIfReadOnly()
        guard mkdirat(directory.pathDescriptor, name, mode_t(mode & 0o7777)) == 0 else { throw NinePErrno(errno) }
        _ = fchownat(directory.pathDescriptor, name, directory.user, group, AT_SYMLINK_NOFOLLOW)
        w.qid(Self.qid(try Self.status(of: directory.pathDescriptor, name)))
    }

    private func symlink(_ r: inout NinePReader, _ w: inout NinePWriter) throws {
        let directory = try fid(try r.u32()), name = try Self.name(try r.string()), target = try r.string(), group = try r.u32()
        // The target is only text to the server (it never follows links), but it must be a C string.
        guard !target.isEmpty, !target.contains(0) else { throw NinePErrno(EINVAL) }
        try refuseIfReadOnly()
        guard symlinkat(Self.cString(target), directory.pathDescriptor, name) == 0 else { throw NinePErrno(errno) }
        _ = fchownat(directory.pathDescriptor, name, directory.user, group, AT_SYMLINK_NOFOLLOW)
        w.qid(Self.qid(try Self.status(of: directory.pathDescriptor, name)))
    }

    private func mknod(_ r: inout NinePReader, _ w: inout NinePWriter) throws {
        let directory = try fid(try r.u32()), name = try Self.name(try r.string()), mode = try r.u32()
        _ = try r.u32(); _ = try r.u32()  // major, minor: no device nodes
        let group = try r.u32()
        let format = mode_t(mode) & S_IFMT
        // A device node would give the guest the host's device of that number.
        guard format == S_IFIFO || format == S_IFSOCK || format == S_IFREG else { throw NinePErrno(EPERM) }
        try refuseIfReadOnly()
        guard mknodat(directory.pathDescriptor, name, format | mode_t(mode & 0o7777), 0) == 0 else { throw NinePErrno(errno) }
        _ = fchownat(directory.pathDescriptor, name, directory.user, group, AT_SYMLINK_NOFOLLOW)
        w.qid(Self.qid(try Self.status(of: directory.pathDescriptor, name)))
    }

    private func renameat(_ r: inout NinePReader) throws {
        let oldDirectory = try fid(try r.u32()), oldName = try r.string(), newDirectory = try fid(try r.u32()), newName = try r.string()
        let cOld = try Self.name(oldName), cNew = try Self.name(newName)
        try refuseIfReadOnly()
        guard Glibc.renameat(oldDirectory.pathDescriptor, cOld, newDirectory.pathDescriptor, cNew) == 0 else { throw NinePErrno(errno) }
        // Fids below the renamed name keep their descriptors; their place for `..` moves with it.
        let oldPrefix = oldDirectory.components + [oldName], newPrefix = newDirectory.components + [newName]
        for fid in fids.values where fid.components.starts(with: oldPrefix) {
            fid.components = newPrefix + fid.components.dropFirst(oldPrefix.count)
        }
    }

    // MARK: Helpers

    /// Whether `name` names one entry of a folder: not empty, not `.` or `..`, no `/` or NUL.
    static func isSingleName(_ name: [UInt8]) -> Bool {
        !name.isEmpty && name != [0x2E] && name != [0x2E, 0x2E] && !name.contains(0x2F) && !name.contains(0)
    }

    /// A single name as a C string, or EINVAL.
    static func name(_ name: [UInt8]) throws -> [CChar] {
        guard isSingleName(name) else { throw NinePErrno(EINVAL) }
        return cString(name)
    }

    static func cString(_ bytes: [UInt8]) -> [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }

    /// The /proc path that opens exactly the file a descriptor holds.
    static func descriptorPath(_ descriptor: Int32) -> String { "/proc/self/fd/\(descriptor)" }

    static func status(of descriptor: Int32, _ name: [CChar] = [0]) throws -> stat {
        var s = stat()
        guard fstatat(descriptor, name, &s, AT_SYMLINK_NOFOLLOW | (name == [0] ? vb_at_empty_path : 0)) == 0 else { throw NinePErrno(errno) }
        return s
    }

    static func qid(_ s: stat) -> NinePQid {
        let format = s.st_mode & S_IFMT
        let type = format == S_IFDIR ? NineP.QidType.directory : format == S_IFLNK ? NineP.QidType.symlink : NineP.QidType.file
        // QEMU's version: the modification time mixed with the size, so a change shows.
        let version = UInt32(truncatingIfNeeded: Int64(s.st_mtim.tv_sec) ^ (Int64(s.st_size) << 8))
        return NinePQid(type: type, version: version, path: UInt64(s.st_ino))
    }

    /// Tlopen's and Tlcreate's flags as the host's: the access mode, truncate, append, exclusive
    /// and the sync flags; the rest (O_DIRECT's alignment rules, O_NOATIME, FASYNC...) are dropped.
    static func hostOpenFlags(_ flags: UInt32) -> Int32 {
        typealias F = NineP.OpenFlag
        var host: Int32
        switch flags & F.accessMode {
        case F.writeOnly: host = O_WRONLY
        case F.readWrite: host = O_RDWR
        default: host = O_RDONLY
        }
        if flags & F.truncate != 0 { host |= O_TRUNC }
        if flags & F.append != 0 { host |= O_APPEND }
        if flags & F.exclusive != 0 { host |= O_EXCL }
        if flags & F.directory != 0 { host |= O_DIRECTORY }
        if flags & F.sync == F.sync { host |= O_SYNC } else if flags & F.dataSync != 0 { host |= O_DSYNC }
        return host
    }
}

/// A failed request: the Linux errno its Rlerror carries.
struct NinePErrno: Error {
    let code: Int32
    init(_ code: Int32) { self.code = code }
}

/// One fid: the file it stands for and, once opened, how.
final class NinePFid {
    /// An O_PATH descriptor of the file (or the open file's own, after Tlcreate).
    var pathDescriptor: Int32
    /// Where the fid stands below the root, name by name, for `..`.
    var components: [[UInt8]]
    /// The user the fid acts for (Tattach's n_uname).
    let user: UInt32
    /// The descriptor Tlopen or Tlcreate opened.
    var openDescriptor: Int32?
    private var listing: NinePDirectoryListing?

    init(pathDescriptor: Int32, components: [[UInt8]], user: UInt32) {
        self.pathDescriptor = pathDescriptor
        self.components = components
        self.user = user
    }

    /// The listing of the opened folder, made at the first Treaddir.
    func directoryListing() throws -> NinePDirectoryListing {
        if let listing { return listing }
        guard let descriptor = openDescriptor else { throw NinePErrno(EBADF) }
        let made = try NinePDirectoryListing(descriptor)
        listing = made
        return made
    }

    func close() {
        listing = nil
        if let openDescriptor { Glibc.close(openDescriptor) }
        openDescriptor = nil
        Glibc.close(pathDescriptor)
        pathDescriptor = -1
    }
}

/// An open folder's entries, read a few at a time with the host's directory stream; the offset
/// a client resumes from is the host's own (d_off, as telldir gives it).
final class NinePDirectoryListing {
    struct Item {
        let inode: UInt64
        let nextOffset: Int
        let type: UInt8
        let name: [UInt8]
        /// telldir before this entry, to go back when it did not fit.
        let before: Int
    }

    private let stream: OpaquePointer
    /// The offset after the last entry returned, that the next Treaddir gives to go on.
    private(set) var position: UInt64 = 0

    init(_ descriptor: Int32) throws {
        let own = dup(descriptor)
        guard own >= 0 else { throw NinePErrno(errno) }
        guard let stream = fdopendir(own) else {
            let code = errno
            close(own)
            throw NinePErrno(code)
        }
        self.stream = stream
    }

    deinit { closedir(stream) }

    func rewind() {
        rewinddir(stream)
        position = 0
    }

    func seek(to offset: Int) {
        seekdir(stream, offset)
        position = UInt64(bitPattern: Int64(offset))
    }

    func next() -> Item? {
        let before = telldir(stream)
        errno = 0
        guard let entry = Glibc.readdir(stream) else { return nil }
        // SAFETY: readdir returned a non-nil pointer to the stream's current entry, valid until
        // the next readdir or closedir on this stream; it is copied out here before either. The
        // bytes then viewed are the copy's d_name array (256 bytes, NUL-terminated by readdir).
        let record = entry.pointee
        let name = withUnsafeBytes(of: record.d_name) { bytes in Array(bytes.prefix { $0 != 0 }) }
        position = UInt64(bitPattern: Int64(record.d_off))
        return Item(inode: UInt64(record.d_ino), nextOffset: Int(record.d_off), type: record.d_type, name: name, before: before)
    }

    /// Puts `item` back: the next call returns it again.
    func unread(_ item: Item) {
        seekdir(stream, item.before)
        position = UInt64(bitPattern: Int64(item.before))
    }
}
