#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Devices
import Foundation
import Machine
import Monitor

/// The terminal settings to put back, reachable from a signal handler (which cannot capture).
/// Written once before the handlers are installed, read only afterwards.
nonisolated(unsafe) private var savedTerminal = termios()
nonisolated(unsafe) private var terminalIsRaw = false

/// The serial console on the user's terminal, as QEMU's `-nographic` gives it: stdin goes to
/// the UART byte by byte, UART output goes straight to stdout, Ctrl-A X quits.
///
/// When stdin is a terminal it is switched to raw mode (so Ctrl-C reaches the guest, as in
/// QEMU) and restored on every way out: normal exit, `exit()`, and the terminating signals.
final class Console {
    /// QEMU's escape character, Ctrl-A; Ctrl-A X quits, Ctrl-A Ctrl-A sends one Ctrl-A.
    static let escape: UInt8 = 0x01
    static let quitKeys: Set<UInt8> = [UInt8(ascii: "x"), UInt8(ascii: "X")]

    /// Writes one guest output byte to stdout without buffering, so prompts appear at once.
    static func writeOutput(_ byte: UInt8) {
        var b = byte
        while write(STDOUT_FILENO, &b, 1) < 0 && errno == EINTR {}
    }

    /// Puts the terminal in raw mode if stdin is one; returns whether it did.
    @discardableResult
    static func enterRawMode() -> Bool {
        guard isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &savedTerminal) == 0 else { return false }
        var raw = savedTerminal
        cfmakeraw(&raw)
        // Keep output processing so the guest's "\n" still returns the carriage, as QEMU does.
        raw.c_oflag |= tcflag_t(OPOST)
        guard tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0 else { return false }
        terminalIsRaw = true
        atexit { Console.restoreTerminal() }
        // SIGINT only arrives by kill(1) in raw mode; SIGPIPE when stdout's reader goes away.
        for sig in [SIGTERM, SIGHUP, SIGQUIT, SIGINT, SIGPIPE] {
            signal(sig) { received in
                Console.restoreTerminal()
                signal(received, SIG_DFL)
                raise(received)
            }
        }
        return true
    }

    /// Puts back the settings saved by `enterRawMode` (async-signal-safe: only tcsetattr).
    static func restoreTerminal() {
        if terminalIsRaw {
            tcsetattr(STDIN_FILENO, TCSANOW, &savedTerminal)
            terminalIsRaw = false
        }
    }

    /// Starts a thread that feeds stdin to the UART and watches for Ctrl-A X.
    static func startInputThread(input: ConsoleInput, control: MachineControl, state: ConsoleState, monitor: ConsoleMonitor = .absent) {
        startInputThread(send: { input.send($0) }, control: control, state: state, monitor: monitor)
    }

    /// Starts a thread that hands stdin to `send` (or to the monitor while it has the keyboard)
    /// and watches for the Ctrl-A escapes.
    static func startInputThread(send: @escaping @Sendable ([UInt8]) -> Void, control: MachineControl, state: ConsoleState,
                                 monitor: ConsoleMonitor = .absent) {
        let context = InputContext(send: send, control: control, state: state, monitor: monitor)
        if case .alone(let session) = monitor.place {
            // As QEMU, the banner and prompt come at once, before the guest's first output.
            context.monitorFocused = true
            session.focusIn()
        }
        // A detached thread that holds the context for as long as it reads.
        Thread { context.readLoop() }.start()
    }

    /// QEMU's mux help (Ctrl-A H), for the keys there are here.
    static func escapeHelp(monitor: Bool) -> String {
        var lines = ["C-a h    print this help", "C-a x    exit emulator"]
        if monitor { lines.append("C-a c    switch between console and monitor") }
        lines.append("C-a C-a  sends C-a")
        return lines.map { "\n" + $0 }.joined() + "\n"
    }
}

