import Foundation

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
        case .riscv64: return "para runs kernels built for the hypercall ABI (kernel-pv, kernel-cpu-pv); this program uses privileged instructions"
        }
    }

    public func run(_ program: CorpusProgram, image: URL, options: ModeRunOptions) throws(ModeRunError) -> ModeRunResult {
        try HostedRun.run(program, image: image, options: options, mode: name, virtualization: .para)
    }
}

extension CorpusProgram {
    /// The program whose `native` run a para-virtual build is held against: its plain build
    /// (the same source without -DPARAVIRT). Nil for every other program.
    public var nativeCounterpart: String? {
        switch name {
        case CorpusProgram.corpusKernelPV.name: return CorpusProgram.corpusKernel.name
        case CorpusProgram.corpusKernelCPUPV.name: return CorpusProgram.corpusKernelCPU.name
        default: return nil
        }
    }

    /// Built for the hypercall ABI: only `para` can run it.
    public var isParavirtualBuild: Bool { nativeCounterpart != nil }
}
