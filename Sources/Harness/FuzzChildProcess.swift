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
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        // A new process group led by the child (setpgid(0, 0) in the child).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let started = BenchProcess.monotonicNanoseconds()
        let spawned = argv.withUnsafeBufferPointer { posix_spawn(&pid, executable, &actions, &attributes, $0.baseAddress!, environ) }
        guard spawned == 0 else { throw .spawnFailed(executable: executable, errno: spawned) }

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
