import Machine
import RISCV

/// The hypervisor's side of `HypercallABI`: one function per call, each validating every
/// argument before it changes anything. An ecall from a para guest's kernel lands here; one
/// with another extension ID is an ordinary SBI call (base, SRST, ... through `GuestSBI`).
enum Hypercalls {
    typealias Failure = HypercallABI.HypercallError

    /// The SBI extensions a para kernel may call. An array scanned on each call: hashing one ID
    /// into a Set cost more than the rest of the call's dispatch.
    static let passedThroughSBI: [UInt64] = [GuestSBI.base, GuestSBI.time, GuestSBI.srst, GuestSBI.legacyShutdown,
                                             GuestSBI.legacySetTimer, GuestSBI.legacyPutchar, HypercallABI.extensionID]

    /// Most requests one mmu-update takes (a batch is one guest page of requests at most).
    static let batchLimit: UInt64 = 512

    static func handle(_ domain: Domain, _ cpu: ParaVirtualCPU, kind: ParaVirtualization, host: Host) {
        let hart = host.hart
        let a = GuestSBI.Arguments(hart)
        let ecall = hart.pc
        guard hart.register(17) == HypercallABI.extensionID else {
            domain.count(.hypercallSBI)
            // Only SBI calls that write no guest memory (a write could land in a page table):
            // base, the timer, shutdown, and the legacy console output.
            if !passedThroughSBI.contains(hart.register(17)) || (hart.register(17) == GuestSBI.base && hart.register(16) == 3) {
                let probe = hart.register(17) == GuestSBI.base
                domain.count(DomainEvent.sbi(hart.register(17)))
                hart.setRegister(10, probe ? 0 : UInt64(bitPattern: GuestSBI.notSupported))
                hart.setRegister(11, probe && passedThroughSBI.contains(a[0]) ? 1 : 0)
                hart.completeEmulatedInstruction(resumingAt: ecall &+ 4)
                return
            }
            let effect = GuestSBI.handle(on: hart, domain: domain,
                                         supervisor: SupervisorControl(domain: domain, cpu: cpu, host: host))
            hart.completeEmulatedInstruction(resumingAt: ecall &+ 4)
            switch effect {
            case .none: break
            case .shutdown(let status): host.finish(domain, .shutdown(status: status))
            case .suspend: host.block(domain, as: .suspended)
            case .stopVCPU: host.stopCurrentVCPU(domain)
            case .flushTranslations: hart.hostFlushTranslations()
            }
            return
        }
        guard let function = HypercallABI.Function(rawValue: hart.register(16)) else {
            domain.count(.hypercallUnknown)
            reply(hart, .failure(.notSupported))
            hart.completeEmulatedInstruction(resumingAt: ecall &+ 4)
            return
        }
        domain.count(DomainEvent.hypercall(function))
        hart.completeEmulatedInstruction(resumingAt: ecall &+ 4)
        let outcome: Outcome
        switch function {
        case .version: outcome = .value(HypercallABI.version)
        case .mmuUpdate: outcome = mmuUpdate(domain, cpu, host: host, requests: GuestPhysicalAddress(a[0]), count: a[1])
        case .pinTable: outcome = Outcome { () throws(Failure) in try cpu.frames.pin(HostPhysicalAddress(a[0]), level: a[1]) }
        case .unpinTable:
            outcome = unpin(cpu, HostPhysicalAddress(a[0]))
            // An unpinned table may become writable memory, then a root again with other
            // contents under the same satp: no translation through it may stay cached.
            if case .value = outcome { hart.hostFlushTranslations() }
        case .newBaseptr: outcome = newBaseptr(cpu, host: host, kernelRoot: HostPhysicalAddress(a[0]), userRoot: HostPhysicalAddress(a[1]))
        case .tlbFlush:
            hart.hostFlushTranslations()
            outcome = .value(0)
        case .setCallbacks:
            cpu.callback = GuestVirtualAddress(a[0])
            outcome = .value(0)
        case .trapReturn:
            outcome = trapReturn(domain, cpu, kind: kind, host: host, frame: GuestPhysicalAddress(a[0]))
            if case .value = outcome { return } // registers and pc are the frame's now
        case .setTimer:
            setTimer(domain, cpu, host: host, a[0])
            outcome = .value(0)
        case .eventPoll: outcome = .value(0) // delivery happens on the way out of every hypercall
        case .yield:
            reply(hart, .value(0))
            cpu.yielded = true
            host.block(domain)
            return
        case .block:
            reply(hart, .value(0))
            block(domain, host: host)
            return
        case .ringSetup: outcome = ringSetup(domain, cpu, page: GuestPhysicalAddress(a[0]), backend: a[1])
        case .ringNotify: outcome = ringNotify(domain, cpu, host: host, id: a[0])
        case .fpuState:
            if a[0] <= 3 {
                kind.setFloatingPointState(hart, a[0] << 13)
                let memory = host.board.memory, status = domain.hostAddress(cpu.sharedInfo) + HypercallABI.sharedStatus
                _ = memory.store(status, width: 8, value: (memory.load(status, width: 8) ?? 0) & ~ParaVirtualization.fsMask | a[0] << 13)
                outcome = .value(0)
            } else {
                outcome = .failure(.invalidParameter)
            }
        }
        reply(hart, outcome)
    }

