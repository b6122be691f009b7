#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import TestSupport
import Testing

/// QEMU's human monitor on `virtbench run`'s terminal: `-serial mon:stdio` (what `-nographic`
/// gives) with Ctrl-A C, and `-monitor stdio` alone. The guest counts in t0 on every hart, so two
/// register dumps tell whether the harts ran in between.
@Suite(.serialized) struct MonitorConsoleTests {
    /// addi t0, t0, 1; j -4: counts forever.
    static let counter = Asm.bytes([Asm.addi(Asm.t0, Asm.t0, 1), 0xffdf_f06f])
    static let ctrlA: UInt8 = 0x01

    /// Every `info registers` dump in `text`: pc and t0 of each `CPU#N` block.
    static func dumps(_ text: String) -> [(cpu: Int, pc: UInt64, t0: UInt64)] {
        text.components(separatedBy: "\nCPU#").dropFirst().compactMap { block in
            let lines = block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let cpu = lines.first.flatMap({ Int($0) }),
                  let pcLine = lines.first(where: { $0.hasPrefix("pc ") }), let pc = UInt64(pcLine.dropFirst(3).trimmingCharacters(in: .whitespaces), radix: 16),
                  let t0Line = lines.first(where: { $0.contains("x5/t0") }) else { return nil }
            let fields = t0Line.split(separator: " ")
            guard let at = fields.firstIndex(of: "x5/t0"), let t0 = UInt64(fields[at + 1], radix: 16) else { return nil }
            return (cpu, pc, t0)
        }
    }

    static func inRAM(_ pc: UInt64) -> Bool { (0x8000_0000 ..< 0x8000_0000 + (128 << 20)).contains(pc) }

