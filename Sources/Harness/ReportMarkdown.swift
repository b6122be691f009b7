import Foundation

/// `report.md`: the comparison for people, drawn from the report alone. Every number's
/// column says whether it is measured, exact or modeled.
public enum ReportMarkdown {
    public static func render(_ report: ComparisonReport, chartFiles: [String] = []) -> String {
        var text = "# VirtBench comparison \(report.runID)\n\n"
        text += "Created \(report.createdAt) on \(report.host.hostName) (\(report.host.processorCount) processors, \(report.host.operatingSystem))"
        text += report.host.commit.map { " from commit \($0)" } ?? " from an unknown commit"
        text += ".\n"
        text += "Corpus: \(report.settings.corpus); \(report.settings.rounds) round(s) per program and mode; "
        text += report.settings.virtualTime ? "virtual time (deterministic counts); " : "real time; "
        text += "instruction limit \(report.settings.instructionLimit); RAM \(report.settings.ramSize >> 20) MiB.\n\n"

        text += "## What the numbers are\n\n"
        text += "- **measured**: wall time, MIPS and relative throughput are host measurements and vary between runs and machines.\n"
        text += "- **exact**: event counts come from the simulated hart and the mode; in virtual-time mode two runs give the same counts.\n"
        text += "- **modeled**: cycles are exact counts multiplied by a cost profile's figures. Figures marked \(FigureStatus.estimateNames) are estimates, not the cited paper's printed numbers.\n\n"

        if !report.notes.isEmpty {
            text += "## Notes\n\n" + report.notes.map { "- \($0)\n" }.joined() + "\n"
        }

        text += "## Modes\n\n| mode | status | what runs where |\n|---|---|---|\n"
        for mode in report.modes {
            text += "| \(cell(mode.name)) | \(mode.implemented ? "implemented" : "not implemented yet") | \(cell(mode.summary)) |\n"
        }

        text += "\n## Results\n\n"
        text += "| workload | mode | status | median wall s (measured) | instructions (exact) | MIPS (measured) | relative throughput (measured) | checksum | equivalent to native | counts stable |\n"
        text += "|---|---|---|---:|---:|---:|---:|---|---|---|\n"
        for result in report.results where result.status != .skipped {
            let status = result.reason.map { "\(result.status.rawValue): \(cell($0))" } ?? result.status.rawValue
            text += "| \(cell(result.workload)) | \(result.mode) | \(status) | \(number(result.medianWallSeconds, "%.4f")) | "
            text += "\(result.counts.map { String($0["instructions"]) } ?? "–") | \(number(result.medianMIPS, "%.3g")) | "
            text += "\(number(result.relativeThroughput, "%.3f")) | \(result.checksum.map(cell) ?? "–") | \(flag(result.equivalentToNative, none: result.mode == "native" ? "baseline" : "–")) | \(flag(result.countsStable, none: "–")) |\n"
        }
        if !report.skipLines.isEmpty {
            text += "\nNot run (a mode that cannot run a program says why, once per reason):\n\n"
            text += report.skipLines.map { "- \($0)\n" }.joined()
        }

        let measured = report.results.filter { $0.counts != nil }
        if !measured.isEmpty {
            text += "\n## Events per thousand instructions (exact counts)\n\n"
            let kinds = ReportCharts.eventKinds
            text += "| workload | mode | " + kinds.map(\.rawValue).joined(separator: " | ") + " |\n"
            text += "|---|---|" + String(repeating: "---:|", count: kinds.count) + "\n"
            for result in measured {
                guard let counts = result.counts else { continue }
                let instructions = Double(max(counts["instructions"], 1))
                text += "| \(cell(result.workload)) | \(result.mode) | "
                text += kinds.map { String(format: "%.3f", Double($0.count(in: counts)) * 1000 / instructions) }.joined(separator: " | ") + " |\n"
            }

            if !report.profiles.isEmpty {
                text += "\n## Modeled cost (cost profiles × exact counts)\n\n"
                text += "| workload | mode | profile | modeled cycles | modeled cycles / instruction | modeled seconds | largest non-instruction share |\n"
                text += "|---|---|---|---:|---:|---:|---|\n"
                for result in measured {
                    let instructions = Double(max(result.counts?["instructions"] ?? 1, 1))
                    for modeled in result.modeled {
                        let others = modeled.cyclesByEvent.filter { $0.key != .instruction }.max { $0.value < $1.value }
                        let share = others.map { modeled.totalCycles > 0 ? $0.key.rawValue + " " + String(format: "%.1f%%", $0.value / modeled.totalCycles * 100) : "–" } ?? "–"
                        text += "| \(cell(result.workload)) | \(result.mode) | \(modeled.profile) | \(String(format: "%.0f", modeled.totalCycles)) | "
                        text += "\(String(format: "%.2f", modeled.totalCycles / instructions)) | \(String(format: "%.6f", modeled.seconds)) | \(share) |\n"
                    }
                }
            }
        }

        text += microbenchmarkSections(report)
        text += hypercallSection(report)
        text += transitionCostSection(report)
        let emulation = EmulationSummary.rows(report)
        if !emulation.isEmpty {
            text += "\n## Emulation (ARMv6-M Thumb translated to RV64)\n\n```\n" + EmulationSummary.table(emulation) + "```\n"
        }

        if !chartFiles.isEmpty {
            text += "\n## Charts\n\n" + chartFiles.map { "![\($0)](\($0))\n" }.joined()
        }

        if !report.profiles.isEmpty {
            text += "\n## Cost profiles\n\n"
            for profile in report.profiles {
                text += "### \(profile.name)\n\n\(profile.title)\n\n| event | cycles | status | source |\n|---|---:|---|---|\n"
                text += "| clock | \(String(format: "%.3g", profile.clock.hertz / 1e9)) GHz | \(status(profile.clock.status)) | \(cell(profile.clock.source)) |\n"
                for event in CostEvent.allCases {
                    guard let figure = profile.figures[event] else { continue }
                    text += "| \(event.rawValue) | \(String(format: "%g", figure.cycles)) | \(status(figure.status)) | \(cell(figure.source)) |\n"
                }
                text += "\n"
            }
        }
        return text
    }

