/// The architectures whose images the package loads (ELF `e_machine`, System V gABI).
public enum ELFMachine: UInt16, Sendable, CustomStringConvertible {
    /// ARM (32-bit only): the foreign ISA of the `emulation` mode (ARMv6-M Thumb).
    case arm = 40
    /// RISC-V, ELF32 or ELF64.
    case riscv = 243

    public var description: String {
        switch self {
        case .arm: return "ARM (e_machine 40)"
        case .riscv: return "RISC-V (e_machine 243)"
        }
    }

    /// A readable name for any `e_machine` value, so a wrong image says what it actually is.
    static func name(of machine: UInt16) -> String {
        if let known = ELFMachine(rawValue: machine) { return known.description }
        // A few values users actually hand over by mistake (gABI e_machine table).
        let others: [UInt16: String] = [3: "x86 (e_machine 3)", 62: "x86-64 (e_machine 62)",
                                        183: "AArch64 (e_machine 183)", 8: "MIPS (e_machine 8)",
                                        20: "PowerPC (e_machine 20)", 21: "PowerPC64 (e_machine 21)"]
        return others[machine] ?? "e_machine \(machine)"
    }
}

/// A parsed, validated ELF executable (ELF32 or ELF64, little-endian).
///
/// Parsing checks every offset and size against the file before anything is read, so a
/// malformed file ends in an `ImageError`, never a trap. The loader only needs the entry point
/// and the loadable segments; the symbol table is kept for finding well-known symbols such as
/// `tohost` in test programs.
public struct ELFImage: Sendable {
    /// ELF32 or ELF64.
    public enum Class: Sendable, Equatable { case elf32, elf64 }

    /// One PT_LOAD segment: what to copy where.
    public struct Segment: Sendable, Equatable {
        /// Index in the program header table, for error messages.
        public let index: Int
        /// Where the segment is loaded on a machine without an MMU at boot (QEMU loads by `p_paddr`).
        public let physicalAddress: UInt64
        /// Where the program expects it once translation is on.
        public let virtualAddress: UInt64
        /// Bytes copied from the file (`p_filesz` of them).
        public let fileBytes: ArraySlice<UInt8>
        /// Bytes the segment occupies in memory; the part past `fileBytes` is zero (.bss).
        public let memorySize: UInt64
        /// `p_flags` (PF_X 1, PF_W 2, PF_R 4).
        public let flags: UInt32

        /// `[physicalAddress, physicalAddress + memorySize)`; validated not to overflow.
        public var physicalRange: Range<UInt64> { physicalAddress ..< physicalAddress + memorySize }
    }

    /// `e_entry` as a physical address: inside the executable segment whose virtual range
    /// holds it, moved by that segment's physical − virtual offset. Nil when no loaded
    /// executable segment holds the entry (it would run whatever lies there, or nothing).
    public var physicalEntry: UInt64? {
        let executable: UInt32 = 1 // PF_X
        for segment in segments where segment.flags & executable != 0 {
            let offset = entry &- segment.virtualAddress
            if entry >= segment.virtualAddress && offset < UInt64(segment.fileBytes.count) {
                return segment.physicalAddress &+ offset
            }
        }
        return nil
    }

    public let elfClass: Class
    public let machine: ELFMachine
    /// `e_entry`.
    public let entry: UInt64
    /// PT_LOAD segments with a non-zero memory size, in program-header order.
    public let segments: [Segment]
    private let bytes: [UInt8]
    private let sectionHeaderOffset: UInt64
    private let sectionHeaderEntrySize: Int
    private let sectionHeaderCount: Int

    // System V gABI, "ELF Header" and "Program Header".
    static let magic: [UInt8] = [0x7f, 0x45, 0x4c, 0x46]
    static let identSize = 16
    static let elf32HeaderSize = 52
    static let elf64HeaderSize = 64
    static let elf32ProgramHeaderSize = 32
    static let elf64ProgramHeaderSize = 56
    static let elf32SectionHeaderSize = 40
    static let elf64SectionHeaderSize = 64
    static let classELF32: UInt8 = 1
    static let classELF64: UInt8 = 2
    static let dataLittleEndian: UInt8 = 1
    static let versionCurrent: UInt32 = 1
    static let typeExecutable: UInt16 = 2
    static let programTypeLoad: UInt32 = 1
    /// `e_phnum` value that means "the real count is in section 0" (extended numbering).
    static let extendedNumbering: UInt16 = 0xffff
    static let sectionTypeSymbolTable: UInt32 = 2

