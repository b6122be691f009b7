#if canImport(Glibc)
import Glibc
#endif
import Devices
import Loader
import Machine
import RISCV
import Virtio

/// Why the host could not do what the control domain asked.
public enum HostError: Error, CustomStringConvertible, Equatable {
    case outOfMemory(requested: UInt64, free: UInt64)
    /// The G-stage table area (`Configuration.tableAreaSize`) has no room for a new domain's tables.
    case tableAreaFull(needed: UInt64, free: UInt64, size: UInt64)
    case badMemorySize(UInt64)
    case badHostMemorySize(memory: UInt64, reserved: UInt64)
    case badKernel(String)
    /// The kernel cannot be placed in the domain's RAM, or cannot run as a guest.
    case boot(BootError)
    case noSuchDomain(Int)
    case wrongState(Int, DomainState)
    case snapshot(String)
    /// An operation that only one kind of virtualization offers.
    case unsupported(String)
    /// An isolation audit found a table the hypervisor should never have built.
    case audit(String)

    public var description: String {
        switch self {
        case .outOfMemory(let requested, let free):
            return "not enough host memory: \(MemorySize.text(requested)) requested, \(MemorySize.text(free)) free"
        case .tableAreaFull(let needed, let free, let size):
            return "no room for the domain's G-stage tables: they need \(MemorySize.text(needed)), and \(MemorySize.text(free)) "
                + "of the host's \(MemorySize.text(size)) table area is free (size the host for its domains: Host.tableArea(forDomainsOf:))"
        case .badMemorySize(let size): return "domain memory must be a non-zero multiple of 2 MiB, not \(MemorySize.text(size))"
        case .badHostMemorySize(let memory, let reserved):
            return "host memory must be a multiple of 2 MiB above the \(MemorySize.text(reserved)) the hypervisor keeps, not \(MemorySize.text(memory))"
        case .badKernel(let reason): return "kernel image: \(reason)"
        case .boot(let error): return error.description
        case .noSuchDomain(let id): return "no domain \(id)"
        case .wrongState(let id, let state): return "domain \(id) is \(state)"
        case .snapshot(let reason): return "snapshot: \(reason)"
        case .unsupported(let reason): return reason
        case .audit(let reason): return "isolation audit: \(reason)"
        }
    }
}

/// One simulated physical machine and the hypervisor on it (Xen's hypervisor plus the control
/// domain's toolstack API): host memory handed out to domains, one hart that runs their vCPUs,
/// and the SBI, MMIO emulation and scheduling that happen when a guest exits. How a guest is
/// deprivileged (VS-mode under G-stage tables, or U-mode under shadow page tables) is the
/// host's `Virtualization`, chosen when it is created; see `VirtualizationKind`.
public final class Host {
    /// How the host runs guest kernels (ARCHITECTURE.md, "The modes").
    public enum Virtualization: String, Sendable, CaseIterable {
        /// `hav`: the guest kernel in VS-mode with the H extension, two-stage translation.
        case hardwareAssisted
        /// `para`: a kernel built for the hypervisor, in U-mode on a hart without H, calling
        /// hypercalls (ParaVirtualization.swift).
        case para
        /// `full`: the guest kernel deprivileged to U-mode on a hart without H; every privileged
        /// instruction traps and is emulated; memory goes through shadow page tables.
        case full

        /// The name `virtbench run --mode` gives it, for messages.
        public var modeName: String {
            switch self {
            case .hardwareAssisted: return "hav"
            case .para: return "para"
            case .full: return "full"
            }
        }
    }

    public struct Configuration: Sendable {
        /// Host RAM: what all domains' memory and the hypervisor's page tables come from.
        public var memorySize: UInt64
        /// Instructions a vCPU runs before the scheduler picks the next runnable one (round robin).
        public var timeSlice: UInt64
        /// Deterministic time: mtime advances with instructions retired.
        public var virtualTime: Bool
        /// How guests are virtualized (one kind per host).
        public var virtualization: Virtualization
        /// Host RAM at its bottom for the domains' G-stage tables (`hav`); the default holds those
        /// of 128 domains of up to 4 GiB, `Host.tableArea(forDomainsOf:)` sizes it for any set.
        public var tableAreaSize: UInt64 = Host.reservedMemory
        /// `full` only: keep shadow page tables fresh by write-protecting the guest's page-table pages (true), or drop them on sfence.vma.
        public var tracesGuestPageTables = true
        public init(memorySize: UInt64 = 1 << 30, timeSlice: UInt64 = 200_000, virtualTime: Bool = true,
                    virtualization: Virtualization = .hardwareAssisted) {
            self.memorySize = memorySize
            self.timeSlice = timeSlice
            self.virtualTime = virtualTime
            self.virtualization = virtualization
        }
    }

