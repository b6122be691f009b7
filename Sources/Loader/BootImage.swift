/// A boot image as QEMU's `-bios` and `-kernel` accept it: an ELF executable or a flat binary.
///
/// QEMU decides by trying ELF first and falling back to raw. We decide by the magic number
/// instead, so a damaged ELF file is reported as damaged rather than silently executed as
/// raw bytes, and an ELF for another architecture is refused rather than loaded as data.
public enum BootImage: Sendable {
    /// An ELF executable, loaded segment by segment at its physical addresses.
    case elf(ELFImage)
    /// A flat binary, loaded as one block at an address the boot plan chooses.
    case raw([UInt8])

    /// `IH_MAGIC` of a legacy U-Boot image header (u-boot `include/image.h`), stored big-endian.
    static let uImageMagic: [UInt8] = [0x27, 0x05, 0x19, 0x56]

    /// Classifies and validates `bytes`.
    ///
    /// - Parameter machine: the architecture an ELF image must be built for.
    public static func identify(_ bytes: [UInt8], machine: ELFMachine = .riscv) throws(ImageError) -> BootImage {
        guard !bytes.isEmpty else { throw .empty }
        if ELFImage.hasMagic(bytes) { return .elf(try ELFImage(bytes: bytes, expecting: machine)) }
        if bytes.count >= 4, Array(bytes[0 ..< 4]) == uImageMagic {
            throw .unsupportedFormat("U-Boot legacy uImage")
        }
        return .raw(bytes)
    }

    /// Size in bytes of the file the image came from (for messages).
    public var fileSize: Int {
        switch self {
        case .elf(let e): return e.fileSize
        case .raw(let b): return b.count
        }
    }
}
