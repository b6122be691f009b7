/// CSR numbers (privileged spec, chapter 2 "Control and Status Registers", tables 2.2–2.6).
public enum CSR {
    // Unprivileged floating point and counters
    public static let fflags: UInt16 = 0x001, frm: UInt16 = 0x002, fcsr: UInt16 = 0x003
    public static let cycle: UInt16 = 0xc00, time: UInt16 = 0xc01, instret: UInt16 = 0xc02
    public static let hpmcounter3: UInt16 = 0xc03, hpmcounter31: UInt16 = 0xc1f
    // Supervisor
    public static let sstatus: UInt16 = 0x100, sie: UInt16 = 0x104, stvec: UInt16 = 0x105, scounteren: UInt16 = 0x106
    public static let senvcfg: UInt16 = 0x10a
    public static let sscratch: UInt16 = 0x140, sepc: UInt16 = 0x141, scause: UInt16 = 0x142, stval: UInt16 = 0x143
    public static let sip: UInt16 = 0x144, stimecmp: UInt16 = 0x14d, satp: UInt16 = 0x180
    // Hypervisor and virtual supervisor (H extension)
    public static let hstatus: UInt16 = 0x600, hedeleg: UInt16 = 0x602, hideleg: UInt16 = 0x603, hie: UInt16 = 0x604
    public static let hcounteren: UInt16 = 0x606, hgeie: UInt16 = 0x607, henvcfg: UInt16 = 0x60a
    public static let htimedelta: UInt16 = 0x605
    public static let htval: UInt16 = 0x643, hip: UInt16 = 0x644, hvip: UInt16 = 0x645, htinst: UInt16 = 0x64a
    public static let hgatp: UInt16 = 0x680, hgeip: UInt16 = 0xe12
    public static let vsstatus: UInt16 = 0x200, vsie: UInt16 = 0x204, vstvec: UInt16 = 0x205, vsscratch: UInt16 = 0x240
    public static let vsepc: UInt16 = 0x241, vscause: UInt16 = 0x242, vstval: UInt16 = 0x243, vsip: UInt16 = 0x244
    public static let vstimecmp: UInt16 = 0x24d, vsatp: UInt16 = 0x280
    public static let mtinst: UInt16 = 0x34a, mtval2: UInt16 = 0x34b
    // Machine
    public static let mvendorid: UInt16 = 0xf11, marchid: UInt16 = 0xf12, mimpid: UInt16 = 0xf13, mhartid: UInt16 = 0xf14
    public static let mconfigptr: UInt16 = 0xf15
    public static let mstatus: UInt16 = 0x300, misa: UInt16 = 0x301, medeleg: UInt16 = 0x302, mideleg: UInt16 = 0x303
    public static let mie: UInt16 = 0x304, mtvec: UInt16 = 0x305, mcounteren: UInt16 = 0x306
    public static let menvcfg: UInt16 = 0x30a, mcountinhibit: UInt16 = 0x320
    public static let mscratch: UInt16 = 0x340, mepc: UInt16 = 0x341, mcause: UInt16 = 0x342, mtval: UInt16 = 0x343
    public static let mip: UInt16 = 0x344
    public static let pmpcfg0: UInt16 = 0x3a0, pmpcfg15: UInt16 = 0x3af
    public static let pmpaddr0: UInt16 = 0x3b0, pmpaddr63: UInt16 = 0x3ef
    public static let mcycle: UInt16 = 0xb00, minstret: UInt16 = 0xb02
    public static let mhpmcounter3: UInt16 = 0xb03, mhpmcounter31: UInt16 = 0xb1f
    public static let mhpmevent3: UInt16 = 0x323, mhpmevent31: UInt16 = 0x33f
    public static let tselect: UInt16 = 0x7a0, tdata1: UInt16 = 0x7a1, tdata2: UInt16 = 0x7a2, tdata3: UInt16 = 0x7a3
    public static let mseccfg: UInt16 = 0x747

