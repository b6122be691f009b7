import Machine
import RISCV

/// What varies between `virt` boards: the things QEMU takes from `-m`, `-cpu ...,h=`,
/// `-append` and `-initrd`, plus how time passes.
public struct VirtBoardConfiguration: Sendable, Equatable {
    /// Bytes of RAM at 0x8000_0000 (QEMU's default for `virt` is 128 MiB).
    public var ramSize: UInt64
    /// Harts (`-smp`), 1 through `VirtMemoryMap.maximumHarts`; hart IDs run from 0.
    public var hartCount: Int
    /// Whether the hart implements the hypervisor extension; adds "h" to `riscv,isa`.
    public var hypervisor: Bool
    /// The kernel command line, published as `/chosen/bootargs`.
    public var bootArguments: String?
    /// Where an initial RAM disk was loaded, published as `/chosen/linux,initrd-start/end`.
    public var initrd: Range<UInt64>?
    /// Real time follows the host clock; virtual time follows instructions retired, for
    /// reproducible counts.
    public var timebaseMode: Timebase.Mode
    /// Backing files of the two flash banks (QEMU's `-drive if=pflash,file=...`, first one
    /// for bank 0, nil for none); a bank without a file starts blank and keeps writes in memory.
    public var flashImages: [String?]
    /// QEMU's `-no-reboot`: a guest reset ends the run instead of restarting the machine.
    public var noReboot: Bool
    /// Seeds the generator behind `/chosen/rng-seed` so that runs are repeatable, like QEMU's
    /// `-seed`; nil takes the seed from the host's random number generator, as QEMU does by default.
    public var randomSeed: UInt64?

    /// The defaults are QEMU's: `-m 128M`, no H extension, no command line, no initrd, blank
    /// flash, a random rng-seed; real time.
    public init(ramSize: UInt64 = 128 << 20, hartCount: Int = 1, hypervisor: Bool = false, bootArguments: String? = nil,
                initrd: Range<UInt64>? = nil, timebaseMode: Timebase.Mode = .realTime,
                flashImages: [String?] = [], randomSeed: UInt64? = nil, noReboot: Bool = false) {
        self.ramSize = ramSize
        self.hartCount = hartCount
        self.hypervisor = hypervisor
        self.bootArguments = bootArguments
        self.initrd = initrd
        self.timebaseMode = timebaseMode
        self.flashImages = flashImages
        self.randomSeed = randomSeed
        self.noReboot = noReboot
    }
}

/// Why a board could not be built.
public enum VirtBoardError: Error, CustomStringConvertible {
    case memory(PhysicalMemory.AllocationError)
    case attach(Bus.AttachError)
    case bootArgumentsContainNUL
    case initrdOutsideRAM(Range<UInt64>)
    case flash(CFIFlash.Error)
    case tooManyFlashImages(Int)
    case hartCount(Int)

    public var description: String {
        switch self {
        case .memory(let e): return e.description
        case .attach(let e): return e.description
        case .bootArgumentsContainNUL: return "the kernel command line contains a NUL byte, which cannot be put in the device tree"
        case .initrdOutsideRAM(let r):
            return "the initrd range 0x\(String(r.lowerBound, radix: 16))-0x\(String(r.upperBound, radix: 16)) is not inside RAM"
        case .flash(let e): return e.description
        case .tooManyFlashImages(let n):
            return "\(n) pflash drives given; the virt board has \(VirtMemoryMap.flashBankCount) flash banks"
        case .hartCount(let n):
            return "\(n) harts asked for; the virt board has 1 to \(VirtMemoryMap.maximumHarts), as QEMU's"
        }
    }
}

/// A thread-safe handle for feeding console input to the board's UART.
///
/// The board itself belongs to the thread running the hart; a console reader thread keeps
/// only this handle.
public struct ConsoleInput: Sendable {
    fileprivate let uart: UART16550

    /// Queues bytes as if typed on the serial console.
    public func send(_ bytes: [UInt8]) { uart.receive(bytes) }
}

