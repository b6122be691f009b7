import Foundation
import Harness
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `virtbench run -s/-S/-gdb` as a user drives it: gdb-multiarch in batch mode against a corpus
/// program on two harts, a spinning guest stopped with Ctrl-C, malformed packets, a debugger
/// that goes away, and bad options. Every server listens on port 0 (`-gdb tcp::0`) and the test
/// reads the port it got from stderr, so tests running in parallel never collide.
@Suite struct GDBTests {
    static let timeout: Double = 120

    /// The corpus program the gdb tests debug: it has symbols (workload_main, values), uses the
    /// FPU, and powers off when done.
    static func sortImage() throws -> String {
        try CorpusBuilder.forThisPackage().build(CorpusProgram.cpuWorkload("sort", scale: .small)).path
    }

    static func gdb(_ port: UInt16, _ commands: [String], timeout: Double = GDBTests.timeout) throws -> ProcessResult {
        let gdb = try #require(Tool.gdbMultiarch.path)
        let arguments = ["-batch", "-nx", "-ex", "set architecture riscv:rv64"] + commands.flatMap { ["-ex", $0] }
        let result = ProcessRunner.run(gdb, arguments.map { $0.replacingOccurrences(of: "PORT", with: String(port)) }, timeout: timeout)
        #expect(!result.timedOut, "gdb did not finish within \(timeout) s: \(result.stdout)\(result.stderr)")
        return result
    }

    /// The first capture of `pattern` in `text`, as a number (hex with 0x).
    static func number(after pattern: String, in text: String) -> UInt64? {
        guard let range = text.range(of: pattern + "0x[0-9a-f]+", options: .regularExpression) else { return nil }
        let match = text[range]
        guard let hex = match.range(of: "0x") else { return nil }
        return UInt64(match[hex.upperBound...], radix: 16)
    }

