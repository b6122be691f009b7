import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// Debian's Linux on virtio-blk-device: the kit's /init loads virtio_mmio, virtio_blk, virtio_rng
/// and ext4, mounts an ext4 image made on the host with `mkfs.ext4 -d`, reads a file, writes one,
/// unmounts, and reads /dev/hwrng (`kit.test=virtio-disk`). Afterwards `fsck.ext4 -n` finds the
/// image clean and the written file is in it; QEMU running the same command line prints the same
/// /init lines. Both virtio-mmio versions.
@Suite(.serialized) struct VirtioLinuxTests {
    static let expected = [
        "kernel-kit: running test virtio-disk",
        "kernel-kit: serial VBDISK",
        "kernel-kit: mounted /dev/vda",
        "kernel-kit: hello.txt says hello from the host",
        "kernel-kit: guest.txt says written by the guest",
        "kernel-kit: unmounted",
        "kernel-kit: hwrng gave 16 bytes",
        "kernel-kit: powering off",
    ]

    static func initLines(_ output: String) -> [String] {
        output.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix("kernel-kit: ") }
    }

    /// A fresh 8 MiB ext4 image holding hello.txt, made as a user makes one.
    static func makeImage() throws -> String {
        let hello = ProcessRunner.temporaryFile("hello.txt", Array("hello from the host\n".utf8))
        defer { ProcessRunner.remove(hello) }
        // In a folder of its own: mkfs.ext4 -d copies everything in the folder it is given.
        let image = ProcessRunner.temporaryFile("fs.img", [])
        let made = ProcessRunner.run(e2fs("mkfs.ext4"), ["-q", "-F", "-d", ProcessRunner.directory(of: hello), image, "8M"], timeout: 60)
        try #require(made.status == 0, "mkfs.ext4: \(made.stderr)")
        return image
    }

    static func arguments(image: String, forceLegacy: String) -> [String] {
        let kit = Tool.kernelKitDirectory
        return ["-M", "virt", "-m", "1G", "-nographic", "-kernel", kit + "/Image", "-initrd", kit + "/initrd.gz",
                "-append", "console=ttyS0 kit.test=virtio-disk", "-global", "virtio-mmio.force-legacy=\(forceLegacy)",
                "-drive", "file=\(image),if=none,format=raw,id=x0", "-device", "virtio-blk-device,drive=x0,serial=VBDISK",
                "-device", "virtio-rng-device"]
    }

    /// One of e2fsprogs' programs, where `Tool.e2fsprogs` looks for them.
    static func e2fs(_ name: String) -> String {
        ["/usr/sbin/", "/sbin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? name
    }

    /// `fsck.ext4 -n` (a read-only check: 0 when clean) and the guest's file as debugfs reads it.
    static func check(_ image: String) throws -> (fsck: Int32, guestFile: String) {
        let fsck = ProcessRunner.run(e2fs("fsck.ext4"), ["-n", image], timeout: 60)
        let read = ProcessRunner.run(e2fs("debugfs"), ["-R", "cat /guest.txt", image], timeout: 60)
        return (fsck.status, read.stdout)
    }

    @Test(.requires(.kernelKitVirtio, .e2fsprogs), arguments: ["true", "false"])
    func linuxMountsWritesAndLeavesACleanFileSystem(forceLegacy: String) throws {
        let image = try Self.makeImage()
        defer { ProcessRunner.remove(image) }
        let result = try ProcessRunner.runVirtBench(["run"] + Self.arguments(image: image, forceLegacy: forceLegacy), timeout: 300)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(3000))")
        #expect(Self.initLines(result.stdout).filter { !$0.contains("running /etc") } == Self.expected, "\(result.stdout.suffix(3000))")
        let (fsck, guestFile) = try Self.check(image)
        #expect(fsck == 0, "fsck.ext4 -n found problems")
        #expect(guestFile == "written by the guest\n")
    }

    /// The same run on a qcow2 overlay over a qcow2 base, both made with `virtbench image`: the
    /// guest's writes land in the overlay, which qemu-img then finds clean and holding a clean
    /// file system with the guest's file; the base is byte for byte what it was. A dirty bitmap
    /// on the overlay records the guest's writes and is stored when the run ends: an
    /// incremental backup from it holds every cluster the guest wrote.
    @Test(.requires(.kernelKitVirtio, .e2fsprogs, .qemuImageTools)) func linuxWritesToAQcow2OverlayOnAQcow2Base() throws {
        let raw = try Self.makeImage()
        let folder = ProcessRunner.directory(of: raw)
        let base = folder + "/base.qcow2", overlay = folder + "/overlay.qcow2", flattened = folder + "/flat.raw"
        let backup = folder + "/backup.qcow2"
        defer { for path in [base, overlay, flattened, backup] { unlink(path) }; ProcessRunner.remove(raw) }
        let converted = try ProcessRunner.runVirtBench(["image", "convert", "-f", "raw", "-O", "qcow2", raw, base], timeout: 60)
        #expect(converted.status == 0, "\(converted.stderr)")
        let created = try ProcessRunner.runVirtBench(["image", "create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", overlay], timeout: 60)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try ProcessRunner.runVirtBench(["image", "bitmap", "--add", overlay, "cbt"], timeout: 60).status == 0)
        let baseBefore = try #require(FileManager.default.contents(atPath: base))
        var arguments = Self.arguments(image: overlay, forceLegacy: "false")
        let drive = try #require(arguments.firstIndex(of: "-drive"))
        arguments[drive + 1] = "file=\(overlay),if=none,format=qcow2,id=x0"
        let result = try ProcessRunner.runVirtBench(["run"] + arguments, timeout: 300)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(3000))")
        #expect(Self.initLines(result.stdout).filter { !$0.contains("running /etc") } == Self.expected, "\(result.stdout.suffix(3000))")
        let qemuImg = try #require(Tool.qemuImageTools.path)
        let check = ProcessRunner.run(qemuImg, ["check", overlay], timeout: 60)
        #expect(check.status == 0, "qemu-img check: \(check.stdout)\(check.stderr)")
        #expect(FileManager.default.contents(atPath: base) == baseBefore, "the base image changed")
        let flatten = ProcessRunner.run(qemuImg, ["convert", "-O", "raw", overlay, flattened], timeout: 60)
        #expect(flatten.status == 0, "\(flatten.stderr)")
        let (fsck, guestFile) = try Self.check(flattened)
        #expect(fsck == 0, "fsck.ext4 -n found problems")
        #expect(guestFile == "written by the guest\n")
        // The bitmap was stored at the end of the run (not left in use) and covers every
        // cluster the overlay holds: all of them came from the guest's writes.
        let info = ProcessRunner.run(qemuImg, ["info", "--output=json", overlay], timeout: 60)
        #expect(info.stdout.contains("\"auto\"") && !info.stdout.contains("in-use"), "\(info.stdout)")
        let backedUp = try ProcessRunner.runVirtBench(["image", "backup", "--bitmap", "cbt", "--bitmap-mode", "never", overlay, backup], timeout: 60)
        #expect(backedUp.status == 0, "\(backedUp.stderr)")
        func ownRanges(_ image: String) throws -> [Range<Int>] {
            let map = ProcessRunner.run(qemuImg, ["map", "--output=json", image], timeout: 60)
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(map.stdout.utf8)) as? [[String: Any]])
            return entries.filter { $0["depth"] as? Int == 0 && ($0["data"] as? Bool == true || $0["zero"] as? Bool == true) && $0["present"] as? Bool == true }
                .compactMap { entry in (entry["start"] as? Int).flatMap { start in (entry["length"] as? Int).map { start ..< start + $0 } } }
        }
        let written = try ownRanges(overlay), copied = try ownRanges(backup)
        #expect(!written.isEmpty)
        for range in written {
            #expect(copied.contains { $0.lowerBound <= range.lowerBound && range.upperBound <= $0.upperBound } ||
                    copied.filter { $0.overlaps(range) }.reduce(0) { $0 + $1.clamped(to: range).count } == range.count,
                    "the guest's cluster range \(range) is missing from the incremental backup")
        }
    }

    @Test(.requires(.kernelKitVirtio, .e2fsprogs, .qemuSystemRISCV64)) func qemuPrintsTheSameLines() throws {
        let image = try Self.makeImage()
        defer { ProcessRunner.remove(image) }
        let qemu = ProcessRunner.run(try #require(Tool.qemuSystemRISCV64.path), Self.arguments(image: image, forceLegacy: "true"), timeout: 300)
        #expect(qemu.status == 0 && !qemu.timedOut, "\(qemu.stderr)")
        #expect(Self.initLines(qemu.stdout) == Self.expected, "\(qemu.stdout.suffix(3000))")
        #expect(try Self.check(image).fsck == 0)
    }
}
