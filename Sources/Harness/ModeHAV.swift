import Foundation
import Hypervisor
import Machine

/// Hardware-assisted virtualization: the program's S-mode kernel runs in VS-mode as a domain of
/// the Swift hypervisor (`Host`), under G-stage tables the host built, with the hypervisor's
/// SBI instead of firmware. Exits happen for SBI calls, MMIO and WFI only.
public struct HAVMode: VirtualizationMode {
    public init() {}
    public var name: String { "hav" }
    public var summary: String { "guest kernel in VS-mode with the H extension: two-stage translation, exits for SBI and MMIO" }

    public func refusal(for program: CorpusProgram) -> String? {
        HostedRun.refusal(for: program, mode: name)
    }

    public func run(_ program: CorpusProgram, image: URL, options: ModeRunOptions) throws(ModeRunError) -> ModeRunResult {
        try HostedRun.run(program, image: image, options: options, mode: name, virtualization: .hardwareAssisted)
    }
}
