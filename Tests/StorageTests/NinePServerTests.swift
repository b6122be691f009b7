import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Storage

/// A share in a scratch folder: `share/` with hello.txt, sub/, and links pointing out of it
/// (absolute, relative, to its parent), next to `outside/secret.txt`, which no request may reach.
final class NinePShare {
    let scratch: Scratch
    let root: String
    let outside: String
    static let hello = Array("hello from the host\n".utf8)
    static let secret = Array("HOST-SECRET\n".utf8)

    init() throws {
        scratch = try Scratch()
        root = scratch.path("share")
        outside = scratch.path("outside")
        let files = FileManager.default
        try files.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try files.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try Data(Self.hello).write(to: URL(fileURLWithPath: root + "/hello.txt"))
        try Data(Self.secret).write(to: URL(fileURLWithPath: outside + "/secret.txt"))
        try files.createSymbolicLink(atPath: root + "/abs-link", withDestinationPath: outside + "/secret.txt")
        try files.createSymbolicLink(atPath: root + "/abs-dir-link", withDestinationPath: outside)
        try files.createSymbolicLink(atPath: root + "/rel-link", withDestinationPath: "../outside/secret.txt")
        try files.createSymbolicLink(atPath: root + "/up-link", withDestinationPath: "..")
    }

    func contents(_ path: String) -> [UInt8]? { FileManager.default.contents(atPath: path).map { [UInt8]($0) } }

    /// What is outside the share, to check nothing there changed.
    func outsideListing() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: outside)) ?? []).sorted() }
}

/// A 9P2000.L client written from the protocol description, enough to drive the server.
final class NinePTestClient {
    let server: NinePServer
    var nextTag: UInt16 = 1

    init(server: NinePServer) { self.server = server }

    /// A reply: its type and a reader positioned at its body.
    struct Reply {
        let type: UInt8
        let tag: UInt16
        var body: NinePReader
        var errorCode: Int32? {
            guard type == NinePMessageType.rlerror.rawValue else { return nil }
            var copy = body
            return (try? copy.u32()).map { Int32(bitPattern: $0) }
        }
    }

    static func parse(_ bytes: [UInt8]) -> Reply? {
        var reader = NinePReader(bytes)
        guard let size = try? reader.u32(), Int(size) == bytes.count, let type = try? reader.u8(), let tag = try? reader.u16() else { return nil }
        return Reply(type: type, tag: tag, body: reader)
    }

    func send(_ type: NinePMessageType, _ fill: (inout NinePWriter) -> Void = { _ in }) -> Reply {
        var writer = NinePWriter(type: type, tag: nextTag)
        fill(&writer)
        nextTag &+= 1
        let reply = server.handle(writer.finished())
        return Self.parse(reply)!
    }

    /// Tversion and Tattach of fid 0 at the root.
    func start() {
        _ = send(.tversion) { $0.u32(65536); $0.string("9P2000.L") }
        _ = send(.tattach) { $0.u32(0); $0.u32(NineP.noFid); $0.string("root"); $0.string(""); $0.u32(0) }
    }

    func walk(_ fid: UInt32, _ newFid: UInt32, _ names: [String]) -> Reply {
        send(.twalk) { w in
            w.u32(fid); w.u32(newFid); w.u16(UInt16(names.count))
            for name in names { w.string(name) }
        }
    }

    func walkedQids(_ fid: UInt32, _ newFid: UInt32, _ names: [String]) -> [NinePQid]? {
        var reply = walk(fid, newFid, names)
        guard reply.type == NinePMessageType.rwalk.rawValue, let count = try? reply.body.u16() else { return nil }
        return (0..<count).compactMap { _ in try? reply.body.qid() }
    }

    func open(_ fid: UInt32, flags: UInt32 = 0) -> Reply { send(.tlopen) { $0.u32(fid); $0.u32(flags) } }

    func read(_ fid: UInt32, offset: UInt64 = 0, count: UInt32 = 8192) -> [UInt8]? {
        var reply = send(.tread) { $0.u32(fid); $0.u64(offset); $0.u32(count) }
        guard reply.type == NinePMessageType.rread.rawValue, let n = try? reply.body.u32() else { return nil }
        return (try? reply.body.data(Int(n))).map(Array.init)
    }

    func clunk(_ fid: UInt32) { _ = send(.tclunk) { $0.u32(fid) } }

