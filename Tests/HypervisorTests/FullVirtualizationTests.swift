import Foundation
import Harness
import Machine
import RISCV
import Testing
@testable import Hypervisor
import TestSupport

/// Issue 7: full virtualization in software. The corpus kernel, kernel-cpu and the SBI test run
/// deprivileged in U-mode on a hart without H and print exactly what they print natively; the
/// hypervisor counts the traps by instruction and the shadow faults and resyncs; U-Boot for
/// S-mode boots to its prompt; a guest whose tables point outside its RAM sees faults.
@Suite(.serialized) struct FullVirtualizationTests {
    /// The built image of `program`, for tests that declare `.requires(.corpusToolchain)`.
    static func image(_ program: CorpusProgram) throws -> URL {
        try CorpusBuilder.forThisPackage().build(program)
    }

    /// Native output and `full`'s, for the same image.
    static func nativeAndFull(_ name: String) throws -> (native: ModeRunResult, full: ModeRunResult) {
        let program = try #require(CorpusCatalogue.program(named: name))
        let url = try image(program)
        let options = ModeRunOptions()
        return (try NativeMode().run(program, image: url, options: options), try FullMode().run(program, image: url, options: options))
    }

    @Test(.requires(.corpusToolchain), arguments: ["kernel", "kernel-cpu", "sbi"])
    func printsWhatNativePrints(_ name: String) throws {
        let (native, full) = try Self.nativeAndFull(name)
        #expect(native.guest.exitStatus == 0)
        #expect(full.guest.exitStatus == 0, "\(full.guest.output.suffix(600))")
        // Native runs on SBI firmware, which prints a banner first; the rest must match byte for byte.
        #expect(RunJudgement.difference(full.guest, from: native.guest) == nil, "full printed:\n\(full.guest.output.suffix(800))")
        #expect(native.guest.output.hasSuffix(full.guest.output))
        // Everything ran in the hart's U-mode: nothing in S or M, no H.
        #expect(full.guest.counters.retiredByPrivilege[Int(Privilege.supervisor.rawValue)] == 0)
        #expect(full.guest.counters.retiredByPrivilege[Int(Privilege.machine.rawValue)] == 0)
        #expect((full.modeEvents["trap.sbi"] ?? 0) > 0, "\(full.modeEvents)")
        #expect((full.modeEvents["trap.csrr"] ?? 0) > 0 && (full.modeEvents["trap.csrw"] ?? 0) > 0)
        #expect(full.modeEvents.keys.allSatisfy { !$0.hasPrefix("vmexit.") }, "no hardware VM exits in full")
    }

