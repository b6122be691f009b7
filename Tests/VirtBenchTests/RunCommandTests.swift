import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tiny RV64I programs assembled here (Unprivileged ISA ch. 2 formats), so the end-to-end
/// tests need no cross toolchain. Loaded raw at 0x8000_0000 with `-bios none`.
enum Asm {
    static let zero = 0, t0 = 5, t1 = 6, t2 = 7
    static func lui(_ rd: Int, _ imm20: UInt32) -> UInt32 { imm20 << 12 | UInt32(rd) << 7 | 0x37 }
    static func i(_ op: UInt32, _ f3: UInt32, _ rd: Int, _ rs1: Int, _ imm: Int32) -> UInt32 {
        (UInt32(bitPattern: imm) & 0xfff) << 20 | UInt32(rs1) << 15 | f3 << 12 | UInt32(rd) << 7 | op
    }
    static func addi(_ rd: Int, _ rs1: Int, _ imm: Int32) -> UInt32 { i(0x13, 0, rd, rs1, imm) }
    static func andi(_ rd: Int, _ rs1: Int, _ imm: Int32) -> UInt32 { i(0x13, 7, rd, rs1, imm) }
    static func lbu(_ rd: Int, _ rs1: Int, _ imm: Int32) -> UInt32 { i(0x03, 4, rd, rs1, imm) }
    static func s(_ f3: UInt32, _ rs2: Int, _ rs1: Int, _ imm: Int32) -> UInt32 {
        let u = UInt32(bitPattern: imm) & 0xfff
        return (u >> 5) << 25 | UInt32(rs2) << 20 | UInt32(rs1) << 15 | f3 << 12 | (u & 0x1f) << 7 | 0x23
    }
    static func sb(_ rs2: Int, _ rs1: Int, _ imm: Int32) -> UInt32 { s(0, rs2, rs1, imm) }
    static func sw(_ rs2: Int, _ rs1: Int, _ imm: Int32) -> UInt32 { s(2, rs2, rs1, imm) }
    /// beq rs1, rs2, offset (B-type, offset even, ±4 KiB).
    static func beq(_ rs1: Int, _ rs2: Int, _ offset: Int32) -> UInt32 {
        let u = UInt32(bitPattern: offset)
        return (u >> 12 & 1) << 31 | (u >> 5 & 0x3f) << 25 | UInt32(rs2) << 20 | UInt32(rs1) << 15
            | (u >> 1 & 0xf) << 8 | (u >> 11 & 1) << 7 | 0x63
    }
    /// `j .`: an endless loop.
    static let spin: UInt32 = 0x0000_006f

    /// t0 = UART base; prints `text`.
    static func print(_ text: String) -> [UInt32] {
        [lui(t0, 0x1_0000)] + text.utf8.flatMap { [addi(t1, zero, Int32($0)), sb(t1, t0, 0)] }
    }

    /// Writes `value` (0x5555 pass, code << 16 | 0x3333 fail) to sifive_test at 0x10_0000.
    static func finish(_ value: UInt32) -> [UInt32] {
        // lui takes the upper 20 bits; addi's immediate is sign-extended, so round up when bit 11 is set.
        let upper = (value &+ 0x800) >> 12, lower = Int32(bitPattern: value << 20) >> 20
        return [lui(t2, 0x100), lui(t1, upper), addi(t1, t1, lower), sw(t1, t2, 0), spin]
    }

    static func bytes(_ words: [UInt32]) -> [UInt8] {
        words.flatMap { w in (0 ..< 4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }
    }
}

@Suite(.serialized) struct RunCommandTests {
    let binary = ProcessRunner.virtbenchPath

    func run(_ arguments: [String], input: [UInt8] = [], timeout: Double = 20) throws -> ProcessResult {
        try ProcessRunner.runVirtBench(arguments, input: input, timeout: timeout)
    }

    /// Bad input must end with status 1 and exactly one `virtbench: error:` line.
    func expectOneLineError(_ arguments: [String], containing fragment: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        try run(arguments).expectOneLineError(for: arguments, containing: fragment, sourceLocation: sourceLocation)
    }

