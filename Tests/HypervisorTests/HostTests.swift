import Foundation
import Harness
import Machine
import Testing
@testable import Hypervisor
import TestSupport

/// The hypervisor running real guests: the corpus kernel as an `hav` domain, several at once,
/// and the isolation rules.
@Suite struct HostTests {
    /// The built corpus program `name`, for tests that declare `.requires(.corpusToolchain)`.
    static func kernelImage(_ name: String = "kernel") throws -> [UInt8] {
        let program = try #require(CorpusCatalogue.program(named: name))
        return [UInt8](try Data(contentsOf: try CorpusBuilder.forThisPackage().build(program)))
    }

    @Test(.requires(.corpusToolchain)) func corpusKernelRunsAsAGuest() throws {
        let kernel = try Self.kernelImage()
        let host = try Host(configuration: .init(memorySize: 256 << 20))
        let domain = try host.createDomain(DomainConfiguration(name: "kernel", memorySize: 64 << 20, kernel: kernel))
        try host.start(domain.id)
        host.run()
        #expect(domain.state == .shutdown(status: 0), "\(domain.state): \(domain.consoleText.suffix(600))")
        #expect(domain.consoleText.hasSuffix("PASS kernel\n"), "\(domain.consoleText.suffix(600))")
        #expect((domain.events["vmexit.sbi"] ?? 0) > 0)
        #expect((domain.events["vmexit.mmio"] ?? 0) > 0)
    }

    /// Debian's U-Boot for S-mode boots as an hav guest, with the hypervisor as its SBI, to the
    /// `=>` prompt and answers `version` (typed at the domain's console).
    @Test(.requires(.uBootSupervisorELF)) func debianUBootAnswersVersionAsAGuest() throws {
        let (_, domain) = try Self.bootDebianUBootAndAskVersion(.hardwareAssisted)
        #expect((domain.events["vmexit.mmio"] ?? 0) > 0, "its console is the hypervisor's UART model")
    }

    /// Boots Debian's U-Boot for S-mode as a domain of a host of `virtualization`, types
    /// `version` at its console, runs until the prompt is back and checks the transcript. Its
    /// callers declare `.requires(.uBootSupervisorELF)`.
    static func bootDebianUBootAndAskVersion(_ virtualization: Hypervisor.Host.Virtualization) throws -> (Hypervisor.Host, Domain) {
        let path = try #require(Tool.uBootSupervisorELF.path)
        let image = try #require(FileManager.default.contents(atPath: path))
        let host = try Host(configuration: .init(memorySize: (128 << 20) + Host.reservedMemory + Host.domainOverhead(for: virtualization),
                                                 virtualization: virtualization))
        let domain = try host.createDomain(DomainConfiguration(name: "u-boot", memorySize: 128 << 20, kernel: [UInt8](image),
                                                               instructionLimit: 1_000_000_000))
        // A key stops the autoboot countdown; the command follows at the prompt.
        domain.consoleInput.send(Array(" version\r".utf8))
        let control = host.board.control
        var seen: [UInt8] = []
        domain.consoleListener = { byte in
            seen.append(byte)
            // Stop once the prompt is back after the version banner (U-Boot polls its console forever).
            if String(decoding: seen, as: UTF8.self).contains("GNU ld") && seen.suffix(3) == Array("=> ".utf8) {
                control.requestStop(.userQuit)
            }
        }
        try host.start(domain.id)
        host.run()
        let text = domain.consoleText
        #expect(text.contains("DRAM:  128 MiB"), "\(text)")
        #expect(text.contains("=> version"), "\(text)")
        #expect(text.contains("U-Boot 2023.01"), "\(text)")
        #expect(text.hasSuffix("=> "), "\(text.suffix(200))")
        return (host, domain)
    }

    /// A raw guest that prints one letter through the UART and powers off through the test device.
    static func printer(_ letter: Character) -> [UInt8] {
        let words: [UInt32] = [
            0x1000_02b7,                                   // lui t0, 0x10000 (UART)
            0x0000_0313 | UInt32(letter.asciiValue!) << 20, // addi t1, zero, letter
            0x0062_8023,                                   // sb t1, 0(t0)
            0x0010_02b7,                                   // lui t0, 0x100 (sifive_test)
            0x0000_5337, 0x5553_0313,                      // li t1, 0x5555
            0x0062_a023,                                   // sw t1, 0(t0)
            0x0000_006f,                                   // j .
        ]
        return words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }
    }

    /// A domain created in a destroyed domain's memory runs its own code, never instructions the
    /// hart decoded for the previous owner, and starts from zeroed memory.
    @Test func reusedMemoryRunsTheNewDomainsCode() throws {
        let host = try Host(configuration: .init(memorySize: (8 << 20) + Host.reservedMemory))
        let first = try host.createDomain(DomainConfiguration(name: "a", memorySize: 8 << 20, kernel: Self.printer("A")))
        try host.start(first.id)
        host.run()
        #expect(first.consoleText == "A")
        let reusedBase = first.hostBase
        try host.destroy(first.id)
        let second = try host.createDomain(DomainConfiguration(name: "b", memorySize: 8 << 20, kernel: Self.printer("B")))
        #expect(second.hostBase == reusedBase, "the only free memory is the first domain's")
        try host.start(second.id)
        host.run()
        #expect(second.consoleText == "B")
        #expect(second.state == .shutdown(status: 0))
    }
}
