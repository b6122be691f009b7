import Devices
import Foundation
import Machine
import RISCV
import Testing
@testable import Hypervisor

/// Domains with several vCPUs under `hav` (issue 19): SBI HSM, IPI and RFENCE across a
/// domain's vCPUs (SBI spec v2.0 §§6, 7, 9), per-vCPU state that survives save and restore,
/// and a scheduler whose choices depend on instruction counts only.
@Suite struct MultiVCPUTests {
    static let t0: UInt8 = 5, t1: UInt8 = 6, t5: UInt8 = 30, t6: UInt8 = 31, s0: UInt8 = 8
    static let a0: UInt8 = 10, a1: UInt8 = 11, a2: UInt8 = 12, a3: UInt8 = 13, a4: UInt8 = 14, a6: UInt8 = 16, a7: UInt8 = 17

    /// Sets a0–a4, a6 (function) and a7 (extension) and calls the SBI.
    static func call(_ a: inout RV64Assembler, _ extensionID: UInt64, _ function: UInt32, _ arguments: [Int64] = []) {
        for (index, value) in arguments.enumerated() { a.li32(a0 + UInt8(index), UInt32(truncatingIfNeeded: value)) }
        a.li32(a6, function)
        a.li32(a7, UInt32(extensionID))
        a.ecall()
    }

    /// Fails with code `check` unless `register` holds `value`.
    static func expect(_ a: inout RV64Assembler, _ register: UInt8, _ value: Int64, check: UInt32, fail: RV64Assembler.Label) {
        a.li32(t6, check)
        a.li32(t5, UInt32(truncatingIfNeeded: value))
        a.bne(register, t5, fail)
    }