    @Test func badCommandLines() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Asm.bytes(Asm.print("hi") + Asm.finish(0x5555)))
        defer { ProcessRunner.remove(hello) }
        try expectOneLineError(["run", "-bios", "none", "-kernel", "/nonexistent/kernel.elf"], containing: "not found")
        try expectOneLineError(["run", "-bios", "none"], containing: "nothing to run")
        try expectOneLineError(["run", "-bios", "/nonexistent/fw.bin", "-kernel", hello], containing: "firmware '/nonexistent/fw.bin' not found")
        try expectOneLineError(["run", "-bios", "none", "-kernel", "/tmp"], containing: "is a directory")
        try expectOneLineError(["run", "-m", "0", "-bios", "none", "-kernel", hello], containing: "invalid RAM size 0")
        try expectOneLineError(["run", "-m", "1001K", "-bios", "none", "-kernel", hello], containing: "multiple of 4 KiB")
        try expectOneLineError(["run", "-m", "65G", "-bios", "none", "-kernel", hello], containing: "64 GiB")
        try expectOneLineError(["run", "-m", "lots", "-bios", "none", "-kernel", hello], containing: "cannot read RAM size 'lots'")
        try expectOneLineError(["run", "-cpu", "rv32", "-bios", "none", "-kernel", hello], containing: "unsupported -cpu")
        try expectOneLineError(["run", "-cpu", "rv64,h=maybe", "-bios", "none", "-kernel", hello], containing: "h=")
        try expectOneLineError(["run", "-M", "sifive_u", "-bios", "none", "-kernel", hello], containing: "only virt")
        try expectOneLineError(["run", "--frobnicate"], containing: "frobnicate")
        try expectOneLineError(["run", "-bios", "none", "-kernel", hello, "--max-insns", "lots"], containing: "max-insns")
        try expectOneLineError(["launch"], containing: "launch")
    }

    @Test func badImages() throws {
        // An x86-64 executable from the host.
        let hostCandidates: [String] = ["/bin/true", "/usr/bin/true"]
        if let host = hostCandidates.first(where: { access($0, R_OK) == 0 }) {
            try expectOneLineError(["run", "-bios", "none", "-kernel", host], containing: "expected RISC-V")
        }
        let header: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 20)
        let truncated = ProcessRunner.temporaryFile("cut.elf", header)
        defer { ProcessRunner.remove(truncated) }
        try expectOneLineError(["run", "-bios", "none", "-kernel", truncated], containing: "too short")
        let empty = ProcessRunner.temporaryFile("empty.bin", [])
        defer { ProcessRunner.remove(empty) }
        try expectOneLineError(["run", "-bios", "none", "-kernel", empty], containing: "empty")
        // A raw image bigger than RAM is refused before it is read.
        let big = ProcessRunner.temporaryFile("big.bin", [UInt8](repeating: 0x13, count: 5 << 20))
        defer { ProcessRunner.remove(big) }
        try expectOneLineError(["run", "-m", "4M", "-bios", "none", "-kernel", big], containing: "do not fit")
        // A raw kernel that overlaps the raw firmware cannot happen (it goes after it); one
        // that runs off the end of RAM is refused.
        try expectOneLineError(["run", "-m", "4M", "-bios", big, "-kernel", big], containing: "do not fit")
    }

    @Test func bootsATinyProgram() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Asm.bytes(Asm.print("Hello, virt!\n") + Asm.finish(0x5555)))
        defer { ProcessRunner.remove(hello) }
        let r = try run(["run", "-M", "virt", "-m", "64M", "-nographic", "-bios", "none", "-kernel", hello, "--summary"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "Hello, virt!\n")
        #expect(r.stderr.contains("guest powered off"))
        #expect(r.stderr.contains("instructions retired: "))
    }

    @Test func failureCodeBecomesExitStatus() throws {
        let failing = ProcessRunner.temporaryFile("fail.bin", Asm.bytes(Asm.print("no") + Asm.finish(7 << 16 | 0x3333)))
        defer { ProcessRunner.remove(failing) }
        let r = try run(["run", "-bios", "none", "-kernel", failing])
        #expect(r.status == 7)
        #expect(r.stdout == "no")
    }

    @Test func instructionLimitStopsAnEndlessLoop() throws {
        let loop = ProcessRunner.temporaryFile("loop.bin", Asm.bytes([Asm.spin]))
        defer { ProcessRunner.remove(loop) }
        let r = try run(["run", "-bios", "none", "-kernel", loop, "--max-insns", "100000", "--icount", "--summary"])
        #expect(r.status == 124)
        #expect(r.stderr.contains("instruction limit reached"))
        #expect(r.stderr.contains("instructions retired: 100000 "))
    }

    @Test func consoleInputReachesTheUART() throws {
        // Wait for a byte (LSR.DR, bit 0 of register 5), echo it, power off.
        let code: [UInt32] = [Asm.lui(Asm.t0, 0x1_0000),
                              Asm.lbu(Asm.t1, Asm.t0, 5), Asm.andi(Asm.t1, Asm.t1, 1), Asm.beq(Asm.t1, Asm.zero, -8),
                              Asm.lbu(Asm.t1, Asm.t0, 0), Asm.sb(Asm.t1, Asm.t0, 0)] + Asm.finish(0x5555)
        let echo = ProcessRunner.temporaryFile("echo.bin", Asm.bytes(code))
        defer { ProcessRunner.remove(echo) }
        let r = try run(["run", "-bios", "none", "-kernel", echo], input: Array("Z".utf8))
        #expect(r.status == 0)
        #expect(r.stdout == "Z")
    }

    @Test func ctrlAXQuits() throws {
        let loop = ProcessRunner.temporaryFile("loop.bin", Asm.bytes([Asm.spin]))
        defer { ProcessRunner.remove(loop) }
        // Ctrl-A Ctrl-A is a literal Ctrl-A for the guest; Ctrl-A X quits as in QEMU.
        let r = try run(["run", "-bios", "none", "-kernel", loop], input: [0x01, 0x01, 0x01, UInt8(ascii: "x")])
        #expect(r.status == 0)
        #expect(r.stderr.contains("virtbench: terminated"))
    }

    @Test func traceWritesInstructionsToStderr() throws {
        let hello = ProcessRunner.temporaryFile("t.bin", Asm.bytes(Asm.print("x") + Asm.finish(0x5555)))
        defer { ProcessRunner.remove(hello) }
        let r = try run(["run", "-bios", "none", "-kernel", hello, "--trace"])
        #expect(r.status == 0)
        #expect(r.stdout == "x")
        #expect(r.stderr.contains("80000000"))
    }

    @Test func helpIsNotAnError() throws {
        let r = try run(["run", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("-kernel"))
    }

    /// The same image on QEMU and on VirtBench prints the same thing: a probe that prints the
    /// boot registers (a0 hart id, a1 DTB, a2 fw_dynamic_info), its own pc and mstatus.
    @Test(.requires(.qemuSystemRISCV64)) func bootRegistersMatchQEMU() throws {
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        // auipc s3,0 / print a0, a1, a2, s3 as 16 hex digits each, then power off.
        var code: [UInt32] = [Asm.i(0x13, 0, 8, 10, 0), Asm.i(0x13, 0, 9, 11, 0), Asm.i(0x13, 0, 18, 12, 0), 0x0000_0997]
        for reg in [8, 9, 18, 19] { code += Asm.printHex(register: reg) }
        code += Asm.finish(0x5555)
        let probe = ProcessRunner.temporaryFile("probe.bin", Asm.bytes(code))
        defer { ProcessRunner.remove(probe) }
        for memory in ["128M", "256M", "2G"] {
            let args = ["-M", "virt", "-m", memory, "-nographic", "-bios", "none", "-kernel", probe]
            let reference = ProcessRunner.run(qemu, args, timeout: 20)
            guard !reference.timedOut, reference.status == 0 else {
                Issue.record("QEMU did not run the probe: \(reference.stderr)")
                return
            }
            let ours = try run(["run"] + args)
            #expect(ours.status == 0)
            #expect(ours.stdout == reference.stdout, "-m \(memory)")
            #expect(ours.stdout.split(separator: "\n").count == 4)
        }
    }
}