    /// Every name of the folder `fid` (opened), Treaddir by Treaddir with room for `count` bytes each.
    func list(_ fid: UInt32, count: UInt32 = 8192) -> [String] {
        var names: [String] = []
        var offset: UInt64 = 0
        while true {
            var reply = send(.treaddir) { $0.u32(fid); $0.u64(offset); $0.u32(count) }
            guard reply.type == NinePMessageType.rreaddir.rawValue, let size = try? reply.body.u32(), size > 0,
                  let data = try? reply.body.data(Int(size)) else { return names }
            var entries = NinePReader(Array(data))
            while entries.remaining > 0 {
                guard (try? entries.qid()) != nil, let next = try? entries.u64(), (try? entries.u8()) != nil,
                      let name = try? entries.string() else { return names + ["<malformed>"] }
                names.append(String(decoding: name, as: UTF8.self))
                offset = next
            }
        }
    }
}

/// Tells a host thread to stop.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

@Suite struct NinePServerTests {
    static func client(_ share: NinePShare, readOnly: Bool = false) throws -> NinePTestClient {
        let client = NinePTestClient(server: try NinePServer(root: share.root, readOnly: readOnly))
        client.start()
        return client
    }

    @Test func versionAgreesOnMessageSizeAndRefusesOtherVersions() throws {
        let share = try NinePShare()
        let client = NinePTestClient(server: try NinePServer(root: share.root, readOnly: false))
        var reply = client.send(.tversion) { $0.u32(8 << 20); $0.string("9P2000.L") }
        #expect(reply.type == NinePMessageType.rversion.rawValue && reply.tag == 1)
        #expect(try reply.body.u32() == NineP.maximumMessageSize, "msize is cut to the server's largest")
        #expect(try reply.body.string() == Array("9P2000.L".utf8))
        reply = client.send(.tversion) { $0.u32(65536); $0.string("9P2000.u") }
        _ = try reply.body.u32()
        #expect(try reply.body.string() == Array("unknown".utf8))
        // Without an agreed version, nothing else is served.
        #expect(client.send(.tattach) { $0.u32(0); $0.u32(NineP.noFid); $0.string(""); $0.string(""); $0.u32(0) }.errorCode == EPROTO)
        reply = client.send(.tversion) { $0.u32(100); $0.string("9P2000.L") }
        #expect(reply.errorCode == EINVAL, "an msize too small for any reply")
    }

    @Test func readsListsAndStatsFiles() throws {
        let share = try NinePShare()
        let client = try Self.client(share)
        let qids = try #require(client.walkedQids(0, 1, ["hello.txt"]))
        #expect(qids.count == 1 && qids[0].type == NineP.QidType.file)
        #expect(client.open(1).type == NinePMessageType.rlopen.rawValue)
        #expect(client.read(1) == NinePShare.hello)
        #expect(client.read(1, offset: 6, count: 4) == Array("from".utf8))
        #expect(client.read(1, offset: 1000) == [], "past the end: no data")
        var attributes = client.send(.tgetattr) { $0.u32(1); $0.u64(NineP.getattrBasic) }
        #expect(attributes.type == NinePMessageType.rgetattr.rawValue)
        #expect(try attributes.body.u64() == NineP.getattrBasic)
        #expect(try attributes.body.qid() == qids[0])
        let mode = try attributes.body.u32()
        #expect(mode & 0o170000 == 0o100000, "a regular file")
        _ = try attributes.body.data(4 + 4 + 8 + 8)  // uid, gid, nlink, rdev
        #expect(try attributes.body.u64() == UInt64(NinePShare.hello.count))
        client.clunk(1)
        #expect(client.server.fidCount == 1)

        #expect(client.walkedQids(0, 2, []) != nil, "a walk of no names clones the fid")
        #expect(client.open(2, flags: NineP.OpenFlag.directory).type == NinePMessageType.rlopen.rawValue)
        let expected = [".", "..", "abs-dir-link", "abs-link", "hello.txt", "rel-link", "sub", "up-link"]
        #expect(client.list(2).sorted() == expected)
        #expect(client.list(2, count: 40).sorted() == expected, "a listing in many small replies loses and repeats nothing")
        var statfs = client.send(.tstatfs) { $0.u32(0) }
        #expect(statfs.type == NinePMessageType.rstatfs.rawValue)
        _ = try statfs.body.u32()
        #expect(try statfs.body.u32() > 0, "a block size")
    }

