extension CorpusProgram {
    /// Flags the corpus kernel is compiled with. -fno-jump-tables because its user programs
    /// (user.c) are linked at their user address: a switch table would land in the kernel's
    /// .rodata, out of a user process's reach (see the comment at the top of user.c).
    public static let corpusKernelFlags = [
        "-O2", "-ffreestanding", "-fno-jump-tables",
        "-fno-asynchronous-unwind-tables", "-fno-unwind-tables",
    ]

    /// The corpus kernel (`Corpus/kernel`): a small S-mode operating system on the SBI with
    /// Sv39 paging, timer interrupts, user processes, system calls and demand paging, which runs
    /// the OS-bound microbenchmarks and prints `PASS kernel`.
    ///
    /// It is an S-mode payload linked at 0x8020_0000, so it needs SBI firmware underneath: the
    /// corpus's own (`Corpus/firmware`) by default; Debian's OpenSBI fw_jump works the same.
    /// It cannot run with `-bios none`.
    public static let corpusKernel = CorpusProgram(
        name: "kernel",
        category: .os,
        source: "Corpus/kernel/entry.S",
        linkerScript: "Corpus/kernel/link.ld",
        commonFiles: ["Corpus/kernel/syscall.h", "Corpus/kernel/link.ld", "Corpus/kernel/pv.h"],
        includeDirectories: ["Corpus/kernel"],
        architecture: .riscv64(march: "rv64gc"),
        expectedFinalLine: "PASS kernel",
        compilerFlags: corpusKernelFlags,
        additionalSources: ["Corpus/kernel/kernel.c", "Corpus/kernel/user.c"],
        firmware: .corpusSBI
    )

    /// The corpus kernel built as a para-virtual kernel (`-DPARAVIRT`): the same source, its
    /// privileged operations (`struct pv_ops`, Corpus/kernel/pv.h) done by hypercalls instead
    /// (Corpus/kernel/pv.c). Only `para` runs it; it prints exactly what `kernel` prints in
    /// `native`, and the harness holds the two against each other (`nativeCounterpart`).
    public static let corpusKernelPV = CorpusProgram(
        name: "kernel-pv",
        category: .os,
        source: "Corpus/kernel/entry.S",
        linkerScript: "Corpus/kernel/link.ld",
        commonFiles: ["Corpus/kernel/syscall.h", "Corpus/kernel/link.ld", "Corpus/kernel/pv.h", "Corpus/kernel/pv.c"],
        includeDirectories: ["Corpus/kernel"],
        architecture: .riscv64(march: "rv64gc"),
        expectedFinalLine: "PASS kernel",
        compilerFlags: corpusKernelFlags + ["-DPARAVIRT"],
        additionalSources: ["Corpus/kernel/kernel.c", "Corpus/kernel/user.c"],
        firmware: .corpusSBI
    )

    /// The corpus kernel built to run the CPU-bound workloads (`Corpus/cpu`, small scale) as
    /// U-mode processes instead of its microbenchmarks: each workload runs alone in its own
    /// address space and prints exactly the lines its bare-metal `<workload>-small` build
    /// prints, then the kernel prints `PASS kernel-cpu`.
    ///
    /// A separate build (KERNEL_CPU_WORKLOADS) rather than part of `kernel`'s run, so the
    /// microbenchmarks' output and cost stay as they are. The workloads' sources are compiled
    /// through `Corpus/kernel/cpu/user-*.c` (which rename each `workload_main`), with the CPU
    /// corpus's own flags, and `cpu/user-runtime.c` replaces the bare-metal runtime.
    public static let corpusKernelCPU = CorpusProgram(
        name: "kernel-cpu",
        category: .os,
        source: "Corpus/kernel/entry.S",
        linkerScript: "Corpus/kernel/link.ld",
        commonFiles: ["Corpus/kernel/syscall.h", "Corpus/kernel/link.ld", "Corpus/kernel/pv.h", "Corpus/cpu/workload.h"]
            + CorpusCatalogue.cpuWorkloads.map { "Corpus/cpu/\($0).c" },
        includeDirectories: ["Corpus/kernel", "Corpus/cpu"],
        architecture: .riscv64(march: "rv64gc"),
        expectedFinalLine: "PASS kernel-cpu",
        compilerFlags: corpusKernelFlags + ["-fno-math-errno", "-ffp-contract=off", "-DKERNEL_CPU_WORKLOADS",
                                            "-DWORKLOAD_SCALE=\(CPUWorkloadScale.small.rounds)"],
        additionalSources: ["Corpus/kernel/kernel.c", "Corpus/kernel/user.c", "Corpus/kernel/cpu/user-runtime.c"]
            + CorpusCatalogue.cpuWorkloads.map { "Corpus/kernel/cpu/user-\($0).c" },
        firmware: .corpusSBI
    )

