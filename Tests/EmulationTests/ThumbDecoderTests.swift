import Testing
@testable import Emulation

/// The encoding table, decoder and disassembler agree with the ARMv6-M ARM (§A5, §A6.7).
struct ThumbDecoderTests {
    /// Encodings that a more specific, earlier entry shadows for some operand values (MOVS Rd, Rm
    /// is LSLS #0; UDF and SVC use the B<cond> condition values 0b1110 and 0b1111).
    static let knownOverlaps: Set<[ThumbInstruction]> = [
        [.movsRegister, .lslsImmediate], [.udf, .bConditional], [.svc, .bConditional],
    ]

    @Test func everyEncodingDecodesToItself() {
        var generator = SystemRandomNumberGenerator()
        for entry in ThumbEncodingTable.all {
            for _ in 0 ..< 64 {
                let free = UInt32.random(in: 0 ... UInt32.max, using: &generator) & ~entry.mask
                var value = entry.match | (entry.length == 2 ? free & 0xFFFF : free)
                if entry.length == 2 { value &= 0xFFFF }
                let first = UInt16(truncatingIfNeeded: entry.length == 4 ? value >> 16 : value)
                let second = UInt16(truncatingIfNeeded: value)
                guard let found = ThumbDecoder.encoding(first: first, second: second) else {
                    Issue.record("\(entry.instruction) 0x\(String(value, radix: 16)) did not decode")
                    continue
                }
                if found.instruction != entry.instruction {
                    #expect(Self.knownOverlaps.contains([found.instruction, entry.instruction]),
                            "\(entry.instruction) 0x\(String(value, radix: 16)) decoded as \(found.instruction)")
                }
            }
        }
    }

    @Test func noTwoNarrowEncodingsOverlapUnlessDocumented() {
        var counts: [ThumbInstruction: Int] = [:]
        for bits in 0 ... 0xFFFF where !ThumbEncodingTable.isWide(UInt16(bits)) {
            let matches = ThumbEncodingTable.narrow.filter { UInt32(bits) & $0.mask == $0.match }.map(\.instruction)
            if matches.count > 1 {
                #expect(matches.count == 2 && Self.knownOverlaps.contains(matches), "0x\(String(bits, radix: 16)): \(matches)")
            }
            if let first = matches.first { counts[first, default: 0] += 1 }
        }
        // Every narrow instruction owns some encodings; ARMv6-M leaves IT (0xBFx1–0xBFxF) and CBZ undefined.
        for entry in ThumbEncodingTable.narrow { #expect(counts[entry.instruction, default: 0] > 0, "\(entry.instruction)") }
        #expect(ThumbDecoder.decode(first: 0xBF08) == nil, "IT does not exist in ARMv6-M")
        #expect(ThumbDecoder.decode(first: 0xB100) == nil, "CBZ does not exist in ARMv6-M")
    }

    @Test(arguments: [
        (UInt16(0x1840), UInt16(0), "adds r0, r0, r1"),
        (0x4008, 0, "ands r0, r1"),
        (0x4240, 0, "rsbs r0, r0, #0"),
        (0xB510, 0, "push {r4, lr}"),
        (0xBD10, 0, "pop {r4, pc}"),
        (0x4770, 0, "bx lr"),
        (0x4685, 0, "mov sp, r0"),
        (0x9A01, 0, "ldr r2, [sp, #4]"),
        (0x8848, 0, "ldrh r0, [r1, #2]"),
        (0xC90C, 0, "ldm r1!, {r2, r3}"),
        (0xC90E, 0, "ldm r1, {r1, r2, r3}"),
        (0xBEAB, 0, "bkpt #171"),
        (0xDF05, 0, "svc #5"),
        (0xB672, 0, "cpsid i"),
        (0xF3EF, 0x8009, "mrs r0, psp"),
        (0xF380, 0x8814, "msr control, r0"),
        (0xF3BF, 0x8F5F, "dmb sy"),
    ])
    func disassembly(first: UInt16, second: UInt16, text: String) {
        #expect(ThumbDisassembler.text(first: first, second: second) == text)
    }

    @Test func branchOffsetsSignExtend() throws {
        // BL with S = 1, J1 = J2 = 1 (I1 = I2 = 1), imm10 = 0x3FF, imm11 = 0x7FE: offset −4.
        let bl = try #require(ThumbDecoder.decode(first: 0xF7FF, second: 0xFFFE))
        #expect(bl.instruction == .bl && bl.branchOffset == -4 && bl.length == 4)
        #expect(ThumbDisassembler.text(bl, address: 0x100) == "bl 0x100")
        // BL forward by 0x123456: S = 0, J1 = J2 = 1.
        let forward = try #require(ThumbDecoder.decode(first: 0xF123, second: 0xFA2B))
        #expect(forward.branchOffset == 0x123456)
        let back = try #require(ThumbDecoder.decode(first: 0xE7FE))
        #expect(back.instruction == .b && back.branchOffset == -4)
        let beq = try #require(ThumbDecoder.decode(first: 0xD0FE))
        #expect(beq.instruction == .bConditional && beq.rn == 0 && beq.branchOffset == -4)
    }

    @Test func undefinedEncodingsDecodeToNil() {
        #expect(ThumbDecoder.decode(first: 0xDE00) != nil, "UDF is an instruction that faults")
        #expect(ThumbDecoder.decode(first: 0xE800, second: 0) == nil, "32-bit space outside BL/MSR/MRS/barriers")
        #expect(ThumbDecoder.decode(first: 0xF3BF, second: 0x8F2F) == nil, "CLREX is not ARMv6-M")
        #expect(ThumbDisassembler.text(first: 0xB100) == ".inst.n 0xb100")
    }
}
