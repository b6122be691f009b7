import Devices
import Machine
import RISCV

/// What a domain is made from (Xen's domain configuration: `xl create`'s file).
public struct DomainConfiguration: Sendable, Equatable, Codable {
    public var name: String
    /// Guest RAM at guest physical 0x8000_0000, as `-m` gives it; a multiple of 2 MiB.
    public var memorySize: UInt64
    /// Raw bytes of the S-mode kernel (an ELF or a raw image loaded at `kernelAddress`).
    public var kernel: [UInt8]
    /// Where a raw kernel image is loaded and entered (QEMU's `-kernel` address with firmware).
    public var kernelAddress: GuestPhysicalAddress
    /// The instructions a domain may retire before it is stopped (a guest that never ends must
    /// not keep the host busy forever).
    public var instructionLimit: UInt64
    /// Where the kernel came from, for messages (the domain's name when nil).
    public var kernelPath: String?
    /// An initial RAM disk (`-initrd`): loaded as it is where QEMU puts it (the kernel's start
    /// plus half of RAM, at most 128 MiB) and published in `/chosen` as linux,initrd-start/end.
    public var initrd: [UInt8]?
    /// The kernel command line (`-append`), published as `/chosen/bootargs`.
    public var bootArguments: String?
    /// Virtual CPUs (`-smp`, `vcpus`): 1 up to `DomainConfiguration.maximumVCPUs` under `hav`;
    /// full and para build one (`Host.createDomain` refuses more).
    public var vcpuCount = 1
    /// The most vCPUs a domain may have: the PLIC model's contexts and the hart masks of the
    /// SBI calls would allow more, but the scheduler shares one host hart among them.
    public static let maximumVCPUs = 8

    public init(name: String, memorySize: UInt64 = 64 << 20, kernel: [UInt8],
                kernelAddress: GuestPhysicalAddress = GuestLayout.kernelAddress, instructionLimit: UInt64 = 4_000_000_000) {
        self.name = name
        self.memorySize = memorySize
        self.kernel = kernel
        self.kernelAddress = kernelAddress
        self.instructionLimit = instructionLimit
    }

    private enum CodingKeys: String, CodingKey {
        case name, memorySize, kernel, kernelAddress, instructionLimit, kernelPath, initrd, bootArguments, vcpuCount
    }

    /// Save files written before initrd, bootArguments and vcpuCount existed lack them: a
    /// missing key is the default (none, none, one vCPU).
    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        memorySize = try c.decode(UInt64.self, forKey: .memorySize)
        kernel = try c.decode([UInt8].self, forKey: .kernel)
        kernelAddress = try c.decode(GuestPhysicalAddress.self, forKey: .kernelAddress)
        instructionLimit = try c.decode(UInt64.self, forKey: .instructionLimit)
        kernelPath = try c.decodeIfPresent(String.self, forKey: .kernelPath)
        initrd = try c.decodeIfPresent([UInt8].self, forKey: .initrd)
        bootArguments = try c.decodeIfPresent(String.self, forKey: .bootArguments)
        vcpuCount = try c.decodeIfPresent(Int.self, forKey: .vcpuCount) ?? 1
    }
}

/// The guest physical memory map every domain sees: QEMU's `virt` layout, so the same
/// kernel runs natively and as a guest.
public enum GuestLayout {
    public static let ramBase = GuestPhysicalAddress(0x8000_0000)
    /// Where an S-mode kernel goes when firmware occupies the start of RAM (fw_jump's default).
    public static let kernelAddress = GuestPhysicalAddress(0x8020_0000)
    public static let uartBase = GuestPhysicalAddress(0x1000_0000), uartSize: UInt64 = 0x100
    public static let testBase = GuestPhysicalAddress(0x10_0000), testSize: UInt64 = 0x1000
    /// The PLIC window (QEMU virt's: 0x0c00_0000, 64 MiB), emulated per domain under `hav`.
    public static let plicBase = GuestPhysicalAddress(VirtMemoryMap.plic.base), plicSize = VirtMemoryMap.plic.size
    public static var uart: Range<GuestPhysicalAddress> { uartBase ..< uartBase + uartSize }
    public static var plic: Range<GuestPhysicalAddress> { plicBase ..< plicBase + plicSize }
    /// The eight virtio-mmio windows, one after another (QEMU virt's: 0x1000_1000, 4 KiB each).
    public static let virtioBase = GuestPhysicalAddress(VirtMemoryMap.virtio(0).base), virtioWindowSize = VirtMemoryMap.virtio(0).size
    public static var virtio: Range<GuestPhysicalAddress> { virtioBase ..< virtioBase + UInt64(VirtMemoryMap.virtioCount) * virtioWindowSize }
    public static var test: Range<GuestPhysicalAddress> { testBase ..< testBase + testSize }

