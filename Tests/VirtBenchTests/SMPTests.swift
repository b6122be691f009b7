import Foundation
import Harness
import Testing
import TestSupport

/// `-smp`: several harts, on their own threads in real time and in turns with `--icount`,
/// checked with Corpus/smp/smp4.S (AMOs and LR/SC from four harts, cross-modifying code) against
/// QEMU running the same image.
@Suite struct SMPTests {
    func image() throws -> URL {
        try CorpusBuilder.forThisPackage().build(try #require(CorpusCatalogue.smp.first { $0.name == "smp4" }))
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func smp4PassesOnQEMU() throws {
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        let result = ProcessRunner.run(qemu, ["-M", "virt", "-smp", "4", "-m", "128M", "-nographic", "-bios", "none",
                                              "-kernel", try image().path], timeout: 60)
        #expect(result.status == 0 && result.stdout.hasSuffix("PASS smp4\n"), "\(result.stdout)\(result.stderr)")
    }

    /// Real time: four host threads; totals exact, and the rewritten code runs after FENCE.I.
    /// Compiled at the default threshold, compiled at every block's first run, and interpreted.
    @Test(.requires(.corpusToolchain), arguments: [["--engine", "compiled"], ["--engine", "compiled", "--compile-threshold", "0"],
                                                   ["--engine", "interpreter"]])
    func smp4PassesOnParallelHarts(engine: [String]) throws {
        let result = try ProcessRunner.runVirtBench(["run", "-M", "virt", "-smp", "4", "-m", "128M", "-nographic", "-bios", "none",
                                                     "-kernel", try image().path] + engine, timeout: 120)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "PASS smp4\n")
    }

    /// `--icount`: harts take turns on one thread, so two runs retire the same instructions.
    @Test(.requires(.corpusToolchain)) func icountRunsAreIdentical() throws {
        let arguments = ["run", "-M", "virt", "-smp", "4", "-m", "128M", "-nographic", "-bios", "none",
                         "-kernel", try image().path, "--icount", "--summary"]
        let first = try ProcessRunner.runVirtBench(arguments, timeout: 120)
        let second = try ProcessRunner.runVirtBench(arguments, timeout: 120)
        #expect(first.status == 0 && first.stdout == "PASS smp4\n", "\(first.stdout)\(first.stderr)")
        // Everything but the wall-time line must match, counts included.
        func counts(_ r: ProcessResult) -> [Substring] { r.stderrLines.filter { !$0.contains("wall time") } }
        #expect(counts(first) == counts(second))
        #expect(counts(first).contains { $0.contains("instructions retired") && $0.contains("hart 3") }, "\(first.stderr)")
    }

    @Test func topologyFollowsQEMUsRules() throws {
        for (spec, fragment) in [("0", "greater than zero"), ("4,sockets=3", "invalid CPU topology"),
                                 ("2,maxcpus=1", "invalid CPU topology"), ("513", "at most 512"),
                                 ("4,dies=2", "unknown parameter"), ("4,cores=2,cores=2", "given twice")] {
            let arguments = ["run", "-smp", spec, "-bios", "none", "-kernel", "/nonexistent"]
            let result = try ProcessRunner.runVirtBench(arguments, timeout: 20)
            result.expectOneLineError(for: arguments, containing: fragment, sourceLocation: #_sourceLocation)
        }
    }
}
