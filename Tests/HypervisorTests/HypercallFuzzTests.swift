import Foundation
import Harness
import Machine
import Testing
@testable import Hypervisor
import TestSupport

/// Must-show 3: a hostile guest's random hypercalls with random arguments. The hypervisor never
/// crashes, its frame bookkeeping always matches the tables (so no table maps a frame the guest
/// does not own, and no page table is ever writable), and a kernel beside the fuzzer ends with
/// the same console and memory as alone. `VIRTBENCH_FUZZ_HYPERCALLS=N` sets how many calls each
/// test makes (millions for a soak: the default keeps the suite quick).
@Suite struct HypercallFuzzTests {
    static var calls: Int { Int(ProcessInfo.processInfo.environment["VIRTBENCH_FUZZ_HYPERCALLS"] ?? "") ?? 30_000 }

    /// splitmix64: reproducible from its seed, printed with every failure.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: UInt64) -> UInt64 { next() % n }
        mutating func pick<T>(_ choices: [T]) -> T { choices[Int(below(UInt64(choices.count)))] }
    }

    /// Issues random hypercalls from one para domain (`driver`); `forbidden` are machine ranges
    /// of other domains its arguments aim at as well.
    struct Fuzzer {
        let driver: ParaDriver
        let forbidden: [Range<UInt64>]
        var random: Random
        /// Calls that succeeded, by function, and requests mmu-update applied.
        var accepted: [UInt64: Int] = [:]
        var appliedRequests: UInt64 = 0

        /// A machine or guest-physical address, a PTE slot, a count or plain noise.
        mutating func argument() -> UInt64 {
            let d = driver, size = d.domain.configuration.memorySize
            switch random.below(12) {
            case 0: return random.next()
            case 1: return random.below(600)
            case 2: return GuestLayout.ramBase.rawValue + random.below(size) & ~(random.below(2) == 0 ? 0xfff : 0x7)
            case 3: return d.domain.hostBase.rawValue + random.below(size) & ~(random.below(2) == 0 ? 0xfff : 0x7)
            case 4: return d.cpu.kernelRoot.rawValue + random.below(512) * 8
            case 5: return d.cpu.frames.tableLevel(d.cpu.kernelRoot) != nil ? d.cpu.kernelRoot.rawValue : 0
            case 6:
                let range = random.pick(forbidden)
                return range.lowerBound + random.below(UInt64(range.count)) & ~0x7
            case 7: return d.scratch + random.below(16) * 0x1000
            case 8: return d.machine(d.scratch + random.below(16) * 0x1000) | random.below(3)
            case 9: return random.pick([GuestLayout.uartBase.rawValue, GuestLayout.testBase.rawValue, 0, .max, d.host.board.memory.base])
            case 10: return pte()
            default: return d.directMapSlot(GuestLayout.ramBase.rawValue + random.below(size) & ~0xfff) ?? 0
            }
        }

        /// A page-table entry aimed at the domain's frames, its tables, another domain or a device.
        mutating func pte() -> UInt64 {
            let d = driver, size = d.domain.configuration.memorySize
            let target: UInt64
            switch random.below(5) {
            case 0: target = d.domain.hostBase.rawValue + random.below(size) & ~0xfff
            case 1: target = d.machine(d.scratch + random.below(16) * 0x1000)
            case 2: target = random.pick(forbidden).lowerBound + 0x1000 * random.below(64)
            case 3: target = d.cpu.kernelRoot.rawValue
            default: target = random.pick([GuestLayout.uartBase.rawValue, GuestLayout.testBase.rawValue, d.domain.hostBase.rawValue & ~0x1f_ffff])
            }
            var flags = random.below(2) == 0 ? random.below(0x400) : random.pick([0x1, 0x13, 0x17, 0xdf, 0x1b, 0x57])
            if random.below(16) == 0 { flags |= 1 << (54 + random.below(10)) }
            return (target >> 12) << 10 | flags
        }

        /// One random hypercall (or SBI call); mmu-update batches are written first.
        mutating func step() {
            let d = driver
            if random.below(8) == 0 {
                d.call(random.next() & 0xff, (0 ..< 6).map { _ in argument() }, extensionID: random.pick([0x10, 0x5352_5354, 0x4442_434E, 0x5449_4D45, random.next()]))
                return
            }
            let function = random.below(UInt64(HypercallABI.Function.allCases.count) + 2)
            if function == HypercallABI.Function.mmuUpdate.rawValue {
                let count = random.below(24)
                let buffer = d.scratch + random.below(4) * 0x1000
                // Half the batches are mostly well formed, so requests past the first get applied too.
                let wellFormed = random.below(2) == 0
                for index in 0 ..< count {
                    var pointer = random.below(4) == 0 ? argument() : (d.directMapSlot(d.scratch + random.below(16) * 0x1000) ?? 0) | random.pick([0, 0, 1, 2, 3])
                    var value = random.below(3) == 0 ? random.below(3) : pte()
                    if wellFormed ? random.below(16) != 0 : random.below(3) == 0, let slot = d.directMapSlot(d.scratch + random.below(16) * 0x1000) {
                        // Toggle a page's write permission in the kernel's own map, as a PV kernel does
                        // before a page becomes a table and after it stops being one.
                        pointer = slot
                        value = (d.memory.load(slot, width: 8) ?? 0) ^ (random.below(2) == 0 ? 0 : 4)
                    }
                    d.guestStore(buffer + index * 16, pointer)
                    d.guestStore(buffer + index * 16 + 8, value)
                }
                let result = d.call(function, [random.below(16) == 0 ? argument() : buffer, random.below(16) == 0 ? argument() : count])
                if result.value <= count { appliedRequests += result.value }
                if result.error == 0 { accepted[function, default: 0] += 1 }
            } else {
                // Noise in the ring pages the guest may have shared, so ring-notify sees any index.
                d.guestStore(d.scratch + random.below(16) * 0x1000, random.below(4) == 0 ? random.next() : random.below(80))
                var arguments = (0 ..< 6).map { _ in argument() }
                let page = d.scratch + random.below(16) * 0x1000
                if random.below(4) != 0 {
                    switch HypercallABI.Function(rawValue: function) {
                    case .pinTable?: arguments[0...1] = [d.machine(page), random.below(3)]
                    case .unpinTable?: arguments[0] = d.machine(page)
                    case .newBaseptr?:
                        arguments[0...1] = [random.pick([d.cpu.kernelRoot.rawValue, d.machine(page)]), random.pick([0, d.machine(page)])]
                    case .trapReturn?:
                        arguments[0] = page + random.below(8) * 64
                        d.guestStore(arguments[0] + HypercallABI.trapFrameSize - 8, random.pick([0x100, 0x120, 0, random.next()]))
                    case .ringSetup?: arguments[0...1] = [page, random.pick([1, 1, 2])]
                    case .ringNotify?: arguments[0] = random.below(9)
                    default: break
                    }
                }
                if d.call(function, arguments).error == 0 { accepted[function, default: 0] += 1 }
            }
        }

        /// The frame table agrees with the tables themselves, and no table maps what is not the domain's.
        func problems() -> [String] {
            driver.cpu.frames.audit(roots: [driver.cpu.kernelRoot, driver.cpu.userRoot].filter { $0 != HostPhysicalAddress(0) })
        }
    }

    static func digest(_ memory: PhysicalMemory, _ range: Range<UInt64>) -> UInt64 {
        let bytes = memory.hostPointer(range.lowerBound).assumingMemoryBound(to: UInt64.self)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0 ..< range.count / 8 { hash = (hash ^ bytes[i]) &* 0x100_0000_01b3 }
        return hash
    }

    @Test func randomHypercallsNeverBreakTheRules() throws {
        let host = try Host(configuration: .init(memorySize: 64 << 20, virtualization: .para))
        // A neighbour whose memory must come through untouched.
        let neighbour = try host.createDomain(DomainConfiguration(name: "neighbour", memorySize: 8 << 20, kernel: [0x6f, 0, 0, 0]))
        let neighbourRange = neighbour.hostBase.rawValue ..< neighbour.hostBase.rawValue + (8 << 20)
        let before = Self.digest(host.board.memory, neighbourRange)
        let driver = try ParaDriver(on: host)
        let seed: UInt64 = 0x5eed_0008
        var fuzzer = Fuzzer(driver: driver, forbidden: [neighbourRange, host.board.memory.base ..< host.board.memory.base + (4 << 20)],
                            random: Random(state: seed))
        for call in 0 ..< Self.calls {
            fuzzer.step()
            if call % 250 == 0 || call == Self.calls - 1 {
                let problems = fuzzer.problems()
                #expect(problems.isEmpty, "seed \(seed), after call \(call): \(problems.prefix(5))")
                if !problems.isEmpty { break }
            }
        }
        #expect(Self.digest(host.board.memory, neighbourRange) == before, "the neighbour's memory changed")
        // The fuzzer did get things through (it is not just refused at the door).
        let made = driver.domain.events.filter { $0.key.hasPrefix("hypercall.") }.values.reduce(0, +)
        #expect(made >= UInt64(Self.calls / 2))
        #expect(fuzzer.appliedRequests > 100, "page-table requests applied: \(fuzzer.appliedRequests)")
        for function in [HypercallABI.Function.mmuUpdate, .pinTable, .unpinTable, .trapReturn, .setCallbacks, .ringSetup, .ringNotify] {
            #expect(fuzzer.accepted[function.rawValue, default: 0] > 0, "\(function) never accepted")
        }
        print("fuzzer: \(Self.calls) calls, \(fuzzer.appliedRequests) page-table requests applied, accepted by function \(fuzzer.accepted.sorted { $0.key < $1.key })")
        #expect(driver.cpu.frames.tableLevel(driver.cpu.kernelRoot) == 2, "the root in use stays a pinned table")
    }

    /// The PV kernel runs to the end beside a fuzzing domain on one host, and prints and leaves
    /// in memory exactly what it does alone (its clock is its own, so nothing may differ).
    @Test(.requires(.corpusToolchain)) func kernelBesideTheFuzzerEndsAsAlone() throws {
        let image = try ParaVirtualizationTests.image(.corpusKernelPV)
        let kernel = [UInt8](try Data(contentsOf: image))
        func run(fuzzing: Bool) throws -> (output: String, digest: UInt64, state: DomainState) {
            let host = try Host(configuration: .init(memorySize: 68 << 20, virtualization: .para))
            let domain = try host.createDomain(DomainConfiguration(name: "kernel", memorySize: 32 << 20, kernel: kernel))
            try host.start(domain.id)
            var fuzzer: Fuzzer?
            if fuzzing {
                let driver = try ParaDriver(memorySize: 16 << 20, on: host)
                fuzzer = Fuzzer(driver: driver, forbidden: [domain.hostBase.rawValue ..< domain.hostBase.rawValue + (32 << 20)], random: Random(state: 0xbeef))
            }
            var rounds = 0
            while host.run(instructionBudget: 300_000) == .budgetUsed {
                rounds += 1
                guard var active = fuzzer else { continue }
                for _ in 0 ..< 200 { active.step() }
                active.driver.park()
                fuzzer = active
            }
            if let fuzzer { #expect(fuzzer.problems().isEmpty) }
            #expect(rounds > 10)
            return (domain.consoleText, Self.digest(host.board.memory, domain.hostBase.rawValue ..< domain.hostBase.rawValue + (32 << 20)), domain.state)
        }
        let alone = try run(fuzzing: false)
        let beside = try run(fuzzing: true)
        #expect(alone.state == .shutdown(status: 0))
        #expect(alone.output.hasSuffix("PASS kernel\n"))
        #expect(beside.output == alone.output)
        #expect(beside.digest == alone.digest)
        #expect(beside.state == alone.state)
    }
}
