/// Builds small ELF files byte by byte so every malformed case can be produced on purpose.
struct ELFBuilder {
    struct Segment {
        var type: UInt32 = 1 // PT_LOAD
        var flags: UInt32 = 5 // R+X
        var paddr: UInt64
        var vaddr: UInt64
        var data: [UInt8]
        var memsz: UInt64? = nil
    }

    struct Symbol {
        var name: String
        var value: UInt64
    }

    var is64 = true
    var machine: UInt16 = 243
    var type: UInt16 = 2
    var entry: UInt64 = 0x8000_0000
    var segments: [Segment] = []
    var symbols: [Symbol] = []

    /// Offsets of interesting fields in the built file, so tests can corrupt them.
    struct Layout {
        var programHeaderOffset = 0
        var programHeaderSize = 0
        var segmentDataOffsets: [Int] = []
        var sectionHeaderOffset = 0
    }

    func build() -> (bytes: [UInt8], layout: Layout) {
        let ehsize = is64 ? 64 : 52
        let phentsize = is64 ? 56 : 32
        let shentsize = is64 ? 64 : 40
        var layout = Layout()
        layout.programHeaderOffset = ehsize
        layout.programHeaderSize = phentsize
        var dataOffset = ehsize + phentsize * segments.count
        for s in segments {
            layout.segmentDataOffsets.append(dataOffset)
            dataOffset += s.data.count
        }
        // Symbol table and string table, then section headers: null, .symtab, .strtab.
        var strtab: [UInt8] = [0]
        var symtab: [UInt8] = Array(repeating: 0, count: is64 ? 24 : 16) // null symbol
        for sym in symbols {
            let nameOffset = UInt32(strtab.count)
            strtab += Array(sym.name.utf8) + [0]
            if is64 {
                put32(nameOffset, &symtab); symtab += [0x11, 0]; put16(1, &symtab); put64(sym.value, &symtab); put64(0, &symtab)
            } else {
                put32(nameOffset, &symtab); put32(UInt32(sym.value), &symtab); put32(0, &symtab); symtab += [0x11, 0]; put16(1, &symtab)
            }
        }
        let symtabOffset = dataOffset
        let strtabOffset = symtabOffset + symtab.count
        let shoff = symbols.isEmpty ? 0 : strtabOffset + strtab.count
        layout.sectionHeaderOffset = shoff

        var out: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, 1, 1, 0] + Array(repeating: 0, count: 8)
        put16(type, &out); put16(machine, &out); put32(1, &out)
        if is64 {
            put64(entry, &out); put64(UInt64(ehsize), &out); put64(UInt64(shoff), &out)
        } else {
            put32(UInt32(entry), &out); put32(UInt32(ehsize), &out); put32(UInt32(shoff), &out)
        }
        put32(0, &out) // e_flags
        put16(UInt16(ehsize), &out); put16(UInt16(phentsize), &out); put16(UInt16(segments.count), &out)
        put16(UInt16(shentsize), &out); put16(symbols.isEmpty ? 0 : 3, &out); put16(symbols.isEmpty ? 0 : 2, &out)
        precondition(out.count == ehsize)
        for (i, s) in segments.enumerated() {
            let memsz = s.memsz ?? UInt64(s.data.count)
            if is64 {
                put32(s.type, &out); put32(s.flags, &out); put64(UInt64(layout.segmentDataOffsets[i]), &out)
                put64(s.vaddr, &out); put64(s.paddr, &out); put64(UInt64(s.data.count), &out); put64(memsz, &out); put64(8, &out)
            } else {
                put32(s.type, &out); put32(UInt32(layout.segmentDataOffsets[i]), &out); put32(UInt32(s.vaddr), &out)
                put32(UInt32(s.paddr), &out); put32(UInt32(s.data.count), &out); put32(UInt32(memsz), &out)
                put32(s.flags, &out); put32(4, &out)
            }
        }
        for s in segments { out += s.data }
        if !symbols.isEmpty {
            out += symtab
            out += strtab
            out += Array(repeating: 0, count: shentsize) // SHN_UNDEF
            section(type: 2, offset: symtabOffset, size: symtab.count, link: 2, entsize: is64 ? 24 : 16, &out)
            section(type: 3, offset: strtabOffset, size: strtab.count, link: 0, entsize: 0, &out)
        }
        return (out, layout)
    }

    private func section(type: UInt32, offset: Int, size: Int, link: UInt32, entsize: Int, _ out: inout [UInt8]) {
        put32(0, &out); put32(type, &out)
        if is64 {
            put64(0, &out); put64(0, &out); put64(UInt64(offset), &out); put64(UInt64(size), &out)
            put32(link, &out); put32(0, &out); put64(8, &out); put64(UInt64(entsize), &out)
        } else {
            put32(0, &out); put32(0, &out); put32(UInt32(offset), &out); put32(UInt32(size), &out)
            put32(link, &out); put32(0, &out); put32(4, &out); put32(UInt32(entsize), &out)
        }
    }
}

func put16(_ v: UInt16, _ out: inout [UInt8]) { out += [UInt8(v & 0xff), UInt8(v >> 8)] }
func put32(_ v: UInt32, _ out: inout [UInt8]) { put16(UInt16(v & 0xffff), &out); put16(UInt16(v >> 16), &out) }
func put64(_ v: UInt64, _ out: inout [UInt8]) { put32(UInt32(v & 0xffff_ffff), &out); put32(UInt32(v >> 32), &out) }

/// Overwrites `width` bytes at `offset` with `value`, little-endian.
func patch(_ bytes: inout [UInt8], at offset: Int, width: Int, _ value: UInt64) {
    for i in 0 ..< width { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
}

/// A one-segment RV64 program at 0x8000_0000.
func simpleELF64(code: [UInt8] = [0x13, 0, 0, 0, 0x6f, 0, 0, 0], memsz: UInt64? = nil) -> ELFBuilder {
    var b = ELFBuilder()
    b.segments = [.init(paddr: 0x8000_0000, vaddr: 0x8000_0000, data: code, memsz: memsz)]
    return b
}
