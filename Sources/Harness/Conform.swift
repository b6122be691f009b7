import Foundation

/// `virtbench conform`: every conformance program in every mode, judged against its own
/// expectation and (for modes other than native) against native's console output, exit status
/// and final line. It is a comparison with one round and no cost model, shown as a
/// program × mode table.
public enum Conformance {
    /// The default suites: the ISA self-checks, the small workload variants (which print
    /// checksums and so test equivalence on real computation), the OS-bound corpus kernel,
    /// which is small already, and the small Thumb builds the emulation mode runs. A request is
    /// resolved as `CorpusSelection.resolve` does.
    public static func suites(_ request: String?, catalogue: [CorpusProgram] = CorpusCatalogue.all) throws(CorpusSelectionError) -> CorpusSelection {
        if let request { return try CorpusSelection.resolve(request, catalogue: catalogue) }
        let programs = catalogue.filter {
            $0.category == .isa || $0.category == .os
                || ($0.category == .cpu && $0.name.hasSuffix(CorpusSelection.smallSuffix))
                || ($0.category == .thumb && CorpusSelection.isSmall(CorpusSelection.rv64Name(of: $0)))
        }
        guard !programs.isEmpty else { throw .empty("conformance suites") }
        return CorpusSelection(programs: programs, description: "isa self-checks, small workloads, the corpus kernel and the small Thumb builds",
                               notes: [])
    }

    /// Runs the suites in `modes` once each.
    public static func run(_ selection: CorpusSelection, modes: [String], options: ModeRunOptions,
                           build: @escaping (CorpusProgram) throws(CorpusBuildError) -> URL,
                           progress: @escaping (String) -> Void = { _ in }) throws(ComparisonError) -> ComparisonReport {
        let plan = ComparisonPlan(corpus: selection, modes: modes, profiles: [], rounds: 1, options: options, measuresTransitionCosts: false)
        return try ComparisonRunner(plan: plan, build: build, progress: progress).run(runID: "conform")
    }

    /// The program × mode table, reasons as numbered notes under it, and a tally.
    public static func table(_ report: ComparisonReport) -> String {
        let modes = report.modes.map(\.name)
        var rows: [[String]] = [["suite", "program"] + modes]
        var notes: [String] = []
        for workload in report.workloads {
            guard let first = report.results.first(where: { $0.workload == workload }) else { continue }
            var row = [first.category.rawValue, workload]
            for mode in modes {
                guard let result = report.result(workload: workload, mode: mode) else { row.append("-"); continue }
                var text: String
                switch result.status {
                case .passed: text = "passed"
                case .failed: text = "FAILED"
                case .skipped: text = "skipped"
                case .planned: text = "not implemented"
                }
                // Every mode that is not implemented gives the same reason: say it once, in the tally.
                if let reason = result.reason, result.status != .planned {
                    notes.append("\(workload) · \(mode): \(reason)")
                    text += " [\(notes.count)]"
                }
                row.append(text)
            }
            rows.append(row)
        }
        var text = PlainTextTable.render(rows)
        for (index, note) in notes.enumerated() { text += "[\(index + 1)] \(note)\n" }
        func count(_ status: ResultStatus) -> Int { report.results.filter { $0.status == status }.count }
        text += "\(count(.passed)) passed, \(count(.failed)) failed, \(count(.skipped)) skipped"
        let missing = report.modes.filter { !$0.implemented }.map(\.name)
        if !missing.isEmpty { text += "; not implemented yet: \(missing.joined(separator: ", "))" }
        return text + "\n"
    }
}
