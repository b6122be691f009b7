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
    public static func qemuRISCV64() -> URL? {
        HostProcess.locate("qemu-system-riscv64", extraDirectories: []).map { URL(fileURLWithPath: $0) }
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

    /// Runs a process with no input (through `HostProcess.run`, which kills it at the deadline),
    /// joining its standard output and error.
    public static func run(executable: URL, arguments: [String], timeout: TimeInterval) throws(CorpusRunError) -> CorpusRunResult {
        let outcome: ProcessOutcome
        do {
            outcome = try HostProcess.run(executable.path, arguments, timeout: timeout)
        } catch {
            throw .launchFailed("\(error)")
        }
        return CorpusRunResult(output: outcome.output + outcome.standardError, exitStatus: outcome.exitStatus,
                               timedOut: outcome.timedOut)
    }
}
