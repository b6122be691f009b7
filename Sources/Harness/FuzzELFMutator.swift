import Devices

/// Mutates a valid ELF64 guest image where loaders go wrong: header and program-header fields
/// set to edge values (0, 1, all ones, 2^63, a page below 2^64, just past guest RAM, huge
/// sizes, another segment's address), then byte flips, truncation and trailing garbage.
/// The result is a pure function of the input, the RAM size and the random source.
public struct FuzzELFMutator: Sendable {
    /// Guest RAM the image will be loaded into: "just past RAM" is relative to it.
    public let memorySize: UInt64

    public init(memorySize: UInt64) { self.memorySize = memorySize }

    /// 1–3 mutations of `elf`, and one note per mutation.
    public func mutate(_ elf: [UInt8], seed: UInt64) -> (bytes: [UInt8], notes: [String]) {
        var rng = SplitMix64(seed: seed)
        var bytes = elf
        var notes: [String] = []
        for _ in 0 ..< rng.int(in: 1 ... 3) {
            switch rng.int(in: 0 ..< 20) {
            case 0 ..< 6: notes.append(mutateHeader(&bytes, &rng))
            case 6 ..< 14: notes.append(mutateProgramHeader(&bytes, &rng))
            case 14, 15: notes.append(overlapSegments(&bytes, &rng))
            case 16, 17: notes.append(flipBytes(&bytes, &rng))
            case 18:
                guard !bytes.isEmpty else { continue }
                let length = rng.chance(50) ? rng.int(in: 0 ..< min(bytes.count, 200)) : rng.int(in: 0 ..< bytes.count)
                bytes.removeLast(bytes.count - length)
                notes.append("truncated to \(length) bytes")
            default:
                let extra = rng.int(in: 1 ... 4096)
                bytes += (0 ..< extra).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                notes.append("\(extra) bytes of garbage appended")
            }
        }
        return (bytes, notes)
    }

    /// The program headers as the (possibly already mutated) header describes them, limited
    /// to those wholly inside the file.
    func programHeaderOffsets(_ bytes: [UInt8]) -> [Int] {
        guard let offset = FuzzELFWriter.read(bytes, at: FuzzELFWriter.HeaderField.programHeaderOffset.rawValue, width: 8),
              let count = FuzzELFWriter.read(bytes, at: FuzzELFWriter.HeaderField.programHeaderCount.rawValue, width: 2),
              offset < UInt64(bytes.count) else { return [] }
        let size = FuzzELFWriter.programHeaderSize
        return (0 ..< Int(min(count, 64))).map { Int(offset) + $0 * size }.filter { $0 + size <= bytes.count }
    }

    /// Wrapping: a save file's mutated header can claim any memory size at all.
    var ramEnd: UInt64 { VirtMemoryMap.dramBase &+ memorySize }

    /// Edge values for an address field.
    func addressValues(original: UInt64) -> [UInt64] {
        [0, 1, .max, 1 << 63, (1 << 63) - 1, 0xffff_ffff_ffff_f000, 0xffff_ffff_ffff_fff0, 0xffff_ffff_ffff_fff8,
         0xffff_ffff_8000_0000, 0x7fff_ffff, VirtMemoryMap.dramBase - 0x1000, VirtMemoryMap.dramBase, 0x8020_0000, 0x8040_0000,
         ramEnd, ramEnd &- 0x10, ramEnd &- 1, ramEnd &- 0x1000, ramEnd &+ 0x1000, VirtMemoryMap.uart0.base, VirtMemoryMap.test.base,
         original &+ 1, original &- 1, original &+ 0x1000, original &- 0x1000, original &+ memorySize]
    }

    /// Edge values for a size or file-offset field.
    func sizeValues(original: UInt64, fileSize: Int) -> [UInt64] {
        let size = UInt64(fileSize)
        return [0, 1, .max, 1 << 63, 0xffff_ffff_ffff_f000, 0xffff_ffff_ffff_fff0, size, size + 1, size &- 1, 1 << 32, 1 << 40,
                0x7fff_ffff, 0xffff_ffff, memorySize, memorySize &+ 0x1000, memorySize &* 2,
                original &+ 1, original &- 1, original &* 2, original &+ 0x1000, original &- 0x1000]
    }

    /// Values a page or less below 2^64 (or at 2^63): where `address + size` wraps.
    static let nearTop: [UInt64] = [0xffff_ffff_ffff_f000, 0xffff_ffff_ffff_fff0, 0xffff_ffff_ffff_fff8, .max, 1 << 63, 0xffff_ffff_8000_0000]

    func value(for values: [UInt64], _ rng: inout SplitMix64) -> UInt64 {
        switch rng.int(in: 0 ..< 20) {
        case 0 ..< 6: return rng.element(of: Self.nearTop)
        case 6 ..< 18: return rng.element(of: values)
        default: return rng.next()
        }
    }

