import Machine

/// A register of a RISC-V hart as gdb's target description names it.
public enum RISCVRegister: Hashable, Sendable {
    /// x0…x31.
    case x(Int)
    case pc
    /// f0…f31 as raw bits (a single is NaN-boxed).
    case f(Int)
    /// A CSR by its number (privileged spec, chapter 2), fflags, frm and fcsr included.
    case csr(UInt16)
    /// The privilege level (0 U, 1 S, 3 M): gdb's `$priv`, which no CSR holds.
    case privilege
}

/// A data watchpoint as gdb asks for it (`Z2` write, `Z3` read, `Z4` access): the hart's own type.
public typealias Watchpoint = DebugWatchpoint

/// What the debugger sees of a machine: its harts' registers and memory. The protocol
/// (`RemoteProtocol`) asks only while the harts are stopped. Harts are numbered from 0 here;
/// gdb's thread ids are those numbers plus one.
public protocol DebugTarget: AnyObject {
    /// How many harts (gdb threads) there are.
    var hartCount: Int { get }
    /// The CSRs the target description lists, by number and name; fflags, frm and fcsr are
    /// listed with the floating-point registers whatever this holds.
    var describedCSRs: [(number: UInt16, name: String)] { get }
    /// A register's value; nil if the hart has no such register.
    func read(_ register: RISCVRegister, hart: Int) -> UInt64?
    /// Writes a register; false if it does not exist or refuses the write.
    func write(_ register: RISCVRegister, _ value: UInt64, hart: Int) -> Bool
    /// Up to `count` bytes at virtual address `address` as the hart translates it now, stopping
    /// at the first byte that cannot be read (empty when none can).
    func readMemory(_ address: UInt64, count: Int, hart: Int) -> [UInt8]
    /// Writes `bytes` at virtual address `address`; returns how many were written before the
    /// first that could not be.
    func writeMemory(_ address: UInt64, _ bytes: [UInt8], hart: Int) -> Int
    /// A line for gdb's `info threads` ("hart 0").
    func describe(hart: Int) -> String
}

/// Why the harts stopped, as a stop reply reports it.
public enum StopEvent: Equatable, Sendable {
    /// A breakpoint, or the end of a single step: SIGTRAP.
    case trap(hart: Int)
    /// A watchpoint: SIGTRAP with the watchpoint's kind and the data address.
    case watchpoint(hart: Int, kind: Watchpoint.Kind, address: UInt64)
    /// The user's interrupt (Ctrl-C): SIGINT, on the hart gdb last looked at when nil.
    case interrupted(hart: Int?)
    /// Another signal (SIGSEGV for a hart stuck taking trap after trap).
    case signal(hart: Int, number: UInt8)
    /// The machine is gone with this exit status (power off, failure).
    case exited(status: UInt8)
}

/// How the harts are to run until the next stop: gdb's `c`, `s` and `vCont`, with the
/// breakpoints and watchpoints in force.
public struct ResumeRequest: Equatable, Sendable {
    /// Harts to execute exactly one instruction each (then stop). When any hart steps, the harts
    /// in `running` stay where they are: a step ends after one instruction, before they would
    /// have done anything gdb could tell apart from not running.
    public var stepping: [Int]
    /// Harts to run until something stops them.
    public var running: [Int]
    /// Where the first of those harts resumes (`c addr`, `s addr`); nil: where it is.
    public var address: UInt64?
    public var breakpoints: Set<UInt64>
    public var watchpoints: [Watchpoint]

    public init(stepping: [Int] = [], running: [Int] = [], address: UInt64? = nil,
                breakpoints: Set<UInt64> = [], watchpoints: [Watchpoint] = []) {
        self.stepping = stepping
        self.running = running
        self.address = address
        self.breakpoints = breakpoints
        self.watchpoints = watchpoints
    }
}
