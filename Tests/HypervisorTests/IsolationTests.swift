import Foundation
import Harness
import Machine
import Testing
@testable import Hypervisor
import TestSupport

/// Issue 6, must-show 3 (and issue 7's for `full`): isolation between domains on one host, for
/// each kind of virtualization. Many copies of the corpus
/// kernel run together exactly as one runs alone; a guest that attacks memory outside its own
/// sees faults and changes nothing of anyone else's; guests that spin or flood SBI calls do
/// not keep the others from finishing; a domain built in a destroyed domain's frames runs its
/// own code on zeroed memory.
///
/// Serialized: each test keeps the host cores busy on its own, and they share corpus images.
@Suite(.serialized) struct IsolationTests {
    /// The kinds that run unmodified S-mode kernels (para runs only kernels built for its
    /// hypercalls; its isolation is HypercallFuzzTests').
    static let kindsForUnmodifiedKernels: [Hypervisor.Host.Virtualization] = [.hardwareAssisted, .full]

    /// Guest RAM of each domain: 32 kernel domains fit a 516 MiB host.
    static let domainMemory: UInt64 = 16 << 20
    static let megapage: UInt64 = 2 << 20

    // MARK: Helpers

    /// The built image of `program`, for tests that declare `.requires(.corpusToolchain)`.
    static func image(_ program: CorpusProgram) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: try CorpusBuilder.forThisPackage().build(program)))
    }

    /// Images of the corpus kernel and `others`.
    static func images(_ others: CorpusProgram...) throws -> (kernel: [UInt8], others: [[UInt8]]) {
        let kernelProgram = try #require(CorpusCatalogue.program(named: "kernel"))
        return (try image(kernelProgram), try others.map(image))
    }

    /// A host with room for `domains` domains of `domainMemory` bytes.
    static func host(domains: Int, _ virtualization: Hypervisor.Host.Virtualization) throws -> Hypervisor.Host {
        let perDomain = domainMemory + Hypervisor.Host.domainOverhead(for: virtualization)
        return try Hypervisor.Host(configuration: .init(memorySize: UInt64(domains) * perDomain + Hypervisor.Host.reservedMemory,
                                                        virtualization: virtualization))
    }

    /// Creates and starts a domain.
    @discardableResult
    static func add(_ host: Hypervisor.Host, _ name: String, _ kernel: [UInt8],
                    limit: UInt64 = 4_000_000_000) throws -> Domain {
        let domain = try host.createDomain(DomainConfiguration(name: name, memorySize: domainMemory, kernel: kernel,
                                                               instructionLimit: limit))
        try host.start(domain.id)
        return domain
    }

    /// What `image` prints and leaves in memory when it runs alone on its own host.
    static func runAlone(_ image: [UInt8], _ virtualization: Hypervisor.Host.Virtualization,
                         limit: UInt64 = 4_000_000_000) throws -> (console: String, state: DomainState, digest: UInt64) {
        let host = try host(domains: 1, virtualization)
        let domain = try add(host, "alone", image, limit: limit)
        host.run()
        return (domain.consoleText, domain.state, try #require(host.memoryDigest(of: domain.id)))
    }

    /// Reads every live domain's G-stage table back from host memory and checks it maps exactly
    /// the domain's own RAM onto host frames recorded as the domain's, none of them in the
    /// host's page-table area and none mapped by two domains.
    static func expectExclusiveFrames(_ host: Hypervisor.Host) throws {
        guard host.configuration.virtualization == .hardwareAssisted else { return try expectOwnShadowFrames(host) }
        var mappedBy: [HostPhysicalAddress: Int] = [:]
        for domain in host.domains {
            let size = domain.configuration.memorySize
            let mappings = try host.gstageMappings(of: domain.id)
            #expect(mappings.reduce(0) { $0 + $1.size } == size, "domain \(domain.id) maps \(mappings)")
            for mapping in mappings {
                let offset = try #require(mapping.guestPhysical.offset(from: GuestLayout.ramBase), "\(mapping)")
                #expect(offset + mapping.size <= size, "\(mapping)")
                #expect(mapping.hostPhysical == domain.hostBase + offset, "\(mapping)")
                #expect(!mapping.hostRange.overlaps(host.pageTableArea), "\(mapping) maps the host's page tables")
                for raw in stride(from: mapping.hostPhysical.rawValue, to: mapping.hostRange.upperBound.rawValue, by: Int(megapage)) {
                    let frame = HostPhysicalAddress(raw)
                    #expect(host.frameOwner(ofHostAddress: frame) == domain.id, "frame \(frame)")
                    if let other = mappedBy.updateValue(domain.id, forKey: frame) {
                        Issue.record("host frame \(frame) is mapped by domains \(other) and \(domain.id)")
                    }
                }
            }
        }
    }

    /// `full`: reads every shadow table of every live domain back from host memory and checks
    /// each leaf maps a page of the domain's own RAM (a frame recorded as the domain's), never
    /// its shadow pool, another domain's frames or the host's table area.
    static func expectOwnShadowFrames(_ host: Hypervisor.Host) throws {
        for domain in host.domains {
            let ram = domain.hostBase ..< domain.hostBase + domain.configuration.memorySize
            for mapping in try host.shadowMappings(of: domain.id) {
                #expect(ram.contains(mapping.hostPhysical), "domain \(domain.id): \(mapping)")
                #expect(!domain.hypervisorRange.contains(mapping.hostPhysical), "\(mapping) maps the shadow pool")
                #expect(host.frameOwner(ofHostAddress: mapping.hostPhysical) == domain.id, "\(mapping)")
            }
        }
    }

    /// The event a kind counts for each SBI call its guest kernel makes.
    static func sbiKey(_ virtualization: Hypervisor.Host.Virtualization) -> String {
        virtualization == .full ? "trap.sbi" : "vmexit.sbi"
    }

    // MARK: Tests

    /// 32 corpus-kernel domains of 16 MiB on one host, round robin: each prints byte for byte
    /// what one prints alone and ends with PASS; their frames are disjoint.
    @Test(.requires(.corpusToolchain), arguments: IsolationTests.kindsForUnmodifiedKernels)
    func thirtyTwoKernelDomainsPrintWhatOnePrintsAlone(_ virtualization: Hypervisor.Host.Virtualization) throws {
        let (kernel, _) = try Self.images()
        let alone = try Self.runAlone(kernel, virtualization)
        // 16 MiB is enough for the kernel (image, its 8 MiB page pool and the device tree).
        #expect(alone.state == .shutdown(status: 0), "\(alone.state): \(alone.console.suffix(400))")
        #expect(alone.console.hasSuffix("PASS kernel\n"))

        let host = try Self.host(domains: 32, virtualization)
        let domains = try (1 ... 32).map { try Self.add(host, "kernel-\($0)", kernel) }
        try Self.expectExclusiveFrames(host)
        // Halfway, with every domain's shadow tables (full) or G-stage tables in use.
        host.run(instructionBudget: 32 * 10_000_000)
        try Self.expectExclusiveFrames(host)
        host.run()
        for domain in domains {
            #expect(domain.state == .shutdown(status: 0), "\(domain.configuration.name): \(domain.state)")
            #expect(domain.consoleText == alone.console, "\(domain.configuration.name) printed: \(domain.consoleText.suffix(400))")
            #expect(host.memoryDigest(of: domain.id) == alone.digest, "\(domain.configuration.name)'s memory differs from a run alone")
        }
        try Self.expectExclusiveFrames(host)
    }

    /// attack-memory's accesses outside its RAM all fault in the guest, and the same run beside
    /// kernel domains prints the same and leaves the same memory; the kernels print what they
    /// print alone; a second attacker run after the kernels finished leaves their memory
    /// digests unchanged; frames stay exclusive.
    @Test(.requires(.corpusToolchain), arguments: IsolationTests.kindsForUnmodifiedKernels)
    func memoryAttackerFaultsAndTouchesNoOtherDomain(_ virtualization: Hypervisor.Host.Virtualization) throws {
        let (kernel, others) = try Self.images(.attackMemory)
        let attacker = others[0]
        let kernelAlone = try Self.runAlone(kernel, virtualization)
        let attackAlone = try Self.runAlone(attacker, virtualization)
        #expect(attackAlone.state == .shutdown(status: 0), "\(attackAlone.state): \(attackAlone.console)")
        #expect(attackAlone.console.hasSuffix("PASS attack-memory\n"), "\(attackAlone.console)")
        let attempts = attackAlone.console.split(separator: "\n").filter {
            $0.hasPrefix("read ") || $0.hasPrefix("write ") || $0.hasPrefix("fetch ") || $0.hasPrefix("table at ")
        }
        #expect(attempts.count >= 60, "\(attackAlone.console)")
        for line in attempts { #expect(line.contains(" -> fault cause ") && !line.contains("FAILED"), "\(line)") }
        // 16 MiB of RAM ends at 0x8100_0000: the first address past it, directly and mapped.
        for expected in ["read 0x81000000 -> fault cause 5", "write 0x81000000 -> fault cause 7",
                         "fetch 0x81000000 -> fault cause 1", "read 0x81000000 via va 0x40000000 -> fault cause 5",
                         "write 0xfffffffff000 -> fault cause 7",
                         "table at 0x10000000: read 0x100000000 -> fault cause 5",
                         "table at 0x81000000: write 0xc0000000 -> fault cause 7"] {
            #expect(attempts.contains { $0 == expected }, "missing \"\(expected)\" in:\n\(attackAlone.console)")
        }

        // Attackers between kernel domains, all round robin on one host.
        let host = try Self.host(domains: 6, virtualization)
        var kernels: [Domain] = [], attackers: [Domain] = []
        for index in 0 ..< 5 {
            if index % 2 == 0 { kernels.append(try Self.add(host, "kernel-\(index)", kernel)) }
            else { attackers.append(try Self.add(host, "attack-\(index)", attacker)) }
        }
        host.run(instructionBudget: 5_000_000)
        try Self.expectExclusiveFrames(host)
        host.run()
        for domain in kernels {
            #expect(domain.state == .shutdown(status: 0), "\(domain.state)")
            #expect(domain.consoleText == kernelAlone.console, "\(domain.consoleText.suffix(400))")
            // Each domain has its own virtual clock, so its memory ends exactly as when it ran alone.
            #expect(host.memoryDigest(of: domain.id) == kernelAlone.digest, "a kernel's memory differs from its run alone")
        }
        for domain in attackers {
            #expect(domain.state == .shutdown(status: 0), "\(domain.state)")
            #expect(domain.consoleText == attackAlone.console)
            #expect(host.memoryDigest(of: domain.id) == attackAlone.digest, "attacker's memory differs from its run alone")
            #expect((domain.events["mmio.bad-access"] ?? 0) > 0, "\(domain.events)")
        }

        // The finished kernels' memory, before and after another attacker runs on the host.
        let before = kernels.map { host.memoryDigest(of: $0.id) }
        let late = try Self.add(host, "attack-late", attacker)
        try Self.expectExclusiveFrames(host)
        host.run()
        #expect(late.state == .shutdown(status: 0), "\(late.state): \(late.consoleText)")
        #expect(late.consoleText == attackAlone.console)
        #expect(kernels.map { host.memoryDigest(of: $0.id) } == before, "a kernel domain's memory changed while the attacker ran")
        for domain in attackers { #expect(host.memoryDigest(of: domain.id) == attackAlone.digest) }
    }

    /// Two spinners (no exits at all) and two SBI flooders beside four kernel domains: the
    /// kernels finish with what they print alone, the others end crashed by their limit.
    @Test(.requires(.corpusToolchain), arguments: IsolationTests.kindsForUnmodifiedKernels)
    func spinAndSBIFloodDoNotStopTheOthers(_ virtualization: Hypervisor.Host.Virtualization) throws {
        let (kernel, others) = try Self.images(.spin, .sbiFlood)
        let kernelAlone = try Self.runAlone(kernel, virtualization)
        let host = try Self.host(domains: 8, virtualization)
        let spinLimit: UInt64 = 20_000_000, floodLimit: UInt64 = 2_000_000
        var kernels: [Domain] = [], spinners: [Domain] = [], flooders: [Domain] = []
        for index in 0 ..< 2 {
            spinners.append(try Self.add(host, "spin-\(index)", others[0], limit: spinLimit))
            kernels.append(try Self.add(host, "kernel-\(2 * index)", kernel))
            flooders.append(try Self.add(host, "flood-\(index)", others[1], limit: floodLimit))
            kernels.append(try Self.add(host, "kernel-\(2 * index + 1)", kernel))
        }
        host.run()
        for domain in kernels {
            #expect(domain.state == .shutdown(status: 0), "\(domain.state)")
            #expect(domain.consoleText == kernelAlone.console, "\(domain.consoleText.suffix(400))")
            // Each domain has its own virtual clock, so its memory ends exactly as when it ran alone.
            #expect(host.memoryDigest(of: domain.id) == kernelAlone.digest, "a kernel's memory differs from its run alone")
        }
        for (domain, limit, line) in spinners.map({ ($0, spinLimit, CorpusProgram.spin.expectedFinalLine) })
            + flooders.map({ ($0, floodLimit, CorpusProgram.sbiFlood.expectedFinalLine) }) {
            guard case .crashed(let reason) = domain.state else {
                Issue.record("\(domain.configuration.name) ended \(domain.state)")
                continue
            }
            #expect(reason.contains("did not finish within \(limit) instructions"), "\(reason)")
            #expect(domain.consoleText == line + "\n")
            #expect(domain.instructions + domain.exits >= limit)
        }
        for domain in flooders { #expect((domain.events["sbi.base"] ?? 0) > 100_000, "\(domain.events)") }
        for domain in spinners { #expect(domain.events["sbi.base"] == nil && (domain.events[Self.sbiKey(virtualization)] ?? 0) < 100) }
    }

    /// A domain created in the frames of a destroyed one starts on zeroed memory holding only its
    /// own image, and runs its own code, not what the hart decoded for the previous owner.
    @Test(.requires(.corpusToolchain), arguments: IsolationTests.kindsForUnmodifiedKernels)
    func reusedFramesHoldOnlyTheNewDomain(_ virtualization: Hypervisor.Host.Virtualization) throws {
        let (kernel, others) = try Self.images(.spin)
        let spin = others[0]
        let fresh = try Self.host(domains: 1, virtualization)
        let reference = try fresh.createDomain(DomainConfiguration(name: "spin", memorySize: Self.domainMemory, kernel: spin,
                                                                   instructionLimit: 1_000_000))
        // Everything below the device tree: each board draws its own /chosen/rng-seed.
        let belowDeviceTree = GuestLayout.ramBase ..< GuestPhysicalAddress(reference.virtualHart.registers[11])
        let freshDigest = try #require(fresh.memoryDigest(of: reference.id, range: belowDeviceTree))

        let host = try Self.host(domains: 1, virtualization)
        let first = try Self.add(host, "kernel", kernel)
        host.run()
        #expect(first.state == .shutdown(status: 0))
        try host.destroy(first.id)
        #expect(host.frameOwner(ofHostAddress: first.hostBase) == nil, "a destroyed domain still owns its frames")
        #expect(host.frameOwner(ofHostAddress: host.pageTableArea.lowerBound) == nil)
        let second = try host.createDomain(DomainConfiguration(name: "spin", memorySize: Self.domainMemory, kernel: spin,
                                                               instructionLimit: 1_000_000))
        #expect(second.hostBase == first.hostBase, "the test needs the frames reused")
        #expect(second.virtualHart.registers[11] == belowDeviceTree.upperBound.rawValue)
        #expect(host.memoryDigest(of: second.id, range: belowDeviceTree) == freshDigest, "the new domain's memory is not zeroed plus its own image")
        try host.start(second.id)
        host.run()
        #expect(second.consoleText == CorpusProgram.spin.expectedFinalLine + "\n", "\(second.consoleText.prefix(400))")
        #expect(second.state == .crashed(reason: "did not finish within 1000000 instructions"), "\(second.state)")
        try Self.expectExclusiveFrames(host)
    }

    /// A guest whose trap vector is itself unfetchable faults forever without retiring an
    /// instruction; the no-progress guard stops it after 10,000 traps (its limit, which its
    /// exits count against, would after 50,000), and the other domain is unaffected.
    @Test(arguments: IsolationTests.kindsForUnmodifiedKernels)
    func faultLoopWithoutProgressIsStopped(_ virtualization: Hypervisor.Host.Virtualization) throws {
        // csrw stvec, zero; jr zero: the fetch at guest-physical 0 faults, and so does the
        // trap vector it is sent to.
        let csrwStvecZero: UInt32 = 0x1050_1073, jumpToZero: UInt32 = 0x0000_0067
        let image = [csrwStvecZero, jumpToZero].flatMap { word in (0 ..< 4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        let host = try Self.host(domains: 2, virtualization)
        let looping = try Self.add(host, "fault-loop", image, limit: 50_000)
        host.run()
        guard case .crashed(let reason) = looping.state else { Issue.record("\(looping.state)"); return }
        #expect(reason.hasPrefix("no progress: 10000 traps in a row retired no instruction"), "\(reason)")
        #expect(looping.stuckAt?.pc == 0, "\(String(describing: looping.stuckAt))")
        #expect(looping.instructions < 10, "\(looping.instructions)")
        // hav: G-stage refuses the fetch (an exit), and the host injects an access fault (a
        // second trap); full: the host finds no RAM there and reflects an instruction access
        // fault (cause 1), one exit each.
        let key = virtualization == .full ? "trap.reflected.1" : "vmexit.guest-page-fault"
        #expect((looping.events[key] ?? 0) == (virtualization == .full ? 10_000 : 5_000), "\(looping.events)")
    }
}
