import Foundation
import Hypervisor
import Machine

/// Para-virtualization (Xen's PV): a kernel built for the hypervisor (`kernel-pv`, the corpus
/// kernel with -DPARAVIRT) runs in the hart's U-mode on a host without the H extension and asks
/// for privileged work through hypercalls (Sources/Hypervisor/HypercallABI.swift). Its results
/// are held against the plain build's native run (`CorpusProgram.nativeCounterpart`).
public struct ParaMode: VirtualizationMode {
    public static let modeName = "para"
    public init() {}
    public var name: String { Self.modeName }
    public var summary: String { "PV kernel in U-mode calling hypercalls: batched, validated page-table updates, PV timer, events and I/O rings" }

    public func refusal(for program: CorpusProgram) -> String? {
        if program.isParavirtualBuild { return nil }
        switch program.architecture {
        case .thumbv6m: return "para runs RISC-V kernels built for the hypercall ABI; Thumb programs need the emulation mode"
        case .riscv64: return "para runs kernels built for the hypercall ABI (kernel-pv); this program uses privileged instructions"
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
            host = try Hypervisor.Host(configuration: .init(memorySize: options.ramSize + Hypervisor.Host.reservedMemory,
                                                            virtualTime: options.virtualTime, virtualization: .para))
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
        return ModeRunResult(guest: guest, modeEvents: domain.events.merging(HAVMode.phaseEvents(domain.eventsAtLines)) { a, _ in a })
    }
}

extension CorpusProgram {
    /// The program whose `native` run a para-virtual build is held against: its plain build
    /// (the same source without -DPARAVIRT). Nil for every other program.
    public var nativeCounterpart: String? {
        name == CorpusProgram.corpusKernelPV.name ? CorpusProgram.corpusKernel.name : nil
    }

    /// Built for the hypercall ABI: only `para` can run it.
    public var isParavirtualBuild: Bool { nativeCounterpart != nil }
}
