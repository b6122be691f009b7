import Foundation
import Testing

/// The hostile-guest reproducers of issue 15, run as a user runs them, in every mode: a guest
/// must end with a fault it sees, the no-progress report or a one-line error, never take the
/// host process down or spin forever; in `virtbench host` the other domains finish normally.
@Suite(.serialized) struct HostileGuestTests {

    func run(_ arguments: [String], timeout: Double = 30) throws -> ProcessResult {
        let result = try ProcessRunner.runVirtBench(arguments, timeout: timeout)
        #expect(result.status >= 0, "virtbench \(arguments) died by a signal: \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
        return result
    }

    /// The trap CSRs of the privilege a program runs in: M natively with `-bios none`, S as a guest kernel.
    struct TrapCSRs {
        let vector: UInt16, cause: UInt16
        static let machine = TrapCSRs(vector: 0x305, cause: 0x342)
        static let supervisor = TrapCSRs(vector: 0x105, cause: 0x142)
    }

    static func csrrw(_ rd: Int, _ csr: UInt16, _ rs1: Int) -> UInt32 { UInt32(csr) << 20 | UInt32(rs1) << 15 | 1 << 12 | UInt32(rd) << 7 | 0x73 }
    static func csrr(_ rd: Int, _ csr: UInt16) -> UInt32 { UInt32(csr) << 20 | 2 << 12 | UInt32(rd) << 7 | 0x73 }
    static func auipc(_ rd: Int) -> UInt32 { UInt32(rd) << 7 | 0x17 }
    static func ld(_ rd: Int, _ rs1: Int) -> UInt32 { Asm.i(0x03, 3, rd, rs1, 0) }
    static func slli(_ rd: Int, _ rs1: Int, _ shift: Int32) -> UInt32 { Asm.i(0x13, 1, rd, rs1, shift) }
    static func or(_ rd: Int, _ rs1: Int, _ rs2: Int) -> UInt32 { UInt32(rs2) << 20 | UInt32(rs1) << 15 | 6 << 12 | UInt32(rd) << 7 | 0x33 }
    static func add(_ rd: Int, _ rs1: Int, _ rs2: Int) -> UInt32 { UInt32(rs2) << 20 | UInt32(rs1) << 15 | UInt32(rd) << 7 | 0x33 }

    /// Installs a trap handler that reports the trap's cause as the exit status (sifive_test
    /// `cause << 16 | 0x3333`), then runs `body`. Position independent.
    static func reportingCause(_ csrs: TrapCSRs, _ body: [UInt32]) -> [UInt8] {
        let handlerOffset = Int32(4 * (3 + body.count + 1))
        let setup = [auipc(Asm.t0), Asm.addi(Asm.t0, Asm.t0, handlerOffset), csrrw(0, csrs.vector, Asm.t0)]
        let handler = [csrr(Asm.t1, csrs.cause), slli(Asm.t1, Asm.t1, 16), Asm.lui(Asm.t2, 0x3), Asm.addi(Asm.t2, Asm.t2, 0x333),
                       or(Asm.t1, Asm.t1, Asm.t2), Asm.lui(Asm.t2, 0x100), Asm.sw(Asm.t1, Asm.t2, 0), Asm.spin]
        return Asm.bytes(setup + body + [Asm.spin] + handler)
    }

    /// `li t0, -8; ld t1, 0(t0)`: a load whose address + width wraps past 2^64.
    static let loadAtTop = [Asm.addi(Asm.t0, Asm.zero, -8), ld(Asm.t1, Asm.t0)]
    /// `li t0, -1; sb zero, 0(t0)`.
    static let storeAtTop = [Asm.addi(Asm.t0, Asm.zero, -1), Asm.sb(Asm.zero, Asm.t0, 0)]

    /// Points the trap vector at zeroed RAM (1 MiB above the image) and executes an illegal
    /// instruction: every trap lands on another illegal instruction, and nothing ever retires.
    static func trapLoop(_ csrs: TrapCSRs) -> [UInt8] {
        Asm.bytes([auipc(Asm.t0), Asm.lui(Asm.t1, 0x100), add(Asm.t0, Asm.t0, Asm.t1), csrrw(0, csrs.vector, Asm.t0), 0, Asm.spin])
    }

