import Foundation
import Loader
import RISCV
import Testing
@testable import Harness

/// The fuzzer's generators and classifier (issue 15): a seed makes the same bytes every time,
/// generated images are valid ELF at the right address, constants load exactly, mutations
/// change what they say, and outcomes are classified as the issue defines findings.
@Suite struct FuzzGeneratorTests {
    static let allModes = FuzzMode.allCases

    @Test func sameSeedMakesByteIdenticalCases() {
        let first = FuzzPlan(seed: 20_261_215, modes: Self.allModes)
        let second = FuzzPlan(seed: 20_261_215, modes: Self.allModes)
        for kind in [FuzzKind.guest, .elf] {
            for index in 0 ..< 12 {
                let a = first.makeCase(kind: kind, index: index), b = second.makeCase(kind: kind, index: index)
                #expect(a != nil)
                #expect(a == b, "\(kind) #\(index) differs between two plans with one seed")
            }
        }
    }

    @Test func anotherSeedMakesOtherCases() {
        let plan = FuzzPlan(seed: 1, modes: Self.allModes), other = FuzzPlan(seed: 2, modes: Self.allModes)
        for kind in [FuzzKind.guest, .elf] {
            let a = plan.makeCase(kind: kind, index: 0)!, b = other.makeCase(kind: kind, index: 0)!
            #expect(a.files.map(\.bytes) != b.files.map(\.bytes))
        }
        #expect(plan.caseSeed(kind: .guest, index: 0) != plan.caseSeed(kind: .elf, index: 0))
        #expect(plan.caseSeed(kind: .guest, index: 0) != plan.caseSeed(kind: .guest, index: 1))
    }

    @Test func guestCasesGoRoundTheModesAndSaveCasesNeedHost() {
        let plan = FuzzPlan(seed: 5, modes: [.full, .native])
        // Modes keep their fixed order whatever order they were given in.
        #expect((0 ..< 4).map { plan.mode(kind: .guest, index: $0) } == [.native, .full, .native, .full])
        #expect(plan.mode(kind: .save, index: 0) == nil)
        #expect(FuzzPlan(seed: 5, modes: [.host]).mode(kind: .save, index: 3) == .host)
        let hostCase = FuzzPlan(seed: 5, modes: [.host]).makeCase(kind: .guest, index: 0)!
        #expect(hostCase.controlDomain == FuzzPlan.controlDomainName)
        #expect(hostCase.files.contains { $0.name == "host.json" } && hostCase.files.contains { $0.name == "control.elf" })
        #expect(hostCase.commandLine(directory: "/d") == ["host", "/d/host.json"])
    }

    @Test(arguments: FuzzGuestTarget.allCases)
    func hostileImagesAreValidELFAtTheirBase(target: FuzzGuestTarget) throws {
        let generator = FuzzGuestGenerator(target: target, memorySize: 32 << 20)
        for seed in 0 ..< UInt64(20) {
            let image = generator.hostile(seed: seed)
            #expect(image == generator.hostile(seed: seed))
            let elf = try ELFImage(bytes: image.elf, expecting: .riscv)
            #expect(elf.entry == target.base)
            #expect(elf.segments.first?.physicalAddress == target.base)
            #expect(elf.segments.count == 2)
            #expect(image.notes.first?.hasPrefix("prologue") == true && image.notes.last == "power off")
        }
        #expect(generator.hostile(seed: 1).elf != generator.hostile(seed: 2).elf)
    }