    @Test func createsWritesRenamesLinksAndDeletes() throws {
        let share = try NinePShare()
        let client = try Self.client(share)
        // Tlcreate: the fid becomes the new, open file.
        _ = client.walk(0, 1, [])
        var created = client.send(.tlcreate) { w in
            w.u32(1); w.string("new.txt"); w.u32(NineP.OpenFlag.readWrite); w.u32(0o640); w.u32(getgid())
        }
        #expect(created.type == NinePMessageType.rlcreate.rawValue)
        #expect(try created.body.qid().type == NineP.QidType.file)
        let data = Array("written through 9p".utf8)
        var written = client.send(.twrite) { $0.u32(1); $0.u64(0); $0.u32(UInt32(data.count)); $0.data(data) }
        #expect(try written.body.u32() == UInt32(data.count))
        #expect(client.read(1) == data)
        #expect(share.contents(share.root + "/new.txt") == data)
        var status = stat()
        #expect(stat(share.root + "/new.txt", &status) == 0 && status.st_mode & 0o777 == 0o640)
        // Tsetattr: truncate and chmod.
        let truncated = client.send(.tsetattr) { w in
            w.u32(1); w.u32(NineP.SetattrValid.size | NineP.SetattrValid.mode); w.u32(0o600); w.u32(0); w.u32(0); w.u64(7)
            for _ in 0..<4 { w.u64(0) }
        }
        #expect(truncated.type == NinePMessageType.rsetattr.rawValue)
        #expect(share.contents(share.root + "/new.txt") == Array(data.prefix(7)))
        #expect(stat(share.root + "/new.txt", &status) == 0 && status.st_mode & 0o777 == 0o600)
        client.clunk(1)

        // Tmkdir, Tsymlink, Treadlink, Tlink, Trenameat, Tunlinkat.
        #expect(client.send(.tmkdir) { $0.u32(0); $0.string("made"); $0.u32(0o755); $0.u32(getgid()) }.type == NinePMessageType.rmkdir.rawValue)
        #expect(client.send(.tsymlink) { $0.u32(0); $0.string("link"); $0.string("new.txt"); $0.u32(getgid()) }.type == NinePMessageType.rsymlink.rawValue)
        _ = client.walk(0, 2, ["link"])
        var target = client.send(.treadlink) { $0.u32(2) }
        #expect(try target.body.string() == Array("new.txt".utf8))
        #expect(client.open(2).errorCode == ELOOP, "a symlink is read, never opened by the server")
        _ = client.walk(0, 3, ["made"])
        _ = client.walk(0, 4, ["new.txt"])
        #expect(client.send(.tlink) { $0.u32(3); $0.u32(4); $0.string("hard.txt") }.type == NinePMessageType.rlink.rawValue)
        #expect(share.contents(share.root + "/made/hard.txt") == Array(data.prefix(7)))
        let renamed = client.send(.trenameat) { $0.u32(3); $0.string("hard.txt"); $0.u32(0); $0.string("moved.txt") }
        #expect(renamed.type == NinePMessageType.rrenameat.rawValue)
        #expect(share.contents(share.root + "/moved.txt") == Array(data.prefix(7)))
        #expect(client.send(.tunlinkat) { $0.u32(0); $0.string("made"); $0.u32(0) }.errorCode == EISDIR)
        #expect(client.send(.tunlinkat) { $0.u32(0); $0.string("made"); $0.u32(NineP.removeDirectory) }.type == NinePMessageType.runlinkat.rawValue)
        #expect(client.send(.tunlinkat) { $0.u32(0); $0.string("moved.txt"); $0.u32(0) }.type == NinePMessageType.runlinkat.rawValue)
        #expect(!FileManager.default.fileExists(atPath: share.root + "/made"))
        #expect(!FileManager.default.fileExists(atPath: share.root + "/moved.txt"))
        // Only FIFOs, sockets and plain files are made by Tmknod; a device node never.
        let device = client.send(.tmknod) { w in
            w.u32(0); w.string("disk"); w.u32(0o060600); w.u32(8); w.u32(0); w.u32(getgid())
        }
        #expect(device.errorCode == EPERM)
        #expect(client.send(.tmknod) { $0.u32(0); $0.string("fifo"); $0.u32(0o010600); $0.u32(0); $0.u32(0); $0.u32(getgid()) }.type == NinePMessageType.rmknod.rawValue)
        _ = client.walk(0, 5, ["fifo"])
        #expect(client.open(5).errorCode == EOPNOTSUPP, "a FIFO is not opened: the server would block")
        #expect(share.outsideListing() == ["secret.txt"])
    }

