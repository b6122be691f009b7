#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import Harness

/// `virtbench compare`: run the workload corpus in every mode, several rounds, and write a
/// report (JSON, Markdown, SVG charts) to `results/<run-id>/`.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run the corpus in each mode, measure, and write results/<run-id>/ (report.json, report.md, charts).",
        discussion: """
        Modes: \(ModeRegistry.allNames.joined(separator: ", "))\
        \(ModeRegistry.planned.isEmpty ? "" : " (not implemented yet: \(ModeRegistry.planned.map(\.name).joined(separator: ", ")))"). Corpus: \
        \(CorpusSelection.keywords.joined(separator: ", ")), or categories and program names separated by commas. \
        Exit status: 0 when every program passed in every implemented mode, 1 otherwise or on bad input.
        """
    )

    @Option(name: .customLong("mode"), help: "A mode to run (repeatable or comma-separated; default: all).")
    var modes: [String] = []

    @Option(help: "Which programs: default (cpu and os workloads), small, all, or categories and program names separated by commas.")
    var corpus: String?

    @Option(name: .customLong("profile"), help: "A cost profile name from Corpus/profiles or a .json path (repeatable; default: all shipped).")
    var profiles: [String] = []

    @Option(parsing: .unconditional, help: "Rounds per program and mode; wall time is the median.", transform: NumberArgument.smallCount("the number of rounds"))
    var rounds: Int = 3

    @Flag(help: "Also replace results/latest/ with this report.")
    var publish = false

    @Option(name: .customLong("results"), help: "Results folder (default: results/ in the package).")
    var resultsPath: String?

    /// Full-size workloads retire a few billion instructions; the limit only has to catch a hung guest.
    @Option(name: .customLong("max-insns"), parsing: .unconditional, help: "Stop a run that has not finished after this many instructions.",
            transform: NumberArgument.count("the instruction limit"))
    var maxInstructions: UInt64 = 20_000_000_000

    @Flag(name: .customLong("real-time"), help: "Use the host clock instead of virtual time (counts are then not reproducible).")
    var realTime = false

    func run() throws {
        let setup = try CommandSetup(modes: modes, corpus: corpus, maxInstructions: maxInstructions, realTime: realTime,
                                     resolveSelection: { request throws(CorpusSelectionError) in try CorpusSelection.resolve(request) })
        let profileFolder = setup.root.appendingPathComponent(CostProfileLibrary.directory, isDirectory: true)
        let chosenProfiles: [CostProfile]
        do { chosenProfiles = try CostProfileLibrary.select(profiles, in: profileFolder) } catch { throw CommandError(error.description) }
        let resultsFolder = resultsPath.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? setup.root.appendingPathComponent("results", isDirectory: true)
        let writer = ReportWriter(resultsDirectory: resultsFolder)
        do { try writer.checkWritable() } catch { throw CommandError(error.description) }
        for note in setup.selection.notes { printError("virtbench: note: " + note) }

        let plan = ComparisonPlan(corpus: setup.selection, modes: setup.modes, profiles: chosenProfiles, rounds: rounds, options: setup.options)
        let progress = ProgressLine()
        let runner = ComparisonRunner(plan: plan, build: { program throws(CorpusBuildError) in try setup.builder.build(program) },
                                      progress: progress.show)
        var report: ComparisonReport
        do { report = try runner.run(runID: ComparisonRunner.makeRunID()) } catch {
            progress.finish()
            throw CommandError(error.description)
        }
        progress.finish()
        report.host.commit = BenchHost.commit(in: setup.root)
        let folder: URL
        do { folder = try writer.write(report, publish: publish) } catch { throw CommandError(error.description) }
        print(Summary.table(report), terminator: "")
        print("report: \(folder.path)/report.md" + (publish ? " (published to \(resultsFolder.path)/\(ReportWriter.latestName))" : ""))
        if report.hasFailures { throw CommandError("some programs failed; see \(folder.path)/report.md") }
    }
}

/// What `compare` and `conform` share: the package, the toolchain, the modes and programs.
struct CommandSetup {
    let root: URL
    let builder: CorpusBuilder
    let modes: [String]
    let selection: CorpusSelection
    let options: ModeRunOptions

    init(modes requested: [String], corpus: String?, maxInstructions: UInt64, realTime: Bool,
         resolveSelection: (String?) throws(CorpusSelectionError) -> CorpusSelection) throws {
        guard maxInstructions > 0 else { throw CommandError("--max-insns must be at least 1") }
        do { modes = try ModeRegistry.resolve(requested) } catch { throw CommandError(error.description) }
        do { selection = try resolveSelection(corpus) } catch { throw CommandError(error.description) }
        do {
            builder = try CorpusBuilder.forThisPackage()
        } catch {
            throw CommandError(error.description)
        }
        root = builder.packageRoot
        options = ModeRunOptions(virtualTime: !realTime, instructionLimit: maxInstructions)
    }
}

/// The progress display on stderr: one line rewritten in place on a terminal, plain lines otherwise.
final class ProgressLine: @unchecked Sendable {
    private let interactive = isatty(STDERR_FILENO) != 0
    private var shown = false

    func show(_ text: String) {
        if interactive {
            writeStandardError("\r\u{1b}[K" + text)
            shown = true
        } else {
            printError(text)
        }
    }

    func finish() {
        guard shown else { return }
        writeStandardError("\r\u{1b}[K")
        shown = false
    }
}

/// The summary table `compare` prints at the end.
enum Summary {
    static func table(_ report: ComparisonReport) -> String {
        var rows: [[String]] = [["workload", "mode", "status", "wall s", "MIPS", "relative", "instructions"]]
        for result in report.results where result.status != .skipped {
            rows.append([
                result.workload, result.mode,
                result.status.rawValue,
                result.medianWallSeconds.map { String(format: "%.4f", $0) } ?? "-",
                result.medianMIPS.map { String(format: "%.3g", $0) } ?? "-",
                result.relativeThroughput.map { String(format: "%.3f", $0) } ?? "-",
                result.counts.map { String($0["instructions"]) } ?? "-",
            ])
        }
        var text = PlainTextTable.render(rows)
        let failed = report.results.filter { $0.status == .failed }
        for result in failed { text += "FAILED \(result.workload) · \(result.mode): \(result.reason ?? "")\n" }
        for line in report.skipLines { text += "not run: \(line)\n" }
        let missing = report.modes.filter { !$0.implemented }.map(\.name)
        if !missing.isEmpty { text += "not implemented yet: \(missing.joined(separator: ", "))\n" }
        return text
    }
}
