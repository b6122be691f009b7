import Foundation
import Testing
import TestSupport

/// virtio-pci (issue 18): Debian's Linux and U-Boot find the modern virtio-pci functions on the
/// PCIe host bridge, size and place BAR 4, take INTx, and use the disk as they do on QEMU.
@Suite(.serialized) struct VirtioPCITests {
    /// The kernel's own account of enumeration (its `lspci`): the function's IDs and class, where
    /// BAR 4 went, and virtio-pci binding to it.
    static func pciLines(_ output: String) -> [String] {
        output.split(whereSeparator: \.isNewline).map(String.init).filter { $0.contains("0000:00:01.0") }
    }

    static func linuxArguments(image: String, blockDevice: String) -> [String] {
        let kit = Tool.kernelKitDirectory
        return ["-M", "virt", "-m", "1G", "-nographic", "-kernel", kit + "/Image", "-initrd", kit + "/initrd.gz",
                "-append", "console=ttyS0 kit.test=virtio-disk",
                "-drive", "file=\(image),if=none,format=raw,id=x0", "-device", "\(blockDevice),drive=x0,serial=VBDISK",
                "-device", "virtio-rng-pci"]
    }

    /// Linux on virtio-blk-pci in slot 1 and virtio-rng-pci in slot 2 (virtio_pci is built into
    /// Debian's kernel): the kit mounts the ext4 image, reads and writes a file, reads /dev/hwrng;
    /// afterwards `fsck.ext4 -n` finds the image clean and the guest's file in it. The kernel's
    /// enumeration lines show a modern function (1af4:1042, class 010000), BAR 4 assigned in a
    /// memory window, and the device enabled for memory and bus mastering.
    @Test(.requires(.kernelKitVirtio, .e2fsprogs)) func linuxUsesTheDiskOnVirtioBlkPCI() throws {
        let image = try VirtioLinuxTests.makeImage()
        defer { ProcessRunner.remove(image) }
        let result = try ProcessRunner.runVirtBench(["run"] + Self.linuxArguments(image: image, blockDevice: "virtio-blk-pci"), timeout: 300)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(3000))")
        #expect(VirtioLinuxTests.initLines(result.stdout).filter { !$0.contains("running /etc") } == VirtioLinuxTests.expected,
                "\(result.stdout.suffix(4000))")
        let pci = Self.pciLines(result.stdout)
        #expect(pci.contains { $0.contains("[1af4:1042] type 00 class 0x010000") }, "\(pci)")
        #expect(pci.contains { $0.contains("BAR 4") && $0.contains("64bit pref") && $0.contains("assigned") }, "\(pci)")
        #expect(pci.contains { $0.contains("virtio-pci") && $0.contains("enabling device") }, "\(pci)")
        #expect(result.stdout.contains("[1af4:1044] type 00 class 0x00ff00"), "virtio-rng-pci in slot 2")
        let (fsck, guestFile) = try VirtioLinuxTests.check(image)
        #expect(fsck == 0, "fsck.ext4 -n found problems")
        #expect(guestFile == "written by the guest\n")
    }

    /// QEMU and VirtBench with the same command line (the non-transitional name, so that QEMU's
    /// function is modern too and both list 1af4:1042) print the same /init lines.
    @Test(.requires(.kernelKitVirtio, .e2fsprogs, .qemuSystemRISCV64)) func qemuPrintsTheSameLinesOnVirtioBlkPCI() throws {
        let image = try VirtioLinuxTests.makeImage()
        defer { ProcessRunner.remove(image) }
        let arguments = Self.linuxArguments(image: image, blockDevice: "virtio-blk-pci-non-transitional")
        let qemu = ProcessRunner.run(try #require(Tool.qemuSystemRISCV64.path), arguments, timeout: 300)
        #expect(qemu.status == 0 && !qemu.timedOut, "\(qemu.stderr)")
        #expect(VirtioLinuxTests.initLines(qemu.stdout) == VirtioLinuxTests.expected, "\(qemu.stdout.suffix(3000))")
        #expect(Self.pciLines(qemu.stdout).contains { $0.contains("[1af4:1042] type 00 class 0x010000") })
        #expect(try VirtioLinuxTests.check(image).fsck == 0)
        let ours = try ProcessRunner.runVirtBench(["run"] + arguments, timeout: 300)
        #expect(VirtioLinuxTests.initLines(ours.stdout).filter { !$0.contains("running /etc") } == VirtioLinuxTests.initLines(qemu.stdout))
    }

    /// U-Boot (M-mode, `-bios none`): `pci enum; virtio scan; virtio info` finds the PCI block
    /// device and `load` + `crc32` read the file QEMU reads, transcript for transcript, with the
    /// -device line and with QEMU's if=virtio drive. With the non-transitional name both also
    /// list the same PCI functions (`pci`).
    @Test(.requires(.uBootMachineELF, .e2fsprogs, .qemuSystemRISCV64), arguments: [
        ["-drive", "file=IMAGE,if=none,format=raw,id=x0", "-device", "virtio-blk-pci-non-transitional,drive=x0"],
        ["-drive", "file=IMAGE,if=none,format=raw,id=x0", "-device", "virtio-rng-pci-non-transitional",
         "-device", "virtio-blk-pci-non-transitional,drive=x0,addr=4"],
        ["-drive", "file=IMAGE,if=virtio,format=raw"],
    ])
    func uBootReadsTheDiskAsOnQEMU(devices: [String]) throws {
        let uBoot = try #require(Tool.uBootMachineELF.path)
        let virtbench = try #require(ProcessRunner.virtbenchPath)
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        let disks = try VirtioUBootTests.Disks()
        defer { disks.remove() }
        let (ourImage, theirImage) = (disks.ours, disks.theirs)
        func arguments(_ image: String) -> [String] {
            ["-M", "virt", "-m", "128M", "-nographic", "-bios", "none", "-kernel", uBoot]
                + devices.map { $0.replacingOccurrences(of: "IMAGE", with: image) }
        }
        // QEMU's if=virtio disk is transitional (device 1001): its `pci` line differs, so only
        // the non-transitional runs list the bus.
        let listBus = devices.contains { $0.contains("non-transitional") }
        let command = (listBus ? "pci; " : "") + "pci enum; virtio scan; virtio info; ls virtio 0; "
            + "load virtio 0 ${kernel_addr_r} file1; crc32 ${kernel_addr_r} ${filesize}"
        let ours = try VirtioUBootTests.session(virtbench, ["run"] + arguments(ourImage), command: command)
        let theirs = try VirtioUBootTests.session(qemu, arguments(theirImage) + ["-monitor", "none", "-serial", "stdio"], command: command)
        #expect(ours.contains { $0.contains("1af4 VirtIO Block Device") }, "\(ours)")
        #expect(ours.contains("          100000 file1"), "\(ours)")
        #expect(ours.contains { $0.hasPrefix("crc32 for 84000000 ... 8401869f ==> ") }, "\(ours)")
        if listBus { #expect(ours.contains { $0.contains("0x1af4     0x1042     Mass storage controller") }, "\(ours)") }
        #expect(ours == theirs, "VirtBench:\n\(ours.joined(separator: "\n"))\nQEMU:\n\(theirs.joined(separator: "\n"))")
    }

    /// virtio-serial-pci with its virtconsole on stdio: Linux's hvc0 reads the typed line and
    /// writes /init's lines, byte for byte as on QEMU with the same command line.
    @Test(.requires(.kernelKitVirtio, .qemuSystemRISCV64)) func consoleOnVirtioSerialPCIMatchesQEMU() throws {
        let kit = Tool.kernelKitDirectory
        let arguments = ["-M", "virt", "-m", "1G", "-nographic", "-serial", "null", "-monitor", "none",
                         "-kernel", kit + "/Image", "-initrd", kit + "/initrd.gz", "-append", "console=ttyS0 kit.test=virtio-console",
                         "-device", "virtio-serial-pci-non-transitional", "-device", "virtconsole,chardev=c0", "-chardev", "stdio,id=c0"]
        let ours = try ProcessRunner.runVirtBench(["run"] + arguments, input: VirtioConsoleLinuxTests.input, timeout: 300)
        #expect(ours.status == 0, "\(ours.stderr)\n\(ours.stdout.suffix(3000))")
        #expect(VirtioConsoleLinuxTests.initLines(ours.stdout) == [
            "kernel-kit: hvc0 read 'typed on the host'", "kernel-kit: hvc0 is 229:0", "kernel-kit: powering off",
        ], "\(ours.stdout.suffix(3000))")
        let qemu = ProcessRunner.run(try #require(Tool.qemuSystemRISCV64.path), arguments, input: VirtioConsoleLinuxTests.input, timeout: 300)
        #expect(qemu.status == 0 && !qemu.timedOut, "\(qemu.stderr)")
        #expect(ours.stdout == qemu.stdout)
    }

    @Test func deviceHelpListsThePCIDevices() throws {
        let result = try ProcessRunner.runVirtBench(["run", "-device", "help"], timeout: 20)
        #expect(result.status == 0 && result.stderr.isEmpty)
        for line in ["name \"virtio-blk-pci\", bus PCI, alias \"virtio-blk\"\n", "name \"virtio-blk-pci-non-transitional\", bus PCI\n",
                     "name \"virtio-rng-pci\", bus PCI, alias \"virtio-rng\"\n", "name \"virtio-serial-pci\", bus PCI, alias \"virtio-serial\"\n"] {
            #expect(result.stdout.contains(line), "\(line)")
        }
    }

    @Test func pciOptionsAreChecked() throws {
        let disk = ProcessRunner.temporaryFile("d.img", [UInt8](repeating: 0, count: 4096))
        defer { ProcessRunner.remove(disk) }
        let base = ["run", "-bios", "none", "-kernel", "/nonexistent"]
        let drive = ["-drive", "file=\(disk),if=none,format=raw,id=x0"]
        for (arguments, fragment) in [
            (["-device", "virtio-blk-pci"], "drive property not set"),
            (["-device", "virtio-blk-pci,drive=zz"], "Property 'virtio-blk-pci.drive' can't find value 'zz'"),
            (["-device", "virtio-rng-pci,addr=0"], "slot 0 function 0 not available"),
            (["-device", "virtio-rng-pci,addr=20"], "doesn't take value '20'"),
            (["-device", "virtio-rng-pci,addr=3.1"], "function 0 only"),
            (["-device", "virtio-rng-pci,addr=3", "-device", "virtio-rng-pci,addr=3"], "slot 3 function 0 not available"),
            (["-device", "virtio-rng-pci,bus=pcie.1"], "Bus 'pcie.1' not found"),
            (["-device", "virtio-rng-pci,disable-legacy=off"], "modern only"),
            (["-device", "virtio-blk-pci-transitional,drive=x0"] + drive, "modern only"),
            (["-device", "virtio-rng-pci,foo=1"], "Property 'virtio-rng-pci.foo' not found"),
            (drive + ["-device", "virtio-blk-pci,drive=x0", "-device", "virtio-blk-device,drive=x0"], "already in use"),
        ] {
            let result = try ProcessRunner.runVirtBench(base + arguments, timeout: 20)
            result.expectOneLineError(for: arguments, containing: fragment, sourceLocation: #_sourceLocation)
        }
    }
}
