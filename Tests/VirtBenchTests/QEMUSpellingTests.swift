import Foundation
import Testing
import TestSupport

/// `virtbench run` takes what a QEMU user types, with QEMU 7.2's meaning: each spelling that is
/// accepted does what QEMU does (checked against QEMU where it runs the same thing), and each
/// one that is not ends with one `virtbench: error:` line and status 1.
@Suite(.serialized) struct QEMUSpellingTests {
    func run(_ arguments: [String], input: [UInt8] = [], timeout: Double = 20) throws -> ProcessResult {
        try ProcessRunner.runVirtBench(["run"] + arguments, input: input, timeout: timeout)
    }

    func expectOneLineError(_ arguments: [String], containing fragment: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        try run(arguments).expectOneLineError(for: ["run"] + arguments, containing: fragment, sourceLocation: sourceLocation)
    }

    static func contents(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path) ?? Data()) }

    static let hello = Asm.bytes(Asm.print("hi\n") + Asm.finish(0x5555))
    /// Prints R, then asks sifive_test for a reset: on QEMU it prints R again and again.
    static let resetter = Asm.bytes(Asm.print("R") + Asm.finish(0x7777))
    /// Points mtvec at the word after an ecall, takes the trap, prints T and powers off.
    static let trapper: [UInt8] = {
        let auipcT0: UInt32 = 0x0000_0297, ecall: UInt32 = 0x0000_0073
        let csrwMtvec = Asm.i(0x73, 1, Asm.zero, Asm.t0, 0x305)
        return Asm.bytes([auipcT0, Asm.addi(Asm.t0, Asm.t0, 16), csrwMtvec, ecall] + Asm.print("T") + Asm.finish(0x5555))
    }()

    // MARK: Reading the words

    @Test func singleDashLongOptionsAreWholeWords() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Self.hello)
        defer { ProcessRunner.remove(hello) }
        // `-machine` once printed the help (read as -m -a -c -h ...); `--smp` is `-smp`.
        for arguments in [["-machine", "virt"], ["--machine", "virt"], ["-machine", "type=virt"], ["--smp", "1"], ["-smp", "1"],
                          ["-M", "virt", "-M", "graphics=off"], ["--nographic"], ["-monitor", "none"], ["--kernel=" + hello]] {
            let r = try run(arguments + ["-bios", "none", "-kernel", hello])
            #expect(r.status == 0 && r.stdout == "hi\n", "\(arguments): \(r.stderr)")
        }
    }

    @Test func unknownWordsAreOneLineErrors() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Self.hello)
        defer { ProcessRunner.remove(hello) }
        try expectOneLineError(["-frobnicate", "-kernel", hello], containing: "unknown option '-frobnicate'")
        try expectOneLineError(["--frobnicate"], containing: "unknown option '--frobnicate'")
        try expectOneLineError(["-machinery", "virt"], containing: "unknown option '-machinery'")
        try expectOneLineError(["-nic", "user"], containing: "use -netdev user,id=ID with -device virtio-net-device")
        try expectOneLineError(["-enable-kvm"], containing: "always simulated")
        try expectOneLineError(["-icount", "shift=0"], containing: "--icount")
        try expectOneLineError(["-max-insns", "5"], containing: "unknown option '-max-insns'")
        try expectOneLineError(["disk.img"], containing: "unexpected argument 'disk.img'")
        try expectOneLineError(["-bios", "none", "-kernel"], containing: "-kernel needs a value")
        try expectOneLineError(["--nographic=yes"], containing: "takes no value")
    }

    @Test func versionLooksLikeQEMUsFirstLine() throws {
        for arguments in [["run", "-version"], ["run", "--version"], ["run", "-m", "1G", "-version"], ["--version"]] {
            let r = try ProcessRunner.runVirtBench(arguments, timeout: 20)
            #expect(r.status == 0, "\(arguments)")
            #expect(r.stdout.hasPrefix("virtbench version ") && r.stdout.contains("QEMU 7.2"), "\(arguments): \(r.stdout)")
            #expect(r.stdout.split(separator: "\n").count == 1)
        }
    }

    /// A value is the next word whatever it looks like, as in QEMU.
    @Test(.requires(.dtc)) func valuesMayStartWithADash() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Self.hello)
        defer { ProcessRunner.remove(hello) }
        let dump = ProcessRunner.temporaryFile("dash.dtb", [])
        defer { ProcessRunner.remove(dump) }
        let r = try run(["-M", "virt,dumpdtb=" + dump, "-bios", "none", "-kernel", hello, "-append", "-v --x"])
        #expect(r.status == 0, "\(r.stderr)")
        let chosen = try #require(try DeviceTreeText.chosen(dump))
        #expect(chosen.contains("bootargs = \"-v --x\";"), "\(chosen)")
    }

    // MARK: -machine

    @Test func machineHelpListsVirtAndItsProperties() throws {
        let machines = try run(["-M", "help"])
        #expect(machines.status == 0 && machines.stdout.contains("virt "), "\(machines.stdout)")
        let properties = try run(["-machine", "virt,help"])
        #expect(properties.status == 0 && properties.stdout.contains("dumpdtb=<string>"), "\(properties.stdout)")
    }

    @Test func badMachineOptions() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Self.hello)
        defer { ProcessRunner.remove(hello) }
        let base = ["-bios", "none", "-kernel", hello]
        try expectOneLineError(["-M", "sifive_u"] + base, containing: "only virt")
        try expectOneLineError(["-M", "virt,foo=1"] + base, containing: "property 'foo' is not supported")
        try expectOneLineError(["-M", "virt,aclint=on"] + base, containing: "aclint=on is not available")
        try expectOneLineError(["-M", "virt,aclint=maybe"] + base, containing: "on or off")
        try expectOneLineError(["-M", "virt,aia=aplic"] + base, containing: "aia=aplic")
        try expectOneLineError(["-M", "virt,virt"] + base, containing: "not key=value")
        try expectOneLineError(["-M", "virt,dumpdtb="] + base, containing: "needs a file name")
        try expectOneLineError(["-M", "virt,kernel=/other"] + base, containing: "disagree")
    }

    /// `-M virt,kernel=...,append=...` are the options of the same names; `,,` is a comma.
    @Test(.requires(.dtc)) func machinePropertiesAreTheBootOptions() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Self.hello)
        defer { ProcessRunner.remove(hello) }
        let r = try run(["-M", "virt,firmware=none,kernel=" + hello])
        #expect(r.status == 0 && r.stdout == "hi\n", "\(r.stderr)")
        let dump = ProcessRunner.temporaryFile("a,b.dtb", [])
        defer { ProcessRunner.remove(dump) }
        let commaPath = dump.replacingOccurrences(of: ",", with: ",,")
        let d = try run(["-M", "virt,dumpdtb=\(commaPath),append=x,,y", "-bios", "none", "-kernel", hello])
        #expect(d.status == 0, "\(d.stderr)")
        #expect(try DeviceTreeText.chosen(dump)?.contains("bootargs = \"x,y\";") == true)
    }

    // MARK: -serial and -monitor

    @Test func serialBackends() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Self.hello)
        defer { ProcessRunner.remove(hello) }
        let base = ["-bios", "none", "-kernel", hello]
        // The monitor of mon:stdio prints nothing until Ctrl-A C gives it the keyboard.
        for options in [["-serial", "stdio"], ["-serial", "mon:stdio"], ["-nographic", "-serial", "mon:stdio"], ["-nographic"]] {
            let r = try run(options + base)
            #expect(r.status == 0 && r.stdout == "hi\n", "\(options)")
        }
        for spec in ["none", "null"] {
            let r = try run(["-serial", spec] + base)
            #expect(r.status == 0 && r.stdout.isEmpty, "\(spec): \(r.stdout)")
        }
        let log = ProcessRunner.temporaryFile("serial.log", Array("old contents".utf8))
        defer { ProcessRunner.remove(log) }
        let r = try run(["-serial", "file:" + log] + base)
        #expect(r.status == 0 && r.stdout.isEmpty)
        #expect(Self.contents(log) == Array("hi\n".utf8), "the file is truncated, then holds the output")

        try expectOneLineError(["-serial", "pty"] + base, containing: "unsupported -serial 'pty'")
        try expectOneLineError(["-serial", "stdio", "-serial", "null"] + base, containing: "one UART")
        try expectOneLineError(["-serial", "file:/nonexistent/dir/log"] + base, containing: "cannot open")
    }

    /// `-monitor stdio` takes the terminal, so the UART must go elsewhere; its output still goes there.
    @Test func monitorOnStdio() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Self.hello)
        defer { ProcessRunner.remove(hello) }
        #expect(try run(["-monitor", "none", "-bios", "none", "-kernel", hello]).status == 0)
        try expectOneLineError(["-monitor", "stdio", "-bios", "none", "-kernel", hello], containing: "cannot use stdio by multiple character devices")
        let log = ProcessRunner.temporaryFile("serial.log", [])
        defer { ProcessRunner.remove(log) }
        let r = try run(["-monitor", "stdio", "-serial", "file:" + log, "-bios", "none", "-kernel", hello])
        #expect(r.status == 0 && r.stdout.contains("monitor - type 'help' for more information\n(qemu) "), "\(r.stdout)")
        #expect(Self.contents(log) == Array("hi\n".utf8))
    }

    // MARK: -no-reboot, -no-shutdown

    /// QEMU restarts the machine on a reset; with -no-reboot the run ends there with status 0.
    @Test func noRebootEndsTheRunOnReset() throws {
        let resetter = ProcessRunner.temporaryFile("reset.bin", Self.resetter)
        defer { ProcessRunner.remove(resetter) }
        let looping = try run(["-bios", "none", "-kernel", resetter, "--max-insns", "200", "--icount"])
        #expect(looping.status == 124 && looping.stdout.hasPrefix("RRR"), "without -no-reboot the guest boots again: \(looping.stdout)")
        let r = try run(["-no-reboot", "-bios", "none", "-kernel", resetter, "--summary"])
        #expect(r.status == 0 && r.stdout == "R", "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("guest reset (-no-reboot"))
    }

    @Test(.requires(.qemuSystemRISCV64)) func noRebootMatchesQEMU() throws {
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        let resetter = ProcessRunner.temporaryFile("reset.bin", Self.resetter)
        defer { ProcessRunner.remove(resetter) }
        let arguments = ["-M", "virt", "-nographic", "-bios", "none", "-kernel", resetter, "-no-reboot"]
        let reference = ProcessRunner.run(qemu, arguments, timeout: 20)
        let ours = try run(arguments)
        #expect(reference.status == 0 && ours.status == 0)
        #expect(ours.stdout == reference.stdout)
    }

    /// QEMU 7.2's sifive_test ends the process on power off whatever -no-shutdown says; a reset
    /// under -no-reboot is a shutdown, which -no-shutdown turns into a stop until the user quits.
    @Test func noShutdown() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Self.hello)
        defer { ProcessRunner.remove(hello) }
        let off = try run(["-no-shutdown", "-bios", "none", "-kernel", hello])
        #expect(off.status == 0 && off.stdout == "hi\n")
        // Stopped, the machine waits for Ctrl-A X or the end of input; here input is empty.
        let resetter = ProcessRunner.temporaryFile("reset.bin", Self.resetter)
        defer { ProcessRunner.remove(resetter) }
        let stopped = try run(["-no-shutdown", "-no-reboot", "-bios", "none", "-kernel", resetter, "--summary"])
        #expect(stopped.status == 0 && stopped.stdout == "R", "\(stopped.stderr)")
        #expect(stopped.stderr.contains("guest reset (-no-reboot"))
    }

    // MARK: -d, -D

    @Test func debugLogItems() throws {
        let trapper = ProcessRunner.temporaryFile("trap.bin", Self.trapper)
        defer { ProcessRunner.remove(trapper) }
        let base = ["-bios", "none", "-kernel", trapper]
        let log = ProcessRunner.temporaryFile("qemu.log", [])
        defer { ProcessRunner.remove(log) }
        // int: the traps only, into the -D file.
        let traps = try run(["-d", "int", "-D", log] + base)
        #expect(traps.status == 0 && traps.stdout == "T" && traps.stderr.isEmpty, "\(traps.stderr)")
        let trapText = String(decoding: Self.contents(log), as: UTF8.self)
        #expect(trapText.contains("trap: ") && trapText.contains("(cause 11) at pc=000000008000000c"), "\(trapText)")
        #expect(!trapText.contains("auipc"), "int logs no instructions")
        // in_asm: the instructions, on stderr without -D.
        let instructions = try run(["-d", "in_asm"] + base)
        #expect(instructions.status == 0 && instructions.stderr.contains("M 0000000080000000: auipc"), "\(instructions.stderr)")
        #expect(!instructions.stderr.contains("trap: "))
        let both = try run(["-d", "in_asm,int"] + base)
        #expect(both.stderr.contains("ecall") && both.stderr.contains("trap: "))

        let help = try run(["-d", "help"])
        #expect(help.status == 0 && help.stdout.contains("in_asm") && help.stdout.contains("int"))
        try expectOneLineError(["-d", "cpu"] + base, containing: "unsupported -d item 'cpu'")
        try expectOneLineError(["-d", "int", "-D", "/nonexistent/dir/log"] + base, containing: "cannot open")
    }

    // MARK: -initrd, -append, -dtb

    @Test func initrdAndAppendNeedAKernel() throws {
        let initrd = ProcessRunner.temporaryFile("initrd", [1, 2, 3])
        defer { ProcessRunner.remove(initrd) }
        try expectOneLineError(["-initrd", initrd], containing: "-initrd needs -kernel")
        try expectOneLineError(["-append", "console=ttyS0"], containing: "-append needs -kernel")
    }

    @Test func badInitrds() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Self.hello)
        defer { ProcessRunner.remove(hello) }
        let base = ["-m", "128M", "-bios", "none", "-kernel", hello]
        try expectOneLineError(base + ["-initrd", "/nonexistent/initrd"], containing: "initrd '/nonexistent/initrd' not found")
        try expectOneLineError(base + ["-initrd", "/tmp"], containing: "is a directory")
        // 128 MiB: the initrd starts at 0x8400_0000, so 65 MiB run past the end of RAM...
        let big = ProcessRunner.temporaryFile("big.img", [UInt8](repeating: 0, count: 65 << 20))
        defer { ProcessRunner.remove(big) }
        try expectOneLineError(base + ["-initrd", big], containing: "do not fit in RAM ending at 0x88000000")
        // ...and in 64 MiB, 31 MiB from 0x8200_0000 reach the 1 MiB QEMU keeps for the device tree.
        let large = ProcessRunner.temporaryFile("large.img", [UInt8](repeating: 0, count: 31 << 20))
        defer { ProcessRunner.remove(large) }
        try expectOneLineError(["-m", "64M", "-bios", "none", "-kernel", hello, "-initrd", large],
                               containing: "initrd 0x82000000-0x83f00000 overlaps device tree 0x83e00000-0x83f00000")
    }

    @Test func badDeviceTreeFiles() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Self.hello)
        defer { ProcessRunner.remove(hello) }
        let base = ["-bios", "none", "-kernel", hello]
        try expectOneLineError(base + ["-dtb", "/nonexistent.dtb"], containing: "not found")
        try expectOneLineError(base + ["-dtb", hello], containing: "not a flattened device tree")
        // A domain's tree is generated by the hypervisor (-initrd and -append go into it): no -dtb.
        try expectOneLineError(["--mode", "hav", "-kernel", hello, "-dtb", hello], containing: "-dtb applies to --mode native only")
    }
}

