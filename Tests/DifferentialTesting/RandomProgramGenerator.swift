import Harness

/// Settings of one generated program. The defaults are what the differential test uses.
public struct RandomProgramConfiguration: Sendable, Equatable {
    /// How many units (an instruction with its setup) the body has.
    public var instructionCount: Int = 200
    /// Misaligned loads and stores may trap on one machine and succeed on another (the
    /// privileged spec leaves it to the implementation), so they are off unless asked for.
    public var allowMisalignedAccesses = false
    /// Relative weight of each extension when picking the next instruction; one not named here
    /// has `defaultExtensionWeight`.
    public var extensionWeights: [RandomProgramExtension: Int] = [
        .i: 30, .m: 10, .a: 8, .f: 14, .d: 14, .c: 14, .zicsr: 6, .zifencei: 1,
    ]
    /// The weight of an extension `extensionWeights` does not name: those that come with their
    /// descriptions (Zba, Zbs, ...), a handful of ALU ops each, drawn about as often as Zicsr.
    public var defaultExtensionWeight = 4
    /// Percent of biased integer operands that are first reloaded with a corner value.
    public var integerCornerPercent = 35
    /// Percent of floating-point operands that are first reloaded with a special value.
    public var floatSpecialPercent = 20
    /// Percent of single-precision operands that are first replaced by an unboxed value.
    public var unboxedSinglePercent = 8

    /// The relative weight with which `isaExtension` is picked.
    public func weight(of isaExtension: RandomProgramExtension) -> Int {
        extensionWeights[isaExtension] ?? defaultExtensionWeight
    }

    /// The default mix with a chosen length and misalignment policy.
    public init(instructionCount: Int = 200, allowMisalignedAccesses: Bool = false) {
        self.instructionCount = instructionCount
        self.allowMisalignedAccesses = allowMisalignedAccesses
    }
}

/// One piece of the body that the minimizer keeps or drops as a whole: an instruction with
/// the setup it depends on, or a branch target label (labels are never dropped, so every
/// branch still has its target after minimization).
public struct RandomProgramUnit: Sendable, Equatable {
    /// Assembly lines, without indentation.
    public var lines: [String]
    /// The table row this unit came from (`RandomInstruction.key`); nil for a label.
    public var instructionKey: String?
    /// The extension of the table row; nil for a label.
    public var isaExtension: RandomProgramExtension?

    /// Labels are never dropped by the minimizer.
    public var isLabel: Bool { instructionKey == nil }

    /// A unit written by hand (for a regression program); leave the key nil only for a label.
    public init(lines: [String], instructionKey: String? = nil, isaExtension: RandomProgramExtension? = nil) {
        self.lines = lines
        self.instructionKey = instructionKey
        self.isaExtension = isaExtension
    }
}

/// A generated program: its body plus the data its fixed prologue loads. Everything here is a
/// pure function of the seed and the configuration.
public struct RandomProgram: Sendable, Equatable {
    /// The seed this program was generated from.
    public let seed: UInt64
    /// The body, in order; labels are units of their own.
    public var units: [RandomProgramUnit]
    /// x0..x31 at entry (x0, sp and s0 are overridden by the prologue).
    public let initialIntegerRegisters: [UInt64]
    /// f0..f31 at entry, raw bits.
    public let initialFloatRegisters: [UInt64]
    /// fcsr at entry: a valid frm (0–3) and random accrued flags.
    public let initialFCSR: UInt64
    /// The 4 KiB sandbox's initial contents, as 512 little-endian doublewords.
    public let sandbox: [UInt64]
    /// The table biased integer operands are reloaded from.
    public let integerCorners: [UInt64]
    /// The binary32 specials single-precision operands are reloaded from.
    public let singleSpecials: [UInt32]
    /// The binary64 specials double-precision operands are reloaded from.
    public let doubleSpecials: [UInt64]

    /// Units that are instructions (not labels).
    public var instructionCount: Int { units.filter { !$0.isLabel }.count }

