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
        switch program.architecture {
        case .thumbv6m: return "hav runs RISC-V kernels; Thumb programs need the emulation mode"
        case .riscv64:
            if program.requiresHypervisorExtension { return "needs the H extension inside the guest (nested virtualization is not offered)" }
            if program.firmware == .none {
                return "a bare-metal M-mode program: a guest never runs in M-mode (hav runs S-mode kernels on the hypervisor's SBI)"
            }
            return nil
        }
    }

    public func run(_ program: CorpusProgram, image: URL, options: ModeRunOptions) throws(ModeRunError) -> ModeRunResult {
        let kernel: [UInt8]
        do { kernel = [UInt8](try Data(contentsOf: image)) } catch {
            throw .setup(mode: name, program: program.name, reason: "cannot read \(image.path): \(error.localizedDescription)")
        }
        let started = Timebase.monotonicNanoseconds()
        let host: Hypervisor.Host, domain: Domain
        do {
            host = try Hypervisor.Host(configuration: .init(memorySize: options.ramSize + Hypervisor.Host.reservedMemory, virtualTime: options.virtualTime))
            domain = try host.createDomain(DomainConfiguration(name: program.name, memorySize: options.ramSize, kernel: kernel,
                                                               instructionLimit: options.instructionLimit))
            try host.start(domain.id)
        } catch {
            throw .setup(mode: name, program: program.name, reason: "\(error)")
        }
        host.run()
        let seconds = Double(Timebase.monotonicNanoseconds() - started) / 1e9
        var exitStatus: Int32 = 1
        var limitReached = false
        switch domain.state {
        case .shutdown(let status): exitStatus = status
        case .crashed(let reason): limitReached = reason.hasPrefix("did not finish")
        default: break
        }
        let guest = GuestRunResult(output: domain.consoleText, exitStatus: exitStatus, stop: nil, limitReached: limitReached,
                                   instructions: domain.instructions, counters: host.hart.counters, wallSeconds: seconds)
        return ModeRunResult(guest: guest, modeEvents: domain.events.merging(Self.phaseEvents(domain.eventsAtLines)) { a, _ in a })
    }

    /// What each of the corpus kernel's OS-bound microbenchmarks cost the hypervisor: the
    /// events between the line before its result line and its result line, under
    /// "phase.<benchmark>.<event>" (the kernel prints `<name>: <count> iterations, ...` when one ends).
    static func phaseEvents(_ marks: [(line: String, events: [String: UInt64])]) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for (index, mark) in marks.enumerated() where index > 0 {
            guard let name = CorpusCatalogue.kernelMicrobenchmarks.first(where: { mark.line.hasPrefix("\($0): ") }) else { continue }
            let before = marks[index - 1].events
            for (key, value) in mark.events where value > before[key, default: 0] {
                result["phase.\(name).\(key)"] = value - before[key, default: 0]
            }
        }
        return result
    }
}
