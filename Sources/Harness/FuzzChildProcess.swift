#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// How a child ended.
public enum FuzzTermination: Sendable, Equatable {
    /// It exited by itself with this status.
    case exited(Int32)
    /// A signal killed it (one it raised itself, such as a Swift runtime trap's SIGILL or SIGTRAP).
    case signaled(Int32)
    /// It outlived its deadline and was killed, with its whole process group.
    case overrun
}

/// What one child did.
public struct FuzzChildOutcome: Sendable, Equatable {
    public let termination: FuzzTermination
    public let standardOutput: String
    public let standardError: String
    /// Spawn to exit (or to the kill), on the monotonic clock.
    public let seconds: Double
}

/// Runs `virtbench` as a fuzz case's child: stdin from /dev/null (never a terminal), stdout and
/// stderr to files in the case's folder, in a process group of its own so an overrun kills
/// everything it started. The group is killed before the child is reaped, so its id cannot have
/// been reused by then.
public enum FuzzChildProcess {
    public static func run(_ executable: String, _ arguments: [String], outputDirectory: String,
                           deadline seconds: Double) throws(BenchProcessError) -> FuzzChildOutcome {
        let outPath = outputDirectory + "/stdout", errPath = outputDirectory + "/stderr"
        let started = BenchProcess.monotonicNanoseconds()
        let pid = try BenchProcess.spawn(executable, arguments, standardOutput: outPath, standardError: errPath, newProcessGroup: true)

        // Saturating: a deadline past the clock's range means no deadline, not a trap.
        let budget = UInt64(min(max(seconds, 0), 1e9) * 1e9)
        let deadline = started > .max - budget ? .max : started + budget
        var status: Int32 = 0
        var overrun = false
        var pause: UInt32 = 200     // microseconds, doubled up to 10 ms: short runs end fast, long ones cost little
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { break }
            if BenchProcess.monotonicNanoseconds() >= deadline {
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                overrun = true
                break
            }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
        let ended = BenchProcess.monotonicNanoseconds()
        // WIFSIGNALED / WTERMSIG / WEXITSTATUS, spelled out (the C macros are not imported).
        let signalNumber = status & 0x7f
        let termination: FuzzTermination = overrun ? .overrun : signalNumber != 0 ? .signaled(signalNumber) : .exited((status >> 8) & 0xff)
        return FuzzChildOutcome(termination: termination,
                                standardOutput: String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self),
                                standardError: String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self),
                                seconds: Double(ended &- started) / 1e9)
    }
}
