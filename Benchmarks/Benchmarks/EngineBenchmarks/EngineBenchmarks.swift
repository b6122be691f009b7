import Benchmark
import Foundation
import Harness
import Loader
import Machine
import RISCV

/// The execution engine's paths, one benchmark each (issue 3): guest MIPS on every CPU
/// workload (small builds, in process through `GuestRun`), the cost of decoding one
/// instruction, the TLB miss path, and the block cache under self-modifying code.
///
/// Wall clock and malloc statistics come from package-benchmark; the guest-level figures
/// (MIPS, nanoseconds per page walk or per code rewrite) are custom metrics computed from the
/// hart's exact counters, so a regression shows up in the unit that explains it.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: .seconds(3),
        maxIterations: 20
    )

    // Compiled blocks (the default engine) and the interpreter alone, so the compiler's gain is measured too.
    for workload in CorpusCatalogue.cpuWorkloads {
      for compiled in [true, false] {
        let program = CorpusProgram.cpuWorkload(workload, scale: .small)
        Benchmark(compiled ? "Guest MIPS/\(program.name)" : "Guest MIPS (interpreter)/\(program.name)",
                  configuration: .init(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident, GuestMetric.mips, GuestMetric.instructions])) { benchmark, image in
            for _ in benchmark.scaledIterations {
                let result = try GuestBench.run(program, image: image, compileBlocks: compiled)
                benchmark.measurement(GuestMetric.mips, Int(result.mips.rounded()))
                benchmark.measurement(GuestMetric.instructions, Int(result.instructions))
            }
        } setup: {
            try GuestBench.build(program)
        }
      }
    }

    Benchmark("Decode/one instruction",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal, GuestMetric.decodePicoseconds],
                                   scalingFactor: .one, maxIterations: 200)) { benchmark, words in
        for _ in benchmark.scaledIterations {
            let started = BenchProcess.monotonicNanoseconds()
            for word in words { blackHole(Decoder.decode(word)) }
            let elapsed = BenchProcess.monotonicNanoseconds() - started
            benchmark.measurement(GuestMetric.decodePicoseconds, Int(elapsed * 1000 / UInt64(words.count)))
        }
    } setup: {
        try DecodeBench.instructionWords(of: CorpusProgram.cpuWorkload("coremark-like", scale: .small))
    }

    Benchmark("TLB/miss path (Sv39, 2048 pages)",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal, GuestMetric.pageWalks, GuestMetric.nanosecondsPerPageWalk])) { benchmark, image in
        for _ in benchmark.scaledIterations {
            let result = try GuestBench.run(BenchGuests.tlbWalk, image: image)
            let walks = max(result.counters.pageWalks, 1)
            benchmark.measurement(GuestMetric.pageWalks, Int(result.counters.pageWalks))
            benchmark.measurement(GuestMetric.nanosecondsPerPageWalk, Int((result.wallSeconds * 1e9 / Double(walks)).rounded()))
        }
    } setup: {
        try GuestBench.build(BenchGuests.tlbWalk)
    }

    Benchmark("Block cache/self-modifying code",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal, GuestMetric.codeInvalidations, GuestMetric.nanosecondsPerRewrite])) { benchmark, image in
        for _ in benchmark.scaledIterations {
            let result = try GuestBench.run(BenchGuests.selfModifyingCode, image: image)
            let rewrites = max(result.counters.codeInvalidations, 1)
            benchmark.measurement(GuestMetric.codeInvalidations, Int(result.counters.codeInvalidations))
            benchmark.measurement(GuestMetric.nanosecondsPerRewrite, Int((result.wallSeconds * 1e9 / Double(rewrites)).rounded()))
        }
    } setup: {
        try GuestBench.build(BenchGuests.selfModifyingCode)
    }
}

/// Figures computed from the hart's counters rather than measured by package-benchmark.
enum GuestMetric {
    static let mips = BenchmarkMetric.custom("guest MIPS", polarity: .prefersLarger, useScalingFactor: false)
    static let instructions = BenchmarkMetric.custom("guest instructions", polarity: .prefersSmaller, useScalingFactor: false)
    static let decodePicoseconds = BenchmarkMetric.custom("decode ps/instruction", polarity: .prefersSmaller, useScalingFactor: false)
    static let pageWalks = BenchmarkMetric.custom("page walks", polarity: .prefersSmaller, useScalingFactor: false)
    static let nanosecondsPerPageWalk = BenchmarkMetric.custom("run ns/page walk", polarity: .prefersSmaller, useScalingFactor: false)
    static let codeInvalidations = BenchmarkMetric.custom("code invalidations", polarity: .prefersSmaller, useScalingFactor: false)
    static let nanosecondsPerRewrite = BenchmarkMetric.custom("run ns/code rewrite", polarity: .prefersSmaller, useScalingFactor: false)
}

/// A guest run that did not pass: its figures would describe a broken engine, so the
/// benchmark stops with the reason instead of recording them.
struct GuestBenchFailure: Error, CustomStringConvertible {
    let description: String
}

enum GuestBench {
    /// Builds the image once, in the benchmark's setup (clang and ld.lld from the Swift toolchain).
    static func build(_ program: CorpusProgram) throws -> String {
        try CorpusBuilder.forThisPackage().build(program).path
    }

    /// Runs the image to completion in process and checks it passed.
    static func run(_ program: CorpusProgram, image: String, compileBlocks: Bool = true) throws -> GuestRunResult {
        var options = GuestRun.Options(kernel: image, instructionLimit: 2_000_000_000)
        options.compileBlocks = compileBlocks
        let result = try GuestRun.run(options)
        let last = result.output.split(separator: "\n").last.map(String.init)
        guard result.exitStatus == 0, last == program.expectedFinalLine else {
            throw GuestBenchFailure(description: "\(program.name) did not pass (status \(result.exitStatus), last line '\(last ?? "")')")
        }
        return result
    }
}

enum DecodeBench {
    /// The instruction words of a real compiled workload, in program order: the executable
    /// segments walked instruction by instruction (2 or 4 bytes, by the low two bits), so the
    /// mix of compressed and full-size forms is what clang emits for RV64GC.
    static func instructionWords(of program: CorpusProgram) throws -> [UInt32] {
        let path = try GuestBench.build(program)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GuestBenchFailure(description: "cannot read \(path)")
        }
        let image = try ELFImage(bytes: [UInt8](data), expecting: .riscv)
        let executable: UInt32 = 1 // PF_X, System V gABI program header flags
        var words: [UInt32] = []
        for segment in image.segments where segment.flags & executable != 0 {
            let bytes = Array(segment.fileBytes)
            var offset = 0
            while offset + 2 <= bytes.count {
                let low = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
                if low & 3 == 3 {
                    guard offset + 4 <= bytes.count else { break }
                    words.append(low | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
                    offset += 4
                } else {
                    words.append(low)
                    offset += 2
                }
            }
        }
        guard !words.isEmpty else { throw GuestBenchFailure(description: "\(path) has no executable segment") }
        return words
    }
}