    /// The same program without the units at `offsets` (labels are kept whatever is asked).
    public func removing(unitsAt offsets: Set<Int>) -> RandomProgram {
        var copy = self
        copy.units = units.enumerated().filter { !offsets.contains($0.offset) || $0.element.isLabel }.map(\.element)
        return copy
    }

    /// The same program without labels that no remaining instruction refers to. Labels emit
    /// no code, so this never changes behaviour; it makes minimized programs readable.
    public func pruningUnusedLabels() -> RandomProgram {
        let text = units.filter { !$0.isLabel }.flatMap(\.lines).joined(separator: "\n")
        var copy = self
        copy.units = units.filter { unit in
            guard unit.isLabel, let line = unit.lines.first else { return true }
            let name = String(line.dropLast())
            // Match whole label names only: ".L1" must not count as a use of ".L12".
            return text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" }).contains { $0 == name }
        }
        return copy
    }

    /// The complete assembly file, to be linked with Corpus/random/support.S.
    public var assembly: String {
        var out = """
        # Random RV64GC program, seed 0x\(hex(seed)), \(instructionCount) units.
        # Generated by RandomProgramGenerator (Sources/Harness); link with Corpus/random/support.S
        # and Corpus/random/link.ld. Compressed instructions are written explicitly with c.
        # mnemonics; everything else is kept 32-bit (.option norvc) so the text is what runs.
            .option norvc
            .text
            .globl random_program
        random_program:

        """
        // The assembler may only emit compressed encodings where a c. mnemonic asks for one.
        var compressedMode = false
        for unit in units {
            for line in unit.lines {
                if line.hasSuffix(":") {
                    out += line + "\n"
                    continue
                }
                let compressed = line.hasPrefix("c.")
                if compressed != compressedMode {
                    out += compressed ? "    .option rvc\n" : "    .option norvc\n"
                    compressedMode = compressed
                }
                out += "    \(line)\n"
            }
        }
        if compressedMode { out += "    .option norvc\n" }
        out += "    j random_epilogue\n\n    .section .rodata\n    .balign 8\n"
        out += table("random_integer_corners", directive: ".quad", integerCorners.map { hex($0) })
        out += table("random_double_specials", directive: ".quad", doubleSpecials.map { hex($0) })
        out += table("random_single_specials", directive: ".word", singleSpecials.map { hex(UInt64($0), digits: 8) })
        out += "\n    .data\n    .balign 8\n"
        out += table("random_initial_x", directive: ".quad", initialIntegerRegisters.map { hex($0) }, global: true)
        out += table("random_initial_f", directive: ".quad", (initialFloatRegisters + [initialFCSR]).map { hex($0) }, global: true)
        out += "    .balign 4096\n"
        out += table("random_sandbox", directive: ".quad", sandbox.map { hex($0) }, global: true)
        return out
    }

    private func table(_ name: String, directive: String, _ values: [String], global: Bool = false) -> String {
        var out = global ? "    .globl \(name)\n" : ""
        out += "\(name):\n"
        for start in stride(from: 0, to: values.count, by: 4) {
            let row = values[start..<min(start + 4, values.count)].map { "0x" + $0 }
            out += "    \(directive) " + row.joined(separator: ", ") + "\n"
        }
        return out
    }
}

/// Fixed-width lowercase hexadecimal, as the dump prints it.
private func hex(_ value: UInt64, digits: Int = 16) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
}

/// Produces valid, terminating, deterministic RV64GC programs from a seed (see the
/// instruction table for what is covered and what is left out on purpose).
///
/// Rules every program keeps, so that any two correct machines print the same dump:
/// - s0 (x8) and sp (x2) hold the sandbox middle and are never written (c.addi16sp is
///   always undone in the same unit); every load, store and AMO goes inside the 4 KiB sandbox.
/// - Control flow only goes forward to a label inside the program, so it always ends.
/// - frm always holds a valid rounding mode (0–3), so dynamic-rounding instructions never trap.
/// - `lr` and its `sc` use the same address with no memory access between them, so the sc
///   succeeds; an sc outside such a pair always fails (every pair's sc ends the reservation).
public struct RandomProgramGenerator: Sendable {
    /// The mix and policies every generated program follows.
    public var configuration: RandomProgramConfiguration

