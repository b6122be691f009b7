import Emulation
import Foundation
import Harness

/// What a random Thumb program may contain.
public struct ThumbRandomProgramConfiguration: Sendable, Equatable {
    /// Body units (an instruction with the setup that keeps it well defined).
    public var instructionCount: Int
    /// Only what a Cortex-M3 (QEMU `mps2-an385`) runs exactly as ARMv6-M does: every memory
    /// access aligned and in SRAM, forward branches only, no SysTick. When false the program
    /// may also fault (random addresses), loop backwards (ended by the instruction limit),
    /// and take SysTick interrupts whose exact timing the dump records, which only the
    /// interpreter and the translator can be held to.
    public var qemuCompatible: Bool

    public init(instructionCount: Int = 120, qemuCompatible: Bool = true) {
        self.instructionCount = instructionCount
        self.qemuCompatible = qemuCompatible
    }
}

/// A random ARMv6-M program: a vector table, a prologue that loads random register and flag
/// values, a body of instructions drawn from `ThumbEncodingTable` (straight-line code with
/// forward, and optionally backward, branches), and a dump that prints R0–R12, LR, xPSR and
/// an interrupt log through semihosting before SYS_EXIT. The same seed always gives the same
/// program, so a failure can be replayed.
public struct ThumbRandomProgram: Sendable {
    public let seed: UInt64
    public let configuration: ThumbRandomProgramConfiguration
    /// The code region from address 0 (vector table, handlers, body, dump).
    public let code: [UInt8]
    /// SRAM from 0x2000_0000: the initial register values.
    public let data: [UInt8]
    /// The reset entry (Thumb bit set).
    public let entry: UInt32

    /// Where things are in the image.
    enum Layout {
        static let sram: UInt32 = 0x2000_0000
        static let stackTop: UInt32 = 0x2000_2000
        static let hardFault: UInt32 = 0x80
        static let sysTick: UInt32 = 0xA0
        static let dump: UInt32 = 0x100
        /// SRAM words: 0–12 initial R0–R12, 13 initial flags, 14 the interrupt log, then a
        /// byte buffer for printing.
        static let flagsWord: UInt32 = 13 * 4
        static let interruptLog: UInt32 = 14 * 4
        static let printBuffer: UInt32 = 0x40
    }

    /// Instructions the body never contains: they change control flow or system state in
    /// ways a random program cannot keep well defined, or are tested separately.
    static let excluded: Set<ThumbInstruction> = [
        .bx, .blx, .bl, .svc, .bkpt, .udf, .udfWide, .cps, .wfi, .wfe, .addToSP, .subFromSP, .b, .bConditional,
        .mrs, .msr,
    ]

