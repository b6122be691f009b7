import Foundation
import Harness
import Machine

/// A machine that can run a random program's ELF and return what it printed on its UART.
/// QEMU is one target; VirtBench's own board is the other, so the two can be compared.
public protocol RandomProgramTarget {
    /// A short name used in reports and failure files ("qemu", "virtbench").
    var name: String { get }
    /// Runs the ELF at `elf` to its power-off and returns the UART output. Throws when the
    /// machine cannot run it at all (hang, crash of the host side).
    func run(elf: String) throws -> String
}

/// QEMU as a random-program target.
public struct QEMURandomProgramTarget: RandomProgramTarget {
    /// How QEMU is started (CPU options, time limit).
    public var runner: QEMURunner
    /// The name reports and failure files use for this target.
    public var name: String

    /// A QEMU target; give two of them different names to compare QEMU with itself.
    public init(runner: QEMURunner, name: String = "qemu") {
        self.runner = runner
        self.name = name
    }

    /// Boots the ELF; a hang is an error, any other ending returns what the UART printed.
    public func run(elf: String) throws -> String {
        let outcome = try runner.run(kernel: elf)
        if outcome.timedOut {
            throw RandomProgramError.timedOut(target: name, seconds: runner.timeout, partialOutput: outcome.output)
        }
        return outcome.output
    }
}

/// The state dump a random program prints (format in Corpus/random/support.S), as
/// `name=value` fields in print order, so two dumps can be compared field by field.
public struct RandomProgramDump: Sendable, Equatable {
    /// Each printed field in order: `x01`, `f00`, `fcsr`, `m000`, `trap`, ...
    public let fields: [(name: String, value: String)]
    /// True when the dump ran to its `end` line (the program reached its own power-off).
    public let isComplete: Bool
    /// True when the body trapped (the handler printed a `trap` line).
    public let trapped: Bool

    /// Same fields with the same values in the same order, and the same completeness.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.isComplete == rhs.isComplete && lhs.fields.elementsEqual(rhs.fields, by: { $0 == $1 })
    }

    /// Parses UART output; never fails, so a garbled dump still compares (and differs).
    public init(output: String) {
        var fields: [(String, String)] = []
        var complete = false, trapped = false
        // Split on any newline: "\r\n" is one Character in Swift, so splitting on "\n" alone would miss it.
        for rawLine in output.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line == "end" { complete = true; continue }
            if line.hasPrefix("trap ") {
                trapped = true
                fields.append(("trap", String(line.dropFirst(5))))
            } else if let equals = line.firstIndex(of: "=") {
                fields.append((String(line[..<equals]), String(line[line.index(after: equals)...])))
            } else {
                fields.append(("text", line))
            }
        }
        self.fields = fields
        self.isComplete = complete
        self.trapped = trapped
    }

    /// One line per field whose value differs (or that only one side has), in print order.
    public func differences(from other: RandomProgramDump, names: (String, String) = ("reference", "candidate")) -> [String] {
        var result: [String] = []
        let mine = Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        let theirs = Dictionary(other.fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        var seen = Set<String>()
        for name in fields.map(\.name) + other.fields.map(\.name) where seen.insert(name).inserted {
            let left = mine[name], right = theirs[name]
            if left != right {
                result.append("\(name): \(names.0)=\(left ?? "<missing>") \(names.1)=\(right ?? "<missing>")")
            }
        }
        if isComplete != other.isComplete {
            result.append("end: \(names.0)=\(isComplete ? "present" : "missing") \(names.1)=\(other.isComplete ? "present" : "missing")")
        }
        return result
    }
}

/// One compared program.
public struct RandomDifferentialResult: Sendable {
    /// The seed the program was generated from: enough to regenerate it.
    public let seed: UInt64
    /// Empty when both targets printed the same dump.
    public let differences: [String]
    /// Where the failure files were written (nil on a match).
    public let failureDirectory: String?
    /// Instruction units left in the minimized program (nil on a match).
    public let minimizedInstructionCount: Int?

    /// True when both targets printed the same dump.
    public var matched: Bool { differences.isEmpty }
}

