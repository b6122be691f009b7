import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `virtbench` started in the background for a test that talks to it while it runs: stdout and
/// stderr go to files the test reads as they grow, stdin is /dev/null or (`stdinPipe`) a pipe
/// the test writes to with `send`. Killed if the test ends first.
final class SpawnedVirtBench {
    let pid: pid_t
    let directory: String
    /// The write end of the child's stdin, or -1 when stdin is /dev/null.
    private let input: Int32
    private var finished: ProcessResult?

    /// `executable` runs instead of virtbench when given (a wrapper such as unshare that starts it).
    init(_ arguments: [String], executable: String? = nil, stdinPipe: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let binary = try executable ?? #require(ProcessRunner.virtbenchPath, "virtbench binary not found", sourceLocation: sourceLocation)
        var template = Array("/tmp/virtbench-spawned-XXXXXX".utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var fds: [Int32] = [-1, -1]
        if stdinPipe {
            try #require(pipe(&fds) == 0, sourceLocation: sourceLocation)
            posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
            posix_spawn_file_actions_addclose(&actions, fds[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        input = fds[1]
        posix_spawn_file_actions_addopen(&actions, 1, directory + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, directory + "/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let status = ProcessRunner.withCleanSignals { posix_spawn(&child, binary, &actions, &$0, argv, environ) }
        if stdinPipe { close(fds[0]) }
        try #require(status == 0, "spawn failed: \(status)", sourceLocation: sourceLocation)
        pid = child
    }

    /// Writes to the child's stdin (only with `stdinPipe`).
    func send(_ bytes: [UInt8]) {
        precondition(input >= 0, "send needs a SpawnedVirtBench made with stdinPipe: true")
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            done += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    var stdout: String { ProcessRunner.readFile(directory + "/stdout") }
    var stderr: String { ProcessRunner.readFile(directory + "/stderr") }

    /// The whole output once `marker` appears in it `count` times (after 30 s, whatever there is).
    func waitFor(_ marker: String, count: Int = 1, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let deadline = ProcessRunner.now() + 30
        while ProcessRunner.now() < deadline {
            let text = stdout
            if text.components(separatedBy: marker).count > count { return text }
            usleep(10_000)
        }
        let text = stdout
        Issue.record("'\(marker)' did not appear \(count) times in: \(text)", sourceLocation: sourceLocation)
        return text
    }

    /// The port from "… listening on HOST:PORT" on stderr, once it is printed (nil after 30 s or
    /// if the child exits first).
    func port() -> UInt16? {
        let deadline = ProcessRunner.now() + 30
        while ProcessRunner.now() < deadline {
            let text = stderr
            if let range = text.range(of: "listening on [^\n]*:[0-9]+\n", options: .regularExpression) {
                let line = text[range].dropLast()
                return line.split(separator: ":").last.flatMap { UInt16($0) }
            }
            if finished != nil || waitpid(pid, nil, WNOHANG) == pid { return nil }
            usleep(10_000)
        }
        return nil
    }

    /// Waits for the exit; nil (and the process killed) after `timeout` seconds.
    func wait(timeout: Double) -> ProcessResult? {
        if let finished { return finished }
        guard let exitStatus = ProcessRunner.waitForExit(pid, timeout: timeout) else {
            finished = ProcessResult(status: -1, stdout: "", stderr: "", timedOut: true)
            return nil
        }
        finished = ProcessResult(status: exitStatus, stdout: stdout, stderr: stderr, timedOut: false)
        return finished
    }

    deinit {
        if input >= 0 { close(input) }
        if finished == nil {
            kill(pid, SIGKILL)
            waitpid(pid, nil, 0)
        }
        unlink(directory + "/stdout")
        unlink(directory + "/stderr")
        rmdir(directory)
    }
}
