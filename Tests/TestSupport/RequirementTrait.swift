import Foundation
import Testing

/// A test's declaration of the tools and host capabilities it needs: `@Test(.requires(.dtc))`.
///
/// Two kinds of skip, which CI treats differently (issue 21):
/// - a missing *tool* (anything `.ci/run` installs) skips the test with its name, unless
///   `VIRTBENCH_REQUIRE_TOOLS=1`: then the test runs no code and fails, naming the tool, so CI
///   cannot pass without running it;
/// - a missing *host capability* (no /dev/kvm) always skips, with the capability's name.
public struct RequirementTrait: TestTrait, SuiteTrait, TestScoping {
    public let tools: [Tool]
    public let capabilities: [HostCapability]
    /// Where `.requires` was written, so a failure points at the test that declared it.
    public let sourceLocation: SourceLocation

    /// The environment variable `.ci/run` sets.
    public static let requireToolsVariable = "VIRTBENCH_REQUIRE_TOOLS"

    /// Whether missing tools fail instead of skipping in this process.
    public static var toolsAreRequired: Bool {
        ProcessInfo.processInfo.environment[requireToolsVariable] == "1"
    }

    /// What to do with the test.
    public enum Decision: Equatable, Sendable {
        case run
        case skip(reason: String)
        case fail(message: String)
    }

    /// The decision for what is missing; a capability wins over a tool, since installing the
    /// tool would not make the test runnable.
    public static func decision(missingTools: [Tool], missingCapabilities: [HostCapability],
                                toolsRequired: Bool) -> Decision {
        if !missingCapabilities.isEmpty {
            return .skip(reason: "host lacks capability: " + missingCapabilities.map(\.description).joined(separator: ", "))
        }
        guard !missingTools.isEmpty else { return .run }
        let names = missingTools.map(\.description).joined(separator: ", ")
        return toolsRequired
            ? .fail(message: "tool missing: \(names); \(requireToolsVariable)=1, so this test fails instead of being skipped")
            : .skip(reason: "tool missing: \(names)")
    }

    public var decision: Decision {
        Self.decision(missingTools: tools.filter { !$0.isAvailable },
                      missingCapabilities: capabilities.filter { !$0.isPresent },
                      toolsRequired: Self.toolsAreRequired)
    }

    /// Applied to every test of a suite that declares it.
    public var isRecursive: Bool { true }

    public func prepare(for test: Test) async throws {
        if case .skip(let reason) = decision {
            // ConditionTrait's own preparation is the public way to make the runner skip a test.
            try await ConditionTrait.disabled(Comment(rawValue: reason), sourceLocation: sourceLocation).prepare(for: test)
        }
    }

    /// Once per test function (not per argument, not for a suite), and only when it must fail.
    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        guard !test.isSuite, testCase == nil, case .fail = decision else { return nil }
        return self
    }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        guard case .fail(let message) = decision else { return try await function() }
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }
}

extension Trait where Self == RequirementTrait {
    /// The test needs these tools: skipped without them, or failed under `VIRTBENCH_REQUIRE_TOOLS=1`.
    public static func requires(_ tools: Tool..., sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        RequirementTrait(tools: tools, capabilities: [], sourceLocation: sourceLocation)
    }

    /// The test needs these host capabilities: always skipped without them.
    public static func requires(_ capabilities: HostCapability..., sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        RequirementTrait(tools: [], capabilities: capabilities, sourceLocation: sourceLocation)
    }
}