    public init(seed: UInt64, configuration: ThumbRandomProgramConfiguration = .init()) {
        self.seed = seed
        self.configuration = configuration
        var random = SplitMix64(seed: seed)
        var data = [UInt8](repeating: 0, count: 0x80)
        func putWord(_ value: UInt32, at offset: Int) {
            for i in 0 ..< 4 { data[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
        }
        for register in 0 ..< 13 { putWord(Self.interestingValue(&random), at: 4 * register) }
        putWord(UInt32(truncatingIfNeeded: random.next()) & 0xF000_0000, at: Int(Layout.flagsWord))
        self.data = data

        var halfwords = [UInt16](repeating: 0, count: Int(Layout.dump) / 2)
        func setWord(_ value: UInt32, at address: UInt32) {
            halfwords[Int(address / 2)] = UInt16(truncatingIfNeeded: value)
            halfwords[Int(address / 2) + 1] = UInt16(truncatingIfNeeded: value >> 16)
        }
        halfwords += Self.dump()
        let bodyAddress = UInt32(2 * halfwords.count)
        var body = Self.prologue(sysTick: configuration.qemuCompatible ? nil : UInt32(random.int(in: 20 ... 90)))
        let units = (0 ..< configuration.instructionCount).map { _ in Self.unit(&random, configuration) }
        body += Self.resolveBranches(units)
        // BL reaches the dump from any distance (B would not past 2 KiB).
        body += T.branchWithLink(from: bodyAddress + UInt32(2 * body.count), to: Layout.dump)
        halfwords += body
        setWord(Layout.stackTop, at: 0)
        setWord(bodyAddress | 1, at: 4)
        setWord(Layout.hardFault | 1, at: 12)
        setWord(Layout.sysTick | 1, at: 15 * 4)
        // HardFault: dump the state as the fault left it (R0–R12 are the faulting instruction's inputs).
        let toDump = Int32(Layout.dump) - Int32(Layout.hardFault + 4)
        halfwords[Int(Layout.hardFault / 2)] = 0xE000 | UInt16(truncatingIfNeeded: (toDump >> 1) & 0x7FF)
        entry = bodyAddress | 1
        // SysTick: log = log * 33 + interrupted PC, so the log says where each interrupt hit.
        let handler: [UInt16] = [
            T.movsImmediate(0, 0x20), T.lslsImmediate(0, 0, 24),       // r0 = SRAM
            T.ldrImmediate(1, 0, Layout.interruptLog),
            T.lslsImmediate(2, 1, 5), T.addsRegister(1, 1, 2),          // r1 *= 33
            T.ldrSP(2, 24), T.addsRegister(1, 1, 2),                    // + stacked PC
            T.strImmediate(1, 0, Layout.interruptLog),
            0x4770,                                                     // bx lr
        ]
        for (i, h) in handler.enumerated() { halfwords[Int(Layout.sysTick / 2) + i] = h }
        code = halfwords.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8($0 >> 8)] }
    }

    /// Values that find flag bugs more often than uniform ones do.
    static func interestingValue(_ random: inout SplitMix64) -> UInt32 {
        let edges: [UInt32] = [0, 1, 2, 31, 32, 33, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFFF, 0xFFFF_FFFE, 0xFF, 0x100, 0xFFFF]
        return random.chance(40) ? random.element(of: edges) : UInt32(truncatingIfNeeded: random.next())
    }

    /// A body unit: halfwords, plus a branch to resolve (skip this many following units, or
    /// go back that many when negative).
    struct Unit {
        var halfwords: [UInt16]
        var branch: (condition: UInt8, skip: Int)?
    }

    private static let candidates: [ThumbEncoding] = ThumbEncodingTable.narrow.filter { !excluded.contains($0.instruction) }

