import Foundation
import Hypervisor
import Machine

/// What the modes that run an S-mode kernel as a domain of the Swift hypervisor share (`hav`,
/// `full`, `para`): one host of the mode's kind of virtualization with one domain, its console and
/// exit status as the run's, and its hypervisor events, also per OS-bound microbenchmark.
enum HostedRun {
    /// The refusal every hosted mode gives: hosted modes run RISC-V S-mode kernels.
    static func refusal(for program: CorpusProgram, mode: String) -> String? {
        switch program.architecture {
        case .thumbv6m: return "\(mode) runs RISC-V kernels; Thumb programs need the emulation mode"
        case .riscv64:
            if program.requiresHypervisorExtension { return "needs the H extension inside the guest (nested virtualization is not offered)" }
            if program.firmware == .none {
                return "a bare-metal M-mode program: a guest never runs in M-mode (\(mode) runs S-mode kernels on the hypervisor's SBI)"
            }
            return nil
        }
    }

    static func run(_ program: CorpusProgram, image: URL, options: ModeRunOptions, mode: String,
                    virtualization: Hypervisor.Host.Virtualization) throws(ModeRunError) -> ModeRunResult {
        let kernel: [UInt8]
        do { kernel = [UInt8](try Data(contentsOf: image)) } catch {
            throw .setup(mode: mode, program: program.name, reason: "cannot read \(image.path): \(error.localizedDescription)")
        }
        let started = Timebase.monotonicNanoseconds()
        let host: Hypervisor.Host, domain: Domain
        do {
            let memory = options.ramSize + Hypervisor.Host.reservedMemory + Hypervisor.Host.domainOverhead(for: virtualization)
            host = try Hypervisor.Host(configuration: .init(memorySize: memory, virtualTime: options.virtualTime,
                                                            virtualization: virtualization))
            domain = try host.createDomain(DomainConfiguration(name: program.name, memorySize: options.ramSize, kernel: kernel,
                                                               instructionLimit: options.instructionLimit))
            try host.start(domain.id)
        } catch {
            throw .setup(mode: mode, program: program.name, reason: "\(error)")
        }
        // Each console line marks the domain's instructions, the hart's counts and the
        // hypervisor's events, so each microbenchmark's share of them can be reported.
        let marks = LineMarks { [unowned host, unowned domain] in
            EventCounts(host.hart.counters, instructions: domain.instructions).values.merging(domain.events) { a, b in a &+ b }
        }
        domain.consoleListener = marks.feed
        host.run()
        let seconds = Double(Timebase.monotonicNanoseconds() - started) / 1e9
        var exitStatus: Int32 = 1
        var limitReached = false
        switch domain.state {
        case .shutdown(let status): exitStatus = status
        case .crashed(let reason): limitReached = reason.hasPrefix("did not finish")
        default: break
        }
        var guest = GuestRunResult(output: domain.consoleText, exitStatus: exitStatus, stop: nil, limitReached: limitReached,
                                   instructions: domain.instructions, counters: host.hart.counters, wallSeconds: seconds)
        if domain.stuckAt != nil, case .crashed(let reason) = domain.state { guest.noProgress = reason }
        return ModeRunResult(guest: guest, modeEvents: domain.events.merging(marks.phaseCounts) { a, _ in a })
    }
}