    /// Runs lui/addi/addiw/slli words (decoded by the package's own decoder) on one register file.
    static func evaluate(_ words: [UInt32]) -> [UInt64] {
        var x = [UInt64](repeating: 0, count: 33)
        for word in words {
            let instruction = Decoder.decode(word)
            let rs1 = x[Int(instruction.rs1)], imm = UInt64(bitPattern: Int64(instruction.imm))
            let result: UInt64
            switch instruction.op {
            case .lui: result = imm
            case .addi: result = rs1 &+ imm
            case .addiw: result = UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: rs1 &+ imm)))
            case .slli: result = rs1 << (imm & 63)
            default: Issue.record("loadImmediate emitted \(instruction.op)"); return x
            }
            x[Int(instruction.rd)] = result
            x[0] = 0
        }
        return x
    }

    @Test func loadImmediateMakesEveryValueExactly() {
        var values: [UInt64] = [0, 1, 2047, 2048, 0xfff, 0x7fff_f800, 0x7fff_ffff, 0x8000_0000, 0x8040_0000, 0x8020_0000,
                                0xffff_ffff, 0x1_0000_0000, .max, .max - 7, 0xffff_ffff_ffff_f000, 1 << 63, (1 << 63) - 1,
                                0xffff_ffff_8000_0000, 0x5642_5056_5354_4152, 8 << 60 | 0x8020e]
        var rng = SplitMix64(seed: 77)
        values += (0 ..< 2000).map { _ in rng.next() >> UInt64(rng.int(in: 0 ... 63)) }
        for value in values {
            var writer = FuzzCodeWriter(base: 0x8020_0000)
            writer.loadImmediate(FuzzRegister.t0, value)
            #expect(Self.evaluate(writer.words)[FuzzRegister.t0] == value, "li t0, 0x\(String(value, radix: 16))")
            #expect(writer.words.count <= 8)
        }
    }

    @Test func encodingFollowsTheTable() {
        // ld t1, 0(t0) and sb zero, 0(t0): issue 15's three-instruction reproducer.
        #expect(FuzzCodeWriter.encode("ld", rd: 6, rs1: 5, immediate: 0) == 0x0002_b303)
        #expect(FuzzCodeWriter.encode("sb", rs1: 5, rs2: 0, immediate: 0) == 0x0002_8023)
        #expect(FuzzCodeWriter.encode("csrrw", rd: 0, rs1: 5, immediate: Int64(CSR.stvec)) == 0x1052_9073)
        #expect(FuzzCodeWriter.encode("sret") == 0x1020_0073)
        let decoded = Decoder.decode(FuzzCodeWriter.encode("sd", rs1: 5, rs2: 6, immediate: -8))
        #expect(decoded.op == .sd && decoded.rs1 == 5 && decoded.rs2 == 6 && decoded.imm == -8)
        let branch = Decoder.decode(FuzzCodeWriter.encode("bne", rs1: 31, rs2: 30, immediate: 8))
        #expect(branch.op == .bne && branch.imm == 8)
    }

    @Test func elfMutationsAreDeterministicAndChangeTheImage() throws {
        let base = FuzzGuestGenerator(target: .supervisor, memorySize: 16 << 20).wellBehaved(message: "x\n", iterations: 10, dataBytes: 6144)
        _ = try ELFImage(bytes: base, expecting: .riscv)
        let mutator = FuzzELFMutator(memorySize: 16 << 20)
        var entries: Set<UInt64> = []
        for seed in 0 ..< UInt64(200) {
            let a = mutator.mutate(base, seed: seed), b = mutator.mutate(base, seed: seed)
            let same = a.bytes == b.bytes && a.notes == b.notes, changed = a.bytes != base
            #expect(same, "seed \(seed) gave two different mutations")
            #expect(changed, "seed \(seed) left the image as it was: \(a.notes)")
            #expect((1 ... 3).contains(a.notes.count))
            if let entry = FuzzELFWriter.read(a.bytes, at: FuzzELFWriter.HeaderField.entry.rawValue, width: 8) { entries.insert(entry) }
        }
        // The value behind issue 15's loader crash comes up in a short run.
        #expect(entries.contains(0xffff_ffff_ffff_f000))
    }

    @Test func saveFileRoundTripsAndMutationsKeepItsChecksum() throws {
        var file = try FuzzSaveFile(parsing: Self.sampleSaveFile())
        #expect(file.pages.keys.sorted() == [0, 512])
        #expect(try FuzzSaveFile(parsing: file.serialized()) == file)
        file.setPage(3, [UInt8](repeating: 7, count: 4096))
        let reparsed = try FuzzSaveFile(parsing: file.serialized())
        #expect(reparsed.pages[3] == [UInt8](repeating: 7, count: 4096))

        let mutator = FuzzSaveFileMutator(base: try FuzzSaveFile(parsing: Self.sampleSaveFile()))
        var recomputed = 0
        for seed in 0 ..< UInt64(100) {
            let a = mutator.mutate(seed: seed), b = mutator.mutate(seed: seed)
            #expect(a.bytes == b.bytes)
            if a.notes.last == "checksum recomputed" {
                recomputed += 1
                let body = a.bytes.dropLast(8)
                #expect(FuzzSaveFile.checksum(body) == FuzzELFWriter.read(a.bytes, at: a.bytes.count - 8, width: 8))
            }
        }
        #expect(recomputed > 60)

        var broken = Self.sampleSaveFile()
        broken[20] ^= 1
        #expect(throws: FuzzSaveFileError.self) { try FuzzSaveFile(parsing: broken) }
    }

    static let sampleHeaderJSON = """
    {"console":"","events":{"sbi.base":1},"guestTime":5,"instructionLimit":1000,"instructions":10,"kernel":"AAAA",\
    "kernelAddress":2149580800,"memorySize":4194304,"name":"d",\
    "vcpu":{"csrs":[517,2149580804,589,18446744073709551615],"floatRegisters":[\(Array(repeating: "0", count: 32).joined(separator: ","))],\
    "pc":2149580800,"registers":[\(Array(repeating: "0", count: 32).joined(separator: ","))],"supervisor":true}}
    """

    /// A save file laid out as Host.save writes one: 4 MiB of RAM with pages 0 and 512 stored.
    static func sampleSaveFile() -> [UInt8] {
        var file = Array("VBDOMSAV".utf8)
        let json = Array(sampleHeaderJSON.utf8)
        FuzzELFWriter.append(UInt32(1), to: &file)
        FuzzELFWriter.append(UInt32(json.count), to: &file)
        file += json
        var map = [UInt8](repeating: 0, count: 1024 / 8)
        map[0] = 1
        map[64] = 1
        file += map
        file += [UInt8](repeating: 0x11, count: 4096) + [UInt8](repeating: 0x22, count: 4096)
        FuzzELFWriter.append(FuzzSaveFile.checksum(file[...]), to: &file)
        return file
    }

    /// The mutators work on values earlier mutations left (a memory size of 2^64 - 1, a
    /// register file of 31): many seeds must run without a trap in the fuzzer itself.
    @Test func mutatorsSurviveTheirOwnValues() throws {
        let base = try FuzzSaveFile(parsing: Self.sampleSaveFile())
        var header = base.header!
        header.kernel = Data(FuzzGuestGenerator(target: .supervisor, memorySize: 16 << 20).wellBehaved(message: "k", iterations: 1, dataBytes: 64))
        var withELF = base
        withELF.setHeader(header)
        let mutator = FuzzSaveFileMutator(base: withELF)
        var sizes: Set<UInt64> = []
        for seed in 0 ..< UInt64(3000) {
            let mutated = mutator.mutate(seed: seed)
            if let size = (try? FuzzSaveFile(parsing: mutated.bytes))?.header?.memorySize { sizes.insert(size) }
        }
        // Memory-size mutations reach files that still parse (the rest claim sizes no file can hold).
        #expect(sizes.count > 1)
        for memory in [0, 1 << 63, UInt64.max] {
            let elf = FuzzELFMutator(memorySize: memory)
            for seed in 0 ..< UInt64(300) { _ = elf.mutate(header.kernel.map { $0 }, seed: seed) }
        }
    }

    @Test func headerCSRsAreWrittenInOrder() throws {
        var header = FuzzSaveHeader(fromJSON: Self.sampleHeaderJSON)
        header.vcpu.csrs = [0x280: 3, 0x205: 1, 0x240: 2]
        let text = String(decoding: FuzzSaveFile.encode(header), as: UTF8.self)
        #expect(text.contains("\"csrs\":[517,1,576,2,640,3]"))
    }
}

