import Testing
@testable import Emulation

/// Flag semantics against hand-computed cases (ARMv6-M ARM §A2.2, §A6.7).
struct ThumbFlagTests {
    struct Flags: Equatable, CustomStringConvertible {
        var n, z, c, v: Bool
        var description: String { "N\(n ? 1 : 0) Z\(z ? 1 : 0) C\(c ? 1 : 0) V\(v ? 1 : 0)" }
    }

    /// Executes one 16-bit encoding at 0x100 with R0 = a, R1 = b and the given carry in.
    func run(_ encoding: UInt16, a: UInt32, b: UInt32, carry: Bool = false, overflow: Bool = false) throws -> (UInt32, Flags) {
        let cpu = ThumbInterpreter()
        cpu.setRegister(0, a)
        cpu.setRegister(1, b)
        cpu.c = carry
        cpu.v = overflow
        let op = try #require(ThumbDecoder.decode(first: encoding))
        try cpu.execute(op, at: 0x100)
        return (cpu.register(0), Flags(n: cpu.n, z: cpu.z, c: cpu.c, v: cpu.v))
    }

    static let addsR0R0R1: UInt16 = 0x1840, subsR0R0R1: UInt16 = 0x1A40, adcsR0R1: UInt16 = 0x4148
    static let sbcsR0R1: UInt16 = 0x4188, rsbsR0R1: UInt16 = 0x4248, cmpR0R1: UInt16 = 0x4288, cmnR0R1: UInt16 = 0x42C8
    static let lslsR0R1: UInt16 = 0x4088, lsrsR0R1: UInt16 = 0x40C8, asrsR0R1: UInt16 = 0x4108, rorsR0R1: UInt16 = 0x41C8
    static let mulsR0R1: UInt16 = 0x4348, lsrsR0R0By32: UInt16 = 0x0800, asrsR0R0By32: UInt16 = 0x1000, lslsR0R0By1: UInt16 = 0x0040

    @Test func addsSetsOverflowAndCarry() throws {
        #expect(try run(Self.addsR0R0R1, a: 0x7FFF_FFFF, b: 1) == (0x8000_0000, Flags(n: true, z: false, c: false, v: true)))
        #expect(try run(Self.addsR0R0R1, a: 0xFFFF_FFFF, b: 1) == (0, Flags(n: false, z: true, c: true, v: false)))
        #expect(try run(Self.addsR0R0R1, a: 0x8000_0000, b: 0x8000_0000) == (0, Flags(n: false, z: true, c: true, v: true)))
    }

    @Test func subtractionCarryIsNotBorrow() throws {
        #expect(try run(Self.subsR0R0R1, a: 0, b: 1) == (0xFFFF_FFFF, Flags(n: true, z: false, c: false, v: false)))
        #expect(try run(Self.subsR0R0R1, a: 5, b: 5) == (0, Flags(n: false, z: true, c: true, v: false)))
        #expect(try run(Self.subsR0R0R1, a: 0x8000_0000, b: 1) == (0x7FFF_FFFF, Flags(n: false, z: false, c: true, v: true)))
        #expect(try run(Self.cmpR0R1, a: 3, b: 7).1 == Flags(n: true, z: false, c: false, v: false))
        #expect(try run(Self.cmpR0R1, a: 3, b: 7).0 == 3, "CMP writes no register")
        #expect(try run(Self.cmnR0R1, a: 1, b: 0xFFFF_FFFF).1 == Flags(n: false, z: true, c: true, v: false))
    }

    @Test func carryChains() throws {
        #expect(try run(Self.adcsR0R1, a: 0xFFFF_FFFF, b: 0, carry: true) == (0, Flags(n: false, z: true, c: true, v: false)))
        #expect(try run(Self.adcsR0R1, a: 0x7FFF_FFFF, b: 0, carry: true) == (0x8000_0000, Flags(n: true, z: false, c: false, v: true)))
        // SBCS computes a − b − NOT(C): with C clear, 5 − 5 − 1 = −1 and a borrow.
        #expect(try run(Self.sbcsR0R1, a: 5, b: 5, carry: false) == (0xFFFF_FFFF, Flags(n: true, z: false, c: false, v: false)))
        #expect(try run(Self.sbcsR0R1, a: 5, b: 5, carry: true) == (0, Flags(n: false, z: true, c: true, v: false)))
    }