/// Reading dumped trees back with dtc.
enum DeviceTreeText {
    /// The DTS text of a blob, or nil without dtc.
    static func source(_ path: String) throws -> String? {
        guard let dtc = Tool.dtc.path else { return nil }
        let r = ProcessRunner.run(dtc, ["-I", "dtb", "-O", "dts", path], timeout: 20)
        guard r.status == 0 else { throw DTCFailure(message: r.stderr) }
        return r.stdout
    }

    struct DTCFailure: Error { let message: String }

    /// The `chosen { ... }` block.
    static func chosen(_ path: String) throws -> String? {
        guard let text = try source(path), let start = text.range(of: "chosen {") else { return nil }
        guard let end = text.range(of: "};", range: start.upperBound..<text.endIndex) else { return nil }
        return String(text[start.lowerBound..<end.upperBound])
    }

    /// DTS lines with the values that may differ from QEMU's blanked: the random seed, and
    /// riscv,isa (QEMU lists extensions this hart does not implement).
    static func normalised(_ text: String) -> [String] {
        text.split(separator: "\n").map { line in
            for property in ["riscv,isa = ", "rng-seed = "] {
                if let range = line.range(of: property) { return String(line[..<range.upperBound]) + "..." }
            }
            return String(line)
        }
    }
}

