#if canImport(Glibc)
import Glibc
#endif
import Devices
import Loader
import Machine
import RISCV

/// Why the host could not do what the control domain asked.
public enum HostError: Error, CustomStringConvertible, Equatable {
    case outOfMemory(requested: UInt64, free: UInt64)
    case badMemorySize(UInt64)
    case badKernel(String)
    case noSuchDomain(Int)
    case wrongState(Int, DomainState)
    case snapshot(String)

    public var description: String {
        switch self {
        case .outOfMemory(let requested, let free):
            return "not enough host memory: \(requested >> 20) MiB requested, \(free >> 20) MiB free"
        case .badMemorySize(let size): return "domain memory must be a non-zero multiple of 2 MiB, not \(size) bytes"
        case .badKernel(let reason): return "kernel image: \(reason)"
        case .noSuchDomain(let id): return "no domain \(id)"
        case .wrongState(let id, let state): return "domain \(id) is \(state)"
        case .snapshot(let reason): return "snapshot: \(reason)"
        }
    }
}

/// One simulated physical machine and the hypervisor on it (Xen's hypervisor plus the control
/// domain's toolstack API): host memory handed out to domains, one hart that runs their vCPUs
/// in VS/VU-mode under G-stage tables the host builds, and the SBI, MMIO emulation and
/// scheduling that happen when a guest exits.
public final class Host {
    public struct Configuration: Sendable {
        /// Host RAM: what all domains' memory and the G-stage tables come from.
        public var memorySize: UInt64
        /// Instructions a vCPU runs before the scheduler picks the next runnable one (round robin).
        public var timeSlice: UInt64
        /// Deterministic time: mtime advances with instructions retired.
        public var virtualTime: Bool
        public init(memorySize: UInt64 = 1 << 30, timeSlice: UInt64 = 200_000, virtualTime: Bool = true) {
            self.memorySize = memorySize
            self.timeSlice = timeSlice
            self.virtualTime = virtualTime
        }
    }

    public let configuration: Configuration
    /// The host machine: a `virt` board whose hart has the H extension and whose HS-mode is this
    /// Swift code.
    public let board: VirtBoard
    public var hart: Hart { board.hart }
    public private(set) var domains: [Domain] = []

    /// Host RAM reserved for G-stage page tables, at the bottom of RAM.
    static let tableArea: UInt64 = 4 << 20
    /// Host memory beyond its domains' that a host needs (the table area).
    public static let reservedMemory: UInt64 = tableArea
    static let megapage: UInt64 = 2 << 20
    var nextTableAddress: UInt64
    /// G-stage table blocks of destroyed domains, for the next domains to reuse.
    var freeTables: [(address: UInt64, size: UInt64)] = []
    /// Free host RAM for domain memory, as 2 MiB-aligned ranges.
    var freeRanges: [Range<UInt64>]
    /// The owner of each 2 MiB host frame (nil: the hypervisor's or free): a frame is never in
    /// two domains' G-stage tables.
    var frameOwner: [Int?]
    var nextDomainID = 1
    /// The domain whose vCPU is on the hart now.
    var loaded: Domain?

    public init(configuration: Configuration = .init()) throws {
        guard configuration.memorySize > Host.tableArea, configuration.memorySize % Host.megapage == 0 else {
            throw HostError.badMemorySize(configuration.memorySize)
        }
        self.configuration = configuration
        board = try VirtBoard(
            configuration: VirtBoardConfiguration(ramSize: configuration.memorySize, hypervisor: true,
                                                  timebaseMode: configuration.virtualTime ? .virtual(instructionsPerTick: 100) : .realTime),
            hart: HartConfiguration(hypervisor: true, hostOwnsSupervisor: true), consoleOutput: { _ in })
        let base = board.memory.base
        nextTableAddress = base
        freeRanges = [(base + Host.tableArea) ..< (base + configuration.memorySize)]
        frameOwner = Array(repeating: nil, count: Int(configuration.memorySize / Host.megapage))
        prepareHart()
    }

