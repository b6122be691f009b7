import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the built `virtbench` binary the way a user would, with a hard timeout so a hang fails
/// the test instead of stalling the suite.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
    var stderrLines: [Substring] { stderr.split(separator: "\n") }

    /// Bad input ends with status 1, exactly one `virtbench: error:` line naming `fragment`, and no output.
    func expectOneLineError(for arguments: [String], containing fragment: String, sourceLocation: SourceLocation) {
        #expect(status == 1, "status for \(arguments)", sourceLocation: sourceLocation)
        #expect(stderrLines.count == 1, "stderr for \(arguments): \(stderr)", sourceLocation: sourceLocation)
        let line = stderrLines.first.map(String.init) ?? ""
        #expect(line.hasPrefix("virtbench: error: "), "\(line)", sourceLocation: sourceLocation)
        #expect(line.contains(fragment), "\(line) should mention \(fragment)", sourceLocation: sourceLocation)
        #expect(stdout.isEmpty, sourceLocation: sourceLocation)
    }
}

enum ProcessRunner {
    /// `virtbench` next to the test bundle in the build products folder (.build/<config>/),
    /// or where `VIRTBENCH_BINARY` points.
    static var virtbenchPath: String? {
        if let env = getenv("VIRTBENCH_BINARY") { return String(cString: env) }
        var candidates: [String] = []
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 {
            let exe = String(decoding: buffer[0 ..< n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            candidates.append(directory(of: exe))
        }
        candidates.append(directory(of: CommandLine.arguments[0]))
        for dir in candidates {
            // On macOS the bundle is <products>/X.xctest/Contents/MacOS/X.
            for up in ["", "/../../.."] {
                let path = dir + up + "/virtbench"
                if access(path, X_OK) == 0 { return path }
            }
        }
        return nil
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    /// Runs the built `virtbench` with `arguments` as a user would; a missing binary or a run that
    /// outlives `timeout` fails the calling test.
    static func runVirtBench(_ arguments: [String], input: [UInt8] = [], timeout: Double,
                             sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        let binary = try #require(virtbenchPath, "virtbench binary not found next to the test bundle; build the package first",
                                  sourceLocation: sourceLocation)
        let result = run(binary, arguments, input: input, timeout: timeout)
        #expect(!result.timedOut, "virtbench \(arguments) did not finish within \(timeout) s", sourceLocation: sourceLocation)
        return result
    }

    /// Runs `body` with spawn attributes that give the child an empty signal mask and the default
    /// SIGTERM and SIGINT actions. A spawned program inherits the spawning thread's mask, and
    /// test threads run with SIGTERM blocked: without this a qemu-nbd or virtbench child (and a
    /// daemon it forks) would ignore the SIGTERM a test stops it with.
    static func withCleanSignals<R>(_ body: (inout posix_spawnattr_t) -> R) -> R {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        return body(&attributes)
    }

    /// Runs `arguments` with stdin from `input` (bytes written to a file), killing it after `timeout` seconds.
    static func run(_ executable: String, _ arguments: [String], input: [UInt8] = [], timeout: Double = 20) -> ProcessResult {
        var template = Array("/tmp/virtbench-cli-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        let inPath = dir + "/stdin", outPath = dir + "/stdout", errPath = dir + "/stderr"
        writeFile(inPath, input)
        defer {
            unlink(inPath); unlink(outPath); unlink(errPath); rmdir(dir)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = withCleanSignals { posix_spawn(&pid, executable, &actions, &$0, argv, environ) }
        guard spawned == 0 else {
            return ProcessResult(status: -1, stdout: "", stderr: "spawn failed: \(spawned)", timedOut: false)
        }
        let exitStatus = waitForExit(pid, timeout: timeout)
        return ProcessResult(status: exitStatus ?? -1, stdout: readFile(outPath), stderr: readFile(errPath), timedOut: exitStatus == nil)
    }

    /// Waits for child `pid` to end and returns its status as a shell reports it (128 + the
    /// signal for a killed child); nil, with the child killed and reaped, after `timeout` seconds.
    static func waitForExit(_ pid: pid_t, timeout: Double) -> Int32? {
        var status: Int32 = 0
        let deadline = now() + timeout
        while waitpid(pid, &status, WNOHANG) != pid {
            if now() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return nil
            }
            usleep(5000)
        }
        // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) {
        guard let f = fopen(path, "wb") else { return }
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, f) }
        fclose(f)
    }

    static func readFile(_ path: String) -> String {
        guard let f = fopen(path, "rb") else { return "" }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            out += buffer[0 ..< n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A temporary file with `bytes`, for images given on the command line.
    static func temporaryFile(_ name: String, _ bytes: [UInt8]) -> String {
        var template = Array("/tmp/virtbench-img-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        let path = dir + "/" + name
        writeFile(path, bytes)
        return path
    }

    /// Deletes a file made by `temporaryFile` and its directory.
    static func remove(_ path: String) {
        unlink(path)
        rmdir(directory(of: path))
    }
}
