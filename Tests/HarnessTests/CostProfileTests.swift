import Foundation
import Testing
@testable import Harness

/// Cost profiles: the shipped data files, and every way a profile file can be wrong.
struct CostProfileTests {
    static func shippedFolder() throws -> URL {
        try PackageRoot.locate().appendingPathComponent(CostProfileLibrary.directory, isDirectory: true)
    }

    /// A complete, valid profile as a JSON object, for tests to break one field at a time.
    static func validObject() -> [String: Any] {
        var figures: [String: Any] = [:]
        for (index, event) in CostEvent.allCases.enumerated() {
            figures[event.rawValue] = ["cycles": Double(index + 1), "status": "assumed", "source": "test figure \(index)"]
        }
        return [
            "name": "test-profile", "title": "A test processor",
            "clock": ["hertz": 2e9, "status": "verified", "source": "test clock"],
            "figures": figures,
        ]
    }

    static func parse(_ object: [String: Any]) throws(CostProfileError) -> CostProfile {
        let data = try! JSONSerialization.data(withJSONObject: object)
        return try CostProfile.parse(data, path: "test.json")
    }

    static func replacingFigure(_ event: String, with value: Any?) -> [String: Any] {
        var object = validObject()
        var figures = object["figures"] as! [String: Any]
        figures[event] = value
        object["figures"] = figures
        return object
    }

    static func replacingField(_ field: String, of event: String, with value: Any?) -> [String: Any] {
        var figure = (validObject()["figures"] as! [String: Any])[event] as! [String: Any]
        figure[field] = value
        return replacingFigure(event, with: figure)
    }

    @Test func shippedProfilesLoadAndCiteEveryFigure() throws {
        let profiles = try CostProfileLibrary.loadAll(in: Self.shippedFolder())
        let names = Set(profiles.map(\.name))
        #expect(names.isSuperset(of: ["pentium4-vtx-2006", "x86-modern-svm", "riscv-inorder"]))
        for profile in profiles {
            #expect(Set(profile.figures.keys) == Set(CostEvent.allCases), "\(profile.name)")
            #expect(profile.clock.hertz > 0)
            for figure in profile.figures.values {
                #expect(figure.cycles >= 0)
                #expect(!figure.source.isEmpty)
            }
        }
        // The 2006 VT-x profile uses Adams & Agesen's recalled figures and must mark them as estimates.
        let vtx = try #require(profiles.first { $0.name == "pentium4-vtx-2006" })
        #expect(vtx.figures[.pageFault]?.cycles == 1093)
        #expect(vtx.figures[.pageFault]?.status == .recalled)
        #expect(vtx.figures[.pageFault]?.status.isEstimate == true)
        #expect(vtx.hasEstimates)
        let modern = try #require(profiles.first { $0.name == "x86-modern-svm" })
        #expect(modern.figures[.vmExit]?.status == .verified)
    }

    @Test func validProfileParses() throws {
        let profile = try Self.parse(Self.validObject())
        #expect(profile.name == "test-profile")
        #expect(profile.figures.count == CostEvent.allCases.count)
        #expect(profile.figures[.instruction]?.cycles == 1)
    }