    /// The HS-level set-up every guest runs under (KVM's choices): exceptions a guest kernel
    /// handles itself go straight to VS; VS interrupts are delegated; WFI exits (VTW) so a
    /// halted vCPU costs no host time; Sstc so a guest timer fires without an exit.
    func prepareHart() {
        let hart = self.hart
        hart.hostWriteCSR(CSR.mstatus, 3 << 13) // FS dirty: guests may use F and D
        hart.hostWriteCSR(CSR.menvcfg, 1 << 63) // STCE
        hart.hostWriteCSR(CSR.henvcfg, 1 << 63)
        let guestExceptions: UInt64 = 1 << 0 | 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 7 | 1 << 8
            | 1 << 12 | 1 << 13 | 1 << 15
        // Everything leaves M (the host is M as well as HS); of that, hedeleg passes what a guest
        // kernel handles itself straight to VS-mode, without an exit.
        hart.hostWriteCSR(CSR.medeleg, guestExceptions | 1 << 9 | 1 << 10 | 0xf << 20)
        hart.hostWriteCSR(CSR.hedeleg, guestExceptions)
        hart.hostWriteCSR(CSR.hideleg, 1 << 2 | 1 << 6 | 1 << 10)
        hart.hostWriteCSR(CSR.hstatus, 1 << 21) // VTW
        hart.hostWriteCSR(CSR.mcounteren, 7)
        hart.hostWriteCSR(CSR.hcounteren, 7)
        // PMP: one entry covering everything, so VS/VU accesses reach what G-stage maps.
        hart.hostWriteCSR(CSR.pmpaddr0, UInt64.max >> 10)
        hart.hostWriteCSR(CSR.pmpcfg0, 0x1f)
    }

    // MARK: Control API (what `xl` asks of Dom0)

