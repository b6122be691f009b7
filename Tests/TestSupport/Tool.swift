import Foundation

/// A program or file from outside this package that a test runs or reads: a peer emulator,
/// firmware from a Debian package, the Swift toolchain's clang. `.ci/run` installs every one of
/// them, so on CI a missing tool is a failure (`VIRTBENCH_REQUIRE_TOOLS=1`), never a skip.
public struct Tool: Sendable, Hashable, CustomStringConvertible {
    /// One file the tool consists of.
    public enum File: Sendable, Hashable {
        /// An executable looked up on the PATH, then in the Swift toolchain's folder (where
        /// HostProcess.locate and CorpusToolchain look too).
        case executable(String)
        /// A file at a fixed path (firmware images).
        case path(String)
        /// The first readable one of several paths (the same firmware from two packages).
        case firstOf([String])
        /// The `virtbench` executable this package builds, next to the test bundle.
        case builtExecutable(String)
        /// A file of the kernel kit that `Scripts/kernel-kit.sh` makes in its cache folder
        /// (`Tool.kernelKitDirectory`), outside the repository.
        case kernelKitFile(String)
        /// A `kit.test=` name the kit's /init knows: listed in the kit's TESTS file.
        case kernelKitTest(String)
    }

    /// What the test output calls it: "qemu-system-riscv64", "OpenSBI fw_jump.elf".
    public let name: String
    /// Where it comes from, for the skip reason: "Debian package qemu-system-misc".
    public let origin: String
    /// Everything that must be present; `path` is the first file's.
    public let files: [File]

    public init(_ name: String, from origin: String, files: [File]) {
        self.name = name
        self.origin = origin
        self.files = files
    }

    /// The Swift toolchain's folder on the CI image.
    public static let toolchainDirectory = "/opt/swift/usr/bin"

    /// Where `Scripts/kernel-kit.sh` keeps the kit, by the same rule as the script:
    /// `$VIRTBENCH_KERNEL_KIT`, else `${XDG_CACHE_HOME:-$HOME/.cache}/virtbench-kernel-kit`.
    public static var kernelKitDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let directory = environment["VIRTBENCH_KERNEL_KIT"], !directory.isEmpty { return directory }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.cache"
        return cache + "/virtbench-kernel-kit"
    }

    /// Path of the tool's first file, or nil when any of its files is missing.
    public var path: String? {
        let found = files.map(Self.locate)
        guard found.allSatisfy({ $0 != nil }) else { return nil }
        return found.first ?? nil
    }

    public var isAvailable: Bool { path != nil }

    public var description: String { "\(name) (\(origin))" }

    static func locate(_ file: File) -> String? {
        let fileManager = FileManager.default
        switch file {
        case .executable(let name):
            let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
            let directories = path.split(separator: ":").map(String.init) + [toolchainDirectory]
            return directories.lazy.map { $0 + "/" + name }.first { fileManager.isExecutableFile(atPath: $0) }
        case .path(let path):
            return fileManager.isReadableFile(atPath: path) ? path : nil
        case .firstOf(let paths):
            return paths.first { fileManager.isReadableFile(atPath: $0) }
        case .builtExecutable(let name):
            if let path = ProcessInfo.processInfo.environment["VIRTBENCH_BINARY"] {
                return fileManager.isExecutableFile(atPath: path) ? path : nil
            }
            // SwiftPM puts executables and the test bundle in one products folder (.build/<config>/).
            guard let bundle = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
            let candidate = URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent(name).path
            return fileManager.isExecutableFile(atPath: candidate) ? candidate : nil
        case .kernelKitFile(let name):
            let path = kernelKitDirectory + "/" + name
            return fileManager.isReadableFile(atPath: path) ? path : nil
        case .kernelKitTest(let name):
            let path = kernelKitDirectory + "/TESTS"
            guard let listed = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
            return listed.split(whereSeparator: \.isNewline).contains { $0 == name } ? path : nil
        }
    }
}

extension Tool {
    public static let qemuSystemRISCV64 = Tool("qemu-system-riscv64", from: "Debian package qemu-system-misc",
                                               files: [.executable("qemu-system-riscv64")])
    public static let qemuSystemARM = Tool("qemu-system-arm", from: "Debian package qemu-system-arm",
                                           files: [.executable("qemu-system-arm")])
    public static let dtc = Tool("dtc", from: "Debian package device-tree-compiler", files: [.executable("dtc")])

    /// clang and ld.lld, which build the corpus and the random programs (Harness.CorpusToolchain).
    public static let corpusToolchain = Tool("clang and ld.lld", from: "the Swift toolchain",
                                             files: [.executable("clang"), .executable("ld.lld")])
    public static let llvmObjdump = Tool("llvm-objdump", from: "the Swift toolchain", files: [.executable("llvm-objdump")])

