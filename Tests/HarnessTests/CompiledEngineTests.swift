import Foundation
import Machine
import Testing
@testable import DifferentialTesting
@testable import Harness
import TestSupport

/// The compiled engine (Machine/BlockCompiler.swift) against the interpreter it stands in for:
/// the same guest must print the same, stop the same way and retire exactly as many
/// instructions; a random program must dump the same registers and memory. Serialized: each
/// run keeps a 128 MiB board and a busy hart.
@Suite(.serialized) struct CompiledEngineTests {
    static var compilesOnThisHost: Bool {
        #if arch(x86_64)
        return true
        #else
        return false
        #endif
    }

    /// The CPU workloads (small builds) and the ISA programs (traps, CSRs, self-modifying code,
    /// page tables), bare metal.
    static let programs = CPUCorpusTests.small + CorpusCatalogue.programs(in: .isa)

    @Test(.requires(.corpusToolchain), arguments: programs)
    func programRunsTheSameCompiledAndInterpreted(_ program: CorpusProgram) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let image = try builder.build(program)
        try Self.expectSameRun(GuestRun.Options(kernel: image.path, instructionLimit: 400_000_000), program)
    }

    /// Stopped by an instruction limit mid-run (odd, so it falls inside a block and inside a
    /// run of chained compiled blocks): both engines stop at the same instruction with the same output.
    @Test(.requires(.corpusToolchain), arguments: [1_000_003, 7_777_777] as [UInt64])
    func instructionLimitStopsBothEnginesAlike(_ limit: UInt64) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let program = CorpusProgram.cpuWorkload("bytecode", scale: .small)
        let image = try builder.build(program)
        try Self.expectSameRun(GuestRun.Options(kernel: image.path, instructionLimit: limit), program)
    }

    /// The OS-bound kernel under OpenSBI: S- and U-mode, Sv39, timer interrupts, system calls.
    @Test(.requires(.corpusToolchain, .openSBIJumpELF)) func kernelUnderOpenSBIRunsTheSameCompiledAndInterpreted() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let firmware = KernelTests.openSBI
        let program = try #require(CorpusCatalogue.program(named: "kernel"))
        let image = try builder.build(program)
        try Self.expectSameRun(GuestRun.Options(kernel: image.path, firmware: .file(firmware), instructionLimit: 200_000_000), program)
    }

    static func expectSameRun(_ options: GuestRun.Options, _ program: CorpusProgram) throws {
        var options = options
        options.compileBlocks = false
        let interpreted = try GuestRun.run(options)
        options.compileBlocks = true
        options.compileThreshold = 0  // every block compiled at its first run: the compiler is under test
        let compiled = try GuestRun.run(options)
        #expect(compiled.output == interpreted.output, "\(program.name): interpreted printed\n\(interpreted.output)\ncompiled printed\n\(compiled.output)")
        #expect(compiled.instructions == interpreted.instructions, "\(program.name)")
        #expect(compiled.stop == interpreted.stop, "\(program.name)")
        #expect(compiled.limitReached == interpreted.limitReached, "\(program.name)")
        #expect(compiled.counters.codeInvalidations == interpreted.counters.codeInvalidations, "\(program.name)")
        #expect(interpreted.counters.blocksCompiled == 0)
        if Self.compilesOnThisHost {
            #expect(compiled.counters.blocksCompiled > 0, "\(program.name): no block was compiled")
        }
        print("\(program.name): \(compiled.instructions) instructions; \(compiled.counters.blocksCompiled) of \(compiled.counters.blocksDecoded) blocks compiled, \(compiled.counters.compiledBlockStops) early stops; interpreted \(String(format: "%.3f", interpreted.wallSeconds)) s, compiled \(String(format: "%.3f", compiled.wallSeconds)) s")
    }

    /// Random programs (every RV64GC row of the generator's table, branches, loads and stores
    /// near their data), aligned and with misaligned accesses, whose dumps must agree.
    /// `VIRTBENCH_RANDOM_PROGRAMS` scales the count as for the QEMU comparison.
    @Test(.requires(.corpusToolchain), arguments: [false, true])
    func randomProgramsDumpTheSameCompiledAndInterpreted(misaligned: Bool) throws {
        let builder = try #require(RandomProgramBuilder(outputDirectory: RandomProgramBuilder.packageRoot + "/.build/random/engines"))
        let count = max((ProcessInfo.processInfo.environment["VIRTBENCH_RANDOM_PROGRAMS"].flatMap(Int.init) ?? 200) / 2, 10)
        let firstSeed: UInt64 = misaligned ? 0xE61E_8000 : 0xE61E_0000
        let generator = RandomProgramGenerator(configuration: .init(instructionCount: 200, allowMisalignedAccesses: misaligned))
        let tester = RandomDifferentialTester(reference: VirtBenchRandomProgramTarget(name: "interpreter", compileBlocks: false),
                                              candidate: VirtBenchRandomProgramTarget(name: "compiled", compileBlocks: true),
                                              builder: builder, generator: generator)
        let results = try tester.run(seeds: firstSeed..<(firstSeed + UInt64(count)))
        #expect(results.count == count)
        for failure in results where !failure.matched {
            Issue.record("""
                seed \(failure.seed): \(failure.differences.prefix(5)); minimized to \(failure.minimizedInstructionCount ?? -1) \
                instructions in \(failure.failureDirectory ?? "?")
                """)
        }
    }
}
