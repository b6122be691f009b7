import Foundation
import Harness
import Testing
import TestSupport

/// virtio-mmio with QEMU's command line: Corpus/virtio/blk.c drives virtio-blk directly on both
/// transport versions and prints what it saw; QEMU 7.2 running the same ELF with the same
/// -drive/-device line must print exactly the same, and leave the same bytes in the image.
@Suite struct VirtioCommandLineTests {
    static func image(_ name: String) throws -> URL {
        try CorpusBuilder.forThisPackage().build(try #require(CorpusCatalogue.virtio.first { $0.name == name }))
    }

    /// The disk blk.c expects: 128 sectors, byte i of sector s is (s * 7 + i) & 0xff.
    static let disk: [UInt8] = (0..<128).flatMap { s in (0..<512).map { i in UInt8((s * 7 + i) & 0xff) } }

    static func base(_ kernel: String) -> [String] {
        ["-M", "virt", "-m", "128M", "-nographic", "-bios", "none", "-kernel", kernel]
    }

    /// Runs `arguments` (with `DISK` standing for a fresh copy of the disk) on VirtBench and on
    /// QEMU; returns both results and both disks afterwards.
    static func runBoth(_ arguments: [String]) throws -> (ProcessResult, ProcessResult, [UInt8], [UInt8]) {
        let ours = ProcessRunner.temporaryFile("ours.img", disk), theirs = ProcessRunner.temporaryFile("qemu.img", disk)
        defer { ProcessRunner.remove(ours); ProcessRunner.remove(theirs) }
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        let virtbench = try ProcessRunner.runVirtBench(["run"] + arguments.map { $0.replacingOccurrences(of: "DISK", with: ours) }, timeout: 120)
        let reference = ProcessRunner.run(qemu, arguments.map { $0.replacingOccurrences(of: "DISK", with: theirs) }, timeout: 120)
        return (virtbench, reference, Array(try Data(contentsOf: URL(fileURLWithPath: ours))), Array(try Data(contentsOf: URL(fileURLWithPath: theirs))))
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64), arguments: ["true", "false"])
    func blockDeviceMatchesQEMU(forceLegacy: String) throws {
        let arguments = Self.base(try Self.image("virtio-blk").path) + [
            "-global", "virtio-mmio.force-legacy=\(forceLegacy)",
            "-drive", "file=DISK,if=none,format=raw,id=x0", "-device", "virtio-blk-device,drive=x0,serial=VBSERIAL42"]
        let (ours, qemu, ourDisk, qemuDisk) = try Self.runBoth(arguments)
        #expect(qemu.status == 0 && qemu.stdout.hasSuffix("PASS virtio-blk\n"), "QEMU: \(qemu.stdout)\(qemu.stderr)")
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout == qemu.stdout)
        #expect(ours.stdout.contains("version \(forceLegacy == "true" ? 1 : 2)\n"))
        #expect(ourDisk == qemuDisk, "the write reached both images the same way")
        #expect(ourDisk != Self.disk)
    }

    /// With several harts every device access holds the bus's device lock and the harts run on
    /// threads of their own; the program (on hart 0, the others parked) prints the same.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func blockDeviceWithSeveralHarts() throws {
        let arguments = Self.base(try Self.image("virtio-blk").path) + ["-smp", "2",
            "-drive", "file=DISK,if=none,format=raw,id=x0", "-device", "virtio-blk-device,drive=x0,serial=VBSERIAL42"]
        let (ours, qemu, ourDisk, qemuDisk) = try Self.runBoth(arguments)
        #expect(qemu.status == 0, "QEMU: \(qemu.stdout)\(qemu.stderr)")
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout == qemu.stdout)
        #expect(ourDisk == qemuDisk)
    }

    /// Devices fill slots as QEMU 7.2's do: the first without bus= takes the highest free one.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64), arguments: [
        ["-device", "virtio-rng-device", "-device", "virtio-blk-device,drive=x0"],
        ["-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0", "-device", "virtio-rng-device"],
        ["-device", "virtio-rng-device,bus=virtio-mmio-bus.6", "-device", "virtio-blk-device,drive=x0,num-queues=2"],
    ])
    func slotsAreFilledAsOnQEMU(devices: [String]) throws {
        let arguments = Self.base(try Self.image("virtio-blk").path) + ["-drive", "file=DISK,if=none,format=raw,id=x0"] + devices
        let (ours, qemu, _, _) = try Self.runBoth(arguments)
        #expect(qemu.status == 0, "QEMU: \(qemu.stdout)\(qemu.stderr)")
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout == qemu.stdout)
    }

    /// A read-only drive: the write fails in its status (and nothing changes on disk); the
    /// program then reports the mismatch, on both.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func readOnlyDriveMatchesQEMU() throws {
        let arguments = Self.base(try Self.image("virtio-blk").path) + [
            "-drive", "file=DISK,if=none,format=raw,id=x0,readonly=on", "-device", "virtio-blk-device,drive=x0"]
        let (ours, qemu, ourDisk, _) = try Self.runBoth(arguments)
        #expect(qemu.stdout.contains("write status 01"), "QEMU: \(qemu.stdout)\(qemu.stderr)")
        #expect(ours.stdout == qemu.stdout)
        #expect(ours.status == qemu.status)
        #expect(ourDisk == Self.disk)
    }

    /// Descriptor loop, buffers past RAM, a 65,536-entry chain: DEVICE_NEEDS_RESET each time, the
    /// host runs on (one error line each on stderr), and the device works after a reset.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func hostileDriverSeesNeedsResetAsOnQEMU() throws {
        let arguments = Self.base(try Self.image("virtio-blk-hostile").path) + [
            "-global", "virtio-mmio.force-legacy=false",
            "-drive", "file=DISK,if=none,format=raw,id=x0", "-device", "virtio-blk-device,drive=x0"]
        let (ours, qemu, _, _) = try Self.runBoth(arguments)
        #expect(qemu.status == 0 && qemu.stdout.hasSuffix("PASS virtio-blk-hostile\n"), "QEMU: \(qemu.stdout)\(qemu.stderr)")
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout == qemu.stdout)
        #expect(ours.stderrLines.count == 3 && ours.stderrLines.allSatisfy { $0.contains("virtio device error") }, "\(ours.stderr)")
    }

    /// FEATURES_OK as QEMU 7.2 answers it on both transports (Corpus/virtio/features.c): kept for a
    /// driver without VERSION_1 (xv6's negotiates so) and for one with a bit never offered.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func featuresOKIsKeptAsOnQEMUOnBothTransports() throws {
        let arguments = Self.base(try Self.image("virtio-features").path) + ["-global", "virtio-mmio.force-legacy=false",
            "-drive", "file=DISK,if=none,format=raw,id=x0", "-device", "virtio-blk-device,drive=x0",
            "-drive", "file=DISK2,if=none,format=raw,id=x1", "-device", "virtio-blk-pci-non-transitional,drive=x1"]
        let second = ProcessRunner.temporaryFile("second.img", Self.disk)
        defer { ProcessRunner.remove(second) }
        let (ours, qemu, _, _) = try Self.runBoth(arguments.map { $0.replacingOccurrences(of: "DISK2", with: second) })
        #expect(qemu.status == 0 && qemu.stdout.hasSuffix("PASS virtio-features\n"), "QEMU: \(qemu.stdout)\(qemu.stderr)")
        #expect(qemu.stdout.split(separator: "\n").filter { $0.contains(": status ") }.count == 6)
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout == qemu.stdout)
        #expect(ours.stdout.contains("virtio-mmio legacy-style: status 0b\nvirtio-mmio unoffered: status 0b\n"))
        #expect(ours.stdout.contains("virtio-pci legacy-style: status 0b\nvirtio-pci unoffered: status 0b\n"))
    }

    /// `--summary` counts each device's requests and notifications. blk.c polls, one request per
    /// notification; it negotiates event index but leaves used_event at 0, so only the first
    /// completion of the 9 passes it and interrupts (§2.7.10); without event index every one does.
    @Test(.requires(.corpusToolchain), arguments: ["on", "off"]) func summaryCountsNotifications(eventIndex: String) throws {
        let disk = ProcessRunner.temporaryFile("d.img", Self.disk)
        defer { ProcessRunner.remove(disk) }
        let result = try ProcessRunner.runVirtBench(["run"] + Self.base(try Self.image("virtio-blk").path) + [
            "-drive", "file=\(disk),if=none,format=raw,id=x0", "-device", "virtio-blk-device,drive=x0,event_idx=\(eventIndex)",
            "--summary"], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        let interrupts = eventIndex == "on" ? "1 used-buffer interrupts, 8 suppressed" : "9 used-buffer interrupts, 0 suppressed"
        #expect(result.stderr.contains("virtio7 (virtio-blk, event_idx=\(eventIndex)): 9 requests, 9 notifications from the driver, \(interrupts), 0 device errors"), "\(result.stderr)")
    }

    @Test func deviceHelpListsTheDevices() throws {
        let result = try ProcessRunner.runVirtBench(["run", "-device", "help"], timeout: 20)
        #expect(result.status == 0 && result.stderr.isEmpty)
        #expect(result.stdout.contains("name \"virtio-blk-device\", bus virtio-bus\n"))
        #expect(result.stdout.contains("name \"virtio-rng-device\", bus virtio-bus\n"))
        #expect(result.stdout.contains("Input devices:\nname \"virtconsole\", bus virtio-serial-bus\nname \"virtio-serial-device\", bus virtio-bus\n"))
    }

    @Test func optionsAreCheckedAsQEMUChecksThem() throws {
        let disk = ProcessRunner.temporaryFile("d.img", Self.disk)
        defer { ProcessRunner.remove(disk) }
        let base = ["run", "-bios", "none", "-kernel", "/nonexistent"]
        let drive = ["-drive", "file=\(disk),if=none,format=raw,id=x0"]
        for (arguments, fragment) in [
            (["-drive", "file=\(disk),if=ide,format=raw"], "if=ide is not available"),
            (["-device", "virtio-gpu-device"], "unsupported device 'virtio-gpu-device'"),
            (["-device", "virtio-blk-device"], "drive property not set"),
            (["-device", "virtio-blk-device,drive=zz"], "can't find value 'zz'"),
            (drive + ["-device", "virtio-blk-device,drive=x0", "-device", "virtio-blk-device,drive=x0"], "already in use"),
            (["-device", "virtio-rng-device,bus=virtio-mmio-bus.9"], "Bus 'virtio-mmio-bus.9' not found"),
            (["-device", "virtio-rng-device", "-device", "virtio-rng-device,bus=virtio-mmio-bus.7"], "Bus 'virtio-mmio-bus.7' is full"),
            (drive + ["-device", "virtio-blk-device,drive=x0,foo=1"], "Property 'virtio-blk-device.foo' not found"),
            (["-global", "virtio-mmio.force-legacy=maybe"], "expects on or off"),
            (["-device", "virtio-rng-device,event_idx=sometimes"], "event_idx expects on or off"),
            (["-global", "virtio-blk-device.serial=x"], "only virtio-mmio.force-legacy"),
            (["-drive", "file=\(disk),if=none,format=vmdk,id=a"], "Unknown driver 'vmdk'"),
            (["-drive", "file=\(disk),if=none,format=qcow2,id=a", "-device", "virtio-blk-device,drive=a"], "is not a qcow2 image"),
            (["-drive", "file=\(disk),if=none,format=raw,id=a", "-device", "virtio-blk-device,drive=a",
              "-drive", "file=\(disk),if=none,format=raw,id=b", "-device", "virtio-blk-device,drive=b"], "Failed to get \"write\" lock"),
            (["-drive", "file=\(disk),if=none,format=raw,id=a,detect-zeroes=maybe"], "detect-zeroes=maybe"),
            (["-drive", "file=\(disk),if=none,format=raw"], "needs id="),
            (["-drive", "file=\(disk),if=none,format=raw,id=a,cache=fast"], "cache=fast"),
            (["-drive", "file=/nonexistent/d.img,if=none,format=raw,id=a", "-device", "virtio-blk-device,drive=a"], "Could not open"),
            (["-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0", "-chardev", "stdio,id=c0"],
             "cannot use stdio by multiple character devices"),
            (["-device", "virtconsole,chardev=c0", "-chardev", "null,id=c0"], "No 'virtio-serial-bus' bus found for device 'virtconsole'"),
            (["-device", "virtio-serial-device", "-device", "virtconsole,chardev=c1", "-chardev", "null,id=c0"],
             "Property 'virtconsole.chardev' can't find value 'c1'"),
            (["-device", "virtio-serial-device", "-device", "virtconsole", "-device", "virtconsole"], "one virtconsole"),
            (["-chardev", "file,id=a"], "no filename given"),
            (["-chardev", "null,id=a,foo=1"], "Invalid parameter 'foo'"),
            (["-chardev", "null,id=a", "-chardev", "null,id=a"], "Duplicate ID 'a' for chardev"),
            (["-chardev", "pty,id=a"], "'pty' is not a valid char driver name"),
        ] {
            let result = try ProcessRunner.runVirtBench(base + arguments, timeout: 20)
            result.expectOneLineError(for: arguments, containing: fragment, sourceLocation: #_sourceLocation)
        }
    }
}