    @Test func readOnlyShareRefusesEveryChange() throws {
        let share = try NinePShare()
        let client = try Self.client(share, readOnly: true)
        _ = client.walk(0, 1, ["hello.txt"])
        #expect(client.open(1, flags: NineP.OpenFlag.readWrite).errorCode == EROFS)
        #expect(client.open(1, flags: NineP.OpenFlag.truncate).errorCode == EROFS)
        #expect(client.open(1).type == NinePMessageType.rlopen.rawValue)
        #expect(client.read(1) == NinePShare.hello)
        _ = client.walk(0, 2, [])
        #expect(client.send(.tlcreate) { $0.u32(2); $0.string("x"); $0.u32(1); $0.u32(0o644); $0.u32(0) }.errorCode == EROFS)
        #expect(client.send(.tmkdir) { $0.u32(0); $0.string("d"); $0.u32(0o755); $0.u32(0) }.errorCode == EROFS)
        #expect(client.send(.tunlinkat) { $0.u32(0); $0.string("hello.txt"); $0.u32(0) }.errorCode == EROFS)
        #expect(client.send(.trenameat) { $0.u32(0); $0.string("hello.txt"); $0.u32(0); $0.string("h") }.errorCode == EROFS)
        #expect(client.send(.tsymlink) { $0.u32(0); $0.string("s"); $0.string("t"); $0.u32(0) }.errorCode == EROFS)
        #expect(share.contents(share.root + "/hello.txt") == NinePShare.hello)
    }

    /// Every way out: `..` above the root, links pointing out (absolute, relative, to the
    /// parent, to a folder outside), names with `/`, NUL or `..` where one name is expected.
    @Test func escapesFail() throws {
        let share = try NinePShare()
        let client = try Self.client(share)
        var rootAttributes = client.send(.tgetattr) { $0.u32(0); $0.u64(NineP.getattrBasic) }
        _ = try rootAttributes.body.u64()
        let root = try rootAttributes.body.qid()
        // `..` from the root is the root; `..` twice then the name of the folder next to the
        // share finds nothing (a partial walk: the qids of the names found, and no new fid).
        #expect(client.walkedQids(0, 1, [".."])?.last == root)
        #expect(client.walkedQids(0, 2, ["sub", "..", ".."])?.last == root)
        #expect(client.walkedQids(0, 3, ["..", "..", "outside"]) == [root, root])
        #expect(client.walkedQids(0, 3, ["..", "outside", "secret.txt"]) == [root])
        #expect(client.walk(0, 3, ["outside"]).errorCode == ENOENT)
        #expect(client.open(3).errorCode == EBADF, "a partial walk makes no fid")
        // Links are walked to, never through; opening one is refused.
        for link in ["abs-link", "rel-link"] {
            #expect(client.walkedQids(0, 4, [link])?.first?.type == NineP.QidType.symlink)
            #expect(client.open(4).errorCode == ELOOP)
            client.clunk(4)
        }
        // Walking on from a link stops at the link.
        #expect(client.walkedQids(0, 5, ["abs-dir-link", "secret.txt"])?.map(\.type) == [NineP.QidType.symlink])
        #expect(client.walkedQids(0, 5, ["up-link", "outside", "secret.txt"])?.map(\.type) == [NineP.QidType.symlink])
        #expect(client.walkedQids(0, 5, ["sub", "up-link"])?.count == 1)
        #expect(client.walkedQids(0, 5, ["sub", "..", "up-link", "outside"])?.count == 3)
        #expect(client.open(5).errorCode == EBADF, "a partial walk makes no fid")
        // Names that are paths.
        for name in ["../outside/secret.txt", "/etc/passwd", "sub/../..", "a\0b", "", "."] {
            #expect(client.walk(0, 6, [name]).errorCode == EINVAL, "walk \(name.debugDescription)")
            #expect(client.send(.tmkdir) { $0.u32(0); $0.string(name); $0.u32(0o755); $0.u32(0) }.errorCode == EINVAL)
            #expect(client.send(.tunlinkat) { $0.u32(0); $0.string(name); $0.u32(0) }.errorCode == EINVAL)
            #expect(client.send(.trenameat) { $0.u32(0); $0.string("hello.txt"); $0.u32(0); $0.string(name) }.errorCode == EINVAL)
        }
        #expect(client.send(.tmkdir) { $0.u32(0); $0.string(".."); $0.u32(0o755); $0.u32(0) }.errorCode == EINVAL)
        // Creating through a link that points out: refused, nothing written outside.
        _ = client.walk(0, 7, [])
        let throughLink = client.send(.tlcreate) { w in
            w.u32(7); w.string("abs-link"); w.u32(NineP.OpenFlag.writeOnly | NineP.OpenFlag.truncate); w.u32(0o644); w.u32(0)
        }
        #expect(throughLink.errorCode == ELOOP)
        #expect(client.send(.tlink) { $0.u32(0); $0.u32(0); $0.string("../escape") }.errorCode == EINVAL)
        #expect(share.contents(share.outside + "/secret.txt") == NinePShare.secret)
        #expect(share.outsideListing() == ["secret.txt"])
    }