    func mutateHeader(_ bytes: inout [UInt8], _ rng: inout SplitMix64) -> String {
        typealias Field = FuzzELFWriter.HeaderField
        // The entry point is what issue 15's loader crash was about: picked most often.
        let field: Field = rng.chance(50) ? .entry : rng.element(of: Field.allCases)
        let original = FuzzELFWriter.read(bytes, at: field.rawValue, width: field.width) ?? 0
        var value: UInt64
        switch field {
        case .entry: value = self.value(for: addressValues(original: original), &rng)
        case .programHeaderOffset, .sectionHeaderOffset: value = self.value(for: sizeValues(original: original, fileSize: bytes.count), &rng)
        case .version, .flags: value = rng.element(of: [0, 2, 0xffff_ffff, rng.next()])
        default: value = rng.element(of: [0, 1, 2, 0xffff, 0x7fff, original &+ 1, original &- 1, 32, 55, 56, 57, 64, 243, 3, rng.next() & 0xffff])
        }
        value = Self.changed(value, from: original, width: field.width)
        FuzzELFWriter.write(value, into: &bytes, at: field.rawValue, width: field.width)
        return "ELF header \(field) = 0x\(String(value, radix: 16))"
    }

    func mutateProgramHeader(_ bytes: inout [UInt8], _ rng: inout SplitMix64) -> String {
        typealias Field = FuzzELFWriter.ProgramHeaderField
        let headers = programHeaderOffsets(bytes)
        guard !headers.isEmpty else { return mutateHeader(&bytes, &rng) }
        let index = rng.int(in: 0 ..< headers.count)
        let field = rng.element(of: Field.allCases)
        let offset = headers[index] + field.rawValue
        let original = FuzzELFWriter.read(bytes, at: offset, width: field.width) ?? 0
        var value: UInt64
        switch field {
        case .type: value = rng.element(of: [0, 1, 2, 3, 4, 6, 7, 0x6474_e551, 0x7000_0003, 0xffff_ffff, rng.next() & 0xffff_ffff])
        case .flags: value = rng.chance(70) ? UInt64(rng.int(in: 0 ... 7)) : rng.next() & 0xffff_ffff
        case .virtualAddress, .physicalAddress: value = self.value(for: addressValues(original: original), &rng)
        case .offset, .fileSize, .memorySize, .alignment: value = self.value(for: sizeValues(original: original, fileSize: bytes.count), &rng)
        }
        value = Self.changed(value, from: original, width: field.width)
        FuzzELFWriter.write(value, into: &bytes, at: offset, width: field.width)
        return "program header \(index) \(field) = 0x\(String(value, radix: 16))"
    }

    /// `value` cut to the field's width, or the original with every bit flipped when the pick
    /// happens to be what the field already holds: a mutation always mutates.
    static func changed(_ value: UInt64, from original: UInt64, width: Int) -> UInt64 {
        let mask: UInt64 = width == 8 ? .max : (1 << UInt64(width * 8)) - 1
        return value & mask == original & mask ? ~original & mask : value & mask
    }

    /// Two segments at the same or nearly the same physical address.
    func overlapSegments(_ bytes: inout [UInt8], _ rng: inout SplitMix64) -> String {
        let headers = programHeaderOffsets(bytes)
        guard headers.count >= 2 else { return mutateProgramHeader(&bytes, &rng) }
        let source = rng.int(in: 0 ..< headers.count)
        var destination = rng.int(in: 0 ..< headers.count)
        if destination == source { destination = (source + 1) % headers.count }
        let address = FuzzELFWriter.ProgramHeaderField.physicalAddress.rawValue
        let shared = FuzzELFWriter.read(bytes, at: headers[source] + address, width: 8) ?? 0
        var moved = shared &+ UInt64(rng.int(in: 0 ... 3)) * 8
        if moved == FuzzELFWriter.read(bytes, at: headers[destination] + address, width: 8) { moved &+= 8 }
        FuzzELFWriter.write(moved, into: &bytes, at: headers[destination] + address, width: 8)
        return "program header \(destination) moved onto segment \(source) (paddr 0x\(String(moved, radix: 16)))"
    }

    func flipBytes(_ bytes: inout [UInt8], _ rng: inout SplitMix64) -> String {
        guard !bytes.isEmpty else { return "no bytes to flip" }
        let count = rng.int(in: 1 ... 16)
        // Half of the flips land in the headers, where they matter most.
        let headerEnd = min(bytes.count, FuzzELFWriter.headerSize + 4 * FuzzELFWriter.programHeaderSize)
        for _ in 0 ..< count {
            let offset = rng.chance(50) ? rng.int(in: 0 ..< headerEnd) : rng.int(in: 0 ..< bytes.count)
            bytes[offset] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
        }
        return "\(count) bytes flipped"
    }
}