    /// A generator with the given settings (defaults: the differential test's).
    public init(configuration: RandomProgramConfiguration = .init()) {
        self.configuration = configuration
    }

    /// Registers the body may write: all but x0 and the pinned sp (x2) and s0 (x8).
    static let writableRegisters: [Int] = (1...31).filter { $0 != 2 && $0 != 8 }
    /// The sandbox base register and the offset range its 12-bit displacements reach.
    static let sandboxSize = 4096
    static let sandboxBias = 2048
    /// Bytes above s0 that half of all accesses share (see `alignedOffset`).
    static let hotWindowBytes = 64

    /// Integer corner values: the operands on which division, overflow and sign extension
    /// differ between correct and nearly correct implementations.
    static let integerCorners: [UInt64] = [
        0, 1, 2, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFE,
        0x8000_0000_0000_0000, 0x7FFF_FFFF_FFFF_FFFF,
        0xFFFF_FFFF_8000_0000, 0x0000_0000_7FFF_FFFF, 0x0000_0000_FFFF_FFFF, 0x0000_0000_8000_0000,
        0x0000_0000_0000_07FF, 0xFFFF_FFFF_FFFF_F800, 31, 32, 63, 64,
    ]

    /// IEEE 754 binary64 specials: signed zeros, infinities, quiet and signalling NaNs,
    /// subnormals, the normal range's ends, 1.0, halfway cases and integer-conversion limits.
    static let doubleSpecials: [UInt64] = [
        0x0000_0000_0000_0000, 0x8000_0000_0000_0000, 0x7FF0_0000_0000_0000, 0xFFF0_0000_0000_0000,
        0x7FF8_0000_0000_0000, 0x7FF0_0000_0000_0001, 0xFFF8_0000_0000_1234, 0x7FF4_0000_0000_0000,
        0x0000_0000_0000_0001, 0x000F_FFFF_FFFF_FFFF, 0x8000_0000_0000_0001, 0x0010_0000_0000_0000,
        0x3FF0_0000_0000_0000, 0xBFF0_0000_0000_0000, 0x7FEF_FFFF_FFFF_FFFF, 0xFFEF_FFFF_FFFF_FFFF,
        0x3FE0_0000_0000_0000, 0x3FF8_0000_0000_0000, 0x4004_0000_0000_0000, 0xC004_0000_0000_0000,
        0x43E0_0000_0000_0000, 0xC3E0_0000_0000_0000, 0x43F0_0000_0000_0000, 0x41E0_0000_0000_0000,
        0x41F0_0000_0000_0000, 0xC1E0_0000_0000_0000, 0x3690_0000_0000_0000, 0x47EF_FFFF_E000_0000,
    ]

    /// IEEE 754 binary32 specials, the same families as `doubleSpecials`.
    static let singleSpecials: [UInt32] = [
        0x0000_0000, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0x7F80_0001, 0xFFC0_1234,
        0x7FA0_0000, 0x0000_0001, 0x007F_FFFF, 0x8000_0001, 0x0080_0000, 0x3F80_0000, 0xBF80_0000,
        0x7F7F_FFFF, 0xFF7F_FFFF, 0x3F00_0000, 0x3FC0_0000, 0x4020_0000, 0xC020_0000,
        0x4F00_0000, 0xCF00_0000, 0x4F80_0000, 0x5F00_0000, 0xDF00_0000, 0x5F80_0000,
    ]

