extension CorpusProgram {
    /// The CPU-bound workload `Corpus/cpu/<workload>.c` built for ARMv6-M (Cortex-M0) with the
    /// runtime in `Corpus/cpu/runtime/thumb`, for the emulation mode. The name is
    /// `<workload>-thumb` or `<workload>-small-thumb`, so it never collides with the RV64 image;
    /// the program itself prints the same lines as the RV64 build (`<workload>[-small]: checksum
    /// <hex>`, `PASS <workload>[-small]`) because it is the same source, and ends through
    /// semihosting SYS_EXIT. It runs on `qemu-system-arm -M mps2-an385 -semihosting` and on the
    /// VirtBench Thumb board (same memory map; link.ld says why not the micro:bit).
    public static func thumbWorkload(_ workload: String, scale: CPUWorkloadScale) -> CorpusProgram {
        let printedName = workload + scale.nameSuffix
        return CorpusProgram(
            name: printedName + "-thumb",
            category: .thumb,
            source: "Corpus/cpu/\(workload).c",
            linkerScript: "Corpus/cpu/runtime/thumb/link.ld",
            commonFiles: ["Corpus/cpu/workload.h", "Corpus/cpu/runtime/memory.h"],
            includeDirectories: ["Corpus/cpu"],
            architecture: .thumbv6m,
            expectedFinalLine: "PASS \(printedName)",
            compilerFlags: cpuWorkloadFlags + ["-DWORKLOAD_SCALE=\(scale.rounds)"],
            additionalSources: ["Corpus/cpu/runtime/thumb/runtime.c", "Corpus/cpu/runtime/memory.c"]
        )
    }
}

extension CorpusCatalogue {
    /// Every CPU workload built for Thumb at both scales. All eight are here, nbody included: the
    /// runtime's soft binary64 arithmetic and sqrt round exactly as IEEE 754 requires, so its
    /// checksum equals the RV64 hardware-double build's.
    public static let thumb: [CorpusProgram] = cpuWorkloads.flatMap { workload in
        CPUWorkloadScale.allCases.map { CorpusProgram.thumbWorkload(workload, scale: $0) }
    }
}
