import Devices
import GDBStub
import Loader
import Machine

/// `virtbench run -s`, `-S` and `-gdb`: the board's harts under gdb's remote protocol, as
/// QEMU's options give it (Sources/GDBStub).
extension Run {
    /// The `-gdb` device `-s` stands for.
    static let defaultDebuggerDevice = "tcp::\(GDBEndpoint.defaultPort)"

    /// Opens the gdb server the options ask for (nil: none), before anything boots, so a bad
    /// `-gdb` or a port in use is a one-line error.
    /// With a monitor on the terminal, `-S` without gdb waits for the monitor's `cont`, as in QEMU.
    func startDebugServer(monitor: Bool) throws -> GDBServer? {
        guard let device = gdb ?? (gdbOnDefaultPort ? Self.defaultDebuggerDevice : nil) else {
            if waitForDebugger && !monitor {
                throw CommandError("-S waits for gdb: give -s or -gdb tcp::PORT too (or a monitor to say cont: -nographic, -serial mon:stdio, -monitor stdio)")
            }
            return nil
        }
        do {
            guard let endpoint = try GDBEndpoint.parse(device) else {
                if waitForDebugger && !monitor { throw CommandError("-S waits for gdb, but -gdb none turns the gdb server off") }
                return nil
            }
            guard mode == "native" else { throw CommandError("the gdb server (-s, -gdb) runs with --mode native only") }
            let server = try GDBServer(endpoint: endpoint)
            printError("virtbench: gdb server listening on \(GDBEndpoint(host: endpoint.host, port: server.port))")
            return server
        } catch let error as GDBServerError {
            throw CommandError(error.description)
        }
    }

    /// Runs the board under `server` until the guest ends or gdb kills it, as `runLoop` would
    /// without a debugger (nil without a server: the caller runs it itself).
    func runUnderDebugger(_ server: GDBServer?, board: VirtBoard, plan: BootPlan) -> Outcome? {
        guard let server else { return nil }
        let target = MachineTarget(harts: board.harts, control: board.control, instructionLimit: maxInstructions) {
            do {
                try BootLoader.load(plan, into: board)
            } catch {
                return String(describing: error)
            }
            BootLoader.start(board, with: plan)
            return nil
        }
        switch server.serve(target, startStopped: waitForDebugger) {
        case .killed:
            printError("virtbench: terminated by gdb")
            return .stopped(.userQuit)
        case .run(.platform(let request)): return .stopped(request)
        case .run(.instructionLimit): return .instructionLimit
        case .run(.noProgress(let hart, let report)): return .noProgress(report: "hart \(hart): " + report)
        case .run(.error(let message)): return .error(message)
        case .run(.stopped): return .error("the gdb server ended while the harts were stopped")
        }
    }
}