    /// True when `bytes` start with the ELF magic number (used to tell ELF from raw images).
    public static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= magic.count && Array(bytes[0 ..< magic.count]) == magic
    }

    /// Parses and validates `bytes` as an executable for `expected`.
    ///
    /// ARM images must be ELF32 (the emulation mode runs ARMv6-M); RISC-V images may be either class
    /// and the caller decides whether the class suits its hart.
    public init(bytes: [UInt8], expecting expected: ELFMachine) throws(ImageError) {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count >= Self.identSize else { throw .tooShort(size: bytes.count, needed: Self.identSize) }
        guard Self.hasMagic(bytes) else { throw .badMagic }
        let cls = bytes[4]
        let elfClass: Class
        switch cls {
        case Self.classELF32: elfClass = .elf32
        case Self.classELF64: elfClass = .elf64
        default: throw .unsupportedClass(cls)
        }
        guard bytes[5] == Self.dataLittleEndian else { throw .unsupportedEndianness(bytes[5]) }
        guard UInt32(bytes[6]) == Self.versionCurrent else { throw .unsupportedVersion(UInt32(bytes[6])) }
        let is64 = elfClass == .elf64
        let headerSize = is64 ? Self.elf64HeaderSize : Self.elf32HeaderSize
        guard bytes.count >= headerSize else { throw .tooShort(size: bytes.count, needed: headerSize) }

        let r = LittleEndianReader(bytes: bytes)
        let type = r.u16(16)
        let machineValue = r.u16(18)
        guard machineValue == expected.rawValue else { throw .wrongMachine(found: machineValue, expected: expected) }
        if expected == .arm && is64 { throw .unsupportedClass(cls) }
        guard type == Self.typeExecutable else { throw .notExecutable(type: type) }
        let version = r.u32(20)
        guard version == Self.versionCurrent else { throw .unsupportedVersion(version) }

        let entry, phoff, shoff: UInt64
        let phentsize, phnum, shentsize, shnum: UInt16
        if is64 {
            entry = r.u64(24); phoff = r.u64(32); shoff = r.u64(40)
            phentsize = r.u16(54); phnum = r.u16(56); shentsize = r.u16(58); shnum = r.u16(60)
        } else {
            entry = UInt64(r.u32(24)); phoff = UInt64(r.u32(28)); shoff = UInt64(r.u32(32))
            phentsize = r.u16(42); phnum = r.u16(44); shentsize = r.u16(46); shnum = r.u16(48)
        }
        let minimumEntry = is64 ? Self.elf64ProgramHeaderSize : Self.elf32ProgramHeaderSize
        guard phnum != Self.extendedNumbering else {
            throw .malformedHeader("extended program header numbering (e_phnum = 0xffff) is not supported")
        }
        guard phnum > 0 else { throw .noLoadableSegments }
        guard Int(phentsize) >= minimumEntry else {
            throw .malformedHeader("program header entry size \(phentsize) is smaller than \(minimumEntry)")
        }
        let tableSize = UInt64(phentsize) * UInt64(phnum)
        guard Self.fits(offset: phoff, size: tableSize, in: bytes.count) else {
            throw .programHeadersOutOfBounds(offset: phoff, size: tableSize, fileSize: bytes.count)
        }

        // ELF32 addresses live in a 32-bit space: a segment that runs past 4 GiB wraps there.
        let addressLimit: UInt64 = is64 ? .max : UInt64(UInt32.max)
        var segments: [Segment] = []
        for index in 0 ..< Int(phnum) {
            let h = Int(phoff) + index * Int(phentsize)
            let pType = r.u32(h)
            guard pType == Self.programTypeLoad else { continue }
            let flags, offset, vaddr, paddr, filesz, memsz: UInt64
            if is64 {
                flags = UInt64(r.u32(h + 4)); offset = r.u64(h + 8); vaddr = r.u64(h + 16)
                paddr = r.u64(h + 24); filesz = r.u64(h + 32); memsz = r.u64(h + 40)
            } else {
                offset = UInt64(r.u32(h + 4)); vaddr = UInt64(r.u32(h + 8)); paddr = UInt64(r.u32(h + 12))
                filesz = UInt64(r.u32(h + 16)); memsz = UInt64(r.u32(h + 20)); flags = UInt64(r.u32(h + 24))
            }
            guard filesz <= memsz else {
                throw .segmentFileSizeExceedsMemorySize(index: index, fileSize: filesz, memorySize: memsz)
            }
            guard Self.fits(offset: offset, size: filesz, in: bytes.count) else {
                throw .segmentOutOfBounds(index: index, offset: offset, size: filesz, fileSize: bytes.count)
            }
            if memsz == 0 { continue }
            // The last byte is address + memsz - 1; it must not pass the top of the space.
            guard memsz - 1 <= addressLimit - paddr else { throw .addressOverflow(index: index, address: paddr, size: memsz) }
            guard memsz - 1 <= addressLimit - vaddr else { throw .addressOverflow(index: index, address: vaddr, size: memsz) }
            // A range ending exactly at 2^64 cannot be expressed as a Range<UInt64>; treat it as overflow.
            guard paddr + (memsz - 1) < UInt64.max else { throw .addressOverflow(index: index, address: paddr, size: memsz) }
            segments.append(Segment(index: index, physicalAddress: paddr, virtualAddress: vaddr,
                                    fileBytes: bytes[Int(offset) ..< Int(offset + filesz)],
                                    memorySize: memsz, flags: UInt32(flags)))
        }
        guard !segments.isEmpty else { throw .noLoadableSegments }

        self.elfClass = elfClass
        self.machine = expected
        self.entry = entry
        self.segments = segments
        self.bytes = bytes
        self.sectionHeaderOffset = shoff
        self.sectionHeaderEntrySize = Int(shentsize)
        self.sectionHeaderCount = Int(shnum)
    }

    /// Size in bytes of the parsed file.
    public var fileSize: Int { bytes.count }

    /// Lowest physical address any segment occupies.
    public var lowestPhysicalAddress: UInt64 { segments.map(\.physicalAddress).min() ?? 0 }
    /// One past the highest physical address any segment occupies (QEMU's "high address").
    public var highestPhysicalAddress: UInt64 { segments.map { $0.physicalRange.upperBound }.max() ?? 0 }

    /// The value of the symbol `name` from the static symbol table (SHT_SYMTAB), or nil when the
    /// image has no such symbol or no symbol table (stripped).
    ///
    /// Section headers are only read here, so a stripped or oddly built image still loads; a
    /// table that points outside the file is reported, not followed.
    public func symbol(named name: String) throws(ImageError) -> UInt64? {
        guard sectionHeaderOffset != 0, sectionHeaderCount > 0 else { return nil }
        let is64 = elfClass == .elf64
        let minimumEntry = is64 ? Self.elf64SectionHeaderSize : Self.elf32SectionHeaderSize
        guard sectionHeaderEntrySize >= minimumEntry else {
            throw .malformedHeader("section header entry size \(sectionHeaderEntrySize) is smaller than \(minimumEntry)")
        }
        let tableSize = UInt64(sectionHeaderEntrySize) * UInt64(sectionHeaderCount)
        guard Self.fits(offset: sectionHeaderOffset, size: tableSize, in: bytes.count) else {
            throw .sectionHeadersOutOfBounds(offset: sectionHeaderOffset, size: tableSize, fileSize: bytes.count)
        }
        let r = LittleEndianReader(bytes: bytes)
        struct Section { var type: UInt32; var offset: UInt64; var size: UInt64; var link: Int; var entrySize: UInt64 }
        func section(_ i: Int) -> Section {
            let h = Int(sectionHeaderOffset) + i * sectionHeaderEntrySize
            if is64 {
                return Section(type: r.u32(h + 4), offset: r.u64(h + 24), size: r.u64(h + 32),
                               link: Int(r.u32(h + 40)), entrySize: r.u64(h + 56))
            }
            return Section(type: r.u32(h + 4), offset: UInt64(r.u32(h + 16)), size: UInt64(r.u32(h + 20)),
                           link: Int(r.u32(h + 24)), entrySize: UInt64(r.u32(h + 36)))
        }
        let wanted = Array(name.utf8)
        let symbolSize = is64 ? 24 : 16
        for i in 0 ..< sectionHeaderCount {
            let table = section(i)
            guard table.type == Self.sectionTypeSymbolTable else { continue }
            guard table.link < sectionHeaderCount else {
                throw .malformedHeader("symbol table \(i) links to missing string table \(table.link)")
            }
            guard table.entrySize >= UInt64(symbolSize) else {
                throw .malformedHeader("symbol table \(i) entry size \(table.entrySize) is smaller than \(symbolSize)")
            }
            let strings = section(table.link)
            guard Self.fits(offset: table.offset, size: table.size, in: bytes.count) else {
                throw .sectionHeadersOutOfBounds(offset: table.offset, size: table.size, fileSize: bytes.count)
            }
            guard Self.fits(offset: strings.offset, size: strings.size, in: bytes.count) else {
                throw .sectionHeadersOutOfBounds(offset: strings.offset, size: strings.size, fileSize: bytes.count)
            }
            let count = Int(table.size / table.entrySize)
            for s in 0 ..< count {
                let e = Int(table.offset) + s * Int(table.entrySize)
                let nameOffset = UInt64(r.u32(e))
                guard nameOffset < strings.size else { continue }
                let start = Int(strings.offset + nameOffset)
                let end = Int(strings.offset + strings.size)
                // Compare in place: the name ends at the first NUL inside the string table.
                var k = 0
                var p = start
                while p < end, bytes[p] != 0, k < wanted.count, bytes[p] == wanted[k] { p += 1; k += 1 }
                guard k == wanted.count, p < end, bytes[p] == 0 else { continue }
                return is64 ? r.u64(e + 8) : UInt64(r.u32(e + 4))
            }
        }
        return nil
    }

    /// True when `[offset, offset + size)` lies inside a file of `count` bytes, without overflow.
    static func fits(offset: UInt64, size: UInt64, in count: Int) -> Bool {
        offset <= UInt64(count) && size <= UInt64(count) - offset
    }
}

/// Little-endian field reads at offsets the caller has already bounds checked.
struct LittleEndianReader {
    let bytes: [UInt8]
    func u16(_ o: Int) -> UInt16 { UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8 }
    func u32(_ o: Int) -> UInt32 { UInt32(u16(o)) | UInt32(u16(o + 2)) << 16 }
    func u64(_ o: Int) -> UInt64 { UInt64(u32(o)) | UInt64(u32(o + 4)) << 32 }
}
