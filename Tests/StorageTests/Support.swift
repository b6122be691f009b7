import Foundation
import Testing
import TestSupport
@testable import Storage

/// A fresh folder for one test's images, removed when the test ends.
final class Scratch {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "storage-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { directory + "/" + name }
}

/// Runs a peer tool; its status and output.
struct ToolResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

func run(_ tool: Tool, _ executable: String, _ arguments: [String]) throws -> ToolResult {
    let located = try #require(tool.path.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path + "/" + executable })
    let process = Process()
    process.executableURL = URL(fileURLWithPath: located)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ToolResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
}

func qemuImg(_ arguments: String...) throws -> ToolResult { try run(.qemuImageTools, "qemu-img", arguments) }
func qemuIO(_ arguments: String...) throws -> ToolResult { try run(.qemuImageTools, "qemu-io", arguments) }

/// A deterministic byte generator (xorshift), so a failing case can be replayed.
struct Xorshift {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9e37_79b9_7f4a_7c15 : seed }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func below(_ n: UInt64) -> UInt64 { next() % n }
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

func openImage(_ path: String, readOnly: Bool = false, format: ImageFormat? = nil, cache: CacheMode = .unsafe,
               allowUnsafe: Bool = false) throws -> any BlockDriver {
    try ImageOpener.open(path, options: ImageOpenOptions(readOnly: readOnly, cache: cache, format: format,
                                                         allowUnsafeBackingPaths: allowUnsafe)).driver
}

func readFile(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
func writeFile(_ path: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

/// `body` throws a StorageError whose text contains `fragment`.
func expectRefusal(_ fragment: String, _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("not refused (expected an error containing '\(fragment)') \(comment)", sourceLocation: sourceLocation)
    } catch let error as StorageError {
        #expect(error.description.contains(fragment), "\(error.description) \(comment)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("refused with \(error), not a StorageError \(comment)", sourceLocation: sourceLocation)
    }
}
