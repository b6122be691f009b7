import Foundation
import Harness
import Testing
import TestSupport

/// Issue 18, must-show 1: a teaching OS (Corpus/teachos) booted with xv6's QEMU line passes its
/// own test suite on VirtBench as on QEMU 7.2: the same test lines, the same count, and a second
/// boot of the same disk finds what the first wrote. Both peers get an image from the same mkfs
/// and the same words after the binary, run in a folder holding `kernel` and `fs.img`.
@Suite struct TeachingOSTests {
    /// A fresh folder with the built kernel as `kernel` and a new image as `fs.img`.
    static func makeFolder() throws -> String {
        let builder = try CorpusBuilder.forThisPackage()
        let kernel = try builder.build(TeachingOS.kernel)
        let mkfs = try builder.build(TeachingOS.mkfs)
        let folder = ProcessRunner.directory(of: ProcessRunner.temporaryFile("kernel", Array(try Data(contentsOf: kernel))))
        let made = ProcessRunner.run(mkfs.path, [folder + "/fs.img"], timeout: 20)
        #expect(made.status == 0, "mkfs: \(made.stderr)")
        return folder
    }

    static func removeFolder(_ folder: String) {
        for name in ["kernel", "fs.img"] { try? FileManager.default.removeItem(atPath: folder + "/" + name) }
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Runs `executable arguments` with `folder` as the working directory.
    static func run(_ executable: String, _ arguments: [String], in folder: String) -> ProcessResult {
        let result = ProcessRunner.run("/bin/sh", ["-c", "cd \"$1\" && shift && exec \"$@\"", "sh", folder, executable] + arguments, timeout: 180)
        #expect(!result.timedOut, "\(executable) \(arguments) did not finish")
        return result
    }

    static func testLines(_ output: String) -> [Substring] {
        output.split(separator: "\n").filter { $0.hasPrefix("test ") }
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func passesItsOwnTestSuiteOnBothPeersTwice() throws {
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        let virtbench = try #require(ProcessRunner.virtbenchPath)
        let theirs = try Self.makeFolder(), ours = try Self.makeFolder()
        defer { Self.removeFolder(theirs); Self.removeFolder(ours) }
        let fresh = try Data(contentsOf: URL(fileURLWithPath: ours + "/fs.img"))
        let summary = "teachos: \(TeachingOS.testCount)/\(TeachingOS.testCount) tests passed\n"

        for boot in 1...2 {
            let reference = Self.run(qemu, TeachingOS.commandLine, in: theirs)
            let result = Self.run(virtbench, ["run"] + TeachingOS.commandLine, in: ours)
            #expect(reference.status == 0 && reference.stdout.hasSuffix(summary), "QEMU, boot \(boot): \(reference.stdout)\(reference.stderr)")
            #expect(result.status == 0 && result.stdout.hasSuffix(summary), "VirtBench, boot \(boot): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.isEmpty, "\(result.stderr)")
            let lines = Self.testLines(result.stdout)
            #expect(lines == Self.testLines(reference.stdout))
            #expect(lines.count == TeachingOS.testCount && lines.allSatisfy { $0.hasSuffix(": ok") }, "\(lines)")
            #expect(result.stdout == reference.stdout)
            // The second boot checks the 4 KiB the first wrote and flushed, and counts itself.
            #expect(result.stdout.contains("persist: this is boot \(boot) of this image\n"))
        }
        // Both left the same bytes on their disks, and those are not mkfs's.
        let ourImage = try Data(contentsOf: URL(fileURLWithPath: ours + "/fs.img"))
        #expect(ourImage == (try Data(contentsOf: URL(fileURLWithPath: theirs + "/fs.img"))))
        #expect(ourImage != fresh && ourImage.count == fresh.count)
    }

    /// The line as it is written, without `-machine virt`: QEMU 7.2's default board is
    /// `spike`, which has no virtio-mmio bus, so QEMU refuses it; VirtBench has one board, virt,
    /// and boots it, passing every test.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func withoutMachineVirtQEMUPicksSpike() throws {
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        let virtbench = try #require(ProcessRunner.virtbenchPath)
        let folder = try Self.makeFolder()
        defer { Self.removeFolder(folder) }
        let line = Array(TeachingOS.commandLine.dropFirst(2))
        #expect(line.first == "-bios")
        let reference = Self.run(qemu, line, in: folder)
        #expect(reference.status == 1 && reference.stderr.contains("Bus 'virtio-mmio-bus.0' not found"), "\(reference.stderr)")
        let result = Self.run(virtbench, ["run"] + line, in: folder)
        #expect(result.status == 0 && result.stdout.hasSuffix(TeachingOS.kernel.expectedFinalLine + "\n"), "\(result.stdout)\(result.stderr)")
    }

    /// mkfs makes the same image every time, so both peers start from the same bytes.
    @Test(.requires(.corpusToolchain)) func mkfsIsDeterministic() throws {
        let first = try Self.makeFolder(), second = try Self.makeFolder()
        defer { Self.removeFolder(first); Self.removeFolder(second) }
        let image = try Data(contentsOf: URL(fileURLWithPath: first + "/fs.img"))
        #expect(image == (try Data(contentsOf: URL(fileURLWithPath: second + "/fs.img"))))
        #expect(image.count == 2048 * 1024)
        #expect(image[1024..<1028] == Data("TOS1".utf8), "the superblock's magic in block 1")
    }
}
