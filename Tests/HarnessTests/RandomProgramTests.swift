import Foundation
import Testing
@testable import DifferentialTesting
@testable import Harness
import TestSupport

/// Tests of the random-program generator and of the differential tester around it. Until
/// VirtBench's board can run programs, QEMU is compared with itself: that checks that every
/// generated program is valid (assembles, never traps, terminates) and deterministic.
@Suite struct RandomProgramTests {
    /// Mnemonics whose first operand is read, not written.
    static let firstOperandIsSource: Set<String> = [
        "sb", "sh", "sw", "sd", "fsw", "fsd", "c.sw", "c.sd", "c.fsd", "c.swsp", "c.sdsp", "c.fsdsp",
        "beq", "bne", "blt", "bge", "bltu", "bgeu", "c.beqz", "c.bnez", "c.jr", "c.jalr", "c.j",
    ]

    @Test func sameSeedGivesTheSameProgram() {
        let generator = RandomProgramGenerator()
        for seed: UInt64 in [0, 1, 42, 0xDEAD_BEEF, .max] {
            #expect(generator.generate(seed: seed).assembly == generator.generate(seed: seed).assembly)
        }
        #expect(generator.generate(seed: 1).assembly != generator.generate(seed: 2).assembly)
    }

    @Test func splitMixMatchesThePublishedSequence() {
        // First outputs of SplitMix64 seeded with 1234567 (reference implementation by Vigna).
        var rng = SplitMix64(seed: 1_234_567)
        #expect(rng.next() == 6_457_827_717_110_365_317)
        #expect(rng.next() == 3_203_168_211_198_807_973)
    }

    @Test func tableKeysAreUniqueAndEveryExtensionIsPresent() {
        let keys = RandomInstructionTable.all.map(\.key)
        #expect(Set(keys).count == keys.count, "duplicate keys: \(Dictionary(grouping: keys, by: { $0 }).filter { $0.value.count > 1 }.keys)")
        // Every extension the table draws from is drawn (a weight of its own or the default).
        #expect(RandomProgramExtension.allCases.allSatisfy { RandomProgramConfiguration().weight(of: $0) > 0 })
        // RMM must never be generated (left out on purpose, see RandomOperandKind.roundingMode).
        let text = (0..<20).map { RandomProgramGenerator().generate(seed: UInt64($0)).assembly }.joined()
        #expect(!text.contains("rmm"))
    }

