#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GDBStub
@testable import Machine
import RISCV
import Testing

/// The debugger's hooks on real harts, through `MachineTarget`: breakpoints stop before their
/// instruction, watchpoints before the access (the instruction abandoned, memory untouched),
/// a step is exactly one instruction, a halt from another thread stops a spinning hart, and
/// memory reads go through the hart's current translation. Every test runs on both engines.
@Suite("GDB machine target")
struct MachineTargetTests {
    static let ramBase: UInt64 = 0x8000_0000
    static let data: UInt64 = 0x8000_1000

    /// The program the tests debug:
    ///
    ///     0x00  auipc t1, 1        t1 = data (0x8000_1000)
    ///     0x04  addi  t0, x0, 1
    ///     0x08  sw    t0, 0(t1)    stores 1
    ///     0x0c  lw    t2, 0(t1)    loads it back
    ///     0x10  addi  t0, t0, 1    then counts up forever
    ///     0x14  j     0x10
    static let program: [UInt32] = {
        var a = RV64Assembler()
        a.auipc(6, 1)
        a.addi(5, 0, 1)
        a.sw(5, 6, 0)
        a.lw(7, 6, 0)
        let loop = a.label()
        a.bind(loop)
        a.addi(5, 5, 1)
        a.jal(0, loop)
        return a.finish()!
    }()

    final class TestMachine {
        let control: MachineControl
        let harts: [Hart]
        let target: MachineTarget

        init(compiled: Bool, program: [UInt32] = MachineTargetTests.program, harts count: Int = 1, virtualTime: Bool = true) {
            let control = MachineControl()
            self.control = control
            let memory = try! PhysicalMemory(base: MachineTargetTests.ramBase, size: 1 << 20)
            let bus = Bus(ram: memory)
            bus.isShared = count > 1
            let timebase = Timebase(mode: virtualTime ? .virtual(instructionsPerTick: 100) : .realTime)
            var configuration = HartConfiguration()
            configuration.compileBlocks = compiled
            configuration.compileThreshold = 0  // the test programs are short: compile at the first run
            harts = (0..<count).map { id in
                Hart(hartID: UInt64(id), bus: bus, interrupts: InterruptLines(), timebase: timebase, control: control,
                     configuration: configuration)
            }
            _ = memory.write(program.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }, at: MachineTargetTests.ramBase)
            for hart in harts { hart.reset(pc: MachineTargetTests.ramBase) }
            target = MachineTarget(harts: harts, control: control, instructionLimit: nil) { nil }
            target.attach()
        }

        var hart: Hart { harts[0] }

        /// Runs as the server would: the harts' run, then the halt cleared.
        func run(_ request: ResumeRequest) -> MachineTarget.RunOutcome {
            defer { control.clearDebugHalt() }
            return target.run(request)
        }