    public let configuration: Configuration
    /// The host machine: a `virt` board (with the H extension for hardware-assisted
    /// virtualization, without it for full) whose S/HS- and M-mode are this Swift code.
    public let board: VirtBoard
    /// The board's hart 0, stored so the exit paths do not go through the board for it.
    public let hart: Hart
    public private(set) var domains: [Domain] = []
    /// The part of the hypervisor that depends on `configuration.virtualization`.
    let kind: any VirtualizationKind

    /// Host memory beyond its domains' that a host of the default configuration needs (the
    /// G-stage table area). Each domain also needs `domainOverhead(for:)` beside its RAM.
    public static let reservedMemory: UInt64 = 4 << 20
    /// Host RAM reserved for G-stage page tables, at the bottom of RAM (`Configuration.tableAreaSize`).
    public var tableArea: UInt64 { configuration.tableAreaSize }

    /// A G-stage table area that holds the tables of domains of these sizes (at least the default).
    public static func tableArea(forDomainsOf sizes: [UInt64]) -> UInt64 {
        let rootAlignment: UInt64 = 16 << 10
        let tables = sizes.reduce(rootAlignment) { total, size in
            total + (HardwareAssistedVirtualization.tableSize(memorySize: size) + rootAlignment - 1) / rootAlignment * rootAlignment
        }
        return max(reservedMemory, (tables + megapage - 1) / megapage * megapage)
    }
    static let megapage: UInt64 = 2 << 20
    /// Free host RAM for domain memory, as 2 MiB-aligned ranges.
    var freeRanges: [Range<HostPhysicalAddress>]
    /// The owner of each 2 MiB host frame (nil: the hypervisor's or free): a frame is never in
    /// two domains' translation tables.
    var frameOwner: [Int?]
    var nextDomainID = 1
    /// The domain whose vCPU is on the hart now.
    var loaded: Domain?

    /// Host memory a domain needs beside its RAM under `virtualization` (a multiple of 2 MiB:
    /// full's shadow-table pool), so a caller can size a host for the domains it will create.
    public static func domainOverhead(for virtualization: Virtualization) -> UInt64 {
        switch virtualization {
        case .hardwareAssisted: return HardwareAssistedVirtualization.domainOverhead
        case .para: return 0
        case .full: return FullVirtualization.domainOverhead
        }
    }

    /// The most RAM one domain can have under `virtualization`: the largest host (the board's
    /// RAM limit) less what the hypervisor keeps, in 2 MiB units.
    public static func maximumDomainMemory(for virtualization: Virtualization) -> UInt64 {
        (BootPlan.maximumRAMSize - reservedMemory - domainOverhead(for: virtualization)) & ~(megapage - 1)
    }

    public init(configuration: Configuration = .init()) throws {
        guard configuration.tableAreaSize % Host.megapage == 0, configuration.memorySize > configuration.tableAreaSize,
              configuration.memorySize % Host.megapage == 0 else {
            throw HostError.badHostMemorySize(memory: configuration.memorySize, reserved: configuration.tableAreaSize)
        }
        self.configuration = configuration
        let hypervisor = configuration.virtualization == .hardwareAssisted
        board = try VirtBoard(
            configuration: VirtBoardConfiguration(ramSize: configuration.memorySize, hypervisor: hypervisor,
                                                  timebaseMode: configuration.virtualTime ? .virtual(instructionsPerTick: 100) : .realTime),
            hart: HartConfiguration(hypervisor: hypervisor, hostOwnsSupervisor: true), consoleOutput: { _ in })
        hart = board.hart
        let base = HostPhysicalAddress(board.memory.base)
        freeRanges = [base + configuration.tableAreaSize ..< base + configuration.memorySize]
        frameOwner = Array(repeating: nil, count: Int(configuration.memorySize / Host.megapage))
        switch configuration.virtualization {
        case .hardwareAssisted: kind = HardwareAssistedVirtualization(tableArea: base ..< base + configuration.tableAreaSize)
        case .para: kind = ParaVirtualization(hostRAM: base ..< base + configuration.memorySize)
        case .full: kind = FullVirtualization(tracesPageTables: configuration.tracesGuestPageTables)
        }
        kind.prepare(hart)
    }

    // MARK: Control API (what `xl` asks of Dom0)

