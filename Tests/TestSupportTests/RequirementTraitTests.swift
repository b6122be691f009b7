import Foundation
import Testing
import TestSupport

/// The rules of the two kinds of skip, and the tool lookup they rest on.
struct RequirementTraitTests {
    static let absentTool = Tool("no-such-tool", from: "nowhere", files: [.executable("virtbench-no-such-tool")])
    static let absentCapability = HostCapability("teleportation", absence: "no teleporter") { false }

    @Test func aMissingToolSkipsWithItsNameAndOrigin() {
        let decision = RequirementTrait.decision(missingTools: [Self.absentTool], missingCapabilities: [], toolsRequired: false)
        #expect(decision == .skip(reason: "tool missing: no-such-tool (nowhere)"))
    }

    @Test func aMissingToolFailsWhenToolsAreRequired() {
        let decision = RequirementTrait.decision(missingTools: [Self.absentTool, .dtc], missingCapabilities: [], toolsRequired: true)
        guard case .fail(let message) = decision else {
            Issue.record("expected a failure, got \(decision)")
            return
        }
        #expect(message.contains("no-such-tool (nowhere), dtc (Debian package device-tree-compiler)"))
        #expect(message.contains("VIRTBENCH_REQUIRE_TOOLS=1"))
    }

    /// No package installs a capability, so requiring tools never turns its absence into a failure.
    @Test(arguments: [false, true])
    func aMissingCapabilityAlwaysSkipsByName(toolsRequired: Bool) {
        let decision = RequirementTrait.decision(missingTools: [Self.absentTool], missingCapabilities: [Self.absentCapability],
                                                 toolsRequired: toolsRequired)
        #expect(decision == .skip(reason: "host lacks capability: teleportation (no teleporter)"))
    }

    @Test func nothingMissingRuns() {
        #expect(RequirementTrait.decision(missingTools: [], missingCapabilities: [], toolsRequired: true) == .run)
    }

    @Test func executablesAreFoundOnThePathAndFilesAtTheirPath() throws {
        let shell = Tool("sh", from: "base system", files: [.executable("sh")])
        let path = try #require(shell.path)
        #expect(path.hasSuffix("/sh") && FileManager.default.isExecutableFile(atPath: path))
        #expect(Tool("root", from: "base system", files: [.path("/etc/passwd")]).path == "/etc/passwd")
        #expect(Tool("either", from: "base system", files: [.firstOf(["/nonexistent/file", "/etc/passwd"])]).path == "/etc/passwd")
        #expect(!Self.absentTool.isAvailable)
    }

    /// A tool is usable only when every one of its files is there.
    @Test func oneMissingFileMakesTheToolMissing() {
        let half = Tool("sh and a ghost", from: "base system", files: [.executable("sh"), .path("/nonexistent/ghost")])
        #expect(half.path == nil)
    }

    /// `.ci/run` checks after installing that every declared tool is there, so its lists must
    /// name each tool's executables and files.
    @Test func ciChecksEveryDeclaredTool() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = try String(contentsOf: root.appendingPathComponent(".ci/run"), encoding: .utf8)
        func words(ofArray name: String) throws -> Set<String> {
            let start = try #require(script.range(of: "\n\(name)=("), "\(name) is not defined in .ci/run")
            let end = try #require(script.range(of: ")", range: start.upperBound..<script.endIndex))
            return Set(script[start.upperBound..<end.lowerBound].split(whereSeparator: \.isWhitespace).map(String.init))
        }
        let executables = try words(ofArray: "required_executables"), files = try words(ofArray: "required_files")
        let kitFiles = try words(ofArray: "required_kit_files"), kitTests = try words(ofArray: "required_kit_tests")
        for tool in Tool.all {
            for file in tool.files {
                switch file {
                case .executable(let name): #expect(executables.contains(name), "\(tool.name): \(name)")
                case .path(let path): #expect(files.contains(path), "\(tool.name): \(path)")
                case .firstOf(let paths): #expect(paths.contains(where: files.contains), "\(tool.name): one of \(paths)")
                case .builtExecutable: continue  // built by the test command itself
                case .kernelKitFile(let name):
                    #expect(script.contains("Scripts/kernel-kit.sh"), "\(tool.name): .ci/run must make the kit")
                    #expect(kitFiles.contains(name), "\(tool.name): \(name)")
                case .kernelKitTest(let name):
                    #expect(kitFiles.contains("TESTS"), "\(tool.name): TESTS")
                    #expect(kitTests.contains(name), "\(tool.name): kit.test=\(name)")
                }
            }
        }
    }
}