    @Test func negate() throws {
        #expect(try run(Self.rsbsR0R1, a: 9, b: 0) == (0, Flags(n: false, z: true, c: true, v: false)))
        #expect(try run(Self.rsbsR0R1, a: 9, b: 0x8000_0000) == (0x8000_0000, Flags(n: true, z: false, c: false, v: true)))
        #expect(try run(Self.rsbsR0R1, a: 9, b: 1) == (0xFFFF_FFFF, Flags(n: true, z: false, c: false, v: false)))
    }

    @Test func shiftsProduceCarryOut() throws {
        #expect(try run(Self.lslsR0R0By1, a: 0x8000_0000, b: 0) == (0, Flags(n: false, z: true, c: true, v: false)))
        #expect(try run(Self.lsrsR0R0By32, a: 0x8000_0000, b: 0) == (0, Flags(n: false, z: true, c: true, v: false)), "LSRS #0 encodes #32")
        #expect(try run(Self.asrsR0R0By32, a: 0x8000_0000, b: 0) == (0xFFFF_FFFF, Flags(n: true, z: false, c: true, v: false)))
        #expect(try run(Self.lsrsR0R1, a: 0x8000_0001, b: 32) == (0, Flags(n: false, z: true, c: true, v: false)))
        #expect(try run(Self.lsrsR0R1, a: 0x8000_0001, b: 33, carry: true) == (0, Flags(n: false, z: true, c: false, v: false)))
        #expect(try run(Self.lslsR0R1, a: 3, b: 0x100, carry: true) == (3, Flags(n: false, z: false, c: true, v: false)), "only the bottom byte counts; 0 keeps C")
        #expect(try run(Self.lslsR0R1, a: 1, b: 32) == (0, Flags(n: false, z: true, c: true, v: false)))
        #expect(try run(Self.asrsR0R1, a: 0x4000_0000, b: 40) == (0, Flags(n: false, z: true, c: false, v: false)))
        #expect(try run(Self.rorsR0R1, a: 0x0000_0001, b: 1) == (0x8000_0000, Flags(n: true, z: false, c: true, v: false)))
        #expect(try run(Self.rorsR0R1, a: 0x8000_0000, b: 32) == (0x8000_0000, Flags(n: true, z: false, c: true, v: false)))
        #expect(try run(Self.rorsR0R1, a: 0x1, b: 0, carry: true, overflow: true) == (1, Flags(n: false, z: false, c: true, v: true)))
    }

    @Test func multiplyKeepsCarryAndOverflow() throws {
        #expect(try run(Self.mulsR0R1, a: 0x10000, b: 0x10000, carry: true, overflow: true) == (0, Flags(n: false, z: true, c: true, v: true)))
        #expect(try run(Self.mulsR0R1, a: 0xFFFF_FFFF, b: 3) == (0xFFFF_FFFD, Flags(n: true, z: false, c: false, v: false)))
    }

    @Test func extendAndReverse() throws {
        let cpu = ThumbInterpreter()
        cpu.setRegister(1, 0x1234_80F0)
        for (encoding, expected) in [(UInt16(0xB248), UInt32(0xFFFF_FFF0)), (0xB208, 0xFFFF_80F0), (0xB2C8, 0xF0), (0xB288, 0x80F0),
                                     (0xBA08, 0xF080_3412), (0xBA48, 0x3412_F080), (0xBAC8, 0xFFFF_F080)] {
            try cpu.execute(try #require(ThumbDecoder.decode(first: encoding)), at: 0)
            #expect(cpu.register(0) == expected, "\(ThumbDisassembler.text(first: encoding))")
        }
    }
}

/// Hand-assembled images in memory: exceptions, faults, semihosting.
struct ThumbExceptionTests {
    static let stackTop: UInt32 = 0x2000_1000
    /// The HardFault handler: SYS_EXIT with a reason other than an application exit (status 1).
    static let exitFailure: [UInt16] = [0x2018, 0x2101, 0xBEAB, 0xE7FE]

