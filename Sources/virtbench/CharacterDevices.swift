#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `-serial`: where the UART's bytes go, in QEMU's chardev spellings.
///
/// The board has one UART, so one `-serial` at most. `stdio` is the terminal: the Ctrl-A escapes
/// work on it as in QEMU's mux (Ctrl-A X quits, Ctrl-A H lists the keys, Ctrl-A Ctrl-A sends
/// Ctrl-A); `mon:stdio` shares the terminal with the monitor, which Ctrl-A C switches to and
/// back (`ConsoleLayout`). `file:PATH` writes the output to PATH (created or truncated, as QEMU's
/// file chardev does) and the guest gets no input; `null` and `none` drop the output. Without
/// stdio the terminal still reads Ctrl-A X, so a run can always be quit.
enum SerialBackend: Equatable {
    case stdio
    case file(String)
    case none

    /// The backend of one `-serial` value (`mon:stdio` is `stdio`; the layout notes the monitor).
    static func parse(_ spec: String) throws -> SerialBackend {
        switch spec {
        case "stdio", "mon:stdio": return .stdio
        case "null", "none": return .none
        default:
            if spec.hasPrefix("file:") {
                let path = String(spec.dropFirst("file:".count))
                guard !path.isEmpty else { throw CommandError("-serial file: needs a path") }
                return .file(path)
            }
            throw CommandError("unsupported -serial '\(spec)': stdio, mon:stdio, file:PATH, null or none")
        }
    }

    /// The byte sink for the UART: stdout, a file opened now, or nothing.
    func makeOutput() throws -> (UInt8) -> Void {
        switch self {
        case .stdio: return Console.writeOutput
        case .none: return { _ in }
        case .file(let path):
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
            guard fd >= 0 else { throw CommandError("-serial file:\(path): cannot open: \(String(cString: strerror(errno)))") }
            // The descriptor lives as long as the process, as QEMU's chardev does.
            return { byte in
                var b = byte
                while write(fd, &b, 1) < 0 && errno == EINTR {}
            }
        }
    }
}

/// Where the UART and QEMU's human monitor (Sources/Monitor) go, from `-serial`, `-monitor` and
/// `-nographic` with QEMU 7.2's rules:
///
/// - `-nographic` with neither `-serial` nor `-monitor`: `-serial mon:stdio`, the UART and the
///   monitor sharing the terminal (Ctrl-A C switches). With `-serial` given, the monitor alone
///   gets stdio (so `-serial stdio` then collides with it, as in QEMU); with `-monitor` given,
///   the UART gets stdio.
/// - Without `-nographic` the UART gets stdio, standing in for the graphical console QEMU would
///   open, and there is no monitor unless asked for.
/// - `-serial mon:stdio` always brings a monitor; `-monitor stdio` puts one alone on stdio;
///   `-monitor none` only drops the default one.
/// Only one device may have stdio (QEMU: "cannot use stdio by multiple character devices").
/// A monitor elsewhere (telnet, unix sockets, a pty) is not provided.
struct ConsoleLayout: Equatable {
    enum MonitorPlace: Equatable {
        case none
        /// Shares stdio with the UART (`mon:stdio`); Ctrl-A C gives it the keyboard.
        case sharedWithSerial
        /// Alone on stdio (`-monitor stdio`).
        case stdio
    }

    var serial: SerialBackend
    var monitor: MonitorPlace

    static func resolve(serial: [String], monitor: [String], nographic: Bool) throws -> ConsoleLayout {
        guard serial.count <= 1 else {
            throw CommandError("-serial given \(serial.count) times: the virt board has one UART")
        }
        var place = MonitorPlace.none
        for spec in monitor {
            switch spec {
            case "none": continue
            case "stdio":
                if place != .none { throw CommandError("-monitor stdio: cannot use stdio by multiple character devices (-monitor stdio is given twice)") }
                place = .stdio
            default:
                let elsewhere = ["telnet:", "tcp:", "unix:", "udp:", "file:", "pipe:", "mon:", "chardev:", "pty", "null", "vc"]
                if elsewhere.contains(where: { spec.hasPrefix($0) }) {
                    throw CommandError("unsupported -monitor '\(spec)': virtbench's monitor runs on the terminal only (-monitor stdio, -serial mon:stdio, or -nographic), or -monitor none")
                }
                throw CommandError("-monitor \(spec): '\(spec)' is not a valid char driver (stdio or none)")
            }
        }
        var serialSpec = serial.first
        // As in QEMU, a `mon:` serial port is the monitor, so there is no default one besides it.
        let defaultMonitor = monitor.isEmpty && serialSpec != "mon:stdio"
        if nographic && serial.isEmpty && defaultMonitor {
            serialSpec = "mon:stdio"
        } else if nographic && defaultMonitor {
            place = .stdio
        }
        let backend = try serialSpec.map(SerialBackend.parse) ?? .stdio
        let serialName = serialSpec ?? "stdio"
        if serialSpec == "mon:stdio" {
            if place == .stdio {
                throw CommandError("-serial mon:stdio: cannot use stdio by multiple character devices (-monitor stdio has it)")
            }
            place = .sharedWithSerial
        }
        if place == .stdio && backend == .stdio {
            let why = defaultMonitor ? "-nographic with -serial puts the monitor on stdio: use -serial mon:stdio, or add -monitor none"
                : "the monitor has it: add -serial null or -serial file:PATH"
            throw CommandError("-serial \(serialName): cannot use stdio by multiple character devices (\(why))")
        }
        return ConsoleLayout(serial: backend, monitor: place)
    }

    /// Whether anything (the UART or the monitor) reads the terminal.
    var stdioTaken: Bool { serial == .stdio || monitor != .none }
}