    @Test func missingFigureIsRefused() {
        #expect(throws: CostProfileError.missingFigure(path: "test.json", figure: "vmExit")) {
            try Self.parse(Self.replacingFigure("vmExit", with: nil))
        }
        #expect(throws: CostProfileError.missingFigure(path: "test.json", figure: "exception.cycles")) {
            try Self.parse(Self.replacingField("cycles", of: "exception", with: nil))
        }
    }

    @Test func unknownEventIsRefused() {
        #expect(throws: CostProfileError.unknownEvent(path: "test.json", event: "vmexit", known: CostEvent.allCases.map(\.rawValue))) {
            try Self.parse(Self.replacingFigure("vmexit", with: ["cycles": 1, "status": "assumed", "source": "x"]))
        }
    }

    @Test func negativeNonNumericAndUnsourcedFiguresAreRefused() {
        #expect(throws: CostProfileError.invalidFigure(path: "test.json", figure: "exception", reason: "cycles must not be negative (-5.0)")) {
            try Self.parse(Self.replacingField("cycles", of: "exception", with: -5))
        }
        #expect(throws: CostProfileError.invalidFigure(path: "test.json", figure: "hypercall", reason: "cycles must be a number")) {
            try Self.parse(Self.replacingField("cycles", of: "hypercall", with: true))
        }
        #expect(throws: CostProfileError.invalidFigure(path: "test.json", figure: "hypercall", reason: "cycles must be a number")) {
            try Self.parse(Self.replacingField("cycles", of: "hypercall", with: "1300"))
        }
        #expect(throws: CostProfileError.invalidFigure(path: "test.json", figure: "interrupt", reason: "every figure needs a non-empty source")) {
            try Self.parse(Self.replacingField("source", of: "interrupt", with: "  "))
        }
        #expect(throws: CostProfileError.self) {
            try Self.parse(Self.replacingField("status", of: "interrupt", with: "guessed"))
        }
        var object = Self.validObject()
        object["clock"] = ["hertz": 0, "status": "assumed", "source": "x"]
        #expect(throws: CostProfileError.self) { try Self.parse(object) }
    }

    @Test func cyclesOneAndZeroAreNumbersNotBooleans() throws {
        // JSON 1 and 0 must stay numbers even though booleans share NSNumber with them.
        let one = try Self.parse(Self.replacingField("cycles", of: "exception", with: 1))
        #expect(one.figures[.exception]?.cycles == 1)
        let zero = try Self.parse(Self.replacingField("cycles", of: "exception", with: 0))
        #expect(zero.figures[.exception]?.cycles == 0)
    }

    @Test func malformedFilesGiveClearErrors() {
        #expect(throws: CostProfileError.self) { try CostProfile.parse(Data("{ not json".utf8), path: "bad.json") }
        #expect(throws: CostProfileError.malformed(path: "bad.json", reason: "the top level must be an object")) {
            try CostProfile.parse(Data("[1, 2]".utf8), path: "bad.json")
        }
        #expect(throws: CostProfileError.self) { try CostProfile.load(from: URL(fileURLWithPath: "/nonexistent/profile.json")) }
        let error = CostProfileError.missingFigure(path: "p.json", figure: "vmExit")
        #expect(error.description == "cost profile p.json: missing figure 'vmExit'")
    }

    @Test func modelMultipliesExactCountsByFigures() throws {
        let profile = try Self.parse(Self.validObject())
        let counts = EventCounts([
            "instructions": 1000, "exception.ecall-from-u": 3, "exception.load-page-fault": 2,
            "interrupt.machine-timer-interrupt": 4, "pagewalk.steps": 6, "mmio.accesses": 5, "vmexit.sbi": 7,
        ])
        let modeled = profile.model(counts)
        // Figures are index+1 in CostEvent order: instruction 1, exception 2, pageFault 3, interrupt 4,
        // pageWalkStep 5, mmioAccess 6, vmExit 7.
        #expect(modeled.cyclesByEvent[.instruction] == 1000)
        #expect(modeled.cyclesByEvent[.exception] == 6)
        #expect(modeled.cyclesByEvent[.pageFault] == 6)
        #expect(modeled.cyclesByEvent[.interrupt] == 16)
        #expect(modeled.cyclesByEvent[.pageWalkStep] == 30)
        #expect(modeled.cyclesByEvent[.mmioAccess] == 30)
        #expect(modeled.cyclesByEvent[.vmExit] == 49)
        #expect(modeled.cyclesByEvent[.hypercall] == nil)
        #expect(modeled.totalCycles == 1137)
        #expect(modeled.seconds == 1137 / 2e9)
    }

    @Test func selectionByNameOrPathAndUnknownNames() throws {
        let folder = try Self.shippedFolder()
        let all = try CostProfileLibrary.select([], in: folder)
        #expect(all.count >= 3)
        let one = try CostProfileLibrary.select(["riscv-inorder"], in: folder)
        #expect(one.map(\.name) == ["riscv-inorder"])
        let byPath = try CostProfileLibrary.select([folder.appendingPathComponent("x86-modern-svm.json").path], in: folder)
        #expect(byPath.map(\.name) == ["x86-modern-svm"])
        #expect(throws: CostProfileError.self) { try CostProfileLibrary.select(["pentium5"], in: folder) }
    }

    @Test func oneBadFileFailsTheFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("profiles-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try JSONSerialization.data(withJSONObject: Self.validObject()).write(to: folder.appendingPathComponent("good.json"))
        #expect(try CostProfileLibrary.loadAll(in: folder).count == 1)
        try JSONSerialization.data(withJSONObject: Self.replacingField("cycles", of: "vmExit", with: -1))
            .write(to: folder.appendingPathComponent("negative.json"))
        #expect(throws: CostProfileError.invalidFigure(path: folder.appendingPathComponent("negative.json").path, figure: "vmExit",
                                                       reason: "cycles must not be negative (-1.0)")) {
            try CostProfileLibrary.loadAll(in: folder)
        }
    }
}