    /// Creates a domain: carves its memory (and the hypervisor's per-domain memory beside it)
    /// from host RAM, builds its translation tables, loads its kernel and a device tree, and sets
    /// its vCPU at the kernel's entry (a0 = 0, a1 = DTB).
    @discardableResult
    public func createDomain(_ configuration: DomainConfiguration) throws -> Domain {
        let size = configuration.memorySize
        guard size > 0, size % Host.megapage == 0 else { throw HostError.badMemorySize(size) }
        guard (1 ... kind.maximumVCPUs).contains(configuration.vcpuCount) else {
            throw HostError.unsupported(kind.maximumVCPUs == 1
                ? "a domain under \(self.configuration.virtualization.modeName) has one vCPU, not \(configuration.vcpuCount): multi-vCPU domains are built for hav only"
                : "a domain has 1 to \(kind.maximumVCPUs) vCPUs, not \(configuration.vcpuCount)")
        }
        let (total, overflow) = size.addingReportingOverflow(kind.domainOverhead)
        guard !overflow, let index = freeRanges.firstIndex(where: { $0.length >= total }) else {
            throw HostError.outOfMemory(requested: overflow ? .max : total, free: freeRanges.reduce(0) { $0 + $1.length })
        }
        let range = freeRanges[index]
        let hostBase = range.lowerBound
        if range.length == total { freeRanges.remove(at: index) } else { freeRanges[index] = hostBase + total ..< range.upperBound }
        let id = nextDomainID
        nextDomainID += 1
        // Free host memory is always zero (fresh, or cleared when its last owner was destroyed),
        // so nothing of a previous owner leaks into a new domain and creation touches no pages.
        // The hypervisor's frames beside the RAM keep no owner: no domain may ever map them.
        for frame in 0 ..< Int(size / Host.megapage) { frameOwner[Int((hostBase.rawValue - board.memory.base) / Host.megapage) + frame] = id }
        let domain = Domain(id: id, configuration: configuration, hostBase: hostBase,
                            hypervisorRange: hostBase + size ..< hostBase + total, vcpu: VirtualHartState(),
                            timebase: board.timebase, emulatesPLIC: kind.deliversExternalInterrupts)
        do {
            try kind.attach(domain, host: self)
        } catch {
            freeMemory(of: domain)
            throw error
        }
        do {
            try load(domain)
            try kind.kernelLoaded(domain, host: self)
            // Code the hart decoded from this memory for an earlier owner must not run for this one.
            hart.hostWroteMemory(hostBase ..< hostBase + size)
        } catch {
            release(domain)
            throw error
        }
        domains.append(domain)
        return domain
    }

    /// Starts (or unpauses) a domain's vCPU.
    public func start(_ id: Int) throws {
        let domain = try find(id)
        guard domain.state == .created || domain.state == .paused else { throw HostError.wrongState(id, domain.state) }
        domain.state = .runnable
    }

    public func pause(_ id: Int) throws {
        let domain = try find(id)
        guard domain.state == .runnable || domain.state == .blocked else { throw HostError.wrongState(id, domain.state) }
        unload(domain)
        domain.state = .paused
    }

    public func unpause(_ id: Int) throws { try start(id) }

    /// Stops a domain for good and gives its memory back (zeroed when the next domain gets it).
    public func destroy(_ id: Int) throws {
        let domain = try find(id)
        unload(domain)
        release(domain)
        domains.removeAll { $0 === domain }
    }

    public func domain(_ id: Int) -> Domain? { domains.first { $0.id == id } }

    func find(_ id: Int) throws -> Domain {
        guard let domain = domain(id) else { throw HostError.noSuchDomain(id) }
        return domain
    }

    // MARK: Memory

    func release(_ domain: Domain) {
        kind.detach(domain, host: self)
        freeMemory(of: domain)
        domain.state = .crashed(reason: "destroyed")
    }

    /// Zeroes a domain's RAM and the hypervisor's memory beside it and makes both free again.
    func freeMemory(of domain: Domain) {
        let range = domain.hostBase ..< domain.hypervisorRange.upperBound
        // The pages go back to the host: a destroyed domain's RAM costs nothing until reused.
        let zeroed = board.memory.zeroReleasingPages(range.lowerBound, count: Int(range.length))
        precondition(zeroed, "a domain's memory lies inside host RAM")
        hart.hostWroteMemory(range)
        let first = Int((domain.hostBase.rawValue - board.memory.base) / Host.megapage)
        for frame in 0 ..< Int(domain.configuration.memorySize / Host.megapage) { frameOwner[first + frame] = nil }
        freeRanges.append(range)
        freeRanges.sort { $0.lowerBound < $1.lowerBound }
    }

    /// Copies the kernel (ELF segments, or a raw image at `kernelAddress`), the initrd and the
    /// device tree into guest memory and points the vCPU at the entry, with the board's rules
    /// for what may be loaded where (`GuestBootPlan`).
    func load(_ domain: Domain) throws {
        let configuration = domain.configuration
        let plan: GuestBootPlan
        let plic = domain.plic != nil
        do {
            let image = try BootImage.identify(configuration.kernel, machine: .riscv)
            plan = try GuestBootPlan.make(kernel: BootPlan.Input(path: configuration.kernelPath ?? configuration.name, image: image),
                                          rawAddress: configuration.kernelAddress.rawValue, ramBase: GuestLayout.ramBase.rawValue,
                                          ramSize: configuration.memorySize,
                                          initrd: configuration.initrd.map { BootPlan.Initrd(path: "initrd", bytes: $0) }) { initrd in
                Host.guestDeviceTree(configuration, initrd: initrd, plic: plic)
            }
        } catch let error as ImageError {
            throw HostError.badKernel("'\(configuration.kernelPath ?? configuration.name)': \(error)")
        } catch let error as BootError {
            throw HostError.boot(error)
        }
        for load in plan.loads {
            // The plan placed every load inside the guest's RAM.
            _ = board.memory.write(load.bytes, at: domain.hostAddress(GuestPhysicalAddress(load.address)))
        }
        var vcpu = VirtualHartState(pc: plan.entry)
        vcpu.registers[10] = 0
        vcpu.registers[11] = plan.deviceTreeAddress
        domain.vcpu = vcpu
    }

