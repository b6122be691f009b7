import ArgumentParser
import Foundation
import Harness

/// `virtbench corpus`: what the corpus holds, and building it.
struct Corpus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "List or build the guest-program corpus.",
        subcommands: [List.self, Build.self]
    )

    /// `virtbench corpus list`: one line per program with everything the harness knows about it.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List corpus programs: category, ISA, modes, pass signal.")

        @Option(help: "Only this category (\(CorpusCategory.allCases.map(\.rawValue).joined(separator: ", "))).")
        var category: String?

        func run() throws {
            var programs = CorpusCatalogue.all
            if let category {
                guard let chosen = CorpusCategory(rawValue: category) else {
                    throw CommandError("unknown category '\(category)' (known: \(CorpusCategory.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                programs = programs.filter { $0.category == chosen }
            }
            var rows: [[String]] = [["name", "category", "isa", "modes", "passes when"]]
            for program in programs {
                let isa: String
                switch program.architecture {
                case .riscv64(let march): isa = march
                case .thumbv6m: isa = "thumbv6m"
                }
                let modes = ModeRegistry.implemented.filter { $0.refusal(for: program) == nil }.map(\.name)
                rows.append([program.name, program.category.rawValue, isa, modes.isEmpty ? "none yet" : modes.joined(separator: ","),
                             "exit 0, last line \"\(program.expectedFinalLine)\""])
            }
            print(PlainTextTable.render(rows, ruleUnderHeader: false), terminator: "")
            let absent = CorpusCategory.allCases.filter { category in !CorpusCatalogue.all.contains { $0.category == category } }
            if category == nil, !absent.isEmpty {
                print("no programs yet in: \(absent.map(\.rawValue).joined(separator: ", "))")
            }
        }
    }

    /// `virtbench corpus build`: compile programs into .build/corpus/ (only what changed).
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "build", abstract: "Build corpus programs into .build/corpus/ (all, or a selection).")

        @Argument(help: "Programs or a selection (default, small, a category, all); default: all.")
        var selection: [String] = []

        func run() throws {
            var programs = selection.isEmpty ? CorpusCatalogue.all : []
            for request in selection {
                do {
                    for program in try CorpusSelection.resolve(request).programs where !programs.contains(program) { programs.append(program) }
                } catch {
                    throw CommandError(error.description)
                }
            }
            let builder: CorpusBuilder
            do { builder = try CorpusBuilder.forThisPackage() } catch { throw CommandError(error.description) }
            for program in programs {
                do {
                    let image = try builder.build(program)
                    print("\(program.name): \(image.path)")
                } catch {
                    throw CommandError(error.description)
                }
            }
        }
    }
}
