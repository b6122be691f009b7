import Foundation
import Testing
import TestSupport

/// Debian's Linux on `-device virtio-serial-device -device virtconsole,chardev=c0`: the kit's
/// /init (`kit.test=virtio-console`) moves its input and output to hvc0, reads a line there and
/// says what it read. With `-chardev stdio` the line comes from stdin (the UART off stdio, as
/// QEMU requires); with `-chardev file` it goes nowhere but the output lands in the file. QEMU
/// 7.2 running the same command line must give the same bytes.
@Suite(.serialized) struct VirtioConsoleLinuxTests {
    static let input = Array("typed on the host\n".utf8)

    static func arguments(chardev: String, serial: [String], forceLegacy: String = "true") -> [String] {
        let kit = Tool.kernelKitDirectory
        return ["-M", "virt", "-m", "1G", "-nographic"] + serial + ["-kernel", kit + "/Image", "-initrd", kit + "/initrd.gz",
                "-append", "console=ttyS0 kit.test=virtio-console", "-global", "virtio-mmio.force-legacy=\(forceLegacy)",
                "-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0", "-chardev", chardev]
    }

    static func initLines(_ output: String) -> [String] {
        output.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix("kernel-kit: ") }
    }

    /// The UART is off stdio (`-serial null -monitor none`), so stdout is hvc0 alone: the echo of
    /// the typed line by hvc0's terminal, then /init's lines.
    @Test(.requires(.kernelKitVirtio, .qemuSystemRISCV64), arguments: ["true", "false"])
    func stdioConsoleMatchesQEMU(forceLegacy: String) throws {
        let arguments = Self.arguments(chardev: "stdio,id=c0", serial: ["-serial", "null", "-monitor", "none"], forceLegacy: forceLegacy)
        let ours = try ProcessRunner.runVirtBench(["run"] + arguments, input: Self.input, timeout: 300)
        #expect(ours.status == 0, "\(ours.stderr)\n\(ours.stdout.suffix(3000))")
        #expect(Self.initLines(ours.stdout) == [
            "kernel-kit: hvc0 read 'typed on the host'", "kernel-kit: hvc0 is 229:0", "kernel-kit: powering off",
        ], "\(ours.stdout.suffix(3000))")
        let qemu = ProcessRunner.run(try #require(Tool.qemuSystemRISCV64.path), arguments, input: Self.input, timeout: 300)
        #expect(qemu.status == 0 && !qemu.timedOut, "\(qemu.stderr)")
        #expect(ours.stdout == qemu.stdout)
    }

    /// The serial console on stdio as usual, hvc0 in a file: the file holds the same on both.
    @Test(.requires(.kernelKitVirtio, .qemuSystemRISCV64)) func fileConsoleMatchesQEMU() throws {
        let ourFile = ProcessRunner.temporaryFile("ours.log", []), theirFile = ProcessRunner.temporaryFile("qemu.log", [])
        defer { ProcessRunner.remove(ourFile); ProcessRunner.remove(theirFile) }
        let ours = try ProcessRunner.runVirtBench(["run"] + Self.arguments(chardev: "file,id=c0,path=\(ourFile)", serial: []), timeout: 300)
        #expect(ours.status == 0, "\(ours.stderr)\n\(ours.stdout.suffix(3000))")
        #expect(Self.initLines(ours.stdout) == ["kernel-kit: running test virtio-console"], "\(ours.stdout.suffix(3000))")
        let written = String(decoding: try Data(contentsOf: URL(fileURLWithPath: ourFile)), as: UTF8.self)
        #expect(Self.initLines(written) == ["kernel-kit: hvc0 read ''", "kernel-kit: hvc0 is 229:0", "kernel-kit: powering off"], "\(written)")
        let qemu = ProcessRunner.run(try #require(Tool.qemuSystemRISCV64.path), Self.arguments(chardev: "file,id=c0,path=\(theirFile)", serial: []),
                                     timeout: 300)
        #expect(qemu.status == 0 && !qemu.timedOut, "\(qemu.stderr)")
        #expect(written == String(decoding: try Data(contentsOf: URL(fileURLWithPath: theirFile)), as: UTF8.self))
    }
}