    enum Outcome {
        case value(UInt64)
        case failure(Failure, value: UInt64 = 0)

        init(_ body: () throws(Failure) -> Void) {
            do { try body(); self = .value(0) } catch { self = .failure(error) }
        }
    }

    static func reply(_ hart: Hart, _ outcome: Outcome) {
        switch outcome {
        case .value(let value):
            hart.setRegister(10, 0)
            hart.setRegister(11, value)
        case .failure(let error, let value):
            hart.setRegister(10, UInt64(bitPattern: error.rawValue))
            hart.setRegister(11, value)
        }
    }

    /// Blocks the vCPU until an unmasked event is pending (it wakes at once if one is).
    static func block(_ domain: Domain, host: Host) {
        host.block(domain)
    }

    static func setTimer(_ domain: Domain, _ cpu: ParaVirtualCPU, host: Host, _ deadline: UInt64) {
        cpu.timerDeadline = deadline
        let memory = host.board.memory, page = domain.hostAddress(cpu.sharedInfo) + HypercallABI.sharedPending
        _ = memory.store(page, width: 8, value: (memory.load(page, width: 8) ?? 0) & ~ParaVirtualCPU.timerEvent)
        host.hart.hostWriteCSR(CSR.stimecmp, deadline)
    }

    /// The SBI's view of a para vCPU: its timer is the one-shot timer, its software interrupt
    /// is not offered (one vCPU), and a non-retentive resume keeps the kernel root (it has no
    /// bare mode to fall back to).
    struct SupervisorControl: GuestSBI.SupervisorControl {
        let domain: Domain, cpu: ParaVirtualCPU, host: Host
        func setTimer(_ deadline: UInt64) { Hypercalls.setTimer(domain, cpu, host: host, deadline) }
        func raiseSoftwareInterrupt() {}
        /// The PV guest has no software interrupt (its events are the shared page's); and a
        /// para domain has one vCPU, so no other vCPU is ever named.
        func raiseSoftwareInterrupt(on vcpu: inout VirtualCPU) {}
        func resetForNonRetentiveResume() {
            let memory = host.board.memory, status = domain.hostAddress(cpu.sharedInfo) + HypercallABI.sharedStatus
            _ = memory.store(status, width: 8, value: (memory.load(status, width: 8) ?? 0) & ~ParaVirtualization.sie)
        }
    }

    // MARK: Page tables

    static let requestSize: UInt64 = 16