    /// Names for the disassembler and traces.
    public static func name(_ n: UInt16) -> String {
        switch n {
        case fflags: return "fflags"; case frm: return "frm"; case fcsr: return "fcsr"
        case cycle: return "cycle"; case time: return "time"; case instret: return "instret"
        case sstatus: return "sstatus"; case sie: return "sie"; case stvec: return "stvec"
        case scounteren: return "scounteren"; case senvcfg: return "senvcfg"; case sscratch: return "sscratch"
        case sepc: return "sepc"; case scause: return "scause"; case stval: return "stval"; case sip: return "sip"
        case stimecmp: return "stimecmp"; case satp: return "satp"
        case mvendorid: return "mvendorid"; case marchid: return "marchid"; case mimpid: return "mimpid"
        case mhartid: return "mhartid"; case mstatus: return "mstatus"; case misa: return "misa"
        case medeleg: return "medeleg"; case mideleg: return "mideleg"; case mie: return "mie"
        case mtvec: return "mtvec"; case mcounteren: return "mcounteren"; case menvcfg: return "menvcfg"
        case mscratch: return "mscratch"; case mepc: return "mepc"; case mcause: return "mcause"
        case mtval: return "mtval"; case mip: return "mip"; case mcycle: return "mcycle"; case minstret: return "minstret"
        case hstatus: return "hstatus"; case hedeleg: return "hedeleg"; case hideleg: return "hideleg"
        case hie: return "hie"; case hcounteren: return "hcounteren"; case hgeie: return "hgeie"
        case henvcfg: return "henvcfg"; case htimedelta: return "htimedelta"; case htval: return "htval"
        case hip: return "hip"; case hvip: return "hvip"; case htinst: return "htinst"; case hgatp: return "hgatp"
        case hgeip: return "hgeip"; case vsstatus: return "vsstatus"; case vsie: return "vsie"; case vstvec: return "vstvec"
        case vsscratch: return "vsscratch"; case vsepc: return "vsepc"; case vscause: return "vscause"
        case vstval: return "vstval"; case vsip: return "vsip"; case vstimecmp: return "vstimecmp"; case vsatp: return "vsatp"
        case mtinst: return "mtinst"; case mtval2: return "mtval2"
        case pmpcfg0...pmpcfg15: return "pmpcfg\(n - pmpcfg0)"
        case pmpaddr0...pmpaddr63: return "pmpaddr\(n - pmpaddr0)"
        default: return String(format16: n)
        }
    }
}

extension CSR {
    /// True for instruction bits only M-mode may execute: `mret`, and CSR instructions on a
    /// machine-level CSR (address bits 9:8 = 3, §2.1). Used to say why a guest kernel faulted.
    public static func requiresMachineMode(_ bits: UInt32) -> Bool {
        let mret: UInt32 = 0x3020_0073, system: UInt32 = 0x73
        if bits == mret { return true }
        let funct3 = (bits >> 12) & 7
        return bits & 0x7f == system && funct3 != 0 && funct3 != 4 && (bits >> 28) & 3 == 3
    }
}

extension String {
    init(format16 n: UInt16) { self = "0x" + String(n, radix: 16) }
}

/// Exception and interrupt cause codes (privileged spec §3.1.15, Table 3.6).
public enum TrapCause {
    public static let instructionAddressMisaligned: UInt64 = 0
    public static let instructionAccessFault: UInt64 = 1
    public static let illegalInstruction: UInt64 = 2
    public static let breakpoint: UInt64 = 3
    public static let loadAddressMisaligned: UInt64 = 4
    public static let loadAccessFault: UInt64 = 5
    public static let storeAddressMisaligned: UInt64 = 6
    public static let storeAccessFault: UInt64 = 7
    public static let environmentCallFromU: UInt64 = 8
    public static let environmentCallFromS: UInt64 = 9
    public static let environmentCallFromVS: UInt64 = 10
    public static let environmentCallFromM: UInt64 = 11
    public static let instructionPageFault: UInt64 = 12
    public static let loadPageFault: UInt64 = 13
    public static let storePageFault: UInt64 = 15
    public static let instructionGuestPageFault: UInt64 = 20
    public static let loadGuestPageFault: UInt64 = 21
    public static let virtualInstruction: UInt64 = 22
    public static let storeGuestPageFault: UInt64 = 23

    /// Interrupt numbers (bit positions in mip/mie).
    public static let supervisorSoftwareInterrupt: UInt64 = 1
    public static let machineSoftwareInterrupt: UInt64 = 3
    public static let supervisorTimerInterrupt: UInt64 = 5
    public static let machineTimerInterrupt: UInt64 = 7
    public static let supervisorExternalInterrupt: UInt64 = 9
    public static let machineExternalInterrupt: UInt64 = 11
    /// mcause bit 63 marks an interrupt.
    public static let interruptFlag: UInt64 = 1 << 63

    public static func name(_ cause: UInt64) -> String {
        if cause & interruptFlag != 0 {
            switch cause & ~interruptFlag {
            case 1: return "supervisor software interrupt"; case 3: return "machine software interrupt"
            case 5: return "supervisor timer interrupt"; case 7: return "machine timer interrupt"
            case 9: return "supervisor external interrupt"; case 11: return "machine external interrupt"
            case 2: return "virtual supervisor software interrupt"; case 6: return "virtual supervisor timer interrupt"
            case 10: return "virtual supervisor external interrupt"; case 12: return "supervisor guest external interrupt"
            default: return "interrupt \(cause & ~interruptFlag)"
            }
        }
        switch cause {
        case 0: return "instruction address misaligned"; case 1: return "instruction access fault"
        case 2: return "illegal instruction"; case 3: return "breakpoint"
        case 4: return "load address misaligned"; case 5: return "load access fault"
        case 6: return "store/AMO address misaligned"; case 7: return "store/AMO access fault"
        case 8: return "ecall from U"; case 9: return "ecall from S"; case 10: return "ecall from VS"
        case 11: return "ecall from M"; case 12: return "instruction page fault"; case 13: return "load page fault"
        case 15: return "store/AMO page fault"; case 20: return "instruction guest-page fault"
        case 21: return "load guest-page fault"; case 22: return "virtual instruction"; case 23: return "store/AMO guest-page fault"
        default: return "exception \(cause)"
        }
    }
}