/// Runs random programs on a reference machine and a candidate machine and compares their
/// dumps. On a mismatch it keeps everything needed to debug it under `failureDirectory`:
/// the program, both dumps, the differing fields, and a minimized program found by delta
/// debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input",
/// TSE 2002): chunks of instructions are dropped as long as the targets still disagree.
public struct RandomDifferentialTester {
    /// The machine taken as right (QEMU).
    public var reference: any RandomProgramTarget
    /// The machine under test (VirtBench).
    public var candidate: any RandomProgramTarget
    /// Builds each program and each minimization trial.
    public var builder: RandomProgramBuilder
    /// Turns seeds into programs.
    public var generator: RandomProgramGenerator
    /// Where each mismatch gets its folder (default `.build/random/failures`).
    public var failureDirectory: String
    /// Most builds-and-runs spent minimizing one failure; keeps a bad day from taking hours.
    public var minimizationBudget = 250

    /// A tester comparing `candidate` with `reference` on programs from `generator`.
    public init(reference: any RandomProgramTarget, candidate: any RandomProgramTarget,
                builder: RandomProgramBuilder, generator: RandomProgramGenerator = .init(),
                failureDirectory: String? = nil) {
        self.reference = reference
        self.candidate = candidate
        self.builder = builder
        self.generator = generator
        self.failureDirectory = failureDirectory ?? builder.outputDirectory + "/failures"
    }

    /// Generates, runs and compares the program of every seed; returns one result per seed.
    public func run(seeds: some Sequence<UInt64>) throws -> [RandomDifferentialResult] {
        try seeds.map { try check(generator.generate(seed: $0)) }
    }

    /// Compares one program. Throws when the reference itself cannot run it to the end, since
    /// a valid program must always finish on the reference: that is a generator or tool bug.
    public func check(_ program: RandomProgram) throws -> RandomDifferentialResult {
        let name = "seed-" + Self.hex(program.seed)
        let elf = try builder.build(program, name: name)
        let referenceOutput = try reference.run(elf: elf)
        let referenceDump = RandomProgramDump(output: referenceOutput)
        guard referenceDump.isComplete else {
            throw RandomProgramError.incompleteDump(target: reference.name, exitStatus: -1, output: referenceOutput)
        }
        let candidateOutput = runCandidate(elf: elf)
        let differences = referenceDump.differences(from: RandomProgramDump(output: candidateOutput),
                                                    names: (reference.name, candidate.name))
        if differences.isEmpty {
            return RandomDifferentialResult(seed: program.seed, differences: [], failureDirectory: nil,
                                            minimizedInstructionCount: nil)
        }

        let directory = failureDirectory + "/" + name
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try program.assembly.write(toFile: directory + "/program.S", atomically: true, encoding: .utf8)
        try referenceOutput.write(toFile: directory + "/\(reference.name).txt", atomically: true, encoding: .utf8)
        try candidateOutput.write(toFile: directory + "/\(candidate.name).txt", atomically: true, encoding: .utf8)
        try (differences.joined(separator: "\n") + "\n").write(toFile: directory + "/differences.txt",
                                                                atomically: true, encoding: .utf8)

        let minimized = minimize(program, name: name + "-min")
        try minimized.program.assembly.write(toFile: directory + "/minimized.S", atomically: true, encoding: .utf8)
        try minimized.referenceOutput.write(toFile: directory + "/minimized-\(reference.name).txt",
                                            atomically: true, encoding: .utf8)
        try minimized.candidateOutput.write(toFile: directory + "/minimized-\(candidate.name).txt",
                                            atomically: true, encoding: .utf8)
        let minimizedDifferences = RandomProgramDump(output: minimized.referenceOutput)
            .differences(from: RandomProgramDump(output: minimized.candidateOutput), names: (reference.name, candidate.name))
        try (minimizedDifferences.joined(separator: "\n") + "\n").write(toFile: directory + "/minimized-differences.txt",
                                                                         atomically: true, encoding: .utf8)
        return RandomDifferentialResult(seed: program.seed, differences: differences, failureDirectory: directory,
                                        minimizedInstructionCount: minimized.program.instructionCount)
    }

