import Foundation

/// Runs the real tools (dtc, qemu-system-riscv64) the device tree is checked against; tests
/// that need one declare it (`@Test(.requires(.dtc))`).
enum ExternalTool {
    struct Result {
        var status: Int32
        var output: String
        var timedOut: Bool
    }

    /// Runs a tool with stdout and stderr captured together in a file. When `until` is given,
    /// the tool is stopped as soon as its output contains that text (for emulators that never
    /// exit). Stopping uses SIGKILL: a child of the test process may inherit a signal mask
    /// that blocks SIGTERM, and then QEMU would never go away.
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 30,
                    until marker: String? = nil) throws -> Result {
        let outputPath = temporaryFile("output-\(UInt64.random(in: 0 ... .max))")
        guard FileManager.default.createFile(atPath: outputPath, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: outputPath])
        }
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        guard let output = FileHandle(forWritingAtPath: outputPath) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: outputPath])
        }
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        func text() -> String {
            String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
        }
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if let marker, text().contains(marker) { break }
            if Date() > deadline { timedOut = true; break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: text(), timedOut: timedOut)
    }

    /// A scratch file path unique to this test process.
    static func temporaryFile(_ name: String) -> String {
        NSTemporaryDirectory() + "virtbench-devices-\(ProcessInfo.processInfo.processIdentifier)-\(name)"
    }
}
