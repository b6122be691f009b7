import Testing
@testable import RISCV

/// Encodings checked against the unprivileged spec's instruction listings (bits assembled by
/// hand from the field layouts of §2.3 and the RVC tables).
@Suite struct DecoderTests {
    @Test func decodesBaseFormats() {
        // addi a0, a1, -1
        let addi = Decoder.decode(0xfff5_8513)
        #expect(addi.op == .addi && addi.rd == 10 && addi.rs1 == 11 && addi.imm == -1)
        // sd ra, 8(sp)
        let sd = Decoder.decode(0x0011_3423)
        #expect(sd.op == .sd && sd.rs1 == 2 && sd.rs2 == 1 && sd.imm == 8)
        // beq a0, a1, -4
        let beq = Decoder.decode(0xfeb5_0ee3)
        #expect(beq.op == .beq && beq.imm == -4)
        // jal ra, 2048
        let jal = Decoder.decode(0x0010_00ef)
        #expect(jal.op == .jal && jal.rd == 1 && jal.imm == 2048)
        // lui a0, 0x80000 sign-extends
        let lui = Decoder.decode(0x8000_0537)
        #expect(lui.op == .lui && lui.imm == Int32(bitPattern: 0x8000_0000))
        // srai a0, a0, 63
        let srai = Decoder.decode(0x43f5_5513)
        #expect(srai.op == .srai && srai.imm == 63)
    }

    @Test func writesToX0GoToTheDiscardSlot() {
        // addi x0, x0, 0 (nop)
        #expect(Decoder.decode(0x0000_0013).rd == Instruction.discard)
        // fadd.s f0, f1, f2 keeps f0: f registers have no zero register.
        #expect(Decoder.decode(0x0020_8053).rd == 0)
    }

    @Test func expandsCompressedInstructions() {
        // c.addi a0, -1 → addi a0, a0, -1
        let addi = Decoder.decode(0x157d)
        #expect(addi.op == .addi && addi.rd == 10 && addi.rs1 == 10 && addi.imm == -1 && addi.length == 2)
        // c.ldsp ra, 8(sp)
        let ldsp = Decoder.decode(0x60a2)
        #expect(ldsp.op == .ld && ldsp.rd == 1 && ldsp.rs1 == 2 && ldsp.imm == 8)
        // c.jr ra → jalr x0, 0(ra)
        let jr = Decoder.decode(0x8082)
        #expect(jr.op == .jalr && jr.rd == Instruction.discard && jr.rs1 == 1)
    }

    @Test func reservedEncodingsAreIllegal() {
        #expect(Decoder.decode(0x0000).op == .illegal)          // all zeros
        #expect(Decoder.decode(0x6501).op == .illegal)          // c.lui with nzimm = 0
        #expect(Decoder.decode(0xffff_ffff).op == .illegal)
        #expect(Decoder.decode(0x0000_005b).op == .illegal)     // reserved major opcode
    }

    @Test func everyOpHasAnEncodingAndAName() {
        let encoded = Set(EncodingTable.encodings.map(\.op))
        for op in Op.allCases where op != .illegal && !op.isEngineInternal {
            #expect(encoded.contains(op), "\(op) has no encoding")
        }
        #expect(Disassembler.text(Decoder.decode(0xfff5_8513), pc: 0) == "addi a0, a1, -1")
    }
}
