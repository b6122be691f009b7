import Foundation
import Testing

/// Every `virtbench` command names itself in its `CommandConfiguration`. Without a name,
/// ArgumentParser derives one with `String(describing:)` on the command's type at every launch,
/// and each of those costs failed protocol-conformance scans over the whole binary: for 18
/// commands, 16M of the 42M host instructions `virtbench --version` took (cachegrind).
@Suite("Command name rule")
struct CommandNameRuleTests {
    @Test func everyCommandConfigurationNamesItsCommand() throws {
        let folder = UnsafeCodeRuleTests.packageRoot.appendingPathComponent("Sources/virtbench")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }
        var configurations = 0
        var unnamed: [String] = []
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            var rest = text[...]
            while let range = rest.range(of: "CommandConfiguration(") {
                configurations += 1
                // commandName is the initializer's first parameter, so a named one starts with it.
                let arguments = rest[range.upperBound...].drop { $0.isWhitespace }
                if !arguments.hasPrefix("commandName:") {
                    let line = text[..<range.lowerBound].filter { $0 == "\n" }.count + 1
                    unnamed.append("\(file):\(line)")
                }
                rest = rest[range.upperBound...]
            }
        }
        #expect(configurations >= 18, "found only \(configurations) command configurations")
        #expect(unnamed.isEmpty, "commands without commandName: \(unnamed.joined(separator: ", "))")
    }
}