/// `dumpdtb` on both, for the trees the boot options shape: QEMU 7.2's /chosen (bootargs,
/// rng-seed, the initrd's range, in its order) and its edits to a `-dtb` file.
@Suite(.serialized) struct QEMUDumpDTBTests {
    func dumps(_ arguments: [String]) throws -> (ours: [String], theirs: [String])? {
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        let ours = ProcessRunner.temporaryFile("ours.dtb", []), theirs = ProcessRunner.temporaryFile("qemu.dtb", [])
        defer { ProcessRunner.remove(ours); ProcessRunner.remove(theirs) }
        let reference = ProcessRunner.run(qemu, ["-M", "virt,dumpdtb=" + theirs, "-nographic"] + arguments, timeout: 20)
        #expect(reference.status == 0, "QEMU: \(reference.stderr)")
        let result = try ProcessRunner.runVirtBench(["run", "-M", "virt,dumpdtb=" + ours, "-nographic"] + arguments, timeout: 20)
        #expect(result.status == 0 && result.stderr.contains("dtb dumped to"), "\(result.stderr)")
        guard reference.status == 0, result.status == 0,
              let ourText = try DeviceTreeText.source(ours), let theirText = try DeviceTreeText.source(theirs) else { return nil }
        return (DeviceTreeText.normalised(ourText), DeviceTreeText.normalised(theirText))
    }

