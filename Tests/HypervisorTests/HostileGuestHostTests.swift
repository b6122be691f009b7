import Foundation
import Loader
import Machine
import RISCV
import Testing
@testable import Hypervisor

/// Issue 15 through the control API: the no-progress guard in every kind of virtualization and
/// after a restore, the limit charging traps that never leave the hart, and the host's messages.
@Suite struct HostileGuestHostTests {
    /// A raw S-mode kernel: stvec = zeroed RAM 1 MiB above the image, then an illegal
    /// instruction; every trap lands on another illegal instruction.
    static let trapLoop: [UInt8] = {
        var code = RV64Assembler()
        code.auipc(5, 0)
        code.lui(6, 0x100)
        code.add(5, 5, 6)
        code.csrrw(0, CSR.stvec, 5)
        var words = code.words
        words.append(0) // illegal
        return words.flatMap { w in (0 ..< 4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }
    }()

    static func host(_ virtualization: Hypervisor.Host.Virtualization, domains: Int = 1, tableArea: UInt64? = nil) throws -> Hypervisor.Host {
        var configuration = Hypervisor.Host.Configuration(memorySize: UInt64(domains) * ((8 << 20) + Hypervisor.Host.domainOverhead(for: virtualization))
                                                   + (tableArea ?? Hypervisor.Host.reservedMemory),
                                               virtualization: virtualization)
        if let tableArea { configuration.tableAreaSize = tableArea }
        return try Hypervisor.Host(configuration: configuration)
    }

    @Test(arguments: [Hypervisor.Host.Virtualization.hardwareAssisted, .full])
    func aTrapLoopIsStoppedWithItsLastTrap(_ virtualization: Hypervisor.Host.Virtualization) throws {
        let host = try Self.host(virtualization)
        let domain = try host.createDomain(DomainConfiguration(name: "loop", memorySize: 8 << 20, kernel: Self.trapLoop))
        try host.start(domain.id)
        #expect(host.run() == .idle)
        let last = try #require(domain.stuckAt)
        #expect(last.cause == TrapCause.illegalInstruction && !last.interrupt)
        #expect(last.pc == GuestLayout.kernelAddress.rawValue + 0x10_0000, "the handler's own address")
        guard case .crashed(let reason) = domain.state else { Issue.record("\(domain.state)"); return }
        #expect(reason.hasPrefix("no progress: 10000 traps in a row retired no instruction; the first was illegal instruction "
            + "(cause 2) at pc 0x80200010"), "\(reason)")
        #expect(reason.contains("the last was illegal instruction (cause 2) at pc 0x80300000"), "\(reason)")
        // The set-up retired (under full, the host emulated csrw stvec instead); the loop retired nothing.
        #expect(domain.instructions == (virtualization == .full ? 3 : 4))
    }

    /// A hav guest's traps go straight to VS-mode and never exit: the scheduler charges them to
    /// its slice and its limit, so a limit below the guard's count still ends it.
    @Test func trapsThatNeverExitAreChargedToTheLimit() throws {
        let host = try Self.host(.hardwareAssisted)
        let domain = try host.createDomain(DomainConfiguration(name: "loop", memorySize: 8 << 20, kernel: Self.trapLoop,
                                                               instructionLimit: 1000))
        try host.start(domain.id)
        #expect(host.run() == .idle)
        #expect(domain.state == .crashed(reason: "did not finish within 1000 instructions"))
        #expect(domain.stuckAt == nil)
        #expect(domain.instructions + domain.trapsInGuest >= 1000 && domain.exits == 0)
    }

    /// The guard follows a vCPU across world switches: with a time slice shorter than its count,
    /// a looping domain beside a spinning one is still stopped by it, not by its limit.
    @Test func theGuardCountsAcrossTimeSlices() throws {
        var configuration = Hypervisor.Host.Configuration(memorySize: (16 << 20) + Hypervisor.Host.reservedMemory, timeSlice: 500)
        configuration.virtualization = .hardwareAssisted
        let host = try Hypervisor.Host(configuration: configuration)
        let loop = try host.createDomain(DomainConfiguration(name: "loop", memorySize: 8 << 20, kernel: Self.trapLoop))
        let spin = try host.createDomain(DomainConfiguration(name: "spin", memorySize: 8 << 20, kernel: SnapshotTests.spinKernel,
                                                             instructionLimit: 2_000_000))
        try host.start(loop.id)
        try host.start(spin.id)
        #expect(host.run() == .idle)
        #expect(loop.stuckAt != nil, "\(loop.state)")
        #expect(spin.state == .crashed(reason: "did not finish within 2000000 instructions"))
    }

    /// A save file whose checksum is valid but whose vCPU was changed to trap forever (its trap
    /// vector on zeroed RAM, its pc on an illegal instruction) restores, runs, and is stopped.
    @Test func aRestoredDomainThatLoopsIsStopped() throws {
        let url = SnapshotTests.temporaryURL("loop.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        let first = try Self.host(.hardwareAssisted)
        let original = try first.createDomain(DomainConfiguration(name: "spin", memorySize: 8 << 20, kernel: SnapshotTests.spinKernel))
        try first.start(original.id)
        #expect(first.run(instructionBudget: 1000) == .budgetUsed)
        try first.pause(original.id)
        try first.save(original.id, to: url)

        // vstvec and pc at zeroed RAM 1 MiB above the kernel, under a valid checksum.
        let zeroed = GuestLayout.kernelAddress.rawValue + 0x10_0000
        try Self.rewriteHeader(url) { header in
            header.vcpu.pc = zeroed
            header.vcpu.csrs[CSR.vstvec] = zeroed
        }

        let second = try Self.host(.hardwareAssisted)
        let restored = try second.restore(from: url)
        try second.unpause(restored.id)
        #expect(second.run() == .idle)
        #expect(restored.stuckAt?.pc == zeroed, "\(restored.state)")
    }

    /// Changes a save file's header and writes a checksum that matches, as a forger would.
    static func rewriteHeader(_ url: URL, _ change: (inout DomainSnapshot.Header) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16 | Int(bytes[15]) << 24
        var header = try JSONDecoder().decode(DomainSnapshot.Header.self, from: Data(bytes[16 ..< 16 + headerLength]))
        change(&header)
        let json = [UInt8](try JSONEncoder().encode(header))
        bytes = Array(bytes[0 ..< 12]) + (0 ..< 4).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) } + json
            + bytes[(16 + headerLength) ..< (bytes.count - 8)]
        var checksum = DomainSnapshot.Checksum()
        checksum.add(Data(bytes))
        bytes += (0 ..< 8).map { UInt8(truncatingIfNeeded: checksum.value >> (8 * UInt64($0))) }
        try Data(bytes).write(to: url)
    }

    /// An odd pc cannot arise inside a guest, but a host can hand one over (here a save file; a
    /// para trap frame or an ELF entry could too): the fetch faults as misaligned, never reaching
    /// the decoder (found by virtbench fuzz: a segment loaded at an odd address crashed the host).
    @Test func anOddPCFaultsAsAMisalignedFetch() throws {
        let virtualization = Hypervisor.Host.Virtualization.hardwareAssisted // save files are hav's
        let url = SnapshotTests.temporaryURL("odd.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        let first = try Self.host(virtualization)
        let original = try first.createDomain(DomainConfiguration(name: "spin", memorySize: 8 << 20, kernel: SnapshotTests.spinKernel))
        try first.start(original.id)
        #expect(first.run(instructionBudget: 1000) == .budgetUsed)
        try first.pause(original.id)
        try first.save(original.id, to: url)
        try Self.rewriteHeader(url) { $0.vcpu.pc = GuestLayout.kernelAddress.rawValue + 1 }
        let second = try Self.host(virtualization)
        let restored = try second.restore(from: url)
        try second.unpause(restored.id)
        #expect(second.run() == .idle)
        guard case .crashed(let reason) = restored.state else { Issue.record("\(restored.state)"); return }
        #expect(reason.contains("the first was instruction address misaligned (cause 0) at pc 0x80200000, tval 0x80200001"), "\(reason)")
    }

    @Test func aSavedDomainWithNoMemoryIsRefusedByItsRule() throws {
        let url = SnapshotTests.temporaryURL("empty.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        let host = try Self.host(.hardwareAssisted)
        let domain = try host.createDomain(DomainConfiguration(name: "spin", memorySize: 8 << 20, kernel: SnapshotTests.spinKernel))
        try host.start(domain.id)
        try host.pause(domain.id)
        try host.save(domain.id, to: url)
        try Self.rewriteHeader(url) { $0.memorySize = 0 }
        #expect(throws: HostError.snapshot("\(url.path): guest memory of 0 bytes is not a non-zero multiple of 2 MiB")) {
            _ = try DomainSnapshot.summary(of: url)
        }
    }

    /// The default table area holds 128 domains' G-stage tables; the 129th is refused with the
    /// sizes in KiB, and a host sized by `tableArea(forDomainsOf:)` takes all of them.
    @Test func tableAreaExhaustionSaysWhatItNeeds() throws {
        let crowded = try Self.host(.hardwareAssisted, domains: 129)
        for index in 0 ..< 128 {
            _ = try crowded.createDomain(DomainConfiguration(name: "d\(index)", memorySize: 8 << 20, kernel: SnapshotTests.spinKernel))
        }
        #expect(throws: HostError.tableAreaFull(needed: 20 << 10, free: 0, size: 4 << 20)) {
            _ = try crowded.createDomain(DomainConfiguration(name: "extra", memorySize: 8 << 20, kernel: SnapshotTests.spinKernel))
        }
        #expect(HostError.tableAreaFull(needed: 20 << 10, free: 0, size: 4 << 20).description
            .hasPrefix("no room for the domain's G-stage tables: they need 20 KiB, and 0 bytes of the host's 4 MiB table area is free"))
        let sizes = [UInt64](repeating: 8 << 20, count: 129)
        let roomy = try Self.host(.hardwareAssisted, domains: 129, tableArea: Hypervisor.Host.tableArea(forDomainsOf: sizes))
        for index in 0 ..< 129 {
            _ = try roomy.createDomain(DomainConfiguration(name: "d\(index)", memorySize: 8 << 20, kernel: SnapshotTests.spinKernel))
        }
        #expect(roomy.domains.count == 129)
    }

    @Test func sizesInMessagesAreExact() {
        #expect(HostError.outOfMemory(requested: 20 << 10, free: 0).description == "not enough host memory: 20 KiB requested, 0 bytes free")
        #expect(HostError.badHostMemorySize(memory: 4 << 20, reserved: 4 << 20).description
            == "host memory must be a multiple of 2 MiB above the 4 MiB the hypervisor keeps, not 4 MiB")
        #expect(MemorySize.text(3 << 29) == "1536 MiB")
        #expect(MemorySize.text(4097) == "4097 bytes")
        #expect(MemorySize.text(64 << 30) == "64 GiB")
    }

    @Test func theLargestDomainLeavesTheHypervisorItsShare() {
        #expect(Hypervisor.Host.maximumDomainMemory(for: .hardwareAssisted) == (64 << 30) - (4 << 20))
        #expect(Hypervisor.Host.maximumDomainMemory(for: .full) == (64 << 30) - (4 << 20) - Hypervisor.Host.domainOverhead(for: .full))
    }
}
