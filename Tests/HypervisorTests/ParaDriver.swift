@testable import Machine
@testable import Hypervisor

/// Drives one para-virtual domain's hypercalls from Swift, as its kernel's ecalls would arrive:
/// the domain is put on the hart, registers are set, and the hypervisor's handler runs. For the
/// validation tests and the fuzzer (a hostile guest without the guest).
final class ParaDriver {
    let host: Host
    let domain: Domain
    let cpu: ParaVirtualCPU
    let kind: ParaVirtualization
    /// Guest-physical address of a scratch page the driver writes request arrays and frames into.
    let scratch: UInt64

    /// A domain whose kernel is a loop (`j .`) at 0x8020_0000 on a new host, or on `host`.
    init(memorySize: UInt64 = 16 << 20, on existing: Host? = nil) throws {
        host = try existing ?? Host(configuration: .init(memorySize: 64 << 20, virtualization: .para))
        let loop: [UInt8] = [0x6f, 0x00, 0x00, 0x00]
        domain = try host.createDomain(DomainConfiguration(name: "driven", memorySize: memorySize, kernel: loop))
        cpu = ParaVirtualization.cpu(domain)!
        kind = host.kind as! ParaVirtualization
        scratch = GuestLayout.ramBase.rawValue + (4 << 20)
    }

    var memory: PhysicalMemory { host.board.memory }
    func machine(_ gpa: UInt64) -> UInt64 { domain.hostAddress(GuestPhysicalAddress(gpa)).rawValue }

    func load() {
        if host.loaded !== domain {
            if let other = host.loaded { host.unload(other) }
            kind.load(domain, host: host)
            host.loaded = domain
        }
        if domain.state != .runnable { domain.state = .runnable }
    }

    /// Takes the domain off the hart and out of the scheduler's way (paused), so `Host.run`
    /// runs only the other domains.
    func park() {
        host.unload(domain)
        domain.state = .paused
    }

    /// Makes hypercall `function` with `arguments` in a0…; returns (a0 as an error code, a1).
    @discardableResult
    func call(_ function: UInt64, _ arguments: [UInt64] = [], extensionID: UInt64 = HypercallABI.extensionID) -> (error: Int64, value: UInt64) {
        load()
        let hart = host.hart
        for i in 0 ..< 6 { hart.setRegister(10 + i, i < arguments.count ? arguments[i] : 0) }
        hart.setRegister(16, function)
        hart.setRegister(17, extensionID)
        cpu.mode = .kernel
        hart.enterDeprivileged(pc: GuestLayout.kernelAddress.rawValue, satp: cpu.satp)
        kind.handleExit(GuestExit(cause: 8, interrupt: false, value: 0, guestPhysicalAddressShifted: 0, instruction: 0,
                                  pc: GuestLayout.kernelAddress.rawValue, privilege: .user), domain, host: host)
        // A bounce or trap-return moved the vCPU; the next call starts from the kernel again.
        let result = (Int64(bitPattern: hart.register(10)), hart.register(11))
        if domain.state == .blocked { domain.state = .runnable }
        return result
    }

    func call(_ function: HypercallABI.Function, _ arguments: [UInt64] = []) -> (error: Int64, value: UInt64) {
        call(function.rawValue, arguments)
    }

    /// A store by the guest kernel to guest-physical `gpa`: page tables are read-only to it, so
    /// a store there does nothing (it would fault); everything else it may write.
    func guestStore(_ gpa: UInt64, _ value: UInt64) {
        guard cpu.frames.tableLevel(HostPhysicalAddress(machine(gpa & ~0xfff))) == nil else { return }
        _ = memory.store(machine(gpa), width: 8, value: value)
    }

    /// Writes an mmu-update request array at the scratch page and applies it.
    @discardableResult
    func mmuUpdate(_ requests: [(UInt64, UInt64)]) -> (error: Int64, value: UInt64) {
        for (index, request) in requests.enumerated() {
            guestStore(scratch + UInt64(index) * 16, request.0)
            guestStore(scratch + UInt64(index) * 16 + 8, request.1)
        }
        return call(.mmuUpdate, [scratch, UInt64(requests.count)])
    }

    /// The domain's RAM and the hypervisor's view of it, for "nothing changed" checks.
    func snapshot() -> [UInt8] {
        memory.read(domain.hostBase, count: Int(domain.configuration.memorySize)) ?? []
    }

    /// The boot tables' direct-map PTE for guest-physical page `gpa` (machine address of the slot).
    func directMapSlot(_ gpa: UInt64) -> UInt64? {
        var table = cpu.kernelRoot.rawValue
        for level in stride(from: 2, to: 0, by: -1) {
            let pte = memory.load(table + ((gpa >> (12 + 9 * UInt64(level))) & 511) * 8, width: 8) ?? 0
            guard pte & 1 != 0 else { return nil }
            table = (pte >> 10) << 12
        }
        return table + ((gpa >> 12) & 511) * 8
    }
}