        func word(at address: UInt64) -> UInt64 { hart.memory.load(address, width: 4)! }
    }

    static let engines = [true, false]

    @Test(arguments: engines) func aStepIsExactlyOneInstruction(compiled: Bool) {
        let machine = TestMachine(compiled: compiled)
        for expected: UInt64 in [0x04, 0x08, 0x0c, 0x10, 0x14, 0x10, 0x14] {
            #expect(machine.run(ResumeRequest(stepping: [0])) == .stopped(.trap(hart: 0)))
            #expect(machine.hart.pc == Self.ramBase + expected)
        }
        #expect(machine.hart.register(5) == 3)
        #expect(machine.hart.retired == 7)
    }

    @Test(arguments: engines) func aBreakpointStopsBeforeItsInstruction(compiled: Bool) {
        let machine = TestMachine(compiled: compiled)
        let outcome = machine.run(ResumeRequest(running: [0], breakpoints: [Self.ramBase + 0x0c]))
        #expect(outcome == .stopped(.trap(hart: 0)))
        #expect(machine.hart.pc == Self.ramBase + 0x0c)
        #expect(machine.word(at: Self.data) == 1, "the store before it ran")
        #expect(machine.hart.register(7) == 0, "the load at the breakpoint did not")
        #expect(machine.hart.retired == 3)
        #expect(machine.hart.debugStop == .breakpoint)
        // Continuing from it with the breakpoint still there stops at once, as gdb expects (it
        // removes its breakpoints to step over one); a breakpoint in the loop stops every lap.
        #expect(machine.run(ResumeRequest(running: [0], breakpoints: [Self.ramBase + 0x0c])) == .stopped(.trap(hart: 0)))
        #expect(machine.hart.retired == 3)
        for lap in 1...3 {
            #expect(machine.run(ResumeRequest(running: [0], breakpoints: [Self.ramBase + 0x14])) == .stopped(.trap(hart: 0)))
            #expect(machine.hart.pc == Self.ramBase + 0x14)
            #expect(machine.hart.register(5) == UInt64(lap + 1))
            #expect(machine.run(ResumeRequest(stepping: [0])) == .stopped(.trap(hart: 0)), "step over it")
        }
    }

    @Test(arguments: engines) func aWriteWatchpointStopsBeforeTheStore(compiled: Bool) {
        let machine = TestMachine(compiled: compiled)
        let watch = Watchpoint(address: Self.data, length: 4, kind: .write)
        let outcome = machine.run(ResumeRequest(running: [0], watchpoints: [watch]))
        #expect(outcome == .stopped(.watchpoint(hart: 0, kind: .write, address: Self.data)))
        #expect(machine.hart.pc == Self.ramBase + 0x08, "pc on the store")
        #expect(machine.word(at: Self.data) == 0, "memory untouched")
        #expect(machine.hart.debugReadCSR(CSR.mcause) == 0, "the guest saw no trap")
        // gdb then removes the watchpoint and steps over the store.
        #expect(machine.run(ResumeRequest(stepping: [0])) == .stopped(.trap(hart: 0)))
        #expect(machine.hart.pc == Self.ramBase + 0x0c)
        #expect(machine.word(at: Self.data) == 1)
    }

    @Test(arguments: engines) func aReadWatchpointReportsAnAddressInsideItsRange(compiled: Bool) {
        let machine = TestMachine(compiled: compiled)
        // One byte in the middle of the word the lw reads; the store does not trigger it.
        let watch = Watchpoint(address: Self.data + 2, length: 1, kind: .read)
        let outcome = machine.run(ResumeRequest(running: [0], watchpoints: [watch]))
        #expect(outcome == .stopped(.watchpoint(hart: 0, kind: .read, address: Self.data + 2)))
        #expect(machine.hart.pc == Self.ramBase + 0x0c)
        #expect(machine.hart.register(7) == 0)
        // An access watchpoint catches the store first.
        let other = TestMachine(compiled: compiled)
        let access = Watchpoint(address: Self.data, length: 8, kind: .access)
        #expect(other.run(ResumeRequest(running: [0], watchpoints: [access])) == .stopped(.watchpoint(hart: 0, kind: .access, address: Self.data)))
        #expect(other.hart.pc == Self.ramBase + 0x08)
    }

    @Test(arguments: engines) func aHaltFromAnotherThreadStopsASpinningHart(compiled: Bool) {
        let machine = TestMachine(compiled: compiled, virtualTime: false)
        let control = machine.control
        Thread.detachNewThread { usleep(50_000); control.requestDebugHalt() }
        let outcome = machine.run(ResumeRequest(running: [0]))
        #expect(outcome == .stopped(.interrupted(hart: nil)))
        #expect(machine.hart.pc == Self.ramBase + 0x10 || machine.hart.pc == Self.ramBase + 0x14)
        #expect(machine.hart.register(5) > 1)
        #expect(!control.stopPending, "the halt is cleared for the next run")
    }

    @Test(arguments: engines) func aBreakpointOnOneHartStopsThemAll(compiled: Bool) {
        // Hart 0 spins at 0x08; hart 1 counts at 0x0c-0x10.
        var a = RV64Assembler()
        let other = a.label(), spin = a.label(), count = a.label()
        a.csrrs(5, CSR.mhartid, 0)
        a.bne(5, 0, other)
        a.bind(spin)
        a.jal(0, spin)
        a.bind(other)
        a.bind(count)
        a.addi(6, 6, 1)
        a.jal(0, count)
        let program = a.finish()!
        for virtualTime in [true, false] {
            let machine = TestMachine(compiled: compiled, program: program, harts: 2, virtualTime: virtualTime)
            let breakpoint = Self.ramBase + 0x10
            let outcome = machine.run(ResumeRequest(running: [0, 1], breakpoints: [breakpoint]))
            #expect(outcome == .stopped(.trap(hart: 1)), "virtual time: \(virtualTime)")
            #expect(machine.harts[1].pc == breakpoint)
            // In real time hart 0 runs on its own thread and may not have reached its loop yet.
            #expect([0x00, 0x04, 0x08].map { Self.ramBase + $0 }.contains(machine.harts[0].pc))
            // Stepping hart 1 leaves hart 0 where it is.
            let retired = machine.harts[0].retired
            #expect(machine.run(ResumeRequest(stepping: [1], running: [0])) == .stopped(.trap(hart: 1)))
            #expect(machine.harts[1].pc == Self.ramBase + 0x0c)
            #expect(machine.harts[0].retired == retired)
        }
    }

    @Test(arguments: engines) func aGuestEbreakStillTrapsToTheGuest(compiled: Bool) {
        var a = RV64Assembler()
        a.ebreak()
        let machine = TestMachine(compiled: compiled, program: a.finish()!)
        machine.hart.hostWriteCSR(CSR.mtvec, Self.ramBase + 0x100)
        #expect(machine.run(ResumeRequest(stepping: [0])) == .stopped(.trap(hart: 0)))
        #expect(machine.hart.debugReadCSR(CSR.mcause) == TrapCause.breakpoint)
        #expect(machine.hart.pc == Self.ramBase + 0x100)
        #expect(machine.hart.debugStop == nil)
    }

    @Test func detachingPutsTheHartBackAsItWas() {
        let machine = TestMachine(compiled: true)
        _ = machine.run(ResumeRequest(running: [0], breakpoints: [Self.ramBase + 0x0c],
                                      watchpoints: [Watchpoint(address: Self.data, length: 4, kind: .read)]))
        #expect(machine.hart.maximumBlockLength == 1)
        machine.target.detach()
        #expect(!machine.hart.isDebuggerAttached)
        #expect(machine.hart.maximumBlockLength == BlockCache.maximumLength)
        // Without a debugger the breakpoint's pc runs on: a halt from outside is the only stop.
        let control = machine.control
        Thread.detachNewThread { usleep(100_000); control.requestDebugHalt() }
        #expect(machine.run(ResumeRequest(running: [0], breakpoints: [Self.ramBase + 0x0c])) == .stopped(.interrupted(hart: nil)))
        #expect(machine.hart.register(7) == 1, "the load ran")
        #expect(machine.hart.debugStop == nil)
    }

    @Test func memoryIsReadThroughTheHartsCurrentTranslation() {
        let machine = TestMachine(compiled: true)
        let hart = machine.hart
        // M-mode: virtual is physical. RAM reads stop where RAM ends; nothing else is readable here.
        #expect(machine.target.readMemory(Self.ramBase, count: 4, hart: 0) == [0x17, 0x13, 0x00, 0x00])
        #expect(machine.target.readMemory(Self.ramBase + (1 << 20) - 2, count: 8, hart: 0).count == 2)
        #expect(machine.target.readMemory(0x1000, count: 4, hart: 0).isEmpty)
        // Sv39 with one gigapage: VA 0x4000_0000 → PA 0x8000_0000, supervisor-only, no A/D yet.
        let root: UInt64 = Self.ramBase + 0x4000
        let leaf = (Self.ramBase >> 12) << 10 | PageTableEntry.valid | PageTableEntry.read | PageTableEntry.write | PageTableEntry.execute
        _ = hart.memory.store(root + 8, width: 8, value: leaf)
        #expect(hart.hostWriteCSR(CSR.satp, 8 << 60 | root >> 12))
        hart.privilege = .supervisor
        hart.updateTranslationContexts()
        #expect(machine.target.readMemory(0x4000_0000, count: 4, hart: 0) == [0x17, 0x13, 0x00, 0x00])
        #expect(machine.target.readMemory(0x4000_0ffe, count: 4, hart: 0).count == 4, "across a page of the gigapage")
        #expect(machine.target.readMemory(0, count: 4, hart: 0).isEmpty, "unmapped")
        #expect(machine.target.readMemory(0x8000_0000, count: 4, hart: 0).isEmpty, "not identity mapped any more")
        #expect(machine.target.readMemory(0xdead_beef_0000_0000, count: 4, hart: 0).isEmpty, "not a canonical address")
        #expect(hart.memory.load(root + 8, width: 8) == leaf, "no A/D bits set by the debugger's walk")
        // A U-mode hart sees the same through the debugger, though the page is not a U page.
        hart.privilege = .user
        hart.updateTranslationContexts()
        #expect(machine.target.readMemory(0x4000_0000, count: 4, hart: 0) == [0x17, 0x13, 0x00, 0x00])
        // Writes go the same way, and drop decoded code they overwrite.
        #expect(machine.target.writeMemory(0x4000_1000, [1, 2, 3, 4], hart: 0) == 4)
        #expect(machine.word(at: Self.data) == 0x0403_0201)
        #expect(machine.target.writeMemory(0x10, [1], hart: 0) == 0)
    }

    @Test func registersAndCSRsThroughTheTarget() {
        let machine = TestMachine(compiled: false)
        let target = machine.target
        #expect(target.write(.x(5), 0x1234, hart: 0))
        #expect(target.read(.x(5), hart: 0) == 0x1234)
        #expect(target.write(.x(0), 7, hart: 0))
        #expect(target.read(.x(0), hart: 0) == 0)
        #expect(target.write(.pc, Self.ramBase + 0x11, hart: 0))
        #expect(target.read(.pc, hart: 0) == Self.ramBase + 0x10, "bit 0 of pc is always clear")
        #expect(target.write(.f(3), 0x4000_0000_0000_0000, hart: 0))
        #expect(target.read(.f(3), hart: 0) == 0x4000_0000_0000_0000)
        #expect(target.write(.csr(CSR.mscratch), 42, hart: 0))
        #expect(target.read(.csr(CSR.mscratch), hart: 0) == 42)
        #expect(target.read(.csr(CSR.misa), hart: 0) == machine.hart.debugReadCSR(CSR.misa))
        #expect(target.read(.csr(0x7ff), hart: 0) == nil)
        #expect(target.read(.privilege, hart: 0) == 3)
        #expect(!target.write(.privilege, 0, hart: 0))
        #expect(target.read(.x(40), hart: 0) == nil)
        #expect(target.read(.x(1), hart: 5) == nil)
        let names = Dictionary(uniqueKeysWithValues: target.describedCSRs.map { ($0.number, $0.name) })
        for (number, name) in [(CSR.mstatus, "mstatus"), (CSR.misa, "misa"), (CSR.mie, "mie"), (CSR.mtvec, "mtvec"),
                               (CSR.mscratch, "mscratch"), (CSR.mepc, "mepc"), (CSR.mcause, "mcause"), (CSR.mtval, "mtval"),
                               (CSR.mip, "mip"), (CSR.sstatus, "sstatus"), (CSR.satp, "satp"), (CSR.fcsr, "fcsr"),
                               (CSR.mhpmcounter3, "mhpmcounter3"), (CSR.pmpaddr0, "pmpaddr0")] {
            #expect(names[number] == name, "CSR \(number)")
        }
        #expect(target.describedCSRs.allSatisfy { $0.name.first!.isLetter })
    }
}
