import Machine
import Monitor
import RISCV
import Testing

/// `info registers` in QEMU 7.2's layout. The expected lines are what
/// `qemu-system-riscv64 -M virt -cpu rv64,h=false -bios none -monitor stdio` prints for a hart
/// stopped at its first instruction (a0..a2 as QEMU's reset vector leaves them).
@Suite struct RegisterDumpTests {
    static func state(hypervisor: Bool = false) -> HartRegisters {
        var x = [UInt64](repeating: 0, count: 32)
        x[5] = 0x8000_0000
        x[11] = 0x87e0_0000
        x[12] = 0x1028
        var f = [UInt64](repeating: 0, count: 32)
        f[31] = 0xffff_ffff_3f80_0000
        let csrs: [UInt16: UInt64] = [CSR.mstatus: 0xa_0000_0000, CSR.mip: 0x80, CSR.mtvec: 0x8000_0400, CSR.satp: 0x8000_0000_0008_0123,
                                      CSR.hstatus: 0x2_0000_0000, CSR.vsstatus: 0xa_0000_0000]
        return HartRegisters(index: 0, pc: 0x8000_0000, hypervisor: hypervisor, virtualized: false, csrs: csrs, x: x, f: f, hostThreadID: 42)
    }

    @Test func matchesQEMUsLayoutWithoutH() {
        let expected = """

        CPU#0
         pc       0000000080000000
         mhartid  0000000000000000
         mstatus  0000000a00000000
         mip      0000000000000080
         mie      0000000000000000
         mideleg  0000000000000000
         medeleg  0000000000000000
         mtvec    0000000080000400
         stvec    0000000000000000
         mepc     0000000000000000
         sepc     0000000000000000
         mcause   0000000000000000
         scause   0000000000000000
         mtval    0000000000000000
         stval    0000000000000000
         mscratch 0000000000000000
         sscratch 0000000000000000
         satp     8000000000080123
         x0/zero  0000000000000000 x1/ra    0000000000000000 x2/sp    0000000000000000 x3/gp    0000000000000000
         x4/tp    0000000000000000 x5/t0    0000000080000000 x6/t1    0000000000000000 x7/t2    0000000000000000
         x8/s0    0000000000000000 x9/s1    0000000000000000 x10/a0   0000000000000000 x11/a1   0000000087e00000
         x12/a2   0000000000001028 x13/a3   0000000000000000 x14/a4   0000000000000000 x15/a5   0000000000000000
         x16/a6   0000000000000000 x17/a7   0000000000000000 x18/s2   0000000000000000 x19/s3   0000000000000000
         x20/s4   0000000000000000 x21/s5   0000000000000000 x22/s6   0000000000000000 x23/s7   0000000000000000
         x24/s8   0000000000000000 x25/s9   0000000000000000 x26/s10  0000000000000000 x27/s11  0000000000000000
         x28/t3   0000000000000000 x29/t4   0000000000000000 x30/t5   0000000000000000 x31/t6   0000000000000000
         f0/ft0   0000000000000000 f1/ft1   0000000000000000 f2/ft2   0000000000000000 f3/ft3   0000000000000000
         f4/ft4   0000000000000000 f5/ft5   0000000000000000 f6/ft6   0000000000000000 f7/ft7   0000000000000000
         f8/fs0   0000000000000000 f9/fs1   0000000000000000 f10/fa0  0000000000000000 f11/fa1  0000000000000000
         f12/fa2  0000000000000000 f13/fa3  0000000000000000 f14/fa4  0000000000000000 f15/fa5  0000000000000000
         f16/fa6  0000000000000000 f17/fa7  0000000000000000 f18/fs2  0000000000000000 f19/fs3  0000000000000000
         f20/fs4  0000000000000000 f21/fs5  0000000000000000 f22/fs6  0000000000000000 f23/fs7  0000000000000000
         f24/fs8  0000000000000000 f25/fs9  0000000000000000 f26/fs10 0000000000000000 f27/fs11 0000000000000000
         f28/ft8  0000000000000000 f29/ft9  0000000000000000 f30/ft10 0000000000000000 f31/ft11 ffffffff3f800000
        """
        #expect(RegisterDump.lines(Self.state()) == expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
    }

    /// With H, QEMU adds V and the hypervisor CSRs between the machine ones.
    @Test func hypervisorCSRsWithH() {
        let lines = RegisterDump.lines(Self.state(hypervisor: true))
        #expect(Array(lines[1...7]) == ["CPU#0", " V      =   0", " pc       0000000080000000", " mhartid  0000000000000000",
                                        " mstatus  0000000a00000000", " hstatus  0000000200000000", " vsstatus 0000000a00000000"])
        let names = lines.dropFirst(4).prefix { !$0.hasPrefix(" x0/") }.map { $0.split(separator: " ")[0] }
        #expect(names == ["mhartid", "mstatus", "hstatus", "vsstatus", "mip", "mie", "mideleg", "hideleg", "medeleg", "hedeleg",
                          "mtvec", "stvec", "vstvec", "mepc", "sepc", "vsepc", "mcause", "scause", "vscause", "mtval", "stval",
                          "htval", "mtval2", "mscratch", "sscratch", "satp"])
    }

    /// Read from a real hart: its pc, registers and CSRs as it holds them.
    @Test func readsAStoppedHart() throws {
        let memory = try PhysicalMemory(base: 0x8000_0000, size: 1 << 20)
        let hart = Hart(hartID: 2, bus: Bus(ram: memory), interrupts: InterruptLines(),
                        timebase: Timebase(mode: .virtual(instructionsPerTick: 100)), control: MachineControl())
        hart.pc = 0x8000_0124
        hart.setRegister(10, 0xdead_beef)
        hart.setFRegister(1, 0x4000_0000_0000_0000)
        #expect(hart.hostWriteCSR(CSR.mscratch, 0x1234))
        let registers = HartRegisters(hart: hart, index: 2)
        let lines = RegisterDump.lines(registers)
        #expect(lines[1] == "CPU#2")
        #expect(lines.contains(" pc       0000000080000124"))
        #expect(lines.contains(" mhartid  0000000000000002"))
        #expect(lines.contains(" mscratch 0000000000001234"))
        #expect(lines.contains { $0.hasPrefix(" x8/s0") && $0.contains(" x10/a0   00000000deadbeef ") })
        #expect(lines.contains { $0.hasPrefix(" f0/ft0   0000000000000000 f1/ft1   4000000000000000 ") })
    }
}