/// `-d ITEM,...` and `-D FILE`: QEMU's debug log, for the items with a close equivalent here.
///
/// - `in_asm` and `exec`: every executed instruction, as `--trace` prints it (privilege, pc,
///   disassembly). QEMU's in_asm prints each translated block once and exec each block entry;
///   this log is per instruction, which says more and costs more: instructions then run one by
///   one in the interpreter.
/// - `int`: every trap (cause, pc, tval, the mode it goes to), as QEMU's int does for
///   interrupts and exceptions; the engine runs at full speed otherwise.
/// The log goes to stderr, or to the `-D` file (created or truncated).
struct DebugLog: Equatable {
    var instructions = false
    var traps = false
    var file: String?

    static let items: [(name: String, help: String)] = [
        ("in_asm", "every executed instruction: privilege, pc, disassembly"),
        ("exec", "the same as in_asm (this log is per instruction)"),
        ("int", "every trap: cause, pc, tval and the mode it enters"),
    ]

    /// Reads the `-d` options (the last one counts, as in QEMU) and `-D`; `help` asks for the list.
    static func parse(items specs: [String], file: String?) throws -> (log: DebugLog, help: Bool) {
        var log = DebugLog(file: file)
        guard let spec = specs.last else { return (log, false) }
        for item in spec.split(separator: ",", omittingEmptySubsequences: false) {
            switch item {
            case "help": return (log, true)
            case "in_asm", "exec": log.instructions = true
            case "int": log.traps = true
            default:
                throw CommandError("unsupported -d item '\(item)': \(items.map(\.name).joined(separator: ", ")) are available (-d help lists them)")
            }
        }
        return (log, false)
    }

    static var helpText: String {
        "Log items (comma separated):\n" + items.map { "\($0.name)" + String(repeating: " ", count: 10 - $0.name.count) + $0.help }.joined(separator: "\n") + "\n"
    }

    var isEnabled: Bool { instructions || traps }

    /// The line sink: stderr, or the `-D` file opened now.
    func makeSink() throws -> (String) -> Void {
        guard let file else { return { printError($0) } }
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw CommandError("-D \(file): cannot open: \(String(cString: strerror(errno)))") }
        return { line in
            let bytes = Array((line + "\n").utf8)
            var done = 0
            while done < bytes.count {
                // SAFETY: the pointer covers `bytes` and done < bytes.count, so write(2) reads at
                // most the bytes left after it; it does not outlive the closure.
                let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
                if n < 0 { if errno == EINTR { continue }; return }
                done += n
            }
        }
    }
}

/// `-chardev BACKEND,id=ID[,...]`: a host character device a `virtconsole` connects to, in
/// QEMU 7.2's spellings. `stdio` is the terminal (input too, with the Ctrl-A escapes); QEMU lets
/// one character device have it, so the UART must then be elsewhere (`-serial null`, and
/// `-monitor none` under `-nographic`). `file,path=P` writes the output to P (created or
/// truncated) and gives no input; `null` drops the output.
struct CharacterDevice: Equatable {
    enum Backend: Equatable {
        case stdio
        case file(String)
        case null
    }
    let id: String
    let backend: Backend
    let spec: String

    static func parse(_ specs: [String]) throws -> [CharacterDevice] {
        var devices: [CharacterDevice] = []
        for spec in specs {
            let (first, fields) = try DeviceOptions.items("-chardev", spec)
            guard let kind = first ?? fields.first(where: { $0.0 == "backend" })?.1 else {
                throw CommandError("-chardev \(spec): no backend given (stdio, file or null)")
            }
            var values: [String: String] = [:]
            for (key, value) in fields where key != "backend" { values[key] = value }
            guard let id = values.removeValue(forKey: "id"), !id.isEmpty else { throw CommandError("-chardev \(spec): chardev: no id specified") }
            guard !devices.contains(where: { $0.id == id }) else { throw CommandError("-chardev \(spec): Duplicate ID '\(id)' for chardev") }
            let backend: Backend
            switch kind {
            case "stdio":
                // signal=on|off: whether Ctrl-C stops QEMU; here Ctrl-C always reaches the guest in raw mode.
                if let signal = values.removeValue(forKey: "signal") { _ = try DeviceOptions.onOff("-chardev", spec, "signal", signal) }
                backend = .stdio
            case "file":
                guard let path = values.removeValue(forKey: "path"), !path.isEmpty else { throw CommandError("-chardev \(spec): chardev: file: no filename given") }
                backend = .file(path)
            case "null":
                backend = .null
            default:
                throw CommandError("-chardev \(spec): '\(kind)' is not a valid char driver name here (stdio, file or null)")
            }
            if let key = values.keys.sorted().first { throw CommandError("-chardev \(spec): Invalid parameter '\(key)'") }
            devices.append(CharacterDevice(id: id, backend: backend, spec: spec))
        }
        return devices
    }

    /// The output sink: stdout, the file opened now, or nothing.
    func makeOutput() throws -> ([UInt8]) -> Void {
        let fd: Int32
        switch backend {
        case .null: return { _ in }
        case .stdio: fd = STDOUT_FILENO
        case .file(let path):
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
            guard fd >= 0 else { throw CommandError("-chardev \(spec): Could not open '\(path)': \(String(cString: strerror(errno)))") }
        }
        // The descriptor lives as long as the process, as QEMU's chardev does.
        return { bytes in
            var done = 0
            while done < bytes.count {
                // SAFETY: the pointer covers `bytes` and done < bytes.count, so write(2) reads at
                // most the bytes left after it; it does not outlive the closure.
                let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
                if n < 0 { if errno == EINTR { continue }; return }
                done += n
            }
        }
    }
}