    /// The ALU rows come from the descriptions, each with its format's operands; those of an
    /// extension not yet complete (so not in the -march) name it around their instruction alone.
    @Test func aluRowsAreDerivedFromTheDescriptions() throws {
        let rows = Dictionary(uniqueKeysWithValues: RandomInstructionTable.all.map { ($0.key, $0) })
        #expect(rows["add"]?.operands == [.integerDestination, .integerSourceBiased, .integerSourceBiased])
        #expect(rows["addi"]?.operands == [.integerDestination, .integerSource, .signedImmediate(bits: 12)])
        #expect(rows["slliw"]?.operands == [.integerDestination, .integerSource, .shiftAmount(limit: 32)])
        #expect(rows["sh1add"]?.isaExtension == RandomProgramExtension(rawValue: "Zba"))
        #expect(rows["mul"]?.isaExtension == .m)
        let generator = RandomProgramGenerator()
        for seed: UInt64 in 0..<20 {
            for unit in generator.generate(seed: seed).units {
                guard let key = unit.instructionKey, let row = rows[key] else { continue }
                let named = unit.lines.contains { $0.hasPrefix(".option arch") }
                if let name = row.assemblerExtension {
                    let wrap = Array(unit.lines.suffix(4))
                    #expect(wrap.count == 4 && wrap[0] == ".option push" && wrap[1] == ".option arch, +\(name)" && wrap[3] == ".option pop",
                            "\(unit.lines)")
                    #expect(!CorpusArchitecture.hartMarch("rv64gc").contains(name))
                } else {
                    #expect(!named, "\(unit.lines)")
                }
            }
        }
    }

    @Test func everyTableRowAppearsOverFiftyPrograms() {
        let generator = RandomProgramGenerator()
        var seen = Set<String>()
        for seed in 0..<50 {
            for unit in generator.generate(seed: UInt64(seed)).units {
                if let key = unit.instructionKey { seen.insert(key) }
            }
        }
        let missing = Set(RandomInstructionTable.all.map(\.key)).subtracting(seen)
        #expect(missing.isEmpty, "never generated: \(missing.sorted())")
    }

    @Test func pinnedRegistersAreNeverWrittenAndLabelsPointForward() {
        let generator = RandomProgramGenerator()
        for seed in 0..<30 {
            let program = generator.generate(seed: UInt64(seed))
            var defined: [String: Int] = [:]
            var used: [(label: String, at: Int)] = []
            var lineNumber = 0
            for unit in program.units {
                for line in unit.lines {
                    lineNumber += 1
                    if line.hasSuffix(":") {
                        let name = String(line.dropLast())
                        #expect(defined[name] == nil, "label \(name) defined twice")
                        defined[name] = lineNumber
                        continue
                    }
                    let mnemonic = String(line.prefix { $0 != " " })
                    let operands = line.dropFirst(mnemonic.count).split(separator: ",")
                        .map { $0.trimmingCharacters(in: .whitespaces) }
                    if let first = operands.first, mnemonic != "c.addi16sp", !Self.firstOperandIsSource.contains(mnemonic) {
                        #expect(first != "sp" && first != "s0", "seed \(seed): \(line) writes a pinned register")
                    }
                    for operand in operands where operand.hasPrefix(".L") {
                        used.append((String(operand.prefix { $0 != " " }), lineNumber))
                    }
                }
            }
            for use in used {
                let target = defined[use.label]
                #expect(target != nil && target! > use.at, "seed \(seed): \(use.label) is not a later label")
            }
        }
    }

    /// Every `offset(s0|sp)` access in the programs of `configuration`, as (offset, width).
    static func sandboxAccesses(_ configuration: RandomProgramConfiguration) -> [(offset: Int, width: Int)] {
        let widths = ["lb": 1, "lbu": 1, "sb": 1, "lh": 2, "lhu": 2, "sh": 2, "lw": 4, "lwu": 4, "sw": 4,
                      "flw": 4, "fsw": 4, "ld": 8, "sd": 8, "fld": 8, "fsd": 8]
        var accesses: [(Int, Int)] = []
        for seed in 0..<20 {
            for line in RandomProgramGenerator(configuration: configuration).generate(seed: UInt64(seed)).units.flatMap(\.lines) {
                let parts = line.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, let width = widths[String(parts[0])],
                      let address = parts[1].split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
                      address.hasSuffix("(s0)") || address.hasSuffix("(sp)"),
                      let offset = Int(address.dropLast(4)) else { continue }
                accesses.append((offset, width))
            }
        }
        return accesses
    }

    @Test func accessesStayInTheSandboxAndAreAlignedUnlessAsked() {
        let aligned = Self.sandboxAccesses(.init())
        #expect(aligned.count > 100)
        for access in aligned {
            #expect(access.offset % access.width == 0, "misaligned \(access) without allowMisalignedAccesses")
            #expect(access.offset >= -2048 && access.offset + access.width <= 2048)
        }
        let loose = Self.sandboxAccesses(.init(allowMisalignedAccesses: true))
        #expect(loose.contains { $0.offset % $0.width != 0 })
        #expect(loose.allSatisfy { $0.offset >= -2048 && $0.offset + $0.width <= 2048 })
    }

    @Test func dumpComparisonReportsEachDifferingField() {
        let reference = RandomProgramDump(output: "x01=0000000000000001\nx02=0000000000000002\nfcsr=0000000000000000\nend\n")
        let same = RandomProgramDump(output: "x01=0000000000000001\r\nx02=0000000000000002\nfcsr=0000000000000000\nend\n")
        let different = RandomProgramDump(output: "trap mcause=0000000000000002 mepc=0000000080000100\nx01=0000000000000009\nx02=0000000000000002\n")
        #expect(reference.isComplete && !reference.trapped)
        #expect(reference.differences(from: same).isEmpty)
        let differences = reference.differences(from: different, names: ("qemu", "virtbench"))
        #expect(different.trapped && !different.isComplete)
        #expect(differences.contains("x01: qemu=0000000000000001 virtbench=0000000000000009"))
        #expect(differences.contains { $0.hasPrefix("trap: qemu=<missing>") })
        #expect(differences.contains("fcsr: qemu=0000000000000000 virtbench=<missing>"))
        #expect(differences.contains("end: qemu=present virtbench=missing"))
        #expect(!differences.contains { $0.hasPrefix("x02") })
    }

    /// Tools for the tests that build and run programs (they declare
    /// `.requires(.corpusToolchain, .qemuSystemRISCV64)`).
    static func tools() throws -> (RandomProgramBuilder, QEMURunner) {
        (try #require(RandomProgramBuilder()), try #require(QEMURunner()))
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func fiftyProgramsAssembleRunAndFinishOnQEMU() throws {
        let (builder, runner) = try Self.tools()
        let generator = RandomProgramGenerator()
        for seed in UInt64(1000)..<1050 {
            let program = generator.generate(seed: seed)
            let elf = try builder.build(program, name: "run-\(seed)")
            let outcome = try runner.run(kernel: elf)
            #expect(!outcome.timedOut && outcome.exitStatus == 0, "seed \(seed): status \(outcome.exitStatus)")
            let dump = RandomProgramDump(output: outcome.output)
            #expect(dump.isComplete, "seed \(seed): no end line")
            // A valid program never traps: a trap line means the generator emitted something illegal.
            #expect(!dump.trapped, "seed \(seed) trapped: \(dump.fields.first { $0.name == "trap" }?.value ?? "")")
            let names = dump.fields.map(\.name)
            #expect(names.filter { $0.hasPrefix("x") }.count == 31)
            #expect(names.filter { $0.hasPrefix("f") && $0 != "fcsr" }.count == 32)
            #expect(names.filter { $0.hasPrefix("m") }.count == 4096 / 32)
            // The dump shows sp and s0 still pinned to the sandbox middle.
            let sp = dump.fields.first { $0.name == "x02" }?.value
            #expect(sp != nil && sp == dump.fields.first { $0.name == "x08" }?.value)
        }
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func sameProgramTwiceOnQEMUPrintsTheSameDump() throws {
        let (builder, runner) = try Self.tools()
        for seed in UInt64(7)..<12 {
            let elf = try builder.build(RandomProgramGenerator().generate(seed: seed), name: "twice-\(seed)")
            let first = try runner.run(kernel: elf), second = try runner.run(kernel: elf)
            #expect(first.output == second.output)
            #expect(RandomProgramDump(output: first.output).isComplete)
        }
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func hungGuestIsStoppedByTheTimeout() throws {
        let (builder, runner) = try Self.tools()
        var program = RandomProgramGenerator(configuration: .init(instructionCount: 1)).generate(seed: 3)
        // `j .` never reaches the power-off: the runner must give up, not hang the test.
        program.units = [RandomProgramUnit(lines: ["1: j 1b"], instructionKey: "jal", isaExtension: .i)]
        let elf = try builder.build(program, name: "hang")
        var shortRunner = runner
        shortRunner.timeout = 1
        let outcome = try shortRunner.run(kernel: elf)
        #expect(outcome.timedOut)
        #expect(throws: RandomProgramError.self) {
            _ = try QEMURandomProgramTarget(runner: shortRunner).run(elf: elf)
        }
    }

    /// QEMU against itself: every generated program must give the same dump twice, or the
    /// differential run below would report noise instead of VirtBench bugs.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func differentialRunAgreesOnEveryProgram() throws {
        let (builder, runner) = try Self.tools()
        // A quarter of the VirtBench run's count: this only re-checks that QEMU is deterministic.
        let count = max((ProcessInfo.processInfo.environment["VIRTBENCH_RANDOM_PROGRAMS"].flatMap(Int.init) ?? 200) / 4, 10)
        // Other seeds than the VirtBench run's, so the two runs together cover twice as many programs.
        let firstSeed = ProcessInfo.processInfo.environment["VIRTBENCH_RANDOM_SEED"].flatMap { UInt64($0) }.map { $0 ^ 0xFFFF_0000 } ?? 0xC0DE_0000
        let tester = RandomDifferentialTester(reference: QEMURandomProgramTarget(runner: runner),
                                              candidate: QEMURandomProgramTarget(runner: runner, name: "qemu-again"),
                                              builder: builder)
        let results = try tester.run(seeds: firstSeed..<(firstSeed + UInt64(count)))
        #expect(results.count == count)
        for failure in results where !failure.matched {
            Issue.record("seed \(failure.seed): \(failure.differences.prefix(5)) — files in \(failure.failureDirectory ?? "?")")
        }
    }

    /// QEMU against VirtBench: the test this tester exists for. `VIRTBENCH_RANDOM_PROGRAMS` sets
    /// how many programs (default 200; thousands on demand, e.g.
    /// `VIRTBENCH_RANDOM_PROGRAMS=5000 swift test --filter virtBenchAgreesWithQEMU`) and
    /// `VIRTBENCH_RANDOM_SEED` the first seed, `VIRTBENCH_RANDOM_LENGTH` the units per program
    /// (default 200); `VIRTBENCH_RANDOM_MISALIGNED=1` adds misaligned loads and stores. Each mismatch leaves the program, both dumps and a
    /// minimized program under .build/random/failures/seed-<hex>/.
    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func virtBenchAgreesWithQEMUOnEveryProgram() throws {
        let (builder, runner) = try Self.tools()
        let count = ProcessInfo.processInfo.environment["VIRTBENCH_RANDOM_PROGRAMS"].flatMap(Int.init) ?? 200
        let firstSeed = ProcessInfo.processInfo.environment["VIRTBENCH_RANDOM_SEED"].flatMap { UInt64($0) } ?? 0x5EED_0000
        // VirtBench's hart has no H extension yet (the board refuses HartConfiguration.hypervisor),
        // while QEMU 7.2's default rv64 CPU sets misa.H: compare against a QEMU CPU without H.
        var reference = runner
        reference.extraArguments = ["-cpu", "rv64,h=false"]
        // Misaligned accesses are implementation-defined (they may trap or not), so they are only
        // compared on demand: VIRTBENCH_RANDOM_MISALIGNED=1.
        let misaligned = ProcessInfo.processInfo.environment["VIRTBENCH_RANDOM_MISALIGNED"] == "1"
        let length = ProcessInfo.processInfo.environment["VIRTBENCH_RANDOM_LENGTH"].flatMap(Int.init) ?? 200
        let generator = RandomProgramGenerator(configuration: .init(instructionCount: length,
                                                                    allowMisalignedAccesses: misaligned))
        let tester = RandomDifferentialTester(reference: QEMURandomProgramTarget(runner: reference),
                                              candidate: VirtBenchRandomProgramTarget(), builder: builder,
                                              generator: generator)
        let results = try tester.run(seeds: firstSeed..<(firstSeed + UInt64(count)))
        #expect(results.count == count)
        for failure in results where !failure.matched {
            Issue.record("""
                seed \(failure.seed): \(failure.differences.prefix(5)); minimized to \(failure.minimizedInstructionCount ?? -1) \
                instructions in \(failure.failureDirectory ?? "?")
                """)
        }
    }

    /// A candidate that disagrees whenever one mnemonic is in the program, to check the
    /// minimizer isolates exactly that instruction. Needs clang, not QEMU.
    struct ScriptedTarget: RandomProgramTarget {
        let name: String
        let culprit: String?
        func run(elf: String) throws -> String {
            let source = try String(contentsOfFile: String(elf.dropLast(4)) + ".S", encoding: .utf8)
            let broken = culprit.map { word in source.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix(word + " ") } } ?? false
            return broken ? "x01=0000000000000001\nend\n" : "x01=0000000000000000\nend\n"
        }
    }

    @Test(.requires(.corpusToolchain)) func mismatchIsMinimizedToTheCulpritInstruction() throws {
        let builder = try #require(RandomProgramBuilder(outputDirectory: RandomProgramBuilder.packageRoot + "/.build/random/minimizer-test"))
        let generator = RandomProgramGenerator(configuration: .init(instructionCount: 60))
        let seed = (UInt64(0)..<500).first { seed in
            generator.generate(seed: seed).units.filter { $0.instructionKey == "mulhsu" }.count >= 2
        }!
        let tester = RandomDifferentialTester(reference: ScriptedTarget(name: "good", culprit: nil),
                                              candidate: ScriptedTarget(name: "bad", culprit: "mulhsu"),
                                              builder: builder, generator: generator)
        let result = try tester.check(generator.generate(seed: seed))
        #expect(!result.matched)
        #expect(result.differences == ["x01: good=0000000000000000 bad=0000000000000001"])
        #expect(result.minimizedInstructionCount == 1)
        let directory = try #require(result.failureDirectory)
        let minimized = try String(contentsOfFile: directory + "/minimized.S", encoding: .utf8)
        #expect(minimized.contains("mulhsu "))
        for file in ["program.S", "good.txt", "bad.txt", "differences.txt", "minimized-good.txt", "minimized-bad.txt"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + file), "\(file) missing")
        }
    }
}