    /// The device tree a domain boots with, generated from its configuration by the `virt`
    /// board's own builder: its RAM, command line and initrd, its hart without H (guests get no
    /// nested virtualization), and only the devices the hypervisor models for a guest: the UART,
    /// the test finisher (and the poweroff/reboot syscons that point at it) and, with `plic`, the
    /// domain's PLIC and its eight virtio-mmio windows. Anything else a guest probed would be an access fault, so it is not offered.
    ///
    /// The CLINT is left out: its registers (msip, mtimecmp) are M-mode's, which a guest does
    /// not have. An S-mode Linux takes its timer from Sstc (vstimecmp) or SBI TIME and its IPIs
    /// from SBI IPI, and its CLINT driver is built only for M-mode kernels (RISCV_M_MODE).
    /// Without `plic` the node and the UART's interrupt properties go too, so the UART is polled.
    static func guestDeviceTree(_ configuration: DomainConfiguration, initrd: Range<UInt64>?, plic: Bool) -> [UInt8] {
        let boardConfiguration = VirtBoardConfiguration(ramSize: configuration.memorySize, hartCount: max(1, configuration.vcpuCount),
                                                        bootArguments: configuration.bootArguments, initrd: initrd, randomSeed: 0)
        guard let board = try? VirtBoard(configuration: boardConfiguration, consoleOutput: { _ in }) else { return [] }
        var tree = board.deviceTreeDescription()
        let kept = ["serial@", "test@"] + (plic ? ["plic@", "virtio_mmio@"] : [])
        tree.root.children = tree.root.children.compactMap { node in
            switch node.name {
            case "soc":
                var soc = node
                soc.children = soc.children.filter { child in kept.contains { child.name.hasPrefix($0) } }.map { child in
                    guard !plic, child.name.hasPrefix("serial@") else { return child }
                    var serial = child
                    serial.properties.removeAll { $0.name == "interrupts" || $0.name == "interrupt-parent" }
                    return serial
                }
                return soc
            case let name where name.hasPrefix("flash@") || name.hasPrefix("fw-cfg@") || name.hasPrefix("platform-bus@")
                || name == "pmu":
                return nil
            default:
                return node
            }
        }
        return tree.flattened()
    }

    // MARK: Scheduling

    /// Why `run` returned.
    public enum RunOutcome: Sendable, Equatable {
        /// No domain is runnable or blocked any more: each finished, is paused or was never started.
        case idle
        /// The instruction budget is used up while domains were still live (so the control
        /// domain can pause, save or list them mid-run, then call `run` again).
        case budgetUsed
    }

    /// Runs the runnable vCPUs of all domains round robin until every started domain has
    /// finished (shut down or crashed) or is paused, or until the hart has retired
    /// `instructionBudget` instructions in this call. Waiting vCPUs wake on their timer or a
    /// pending interrupt; when all wait, time skips ahead to the earliest timer (virtual time)
    /// or the host sleeps.
    ///
    /// The scheduler, as built: every schedulable vCPU of every domain (HSM started or start
    /// pending, not in WFI) takes its turn on the one host hart for `Configuration.timeSlice`
    /// instructions, in the order of domains and then vCPU numbers. A slice is counted in
    /// instructions retired (plus one per exit and per trap), never in wall time, so with
    /// virtual time (`--icount`) two runs make the same choices and give the same counts and
    /// output. A vCPU that executes WFI with nothing pending gives up the rest of its slice; a
    /// stopped vCPU (HSM STOPPED) is never chosen. A domain's clock in virtual time is made of
    /// the instructions of all its vCPUs, so its vCPUs share one time base as a real machine's
    /// harts do; a waiting vCPU's timer skips the clock ahead only when none of its domain's
    /// vCPUs can run.
    ///
    /// Left for later (issue 19): vCPUs on parallel host threads (`host -smp N`, one simulated
    /// hart per thread), Xen's credit scheduler with weights, caps and pinning (`vcpu-pin`),
    /// and steal time published through the SBI STA extension.
    @discardableResult
    public func run(instructionBudget: UInt64 = .max) -> RunOutcome {
        let start = hart.retired
        var cursor = 0
        while true {
            // Ctrl-A X at the console (or anything else that stops the host board) ends the run.
            if board.control.stopPending { return .idle }
            let used = hart.retired &- start
            if used >= instructionBudget { return .budgetUsed }
            let live = domains.filter { $0.state == .runnable || $0.state == .blocked }
            if live.isEmpty { return .idle }
            wakeBlocked()
            let runnable = domains.filter { $0.state == .runnable }.flatMap { domain in
                domain.vcpus.indices.filter { domain.vcpus[$0].state.isSchedulable }.map { (domain, $0) }
            }
            if runnable.isEmpty {
                guard waitForTimers() else {
                    for domain in live { domain.state = .crashed(reason: "blocked with no timer armed") }
                    return .idle
                }
                continue
            }
            cursor %= runnable.count
            let (domain, vcpu) = runnable[cursor]
            cursor += 1
            runSlice(domain, vcpu: vcpu, limit: instructionBudget - used)
        }
    }

