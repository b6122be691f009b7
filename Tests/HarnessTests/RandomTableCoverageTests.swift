import RISCV
import Testing
@testable import DifferentialTesting
@testable import Harness

/// The random generator's table (assembler operands) and the decoder's table (encodings) describe
/// the same ISA from two sides; this keeps them in step, so a new instruction in one cannot go
/// untested or undecoded without a failing test.
@Suite struct RandomTableCoverageTests {
    /// Instructions the generator leaves out on purpose (see RandomInstructionTable's comment):
    /// they trap, wait, or read counters that differ between machines. The H extension's
    /// instructions need a hypervisor's set-up around them: Corpus/hext tests them.
    static let deliberatelyUngenerated: Set<String> = [
        "ecall", "ebreak", "wfi", "mret", "sret", "sfence.vma",
        "hfence.vvma", "hfence.gvma", "hlv.b", "hlv.bu", "hlv.h", "hlv.hu", "hlvx.hu", "hlv.w", "hlv.wu", "hlvx.wu",
        "hlv.d", "hsv.b", "hsv.h", "hsv.w", "hsv.d",
    ]

    /// The manual's name for a generated row: the first word, without AMO ordering suffixes,
    /// with assembler pseudo-instructions replaced by the instruction they stand for.
    static func baseName(_ mnemonic: String) -> String {
        var name = String(mnemonic.split(separator: " ").first ?? "")
        for suffix in [".aqrl", ".aq", ".rl"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        return ["csrr": "csrrs"][name] ?? name
    }

    @Test func everyGeneratedBaseMnemonicIsInTheEncodingTable() {
        let encoded = Set(EncodingTable.encodings.map(\.name))
        let missing = Set(RandomInstructionTable.all.map { Self.baseName($0.mnemonic) })
            .filter { !$0.hasPrefix("c.") && !encoded.contains($0) }
        #expect(missing.isEmpty, "generated but not in the encoding table: \(missing.sorted())")
    }

    @Test func everyEncodedInstructionIsGenerated() {
        let generated = Set(RandomInstructionTable.all.map { Self.baseName($0.mnemonic) })
        let missing = EncodingTable.encodings.map(\.name)
            .filter { !Self.deliberatelyUngenerated.contains($0) && !generated.contains($0) }
        #expect(missing.isEmpty, "decoded but never generated: \(missing)")
    }
}