    /// A core with a vector table (handlers at fixed places) and `main` at 0x100; literal words
    /// follow each routine.
    static func machine(main: [UInt16], literals: [UInt32] = [], svc: [UInt16] = [0x4770], pendSV: [UInt16] = [0x4770],
                        hardFault: [UInt16] = exitFailure) throws -> ThumbInterpreter {
        let cpu = ThumbInterpreter()
        var vectors = [UInt32](repeating: 0, count: 16)
        vectors[0] = stackTop
        vectors[1] = 0x101
        vectors[3] = 0x301
        vectors[11] = 0x401
        vectors[14] = 0x501
        for (i, word) in vectors.enumerated() { try cpu.write(UInt32(4 * i), size: 4, value: word) }
        func put(_ halfwords: [UInt16], at address: UInt32) throws {
            for (i, h) in halfwords.enumerated() { try cpu.write(address + UInt32(2 * i), size: 2, value: UInt32(h)) }
        }
        var code = main
        if code.count % 2 != 0 { code.append(0xBF00) }
        try put(code, at: 0x100)
        for (i, word) in literals.enumerated() { try cpu.write(0x100 + UInt32(2 * code.count + 4 * i), size: 4, value: word) }
        try put(hardFault, at: 0x300)
        try put(svc, at: 0x400)
        try put(pendSV, at: 0x500)
        try cpu.reset()
        return cpu
    }

    @Test func resetLoadsStackAndEntryFromTheVectorTable() throws {
        let cpu = try Self.machine(main: [0xE7FE])
        #expect(cpu.pc == 0x100 && cpu.register(13) == Self.stackTop && cpu.thumbState)
    }

    @Test func supervisorCallStacksAndReturns() throws {
        // main: svc #1; ldr r1, =0x20026; movs r0, #0x18; bkpt 0xab. handler: movs r7, #42; bx lr.
        let main: [UInt16] = [0xDF01, 0x4902, 0x2018, 0xBEAB, 0xE7FE, 0xBF00]
        let cpu = try Self.machine(main: main, literals: [ThumbInterpreter.Semihosting.applicationExit], svc: [0x272A, 0x4770])
        #expect(cpu.run(instructionLimit: 100) == .exited(status: 0))
        #expect(cpu.register(7) == 42)
        #expect(cpu.exceptionsTaken == [11: 1])
        #expect(cpu.register(13) == Self.stackTop, "the frame is popped on return")
        #expect(cpu.instructionsExecuted == 6, "svc, movs, bx, ldr, movs, bkpt")
        #expect(cpu.exceptionNumber == 0)
    }

    @Test func exceptionFrameHoldsRegistersAndAlignsTheStack() throws {
        // sub sp, #4 (SP ≡ 4 mod 8); movs r0..r3; svc; handler spins so the frame can be read.
        let main: [UInt16] = [0xB081, 0x2011, 0x2122, 0x2233, 0x2344, 0xDF00]
        let cpu = try Self.machine(main: main, svc: [0xE7FE])
        _ = cpu.run(instructionLimit: 8)
        #expect(cpu.exceptionNumber == 11 && cpu.pc == 0x400)
        #expect(cpu.register(14) == ThumbInterpreter.ExceptionReturn.threadMain)
        let frame = cpu.register(13)
        #expect(frame == Self.stackTop - 4 - 4 - 0x20, "8-byte alignment adds a word of padding")
        #expect(try cpu.read(frame, size: 4) == 0x11)
        #expect(try cpu.read(frame + 12, size: 4) == 0x44)
        #expect(try cpu.read(frame + 24, size: 4) == 0x10C, "return address: the instruction after SVC")
        let psr = try cpu.read(frame + 28, size: 4)
        #expect(psr & (1 << 9) != 0 && psr & (1 << 24) != 0, "padding flag and T bit stacked")
    }

    @Test func pendSVIsTakenWhenSet() throws {
        // ldr r0, =ICSR; ldr r1, =PENDSVSET; str r1, [r0]; ldr r1, =exit reason; movs r0, #0x18; bkpt.
        let main: [UInt16] = [0x4803, 0x4905, 0x6001, 0x4903, 0x2018, 0xBEAB, 0xE7FE, 0xBF00]
        let cpu = try Self.machine(main: main, literals: [0xE000_ED04, ThumbInterpreter.Semihosting.applicationExit, 1 << 28],
                                   pendSV: [0x2607, 0x4770])
        #expect(cpu.run(instructionLimit: 100) == .exited(status: 0))
        #expect(cpu.register(6) == 7)
        #expect(cpu.exceptionsTaken[14] == 1)
    }

    @Test func undefinedInstructionTakesHardFault() throws {
        let cpu = try Self.machine(main: [0xDE00])
        #expect(cpu.run(instructionLimit: 100) == .exited(status: 1))
        #expect(cpu.exceptionsTaken == [3: 1])
        #expect(cpu.lastFault == .undefinedInstruction(address: 0x100, raw: 0xDE00))
        #expect(try cpu.read(Self.stackTop - 8, size: 4) == 0x100, "the faulting instruction's address is stacked")
    }