    /// A two-vCPU guest. vCPU 0 checks the HSM, IPI and RFENCE errors a hostile or careless
    /// caller gets, starts vCPU 1 at the image's start with an opaque value, waits for it to
    /// store that value, sends it an IPI (and only it), waits for its acknowledgement and its
    /// hart_stop, and passes. vCPU 1 checks its a0, enables SSIP, waits in WFI for the IPI,
    /// acknowledges it and stops. The shared words sit one page above the image's start.
    static func twoVCPUGuest() throws -> [UInt8] {
        var a = RV64Assembler()
        let fail = a.label(), secondary = a.label()
        a.auipc(s0, 1)                                       // s0: the shared page
        a.bne(a0, 0, secondary)
        call(&a, GuestSBI.hsm, 2, [1])                       // vCPU 1 is STOPPED
        expect(&a, a0, 0, check: 1, fail: fail)
        expect(&a, a1, 1, check: 2, fail: fail)
        call(&a, GuestSBI.hsm, 2, [2])                       // there is no vCPU 2
        expect(&a, a0, GuestSBI.invalidParameter, check: 3, fail: fail)
        call(&a, GuestSBI.hsm, 0, [0, 0x8020_0000, 0])       // vCPU 0 is started: itself
        expect(&a, a0, GuestSBI.alreadyAvailable, check: 4, fail: fail)
        call(&a, GuestSBI.hsm, 0, [1, 0x1000, 0])            // outside the domain's RAM
        expect(&a, a0, GuestSBI.invalidAddress, check: 5, fail: fail)
        call(&a, GuestSBI.hsm, 0, [9, 0x8020_0000, 0])       // no such vCPU
        expect(&a, a0, GuestSBI.invalidParameter, check: 6, fail: fail)
        call(&a, GuestSBI.ipi, 0, [0b100, 0])                // mask names vCPU 2
        expect(&a, a0, GuestSBI.invalidParameter, check: 7, fail: fail)
        call(&a, GuestSBI.ipi, 0, [1, 2])                    // base beyond the vCPUs
        expect(&a, a0, GuestSBI.invalidParameter, check: 8, fail: fail)
        call(&a, GuestSBI.ipi, 0, [0b11, 1])                 // vCPU 1 and a vCPU 2
        expect(&a, a0, GuestSBI.invalidParameter, check: 9, fail: fail)
        call(&a, GuestSBI.rfence, 1, [0b100, 0, 0, -1])
        expect(&a, a0, GuestSBI.invalidParameter, check: 10, fail: fail)
        call(&a, GuestSBI.rfence, 3, [1, 0, 0, -1, 0])       // HFENCE.GVMA: no H in a guest
        expect(&a, a0, GuestSBI.notSupported, check: 11, fail: fail)
        // hart_start(1, start of the image, opaque)
        let here = a.position
        a.auipc(a1, 0)
        a.addi(a1, a1, -Int32(here * 4))
        a.li32(a0, 1)
        a.li32(a2, 0x1234)
        a.li32(a6, 0)
        a.li32(a7, UInt32(GuestSBI.hsm))
        a.ecall()
        expect(&a, a0, 0, check: 12, fail: fail)
        call(&a, GuestSBI.hsm, 0, [1, 0x8020_0000, 0])       // started (or start pending) already
        expect(&a, a0, GuestSBI.alreadyAvailable, check: 13, fail: fail)
        let waitStarted = a.label()
        a.bind(waitStarted)
        a.ld(t0, s0, 0)
        a.li32(t1, 0x1234)
        a.bne(t0, t1, waitStarted)
        call(&a, GuestSBI.hsm, 2, [1])                       // vCPU 1 is STARTED now
        expect(&a, a1, 0, check: 14, fail: fail)
        call(&a, GuestSBI.rfence, 1, [0, -1, 0, -1])         // every vCPU
        expect(&a, a0, 0, check: 15, fail: fail)
        call(&a, GuestSBI.rfence, 0, [0b11, 0])
        expect(&a, a0, 0, check: 16, fail: fail)
        call(&a, GuestSBI.rfence, 2, [0b10, 0, 0, -1, 0])
        expect(&a, a0, 0, check: 17, fail: fail)
        call(&a, GuestSBI.ipi, 0, [1, 1])                    // vCPU 1 only
        expect(&a, a0, 0, check: 18, fail: fail)
        let waitAcknowledged = a.label()
        a.bind(waitAcknowledged)
        a.ld(t0, s0, 8)
        a.beq(t0, 0, waitAcknowledged)
        a.csrrs(t0, CSR.sip, 0)                              // the IPI did not reach vCPU 0
        a.andi(t0, t0, 2)
        expect(&a, t0, 0, check: 19, fail: fail)
        let waitStopped = a.label()
        a.bind(waitStopped)
        call(&a, GuestSBI.hsm, 2, [1])
        a.li32(t1, 1)
        a.bne(a1, t1, waitStopped)
        GuestPlatformTests.finish(&a, fail: fail)

        a.bind(secondary)
        expect(&a, a0, 1, check: 20, fail: fail)             // a0 = hartid, a1 = opaque
        a.li32(t0, 2)
        a.csrrs(0, CSR.sie, t0)                              // SSIE
        a.sd(a1, s0, 0)
        let waitIPI = a.label()
        a.bind(waitIPI)
        a.wfi()
        a.csrrs(t0, CSR.sip, 0)
        a.andi(t0, t0, 2)
        a.beq(t0, 0, waitIPI)
        a.csrrw(0, CSR.sip, 0)                               // acknowledge: clear SSIP
        a.li32(t0, 1)
        a.sd(t0, s0, 8)
        call(&a, GuestSBI.hsm, 1)                            // hart_stop does not return
        a.li32(t6, 21)
        a.jal(0, fail)
        return GuestPlatformTests.bytes(try GuestPlatformTests.assemble(&a))
    }

    static func host(timeSlice: UInt64 = 2_000) throws -> Hypervisor.Host {
        var configuration = Host.Configuration(memorySize: (8 << 20) + Host.reservedMemory)
        configuration.timeSlice = timeSlice
        return try Host(configuration: configuration)
    }

    static func twoVCPUDomain(on host: Hypervisor.Host, bootArguments: String? = nil) throws -> Domain {
        var configuration = DomainConfiguration(name: "smp", memorySize: 8 << 20, kernel: try twoVCPUGuest(), instructionLimit: 50_000_000)
        configuration.vcpuCount = 2
        if let bootArguments { configuration.bootArguments = bootArguments }
        return try host.createDomain(configuration)
    }

