import Testing
@testable import RISCV

/// `Decoder.fusePairs`: which adjacent pairs become superinstructions, and the operand
/// normalisation the engine relies on (the first op's result in rs2 for register-register
/// second ops, in rs1 for immediate ops and branches).
@Suite struct FusionTests {
    private func fused(_ list: [Instruction]) -> [Instruction] {
        var ops = list
        ops.withUnsafeMutableBufferPointer { Decoder.fusePairs($0) }
        return ops
    }

    @Test func dependentPairFusesAndSecondKeepsItsFields() {
        // slli a3, a2, 13 ; xor a2, a2, a3
        let out = fused([Instruction(op: .slli, rd: 13, rs1: 12, imm: 13, raw: 1),
                         Instruction(op: .xor, rd: 12, rs1: 12, rs2: 13, raw: 2)])
        #expect(out[0].op == .slli_xor && out[0].rd == 13 && out[0].imm == 13 && out[0].raw == 1)
        #expect(out[1].op == .xor && out[1].rs1 == 12 && out[1].rs2 == 13)
    }

    @Test func commutativeSecondOpIsSwappedSoTheResultIsRs2() {
        // slli a3, a2, 2 ; add a4, a3, a5  ->  add a4, a5, a3
        let out = fused([Instruction(op: .slli, rd: 13, rs1: 12, imm: 2, raw: 0),
                         Instruction(op: .add, rd: 14, rs1: 13, rs2: 15, raw: 0)])
        #expect(out[0].op == .slli_add)
        #expect(out[1].rs1 == 15 && out[1].rs2 == 13)
    }

    @Test func independentPairsFuseOnlyAsPlainPairs() {
        // add a0, a1, a2 ; add a3, a4, a5 (no dependency): the re-reading pair, operands untouched.
        let independent = fused([Instruction(op: .add, rd: 10, rs1: 11, rs2: 12, raw: 0),
                                 Instruction(op: .add, rd: 13, rs1: 14, rs2: 15, raw: 0)])
        #expect(independent.map(\.op) == [.add_then_add, .add])
        #expect(independent[1].rs1 == 14 && independent[1].rs2 == 15)
        // slli a3, a2, 1 ; add a4, a5, a6: no dependency and no plain pair for slli+add.
        let unfused = fused([Instruction(op: .slli, rd: 13, rs1: 12, imm: 1, raw: 0),
                             Instruction(op: .add, rd: 14, rs1: 15, rs2: 16, raw: 0)])
        #expect(unfused.map(\.op) == [.slli, .add])
    }

    @Test func discardedResultsDoNotFuse() {
        // addi x0, ... writes the discard slot, which `bne x0, ...` does not read.
        let discarded = fused([Instruction(op: .addi, rd: Instruction.discard, rs1: 10, imm: 1, raw: 0),
                               Instruction(op: .bne, rs1: 0, rs2: 11, raw: 0)])
        // Not the dependent addi_bne: only the pair that re-reads its own operands.
        #expect(discarded.map(\.op) == [.addi_then_bne, .bne])
    }

    @Test func nonCommutativeBranchNeedsTheResultInRs1() {
        // addiw a0, a0, 1 ; bgeu a5, a0  (result in rs2: not fused, order matters)
        let out = fused([Instruction(op: .addiw, rd: 10, rs1: 10, imm: 1, raw: 0),
                         Instruction(op: .bgeu, rs1: 15, rs2: 10, raw: 0)])
        #expect(out.map(\.op) == [.addiw, .bgeu])
        // bne is symmetric, so the same shape fuses with its sources swapped.
        let bne = fused([Instruction(op: .addi, rd: 10, rs1: 10, imm: 1, raw: 0),
                         Instruction(op: .bne, rs1: 15, rs2: 10, raw: 0)])
        #expect(bne[0].op == .addi_bne && bne[1].rs1 == 10 && bne[1].rs2 == 15)
    }

    @Test func pairsDoNotOverlap() {
        // xor, srliw, xor: the first two fuse, the third stays alone.
        let out = fused([Instruction(op: .xor, rd: 12, rs1: 12, rs2: 13, raw: 0),
                         Instruction(op: .srliw, rd: 13, rs1: 12, imm: 17, raw: 0),
                         Instruction(op: .xor, rd: 12, rs1: 12, rs2: 13, raw: 0)])
        #expect(out.map(\.op) == [.xor_srliw, .srliw, .xor])
    }

    @Test func memoryPairsTakeOnlyWhatTheALUPairsLeave() {
        // lw a1, 0(s1) ; lw a5, 0(a3) ; mul a1, a1, a2 ; add a1, a1, a5 ; sw a1, 0(a3) ; addi a3, a3, 4
        // (matmul's inner loop): the loads pair, mul+add fuse, the store pairs with the addi.
        let loop = fused([Instruction(op: .lw, rd: 11, rs1: 9, raw: 0),
                          Instruction(op: .lw, rd: 15, rs1: 13, raw: 0),
                          Instruction(op: .mul, rd: 11, rs1: 11, rs2: 12, raw: 0),
                          Instruction(op: .add, rd: 11, rs1: 11, rs2: 15, raw: 0),
                          Instruction(op: .sw, rs1: 13, rs2: 11, raw: 0),
                          Instruction(op: .addi, rd: 13, rs1: 13, imm: 4, raw: 0)])
        #expect(loop.map(\.op) == [.lw_then_lw, .lw, .mul_add, .add, .sw_then_addi, .addi])
        // add ; add ; lw: the ALU pair keeps its add, so add+lw is not formed across it.
        let kept = fused([Instruction(op: .add, rd: 10, rs1: 11, rs2: 12, raw: 0),
                          Instruction(op: .add, rd: 13, rs1: 14, rs2: 15, raw: 0),
                          Instruction(op: .lw, rd: 16, rs1: 13, raw: 0)])
        #expect(kept.map(\.op) == [.add_then_add, .add, .lw])
    }
}
