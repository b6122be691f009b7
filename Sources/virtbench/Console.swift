#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Devices
import Foundation
import Machine

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
    static func startInputThread(input: ConsoleInput, control: MachineControl, state: ConsoleState) {
        startInputThread(send: { input.send($0) }, control: control, state: state)
    }

    /// Starts a thread that hands stdin to `send` and watches for Ctrl-A X.
    static func startInputThread(send: @escaping @Sendable ([UInt8]) -> Void, control: MachineControl, state: ConsoleState) {
        let context = InputContext(send: send, control: control, state: state)
        // A detached thread that holds the context for as long as it reads.
        Thread { context.readLoop() }.start()
    }
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
    // @unchecked: `send` and `state` are Sendable; `control` is documented as settable by the console.
    let send: @Sendable ([UInt8]) -> Void
    let control: MachineControl
    let state: ConsoleState

    init(send: @escaping @Sendable ([UInt8]) -> Void, control: MachineControl, state: ConsoleState) {
        self.send = send
        self.control = control
        self.state = state
    }

    func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 256)
        var afterEscape = false
        while true {
            // SAFETY: read(2) writes at most $0.count bytes, the size of `buffer`; the pointer does
            // not outlive the closure. (FileHandle's availableData would trap on a read error.)
            let n = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { state.markClosed(); return }
            var out: [UInt8] = []
            out.reserveCapacity(n)
            for byte in buffer[0 ..< n] {
                if afterEscape {
                    afterEscape = false
                    if Console.quitKeys.contains(byte) {
                        Console.restoreTerminal()
                        writeStandardError("virtbench: terminated\n")
                        control.requestStop(.userQuit)
                        if !out.isEmpty { send(out) }
                        state.markClosed()
                        return
                    }
                    if byte == Console.escape { out.append(byte) }
                    // Other Ctrl-A commands (QEMU's monitor, help) are not provided; the pair is dropped.
                } else if byte == Console.escape {
                    afterEscape = true
                } else {
                    out.append(byte)
                }
            }
            if !out.isEmpty { send(out) }
        }
    }
}