/// The `virt` board: RAM, bus, interrupt wiring and every device at the address QEMU 7.2's
/// `virt` machine puts it, plus the device tree that describes them to firmware and kernels.
///
/// Software built for QEMU's `virt` (OpenSBI's generic platform, U-Boot's qemu-riscv64,
/// Linux) therefore runs unchanged, and results can be compared with QEMU's.
public final class VirtBoard {
    /// What this board was built with; the device tree is derived from it.
    public let configuration: VirtBoardConfiguration
    /// RAM at `VirtMemoryMap.dramBase`, `configuration.ramSize` bytes.
    public let memory: PhysicalMemory
    /// The physical address space: RAM plus every device window of `VirtMemoryMap`.
    public let bus: Bus
    /// Each hart's interrupt wires, driven by the CLINT (MSIP, MTIP) and the PLIC (MEIP, SEIP).
    public let hartInterrupts: [InterruptLines]
    /// Hart 0's wires.
    public var interrupts: InterruptLines { hartInterrupts[0] }
    /// Asks every hart to poll the devices soon, from any thread (a device's I/O thread); the
    /// first to get there does it, under the bus's device lock as every poll.
    public var devicePollRequest: @Sendable () -> Void {
        let lines = hartInterrupts
        return { for line in lines { line.requestPoll() } }
    }
    /// The board's one clock: `mtime`, the `time` CSR and Sstc all read it.
    public let timebase: Timebase
    /// Where sifive_test and the console ask the run to stop.
    public let control: MachineControl
    /// The console UART at 0x1000_0000 (PLIC source 10).
    public let uart: UART16550
    /// The interrupt controller at 0x0c00_0000.
    public let plic: PLIC
    /// MSWI and MTIMER in the SiFive CLINT layout at 0x0200_0000.
    public let clint: ACLINT
    /// The power-off / reboot / failure finisher at 0x10_0000.
    public let test: SiFiveTest
    /// The eight virtio-mmio transports, slot n at `VirtMemoryMap.virtio(n)`.
    public let virtioSlots: [VirtioMMIOSlot]
    /// The Goldfish real-time clock at 0x10_1000 (PLIC source 11).
    public let rtc: GoldfishRTC
    /// QEMU's firmware configuration interface at 0x1010_0000.
    public let firmwareConfig: FirmwareConfig
    /// The two CFI flash banks at 0x2000_0000 and 0x2200_0000.
    public let flashBanks: [CFIFlash]
    /// PCIe configuration space (ECAM) at 0x3000_0000: the host bridge and the functions
    /// plugged with `plugPCI`.
    public let pcieECAM: PCIeECAM
    /// The 32-bit and 64-bit PCIe memory windows, attached to the bus with the first function
    /// plugged (until then nothing decodes them and an access there faults, as before).
    public private(set) var pcieMemoryWindows: [PCIeMemoryWindow] = []
    /// The PCIe port I/O window at 0x0300_0000.
    public let pciePortIO: PCIePortIOWindow
    /// The 32 bytes published as `/chosen/rng-seed`, drawn once per board.
    public let randomSeedBytes: [UInt8]
    /// The harts, hart 0 first (`configuration.hartCount` of them).
    public let harts: [Hart]
    /// Hart 0, the boot hart, and the only one on a one-hart board. Stored, not `harts[0]`: the
    /// hypervisor reads it several times per guest exit, and each array read retained it.
    public let hart: Hart