    /// A folder swapped for a link pointing out between the walk to it and its use: the fid
    /// holds the folder itself, and a new walk through the name meets the link and stops.
    @Test func folderSwappedForALinkAfterTheWalk() throws {
        let share = try NinePShare()
        let client = try Self.client(share)
        _ = client.walk(0, 1, ["sub"])
        #expect(rename(share.root + "/sub", share.root + "/sub-moved") == 0)
        #expect(symlink(share.outside, share.root + "/sub") == 0)
        let created = client.send(.tlcreate) { w in
            w.u32(1); w.string("secret.txt"); w.u32(NineP.OpenFlag.writeOnly | NineP.OpenFlag.truncate); w.u32(0o644); w.u32(0)
        }
        #expect(created.type == NinePMessageType.rlcreate.rawValue)
        #expect(FileManager.default.fileExists(atPath: share.root + "/sub-moved/secret.txt"), "made in the folder the fid holds")
        #expect(share.contents(share.outside + "/secret.txt") == NinePShare.secret)
        #expect(client.walkedQids(0, 2, ["sub", "secret.txt"])?.map(\.type) == [NineP.QidType.symlink], "the walk stops at the link")
        #expect(client.open(2).errorCode == EBADF)
        // A file swapped for a link pointing out between the walk and Tlopen: the open reaches
        // the file the walk found, never the link's target.
        _ = client.walk(0, 3, ["hello.txt"])
        #expect(rename(share.root + "/hello.txt", share.root + "/hello-aside.txt") == 0)
        #expect(symlink(share.outside + "/secret.txt", share.root + "/hello.txt") == 0)
        #expect(client.open(3).type == NinePMessageType.rlopen.rawValue)
        #expect(client.read(3) == NinePShare.hello)
        // `..` from inside a folder the client renamed follows the rename.
        _ = client.walk(0, 4, ["sub-moved"])
        #expect(client.send(.trenameat) { $0.u32(0); $0.string("sub-moved"); $0.u32(0); $0.string("renamed") }.type == NinePMessageType.rrenameat.rawValue)
        #expect(client.walkedQids(4, 5, ["..", "renamed", "secret.txt"])?.count == 3)
    }

    /// A rename race: a host thread swaps sub/ for a link to the outside folder and back as fast
    /// as it can, while the client walks to sub/secret.txt and reads what it finds. The secret is
    /// never read, however the two interleave.
    @Test func renameRaceNeverReachesOutside() throws {
        let share = try NinePShare()
        try Data(Array("inside\n".utf8)).write(to: URL(fileURLWithPath: share.root + "/sub/secret.txt"))
        let client = try Self.client(share)
        let stop = StopFlag()
        let root = share.root, outside = share.outside
        let swapper = Thread {
            while !stop.isSet {
                _ = rename(root + "/sub", root + "/sub-aside")
                _ = symlink(outside, root + "/sub")
                _ = unlink(root + "/sub")
                _ = rename(root + "/sub-aside", root + "/sub")
            }
        }
        swapper.start()
        var reads = 0, leaks = 0
        for _ in 0..<3000 {
            guard client.walkedQids(0, 1, ["sub", "secret.txt"])?.count == 2 else { continue }
            if client.open(1).type == NinePMessageType.rlopen.rawValue, let data = client.read(1) {
                reads += 1
                if data == NinePShare.secret { leaks += 1 }
            }
            client.clunk(1)
        }
        stop.set()
        while !swapper.isFinished { usleep(1000) }
        #expect(leaks == 0)
        #expect(reads > 0, "some walks landed between swaps")
    }

