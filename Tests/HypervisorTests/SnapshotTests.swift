import Foundation
import Harness
import Machine
import RISCV
import Testing
@testable import Hypervisor
import TestSupport

/// Save and restore of a paused domain: a guest interrupted, written to a file, destroyed and
/// resumed on another host prints what an uninterrupted run prints; bad files fail cleanly.
@Suite struct SnapshotTests {
    /// `j .` (JAL x0, 0): a guest that never ends, for tests that need a live domain, not a kernel.
    static let spinKernel: [UInt8] = [0x6f, 0x00, 0x00, 0x00]

    static func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("virtbench-snapshot-\(getpid())-\(UUID().uuidString)-\(name)")
    }

    /// The corpus kernel's console and final state when nothing interrupts it.
    static func uninterruptedRun(_ kernel: [UInt8]) throws -> (console: String, state: DomainState, instructions: UInt64) {
        let host = try Host(configuration: .init(memorySize: 128 << 20))
        let domain = try host.createDomain(DomainConfiguration(name: "kernel", memorySize: 64 << 20, kernel: kernel))
        try host.start(domain.id)
        #expect(host.run() == .idle)
        return (domain.consoleText, domain.state, domain.instructions)
    }

    @Test(.requires(.corpusToolchain), arguments: [2_000_000, 11_000_000] as [UInt64])
    func interruptedRunPrintsWhatAnUninterruptedRunPrints(after budget: UInt64) throws {
        let kernel = try HostTests.kernelImage()
        let reference = try Self.uninterruptedRun(kernel)
        #expect(reference.state == .shutdown(status: 0))

        let url = Self.temporaryURL("kernel.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        let first = try Host(configuration: .init(memorySize: 128 << 20))
        let original = try first.createDomain(DomainConfiguration(name: "kernel", memorySize: 64 << 20, kernel: kernel))
        try first.start(original.id)
        #expect(first.run(instructionBudget: budget) == .budgetUsed)
        #expect(original.state == .runnable || original.state == .blocked)
        #expect(original.instructions >= budget && original.instructions < reference.instructions)
        try first.pause(original.id)
        let savedTime = first.guestTime(original)
        let savedConsole = original.consoleText
        let savedInstructions = original.instructions
        #expect(!savedConsole.isEmpty && reference.console.hasPrefix(savedConsole) && savedConsole != reference.console)
        try first.save(original.id, to: url)
        try first.destroy(original.id)
        #expect(first.domains.isEmpty)

        // A different host: other memory size and a clock that starts from zero.
        let second = try Host(configuration: .init(memorySize: 96 << 20))
        let restored = try second.restore(from: url)
        #expect(restored.state == .paused)
        #expect(restored.consoleText == savedConsole)
        #expect(restored.instructions == savedInstructions)
        #expect(restored.configuration.kernel == kernel)
        // The guest's clock goes on from where it stopped, though the new host's began at zero.
        #expect(second.guestTime(restored) == savedTime)
        #expect(savedTime > 0)
        try second.unpause(restored.id)
        #expect(second.run() == .idle)
        #expect(restored.state == .shutdown(status: 0), "\(restored.state): \(restored.consoleText.suffix(400))")
        #expect(restored.consoleText == reference.console)
    }

    @Test func budgetedRunStopsAndResumes() throws {
        let host = try Host(configuration: .init(memorySize: 16 << 20, timeSlice: 1000))
        let domain = try host.createDomain(DomainConfiguration(name: "spin", memorySize: 8 << 20, kernel: Self.spinKernel,
                                                               instructionLimit: 50_000))
        try host.start(domain.id)
        #expect(host.run(instructionBudget: 10_000) == .budgetUsed)
        // Block-granular: a budget may be overrun by at most one block.
        #expect(domain.instructions >= 10_000 && domain.instructions < 10_000 + 64)
        #expect(host.run(instructionBudget: 10_000) == .budgetUsed)
        #expect(domain.instructions >= 20_000)
        #expect(host.run() == .idle)
        #expect(domain.state.isFinished)
    }

    @Test func onlyAPausedDomainIsSaved() throws {
        let host = try Host(configuration: .init(memorySize: 16 << 20))
        let domain = try host.createDomain(DomainConfiguration(name: "spin", memorySize: 8 << 20, kernel: Self.spinKernel))
        let url = Self.temporaryURL("unpaused.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: HostError.wrongState(domain.id, .created)) { try host.save(domain.id, to: url) }
        try host.start(domain.id)
        #expect(throws: HostError.wrongState(domain.id, .runnable)) { try host.save(domain.id, to: url) }
        #expect(throws: HostError.noSuchDomain(99)) { try host.save(99, to: url) }
        #expect(!FileManager.default.fileExists(atPath: url.path))
    }

    /// A saved spinning domain's file, for the damage tests.
    static func savedSpinner() throws -> [UInt8] {
        let host = try Host(configuration: .init(memorySize: 16 << 20))
        let domain = try host.createDomain(DomainConfiguration(name: "spin", memorySize: 8 << 20, kernel: spinKernel))
        try host.start(domain.id)
        host.run(instructionBudget: 1000)
        try host.pause(domain.id)
        let url = temporaryURL("spin.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        try host.save(domain.id, to: url)
        return [UInt8](try Data(contentsOf: url))
    }

    /// The same file with its JSON header changed by `edit` and the lengths and checksum made
    /// consistent again, to reach the checks behind the checksum.
    static func rewritten(_ file: [UInt8], _ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        let headerLength = Int(file[12]) | Int(file[13]) << 8 | Int(file[14]) << 16 | Int(file[15]) << 24
        var header = try #require(try JSONSerialization.jsonObject(with: Data(file[16 ..< 16 + headerLength])) as? [String: Any])
        edit(&header)
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header))
        var out = Array(file[0 ..< 12])
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { out += $0 }
        out += json
        out += file[(16 + headerLength) ..< (file.count - 8)]
        var checksum = DomainSnapshot.Checksum()
        checksum.add(Data(out))
        withUnsafeBytes(of: checksum.value.littleEndian) { out += $0 }
        return out
    }

    /// Restores `bytes` on a fresh host: it must throw a snapshot error whose text contains
    /// `fragment`, and leave the host with no domain and all its memory free.
    func expectRefused(_ bytes: [UInt8], _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = Self.temporaryURL("bad.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(bytes).write(to: url)
        let host = try Host(configuration: .init(memorySize: 16 << 20))
        let freeBefore = host.freeRanges
        do {
            let domain = try host.restore(from: url)
            Issue.record("restored domain \(domain.id) from a bad file (\(fragment))", sourceLocation: sourceLocation)
        } catch let error as HostError {
            guard case .snapshot(let reason) = error else {
                Issue.record("expected a snapshot error, got \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(reason.contains(fragment), "\(reason)", sourceLocation: sourceLocation)
        }
        #expect(host.domains.isEmpty, sourceLocation: sourceLocation)
        #expect(host.freeRanges == freeBefore, sourceLocation: sourceLocation)
    }

    @Test func damagedFilesAreRefusedCleanly() throws {
        let good = try Self.savedSpinner()
        // The good file restores: the damage tests below test the damage, not the file.
        let url = Self.temporaryURL("good.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(good).write(to: url)
        let host = try Host(configuration: .init(memorySize: 16 << 20))
        #expect(try host.restore(from: url).state == .paused)

        try expectRefused([], "no VBDOMSAV magic")
        try expectRefused(Array("#!/bin/sh\necho not a snapshot\n".utf8), "no VBDOMSAV magic")
        var magic = good; magic[0] ^= 0x20
        try expectRefused(magic, "no VBDOMSAV magic")
        var version = good; version[8] = 2
        try expectRefused(version, "format version 2")
        try expectRefused(Array(good.prefix(12)), "truncated")
        try expectRefused(Array(good.prefix(200)), "truncated")
        try expectRefused(Array(good.dropLast(100)), "truncated")
        try expectRefused(good + [0], "after the end")
        var hugeHeader = good; hugeHeader[12 ..< 16] = [0xff, 0xff, 0xff, 0xff]
        try expectRefused(hugeHeader, "too large")
        var lastPage = good; lastPage[good.count - 20] ^= 1
        try expectRefused(lastPage, "checksum")
        var header = good; header[40] ^= 1
        try expectRefused(header, "damaged")

        try expectRefused(try Self.rewritten(good) { $0["memorySize"] = 1 << 40 }, "more than this host")
        try expectRefused(try Self.rewritten(good) { $0["memorySize"] = 3 << 20 }, "multiple of 2 MiB")
        try expectRefused(try Self.rewritten(good) { $0["name"] = 17 }, "damaged header")
        try expectRefused(try Self.rewritten(good) { $0["instructionLimit"] = 100 }, "more than the domain's limit of 100")
        try expectRefused(try Self.rewritten(good) { header in
            var vcpu = header["vcpu"] as? [String: Any] ?? [:]
            vcpu["registers"] = [1, 2, 3]
            header["vcpu"] = vcpu
        }, "not 32 each")
        // Page maps for another memory size: one that claims pages the file lacks, one that
        // leaves stored pages over.
        try expectRefused(try Self.rewritten(good) { $0["memorySize"] = 10 << 20 }, "truncated")
        try expectRefused(try Self.rewritten(good) { $0["memorySize"] = 2 << 20 }, "after the end")
    }

    @Test func missingAndOversizedFilesAreRefused() throws {
        let host = try Host(configuration: .init(memorySize: 16 << 20))
        #expect(throws: HostError.self) { try host.restore(from: URL(fileURLWithPath: "/nonexistent/domain.vbsave")) }
        #expect(throws: HostError.snapshot("\(FileManager.default.temporaryDirectory.path) is a directory")) {
            try host.restore(from: FileManager.default.temporaryDirectory)
        }
        // A sparse file far larger than any domain this host could hold is refused before it is read.
        let url = Self.temporaryURL("huge.vbsave")
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(FileManager.default.createFile(atPath: url.path, contents: Data(DomainSnapshot.magic)))
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 1 << 32)
        try handle.close()
        let error = #expect(throws: HostError.self) { try host.restore(from: url) }
        #expect(error.map { "\($0)".contains("more than a domain on this host") } == true, "\(String(describing: error))")
        #expect(host.domains.isEmpty)
    }
}
