import Foundation
import Testing
@testable import Harness
import TestSupport

/// The builder and the reference runs of the ISA corpus.
@Suite struct CorpusTests {
    @Test func catalogueNamesAreUniqueAndSourcesExist() throws {
        let root = try PackageRoot.locate()
        let names = CorpusCatalogue.all.map(\.name)
        #expect(Set(names).count == names.count)
        for program in CorpusCatalogue.all {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(program.source).path), "\(program.source)")
            // A Thumb build prints what its RV64 twin prints, and a para-virtual build what its plain
            // build prints, so each can be compared with the other line for line.
            let printedName = program.nativeCounterpart ?? (program.category == .thumb && program.name.hasSuffix("-thumb")
                ? String(program.name.dropLast("-thumb".count)) : program.name)
            #expect(program.expectedFinalLine == "PASS \(printedName)")
        }
        #expect(CorpusCatalogue.programs(in: .isa).count == CorpusCatalogue.isa.count)
    }

    /// ISA tests are assembled for the complete multi-letter extensions of the descriptions, with
    /// no hand-kept list: today Zba and Zbs; Zicsr and Zifencei are in G already.
    @Test func isaTestsAreAssembledForTheCompleteDescribedExtensions() throws {
        let march = CorpusArchitecture.hartMarch("rv64gc")
        #expect(march == "rv64gc_zba_zbs")
        #expect(!march.contains("zicsr") && !march.contains("zifencei"))
        #expect(try #require(CorpusCatalogue.program(named: "rv64i")).architecture == .riscv64(march: march))
        #expect(CorpusProgram(name: "x", category: .isa, source: "", linkerScript: "", commonFiles: [], includeDirectories: [],
                              architecture: .riscv64(march: CorpusArchitecture.hartMarch("rv64gch")), expectedFinalLine: "")
                    .requiresHypervisorExtension)
    }

    @Test func packageRootIsFoundFromThisFile() throws {
        let root = try PackageRoot.locate(from: URL(fileURLWithPath: #filePath))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path))
        #expect(throws: CorpusBuildError.self) { try PackageRoot.locate(from: URL(fileURLWithPath: "/")) }
    }

    @Test func missingToolchainIsAClearError() {
        #expect(throws: CorpusBuildError.toolMissing(tool: "clang", searched: ["/nonexistent"])) {
            try CorpusToolchain.locate(in: ["/nonexistent"])
        }
    }

    @Test(.requires(.corpusToolchain)) func builderBuildsEveryProgram() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let images = try builder.buildAll(CorpusCatalogue.isa)
        #expect(images.count == CorpusCatalogue.isa.count)
        for (program, image) in zip(CorpusCatalogue.isa, images) {
            let data = try Data(contentsOf: image)
            // ELF magic, 64-bit class, RISC-V machine (EM_RISCV = 243, ELF gABI).
            #expect(data.prefix(4) == Data([0x7f, 0x45, 0x4c, 0x46]), "\(program.name)")
            #expect(data[4] == 2)
            #expect(data[18] == 243)
            #expect(try builder.isUpToDate(program))
        }
    }

    @Test(.requires(.corpusToolchain)) func compileErrorsAreReported() throws {
        let builder = try CorpusBuilder.forThisPackage()
        let broken = CorpusProgram(
            name: "broken-for-test", category: .isa, source: "Corpus/common/link.ld",
            linkerScript: "Corpus/common/link.ld", commonFiles: [], includeDirectories: [],
            architecture: .riscv64(march: "rv64gc"), expectedFinalLine: "PASS broken")
        do {
            try builder.build(broken)
            Issue.record("a linker script compiled as assembly should not build")
        } catch let error {
            guard case .toolFailed(let name, _, _, let output) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(name == "broken-for-test")
            #expect(!output.isEmpty)
        }
        let missing = CorpusProgram.isa("does-not-exist")
        #expect(throws: CorpusBuildError.inputMissing(program: "does-not-exist",
                                                      path: builder.packageRoot.appendingPathComponent("Corpus/isa/does-not-exist.S").path)) {
            try builder.build(missing)
        }
    }

    /// Every ISA program must pass on the reference machine: this is what makes the corpus
    /// a specification VirtBench can be held to.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64), arguments: CorpusCatalogue.isa)
    func passesOnQEMU(_ program: CorpusProgram) throws {
        let builder = try CorpusBuilder.forThisPackage()
        let image = try builder.build(program)
        let result = try CorpusRun.onQEMU(image: image, timeout: 180)
        #expect(!result.timedOut, "\(program.name) timed out; output:\n\(result.output)")
        #expect(result.finalLine == program.expectedFinalLine, "output:\n\(result.output)")
        #expect(result.exitStatus == 0)
        #expect(result.passes(program))
    }
}

/// TeachOS's catalogue entry agrees with its sources.
@Suite struct TeachingOSCatalogueTests {
    @Test func everySourceExistsAndTheTestCountIsTheKernels() throws {
        let root = try PackageRoot.locate()
        let kernel = TeachingOS.kernel
        #expect(CorpusCatalogue.teachingOS == [kernel])
        #expect(CorpusCatalogue.program(named: kernel.name) == nil, "not in `all`: it needs its disk")
        for path in [kernel.source, kernel.linkerScript] + kernel.additionalSources + kernel.commonFiles + TeachingOS.mkfs.sources {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path), "\(path)")
        }
        // main() runs each test with one `run("name", test_name);` line.
        let tests = try String(contentsOf: root.appendingPathComponent("Corpus/teachos/tests.c"), encoding: .utf8)
        let runs = tests.split(separator: "\n").filter { $0.hasPrefix("    run(\"") }
        #expect(runs.count == TeachingOS.testCount)
        #expect(kernel.expectedFinalLine == "teachos: \(TeachingOS.testCount)/\(TeachingOS.testCount) tests passed")
    }
}
