import Foundation

/// The programs a `compare` or `conform` run covers, and how they were chosen.
public struct CorpusSelection: Sendable, Equatable {
    public let programs: [CorpusProgram]
    /// What was asked for, in words, for the report header.
    public let description: String
    /// Anything the reader must know about the choice (a fallback, a missing category).
    public let notes: [String]

    /// The RV64 program a Thumb build comes from (`crc32-small-thumb` → `crc32-small`).
    static func rv64Name(of program: CorpusProgram) -> String {
        program.name.hasSuffix("-thumb") ? String(program.name.dropLast("-thumb".count)) : program.name
    }
    static func isSmall(_ name: String) -> Bool { name.hasSuffix(smallSuffix) }

    /// The keywords `--corpus` accepts besides program names.
    public static let keywords = ["default", "small", "all"] + CorpusCategory.allCases.map(\.rawValue)

    /// Resolves a `--corpus` value against the catalogue.
    ///
    /// - `nil` or `default`: the CPU-bound and OS-bound workloads at full size.
    /// - `small`: their `-small` variants, quick enough for tests and CI.
    /// - a category name (`isa`, `cpu`, `os`, …) or `all`.
    /// - otherwise a comma-separated list of program and category names (`os,isolation`,
    ///   `kernel,sbi`), each program once, in the order named.
    ///
    /// While the workload corpus does not exist yet, `default` and `small` fall back to the
    /// ISA self-checks and say so, so that `virtbench compare` works on any checkout.
    public static func resolve(_ request: String?, catalogue: [CorpusProgram] = CorpusCatalogue.all) throws(CorpusSelectionError) -> CorpusSelection {
        let request = request?.trimmingCharacters(in: .whitespaces) ?? "default"
        let workloads = catalogue.filter { $0.category == .cpu || $0.category == .os }
        func isSmall(_ program: CorpusProgram) -> Bool { program.name.hasSuffix(smallSuffix) }
        switch request {
        case "default", "", "small":
            let small = request == "small"
            // The OS-bound programs are already small (the kernel runs its microbenchmarks in a
            // few tens of millions of instructions), so both selections include them.
            var chosen = workloads.filter { $0.category == .os || isSmall($0) == small }
            // The emulation mode runs the Thumb builds (small: translated code runs several RV64
            // instructions per Thumb one), beside the RV64 build of the same source so that the
            // report can give emulation's slowdown against native.
            let thumb = catalogue.filter { $0.category == .thumb && CorpusSelection.isSmall(CorpusSelection.rv64Name(of: $0)) }
            let references = catalogue.filter { program in
                program.category == .cpu && thumb.contains { CorpusSelection.rv64Name(of: $0) == program.name }
            }
            if !chosen.isEmpty {
                chosen += (references + thumb).filter { !chosen.contains($0) }
                return CorpusSelection(programs: chosen, description: small ? "cpu, os and thumb workloads, small variants"
                                       : "cpu and os workloads, and the small Thumb builds for emulation", notes: [])
            }
            let isa = catalogue.filter { $0.category == .isa }
            guard !isa.isEmpty else { throw .empty(request) }
            return CorpusSelection(
                programs: isa, description: "isa self-checks (fallback)",
                notes: ["The CPU-bound and OS-bound workload corpus is not in the catalogue yet; the ISA self-checks were run instead, so the figures describe short privileged-architecture tests, not workloads."]
            )
        case "all":
            return CorpusSelection(programs: catalogue, description: "every corpus program", notes: [])
        default:
            if let category = CorpusCategory(rawValue: request) {
                let chosen = catalogue.filter { $0.category == category }
                guard !chosen.isEmpty else { throw .empty(request) }
                return CorpusSelection(programs: chosen, description: "\(category.rawValue) programs", notes: [])
            }
            var chosen: [CorpusProgram] = []
            for name in request.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
                let named: [CorpusProgram]
                if let category = CorpusCategory(rawValue: name) {
                    named = catalogue.filter { $0.category == category }
                } else if let program = catalogue.first(where: { $0.name == name }) {
                    named = [program]
                } else {
                    throw .unknownWorkload(name, known: catalogue.map(\.name))
                }
                chosen += named.filter { !chosen.contains($0) }
            }
            guard !chosen.isEmpty else { throw .empty(request) }
            return CorpusSelection(programs: chosen, description: chosen.map(\.name).joined(separator: ", "), notes: [])
        }
    }

    /// Workloads come in two sizes; the small one ends in this suffix.
    public static let smallSuffix = "-small"
}

/// A `--corpus` value that selects nothing.
public enum CorpusSelectionError: Error, CustomStringConvertible, Equatable {
    case unknownWorkload(String, known: [String])
    case empty(String)

    public var description: String {
        switch self {
        case .unknownWorkload(let name, let known):
            return "unknown workload '\(name)': use one of \(CorpusSelection.keywords.joined(separator: ", ")), or categories (\(CorpusCategory.allCases.map(\.rawValue).joined(separator: ", "))) and program names (\(known.joined(separator: ", "))) separated by commas"
        case .empty(let request):
            return "corpus selection '\(request)' has no programs in the catalogue yet"
        }
    }
}