    public static let openSBIJumpELF = Tool("OpenSBI fw_jump.elf", from: "Debian package opensbi",
                                            files: [.path("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf")])
    public static let openSBIJumpBinary = Tool("OpenSBI fw_jump.bin", from: "Debian package opensbi",
                                               files: [.path("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin")])
    public static let openSBIDynamicELF = Tool("OpenSBI fw_dynamic.elf", from: "Debian package opensbi",
                                               files: [.path("/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.elf")])
    /// Where `-bios default` looks (Loader.BootLoader.defaultFirmwarePaths), in its order.
    public static let openSBIDynamicBinary = Tool("OpenSBI fw_dynamic.bin", from: "Debian package qemu-system-data or opensbi",
                                                  files: [.firstOf(["/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin",
                                                                    "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"])])
    /// QEMU's own copy, the firmware `qemu-system-riscv64` boots without `-bios`.
    public static let qemuOpenSBIDynamicBinary = Tool("QEMU's OpenSBI fw_dynamic.bin", from: "Debian package qemu-system-data",
                                                      files: [.path("/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin")])

    public static let uBootMachineELF = Tool("U-Boot qemu-riscv64 uboot.elf", from: "Debian package u-boot-qemu",
                                             files: [.path("/usr/lib/u-boot/qemu-riscv64/uboot.elf")])
    public static let uBootMachineBinary = Tool("U-Boot qemu-riscv64 u-boot.bin", from: "Debian package u-boot-qemu",
                                                files: [.path("/usr/lib/u-boot/qemu-riscv64/u-boot.bin")])
    public static let uBootSupervisorELF = Tool("U-Boot qemu-riscv64_smode uboot.elf", from: "Debian package u-boot-qemu",
                                                files: [.path("/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf")])

    /// script(1) and stty(1), which give a test a pseudo-terminal and read its settings.
    public static let terminalTools = Tool("script and stty", from: "Debian packages util-linux and coreutils",
                                           files: [.executable("script"), .executable("stty")])

    /// gdb built for every architecture: the real client of the gdb stub (`virtbench run -s`, `-S`, `-gdb`).
    public static let gdbMultiarch = Tool("gdb-multiarch", from: "Debian package gdb-multiarch", files: [.executable("gdb-multiarch")])

    /// Debian's riscv64 Linux Image and a busybox initramfs whose /init prints its marker lines
    /// and powers off, made by `Scripts/kernel-kit.sh` (which `.ci/run` runs first).
    public static let kernelKit = Tool("kernel kit (Linux Image and initrd.gz)", from: "Scripts/kernel-kit.sh",
                                       files: [.kernelKitFile("Image"), .kernelKitFile("initrd.gz")])

    /// The kit as revision 2 of the script makes it: /init loads virtio_mmio, virtio_blk,
    /// virtio_rng and ext4 (Debian builds them as modules) and runs `kit.test=NAME` scripts.
    public static let kernelKitVirtio = Tool("kernel kit with the virtio modules (Image, initrd.gz, MODULES)", from: "Scripts/kernel-kit.sh",
                                             files: [.kernelKitFile("Image"), .kernelKitFile("initrd.gz"), .kernelKitFile("MODULES")])

    /// The kit as revision 5 of the script makes it: `kit.test=cmdline` prints /proc/cmdline, and
    /// TESTS lists the kit tests /init knows.
    public static let kernelKitCommandLine = Tool("kernel kit with kit.test=cmdline (Image, initrd.gz, TESTS)", from: "Scripts/kernel-kit.sh",
                                                  files: [.kernelKitFile("Image"), .kernelKitFile("initrd.gz"), .kernelKitFile("TESTS")])

    /// The kit as revision 6 of the script makes it: `kit.test=virtio-io`, parallel O_DIRECT dd
    /// readers and writers over /dev/vda (`virtbench bench --virtio`).
    public static let kernelKitVirtioIO = Tool("kernel kit with kit.test=virtio-io (Image, initrd.gz, TESTS listing virtio-io)",
                                               from: "Scripts/kernel-kit.sh",
                                               files: [.kernelKitFile("Image"), .kernelKitFile("initrd.gz"), .kernelKitTest("virtio-io")])

    /// The kit as revision 7 of the script makes it: virtio_net loaded, and `kit.test=net` (eth0 by
    /// DHCP or statically on QEMU's user network, a fetch through 10.0.2.2, busybox httpd on a port).
    public static let kernelKitNet = Tool("kernel kit with kit.test=net (Image, initrd.gz, TESTS listing net)",
                                          from: "Scripts/kernel-kit.sh",
                                          files: [.kernelKitFile("Image"), .kernelKitFile("initrd.gz"), .kernelKitTest("net")])

    /// The kit as revision 8 of the script makes it: `kit.test=net-peers` (a static `kit.net-ip=`,
    /// ping `kit.net-ping=` and wait to be pinged), for two guests on one wire.
    public static let kernelKitNetPeers = Tool("kernel kit with kit.test=net-peers (Image, initrd.gz, TESTS listing net-peers)",
                                               from: "Scripts/kernel-kit.sh",
                                               files: [.kernelKitFile("Image"), .kernelKitFile("initrd.gz"), .kernelKitTest("net-peers")])