    /// The guest physical addresses of a domain's RAM of `memorySize` bytes.
    public static func ram(memorySize: UInt64) -> Range<GuestPhysicalAddress> { ramBase ..< ramBase + memorySize }
}

/// A domain's life cycle (as `xl list` shows it: r running/runnable, b blocked, p paused, s shutdown, c crashed).
public enum DomainState: Sendable, Equatable, CustomStringConvertible {
    case created
    case runnable
    /// Stopped in WFI until its timer fires or an interrupt is injected.
    case blocked
    case paused
    /// The guest asked to stop (SBI SRST, legacy shutdown, or the test device) with this exit status.
    case shutdown(status: Int32)
    /// The host stopped it: it broke a rule or ran out of its instruction allowance.
    case crashed(reason: String)

    public var description: String {
        switch self {
        case .created: return "created"
        case .runnable: return "running"
        case .blocked: return "blocked"
        case .paused: return "paused"
        case .shutdown(let status): return "shutdown (\(status))"
        case .crashed(let reason): return "crashed: \(reason)"
        }
    }

    /// The one-letter state `xl list` prints.
    public var letter: String {
        switch self {
        case .created: return "-"
        case .runnable: return "r"
        case .blocked: return "b"
        case .paused: return "p"
        case .shutdown: return "s"
        case .crashed: return "c"
        }
    }

    public var isFinished: Bool {
        switch self {
        case .shutdown, .crashed: return true
        default: return false
        }
    }
}

/// Where one vCPU is in its life: the SBI HSM states a guest can see (SBI spec §9, Table
/// "HSM Hart States"), and, for a started vCPU, whether it waits for an interrupt.
public enum VirtualCPUState: String, Sendable, Equatable, Codable {
    /// HSM STARTED and schedulable.
    case running
    /// HSM STARTED, stopped in WFI until an interrupt it enabled is pending or its timer is due.
    case waiting
    /// HSM SUSPENDED (hart_suspend): waits like `waiting`, reported as suspended.
    case suspended
    /// HSM STOPPED: never scheduled until another vCPU calls hart_start for it.
    case stopped
    /// HSM START_PENDING: hart_start set its entry; it becomes `running` when it is first scheduled.
    case startPending

    /// The value hart_get_status returns (SBI §9.1: 0 STARTED, 1 STOPPED, 2 START_PENDING, 4 SUSPENDED).
    var hsmStatus: UInt64 {
        switch self {
        case .running, .waiting: return 0
        case .stopped: return 1
        case .startPending: return 2
        case .suspended: return 4
        }
    }

    /// Whether the scheduler may put it on the hart.
    var isSchedulable: Bool { self == .running || self == .startPending }
    /// Whether it waits for an interrupt or a timer (`VirtualizationKind.wakeUp` says when it goes on).
    var isWaiting: Bool { self == .waiting || self == .suspended }
}