    static func status(_ status: FigureStatus) -> String {
        status.isEstimate ? "\(status.rawValue) (estimate)" : status.rawValue
    }

    static func number(_ value: Double?, _ format: String) -> String {
        guard let value, value.isFinite else { return "–" }
        return String(format: format, value)
    }

    static func flag(_ value: Bool?, none: String) -> String {
        guard let value else { return none }
        return value ? "yes" : "**no**"
    }

    /// Table cells must not break the table: pipes escaped, line breaks flattened.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: " ")
    }

    /// The OS-bound microbenchmarks across modes (`MicrobenchmarkComparison`, computed once
    /// with the report): transitions by kind, para beside full, modeled cycles per iteration,
    /// and the Adams & Agesen comparison.
    static func microbenchmarkSections(_ report: ComparisonReport) -> String {
        let view = report.microbenchmarks ?? MicrobenchmarkComparison(results: report.results, profiles: report.profiles)
        guard !view.isEmpty else { return "" }
        var text = "\n## Transitions into the hypervisor per OS-bound microbenchmark (exact counts)\n\n"
        text += "Counted between the corpus kernel's result lines: VM exits by reason (hav); traps by instruction, reflected traps, "
        text += "shadow page faults and resyncs (full); hypercalls by kind and reflected traps (para). Resyncs are listed but are not "
        text += "transitions (the trap that asked for one is).\n\n"
        text += "| workload | mode | microbenchmark | iterations | transitions | per iteration | by kind: count (per iteration) |\n"
        text += "|---|---|---|---:|---:|---:|---|\n"
        for row in view.rows {
            let kinds = row.byKind.sorted { $0.key < $1.key }.map { key, count in
                "\(key) \(count)" + (row.iterations.map { " (\(MicrobenchmarkComparison.amount(Double(count) / Double($0))))" } ?? "")
            }
            let listed = kinds.isEmpty ? (row.note == nil ? "none" : "–") : kinds.joined(separator: ", ")
            let detail = listed + (row.note.map { " (\(cell($0)))" } ?? "")
            let transitions = row.note != nil && row.byKind.isEmpty ? "–" : String(row.transitions)
            text += "| \(cell(row.workload)) | \(row.mode) | \(row.microbenchmark) | \(row.iterations.map(String.init) ?? "–") | "
            text += "\(transitions) | \(number(row.transitionsPerIteration, "%.3g")) | \(detail) |\n"
        }
        if !view.missing.isEmpty {
            text += "\nWithout per-microbenchmark counts: " + view.missing.map { "\(cell($0.workload)) in \($0.mode) (\(cell($0.reason)))" }.joined(separator: "; ") + ".\n"
        }

        if !view.paraVersusFull.isEmpty {
            text += "\n### para beside full: transitions per iteration\n\n| microbenchmark | full | para | para ÷ full |\n|---|---:|---:|---:|\n"
            for ratio in view.paraVersusFull {
                text += "| \(ratio.microbenchmark) | \(number(ratio.fullPerIteration, "%.3g")) | \(number(ratio.paraPerIteration, "%.3g")) | \(number(ratio.ratio, "%.3g")) |\n"
            }
        }

        if !report.profiles.isEmpty {
            text += "\n## Modeled cycles per iteration of each OS-bound microbenchmark (cost profiles × exact counts)\n\n"
            text += "Rows marked † price only what was counted per microbenchmark without the guest's own instructions and traps "
            text += "(the same guest code runs in every mode): there the figure is what the hypervisor adds.\n\n"
            text += "| workload | microbenchmark | mode | " + report.profiles.map(\.name).joined(separator: " | ") + " | note |\n"
            text += "|---|---|---|" + String(repeating: "---:|", count: report.profiles.count) + "---|\n"
            for row in view.rows {
                let mark = row.includesGuestWork ? "" : " †"
                let figures = report.profiles.map { row.cyclesPerIteration[$0.name].map { String(format: "%.0f", $0) + mark } ?? "–" }
                text += "| \(cell(row.workload)) | \(row.microbenchmark) | \(row.mode) | " + figures.joined(separator: " | ") + " | \(cell(row.note ?? "")) |\n"
            }
        }

        if !view.adamsAgesen.isEmpty {
            text += "\n## Adams & Agesen 2006: software (full) against hardware (hav)\n\n"
            text += "Modeled cycles per iteration under \(AdamsAgesen2006.profile) (figures marked \(FigureStatus.estimateNames) are estimates); "
            text += "what they reported is from ASPLOS 2006 as recorded in ANCHORS.md, with its status.\n\n"
            text += "| ours | theirs | they reported | status | full cycles | hav cycles | cheaper in ours | agree | why |\n"
            text += "|---|---|---|---|---:|---:|---|---|---|\n"
            for row in view.adamsAgesen {
                let reported = "\(row.reported.winner.rawValue) (\(row.reported.winner.mode)): \(row.reported.basis)"
                let ours = row.ours.map { "\($0.rawValue) (\($0.mode))" } ?? "–"
                let agree = row.uncertain == true ? "uncertain" : row.agrees.map { $0 ? "yes" : "**no**" } ?? "–"
                text += "| \(row.reported.microbenchmark) | \(cell(row.reported.theirs)) | \(cell(reported)) | \(status(row.reported.status)) | "
                text += "\(number(row.softwareCyclesPerIteration, "%.0f")) | \(number(row.hardwareCyclesPerIteration, "%.0f")) | \(ours) | \(agree) | \(cell(row.why)) |\n"
            }
            let settled = view.adamsAgesen.filter { $0.uncertain != true }
            let agreeing = settled.filter { $0.agrees == true }.map(\.reported.microbenchmark)
            let differing = settled.filter { $0.agrees == false }.map(\.reported.microbenchmark)
            let uncertain = view.adamsAgesen.filter { $0.uncertain == true }.map(\.reported.microbenchmark)
            if !agreeing.isEmpty || !differing.isEmpty || !uncertain.isEmpty {
                text += "\nOurs agrees with theirs on " + (agreeing.isEmpty ? "none" : agreeing.joined(separator: ", "))
                text += " and differs on " + (differing.isEmpty ? "none" : differing.joined(separator: ", ")) + ". "
                if !uncertain.isEmpty {
                    let spreads = FigureStatus.allCases.filter(\.isEstimate).map {
                        "\($0.rawValue) ×\(String(format: "%g", $0.spread.low))–\(String(format: "%g", $0.spread.high))"
                    }
                    text += "On \(uncertain.joined(separator: ", ")) the verdict is uncertain: the cheaper side changes as the estimated "
                    text += "prices move within their spread (\(spreads.joined(separator: ", "))), so the counts alone do not settle it. "
                }
                // The reasons each row's counts gave (`why`), gathered: which difference between
                // their machines and ours decided which microbenchmarks.
                func named(_ phrase: String) -> [String] {
                    view.adamsAgesen.filter { $0.why.contains(phrase) }.map(\.reported.microbenchmark)
                }
                var reasons: [String] = []
                let nested = named("G-stage (nested paging)")
                if !nested.isEmpty {
                    reasons.append("our `hav` has a G-stage (nested paging, which x86 gained only later: AMD NPT in 2007, Intel EPT in 2008), "
                                   + "so the guest's page faults and table changes take no exit (\(nested.joined(separator: ", ")))")
                }
                let trapped = named("trap-and-emulate, not binary translation")
                if !trapped.isEmpty {
                    reasons.append("our `full` is trap-and-emulate, not binary translation, so each privileged instruction of the guest "
                                   + "kernel is a trap where their software VMM ran translated code (\(trapped.joined(separator: ", ")))")
                }
                if !reasons.isEmpty {
                    text += "From the counts: " + reasons.joined(separator: "; and ") + "."
                }
                text += "\n"
            }
        }
        return text
    }

    /// The hypervisor's measured host time per transition, with what it means for wall time.
    static func transitionCostSection(_ report: ComparisonReport) -> String {
        guard let costs = report.transitionCosts, !costs.isEmpty else { return "" }
        let rounds = costs.map(\.roundNanoseconds.count).max() ?? 0
        var text = "\n## Host time per transition (measured)\n\n"
        text += "What the hypervisor's own Swift code costs the host for one transition of each kind, measured in this run after "
        text += "the corpus: each kind is a small guest that makes the transition in a loop and then runs the same loop without it "
        text += "(the median of \(rounds) rounds; `virtbench transitions` measures the same kinds). "
        text += "A guest mode's wall time in the results above includes its transitions at about these prices; the rest of its gap "
        text += "to native is the guest's own instructions under two-stage or shadow translation. The host is shared: compare "
        text += "figures within one run, not across runs.\n\n"
        text += "| mode | transition | host ns (median) | rounds |\n|---|---|---:|---|\n"
        for cost in costs {
            let spread = cost.roundNanoseconds.map { String(format: "%.0f", $0) }.joined(separator: ", ")
            text += "| \(cost.mode) | \(cell(cost.kind)) | \(String(format: "%.0f", cost.medianNanoseconds)) | \(spread) |\n"
        }
        for mode in Dictionary(grouping: costs, by: \.mode).keys.sorted() {
            let ofMode = costs.filter { $0.mode == mode }.sorted { $0.medianNanoseconds < $1.medianNanoseconds }
            guard let cheapest = ofMode.first, let dearest = ofMode.last else { continue }
            text += ofMode.count == 1
                ? "\n- \(mode): \(cheapest.kind) costs \(String(format: "%.0f", cheapest.medianNanoseconds)) ns."
                : "\n- \(mode): from \(String(format: "%.0f", cheapest.medianNanoseconds)) ns (\(cheapest.kind)) to "
                    + "\(String(format: "%.0f", dearest.medianNanoseconds)) ns (\(dearest.kind))."
        }
        return text + "\n"
    }

    /// Hypercalls by kind over whole runs (para).
    static func hypercallSection(_ report: ComparisonReport) -> String {
        let rows = report.results.compactMap { result -> String? in
            guard let counts = result.counts, counts.total(prefix: "hypercall.") > 0 else { return nil }
            let kinds = counts.values.filter { $0.key.hasPrefix("hypercall.") }.sorted { $0.key < $1.key }
                .map { "\($0.key.dropFirst("hypercall.".count)) \($0.value)" }
            return "| \(result.workload) | \(result.mode) | \(counts.total(prefix: "hypercall.")) | \(kinds.joined(separator: ", ")) |\n"
        }
        guard !rows.isEmpty else { return "" }
        return "\n## Hypercalls by kind (exact counts, whole run)\n\n| workload | mode | hypercalls | by kind |\n|---|---|---:|---|\n" + rows.joined()
    }
}
