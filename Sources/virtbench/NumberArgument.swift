import ArgumentParser

/// Whole-number options read with their rule in the message. Left to ArgumentParser, `-5` is
/// taken for an option name ("Missing value") and `abc` is only "invalid"; these options parse
/// their value unconditionally and say what a valid one is (ArgumentParser's line names the
/// option and the value: "The value '-5' is invalid for '--max-insns <n>': the instruction
/// limit must be a whole number of at least 1").
enum NumberArgument {
    /// A count of at least `minimum` (underscores allowed as digit separators: 1_000_000).
    static func count(_ what: String, minimum: UInt64 = 1) -> @Sendable (String) throws -> UInt64 {
        { text in
            guard let value = UInt64(text.filter { $0 != "_" }), value >= minimum else {
                throw ValidationError("\(what) must be a whole number of at least \(minimum)")
            }
            return value
        }
    }

    /// A count that fits an `Int` (rounds, jobs).
    static func smallCount(_ what: String, minimum: Int = 1) -> @Sendable (String) throws -> Int {
        { text in
            guard let value = Int(text.filter { $0 != "_" }), value >= minimum else {
                throw ValidationError("\(what) must be a whole number of at least \(minimum)")
            }
            return value
        }
    }
}
