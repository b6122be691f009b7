#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What one timed child process did: its output, how it ended, how long it took from spawn to
/// exit on the monotonic clock, and its peak resident memory.
public struct BenchProcessOutcome: Sendable, Equatable {
    /// Standard output (a guest's UART), carriage returns removed so both peers compare line by line.
    public let output: String
    public let standardError: String
    /// The exit status, or 128 + the signal number when the child was killed by a signal (as a shell reports it).
    public let exitStatus: Int32
    /// True when the child outlived its time limit and was killed.
    public let timedOut: Bool
    /// Spawn to exit, on CLOCK_MONOTONIC: both peers pay process start-up and tear-down alike.
    public let wallSeconds: Double
    /// `ru_maxrss` from wait4(2): the child's peak resident set, in KiB on Linux.
    ///
    /// Linux folds the *spawning* process's peak RSS into this figure: posix_spawn's child
    /// shares the parent's memory until exec, and exec(2) records the outgoing memory's high
    /// water mark in the child's `maxrss` (fs/exec.c, `setmax_mm_hiwater_rss`). So the figure is
    /// exact only above `spawnerPeakRSSKiB`; at or below it, it is an upper bound.
    public let peakRSSKiB: Int
    /// This process's own peak RSS just before the spawn (getrusage RUSAGE_SELF).
    public var spawnerPeakRSSKiB: Int = 0

    /// Whether `peakRSSKiB` is the child's own peak rather than the spawner's (see `peakRSSKiB`).
    public var peakRSSIsExact: Bool { peakRSSKiB > spawnerPeakRSSKiB }
}

/// Why a child could not even be started.
public enum BenchProcessError: Error, CustomStringConvertible, Equatable {
    case spawnFailed(executable: String, errno: Int32)
    case scratchFolder(String)

    public var description: String {
        switch self {
        case .spawnFailed(let executable, let code):
            return "could not start \(executable): \(String(cString: strerror(code)))"
        case .scratchFolder(let reason):
            return "could not create a scratch folder for child output: \(reason)"
        }
    }
}

/// Runs one child with posix_spawn and reaps it with wait4, the only portable way to learn a
/// child's peak RSS (Foundation's `Process` does not report rusage).
///
/// The time limit is enforced by a watchdog thread that sends SIGKILL. To make sure it can never
/// signal a recycled process id, the parent first waits for the exit *without reaping*
/// (`waitid(..., WNOWAIT)`), disarms the watchdog, and only then reaps with wait4.
public enum BenchProcess {
    public static func run(_ executable: String, _ arguments: [String], timeout: Double) throws(BenchProcessError) -> BenchProcessOutcome {
        // mkdtemp rewrites the XXXXXX in place, inside the NUL-terminated array.
        var template = Array((NSTemporaryDirectory() + "/virtbench-bench-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw .scratchFolder(String(cString: strerror(errno))) }
        let folder = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let outPath = folder + "/stdout", errPath = folder + "/stderr"
        defer { unlink(outPath); unlink(errPath); rmdir(folder) }

        var own = rusage()
        #if canImport(Glibc)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &own)
        #else
        getrusage(RUSAGE_SELF, &own)
        #endif
        let started = monotonicNanoseconds()
        let pid = try spawn(executable, arguments, standardOutput: outPath, standardError: errPath)

        let watchdog = Watchdog(pid: pid)
        let timer = Thread { watchdog.expire(after: timeout) }
        timer.start()

        // Wait for the exit but leave the zombie, so the pid stays ours until the watchdog is off.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        let ended = monotonicNanoseconds()
        let timedOut = watchdog.disarm()

        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}

        // A guest may print any bytes: decode leniently rather than lose the output.
        let output = String(decoding: readFile(outPath), as: UTF8.self).replacingOccurrences(of: "\r", with: "")
        let standardError = String(decoding: readFile(errPath), as: UTF8.self)
        return BenchProcessOutcome(output: output, standardError: standardError,
                                   exitStatus: exitStatus(fromWaitStatus: status), timedOut: timedOut,
                                   wallSeconds: Double(ended &- started) / 1e9, peakRSSKiB: Int(usage.ru_maxrss), spawnerPeakRSSKiB: Int(own.ru_maxrss))
    }

    /// Starts `executable` with stdin from /dev/null (never a terminal) and stdout and stderr to
    /// the given files; in a process group of its own when `newProcessGroup`, so the whole
    /// group can be killed.
    static func spawn(_ executable: String, _ arguments: [String], standardOutput: String, standardError: String,
                      newProcessGroup: Bool = false) throws(BenchProcessError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if newProcessGroup {
            // A new process group led by the child (setpgid(0, 0) in the child).
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        // SAFETY: posix_spawn needs a NULL-terminated array of C strings that outlive the call:
        // each is a strdup copy (NUL-terminated), freed once by the defer after posix_spawn has
        // returned (the child has its own copy by then); the array ends with nil.
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw .spawnFailed(executable: executable, errno: spawned) }
        return pid
    }

    /// The shell's convention: the exit code, or 128 + signal for a child killed by a signal.
    static func exitStatus(fromWaitStatus status: Int32) -> Int32 {
        let signal = status & 0x7f
        if signal == 0 { return (status >> 8) & 0xff }
        return 128 + signal
    }

    /// Nanoseconds on CLOCK_MONOTONIC, which wall-clock adjustments (NTP, the user) never move.
    public static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    private static func readFile(_ path: String) -> Data {
        FileManager.default.contents(atPath: path) ?? Data()
    }

    /// Kills the child at the deadline unless the parent disarmed it first; the lock makes
    /// "disarmed" and "killed" mutually exclusive.
    private final class Watchdog: @unchecked Sendable {
        private let pid: pid_t
        private let lock = NSCondition()
        private var armed = true
        private var fired = false

        init(pid: pid_t) { self.pid = pid }

        func expire(after seconds: Double) {
            lock.lock()
            defer { lock.unlock() }
            let deadline = Date(timeIntervalSinceNow: seconds)
            while armed, lock.wait(until: deadline) {}
            if armed {
                fired = true
                kill(pid, SIGKILL)
            }
        }

        /// Stops the watchdog; returns whether it had already killed the child.
        func disarm() -> Bool {
            lock.lock()
            defer { lock.unlock() }
            armed = false
            lock.signal()
            return fired
        }
    }
}
