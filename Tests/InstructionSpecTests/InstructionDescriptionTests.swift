import Testing
@testable import InstructionSpec

/// What a description gives beyond the engine: the random tester's operands and the extension
/// lists the device tree and -march are built from.
@Suite struct InstructionDescriptionTests {
    static func described(_ name: String) throws -> InstructionDescription {
        try #require(RV64Instructions.all.first { $0.name == name })
    }

    @Test func randomOperandsFollowTheFormatOfAnALUOp() throws {
        #expect(try Self.described("add").randomOperands == [.destination, .biasedSource, .biasedSource])
        #expect(try Self.described("addi").randomOperands == [.destination, .source, .signedImmediate(bits: 12)])
        #expect(try Self.described("slli").randomOperands == [.destination, .source, .shiftAmount(limit: 64)])
        #expect(try Self.described("sraiw").randomOperands == [.destination, .source, .shiftAmount(limit: 32)])
        // Other shapes need set-up the format cannot tell: their rows are written by hand.
        for name in ["lui", "lw", "sd", "beq", "jalr", "amoadd.w", "fadd.s", "csrrw"] {
            #expect(try Self.described(name).randomOperands == nil, "\(name)")
        }
    }

    @Test func aDescriptionMayOverrideItsRandomOperands() {
        let custom = InstructionDescription("x", "Zx", mask: "rMask", match: "0", format: "r", .registerRegister("a"),
                                            random: [.destination, .source, .source])
        #expect(custom.randomOperands == [.destination, .source, .source])
        #expect(custom.multiLetterExtension == "zx")
    }

    @Test func completeExtensionsAreDescribedAndListedInCanonicalOrder() {
        let table = Table(RV64Instructions.all)
        for name in RV64Instructions.completeExtensions {
            #expect(table.multiLetterExtensions.contains(name.lowercased()), "\(name) is complete but not described")
        }
        // Zi… (category I) before Zb… (category B), alphabetical within a category.
        #expect(Array(table.multiLetterExtensions.prefix(3)) == ["zicsr", "zifencei", "zba"])
        #expect(table.extensions(complete: ["Zba"]).contains("completeMultiLetterExtensions: [String] = [\"zba\"]"))
    }
}