    /// Messages that break the protocol get an Rlerror with the errno that says how.
    @Test func malformedMessagesGetRlerror() throws {
        let share = try NinePShare()
        let client = try Self.client(share)
        let server = client.server
        func errorOf(_ bytes: [UInt8]) -> (tag: UInt16, code: Int32?)? {
            NinePTestClient.parse(server.handle(bytes)).map { ($0.tag, $0.errorCode) }
        }
        #expect(errorOf([])?.code == EPROTO)
        #expect(errorOf([1, 2, 3])?.tag == NineP.noTag)
        // size says more than arrived; size smaller than a header.
        #expect(errorOf([0xFF, 0, 0, 0, 120, 5, 0, 0, 0, 0, 0])?.code == EPROTO)
        #expect(errorOf([3, 0, 0, 0, 120, 5, 0])?.code == EPROTO)
        // size beyond msize (65536 agreed).
        var big = NinePWriter(type: .twrite, tag: 9)
        big.u32(0); big.u64(0); big.u32(70000); big.data([UInt8](repeating: 1, count: 70000))
        #expect(errorOf(big.finished())?.code == EMSGSIZE)
        // Unknown and reply types.
        #expect(errorOf([7, 0, 0, 0, 250, 1, 0])?.code == EOPNOTSUPP)
        #expect(errorOf([7, 0, 0, 0, NinePMessageType.rread.rawValue, 1, 0])?.code == EOPNOTSUPP)
        // A field cut short, a string longer than the message, a write whose count passes its data.
        #expect(errorOf([9, 0, 0, 0, NinePMessageType.tclunk.rawValue, 4, 0, 0, 0])?.code == EPROTO)
        var walk = NinePWriter(type: .twalk, tag: 5)
        walk.u32(0); walk.u32(1); walk.u16(1); walk.u16(500); walk.data(Array("sub".utf8))
        #expect(errorOf(walk.finished())?.code == EPROTO)
        #expect(client.send(.twrite) { $0.u32(0); $0.u64(0); $0.u32(100); $0.data([1, 2, 3]) }.errorCode == EPROTO)
        // Unknown fids, fids in use, too many names, huge counts.
        #expect(client.send(.tclunk) { $0.u32(77) }.errorCode == EBADF)
        #expect(client.open(77).errorCode == EBADF)
        _ = client.walk(0, 1, [])
        #expect(client.walk(0, 1, ["sub"]).errorCode == EBADF, "newfid in use")
        #expect(client.walk(0, 2, Array(repeating: "sub", count: 17)).errorCode == EINVAL)
        _ = client.walk(0, 3, ["hello.txt"])
        _ = client.open(3)
        var huge = client.send(.tread) { $0.u32(3); $0.u64(0); $0.u32(.max) }
        #expect(try huge.body.u32() == UInt32(NinePShare.hello.count))
        #expect(client.send(.tread) { $0.u32(3); $0.u64(.max); $0.u32(10) }.errorCode == EINVAL)
        #expect(client.open(3).errorCode == EBADF, "opened twice")
        #expect(client.send(.tunlinkat) { $0.u32(0); $0.string("hello.txt"); $0.u32(0xFFFF) }.errorCode == EINVAL)
        #expect(client.send(.tattach) { $0.u32(8); $0.u32(5); $0.string(""); $0.string(""); $0.u32(0) }.errorCode == EOPNOTSUPP)
        // A read's data is cut to the room the transport has.
        var small = NinePWriter(type: .tread, tag: 4)
        small.u32(3); small.u64(0); small.u32(4096)
        let reply = try #require(NinePTestClient.parse(server.handle(small.finished(), replyLimit: 16)))
        var body = reply.body
        #expect(try body.u32() == 5)
    }