    /// Runs `domain` for one time slice (at most `limit` instructions): through the exits it
    /// makes (SBI calls, MMIO, faults the host reflects) until the slice is used up, it blocks or
    /// it ends. Staying on the hart across exits keeps a guest that exits often (an SBI flood)
    /// from forcing a world switch, with its TLB flush, onto every other domain at each call.
    func runSlice(_ domain: Domain, vcpu: Int = 0, limit: UInt64 = .max) {
        if loaded !== domain || domain.currentVCPU != vcpu {
            if let previous = loaded { unload(previous) }
            domain.currentVCPU = vcpu
            if domain.vcpus[vcpu].state == .startPending { domain.vcpus[vcpu].state = .running }
            if isVirtualTime {
                board.timebase.retiredOffset = hart.retired &- domain.clockInstructions
                board.timebase.skipped = domain.clockSkipped
            }
            kind.load(domain, host: self)
            hart.progressState = domain.progressState
            loaded = domain
            // Its clock may have skipped ahead while it waited: look at its devices first.
            domain.devicesTouched = true
        }
        var sliceLeft = min(configuration.timeSlice, limit)
        while domain.state == .runnable && domain.vcpus[vcpu].state == .running {
            // Each exit, and each trap the guest takes without leaving the hart, is charged one
            // instruction against the slice and the limit (as `Hart.run` charges trap entries),
            // so a guest that faults forever without retiring anything still runs out of both.
            let used = domain.instructions &+ domain.exits &+ domain.trapsInGuest
            guard used < domain.configuration.instructionLimit else {
                domain.state = .crashed(reason: "did not finish within \(domain.configuration.instructionLimit) instructions")
                unload(domain)
                return
            }
            guard sliceLeft > 0 else { return }
            if domain.plic != nil, domain.devicesTouched || domain.instructions >= domain.nextDevicePoll { pollDevices(domain) }
            let before = hart.retired, trapsBefore = hart.trapsTaken
            let exit = hart.run(instructionLimit: min(sliceLeft, domain.configuration.instructionLimit - used))
            let ran = hart.retired &- before
            let trapped = hart.trapsTaken &- trapsBefore &- (exit == .guestExit ? 1 : 0)
            domain.instructions &+= ran
            domain.trapsInGuest &+= trapped
            sliceLeft -= min(sliceLeft, ran &+ trapped)
            switch exit {
            case .guestExit:
                domain.exits &+= 1
                sliceLeft -= min(sliceLeft, 1)
                if let trap = hart.guestExit { kind.handleExit(trap, domain, host: self) }
            case .limitReached:
                continue
            case .noProgress:
                domain.stuckAt = hart.lastTrap
                // A kernel that needs M-mode stops at its first M-mode instruction, with no handler to catch it.
                let machineMode = hart.firstTrapWithoutProgress?.isMachineModeInstruction == true
                domain.state = .crashed(reason: "no progress: " + hart.noProgressReport
                                        + (machineMode ? "; guest modes run S-mode kernels: run an M-mode program with --mode native" : ""))
                unload(domain)
            case .waitingForInterrupt, .stopped:
                // WFI always exits to the host (VTW, or U-mode WFI being illegal), and nothing on
                // the host board stops it; treat either as the guest blocking.
                block(domain)
            }
        }
    }

    /// The current vCPU of `domain` waits for an interrupt or its timer (WFI, a block
    /// hypercall; `as: .suspended` for HSM hart_suspend): it leaves the hart and gives up the
    /// rest of its slice.
    func block(_ domain: Domain, as state: VirtualCPUState = .waiting) {
        unload(domain)
        domain.vcpus[domain.currentVCPU].state = state
        domain.updateStateFromVCPUs()
    }