extension RunCommandTests {
    /// OpenSBI (QEMU's own default firmware) boots, reads fw_dynamic_info from our ROM and enters
    /// a raw S-mode kernel at 0x8020_0000 with the same a0/a1 as on QEMU.
    @Test(.requires(.qemuSystemRISCV64, .qemuOpenSBIDynamicBinary)) func defaultFirmwareEntersTheKernelLikeQEMU() throws {
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        var code: [UInt32] = [Asm.i(0x13, 0, 8, 10, 0), Asm.i(0x13, 0, 9, 11, 0), 0x0000_0997]
        for reg in [8, 9, 19] { code += Asm.printHex(register: reg) }
        code += Asm.finish(0x5555)
        let kernel = ProcessRunner.temporaryFile("kernel.bin", Asm.bytes(code))
        defer { ProcessRunner.remove(kernel) }
        let args = ["-M", "virt", "-m", "256M", "-nographic", "-kernel", kernel]
        let reference = ProcessRunner.run(qemu, args, timeout: 30)
        guard !reference.timedOut, reference.status == 0 else {
            Issue.record("QEMU did not run the kernel: \(reference.stderr)")
            return
        }
        let ours = try run(["run"] + args, timeout: 60)
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.stdout.contains("OpenSBI"))
        // Split on Character.isNewline: the console's "\r\n" is one Character, not two.
        let tail = { (text: String) in Array(text.split(whereSeparator: \.isNewline).suffix(3)) }
        #expect(tail(ours.stdout) == tail(reference.stdout))
        #expect(tail(ours.stdout).last == "0000000080200008") // the auipc, third instruction at 0x8020_0000
    }
}

