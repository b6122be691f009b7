import Foundation
import Harness
import Hypervisor
import Testing

/// The fuzzer's save-file surgery against the real thing: it takes apart what `Host.save`
/// writes (so its checksum is the one the format states), and what it puts back together is
/// accepted by `Host.restore` — a mutation reaches the restore logic — unless it breaks the
/// checksum on purpose.
@Suite struct FuzzSaveFileTests {
    static func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("virtbench-fuzzsave-\(getpid())-\(UUID().uuidString)-\(name)")
    }

    /// A well-behaved domain saved part-way through its loop.
    static func savedDomain() throws -> [UInt8] {
        let kernel = FuzzGuestGenerator(target: .supervisor, memorySize: 16 << 20).wellBehaved(message: "saved\n", iterations: 100_000)
        let host = try Host(configuration: .init(memorySize: 64 << 20))
        let domain = try host.createDomain(DomainConfiguration(name: "saved", memorySize: 16 << 20, kernel: kernel))
        try host.start(domain.id)
        #expect(host.run(instructionBudget: 50_000) == .budgetUsed)
        try host.pause(domain.id)
        let url = temporaryURL("base.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        try host.save(domain.id, to: url)
        return [UInt8](try Data(contentsOf: url))
    }

    /// Restores `bytes` on a fresh host and runs the domain to its end.
    static func restoreAndRun(_ bytes: [UInt8]) throws -> DomainState {
        let url = temporaryURL("restore.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(bytes).write(to: url)
        let host = try Host(configuration: .init(memorySize: 64 << 20))
        let domain = try host.restore(from: url)
        try host.unpause(domain.id)
        _ = host.run(instructionBudget: 10_000_000)
        return domain.state
    }

    @Test func aRewrittenSaveFileRestoresAndFinishes() throws {
        let original = try Self.savedDomain()
        let file = try FuzzSaveFile(parsing: original)
        #expect(file.pages.count > 1)
        #expect(try Self.restoreAndRun(file.serialized()) == .shutdown(status: 0))
    }

    /// A rewritten header keeps what the fuzzer does not model: a two-vCPU hav domain with a
    /// command line comes back with both vCPUs, their states and the command line.
    @Test func aRewrittenHeaderKeepsTheFieldsTheFuzzerDoesNotModel() throws {
        let host = try MultiVCPUTests.host()
        let domain = try MultiVCPUTests.twoVCPUDomain(on: host, bootArguments: "console=hvc0 fuzz=kept")
        try host.start(domain.id)
        host.run(instructionBudget: 2_000)
        try host.pause(domain.id)
        let url = Self.temporaryURL("smp.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        try host.save(domain.id, to: url)
        let saved = domain.vcpus

        var file = try FuzzSaveFile(parsing: [UInt8](try Data(contentsOf: url)))
        var header = try #require(file.header)
        header.name = "renamed"
        file.setHeader(header)
        try Data(file.serialized()).write(to: url)
        let restored = try MultiVCPUTests.host().restore(from: url)
        #expect(restored.configuration.name == "renamed")
        #expect(restored.configuration.vcpuCount == 2)
        #expect(restored.configuration.bootArguments == "console=hvc0 fuzz=kept")
        #expect(restored.vcpus.map(\.state) == saved.map(\.state))
        #expect(restored.vcpus.map(\.hart.registers) == saved.map(\.hart.registers))
    }

    @Test func aChangedPageWithItsChecksumRecomputedGetsPastTheCheck() throws {
        var file = try FuzzSaveFile(parsing: try Self.savedDomain())
        // A page of its data area (guest 0x8020_8000) filled with a pattern: the guest only
        // stores there, so it still finishes, from memory the file changed.
        let dataPage = Int((0x8020_8000 - 0x8000_0000) >> 12)
        file.setPage(dataPage, [UInt8](repeating: 0x5a, count: 4096))
        #expect(try Self.restoreAndRun(file.serialized()) == .shutdown(status: 0))

        var damaged = file.serialized()
        damaged[damaged.count / 2] ^= 0x40
        #expect {
            _ = try Self.restoreAndRun(damaged)
        } throws: { error in
            "\(error)".contains("checksum")
        }
    }

    @Test func mutatedSaveFilesWithValidChecksumsAreNotRefusedForTheirChecksum() throws {
        let mutator = FuzzSaveFileMutator(base: try FuzzSaveFile(parsing: try Self.savedDomain()))
        var checked = 0
        // Only mutations of values a restore merely copies (vCPU state and RAM): restoring runs
        // in this process, where a loader defect would take the test run down with it.
        let copiedValues = ["header: vstvec", "header: pc", "header: csr", "header: x", "page ", "word at the saved pc"]
        for seed in 0 ..< UInt64(80) {
            let mutated = mutator.mutate(seed: seed)
            let changes = mutated.notes.dropLast()
            guard mutated.notes.last == "checksum recomputed",
                  changes.allSatisfy({ change in copiedValues.contains { change.hasPrefix($0) } }) else { continue }
            checked += 1
            let url = Self.temporaryURL("mutated.vbsave")
            defer { try? FileManager.default.removeItem(at: url) }
            try Data(mutated.bytes).write(to: url)
            let host = try Host(configuration: .init(memorySize: 64 << 20))
            do {
                _ = try host.restore(from: url)
            } catch {
                #expect(!"\(error)".contains("checksum"), "seed \(seed) (\(mutated.notes)): \(error)")
            }
        }
        #expect(checked > 10)
    }
}
