import Harness

/// The privilege a random program's body runs in.
///
/// `machine` is the original tester: the body runs in M-mode (Corpus/random/support.S).
/// `virtualSupervisor` runs the same body in VS-mode under a G-stage set up by a small
/// hypervisor prologue (Corpus/random/support-vs.S): the identity G-stage (Sv39x4) and VS-stage
/// (Sv39) mappings make every observable address equal to the native run's, so the dump of a
/// body must be the same in both modes and on every machine with the H extension. What it adds
/// is coverage of the two-stage translation path, the V=1 TLB regime and the VS floating-point
/// gating on every load, store and instruction fetch of the body.
public enum RandomProgramExecutionMode: String, Sendable, CaseIterable, Codable {
    case machine
    case virtualSupervisor

    /// The support file in Corpus/random that supplies the prologue, dump and trap handler.
    public var supportFileName: String {
        switch self {
        case .machine: return "support.S"
        case .virtualSupervisor: return "support-vs.S"
        }
    }

    /// The linker script in Corpus/random: link-vs.ld keeps the native layout and puts the
    /// hypervisor set-up after it, so the body sees the addresses of a native run.
    public var linkerScriptName: String {
        switch self {
        case .machine: return "link.ld"
        case .virtualSupervisor: return "link-vs.ld"
        }
    }

    /// The `-march` the program is assembled with: the VS prologue uses H instructions and CSRs.
    /// Both name the complete multi-letter extensions of the descriptions
    /// (`CorpusArchitecture.hartMarch`), which QEMU's default rv64 cpu must implement too.
    public var march: String {
        switch self {
        case .machine: return CorpusArchitecture.hartMarch("rv64gc")
        case .virtualSupervisor: return CorpusArchitecture.hartMarch("rv64gch")
        }
    }

    /// Whether the machine running the program needs the hypervisor (H) extension.
    public var requiresHypervisorExtension: Bool { self == .virtualSupervisor }

    /// The QEMU options that give the machine this mode needs: QEMU 7.2's default rv64 CPU
    /// has H, but say so explicitly so a change of default cannot silently drop it.
    public var qemuArguments: [String] {
        switch self {
        case .machine: return []
        case .virtualSupervisor: return ["-cpu", "rv64,h=true"]
        }
    }

    /// Table rows that read machine-level CSRs (`misa`, `mhartid`, `mstatus.FS`): from VS-mode
    /// they raise an illegal-instruction exception (Privileged spec 1.12, §2.1 and §8.6.1:
    /// a CSR above the current privilege is illegal, not virtual), so the VS variant drops
    /// them instead of ending every program with the same trap.
    public static let machineLevelInstructionKeys: Set<String> = [
        "csrrs misa zero", "csrrs mhartid zero", "csrr mstatus.FS",
    ]

    /// The program as this mode runs it: unchanged in M-mode; without the units that read
    /// machine-level CSRs in VS-mode. Labels are kept, so every branch keeps its target.
    public func adapt(_ program: RandomProgram) -> RandomProgram {
        switch self {
        case .machine:
            return program
        case .virtualSupervisor:
            let dropped = program.units.indices.filter { index in
                program.units[index].instructionKey.map(Self.machineLevelInstructionKeys.contains) ?? false
            }
            return program.removing(unitsAt: Set(dropped))
        }
    }
}

extension RandomProgramBuilder {
    /// A builder for this package's Corpus/random whose programs run their body in `mode`;
    /// nil without clang. Outputs go to `.build/random/<mode>` unless told otherwise, so the
    /// two variants of one seed never overwrite each other.
    public init?(executionMode mode: RandomProgramExecutionMode, outputDirectory: String? = nil) {
        self.init(outputDirectory: outputDirectory ?? Self.packageRoot + "/.build/random/" + mode.rawValue)
        executionMode = mode
    }
}
