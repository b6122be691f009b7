import GDBStub
import RISCV

/// An in-memory machine for the protocol tests: registers in dictionaries, one readable and
/// writable window of memory per hart, a few CSRs.
final class FakeTarget: DebugTarget {
    let hartCount: Int
    var registers: [[RISCVRegister: UInt64]]
    /// Memory from `memoryBase`, the same bytes for every hart (as RAM is).
    var memory: [UInt8]
    let memoryBase: UInt64
    /// Registers that refuse writes (as a read-only CSR does).
    var readOnly: Set<RISCVRegister> = [.csr(CSR.misa), .privilege]
    var describedCSRs: [(number: UInt16, name: String)] = [
        (CSR.fflags, "fflags"), (CSR.frm, "frm"), (CSR.fcsr, "fcsr"),
        (CSR.mstatus, "mstatus"), (CSR.misa, "misa"), (CSR.mie, "mie"), (CSR.mtvec, "mtvec"), (CSR.mscratch, "mscratch"),
        (CSR.mepc, "mepc"), (CSR.mcause, "mcause"), (CSR.mtval, "mtval"), (CSR.mip, "mip"),
        (CSR.sstatus, "sstatus"), (CSR.satp, "satp"),
    ]

    init(harts: Int = 2, memoryBase: UInt64 = 0x8000_0000, memorySize: Int = 0x2000) {
        hartCount = harts
        self.memoryBase = memoryBase
        memory = (0..<memorySize).map { UInt8(truncatingIfNeeded: $0) }
        registers = (0..<harts).map { hart in
            var file: [RISCVRegister: UInt64] = [.pc: memoryBase + UInt64(hart) * 0x100, .privilege: 3]
            for i in 0..<32 { file[.x(i)] = i == 0 ? 0 : UInt64(hart) << 32 | UInt64(i) }
            for i in 0..<32 { file[.f(i)] = 0x4000_0000_0000_0000 | UInt64(i) }
            file[.csr(CSR.fflags)] = 0x1
            file[.csr(CSR.frm)] = 0x2
            file[.csr(CSR.fcsr)] = 0x41
            file[.csr(CSR.mstatus)] = 0xa_0000_2000
            file[.csr(CSR.misa)] = 0x8000_0000_0014_112d
            return file
        }
        for (number, _) in describedCSRs {
            for hart in 0..<harts where registers[hart][.csr(number)] == nil { registers[hart][.csr(number)] = 0 }
        }
    }

    func read(_ register: RISCVRegister, hart: Int) -> UInt64? {
        registers[hart][register]
    }

    func write(_ register: RISCVRegister, _ value: UInt64, hart: Int) -> Bool {
        guard registers[hart][register] != nil, !readOnly.contains(register) else { return false }
        registers[hart][register] = value
        return true
    }

    func readMemory(_ address: UInt64, count: Int, hart: Int) -> [UInt8] {
        guard address >= memoryBase, address - memoryBase < UInt64(memory.count) else { return [] }
        let start = Int(address - memoryBase)
        return Array(memory[start ..< min(memory.count, start + count)])
    }

    func writeMemory(_ address: UInt64, _ bytes: [UInt8], hart: Int) -> Int {
        guard address >= memoryBase, address - memoryBase < UInt64(memory.count) else { return 0 }
        let start = Int(address - memoryBase)
        let count = min(bytes.count, memory.count - start)
        memory.replaceSubrange(start ..< start + count, with: bytes[0 ..< count])
        return count
    }

    func describe(hart: Int) -> String { "hart \(hart)" }
}
