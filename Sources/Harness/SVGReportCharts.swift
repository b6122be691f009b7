import Foundation

/// The charts of a comparison report, drawn from `report.json`'s content alone.
public enum ReportCharts {
    /// File name → SVG document, in the order the Markdown report shows them.
    public static func render(_ report: ComparisonReport) -> [(file: String, svg: String)] {
        [
            ("throughput.svg", throughput(report).render()),
            ("mips.svg", mips(report).render()),
            ("events.svg", events(report).render()),
            ("cycles.svg", cycles(report).render()),
        ]
    }

    static func implementedModes(_ report: ComparisonReport) -> [String] {
        report.modes.filter(\.implemented).map(\.name)
    }

    static func missingNote(_ report: ComparisonReport) -> String {
        let missing = report.modes.filter { !$0.implemented }.map(\.name)
        return missing.isEmpty ? "" : " · not implemented yet: \(missing.joined(separator: ", "))"
    }

    /// Relative throughput per workload and mode (measured).
    public static func throughput(_ report: ComparisonReport) -> SVGBarChart {
        let modes = implementedModes(report)
        return SVGBarChart(
            title: "Relative throughput per workload and mode",
            subtitle: "measured: native median wall time ÷ mode's (1.0 = native)\(missingNote(report))",
            yLabel: "relative throughput", categories: report.workloads,
            series: modes.map { mode in
                SVGBarChart.Series(name: mode, values: report.workloads.map { report.result(workload: $0, mode: mode)?.relativeThroughput })
            },
            referenceLine: 1
        )
    }

    /// Guest MIPS per workload and mode (measured).
    public static func mips(_ report: ComparisonReport) -> SVGBarChart {
        SVGBarChart(
            title: "Guest MIPS per workload and mode",
            subtitle: "measured: guest instructions per wall-clock microsecond, median of \(report.settings.rounds) round(s)\(missingNote(report))",
            yLabel: "MIPS", categories: report.workloads,
            series: implementedModes(report).map { mode in
                SVGBarChart.Series(name: mode, values: report.workloads.map { report.result(workload: $0, mode: mode)?.medianMIPS })
            }
        )
    }

    /// The event kinds the charts and tables break counts into (everything but instructions).
    static let eventKinds = CostEvent.allCases.filter { $0 != .instruction }

    /// Labels "workload" with one mode, "workload · mode" with several.
    static func cells(_ report: ComparisonReport) -> [(label: String, result: WorkloadResult)] {
        let modes = implementedModes(report)
        var cells: [(String, WorkloadResult)] = []
        for workload in report.workloads {
            for mode in modes {
                guard let result = report.result(workload: workload, mode: mode), result.counts != nil else { continue }
                cells.append((modes.count == 1 ? workload : "\(workload) · \(mode)", result))
            }
        }
        return cells
    }

    /// Event kinds that never happened would only crowd the legend; the tables still list them.
    static func withData(_ series: [SVGBarChart.Series]) -> [SVGBarChart.Series] {
        series.filter { $0.values.contains { ($0 ?? 0) > 0 } }
    }

    /// Events per thousand instructions (exact counts).
    public static func events(_ report: ComparisonReport) -> SVGBarChart {
        let cells = cells(report)
        return SVGBarChart(
            title: "Events per thousand instructions",
            subtitle: "exact counts from the first round, by kind",
            yLabel: "events / 1000 instructions", categories: cells.map(\.label),
            series: withData(eventKinds.map { kind in
                SVGBarChart.Series(name: kind.rawValue, values: cells.map { cell in
                    guard let counts = cell.result.counts, counts["instructions"] > 0 else { return nil }
                    return Double(kind.count(in: counts)) * 1000 / Double(counts["instructions"])
                })
            })
        )
    }

    /// Modeled cycles per instruction, broken down by event kind, per profile.
    public static func cycles(_ report: ComparisonReport) -> SVGBarChart {
        var labels: [String] = []
        var breakdowns: [[CostEvent: Double]] = []
        for cell in cells(report) {
            let instructions = Double(cell.result.counts?["instructions"] ?? 0)
            guard instructions > 0 else { continue }
            for modeled in cell.result.modeled {
                labels.append("\(cell.label) · \(modeled.profile)")
                breakdowns.append(modeled.cyclesByEvent.mapValues { $0 / instructions })
            }
        }
        let estimates = report.profiles.filter(\.hasEstimates).map(\.name)
        return SVGBarChart(
            title: "Modeled cycles per guest instruction, by event",
            subtitle: "modeled: exact counts × profile cycles" + (estimates.isEmpty ? "" : " · estimates in \(estimates.joined(separator: ", "))"),
            yLabel: "modeled cycles / instruction", categories: labels,
            series: withData(CostEvent.allCases.map { kind in SVGBarChart.Series(name: kind.rawValue, values: breakdowns.map { $0[kind] }) }),
            stacked: true
        )
    }
}