    /// Applies requests in order up to the first refused one; a1 says how many were applied.
    static func mmuUpdate(_ domain: Domain, _ cpu: ParaVirtualCPU, host: Host, requests: GuestPhysicalAddress, count: UInt64) -> Outcome {
        guard count <= batchLimit else { return .failure(.invalidParameter) }
        guard requests.isAligned(to: requestSize), domain.ownsRAM(requests, length: count * requestSize) else {
            return .failure(.invalidAddress)
        }
        let memory = host.board.memory, base = domain.hostAddress(requests)
        var applied: UInt64 = 0
        defer { if applied > 0 { host.hart.hostFlushTranslations() } }
        for index in 0 ..< count {
            let pointer = memory.load(base + index * requestSize, width: 8) ?? 0
            let value = memory.load(base + index * requestSize + 8, width: 8) ?? 0
            // The low 3 bits of a request's machine address say what it is (HypercallABI).
            let machine = HostPhysicalAddress(pointer & ~7)
            do throws(Failure) {
                switch pointer & 7 {
                case 0: try cpu.frames.updateEntry(at: machine, value: value)
                case 1: try cpu.frames.pin(machine, level: value)
                case 2:
                    if case .failure(let error, _) = unpin(cpu, machine) { throw error }
                default: throw .invalidParameter
                }
            } catch {
                return .failure(error, value: applied)
            }
            applied += 1
        }
        return .value(applied)
    }

    /// A root in use (a base pointer) stays pinned: unpinning it would let its frames go back
    /// to writable memory under the hart's feet.
    static func unpin(_ cpu: ParaVirtualCPU, _ frame: HostPhysicalAddress) -> Outcome {
        if frame != HostPhysicalAddress(0) && (frame == cpu.kernelRoot || frame == cpu.userRoot) { return .failure(.pinState) }
        return Outcome { () throws(Failure) in try cpu.frames.unpin(frame) }
    }

    static func newBaseptr(_ cpu: ParaVirtualCPU, host: Host, kernelRoot: HostPhysicalAddress, userRoot: HostPhysicalAddress) -> Outcome {
        guard kernelRoot != userRoot else { return .failure(.invalidParameter) }
        do throws(Failure) {
            try cpu.frames.acquireRoot(kernelRoot)
            if userRoot != HostPhysicalAddress(0) {
                do throws(Failure) { try cpu.frames.acquireRoot(userRoot) } catch {
                    cpu.frames.releaseRoot(kernelRoot)
                    throw error
                }
            }
        } catch {
            return .failure(error)
        }
        cpu.frames.releaseRoot(cpu.kernelRoot)
        if cpu.userRoot != HostPhysicalAddress(0) { cpu.frames.releaseRoot(cpu.userRoot) }
        cpu.kernelRoot = kernelRoot
        cpu.userRoot = userRoot
        host.hart.switchDeprivileged(pc: host.hart.pc, satp: cpu.satp)
        return .value(0)
    }

    // MARK: Traps

    /// The PV sret. Checks the frame and the target mode first; then loads everything at once.
    static func trapReturn(_ domain: Domain, _ cpu: ParaVirtualCPU, kind: ParaVirtualization, host: Host, frame: GuestPhysicalAddress) -> Outcome {
        guard frame.isAligned(to: 8), domain.ownsRAM(frame, length: HypercallABI.trapFrameSize) else { return .failure(.invalidAddress) }
        let hart = host.hart, memory = host.board.memory, base = domain.hostAddress(frame)
        let status = memory.load(base + HypercallABI.frameStatus, width: 8) ?? 0
        let toUser = status & ParaVirtualization.spp == 0
        if toUser && cpu.userRoot == HostPhysicalAddress(0) { return .failure(.invalidState) }
        for i in 1 ..< 32 { hart.setRegister(i, memory.load(base + UInt64(i) * 8, width: 8) ?? 0) }
        let pc = memory.load(base + HypercallABI.framePC, width: 8) ?? 0
        let page = domain.hostAddress(cpu.sharedInfo) + HypercallABI.sharedStatus
        var shared = (memory.load(page, width: 8) ?? 0) & ~(ParaVirtualization.sie | ParaVirtualization.spp)
        if status & ParaVirtualization.spie != 0 { shared |= ParaVirtualization.sie }
        shared |= ParaVirtualization.spie
        _ = memory.store(page, width: 8, value: shared)
        kind.setFloatingPointState(hart, status)
        cpu.mode = toUser ? .user : .kernel
        hart.switchDeprivileged(pc: pc, satp: cpu.satp)
        return .value(0)
    }

