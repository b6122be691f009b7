import Foundation
import Testing
import TestSupport

/// Debian's Linux mounts a host folder over virtio-9p (9P2000.L) and uses it (`kit.test=9p`):
/// it lists the share, reads a host file whose SHA-256 matches the host's, writes a file the host
/// then reads with the guest's SHA-256, renames, links and deletes; and every way out of the
/// share the test plants (links pointing out, absolute and relative, a link to the parent, `..`
/// past the mount) shows nothing of the host's secret next to the share. On the native board with
/// -fsdev and virtio-9p-device, with -virtfs (virtio-9p-pci), under --mode hav in a domain's
/// virtio-mmio slot, and on QEMU with the same -virtfs, which must print the same lines.
@Suite(.serialized) struct NinePLinuxTests {
    /// A share next to a secret it must not reveal.
    final class Share {
        let folder: String
        let root: String
        let secretWord: String
        let helloHash: String

        init() throws {
            folder = NSTemporaryDirectory() + "virtio-9p-linux-" + UUID().uuidString
            root = folder + "/share"
            secretWord = "HOSTSECRET\(UInt32.random(in: 1_000_000 ... 9_999_999))"
            let files = FileManager.default
            try files.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
            try files.createDirectory(atPath: folder + "/outside", withIntermediateDirectories: true)
            var generator = SystemRandomNumberGenerator()
            let hello = (0..<100_000).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            try Data(hello).write(to: URL(fileURLWithPath: root + "/hello.bin"))
            try Data((secretWord + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/outside/secret.txt"))
            try files.createSymbolicLink(atPath: root + "/abs-link", withDestinationPath: folder + "/outside/secret.txt")
            try files.createSymbolicLink(atPath: root + "/rel-link", withDestinationPath: "../outside/secret.txt")
            try files.createSymbolicLink(atPath: root + "/sub/out-link", withDestinationPath: "../../outside/secret.txt")
            try files.createSymbolicLink(atPath: root + "/up-link", withDestinationPath: "..")
            helloHash = try Self.sha256(root + "/hello.bin")
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }

        static func sha256(_ path: String) throws -> String {
            let result = ProcessRunner.run("/usr/bin/sha256sum", [path], timeout: 30)
            try #require(result.status == 0, "sha256sum: \(result.stderr)")
            return String(result.stdout.prefix(64))
        }

        var append: String { "console=ttyS0 kit.test=9p kit.9p-secret=\(secretWord)" }
    }

    static func kitArguments(_ share: Share) -> [String] {
        let kit = Tool.kernelKitDirectory
        return ["-M", "virt", "-m", "1G", "-nographic", "-kernel", kit + "/Image", "-initrd", kit + "/initrd.gz", "-append", share.append]
    }

    static func virtfs(_ share: Share) -> [String] {
        ["-virtfs", "local,path=\(share.root),mount_tag=share,security_model=none"]
    }

    static func fsdevice(_ share: Share) -> [String] {
        ["-fsdev", "local,id=fs0,path=\(share.root),security_model=none", "-device", "virtio-9p-device,fsdev=fs0,mount_tag=share"]
    }

    /// Checks the guest's lines against the share, and returns them with the SHA-256 of the
    /// guest's random file taken out (it differs from run to run).
    static func check(_ result: ProcessResult, _ share: Share, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        #expect(result.status == 0 && !result.timedOut, "\(result.stderr)\n\(result.stdout.suffix(3000))", sourceLocation: sourceLocation)
        let lines = KernelKitTests.initLines(result.stdout)
        let context = lines.joined(separator: "\n")
        #expect(lines.contains("kernel-kit: 9p mounted share"), "\(context)\n\(result.stdout.suffix(2000))", sourceLocation: sourceLocation)
        #expect(lines.contains("kernel-kit: 9p listing abs-link hello.bin rel-link sub up-link "), "\(context)", sourceLocation: sourceLocation)
        #expect(lines.contains("kernel-kit: 9p hello.bin 100000 bytes sha256 \(share.helloHash)"), "\(context)", sourceLocation: sourceLocation)
        let wrote = try #require(lines.first { $0.hasPrefix("kernel-kit: 9p wrote guest.bin sha256 ") }, "\(context)", sourceLocation: sourceLocation)
        let hashes = wrote.split(separator: " ").filter { $0.count == 64 }.map(String.init)
        #expect(hashes.count == 2 && hashes[0] == hashes[1], "the guest read back what it wrote: \(wrote)", sourceLocation: sourceLocation)
        #expect(try Share.sha256(share.root + "/guest.bin") == hashes.first, "the host reads what the guest wrote", sourceLocation: sourceLocation)
        for line in ["kernel-kit: 9p renamed: second.txt says made by the guest", "kernel-kit: 9p symlink to second.txt reads made by the guest",
                     "kernel-kit: 9p deleted made", "kernel-kit: 9p df has blocks", "kernel-kit: 9p unmounted", "kernel-kit: powering off"] {
            #expect(lines.contains(line), "\(line) in \(context)", sourceLocation: sourceLocation)
        }
        #expect(!FileManager.default.fileExists(atPath: share.root + "/made"), "the guest's folder was deleted on the host", sourceLocation: sourceLocation)
        let escapes = lines.filter { $0.hasPrefix("kernel-kit: 9p escape ") }
        #expect(escapes.count == 6 && escapes.allSatisfy { $0.hasSuffix(" refused") }, "\(escapes)", sourceLocation: sourceLocation)
        #expect(try String(contentsOfFile: share.folder + "/outside/secret.txt", encoding: .utf8) == share.secretWord + "\n",
                sourceLocation: sourceLocation)
        return lines.map { $0.hasPrefix("kernel-kit: 9p wrote guest.bin") ? "kernel-kit: 9p wrote guest.bin (random)" : $0 }
    }