    /// The arguments that run `image` in `mode` as `virtbench run` takes them.
    static func arguments(_ mode: String, _ image: String) -> [String] {
        mode == "native" ? ["run", "-bios", "none", "-m", "64M", "-kernel", image]
            : ["run", "--mode", mode, "-m", "64M", "-kernel", image]
    }

    static let hostedModes = ["hav", "full"]

    @Test(arguments: ["native", "hav", "full"])
    func accessesAtTheTopOfTheAddressSpaceFaultInTheGuest(mode: String) throws {
        let csrs = mode == "native" ? TrapCSRs.machine : .supervisor
        for (body, cause) in [(Self.loadAtTop, Int32(5)), (Self.storeAtTop, 7)] {
            let image = ProcessRunner.temporaryFile("top-\(mode)-\(cause).bin", Self.reportingCause(csrs, body))
            defer { ProcessRunner.remove(image) }
            let result = try run(Self.arguments(mode, image))
            // The guest's handler saw an access fault and reported its cause as the exit status.
            #expect(result.status == cause, "\(mode): status \(result.status), stderr \(result.stderr)")
        }
    }

    @Test(arguments: ["native", "hav", "full"])
    func aTrapLoopIsStoppedAndReported(mode: String) throws {
        let csrs = mode == "native" ? TrapCSRs.machine : .supervisor
        let image = ProcessRunner.temporaryFile("loop-\(mode).bin", Self.trapLoop(csrs))
        defer { ProcessRunner.remove(image) }
        // No --max-insns: the guard alone must end it; and with one, the guard still reports first.
        for extra in [[], ["--max-insns", "100000000000"]] {
            let result = try run(Self.arguments(mode, image) + extra)
            #expect(result.status == 3, "\(mode) \(extra): status \(result.status), stderr \(result.stderr)")
            #expect(result.stderr.contains("no progress: 10000 traps in a row retired no instruction"), "\(result.stderr)")
            #expect(result.stderr.contains("illegal instruction (cause 2)"), "\(result.stderr)")
        }
    }

