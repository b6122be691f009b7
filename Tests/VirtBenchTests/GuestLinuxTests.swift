import Testing
import TestSupport

/// Debian's riscv64 Linux and the kit's busybox initramfs (Scripts/kernel-kit.sh) as a guest
/// domain of the Swift hypervisor under `--mode hav`, with the command line a QEMU user types:
/// the domain's generated device tree carries `-append` and the `-initrd` it loaded, its
/// console is the domain's 16550 interrupting through the domain's PLIC, and the guest's power
/// off ends the run with status 0.
@Suite(.serialized) struct GuestLinuxTests {
    static let commandLine = "console=ttyS0 kit.test=cmdline"

    static func arguments(kit: String, append: String = commandLine) -> [String] {
        ["run", "--mode", "hav", "-M", "virt", "-m", "1G", "-nographic", "-kernel", kit + "/Image", "-initrd", kit + "/initrd.gz",
         "-append", append, "--summary"]
    }

    @Test(.requires(.kernelKitCommandLine)) func linuxReachesInitUnderHAV() throws {
        let result = try ProcessRunner.runVirtBench(Self.arguments(kit: Tool.kernelKitDirectory), timeout: 300)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(3000))")
        let lines = KernelKitTests.initLines(result.stdout)
        #expect(lines.contains("kernel-kit: running test cmdline"), "\(result.stdout.suffix(3000))")
        // /proc/cmdline is what -append said, and nothing else.
        #expect(lines.contains("kernel-kit: cmdline \(Self.commandLine)"), "\(lines)")
        #expect(lines.contains("kernel-kit: powering off"), "\(lines)")
        #expect(result.stdout.contains("reboot: Power down"))
        // The console's output is interrupt-driven: the kernel found the UART's interrupt on the PLIC.
        #expect(result.stdout.contains("10000000.serial: ttyS0 at MMIO 0x10000000 (irq = "), "\(result.stdout.prefix(6000))")
        // The exits were counted and printed by reason.
        #expect(result.stderr.contains("vmexit.mmio: "), "\(result.stderr)")
        #expect(result.stderr.contains("shutdown (0)"), "\(result.stderr)")
    }

    /// The same virtio-blk and virtio-rng devices as the native board (the Virtio module's
    /// types), plugged into the domain's virtio-mmio slots: the kit mounts the disk, reads and
    /// writes a file, and the image is clean afterwards; both transport versions.
    @Test(.requires(.kernelKitVirtio, .e2fsprogs), arguments: ["true", "false"])
    func linuxUsesVirtioDisksUnderHAV(forceLegacy: String) throws {
        let image = try VirtioLinuxTests.makeImage()
        defer { ProcessRunner.remove(image) }
        let arguments = ["run", "--mode", "hav"] + VirtioLinuxTests.arguments(image: image, forceLegacy: forceLegacy) + ["--summary"]
        let result = try ProcessRunner.runVirtBench(arguments, timeout: 300)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(3000))")
        #expect(VirtioLinuxTests.initLines(result.stdout).filter { !$0.contains("running /etc") } == VirtioLinuxTests.expected,
                "\(result.stdout.suffix(3000))")
        let (fsck, guestFile) = try VirtioLinuxTests.check(image)
        #expect(fsck == 0, "fsck.ext4 -n found problems")
        #expect(guestFile == "written by the guest\n")
    }

    @Test func virtioOptionsAreRefusedWithoutAPLIC() throws {
        let result = try ProcessRunner.runVirtBench(["run", "--mode", "full", "-kernel", "/dev/null", "-device", "virtio-rng-device"], timeout: 30)
        #expect(result.status != 0)
        #expect(result.stderr.contains("-device applies to --mode native and hav only, not --mode full"), "\(result.stderr)")
    }

    @Test func moreThanOneCPUIsRefusedUnderHAV() throws {
        let result = try ProcessRunner.runVirtBench(["run", "--mode", "hav", "-smp", "2", "-kernel", "/dev/null"], timeout: 30)
        #expect(result.status != 0)
        #expect(result.stderr.contains("-smp 2: a domain under --mode hav has one vCPU for now"), "\(result.stderr)")
    }
}
