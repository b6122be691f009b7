import Foundation
import Harness
import Machine
import Testing
@testable import Hypervisor

/// The hypervisor running real guests: the corpus kernel as an `hav` domain, several at once,
/// and the isolation rules.
@Suite struct HostTests {
    static func builder() -> CorpusBuilder? {
        do { return try CorpusBuilder.forThisPackage() } catch {
            print("skipping: \(error)")
            return nil
        }
    }

    static func kernelImage(_ name: String = "kernel") throws -> [UInt8]? {
        guard let builder = builder(), let program = CorpusCatalogue.program(named: name) else { return nil }
        let url = try builder.build(program)
        return [UInt8](try Data(contentsOf: url))
    }

    @Test func corpusKernelRunsAsAGuest() throws {
        guard let kernel = try Self.kernelImage() else { return }
        let host = try Host(configuration: .init(memorySize: 256 << 20))
        let domain = try host.createDomain(DomainConfiguration(name: "kernel", memorySize: 64 << 20, kernel: kernel))
        try host.start(domain.id)
        host.run()
        #expect(domain.state == .shutdown(status: 0), "\(domain.state): \(domain.consoleText.suffix(600))")
        #expect(domain.consoleText.hasSuffix("PASS kernel\n"), "\(domain.consoleText.suffix(600))")
        #expect((domain.events["vmexit.sbi"] ?? 0) > 0)
        #expect((domain.events["vmexit.mmio"] ?? 0) > 0)
    }
}