    /// Runs the guest `a` (finished by `GuestPlatformTests.finish`) as a domain of `vcpus` vCPUs
    /// on `host` until it stops, and expects it to have passed.
    @discardableResult
    static func runToPass(_ a: inout RV64Assembler, on host: Hypervisor.Host, vcpus: Int = 1, instructionLimit: UInt64 = .max,
                          sourceLocation: SourceLocation = #_sourceLocation) throws -> Domain {
        var configuration = DomainConfiguration(name: "guest", memorySize: 8 << 20,
                                                kernel: GuestPlatformTests.bytes(try GuestPlatformTests.assemble(&a)), instructionLimit: instructionLimit)
        configuration.vcpuCount = vcpus
        let domain = try host.createDomain(configuration)
        try host.start(domain.id)
        host.run()
        expectPassed(domain, sourceLocation: sourceLocation)
        return domain
    }

    /// Fails with the guest's check number when it did not pass.
    static func expectPassed(_ domain: Domain, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(domain.state == .shutdown(status: 0), "check \(Self.failedCheck(domain.state))", sourceLocation: sourceLocation)
    }

    static func failedCheck(_ state: DomainState) -> String {
        if case .shutdown(let status) = state { return "\(status >> 16) (status \(status))" }
        return "\(state)"
    }

    // MARK: HSM, IPI and RFENCE

    @Test func hartStartIPIAndStopAcrossVCPUs() throws {
        let host = try Self.host()
        let domain = try Self.twoVCPUDomain(on: host)
        #expect(domain.vcpus.map(\.state) == [.running, .stopped])
        try host.start(domain.id)
        #expect(host.run() == .idle)
        Self.expectPassed(domain)
        #expect(domain.vcpus[1].state == .stopped)
        // The secondary waited in WFI (an exit) for an IPI it got through its own hvip.
        #expect(domain.events["vmexit.wfi", default: 0] >= 1)
        #expect(domain.events["sbi.ipi", default: 0] == 4)
        #expect(domain.events["sbi.rfence", default: 0] == 5)
    }

    /// Every vCPU starts with scounteren = CY|TM|IR, as OpenSBI leaves S-mode (the H extension
    /// has no VS copy: a vCPU's own scounteren is what VU-mode reads of `time` are checked
    /// against, so a guest's vDSO would get an illegal instruction without it). vCPU 0 checks
    /// its own, starts vCPU 1, which stores its own (marked with bit 8) and stops.
    @Test func vCPUsStartWithUserCountersEnabled() throws {
        var a = RV64Assembler()
        let fail = a.label(), secondary = a.label()
        a.auipc(Self.s0, 1)                                  // s0: the shared page
        a.bne(Self.a0, 0, secondary)
        a.csrrs(Self.t0, CSR.scounteren, 0)
        Self.expect(&a, Self.t0, 7, check: 1, fail: fail)
        let here = a.position
        a.auipc(Self.a1, 0)
        a.addi(Self.a1, Self.a1, -Int32(here * 4))
        a.li32(Self.a0, 1)
        a.li32(Self.a2, 0)
        a.li32(Self.a6, 0)
        a.li32(Self.a7, UInt32(GuestSBI.hsm))
        a.ecall()                                            // hart_start(1, start of the image, 0)
        Self.expect(&a, Self.a0, 0, check: 2, fail: fail)
        let wait = a.label()
        a.bind(wait)
        a.ld(Self.t0, Self.s0, 0)
        a.beq(Self.t0, 0, wait)
        Self.expect(&a, Self.t0, 0x107, check: 3, fail: fail)
        GuestPlatformTests.finish(&a, fail: fail)
        a.bind(secondary)
        a.csrrs(Self.t0, CSR.scounteren, 0)
        a.ori(Self.t0, Self.t0, 0x100)
        a.sd(Self.t0, Self.s0, 0)
        Self.call(&a, GuestSBI.hsm, 1)                       // hart_stop does not return
        a.li32(Self.t6, 4)
        a.jal(0, fail)
        try Self.runToPass(&a, on: try Self.host(), vcpus: 2, instructionLimit: 5_000_000)
    }

    /// A full domain's virtual supervisor starts with the same scounteren, so its programs read
    /// `time` too (under full the kernel's csrr traps and the host answers from the virtual CSR).
    @Test func aFullDomainStartsWithUserCountersEnabled() throws {
        var a = RV64Assembler()
        let fail = a.label()
        a.csrrs(Self.t0, CSR.scounteren, 0)
        Self.expect(&a, Self.t0, 7, check: 1, fail: fail)
        GuestPlatformTests.finish(&a, fail: fail)
        try Self.runToPass(&a, on: try GuestPlatformTests.host(.full), instructionLimit: 1_000_000)
    }