    /// `riscv,isa` of the hart: only what it implements, in the order QEMU writes it (single
    /// letters, then multi-letter extensions). The multi-letter ones are those the instruction
    /// descriptions mark complete (`EncodingTable.completeMultiLetterExtensions`: an extension
    /// part-way through being added is not claimed) and the two with no instructions of their
    /// own, `implementedWithoutInstructions`. QEMU 7.2 also lists zihintpause, zbb and zbc, which
    /// this hart does not implement.
    public var isaString: String {
        let names = EncodingTable.completeMultiLetterExtensions + Self.implementedWithoutInstructions
        // QEMU's order where it has the name; one it lacks goes after the others of its kind.
        func ordered(_ kind: Character) -> [String] {
            names.filter { $0.first == kind }.sorted {
                (Self.qemuOrder.firstIndex(of: $0) ?? .max, $0) < (Self.qemuOrder.firstIndex(of: $1) ?? .max, $1)
            }
        }
        return "rv64imafdc" + (configuration.hypervisor ? "h" : "") + "_" + (ordered("z") + ordered("s")).joined(separator: "_")
    }

    /// Implemented multi-letter extensions that no instruction description stands for: the
    /// counters (Zicntr: CSRs read with csrrs) and the supervisor timer compare (Sstc: stimecmp).
    static let implementedWithoutInstructions = ["zicntr", "sstc"]

    /// The multi-letter extensions of QEMU 7.2's riscv,isa for its default rv64 cpu, in its order,
    /// with zicntr (which 7.2 does not list) after the other Zi ones, where this board puts it.
    static let qemuOrder = ["zicsr", "zifencei", "zicntr", "zihintpause", "zba", "zbb", "zbc", "zbs", "sstc"]

    /// - Parameter consoleOutput: receives every byte the guest writes to the UART, on the
    ///   thread running the hart.
    public init(configuration: VirtBoardConfiguration = .init(), hart hartConfiguration: HartConfiguration = .init(),
                consoleOutput: @escaping (UInt8) -> Void) throws(VirtBoardError) {
        if let args = configuration.bootArguments, args.utf8.contains(0) { throw .bootArgumentsContainNUL }
        guard (1...VirtMemoryMap.maximumHarts).contains(configuration.hartCount) else { throw .hartCount(configuration.hartCount) }
        let ramEnd = VirtMemoryMap.dramBase + configuration.ramSize
        if let initrd = configuration.initrd,
           initrd.lowerBound < VirtMemoryMap.dramBase || initrd.upperBound > ramEnd {
            throw .initrdOutsideRAM(initrd)
        }
        guard configuration.flashImages.count <= VirtMemoryMap.flashBankCount else {
            throw .tooManyFlashImages(configuration.flashImages.count)
        }
        var flashBanks: [CFIFlash] = []
        for index in 0..<VirtMemoryMap.flashBankCount {
            let name = VirtMemoryMap.flash(index).name
            if index < configuration.flashImages.count, let path = configuration.flashImages[index] {
                do {
                    flashBanks.append(try CFIFlash(name: name, backingFile: path))
                } catch {
                    throw .flash(error)
                }
            } else {
                flashBanks.append(CFIFlash(name: name))
            }
        }
        self.flashBanks = flashBanks
        randomSeedBytes = Self.makeRandomSeed(configuration.randomSeed)
        self.configuration = configuration
        do {
            memory = try PhysicalMemory(base: VirtMemoryMap.dramBase, size: configuration.ramSize)
        } catch {
            throw .memory(error)
        }
        bus = Bus(ram: memory)
        bus.isShared = configuration.hartCount > 1
        if bus.isShared { memory.watchCode(harts: configuration.hartCount) }
        let hartInterrupts = (0..<configuration.hartCount).map { _ in InterruptLines() }
        self.hartInterrupts = hartInterrupts
        timebase = Timebase(mode: configuration.timebaseMode)
        control = MachineControl(resetEndsRun: configuration.noReboot)

        let plic = PLIC(name: VirtMemoryMap.plic.name, harts: hartInterrupts)
        self.plic = plic
        uart = UART16550(name: VirtMemoryMap.uart0.name, timebase: timebase, output: consoleOutput) {
            [unowned plic] level in plic.setSourceLevel(VirtMemoryMap.uartIRQ, level)
        }
        clint = ACLINT(name: VirtMemoryMap.clint.name, timebase: timebase, harts: hartInterrupts)
        test = SiFiveTest(name: VirtMemoryMap.test.name, control: control)
        virtioSlots = (0..<VirtMemoryMap.virtioCount).map { index in
            let source = VirtMemoryMap.virtioIRQ(index)
            return VirtioMMIOSlot(name: VirtMemoryMap.virtio(index).name, interruptSource: source) {
                [unowned plic] level in plic.setSourceLevel(source, level)
            }
        }

        rtc = GoldfishRTC(name: VirtMemoryMap.rtc.name, timebase: timebase) {
            [unowned plic] level in plic.setSourceLevel(VirtMemoryMap.rtcIRQ, level)
        }
        firmwareConfig = FirmwareConfig(name: VirtMemoryMap.firmwareConfig.name, memory: memory)
        pcieECAM = PCIeECAM(name: VirtMemoryMap.pcieECAM.name) { [unowned plic] output, level in
            plic.setSourceLevel(VirtMemoryMap.pcieIRQ + output, level)
        }
        pciePortIO = PCIePortIOWindow(name: VirtMemoryMap.pciePortIO.name)

        let devices: [(any Device, VirtMemoryMap.Entry)] =
            [(test, VirtMemoryMap.test), (rtc, VirtMemoryMap.rtc), (clint, VirtMemoryMap.clint),
             (pciePortIO, VirtMemoryMap.pciePortIO), (plic, VirtMemoryMap.plic), (uart, VirtMemoryMap.uart0)]
            + virtioSlots.enumerated().map { ($0.element, VirtMemoryMap.virtio($0.offset)) }
            + [(firmwareConfig, VirtMemoryMap.firmwareConfig)]
            + flashBanks.enumerated().map { ($0.element, VirtMemoryMap.flash($0.offset)) }
            + [(pcieECAM, VirtMemoryMap.pcieECAM)]
        do {
            for (device, window) in devices { try bus.attach(device, at: window.base, size: window.size) }
        } catch {
            throw .attach(error)
        }
        var hartConfiguration = hartConfiguration
        hartConfiguration.hypervisor = configuration.hypervisor
        let bus = self.bus, timebase = self.timebase, control = self.control
        harts = (0..<configuration.hartCount).map { id in
            Hart(hartID: UInt64(id), bus: bus, interrupts: hartInterrupts[id], timebase: timebase, control: control,
                 configuration: hartConfiguration)
        }
        hart = harts[0]
    }

