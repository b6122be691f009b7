import Foundation
import Testing
@testable import InstructionSpec

/// The engine's per-instruction code is generated from the descriptions and checked in; these
/// tests fail when someone edits a generated file by hand or changes a description without
/// running `swift run generate-engine`.
@Suite struct EngineGeneratorTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test(arguments: EngineGenerator.files().map(\.path))
    func checkedInFileIsWhatTheDescriptionsGive(_ path: String) throws {
        let expected = try #require(EngineGenerator.files().first { $0.path == path }).contents
        let onDisk = try String(contentsOf: Self.packageRoot.appendingPathComponent(path), encoding: .utf8)
        #expect(onDisk == expected, "\(path) differs from what the descriptions give: run `swift run generate-engine`")
    }

    @Test(arguments: EngineGenerator.regions().map(\.name))
    func checkedInRegionIsWhatTheDescriptionsGive(_ name: String) throws {
        let region = try #require(EngineGenerator.regions().first { $0.name == name })
        let onDisk = try String(contentsOf: Self.packageRoot.appendingPathComponent(region.path), encoding: .utf8)
        let regenerated = try #require(EngineGenerator.replacingRegion(name, in: onDisk, with: region.contents),
                                       "\(region.path) lost its BEGIN/END GENERATED lines for \(name)")
        #expect(onDisk == regenerated, "region \(name) of \(region.path) differs from what the descriptions give: run `swift run generate-engine`")
    }

    @Test func everyInstructionHasAnInterpreterCaseAndEveryPairItsOwnOp() {
        let table = Table(RV64Instructions.all)
        let interpreter = table.interpreterCases()
        // An op stands in a case pattern followed by ":" (last or only) or "," (shared with others).
        let patterns = interpreter.split(separator: "\n").filter { $0.hasPrefix("case ") || $0.hasPrefix("     .") }.joined(separator: " ")
        for i in RV64Instructions.all {
            #expect(patterns.contains(".\(i.op):") || patterns.contains(".\(i.op),"), "\(i.name) has no case")
        }
        let pairOps = table.pairs.map(\.op)
        #expect(Set(pairOps).count == pairOps.count, "two superinstructions share a name")
        for op in pairOps { #expect(patterns.contains("case .\(op):")) }
    }

    @Test func pairsDeriveTheirCasesFromBothHalves() {
        let table = Table(RV64Instructions.all)
        let dependent = try! #require(table.pairs.first { $0.op == "slli_add" })
        let sequential = try! #require(table.pairs.first { $0.op == "add_then_bne" })
        // The dependent pair feeds the first result to the second op's rs2; the sequential one reads its own registers.
        #expect(table.pairCase(dependent).contains("x[q.rd] = x[q.rs1] &+ t\n"))
        #expect(table.pairCase(sequential).contains("if x[q.rs1] != x[q.rs2] {"))
    }

    @Test func compiledOpsAreTheOnesWithAnEmitter() {
        let templates = Table(RV64Instructions.all).compilerTemplates()
        #expect(templates.contains("case .lw: return load(k, inst, width: 4, signed: true)"))
        #expect(templates.contains("case .sd: return store(k, inst, width: 8)"))
        #expect(!templates.contains("case .div:"), "div has no emitter, so compiled code stops before it")
    }
}