    /// A stopped vCPU is never put on the hart: a domain whose vCPU 1 is never started retires
    /// nothing on it (its pc stays where the domain was created).
    @Test func stoppedVCPUsNeverRun() throws {
        var a = RV64Assembler()
        let fail = a.label()
        for _ in 0 ..< 2000 { a.nop() }
        GuestPlatformTests.finish(&a, fail: fail)
        let domain = try Self.runToPass(&a, on: try Self.host(timeSlice: 100), vcpus: 4)
        #expect(domain.vcpus.dropFirst().allSatisfy { $0.state == .stopped && $0.hart.pc == 0 })
    }

    /// hart_mask and hart_mask_base (SBI §3.1) against the vCPU count: -1 selects all, bits
    /// beyond the last vCPU or a base past it are invalid, an empty mask selects nothing.
    @Test func hartMasksAreCheckedAgainstTheVCPUCount() {
        #expect(GuestSBI.selectedVCPUs(mask: 0, base: .max, count: 3) == 0b111)
        #expect(GuestSBI.selectedVCPUs(mask: 0b11, base: 0, count: 2) == 0b11)
        #expect(GuestSBI.selectedVCPUs(mask: 0b1, base: 1, count: 2) == 0b10)
        #expect(GuestSBI.selectedVCPUs(mask: 0b11, base: 1, count: 2) == nil)
        #expect(GuestSBI.selectedVCPUs(mask: 0b100, base: 0, count: 2) == nil)
        #expect(GuestSBI.selectedVCPUs(mask: 1, base: 2, count: 2) == nil)
        #expect(GuestSBI.selectedVCPUs(mask: 1, base: 1 << 63, count: 2) == nil)
        #expect(GuestSBI.selectedVCPUs(mask: .max, base: 0, count: 8) == nil)
        #expect(GuestSBI.selectedVCPUs(mask: 0, base: 5, count: 2) == 0)
    }

    // MARK: Configuration

