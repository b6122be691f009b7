/// The hart's instructions, each stated once (see `InstructionDescription`), in the order of the
/// manuals' listings: unprivileged spec chapter 34 "RV32/64G Instruction Set Listings", the
/// privileged spec's "Privileged Instruction Listing" and the hypervisor chapter. Masks and
/// matches use `EncodingTable`'s named opcodes and field helpers. The interpreter's expressions
/// may use `sext32(v)` (bits 31:0 sign-extended) and, for the W divisions, `a32`/`b32` (the low
/// words as `Int32`).
public enum RV64Instructions {
    /// The multi-letter extensions every instruction of which is described below. The rule: an
    /// extension is claimed only when it is named here, both to the guest (the device tree's
    /// riscv,isa, VirtBoard) and to the assembler (-march of the ISA corpus and the random
    /// programs, `CorpusArchitecture.hartMarch`); the generated
    /// `EncodingTable.completeMultiLetterExtensions` carries the list to them. An extension being
    /// added an instruction at a time is decoded and run from its first description, and its
    /// instructions are random-tested with `.option arch` around each one alone: told of the whole
    /// extension, the assembler would also build `li` from instructions not yet described (Zbs
    /// turns one-bit constants into bseti). The single letters of riscv,isa are VirtBoard's own:
    /// parts of them (C's expansions, the FP unit) live outside this table.
    public static let completeExtensions: Set<String> = ["Zifencei", "Zba", "Zbs", "Zicsr"]