    /// The smallest program found that still makes the targets disagree, with both outputs.
    public func minimize(_ program: RandomProgram, name: String)
        -> (program: RandomProgram, referenceOutput: String, candidateOutput: String)
    {
        var budget = minimizationBudget
        var current = program
        var best: (String, String)? = nil

        // Returns both outputs when `trial` still fails the same way: the reference completes
        // and the candidate's dump differs from it.
        func stillFails(_ trial: RandomProgram) -> (String, String)? {
            guard budget > 0 else { return nil }
            budget -= 1
            guard let elf = try? builder.build(trial, name: name),
                  let referenceOutput = try? reference.run(elf: elf) else { return nil }
            let referenceDump = RandomProgramDump(output: referenceOutput)
            guard referenceDump.isComplete else { return nil }
            let candidateOutput = runCandidate(elf: elf)
            return referenceDump == RandomProgramDump(output: candidateOutput) ? nil : (referenceOutput, candidateOutput)
        }

        best = stillFails(current)
        guard best != nil else {
            // Flaky or budget exhausted: report the original as its own minimization.
            return (program, "", "")
        }
        var chunk = max(current.instructionCount / 2, 1)
        while budget > 0 {
            var start = 0
            var reduced = false
            while budget > 0 {
                let removable = current.units.indices.filter { !current.units[$0].isLabel }
                guard start < removable.count else { break }
                let drop = Set(removable[start..<min(start + chunk, removable.count)])
                let trial = current.removing(unitsAt: drop)
                if let outputs = stillFails(trial) {
                    // The units after the dropped chunk now start at `start`: try them next.
                    current = trial
                    best = outputs
                    reduced = true
                } else {
                    start += chunk
                }
            }
            if !reduced {
                if chunk == 1 { break }
                chunk = max(chunk / 2, 1)
            }
        }
        return (current.pruningUnusedLabels(), best!.0, best!.1)
    }

    /// The candidate's output; an error from it is itself a difference worth recording.
    private func runCandidate(elf: String) -> String {
        do {
            return try candidate.run(elf: elf)
        } catch {
            return "error=\(error)"
        }
    }

    static func hex(_ value: UInt64) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}

/// VirtBench's own `virt` board, run in-process, as a random-program target.
public struct VirtBenchRandomProgramTarget: RandomProgramTarget {
    /// The name reports and failure files use for this target.
    public var name: String
    /// Instructions before the guest counts as hung; generated programs need well under a million.
    public var instructionLimit: UInt64
    /// Give the hart the H extension (for the VS-mode programs).
    public var hypervisor: Bool
    /// Compile blocks to host code, or run the interpreter alone (`HartConfiguration.compileBlocks`).
    public var compileBlocks: Bool
    /// Runs of a block before it is compiled: 0 by default, so that a generated program, whose
    /// blocks mostly run once, tests the compiler and not the dispatch loop.
    public var compileThreshold: UInt32 = 0

    /// A VirtBench target with the default board (128 MiB, virtual time, no firmware).
    public init(name: String = "virtbench", instructionLimit: UInt64 = 50_000_000, hypervisor: Bool = false,
                compileBlocks: Bool = HartConfiguration.compileBlocksByDefault) {
        self.name = name
        self.instructionLimit = instructionLimit
        self.hypervisor = hypervisor
        self.compileBlocks = compileBlocks
    }

    /// Boots the ELF; a hang is an error, any other ending returns what the UART printed.
    public func run(elf: String) throws -> String {
        var options = GuestRun.Options(kernel: elf, instructionLimit: instructionLimit)
        options.board.hypervisor = hypervisor
        options.compileBlocks = compileBlocks
        options.compileThreshold = compileThreshold
        let result = try GuestRun.run(options)
        if result.limitReached {
            throw RandomProgramError.timedOut(target: name, seconds: result.wallSeconds, partialOutput: result.output)
        }
        return result.output
    }
}
