import Testing
import TestSupport

/// Debian's riscv64 Linux with a busybox initramfs (the kernel kit, `Scripts/kernel-kit.sh`),
/// booted with the command line a QEMU user types: OpenSBI, the kernel, the initrd that
/// `-initrd` placed and `/chosen` published, /init's command list, then power off through SBI
/// and sifive_test. QEMU runs the same command line, and /init's lines must be the same.
@Suite(.serialized) struct KernelKitTests {
    static func arguments(kit: String) -> [String] {
        ["-M", "virt", "-m", "1G", "-nographic", "-kernel", kit + "/Image", "-initrd", kit + "/initrd.gz", "-append", "console=ttyS0"]
    }

    /// The lines the kit's /init printed (the kernel's own log differs in timing).
    static func initLines(_ output: String) -> [String] {
        // QEMU's serial output ends lines with CR LF, which Swift reads as one Character.
        output.split(whereSeparator: \.isNewline).map(String.init).filter { $0.hasPrefix("kernel-kit: ") }
    }

    static let expected = ["kernel-kit: running /etc/kit-commands", "kernel-kit: nproc 1", "kernel-kit: powering off"]

    @Test(.requires(.kernelKit)) func linuxRunsInitOnVirtBench() throws {
        let result = try ProcessRunner.runVirtBench(["run"] + Self.arguments(kit: Tool.kernelKitDirectory), timeout: 180)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(2000))")
        let lines = Self.initLines(result.stdout)
        for line in Self.expected { #expect(lines.contains(line), "\(result.stdout.suffix(2000))") }
        #expect(lines.contains { $0.hasPrefix("kernel-kit: init ran on riscv64 ") }, "\(lines)")
        #expect(result.stdout.contains("reboot: Power down"))
    }

    @Test(.requires(.kernelKit, .qemuSystemRISCV64)) func qemuPrintsTheSameInitLines() throws {
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        let arguments = Self.arguments(kit: Tool.kernelKitDirectory)
        let reference = ProcessRunner.run(qemu, arguments, timeout: 180)
        #expect(reference.status == 0 && !reference.timedOut, "\(reference.stderr)")
        let ours = try ProcessRunner.runVirtBench(["run"] + arguments, timeout: 180)
        #expect(Self.initLines(ours.stdout) == Self.initLines(reference.stdout))
        #expect(Self.initLines(reference.stdout).contains("kernel-kit: nproc 1"), "\(reference.stdout.suffix(2000))")
    }
}