    /// Thousands of random and mutated messages: every reply is a well-formed R-message with the
    /// request's tag, no file outside the share appears or changes, and the server still works.
    @Test func fuzzedMessagesNeverBreakTheServer() throws {
        let share = try NinePShare()
        let client = try Self.client(share)
        let server = client.server
        // Valid messages to mutate, over fids 0-3 and the share's names.
        var seeds: [[UInt8]] = []
        func message(_ type: NinePMessageType, _ fill: (inout NinePWriter) -> Void) {
            var w = NinePWriter(type: type, tag: 1)
            fill(&w)
            seeds.append(w.finished())
        }
        for names in [["sub"], [".."], ["hello.txt"], ["abs-link"], ["up-link"], ["sub", "..", ".."]] {
            message(.twalk) { w in w.u32(0); w.u32(1); w.u16(UInt16(names.count)); for n in names { w.string(n) } }
        }
        message(.tlopen) { $0.u32(1); $0.u32(0) }
        message(.tread) { $0.u32(1); $0.u64(0); $0.u32(4096) }
        message(.twrite) { $0.u32(1); $0.u64(0); $0.u32(4); $0.data([1, 2, 3, 4]) }
        message(.treaddir) { $0.u32(1); $0.u64(0); $0.u32(4096) }
        message(.tgetattr) { $0.u32(1); $0.u64(NineP.getattrBasic) }
        message(.tsetattr) { w in w.u32(1); w.u32(0x1FF); w.u32(0o644); w.u32(0); w.u32(0); w.u64(3); for _ in 0..<4 { w.u64(0) } }
        message(.tlcreate) { $0.u32(1); $0.string("f"); $0.u32(2); $0.u32(0o644); $0.u32(0) }
        message(.tmkdir) { $0.u32(0); $0.string("d"); $0.u32(0o755); $0.u32(0) }
        message(.tsymlink) { $0.u32(0); $0.string("s"); $0.string("/etc"); $0.u32(0) }
        message(.trenameat) { $0.u32(0); $0.string("d"); $0.u32(1); $0.string("e") }
        message(.tunlinkat) { $0.u32(0); $0.string("f"); $0.u32(0) }
        message(.tlink) { $0.u32(0); $0.u32(1); $0.string("l") }
        message(.treadlink) { $0.u32(1) }
        message(.tstatfs) { $0.u32(0) }
        message(.tfsync) { $0.u32(1); $0.u32(0) }
        message(.tclunk) { $0.u32(1) }
        message(.tflush) { $0.u16(1) }
        message(.tmknod) { $0.u32(0); $0.string("n"); $0.u32(0o020600); $0.u32(1); $0.u32(1); $0.u32(0) }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random() -> UInt64 {
            // xorshift64*: a fixed sequence, so a failure repeats.
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        for round in 0..<5000 {
            var bytes = seeds[Int(random() % UInt64(seeds.count))]
            switch random() % 6 {
            case 0:  // random bytes
                bytes = (0..<Int(random() % 64)).map { _ in UInt8(truncatingIfNeeded: random()) }
            case 1:  // truncated, size kept
                bytes = Array(bytes.prefix(Int(random() % UInt64(bytes.count + 1))))
            case 2:  // truncated, size fixed up: fields run out
                bytes = Array(bytes.prefix(max(7, Int(random() % UInt64(bytes.count + 1)))))
                let n = UInt32(bytes.count)
                for i in 0..<4 { bytes[i] = UInt8(truncatingIfNeeded: n >> (8 * UInt32(i))) }
            default:  // a few bytes flipped past the size field
                for _ in 0..<(1 + Int(random() % 4)) where bytes.count > 4 {
                    bytes[4 + Int(random() % UInt64(bytes.count - 4))] = UInt8(truncatingIfNeeded: random())
                }
            }
            let reply = server.handle(bytes)
            let parsed = try #require(NinePTestClient.parse(reply), "round \(round): reply \(reply) to \(bytes)")
            #expect(parsed.type & 1 == 1, "round \(round): an R-message")
            if bytes.count >= 7, reply.count >= 7 {
                #expect(parsed.tag == UInt16(bytes[5]) | UInt16(bytes[6]) << 8, "round \(round): the request's tag")
            }
            if round % 500 == 0 {
                // A fresh session keeps the fid count bounded, as a client's Tversion would.
                client.start()
            }
        }
        #expect(share.outsideListing() == ["secret.txt"])
        #expect(share.contents(share.outside + "/secret.txt") == NinePShare.secret)
        client.start()
        _ = client.walk(0, 1, ["hello.txt"])
        _ = client.open(1)
        #expect(client.read(1)?.isEmpty == false, "the server still serves after the fuzzing")
    }
}
