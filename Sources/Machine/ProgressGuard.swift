import RISCV

/// The no-progress guard: a hart (or vCPU) that takes trap after trap without retiring an
/// instruction is stuck (a trap vector that itself faults, a handler in zeroed memory, a
/// vector outside memory) and would otherwise spin forever whatever its instruction budget
/// says, since trap entries retire nothing. `Hart.run` returns `.noProgress` when
/// `HartConfiguration.noProgressTrapLimit` traps in a row leave `retired` unchanged; the
/// caller reports `Hart.lastTrap`. Instruction limits keep their meaning (instructions
/// retired), so counts compared with QEMU do not change.

/// One trap as the guard records it: what the guest was doing when it trapped.
public struct TrapRecord: Sendable, Equatable, CustomStringConvertible {
    /// Exception or interrupt code (no interrupt flag).
    public var cause: UInt64
    public var interrupt: Bool
    /// The trap value (xtval): a faulting address or instruction bits.
    public var value: UInt64
    /// The pc of the trapping instruction (xepc).
    public var pc: UInt64
    /// The privilege and V the trap came from.
    public var privilege: Privilege
    public var virtualized: Bool

    public init(cause: UInt64, interrupt: Bool, value: UInt64, pc: UInt64, privilege: Privilege, virtualized: Bool) {
        self.cause = cause
        self.interrupt = interrupt
        self.value = value
        self.pc = pc
        self.privilege = privilege
        self.virtualized = virtualized
    }

    /// An illegal-instruction trap on an instruction only M-mode may execute (its tval holds the bits).
    public var isMachineModeInstruction: Bool {
        !interrupt && cause == TrapCause.illegalInstruction && CSR.requiresMachineMode(UInt32(truncatingIfNeeded: value))
    }

    public var description: String {
        let name = TrapCause.name(interrupt ? cause | TrapCause.interruptFlag : cause)
        let mode = (virtualized ? "V" : "") + privilege.description + "-mode"
        var text = "\(name) (cause \(cause)) at pc 0x\(String(pc, radix: 16)), tval 0x\(String(value, radix: 16))"
        if !interrupt && cause == TrapCause.illegalInstruction && value & 3 == 3 && value >> 32 == 0 {
            text += " (\(Disassembler.text(Decoder.decode(UInt32(value)), pc: pc))\(isMachineModeInstruction ? ", an M-mode instruction" : ""))"
        }
        return text + ", from \(mode)"
    }
}

/// The guard's state: how many traps in a row found `retired` where the previous one left it.
/// A host that runs several vCPUs on one hart keeps each one's (`Hart.progressState`).
public struct ProgressGuard: Sendable {
    var trapsInARow: UInt64 = 0
    var retiredAtLastTrap: UInt64 = .max
    /// The trap that began the current run of traps (what went wrong) and the latest (where it loops).
    var firstTrap: TrapRecord?
    var lastTrap: TrapRecord?

    public init() {}
}

extension HartConfiguration {
    /// Traps in a row without an instruction retiring after which `run` gives up: far more than
    /// any working trap path takes (a fault in a handler's first instruction, a shadow fill and
    /// its retry), few enough that a stuck guest is stopped within milliseconds.
    public static let defaultNoProgressTrapLimit: UInt64 = 10_000
}

extension Hart {
    /// Counts a trap the hart takes (or the host injects) at `pc` from the current privilege.
    @inline(__always)
    func noteTrap(cause: UInt64, interrupt: Bool, value: UInt64, pc: UInt64) {
        if retired != progress.retiredAtLastTrap {
            progress.trapsInARow = 0
            progress.retiredAtLastTrap = retired
        }
        let record = TrapRecord(cause: cause, interrupt: interrupt, value: value, pc: pc, privilege: privilege, virtualized: virtualized)
        if progress.trapsInARow == 0 { progress.firstTrap = record }
        progress.trapsInARow &+= 1
        progress.lastTrap = record
    }

    /// Traps taken since the last instruction retired (0 once one retires or the host
    /// completes one on the guest's behalf).
    public var trapsWithoutProgress: UInt64 { retired == progress.retiredAtLastTrap ? progress.trapsInARow : 0 }

    /// The guard's state of the vCPU on the hart: a host saves it when the vCPU leaves the hart
    /// and gives it back when it returns, so a loop split across time slices is still counted.
    public var progressState: ProgressGuard {
        get {
            var state = progress
            if retired != state.retiredAtLastTrap { state.trapsInARow = 0 }
            return state
        }
        set {
            progress = newValue
            progress.retiredAtLastTrap = retired
        }
    }

    /// Traps taken since reset, whatever their target (guest exits included).
    public var trapsTaken: UInt64 { eventCounters.traps }

    /// The most recent trap (nil before the first).
    public var lastTrap: TrapRecord? { progress.lastTrap }

    /// The trap that began the current run of traps without progress.
    public var firstTrapWithoutProgress: TrapRecord? { trapsWithoutProgress > 0 ? progress.firstTrap : nil }

    /// What the guard saw, for a report: "N traps in a row retired no instruction; the first
    /// was …; the last was …".
    public var noProgressReport: String {
        var text = "\(trapsWithoutProgress) traps in a row retired no instruction"
        if let first = firstTrapWithoutProgress, first != lastTrap { text += "; the first was \(first)" }
        return text + "; the last was " + (lastTrap.map(String.init(describing:)) ?? "unknown")
    }

    /// True when the guard has stopped the hart: `run` returns `.noProgress` until the count is reset.
    public var madeNoProgress: Bool { trapsWithoutProgress >= configuration.noProgressTrapLimit }
}
