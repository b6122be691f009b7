import Devices
import Foundation
import RISCV

/// Mutates a domain save file for `virtbench host --restore`. Most mutations keep the file
/// well formed and write a matching checksum, so they reach the restore logic: header values
/// (the vCPU's pc, registers and CSRs — a trap vector at zeroed RAM among them —, memory size,
/// kernel, limits, counters, name), raw header JSON, the page map and RAM pages, the prefix.
/// The rest damage a finished file (a flipped byte, truncation, trailing bytes, a wrong
/// checksum) to exercise the integrity check itself.
public struct FuzzSaveFileMutator: Sendable {
    public let base: FuzzSaveFile

    public init(base: FuzzSaveFile) { self.base = base }

    /// The highest instruction limit a mutated header gets: a restored guest that loops
    /// forever while retiring instructions must still end well inside a case's deadline.
    static let instructionLimitCeiling: UInt64 = 50_000_000

    public func mutate(seed: UInt64) -> (bytes: [UInt8], notes: [String]) {
        var rng = SplitMix64(seed: seed)
        var file = base
        var notes: [String] = []
        for _ in 0 ..< rng.int(in: 1 ... 3) {
            switch rng.int(in: 0 ..< 20) {
            case 0 ..< 11: notes.append(mutateHeader(&file, &rng))
            case 11, 12: notes.append(mutateHeaderText(&file, &rng))
            case 13 ..< 18: notes.append(mutatePages(&file, &rng))
            default: notes.append(mutatePrefix(&file, &rng))
            }
        }
        var bytes = file.serialized()
        if rng.chance(15) {
            switch rng.int(in: 0 ..< 4) {
            case 0:
                let offset = rng.int(in: 0 ..< bytes.count)
                bytes[offset] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                notes.append("byte \(offset) flipped after the checksum (broken checksum)")
            case 1:
                let length = rng.int(in: 0 ..< bytes.count)
                bytes.removeLast(bytes.count - length)
                notes.append("truncated to \(length) bytes (broken checksum)")
            case 2:
                let extra = rng.int(in: 1 ... 64)
                bytes += (0 ..< extra).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                notes.append("\(extra) bytes appended (broken checksum)")
            default:
                FuzzELFWriter.write(rng.next(), into: &bytes, at: bytes.count - 8, width: 8)
                notes.append("checksum replaced by a random value")
            }
        } else {
            notes.append("checksum recomputed")
        }
        return (bytes, notes)
    }

    // MARK: Header values

    static let guestCSRs: [UInt16] = [CSR.vstvec, CSR.vsstatus, CSR.vsatp, CSR.vsepc, CSR.vscause, CSR.vstval, CSR.vsscratch,
                                      CSR.hvip, CSR.hie, CSR.vstimecmp, CSR.htimedelta, CSR.scounteren, CSR.senvcfg, CSR.fcsr]
    static let foreignCSRs: [UInt16] = [CSR.mstatus, CSR.mhartid, CSR.hgatp, CSR.hstatus, CSR.satp, CSR.stvec, CSR.medeleg, 0xfff, 0x000]

    func address(_ header: FuzzSaveHeader, _ rng: inout SplitMix64) -> UInt64 {
        let ramEnd: UInt64 = VirtMemoryMap.dramBase &+ header.memorySize
        let pc: UInt64 = header.vcpu.pc
        let fixed: [UInt64] = [0, 0x8040_0000, 0xffff_ffff_ffff_fff8, 0xffff_ffff_ffff_f000, 1 << 63,
                               VirtMemoryMap.uart0.base, VirtMemoryMap.test.base, VirtMemoryMap.dramBase &- 4]
        let relative: [UInt64] = [ramEnd &- 0x1000, ramEnd, ramEnd &- 4, pc &+ 2, pc &+ 0x1000]
        return rng.chance(10) ? rng.next() : rng.element(of: fixed + relative)
    }

    static let values: [UInt64] = [0, 1, .max, 1 << 63, (1 << 63) - 1, 0x8040_0000, 0x8040_0001, 8 << 60 | 0x80400,
                                   9 << 60 | 0xf_ffff_ffff, 0x222, 0x1800, 0x100, 0x6000, 0xffff_ffff]

    func value(_ rng: inout SplitMix64) -> UInt64 {
        rng.chance(15) ? rng.next() : rng.element(of: Self.values)
    }

