/// What the monitor needs of the machine it controls. `virtbench run` implements it over the
/// board's harts (MonitoredRun); tests over a fixed state.
public protocol MonitorMachine: AnyObject {
    var hartCount: Int { get }
    /// Every hart's registers, read with every hart stopped (the harts run on afterwards unless
    /// the machine is paused); nil once the machine has ended.
    func readHarts() -> [HartRegisters]?
    /// Whether `stop` paused the machine.
    var isPaused: Bool { get }
    /// `stop`: pauses every hart until `resume`.
    func pause()
    /// `cont`.
    func resume()
    /// `system_reset`: restarts the machine as a guest's reset does.
    func reset()
    /// `quit`: ends the run (status 0).
    func quit()
}

/// QEMU's human monitor on a character stream: a line editor with the `(qemu) ` prompt, and the
/// commands of `MonitorCommand` carried out on a `MonitorMachine`. Whoever owns the terminal
/// feeds it the bytes typed while the monitor has the focus (`receive`); everything it prints
/// goes to `output`. Used from one thread at a time.
public final class MonitorSession {
    public static let prompt = "(qemu) "

    let machine: MonitorMachine
    let banner: String
    let output: (String) -> Void
    /// The CPU `info registers` shows without an argument (`cpu N`), as QEMU's monitor keeps it.
    public private(set) var currentCPU = 0
    /// Set by `quit`: no more input is wanted.
    public private(set) var hasQuit = false

    private var line: [UInt8] = []
    private var shownBanner = false
    /// The last byte ended a line with CR (a CR LF pair is one end of line).
    private var afterCarriageReturn = false
    /// Inside an escape sequence (a cursor key): its bytes are not part of the line.
    private var escape = EscapeState.none

    private enum EscapeState { case none, start, csi }

    public init(machine: MonitorMachine, banner: String, output: @escaping (String) -> Void) {
        self.machine = machine
        self.banner = banner
        self.output = output
    }

    /// The monitor gets the terminal: the banner the first time, then a fresh prompt.
    public func focusIn() {
        if shownBanner {
            output("\n" + Self.prompt + String(decoding: line, as: UTF8.self))
        } else {
            shownBanner = true
            output(banner + "\n" + Self.prompt)
        }
    }

    /// Typed bytes: echoed, edited (backspace), and run as a command at the end of a line.
    public func receive<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes {
            if hasQuit { return }
            let wasCarriageReturn = afterCarriageReturn
            afterCarriageReturn = false
            switch escape {
            case .start:
                escape = byte == UInt8(ascii: "[") || byte == UInt8(ascii: "O") ? .csi : .none
                continue
            case .csi:
                // A control sequence ends with a byte from 0x40 to 0x7e.
                if (0x40...0x7e).contains(byte) { escape = .none }
                continue
            case .none: break
            }
            switch byte {
            case 0x0d, 0x0a:
                if byte == 0x0a && wasCarriageReturn { continue }
                afterCarriageReturn = byte == 0x0d
                let text = String(decoding: line, as: UTF8.self)
                line.removeAll()
                output("\n")
                execute(text)
                if !hasQuit { output(Self.prompt) }
            case 0x08, 0x7f:
                if !line.isEmpty {
                    line.removeLast()
                    output("\u{8} \u{8}")
                }
            case 0x1b:
                escape = .start
            case 0x20...0x7e:
                line.append(byte)
                output(String(UnicodeScalar(byte)))
            default:
                // Other control characters do nothing here (QEMU's readline binds a few to editing keys).
                break
            }
        }
    }

    /// Carries out one command line and prints what it answers (no prompt).
    public func execute(_ text: String) {
        let command: MonitorCommand?
        do throws(MonitorCommand.ParseError) {
            command = try MonitorCommand.parse(text)
        } catch {
            print(error.lines)
            return
        }
        guard let command else { return }
        switch command {
        case .help(let topic):
            guard let lines = MonitorCommand.helpLines(topic: topic) else {
                print(["unknown command: '\(topic ?? "")'"])
                return
            }
            print(lines)
        case .infoList:
            print(MonitorCommand.infoTable.map(\.line))
        case .infoRegisters(let scope):
            guard let harts = machine.readHarts() else { return print(["the machine has ended"]) }
            switch scope {
            case .all: print(harts.flatMap(RegisterDump.lines))
            case .current: print(RegisterDump.lines(harts[min(currentCPU, harts.count - 1)]))
            case .cpu(let index):
                guard harts.indices.contains(index) else { return print(["CPU#\(index) not available"]) }
                print(RegisterDump.lines(harts[index]))
            }
        case .infoCPUs:
            guard let harts = machine.readHarts() else { return print(["the machine has ended"]) }
            print(harts.map { "\($0.index == currentCPU ? "*" : " ") CPU #\($0.index): thread_id=\($0.hostThreadID)" })
        case .infoStatus:
            print(["VM status: " + (machine.isPaused ? "paused" : "running")])
        case .selectCPU(let index):
            guard index < machine.hartCount else { return print(["invalid CPU index"]) }
            currentCPU = index
        case .stop:
            machine.pause()
        case .cont:
            machine.resume()
        case .systemReset:
            machine.reset()
        case .quit:
            hasQuit = true
            machine.quit()
        }
    }

    private func print(_ lines: [String]) {
        if !lines.isEmpty { output(lines.joined(separator: "\n") + "\n") }
    }
}