/// One virtual CPU of a domain while it is off the hart.
public struct VirtualCPU {
    /// Registers, pc and the guest's CSRs (for `hav` the VS CSRs by their H numbers, among them
    /// its own vstimecmp and hvip; for `full` the virtual supervisor's CSRs by their S numbers).
    public internal(set) var hart: VirtualHartState
    public internal(set) var state: VirtualCPUState
    /// What the host's virtualization kind keeps per vCPU besides `hart` (full: its virtual
    /// supervisor and shadow page tables; para: its shared-info and event state); nil when the
    /// kind keeps nothing.
    var kindState: AnyObject?
    /// The no-progress guard's state of this vCPU while it is off the hart (ProgressGuard.swift).
    var progress = ProgressGuard()

    init(hart: VirtualHartState, state: VirtualCPUState) {
        self.hart = hart
        self.state = state
    }
}

/// One guest: its memory, its vCPUs, its console and what it cost the host.
public final class Domain {
    public let id: Int
    public let configuration: DomainConfiguration
    public internal(set) var state: DomainState = .created
    /// Host physical address of guest physical `GuestLayout.ramBase`.
    public let hostBase: HostPhysicalAddress
    /// Host memory the hypervisor keeps for this domain right above its RAM
    /// (`VirtualizationKind.domainOverhead`: full's shadow-table pool); owned by no domain.
    public let hypervisorRange: Range<HostPhysicalAddress>
    /// The Sv39x4 G-stage root table in host memory (hardware-assisted only, 0 otherwise), and
    /// the hgatp value that selects it.
    var gstageRoot = HostPhysicalAddress(0)
    public var hgatp: UInt64 { 8 << 60 | UInt64(id & 0x3fff) << 44 | gstageRoot.rawValue >> 12 }
    /// The domain's vCPUs, vCPU 0 first (the boot vCPU; the others start stopped, as a
    /// platform's secondary harts do under SBI HSM, until the guest calls hart_start).
    public internal(set) var vcpus: [VirtualCPU]
    /// The vCPU the scheduler chose last: the one on the hart while `Host.loaded` is this
    /// domain, and the one `vcpu`, `virtualizationState` and `progressState` name. Only
    /// `Host.runSlice` changes it, with the domain off the hart.
    var currentVCPU = 0
    /// The current vCPU's saved state (see `currentVCPU`); stale while it is on the hart.
    var vcpu: VirtualHartState {
        get { vcpus[currentVCPU].hart }
        set {
            vcpus[currentVCPU].hart = newValue
            timeDelta = newValue.csrs[CSR.htimedelta] ?? 0
        }
    }
    /// The domain's htimedelta, the same for all its vCPUs, kept here so reading the guest's
    /// time on an exit needs no dictionary lookup (the guest cannot change it).
    private(set) var timeDelta: UInt64 = 0
    /// What the host's virtualization kind keeps for the current vCPU (`VirtualCPU.kindState`).
    var virtualizationState: AnyObject? {
        get { vcpus[currentVCPU].kindState }
        set { vcpus[currentVCPU].kindState = newValue }
    }
    /// Everything the guest wrote to its console.
    public internal(set) var console: [UInt8] = []
    /// Called with each byte the guest writes to its console (`xl console`), as it is written.
    public var consoleListener: ((UInt8) -> Void)?
    /// What the console's user typed and the guest has not read yet (the UART's RBR, SBI
    /// getchar and DBCN read take from it). Any thread may add to it.
    public let consoleInput = GuestConsoleInput()
    /// The domain's console UART at `GuestLayout.uart`: the board's 16550 model, transmitting
    /// to `writeConsole` and reading `consoleInput` on the hart's thread when the guest reads
    /// LSR or RBR (`GuestDevices.access`). Typed bytes stay in `consoleInput` until read, so
    /// type-ahead survives the FIFO resets of a driver's initialisation (`UARTInputSource`).
    ///
    /// Its interrupt wire is the domain's PLIC source 10, as on the board; a domain without a
    /// PLIC (full, para) leaves it unconnected, so its guests poll LSR and IIR.
    private(set) lazy var uart = UART16550(
        name: "domain\(id).uart0", timebase: timebase,
        // The domain owns its UART, so the UART never outlives the domain it writes to.
        output: { [unowned self] byte in writeConsole(CollectionOfOne(byte)) },
        input: consoleInput,
        interrupt: { [unowned self] level in plic?.setSourceLevel(VirtMemoryMap.uartIRQ, level) })
    /// The domain's own PLIC (the board's model, one per domain) when its kind of virtualization
    /// can deliver external interrupts (`hav`: each vCPU's S-mode context drives its hvip.VSEIP);
    /// nil otherwise, and then the PLIC window is not a device to the guest.
    let plic: PLIC?
    /// The PLIC's wires into each vCPU, vCPU 0 first: context 2n + 1 (vCPU n's S-mode) drives
    /// `InterruptLines.supervisorExternal` here, which the kind turns into the vCPU's VS
    /// external interrupt (`VirtualizationKind.externalInterruptsChanged`). The M-mode contexts
    /// drive MEIP, which nothing reads: a guest has no M-mode.
    let vcpuInterrupts: [InterruptLines]
    /// The `virt` board's eight virtio-mmio windows, the board's slot type, each raising its
    /// source on the domain's PLIC; empty without a PLIC. A device is plugged in with
    /// `Host.plugVirtio` before the domain starts; an empty slot reads "no device".
    public let virtioSlots: [VirtioMMIOSlot]
    /// A device of the domain takes input from outside the host's run at host times (a NIC on a
    /// network back-end): in virtual time the domain then waits for it in host time when idle
    /// (`Host.waitForOutsideInput`) instead of skipping its clock to its next timer at once.
    var receivesFromOutside = false
    /// The host's clock, for the UART's character timeout.
    private let timebase: Timebase
    /// When the host must next bring the devices up to date (`Host.pollDevicesIfDue`): set when
    /// the guest touched a device register or the domain came onto the hart, so the next look
    /// happens before the guest runs on; otherwise at `nextDevicePoll` (of `instructions`).
    var devicesTouched = true
    var nextDevicePoll: UInt64 = 0
    /// Instructions this domain retired.
    public internal(set) var instructions: UInt64 = 0
    /// The domain's own clock in virtual time (see `Host.hostTime(for:)`): instructions it has
    /// retired and ticks it skipped while idle, as of the last time it left the hart.
    var clockInstructions: UInt64 = 0
    var clockSkipped: UInt64 = 0
    /// Exits to the hypervisor this domain made (each is charged one instruction against its
    /// `instructionLimit`).
    public internal(set) var exits: UInt64 = 0
    /// Traps the guest took without an exit (hav: delegated straight to VS-mode); charged
    /// against `instructionLimit` like exits.
    public internal(set) var trapsInGuest: UInt64 = 0
    /// The no-progress guard's state of the current vCPU while it is off the hart.
    var progressState: ProgressGuard {
        get { vcpus[currentVCPU].progress }
        set { vcpus[currentVCPU].progress = newValue }
    }
    /// Set when the no-progress guard stopped the domain: the last trap of its loop.
    public internal(set) var stuckAt: TrapRecord?
    /// Exits to the hypervisor by reason, and SBI calls by extension (keys as in reports:
    /// "vmexit.sbi", "sbi.time", ...); built from `eventCounts` when read.
    public internal(set) var events: [String: UInt64] {
        get { eventCounts.dictionary }
        set { eventCounts.dictionary = newValue }
    }
    /// What `events` reads: fixed slots the exit paths count into (DomainEvent.swift).
    var eventCounts = DomainEventCounts()

