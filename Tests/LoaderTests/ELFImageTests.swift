import Testing
@testable import Loader

#if canImport(Glibc)
import Glibc
import TestSupport
#endif

@Suite struct ELFImageTests {
    @Test func parsesValidELF64() throws {
        var b = simpleELF64(memsz: 0x100)
        b.entry = 0x8000_0004
        let image = try ELFImage(bytes: b.build().bytes, expecting: .riscv)
        #expect(image.elfClass == .elf64)
        #expect(image.entry == 0x8000_0004)
        #expect(image.segments.count == 1)
        #expect(image.segments[0].physicalAddress == 0x8000_0000)
        #expect(Array(image.segments[0].fileBytes) == [0x13, 0, 0, 0, 0x6f, 0, 0, 0])
        #expect(image.segments[0].memorySize == 0x100)
        #expect(image.highestPhysicalAddress == 0x8000_0100)
    }

    @Test func parsesELF32ForARMAndRISCV() throws {
        var b = ELFBuilder()
        b.is64 = false
        b.machine = 40
        b.entry = 0x101
        b.segments = [.init(paddr: 0x0, vaddr: 0x0, data: [1, 2, 3, 4]), .init(paddr: 0x2000_0000, vaddr: 0x2000_0000, data: [], memsz: 0x400)]
        let arm = try ELFImage(bytes: b.build().bytes, expecting: .arm)
        #expect(arm.elfClass == .elf32)
        #expect(arm.machine == .arm)
        #expect(arm.entry == 0x101)
        #expect(arm.segments.map(\.physicalAddress) == [0, 0x2000_0000])
        #expect(arm.segments[1].fileBytes.isEmpty)
        b.machine = 243
        #expect(try ELFImage(bytes: b.build().bytes, expecting: .riscv).elfClass == .elf32)
    }

    @Test func paddrAndVaddrAreKeptApart() throws {
        var b = ELFBuilder()
        b.segments = [.init(paddr: 0x8020_0000, vaddr: 0xffff_ffff_8000_0000, data: [0xaa])]
        let s = try ELFImage(bytes: b.build().bytes, expecting: .riscv).segments[0]
        #expect(s.physicalAddress == 0x8020_0000)
        #expect(s.virtualAddress == 0xffff_ffff_8000_0000)
    }

    @Test func skipsNonLoadAndEmptySegments() throws {
        var b = simpleELF64()
        b.segments.insert(.init(type: 4, paddr: 0, vaddr: 0, data: [9, 9]), at: 0) // PT_NOTE
        b.segments.append(.init(paddr: 0x9000_0000, vaddr: 0x9000_0000, data: [], memsz: 0))
        let image = try ELFImage(bytes: b.build().bytes, expecting: .riscv)
        #expect(image.segments.map(\.index) == [1])
    }

    @Test func emptyAndShortFiles() {
        #expect(throws: ImageError.empty) { try ELFImage(bytes: [], expecting: .riscv) }
        #expect(throws: ImageError.tooShort(size: 4, needed: 16)) { try ELFImage(bytes: [0x7f, 0x45, 0x4c, 0x46], expecting: .riscv) }
        let header = Array(simpleELF64().build().bytes.prefix(40))
        #expect(throws: ImageError.tooShort(size: 40, needed: 64)) { try ELFImage(bytes: header, expecting: .riscv) }
    }

    @Test func badMagicClassEndiannessVersion() {
        let good = simpleELF64().build().bytes
        var bytes = good
        bytes[1] = 0x46
        #expect(throws: ImageError.badMagic) { try ELFImage(bytes: bytes, expecting: .riscv) }
        bytes = good; bytes[4] = 3
        #expect(throws: ImageError.unsupportedClass(3)) { try ELFImage(bytes: bytes, expecting: .riscv) }
        bytes = good; bytes[5] = 2
        #expect(throws: ImageError.unsupportedEndianness(2)) { try ELFImage(bytes: bytes, expecting: .riscv) }
        bytes = good; bytes[6] = 0
        #expect(throws: ImageError.unsupportedVersion(0)) { try ELFImage(bytes: bytes, expecting: .riscv) }
        bytes = good; patch(&bytes, at: 20, width: 4, 7)
        #expect(throws: ImageError.unsupportedVersion(7)) { try ELFImage(bytes: bytes, expecting: .riscv) }
    }

