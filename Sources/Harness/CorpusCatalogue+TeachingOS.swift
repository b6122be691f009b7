import Foundation

/// TeachOS (`Corpus/teachos`), the corpus's teaching operating system: an M-mode start that
/// hands the machine to an S-mode kernel with Sv39 paging, the Sstc timer, the PLIC, an
/// interrupt-driven virtio-blk driver on the modern virtio-mmio transport, a buffer cache and a
/// file system of its own (TFS). It runs its own test suite at every boot, on a disk made by its
/// host tool `mkfs`, with xv6's QEMU command line (issue 18, must-show 1).
public enum TeachingOS {
    /// The kernel, built like every corpus program (not in `CorpusCatalogue.all`: it needs its disk).
    public static let kernel = CorpusProgram(
        name: "teachos",
        category: .os,
        source: "Corpus/teachos/entry.S",
        linkerScript: "Corpus/teachos/link.ld",
        commonFiles: headers,
        includeDirectories: ["Corpus/teachos"],
        architecture: .riscv64(march: "rv64gc"),
        expectedFinalLine: "teachos: \(testCount)/\(testCount) tests passed",
        compilerFlags: ["-O2", "-ffreestanding", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-Wall", "-Wextra"],
        additionalSources: ["start.c", "console.c", "trap.c", "vm.c", "plic.c", "virtio_blk.c", "bio.c", "fs.c", "tests.c"]
            .map { "Corpus/teachos/\($0)" }
    )

    /// The host tool that makes the disk image (`mkfs FILE`): built for the build host, shares
    /// `fs.h` with the kernel so the two agree on the layout.
    public static let mkfs = HostProgram(name: "teachos-mkfs", sources: ["Corpus/teachos/mkfs.c"], headers: ["Corpus/teachos/fs.h"])

    /// The headers every part of the kernel includes.
    public static let headers = ["Corpus/teachos/kernel.h", "Corpus/teachos/riscv.h", "Corpus/teachos/fs.h"]

    /// The number of tests the kernel runs at boot (tests.c's main); each prints one `test NAME: ...` line.
    public static let testCount = 25

    /// xv6's QEMU line, the one issue 18 names, with the kernel and the disk named as xv6's
    /// Makefile names them (run in the folder holding both). `-machine virt` comes first as in
    /// xv6's Makefile: QEMU 7.2's default board for qemu-system-riscv64 is `spike`, which has no
    /// virtio-mmio bus, so without it QEMU refuses the line ("Bus 'virtio-mmio-bus.0' not found").
    public static let commandLine = [
        "-machine", "virt", "-bios", "none", "-kernel", "kernel", "-m", "128M", "-smp", "1", "-nographic",
        "-global", "virtio-mmio.force-legacy=false",
        "-drive", "file=fs.img,if=none,format=raw,id=x0",
        "-device", "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0",
    ]
}

extension CorpusCatalogue {
    /// TeachOS's kernel (`TeachingOS`): run with a disk of its own, so not in `all`, as `virtio`.
    public static let teachingOS: [CorpusProgram] = [TeachingOS.kernel]
}