    /// The CPU workloads as user programs of the para-virtual kernel: `kernel-cpu` with
    /// -DPARAVIRT, held against `kernel-cpu` in `native`.
    public static let corpusKernelCPUPV = CorpusProgram(
        name: "kernel-cpu-pv",
        category: .os,
        source: corpusKernelCPU.source,
        linkerScript: corpusKernelCPU.linkerScript,
        commonFiles: corpusKernelCPU.commonFiles + ["Corpus/kernel/pv.c"],
        includeDirectories: corpusKernelCPU.includeDirectories,
        architecture: corpusKernelCPU.architecture,
        expectedFinalLine: corpusKernelCPU.expectedFinalLine,
        compilerFlags: corpusKernelCPU.compilerFlags + ["-DPARAVIRT"],
        additionalSources: corpusKernelCPU.additionalSources,
        firmware: .corpusSBI
    )

    /// The corpus's M-mode SBI firmware (`Corpus/firmware`), linked at 0x8000_0000 like
    /// OpenSBI's fw_jump. Not a program of the catalogue: CorpusBuilder builds it beside every
    /// payload whose firmware is `.corpusSBI`.
    public static let corpusSBIFirmware = CorpusProgram(
        name: "sbi-firmware",
        category: .os,
        source: "Corpus/firmware/entry.S",
        linkerScript: "Corpus/firmware/link.ld",
        commonFiles: ["Corpus/firmware/sbi.h", "Corpus/firmware/link.ld"],
        includeDirectories: ["Corpus/firmware"],
        architecture: .riscv64(march: "rv64gc"),
        expectedFinalLine: CorpusFirmware.corpusSBIBanner,
        compilerFlags: ["-O2", "-ffreestanding", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"],
        additionalSources: ["Corpus/firmware/firmware.c"]
    )

    /// The SBI self-test (`Corpus/sbi`): an S-mode payload that calls every SBI function the
    /// corpus firmware implements, with good and bad arguments, and prints `PASS sbi`.
    public static let sbiSelfTest = CorpusProgram(
        name: "sbi",
        category: .os,
        source: "Corpus/sbi/entry.S",
        linkerScript: "Corpus/sbi/link.ld",
        commonFiles: ["Corpus/firmware/sbi.h", "Corpus/sbi/link.ld"],
        includeDirectories: ["Corpus/firmware"],
        architecture: .riscv64(march: "rv64gc"),
        expectedFinalLine: "PASS sbi",
        compilerFlags: ["-O2", "-ffreestanding", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"],
        additionalSources: ["Corpus/sbi/sbitest.c"],
        firmware: .corpusSBI
    )
}

extension CorpusCatalogue {
    /// Programs that need an operating-system environment (SBI firmware below them): the
    /// corpus kernel and, through it, the OS-bound microbenchmarks; the kernel running the CPU
    /// workloads as user programs; and the SBI self-test.
    public static let os: [CorpusProgram] = [CorpusProgram.corpusKernel, .corpusKernelCPU, .sbiSelfTest, .corpusKernelPV, .corpusKernelCPUPV]

    /// The OS-bound microbenchmarks the corpus kernel runs, in the order it prints them; each
    /// prints `<name>: <count> iterations, checksum 0x<16 hex digits>`. `process` is process
    /// create/destroy; the kernel also prints a `preemption:` line, a check rather than a benchmark.
    public static let kernelMicrobenchmarks = ["syscall", "pagefault", "ctxswitch", "process", "pte", "mmio", "timer"]
}