    @Test func wrongMachineAndType() {
        var b = simpleELF64()
        b.machine = 62
        #expect(throws: ImageError.wrongMachine(found: 62, expected: .riscv)) { try ELFImage(bytes: b.build().bytes, expecting: .riscv) }
        #expect(ImageError.wrongMachine(found: 62, expected: .riscv).description.contains("x86-64"))
        b.machine = 243
        #expect(throws: ImageError.wrongMachine(found: 243, expected: .arm)) { try ELFImage(bytes: b.build().bytes, expecting: .arm) }
        b.machine = 40 // a 64-bit ARM-numbered file is not an ARMv6-M image
        #expect(throws: ImageError.unsupportedClass(2)) { try ELFImage(bytes: b.build().bytes, expecting: .arm) }
        b.machine = 243
        b.type = 1 // ET_REL
        #expect(throws: ImageError.notExecutable(type: 1)) { try ELFImage(bytes: b.build().bytes, expecting: .riscv) }
    }

    @Test func programHeaderTableProblems() {
        let (good, layout) = simpleELF64().build()
        var bytes = good
        patch(&bytes, at: 32, width: 8, UInt64(good.count - 10)) // e_phoff near the end
        #expect(throws: ImageError.programHeadersOutOfBounds(offset: UInt64(good.count - 10), size: 56, fileSize: good.count)) {
            try ELFImage(bytes: bytes, expecting: .riscv)
        }
        bytes = good; patch(&bytes, at: 32, width: 8, UInt64.max - 8) // offset + size overflows
        #expect(throws: ImageError.programHeadersOutOfBounds(offset: UInt64.max - 8, size: 56, fileSize: good.count)) {
            try ELFImage(bytes: bytes, expecting: .riscv)
        }
        bytes = good; patch(&bytes, at: 54, width: 2, 20) // e_phentsize too small
        #expect(throws: ImageError.self) { try ELFImage(bytes: bytes, expecting: .riscv) }
        bytes = good; patch(&bytes, at: 56, width: 2, 0xffff)
        #expect(throws: ImageError.self) { try ELFImage(bytes: bytes, expecting: .riscv) }
        bytes = good; patch(&bytes, at: 56, width: 2, 0)
        #expect(throws: ImageError.noLoadableSegments) { try ELFImage(bytes: bytes, expecting: .riscv) }
        bytes = good; patch(&bytes, at: 56, width: 2, 500) // more headers than the file holds
        #expect(throws: ImageError.programHeadersOutOfBounds(offset: UInt64(layout.programHeaderOffset), size: 500 * 56, fileSize: good.count)) {
            try ELFImage(bytes: bytes, expecting: .riscv)
        }
        // Every truncation of a valid file fails cleanly.
        for n in 0 ..< good.count {
            #expect(throws: ImageError.self) { try ELFImage(bytes: Array(good.prefix(n)), expecting: .riscv) }
        }
    }

    @Test func segmentProblems() {
        let (good, layout) = simpleELF64().build()
        let ph = layout.programHeaderOffset
        var bytes = good
        patch(&bytes, at: ph + 8, width: 8, UInt64(good.count - 2)) // p_offset: data runs past EOF
        #expect(throws: ImageError.segmentOutOfBounds(index: 0, offset: UInt64(good.count - 2), size: 8, fileSize: good.count)) {
            try ELFImage(bytes: bytes, expecting: .riscv)
        }
        bytes = good; patch(&bytes, at: ph + 32, width: 8, 1 << 40); patch(&bytes, at: ph + 40, width: 8, 1 << 40)
        #expect(throws: ImageError.segmentOutOfBounds(index: 0, offset: UInt64(layout.segmentDataOffsets[0]), size: 1 << 40, fileSize: good.count)) {
            try ELFImage(bytes: bytes, expecting: .riscv)
        }
        bytes = good; patch(&bytes, at: ph + 40, width: 8, 4) // p_memsz < p_filesz
        #expect(throws: ImageError.segmentFileSizeExceedsMemorySize(index: 0, fileSize: 8, memorySize: 4)) {
            try ELFImage(bytes: bytes, expecting: .riscv)
        }
        bytes = good; patch(&bytes, at: ph + 24, width: 8, UInt64.max - 3) // paddr + memsz wraps
        #expect(throws: ImageError.addressOverflow(index: 0, address: UInt64.max - 3, size: 8)) {
            try ELFImage(bytes: bytes, expecting: .riscv)
        }
        bytes = good; patch(&bytes, at: ph + 16, width: 8, UInt64.max) // vaddr + memsz wraps
        #expect(throws: ImageError.addressOverflow(index: 0, address: UInt64.max, size: 8)) {
            try ELFImage(bytes: bytes, expecting: .riscv)
        }
    }

    @Test func elf32AddressesWrapAtFourGiB() {
        var b = ELFBuilder()
        b.is64 = false
        b.segments = [.init(paddr: 0xffff_fff0, vaddr: 0xffff_fff0, data: [], memsz: 0x20)]
        #expect(throws: ImageError.addressOverflow(index: 0, address: 0xffff_fff0, size: 0x20)) {
            try ELFImage(bytes: b.build().bytes, expecting: .riscv)
        }
    }

    @Test func symbolLookup() throws {
        var b = simpleELF64()
        b.symbols = [.init(name: "_start", value: 0x8000_0000), .init(name: "tohost", value: 0x8000_1000), .init(name: "to", value: 7)]
        let image = try ELFImage(bytes: b.build().bytes, expecting: .riscv)
        #expect(try image.symbol(named: "tohost") == 0x8000_1000)
        #expect(try image.symbol(named: "to") == 7)
        #expect(try image.symbol(named: "tohos") == nil)
        #expect(try image.symbol(named: "missing") == nil)

        var b32 = b
        b32.is64 = false
        b32.symbols = [.init(name: "tohost", value: 0x2000_0040)]
        #expect(try ELFImage(bytes: b32.build().bytes, expecting: .riscv).symbol(named: "tohost") == 0x2000_0040)

        // Stripped: no section headers at all.
        #expect(try ELFImage(bytes: simpleELF64().build().bytes, expecting: .riscv).symbol(named: "tohost") == nil)

        // Section headers pointing past the end of the file are reported when symbols are asked for.
        var (bytes, _) = b.build()
        patch(&bytes, at: 40, width: 8, UInt64(bytes.count))
        let broken = try ELFImage(bytes: bytes, expecting: .riscv)
        #expect(throws: ImageError.self) { try broken.symbol(named: "tohost") }
    }

    @Test func bootImageClassification() throws {
        guard case .raw(let raw) = try BootImage.identify([1, 2, 3]) else { Issue.record("expected raw"); return }
        #expect(raw == [1, 2, 3])
        guard case .elf = try BootImage.identify(simpleELF64().build().bytes) else { Issue.record("expected ELF"); return }
        #expect(throws: ImageError.empty) { try BootImage.identify([]) }
        #expect(throws: ImageError.unsupportedFormat("U-Boot legacy uImage")) { try BootImage.identify([0x27, 0x05, 0x19, 0x56, 0, 0]) }
        // A damaged ELF is reported, not run as raw bytes.
        #expect(throws: ImageError.tooShort(size: 20, needed: 64)) { try BootImage.identify(Array(simpleELF64().build().bytes.prefix(20))) }
    }

    @Test func descriptionsAreOneLine() {
        let errors: [ImageError] = [.empty, .tooShort(size: 1, needed: 16), .badMagic, .unsupportedClass(9),
                                    .unsupportedEndianness(2), .unsupportedVersion(3), .notExecutable(type: 3),
                                    .wrongMachine(found: 183, expected: .riscv), .malformedHeader("x"),
                                    .programHeadersOutOfBounds(offset: 1, size: 2, fileSize: 3),
                                    .segmentOutOfBounds(index: 0, offset: 1, size: 2, fileSize: 3),
                                    .segmentFileSizeExceedsMemorySize(index: 0, fileSize: 2, memorySize: 1),
                                    .addressOverflow(index: 0, address: 1, size: 2), .noLoadableSegments,
                                    .sectionHeadersOutOfBounds(offset: 1, size: 2, fileSize: 3), .unsupportedFormat("x")]
        for e in errors {
            #expect(!e.description.isEmpty && !e.description.contains("\n"))
        }
    }

    /// A real image built by someone else: OpenSBI's fw_dynamic.elf from the Debian package.
    @Test(.requires(.openSBIDynamicELF)) func parsesInstalledOpenSBI() throws {
        let path = try #require(Tool.openSBIDynamicELF.path)
        let bytes = try readTestFile(path)
        let image = try ELFImage(bytes: bytes, expecting: .riscv)
        #expect(image.entry == 0x8000_0000)
        #expect(image.lowestPhysicalAddress == 0x8000_0000)
        #expect(image.segments.allSatisfy { $0.fileBytes.count <= Int($0.memorySize) })
        // Debian strips it: section headers but no SHT_SYMTAB, so no symbol and no error.
        #expect(try image.symbol(named: "_start") == nil)
        #expect(throws: ImageError.wrongMachine(found: 243, expected: .arm)) { try ELFImage(bytes: bytes, expecting: .arm) }
    }
}

struct TestFileError: Error { let path: String }

func readTestFile(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw TestFileError(path: path) }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n <= 0 { break }
        out += buffer[0 ..< n]
    }
    return out
}