    @Test func branchToUnmappedAddressTakesHardFault() throws {
        // ldr r0, =0x1000_0001; bx r0
        let cpu = try Self.machine(main: [0x4800, 0x4700], literals: [0x1000_0001])
        #expect(cpu.run(instructionLimit: 100) == .exited(status: 1))
        #expect(cpu.lastFault == .busError(address: 0x1000_0000))
    }

    @Test func branchOutOfThumbStateTakesHardFault() throws {
        // ldr r0, =0x200 (even: EPSR.T = 0); bx r0
        let cpu = try Self.machine(main: [0x4800, 0x4700], literals: [0x200])
        #expect(cpu.run(instructionLimit: 100) == .exited(status: 1))
        #expect(cpu.lastFault == .invalidState(address: 0x200))
    }

    @Test func unalignedWordLoadTakesHardFault() throws {
        // ldr r1, =0x2000_0001; ldr r0, [r1]
        let cpu = try Self.machine(main: [0x4900, 0x6808], literals: [0x2000_0001])
        #expect(cpu.run(instructionLimit: 100) == .exited(status: 1))
        #expect(cpu.lastFault == .unalignedAccess(address: 0x2000_0001))
    }

    @Test func faultInHardFaultLocksUp() throws {
        let cpu = try Self.machine(main: [0xDE00], hardFault: [0xDE01])
        guard case .lockup(let reason) = cpu.run(instructionLimit: 100) else { Issue.record("no lockup"); return }
        #expect(reason.contains("HardFault"))
    }

    @Test func emptyMemoryHasNoVectorTable() throws {
        let cpu = ThumbInterpreter()
        try cpu.reset()
        guard case .lockup(let reason) = cpu.run(instructionLimit: 100) else { Issue.record("no lockup"); return }
        #expect(reason.contains("Thumb"), "\(reason)")
        #expect(cpu.instructionsExecuted == 0)
    }

    @Test func svcWithInterruptsMaskedEscalates() throws {
        // cpsid i; svc #0 → HardFault (SVCall cannot preempt at priority 0).
        let cpu = try Self.machine(main: [0xB672, 0xDF00])
        #expect(cpu.run(instructionLimit: 100) == .exited(status: 1))
        #expect(cpu.lastFault == .supervisorCallEscalated(address: 0x102))
    }

    @Test func semihostingWritesAndClock() throws {
        // movs r0,#4; ldr r1,=string; bkpt; movs r0,#3; ldr r1,=char; bkpt; movs r0,#0x10; bkpt; mov r5,r0; exit.
        let main: [UInt16] = [0x2004, 0x4905, 0xBEAB, 0x2003, 0x4904, 0xBEAB, 0x2010, 0xBEAB, 0x0005, 0x4903, 0x2018, 0xBEAB]
        let cpu = try Self.machine(main: main, literals: [0x700, 0x710, ThumbInterpreter.Semihosting.applicationExit])
        for (i, byte) in Array("hi\n".utf8).enumerated() { try cpu.write(0x700 + UInt32(i), size: 1, value: UInt32(byte)) }
        try cpu.write(0x710, size: 1, value: UInt32(UInt8(ascii: "!")))
        #expect(cpu.run(instructionLimit: 100) == .exited(status: 0))
        #expect(String(decoding: cpu.console, as: UTF8.self) == "hi\n!")
        #expect(cpu.register(5) == 0, "SYS_CLOCK: under a centisecond of 48 MHz cycles has passed")
    }

    @Test func unsupportedSemihostingEndsTheRun() throws {
        let cpu = try Self.machine(main: [0x2001, 0xBEAB])   // SYS_OPEN
        #expect(cpu.run(instructionLimit: 100) == .unsupportedSemihosting(operation: 1))
    }

    @Test func instructionLimitStopsAnInfiniteLoop() throws {
        let cpu = try Self.machine(main: [0xE7FE])
        #expect(cpu.run(instructionLimit: 1000) == .instructionLimit)
        #expect(cpu.instructionsExecuted == 1000)
    }

    @Test func waitingWithNothingToWakeEnds() throws {
        let cpu = try Self.machine(main: [0xBF30])
        #expect(cpu.run(instructionLimit: 100) == .waitingForever(address: 0x100))
    }
}
