import Foundation
import DifferentialTesting
import Testing
@testable import Emulation
import TestSupport

/// The translator against the reference interpreter on small hand-made programs: flag
/// semantics of every flag-setting family (read back lazily by the host and by conditional
/// branches in and across blocks), faults, bad images, self-modifying code.
struct ThumbTranslatorTests {
    static let code: UInt32 = 0x100
    static let handler: UInt32 = 0x80

    /// Vector table (SP at the top of the first SRAM page, reset at `code`, HardFault at
    /// `handler` unless `hardFault` is nil; the default handler spins, so the run ends at the
    /// limit with the faulting state intact) and the halfwords at `code`.
    static func image(_ program: [UInt16], hardFault: [UInt16]? = [0xE7FE]) -> [(address: UInt32, bytes: [UInt8])] {
        func words(_ values: [UInt32]) -> [UInt8] { values.flatMap { v in (0 ..< 4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } } }
        func halfwords(_ values: [UInt16]) -> [UInt8] { values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
        var segments: [(address: UInt32, bytes: [UInt8])] = [(0, words([0x2000_1000, code | 1, 0, hardFault == nil ? 0 : handler | 1]))]
        if let hardFault { segments.append((handler, halfwords(hardFault))) }
        segments.append((code, halfwords(program)))
        return segments
    }

    /// Runs `program` on both with the same initial registers and flags; returns both cores.
    static func runBoth(_ program: [UInt16], registers: [Int: UInt32] = [:], flags: (Bool, Bool, Bool, Bool) = (false, false, false, false),
                        hardFault: [UInt16]? = [0xE7FE], limit: UInt64 = 10_000) throws -> (ThumbInterpreter, ThumbRunResult, ThumbTranslator, ThumbRunResult) {
        let segments = image(program, hardFault: hardFault)
        let interpreter = ThumbInterpreter()
        for segment in segments { try interpreter.load(segment.bytes, at: segment.address) }
        try interpreter.reset()
        let translator = try ThumbTranslator(segments: segments)
        for core in [interpreter, translator.cpu] {
            for (index, value) in registers { core.setRegister(index, value) }
            (core.n, core.z, core.c, core.v) = flags
        }
        let reference = interpreter.run(instructionLimit: limit)
        let referenceResult = ThumbRunResult(stop: reference, console: String(decoding: interpreter.console, as: UTF8.self),
                                             instructionsExecuted: interpreter.instructionsExecuted,
                                             exceptionsTaken: interpreter.exceptionsTaken, lastFault: interpreter.lastFault)
        return (interpreter, referenceResult, translator, translator.run(instructionLimit: limit))
    }

    static func expectSameState(_ a: ThumbInterpreter, _ b: ThumbInterpreter, _ context: String) {
        for index in 0 ..< 16 {
            #expect(a.register(index) == b.register(index), "r\(index): \(context)")
        }
        #expect(a.xpsr == b.xpsr, "xPSR: \(context)")
    }

    /// `op` (reading r4, r5, writing r4) then every condition 0–13 recorded as a bit of r7
    /// (bit set = not taken), through B<cond> in the op's block and in later blocks, then
    /// MRS APSR into r3 and SYS_EXIT.
    static func flagProgram(_ op: UInt16) -> [UInt16] {
        var code: [UInt16] = [op]
        for condition in UInt16(0) ..< 14 {
            code += [0xD000 | condition << 8,   // b<cond> over the next halfword
                     0x4437,                    // add r7, r6 (no flags)
                     0x4436]                    // add r6, r6 (no flags)
        }
        code += [0xF3EF, 0x8300,               // mrs r3, APSR
                 0x2018, 0x2102, 0x0409, 0x3126, 0xBEAB]   // SYS_EXIT(ApplicationExit)
        return code
    }

    /// Operands around every carry, overflow and shift-amount boundary (each run builds two
    /// machines, so the list is short; the random tester covers the space in between).
    static let values: [UInt32] = [0, 1, 31, 32, 33, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFFF]

    /// Each flag-setting family with r4 as Rd/Rdn/Rn and r5 as Rm.
    static let flagOps: [(String, UInt16)] = [
        ("adds r4, r4, r5", 0x1964), ("subs r4, r4, r5", 0x1B64), ("adds r4, #7", 0x3407), ("subs r4, #200", 0x3CC8),
        ("adds r4, r5, #3", 0x1CEC), ("subs r4, r5, #1", 0x1E6C),
        ("adcs r4, r5", 0x416C), ("sbcs r4, r5", 0x41AC), ("cmp r4, r5", 0x42AC), ("cmn r4, r5", 0x42EC),
        ("negs r4, r5", 0x426C), ("cmp r4, #0", 0x2C00), ("cmp r4, r12", 0x4564),
        ("lsls r4, r5", 0x40AC), ("lsrs r4, r5", 0x40EC), ("asrs r4, r5", 0x412C), ("rors r4, r5", 0x41EC),
        ("lsls r4, r5, #1", 0x006C), ("lsls r4, r5, #31", 0x07EC), ("lsrs r4, r5, #32", 0x082C), ("lsrs r4, r5, #1", 0x086C),
        ("asrs r4, r5, #32", 0x102C), ("asrs r4, r5, #5", 0x116C),
        ("muls r4, r5", 0x436C), ("ands r4, r5", 0x402C), ("tst r4, r5", 0x422C), ("mvns r4, r5", 0x43EC),
        ("movs r4, r5", 0x002C), ("bics r4, r5", 0x43AC),
    ]

    @Test(arguments: flagOps.map(\.0))
    func flagsMatchTheInterpreter(_ name: String) throws {
        let op = Self.flagOps.first { $0.0 == name }!.1
        let program = Self.flagProgram(op)
        for a in Self.values {
            for b in Self.values + [255, 0x100 + 32, 0x1000_0021] {
                for carry in [false, true] {
                    let (reference, referenceRun, translator, translated) = try Self.runBoth(
                        program, registers: [4: a, 5: b, 6: 1, 7: 0, 12: b], flags: (true, false, carry, true))
                    let context = "\(name) with r4=0x\(String(a, radix: 16)) r5=0x\(String(b, radix: 16)) C=\(carry)"
                    #expect(translated.stop == .exited(status: 0), "\(context): \(translated.summary)")
                    #expect(translated.instructionsExecuted == referenceRun.instructionsExecuted, "\(context)")
                    #expect(translator.cpu.register(7) == reference.register(7), "conditions taken differ: \(context)")
                    #expect(translator.cpu.register(3) == reference.register(3), "APSR differs: \(context)")
                    #expect(translator.cpu.register(4) == reference.register(4), "result differs: \(context)")
                    #expect(translator.statistics.translatedThumbInstructions > 0, "the op ran translated: \(context)")
                }
            }
        }
    }

    @Test func lazyFlagsReachTheHostAtABudgetExit() throws {
        // SUBS then a tight loop: the run ends at the limit inside translated code, so NZCV
        // come back through the lazy form, not through an interpreted instruction.
        for (a, b) in [(UInt32(5), UInt32(7)), (7, 5), (0x8000_0000, 1), (3, 3)] {
            let (reference, _, translator, translated) = try Self.runBoth([0x1B64, 0xE7FE], registers: [4: a, 5: b], limit: 9)
            #expect(translated.stop == .instructionLimit)
            #expect(translated.instructionsExecuted == 9)
            Self.expectSameState(reference, translator.cpu, "subs 0x\(String(a, radix: 16)) - 0x\(String(b, radix: 16))")
            #expect(translator.statistics.exitsForBudget > 0 || translator.statistics.translatedThumbInstructions == 9)
        }
    }

    @Test func undefinedInstructionTakesHardFaultPrecisely() throws {
        // movs r0, #5; udf #1: HardFault with the UDF's address stacked, r0 already 5.
        let (reference, referenceRun, translator, translated) = try Self.runBoth([0x2005, 0xDE01, 0x2006])
        #expect(translated.exceptionsTaken == [ThumbInterpreter.Exception.hardFault: 1])
        #expect(translated.exceptionsTaken == referenceRun.exceptionsTaken)
        #expect(translated.lastFault == .undefinedInstruction(address: Self.code + 2, raw: 0xDE01))
        #expect(translator.cpu.register(0) == 5)
        let stackedPC = try translator.cpu.read(translator.cpu.register(13) &+ 24, size: 4)
        #expect(stackedPC == Self.code + 2)
        Self.expectSameState(reference, translator.cpu, "udf")
    }

    @Test func loadFromUnmappedMemoryFaultsBeforeChangingState() throws {
        // movs r0, #1; lsls r1, r0, #30 (0x4000_0000, unmapped); ldr r0, [r1]; movs r0, #9.
        let (reference, _, translator, translated) = try Self.runBoth([0x2001, 0x0781, 0x6808, 0x2009])
        #expect(translated.lastFault == .busError(address: 0x4000_0000))
        #expect(translator.cpu.register(0) == 1, "the faulting load wrote nothing")
        #expect(try translator.cpu.read(translator.cpu.register(13) &+ 24, size: 4) == Self.code + 4)
        Self.expectSameState(reference, translator.cpu, "ldr from unmapped")
    }

    @Test func branchToUnmappedAddressTakesHardFault() throws {
        // r0 = 0x1000_0001 (Thumb bit, unmapped); bx r0.
        let (reference, referenceRun, translator, translated) = try Self.runBoth([0x4700], registers: [0: 0x1000_0001])
        #expect(translated.exceptionsTaken == [ThumbInterpreter.Exception.hardFault: 1])
        #expect(translated.lastFault == .busError(address: 0x1000_0000))
        #expect(translated.lastFault == referenceRun.lastFault)
        Self.expectSameState(reference, translator.cpu, "bx to unmapped")
    }

    @Test func faultWithoutAHandlerLocksUpWithAClearMessage() throws {
        let (_, referenceRun, _, translated) = try Self.runBoth([0xDE00], hardFault: nil)
        guard case .lockup(let reason) = translated.stop else {
            Issue.record("expected a lockup, got \(translated.summary)")
            return
        }
        #expect(reason.contains("undefined instruction"))
        #expect(translated.stop == referenceRun.stop)
        #expect(translated.exitStatus == 125)
    }

    @Test func badImagesAreRefused() {
        #expect(throws: ThumbTranslatorError.board(.noVectorTable)) {
            try ThumbTranslator(segments: [(address: 0x2000_0000, bytes: [0xFE, 0xE7])])
        }
        #expect(throws: ThumbTranslatorError.self) { try ThumbTranslator(elf: Array("not an elf".utf8)) }
        #expect(throws: ThumbTranslatorError.unsupportedMemoryMap(ThumbMemoryMap(codeSize: 1 << 20, sramSize: 4 << 20))) {
            try ThumbTranslator(elf: [], memoryMap: ThumbMemoryMap(codeSize: 1 << 20, sramSize: 4 << 20))
        }
    }

    @Test func rewrittenCodeIsRetranslated() throws {
        // A loop runs `movs r2, #1` (translated), then stores `movs r2, #7` over it and runs it
        // again: the second pass must see the new instruction.
        //   0x100: movs r2, #1        <- patched
        //   0x102: cmp r3, #0
        //   0x104: bne done (+6 → 0x110)
        //   0x106: movs r3, #1
        //   0x108: ldr r0, [pc, #16]  (the word at 0x11C: `movs r2, #7`)
        //   0x10A: strh r0, [r1]      (r1 = 0x100)
        //   0x10C: b 0x100
        //   0x10E: nop
        //   0x110: done: SYS_EXIT
        let program: [UInt16] = [0x2201, 0x2B00, 0xD104, 0x2301, 0x4804, 0x8008, 0xE7F8, 0xBF00,
                                 0x2018, 0x2102, 0x0409, 0x3126, 0xBEAB, 0xBF00, 0x2207, 0x0000]
        let (reference, _, translator, translated) = try Self.runBoth(program, registers: [1: Self.code, 3: 0])
        #expect(translated.stop == .exited(status: 0), "\(translated.summary)")
        #expect(reference.register(2) == 7, "the interpreter ran the new instruction")
        #expect(translator.cpu.register(2) == 7, "the translator ran the new instruction, not the stale translation")
        #expect(translator.statistics.codeInvalidations >= 1)
        #expect(translator.statistics.cacheFlushes >= 1)
    }

    @Test func sysTickInterruptsArriveAtTheSameInstruction() throws {
        // Enable SysTick (reload 7, TICKINT) and count in a loop; the handler logs the
        // interrupted PC. Both cores must take the same number of interrupts at the same places.
        let program = ThumbRandomProgram(seed: 42, configuration: .init(instructionCount: 60, qemuCompatible: false))
        let board = try ThumbBoard(elf: program.elf)
        let reference = board.run(instructionLimit: 200_000)
        let translator = try ThumbTranslator(elf: program.elf)
        let translated = translator.run(instructionLimit: 200_000)
        #expect(translated.console == reference.console)
        #expect(translated.exceptionsTaken == reference.exceptionsTaken)
        #expect((reference.exceptionsTaken[ThumbInterpreter.Exception.sysTick] ?? 0) > 0, "the program took SysTick interrupts")
        #expect(translated.instructionsExecuted == reference.instructionsExecuted)
    }

    @Test(.requires(.qemuSystemARM)) func randomProgramsAgreeWithTheInterpreterAndQEMU() throws {
        let qemu = try #require(Tool.qemuSystemARM.path)
        let count = ThumbRandomDifferentialTester.programCount
        var failures: [String] = []
        var translated: UInt64 = 0, interpreted: UInt64 = 0
        for index in 0 ..< count {
            // Alternate: programs QEMU can check, and wild ones (faults, loops, SysTick) for the two VirtBench cores.
            let configuration = ThumbRandomProgramConfiguration(instructionCount: 120, qemuCompatible: index % 2 == 0)
            let program = ThumbRandomProgram(seed: UInt64(index) &* 0x9E37_79B9 &+ 1, configuration: configuration)
            // QEMU for every fourth compatible program keeps the default run short; set
            // VIRTBENCH_RANDOM_THUMB_PROGRAMS for more of both.
            if let failure = try ThumbRandomDifferentialTester.compare(program, qemu: index % 8 == 0 ? qemu : nil, statistics: {
                translated += $0.translatedThumbInstructions
                interpreted += $0.interpretedThumbInstructions
            }) {
                failures.append(failure)
                if failures.count >= 3 { break }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")
        #expect(translated > interpreted, "translated code ran most instructions (\(translated) translated, \(interpreted) interpreted)")
        print("random Thumb programs: \(count) run, \(translated) instructions translated, \(interpreted) interpreted")
    }
}
