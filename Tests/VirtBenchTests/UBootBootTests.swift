#if canImport(Glibc)
import Glibc
#endif
import Testing
import TestSupport

/// End-to-end: Debian's OpenSBI + U-Boot (S-mode) and U-Boot for M-mode boot to the `=>` prompt
/// on `virtbench run`, answer `version` and `bdinfo`, and say what QEMU says for the same command line.
///
/// The whole transcript after the first prompt must match, `bdinfo` included: the board has
/// QEMU's CFI flash (`flashstart`/`flashsize`), and its device tree has QEMU's nodes in QEMU's
/// order, so the blob's size, and with it U-Boot's `fdt_blob`/`fdt_size` and the lmb reserved
/// ranges, are QEMU's. The one value that differs inside the tree (`riscv,isa`, which names
/// only the extensions this hart has) is shorter by less than U-Boot's 32-byte rounding, and
/// `version` and `bdinfo` do not print it.
@Suite(.serialized) struct UBootBootTests {
    /// Boots to the prompt, runs the commands, and returns the text after the first prompt.
    static func session(_ executable: String, _ arguments: [String]) throws -> String {
        let p = try InteractiveProcess(executable, arguments)
        defer { p.terminate() }
        try p.waitFor("autoboot", timeout: 120)
        p.send(" ")
        try p.waitFor("=> ", timeout: 30)
        let start = p.output.count
        p.send("version\r")
        try p.waitFor("=> ", after: start + 1, timeout: 30)
        let afterVersion = p.output.count
        p.send("bdinfo\r")
        try p.waitFor("=> ", after: afterVersion, timeout: 30)
        return String(decoding: p.output[start...].filter { $0 != 13 }, as: UTF8.self)
    }

    /// The transcript's lines (U-Boot ends lines with CR LF; the CRs are already gone).
    static func lines(_ transcript: String) -> [String] {
        transcript.split(separator: "\n").map(String.init)
    }

    func compare(firmware: String, kernel: String) throws {
        guard let virtbench = ProcessRunner.virtbenchPath else { Issue.record("virtbench binary not found"); return }
        let arguments = ["-M", "virt", "-m", "128M", "-nographic", "-bios", firmware, "-kernel", kernel]
        let ours = try Self.session(virtbench, ["run"] + arguments)
        #expect(ours.contains("U-Boot 2"), "\(ours)")
        #expect(ours.contains("DRAM bank"), "\(ours)")
        let qemu = try #require(Tool.qemuSystemRISCV64.path)
        let theirs = try Self.session(qemu, arguments + ["-monitor", "none", "-serial", "stdio"])
        #expect(ours.contains("flashsize   = 0x0000000002000000"), "the flash banks are found: \(ours)")
        #expect(Self.lines(ours) == Self.lines(theirs), "VirtBench:\n\(ours)\nQEMU:\n\(theirs)")
    }

    @Test(.requires(.openSBIJumpELF, .uBootSupervisorELF, .qemuSystemRISCV64)) func openSBIAndSupervisorUBoot() throws {
        try compare(firmware: try #require(Tool.openSBIJumpELF.path), kernel: try #require(Tool.uBootSupervisorELF.path))
    }

    @Test(.requires(.uBootMachineELF, .qemuSystemRISCV64)) func machineModeUBootWithoutFirmware() throws {
        try compare(firmware: "none", kernel: try #require(Tool.uBootMachineELF.path))
    }

    /// `-drive if=pflash,unit=1,file=...`: U-Boot reads the image through the CFI flash bank,
    /// erases and programs it, and the changes land in the file.
    @Test(.requires(.uBootMachineELF)) func flashBankBackedByADriveImage() throws {
        let uBoot = try #require(Tool.uBootMachineELF.path)
        guard let virtbench = ProcessRunner.virtbenchPath else { Issue.record("virtbench binary not found"); return }
        var image = [UInt8](repeating: 0, count: 32 << 20)
        image.replaceSubrange(0..<16, with: Array("VirtBench flash!".utf8))
        let path = ProcessRunner.temporaryFile("pflash1.img", image)
        defer { ProcessRunner.remove(path) }
        let p = try InteractiveProcess(virtbench, ["run", "-m", "128M", "-bios", "none", "-kernel", uBoot,
                                                   "-drive", "if=pflash,format=raw,unit=1,file=\(path)"])
        defer { p.terminate() }
        try p.waitFor("autoboot", timeout: 120)
        p.send(" ")
        try p.waitFor("=> ", timeout: 30)
        for command in ["md.b 0x22000000 0x10", "protect off all", "erase 0x22040000 +0x40000",
                        "mw.l 0x80200000 0x0d15ea5e 1", "cp.l 0x80200000 0x22040000 1"] {
            let start = p.output.count
            p.send(command + "\r")
            try p.waitFor("=> ", after: start + 1, timeout: 30)
        }
        let transcript = String(decoding: p.output, as: UTF8.self)
        #expect(transcript.contains("VirtBench flash!"), "bank 1 shows the image: \(transcript)")
        #expect(transcript.contains("Erased 2 sectors"))
        // The program went through to the file: the erased block, then the word at its start.
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var written = [UInt8](repeating: 0, count: 8)
        _ = written.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 8, 0x4_0000) }
        #expect(written == [0x5e, 0xea, 0x15, 0x0d, 0xff, 0xff, 0xff, 0xff])
    }
}

/// A child process on pipes that a test can type into and wait on, like `expect`.
final class InteractiveProcess {
    struct Timeout: Error, CustomStringConvertible {
        let pattern: String
        let output: String
        var description: String { "timed out waiting for \"\(pattern)\"; output so far:\n\(output)" }
    }

    let pid: pid_t
    private let input: Int32
    private let outputFD: Int32
    private(set) var output: [UInt8] = []

    init(_ executable: String, _ arguments: [String]) throws {
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else { throw Timeout(pattern: "pipe", output: "") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 2)
        posix_spawn_file_actions_addclose(&actions, toChild[1])
        posix_spawn_file_actions_addclose(&actions, fromChild[0])
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var child: pid_t = 0
        guard ProcessRunner.withCleanSignals({ posix_spawn(&child, executable, &actions, &$0, argv, environ) }) == 0 else {
            throw Timeout(pattern: "spawn \(executable)", output: "")
        }
        close(toChild[0]); close(fromChild[1])
        pid = child
        input = toChild[1]
        outputFD = fromChild[0]
        _ = fcntl(outputFD, F_SETFL, fcntl(outputFD, F_GETFL) | O_NONBLOCK)
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(input, $0.baseAddress, bytes.count) }
    }

    /// Reads until `pattern` appears at or after byte `after` of the output.
    func waitFor(_ pattern: String, after: Int = 0, timeout: Double) throws {
        let needle = Array(pattern.utf8)
        let deadline = ProcessRunner.now() + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if output.count >= after + needle.count {
                let haystack = output[after...]
                if haystack.count >= needle.count {
                    for start in haystack.startIndex...(haystack.endIndex - needle.count)
                    where haystack[start..<start + needle.count].elementsEqual(needle) { return }
                }
            }
            if ProcessRunner.now() > deadline { throw Timeout(pattern: pattern, output: String(decoding: output, as: UTF8.self)) }
            var fds = pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0)
            _ = poll(&fds, 1, 100)
            let n = read(outputFD, &buffer, buffer.count)
            if n > 0 { output += buffer[0..<n] }
        }
    }

    func terminate() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(input); close(outputFD)
    }
}
