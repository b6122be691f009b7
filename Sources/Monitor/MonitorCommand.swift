/// One line typed at the monitor's `(qemu) ` prompt, as QEMU's human monitor (HMP) reads it.
///
/// Only the commands listed in `MonitorCommand.table` exist; anything else gets QEMU's
/// `unknown command: 'xyz'` line. Numbers are decimal, or hexadecimal with 0x, as HMP accepts them.
public enum MonitorCommand: Equatable, Sendable {
    /// `help` or `?`, optionally naming a command.
    case help(topic: String?)
    /// `info` alone: the list of `info` subcommands.
    case infoList
    /// `info registers [-a|N]`.
    case infoRegisters(RegisterScope)
    /// `info cpus`.
    case infoCPUs
    /// `info status`.
    case infoStatus
    /// `cpu N`: the CPU that `info registers` shows by default.
    case selectCPU(Int)
    /// `stop`.
    case stop
    /// `cont` or `c`.
    case cont
    /// `system_reset`.
    case systemReset
    /// `quit` or `q`.
    case quit

    /// Which harts `info registers` shows.
    public enum RegisterScope: Equatable, Sendable {
        /// The monitor's current CPU (`cpu N` sets it).
        case current
        /// `-a`: every CPU.
        case all
        /// A CPU by index.
        case cpu(Int)
    }

    /// A command's names, argument synopsis and help line, in the order `help` lists them.
    public struct Entry: Sendable {
        public let names: [String]
        public let arguments: String
        public let help: String
        /// QEMU's help line: `name[|alias] args -- help`.
        public var line: String { names.joined(separator: "|") + " " + arguments + " -- " + help }
    }

    public static let table: [Entry] = [
        Entry(names: ["cont", "c"], arguments: "", help: "resume emulation"),
        Entry(names: ["cpu"], arguments: "index", help: "set the default CPU"),
        Entry(names: ["help", "?"], arguments: "[cmd]", help: "show the help"),
        Entry(names: ["info"], arguments: "[subcommand]", help: "show various information about the system state"),
        Entry(names: ["quit", "q"], arguments: "", help: "quit the emulator"),
        Entry(names: ["stop"], arguments: "", help: "stop emulation"),
        Entry(names: ["system_reset"], arguments: "", help: "reset the system"),
    ]

    public static let infoTable: [Entry] = [
        Entry(names: ["info cpus"], arguments: "", help: "show infos for each CPU"),
        Entry(names: ["info registers"], arguments: "[-a|vcpu]",
              help: "show the cpu registers (-a: show register info for all cpus; vcpu: specific vCPU to query; show the current CPU's registers if no argument is specified)"),
        Entry(names: ["info status"], arguments: "", help: "show the current VM status (running|paused)"),
    ]

    /// Why a line is not a command; `lines` is what the monitor prints.
    public struct ParseError: Error, Equatable, Sendable {
        public let lines: [String]
        init(_ lines: String...) { self.lines = lines }
    }

    /// The command on `line`; nil for a blank line.
    public static func parse(_ line: String) throws(ParseError) -> MonitorCommand? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let name = words.first else { return nil }
        let arguments = Array(words.dropFirst())
        func noArguments(_ command: MonitorCommand) throws(ParseError) -> MonitorCommand {
            guard arguments.isEmpty else { throw ParseError("\(name): extraneous characters at the end of line") }
            return command
        }
        switch name {
        case "help", "?":
            guard arguments.count <= 1 else { throw ParseError("\(name): extraneous characters at the end of line") }
            return .help(topic: arguments.first)
        case "info": return try parseInfo(arguments)
        case "cpu":
            guard let text = arguments.first else {
                throw ParseError("unexpected end of expression", "Try \"help cpu\" for more information")
            }
            guard arguments.count == 1 else { throw ParseError("cpu: extraneous characters at the end of line") }
            guard let index = number(text) else { throw ParseError("invalid char in expression", "Try \"help cpu\" for more information") }
            return .selectCPU(index)
        case "stop": return try noArguments(.stop)
        case "cont", "c": return try noArguments(.cont)
        case "system_reset": return try noArguments(.systemReset)
        case "quit", "q": return try noArguments(.quit)
        default: throw ParseError("unknown command: '\(name)'")
        }
    }

    private static func parseInfo(_ arguments: [String]) throws(ParseError) -> MonitorCommand {
        guard let item = arguments.first else { return .infoList }
        let rest = arguments.dropFirst()
        switch item {
        case "registers":
            guard let scope = rest.first else { return .infoRegisters(.current) }
            guard rest.count == 1 else { throw ParseError("info registers: extraneous characters at the end of line") }
            if scope == "-a" { return .infoRegisters(.all) }
            guard let index = number(scope) else { throw ParseError("invalid char in expression", "Try \"help info\" for more information") }
            return .infoRegisters(.cpu(index))
        case "cpus", "status":
            guard rest.isEmpty else { throw ParseError("info \(item): extraneous characters at the end of line") }
            return item == "cpus" ? .infoCPUs : .infoStatus
        default:
            throw ParseError("unknown command: 'info \(item)'")
        }
    }

    /// A non-negative number in decimal or 0x hexadecimal; nil if it is not one.
    static func number(_ text: String) -> Int? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return Int(text.dropFirst(2), radix: 16) }
        guard let value = Int(text), value >= 0 else { return nil }
        return value
    }

    /// What `help` prints: every command, or the one named (nil if there is no such command).
    public static func helpLines(topic: String?) -> [String]? {
        guard let topic else { return table.map(\.line) }
        if topic == "info" { return infoTable.map(\.line) }
        guard let entry = table.first(where: { $0.names.contains(topic) }) else { return nil }
        return [entry.line]
    }
}