    /// Pure function of `seed` and the configuration.
    public func generate(seed: UInt64) -> RandomProgram {
        var rng = SplitMix64(seed: seed)
        let x: [UInt64] = (0..<32).map { _ in Self.randomInteger(&rng) }
        let f: [UInt64] = (0..<32).map { _ in Self.randomFloatBits(&rng) }
        // fcsr: frm in bits 7:5 (0...3, never RMM), any accrued flags in bits 4:0.
        let fcsr = UInt64(rng.int(in: 0...3) << 5 | rng.int(in: 0...31))
        let sandbox: [UInt64] = (0..<(Self.sandboxSize / 8)).map { _ in
            switch rng.int(in: 0..<10) {
            case 0, 1: return rng.element(of: Self.integerCorners)
            case 2: return rng.element(of: Self.doubleSpecials)
            case 3: return UInt64(rng.element(of: Self.singleSpecials)) << 32 | UInt64(rng.element(of: Self.singleSpecials))
            default: return rng.next()
            }
        }

        let rows = Dictionary(grouping: RandomInstructionTable.all, by: \.isaExtension)
        let weighted = RandomProgramExtension.allCases.filter { configuration.weight(of: $0) > 0 && rows[$0] != nil }
        let totalWeight = weighted.reduce(0) { $0 + configuration.weight(of: $1) }
        let count = max(configuration.instructionCount, 0)

        var body: [RandomProgramUnit] = []
        var labels: [Int: String] = [:]   // position in body -> label placed before it
        for index in 0..<count {
            var pick = rng.int(in: 0..<max(totalWeight, 1))
            var chosen = weighted.first ?? .i
            for ext in weighted {
                let weight = configuration.weight(of: ext)
                if pick < weight { chosen = ext; break }
                pick -= weight
            }
            let row = rng.element(of: rows[chosen]!)
            var context = UnitContext(rng: rng, configuration: configuration, index: index, count: count)
            let lines = context.render(row)
            rng = context.rng
            for (position, name) in context.labels { labels[position] = name }
            body.append(RandomProgramUnit(lines: lines, instructionKey: row.key, isaExtension: row.isaExtension))
        }

        var units: [RandomProgramUnit] = []
        for position in 0...count {
            if let name = labels[position] { units.append(RandomProgramUnit(lines: [name + ":"])) }
            if position < count { units.append(body[position]) }
        }
        return RandomProgram(seed: seed, units: units, initialIntegerRegisters: x, initialFloatRegisters: f,
                             initialFCSR: fcsr, sandbox: sandbox, integerCorners: Self.integerCorners,
                             singleSpecials: Self.singleSpecials, doubleSpecials: Self.doubleSpecials)
    }

    static func randomInteger(_ rng: inout SplitMix64) -> UInt64 {
        switch rng.int(in: 0..<10) {
        case 0, 1, 2, 3: return rng.element(of: integerCorners)
        case 4, 5: return UInt64(rng.int(in: 0...255))
        case 6: return UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: rng.next())))
        default: return rng.next()
        }
    }

    /// Raw f-register bits: NaN-boxed singles, doubles and, now and then, an unboxed single
    /// (upper half not all ones), which single-precision instructions must read as a NaN.
    static func randomFloatBits(_ rng: inout SplitMix64) -> UInt64 {
        let box: UInt64 = 0xFFFF_FFFF_0000_0000
        switch rng.int(in: 0..<10) {
        case 0, 1, 2, 3: return rng.element(of: doubleSpecials)
        case 4, 5, 6: return box | UInt64(rng.element(of: singleSpecials))
        case 7: return rng.next()
        case 8: return box | (rng.next() & 0xFFFF_FFFF)
        default: return (rng.next() & 0x7FFF_FFFF_0000_0000) | UInt64(rng.element(of: singleSpecials))
        }
    }
}

/// The state needed while one unit is rendered: the generator, setup lines collected from
/// operands and the labels the unit's branches need.
private struct UnitContext {
    var rng: SplitMix64
    let configuration: RandomProgramConfiguration
    let index: Int
    let count: Int
    var setup: [String] = []
    var labels: [Int: String] = [:]
    /// Registers the instruction's setup pinned for this unit, which later setup must not reuse.
    var reserved: Set<Int> = []