    @Test(.requires(.gdbMultiarch, .corpusToolchain, .virtbench), arguments: ["compiled", "interpreter"])
    func gdbDebugsATwoHartGuestFromBreakpointToPowerOff(engine: String) throws {
        let image = try Self.sortImage()
        let machine = try SpawnedVirtBench(["run", "-M", "virt", "-m", "128M", "-smp", "2", "-nographic", "-bios", "none",
                                               "-kernel", image, "--engine", engine, "-S", "-gdb", "tcp::0"])
        let port = try #require(machine.port(), "no port in: \(machine.stderr)")
        let session = try Self.gdb(port, [
            "file \(image)", "target remote :PORT",
            "info threads",
            "break workload_main", "continue",
            "stepi", "p/x $pc",
            "p/x $mstatus", "p $mhartid", "p $priv",
            "info float",
            "watch *(unsigned int *)&values", "continue",
            "p/x $pc",
            "delete", "continue",
        ])
        let out = session.stdout
        // Both harts, as threads 1 and 2.
        #expect(out.contains("Thread 1 (hart 0)"), "\(out)")
        #expect(out.contains("Thread 2 (hart 1)"), "\(out)")
        // The breakpoint: hart 0 stops before workload_main's first instruction after its prologue.
        let breakpoint = try #require(Self.number(after: "Breakpoint 1 at ", in: out), "\(out)")
        #expect(out.contains("Breakpoint 1, ") && out.contains(" in workload_main ()"), "\(out)")
        // stepi ran exactly one instruction (2 or 4 bytes).
        let stepped = try #require(Self.number(after: "\\$1 = ", in: out), "\(out)")
        #expect(stepped == breakpoint + 2 || stepped == breakpoint + 4, "\(out)")
        // The runtime turned the FPU on (mstatus.FS, privileged spec §3.1.6.6) before calling workload_main.
        let mstatus = try #require(Self.number(after: "\\$2 = ", in: out), "\(out)")
        #expect(mstatus & 0x6000 != 0, "\(out)")
        #expect(out.contains("$3 = 0"), "mhartid of thread 1: \(out)")
        #expect(out.contains("$4 = 3") || out.contains("prv:3"), "M-mode: \(out)")
        for register in ["ft0", "fa0", "fflags", "frm", "fcsr"] { #expect(out.contains(register), "info float: \(register)") }
        // The watchpoint fires on the first store to values[0], and gdb shows the stop after it.
        #expect(out.contains("Hardware watchpoint 2: *(unsigned int *)&values"), "\(out)")
        #expect(out.contains("Old value = 0"), "\(out)")
        #expect(out.contains("New value = "), "\(out)")
        let afterStore = try #require(Self.number(after: "\\$5 = ", in: out), "\(out)")
        #expect(afterStore > stepped, "\(out)")
        // Deleted, then on to the end: the guest powers off and gdb hears that it exited.
        #expect(out.contains("[Inferior 1 (Remote target) exited normally]"), "\(out)\n\(session.stderr)")
        let result = try #require(machine.wait(timeout: Self.timeout))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("PASS sort-small"), "\(result.stdout)")
    }

    @Test(.requires(.virtbench), arguments: ["1", "2"])
    func ctrlCStopsASpinningGuestAndBadPacketsGetErrors(harts: String) throws {
        let spinner = ProcessRunner.temporaryFile("spin.bin", Asm.bytes([Asm.spin]))
        defer { ProcessRunner.remove(spinner) }
        let machine = try SpawnedVirtBench(["run", "-smp", harts, "-bios", "none", "-kernel", spinner, "-S", "-gdb", "tcp::0"])
        let port = try #require(machine.port(), "no port in: \(machine.stderr)")
        let gdb = try #require(RemoteClient(port: port))
        #expect(gdb.request("qSupported:multiprocess+;swbreak+;xmlRegisters=i386")?.contains("PacketSize=") == true)
        #expect(gdb.request("?") == "T05thread:1;")
        #expect(gdb.request("qfThreadInfo") == (harts == "1" ? "m1" : "m1,2"))
        // Continue, let it spin, interrupt: SIGINT on the thread gdb was looking at.
        gdb.send("vCont;c")
        usleep(300_000)
        gdb.sendRaw([0x03])
        #expect(gdb.receive() == "T02thread:1;")
        #expect(gdb.request("p20") == "0000008000000000", "pc is on the spin loop")
        // Malformed, impossible and unknown packets: an error or the empty reply, never a crash.
        #expect(gdb.request("m80000000") == "E22")
        #expect(gdb.request("mdeadbeef00000000,4") == "E14")
        #expect(gdb.request("M80000000,4:zz") == "E22")
        #expect(gdb.request("Zq") == "E22")
        #expect(gdb.request("Z7,0,0") == "")
        #expect(gdb.request("p99999") == "E22")
        #expect(gdb.request("Hg7") == "E22")
        #expect(gdb.request("yzzy") == "")
        gdb.sendRaw(Array("$g#00".utf8))
        #expect(gdb.readByte() == UInt8(ascii: "-"), "a wrong checksum asks for a resend")
        #expect(gdb.request("m80000000,4") == "6f000000", "still answering")
        // Again, in no-ack mode.
        #expect(gdb.request("QStartNoAckMode") == "OK")
        gdb.acknowledging = false
        gdb.send("c")
        usleep(100_000)
        gdb.sendRaw([0x03])
        #expect(gdb.receive() == "T02thread:1;")
        // Kill: the run ends with status 0, as QEMU's does.
        gdb.send("vKill;1")
        #expect(gdb.receive() == "OK")
        let result = try #require(machine.wait(timeout: 30))
        #expect(result.status == 0)
        #expect(result.stderr.contains("terminated by gdb"), "\(result.stderr)")
    }

    /// gdb going away without detaching: its breakpoints go with it and the guest runs to its end
    /// (QEMU 7.2 would leave a stopped guest stopped until another gdb continued it).
    @Test(.requires(.corpusToolchain, .virtbench)) func aDebuggerThatGoesAwayLetsTheGuestFinish() throws {
        let image = try Self.sortImage()
        let machine = try SpawnedVirtBench(["run", "-bios", "none", "-kernel", image, "-S", "-gdb", "tcp::0"])
        let port = try #require(machine.port(), "no port in: \(machine.stderr)")
        do {
            let gdb = try #require(RemoteClient(port: port))
            #expect(gdb.request("Z0,80000000,4") == "OK")
            #expect(gdb.request("?") == "T05thread:1;")
        }
        let result = try #require(machine.wait(timeout: Self.timeout))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("PASS sort-small"), "\(result.stdout)")
    }

    /// `D` detaches: the guest runs on, and a second debugger can attach to it while it runs.
    @Test(.requires(.virtbench)) func aSecondDebuggerAttachesToARunningGuest() throws {
        let spinner = ProcessRunner.temporaryFile("spin.bin", Asm.bytes([Asm.addi(Asm.t1, Asm.t1, 1), Asm.spin]))
        defer { ProcessRunner.remove(spinner) }
        let machine = try SpawnedVirtBench(["run", "-bios", "none", "-kernel", spinner, "-s", "-gdb", "tcp::0"])
        let port = try #require(machine.port(), "no port in: \(machine.stderr)")
        do {
            let first = try #require(RemoteClient(port: port))
            #expect(first.request("D") == "OK")
        }
        usleep(200_000)
        let second = try #require(RemoteClient(port: port))
        // Attaching stops the guest; it has been running since the first one detached.
        #expect(second.request("?") == "T05thread:1;")
        #expect(second.request("p6") == "0100000000000000", "t1 was incremented once")
        #expect(second.request("p20") == "0400008000000000")
        second.send("k")
        let result = try #require(machine.wait(timeout: 30))
        #expect(result.status == 0)
    }

    @Test(.requires(.virtbench)) func badDebuggerOptionsAreOneLineErrors() throws {
        let hello = ProcessRunner.temporaryFile("hello.bin", Asm.bytes(Asm.print("hi") + Asm.finish(0x5555)))
        defer { ProcessRunner.remove(hello) }
        func expectError(_ options: [String], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let arguments = ["run", "-bios", "none", "-kernel", hello] + options
            try ProcessRunner.runVirtBench(arguments, timeout: 20)
                .expectOneLineError(for: arguments, containing: fragment, sourceLocation: sourceLocation)
        }
        try expectError(["-S"], "-S waits for gdb")
        try expectError(["-S", "-gdb", "none"], "-gdb none")
        try expectError(["-gdb", "udp::1234"], "only tcp:[HOST]:PORT")
        try expectError(["-gdb", "tcp:1234"], "port is missing")
        try expectError(["-gdb", "tcp::99999"], "not a TCP port")
        try expectError(["-gdb", "tcp::-1"], "not a TCP port")
        try expectError(["-gdb", "tcp:no.such.host.invalid:1234"], "cannot listen for gdb")
        try expectError(["-s", "--mode", "hav"], "--mode native only")
        // A port another program holds.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0 && listen(holder, 1) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(holder, $0, &length) }
        }
        try expectError(["-gdb", "tcp::\(UInt16(bigEndian: address.sin_port))"], "Address already in use")
        // -gdb none: no server, the guest just runs.
        let plain = try ProcessRunner.runVirtBench(["run", "-bios", "none", "-kernel", hello, "-gdb", "none"], timeout: 20)
        #expect(plain.status == 0 && plain.stdout == "hi" && plain.stderr.isEmpty, "\(plain)")
    }
}