/// The monitor's share of the terminal's input.
struct ConsoleMonitor {
    enum Place {
        /// No monitor: Ctrl-A C does nothing.
        case none
        /// A monitor exists but cannot run now (this message says why when Ctrl-A C asks for it).
        case unavailable(String)
        /// Shares the terminal with the UART (`mon:stdio`): Ctrl-A C switches the keyboard.
        case shared(MonitorSession)
        /// Has the terminal alone (`-monitor stdio`).
        case alone(MonitorSession)
    }
    var place: Place
    /// Ctrl-A X and the monitor's `quit`: ends the run even when the machine is paused.
    var quit: (@Sendable () -> Void)?
    /// Stdin ended (a paused machine can then never be continued).
    var inputEnded: (@Sendable () -> Void)?

    static var absent: ConsoleMonitor { ConsoleMonitor(place: .none, quit: nil, inputEnded: nil) }
}

/// What the input thread tells the run loop; guarded by a lock.
final class ConsoleState: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = HostLock()
    private var closed = false

    /// True once stdin has ended: no more input can ever wake a guest waiting for it.
    var inputClosed: Bool { lock.withLock { closed } }

    func markClosed() { lock.withLock { closed = true } }
}

private final class InputContext: @unchecked Sendable {
    // @unchecked: `send` and `state` are Sendable; `control` is documented as settable by the
    // console; the monitor session is used by this thread alone once it starts.
    let send: @Sendable ([UInt8]) -> Void
    let control: MachineControl
    let state: ConsoleState
    let monitor: ConsoleMonitor
    /// The monitor has the keyboard (Ctrl-A C toggles it when it shares the terminal).
    var monitorFocused = false

    init(send: @escaping @Sendable ([UInt8]) -> Void, control: MachineControl, state: ConsoleState, monitor: ConsoleMonitor) {
        self.send = send
        self.control = control
        self.state = state
        self.monitor = monitor
    }

    var session: MonitorSession? {
        switch monitor.place {
        case .shared(let session), .alone(let session): return session
        case .none, .unavailable: return nil
        }
    }

    func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 256)
        var afterEscape = false
        while true {
            // SAFETY: read(2) writes at most $0.count bytes, the size of `buffer`; the pointer does
            // not outlive the closure. (FileHandle's availableData would trap on a read error.)
            let n = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                state.markClosed()
                monitor.inputEnded?()
                return
            }
            // Bytes for whoever has the keyboard, handed over in order at each switch.
            var out: [UInt8] = []
            out.reserveCapacity(n)
            func flush() {
                guard !out.isEmpty else { return }
                if monitorFocused, let session { session.receive(out) } else { send(out) }
                out.removeAll(keepingCapacity: true)
            }
            for byte in buffer[0 ..< n] {
                if afterEscape {
                    afterEscape = false
                    switch byte {
                    case UInt8(ascii: "x"), UInt8(ascii: "X"):
                        flush()
                        Console.restoreTerminal()
                        writeStandardError("virtbench: terminated\n")
                        if let quit = monitor.quit { quit() } else { control.requestStop(.userQuit) }
                        state.markClosed()
                        return
                    case UInt8(ascii: "c"), UInt8(ascii: "C"):
                        flush()
                        switchFocus()
                    case UInt8(ascii: "h"), UInt8(ascii: "H"):
                        flush()
                        writeStandardOutput(Console.escapeHelp(monitor: session != nil))
                    case Console.escape:
                        out.append(byte)
                    default:
                        // Other Ctrl-A commands (QEMU's s, t, b) are not provided; the pair is dropped.
                        break
                    }
                } else if byte == Console.escape {
                    afterEscape = true
                } else {
                    out.append(byte)
                }
            }
            flush()
            if session?.hasQuit == true {
                state.markClosed()
                return
            }
        }
    }

    /// Ctrl-A C: the keyboard goes from the UART to the monitor or back, when they share the terminal.
    private func switchFocus() {
        switch monitor.place {
        case .shared(let session):
            monitorFocused.toggle()
            if monitorFocused { session.focusIn() }
        case .unavailable(let why):
            writeStandardError("virtbench: \(why)\n")
        case .none, .alone:
            break
        }
    }
}