    // MARK: Rings

    static func ringSetup(_ domain: Domain, _ cpu: ParaVirtualCPU, page: GuestPhysicalAddress, backend: UInt64) -> Outcome {
        guard page.isAligned(to: ParaVirtualization.pageSize), domain.ownsRAM(page, length: ParaVirtualization.pageSize) else {
            return .failure(.invalidAddress)
        }
        guard backend == HypercallABI.consoleBackend, cpu.rings.count < ParaVirtualCPU.maximumRings else {
            return .failure(.invalidParameter)
        }
        // The backend writes responses into the page: it must never be (or become) a page table.
        do throws(Failure) { try cpu.frames.reserveForHypervisorWrites(domain.hostAddress(page)) } catch { return .failure(error) }
        let producer = domain.hostAddress(page) + HypercallABI.ringRequestProducer
        cpu.rings.append(.init(page: page, backend: backend, requestConsumer: cpu.frames.memory.load(producer, width: 8) ?? 0))
        return .value(UInt64(cpu.rings.count - 1))
    }

    /// The backend's turn: every request from its consumer index to the guest's producer index
    /// gets a response in its slot; a producer more than a ring ahead is refused untouched.
    static func ringNotify(_ domain: Domain, _ cpu: ParaVirtualCPU, host: Host, id: UInt64) -> Outcome {
        guard id < UInt64(cpu.rings.count) else { return .failure(.invalidParameter) }
        let ring = cpu.rings[Int(id)], memory = host.board.memory, page = domain.hostAddress(ring.page)
        let producer = memory.load(page + HypercallABI.ringRequestProducer, width: 8) ?? 0
        let outstanding = producer &- ring.requestConsumer
        guard outstanding <= HypercallABI.ringSlots else { return .failure(.badRingIndex) }
        var responses = memory.load(page + HypercallABI.ringResponseProducer, width: 8) ?? 0
        var index = ring.requestConsumer
        while index != producer {
            let slot = page + HypercallABI.ringSlotsOffset + (index % HypercallABI.ringSlots) * HypercallABI.ringSlotSize
            let requestID = memory.load(slot, width: 8) ?? 0, operation = memory.load(slot + 8, width: 8) ?? 0
            let address = GuestPhysicalAddress(memory.load(slot + 16, width: 8) ?? 0), length = memory.load(slot + 24, width: 8) ?? 0
            let status: Int64
            if operation != HypercallABI.consoleWrite {
                status = Failure.notSupported.rawValue
            } else if length > ParaVirtualization.pageSize || !domain.ownsRAM(address, length: length) {
                status = Failure.invalidAddress.rawValue
            } else {
                if length > 0, let bytes = memory.read(domain.hostAddress(address), count: Int(length)) { domain.writeConsole(bytes) }
                status = Int64(length)
            }
            _ = memory.store(slot, width: 8, value: requestID)
            _ = memory.store(slot + 8, width: 8, value: UInt64(bitPattern: status))
            index &+= 1
            responses &+= 1
        }
        _ = memory.store(page + HypercallABI.ringResponseProducer, width: 8, value: responses)
        cpu.rings[Int(id)].requestConsumer = producer
        let pending = domain.hostAddress(cpu.sharedInfo) + HypercallABI.sharedPending
        if outstanding > 0 {
            _ = memory.store(pending, width: 8, value: (memory.load(pending, width: 8) ?? 0) | ParaVirtualCPU.ringEvent(Int(id)))
        }
        return .value(outstanding)
    }
}
