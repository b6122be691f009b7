/// One instruction of the hart, stated once: its encoding, what it computes, and how the x86-64
/// block compiler emits it. `EngineGenerator` turns the table of these (`RV64Instructions.all`)
/// into every per-instruction piece of the engine: the `Op` enum, the encoding table, the
/// interpreter's cases, the ALU and branch semantics, the compiler's templates and the
/// superinstructions. The generated files are checked in; `swift run generate-engine` rewrites
/// them and `EngineGeneratorTests` fails when they differ from what the table gives.
public struct InstructionDescription: Sendable {
    /// The name as the manual spells it ("fence.i", "amoadd.w").
    public let name: String
    /// The extension whose chapter defines it ("RV64I", "M", "Zicsr"…); groups the generated code.
    public let extensionName: String
    /// The encoding as a mask/match pair, written with `EncodingTable`'s helpers so it reads like the manual.
    public let mask: String
    public let match: String
    /// The `InstructionFormat` case that lays out its operand fields.
    public let format: String
    public let semantics: Semantics
    /// The block compiler's emitter call (a `BlockCompiler` method returning `Bool?`: nil when
    /// it cannot compile this instance, true when it ends the block), or nil when the
    /// instruction is never compiled and compiled code stops before it.
    public let x86: String?
    /// The random differential tester's operands for this instruction when those its format
    /// gives (`randomOperands`) do not suit it; nil to use them.
    public let randomOverride: [RandomOperand]?

    public init(_ name: String, _ extensionName: String, mask: String, match: String, format: String,
                _ semantics: Semantics, x86: String? = nil, random randomOverride: [RandomOperand]? = nil) {
        self.name = name; self.extensionName = extensionName; self.mask = mask; self.match = match
        self.format = format; self.semantics = semantics; self.x86 = x86; self.randomOverride = randomOverride
    }

    /// The Swift case name of its `Op` ("fence.i" -> "fence_i").
    public var op: String { String(name.map { $0 == "." ? "_" : $0 }) }

    /// The operands, in assembler order, of the random differential tester's row for this
    /// instruction (Tests/DifferentialTesting): the override if there is one, else what the format
    /// gives a register-register or register-immediate op (r: rd and two biased sources; i: rd, a
    /// source and a signed 12-bit immediate; shift64/shift32: rd, a source and an amount below 64
    /// or 32). Nil for every other shape (loads, stores, branches, AMOs, FP, CSR…): their rows need
    /// set-up the format cannot tell, so they are written by hand.
    public var randomOperands: [RandomOperand]? {
        if let randomOverride { return randomOverride }
        guard semantics.aluExpression != nil else { return nil }
        switch format {
        case "r": return [.destination, .biasedSource, .biasedSource]
        case "i": return [.destination, .source, .signedImmediate(bits: 12)]
        case "shift64": return [.destination, .source, .shiftAmount(limit: 64)]
        case "shift32": return [.destination, .source, .shiftAmount(limit: 32)]
        default: return nil
        }
    }

    /// The extension's name as -march and riscv,isa spell multi-letter ones ("zba"), or nil for
    /// the base, the single-letter extensions and the privileged instructions.
    public var multiLetterExtension: String? {
        let first = extensionName.first
        guard extensionName.count > 1, first == "Z" || first == "S" || first == "X" else { return nil }
        return extensionName.lowercased()
    }
}

/// One operand of a random differential-test row, as the description states it; the tester turns
/// each into its own operand kind.
public enum RandomOperand: Sendable, Equatable {
    /// A writable integer register (x0 now and then).
    case destination
    /// Any integer register.
    case source
    /// An integer register sometimes reloaded first with a corner value (0, -1, INT_MIN, 63…).
    case biasedSource
    /// A signed immediate of `bits` bits.
    case signedImmediate(bits: Int)
    /// A shift amount (or bit index) in `0..<limit`.
    case shiftAmount(limit: Int)
}

/// What an instruction does, in the terms the interpreter runs it by. Expressions are Swift over
/// `a` (rs1's value) and `b` (rs2's value, or the sign-extended immediate), both `UInt64`.
public enum Semantics: Sendable {
    /// rd = f(rs1, rs2). `commutative` lets superinstructions swap the sources.
    case registerRegister(String, commutative: Bool = false)
    /// rd = f(rs1, immediate).
    case registerImmediate(String)
    /// rd = the memory at rs1 + imm, of this Swift integer type, extended to 64 bits as its signedness says.
    case load(String)
    /// The memory at rs1 + imm = rs2, truncated to this Swift integer type.
    case store(String)
    /// pc = pc + imm when the condition over `a` and `b` holds; ends the block.
    case branch(String, commutative: Bool = false)
    /// Statements run with `p` (the op), `x`, `f`, `blockPC` and `nextPC` in scope; `break
    /// execution` leaves the block at this op without retiring it (a trap is pending) or, after
    /// `p += 1`, retired. `endsBlock` ops end their decoded block (control transfers and anything
    /// that changes privilege, translation or decoding state); `destination` says which register
    /// file `rd` names.
    case statements(String, destination: Destination, endsBlock: Bool = false)
}

/// The register file an instruction's rd field names.
public enum Destination: Sendable {
    case integer, floatingPoint, none
}

extension Semantics {
    var writesIntegerRegister: Bool {
        switch self {
        case .registerRegister, .registerImmediate, .load: return true
        case .store, .branch: return false
        case .statements(_, let destination, _): return destination == .integer
        }
    }

    var endsBlock: Bool {
        switch self {
        case .branch: return true
        case .statements(_, _, let ends): return ends
        default: return false
        }
    }

    /// The computed value of an ALU op, as an expression over `a` and `b`.
    var aluExpression: String? {
        switch self {
        case .registerRegister(let e, _), .registerImmediate(let e): return e
        default: return nil
        }
    }

    var isCommutative: Bool {
        switch self {
        case .registerRegister(_, let c), .branch(_, let c): return c
        default: return false
        }
    }
}