    public static let all: [InstructionDescription] = [
        // MARK: RV64I
        I("lui", "RV64I", mask: "opcodeMask", match: "LUI", format: "u",
          .statements("x[p.rd] = p.imm", destination: .integer),
          x86: "loadUpperImmediate(inst)"),
        I("auipc", "RV64I", mask: "opcodeMask", match: "AUIPC", format: "u",
          .statements("x[p.rd] = blockPC &+ UInt64(p.pointee.blockOffset) &+ p.imm", destination: .integer),
          x86: "addUpperImmediateToPC(inst)"),
        I("jal", "RV64I", mask: "opcodeMask", match: "JAL", format: "j",
          .statements("""
            let here = blockPC &+ UInt64(p.pointee.blockOffset)
            x[p.rd] = here &+ p.pointee.length
            nextPC = here &+ p.imm
            p += 1; break execution
            """, destination: .integer, endsBlock: true),
          x86: "jumpAndLink(inst)"),
        I("jalr", "RV64I", mask: "funct3Mask", match: "f3(JALR, 0)", format: "i",
          .statements("""
            let here = blockPC &+ UInt64(p.pointee.blockOffset)
            nextPC = (x[p.rs1] &+ p.imm) & ~1
            x[p.rd] = here &+ p.pointee.length
            p += 1; break execution
            """, destination: .integer, endsBlock: true),
          x86: "jumpAndLinkRegister(inst)"),
        I("beq", "RV64I", mask: "funct3Mask", match: "f3(BRANCH, 0)", format: "b",
          .branch("a == b", commutative: true),
          x86: "branch(inst, .equal)"),
        I("bne", "RV64I", mask: "funct3Mask", match: "f3(BRANCH, 1)", format: "b",
          .branch("a != b", commutative: true),
          x86: "branch(inst, .notEqual)"),
        I("blt", "RV64I", mask: "funct3Mask", match: "f3(BRANCH, 4)", format: "b",
          .branch("Int64(bitPattern: a) < Int64(bitPattern: b)"),
          x86: "branch(inst, .less)"),
        I("bge", "RV64I", mask: "funct3Mask", match: "f3(BRANCH, 5)", format: "b",
          .branch("Int64(bitPattern: a) >= Int64(bitPattern: b)"),
          x86: "branch(inst, .greaterOrEqual)"),
        I("bltu", "RV64I", mask: "funct3Mask", match: "f3(BRANCH, 6)", format: "b",
          .branch("a < b"),
          x86: "branch(inst, .below)"),
        I("bgeu", "RV64I", mask: "funct3Mask", match: "f3(BRANCH, 7)", format: "b",
          .branch("a >= b"),
          x86: "branch(inst, .aboveOrEqual)"),
        I("lb", "RV64I", mask: "funct3Mask", match: "f3(LOAD, 0)", format: "i",
          .load("Int8")),
        I("lh", "RV64I", mask: "funct3Mask", match: "f3(LOAD, 1)", format: "i",
          .load("Int16")),
        I("lw", "RV64I", mask: "funct3Mask", match: "f3(LOAD, 2)", format: "i",
          .load("Int32")),
        I("ld", "RV64I", mask: "funct3Mask", match: "f3(LOAD, 3)", format: "i",
          .load("UInt64")),
        I("lbu", "RV64I", mask: "funct3Mask", match: "f3(LOAD, 4)", format: "i",
          .load("UInt8")),
        I("lhu", "RV64I", mask: "funct3Mask", match: "f3(LOAD, 5)", format: "i",
          .load("UInt16")),
        I("lwu", "RV64I", mask: "funct3Mask", match: "f3(LOAD, 6)", format: "i",
          .load("UInt32")),
        I("sb", "RV64I", mask: "funct3Mask", match: "f3(STORE, 0)", format: "s",
          .store("UInt8")),
        I("sh", "RV64I", mask: "funct3Mask", match: "f3(STORE, 1)", format: "s",
          .store("UInt16")),
        I("sw", "RV64I", mask: "funct3Mask", match: "f3(STORE, 2)", format: "s",
          .store("UInt32")),
        I("sd", "RV64I", mask: "funct3Mask", match: "f3(STORE, 3)", format: "s",
          .store("UInt64")),
        I("addi", "RV64I", mask: "funct3Mask", match: "f3(OP_IMM, 0)", format: "i",
          .registerImmediate("a &+ b"),
          x86: "registerImmediate(0, inst)"),
        I("slti", "RV64I", mask: "funct3Mask", match: "f3(OP_IMM, 2)", format: "i",
          .registerImmediate("Int64(bitPattern: a) < Int64(bitPattern: b) ? 1 : 0"),
          x86: "setIfLessImmediate(inst, .less)"),
        I("sltiu", "RV64I", mask: "funct3Mask", match: "f3(OP_IMM, 3)", format: "i",
          .registerImmediate("a < b ? 1 : 0"),
          x86: "setIfLessImmediate(inst, .below)"),
        I("xori", "RV64I", mask: "funct3Mask", match: "f3(OP_IMM, 4)", format: "i",
          .registerImmediate("a ^ b"),
          x86: "registerImmediate(6, inst)"),
        I("ori", "RV64I", mask: "funct3Mask", match: "f3(OP_IMM, 6)", format: "i",
          .registerImmediate("a | b"),
          x86: "registerImmediate(1, inst)"),
        I("andi", "RV64I", mask: "funct3Mask", match: "f3(OP_IMM, 7)", format: "i",
          .registerImmediate("a & b"),
          x86: "registerImmediate(4, inst)"),
        I("slli", "RV64I", mask: "shift64Mask", match: "f3(OP_IMM, 1)", format: "shift64",
          .registerImmediate("a << (b & 63)"),
          x86: "shiftImmediate(4, inst)"),
        I("srli", "RV64I", mask: "shift64Mask", match: "f3(OP_IMM, 5)", format: "shift64",
          .registerImmediate("a >> (b & 63)"),
          x86: "shiftImmediate(5, inst)"),
        I("srai", "RV64I", mask: "shift64Mask", match: "f3(OP_IMM, 5) | 0x4000_0000", format: "shift64",
          .registerImmediate("UInt64(bitPattern: Int64(bitPattern: a) >> Int64(b & 63))"),
          x86: "shiftImmediate(7, inst)"),
        I("add", "RV64I", mask: "rMask", match: "f7(OP, 0, 0)", format: "r",
          .registerRegister("a &+ b", commutative: true),
          x86: "registerRegister(0x03, inst)"),
        I("sub", "RV64I", mask: "rMask", match: "f7(OP, 0, 0x20)", format: "r",
          .registerRegister("a &- b"),
          x86: "registerRegister(0x2b, inst)"),
        I("sll", "RV64I", mask: "rMask", match: "f7(OP, 1, 0)", format: "r",
          .registerRegister("a << (b & 63)"),
          x86: "shiftRegister(4, inst)"),
        I("slt", "RV64I", mask: "rMask", match: "f7(OP, 2, 0)", format: "r",
          .registerRegister("Int64(bitPattern: a) < Int64(bitPattern: b) ? 1 : 0"),
          x86: "setIfLess(inst, .less)"),
        I("sltu", "RV64I", mask: "rMask", match: "f7(OP, 3, 0)", format: "r",
          .registerRegister("a < b ? 1 : 0"),
          x86: "setIfLess(inst, .below)"),
        I("xor", "RV64I", mask: "rMask", match: "f7(OP, 4, 0)", format: "r",
          .registerRegister("a ^ b", commutative: true),
          x86: "registerRegister(0x33, inst)"),
        I("srl", "RV64I", mask: "rMask", match: "f7(OP, 5, 0)", format: "r",
          .registerRegister("a >> (b & 63)"),
          x86: "shiftRegister(5, inst)"),
        I("sra", "RV64I", mask: "rMask", match: "f7(OP, 5, 0x20)", format: "r",
          .registerRegister("UInt64(bitPattern: Int64(bitPattern: a) >> Int64(b & 63))"),
          x86: "shiftRegister(7, inst)"),
        I("or", "RV64I", mask: "rMask", match: "f7(OP, 6, 0)", format: "r",
          .registerRegister("a | b", commutative: true),
          x86: "registerRegister(0x0b, inst)"),
        I("and", "RV64I", mask: "rMask", match: "f7(OP, 7, 0)", format: "r",
          .registerRegister("a & b", commutative: true),
          x86: "registerRegister(0x23, inst)"),
        I("addiw", "RV64I", mask: "funct3Mask", match: "f3(OP_IMM_32, 0)", format: "i",
          .registerImmediate("sext32(a &+ b)"),
          x86: "registerImmediate(0, inst, word: true)"),
        I("slliw", "RV64I", mask: "rMask", match: "f7(OP_IMM_32, 1, 0)", format: "shift32",
          .registerImmediate("sext32(a << (b & 31))"),
          x86: "shiftImmediate(4, inst, word: true)"),
        I("srliw", "RV64I", mask: "rMask", match: "f7(OP_IMM_32, 5, 0)", format: "shift32",
          .registerImmediate("sext32(UInt64(UInt32(truncatingIfNeeded: a) >> UInt32(b & 31)))"),
          x86: "shiftImmediate(5, inst, word: true)"),
        I("sraiw", "RV64I", mask: "rMask", match: "f7(OP_IMM_32, 5, 0x20)", format: "shift32",
          .registerImmediate("UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: a) >> Int32(b & 31)))"),
          x86: "shiftImmediate(7, inst, word: true)"),
        I("addw", "RV64I", mask: "rMask", match: "f7(OP_32, 0, 0)", format: "r",
          .registerRegister("sext32(a &+ b)", commutative: true),
          x86: "registerRegister(0x03, inst, word: true)"),
        I("subw", "RV64I", mask: "rMask", match: "f7(OP_32, 0, 0x20)", format: "r",
          .registerRegister("sext32(a &- b)"),
          x86: "registerRegister(0x2b, inst, word: true)"),
        I("sllw", "RV64I", mask: "rMask", match: "f7(OP_32, 1, 0)", format: "r",
          .registerRegister("sext32(a << (b & 31))"),
          x86: "shiftRegister(4, inst, word: true)"),
        I("srlw", "RV64I", mask: "rMask", match: "f7(OP_32, 5, 0)", format: "r",
          .registerRegister("sext32(UInt64(UInt32(truncatingIfNeeded: a) >> UInt32(b & 31)))"),
          x86: "shiftRegister(5, inst, word: true)"),
        I("sraw", "RV64I", mask: "rMask", match: "f7(OP_32, 5, 0x20)", format: "r",
          .registerRegister("UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: a) >> Int32(b & 31)))"),
          x86: "shiftRegister(7, inst, word: true)"),
        I("fence", "RV64I", mask: "funct3Mask", match: "f3(MISC_MEM, 0)", format: "none",
          .statements("""
            // One hart has nothing to order; harts on other threads need a host fence (GuestMemory.h).
            if sharesMemory { GuestRAM.fence() }
            """, destination: .none),
          x86: "memoryFence()"),

        I("ecall", "RV64I", mask: "0xffff_ffff", match: "0x0000_0073", format: "none",
          .statements("""
            pendingTrapCause = privilege == .machine ? TrapCause.environmentCallFromM
                : privilege == .user ? TrapCause.environmentCallFromU
                : virtualized ? TrapCause.environmentCallFromVS : TrapCause.environmentCallFromS
            pendingTrapValue = 0
            break execution
            """, destination: .none, endsBlock: true)),
        I("ebreak", "RV64I", mask: "0xffff_ffff", match: "0x0010_0073", format: "none",
          .statements("""
            // The spec allows tval = 0 or the pc; QEMU 7.2 writes 0, and we match it.
            pendingTrapCause = TrapCause.breakpoint; pendingTrapValue = 0; break execution
            """, destination: .none, endsBlock: true)),

        // MARK: Zifencei
        I("fence.i", "Zifencei", mask: "funct3Mask", match: "f3(MISC_MEM, 1)", format: "none",
          .statements("""
            // The hart's own stores invalidate its decoded code as they happen. Other harts' stores
            // do not (each hart has its own caches), so with other harts FENCE.I drops, at the next
            // block boundary, every page whose decoded code no longer matches RAM. Ends the block
            // either way, so code after it is decoded afresh.
            if sharesMemory { decodedCodeFlushPending = true; nextEventAt = 0 }
            """, destination: .none, endsBlock: true),
          x86: "instructionFence()"),

        // MARK: M
        I("mul", "M", mask: "rMask", match: "f7(OP, 0, 1)", format: "r",
          .registerRegister("a &* b", commutative: true),
          x86: "multiply(inst)"),
        I("mulh", "M", mask: "rMask", match: "f7(OP, 1, 1)", format: "r",
          .registerRegister("UInt64(bitPattern: Int64(bitPattern: a).multipliedFullWidth(by: Int64(bitPattern: b)).high)", commutative: true)),
        I("mulhsu", "M", mask: "rMask", match: "f7(OP, 2, 1)", format: "r",
          .registerRegister("Int64(bitPattern: a) < 0 ? a.multipliedFullWidth(by: b).high &- b : a.multipliedFullWidth(by: b).high")),
        I("mulhu", "M", mask: "rMask", match: "f7(OP, 3, 1)", format: "r",
          .registerRegister("a.multipliedFullWidth(by: b).high", commutative: true)),
        I("div", "M", mask: "rMask", match: "f7(OP, 4, 1)", format: "r",
          .registerRegister("b == 0 ? .max : (Int64(bitPattern: a) == .min && Int64(bitPattern: b) == -1) ? a : UInt64(bitPattern: Int64(bitPattern: a) / Int64(bitPattern: b))")),
        I("divu", "M", mask: "rMask", match: "f7(OP, 5, 1)", format: "r",
          .registerRegister("b == 0 ? .max : a / b")),
        I("rem", "M", mask: "rMask", match: "f7(OP, 6, 1)", format: "r",
          .registerRegister("b == 0 ? a : (Int64(bitPattern: a) == .min && Int64(bitPattern: b) == -1) ? 0 : UInt64(bitPattern: Int64(bitPattern: a) % Int64(bitPattern: b))")),
        I("remu", "M", mask: "rMask", match: "f7(OP, 7, 1)", format: "r",
          .registerRegister("b == 0 ? a : a % b")),
        I("mulw", "M", mask: "rMask", match: "f7(OP_32, 0, 1)", format: "r",
          .registerRegister("sext32(a &* b)", commutative: true),
          x86: "multiply(inst, word: true)"),
        I("divw", "M", mask: "rMask", match: "f7(OP_32, 4, 1)", format: "r",
          .registerRegister("sext32(b32 == 0 ? .max : (a32 == .min && b32 == -1) ? a : UInt64(bitPattern: Int64(a32 / b32)))")),
        I("divuw", "M", mask: "rMask", match: "f7(OP_32, 5, 1)", format: "r",
          .registerRegister("UInt32(truncatingIfNeeded: b) == 0 ? .max : sext32(UInt64(UInt32(truncatingIfNeeded: a) / UInt32(truncatingIfNeeded: b)))")),
        I("remw", "M", mask: "rMask", match: "f7(OP_32, 6, 1)", format: "r",
          .registerRegister("sext32(b32 == 0 ? a : (a32 == .min && b32 == -1) ? 0 : UInt64(bitPattern: Int64(a32 % b32)))")),
        I("remuw", "M", mask: "rMask", match: "f7(OP_32, 7, 1)", format: "r",
          .registerRegister("UInt32(truncatingIfNeeded: b) == 0 ? sext32(a) : sext32(UInt64(UInt32(truncatingIfNeeded: a) % UInt32(truncatingIfNeeded: b)))")),

        // MARK: Zba (unprivileged spec, "B" extension, address generation)
        // rs1, shifted left by 0-3 (after zero-extending its low word in the .uw forms), plus rs2.
        I("sh1add", "Zba", mask: "rMask", match: "f7(OP, 2, 0x10)", format: "r",
          .registerRegister("b &+ (a << 1)"),
          x86: "shiftAndAdd(inst, by: 1)"),
        I("sh2add", "Zba", mask: "rMask", match: "f7(OP, 4, 0x10)", format: "r",
          .registerRegister("b &+ (a << 2)"),
          x86: "shiftAndAdd(inst, by: 2)"),
        I("sh3add", "Zba", mask: "rMask", match: "f7(OP, 6, 0x10)", format: "r",
          .registerRegister("b &+ (a << 3)"),
          x86: "shiftAndAdd(inst, by: 3)"),
        I("add.uw", "Zba", mask: "rMask", match: "f7(OP_32, 0, 0x04)", format: "r",
          .registerRegister("b &+ (a & 0xffff_ffff)"),
          x86: "shiftAndAdd(inst, by: 0, unsignedWord: true)"),
        I("sh1add.uw", "Zba", mask: "rMask", match: "f7(OP_32, 2, 0x10)", format: "r",
          .registerRegister("b &+ ((a & 0xffff_ffff) << 1)"),
          x86: "shiftAndAdd(inst, by: 1, unsignedWord: true)"),
        I("sh2add.uw", "Zba", mask: "rMask", match: "f7(OP_32, 4, 0x10)", format: "r",
          .registerRegister("b &+ ((a & 0xffff_ffff) << 2)"),
          x86: "shiftAndAdd(inst, by: 2, unsignedWord: true)"),
        I("sh3add.uw", "Zba", mask: "rMask", match: "f7(OP_32, 6, 0x10)", format: "r",
          .registerRegister("b &+ ((a & 0xffff_ffff) << 3)"),
          x86: "shiftAndAdd(inst, by: 3, unsignedWord: true)"),
        // funct6 000010 (bit 27) with a 6-bit shift amount, beside slliw's funct7 0.
        I("slli.uw", "Zba", mask: "shift64Mask", match: "f3(OP_IMM_32, 1) | 0x0800_0000", format: "shift64",
          .registerImmediate("(a & 0xffff_ffff) << (b & 63)"),
          x86: "shiftUnsignedWordImmediate(inst)"),

        // MARK: Zbs (unprivileged spec, "B" extension, single-bit instructions)
        // rs1 with one bit set, cleared or inverted, or that bit alone (bext); the bit index is
        // rs2's low six bits, or a 6-bit shamt in the immediate forms (funct6 beside slli's).
        I("bset", "Zbs", mask: "rMask", match: "f7(OP, 1, 0x14)", format: "r",
          .registerRegister("a | (1 << (b & 63))"),
          x86: "singleBit(0xab, inst)"),
        I("bclr", "Zbs", mask: "rMask", match: "f7(OP, 1, 0x24)", format: "r",
          .registerRegister("a & ~(1 << (b & 63))"),
          x86: "singleBit(0xb3, inst)"),
        I("binv", "Zbs", mask: "rMask", match: "f7(OP, 1, 0x34)", format: "r",
          .registerRegister("a ^ (1 << (b & 63))"),
          x86: "singleBit(0xbb, inst)"),
        I("bext", "Zbs", mask: "rMask", match: "f7(OP, 5, 0x24)", format: "r",
          .registerRegister("(a >> (b & 63)) & 1"),
          x86: "bitExtract(inst)"),
        I("bseti", "Zbs", mask: "shift64Mask", match: "f3(OP_IMM, 1) | 0x2800_0000", format: "shift64",
          .registerImmediate("a | (1 << (b & 63))"),
          x86: "singleBitImmediate(5, inst)"),
        I("bclri", "Zbs", mask: "shift64Mask", match: "f3(OP_IMM, 1) | 0x4800_0000", format: "shift64",
          .registerImmediate("a & ~(1 << (b & 63))"),
          x86: "singleBitImmediate(6, inst)"),
        I("binvi", "Zbs", mask: "shift64Mask", match: "f3(OP_IMM, 1) | 0x6800_0000", format: "shift64",
          .registerImmediate("a ^ (1 << (b & 63))"),
          x86: "singleBitImmediate(7, inst)"),
        I("bexti", "Zbs", mask: "shift64Mask", match: "f3(OP_IMM, 5) | 0x4800_0000", format: "shift64",
          .registerImmediate("(a >> (b & 63)) & 1"),
          x86: "bitExtractImmediate(inst)"),

        // MARK: A
        I("lr.w", "A", mask: "lrMask", match: "amo(0b00010, 2)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("sc.w", "A", mask: "amoMask", match: "amo(0b00011, 2)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amoswap.w", "A", mask: "amoMask", match: "amo(0b00001, 2)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amoadd.w", "A", mask: "amoMask", match: "amo(0b00000, 2)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amoxor.w", "A", mask: "amoMask", match: "amo(0b00100, 2)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amoand.w", "A", mask: "amoMask", match: "amo(0b01100, 2)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amoor.w", "A", mask: "amoMask", match: "amo(0b01000, 2)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amomin.w", "A", mask: "amoMask", match: "amo(0b10000, 2)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amomax.w", "A", mask: "amoMask", match: "amo(0b10100, 2)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amominu.w", "A", mask: "amoMask", match: "amo(0b11000, 2)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amomaxu.w", "A", mask: "amoMask", match: "amo(0b11100, 2)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("lr.d", "A", mask: "lrMask", match: "amo(0b00010, 3)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("sc.d", "A", mask: "amoMask", match: "amo(0b00011, 3)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amoswap.d", "A", mask: "amoMask", match: "amo(0b00001, 3)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amoadd.d", "A", mask: "amoMask", match: "amo(0b00000, 3)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amoxor.d", "A", mask: "amoMask", match: "amo(0b00100, 3)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amoand.d", "A", mask: "amoMask", match: "amo(0b01100, 3)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amoor.d", "A", mask: "amoMask", match: "amo(0b01000, 3)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amomin.d", "A", mask: "amoMask", match: "amo(0b10000, 3)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amomax.d", "A", mask: "amoMask", match: "amo(0b10100, 3)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amominu.d", "A", mask: "amoMask", match: "amo(0b11000, 3)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),
        I("amomaxu.d", "A", mask: "amoMask", match: "amo(0b11100, 3)", format: "r",
          .statements("guard countingOpsBefore(p, { executeAtomic(p) }) else { break execution }", destination: .integer)),

        // MARK: F
        I("flw", "F", mask: "funct3Mask", match: "f3(LOAD_FP, 2)", format: "i",
          .statements("guard loadFloat(p, width: 4) else { break execution }", destination: .floatingPoint)),
        I("fsw", "F", mask: "funct3Mask", match: "f3(STORE_FP, 2)", format: "s",
          .statements("guard storeFloat(p, width: 4) else { break execution }", destination: .none)),
        I("fmadd.s", "F", mask: "fmaMask", match: "MADD", format: "r4",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fmsub.s", "F", mask: "fmaMask", match: "MSUB", format: "r4",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fnmsub.s", "F", mask: "fmaMask", match: "NMSUB", format: "r4",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fnmadd.s", "F", mask: "fmaMask", match: "NMADD", format: "r4",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fadd.s", "F", mask: "fpRmMask", match: "fp(0x00)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fsub.s", "F", mask: "fpRmMask", match: "fp(0x04)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fmul.s", "F", mask: "fpRmMask", match: "fp(0x08)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fdiv.s", "F", mask: "fpRmMask", match: "fp(0x0c)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fsqrt.s", "F", mask: "fpRmRs2Mask", match: "fp(0x2c)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fsgnj.s", "F", mask: "rMask", match: "fp(0x10, funct3: 0)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fsgnjn.s", "F", mask: "rMask", match: "fp(0x10, funct3: 1)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fsgnjx.s", "F", mask: "rMask", match: "fp(0x10, funct3: 2)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fmin.s", "F", mask: "rMask", match: "fp(0x14, funct3: 0)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fmax.s", "F", mask: "rMask", match: "fp(0x14, funct3: 1)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fcvt.w.s", "F", mask: "fpRmRs2Mask", match: "fp(0x60, rs2: 0)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fcvt.wu.s", "F", mask: "fpRmRs2Mask", match: "fp(0x60, rs2: 1)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fcvt.l.s", "F", mask: "fpRmRs2Mask", match: "fp(0x60, rs2: 2)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fcvt.lu.s", "F", mask: "fpRmRs2Mask", match: "fp(0x60, rs2: 3)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fcvt.s.w", "F", mask: "fpRmRs2Mask", match: "fp(0x68, rs2: 0)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fcvt.s.wu", "F", mask: "fpRmRs2Mask", match: "fp(0x68, rs2: 1)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fcvt.s.l", "F", mask: "fpRmRs2Mask", match: "fp(0x68, rs2: 2)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fcvt.s.lu", "F", mask: "fpRmRs2Mask", match: "fp(0x68, rs2: 3)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fmv.x.w", "F", mask: "fpF3Rs2Mask", match: "fp(0x70, funct3: 0)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fclass.s", "F", mask: "fpF3Rs2Mask", match: "fp(0x70, funct3: 1)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fmv.w.x", "F", mask: "fpF3Rs2Mask", match: "fp(0x78, funct3: 0)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("feq.s", "F", mask: "rMask", match: "fp(0x50, funct3: 2)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("flt.s", "F", mask: "rMask", match: "fp(0x50, funct3: 1)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fle.s", "F", mask: "rMask", match: "fp(0x50, funct3: 0)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),

        // MARK: D
        I("fld", "D", mask: "funct3Mask", match: "f3(LOAD_FP, 3)", format: "i",
          .statements("guard loadFloat(p, width: 8) else { break execution }", destination: .floatingPoint)),
        I("fsd", "D", mask: "funct3Mask", match: "f3(STORE_FP, 3)", format: "s",
          .statements("guard storeFloat(p, width: 8) else { break execution }", destination: .none)),
        I("fmadd.d", "D", mask: "fmaMask", match: "MADD | 1 << 25", format: "r4",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fmsub.d", "D", mask: "fmaMask", match: "MSUB | 1 << 25", format: "r4",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fnmsub.d", "D", mask: "fmaMask", match: "NMSUB | 1 << 25", format: "r4",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fnmadd.d", "D", mask: "fmaMask", match: "NMADD | 1 << 25", format: "r4",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fadd.d", "D", mask: "fpRmMask", match: "fp(0x01)", format: "rm",
          .statements("guard floatingPointEnabled, executeDoubleArithmetic(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fsub.d", "D", mask: "fpRmMask", match: "fp(0x05)", format: "rm",
          .statements("guard floatingPointEnabled, executeDoubleArithmetic(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fmul.d", "D", mask: "fpRmMask", match: "fp(0x09)", format: "rm",
          .statements("guard floatingPointEnabled, executeDoubleArithmetic(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fdiv.d", "D", mask: "fpRmMask", match: "fp(0x0d)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fsqrt.d", "D", mask: "fpRmRs2Mask", match: "fp(0x2d)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fsgnj.d", "D", mask: "rMask", match: "fp(0x11, funct3: 0)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fsgnjn.d", "D", mask: "rMask", match: "fp(0x11, funct3: 1)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fsgnjx.d", "D", mask: "rMask", match: "fp(0x11, funct3: 2)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fmin.d", "D", mask: "rMask", match: "fp(0x15, funct3: 0)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fmax.d", "D", mask: "rMask", match: "fp(0x15, funct3: 1)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fcvt.s.d", "D", mask: "fpRmRs2Mask", match: "fp(0x20, rs2: 1)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fcvt.d.s", "D", mask: "fpRmRs2Mask", match: "fp(0x21, rs2: 0)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fcvt.w.d", "D", mask: "fpRmRs2Mask", match: "fp(0x61, rs2: 0)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fcvt.wu.d", "D", mask: "fpRmRs2Mask", match: "fp(0x61, rs2: 1)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fcvt.l.d", "D", mask: "fpRmRs2Mask", match: "fp(0x61, rs2: 2)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fcvt.lu.d", "D", mask: "fpRmRs2Mask", match: "fp(0x61, rs2: 3)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fcvt.d.w", "D", mask: "fpRmRs2Mask", match: "fp(0x69, rs2: 0)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fcvt.d.wu", "D", mask: "fpRmRs2Mask", match: "fp(0x69, rs2: 1)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fcvt.d.l", "D", mask: "fpRmRs2Mask", match: "fp(0x69, rs2: 2)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fcvt.d.lu", "D", mask: "fpRmRs2Mask", match: "fp(0x69, rs2: 3)", format: "rm",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("fmv.x.d", "D", mask: "fpF3Rs2Mask", match: "fp(0x71, funct3: 0)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fclass.d", "D", mask: "fpF3Rs2Mask", match: "fp(0x71, funct3: 1)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fmv.d.x", "D", mask: "fpF3Rs2Mask", match: "fp(0x79, funct3: 0)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .floatingPoint)),
        I("feq.d", "D", mask: "rMask", match: "fp(0x51, funct3: 2)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("flt.d", "D", mask: "rMask", match: "fp(0x51, funct3: 1)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),
        I("fle.d", "D", mask: "rMask", match: "fp(0x51, funct3: 0)", format: "r",
          .statements("guard floatingPointEnabled, executeFloatingPoint(p) else { raiseIllegal(p.pointee); break execution }", destination: .integer)),

        // MARK: Zicsr
        I("csrrw", "Zicsr", mask: "funct3Mask", match: "f3(SYSTEM, 1)", format: "csr",
          .statements("if let fault = countingOpsBefore(p, { executeCSR(p) }) { raise(fault, p.pointee); break execution }", destination: .integer, endsBlock: true)),
        I("csrrs", "Zicsr", mask: "funct3Mask", match: "f3(SYSTEM, 2)", format: "csr",
          .statements("if let fault = countingOpsBefore(p, { executeCSR(p) }) { raise(fault, p.pointee); break execution }", destination: .integer, endsBlock: true)),
        I("csrrc", "Zicsr", mask: "funct3Mask", match: "f3(SYSTEM, 3)", format: "csr",
          .statements("if let fault = countingOpsBefore(p, { executeCSR(p) }) { raise(fault, p.pointee); break execution }", destination: .integer, endsBlock: true)),
        I("csrrwi", "Zicsr", mask: "funct3Mask", match: "f3(SYSTEM, 5)", format: "csr",
          .statements("if let fault = countingOpsBefore(p, { executeCSR(p) }) { raise(fault, p.pointee); break execution }", destination: .integer, endsBlock: true)),
        I("csrrsi", "Zicsr", mask: "funct3Mask", match: "f3(SYSTEM, 6)", format: "csr",
          .statements("if let fault = countingOpsBefore(p, { executeCSR(p) }) { raise(fault, p.pointee); break execution }", destination: .integer, endsBlock: true)),
        I("csrrci", "Zicsr", mask: "funct3Mask", match: "f3(SYSTEM, 7)", format: "csr",
          .statements("if let fault = countingOpsBefore(p, { executeCSR(p) }) { raise(fault, p.pointee); break execution }", destination: .integer, endsBlock: true)),

        // MARK: Privileged
        I("sret", "Privileged", mask: "0xffff_ffff", match: "0x1020_0073", format: "none",
          .statements("""
            if let fault = supervisorInstructionFault(trappedBy: Hart.TSR, virtualTrap: Hart.hstatusVTSR) {
                raise(fault, p.pointee); break execution
            }
            returnFromSupervisor()
            nextPC = pc
            """, destination: .none, endsBlock: true)),
        I("mret", "Privileged", mask: "0xffff_ffff", match: "0x3020_0073", format: "none",
          .statements("""
            guard privilege == .machine else { raiseIllegal(p.pointee); break execution }
            returnFromMachine()
            nextPC = pc
            """, destination: .none, endsBlock: true)),
        I("wfi", "Privileged", mask: "0xffff_ffff", match: "0x1050_0073", format: "none",
          .statements("""
            // TW traps WFI below M (VTW below HS); U-mode WFI is always illegal here, as on QEMU (§3.1.6.5).
            if let fault = supervisorInstructionFault(trappedBy: Hart.TW, virtualTrap: Hart.hstatusVTW) {
                raise(fault, p.pointee); break execution
            }
            waitingForInterrupt = true
            nextEventAt = 0
            """, destination: .none, endsBlock: true)),
        I("sfence.vma", "Privileged", mask: "0xfe00_7fff", match: "0x1200_0073", format: "r",
          .statements("""
            if let fault = supervisorInstructionFault(trappedBy: Hart.TVM, virtualTrap: Hart.hstatusVTVM) {
                raise(fault, p.pointee); break execution
            }
            // With V=1 it fences only the VS stage (H spec: sfence.vma in VS-mode).
            flushTLB(keepingGuestStage: virtualized)
            nextEventAt = 0
            """, destination: .none, endsBlock: true)),

        // MARK: H
        I("hfence.vvma", "H", mask: "0xfe00_7fff", match: "0x2200_0073", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.fenceVVMA) { raise(fault, p.pointee); break execution }
            flushTLB(keepingGuestStage: true)
            nextEventAt = 0
            """, destination: .none, endsBlock: true)),
        I("hfence.gvma", "H", mask: "0xfe00_7fff", match: "0x6200_0073", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.fenceGVMA) { raise(fault, p.pointee); break execution }
            flushTLB()
            nextEventAt = 0
            """, destination: .none, endsBlock: true)),
        I("hlv.b", "H", mask: "hlvMask", match: "hlv(0x30, 0)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .integer, endsBlock: true)),
        I("hlv.bu", "H", mask: "hlvMask", match: "hlv(0x30, 1)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .integer, endsBlock: true)),
        I("hlv.h", "H", mask: "hlvMask", match: "hlv(0x32, 0)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .integer, endsBlock: true)),
        I("hlv.hu", "H", mask: "hlvMask", match: "hlv(0x32, 1)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .integer, endsBlock: true)),
        I("hlvx.hu", "H", mask: "hlvMask", match: "hlv(0x32, 3)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .integer, endsBlock: true)),
        I("hlv.w", "H", mask: "hlvMask", match: "hlv(0x34, 0)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .integer, endsBlock: true)),
        I("hlv.wu", "H", mask: "hlvMask", match: "hlv(0x34, 1)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .integer, endsBlock: true)),
        I("hlvx.wu", "H", mask: "hlvMask", match: "hlv(0x34, 3)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .integer, endsBlock: true)),
        I("hlv.d", "H", mask: "hlvMask", match: "hlv(0x36, 0)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .integer, endsBlock: true)),
        I("hsv.b", "H", mask: "hsvMask", match: "f7(SYSTEM, 4, 0x31)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .none, endsBlock: true)),
        I("hsv.h", "H", mask: "hsvMask", match: "f7(SYSTEM, 4, 0x33)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .none, endsBlock: true)),
        I("hsv.w", "H", mask: "hsvMask", match: "f7(SYSTEM, 4, 0x35)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .none, endsBlock: true)),
        I("hsv.d", "H", mask: "hsvMask", match: "f7(SYSTEM, 4, 0x37)", format: "r",
          .statements("""
            if let fault = hypervisorInstructionFault(.virtualMachineAccess) { raise(fault, p.pointee); break execution }
            guard countingOpsBefore(p, { executeHypervisorAccess(p.pointee) }) else { break execution }
            """, destination: .none, endsBlock: true)),
    ]
}

private typealias I = InstructionDescription
