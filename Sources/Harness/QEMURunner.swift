import Foundation

/// What running an external program produced.
public struct ProcessOutcome: Sendable, Equatable {
    /// Everything the program wrote on standard output (for QEMU: the guest's UART).
    public let output: String
    /// QEMU's own diagnostics (bad options, missing files).
    public let standardError: String
    /// The exit status, or the terminating signal number when the program was killed.
    public let exitStatus: Int32
    /// True when the program outlived its time limit and was terminated.
    public let timedOut: Bool
}

/// Why running a random program or one of its tools failed.
public enum RandomProgramError: Error, CustomStringConvertible, Equatable {
    /// A tool the run needs (clang, QEMU) is not installed.
    case toolMissing(String)
    case launchFailed(executable: String, reason: String)
    /// The assembler or linker rejected a generated program: a generator bug.
    case assemblyFailed(name: String, diagnostics: String)
    /// The target ran longer than its time limit (the guest hung or looped).
    case timedOut(target: String, seconds: Double, partialOutput: String)
    /// The target finished but not through the program's own power-off, or printed no dump end.
    case incompleteDump(target: String, exitStatus: Int32, output: String)

    /// A message that says what failed and shows the end of any output.
    public var description: String {
        switch self {
        case .toolMissing(let tool): return "\(tool) is not installed (not found on PATH)"
        case .launchFailed(let executable, let reason): return "could not start \(executable): \(reason)"
        case .assemblyFailed(let name, let diagnostics): return "\(name) did not assemble:\n\(diagnostics)"
        case .timedOut(let target, let seconds, let output):
            return "\(target) did not finish within \(seconds) s; output so far:\n\(output.suffix(2000))"
        case .incompleteDump(let target, let status, let output):
            return "\(target) exited with status \(status) without a complete dump; output:\n\(output.suffix(2000))"
        }
    }
}

/// Starting host programs (QEMU, clang) from tests and the harness.
public enum HostProcess {
    /// Finds an executable the way a shell would: absolute paths as given, else each PATH entry,
    /// then the Swift toolchain's bin folder (where this project's clang and ld.lld live).
    public static func locate(_ name: String, extraDirectories: [String] = ["/opt/swift/usr/bin"]) -> String? {
        let fileManager = FileManager.default
        if name.contains("/") { return fileManager.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":").map(String.init) + extraDirectories {
            let candidate = directory + "/" + name
            if fileManager.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable` with stdin from /dev/null and both outputs captured through files (a
    /// pipe could fill up and stall the child). After `timeout` seconds the child is sent
    /// SIGTERM, then SIGKILL, so a guest that never powers off cannot hang the caller.
    public static func run(_ executable: String, _ arguments: [String], timeout: Double) throws -> ProcessOutcome {
        let fileManager = FileManager.default
        let scratch = fileManager.temporaryDirectory.appendingPathComponent("virtbench-\(UUID().uuidString)")
        try fileManager.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? fileManager.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        _ = fileManager.createFile(atPath: outURL.path, contents: nil)
        _ = fileManager.createFile(atPath: errURL.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
        defer { try? outHandle.close(); try? errHandle.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outHandle
        process.standardError = errHandle
        do {
            try process.run()
        } catch {
            throw RandomProgramError.launchFailed(executable: executable, reason: "\(error)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() >= deadline {
                timedOut = true
                process.terminate()
                let grace = Date().addingTimeInterval(2)
                while process.isRunning && Date() < grace { usleep(10_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            usleep(2_000)
        }
        process.waitUntilExit()
        // A misbehaving guest may print any bytes: decode leniently rather than lose the output.
        let output = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
        let standardError = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        return ProcessOutcome(output: output, standardError: standardError,
                              exitStatus: process.terminationStatus, timedOut: timedOut)
    }
}

/// Runs a bare-metal image on `qemu-system-riscv64 -M virt`, the reference machine that
/// VirtBench must agree with. The guest's ns16550a UART is connected to standard output, and
/// the guest ends the run by writing to sifive_test (0x5555 gives exit status 0).
public struct QEMURunner: Sendable {
    /// Path of qemu-system-riscv64.
    public var executable: String
    /// The board, as `-M` takes it.
    public var machine = "virt"
    /// Guest RAM size, as QEMU's `-m` takes it.
    public var memory = "128M"
    /// Firmware: "none" starts the kernel directly in M-mode at 0x8000_0000; nil uses QEMU's
    /// default OpenSBI; anything else is a path to a firmware image.
    public var bios: String? = "none"
    /// Seconds before the guest is considered hung and QEMU is terminated.
    public var timeout: Double = 20
    /// More options, e.g. `["-cpu", "rv64,h=false"]` to match a hart without H.
    public var extraArguments: [String] = []

    /// The installed qemu-system-riscv64, or nil when QEMU is absent.
    public static func locate() -> String? { HostProcess.locate("qemu-system-riscv64") }

    /// A runner for the installed QEMU; nil when QEMU is not installed.
    public init?() {
        guard let path = Self.locate() else { return nil }
        self.init(executable: path)
    }

    /// A runner for a specific QEMU binary.
    public init(executable: String) {
        self.executable = executable
    }

    /// The full command line for `kernel`.
    public func arguments(kernel: String) -> [String] {
        var arguments = ["-M", machine, "-m", memory]
        if let bios { arguments += ["-bios", bios] }
        arguments += ["-nographic", "-monitor", "none", "-serial", "stdio", "-kernel", kernel]
        return arguments + extraArguments
    }

    /// Boots `kernel` and returns what the guest printed and how QEMU ended. A hang is
    /// reported through `ProcessOutcome.timedOut`, not thrown, so callers can show partial output.
    public func run(kernel: String) throws -> ProcessOutcome {
        let outcome = try HostProcess.run(executable, arguments(kernel: kernel), timeout: timeout)
        // QEMU's stdio backend passes the guest's bytes through unchanged; drop the carriage
        // returns a terminal-minded guest may send so outputs compare line by line.
        return ProcessOutcome(output: outcome.output.replacingOccurrences(of: "\r", with: ""),
                              standardError: outcome.standardError,
                              exitStatus: outcome.exitStatus, timedOut: outcome.timedOut)
    }
}
