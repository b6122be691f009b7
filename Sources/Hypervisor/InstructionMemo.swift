import RISCV

/// Decoded instructions by their encoding, direct-mapped. An exit path that decodes what the
/// guest trapped on (a full-virtualization host emulating csrrw, sret, sfence.vma) meets the
/// same few dozen encodings of the guest kernel again and again, and decoding one costs more
/// than the rest of emulating a CSR access. Decoding is a function of the bits, so an entry
/// never goes stale.
struct InstructionMemo {
    static let size = 256
    private struct Entry {
        var encoding: UInt32
        var instruction: Instruction
    }
    private var entries = [Entry](repeating: Entry(encoding: 0, instruction: Decoder.decode(0)), count: size)

    mutating func decode(_ bits: UInt32) -> Instruction {
        // Fibonacci hashing: the top 8 bits of the product depend on every bit of the encoding
        // (a kernel's CSR accesses differ only in rd, rs1 and the CSR number).
        let index = Int((bits &* 0x9E37_79B1) >> 24)
        if entries[index].encoding == bits { return entries[index].instruction }
        let instruction = Decoder.decode(bits)
        entries[index] = Entry(encoding: bits, instruction: instruction)
        return instruction
    }
}
