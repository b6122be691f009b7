import Foundation
import Hypervisor

/// Full virtualization in software (also called simulation): the program's S-mode kernel runs
/// deprivileged in U-mode on a hart without the H extension, as a domain of the Swift
/// hypervisor; every privileged instruction traps and is emulated, and memory goes through
/// shadow page tables. Counts traps by instruction (`trap.*`) and shadow faults and resyncs.
public struct FullMode: VirtualizationMode {
    public init() {}
    public var name: String { "full" }
    public var summary: String { "unmodified S-mode kernel deprivileged to U-mode: trap and emulate, shadow page tables" }

    public func refusal(for program: CorpusProgram) -> String? {
        HostedRun.refusal(for: program, mode: name)
    }

    public func run(_ program: CorpusProgram, image: URL, options: ModeRunOptions) throws(ModeRunError) -> ModeRunResult {
        try HostedRun.run(program, image: image, options: options, mode: name, virtualization: .full)
    }
}