    init(id: Int, configuration: DomainConfiguration, hostBase: HostPhysicalAddress, hypervisorRange: Range<HostPhysicalAddress>, vcpu: VirtualHartState,
         timebase: Timebase, emulatesPLIC: Bool = false) {
        self.id = id
        vcpuInterrupts = (0 ..< max(1, configuration.vcpuCount)).map { _ in InterruptLines() }
        let plic = emulatesPLIC ? PLIC(name: "domain\(id).plic", harts: vcpuInterrupts) : nil
        self.plic = plic
        virtioSlots = plic.map { plic in
            (0 ..< VirtMemoryMap.virtioCount).map { index in
                let source = VirtMemoryMap.virtioIRQ(index)
                // The domain owns its slots and its PLIC, so the PLIC outlives every slot's line.
                return VirtioMMIOSlot(name: "domain\(id).virtio_mmio.\(index)", interruptSource: source,
                                      interruptLine: { [unowned plic] level in plic.setSourceLevel(source, level) })
            }
        } ?? []
        self.timebase = timebase
        self.configuration = configuration
        self.hostBase = hostBase
        self.hypervisorRange = hypervisorRange
        vcpus = [VirtualCPU(hart: vcpu, state: .running)]
            + (1 ..< max(1, configuration.vcpuCount)).map { _ in VirtualCPU(hart: VirtualHartState(), state: .stopped) }
        timeDelta = vcpu.csrs[CSR.htimedelta] ?? 0
    }