    func expectSame(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let (ours, theirs) = try dumps(arguments) else { return }
        #expect(ours.count == theirs.count, "\(arguments): line counts differ", sourceLocation: sourceLocation)
        for (index, (mine, qemu)) in zip(ours, theirs).enumerated() where mine != qemu {
            Issue.record("\(arguments): line \(index + 1) differs:\n  ours: \(mine)\n  QEMU: \(qemu)", sourceLocation: sourceLocation)
            break
        }
    }

    /// The initrd's place for several RAM sizes, with and without firmware before the kernel.
    @Test(.requires(.qemuSystemRISCV64, .dtc, .qemuOpenSBIDynamicBinary)) func initrdAndBootargsInChosen() throws {
        let kernel = ProcessRunner.temporaryFile("kernel.bin", [UInt8](repeating: 0x13, count: 300_000))
        defer { ProcessRunner.remove(kernel) }
        let initrd = ProcessRunner.temporaryFile("initrd.img", (0..<12_345).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        defer { ProcessRunner.remove(initrd) }
        for memory in ["64M", "100M", "128M", "256M", "1G", "3G"] {
            for bios in ["none", "default"] {
                try expectSame(["-m", memory, "-bios", bios, "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyS0 quiet"])
            }
        }
        // An empty initrd is published as an empty range; an empty -append writes no bootargs.
        let empty = ProcessRunner.temporaryFile("empty.img", [])
        defer { ProcessRunner.remove(empty) }
        try expectSame(["-m", "128M", "-bios", "none", "-kernel", kernel, "-initrd", empty, "-append", ""])
    }

    @Test(.requires(.qemuSystemRISCV64, .dtc)) func deviceTreeFileEditedAsQEMUDoes() throws {
        let dtc = try #require(Tool.dtc.path)
        let source = ProcessRunner.temporaryFile("user.dts", Array("""
            /dts-v1/;
            / {
                #address-cells = <2>; #size-cells = <2>;
                model = "user";
                chosen { bootargs = "from-the-file"; stdout-path = "/soc/serial@10000000"; };
                memory@80000000 { device_type = "memory"; reg = <0x0 0x80000000 0x0 0x4000000>; };
            };
            """.utf8))
        defer { ProcessRunner.remove(source) }
        let blob = ProcessRunner.temporaryFile("user.dtb", [])
        defer { ProcessRunner.remove(blob) }
        let compiled = ProcessRunner.run(dtc, ["-I", "dts", "-O", "dtb", "-o", blob, source], timeout: 20)
        try #require(compiled.status == 0, "\(compiled.stderr)")
        let kernel = ProcessRunner.temporaryFile("kernel.bin", [UInt8](repeating: 0x13, count: 4096))
        defer { ProcessRunner.remove(kernel) }
        let initrd = ProcessRunner.temporaryFile("initrd.img", [UInt8](repeating: 1, count: 5000))
        defer { ProcessRunner.remove(initrd) }
        // The file's bootargs stay without -append; -append replaces them; the initrd is added.
        try expectSame(["-m", "256M", "-bios", "none", "-kernel", kernel, "-dtb", blob])
        try expectSame(["-m", "256M", "-bios", "none", "-kernel", kernel, "-dtb", blob, "-append", "console=ttyS0", "-initrd", initrd])
    }
}