    /// Plugs a PCI function into `slot` (1-31) of the host bridge's bus 0, before the harts run,
    /// and attaches the PCIe memory windows where its BARs will be placed by the guest; false if
    /// the slot is taken.
    public func plugPCI(_ function: any PCIFunction, slot: Int) throws(VirtBoardError) -> Bool {
        guard pcieECAM.plug(function, slot: slot) else { return false }
        if pcieMemoryWindows.isEmpty {
            let windows = [VirtMemoryMap.pcieMMIO, VirtMemoryMap.pcieHighMMIO(ramSize: configuration.ramSize)]
            do {
                for window in windows {
                    let device = PCIeMemoryWindow(name: window.name, base: window.base, host: pcieECAM)
                    try bus.attach(device, at: window.base, size: window.size)
                    pcieMemoryWindows.append(device)
                }
            } catch {
                throw .attach(error)
            }
        }
        return true
    }

    /// A handle a console reader thread can use to type into the UART.
    public var consoleInput: ConsoleInput { ConsoleInput(uart: uart) }

    /// Bytes of `/chosen/rng-seed`: QEMU 7.2's `virt` board writes 32.
    static let randomSeedLength = 32

    /// The rng-seed bytes: from the host's generator, or repeatable from `seed` (SplitMix64).
    private static func makeRandomSeed(_ seed: UInt64?) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(randomSeedLength)
        if var state = seed {
            while bytes.count < randomSeedLength {
                // SplitMix64 (Steele, Lea, Flood 2014): a fixed seed gives a fixed, well-mixed stream.
                state &+= 0x9e37_79b9_7f4a_7c15
                var z = state
                z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
                z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
                z ^= z >> 31
                for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: z >> (8 * UInt64(i)))) }
            }
        } else {
            var generator = SystemRandomNumberGenerator()
            while bytes.count < randomSeedLength {
                let z = generator.next()
                for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: z >> (8 * UInt64(i)))) }
            }
        }
        return Array(bytes.prefix(randomSeedLength))
    }

    // MARK: Device tree

    /// Phandles, numbered as QEMU 7.2 numbers them so the two trees compare equal: the harts
    /// from the last to the first (each hart, then its interrupt controller), then the PLIC and
    /// the test device.
    private struct Phandles {
        let hartCount: Int
        func cpu(_ hart: Int) -> UInt32 { UInt32(2 * (hartCount - 1 - hart) + 1) }
        func cpuInterruptController(_ hart: Int) -> UInt32 { cpu(hart) + 1 }
        var plic: UInt32 { UInt32(2 * hartCount + 1) }
        var test: UInt32 { plic + 1 }
    }

    /// The `mcause` interrupt numbers the CLINT and PLIC lines arrive on (Privileged spec §3.1.9).
    private enum CPUInterrupt {
        static let machineSoftware: UInt32 = 3
        static let machineTimer: UInt32 = 7
        static let supervisorExternal: UInt32 = 9
        static let machineExternal: UInt32 = 11
    }

    /// The board's device tree as a blob, ready to be copied into RAM for the boot protocol.
    public func deviceTree() -> [UInt8] { deviceTreeDescription().flattened() }

    /// The blob with `initrd` in `/chosen` instead of `configuration.initrd`: the loader learns
    /// where the initrd goes only after the board exists (it follows the kernel).
    public func deviceTree(initrd: Range<UInt64>?) -> [UInt8] { deviceTreeDescription(initrd: initrd).flattened() }

    /// What QEMU 7.2 writes into `/chosen` at boot, in its order, for its own tree and for a
    /// `-dtb` file alike: `bootargs` when the command line is not empty, 32 bytes of `rng-seed`,
    /// then `linux,initrd-start` and `-end`. libfdt puts each new property first in its node and
    /// replaces an existing one where it stands, so the blob reads them in reverse.
    public static func setBootProperties(of chosen: inout DeviceTree.Node, bootArguments: String?, randomSeed: [UInt8],
                                         initrd: Range<UInt64>?) {
        if let bootArguments, !bootArguments.isEmpty { chosen.setProperty(.string("bootargs", bootArguments)) }
        chosen.setProperty(DeviceTree.Property("rng-seed", bytes: randomSeed))
        if let initrd {
            // QEMU 7.2 writes one cell each; a range above 4 GiB needs two, which Linux also accepts.
            if initrd.upperBound <= UInt64(UInt32.max) {
                chosen.setProperty(.cell("linux,initrd-start", UInt32(initrd.lowerBound)))
                chosen.setProperty(.cell("linux,initrd-end", UInt32(initrd.upperBound)))
            } else {
                chosen.setProperty(.u64("linux,initrd-start", initrd.lowerBound))
                chosen.setProperty(.u64("linux,initrd-end", initrd.upperBound))
            }
        }
    }

    /// The board's device tree: the nodes and properties QEMU 7.2 writes for the same
    /// configuration, in the same order and with the same phandles, so that the blob has
    /// QEMU's size and firmware lays out memory around it exactly as on QEMU. Only
    /// `riscv,isa` (what this hart implements) and the random `rng-seed` bytes differ.
    public func deviceTreeDescription() -> DeviceTree { deviceTreeDescription(initrd: configuration.initrd) }

    private func deviceTreeDescription(initrd: Range<UInt64>?) -> DeviceTree {
        typealias P = DeviceTree.Property
        typealias Node = DeviceTree.Node
        let phandles = Phandles(hartCount: configuration.hartCount)
        let hartIDs = 0..<configuration.hartCount

        func unitName(_ prefix: String, _ address: UInt64) -> String { prefix + "@" + String(address, radix: 16) }
        func plicInterrupt(_ source: Int) -> [P] {
            [.cells("interrupts", [UInt32(source)]), .cell("interrupt-parent", phandles.plic)]
        }

        let cpuNodes = hartIDs.map { id in Node("cpu@\(id)", properties: [
            .phandle(phandles.cpu(id)),
            .string("device_type", "cpu"),
            .cell("reg", UInt32(id)),
            .string("status", "okay"),
            .string("compatible", "riscv"),
            .string("riscv,isa", isaString),
            .string("mmu-type", "riscv,sv48"),
        ], children: [
            Node("interrupt-controller", properties: [
                .cell("#interrupt-cells", 1),
                .empty("interrupt-controller"),
                .string("compatible", "riscv,cpu-intc"),
                .phandle(phandles.cpuInterruptController(id)),
            ]),
        ]) }
        let cpus = Node("cpus", properties: [
            .cell("#address-cells", 1),
            .cell("#size-cells", 0),
            .cell("timebase-frequency", UInt32(Timebase.frequency)),
        ], children: cpuNodes + [
            // QEMU 7.2 puts every hart in one cluster, one core each, whatever -smp's sockets and threads say.
            Node("cpu-map", children: [Node("cluster0", children: hartIDs.map {
                Node("core\($0)", properties: [.cell("cpu", phandles.cpu($0))])
            })]),
        ])

        let memory = Node(unitName("memory", VirtMemoryMap.dramBase), properties: [
            .string("device_type", "memory"),
            .reg([(VirtMemoryMap.dramBase, configuration.ramSize)]),
        ])

        let clint = Node(unitName("clint", VirtMemoryMap.clint.base), properties: [
            .cells("interrupts-extended", hartIDs.flatMap {
                [phandles.cpuInterruptController($0), CPUInterrupt.machineSoftware,
                 phandles.cpuInterruptController($0), CPUInterrupt.machineTimer]
            }),
            .reg([(VirtMemoryMap.clint.base, VirtMemoryMap.clint.size)]),
            .strings("compatible", ["sifive,clint0", "riscv,clint0"]),
        ])
        let plic = Node(unitName("plic", VirtMemoryMap.plic.base), properties: [
            .phandle(phandles.plic),
            .cell("riscv,ndev", UInt32(PLIC.sourceCount)),
            .reg([(VirtMemoryMap.plic.base, VirtMemoryMap.plic.size)]),
            // Context order: each hart's M-mode (MEIP), then its S-mode (SEIP).
            .cells("interrupts-extended", hartIDs.flatMap {
                [phandles.cpuInterruptController($0), CPUInterrupt.machineExternal,
                 phandles.cpuInterruptController($0), CPUInterrupt.supervisorExternal]
            }),
            .empty("interrupt-controller"),
            .strings("compatible", ["sifive,plic-1.0.0", "riscv,plic0"]),
            .cell("#address-cells", 0),
            .cell("#interrupt-cells", 1),
        ])
        let serial = Node(unitName("serial", VirtMemoryMap.uart0.base), properties: plicInterrupt(VirtMemoryMap.uartIRQ) + [
            .cell("clock-frequency", UInt32(UART16550.inputClockFrequency)),
            .reg([(VirtMemoryMap.uart0.base, VirtMemoryMap.uart0.size)]),
            .string("compatible", "ns16550a"),
        ])
        let test = Node(unitName("test", VirtMemoryMap.test.base), properties: [
            .phandle(phandles.test),
            .reg([(VirtMemoryMap.test.base, VirtMemoryMap.test.size)]),
            .strings("compatible", ["sifive,test1", "sifive,test0", "syscon"]),
        ])
        // QEMU adds the transports from the last to the first, and libfdt puts each new
        // node first, so they appear in descending address order.
        let virtio = (0..<VirtMemoryMap.virtioCount).reversed().map { index in
            let window = VirtMemoryMap.virtio(index)
            return Node(unitName("virtio_mmio", window.base), properties: plicInterrupt(VirtMemoryMap.virtioIRQ(index)) + [
                .reg([(window.base, window.size)]),
                .string("compatible", "virtio,mmio"),
            ])
        }
        let rtc = Node(unitName("rtc", VirtMemoryMap.rtc.base), properties: plicInterrupt(VirtMemoryMap.rtcIRQ) + [
            .reg([(VirtMemoryMap.rtc.base, VirtMemoryMap.rtc.size)]),
            .string("compatible", "google,goldfish-rtc"),
        ])
        let soc = Node("soc", properties: [
            .cell("#address-cells", 2),
            .cell("#size-cells", 2),
            .string("compatible", "simple-bus"),
            .empty("ranges"),
        ], children: [rtc, serial, test, pcieHostNode()] + virtio + [plic, clint])

        // Linux and U-Boot find power off and reboot through syscon nodes pointing at the
        // sifive_test register.
        func syscon(_ name: String, _ value: UInt64, _ compatible: String) -> Node {
            Node(name, properties: [
                .cell("value", UInt32(value)),
                .cell("offset", 0),
                .cell("regmap", phandles.test),
                .string("compatible", compatible),
            ])
        }

        var chosen = Node("chosen", properties: [.string("stdout-path", "/soc/" + serial.name)])
        Self.setBootProperties(of: &chosen, bootArguments: configuration.bootArguments, randomSeed: randomSeedBytes,
                               initrd: initrd)

        let flash = Node(unitName("flash", VirtMemoryMap.flash.base), properties: [
            .cell("bank-width", UInt32(CFIFlash.Geometry.bankWidth)),
            .reg((0..<VirtMemoryMap.flashBankCount).map { (VirtMemoryMap.flash($0).base, VirtMemoryMap.flash($0).size) }),
            .string("compatible", "cfi-flash"),
        ])
        let firmwareConfig = Node(unitName("fw-cfg", VirtMemoryMap.firmwareConfig.base), properties: [
            .empty("dma-coherent"),
            .reg([(VirtMemoryMap.firmwareConfig.base, VirtMemoryMap.firmwareConfig.size)]),
            .string("compatible", "qemu,fw-cfg-mmio"),
        ])
        // QEMU's window for user-created sysbus devices: empty, but described.
        let platformBus = Node(unitName("platform-bus", VirtMemoryMap.platformBus.base), properties: [
            .cell("interrupt-parent", phandles.plic),
            .cells("ranges", [0, 0, UInt32(VirtMemoryMap.platformBus.base), UInt32(VirtMemoryMap.platformBus.size)]),
            .cell("#address-cells", 1),
            .cell("#size-cells", 1),
            .strings("compatible", ["qemu,platform", "simple-bus"]),
        ])

        let root = Node("", properties: [
            .cell("#address-cells", 2),
            .cell("#size-cells", 2),
            .string("compatible", "riscv-virtio"),
            .string("model", "riscv-virtio,qemu"),
        ], children: [
            pmuNode(),
            firmwareConfig,
            flash,
            chosen,
            syscon("poweroff", SiFiveTest.Status.pass, "syscon-poweroff"),
            syscon("reboot", SiFiveTest.Status.reset, "syscon-reboot"),
            platformBus,
            memory,
            cpus,
            soc,
        ])
        return DeviceTree(root: root)
    }

    /// The PCIe host bridge (ECAM, bus 0-255) with QEMU's windows and its INTx swizzle.
    private func pcieHostNode() -> DeviceTree.Node {
        // interrupt-map: one entry per (slot 0-3, pin INTA-INTD); the mask repeats it for the
        // other slots. Slot s, pin p raises PCIE_IRQ + (p + s) mod 4 (PCI-to-PCI Bridge
        // Architecture Specification §9.1, the standard swizzle).
        let phandles = Phandles(hartCount: configuration.hartCount)
        var interruptMap: [UInt32] = []
        for slot in 0..<VirtMemoryMap.pcieIRQCount {
            for pin in 0..<VirtMemoryMap.pcieIRQCount {
                interruptMap += [UInt32(slot << 11), 0, 0, UInt32(pin + 1), phandles.plic,
                                 UInt32(VirtMemoryMap.pcieIRQ + (pin + slot) % VirtMemoryMap.pcieIRQCount)]
            }
        }
        // ranges: (PCI space code and address, CPU address, size). Space codes from the PCI
        // bus binding (IEEE 1275): 0x0100_0000 I/O, 0x0200_0000 32-bit memory, 0x0300_0000 64-bit memory.
        func split(_ value: UInt64) -> [UInt32] { [UInt32(truncatingIfNeeded: value >> 32), UInt32(truncatingIfNeeded: value)] }
        let io = VirtMemoryMap.pciePortIO, mmio = VirtMemoryMap.pcieMMIO
        let high = VirtMemoryMap.pcieHighMMIO(ramSize: configuration.ramSize)
        let ranges: [UInt32] = [0x0100_0000] + split(0) + split(io.base) + split(io.size)
            + [0x0200_0000] + split(mmio.base) + split(mmio.base) + split(mmio.size)
            + [0x0300_0000] + split(high.base) + split(high.base) + split(high.size)
        let ecam = VirtMemoryMap.pcieECAM
        let lastBus = UInt32(ecam.size >> 20) - 1  // one MiB of ECAM per bus
        return DeviceTree.Node("pci@" + String(ecam.base, radix: 16), properties: [
            .cells("interrupt-map-mask", [0x1800, 0, 0, 0x7]),
            .cells("interrupt-map", interruptMap),
            .cells("ranges", ranges),
            .reg([(ecam.base, ecam.size)]),
            .empty("dma-coherent"),
            .cells("bus-range", [0, lastBus]),
            .cell("linux,pci-domain", 0),
            .string("device_type", "pci"),
            .string("compatible", "pci-host-ecam-generic"),
            .cell("#size-cells", 2),
            .cell("#interrupt-cells", 1),
            .cell("#address-cells", 3),
        ])
    }

    /// The SBI PMU description QEMU 7.2 writes (`riscv_pmu_generate_fdt_node` with its 16
    /// programmable counters): which counters OpenSBI may use for which perf events. Each
    /// triple is (first event, last event, counter bitmap); the events are the SBI PMU
    /// hardware and cache event codes (SBI spec §11.6).
    ///
    /// This hart's mhpmcounter3-31 are read-only zero (a legal implementation), so OpenSBI
    /// finds no programmable counters and only cycle and instret ever count; the node is kept
    /// so that the tree, and every address firmware derives from its size, stay QEMU's.
    private func pmuNode() -> DeviceTree.Node {
        let programmable: UInt32 = 0x7fff8  // mhpmcounter3 ... mhpmcounter18
        let cycle: UInt32 = 0x1, instructions: UInt32 = 0x4
        let cpuCycles: UInt32 = 0x1, instructionsRetired: UInt32 = 0x2
        let dTLBReadMiss: UInt32 = 0x1_0019, dTLBWriteMiss: UInt32 = 0x1_001b, iTLBReadMiss: UInt32 = 0x1_0021
        return DeviceTree.Node("pmu", properties: [
            .cells("riscv,event-to-mhpmcounters", [
                cpuCycles, cpuCycles, cycle | programmable,
                instructionsRetired, instructionsRetired, instructions | programmable,
                dTLBReadMiss, dTLBReadMiss, programmable,
                dTLBWriteMiss, dTLBWriteMiss, programmable,
                iTLBReadMiss, iTLBReadMiss, programmable,
                // QEMU writes its whole 20-cell table; the unused tail is zeros.
                0, 0, 0, 0, 0,
            ]),
            .string("compatible", "riscv,pmu"),
        ])
    }
}
