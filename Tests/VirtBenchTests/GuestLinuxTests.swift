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

    /// Two vCPUs under hav: the same command lines as the one-vCPU runs with `-smp 2` added
    /// (`-smp cpus=2`, QEMU's other form, for the disk): the kernel brings up both (SBI HSM),
    /// /proc/cmdline is -append, the virtio-blk disk is mounted, read and written, and the
    /// guest powers off cleanly.
    @Test(.requires(.kernelKitCommandLine)) func linuxBringsUpTwoVCPUsUnderHAV() throws {
        let kit = Tool.kernelKitDirectory
        let smp = try ProcessRunner.runVirtBench(Self.arguments(kit: kit, append: "console=ttyS0 kit.test=smp") + ["-smp", "2"], timeout: 600)
        #expect(smp.status == 0, "\(smp.stderr)\n\(smp.stdout.suffix(3000))")
        let lines = KernelKitTests.initLines(smp.stdout)
        #expect(lines.contains("kernel-kit: nproc 2"), "\(lines)")
        #expect(smp.stdout.contains("smp: Brought up 1 node, 2 CPUs"), "\(smp.stdout.prefix(8000))")
        #expect(lines.contains("kernel-kit: powering off"), "\(lines)")
        #expect(smp.stdout.contains("reboot: Power down"))
        #expect(smp.stderr.contains("sbi.hsm: "), "\(smp.stderr)")
        #expect(smp.stderr.contains("sbi.ipi: "), "\(smp.stderr)")
        #expect(smp.stderr.contains("shutdown (0)"), "\(smp.stderr)")

        let cmdline = try ProcessRunner.runVirtBench(Self.arguments(kit: kit) + ["-smp", "2"], timeout: 600)
        #expect(cmdline.status == 0, "\(cmdline.stderr)\n\(cmdline.stdout.suffix(3000))")
        let cmdlineLines = KernelKitTests.initLines(cmdline.stdout)
        #expect(cmdlineLines.contains("kernel-kit: cmdline \(Self.commandLine)"), "\(cmdlineLines)")
        #expect(cmdlineLines.contains("kernel-kit: powering off"), "\(cmdlineLines)")
    }

    @Test(.requires(.kernelKitVirtio, .e2fsprogs)) func linuxUsesVirtioDisksWithTwoVCPUsUnderHAV() throws {
        let image = try VirtioLinuxTests.makeImage()
        defer { ProcessRunner.remove(image) }
        let arguments = ["run", "--mode", "hav", "-smp", "cpus=2"] + VirtioLinuxTests.arguments(image: image, forceLegacy: "false") + ["--summary"]
        let result = try ProcessRunner.runVirtBench(arguments, timeout: 600)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(3000))")
        #expect(result.stdout.contains("smp: Brought up 1 node, 2 CPUs"), "\(result.stdout.prefix(8000))")
        #expect(VirtioLinuxTests.initLines(result.stdout).filter { !$0.contains("running /etc") } == VirtioLinuxTests.expected,
                "\(result.stdout.suffix(3000))")
        let (fsck, guestFile) = try VirtioLinuxTests.check(image)
        #expect(fsck == 0, "fsck.ext4 -n found problems")
        #expect(guestFile == "written by the guest\n")
    }

    /// With `--icount` the vCPUs' turns are counted in instructions: two boots with two vCPUs
    /// print the same console, to the kernel's timestamps, and make the same exits.
    @Test(.requires(.kernelKitCommandLine)) func twoVCPUBootsRepeatExactlyWithIcount() throws {
        let arguments = Self.arguments(kit: Tool.kernelKitDirectory, append: "console=ttyS0 kit.test=smp") + ["-smp", "2", "--icount"]
        let first = try ProcessRunner.runVirtBench(arguments, timeout: 600)
        let second = try ProcessRunner.runVirtBench(arguments, timeout: 600)
        #expect(first.status == 0 && second.status == 0, "\(first.stderr)\n\(second.stderr)")
        #expect(KernelKitTests.initLines(first.stdout).contains("kernel-kit: nproc 2"), "\(first.stdout.suffix(3000))")
        #expect(first.stdout == second.stdout)
        // The summary's counts; its first line also has the wall time, which differs.
        func counts(_ stderr: String) -> [Substring] { stderr.split(separator: "\n").filter { $0.hasPrefix("  ") } }
        #expect(!counts(first.stderr).isEmpty && counts(first.stderr) == counts(second.stderr), "\(first.stderr)\n\(second.stderr)")
    }

    /// Full and para build one vCPU per domain, and hav at most eight: each says so in one line.
    @Test func vcpuCountsBeyondWhatAModeBuildsAreRefused() throws {
        for mode in ["full", "para"] {
            let result = try ProcessRunner.runVirtBench(["run", "--mode", mode, "-smp", "2", "-kernel", "/dev/null"], timeout: 30)
            #expect(result.status != 0)
            #expect(result.stderr.contains("-smp 2: a domain under --mode \(mode) has one vCPU (multi-vCPU domains are built for --mode hav only)"),
                    "\(result.stderr)")
        }
        let result = try ProcessRunner.runVirtBench(["run", "--mode", "hav", "-smp", "9", "-kernel", "/dev/null"], timeout: 30)
        #expect(result.status != 0)
        #expect(result.stderr.contains("-smp 9: a domain under --mode hav has at most 8 vCPUs"), "\(result.stderr)")
    }
}