    init(rng: SplitMix64, configuration: RandomProgramConfiguration, index: Int, count: Int) {
        self.rng = rng
        self.configuration = configuration
        self.index = index
        self.count = count
    }

    static let roundingModes = ["rne", "rtz", "rdn", "rup", "dyn"]
    static let sandboxLow = -RandomProgramGenerator.sandboxBias
    static let sandboxHigh = RandomProgramGenerator.sandboxSize - RandomProgramGenerator.sandboxBias

    mutating func render(_ row: RandomInstruction) -> [String] {
        switch row.form {
        case .single:
            let operands = row.operands.map { operand($0) }
            let text = operands.isEmpty ? row.mnemonic : row.mnemonic + " " + operands.joined(separator: ", ")
            if let name = row.assemblerExtension {
                // Named around this instruction alone, so the set-up's `li` and the rest of the
                // program keep to what the -march names (see RandomInstruction.assemblerExtension).
                return setup + [".option push", ".option arch, +\(name)", text, ".option pop"]
            }
            return setup + [text]
        case .loadReservedStoreConditional(let width):
            let suffix = width == 4 ? "w" : "d"
            let address = scratchRegister()
            let offset = alignedOffset(width: width)
            var lines = ["addi x\(address), s0, \(offset)"]
            let loaded = scratchRegister()
            lines.append("lr.\(suffix)\(rng.element(of: ["", ".aq", ".rl", ".aqrl"])) x\(loaded), (x\(address))")
            for _ in 0..<rng.int(in: 0...2) {
                let op = rng.element(of: ["add", "sub", "xor", "or", "and", "addw", "subw", "sll"])
                lines.append("\(op) x\(scratchRegister()), \(register(rng.int(in: 0...31))), \(register(rng.int(in: 0...31)))")
            }
            let result = rng.element(of: RandomProgramGenerator.writableRegisters)
            lines.append("sc.\(suffix)\(rng.element(of: ["", ".aq", ".rl", ".aqrl"])) x\(result), \(register(rng.int(in: 0...31))), (x\(address))")
            return lines
        case .unreservedStoreConditional(let width):
            let address = scratchRegister()
            let result = rng.element(of: RandomProgramGenerator.writableRegisters)
            return ["addi x\(address), s0, \(alignedOffset(width: width))",
                    "\(row.mnemonic) x\(result), \(register(rng.int(in: 0...31))), (x\(address))"]
        case .indirectJump:
            let target = scratchRegister()
            let label = forwardLabel(maxUnits: row.isaExtension == .c ? 6 : 12)
            switch row.mnemonic {
            case "jalr":
                // A non-zero displacement checks that jalr adds it first; 1 checks that bit 0
                // of the sum is then cleared (unprivileged spec §2.5).
                let displacement = rng.element(of: [0, 0, 4, 8, -4, -8, 1])
                let labelExpression = displacement == 0 || displacement == 1 ? label : "\(label) - (\(displacement))"
                return ["lla x\(target), \(labelExpression)",
                        "jalr \(register(destination())), \(displacement)(x\(target))"]
            default:
                return ["lla x\(target), \(label)", "\(row.mnemonic) x\(target)"]
            }
        case .stackAdjustSandwich:
            // Spec ch. 16.5: c.addi16sp's immediate is a non-zero multiple of 16 in [-512, 496];
            // -512 is left out because its undo, +512, does not fit.
            var adjust = 0
            while adjust == 0 { adjust = rng.int(in: -31...31) * 16 }
            let middle: String
            switch rng.int(in: 0..<6) {
            case 0: middle = "c.ldsp \(operand(.compressedNonZeroDestination)), \(operand(.stackSandboxAddress(width: 8)))"
            case 1: middle = "c.lwsp \(operand(.compressedNonZeroDestination)), \(operand(.stackSandboxAddress(width: 4)))"
            case 2: middle = "c.sdsp \(register(rng.int(in: 0...31))), \(operand(.stackSandboxAddress(width: 8)))"
            case 3: middle = "c.swsp \(register(rng.int(in: 0...31))), \(operand(.stackSandboxAddress(width: 4)))"
            case 4: middle = "c.fldsp f\(rng.int(in: 0...31)), \(operand(.stackSandboxAddress(width: 8)))"
            default: middle = "c.fsdsp f\(rng.int(in: 0...31)), \(operand(.stackSandboxAddress(width: 8)))"
            }
            return ["c.addi16sp sp, \(adjust)", middle, "c.addi16sp sp, \(-adjust)"]
        case .mstatusFloatStatus:
            // Privileged spec 1.12, §3.1.6.6: FS is mstatus bits 14:13.
            let rd = scratchRegister()
            return ["csrr x\(rd), mstatus", "srli x\(rd), x\(rd), 13", "andi x\(rd), x\(rd), 3"]
        }
    }