    func mutateHeader(_ file: inout FuzzSaveFile, _ rng: inout SplitMix64) -> String {
        guard var header = file.header else { return mutatePages(&file, &rng) }
        let note: String
        switch rng.int(in: 0 ..< 16) {
        case 0, 1:
            // Issue 15's restore hang: a trap vector at zeroed RAM, and a pc that traps.
            let vector = rng.element(of: [0x8040_0000, address(header, &rng)])
            header.vcpu.csrs[CSR.vstvec] = vector
            if rng.chance(70) { header.vcpu.pc = rng.element(of: [0x8040_0000, 0x8040_1000, address(header, &rng)]) }
            note = "vstvec 0x\(String(vector, radix: 16)), pc 0x\(String(header.vcpu.pc, radix: 16))"
        case 2:
            header.vcpu.pc = address(header, &rng)
            note = "pc 0x\(String(header.vcpu.pc, radix: 16))"
        case 3, 4:
            let csr = rng.chance(75) ? rng.element(of: Self.guestCSRs) : rng.element(of: Self.foreignCSRs + [UInt16(truncatingIfNeeded: rng.next())])
            let written = value(&rng)
            header.vcpu.csrs[csr] = written
            note = "csr 0x\(String(csr, radix: 16)) = 0x\(String(written, radix: 16))"
        case 5:
            if rng.chance(50), let key = header.vcpu.csrs.keys.sorted().first(where: { _ in rng.chance(30) }) {
                header.vcpu.csrs[key] = nil
                note = "csr 0x\(String(key, radix: 16)) removed"
            } else {
                header.vcpu.csrs = [:]
                note = "every csr removed"
            }
        case 6:
            // Bounded by the arrays as they are now: an earlier mutation may have resized them.
            guard !header.vcpu.registers.isEmpty else { return mutatePages(&file, &rng) }
            let register = rng.int(in: 0 ..< header.vcpu.registers.count)
            header.vcpu.registers[register] = rng.chance(50) ? address(header, &rng) : value(&rng)
            if rng.chance(30) && !header.vcpu.floatRegisters.isEmpty {
                header.vcpu.floatRegisters[rng.int(in: 0 ..< header.vcpu.floatRegisters.count)] = rng.next()
            }
            note = "x\(register) = 0x\(String(header.vcpu.registers[register], radix: 16))"
        case 7:
            if rng.chance(50) || header.vcpu.floatRegisters.isEmpty { header.vcpu.registers.append(rng.next()) } else { header.vcpu.floatRegisters.removeLast() }
            note = "\(header.vcpu.registers.count) integer and \(header.vcpu.floatRegisters.count) float registers"
        case 8:
            header.vcpu.supervisor.toggle()
            note = "vCPU in \(header.vcpu.supervisor ? "VS" : "VU")-mode"
        case 9:
            // Wrapping: an earlier mutation of this case may have left any value here.
            header.memorySize = rng.element(of: [0, 2 << 20, 4 << 20, header.memorySize &+ (2 << 20), header.memorySize &- (2 << 20),
                                                 header.memorySize &+ 4096, 64 << 30, 1 << 63, .max, 4 << 30])
            note = "memory size \(header.memorySize)"
        case 10:
            header.kernelAddress = address(header, &rng)
            if rng.chance(50) { header.kernel = Data((0 ..< rng.int(in: 0 ... 8192)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }) }
            note = "kernel address 0x\(String(header.kernelAddress, radix: 16)), kernel of \(header.kernel.count) bytes"
        case 11:
            // The kernel is loaded again by createDomain before the RAM replaces it: loader bugs reach it here too.
            let mutated = FuzzELFMutator(memorySize: header.memorySize).mutate([UInt8](header.kernel), seed: rng.next())
            header.kernel = Data(mutated.bytes)
            note = "kernel ELF: " + mutated.notes.joined(separator: "; ")
        case 12:
            header.instructionLimit = rng.element(of: [0, 1, min(header.instructions, Self.instructionLimitCeiling),
                                                       min(header.instructions &+ 1, Self.instructionLimitCeiling), Self.instructionLimitCeiling])
            note = "instruction limit \(header.instructionLimit)"
        case 13:
            header.instructions = rng.element(of: [0, header.instructionLimit, header.instructionLimit &+ 1, .max, header.instructions / 2])
            note = "instructions retired \(header.instructions)"
        case 14:
            if rng.chance(50) {
                header.guestTime = rng.element(of: [0, .max, .max - 1, 1 << 63, rng.next()])
                note = "guest time \(header.guestTime)"
            } else {
                // Counters the domain table sums.
                header.events[rng.element(of: ["vmexit.fuzz", "sbi.fuzz", "vmexit.sbi", "sbi.base"])] = rng.element(of: [.max, 1 << 63, rng.next()])
                note = "event counters \(header.events.keys.sorted().joined(separator: ","))"
            }
        default:
            if rng.chance(50) {
                header.name = rng.element(of: ["", "../escape", String(repeating: "n", count: 200), "two words", "ünï", ".hidden", "a/b"])
                note = "name '\(header.name)'"
            } else {
                header.console = Data((0 ..< rng.int(in: 0 ... 65536)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
                note = "console of \(header.console.count) bytes"
            }
        }
        file.setHeader(header)
        return "header: " + note
    }

    // MARK: Bytes

    /// Changes the JSON text itself: a byte, a number, a cut, an unknown key.
    func mutateHeaderText(_ file: inout FuzzSaveFile, _ rng: inout SplitMix64) -> String {
        var json = file.headerJSON
        guard !json.isEmpty else { return "empty header left as it is" }
        switch rng.int(in: 0 ..< 4) {
        case 0:
            let offset = rng.int(in: 0 ..< json.count)
            json[offset] = UInt8(truncatingIfNeeded: rng.next())
            file.headerJSON = json
            return "header byte \(offset) changed"
        case 1:
            // Replace one run of digits with an edge number.
            let digits = json.indices.filter { (0x30 ... 0x39).contains(json[$0]) && ($0 == 0 || !(0x30 ... 0x39).contains(json[$0 - 1])) }
            guard let start = digits.isEmpty ? nil : rng.element(of: digits) else { return "header has no number" }
            var end = start
            while end < json.count && (0x30 ... 0x39).contains(json[end]) { end += 1 }
            let replacement = rng.element(of: ["0", "18446744073709551615", "18446744073709551616", "-1", "1e30", "2147483648",
                                               "9223372036854775808", "2149580800", "0.5"])
            json.replaceSubrange(start ..< end, with: Array(replacement.utf8))
            file.headerJSON = json
            return "header number at \(start) = \(replacement)"
        case 2:
            let length = rng.int(in: 0 ..< json.count)
            file.headerJSON = Array(json.prefix(length))
            return "header cut to \(length) bytes"
        default:
            file.headerJSON = Array("{\"fuzz\":1,".utf8) + json.dropFirst()
            return "header with an unknown key"
        }
    }

    /// Changes guest RAM as the file stores it: bytes of a stored page, a trapping word at the
    /// saved pc, a stored page dropped (zero) or a new one added, map bits past guest RAM.
    func mutatePages(_ file: inout FuzzSaveFile, _ rng: inout SplitMix64) -> String {
        let stored = file.pages.keys.sorted()
        let pcPage = file.header.map { Int(truncatingIfNeeded: ($0.vcpu.pc &- VirtMemoryMap.dramBase) >> 12) }
        switch rng.int(in: 0 ..< 6) {
        case 0 where !stored.isEmpty:
            let page = rng.element(of: stored)
            var bytes = file.pages[page]!
            let count = rng.int(in: 1 ... 64)
            for _ in 0 ..< count { bytes[rng.int(in: 0 ..< bytes.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            file.setPage(page, bytes)
            return "page \(page): \(count) bytes changed"
        case 1 where pcPage.map { file.pages[$0] != nil } ?? false:
            // The instruction the restored vCPU runs first becomes one that traps (or a jump to itself).
            let page = pcPage!, offset = Int(file.header!.vcpu.pc & 0xffc)
            var bytes = file.pages[page]!
            let word = rng.element(of: [0, 0xffff_ffff, FuzzCodeWriter.encode("ebreak"), FuzzCodeWriter.encode("mret"), 0x0000_006f,
                                        UInt32(truncatingIfNeeded: rng.next())] as [UInt32])
            for index in 0 ..< 4 where offset + index < bytes.count { bytes[offset + index] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(index))) }
            file.setPage(page, bytes)
            return "word at the saved pc = 0x\(String(word, radix: 16))"
        case 2 where !stored.isEmpty:
            let page = rng.element(of: stored)
            file.setPage(page, nil)
            return "page \(page) dropped (now zero)"
        case 3:
            let page = rng.int(in: 0 ..< max(1, file.pageMap.count * 8))
            let fill: [UInt8]
            switch rng.int(in: 0 ..< 3) {
            case 0: fill = (0 ..< FuzzSaveFile.pageSize).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case 1: fill = (0 ..< FuzzSaveFile.pageSize / 4).flatMap { _ in [0x6f, 0, 0, 0] as [UInt8] }   // jump to self
            default: fill = [UInt8](repeating: 0, count: FuzzSaveFile.pageSize)
            }
            file.setPage(page, fill)
            return "page \(page) stored with new contents"
        case 4 where !file.pageMap.isEmpty:
            // Bits for pages the map's last byte holds beyond guest RAM (when RAM is not a multiple of 32 KiB).
            let index = rng.int(in: 0 ..< file.pageMap.count)
            file.pageMap[index] = UInt8(truncatingIfNeeded: rng.next())
            return "page map byte \(index) randomized (newly marked pages stored as zeros)"
        default:
            file.pageMap.append(contentsOf: [UInt8](repeating: 0xff, count: rng.int(in: 1 ... 4)))
            return "page map longer than guest RAM"
        }
    }

    func mutatePrefix(_ file: inout FuzzSaveFile, _ rng: inout SplitMix64) -> String {
        switch rng.int(in: 0 ..< 3) {
        case 0:
            file.version = rng.element(of: [0, 2, .max, UInt32(truncatingIfNeeded: rng.next())])
            return "version \(file.version)"
        case 1:
            let real = UInt32(file.headerJSON.count)
            file.declaredHeaderLength = rng.element(of: [0, real &- 1, real &+ 1, real &+ 4096, .max, 256 << 20, (256 << 20) + 1])
            return "header length field \(file.declaredHeaderLength!) (real \(real))"
        default:
            file.magic[rng.int(in: 0 ..< 8)] ^= 0x20
            return "magic changed"
        }
    }
}
