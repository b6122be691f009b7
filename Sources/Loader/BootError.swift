/// Why a machine could not be set up to boot: each case is one line a user can act on.
public enum BootError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Which image an error is about.
    public enum Role: String, Sendable { case firmware, kernel, initrd, deviceTree = "device tree" }

    /// RAM size 0, not a multiple of 4 KiB, or above the 64 GiB the board's RAM window holds.
    case invalidMemorySize(UInt64)
    /// `-m` could not be read as a size.
    case unreadableMemorySize(String)
    /// The image file does not exist.
    case fileNotFound(Role, path: String)
    /// The image file exists but could not be read (a directory, no permission, an I/O error).
    case unreadableFile(Role, path: String, reason: String)
    /// The image file's bytes are malformed or for another machine.
    case image(Role, path: String, ImageError)
    /// A 32-bit ELF was given to the 64-bit board.
    case wrongClass(Role, path: String)
    /// A segment would land (partly) outside RAM.
    case segmentOutsideRAM(Role, path: String, index: Int, start: UInt64, end: UInt64, ramStart: UInt64, ramEnd: UInt64)
    /// A flat binary does not fit between its load address and the end of RAM.
    case imageTooLarge(Role, path: String, address: UInt64, size: UInt64, ramEnd: UInt64)
    /// Two things would be loaded over each other (QEMU refuses this too: "rom: requested regions overlap").
    case overlap(first: String, firstStart: UInt64, firstEnd: UInt64, second: String, secondStart: UInt64, secondEnd: UInt64)
    /// RAM is too small to hold the device tree below the images.
    case deviceTreeDoesNotFit(size: Int, ramStart: UInt64, ramEnd: UInt64)
    /// A guest kernel's ELF entry point lies in no loaded executable segment (`GuestBootPlan`).
    case entryOutsideSegments(path: String, entry: UInt64)
    /// A guest kernel would start at an odd address (RISC-V instructions start on even bytes).
    case misalignedEntry(path: String, entry: UInt64)
    /// `-initrd` without `-kernel` (QEMU: "-initrd only allowed with -kernel option").
    case initrdWithoutKernel
    /// A `-dtb` file that is no device tree, or one QEMU's edits cannot be made to.
    case deviceTreeFile(path: String, reason: String)
    /// `-bios none` and no `-kernel`: the hart would execute zeroed RAM.
    case nothingToRun
    /// `-bios default` and no OpenSBI build was found.
    case defaultFirmwareNotFound(searched: [String])
    /// The boot ROM window (reset vector and fw_dynamic_info) is already taken on the bus.
    case bootROMUnavailable(String)

    public var description: String {
        switch self {
        case .invalidMemorySize(let size):
            return "invalid RAM size \(size) bytes: must be a non-zero multiple of 4 KiB and at most 64 GiB"
        case .unreadableMemorySize(let text):
            return "cannot read RAM size '\(text)' (use e.g. 256M, 1G, or a number of MiB)"
        case .fileNotFound(let role, let path):
            return "\(role.rawValue) '\(path)' not found"
        case .unreadableFile(let role, let path, let reason):
            return "cannot read \(role.rawValue) '\(path)': \(reason)"
        case .image(let role, let path, let error):
            return "\(role.rawValue) '\(path)': \(error)"
        case .wrongClass(let role, let path):
            return "\(role.rawValue) '\(path)': 32-bit ELF cannot boot on the 64-bit virt board"
        case .segmentOutsideRAM(let role, let path, let index, let start, let end, let ramStart, let ramEnd):
            return "\(role.rawValue) '\(path)': segment \(index) at \(hex(start))-\(hex(end)) lies outside RAM \(hex(ramStart))-\(hex(ramEnd))"
        case .imageTooLarge(let role, let path, let address, let size, let ramEnd):
            return "\(role.rawValue) '\(path)': \(size) bytes at \(hex(address)) do not fit in RAM ending at \(hex(ramEnd))"
        case .overlap(let first, let fs, let fe, let second, let ss, let se):
            return "\(first) \(hex(fs))-\(hex(fe)) overlaps \(second) \(hex(ss))-\(hex(se))"
        case .deviceTreeDoesNotFit(let size, let ramStart, let ramEnd):
            return "RAM \(hex(ramStart))-\(hex(ramEnd)) is too small for the \(size)-byte device tree"
        case .entryOutsideSegments(let path, let entry):
            return "kernel '\(path)': entry point \(hex(entry)) lies in no loaded executable segment"
        case .misalignedEntry(let path, let entry):
            return "kernel '\(path)': entry point \(hex(entry)) is odd; RISC-V instructions start on even addresses"
        case .initrdWithoutKernel:
            return "-initrd needs -kernel (the initrd is placed after the kernel, as QEMU does)"
        case .deviceTreeFile(let path, let reason):
            return "device tree '\(path)': \(reason)"
        case .nothingToRun:
            return "nothing to run: -bios none needs -kernel"
        case .defaultFirmwareNotFound(let searched):
            return "default firmware not found (looked for \(searched.joined(separator: ", "))); install opensbi or pass -bios"
        case .bootROMUnavailable(let why):
            return "cannot map the boot ROM: \(why)"
        }
    }
}