    @Test func vcpuCountsAreChecked() throws {
        let host = try Self.host()
        var configuration = DomainConfiguration(name: "many", memorySize: 8 << 20, kernel: SnapshotTests.spinKernel)
        configuration.vcpuCount = DomainConfiguration.maximumVCPUs + 1
        #expect(throws: HostError.unsupported("a domain has 1 to 8 vCPUs, not 9")) { try host.createDomain(configuration) }
        configuration.vcpuCount = 0
        #expect(throws: HostError.self) { try host.createDomain(configuration) }
        for virtualization in [Host.Virtualization.full, .para] {
            let other = try GuestPlatformTests.host(virtualization)
            configuration.vcpuCount = 2
            #expect(throws: HostError.unsupported("a domain under \(virtualization.modeName) has one vCPU, not 2: multi-vCPU domains are built for hav only")) {
                try other.createDomain(configuration)
            }
        }
    }

    /// The device tree lists every vCPU (cpu@0..N-1 with their interrupt controllers and a
    /// cpu-map), and the PLIC reaches each vCPU's contexts.
    @Test func deviceTreeListsEveryVCPU() throws {
        let host = try Self.host()
        var configuration = DomainConfiguration(name: "dt", memorySize: 8 << 20, kernel: SnapshotTests.spinKernel)
        configuration.vcpuCount = 3
        let domain = try host.createDomain(configuration)
        let blobAddress = GuestPhysicalAddress(domain.virtualHart.registers[11])
        let header = try #require(host.board.memory.read(domain.hostAddress(blobAddress), count: 8))
        let size = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
        let tree = try DeviceTree(flattened: try #require(host.board.memory.read(domain.hostAddress(blobAddress), count: size)))
        let cpus = try #require(tree.root.child("cpus"))
        let controllers = try (0 ..< 3).map { index in
            let cpu = try #require(cpus.child("cpu@\(index)"))
            return try #require(cpu.child("interrupt-controller")?.phandle)
        }
        #expect(cpus.child("cpu@3") == nil)
        #expect(cpus.child("cpu-map") != nil)
        let plic = try #require(tree.root.child("soc")?.child("plic@c000000"))
        let extended = try #require(plic.property("interrupts-extended")?.cellValues)
        // Per vCPU: its M-mode context (11, which an S-mode kernel skips) and its S-mode one (9).
        #expect(extended == controllers.flatMap { [$0, 11, $0, 9] })
    }

    // MARK: Save, restore and determinism

    /// A two-vCPU domain saved while its second vCPU runs is restored with both vCPUs and
    /// their HSM states on another host, and finishes there.
    @Test func twoVCPUDomainSurvivesSaveAndRestore() throws {
        let host = try Self.host()
        let domain = try Self.twoVCPUDomain(on: host)
        try host.start(domain.id)
        var steps = 0
        while domain.vcpus[1].state == .stopped && steps < 10_000 {
            host.run(instructionBudget: 500)
            steps += 1
        }
        try #require(domain.vcpus[1].state != .stopped && !domain.state.isFinished)
        try host.pause(domain.id)
        let saved = domain.vcpus
        let url = SnapshotTests.temporaryURL("smp.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        try host.save(domain.id, to: url)
        try host.destroy(domain.id)

        let other = try Self.host()
        let restored = try other.restore(from: url)
        #expect(restored.configuration.vcpuCount == 2)
        #expect(restored.vcpus.map(\.state) == saved.map(\.state))
        #expect(restored.vcpus.map(\.hart.pc) == saved.map(\.hart.pc))
        #expect(restored.vcpus.map(\.hart.registers) == saved.map(\.hart.registers))
        // One time base for the domain: both vCPUs get the same htimedelta.
        #expect(restored.vcpus[0].hart.csrs[CSR.htimedelta] == restored.vcpus[1].hart.csrs[CSR.htimedelta])
        try other.unpause(restored.id)
        other.run()
        Self.expectPassed(restored)
    }

    /// A file written before domains had several vCPUs (no `vcpuStates` and `otherVCPUs`
    /// keys) restores as one vCPU.
    @Test func oneVCPUSaveFilesStillRestore() throws {
        let file = try SnapshotTests.rewritten(try SnapshotTests.savedSpinner()) { header in
            header["vcpuStates"] = nil
            header["otherVCPUs"] = nil
        }
        let url = SnapshotTests.temporaryURL("old.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(file).write(to: url)
        let host = try Host(configuration: .init(memorySize: 16 << 20))
        let domain = try host.restore(from: url)
        #expect(domain.vcpus.count == 1 && domain.vcpus[0].state == .running)
        #expect(domain.virtualHart.pc == GuestLayout.kernelAddress.rawValue)
    }

    /// A file whose vCPU list is damaged is refused: too many vCPUs, states that do not match
    /// the vCPUs, or none left started.
    @Test func damagedVCPUListsAreRefused() throws {
        let host = try Self.host()
        let domain = try Self.twoVCPUDomain(on: host)
        try host.start(domain.id)
        try host.pause(domain.id)
        let url = SnapshotTests.temporaryURL("smp.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        try host.save(domain.id, to: url)
        let file = [UInt8](try Data(contentsOf: url))
        let allStopped = try SnapshotTests.rewritten(file) { header in header["vcpuStates"] = ["stopped", "stopped"] }
        try SnapshotTests().expectRefused(allStopped, "every vCPU is stopped")
        let tooMany = try SnapshotTests.rewritten(file) { header in
            header["vcpuStates"] = Array(repeating: "running", count: 10)
            header["otherVCPUs"] = Array(repeating: (header["otherVCPUs"] as? [Any])?.first ?? [:], count: 9)
        }
        try SnapshotTests().expectRefused(tooMany, "10 vCPUs, not 1 to 8")
        let mismatched = try SnapshotTests.rewritten(file) { header in header["vcpuStates"] = ["running", "stopped", "stopped"] }
        try SnapshotTests().expectRefused(mismatched, "3 vCPU states for 2 vCPUs")
    }

    /// The scheduler's choices depend on instruction counts only: two runs of the same
    /// two-vCPU guest in virtual time retire the same instructions and make the same exits.
    @Test func twoRunsInVirtualTimeAreTheSame() throws {
        func run() throws -> (UInt64, UInt64, [String: UInt64], [VirtualCPUState]) {
            let host = try Self.host(timeSlice: 777)
            let domain = try Self.twoVCPUDomain(on: host)
            try host.start(domain.id)
            host.run()
            Self.expectPassed(domain)
            return (domain.instructions, domain.exits, domain.events, domain.vcpus.map(\.state))
        }
        let first = try run(), second = try run()
        #expect(first.0 == second.0 && first.1 == second.1 && first.2 == second.2 && first.3 == second.3)
    }
}