    @Test func ctrlACSwitchesToTheMonitorOnFourHarts() throws {
        let image = ProcessRunner.temporaryFile("counter.bin", Self.counter)
        defer { ProcessRunner.remove(image) }
        let machine = try SpawnedVirtBench(["run", "-M", "virt", "-smp", "4", "-nographic", "-bios", "none", "-kernel", image], stdinPipe: true)
        // Bytes typed before Ctrl-A C go to the UART, which this guest never reads.
        machine.send(Array("quit\n".utf8) + [Self.ctrlA, UInt8(ascii: "c")])
        let banner = machine.waitFor("(qemu) ")
        #expect(banner.contains("virtbench") && banner.contains("monitor - type 'help' for more information\n(qemu) "), "\(banner)")
        machine.send("info cpus\n")
        let cpus = machine.waitFor("CPU #3: thread_id=")
        #expect(cpus.contains("* CPU #0: thread_id="), "\(cpus)")
        for index in 1...3 { #expect(cpus.contains("\n  CPU #\(index): thread_id="), "\(cpus)") }

        machine.send("info registers -a\n")
        let first = Self.dumps(machine.waitFor("f31/ft11", count: 4))
        #expect(first.map(\.cpu) == [0, 1, 2, 3])
        #expect(first.allSatisfy { Self.inRAM($0.pc) }, "\(first)")

        // A malformed line gets QEMU's answer and the harts run on.
        machine.send("xyzzy 12\n")
        #expect(machine.waitFor("unknown command: 'xyzzy'").contains("unknown command: 'xyzzy'"))
        usleep(200_000)
        machine.send("info registers\n")
        let second = Self.dumps(machine.waitFor("f31/ft11", count: 5)).last
        #expect(second?.cpu == 0)
        #expect((second?.t0 ?? 0) > first[0].t0, "hart 0 kept counting: \(first[0].t0) then \(second?.t0 ?? 0)")

        machine.send("quit\n")
        let result = try #require(machine.wait(timeout: 20))
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func monitorAloneOnStdioStopsAndContinues() throws {
        let image = ProcessRunner.temporaryFile("counter.bin", Self.counter)
        defer { ProcessRunner.remove(image) }
        let machine = try SpawnedVirtBench(["run", "-M", "virt", "-smp", "4", "-bios", "none", "-kernel", image, "-monitor", "stdio", "-serial", "null"], stdinPipe: true)
        // The banner comes at once: the monitor has the terminal to itself.
        #expect(machine.waitFor("(qemu) ").contains("monitor - type 'help'"))
        machine.send("cpu 2\ninfo cpus\n")
        let cpus = machine.waitFor("CPU #3: thread_id=")
        #expect(cpus.contains("* CPU #2: thread_id=") && cpus.contains("  CPU #0: thread_id="), "\(cpus)")

        machine.send("stop\ninfo status\ninfo registers\n")
        #expect(machine.waitFor("VM status: paused").contains("VM status: paused"))
        let paused = Self.dumps(machine.waitFor("f31/ft11"))
        usleep(200_000)
        machine.send("info registers\n")
        let stillPaused = Self.dumps(machine.waitFor("f31/ft11", count: 2))
        #expect(paused.count == 1 && stillPaused.count == 2)
        #expect(paused.first?.cpu == 2 && stillPaused.last?.cpu == 2, "the monitor's CPU is 2")
        #expect(stillPaused.last?.t0 == paused.first?.t0, "nothing runs while stopped")
        #expect(paused.first.map { Self.inRAM($0.pc) } == true)

        machine.send("cont\n")
        usleep(200_000)
        machine.send("info registers\n")
        let resumed = Self.dumps(machine.waitFor("f31/ft11", count: 3))
        #expect((resumed.last?.t0 ?? 0) > (paused.first?.t0 ?? .max), "cont lets the harts run on")

        machine.send("system_reset\nfoo\n")
        #expect(machine.waitFor("unknown command: 'foo'").contains("(qemu) "))
        machine.send("q\n")
        let result = try #require(machine.wait(timeout: 20))
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// `-S` without gdb: the harts wait for the monitor's `cont`, as in QEMU.
    @Test func startStoppedUntilCont() throws {
        let image = ProcessRunner.temporaryFile("counter.bin", Self.counter)
        defer { ProcessRunner.remove(image) }
        let machine = try SpawnedVirtBench(["run", "-nographic", "-S", "-bios", "none", "-kernel", image], stdinPipe: true)
        machine.send([Self.ctrlA, UInt8(ascii: "c")] + Array("info status\ninfo registers\n".utf8))
        #expect(machine.waitFor("VM status: paused").contains("VM status: paused"))
        let before = Self.dumps(machine.waitFor("f31/ft11"))
        // t0 as the boot code leaves it (the kernel's address), before the first count.
        #expect(before.first?.t0 == 0x8000_0000 && before.first?.pc == 0x8000_0000, "nothing ran: \(before)")
        machine.send("cont\n")
        usleep(200_000)
        machine.send("info registers\n")
        let after = Self.dumps(machine.waitFor("f31/ft11", count: 2))
        #expect((after.last?.t0 ?? 0) > 0x8000_0000, "cont started the hart")
        machine.send("quit\n")
        let result = try #require(machine.wait(timeout: 20))
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Ctrl-A C twice gives the keyboard back to the UART; Ctrl-A H lists the keys.
    @Test func ctrlACReturnsToTheSerialPort() throws {
        // Wait for a byte, echo it, power off.
        let code: [UInt32] = [Asm.lui(Asm.t0, 0x1_0000),
                              Asm.lbu(Asm.t1, Asm.t0, 5), Asm.andi(Asm.t1, Asm.t1, 1), Asm.beq(Asm.t1, Asm.zero, -8),
                              Asm.lbu(Asm.t1, Asm.t0, 0), Asm.sb(Asm.t1, Asm.t0, 0)] + Asm.finish(0x5555)
        let echo = ProcessRunner.temporaryFile("echo.bin", Asm.bytes(code))
        defer { ProcessRunner.remove(echo) }
        let input: [UInt8] = [Self.ctrlA, UInt8(ascii: "h"), Self.ctrlA, UInt8(ascii: "c")] + Array("info status\n".utf8)
            + [Self.ctrlA, UInt8(ascii: "c"), UInt8(ascii: "Z")]
        let r = try ProcessRunner.runVirtBench(["run", "-nographic", "-bios", "none", "-kernel", echo], input: input, timeout: 20)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("C-a c    switch between console and monitor"))
        #expect(r.stdout.contains("(qemu) info status\nVM status: running\n(qemu) "))
        #expect(r.stdout.hasSuffix("Z"), "only the byte after the second Ctrl-A C reaches the guest: \(r.stdout)")

        // Plain -serial stdio has no monitor to switch to: the bytes go to the guest.
        let plain = try ProcessRunner.runVirtBench(["run", "-serial", "stdio", "-bios", "none", "-kernel", echo],
                                                   input: [Self.ctrlA, UInt8(ascii: "c"), UInt8(ascii: "Y")], timeout: 20)
        #expect(plain.status == 0 && plain.stdout == "Y", "\(plain.stdout)")
    }

    /// The dump's lines are QEMU's: the same names in the same columns, with and without H.
    @Test(.requires(.qemuSystemRISCV64)) func registerLayoutMatchesQEMU() throws {
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        let image = ProcessRunner.temporaryFile("counter.bin", Self.counter)
        defer { ProcessRunner.remove(image) }
        /// The dump of CPU 0 with every value masked (they differ: QEMU stops in its boot ROM).
        func shape(_ output: String) -> [String] {
            let lines = output.replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
            guard let start = lines.firstIndex(of: "CPU#0"), let end = lines.firstIndex(where: { $0.hasPrefix(" f28/ft8") }), start < end else { return [] }
            return lines[start...end].map { $0.replacingOccurrences(of: "[0-9a-f]{16}", with: "X", options: .regularExpression) }
        }
        let input = Array("info registers\nquit\n".utf8)
        for h in ["off", "on"] {
            let common = ["-M", "virt", "-cpu", "rv64,h=\(h)", "-S", "-serial", "null", "-monitor", "stdio", "-bios", "none", "-kernel", image]
            let theirs = ProcessRunner.run(qemu, common + ["-display", "none"], input: input, timeout: 60)
            let ours = try ProcessRunner.runVirtBench(["run"] + common, input: input, timeout: 20)
            #expect(ours.status == 0, "\(ours.stderr)")
            #expect(shape(theirs.stdout).count >= 34, "QEMU's dump: \(theirs.stdout) \(theirs.stderr)")
            #expect(shape(ours.stdout) == shape(theirs.stdout), "h=\(h)")
        }
    }

    /// Which device gets stdio, and the refusals, by QEMU's rules.
    @Test func stdioBelongsToOneDevice() throws {
        let echo = ProcessRunner.temporaryFile("counter.bin", Self.counter)
        defer { ProcessRunner.remove(echo) }
        let base = ["run", "-bios", "none", "-kernel", echo]
        for (arguments, fragment) in [
            (["-monitor", "stdio"], "-serial stdio: cannot use stdio by multiple character devices"),
            (["-nographic", "-serial", "stdio"], "cannot use stdio by multiple character devices"),
            (["-nographic", "-monitor", "stdio"], "cannot use stdio by multiple character devices"),
            (["-serial", "mon:stdio", "-monitor", "stdio"], "-serial mon:stdio: cannot use stdio by multiple character devices"),
            (["-monitor", "stdio", "-monitor", "stdio", "-serial", "null"], "cannot use stdio by multiple character devices"),
            (["-monitor", "telnet::4444,server,nowait"], "unsupported -monitor 'telnet::4444,server,nowait'"),
            (["-monitor", "unix:/tmp/m.sock,server"], "unsupported -monitor"),
            (["-monitor", "foo"], "'foo' is not a valid char driver"),
            (["-monitor", "stdio", "-serial", "null", "-s", "-gdb", "tcp::0"], "gdb stub"),
            (["-nographic", "-serial", "null", "-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0", "-chardev", "stdio,id=c0"],
             "the monitor has it"),
        ] {
            try ProcessRunner.runVirtBench(base + arguments, timeout: 20)
                .expectOneLineError(for: arguments, containing: fragment, sourceLocation: #_sourceLocation)
        }
        // -nographic with -monitor none leaves the UART alone on stdio; with -serial mon:stdio, no second monitor.
        for arguments in [["-nographic", "-monitor", "none"], ["-nographic", "-serial", "mon:stdio"], ["-serial", "mon:stdio", "-monitor", "none"]] {
            let r = try ProcessRunner.runVirtBench(base + arguments + ["--max-insns", "1000"], timeout: 20)
            #expect(r.status == 124, "\(arguments): \(r.stderr)")
        }
    }
}