    /// The current vCPU of `domain` stopped itself (HSM hart_stop). When no vCPU of the domain
    /// is left started, the domain has nothing more to run: it shuts down with status 0.
    func stopCurrentVCPU(_ domain: Domain) {
        unload(domain)
        domain.vcpus[domain.currentVCPU].state = .stopped
        if domain.vcpus.allSatisfy({ $0.state == .stopped }) {
            domain.state = .shutdown(status: 0)
        } else {
            domain.updateStateFromVCPUs()
        }
    }

    func unload(_ domain: Domain) {
        guard loaded === domain else { return }
        kind.save(domain, host: self)
        domain.progressState = hart.progressState
        if isVirtualTime {
            domain.clockInstructions = hart.retired &- board.timebase.retiredOffset
            domain.clockSkipped = board.timebase.skipped
        }
        loaded = nil
    }

    var isVirtualTime: Bool {
        if case .virtual = board.timebase.mode { return true }
        return false
    }

    /// The host time `domain` sees (before its htimedelta). In virtual time every domain has a
    /// clock of its own, made of its own instructions and the idle time it skipped, so nothing a
    /// guest sees (its timer interrupts, its counts, its memory) depends on which other domains
    /// share the host. In real time all share the host clock.
    func hostTime(for domain: Domain) -> UInt64 {
        guard isVirtualTime, loaded !== domain, case .virtual(let perTick) = board.timebase.mode else {
            board.timebase.retired = hart.retired
            return board.timebase.now
        }
        return domain.clockInstructions / perTick &+ domain.clockSkipped
    }

    /// Current guest-visible time for `domain` (its host time plus its htimedelta).
    func guestTime(_ domain: Domain) -> UInt64 {
        hostTime(for: domain) &+ domain.timeDelta
    }

    /// Makes waiting vCPUs runnable when an interrupt is pending for them or their timer is due.
    /// In virtual time a domain none of whose vCPUs can run skips its clock ahead to its
    /// earliest timer at once, as WFI does natively; while one of its vCPUs runs, the others
    /// wake when its clock reaches their timers.
    func wakeBlocked() {
        for domain in domains where domain.state == .blocked || domain.state == .runnable {
            guard domain.vcpus.contains(where: { $0.state.isWaiting }) else { continue }
            pollDevices(domain)
            var deadlines: [(vcpu: Int, at: UInt64)] = []
            for index in domain.vcpus.indices where domain.vcpus[index].state.isWaiting {
                switch kind.wakeUp(domain, vcpu: index, host: self) {
                case .now: domain.vcpus[index].state = .running
                case .never: continue
                case .at(let deadline): deadlines.append((index, deadline))
                }
            }
            if !deadlines.isEmpty {
                let now = hostTime(for: domain)
                if isVirtualTime, !domain.receivesFromOutside, !domain.vcpus.contains(where: { $0.state.isSchedulable }),
                   let earliest = deadlines.map(\.at).min(), earliest > now {
                    domain.clockSkipped &+= earliest - now
                }
                let due = hostTime(for: domain)
                for (index, deadline) in deadlines where deadline <= due { domain.vcpus[index].state = .running }
            }
            domain.updateStateFromVCPUs()
        }
    }

    /// All vCPUs are blocked (real time): sleep until the earliest armed timer. False when none is armed.
    func waitForTimers() -> Bool {
        // In virtual time wakeBlocked already woke every domain a timer could wake, but those
        // that take input from outside.
        guard !isVirtualTime else { return waitForOutsideInput() }
        let deadlines = domains.filter { $0.state == .blocked }.flatMap { domain in
            domain.vcpus.indices.filter { domain.vcpus[$0].state.isWaiting }.compactMap { index -> UInt64? in
                if case .at(let deadline) = kind.wakeUp(domain, vcpu: index, host: self) { return deadline }
                return nil
            }
        }
        // A domain with a PLIC can also be woken by its devices (console input): look again soon.
        // A back-end thread with a frame for one (`devicePollRequest`) cuts the sleep short.
        let deviceWake = domains.contains { $0.state == .blocked && $0.plic != nil }
        let wakeup = board.interrupts.wakeup
        guard let earliest = deadlines.min() else {
            if deviceWake { wakeup.sleep(nanoseconds: 10_000_000) }
            return deviceWake
        }
        board.timebase.retired = hart.retired
        let now = board.timebase.now
        guard earliest > now else { return true }
        // Timer ticks are 100 ns (10 MHz); at most 1 ms, as before.
        wakeup.sleep(nanoseconds: min(earliest - now, 10_000) * 100)
        return true
    }