extension RunCommandTests {
    /// On a terminal the console goes raw while the guest runs and is restored afterwards,
    /// whether the guest powers off or fails. `script` provides the pseudo-terminal.
    @Test(.requires(.terminalTools)) func terminalSettingsAreRestored() throws {
        let script = try #require(Tool.terminalTools.path)
        let binary = try #require(binary, "virtbench binary not found next to the test bundle")
        // Settings before and after the run must be identical, and the guest must have run.
        let failing = ProcessRunner.temporaryFile("fail.bin", Asm.bytes(Asm.print("ran\n") + Asm.finish(3 << 16 | 0x3333)))
        defer { ProcessRunner.remove(failing) }
        let shell = "stty -g; \(binary) run -bios none -kernel \(failing); echo status=$?; stty -g"
        let r = ProcessRunner.run(script, ["-qec", shell, "/dev/null"], timeout: 30)
        #expect(!r.timedOut)
        let lines = r.stdout.split(whereSeparator: \.isNewline).map(String.init)
        #expect(lines.contains("ran"))
        #expect(lines.contains("status=3"))
        let settings = lines.filter { $0.contains(":") && !$0.contains(" ") }
        #expect(settings.count == 2, "\(r.stdout)")
        if settings.count == 2 { #expect(settings[0] == settings[1]) }
    }
}

extension Asm {
    static let t3 = 28, t4 = 29
    static func srl(_ rd: Int, _ rs1: Int, _ rs2: Int) -> UInt32 { UInt32(rs2) << 20 | UInt32(rs1) << 15 | 5 << 12 | UInt32(rd) << 7 | 0x33 }
    static func blt(_ rs1: Int, _ rs2: Int, _ offset: Int32) -> UInt32 { beq(rs1, rs2, offset) | 4 << 12 }
    static func bge(_ rs1: Int, _ rs2: Int, _ offset: Int32) -> UInt32 { beq(rs1, rs2, offset) | 5 << 12 }

    /// Prints `register` as 16 lowercase hex digits and a newline; uses t0..t4.
    static func printHex(register: Int) -> [UInt32] {
        [lui(t0, 0x1_0000), addi(t2, zero, 60),
         // loop:
         srl(t1, register, t2), andi(t1, t1, 15), addi(t3, zero, 10),
         blt(t1, t3, 12), addi(t1, t1, 87), beq(zero, zero, 8), // 'a' - 10
         addi(t1, t1, 48),                                       // '0'
         sb(t1, t0, 0), addi(t2, t2, -4), bge(t2, zero, -36),
         addi(t1, zero, 10), sb(t1, t0, 0)]
    }
}
