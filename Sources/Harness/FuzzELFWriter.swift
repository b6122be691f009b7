/// Writes the small ELF64 executables the fuzzer hands to `virtbench run` and `virtbench host`:
/// a header, one program header per segment and the segments' bytes, nothing else (System V
/// gABI, "ELF Header" and "Program Header"; RISC-V psABI for e_machine 243).
///
/// It also knows where each header field sits, because the ELF mutator changes fields by name.
enum FuzzELFWriter {
    struct Segment: Equatable {
        var address: UInt64
        var bytes: [UInt8]
        /// Bytes in memory; past `bytes.count` the loader zero-fills (.bss).
        var memorySize: UInt64
        /// PF_R 4, PF_W 2, PF_X 1.
        var flags: UInt32
    }

    static let headerSize = 64
    static let programHeaderSize = 56
    static let machineRISCV: UInt16 = 243
    static let typeExecutable: UInt16 = 2
    static let programTypeLoad: UInt32 = 1

    /// Offsets of the ELF64 header fields.
    enum HeaderField: Int, CaseIterable {
        case type = 16, machine = 18, version = 20, entry = 24, programHeaderOffset = 32, sectionHeaderOffset = 40
        case flags = 48, headerSize = 52, programHeaderEntrySize = 54, programHeaderCount = 56
        case sectionHeaderEntrySize = 58, sectionHeaderCount = 60, sectionNameIndex = 62

        var width: Int {
            switch self {
            case .entry, .programHeaderOffset, .sectionHeaderOffset: return 8
            case .version, .flags: return 4
            default: return 2
            }
        }
    }

    /// Offsets of the ELF64 program header fields, from the start of one entry.
    enum ProgramHeaderField: Int, CaseIterable {
        case type = 0, flags = 4, offset = 8, virtualAddress = 16, physicalAddress = 24, fileSize = 32, memorySize = 40, alignment = 48

        var width: Int { self == .type || self == .flags ? 4 : 8 }
    }

    static func executable(entry: UInt64, segments: [Segment]) -> [UInt8] {
        var out: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        append(typeExecutable, to: &out)
        append(machineRISCV, to: &out)
        append(UInt32(1), to: &out)
        append(entry, to: &out)
        append(UInt64(headerSize), to: &out)          // e_phoff: right after this header
        append(UInt64(0), to: &out)                   // e_shoff: no sections
        append(UInt32(0), to: &out)                   // e_flags
        append(UInt16(headerSize), to: &out)
        append(UInt16(programHeaderSize), to: &out)
        append(UInt16(segments.count), to: &out)
        append(UInt16(64), to: &out)                  // e_shentsize
        append(UInt16(0), to: &out)                   // e_shnum
        append(UInt16(0), to: &out)                   // e_shstrndx
        var dataOffset = headerSize + programHeaderSize * segments.count
        for segment in segments {
            append(programTypeLoad, to: &out)
            append(segment.flags, to: &out)
            append(UInt64(dataOffset), to: &out)
            append(segment.address, to: &out)         // p_vaddr
            append(segment.address, to: &out)         // p_paddr: what the loaders use
            append(UInt64(segment.bytes.count), to: &out)
            append(segment.memorySize, to: &out)
            append(UInt64(0x1000), to: &out)
            dataOffset += segment.bytes.count
        }
        for segment in segments { out += segment.bytes }
        return out
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        for index in 0 ..< T.bitWidth / 8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }

    /// Reads a little-endian field, or nil when it does not lie wholly inside `bytes`.
    static func read(_ bytes: [UInt8], at offset: Int, width: Int) -> UInt64? {
        guard offset >= 0, width <= 8, offset <= bytes.count - width else { return nil }
        var value: UInt64 = 0
        for index in 0 ..< width { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
        return value
    }

    /// Writes the low `width` bytes of `value`, little-endian; nothing when the field is outside `bytes`.
    static func write(_ value: UInt64, into bytes: inout [UInt8], at offset: Int, width: Int) {
        guard offset >= 0, width <= 8, offset <= bytes.count - width else { return }
        for index in 0 ..< width { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
    }
}