    /// The kit as revision 9 of the script makes it: `kit.test=net-switch` (a static address, an
    /// optional smaller MTU, a bounded ping, a 256 KiB file served or fetched with its SHA-256),
    /// for guests on `virtbench switch`.
    public static let kernelKitNetSwitch = Tool("kernel kit with kit.test=net-switch (Image, initrd.gz, TESTS listing net-switch)",
                                                from: "Scripts/kernel-kit.sh",
                                                files: [.kernelKitFile("Image"), .kernelKitFile("initrd.gz"), .kernelKitTest("net-switch")])

    /// The kit as revision 11 of the script makes it: 9pnet_virtio and 9p loaded, and `kit.test=9p`
    /// (mount the share tagged kit.9p-tag=, read, write, rename, link, delete, try the ways out).
    public static let kernelKit9p = Tool("kernel kit with kit.test=9p (Image, initrd.gz, TESTS listing 9p)",
                                         from: "Scripts/kernel-kit.sh",
                                         files: [.kernelKitFile("Image"), .kernelKitFile("initrd.gz"), .kernelKitTest("9p")])

    /// unshare and nsenter (util-linux), ip (iproute2): network namespaces with Linux's vxlan device.
    public static let networkNamespaceTools = Tool("unshare, nsenter and ip", from: "Debian packages util-linux and iproute2",
                                                   files: [.executable("unshare"), .executable("nsenter"), .executable("ip")])

    /// unshare and mount (util-linux, mount): a tmpfs of a chosen size in a private mount
    /// namespace (TmpfsNamespace), to fill a file system without touching the host's.
    public static let mountNamespaceTools = Tool("unshare and mount", from: "Debian packages util-linux and mount",
                                                 files: [.executable("unshare"), .executable("mount")])

    /// wireguard-go, the userspace WireGuard that Debian ships: the peer of VirtBench's WireGuard
    /// port, on a TUN device in a network namespace (this kernel has no WireGuard module).
    public static let wireguardGo = Tool("wireguard-go", from: "Debian package wireguard-go", files: [.executable("wireguard-go")])
    /// wg, which configures wireguard-go (`wg setconf`, `wg set`) and reads its counters (`wg show`).
    public static let wireguardTools = Tool("wg", from: "Debian package wireguard-tools", files: [.executable("wg")])

    /// tshark reads the pcap files `-object filter-dump` writes and decodes the frames in them.
    public static let tshark = Tool("tshark", from: "Debian package tshark", files: [.executable("tshark")])

    /// mkfs.ext4 -d makes a disk image from a folder; fsck.ext4 -n checks it; debugfs reads a file out.
    public static let e2fsprogs = Tool("mkfs.ext4, fsck.ext4 and debugfs", from: "Debian package e2fsprogs",
                                       files: [.firstOf(["/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"]),
                                               .firstOf(["/usr/sbin/fsck.ext4", "/sbin/fsck.ext4"]),
                                               .firstOf(["/usr/sbin/debugfs", "/sbin/debugfs"])])

    /// qemu-img and qemu-io: the reference implementation of the qcow2 format, for the storage
    /// interoperability tests (images made by one and read or checked by the other).
    public static let qemuImageTools = Tool("qemu-img and qemu-io", from: "Debian package qemu-utils",
                                            files: [.executable("qemu-img"), .executable("qemu-io")])

    /// qemu-nbd: QEMU's NBD server, the peer of the NBD client drive (`-drive file=nbd://...`).
    public static let qemuNBD = Tool("qemu-nbd", from: "Debian package qemu-utils", files: [.executable("qemu-nbd")])

    /// The command-line tool, built with the tests (`VIRTBENCH_BINARY` overrides the path).
    public static let virtbench = Tool("virtbench", from: "this package's build", files: [.builtExecutable("virtbench")])

    /// Every tool a test may declare: what `.ci/run` must install and check.
    public static let all: [Tool] = [
        qemuSystemRISCV64, qemuSystemARM, dtc, corpusToolchain, llvmObjdump,
        openSBIJumpELF, openSBIJumpBinary, openSBIDynamicELF, openSBIDynamicBinary, qemuOpenSBIDynamicBinary,
        uBootMachineELF, uBootMachineBinary, uBootSupervisorELF, terminalTools, kernelKit, kernelKitVirtio, kernelKitCommandLine, kernelKitVirtioIO, kernelKitNet, kernelKitNetPeers, kernelKitNetSwitch, kernelKit9p, networkNamespaceTools, mountNamespaceTools, wireguardGo, wireguardTools, e2fsprogs, tshark,
        gdbMultiarch, qemuImageTools, qemuNBD, virtbench,
    ]
}