    @Test func aTrapLoopUnderParaEndsTheDomainWithAClearError() throws {
        let image = ProcessRunner.temporaryFile("loop-para.bin", Self.trapLoop(.supervisor))
        defer { ProcessRunner.remove(image) }
        let result = try run(Self.arguments("para", image))
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("virtbench: error: domain 1 crashed: "), "\(result.stderr)")
    }

    /// An ELF64 RISC-V executable with one PT_LOAD segment of `code` at 0x8020_0000 (flags R+X)
    /// and the given entry point.
    static func elf(code: [UInt8], entry: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        func put(_ value: UInt64, _ size: Int) { for i in 0 ..< size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) } }
        let base: UInt64 = 0x8020_0000, headers: UInt64 = 64 + 56
        bytes += [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        put(2, 2); put(243, 2); put(1, 4); put(entry, 8); put(64, 8); put(0, 8) // type, machine, version, entry, phoff, shoff
        put(0, 4); put(64, 2); put(56, 2); put(1, 2); put(64, 2); put(0, 2); put(0, 2) // flags, sizes, phnum 1, no sections
        put(1, 4); put(5, 4); put(headers, 8); put(base, 8); put(base, 8) // PT_LOAD, R+X, offset, vaddr, paddr
        put(UInt64(code.count), 8); put(UInt64(code.count), 8); put(4096, 8)
        return bytes + code
    }

    @Test(arguments: ["hav", "full", "para"])
    func anEntryNearTwoToTheSixtyFourIsRefused(mode: String) throws {
        let code = Self.reportingCause(.supervisor, Self.loadAtTop)
        let image = ProcessRunner.temporaryFile("entry-\(mode).elf", Self.elf(code: code, entry: 0xffff_ffff_ffff_f000))
        defer { ProcessRunner.remove(image) }
        try run(Self.arguments(mode, image)).expectOneLineError(
            for: [mode], containing: "entry point 0xfffffffffffff000 lies in no loaded executable segment", sourceLocation: #_sourceLocation)
    }

    @Test(arguments: ["hav", "full", "para"])
    func anOddEntryIsRefused(mode: String) throws {
        let image = ProcessRunner.temporaryFile("odd-\(mode).elf", Self.elf(code: Self.reportingCause(.supervisor, Self.loadAtTop), entry: 0x8020_0001))
        defer { ProcessRunner.remove(image) }
        try run(Self.arguments(mode, image)).expectOneLineError(
            for: [mode], containing: "entry point 0x80200001 is odd; RISC-V instructions start on even addresses", sourceLocation: #_sourceLocation)
    }

    /// An M-mode program in a guest mode stops at its first M-mode instruction, named in the report
    /// (whether code needs M-mode cannot be told from the bytes: see Loader/GuestBootPlan.swift).
    @Test(arguments: ["hav", "full"])
    func anMModeProgramIsStoppedAtItsFirstMModeInstruction(mode: String) throws {
        let image = ProcessRunner.temporaryFile("mmode-\(mode).elf", Self.elf(code: Self.reportingCause(.machine, Self.loadAtTop), entry: 0x8020_0000))
        defer { ProcessRunner.remove(image) }
        let result = try run(Self.arguments(mode, image))
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stderr.contains("the first was illegal instruction (cause 2) at pc 0x80200008, tval 0x30529073 "
            + "(csrrw zero, mtvec, t0, an M-mode instruction)"), "\(result.stderr)")
        #expect(result.stderr.contains("guest modes run S-mode kernels: run an M-mode program with --mode native"), "\(result.stderr)")
    }

    /// The messages issue 15 found wrong name the value and the rule now.
    @Test func badNumbersSayWhatIsWrong() throws {
        let image = ProcessRunner.temporaryFile("ok.bin", HostCommandTests.greeter("hi\n"))
        defer { ProcessRunner.remove(image) }
        try run(["run", "-m", "-1", "-kernel", image]).expectOneLineError(
            for: ["-m -1"], containing: "cannot read RAM size '-1'", sourceLocation: #_sourceLocation)
        try run(["run", "--max-insns", "-5", "-kernel", image]).expectOneLineError(
            for: ["--max-insns -5"], containing: "The value '-5' is invalid for '--max-insns <n>': the instruction limit must be a whole number of at least 1",
            sourceLocation: #_sourceLocation)
        try run(["run", "--mode", "hav", "-m", "64G", "-kernel", image]).expectOneLineError(
            for: ["-m 64G"], containing: "-m 64G: a guest under --mode hav can have at most 65532 MiB", sourceLocation: #_sourceLocation)
    }

    /// `virtbench host`: the hostile domains end (fault, no-progress report) and the others,
    /// created before and after them, shut down normally.
    @Test func hostileDomainsLeaveTheOthersRunning() throws {
        let scratch = try HostCommandTests.Scratch()
        try scratch.write("good.bin", HostCommandTests.greeter("fine\n"))
        try scratch.write("top.bin", Self.reportingCause(.supervisor, Self.loadAtTop))
        try scratch.write("loop.bin", Self.trapLoop(.supervisor))
        let config = try scratch.write("host.json", """
            {"domains": [
              {"name": "before", "kernel": "good.bin", "memory": "8M"},
              {"name": "top", "kernel": "top.bin", "memory": "8M"},
              {"name": "loop", "kernel": "loop.bin", "memory": "8M"},
              {"name": "after", "kernel": "good.bin", "memory": "8M"}
            ]}
            """)
        let result = try run(["host", config])
        #expect(result.status == 2, "a domain failed: \(result.stderr)")
        let rows = HostCommandTests.tableRows(result.stdout)
        #expect(rows["before"]?[4] == "---s--" && rows["after"]?[4] == "---s--", "\(result.stdout)")
        #expect(rows["top"]?[4] == "---s--", "the load faulted in the guest, whose handler shut it down: \(result.stdout)")
        #expect(rows["loop"]?[4] == "----c-", "\(result.stdout)")
        #expect(result.stderr.contains("domain 2 (top) shutdown (5)"), "\(result.stderr)")
        #expect(result.stderr.contains("domain 3 (loop) crashed: no progress: 10000 traps"), "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("before | fine") && lines.contains("after  | fine"), "\(result.stdout)")
    }
}