    /// The corpus kernel's microbenchmarks cost what trap-and-emulate must cost: a system call
    /// is a reflected user ecall plus the kernel's emulated CSR accesses and sret; a PTE change
    /// is a trapped store to a write-protected page table that drops the one shadow leaf it
    /// changed, plus an emulated sfence.vma that drops nothing; MMIO is emulated. A context
    /// switch (satp write and global sfence.vma) finds its shadows cached: no rebuild.
    @Test(.requires(.corpusToolchain)) func kernelMicrobenchmarksCountTrapsAndShadowEvents() throws {
        let (_, full) = try Self.nativeAndFull("kernel")
        let events = full.modeEvents
        func phase(_ benchmark: String, _ key: String) -> UInt64 { events["phase.\(benchmark).\(key)"] ?? 0 }
        #expect(phase("syscall", "trap.reflected.8") >= 20_000, "\(events.filter { $0.key.hasPrefix("phase.syscall") })")
        #expect(phase("syscall", "trap.sret") >= 20_000)
        #expect(phase("pagefault", "trap.reflected.15") >= 256, "demand-paging faults are the guest's own")
        #expect(phase("pagefault", "shadow.fault") >= 256, "each fresh page is then filled in the shadow")
        #expect(phase("ctxswitch", "trap.sfence.vma") >= 4_000)
        #expect(phase("ctxswitch", "shadow.fault") < 1_000 && phase("ctxswitch", "shadow.resync") < 100,
                "\(events.filter { $0.key.hasPrefix("phase.ctxswitch") })")
        #expect(phase("pte", "trap.sfence.vma") >= 4_000 && phase("pte", "shadow.write-protect") >= 4_000)
        #expect(phase("pte", "shadow.resync") >= 2_000, "each unmap drops the leaf the access before it filled")
        #expect(phase("mmio", "trap.mmio") >= 10_000)
        #expect(phase("timer", "trap.interrupt.5") >= 20 && phase("timer", "trap.wfi") >= 1)
    }

    /// Without tracing (`tracesGuestPageTables = false`) the same kernel prints the same and
    /// every sfence.vma drops shadows: the context switch rebuilds them each time.
    @Test(.requires(.corpusToolchain)) func withoutTracingSfenceDropsTheShadows() throws {
        let url = try Self.image(.corpusKernel)
        func run(tracing: Bool) throws -> Domain {
            var configuration = Host.Configuration(memorySize: (128 << 20) + Host.reservedMemory + Host.domainOverhead(for: .full),
                                                   virtualization: .full)
            configuration.tracesGuestPageTables = tracing
            let host = try Host(configuration: configuration)
            let domain = try host.createDomain(DomainConfiguration(name: "kernel", memorySize: 128 << 20, kernel: [UInt8](Data(contentsOf: url))))
            try host.start(domain.id)
            host.run()
            return domain
        }
        let traced = try run(tracing: true), flushed = try run(tracing: false)
        #expect(traced.state == .shutdown(status: 0) && flushed.state == .shutdown(status: 0), "\(flushed.consoleText.suffix(400))")
        #expect(traced.consoleText == flushed.consoleText)
        #expect(flushed.events["shadow.write-protect"] == nil)
        let faults = (traced: traced.events["shadow.fault"] ?? 0, flushed: flushed.events["shadow.fault"] ?? 0)
        #expect(faults.flushed > 40_000 && faults.traced * 5 < faults.flushed, "\(faults)")
    }

    /// Debian's U-Boot for S-mode boots in `full` to its prompt and answers `version`.
    @Test(.requires(.uBootSupervisorELF)) func debianUBootAnswersVersion() throws {
        let (host, domain) = try HostTests.bootDebianUBootAndAskVersion(.full)
        #expect((domain.events["trap.mmio"] ?? 0) > 0, "its console is the hypervisor's UART model")
        #expect(host.hart.debugReadCSR(CSR.hstatus) == nil, "the host hart has no H extension")
    }

    /// attack-memory points its page tables and mappings outside its RAM: in `full` every attempt
    /// faults in the guest with the cause native hardware gives, and no shadow leaf ever maps a
    /// frame outside the domain's RAM.
    @Test(.requires(.corpusToolchain)) func pageTablesPointingOutsideRAMFaultInTheGuest() throws {
        let url = try Self.image(.attackMemory)
        let options = ModeRunOptions(ramSize: 16 << 20)
        let hav = try HAVMode().run(.attackMemory, image: url, options: options)
        let full = try FullMode().run(.attackMemory, image: url, options: options)
        #expect(full.guest.exitStatus == 0, "\(full.guest.output)")
        #expect(full.guest.output == hav.guest.output, "full printed:\n\(full.guest.output)")
        for expected in ["table at 0x10000000: read 0x100000000 -> fault cause 5", "table at 0x81000000: write 0xc0000000 -> fault cause 7",
                         "read 0x81000000 via va 0x40000000 -> fault cause 5"] {
            #expect(full.guest.output.contains(expected + "\n"), "missing \(expected)")
        }
        #expect((full.modeEvents["mmio.bad-access"] ?? 0) > 0)
    }

    /// The shadow-table pool is bounded: a map that needs a table the pool no longer has fails
    /// (the caller then drops everything, counting a resync, and rebuilds), and dropped tables
    /// are zero again.
    @Test func shadowPoolIsBoundedAndRecycled() throws {
        let memory = try PhysicalMemory(base: 0x8000_0000, size: 1 << 20)
        let shadow = ShadowPageTables(pool: HostPhysicalAddress(0x8000_0000) ..< HostPhysicalAddress(0x8000_0000) + 3 * 4096, memory: memory)
        let key = ShadowPageTables.Key(guestATP: 8 << 60 | 0x80, view: .kernel, mxr: false)
        // Sv39: root, one level-1 and one level-0 table fill the three-table pool.
        #expect(shadow.map(key, va: GuestVirtualAddress(0x1000), hostPage: HostPhysicalAddress(0x8010_0000), permissions: ShadowPageTables.R) == false)
        #expect(shadow.map(key, va: GuestVirtualAddress(0x1000), hostPage: HostPhysicalAddress(0x8010_0000), permissions: ShadowPageTables.R | ShadowPageTables.W) == true,
                "raising a leaf's permissions replaces a valid leaf: cached translations must go")
        #expect(shadow.map(key, va: GuestVirtualAddress(0x4000_0000), hostPage: HostPhysicalAddress(0x8010_0000), permissions: ShadowPageTables.R) == nil,
                "another gigabyte needs two more tables than the pool has")
        #expect(try shadow.mappings().count == 1)
        #expect(shadow.unmap(va: GuestVirtualAddress(0x1000)) == 1)
        shadow.dropAll()
        #expect(shadow.isEmpty)
        for offset in stride(from: UInt64(0), to: 3 * 4096, by: 8) { #expect(memory.load(0x8000_0000 + offset, width: 8) == 0) }
    }
}