    static func unit(_ random: inout SplitMix64, _ configuration: ThumbRandomProgramConfiguration) -> Unit {
        if random.chance(12) {
            // A branch: conditional (0–13) or always (14 stands for B).
            let condition = UInt8(random.int(in: 0 ... 14))
            let backwards = !configuration.qemuCompatible && random.chance(15)
            return Unit(halfwords: [], branch: (condition, backwards ? -random.int(in: 1 ... 6) : random.int(in: 0 ... 4)))
        }
        if random.chance(3) {
            // Flags through the system path: MRS reads them, MSR writes them. A Cortex-M3 also
            // keeps the Q flag an MSR may set (ARMv7-M), so QEMU-checked programs only read.
            let register = UInt16(random.int(in: 0 ... 7))
            if configuration.qemuCompatible || random.chance(50) { return Unit(halfwords: [0xF3EF, 0x8000 | register << 8]) }
            return Unit(halfwords: [0xF380 | register, 0x8800])
        }
        let encoding = random.element(of: candidates)
        var raw = UInt16(truncatingIfNeeded: encoding.match | (UInt32(truncatingIfNeeded: random.next()) & ~encoding.mask & 0xFFFF))
        var setup: [UInt16] = []
        let wild = !configuration.qemuCompatible && random.chance(5)
        func baseInSRAM(_ register: UInt16) -> [UInt16] {
            [T.movsImmediate(register, 0x20), T.lslsImmediate(register, register, 24),
             T.addsImmediate8(register, UInt16(random.int(in: 0 ... 48)) * 4)]
        }
        switch encoding.format {
        case .registerOffset where !wild:
            let base = raw >> 3 & 7
            var index = raw >> 6 & 7
            if index == base { index = (base + 1) & 7; raw = raw & ~(7 << 6) | index << 6 }
            setup = baseInSRAM(base) + [T.movsImmediate(index, UInt16(random.int(in: 0 ... 31)) * 4)]
        case .immediateOffset where !wild:
            setup = baseInSRAM(raw >> 3 & 7)
        case .registerList where !wild:
            let base = raw >> 8 & 7
            var list = raw & 0xFF
            // STM with the base in the list stores an UNKNOWN value unless it is the lowest register.
            if encoding.instruction == .stm && list & (1 << base) != 0 && list & ((1 << base) - 1) != 0 { list &= ~(1 << base) }
            if list == 0 { list = 1 << ((base + 1) & 7) }
            raw = raw & ~0xFF | list
            setup = baseInSRAM(base)
        case .registerList:
            if raw & 0xFF == 0 { raw |= 1 }
        case .stackRegisterList:
            // PUSH and POP keep to SRAM; POP never loads PC, and an empty list is UNPREDICTABLE.
            raw &= ~0x0100
            if raw & 0xFF == 0 { raw |= 1 }
        case .highRegisters:
            var rd = (raw >> 4 & 8) | (raw & 7), rm = raw >> 3 & 0xF
            if encoding.instruction != .cmpHigh && (rd == 13 || rd == 15) { rd = UInt16(random.int(in: 0 ... 12)) }
            if encoding.instruction == .cmpHigh {
                // CMP (high registers) with two low registers, or with PC, is UNPREDICTABLE.
                if rd == 15 { rd = 8 }
                if rm == 15 { rm = 9 }
                if rd < 8 && rm < 8 { rm |= 8 }
            }
            if encoding.instruction == .addHigh && rm == 15 && rd == 15 { rm = 0 }
            raw = raw & 0xFF00 | (rd & 8) << 4 | rm << 3 | (rd & 7)
        default:
            break
        }
        return Unit(halfwords: setup + [raw])
    }

    /// Turns each branch unit into a real B/B<cond> whose target is the start of a unit (or
    /// the dump), so no branch lands inside an instruction's setup.
    static func resolveBranches(_ units: [Unit]) -> [UInt16] {
        // Branches are one halfword each; positions first.
        var starts: [Int] = []
        var position = 0
        for unit in units {
            starts.append(position)
            position += unit.branch == nil ? unit.halfwords.count : 1
        }
        starts.append(position)
        var out: [UInt16] = []
        for (index, unit) in units.enumerated() {
            guard let branch = unit.branch else { out += unit.halfwords; continue }
            let targetUnit = max(0, min(units.count, index + 1 + branch.skip))
            // Offset from this branch's PC + 4, in halfwords.
            let offset = starts[targetUnit] - (starts[index] + 2)
            if branch.condition == 14 {
                out.append(0xE000 | UInt16(truncatingIfNeeded: offset) & 0x7FF)
            } else if offset >= -128 && offset <= 127 {
                out.append(0xD000 | UInt16(branch.condition) << 8 | UInt16(truncatingIfNeeded: offset) & 0xFF)
            } else {
                out.append(0xBF00)   // out of B<cond> range: a NOP keeps positions
            }
        }
        return out
    }

    /// Loads R0–R12 and the flags from SRAM; optionally starts SysTick with interrupts.
    static func prologue(sysTick reload: UInt32?) -> [UInt16] {
        var code: [UInt16] = []
        if let reload {
            // SysTick (ARMv6-M ARM §B3.3): RVR = reload, CSR = ENABLE | TICKINT.
            code += [T.movsImmediate(1, 0xE0), T.lslsImmediate(1, 1, 24),   // 0xE000_0000
                     T.movsImmediate(2, 0xE0), T.lslsImmediate(2, 2, 8), T.addsImmediate8(2, 0x10),
                     T.addsRegister(1, 1, 2),                                  // 0xE000_E010
                     T.movsImmediate(2, UInt16(reload)), T.strImmediate(2, 1, 4),
                     T.movsImmediate(2, 3), T.strImmediate(2, 1, 0)]
        }
        code += [T.movsImmediate(0, 0x20), T.lslsImmediate(0, 0, 24),
                 T.ldrImmediate(1, 0, Layout.flagsWord), 0xF381, 0x8800]      // msr APSR_nzcvq, r1
        // R8–R12 through R1, then R0–R7 in one LDM.
        for high in UInt16(8) ... 12 {
            code += [T.ldrImmediate(1, 0, UInt32(high) * 4), T.movHigh(high, 1)]
        }
        code += [0xC8FF]   // ldm r0, {r0-r7}
        return code
    }