    /// The current vCPU's saved state (while the domain is not on the hart).
    public var virtualHart: VirtualHartState { vcpu }

    /// Sets every vCPU's htimedelta (a restored domain's clock goes on from its saved time).
    func setTimeDelta(_ delta: UInt64) {
        for index in vcpus.indices { vcpus[index].hart.csrs[CSR.htimedelta] = delta }
        timeDelta = delta
    }

    /// After a vCPU changed state: the domain is blocked when none of its vCPUs can run but
    /// one waits for an interrupt, runnable when one can run (paused and finished stay).
    func updateStateFromVCPUs() {
        guard state == .runnable || state == .blocked else { return }
        state = vcpus.contains { $0.state.isSchedulable } ? .runnable : .blocked
    }

    public var consoleText: String { String(decoding: console, as: UTF8.self) }

    func count(_ event: DomainEvent) { eventCounts.count(event) }

    /// Counts an event of a per-cause family; a cause beyond the table under its key.
    func count(_ event: DomainEvent?, orKey key: @autoclosure () -> String) {
        if let event { eventCounts.count(event) } else { eventCounts.count(key()) }
    }

    func writeConsole(_ bytes: some Collection<UInt8>) {
        console.append(contentsOf: bytes)
        if let consoleListener { for byte in bytes { consoleListener(byte) } }
    }

    /// True when `gpa ..< gpa + length` lies inside the guest's RAM.
    func ownsRAM(_ gpa: GuestPhysicalAddress, length: UInt64) -> Bool {
        guestRAM.contains(gpa, length: length)
    }

    /// Guest physical addresses of the domain's RAM.
    var guestRAM: Range<GuestPhysicalAddress> { GuestLayout.ram(memorySize: configuration.memorySize) }

    /// Host physical address of guest physical `gpa` in guest RAM (caller checks `ownsRAM`;
    /// an address below RAM traps rather than wrap to another domain's memory).
    func hostAddress(_ gpa: GuestPhysicalAddress) -> HostPhysicalAddress {
        hostBase + (gpa.rawValue - GuestLayout.ramBase.rawValue)
    }
}

/// Bytes typed at a domain's console, handed from an input thread to the hart's thread.
public final class GuestConsoleInput: UARTInputSource, @unchecked Sendable {
    // @unchecked: `pending` is only touched under `lock`.
    private let lock = HostLock()
    private var pending: [UInt8] = []
    /// Input beyond this is dropped, as a real UART with a full FIFO would (a flood must not grow memory).
    static let capacity = 64 * 1024

    public init() {}

    public func send(_ bytes: [UInt8]) {
        lock.withLock {
            pending.append(contentsOf: bytes.prefix(max(0, GuestConsoleInput.capacity - pending.count)))
        }
    }

    /// Whether a byte is waiting.
    public var hasInput: Bool { lock.withLock { !pending.isEmpty } }

    /// Takes up to `count` bytes.
    public func take(_ count: Int) -> [UInt8] {
        lock.withLock {
            let taken = Array(pending.prefix(count))
            pending.removeFirst(taken.count)
            return taken
        }
    }
}
