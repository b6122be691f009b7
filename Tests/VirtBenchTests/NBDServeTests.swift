import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// `virtbench image serve` against QEMU's NBD clients (qemu-io, qemu-img), and the NBD client
/// drive (`-drive file=nbd://…`) against qemu-nbd and against `virtbench image serve`, with a
/// Linux guest on it (the virtio-disk kit test of VirtioLinuxTests, whose lines it must print).
@Suite(.serialized) struct NBDServeTests {
    static let size = 1 << 20

    /// A TCP port nobody listens on now (the kernel's pick, released for the peer to take).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        return UInt16(bigEndian: address.sin_port)
    }

    static func qemuImageTool(_ name: String) throws -> String {
        URL(fileURLWithPath: try #require(Tool.qemuImageTools.path)).deletingLastPathComponent().path + "/" + name
    }

    /// Waits for a process that is not our child (qemu-nbd after --fork) to end.
    static func waitForGone(_ pid: pid_t, timeout: Double) -> Bool {
        let deadline = ProcessRunner.now() + timeout
        while ProcessRunner.now() < deadline {
            // Reaped, or a zombie (this process may be the subreaper of --fork's orphan).
            if waitpid(pid, nil, WNOHANG) == pid || kill(pid, 0) != 0 { return true }
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
               let end = stat.lastIndex(of: ")"), stat[stat.index(end, offsetBy: 2)] == "Z" { return true }
            usleep(20_000)
        }
        return false
    }

    /// Whether serve printed its "listening on" line within 30 s (a Unix socket's has no port).
    static func waitForListening(_ server: SpawnedVirtBench) -> Bool {
        let deadline = ProcessRunner.now() + 30
        while ProcessRunner.now() < deadline {
            if server.stderr.contains("listening on") { return true }
            usleep(10_000)
        }
        return false
    }

    @Test(.requires(.virtbench, .qemuImageTools)) func qemuIOWritesAndReadsThroughVirtBenchServe() throws {
        let image = ProcessRunner.temporaryFile("disk.raw", [UInt8](repeating: 0, count: Self.size))
        defer { ProcessRunner.remove(image) }
        let server = try SpawnedVirtBench(["image", "serve", "-f", "raw", "--bind", "127.0.0.1", "--port", "0", "--export-name", "vol", "--persistent", image])
        let port = try #require(server.port(), "no 'listening on' line: \(server.stderr)")
        let uri = "nbd://127.0.0.1:\(port)/vol"
        let io = ProcessRunner.run(try Self.qemuImageTool("qemu-io"), ["-f", "raw", uri, "-c", "write -P 0xab 0 64k", "-c", "read -P 0xab 0 64k"], timeout: 60)
        #expect(io.status == 0, "qemu-io: \(io.stdout)\(io.stderr)")
        #expect(io.stdout.contains("wrote 65536/65536 bytes at offset 0"), "\(io.stdout)")
        #expect(io.stdout.contains("read 65536/65536 bytes at offset 0"), "\(io.stdout)")
        #expect(!io.stdout.contains("Pattern verification failed"), "\(io.stdout)")

        let info = ProcessRunner.run(try Self.qemuImageTool("qemu-img"), ["info", "-f", "raw", "--output=json", uri], timeout: 60)
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("\"virtual-size\": \(Self.size)"), "\(info.stdout)")

        let expected = [UInt8](repeating: 0xab, count: 65536) + [UInt8](repeating: 0, count: Self.size - 65536)
        let reference = ProcessRunner.temporaryFile("reference.raw", expected)
        defer { ProcessRunner.remove(reference) }
        let compare = ProcessRunner.run(try Self.qemuImageTool("qemu-img"), ["compare", "-f", "raw", "-F", "raw", reference, uri], timeout: 60)
        #expect(compare.status == 0, "qemu-img compare: \(compare.stdout)\(compare.stderr)")
        #expect(compare.stdout.contains("Images are identical"))

        // SIGTERM: connections closed, the image flushed, exit 0; the file holds qemu-io's bytes.
        kill(server.pid, SIGTERM)
        let ended = try #require(server.wait(timeout: 30), "serve did not exit on SIGTERM")
        #expect(ended.status == 0, "\(ended.stderr)")
        #expect(FileManager.default.contents(atPath: image).map(Array.init) == expected)
    }

    /// A qcow2 overlay over a raw base, served read-only as its guest view over a Unix socket:
    /// qemu-img compare finds it identical to the base; a writer is refused.
    @Test(.requires(.virtbench, .qemuImageTools)) func aQcow2OverlayIsServedAsItsGuestView() throws {
        let pattern = (0..<Self.size).map { UInt8(truncatingIfNeeded: $0 / 512 &* 31) }
        let base = ProcessRunner.temporaryFile("base.raw", pattern)
        let folder = ProcessRunner.directory(of: base)
        let overlay = folder + "/overlay.qcow2", socketPath = folder + "/nbd.sock"
        defer { unlink(overlay); ProcessRunner.remove(base) }
        let created = try ProcessRunner.runVirtBench(["image", "create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", overlay], timeout: 60)
        try #require(created.status == 0, "\(created.stderr)")
        let server = try SpawnedVirtBench(["image", "serve", "-f", "qcow2", "-r", "-t", "-k", socketPath, overlay])
        #expect(Self.waitForListening(server))
        #expect(server.stderr.contains("listening on unix socket \(socketPath)"), "\(server.stderr)")
        let uri = "nbd+unix:///?socket=\(socketPath)"
        let compare = ProcessRunner.run(try Self.qemuImageTool("qemu-img"), ["compare", "-f", "raw", "-F", "raw", base, uri], timeout: 60)
        #expect(compare.status == 0, "qemu-img compare: \(compare.stdout)\(compare.stderr)")
        // virtbench's own client: image info and convert read the export.
        let info = try ProcessRunner.runVirtBench(["image", "info", uri], timeout: 60)
        #expect(info.status == 0, "\(info.stderr)")
        #expect(info.stdout.contains("virtual size: 1 MiB (1048576 bytes)") && info.stdout.contains("disk size: unavailable"), "\(info.stdout)")
        let copy = folder + "/copy.raw"
        defer { unlink(copy) }
        let converted = try ProcessRunner.runVirtBench(["image", "convert", "-O", "raw", uri, copy], timeout: 60)
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(FileManager.default.contents(atPath: copy).map(Array.init) == pattern)
        let write = ProcessRunner.run(try Self.qemuImageTool("qemu-io"), ["-f", "raw", uri, "-c", "write -P 0x11 0 4k"], timeout: 60)
        #expect(write.status != 0 || !write.stdout.contains("wrote"), "a write to a read-only export: \(write.stdout)")
        kill(server.pid, SIGINT)
        #expect(server.wait(timeout: 30)?.status == 0)
        #expect(access(socketPath, F_OK) != 0, "the socket file is removed")
    }

    @Test(.requires(.virtbench)) func badServeArgumentsGetOneLine() throws {
        for (arguments, fragment) in [
            (["image", "serve", "-k", "/tmp/x.sock", "-p", "10809", "/nonexistent"], "cannot be combined"),
            (["image", "serve", "-p", "70000", "/nonexistent"], "Invalid port"),
            (["image", "serve", "-p", "0", "-b", "127.0.0.1", "/nonexistent/disk.img"], "Could not open"),
        ] {
            let result = try ProcessRunner.runVirtBench(arguments, timeout: 30)
            result.expectOneLineError(for: arguments, containing: fragment, sourceLocation: #_sourceLocation)
        }
        let drive = ["run", "-M", "virt", "-nographic", "-drive", "file=nbd://h:99999/x,if=none,id=d", "-device", "virtio-blk-device,drive=d", "-kernel", "/nonexistent"]
        try ProcessRunner.runVirtBench(drive, timeout: 30).expectOneLineError(for: drive, containing: "port", sourceLocation: #_sourceLocation)
        let qcow = ["run", "-M", "virt", "-nographic", "-drive", "file=nbd://h/x,if=none,id=d,format=qcow2", "-device", "virtio-blk-device,drive=d", "-kernel", "/nonexistent"]
        try ProcessRunner.runVirtBench(qcow, timeout: 30).expectOneLineError(for: qcow, containing: "over NBD", sourceLocation: #_sourceLocation)
    }

    /// The kit's virtio-disk test with its disk on an NBD export: the guest prints the lines it
    /// prints from a local file, and the image is a clean file system holding the guest's file.
    static func bootFromNBD(uri: String, image: String) throws {
        var arguments = VirtioLinuxTests.arguments(image: image, forceLegacy: "false")
        let drive = try #require(arguments.firstIndex(of: "-drive"))
        arguments[drive + 1] = "file=\(uri),if=none,format=raw,id=x0"
        let result = try ProcessRunner.runVirtBench(["run"] + arguments, timeout: 300)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(3000))")
        #expect(VirtioLinuxTests.initLines(result.stdout).filter { !$0.contains("running /etc") } == VirtioLinuxTests.expected,
                "\(result.stdout.suffix(3000))")
    }

    @Test(.requires(.virtbench, .kernelKitVirtio, .e2fsprogs, .qemuNBD)) func linuxBootsWithItsDiskServedByQemuNBD() throws {
        let image = try VirtioLinuxTests.makeImage()
        let pidFile = ProcessRunner.directory(of: image) + "/qemu-nbd.pid"
        defer { unlink(pidFile); ProcessRunner.remove(image) }
        let port = try Self.freePort()
        let qemuNBD = try #require(Tool.qemuNBD.path)
        // --fork returns once the server listens; -t keeps it for the test to stop.
        let started = ProcessRunner.run(qemuNBD, ["--fork", "--pid-file", pidFile, "-t", "-f", "raw", "-x", "disk", "-b", "127.0.0.1", "-p", String(port), image], timeout: 30)
        try #require(started.status == 0, "qemu-nbd: \(started.stderr)")
        let pid = try #require(pid_t(ProcessRunner.readFile(pidFile).trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        try Self.bootFromNBD(uri: "nbd://127.0.0.1:\(port)/disk", image: image)
        // qemu-nbd -t stays until it is told to stop; ProcessRunner starts it with SIGTERM unblocked.
        kill(pid, SIGTERM)
        #expect(Self.waitForGone(pid, timeout: 30), "qemu-nbd did not exit: \(ProcessRunner.readFile("/proc/\(pid)/status"))")
        let (fsck, guestFile) = try VirtioLinuxTests.check(image)
        #expect(fsck == 0, "fsck.ext4 -n found problems")
        #expect(guestFile == "written by the guest\n")
    }

    /// A qcow2 export with a dirty bitmap: a client's writes are recorded, and the bitmap is
    /// stored (no longer in use) when serve exits; an incremental backup then holds them.
    @Test(.requires(.virtbench, .qemuImageTools)) func aServedQcow2KeepsItsDirtyBitmap() throws {
        let placeholder = ProcessRunner.temporaryFile("placeholder", [])
        let folder = ProcessRunner.directory(of: placeholder)
        let image = folder + "/served.qcow2", socketPath = folder + "/nbd.sock", backup = folder + "/backup.qcow2"
        defer { unlink(image); unlink(backup); ProcessRunner.remove(placeholder) }
        #expect(try ProcessRunner.runVirtBench(["image", "create", "-q", "-f", "qcow2", image, "1M"], timeout: 60).status == 0)
        #expect(try ProcessRunner.runVirtBench(["image", "bitmap", "--add", image, "cbt"], timeout: 60).status == 0)
        let server = try SpawnedVirtBench(["image", "serve", "-f", "qcow2", "-k", socketPath, image])
        try #require(Self.waitForListening(server), "\(server.stderr)")
        let uri = "nbd+unix:///?socket=\(socketPath)"
        let write = ProcessRunner.run(try Self.qemuImageTool("qemu-io"), ["-f", "raw", uri, "-c", "write -P 0x11 200k 4k"], timeout: 60)
        #expect(write.status == 0, "\(write.stdout)\(write.stderr)")
        let ended = try #require(server.wait(timeout: 30), "serve did not exit after its client left")
        #expect(ended.status == 0, "\(ended.stderr)")
        let info = ProcessRunner.run(try Self.qemuImageTool("qemu-img"), ["info", image], timeout: 60)
        #expect(info.stdout.contains("[0]: auto") && !info.stdout.contains("in-use"), "\(info.stdout)")
        let backedUp = try ProcessRunner.runVirtBench(["image", "backup", "--bitmap", "cbt", image, backup], timeout: 60)
        #expect(backedUp.stdout == "Backed up 65536 bytes marked in bitmap 'cbt' to '\(backup)'\n", "\(backedUp.stdout)\(backedUp.stderr)")
    }

    @Test(.requires(.virtbench, .kernelKitVirtio, .e2fsprogs)) func linuxBootsWithItsDiskServedByVirtBench() throws {
        let image = try VirtioLinuxTests.makeImage()
        let socketPath = ProcessRunner.directory(of: image) + "/nbd.sock"
        defer { ProcessRunner.remove(image) }
        let server = try SpawnedVirtBench(["image", "serve", "-f", "raw", "-x", "disk", "-k", socketPath, image])
        try #require(Self.waitForListening(server), "\(server.stderr)")
        try Self.bootFromNBD(uri: "nbd+unix:///disk?socket=\(socketPath)", image: image)
        // Without --persistent the server exits, flushed, when its one client has gone.
        let ended = try #require(server.wait(timeout: 30), "serve did not exit after its client left")
        #expect(ended.status == 0, "\(ended.stderr)")
        let (fsck, guestFile) = try VirtioLinuxTests.check(image)
        #expect(fsck == 0, "fsck.ext4 -n found problems")
        #expect(guestFile == "written by the guest\n")
    }
}
