import ArgumentParser
import Foundation
import Harness

/// `virtbench transitions`: the hypervisor's own cost per transition kind (issue 22), in host
/// nanoseconds, measured in process by `TransitionBench` (a guest that makes N transitions and
/// then runs the same loop without them; the difference over N).
struct Transitions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transitions",
        abstract: "Measure host nanoseconds per hypervisor transition (exits, trapped CSRs, reflected traps, shadow faults, hypercalls).",
        discussion: """
        Each kind runs on a fresh host of its mode --rounds times; the figure is the median. Build virtbench in \
        release mode for meaningful figures; compare two builds side by side, since the host is shared.
        """
    )

    @Option(parsing: .unconditional, help: "Rounds per kind; the figure is the median.", transform: NumberArgument.smallCount("the number of rounds"))
    var rounds: Int = 5

    @Option(help: ArgumentHelp("Only kinds whose name contains this text.", valueName: "text"))
    var filter: String?

    func run() throws {
        let kinds = TransitionBench.all.filter { kind in filter.map { kind.name.localizedCaseInsensitiveContains($0) } ?? true }
        guard !kinds.isEmpty else { throw CommandError("no transition kind matches '\(filter ?? "")'") }
        print("kind".padding(toLength: 58, withPad: " ", startingAt: 0) + "  ns/transition (median)   rounds")
        for kind in kinds {
            let figure: TransitionBench.Figure
            do { figure = try TransitionBench.measure(kind, rounds: rounds) } catch { throw CommandError("\(error)") }
            let rounds = figure.rounds.map { String(format: "%.0f", $0) }.joined(separator: " ")
            print(kind.name.padding(toLength: 58, withPad: " ", startingAt: 0)
                  + String(format: "  %10.1f", figure.nanosecondsPerTransition) + "               " + rounds)
        }
    }
}