    func register(_ number: Int) -> String {
        switch number {
        case 2: return "sp"
        case 8: return "s0"
        default: return "x\(number)"
        }
    }

    /// A writable register, never x0, not yet reserved by this unit.
    mutating func scratchRegister() -> Int {
        let candidates = RandomProgramGenerator.writableRegisters.filter { !reserved.contains($0) }
        let chosen = rng.element(of: candidates)
        reserved.insert(chosen)
        return chosen
    }

    /// A destination: x0 now and then (writes to it must be dropped), else any writable register.
    mutating func destination() -> Int {
        if rng.chance(4) { return 0 }
        return rng.element(of: RandomProgramGenerator.writableRegisters)
    }

    /// A `width`-aligned offset from s0 inside the sandbox. Half of the accesses go to a small
    /// window right at s0, which the compressed and sp-relative forms reach too, so that stores
    /// and loads of different widths overlap and read each other's bytes.
    mutating func alignedOffset(width: Int) -> Int {
        if rng.chance(50) { return hotOffset(width: width) }
        let slots = RandomProgramGenerator.sandboxSize / width
        return Self.sandboxLow + rng.int(in: 0..<slots) * width
    }

    /// A `width`-aligned offset in the shared window [0, hotWindowBytes) above s0.
    mutating func hotOffset(width: Int) -> Int {
        rng.int(in: 0..<(RandomProgramGenerator.hotWindowBytes / width)) * width
    }

    /// A label before unit `index + 2 ... index + maxUnits` (or the end of the program).
    mutating func forwardLabel(maxUnits: Int) -> String {
        let lowest = min(index + 2, count)
        let position = rng.int(in: lowest...min(index + maxUnits, count))
        let name = ".L\(position)"
        labels[position] = name
        return name
    }

