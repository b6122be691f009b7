import RISCV

/// The register numbers this stub uses on the wire (`p`, `P`, and the order of `g`), and the
/// target description XML that tells gdb about them (the gdb manual, "Target Descriptions" and
/// its "RISC-V Features": org.gnu.gdb.riscv.cpu, .fpu, .virtual and .csr).
///
/// The numbers are gdb's own for RISC-V: x0…x31 are 0…31, pc is 32, f0…f31 are 33…64, CSR n is
/// 65 + n (so fflags 66, frm 67, fcsr 68, mstatus 833) and `priv` is 65 + 4096. `g` carries
/// x0…x31 and pc; gdb reads everything else with `p`.
public enum RegisterNumbering {
    public static let pc = 32
    public static let firstFloat = 33
    public static let firstCSR = 65
    public static let privilege = firstCSR + 4096
    /// The registers of a `g` packet, in order.
    public static let generalRegisters: [RISCVRegister] = (0..<32).map { RISCVRegister.x($0) } + [.pc]

    /// The register a wire number stands for (whether the target has it or not).
    public static func register(_ number: Int) -> RISCVRegister? {
        switch number {
        case 0..<32: return .x(number)
        case pc: return .pc
        case firstFloat..<(firstFloat + 32): return .f(number - firstFloat)
        case firstCSR..<privilege: return .csr(UInt16(number - firstCSR))
        case privilege: return .privilege
        default: return nil
        }
    }

    /// The wire number of a register.
    public static func number(_ register: RISCVRegister) -> Int {
        switch register {
        case .x(let i): return i
        case .pc: return pc
        case .f(let i): return firstFloat + i
        case .csr(let n): return firstCSR + Int(n)
        case .privilege: return privilege
        }
    }

    /// The floating-point CSRs, which gdb expects in the FPU feature, 32 bits wide (F extension §11.2).
    public static let floatingPointCSRs: [(number: UInt16, name: String)] = [
        (CSR.fflags, "fflags"), (CSR.frm, "frm"), (CSR.fcsr, "fcsr"),
    ]

    /// How many bytes the register takes on the wire: 4 for the floating-point CSRs, 8 otherwise (RV64).
    public static func width(_ register: RISCVRegister) -> Int {
        if case .csr(let n) = register, n == CSR.fflags || n == CSR.frm || n == CSR.fcsr { return 4 }
        return 8
    }
}

/// The XML gdb reads with `qXfer:features:read:target.xml`.
public enum TargetDescription {
    /// The one annex this stub serves.
    public static let annex = "target.xml"

    /// The description for RV64 with F and D, the `priv` register and `csrs` (by number and
    /// name; the floating-point CSRs among them are left to the FPU feature).
    public static func xml(csrs: [(number: UInt16, name: String)]) -> String {
        var lines = [
            #"<?xml version="1.0"?>"#,
            #"<!DOCTYPE target SYSTEM "gdb-target.dtd">"#,
            #"<target version="1.0">"#,
            "<architecture>riscv:rv64</architecture>",
            #"<feature name="org.gnu.gdb.riscv.cpu">"#,
        ]
        for i in 0..<32 {
            // ra holds code addresses, sp data addresses: the types let gdb print them as such.
            let type = i == 1 ? "code_ptr" : i == 2 ? "data_ptr" : "int"
            lines.append(register("x\(i)", bits: 64, type: type, number: i))
        }
        lines.append(register("pc", bits: 64, type: "code_ptr", number: RegisterNumbering.pc))
        lines.append("</feature>")

        lines.append(#"<feature name="org.gnu.gdb.riscv.fpu">"#)
        // D extension: 64-bit registers that hold a double, or a NaN-boxed single.
        lines.append(#"<union id="riscv_double"><field name="float" type="ieee_single"/><field name="double" type="ieee_double"/></union>"#)
        for i in 0..<32 {
            lines.append(register("f\(i)", bits: 64, type: "riscv_double", number: RegisterNumbering.firstFloat + i))
        }
        for (number, name) in RegisterNumbering.floatingPointCSRs {
            lines.append(register(name, bits: 32, type: "int", number: RegisterNumbering.number(.csr(number))))
        }
        lines.append("</feature>")

        lines.append(#"<feature name="org.gnu.gdb.riscv.virtual">"#)
        lines.append(register("priv", bits: 64, type: "int", number: RegisterNumbering.privilege))
        lines.append("</feature>")

        lines.append(#"<feature name="org.gnu.gdb.riscv.csr">"#)
        let floatingPoint = Set(RegisterNumbering.floatingPointCSRs.map(\.number))
        for (number, name) in csrs.sorted(by: { $0.number < $1.number }) where !floatingPoint.contains(number) {
            lines.append(register(name, bits: 64, type: "int", number: RegisterNumbering.number(.csr(number)), group: "system"))
        }
        lines.append("</feature>")
        lines.append("</target>")
        return lines.joined(separator: "\n") + "\n"
    }

    static func register(_ name: String, bits: Int, type: String, number: Int, group: String? = nil) -> String {
        let groupAttribute = group.map { #" group="\#($0)""# } ?? ""
        return #"<reg name="\#(name)" bitsize="\#(bits)" type="\#(type)" regnum="\#(number)"\#(groupAttribute)/>"#
    }
}
