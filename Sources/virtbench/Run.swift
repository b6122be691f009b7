#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Devices
import Loader
import Machine

/// `virtbench run`: boot firmware and/or a kernel on the `virt` board, QEMU-style.
///
/// Options use QEMU's spellings (`-m`, `-bios`, `-kernel`, `-append`, `-cpu`, `-M`,
/// `-nographic`) so a `qemu-system-riscv64` command line can be pasted after `virtbench run`.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot firmware and/or a kernel on the simulated virt board.",
        discussion: """
        Exit status: 0 when the guest powers off through sifive_test (or Ctrl-A X), the guest's \
        code when it reports failure, \(Run.limitExitStatus) when --max-insns ran out, \(Run.noProgressExitStatus) when \
        the guest was stopped for taking trap after trap without retiring an instruction (a line on \
        stderr names its last trap), 1 on bad input.
        """
    )

    /// Exit status when `--max-insns` ends the run: the guest did not finish (as timeout(1) uses).
    static let limitExitStatus: Int32 = 124
    /// Exit status when the no-progress guard stopped the guest (Machine/ProgressGuard.swift).
    static let noProgressExitStatus: Int32 = 3
    /// Instructions per 100 ns mtime tick in virtual time: a 1 GHz core (see `Timebase`).
    static let virtualInstructionsPerTick: UInt64 = 100

    @Option(name: .customShort("m"), parsing: .unconditional, help: ArgumentHelp("RAM size: 256M, 1G, or a number of MiB (QEMU's default is 128M).", valueName: "size"))
    var memory: String = "128M"

    @Option(name: [.customLong("bios", withSingleDash: true), .customLong("bios")], help: ArgumentHelp("Firmware: none, default (OpenSBI fw_dynamic), or a file (ELF or raw).", valueName: "none|default|file"))
    var bios: String = "default"

    @Option(name: [.customLong("kernel", withSingleDash: true), .customLong("kernel")], help: ArgumentHelp("Kernel or bare-metal program (ELF or raw).", valueName: "file"))
    var kernel: String?

    @Option(name: [.customLong("append", withSingleDash: true), .customLong("append")], help: ArgumentHelp("Kernel command line (/chosen/bootargs).", valueName: "string"))
    var append: String?

    @Flag(name: [.customLong("nographic", withSingleDash: true), .customLong("nographic")], help: "Accepted for QEMU compatibility; the serial console on stdio is the default.")
    var nographic = false

    @Option(name: [.customLong("cpu", withSingleDash: true), .customLong("cpu")], help: ArgumentHelp("rv64, optionally with ,h=on or ,h=off.", valueName: "cpu"))
    var cpu: String = "rv64"

    @Option(name: [.customLong("drive", withSingleDash: true), .customLong("drive")],
            help: ArgumentHelp("A flash bank image: if=pflash,file=PATH[,format=raw][,unit=0|1] (32 MiB, written back).", valueName: "spec"))
    var drives: [String] = []

    @Option(name: [.customLong("smp", withSingleDash: true), .customLong("smp")],
            help: ArgumentHelp("Harts: N or [cpus=]N[,sockets=S][,cores=C][,threads=T][,maxcpus=M], with QEMU's meaning (virt puts them all in one cluster).", valueName: "spec"))
    var smp: String = "1"

    @Option(name: .customShort("M"), help: ArgumentHelp("Machine type; only virt exists.", valueName: "machine"))
    var machine: String = "virt"

    @Option(name: .customLong("max-insns"), parsing: .unconditional, help: ArgumentHelp("Stop after this many instructions.", valueName: "n"),
            transform: NumberArgument.count("the instruction limit"))
    var maxInstructions: UInt64?

    @Flag(name: [.customLong("icount"), .customLong("virtual-time")],
          help: "Time advances with instructions retired (deterministic counts) instead of the host clock.")
    var virtualTime = false

    @Flag(help: "Print every instruction and trap to stderr.")
    var trace = false

    @Flag(help: "Print counts to stderr when the run ends.")
    var summary = false

    @Flag(name: .customShort("s"), help: "Listen for gdb on tcp::1234 (short for -gdb tcp::1234).")
    var gdbOnDefaultPort = false

    @Flag(name: .customShort("S"), help: "Do not start the harts until gdb continues them.")
    var waitForDebugger = false

    @Option(name: [.customLong("gdb", withSingleDash: true), .customLong("gdb")],
            help: ArgumentHelp("Listen for gdb on tcp:[HOST]:PORT (HOST 127.0.0.1 unless given; port 0 picks a free one), or none.", valueName: "dev"))
    var gdb: String?

    @Option(help: ArgumentHelp("native: the kernel runs on the board itself; hav: it runs as a VS-mode guest of the Swift hypervisor, which answers its SBI calls; full (or simulation): it runs deprivileged in U-mode on a hart without H, trap-and-emulate with shadow page tables; para: a kernel built for the hypercall ABI (kernel-pv) runs in U-mode on a host without H.", valueName: "native|hav|full|para"))
    var mode: String = "native"

    @Option(help: ArgumentHelp("compiled: blocks run as x86-64 host code where the host allows (the default; VIRTBENCH_ENGINE=interpreter changes it); interpreter: every block through the dispatch loop.", valueName: "compiled|interpreter"))
    var engine: String = HartConfiguration.compileBlocksByDefault ? "compiled" : "interpreter"

    func hartConfiguration(hypervisor: Bool, trace: ((String) -> Void)?) -> HartConfiguration {
        var configuration = HartConfiguration(hypervisor: hypervisor, trace: trace)
        configuration.compileBlocks = engine == "compiled"
        return configuration
    }

    func run() throws {
        let debugServer = try startDebugServer()
        guard machine == "virt" else { throw CommandError("unsupported machine '\(machine)': only virt is available") }
        guard engine == "compiled" || engine == "interpreter" else {
            throw CommandError("unknown engine '\(engine)': use compiled or interpreter")
        }
        switch mode {
        case "native": break
        case "hav":
            if cpu != "rv64", try !Self.parseCPU(cpu) { throw CommandError("--mode hav runs its guest with the H extension: -cpu rv64,h=off cannot be used") }
            return try runAsGuest(.hardwareAssisted)
        case "full", "simulation":
            if try Self.parseCPU(cpu) { throw CommandError("--mode full uses no H extension: the host hart has none (-cpu rv64 or rv64,h=off)") }
            return try runAsGuest(.full)
        case "para":
            if try Self.parseCPU(cpu) { throw CommandError("--mode para uses no H extension: the host hart has none (-cpu rv64 or rv64,h=off)") }
            return try runAsGuest(.para)
        default: throw CommandError("unsupported --mode '\(mode)': native, hav, full or para")
        }
        let hypervisor = try Self.parseCPU(cpu)
        let ramSize: UInt64
        do {
            ramSize = try MemorySize.parse(memory)
            try BootPlan.validate(memorySize: ramSize)
        } catch {
            throw CommandError(error.description)
        }
        if let maxInstructions, maxInstructions == 0 { throw CommandError("--max-insns must be at least 1") }
        let firmware: BootOptions.Firmware
        switch bios {
        case "none": firmware = .none
        case "default": firmware = .default
        case "": throw CommandError("-bios needs none, default or a file name")
        default: firmware = .file(bios)
        }

        let flashImages = try Self.parseDrives(drives)
        let hartCount = try SMPTopology.parse(smp).cpus
        let timebaseMode: Timebase.Mode = virtualTime ? .virtual(instructionsPerTick: Self.virtualInstructionsPerTick) : .realTime
        let board: VirtBoard
        do {
            let traceSink: ((String) -> Void)? = trace ? { printError($0) } : nil
            board = try VirtBoard(configuration: VirtBoardConfiguration(ramSize: ramSize, hartCount: hartCount, hypervisor: hypervisor,
                                                                        bootArguments: append, timebaseMode: timebaseMode,
                                                                        flashImages: flashImages),
                                  hart: hartConfiguration(hypervisor: hypervisor, trace: traceSink),
                                  consoleOutput: Console.writeOutput)
        } catch {
            throw CommandError(error.description)
        }
        let plan: BootPlan
        do {
            plan = try BootLoader.boot(BootOptions(firmware: firmware, kernel: kernel), on: board)
        } catch {
            throw CommandError(error.description)
        }
        for warning in plan.warnings { printError("virtbench: warning: " + warning) }

        let hart = board.hart

        let consoleState = ConsoleState()
        Console.enterRawMode()
        Console.startInputThread(input: board.consoleInput, control: board.control, state: consoleState)

        let started = Timebase.monotonicNanoseconds()
        let outcome = try runUnderDebugger(debugServer, board: board, plan: plan) ?? runLoop(hart: hart, board: board, plan: plan, console: consoleState)
        let elapsed = Timebase.monotonicNanoseconds() - started
        Console.restoreTerminal()
        if summary { printSummary(harts: board.harts, outcome: outcome, nanoseconds: elapsed) }
        if case .error(let message) = outcome { throw CommandError(message) }
        if case .noProgress = outcome { printError("virtbench: " + outcome.text) }
        let status = outcome.exitStatus
        if status != 0 { throw GuestExit(status: status) }
    }

    /// The flash bank images named by `-drive` options, bank 0 first (nil: that bank is blank).
    ///
    /// QEMU's syntax: comma-separated `key=value` pairs. Only `if=pflash` drives exist on this
    /// board; `unit` picks the bank (otherwise drives fill banks in order), and the only
    /// format is raw.
    static func parseDrives(_ specs: [String]) throws -> [String?] {
        var banks: [Int: String] = [:]
        var nextUnit = 0
        for spec in specs {
            var fields: [String: String] = [:]
            for pair in spec.split(separator: ",", omittingEmptySubsequences: false) {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty else { throw CommandError("-drive \(spec): '\(pair)' is not key=value") }
                guard fields.updateValue(parts[1], forKey: parts[0]) == nil else { throw CommandError("-drive \(spec): \(parts[0]) given twice") }
            }
            for key in fields.keys where !["if", "file", "format", "unit"].contains(key) {
                throw CommandError("-drive \(spec): unsupported option '\(key)' (if, file, format and unit are understood)")
            }
            guard fields["if"] == "pflash" else {
                throw CommandError("-drive \(spec): only if=pflash drives exist on this board")
            }
            guard let file = fields["file"], !file.isEmpty else { throw CommandError("-drive \(spec): file= is required") }
            if let format = fields["format"], format != "raw" { throw CommandError("-drive \(spec): only format=raw is supported") }
            let unit: Int
            if let text = fields["unit"] {
                guard let n = Int(text), n >= 0, n < VirtMemoryMap.flashBankCount else {
                    throw CommandError("-drive \(spec): unit must be 0 or 1")
                }
                unit = n
            } else {
                unit = nextUnit
            }
            guard unit < VirtMemoryMap.flashBankCount else { throw CommandError("-drive \(spec): both flash banks are already taken") }
            guard banks[unit] == nil else { throw CommandError("-drive \(spec): flash bank \(unit) is already taken") }
            banks[unit] = file
            nextUnit = unit + 1
        }
        let lastBank = banks.keys.max() ?? -1
        let images = lastBank < 0 ? [] : (0...lastBank).map { banks[$0] }
        return images
    }

    /// How a run ended.
    enum Outcome {
        case stopped(MachineControl.StopRequest)
        case instructionLimit
        /// The no-progress guard stopped the hart (`Hart.noProgressReport`).
        case noProgress(report: String)
        case error(String)

        var exitStatus: Int32 {
            switch self {
            case .stopped(let request): return MachineControl.exitStatus(for: request)
            case .instructionLimit: return Run.limitExitStatus
            case .noProgress: return Run.noProgressExitStatus
            case .error: return 1
            }
        }

        var text: String {
            switch self {
            case .stopped(.powerOff): return "guest powered off"
            case .stopped(.failure(let code)): return "guest reported failure (code \(code))"
            case .stopped(.reset): return "guest reset"
            case .stopped(.userQuit): return "quit from the console"
            case .instructionLimit: return "instruction limit reached"
            case .noProgress(let report): return "guest made no progress: " + report
            case .error(let message): return "error: " + message
            }
        }
    }

    /// Runs the hart until the platform stops it or the instruction budget is spent.
    func runLoop(hart: Hart, board: VirtBoard, plan: BootPlan, console: ConsoleState) throws -> Outcome {
        if board.harts.count > 1 { return runHarts(board: board, plan: plan, console: console) }
        var remaining = maxInstructions ?? .max
        while true {
            let before = hart.retired
            let exit = hart.run(instructionLimit: remaining)
            let ran = hart.retired &- before
            if maxInstructions != nil { remaining = ran >= remaining ? 0 : remaining - ran }
            switch exit {
            case .stopped:
                guard let request = board.control.stopRequest else { continue }
                if request == .reset {
                    // QEMU re-copies its boot images and restarts the hart from the reset vector.
                    board.control.clear()
                    do { try BootLoader.load(plan, into: board) } catch { return .error(error.description) }
                    BootLoader.start(board, with: plan)
                    continue
                }
                return .stopped(request)
            case .limitReached:
                // The hart counts trap entries toward the limit too, so a guest faulting on its
                // own trap vector ends here even though it retires nothing.
                if maxInstructions != nil { return .instructionLimit }
            case .noProgress:
                return .noProgress(report: hart.noProgressReport)
            case .guestExit:
                // Only a hart whose HS-mode belongs to the Swift hypervisor exits to its host.
                return .error("the hart exited to a hypervisor that this command does not run")
            case .waitingForInterrupt:
                // Only console input can wake the hart now.
                if console.inputClosed {
                    return .error("the guest waits for an interrupt that nothing can raise (WFI, no timer, console input closed)")
                }
                usleep(1000)
            }
        }
    }

    /// Runs every hart of a multi-hart board (HartScheduler): on their own threads, or in turns
    /// on this one with `--icount`. `--max-insns` counts the instructions of all harts.
    func runHarts(board: VirtBoard, plan: BootPlan, console: ConsoleState) -> Outcome {
        let scheduler = HartScheduler(harts: board.harts, control: board.control)
        var remaining = maxInstructions ?? .max
        while true {
            let before = scheduler.retired
            let exit = scheduler.run(instructionLimit: remaining)
            let ran = scheduler.retired &- before
            if maxInstructions != nil { remaining = ran >= remaining ? 0 : remaining - ran }
            switch exit {
            case .stopped:
                guard let request = board.control.stopRequest else { continue }
                if request == .reset {
                    board.control.clear()
                    do { try BootLoader.load(plan, into: board) } catch { return .error(error.description) }
                    BootLoader.start(board, with: plan)
                    continue
                }
                return .stopped(request)
            case .limitReached:
                if maxInstructions != nil || remaining == 0 { return .instructionLimit }
            case .noProgress(let hart):
                return .noProgress(report: "hart \(hart): " + board.harts[hart].noProgressReport)
            case .guestExit:
                return .error("a hart exited to a hypervisor that this command does not run")
            case .waitingForInterrupt:
                if console.inputClosed {
                    return .error("every hart waits for an interrupt that nothing can raise (WFI, no timer, console input closed)")
                }
                usleep(1000)
            }
        }
    }

    /// `-cpu rv64[,h=on|off]` → whether the H extension is requested.
    static func parseCPU(_ text: String) throws -> Bool {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.first == "rv64" else {
            throw CommandError("unsupported -cpu '\(text)': only rv64[,h=on|off] is available")
        }
        var hypervisor = false
        for property in parts.dropFirst() {
            let pair = property.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, pair[0] == "h" else {
                throw CommandError("unsupported -cpu property '\(property)': only h=on|off is available")
            }
            switch pair[1] {
            case "on", "true", "yes": hypervisor = true
            case "off", "false", "no": hypervisor = false
            default: throw CommandError("-cpu h= must be on or off, not '\(pair[1])'")
            }
        }
        return hypervisor
    }

    /// The counts of every hart (each under its own heading when there are several).
    func printSummary(harts: [Hart], outcome: Outcome, nanoseconds: UInt64) {
        let seconds = Double(nanoseconds) / 1e9
        let total = harts.reduce(0) { $0 &+ $1.retired }
        let mips = seconds > 0 ? Double(total) / seconds / 1e6 : 0
        var lines = ["virtbench: summary: \(outcome.text)"]
        lines.append("  wall time: \(formatted(seconds, digits: 3)) s, \(formatted(mips, digits: 2)) MIPS")
        if harts.count > 1 { lines.append("  instructions retired by all \(harts.count) harts: \(total)") }
        for hart in harts {
            let prefix = harts.count > 1 ? "  hart \(hart.hartID) " : "  "
            lines += summaryLines(hart).map { prefix + $0 }
        }
        for line in lines { printError(line) }
    }

    /// One hart's counts, a line per kind.
    func summaryLines(_ hart: Hart) -> [String] {
        let c = hart.counters
        var lines: [String] = []
        lines.append("instructions retired: \(hart.retired) (M \(c.retiredByPrivilege[3]), S \(c.retiredByPrivilege[1]), U \(c.retiredByPrivilege[0])\(hart.configuration.hypervisor ? ", VS \(c.retiredByPrivilege[5]), VU \(c.retiredByPrivilege[4])" : ""))")
        lines.append("traps: \(c.trapsToMachine) to M, \(c.trapsToSupervisor) to S"
                     + (hart.configuration.hypervisor ? ", \(c.trapsToVirtualSupervisor) to VS" : ""))
        let exceptions = c.exceptions.enumerated().filter { $0.element > 0 }.map { "cause \($0.offset): \($0.element)" }
        if !exceptions.isEmpty { lines.append("exceptions: " + exceptions.joined(separator: ", ")) }
        let interrupts = c.interrupts.enumerated().filter { $0.element > 0 }.map { "irq \($0.offset): \($0.element)" }
        if !interrupts.isEmpty { lines.append("interrupts: " + interrupts.joined(separator: ", ")) }
        lines.append("page walks: \(c.pageWalks) (\(c.pageWalkSteps) steps), TLB misses: \(c.tlbMisses), TLB flushes: \(c.tlbFlushes)")
        lines.append("blocks decoded: \(c.blocksDecoded), block cache hits: \(c.blockCacheHits), misses: \(c.blockCacheMisses), code invalidations: \(c.codeInvalidations)")
        lines.append("blocks compiled to host code: \(c.blocksCompiled), entries from the dispatch loop: \(c.compiledEntries), early stops back to it: \(c.compiledBlockStops)")
        lines.append("MMIO accesses: \(c.mmioAccesses), WFI sleeps: \(c.wfiSleeps)")
        return lines
    }

    /// Fixed-point formatting without Foundation.
    func formatted(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0 ..< digits { scale *= 10 }
        let scaled = UInt64((value * scale).rounded())
        let whole = scaled / UInt64(scale)
        var fraction = String(scaled % UInt64(scale))
        while fraction.count < digits { fraction = "0" + fraction }
        return digits == 0 ? "\(whole)" : "\(whole).\(fraction)"
    }
}