    /// Prints R0–R12, LR, xPSR and the interrupt log as hex lines, then SYS_EXIT.
    static func dump() -> [UInt16] {
        var code: [UInt16] = [
            0xB4FF,                                              // push {r0-r7}
            0xF3EF, 0x8003,                                      // mrs r0, xPSR
            0xB401,                                              // push {r0}
            T.movHigh(0, 8), T.movHigh(1, 9), T.movHigh(2, 10), T.movHigh(3, 11), T.movHigh(4, 12), T.movHigh(5, 14),
            0xB43F,                                              // push {r0-r5}
            T.movsImmediate(0, 0x20), T.lslsImmediate(0, 0, 24), T.ldrImmediate(0, 0, Layout.interruptLog),
            0xB401,                                              // push {r0}
            T.movHigh(6, 13),                                    // r6 = sp
            T.movsImmediate(7, 16),                              // words to print
            T.movsImmediate(3, 0x20), T.lslsImmediate(3, 3, 24), T.addsImmediate8(3, UInt16(Layout.printBuffer)),
        ]
        let wordLoop = code.count
        code += [T.ldrImmediate(4, 6, 0), T.movsImmediate(5, 8)]
        let digitLoop = code.count
        code += [
            T.lsrsImmediate(2, 4, 28), T.lslsImmediate(4, 4, 4),
            T.cmpImmediate(2, 10), 0xDB00,                       // blt +0 (skip the next halfword)
            T.addsImmediate8(2, 39),                             // 'a' - '0' - 10
            T.addsImmediate8(2, 48),                             // '0'
            T.strbImmediate(2, 3, 0), T.movsImmediate(0, 3), T.movHigh(1, 3), 0xBEAB,
            T.subsImmediate8(5, 1),
        ]
        code.append(0xD100 | UInt16(truncatingIfNeeded: digitLoop - (code.count + 2)) & 0xFF)   // bne digitLoop
        code += [T.movsImmediate(2, 10), T.strbImmediate(2, 3, 0), T.movsImmediate(0, 3), T.movHigh(1, 3), 0xBEAB,
                 T.addsImmediate8(6, 4), T.subsImmediate8(7, 1)]
        code.append(0xD100 | UInt16(truncatingIfNeeded: wordLoop - (code.count + 2)) & 0xFF)    // bne wordLoop
        // SYS_EXIT with ADP_Stopped_ApplicationExit (0x20026) in R1.
        code += [T.movsImmediate(0, 0x18), T.movsImmediate(1, 0x02), T.lslsImmediate(1, 1, 16),
                 T.addsImmediate8(1, 0x26), 0xBEAB, 0xE7FE]
        // The SysTick handler could fire inside the dump; the log was captured first.
        return code
    }

    /// The image as an ARM ELF32 executable with two loadable segments (code at 0, data in SRAM).
    public var elf: [UInt8] { ThumbELFWriter.executable(segments: [(0, code), (Layout.sram, data)], entry: entry) }

