import Foundation
import Testing
import TestSupport

/// Debian's U-Boot (M-mode, `-bios none`) finds virtio-blk-device and loads a file from an ext4
/// image made with `mkfs.ext4 -d`: `virtio scan; ls virtio 0; load virtio 0 ${kernel_addr_r} file1;
/// crc32 ${kernel_addr_r} ${filesize}` prints the listing and checksum QEMU prints for the same
/// command line, on both virtio-mmio versions (issue 18, "Must show" 2).
@Suite(.serialized) struct VirtioUBootTests {
    static let command = "virtio scan; ls virtio 0; load virtio 0 ${kernel_addr_r} file1; crc32 ${kernel_addr_r} ${filesize}"

    /// The transcript after the command, up to the next prompt, without the load's timing line.
    static func session(_ executable: String, _ arguments: [String], command: String = VirtioUBootTests.command) throws -> [String] {
        let p = try InteractiveProcess(executable, arguments)
        defer { p.terminate() }
        try p.waitFor("autoboot", timeout: 120)
        p.send(" ")
        try p.waitFor("=> ", timeout: 30)
        let start = p.output.count
        p.send(command + "\r")
        // The next prompt, at the start of a line: crc32's own output contains "==> ".
        try p.waitFor("\n=> ", after: start + 1, timeout: 60)
        let text = String(decoding: p.output[start...].filter { $0 != 13 }, as: UTF8.self)
        // "100000 bytes read in 42 ms (2.3 MiB/s)": the time is the host's, not the guest's.
        return text.split(separator: "\n").map { line in
            line.contains(" bytes read in ") ? String(line.prefix { $0 != "i" }) : String(line)
        }
    }

    /// file1, 100,000 bytes of a fixed pattern (its CRC-32 is what both peers must print), on two
    /// fresh 8 MiB ext4 images made with `mkfs.ext4 -d`: one for each peer.
    struct Disks {
        let ours: String, theirs: String
        private let file1: String

        init() throws {
            var state: UInt32 = 0x1234_5678
            let bytes = (0..<100_000).map { _ -> UInt8 in
                state ^= state << 13; state ^= state >> 17; state ^= state << 5
                return UInt8(truncatingIfNeeded: state)
            }
            let file1 = ProcessRunner.temporaryFile("file1", bytes)
            func makeImage() throws -> String {
                let image = ProcessRunner.temporaryFile("fs.img", [])
                let made = ProcessRunner.run(VirtioLinuxTests.e2fs("mkfs.ext4"), ["-q", "-F", "-d", ProcessRunner.directory(of: file1), image, "8M"], timeout: 60)
                try #require(made.status == 0, "mkfs.ext4: \(made.stderr)")
                return image
            }
            (self.file1, ours, theirs) = (file1, try makeImage(), try makeImage())
        }

        func remove() { for path in [file1, ours, theirs] { ProcessRunner.remove(path) } }
    }

    @Test(.requires(.uBootMachineELF, .e2fsprogs, .qemuSystemRISCV64), arguments: ["true", "false"])
    func uBootLoadsAFileAsOnQEMU(forceLegacy: String) throws {
        let uBoot = try #require(Tool.uBootMachineELF.path)
        let virtbench = try #require(ProcessRunner.virtbenchPath)
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        let disks = try Disks()
        defer { disks.remove() }
        let (ourImage, theirImage) = (disks.ours, disks.theirs)
        func arguments(_ image: String) -> [String] {
            ["-M", "virt", "-m", "128M", "-nographic", "-bios", "none", "-kernel", uBoot,
             "-global", "virtio-mmio.force-legacy=\(forceLegacy)",
             "-drive", "file=\(image),if=none,format=raw,id=x0", "-device", "virtio-blk-device,drive=x0"]
        }
        let ours = try Self.session(virtbench, ["run"] + arguments(ourImage))
        let theirs = try Self.session(qemu, arguments(theirImage) + ["-monitor", "none", "-serial", "stdio"])
        #expect(ours.contains("          100000 file1"), "\(ours)")
        #expect(ours.contains { $0.hasPrefix("crc32 for 84000000 ... 8401869f ==> ") }, "\(ours)")
        #expect(ours == theirs, "VirtBench:\n\(ours.joined(separator: "\n"))\nQEMU:\n\(theirs.joined(separator: "\n"))")
    }
}
