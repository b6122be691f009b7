/// How much work a CPU-bound workload build does.
///
/// The workloads repeat a unit of work `WORKLOAD_SCALE` times and carry expected checksums for
/// exactly these two scales (Corpus/cpu/workload.h): the full build runs about a second on QEMU
/// TCG (the benchmark), the small one a fiftieth of that (the tests and CI).
public enum CPUWorkloadScale: String, Sendable, CaseIterable, Codable {
    case full
    case small

    /// The value of `WORKLOAD_SCALE`; must match WORKLOAD_SCALE_FULL / _SMALL in workload.h.
    public var rounds: Int {
        switch self {
        case .full: return 50
        case .small: return 1
        }
    }

    /// Appended to the workload's name, as the program prints it.
    public var nameSuffix: String {
        switch self {
        case .full: return ""
        case .small: return "-small"
        }
    }
}

extension CorpusProgram {
    /// Flags every CPU workload is compiled with. -O2 because they are benchmarks; freestanding
    /// because there is no libc (it also keeps clang from turning the memops loops into calls to
    /// the functions they implement); no errno so `__builtin_sqrt` is the fsqrt.d instruction;
    /// no fused multiply-add contraction so nbody's doubles are bit-identical on every machine;
    /// no unwind tables, which bare metal never uses.
    public static let cpuWorkloadFlags = [
        "-O2", "-ffreestanding", "-fno-math-errno", "-ffp-contract=off",
        "-fno-asynchronous-unwind-tables", "-fno-unwind-tables",
    ]

    /// The CPU-bound workload `Corpus/cpu/<workload>.c`, built for RV64GC bare metal with the
    /// runtime in `Corpus/cpu/runtime/rv64`. The program is named `<workload>` (full) or
    /// `<workload>-small`; it prints `<name>: checksum <hex>` and then `PASS <name>`, and powers off
    /// with status 0, or prints `FAIL <name>` and exits with status 1.
    public static func cpuWorkload(_ workload: String, scale: CPUWorkloadScale) -> CorpusProgram {
        let name = workload + scale.nameSuffix
        return CorpusProgram(
            name: name,
            category: .cpu,
            source: "Corpus/cpu/\(workload).c",
            linkerScript: "Corpus/cpu/runtime/rv64/link.ld",
            commonFiles: ["Corpus/cpu/workload.h", "Corpus/cpu/runtime/memory.h"],
            includeDirectories: ["Corpus/cpu"],
            architecture: .riscv64(march: "rv64gc"),
            expectedFinalLine: "PASS \(name)",
            compilerFlags: cpuWorkloadFlags + ["-DWORKLOAD_SCALE=\(scale.rounds)"],
            additionalSources: ["Corpus/cpu/runtime/rv64/runtime.c", "Corpus/cpu/runtime/memory.c"]
        )
    }
}

extension CorpusCatalogue {
    /// The CPU-bound workloads (Corpus/cpu), one source each: integer, memory, branchy and
    /// floating-point work that needs no operating system.
    public static let cpuWorkloads = [
        "crc32", "sha256", "sort", "matmul", "nbody", "bytecode", "memops", "coremark-like",
    ]

    /// The CPU workloads whose work is floating point (the rest are integer, memory and branch
    /// work): reports give a geometric mean without them beside the one over all workloads.
    public static let floatingPointWorkloads: Set<String> = ["nbody"]

    /// Every CPU workload at both scales: `<workload>` and `<workload>-small`.
    public static let cpu: [CorpusProgram] = cpuWorkloads.flatMap { workload in
        CPUWorkloadScale.allCases.map { CorpusProgram.cpuWorkload(workload, scale: $0) }
    }
}
