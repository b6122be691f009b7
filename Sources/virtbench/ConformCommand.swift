import ArgumentParser
import Foundation
import Harness

/// `virtbench conform`: the conformance suites in each mode, as a program × mode table.
struct Conform: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conform",
        abstract: "Run the conformance suites in each mode and print a program × mode table.",
        discussion: """
        A program passes when it prints its expected last line and exits with status 0; in a mode \
        other than native it must also print exactly what native printed and exit the same way. \
        Exit status: 0 when nothing failed, 1 on any failure or bad input.
        """
    )

    @Option(name: .customLong("mode"), help: "A mode to run (repeatable or comma-separated; default: all).")
    var modes: [String] = []

    @Option(name: [.customLong("suite"), .customLong("corpus")],
            help: "Which programs: isa, cpu, os, small, all, or names (default: isa self-checks, small workloads and the corpus kernel).")
    var suite: String?

    @Option(name: .customLong("max-insns"), parsing: .unconditional, help: "Stop a run that has not finished after this many instructions.",
            transform: NumberArgument.count("the instruction limit"))
    var maxInstructions: UInt64 = 4_000_000_000

    func run() throws {
        let setup = try CommandSetup(modes: modes, corpus: suite, maxInstructions: maxInstructions, realTime: false,
                                     resolveSelection: { request throws(CorpusSelectionError) in try Conformance.suites(request) })
        let progress = ProgressLine()
        let report: ComparisonReport
        do {
            report = try Conformance.run(setup.selection, modes: setup.modes, options: setup.options,
                                         build: { program throws(CorpusBuildError) in try setup.builder.build(program) },
                                         progress: progress.show)
        } catch {
            progress.finish()
            throw CommandError(error.description)
        }
        progress.finish()
        print(Conformance.table(report), terminator: "")
        if report.hasFailures { throw CommandError("conformance failures (see the table above)") }
    }
}
