#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Devices
import Foundation
import Hypervisor
import Loader
import Machine
import Network
import Storage
import Virtio

/// `virtbench run`: boot firmware and/or a kernel on the `virt` board, QEMU-style.
///
/// Options use QEMU's spellings and meanings (`-M`, `-m`, `-smp`, `-cpu`, `-bios`, `-kernel`,
/// `-initrd`, `-append`, `-dtb`, `-drive`, `-device`, `-netdev`, `-object`, `-chardev`, `-global`, `-serial`, `-monitor`, `-nographic`, `-no-reboot`,
/// `-no-shutdown`, `-d`, `-D`) so a `qemu-system-riscv64` command line can be pasted after
/// `virtbench run`. QEMUArguments reads the words before ArgumentParser does (one dash or two,
/// a value is the next word whatever it looks like), so every value option here parses
/// `.unconditional`ly.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
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

    @Option(name: [.customLong("bios", withSingleDash: true), .customLong("bios")], parsing: .unconditional, help: ArgumentHelp("Firmware: none, default (OpenSBI fw_dynamic), or a file (ELF or raw).", valueName: "none|default|file"))
    var bios: String = "default"

    @Option(name: [.customLong("kernel", withSingleDash: true), .customLong("kernel")], parsing: .unconditional, help: ArgumentHelp("Kernel or bare-metal program (ELF or raw).", valueName: "file"))
    var kernel: String?

    @Option(name: [.customLong("initrd", withSingleDash: true), .customLong("initrd")], parsing: .unconditional,
            help: ArgumentHelp("Initial RAM disk, loaded as it is where QEMU puts it (the kernel's start plus half of RAM, at most 128 MiB) and published in /chosen.", valueName: "file"))
    var initrd: String?

    @Option(name: [.customLong("append", withSingleDash: true), .customLong("append")], parsing: .unconditional, help: ArgumentHelp("Kernel command line (/chosen/bootargs); needs -kernel.", valueName: "string"))
    var append: String?

    @Option(name: [.customLong("dtb", withSingleDash: true), .customLong("dtb")], parsing: .unconditional,
            help: ArgumentHelp("A device tree blob to use instead of the board's; /chosen gets the command line, rng-seed and initrd as QEMU writes them.", valueName: "file"))
    var dtb: String?

    @Flag(name: [.customLong("nographic", withSingleDash: true), .customLong("nographic")], help: "As in QEMU: the UART and the monitor share stdio (-serial mon:stdio; Ctrl-A C switches) unless -serial or -monitor says otherwise. Without it the UART has stdio and there is no monitor unless asked for.")
    var nographic = false

    @Option(name: [.customLong("cpu", withSingleDash: true), .customLong("cpu")], parsing: .unconditional, help: ArgumentHelp("rv64, optionally with ,h=on or ,h=off.", valueName: "cpu"))
    var cpu: String = "rv64"

    @Option(name: [.customLong("drive", withSingleDash: true), .customLong("drive")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("A flash bank image: if=pflash,file=PATH[,format=raw][,unit=0|1] (32 MiB, written back); or a disk for -device virtio-blk-device / virtio-blk-pci: file=PATH,if=none[,format=raw|qcow2],id=ID[,readonly=on][,cache=writeback|none|writethrough|directsync|unsafe][,discard=ignore|unmap][,detect-zeroes=off|on|unmap] (no format=: probed, qcow2 by its magic, else raw with a warning); with if=virtio instead of if=none (id= optional) a virtio-blk-pci device of its own.", valueName: "spec"))
    var drives: [String] = []

    @Option(name: [.customLong("device", withSingleDash: true), .customLong("device")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("A virtio-mmio device: virtio-blk-device,drive=ID[,bus=virtio-mmio-bus.N][,serial=S][,num-queues=N], virtio-net-device,netdev=ID[,mac=52:54:00:xx:xx:xx][,bus=virtio-mmio-bus.N] or virtio-rng-device[,bus=virtio-mmio-bus.N]; virtio-serial-device[,bus=virtio-mmio-bus.N] with virtconsole[,chardev=ID] as its port 0 (hvc0 on Linux); virtio-9p-device,fsdev=ID,mount_tag=TAG[,bus=virtio-mmio-bus.N] (a -fsdev share); without bus= the free slot at the highest address, as QEMU 7.2. Or a modern virtio-pci device on the PCIe bus: virtio-blk-pci, virtio-net-pci, virtio-rng-pci, virtio-serial-pci, virtio-9p-pci (and their -non-transitional names) with the same properties and [,addr=SLOT] instead of bus=; without addr= the lowest free slot from 1.", valueName: "spec"))
    var devices: [String] = []

    @Option(name: [.customLong("fsdev", withSingleDash: true), .customLong("fsdev")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("A host folder for -device virtio-9p-device|virtio-9p-pci,fsdev=ID,mount_tag=TAG (9P2000.L, what Linux mounts with mount -t 9p -o trans=virtio,version=9p2000.L TAG /mnt): local,id=ID,path=DIR,security_model=none[,readonly=on]. Every lookup stays inside DIR (openat2 with RESOLVE_BENEATH and no symlinks followed by the server); owners and modes pass through as far as virtbench may; device nodes are neither opened nor made. \(FileSystemSpec.refusedSummary).", valueName: "spec"))
    var fsdevs: [String] = []

    @Option(name: [.customLong("virtfs", withSingleDash: true), .customLong("virtfs")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("A host folder on a virtio-9p-pci device of its own, as QEMU's -virtfs: local,path=DIR,mount_tag=TAG,security_model=none[,readonly=on][,id=ID]. --mode native only (a domain has no PCIe bus: use -fsdev with -device virtio-9p-device there).", valueName: "spec"))
    var virtfs: [String] = []

    @Option(name: [.customLong("chardev", withSingleDash: true), .customLong("chardev")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("A character device for -device virtconsole,chardev=ID: stdio,id=ID[,signal=on|off] (needs the UART and the monitor off stdio: -serial null, and -monitor none with -nographic), file,id=ID,path=PATH or null,id=ID.", valueName: "spec"))
    var chardevs: [String] = []

    @Option(name: [.customLong("netdev", withSingleDash: true), .customLong("netdev")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("A network back-end for -device virtio-net-device|virtio-net-pci,netdev=ID[,mac=52:54:00:xx:xx:xx]: user,id=ID[,restrict=on|off][,hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]... (libslirp's NAT on QEMU's 10.0.2.0/24: gateway and host 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15); stream,id=ID,server=on|off,addr.type=inet,addr.host=IP,addr.port=PORT|addr.type=unix,addr.path=PATH or socket,id=ID,listen=[IP]:PORT|connect=IP:PORT (TCP, QEMU's length-prefixed frames); dgram,id=ID,local.type=inet,local.host=IP,local.port=PORT,remote.type=inet,remote.host=IP,remote.port=PORT or socket,id=ID,udp=IP:PORT,localaddr=IP:PORT (a frame per UDP datagram). --mode native and hav.", valueName: "spec"))
    var netdevs: [String] = []

    @Option(name: [.customLong("object", withSingleDash: true), .customLong("object")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("filter-dump,id=ID,netdev=NETDEV,file=PATH[,maxlen=N]: every frame of a -netdev, both ways, into a pcap file (as QEMU's filter-dump). --mode native and hav.", valueName: "spec"))
    var objects: [String] = []

    @Option(name: [.customLong("global", withSingleDash: true), .customLong("global")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("virtio-mmio.force-legacy=false for the modern (version 2) virtio-mmio transport; legacy (version 1) by default, as QEMU 7.2.", valueName: "driver.property=value"))
    var globals: [String] = []

    @Option(name: [.customLong("smp", withSingleDash: true), .customLong("smp")], parsing: .unconditional,
            help: ArgumentHelp("Harts: N or [cpus=]N[,sockets=S][,cores=C][,threads=T][,maxcpus=M], with QEMU's meaning (virt puts them all in one cluster).", valueName: "spec"))
    var smp: String = "1"

    @Option(name: [.customShort("M"), .customLong("machine", withSingleDash: true), .customLong("machine")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("virt[,key=value...]: dumpdtb=FILE writes the device tree and exits; kernel=, initrd=, append=, dtb=, firmware= as the options; aclint=off, aia=none, graphics=off, usb=off. -M help, -M virt,help list them.", valueName: "machine"))
    var machine: [String] = []

    @Option(name: [.customLong("serial", withSingleDash: true), .customLong("serial")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("The UART: stdio (default; Ctrl-A X quits, Ctrl-A H lists the keys), mon:stdio (shared with the monitor: Ctrl-A C switches between them), file:PATH, null or none.", valueName: "dev"))
    var serial: [String] = []

    @Option(name: [.customLong("monitor", withSingleDash: true), .customLong("monitor")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("QEMU's human monitor at a (qemu) prompt: stdio (the UART must then be off stdio) or none. Commands: help, info registers [-a|N], info cpus, info status, cpu N, stop, cont, system_reset, quit. Not with the gdb stub.", valueName: "dev"))
    var monitor: [String] = []

    @Flag(name: [.customLong("no-reboot", withSingleDash: true), .customLong("no-reboot")], help: "A guest reset ends the run (status 0) instead of restarting the machine.")
    var noReboot = false

    @Flag(name: [.customLong("no-shutdown", withSingleDash: true), .customLong("no-shutdown")],
          help: "As in QEMU 7.2: a shutdown that is not sifive_test's (here: a reset under -no-reboot) stops the machine until Ctrl-A X or the end of input; sifive_test's power off and failure still end the run.")
    var noShutdown = false

    @Option(name: .customShort("d"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("QEMU's log items: in_asm or exec (every instruction), int (every trap); -d help lists them.", valueName: "item,..."))
    var debugItems: [String] = []

    @Option(name: .customShort("D"), parsing: .unconditional, help: ArgumentHelp("Write the -d log to this file instead of stderr.", valueName: "logfile"))
    var debugFile: String?

    @Flag(name: [.customLong("version", withSingleDash: true), .customLong("version")], help: "Print the version and exit.")
    var version = false

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

    @Flag(name: .customShort("S"), help: "Do not start the harts until gdb continues them (or, without gdb, the monitor's cont).")
    var waitForDebugger = false

    @Option(name: [.customLong("gdb", withSingleDash: true), .customLong("gdb")], parsing: .unconditional,
            help: ArgumentHelp("Listen for gdb on tcp:[HOST]:PORT (HOST 127.0.0.1 unless given; port 0 picks a free one), or none.", valueName: "dev"))
    var gdb: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("native: the kernel runs on the board itself; hav: it runs as a VS-mode guest of the Swift hypervisor, which answers its SBI calls; full (or simulation): it runs deprivileged in U-mode on a hart without H, trap-and-emulate with shadow page tables; para: a kernel built for the hypercall ABI (kernel-pv) runs in U-mode on a host without H.", valueName: "native|hav|full|para"))
    var mode: String = "native"

    @Option(parsing: .unconditional, help: ArgumentHelp("compiled: blocks run as x86-64 host code where the host allows (the default; VIRTBENCH_ENGINE=interpreter changes it); interpreter: every block through the dispatch loop.", valueName: "compiled|interpreter"))
    var engine: String = HartConfiguration.compileBlocksByDefault ? "compiled" : "interpreter"

    @Option(name: .customLong("compile-threshold"), parsing: .unconditional,
            help: ArgumentHelp("With the compiled engine: how many times a block runs in the dispatch loop before it is compiled (0: at its first run).", valueName: "runs"))
    var compileThreshold: UInt32 = HartConfiguration.defaultCompileThreshold

    func hartConfiguration(hypervisor: Bool, trace: ((String) -> Void)?, trapTrace: ((String) -> Void)? = nil) -> HartConfiguration {
        var configuration = HartConfiguration(hypervisor: hypervisor, trace: trace)
        configuration.trapTrace = trapTrace
        configuration.compileBlocks = engine == "compiled"
        configuration.compileThreshold = compileThreshold
        return configuration
    }

    func run() throws {
        if version {
            print(VirtBenchVersion.line)
            return
        }
        if devices.contains("help") {
            print(DeviceOptions.helpText, terminator: "")
            return
        }
        let machineOptions = try MachineOptions.parse(machine)
        if machineOptions.help != nil {
            print(machineOptions.helpText, terminator: "")
            return
        }
        let (debugLog, debugHelp) = try DebugLog.parse(items: debugItems, file: debugFile)
        if debugHelp {
            print(DebugLog.helpText, terminator: "")
            return
        }
        let layout = try ConsoleLayout.resolve(serial: serial, monitor: monitor, nographic: nographic)
        let serialBackend = layout.serial
        // `-M kernel=` and the like are the options of the same names.
        let kernel = try Self.merge(self.kernel, machineOptions.kernel, "kernel")
        let initrd = try Self.merge(self.initrd, machineOptions.initrd, "initrd")
        let append = try Self.merge(self.append, machineOptions.append, "append")
        let dtb = try Self.merge(self.dtb, machineOptions.deviceTree, "dtb")
        let bios = bios == "default" ? machineOptions.firmware ?? bios : bios
        if append != nil && kernel == nil { throw CommandError("-append needs -kernel (QEMU: -append only allowed with -kernel option)") }
        if initrd != nil && kernel == nil { throw CommandError(BootError.initrdWithoutKernel.description) }
        if layout.monitor == .stdio, let device = gdb ?? (gdbOnDefaultPort ? Self.defaultDebuggerDevice : nil), device != "none" {
            throw CommandError("-monitor stdio cannot be used with the gdb stub (-s, -gdb) here: the stub runs the harts itself (use -monitor none)")
        }
        let debugServer = try startDebugServer(monitor: layout.monitor != .none && mode == "native")

        guard engine == "compiled" || engine == "interpreter" else {
            throw CommandError("unknown engine '\(engine)': use compiled or interpreter")
        }
        if mode != "native" {
            // The hypervisor modes boot one kernel (with its initrd and command line) as a domain,
            // whose device tree the hypervisor generates: the board's other boot files and devices do not apply.
            // Virtio devices (NICs and their -netdev back-ends too) need the domain's PLIC, which
            // only hav has; a virtconsole's chardev would share stdin with the domain's UART, so
            // guest modes take none.
            let virtio = mode == "hav"
            let unsupported = [("-dtb", dtb != nil), ("-M dumpdtb", machineOptions.dumpDeviceTree != nil),
                               ("-device", !virtio && !devices.isEmpty), ("-drive", !virtio && !drives.isEmpty), ("-fsdev", !virtio && !fsdevs.isEmpty),
                               ("-virtfs", !virtfs.isEmpty),
                               ("-global", !virtio && !globals.isEmpty), ("-chardev", !chardevs.isEmpty),
                               ("-netdev", !virtio && !netdevs.isEmpty), ("-object", !virtio && !objects.isEmpty),
                               ("-serial", serialBackend != .stdio), ("-monitor stdio", layout.monitor == .stdio), ("-no-reboot", noReboot), ("-no-shutdown", noShutdown),
                               ("-d", debugLog.isEnabled)].filter(\.1).map(\.0)
            if let first = unsupported.first {
                let modes = ["-device", "-drive", "-global", "-fsdev", "-netdev", "-object"].contains(first) ? "--mode native and hav" : "--mode native"
                // -virtfs makes a virtio-9p-pci device, and a domain has no PCIe bus.
                let hint = first == "-virtfs" && virtio ? " (a domain has no PCIe bus: use -fsdev local,id=ID,path=DIR,security_model=none with -device virtio-9p-device,fsdev=ID,mount_tag=TAG)" : ""
                throw CommandError("\(first) applies to \(modes) only, not --mode \(mode)\(hint)")
            }
            let cpus = try SMPTopology.parse(smp).cpus
            if cpus > 1 && mode != "hav" {
                throw CommandError("-smp \(smp): a domain under --mode \(mode) has one vCPU (multi-vCPU domains are built for --mode hav only); use -smp 1")
            }
            if cpus > DomainConfiguration.maximumVCPUs {
                throw CommandError("-smp \(smp): a domain under --mode \(mode) has at most \(DomainConfiguration.maximumVCPUs) vCPUs")
            }
        }
        switch mode {
        case "native": break
        case "hav":
            if cpu != "rv64", try !Self.parseCPU(cpu) { throw CommandError("--mode hav runs its guest with the H extension: -cpu rv64,h=off cannot be used") }
            return try runAsGuest(.hardwareAssisted, layout: layout, initrd: initrd, append: append)
        case "full", "simulation":
            if try Self.parseCPU(cpu) { throw CommandError("--mode full uses no H extension: the host hart has none (-cpu rv64 or rv64,h=off)") }
            return try runAsGuest(.full, layout: layout, initrd: initrd, append: append)
        case "para":
            if try Self.parseCPU(cpu) { throw CommandError("--mode para uses no H extension: the host hart has none (-cpu rv64 or rv64,h=off)") }
            return try runAsGuest(.para, layout: layout, initrd: initrd, append: append)
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

        let deviceOptions = try DeviceOptions.parse(drives: drives, devices: devices, globals: globals, characterDevices: chardevs,
                                                    networkBackends: netdevs, objects: objects, fileSystems: fsdevs, virtfs: virtfs)
        _ = try deviceOptions.slotAssignment()
        if layout.stdioTaken, let stdio = deviceOptions.characterDevices.first(where: { $0.backend == .stdio }) {
            // QEMU's words; its -nographic puts the serial port and the monitor on stdio.
            let holder = serialBackend == .stdio ? "the UART has it: add -serial null" : "the monitor has it: add -monitor none"
            throw CommandError("-chardev \(stdio.spec): cannot use stdio by multiple character devices (\(holder), as QEMU needs -serial null -monitor none with -nographic)")
        }

        let flashImages = deviceOptions.flashImages
        let hartCount = try SMPTopology.parse(smp).cpus
        let timebaseMode: Timebase.Mode = virtualTime ? .virtual(instructionsPerTick: Self.virtualInstructionsPerTick) : .realTime
        let consoleOutput = try serialBackend.makeOutput()
        let (traceSink, trapSink) = try traceSinks(debugLog)
        let board: VirtBoard
        do {
            board = try VirtBoard(configuration: VirtBoardConfiguration(ramSize: ramSize, hartCount: hartCount, hypervisor: hypervisor,
                                                                        bootArguments: append, timebaseMode: timebaseMode,
                                                                        flashImages: flashImages, noReboot: noReboot),
                                  hart: hartConfiguration(hypervisor: hypervisor, trace: traceSink, trapTrace: trapSink),
                                  consoleOutput: consoleOutput)
        } catch {
            throw CommandError(error.description)
        }
        // A device writing guest RAM drops the decoded code there. With one hart the write happens
        // on its own thread (the store to QueueNotify), so its block cache can be told directly;
        // with several, each hart's cache belongs to its thread, and RISC-V already requires a
        // FENCE.I before running code a device wrote, which drops a sharing hart's decoded code.
        // Unowned, not weak: the board (which owns the devices holding this closure) owns the hart,
        // and a weak reference would give the hart a refcount side table, which sends every retain
        // and release of the hart, in the engine's hot paths too, through the runtime's slow path.
        let wroteMemory: ((Range<UInt64>) -> Void)? = board.harts.count == 1 ? { [unowned hart = board.hart] in hart.hostWroteMemory($0) } : nil
        let (transports, virtconsoleInput) = try deviceOptions.plug(into: board, wroteMemory: wroteMemory, synchronousIO: virtualTime) {
            printError("virtbench: " + $0)
        }
        let bootOptions = BootOptions(firmware: firmware, kernel: kernel, initrd: initrd, deviceTree: dtb)
        if let dumpPath = machineOptions.dumpDeviceTree {
            return try dumpDeviceTree(bootOptions, board: board, to: dumpPath)
        }
        let plan: BootPlan
        do {
            plan = try BootLoader.boot(bootOptions, on: board)
        } catch {
            throw CommandError(error.description)
        }
        for warning in plan.warnings { printError("virtbench: warning: " + warning) }

        let hart = board.hart

        let consoleState = ConsoleState()
        Console.enterRawMode()
        let budget = InstructionBudget(maxInstructions)
        // With a monitor (and no gdb stub, which runs the harts itself) the run loop goes on a
        // thread of its own that the monitor can stop (MonitoredRun).
        let monitored = debugServer == nil && layout.monitor != .none
            ? MonitoredRun(board: board) { [self] in self.runLoop(hart: hart, board: board, plan: plan, console: consoleState, budget: budget) }
            : nil
        let monitor = consoleMonitor(layout, run: monitored)
        // The harts run before the console reads a key, so the monitor always finds a run to stop.
        let started = Timebase.monotonicNanoseconds()
        monitored?.start(paused: waitForDebugger)
        // Without the serial port on stdio the terminal still reads Ctrl-A X; the rest goes to a
        // virtconsole on stdio or the monitor, or is dropped.
        let consoleInput = board.consoleInput
        if serialBackend == .stdio {
            Console.startInputThread(input: consoleInput, control: board.control, state: consoleState, monitor: monitor)
        } else if let virtconsoleInput {
            Console.startInputThread(send: { virtconsoleInput.send($0) }, control: board.control, state: consoleState)
        } else {
            Console.startInputThread(send: { _ in }, control: board.control, state: consoleState, monitor: monitor)
        }

        let outcome: Outcome
        if let monitored {
            outcome = monitored.waitForEnd()
        } else {
            outcome = runUnderDebugger(debugServer, board: board, plan: plan)
                ?? runLoop(hart: hart, board: board, plan: plan, console: consoleState, budget: budget)
        }
        let elapsed = Timebase.monotonicNanoseconds() - started
        Self.flushDrives(transports)
        if noShutdown, case .stopped(.resetWithoutReboot) = outcome {
            // QEMU pauses the machine rather than exiting; only a quit ends the process.
            while !consoleState.inputClosed { usleep(10_000) }
        }
        Console.restoreTerminal()
        if summary {
            printSummary(harts: board.harts, outcome: outcome, nanoseconds: elapsed)
            for transport in transports { printError("  " + Self.summaryLine(transport)) }
        }
        if case .error(let message) = outcome { throw CommandError(message) }
        if case .noProgress = outcome { printError("virtbench: " + outcome.text) }
        let status = outcome.exitStatus
        if status != 0 { throw GuestExit(status: status) }
    }

    /// One value given two ways (`-kernel K` and `-M kernel=K`): both may name the same thing.
    static func merge(_ option: String?, _ property: String?, _ name: String) throws -> String? {
        if let option, let property, option != property {
            throw CommandError("-\(name) '\(option)' and -machine \(name)=\(property) disagree")
        }
        return option ?? property
    }

    /// Where instruction and trap lines go: `--trace` to stderr, `-d` items to the `-d` log.
    /// Instruction tracing carries the trap lines too; trap lines alone (`-d int`) take the
    /// hart's separate trap hook, which leaves the engine at full speed.
    func traceSinks(_ log: DebugLog) throws -> (trace: ((String) -> Void)?, traps: ((String) -> Void)?) {
        let logSink = log.isEnabled ? try log.makeSink() : nil
        var targets: [(String) -> Void] = []
        if trace { targets.append { printError($0) } }
        if let logSink, log.instructions || (trace && log.traps) {
            let wantsInstructions = log.instructions, wantsTraps = log.traps
            targets.append { line in
                if line.hasPrefix("trap: ") ? wantsTraps : wantsInstructions { logSink(line) }
            }
        }
        if !targets.isEmpty {
            let all = targets
            return ({ line in for target in all { target(line) } }, nil)
        }
        return (nil, log.traps ? logSink : nil)
    }

    /// `-M virt,dumpdtb=FILE`: QEMU writes the tree the guest would get (after placing the kernel
    /// and initrd, so /chosen has them) and exits 0 without running.
    func dumpDeviceTree(_ options: BootOptions, board: VirtBoard, to path: String) throws {
        let blob: [UInt8]
        do {
            if options.firmware == .none && options.kernel == nil {
                blob = try BootLoader.deviceTreeWithoutImages(options, for: board)
            } else {
                blob = try BootLoader.plan(options, for: board).deviceTree
            }
        } catch {
            throw CommandError(error.description)
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(blob)) else {
            throw CommandError("dumpdtb=\(path): cannot write the file")
        }
        printError("virtbench: info: dtb dumped to \(path). Exiting.")
    }

    /// How a run ended.
    enum Outcome {
        case stopped(MachineControl.StopRequest)
        case instructionLimit
        /// The no-progress guard stopped the hart (`Hart.noProgressReport`).
        case noProgress(report: String)
        case error(String)
        /// The monitor stopped the harts (MonitoredRun): the run is paused, not over.
        case halted

        var exitStatus: Int32 {
            switch self {
            case .stopped(let request): return MachineControl.exitStatus(for: request)
            case .instructionLimit: return Run.limitExitStatus
            case .noProgress: return Run.noProgressExitStatus
            case .error: return 1
            case .halted: return 0
            }
        }

        var text: String {
            switch self {
            case .stopped(.powerOff): return "guest powered off"
            case .stopped(.failure(let code)): return "guest reported failure (code \(code))"
            case .stopped(.reset): return "guest reset"
            case .stopped(.resetWithoutReboot): return "guest reset (-no-reboot ends the run)"
            case .stopped(.userQuit): return "quit from the console"
            case .instructionLimit: return "instruction limit reached"
            case .noProgress(let report): return "guest made no progress: " + report
            case .error(let message): return "error: " + message
            case .halted: return "stopped by the monitor"
            }
        }
    }

    /// Runs the harts until the platform stops them or the instruction budget is spent. One hart
    /// runs on this thread exactly as before SMP (so its counts stay what they were); several go
    /// through HartScheduler: on their own threads, or in turns on this one with `--icount`, and
    /// `--max-insns` then counts the instructions of all of them.
    ///
    /// A debugger's halt (the monitor stopping the harts) returns `.halted`; the next call goes
    /// on where this one stopped, with what is left of `budget`.
    /// QEMU flushes every drive as it exits: what the guest wrote without flushing still
    /// reaches the image, qcow2 metadata waiting for its barrier included (the process ends
    /// with exit(), so no driver is ever deinitialized), and qcow2 dirty bitmaps are stored
    /// (`close`). Native and guest modes alike.
    static func flushDrives(_ transports: [VirtioTransportCore]) {
        for transport in transports {
            // A 9P request the guest left running (it powered off without waiting) still reaches the share.
            (transport.device as? VirtioNinePDevice)?.drain()
            guard let block = transport.device as? VirtioBlockDevice else { continue }
            // Writes still on an I/O thread reach the image before the flush.
            block.drain()
            do { try block.disk.close() } catch { printError("virtbench: closing \(block.disk.path): \(error)") }
        }
    }

    func runLoop(hart: Hart, board: VirtBoard, plan: BootPlan, console: ConsoleState, budget: InstructionBudget) -> Outcome {
        let scheduler = HartScheduler(harts: board.harts, control: board.control)
        let single = board.harts.count == 1
        if single { hart.recordHostThread() }
        func step(_ limit: UInt64) -> HartScheduler.Exit {
            guard single else { return scheduler.run(instructionLimit: limit) }
            switch hart.run(instructionLimit: limit) {
            case .stopped: return .stopped
            case .limitReached: return .limitReached
            case .waitingForInterrupt: return .waitingForInterrupt
            case .noProgress: return .noProgress(hart: 0)
            case .guestExit: return .guestExit(hart: 0)
            }
        }
        while true {
            let remaining = budget.remaining
            let before = scheduler.retired
            let exit = step(remaining)
            let ran = scheduler.retired &- before
            if maxInstructions != nil { budget.remaining = ran >= remaining ? 0 : remaining - ran }
            switch exit {
            case .stopped:
                guard let request = board.control.stopRequest else {
                    if board.control.debugHaltRequested { return .halted }
                    continue
                }
                if request == .reset {
                    // QEMU re-copies its boot images and restarts the harts from the reset vector.
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
            case .noProgress(let index):
                return .noProgress(report: (single ? "" : "hart \(index): ") + board.harts[index].noProgressReport)
            case .guestExit:
                // Only a hart whose HS-mode belongs to the Swift hypervisor exits to its host.
                return .error("a hart exited to a hypervisor that this command does not run")
            case .waitingForInterrupt:
                // Only console input can wake the harts now.
                if console.inputClosed {
                    return .error("the guest waits for an interrupt that nothing can raise (WFI, no timer, console input closed)")
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

    /// A virtio device's notification counts: with event index a batch of requests costs one
    /// notification each way, so notifications per request show what suppression saved. A NIC's
    /// line adds the frames its link carried each way, which the exits and notifications of a
    /// network run are counted per.
    static func summaryLine(_ transport: VirtioTransportCore) -> String {
        let s = transport.statistics
        let kind = switch transport.device.deviceType {
        case .block: "virtio-blk"
        case .entropy: "virtio-rng"
        case .console: "virtio-serial"
        case .network: "virtio-net"
        case .ninePTransport: "virtio-9p"
        }
        let eventIndex = transport.ringFeatures & VirtioFeature.eventIndex != 0 ? "on" : "off"
        var line = "\(transport.name) (\(kind), event_idx=\(eventIndex)): \(s.requests) requests, \(s.notifications) notifications from the driver, "
            + "\(s.interrupts) used-buffer interrupts, \(s.suppressedInterrupts) suppressed, \(s.deviceErrors) device errors"
        if let nic = transport.device as? VirtioNetDevice {
            let toGuest = nic.link.counters(toward: .frontEnd), fromGuest = nic.link.counters(toward: .backEnd)
            line += "; netdev \(nic.link.name): \(toGuest.frames) frames to the guest, \(fromGuest.frames) from it, "
                + "\(toGuest.totalDropped + fromGuest.totalDropped) dropped"
        }
        return line
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
