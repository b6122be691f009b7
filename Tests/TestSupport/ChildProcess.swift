import Foundation

/// A command a test runs to its end, with what it printed on both streams together (one pipe,
/// so neither stream can fill and stall the child while the other is read).
public struct ChildProcess {
    public let status: Int32
    public let output: String

    /// Runs `executable` with `arguments` and waits for it.
    public static func run(_ executable: String, _ arguments: [String]) throws -> ChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ChildProcess(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