extension FuzzSaveHeader {
    init(fromJSON text: String) {
        self = try! JSONDecoder().decode(FuzzSaveHeader.self, from: Data(text.utf8))
    }
}

/// The classifier against the outcomes issue 15 describes.
@Suite struct FuzzVerdictTests {
    static let overflowBacktrace = """
    *** Signal 4: Backtracing from 0x5598f9527b7b... done ***

    *** Swift runtime failure: arithmetic overflow ***

    Thread 0 "virtbench" crashed:

      0 [inlined] [system]      0x00005598f9527b7b Swift runtime failure: arithmetic overflow in virtbench at //<compiler-generated>
      1                         0x00005598f9527b7b Host.load(_:) + 2427 in virtbench at /work/main/Sources/Hypervisor/Host.swift:244:68
      2 [ra]                    0x00005598f9525ed8 Host.createDomain(_:) + 1271 in virtbench at /work/main/Sources/Hypervisor/Host.swift:161:17
    """

    static func outcome(_ termination: FuzzTermination, stdout: String = "", stderr: String = "") -> FuzzChildOutcome {
        FuzzChildOutcome(termination: termination, standardOutput: stdout, standardError: stderr, seconds: 0.1)
    }

    @Test func aRuntimeTrapIsADeathBySignalWithItsPlace() {
        let verdict = FuzzVerdict.classify(Self.outcome(.signaled(4), stderr: Self.overflowBacktrace), controlDomain: nil)
        #expect(verdict.finding == .signal(4))
        #expect(verdict.runtimeTrap)
        #expect(verdict.place == "arithmetic overflow in Host.load(_:) (Hypervisor/Host.swift:244)")
        // An inlined frame names its file by a relative path, and comes first.
        let inlined = """
        *** Swift runtime failure: arithmetic overflow ***
          0 [inlined] [system]      0x000056001fec7f42 Swift runtime failure: arithmetic overflow in virtbench at //<compiler-generated>
          1 [inlined]               0x000056001fec7f42 static GuestDevices.access(domain:gpa:width:store:value:) in virtbench at Sources/Hypervisor/GuestDevices.swift:61:40
          2                         0x000056001fec7f42 specialized HardwareAssistedVirtualization.emulateMMIO(_:_:host:) + 1282 in virtbench at /w/Sources/Hypervisor/HardwareAssistedVirtualization.swift:211:41
        """
        #expect(FuzzVerdict.classify(Self.outcome(.signaled(4), stderr: inlined), controlDomain: nil).place
                == "arithmetic overflow in static GuestDevices.access(domain:gpa:width:store:value:) (Hypervisor/GuestDevices.swift:61)")
        let inlinedLibrary = """
        *** Program crashed: Illegal instruction at 0x0000555f4cb6755a ***
          0 [inlined] [system]      0x0000555f4cb6755a specialized Sequence.reduce<A>(_:_:) in virtbench at //<compiler-generated>
          1                         0x0000555f4cb6755a specialized static HostCommand.table(_:) + 1226 in virtbench at /w/Sources/virtbench/HostCommand.swift:178:80
        """
        #expect(FuzzVerdict.classify(Self.outcome(.signaled(4), stderr: inlinedLibrary), controlDomain: nil).place
                == "Illegal instruction in specialized static HostCommand.table(_:) (virtbench/HostCommand.swift:178)")
        let plain = FuzzVerdict.classify(Self.outcome(.signaled(11)), controlDomain: nil)
        #expect(plain.finding == .signal(11) && !plain.runtimeTrap)
    }

    @Test func overrunsAndMalformedErrorsAreFindings() {
        #expect(FuzzVerdict.classify(Self.outcome(.overrun), controlDomain: nil).finding == .overrun)
        #expect(FuzzVerdict.classify(Self.outcome(.exited(1)), controlDomain: nil).finding == .badError(errorLines: 0))
        // A corpus kernel may report failure code 1 itself; two error lines are still malformed.
        #expect(FuzzVerdict.classify(Self.outcome(.exited(1)), controlDomain: nil, guestMayExitWithOne: true).finding == nil)
        let two = "virtbench: error: a\nvirtbench: error: b\n"
        #expect(FuzzVerdict.classify(Self.outcome(.exited(1), stderr: two), controlDomain: nil).finding == .badError(errorLines: 2))
        #expect(FuzzVerdict.classify(Self.outcome(.exited(1), stderr: two), controlDomain: nil, guestMayExitWithOne: true).finding == .badError(errorLines: 2))
        #expect(FuzzVerdict.classify(Self.outcome(.exited(0), stderr: "Fatal error: x\n"), controlDomain: nil).finding == .runtimeError)
    }

    @Test func legitimateEndingsAreFine() {
        for status: Int32 in [0, 3, 124, 125, 255] {
            #expect(FuzzVerdict.classify(Self.outcome(.exited(status)), controlDomain: nil).finding == nil)
        }
        let oneError = "virtbench: warning: entry ignored\nvirtbench: error: kernel: segment outside RAM\n"
        #expect(FuzzVerdict.classify(Self.outcome(.exited(1), stderr: oneError), controlDomain: nil).finding == nil)
        // A host refusing the configuration never ran the control domain: not its failure.
        #expect(FuzzVerdict.classify(Self.outcome(.exited(1), stderr: "virtbench: error: domain 'hostile1': bad\n"), controlDomain: "control").finding == nil)
    }

    static func table(control: String) -> String {
        """
        control  | control domain
        Name      ID  Mem(MiB)  VCPUs  State   Instructions  Exits  SBI calls
        hostile1  1   16        1      ----c-  100000        5      2
        control   2   16        1      \(control)  9000          20     18

        """
    }

    @Test func theControlDomainMustShutDownCleanly() {
        let crashedHostile = "virtbench: domain 1 (hostile1) crashed(reason: \"did not finish\")\n"
        let fine = FuzzVerdict.classify(Self.outcome(.exited(2), stdout: Self.table(control: "---s--"), stderr: crashedHostile), controlDomain: "control")
        #expect(fine.finding == nil)
        let crashed = FuzzVerdict.classify(Self.outcome(.exited(2), stdout: Self.table(control: "----c-")), controlDomain: "control")
        #expect(crashed.finding == .controlDomainFailed(state: "----c-"))
        let failedStatus = "virtbench: domain 2 (control) shutdown(status: 3)\n"
        let reported = FuzzVerdict.classify(Self.outcome(.exited(2), stdout: Self.table(control: "---s--"), stderr: failedStatus), controlDomain: "control")
        #expect(reported.finding == .controlDomainFailed(state: "---s--"))
        let missing = FuzzVerdict.classify(Self.outcome(.exited(0), stdout: ""), controlDomain: "control")
        #expect(missing.finding == .controlDomainFailed(state: "missing from the table"))
    }
}