/// Checks on QEMU that the generator's promises about particular units hold, so a VirtBench
/// difference on them points at VirtBench, not at the generator.
@Suite struct RandomProgramUnitSemanticsTests {
    /// Runs a program made of `units` only and returns its dump.
    static func dump(of units: [RandomProgramUnit], name: String) throws -> RandomProgramDump {
        let tools = try RandomProgramTests.tools()
        var program = RandomProgramGenerator(configuration: .init(instructionCount: 1)).generate(seed: 99)
        program.units = units
        let elf = try tools.0.build(program, name: name)
        return RandomProgramDump(output: try tools.1.run(kernel: elf).output)
    }

    /// The register an instruction line writes first, as the dump names it ("x05").
    static func dumpName(ofDestinationIn line: String) -> String {
        let operand = line.split(separator: " ")[1].split(separator: ",")[0]
        let number = Int(operand.dropFirst())!
        return number < 10 ? "x0\(number)" : "x\(number)"
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64), arguments: ["lr.w", "lr.d", "sc.w (no reservation)", "sc.d (no reservation)"])
    func storeConditionalSucceedsOnlyAfterItsLoadReserved(key: String) throws {
        let generator = RandomProgramGenerator()
        let unit = try #require((UInt64(0)..<200).lazy.compactMap { seed in
            generator.generate(seed: seed).units.first { $0.instructionKey == key }
        }.first)
        let dump = try Self.dump(of: [unit], name: "unit-\(key.prefix(4))")
        let sc = try #require(unit.lines.last)
        let value = dump.fields.first { $0.name == Self.dumpName(ofDestinationIn: sc) }?.value
        // A spec §8.3: sc writes 0 on success and 1 (unspecified failure) otherwise.
        let expected = key.hasPrefix("lr") ? "0000000000000000" : "0000000000000001"
        #expect(value == expected, "\(unit.lines)")
        #expect(dump.isComplete && !dump.trapped)
    }

    @Test(.requires(.corpusToolchain, .qemuSystemRISCV64)) func trapInTheBodyIsReportedAndStillDumps() throws {
        let unit = RandomProgramUnit(lines: ["unimp"], instructionKey: "unimp", isaExtension: .i)
        let dump = try Self.dump(of: [unit], name: "unit-trap")
        #expect(dump.trapped)
        // Privileged spec 1.12, Table 3.6: cause 2 is an illegal instruction.
        #expect(dump.fields.first { $0.name == "trap" }?.value.hasPrefix("mcause=0000000000000002 mepc=00000000800") == true)
        #expect(dump.isComplete)
    }
}
