import ArgumentParser
import Foundation
import Harness

/// `virtbench fuzz`: generated hostile guests, mutated ELFs and mutated save files, each run
/// by this same binary as a child (`virtbench run`, `virtbench host`, `virtbench host
/// --restore`) with a deadline, and checked for deaths by signal, Swift runtime traps, overruns
/// and malformed errors (issue 15). A crash ends one child, never the campaign.
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Fuzz virtbench with hostile guests, mutated ELFs and mutated save files, each in a child process.",
        discussion: """
        The same --seed and --count make byte-identical cases. Every finding is kept in --out as \
        a folder with its input files, what it printed and repro.sh. Exit status: 0 when nothing \
        was found, \(FuzzCommand.findingsExitStatus) when something was, 1 on bad input.
        """
    )

    static let findingsExitStatus: Int32 = 2

    @Option(help: ArgumentHelp("Campaign seed (default: from the clock; always printed).", valueName: "n"))
    var seed: UInt64?

    @Option(help: ArgumentHelp("Cases per kind.", valueName: "n"))
    var count: Int = 50

    @Option(help: ArgumentHelp("Kinds of case: guest, elf, save (comma-separated).", valueName: "list"))
    var kinds: String = FuzzKind.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: ArgumentHelp("Modes cases run in: native, hav, full, para, host (save files need host).", valueName: "list"))
    var modes: String = FuzzMode.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: ArgumentHelp("Children running at a time.", valueName: "n"))
    var jobs: Int = 2

    @Option(help: ArgumentHelp("Seconds a case may run before it counts as an overrun and is killed.", valueName: "seconds"))
    var timeout: Double = 10

    @Option(help: ArgumentHelp("Folder for the reproducers of findings (default: a folder in the system's temporary directory).", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Built corpus kernels to mutate as well, or none (default: this checkout's .build/corpus when it exists).", valueName: "dir|none"))
    var corpus: String?

    func run() throws {
        guard count >= 0 else { throw CommandError("--count must be 0 or more, not \(count)") }
        guard (1 ... 64).contains(jobs) else { throw CommandError("--jobs must be from 1 to 64, not \(jobs)") }
        guard timeout > 0, timeout <= 86_400 else { throw CommandError("--timeout must be a positive number of seconds, at most 86400 (a day), not \(timeout)") }
        let chosenKinds: [FuzzKind] = try Self.parseList(kinds, option: "--kinds")
        let chosenModes: [FuzzMode] = try Self.parseList(modes, option: "--modes")
        let campaignSeed = seed ?? UInt64(Date().timeIntervalSince1970 * 1000)
        let outputDirectory = out ?? FileManager.default.temporaryDirectory.appendingPathComponent("virtbench-fuzz-\(campaignSeed)").path
        let executable = Self.ownExecutable()
        let corpusDirectory = corpus == "none" ? nil : corpus ?? Self.defaultCorpusDirectory()

        let campaign: FuzzCampaign
        do {
            campaign = try FuzzCampaign(FuzzCampaignConfiguration(
                seed: campaignSeed, count: count, kinds: chosenKinds, modes: chosenModes, jobs: jobs, timeout: timeout,
                outputDirectory: outputDirectory, executable: executable, corpusDirectory: corpusDirectory))
        } catch {
            throw CommandError("\(error)")
        }
        defer { campaign.removeWorkDirectory() }
        writeStandardOutput("virtbench fuzz --seed \(campaignSeed) --count \(count) --kinds \(chosenKinds.map(\.rawValue).joined(separator: ",")) "
                            + "--modes \(chosenModes.map(\.rawValue).joined(separator: ",")) --jobs \(jobs) --timeout \(timeout)\n")
        writeStandardOutput("binary: \(executable)\n")
        writeStandardOutput("reproducers: \(outputDirectory)\n")
        let corpusNames = campaign.plan.corpusKernels.values.flatMap { $0.map(\.name) }.sorted()
        if chosenKinds.contains(.elf) {
            writeStandardOutput("ELF bases: generated images" + (corpusNames.isEmpty ? "" : ", corpus " + corpusNames.joined(separator: ", ")) + "\n")
        }
        if chosenKinds.contains(.save) && !chosenModes.contains(.host) {
            writeStandardOutput("save: no cases (save files are restored by virtbench host: add host to --modes)\n")
        }
        let started = Date()
        do { try campaign.prepareSaveBase() } catch { throw CommandError("\(error)") }
        if let base = campaign.plan.saveBase {
            writeStandardOutput("save base: \(base.serialized().count) bytes, \(base.pages.count) stored pages\n")
        }
        let results = campaign.run { line in writeStandardOutput(line + "\n") }
        if !campaign.harnessErrors.isEmpty {
            throw CommandError("\(campaign.harnessErrors.count) cases could not be run; first: \(campaign.harnessErrors[0])")
        }
        let summary = FuzzSummary(results: results)
        let elapsed = Date().timeIntervalSince(started)
        writeStandardOutput("\n" + summary.render())
        let rate = elapsed > 0 ? Double(results.count) / elapsed : 0
        writeStandardOutput("\(results.count) cases in \(String(format: "%.1f", elapsed)) s (\(String(format: "%.1f", rate)) cases/s), seed \(campaignSeed)\n")
        if !summary.findings.isEmpty {
            writeStandardOutput("\(summary.findings.count) findings; reproducers in \(outputDirectory)\n")
            throw GuestExit(status: Self.findingsExitStatus)
        }
    }

    static func parseList<Value: RawRepresentable & CaseIterable>(_ text: String, option: String) throws -> [Value] where Value.RawValue == String {
        var values: [Value] = []
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let value = Value(rawValue: name) else {
                throw CommandError("\(option): unknown '\(name)' (known: \(Value.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            values.append(value)
        }
        guard !values.isEmpty else { throw CommandError("\(option) names nothing") }
        return values
    }

    /// This process's own binary: the children are the same build.
    static func ownExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func defaultCorpusDirectory() -> String? {
        guard let root = try? PackageRoot.locate() else { return nil }
        let directory = root.appendingPathComponent(".build/corpus").path
        return FileManager.default.fileExists(atPath: directory) ? directory : nil
    }
}