    mutating func operand(_ kind: RandomOperandKind) -> String {
        switch kind {
        case .integerDestination:
            return register(destination())
        case .integerSource:
            return register(rng.int(in: 0...31))
        case .integerSourceBiased:
            if rng.chance(configuration.integerCornerPercent) {
                let rs = scratchRegister()
                let slot = rng.int(in: 0..<RandomProgramGenerator.integerCorners.count)
                setup += ["lla x\(rs), random_integer_corners", "ld x\(rs), \(slot * 8)(x\(rs))"]
                return "x\(rs)"
            }
            return register(rng.int(in: 0...31))
        case .floatDestination:
            return "f\(rng.int(in: 0...31))"
        case .floatSource(let width):
            let fs = rng.int(in: 0...31)
            if width == 4 && rng.chance(configuration.unboxedSinglePercent) {
                setup.append("fmv.d.x f\(fs), \(register(rng.int(in: 0...31)))")
            } else if rng.chance(configuration.floatSpecialPercent) {
                let base = scratchRegister()
                if width == 4 {
                    let slot = rng.int(in: 0..<RandomProgramGenerator.singleSpecials.count)
                    setup += ["lla x\(base), random_single_specials", "flw f\(fs), \(slot * 4)(x\(base))"]
                } else {
                    let slot = rng.int(in: 0..<RandomProgramGenerator.doubleSpecials.count)
                    setup += ["lla x\(base), random_double_specials", "fld f\(fs), \(slot * 8)(x\(base))"]
                }
            }
            return "f\(fs)"
        case .signedImmediate(let bits):
            let half = 1 << (bits - 1)
            // Half of the time the range ends, where sign extension bugs show.
            if rng.chance(30) { return String(rng.element(of: [-half, half - 1, -1, 0, 1])) }
            return String(rng.int(in: -half...(half - 1)))
        case .unsignedImmediate(let bits):
            if rng.chance(30) { return String(rng.element(of: [0, 1, (1 << bits) - 1, 1 << (bits - 1)])) }
            return String(rng.int(in: 0..<(1 << bits)))
        case .shiftAmount(let limit):
            if rng.chance(30) { return String(rng.element(of: [0, 1, limit - 1, limit / 2])) }
            return String(rng.int(in: 0..<limit))
        case .roundingMode:
            return rng.element(of: Self.roundingModes)
        case .sandboxAddress(let width):
            let base = rng.chance(50) ? "s0" : "sp"
            if configuration.allowMisalignedAccesses && width > 1 && rng.chance(15) {
                let offset = rng.chance(50) ? rng.int(in: 0...(RandomProgramGenerator.hotWindowBytes - width))
                    : rng.int(in: Self.sandboxLow...(Self.sandboxHigh - width))
                return "\(offset)(\(base))"
            }
            return "\(alignedOffset(width: width))(\(base))"
        case .atomicAddress(let width):
            let address = scratchRegister()
            setup.append("addi x\(address), s0, \(alignedOffset(width: width))")
            return "(x\(address))"
        case .forwardLabel(let maxUnits):
            return forwardLabel(maxUnits: maxUnits)
        case .fixed(let text):
            return text
        case .roundingModeValue:
            let rs = scratchRegister()
            setup.append("addi x\(rs), zero, \(rng.int(in: 0...3))")
            return "x\(rs)"
        case .fcsrValue:
            let rs = scratchRegister()
            setup.append("addi x\(rs), zero, \(rng.int(in: 0...3) << 5 | rng.int(in: 0...31))")
            return "x\(rs)"
        case .immediateChoice(let values):
            return String(rng.element(of: values))
        case .compressedIntegerDestination:
            return "x\(rng.int(in: 9...15))"
        case .compressedIntegerSource:
            return register(rng.int(in: 8...15))
        case .compressedFloatRegister:
            return "f\(rng.int(in: 8...15))"
        case .compressedNonZeroDestination:
            return "x\(rng.element(of: RandomProgramGenerator.writableRegisters))"
        case .compressedNonZeroSource:
            return register(rng.int(in: 1...31))
        case .nonZeroSignedImmediate6:
            return String(rng.element(of: Array(-32...(-1)) + Array(1...31)))
        case .nonZeroShiftAmount:
            return String(rng.int(in: 1...63))
        case .compressedUpperImmediate:
            // c.lui's nzimm[17:12] is sign-extended; the assembler wants it as a 20-bit value.
            let value = rng.element(of: Array(-32...(-1)) + Array(1...31))
            return String(value & 0xFFFFF)
        case .stackPointerAddImmediate:
            return String(rng.int(in: 1...255) * 4)
        case .compressedSandboxAddress(let width):
            let offset = rng.chance(50) ? hotOffset(width: width) : rng.int(in: 0..<32) * width
            return "\(offset)(s0)"
        case .stackSandboxAddress(let width):
            let offset = rng.chance(50) ? hotOffset(width: width) : rng.int(in: 0..<64) * width
            return "\(offset)(sp)"
        }
    }
}