    @Test(.requires(.kernelKit9p)) func linuxMountsAShareOnVirtio9PDevice() throws {
        let share = try Share()
        let result = try ProcessRunner.runVirtBench(["run"] + Self.kitArguments(share) + Self.fsdevice(share) + ["--summary"], timeout: 300)
        _ = try Self.check(result, share)
        #expect(result.stderr.contains("virtio-9p"), "the summary names the device: \(result.stderr)")
    }

    /// -virtfs, on virtio-9p-pci as QEMU makes it, and QEMU beside it printing the same lines.
    @Test(.requires(.kernelKit9p, .qemuSystemRISCV64)) func virtfsMatchesQEMU() throws {
        let ours = try Share()
        let result = try ProcessRunner.runVirtBench(["run"] + Self.kitArguments(ours) + Self.virtfs(ours), timeout: 300)
        let ourLines = try Self.check(result, ours)
        let theirs = try Share()
        let qemu = ProcessRunner.run(try #require(Tool.qemuSystemRISCV64.path), Self.kitArguments(theirs) + Self.virtfs(theirs), timeout: 300)
        let qemuLines = try Self.check(qemu, theirs)
        // The hello.bin line names each share's own random file.
        let comparable = { (lines: [String]) in lines.filter { !$0.hasPrefix("kernel-kit: 9p hello.bin") } }
        #expect(comparable(ourLines) == comparable(qemuLines))
    }

    @Test(.requires(.kernelKit9p)) func linuxMountsAShareUnderHAV() throws {
        let share = try Share()
        let result = try ProcessRunner.runVirtBench(["run", "--mode", "hav"] + Self.kitArguments(share) + Self.fsdevice(share), timeout: 600)
        _ = try Self.check(result, share)
    }

    /// A read-only share: the guest reads, and every write fails, leaving the folder as it was.
    @Test(.requires(.kernelKit9p)) func readOnlyShareKeepsTheHostFolderUnchanged() throws {
        let share = try Share()
        let arguments = ["run"] + Self.kitArguments(share)
            + ["-fsdev", "local,id=fs0,path=\(share.root),security_model=none,readonly=on", "-device", "virtio-9p-device,fsdev=fs0,mount_tag=share"]
        let result = try ProcessRunner.runVirtBench(arguments, timeout: 300)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = KernelKitTests.initLines(result.stdout)
        #expect(lines.contains("kernel-kit: 9p hello.bin 100000 bytes sha256 \(share.helloHash)"), "\(lines)")
        #expect(!FileManager.default.fileExists(atPath: share.root + "/guest.bin"))
        #expect(!FileManager.default.fileExists(atPath: share.root + "/made"))
        #expect(!lines.contains("kernel-kit: 9p deleted made"), "\(lines)")
    }

    /// Wrong or missing options: one clear error line and status 1, before any guest runs.
    @Test func badOptionsAreRefused() throws {
        let folder = NSTemporaryDirectory()
        let cases: [([String], String)] = [
            (["-fsdev", "local,id=a,path=\(folder)"], "security_model property not set"),
            (["-fsdev", "local,id=a,path=\(folder),security_model=mapped-xattr"], "security_model=mapped-xattr is not available"),
            (["-fsdev", "proxy,id=a,sock_fd=3,security_model=none"], "fsdev driver proxy is not available"),
            (["-fsdev", "local,path=\(folder),security_model=none"], "fsdev id= is required"),
            (["-fsdev", "local,id=a,security_model=none"], "path property not set"),
            (["-fsdev", "local,id=a,path=\(folder),security_model=none,multidevs=remap"], "multidevs= is not available"),
            (["-fsdev", "local,id=a,path=\(folder),security_model=none,bogus=1"], "Invalid parameter 'bogus'"),
            (["-fsdev", "local,id=a,path=\(folder),security_model=none", "-device", "virtio-9p-device,fsdev=a"], "needs mount_tag"),
            (["-device", "virtio-9p-device,fsdev=nope,mount_tag=t"], "couldn't find fsdev with the id = nope"),
            (["-device", "virtio-9p-device,mount_tag=t"], "couldn't find fsdev with the id = NULL"),
            (["-virtfs", "local,path=\(folder),security_model=none"], "mount_tag property not set"),
            (["-virtfs", "local,path=/nonexistent-9p-share,mount_tag=t,security_model=none", "-kernel", "/dev/null"], "cannot initialize fsdev 't'"),
            (["--mode", "hav", "-virtfs", "local,path=\(folder),mount_tag=t,security_model=none", "-kernel", "/dev/null"], "use -fsdev"),
            (["--mode", "full", "-fsdev", "local,id=a,path=\(folder),security_model=none", "-kernel", "/dev/null"], "-fsdev applies to --mode native and hav only"),
        ]
        for (arguments, fragment) in cases {
            let result = try ProcessRunner.runVirtBench(["run"] + arguments, timeout: 30)
            result.expectOneLineError(for: arguments, containing: fragment, sourceLocation: #_sourceLocation)
        }
    }
}
