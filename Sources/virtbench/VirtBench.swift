#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation

/// The `virtbench` command: subcommands for running guests (and, later, comparing modes).
struct VirtBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "virtbench",
        abstract: "A simulated RISC-V virt machine, hypervisor and benchmark harness.",
        version: VirtBenchVersion.line,
        subcommands: [Run.self, HostCommand.self, SwitchCommand.self, Compare.self, Conform.self, Corpus.self, Bench.self, FuzzCommand.self, Transitions.self, ImageCommand.self, PoolCommand.self]
    )
}

/// A user-facing failure: printed as one line, exit status 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Exit with a specific status after a run (the guest's verdict), without an error message.
struct GuestExit: Error {
    let status: Int32
}

/// Entry point: ArgumentParser's own error output is several lines (usage, hints) and exits
/// with 64; scripts and the harness want one `virtbench: error: ...` line and status 1.
@main
enum Main {
    static func main() {
        let status: Int32
        do {
            var arguments = Array(CommandLine.arguments.dropFirst())
            // `run` takes QEMU's spellings: its words are read by QEMU's rules first (QEMUArguments).
            if arguments.first == "run" {
                switch try QEMUArguments.normalize(Array(arguments.dropFirst())) {
                case .version:
                    print(VirtBenchVersion.line)
                    exit(0)
                case .run(let words):
                    arguments = ["run"] + words
                }
            }
            if arguments.first == "image", arguments.count > 1, ImageCommand.laterSubcommands.contains(arguments[1]) {
                throw CommandError("image \(arguments[1]): not available yet; create, info, check, convert, commit, rebase, snapshot and bitmap are (qemu-img's \(arguments[1]) is a later slice of issue 20)")
            }
            var command = try VirtBench.parseAsRoot(arguments)
            try command.run()
            status = 0
        } catch let exit as GuestExit {
            status = exit.status
        } catch let error as CommandError {
            status = fail(error.description)
        } catch {
            // Help and --version are "errors" with a success code: let ArgumentParser print them.
            if VirtBench.exitCode(for: error) == .success { VirtBench.exit(withError: error) }
            let message = VirtBench.message(for: error)
            let first = message.split(separator: "\n").first.map(String.init) ?? "\(error)"
            status = fail(first.hasPrefix("Error: ") ? String(first.dropFirst("Error: ".count)) : first)
        }
        Console.restoreTerminal()
        exit(status)
    }

    static func fail(_ message: String) -> Int32 {
        writeStandardError("virtbench: error: " + message.split(separator: "\n").joined(separator: " ") + "\n")
        return 1
    }
}

/// One line to stderr, unbuffered (stdout belongs to the guest's console).
func printError(_ text: String) {
    writeStandardError(text + "\n")
}

/// `text` to stderr as it is, straight to the file descriptor (no buffering to flush). Errors
/// are ignored: there is nowhere left to report them.
func writeStandardError(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
}
