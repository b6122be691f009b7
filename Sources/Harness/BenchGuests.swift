/// Guest programs written for the package-benchmark suites in Benchmarks/ (Corpus/bench): each
/// isolates one engine path that the CPU workloads exercise only in passing. They are not in
/// `CorpusCatalogue` because they measure, not check, an ISA feature; they are still
/// self-checking (they print `PASS <name>` only when their sums come out right), so a broken
/// engine cannot produce a fast-looking figure.
public enum BenchGuests {
    /// Sv39 with 2048 distinct 4 KiB pages touched per round and sfence.vma before every round:
    /// the TLB miss path (page walk and refill).
    public static let tlbWalk = program("tlbwalk")

    /// A routine rewritten and re-executed after fence.i thousands of times, next to a hot loop
    /// that must stay cached: block-cache invalidation under self-modifying code.
    public static let selfModifyingCode = program("smc")

    public static let all = [tlbWalk, selfModifyingCode]

    /// Built like the ISA self-checks (Corpus/common runtime), from `Corpus/bench/<name>.S`.
    static func program(_ name: String) -> CorpusProgram {
        let isa = CorpusProgram.isa(name)
        return CorpusProgram(name: "bench-" + name, category: .isa, source: "Corpus/bench/\(name).S",
                             linkerScript: isa.linkerScript, commonFiles: isa.commonFiles,
                             includeDirectories: isa.includeDirectories, architecture: isa.architecture,
                             expectedFinalLine: "PASS \(name)")
    }
}
