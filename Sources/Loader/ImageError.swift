/// Everything that can be wrong with the bytes of an executable image.
///
/// Images come from users and from the corpus build; a malformed one must end a run with a
/// message that says which field is wrong, never with a crash. Offsets and sizes are in bytes
/// of the file; addresses are the image's own (physical or virtual, as named).
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file has no bytes at all.
    case empty
    /// The file ends before the ELF identification and file header are complete.
    case tooShort(size: Int, needed: Int)
    /// The first four bytes are not `0x7f 'E' 'L' 'F'`.
    case badMagic
    /// `EI_CLASS` is neither ELFCLASS32 nor ELFCLASS64, or is not the class the machine uses.
    case unsupportedClass(UInt8)
    /// `EI_DATA` is not little-endian (RISC-V and ARMv6-M images are little-endian).
    case unsupportedEndianness(UInt8)
    /// `EI_VERSION` or `e_version` is not EV_CURRENT.
    case unsupportedVersion(UInt32)
    /// `e_type` is not ET_EXEC: relocatable objects and shared libraries cannot be booted.
    case notExecutable(type: UInt16)
    /// `e_machine` is not the architecture the caller asked for.
    case wrongMachine(found: UInt16, expected: ELFMachine)
    /// A table header field is inconsistent (entry size too small, extended numbering, ...).
    case malformedHeader(String)
    /// The program header table does not lie inside the file.
    case programHeadersOutOfBounds(offset: UInt64, size: UInt64, fileSize: Int)
    /// A loadable segment's file bytes do not lie inside the file.
    case segmentOutOfBounds(index: Int, offset: UInt64, size: UInt64, fileSize: Int)
    /// A segment claims more file bytes than memory bytes.
    case segmentFileSizeExceedsMemorySize(index: Int, fileSize: UInt64, memorySize: UInt64)
    /// A segment's address range wraps past the top of the address space.
    case addressOverflow(index: Int, address: UInt64, size: UInt64)
    /// The image has no PT_LOAD segment with a non-zero size: nothing would be loaded.
    case noLoadableSegments
    /// The section header table or the symbol/string tables it names do not lie inside the file.
    case sectionHeadersOutOfBounds(offset: UInt64, size: UInt64, fileSize: Int)
    /// The file is a format we recognise but do not load (e.g. a U-Boot uImage).
    case unsupportedFormat(String)

    public var description: String {
        switch self {
        case .empty:
            return "file is empty"
        case .tooShort(let size, let needed):
            return "file is too short (\(size) bytes, an ELF header needs \(needed))"
        case .badMagic:
            return "not an ELF file (bad magic number)"
        case .unsupportedClass(let c):
            return "unsupported ELF class \(c) (expected 1 for ELF32 or 2 for ELF64)"
        case .unsupportedEndianness(let d):
            return d == 2 ? "big-endian ELF is not supported (RISC-V and ARMv6-M are little-endian)"
                          : "invalid ELF data encoding \(d)"
        case .unsupportedVersion(let v):
            return "unsupported ELF version \(v)"
        case .notExecutable(let t):
            return "ELF type \(t) is not an executable (ET_EXEC = 2)"
        case .wrongMachine(let found, let expected):
            return "ELF is for \(ELFMachine.name(of: found)), expected \(expected)"
        case .malformedHeader(let what):
            return "malformed ELF header: \(what)"
        case .programHeadersOutOfBounds(let offset, let size, let fileSize):
            return "program headers at offset \(hex(offset)) (\(size) bytes) extend past the end of the \(fileSize)-byte file"
        case .segmentOutOfBounds(let index, let offset, let size, let fileSize):
            return "segment \(index): file bytes at offset \(hex(offset)) (\(size) bytes) extend past the end of the \(fileSize)-byte file"
        case .segmentFileSizeExceedsMemorySize(let index, let fileSize, let memorySize):
            return "segment \(index): file size \(hex(fileSize)) exceeds memory size \(hex(memorySize))"
        case .addressOverflow(let index, let address, let size):
            return "segment \(index): address \(hex(address)) + size \(hex(size)) overflows the address space"
        case .noLoadableSegments:
            return "ELF has no loadable segments"
        case .sectionHeadersOutOfBounds(let offset, let size, let fileSize):
            return "section data at offset \(hex(offset)) (\(size) bytes) extends past the end of the \(fileSize)-byte file"
        case .unsupportedFormat(let what):
            return "\(what) images are not supported"
        }
    }
}

/// Formats an address or size the way the ELF tools and QEMU print them.
func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
