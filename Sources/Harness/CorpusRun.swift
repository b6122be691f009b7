import Foundation

/// What one run of a corpus image printed and how it ended; the same shape for QEMU and
/// VirtBench so a differential test can compare them field by field.
public struct CorpusRunResult: Sendable, Equatable {
    /// Everything the guest wrote to the UART (QEMU's stdout with -nographic).
    public let output: String
    /// The process exit status; sifive_test maps 0x5555 to 0 and (n << 16) | 0x3333 to n.
    public let exitStatus: Int32
    /// True when the run was stopped because it exceeded its time limit.
    public let timedOut: Bool

    public init(output: String, exitStatus: Int32, timedOut: Bool) {
        self.output = output
        self.exitStatus = exitStatus
        self.timedOut = timedOut
    }

    /// The last non-empty console line, with carriage returns removed.
    public var finalLine: String? {
        output.replacingOccurrences(of: "\r", with: "")
            .split(separator: "\n", omittingEmptySubsequences: true)
            .last.map(String.init)
    }

    /// Whether the run satisfies a program's expectation: expected final line and status 0.
    public func passes(_ program: CorpusProgram) -> Bool {
        !timedOut && exitStatus == 0 && finalLine == program.expectedFinalLine
    }
}

/// Why a reference run could not happen at all (as opposed to the guest failing).
public enum CorpusRunError: Error, CustomStringConvertible, Equatable {
    case emulatorMissing(String)
    case launchFailed(String)

    public var description: String {
        switch self {
        case .emulatorMissing(let name): return "\(name) not found on the PATH"
        case .launchFailed(let reason): return "could not start the emulator: \(reason)"
        }
    }
}

/// Runs corpus images on the reference machine, qemu-system-riscv64 `-M virt`.
///
/// The ISA corpus boots with `-bios none` so the image itself starts in M-mode at
/// 0x8000_0000, exactly as it will on VirtBench.
public enum CorpusRun {
    /// The QEMU binary on the PATH, if installed.
    public static func qemuRISCV64(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        for dir in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("qemu-system-riscv64")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// The QEMU command line for a bare-metal image.
    public static func qemuArguments(image: URL, memoryMiB: Int = 128) -> [String] {
        ["-M", "virt", "-bios", "none", "-m", "\(memoryMiB)M", "-nographic", "-kernel", image.path]
    }

    /// Runs `image` on QEMU, stopping it after `timeout` seconds.
    public static func onQEMU(image: URL, timeout: TimeInterval = 30) throws(CorpusRunError) -> CorpusRunResult {
        guard let qemu = qemuRISCV64() else { throw .emulatorMissing("qemu-system-riscv64") }
        return try run(executable: qemu, arguments: qemuArguments(image: image), timeout: timeout)
    }

    /// Runs a process with no input, collecting stdout and stderr into one string; kills it
    /// at the deadline. Output goes to a temporary file so a chatty guest never blocks on a pipe.
    public static func run(executable: URL, arguments: [String], timeout: TimeInterval) throws(CorpusRunError) -> CorpusRunResult {
        let logURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("corpus-run-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: logURL.path, contents: nil),
              let log = try? FileHandle(forWritingTo: logURL)
        else { throw .launchFailed("cannot create \(logURL.path)") }
        defer {
            try? log.close()
            try? FileManager.default.removeItem(at: logURL)
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        do {
            try process.run()
        } catch {
            throw .launchFailed("\(error)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() >= deadline {
                timedOut = true
                process.terminate()
                break
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        process.waitUntilExit()
        let data = (try? Data(contentsOf: logURL)) ?? Data()
        return CorpusRunResult(output: String(decoding: data, as: UTF8.self), exitStatus: process.terminationStatus, timedOut: timedOut)
    }
}
