import Machine
import RISCV

/// A hart's registers as `info registers` shows them, read while the hart is stopped.
public struct HartRegisters: Equatable, Sendable {
    /// The monitor's CPU index (the hart's place on the board, from 0).
    public var index: Int
    public var pc: UInt64
    /// Whether the hart has the H extension: QEMU then shows V and the hypervisor CSRs.
    public var hypervisor: Bool
    /// V, the virtualization mode (VS or VU).
    public var virtualized: Bool
    /// The CSRs of `RegisterDump.csrs` by number (missing ones show as 0).
    public var csrs: [UInt16: UInt64]
    public var x: [UInt64]
    public var f: [UInt64]
    /// The host thread the hart last ran on (`info cpus`).
    public var hostThreadID: Int64

    public init(index: Int, pc: UInt64, hypervisor: Bool, virtualized: Bool, csrs: [UInt16: UInt64],
                x: [UInt64], f: [UInt64], hostThreadID: Int64) {
        precondition(x.count == 32 && f.count == 32)
        self.index = index
        self.pc = pc
        self.hypervisor = hypervisor
        self.virtualized = virtualized
        self.csrs = csrs
        self.x = x
        self.f = f
        self.hostThreadID = hostThreadID
    }

    /// Reads `hart`, which must not be running.
    public init(hart: Hart, index: Int) {
        var csrs: [UInt16: UInt64] = [:]
        for entry in RegisterDump.csrs { csrs[entry.number] = hart.debugReadCSR(entry.number) }
        self.init(index: index, pc: hart.pc, hypervisor: hart.configuration.hypervisor, virtualized: hart.virtualized,
                  csrs: csrs, x: (0..<32).map { hart.register($0) }, f: (0..<32).map { hart.fregister($0) },
                  hostThreadID: hart.hostThreadID)
    }
}

/// QEMU 7.2's `info registers` layout for a RISC-V CPU (what its monitor prints for `virt`):
/// `\nCPU#N`, then ` V      =   0` with the H extension, then one ` name     value` line for pc and
/// each CSR below (the hypervisor ones only with H), then x0..x31 and f0..f31 four to a line,
/// each as ` xN/abi   value`.
public enum RegisterDump {
    /// The CSRs QEMU lists, in its order; `hypervisor` marks those shown only with the H extension.
    public static let csrs: [(name: String, number: UInt16, hypervisor: Bool)] = [
        ("mhartid", CSR.mhartid, false), ("mstatus", CSR.mstatus, false),
        ("hstatus", CSR.hstatus, true), ("vsstatus", CSR.vsstatus, true),
        ("mip", CSR.mip, false), ("mie", CSR.mie, false),
        ("mideleg", CSR.mideleg, false), ("hideleg", CSR.hideleg, true),
        ("medeleg", CSR.medeleg, false), ("hedeleg", CSR.hedeleg, true),
        ("mtvec", CSR.mtvec, false), ("stvec", CSR.stvec, false), ("vstvec", CSR.vstvec, true),
        ("mepc", CSR.mepc, false), ("sepc", CSR.sepc, false), ("vsepc", CSR.vsepc, true),
        ("mcause", CSR.mcause, false), ("scause", CSR.scause, false), ("vscause", CSR.vscause, true),
        ("mtval", CSR.mtval, false), ("stval", CSR.stval, false),
        ("htval", CSR.htval, true), ("mtval2", CSR.mtval2, true),
        ("mscratch", CSR.mscratch, false), ("sscratch", CSR.sscratch, false),
        ("satp", CSR.satp, false),
    ]

    static let integerNames: [String] = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1"]
        + (0...7).map { "a\($0)" } + (2...11).map { "s\($0)" } + (3...6).map { "t\($0)" }
    static let floatNames: [String] = (0...7).map { "ft\($0)" } + ["fs0", "fs1"] + (0...7).map { "fa\($0)" }
        + (2...11).map { "fs\($0)" } + (8...11).map { "ft\($0)" }

    /// The lines for one CPU, the leading blank line included.
    public static func lines(_ registers: HartRegisters) -> [String] {
        var lines = ["", "CPU#\(registers.index)"]
        if registers.hypervisor { lines.append(" V      =   \(registers.virtualized ? 1 : 0)") }
        lines.append(" " + pad("pc") + " " + hex(registers.pc))
        for csr in csrs where registers.hypervisor || !csr.hypervisor {
            lines.append(" " + pad(csr.name) + " " + hex(registers.csrs[csr.number] ?? 0))
        }
        lines += columns(registers.x, names: (0..<32).map { "x\($0)/" + integerNames[$0] })
        lines += columns(registers.f, names: (0..<32).map { "f\($0)/" + floatNames[$0] })
        return lines
    }

    private static func columns(_ values: [UInt64], names: [String]) -> [String] {
        stride(from: 0, to: 32, by: 4).map { row in
            (row ..< row + 4).map { " " + pad(names[$0]) + " " + hex(values[$0]) }.joined()
        }
    }

    /// A name left-aligned in 8 columns (QEMU's `%-8s`).
    static func pad(_ name: String) -> String {
        name.count >= 8 ? name : name + String(repeating: " ", count: 8 - name.count)
    }

    /// 16 hex digits, lower case.
    static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