    /// Creates a domain: carves its memory from host RAM, builds its G-stage tables, loads its
    /// kernel and a device tree, and sets its vCPU at the kernel's entry (a0 = 0, a1 = DTB).
    @discardableResult
    public func createDomain(_ configuration: DomainConfiguration) throws -> Domain {
        let size = configuration.memorySize
        guard size > 0, size % Host.megapage == 0 else { throw HostError.badMemorySize(size) }
        guard let index = freeRanges.firstIndex(where: { UInt64($0.count) >= size }) else {
            throw HostError.outOfMemory(requested: size, free: freeRanges.reduce(0) { $0 + UInt64($1.count) })
        }
        let range = freeRanges[index]
        let hostBase = range.lowerBound
        if UInt64(range.count) == size { freeRanges.remove(at: index) } else { freeRanges[index] = (hostBase + size) ..< range.upperBound }
        let id = nextDomainID
        nextDomainID += 1
        // Free host memory is always zero (fresh, or cleared when its last owner was destroyed),
        // so nothing of a previous owner leaks into a new domain and creation touches no pages.
        for frame in 0 ..< Int(size / Host.megapage) { frameOwner[Int((hostBase - board.memory.base) / Host.megapage) + frame] = id }
        let root = try buildGStage(domainID: id, hostBase: hostBase, size: size)

        let domain = Domain(id: id, configuration: configuration, hostBase: hostBase, gstageRoot: root,
                            vcpu: VirtualHartState())
        do {
            try load(domain)
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

    /// Builds Sv39x4 tables mapping guest RAM (GPA 0x8000_0000…) to `hostBase…` with 2 MiB
    /// pages: read, write, execute, user (G-stage leaves must be U), accessed and dirty.
    func buildGStage(domainID: Int, hostBase: UInt64, size: UInt64) throws -> UInt64 {
        let gigabyte: UInt64 = 1 << 30
        let gigabytes = (size + gigabyte - 1) / gigabyte
        let needed = 16 * 1024 + gigabytes * 4096
        // The root of an x4 table is 16 KiB and 16 KiB-aligned. A destroyed domain's tables are
        // reused first, so creating and destroying domains never exhausts the table area.
        let root: UInt64
        if let index = freeTables.firstIndex(where: { $0.size >= needed }) {
            root = freeTables.remove(at: index).address
        } else {
            root = (nextTableAddress + 0x3fff) & ~0x3fff
            guard root + needed <= board.memory.base + Host.tableArea else {
                throw HostError.outOfMemory(requested: needed, free: board.memory.base + Host.tableArea - nextTableAddress)
            }
            nextTableAddress = root + needed
        }
        let memory = board.memory
        memory.hostPointer(root).initializeMemory(as: UInt8.self, repeating: 0, count: Int(needed))
        let valid: UInt64 = 1, leaf: UInt64 = 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x80
        for g in 0 ..< gigabytes {
            let table = root + 16 * 1024 + g * 4096
            let gpa = GuestLayout.ramBase + g * gigabyte
            _ = memory.store(root + (gpa >> 30) * 8, width: 8, value: (table >> 12) << 10 | valid)
            for m in 0 ..< min(512, (size - g * gigabyte) / Host.megapage) {
                let host = hostBase + g * gigabyte + m * Host.megapage
                precondition(frameOwner[Int((host - memory.base) / Host.megapage)] == domainID, "G-stage maps a frame the domain does not own")
                _ = memory.store(table + m * 8, width: 8, value: (host >> 12) << 10 | leaf | valid)
            }
        }
        return root
    }

    func release(_ domain: Domain) {
        let gigabytes = (domain.configuration.memorySize + (1 << 30) - 1) >> 30
        freeTables.append((domain.gstageRoot, 16 * 1024 + gigabytes * 4096))
        board.memory.hostPointer(domain.hostBase).initializeMemory(as: UInt8.self, repeating: 0,
                                                                   count: Int(domain.configuration.memorySize))
        hart.hostWroteMemory(domain.hostBase ..< domain.hostBase + domain.configuration.memorySize)
        let first = Int((domain.hostBase - board.memory.base) / Host.megapage)
        for frame in 0 ..< Int(domain.configuration.memorySize / Host.megapage) { frameOwner[first + frame] = nil }
        freeRanges.append(domain.hostBase ..< domain.hostBase + domain.configuration.memorySize)
        freeRanges.sort { $0.lowerBound < $1.lowerBound }
        domain.state = .crashed(reason: "destroyed")
    }

    /// Copies the kernel (ELF segments, or a raw image at `kernelAddress`) and the device tree
    /// into guest memory and points the vCPU at the entry.
    func load(_ domain: Domain) throws {
        let configuration = domain.configuration
        var entry = configuration.kernelAddress
        func place(_ bytes: some Collection<UInt8>, at gpa: UInt64, size: UInt64) throws {
            guard domain.ownsRAM(gpa, length: size) else {
                throw HostError.badKernel("segment at 0x\(String(gpa, radix: 16)) (\(size) bytes) lies outside the guest's RAM")
            }
            _ = board.memory.write(bytes, at: domain.hostAddress(gpa))
        }
        if ELFImage.hasMagic(configuration.kernel) {
            let image: ELFImage
            do { image = try ELFImage(bytes: configuration.kernel, expecting: .riscv) } catch { throw HostError.badKernel(error.description) }
            for segment in image.segments { try place(segment.fileBytes, at: segment.physicalAddress, size: segment.memorySize) }
            entry = image.entry
        } else {
            try place(configuration.kernel, at: configuration.kernelAddress, size: UInt64(configuration.kernel.count))
        }
        let dtb = Host.guestDeviceTree(memorySize: configuration.memorySize)
        let dtbAddress = (GuestLayout.ramBase + configuration.memorySize - UInt64(dtb.count)) & ~UInt64(0x1f_ffff)
        guard dtbAddress >= GuestLayout.ramBase, !(entry ..< entry + UInt64(configuration.kernel.count)).contains(dtbAddress) else {
            throw HostError.badKernel("no room for the device tree above the kernel")
        }
        try place(dtb, at: dtbAddress, size: UInt64(dtb.count))
        var vcpu = VirtualHartState(pc: entry)
        vcpu.registers[10] = 0
        vcpu.registers[11] = dtbAddress
        domain.vcpu = vcpu
    }

    /// The device tree a domain boots with: the `virt` board's (without H: guests get no nested
    /// virtualization), keeping only the devices the hypervisor models for a guest (UART, test
    /// finisher and its poweroff/reboot) and the interrupt controllers they name. Anything else
    /// a guest probed would be an access fault, so it is not offered.
    static func guestDeviceTree(memorySize: UInt64) -> [UInt8] {
        guard let board = try? VirtBoard(configuration: VirtBoardConfiguration(ramSize: memorySize, randomSeed: 0),
                                         consoleOutput: { _ in }) else { return [] }
        var tree = board.deviceTreeDescription()
        let kept = ["serial@", "test@", "plic@", "interrupt-controller@", "clint@"]
        tree.root.children = tree.root.children.compactMap { node in
            switch node.name {
            case "soc":
                var soc = node
                soc.children = soc.children.filter { child in kept.contains { child.name.hasPrefix($0) } }
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

    /// Runs runnable domains round robin until every started domain has finished (shut down or
    /// crashed) or is paused, or until the hart has retired `instructionBudget` instructions in
    /// this call. Blocked vCPUs wake on their timer or a pending interrupt; when all are
    /// blocked, time skips ahead to the earliest timer (virtual time) or the host sleeps.
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
            let runnable = domains.filter { $0.state == .runnable }
            if runnable.isEmpty {
                guard waitForTimers() else {
                    for domain in live { domain.state = .crashed(reason: "blocked with no timer armed") }
                    return .idle
                }
                continue
            }
            cursor %= runnable.count
            let domain = runnable[cursor]
            cursor += 1
            runSlice(domain, limit: instructionBudget - used)
        }
    }

    /// Runs `domain` for one time slice (at most `limit` instructions): through the exits it
    /// makes (SBI calls, MMIO, faults the host reflects) until the slice is used up, it blocks or
    /// it ends. Staying on the hart across exits keeps a guest that exits often (an SBI flood)
    /// from forcing a world switch, with its TLB flush, onto every other domain at each call.
    func runSlice(_ domain: Domain, limit: UInt64 = .max) {
        if loaded !== domain {
            if let previous = loaded { unload(previous) }
            if isVirtualTime {
                board.timebase.retiredOffset = hart.retired &- domain.clockInstructions
                board.timebase.skipped = domain.clockSkipped
            }
            hart.loadVirtualHart(domain.vcpu, hgatp: domain.hgatp)
            loaded = domain
        }
        var sliceLeft = min(configuration.timeSlice, limit)
        while domain.state == .runnable {
            // Each exit is charged one instruction against the slice and the limit, so a guest
            // that faults forever without retiring anything still runs out of both.
            let used = domain.instructions &+ domain.exits
            guard used < domain.configuration.instructionLimit else {
                domain.state = .crashed(reason: "did not finish within \(domain.configuration.instructionLimit) instructions")
                unload(domain)
                return
            }
            guard sliceLeft > 0 else { return }
            let before = hart.retired
            let exit = hart.run(instructionLimit: min(sliceLeft, domain.configuration.instructionLimit - used))
            let ran = hart.retired &- before
            domain.instructions &+= ran
            sliceLeft -= min(sliceLeft, ran)
            switch exit {
            case .guestExit:
                domain.exits &+= 1
                sliceLeft -= min(sliceLeft, 1)
                if let trap = hart.guestExit { handleExit(trap, domain) }
            case .limitReached:
                continue
            case .waitingForInterrupt, .stopped:
                // VTW makes WFI exit, and nothing on the host board stops it; treat either as the
                // guest blocking.
                domain.state = .blocked
                unload(domain)
            }
        }
    }

    func unload(_ domain: Domain) {
        guard loaded === domain else { return }
        domain.vcpu = hart.saveVirtualHart()
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
        hostTime(for: domain) &+ (domain.vcpu.csrs[CSR.htimedelta] ?? 0)
    }

    /// Makes blocked vCPUs runnable when an interrupt is pending for them or their timer is due.
    /// In virtual time an idle domain's clock jumps to its timer at once, as WFI does natively.
    func wakeBlocked() {
        for domain in domains where domain.state == .blocked {
            let csrs = domain.vcpu.csrs
            let enables = csrs[CSR.hie] ?? 0
            if (csrs[CSR.hvip] ?? 0) & enables != 0 { domain.state = .runnable; continue }
            let compare = csrs[CSR.vstimecmp] ?? .max
            guard compare != .max, enables & (1 << 6) != 0 else { continue }
            if isVirtualTime {
                let delta = csrs[CSR.htimedelta] ?? 0
                let deadline = compare >= delta ? compare - delta : 0
                let now = hostTime(for: domain)
                if deadline > now { domain.clockSkipped &+= deadline - now }
                domain.state = .runnable
            } else if compare <= guestTime(domain) {
                domain.state = .runnable
            }
        }
    }

    /// All vCPUs are blocked (real time): sleep until the earliest armed timer. False when none is armed.
    func waitForTimers() -> Bool {
        // In virtual time wakeBlocked already woke every domain a timer could wake.
        guard !isVirtualTime else { return false }
        let deadlines = domains.filter { $0.state == .blocked }.compactMap { domain -> UInt64? in
            let compare = domain.vcpu.csrs[CSR.vstimecmp] ?? .max
            guard compare != .max else { return nil }
            let delta = domain.vcpu.csrs[CSR.htimedelta] ?? 0
            return compare >= delta ? compare - delta : 0
        }
        guard let earliest = deadlines.min() else { return false }
        board.timebase.retired = hart.retired
        let now = board.timebase.now
        guard earliest > now else { return true }
        usleep(UInt32(min(earliest - now, 10_000) / 10))
        return true
    }

    // MARK: Exits

    func handleExit(_ trap: GuestExit, _ domain: Domain) {
        if trap.interrupt {
            // The host enables no interrupts of its own; a VS interrupt hideleg did not pass
            // cannot arise. Count it and let the guest go on.
            domain.count("vmexit.interrupt")
            return
        }
        switch trap.cause {
        case TrapCause.environmentCallFromVS:
            domain.count("vmexit.sbi")
            let effect = GuestSBI.handle(on: hart, domain: domain, now: guestTime(domain))
            hart.pc = hart.pc &+ 4
            switch effect {
            case .none: break
            case .shutdown(let status): finish(domain, .shutdown(status: status))
            case .suspend: domain.state = .blocked; unload(domain)
            case .flushTranslations: hart.loadVirtualHart(hart.saveVirtualHart(), hgatp: domain.hgatp)
            }
        case TrapCause.loadGuestPageFault, TrapCause.storeGuestPageFault:
            domain.count("vmexit.mmio")
            domain.count("mmio.accesses")
            emulateMMIO(trap, domain)
        case TrapCause.instructionGuestPageFault:
            domain.count("vmexit.guest-page-fault")
            hart.injectGuestException(cause: TrapCause.instructionAccessFault, value: trap.value)
        case TrapCause.virtualInstruction:
            if trap.value == 0x1050_0073 { // wfi
                domain.count("vmexit.wfi")
                hart.pc = hart.pc &+ 4
                domain.state = .blocked
                unload(domain)
            } else {
                // What a guest kernel may not do even in VS-mode is illegal to it.
                domain.count("vmexit.virtual-instruction")
                hart.injectGuestException(cause: TrapCause.illegalInstruction, value: trap.value)
            }
        default:
            // Exceptions hedeleg does not pass (none today) go to the guest as they are.
            domain.count("vmexit.reflected.cause-\(trap.cause)")
            hart.injectGuestException(cause: trap.cause, value: trap.value)
        }
    }

    /// The htinst values of a guest-page fault on an implicit VS-stage PTE access (H extension,
    /// "Transformed Instruction or Pseudoinstruction for mtinst or htinst": 32- and 64-bit
    /// reads 0x2000 and 0x3000, writes for A/D updates 0x2020 and 0x3020).
    static let pageTableAccessPseudoinstructions: Set<UInt64> = [0x2000, 0x2020, 0x3000, 0x3020]

    func finish(_ domain: Domain, _ state: DomainState) {
        unload(domain)
        domain.state = state
    }

    /// Emulates a load or store the guest made to a device (or to nothing): the guest's UART
    /// and test device are the host's models; any other address outside its RAM is an access
    /// fault the guest sees.
    func emulateMMIO(_ trap: GuestExit, _ domain: Domain) {
        let isStore = trap.cause == TrapCause.storeGuestPageFault
        let fault = isStore ? TrapCause.storeAccessFault : TrapCause.loadAccessFault
        // A pseudoinstruction in htinst means the fault was the guest's own page-table walk
        // reaching outside its RAM: page tables are never emulated, so the guest's access
        // faults, as a walk into nothing does on the real machine.
        if Host.pageTableAccessPseudoinstructions.contains(trap.instruction) {
            domain.count("mmio.bad-access")
            hart.injectGuestException(cause: fault, value: trap.value)
            return
        }
        // htinst's transformed instruction says what the access was and (bit 1) whether the
        // original was 4 bytes or compressed; when it is zero, fetch and decode the instruction.
        let instruction: Instruction, length: UInt64
        if trap.instruction & 0x7f != 0 {
            instruction = Decoder.decode(UInt32(truncatingIfNeeded: trap.instruction) | 3)
            length = trap.instruction & 2 != 0 ? 4 : 2
        } else if let fetched = hart.readGuestInstruction(at: trap.pc) {
            instruction = Decoder.decode(fetched)
            length = fetched & 3 == 3 ? 4 : 2
        } else {
            hart.injectGuestException(cause: fault, value: trap.value)
            return
        }
        guard let access = MMIOAccess(instruction: instruction, isStore: isStore),
              let result = GuestDevices.access(domain: domain, gpa: trap.guestPhysicalAddress, width: access.width,
                                               store: isStore, value: isStore ? hart.register(access.register) : 0) else {
            domain.count("mmio.bad-access")
            hart.injectGuestException(cause: fault, value: trap.value)
            return
        }
        if !isStore { hart.setRegister(access.register, access.extend(result.value)) }
        hart.pc = trap.pc &+ length
        if let status = result.shutdown { finish(domain, .shutdown(status: status)) }
    }
}