/// A minimal gdb remote-protocol client, to say what gdb cannot be made to say on cue.
final class RemoteClient {
    let fd: Int32
    var acknowledging = true
    private var pending: [UInt8] = []

    init?(port: UInt16) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else { close(fd); return nil }
    }

    deinit { close(fd) }

    func sendRaw(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    func send(_ payload: String) {
        let bytes = Array(payload.utf8)
        let sum = bytes.reduce(UInt8(0)) { $0 &+ $1 }
        sendRaw([UInt8(ascii: "$")] + bytes + Array("#".utf8) + Array(String(format: "%02x", sum).utf8))
    }

    /// One byte from the server, or nil after `timeout` seconds.
    func readByte(timeout: Double = 10) -> UInt8? {
        if !pending.isEmpty { return pending.removeFirst() }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        pending = Array(buffer[1 ..< n])
        return buffer[0]
    }

    /// The next packet's payload (acknowledged when acks are on); nil on timeout or a bad frame.
    func receive(timeout: Double = 10) -> String? {
        var byte: UInt8?
        repeat { byte = readByte(timeout: timeout) } while byte != nil && byte != UInt8(ascii: "$")
        guard byte != nil else { return nil }
        var payload: [UInt8] = []
        while let b = readByte(timeout: timeout), b != UInt8(ascii: "#") { payload.append(b) }
        guard let high = readByte(timeout: timeout), let low = readByte(timeout: timeout),
              UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) == payload.reduce(UInt8(0), { $0 &+ $1 }) else { return nil }
        if acknowledging { sendRaw([UInt8(ascii: "+")]) }
        return String(decoding: payload, as: UTF8.self)
    }

    func request(_ payload: String) -> String? {
        send(payload)
        return receive()
    }
}