    /// Virtual time, every vCPU blocked, and some domains' devices take frames from outside
    /// (`Domain.receivesFromOutside`): skipping such a domain's clock to its next timer at once
    /// would run out its timeouts (a DHCP client's, TCP's) before a peer could answer. So it
    /// waits in host time, as QEMU's `-icount sleep=on` does: the host sleeps until the earliest
    /// of their timers or a frame (`devicePollRequest`), at most 1 ms, and their clocks move on by
    /// the time slept, never past a timer. Such a run's counts then depend on the peer's timing.
    /// False when no domain waits so (the others crash as "blocked with no timer armed").
    func waitForOutsideInput() -> Bool {
        let waiting = domains.filter { $0.state == .blocked && $0.receivesFromOutside }
        guard !waiting.isEmpty else { return false }
        let untilTimer = waiting.map { domain -> UInt64 in
            let now = hostTime(for: domain)
            let timers = domain.vcpus.indices.filter { domain.vcpus[$0].state.isWaiting }.compactMap { index -> UInt64? in
                if case .at(let deadline) = kind.wakeUp(domain, vcpu: index, host: self) { return deadline > now ? deadline - now : 0 }
                return nil
            }
            return timers.min() ?? .max
        }
        let started = Timebase.monotonicNanoseconds()
        // Timer ticks are 100 ns (10 MHz).
        board.interrupts.wakeup.sleep(nanoseconds: min(untilTimer.min() ?? .max, 10_000) * 100)
        let slept = (Timebase.monotonicNanoseconds() &- started) / 100
        for (domain, limit) in zip(waiting, untilTimer) { domain.clockSkipped &+= min(slept, limit) }
        return true
    }

    /// Asks the host, from any thread, to look at its domains' devices soon: what a network
    /// back-end's thread calls when a frame for a domain's NIC arrives. A host waiting for its
    /// blocked domains' timers (`waitForTimers`) wakes at once and polls them (`wakeBlocked`);
    /// a running guest's devices are polled at its next exit past `Domain.nextDevicePoll`
    /// (every `Hart.realTimePollInterval` instructions) or when its slice ends, so the exit
    /// path does no more work than before when no frame is waiting.
    public var devicePollRequest: @Sendable () -> Void { board.devicePollRequest }

    /// Brings a domain's interrupting devices up to its time (console input typed meanwhile, the
    /// UART's character timeout, finished I/O) and passes their interrupt wires on to its vCPU.
    /// Nothing to do for a domain without a PLIC: no device interrupt reaches it.
    ///
    /// `runSlice` looks only when something may have changed, on the board's schedule
    /// (`Hart.handleEvents`): after the guest touched a device register, when the earliest device
    /// deadline is due (virtual time: the exact instruction at which the domain's clock reaches
    /// it, so guests see the same as with a look at every exit), and otherwise every
    /// `Hart.realTimePollInterval` instructions (×16 in virtual time) for input from outside.
    func pollDevices(_ domain: Domain) {
        guard domain.plic != nil else { return }
        domain.devicesTouched = false
        let now = hostTime(for: domain)
        var deadline = domain.uart.poll(now: now)
        for slot in domain.virtioSlots where !slot.isEmpty { deadline = min(deadline, slot.poll(now: now)) }
        kind.externalInterruptsChanged(domain, host: self)
        guard case .virtual(let perTick) = board.timebase.mode else {
            domain.nextDevicePoll = domain.instructions &+ Hart.realTimePollInterval
            return
        }
        // now >= deadline exactly when the clock's instructions reach (deadline - skipped) × perTick.
        let clock = loaded === domain ? hart.retired &- board.timebase.retiredOffset : domain.clockInstructions
        let skipped = loaded === domain ? board.timebase.skipped : domain.clockSkipped
        var untilDue = Hart.realTimePollInterval * 16
        if deadline != .max {
            let (target, overflow) = deadline > skipped ? (deadline - skipped).multipliedReportingOverflow(by: perTick) : (0, false)
            if !overflow { untilDue = min(untilDue, target > clock ? target - clock : 0) }
        }
        domain.nextDevicePoll = domain.instructions &+ untilDue
    }

    /// Plugs a virtio device (the Virtio module's, as on the board) into virtio-mmio slot
    /// `index` of a domain that has not started: its transport reaches only the domain's RAM
    /// (`DomainGuestMemory`; a descriptor outside it is a device error) and raises the slot's
    /// source on the domain's PLIC. Throws for a domain without virtio slots (full, para: no
    /// PLIC to deliver its interrupts), a started domain, or a taken or missing slot.
    @discardableResult
    public func plugVirtio(_ device: any VirtioDevice, into index: Int, of id: Int, legacy: Bool = true,
                           ringFeatures: UInt64 = VirtioFeature.ring, errorLog: ((String) -> Void)? = nil) throws -> VirtioMMIOTransport {
        let domain = try find(id)
        guard !domain.virtioSlots.isEmpty else {
            throw HostError.unsupported("virtio devices need a domain with a PLIC to deliver their interrupts: --mode hav only")
        }
        guard domain.state == .created else { throw HostError.wrongState(id, domain.state) }
        guard domain.virtioSlots.indices.contains(index), domain.virtioSlots[index].isEmpty else {
            throw HostError.unsupported("virtio-mmio slot \(index) is taken or does not exist (there are \(domain.virtioSlots.count))")
        }
        let slot = domain.virtioSlots[index]
        if device.deviceType == .network { domain.receivesFromOutside = true }
        let ramBase = GuestLayout.ramBase.rawValue, hostBase = domain.hostBase.rawValue
        // A device's write into guest RAM drops code the hart decoded there (it runs on the hart's thread).
        let memory = ObservedGuestMemory(DomainGuestMemory(domain, memory: board.memory)) { [weak hart = hart] range in
            hart?.hostWroteMemory(range.lowerBound - ramBase + hostBase ..< range.upperBound - ramBase + hostBase)
        }
        let transport = VirtioMMIOTransport(name: slot.name, device: device, legacy: legacy, memory: memory, ringFeatures: ringFeatures,
                                            interrupt: slot.interruptLine, errorLog: errorLog)
        slot.plug(transport)
        return transport
    }

