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
    /// It is an S-mode payload linked at 0x8020_0000, so it needs SBI firmware underneath
    /// (OpenSBI's fw_jump, or the hypervisor's SBI later): it cannot run with `-bios none`.
    public static let corpusKernel = CorpusProgram(
        name: "kernel",
        category: .os,
        source: "Corpus/kernel/entry.S",
        linkerScript: "Corpus/kernel/link.ld",
        commonFiles: ["Corpus/kernel/syscall.h", "Corpus/kernel/link.ld"],
        includeDirectories: ["Corpus/kernel"],
        architecture: .riscv64(march: "rv64gc"),
        expectedFinalLine: "PASS kernel",
        compilerFlags: corpusKernelFlags,
        additionalSources: ["Corpus/kernel/kernel.c", "Corpus/kernel/user.c"],
        firmware: .openSBIJump
    )
}

extension CorpusCatalogue {
    /// Programs that need an operating-system environment (SBI firmware below them): the
    /// corpus kernel and, through it, the OS-bound microbenchmarks.
    public static let os: [CorpusProgram] = [CorpusProgram.corpusKernel]

    /// The OS-bound microbenchmarks the corpus kernel runs, in the order it prints them; each
    /// prints `<name>: <count> iterations, checksum 0x<16 hex digits>`. `process` is process
    /// create/destroy; the kernel also prints a `preemption:` line, a check rather than a benchmark.
    public static let kernelMicrobenchmarks = ["syscall", "pagefault", "ctxswitch", "process", "pte", "mmio", "timer"]
}
