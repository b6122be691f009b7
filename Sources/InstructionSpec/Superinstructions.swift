/// Adjacent pairs the engine runs as one dispatch, chosen from the corpus's dynamically hottest
/// pairs (measured: one dispatch instead of two, and the first result kept in a host register).
/// Only the choice is written here: each pair's op, its interpreter case and the decoder's
/// pairing tables are derived from the two instructions' descriptions by `EngineGenerator`:
/// - a *dependent* pair (`first_second`) hands the first op's result straight to the second, in
///   rs2 for a register-register second op and rs1 for an immediate op or a branch; the decoder
///   uses it only when the second op reads the first's rd there (after swapping the sources of a
///   commutative second op);
/// - a *sequential* pair (`first_then_second`) runs the two one after the other, whatever
///   registers they name;
/// - a *memory* pair (`first_then_second`, a load or store on either side) runs each half as its
///   plain case; the decoder forms these in a second pass from ops left single by the first, so
///   they never displace an ALU pair (memory pairs taking first pick made crc32 13% slower).
public enum Superinstructions {
    public static let dependent: [(String, String)] = [
        ("slli", "add"), ("srli", "add"), ("slli", "xor"), ("slliw", "xor"), ("srliw", "xor"),
        ("slli", "or"), ("srliw", "or"), ("mul", "add"), ("add", "add"), ("and", "xor"),
        ("sltu", "and"), ("addw", "add"), ("xor", "srliw"), ("xor", "slli"), ("xor", "slliw"),
        ("xor", "andi"), ("andi", "slli"), ("slli", "srli"),
        ("addi", "bne"), ("addi", "beq"), ("addiw", "bgeu"), ("addiw", "bltu"),
    ]

    public static let sequential: [(String, String)] = [
        ("add", "add"), ("addi", "addi"), ("srliw", "slli"), ("slli", "srliw"), ("or", "slli"),
        ("xor", "xor"), ("slli", "or"), ("srliw", "or"), ("addiw", "add"), ("add", "sltu"),
        ("sltu", "sltu"), ("add", "bltu"), ("add", "bne"), ("slli", "slli"), ("addi", "slli"),
        ("addi", "add"), ("xor", "add"), ("srli", "slli"), ("xor", "and"), ("srliw", "addi"),
        ("addi", "xor"), ("xor", "bne"), ("addi", "bne"),
    ]

    public static let memory: [(String, String)] = [
        ("lw", "lw"), ("lhu", "lhu"), ("sw", "addi"), ("sb", "addi"), ("lw", "srliw"), ("lbu", "xor"),
        ("lw", "add"), ("lw", "slli"), ("ld", "addiw"), ("ld", "addi"), ("add", "sw"), ("add", "lw"),
        ("add", "lwu"), ("sd", "add"),
    ]
}