    /// A Thumb encoder for the few fixed instructions the prologue, handlers and dump use.
    enum T {
        static func movsImmediate(_ rd: UInt16, _ imm: UInt16) -> UInt16 { 0x2000 | rd << 8 | imm & 0xFF }
        static func cmpImmediate(_ rd: UInt16, _ imm: UInt16) -> UInt16 { 0x2800 | rd << 8 | imm & 0xFF }
        static func addsImmediate8(_ rd: UInt16, _ imm: UInt16) -> UInt16 { 0x3000 | rd << 8 | imm & 0xFF }
        static func subsImmediate8(_ rd: UInt16, _ imm: UInt16) -> UInt16 { 0x3800 | rd << 8 | imm & 0xFF }
        static func lslsImmediate(_ rd: UInt16, _ rm: UInt16, _ shift: UInt16) -> UInt16 { shift << 6 | rm << 3 | rd }
        static func lsrsImmediate(_ rd: UInt16, _ rm: UInt16, _ shift: UInt16) -> UInt16 { 0x0800 | (shift & 31) << 6 | rm << 3 | rd }
        static func addsRegister(_ rd: UInt16, _ rn: UInt16, _ rm: UInt16) -> UInt16 { 0x1800 | rm << 6 | rn << 3 | rd }
        static func ldrImmediate(_ rt: UInt16, _ rn: UInt16, _ offset: UInt32) -> UInt16 { 0x6800 | UInt16(offset / 4) << 6 | rn << 3 | rt }
        static func strImmediate(_ rt: UInt16, _ rn: UInt16, _ offset: UInt32) -> UInt16 { 0x6000 | UInt16(offset / 4) << 6 | rn << 3 | rt }
        static func strbImmediate(_ rt: UInt16, _ rn: UInt16, _ offset: UInt16) -> UInt16 { 0x7000 | offset << 6 | rn << 3 | rt }
        static func ldrSP(_ rt: UInt16, _ offset: UInt16) -> UInt16 { 0x9800 | rt << 8 | offset / 4 }
        static func movHigh(_ rd: UInt16, _ rm: UInt16) -> UInt16 { 0x4600 | (rd & 8) << 4 | rm << 3 | (rd & 7) }
        /// BL (§A6.7.13): I1 = NOT(J1 XOR S), so J1 = NOT(I1) XOR S.
        static func branchWithLink(from pc: UInt32, to target: UInt32) -> [UInt16] {
            let offset = target &- (pc &+ 4)
            let s = offset >> 24 & 1, i1 = offset >> 23 & 1, i2 = offset >> 22 & 1
            let j1 = (~i1 ^ s) & 1, j2 = (~i2 ^ s) & 1
            return [UInt16(0xF000 | s << 10 | (offset >> 12 & 0x3FF)),
                    UInt16(0xD000 | j1 << 13 | j2 << 11 | (offset >> 1 & 0x7FF))]
        }
    }
}

/// Writes a minimal ARM ELF32 executable (ELF spec: header, then one PT_LOAD program header
/// per segment, then the bytes), enough for VirtBench's loader and QEMU's `-kernel`.
enum ThumbELFWriter {
    static func executable(segments: [(address: UInt32, bytes: [UInt8])], entry: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        func u16(_ v: UInt16) { out += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) { for i in 0 ..< 4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
        let headerSize = 52, programHeaderSize = 32
        // e_ident: ELFCLASS32, ELFDATA2LSB, EV_CURRENT.
        out += [0x7F, 0x45, 0x4C, 0x46, 1, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        u16(2); u16(40); u32(1)                                   // ET_EXEC, EM_ARM, EV_CURRENT
        u32(entry); u32(UInt32(headerSize)); u32(0)               // entry, phoff, shoff
        u32(0x0500_0200)                                          // EABI version 5, soft float
        u16(UInt16(headerSize)); u16(UInt16(programHeaderSize)); u16(UInt16(segments.count))
        u16(40); u16(0); u16(0)                                   // shentsize, shnum, shstrndx
        var offset = UInt32(headerSize + programHeaderSize * segments.count)
        for segment in segments {
            u32(1); u32(offset); u32(segment.address); u32(segment.address)   // PT_LOAD, offset, vaddr, paddr
            u32(UInt32(segment.bytes.count)); u32(UInt32(segment.bytes.count)); u32(7); u32(4)
            offset += UInt32(segment.bytes.count)
        }
        for segment in segments { out += segment.bytes }
        return out
    }
}