    func finish(_ domain: Domain, _ state: DomainState) {
        unload(domain)
        domain.state = state
    }
}

// MARK: The seam between the shared hypervisor and one kind of virtualization

/// What differs between ways of running a guest kernel (hardware-assisted, full, and any kind
/// added later): everything else (memory carving and frame ownership, the scheduler and its
/// per-domain clocks, consoles, the SBI, the device models, instruction limits) is `Host`'s and
/// shared. A kind is one object per host; it keeps per-vCPU state in `Domain.vcpus` (the
/// current one through `Domain.vcpu` and `Domain.virtualizationState`).
///
/// To add a kind: a case in `Host.Virtualization`, a class conforming to this protocol, and
/// the two switches in `Host` (`init`, `domainOverhead(for:)`) that pick it.
protocol VirtualizationKind: AnyObject {
    /// Host memory each domain needs beside its RAM (a multiple of 2 MiB, possibly 0), carved
    /// right above it, owned by no domain and handed over as `Domain.hypervisorRange`.
    var domainOverhead: UInt64 { get }
    /// Sets the host hart up once, when the host is created (delegation, counters, PMP, ...).
    func prepare(_ hart: Hart)
    /// A domain's memory was carved: build what its guest runs under (G-stage tables, a shadow
    /// table pool). Throwing makes `createDomain` fail with the host unchanged.
    func attach(_ domain: Domain, host: Host) throws
    /// The domain is being destroyed: give back what `attach` took (its memory is freed after).
    func detach(_ domain: Domain, host: Host)
    /// Puts the domain's vCPU (`domain.vcpu` and the kind's state) on the hart.
    func load(_ domain: Domain, host: Host)
    /// Takes the vCPU off the hart into `domain.vcpu` (the scheduler switches domains, or the
    /// domain blocks, pauses or ends).
    func save(_ domain: Domain, host: Host)
    /// Handles one exit the domain's guest made (`hart.run` returned `.guestExit`). May block
    /// or finish the domain through `host`.
    func handleExit(_ trap: GuestExit, _ domain: Domain, host: Host)
    /// When vCPU `vcpu` of the domain, waiting (WFI, suspended) and off the hart, may run again.
    func wakeUp(_ domain: Domain, vcpu: Int, host: Host) -> WakeUp
    /// The most vCPUs a domain may have under this kind.
    var maximumVCPUs: Int { get }
    /// The kernel is in the domain's memory and `domain.vcpu` at its entry: what the kind adds
    /// before the first run (para: boot page tables, start info). Throwing fails `createDomain`.
    func kernelLoaded(_ domain: Domain, host: Host) throws
    /// Whether the kind can deliver a device's interrupt to a vCPU: then each domain gets its
    /// own PLIC (`Domain.plic`) and its device tree lists it.
    var deliversExternalInterrupts: Bool { get }
    /// The domain's PLIC may have changed what it drives (`Domain.vcpuInterrupts`): make each
    /// vCPU's external interrupt pending or not to match.
    func externalInterruptsChanged(_ domain: Domain, host: Host)
}

extension VirtualizationKind {
    func kernelLoaded(_ domain: Domain, host: Host) throws {}
    var deliversExternalInterrupts: Bool { false }
    func externalInterruptsChanged(_ domain: Domain, host: Host) {}
    /// Full and para keep one vCPU's supervisor state (the virtual supervisor, the shared
    /// info page) and are built for one vCPU per domain.
    var maximumVCPUs: Int { 1 }
}

/// When a blocked vCPU wakes (`VirtualizationKind.wakeUp`).
enum WakeUp: Equatable {
    /// An interrupt it has enabled is pending.
    case now
    /// Its armed timer fires at this time of the domain's host clock (`Host.hostTime(for:)`).
    case at(UInt64)
    /// Nothing it has enabled can wake it.
    case never
}
