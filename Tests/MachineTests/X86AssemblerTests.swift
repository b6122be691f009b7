#if arch(x86_64)
import Foundation
import Testing
@testable import Machine
import TestSupport

/// The block compiler's x86-64 encoder against the toolchain's own: every form the compiler
/// emits, over registers that need REX bits, SIB bytes (rsp/r12 bases), a displacement with
/// rbp/r13 bases, and byte registers that exist only with REX (bpl, sil, dil), is disassembled
/// next to the same instruction assembled by clang from Intel syntax; llvm-objdump must print
/// both alike. (Byte-for-byte comparison would fail on equivalent encodings such as 89 vs 8B.)
@Suite struct X86AssemblerTests {
    typealias R = X86Assembler.Register

    static let names64: [R: String] = [.rax: "rax", .rcx: "rcx", .rdx: "rdx", .rbx: "rbx", .rsp: "rsp", .rbp: "rbp", .rsi: "rsi", .rdi: "rdi",
                                        .r8: "r8", .r9: "r9", .r10: "r10", .r11: "r11", .r12: "r12", .r13: "r13", .r14: "r14", .r15: "r15"]
    static func name(_ r: R, _ width: Int) -> String {
        let wide = names64[r]!
        if r.rawValue >= 8 { return wide + ["", "b", "w", "", "d"][width == 8 ? 0 : width == 4 ? 4 : width] }
        switch width {
        case 4: return "e" + wide.dropFirst()
        case 2: return String(wide.dropFirst())
        case 1: return ["rax": "al", "rcx": "cl", "rdx": "dl", "rbx": "bl", "rsp": "spl", "rbp": "bpl", "rsi": "sil", "rdi": "dil"][wide]!
        default: return wide
        }
    }
    static func memory(_ base: R, _ disp: Int32, _ size: String) -> String {
        "\(size) ptr [\(names64[base]!) + \(disp)]"
    }

    /// (our bytes, the same instruction in Intel syntax) for every form and register mix.
    static func cases() -> [([UInt8], String)] {
        var cases: [([UInt8], String)] = []
        func add(_ text: String, _ emit: (inout X86Assembler) -> Void) {
            var asm = X86Assembler()
            emit(&asm)
            cases.append((asm.bytes, text))
        }
        let registers: [R] = [.rax, .rcx, .rbx, .rbp, .rsi, .rdi, .r8, .r11, .r12, .r13, .r15]
        let bases: [R] = [.rax, .rcx, .rsp, .rbp, .rdi, .r12, .r13, .r15]
        let displacements: [Int32] = [0, 8, -8, 256]
        for a in registers {
            for b in registers {
                add("mov \(name(a, 8)), \(name(b, 8))") { $0.mov(a, .register(b)) }
                add("xor \(name(a, 8)), \(name(b, 8))") { $0.arithmetic(0x33, a, .register(b)) }
                add("add \(name(a, 4)), \(name(b, 4))") { $0.arithmetic(0x03, a, .register(b), wide: false) }
                add("imul \(name(a, 8)), \(name(b, 8))") { $0.imul(a, .register(b)) }
                add("movsxd \(name(a, 8)), \(name(b, 4))") { $0.movsxd(a, .register(b)) }
                add("test \(name(a, 8)), \(name(b, 8))") { $0.test(a, b) }
                for (mnemonic, opcode): (String, UInt8) in [("bt", 0xa3), ("bts", 0xab), ("btr", 0xb3), ("btc", 0xbb)] {
                    add("\(mnemonic) \(name(a, 8)), \(name(b, 8))") { $0.bitTest(opcode, a, index: b) }
                }
            }
            add("and \(name(a, 8)), -4096") { $0.arithmetic(extension: 4, a, immediate: -4096) }
            add("sub \(name(a, 4)), 100") { $0.arithmetic(extension: 5, a, immediate: 100, wide: false) }
            add("cmp \(name(a, 8)), -7") { $0.arithmetic(extension: 7, a, immediate: -7) }
            add("shl \(name(a, 8)), 63") { $0.shift(extension: 4, a, by: 63) }
            add("bt \(name(a, 8)), 0") { $0.bitTest(extension: 4, a, index: 0) }
            add("bts \(name(a, 8)), 63") { $0.bitTest(extension: 5, a, index: 63) }
            add("btr \(name(a, 8)), 32") { $0.bitTest(extension: 6, a, index: 32) }
            add("btc \(name(a, 8)), 31") { $0.bitTest(extension: 7, a, index: 31) }
            add("sar \(name(a, 4)), 31") { $0.shift(extension: 7, a, by: 31, wide: false) }
            add("shr \(name(a, 8)), cl") { $0.shift(extension: 5, a, by: nil) }
            add("mov \(name(a, 8)), -1") { $0.mov(a, immediate: -1) }
            add("movabs \(name(a, 8)), 0x123456789abcdef0") { $0.mov(a, immediate64: 0x1234_5678_9abc_def0) }
            add("imul \(name(a, 8)), \(name(a, 8)), 48") { $0.imul(a, .register(a), immediate: 48) }
            add("setl al\nmovzx \(name(a, 4)), al") { $0.set(.less, a) }
            add("jmp \(name(a, 8))") { $0.jump(to: a) }
            add("push \(name(a, 8))") { $0.push(a) }
            add("pop \(name(a, 8))") { $0.pop(a) }
            for base in bases {
                for disp in displacements {
                    add("mov \(name(a, 8)), \(memory(base, disp, "qword"))") { $0.mov(a, .memory(base, disp)) }
                    add("mov \(memory(base, disp, "qword")), \(name(a, 8))") { $0.store(a, to: base, disp) }
                    add("lea \(name(a, 8)), [\(names64[base]!) + \(disp)]") { $0.lea(a, base, disp) }
                    add("cmp \(name(a, 4)), \(memory(base, disp, "dword"))") { $0.arithmetic(0x3b, a, .memory(base, disp), wide: false) }
                }
                add("movzx \(name(a, 4)), \(memory(base, 0, "byte"))") { $0.load(a, .memory(base, 0), width: 1, signed: false) }
                add("movsx \(name(a, 8)), \(memory(base, 0, "byte"))") { $0.load(a, .memory(base, 0), width: 1, signed: true) }
                add("movzx \(name(a, 4)), \(memory(base, 0, "word"))") { $0.load(a, .memory(base, 0), width: 2, signed: false) }
                add("movsx \(name(a, 8)), \(memory(base, 0, "word"))") { $0.load(a, .memory(base, 0), width: 2, signed: true) }
                add("mov \(name(a, 4)), \(memory(base, 0, "dword"))") { $0.load(a, .memory(base, 0), width: 4, signed: false) }
                add("movsxd \(name(a, 8)), \(memory(base, 0, "dword"))") { $0.load(a, .memory(base, 0), width: 4, signed: true) }
                add("mov \(memory(base, 8, "byte")), \(name(a, 1))") { $0.store(a, .memory(base, 8), width: 1) }
                add("mov \(memory(base, 8, "word")), \(name(a, 2))") { $0.store(a, .memory(base, 8), width: 2) }
                add("mov \(memory(base, 8, "dword")), \(name(a, 4))") { $0.store(a, .memory(base, 8), width: 4) }
                add("mov \(memory(base, 8, "qword")), \(name(a, 8))") { $0.store(a, .memory(base, 8), width: 8) }
                add("imul \(name(a, 8)), \(memory(base, 8, "qword"))") { $0.imul(a, .memory(base, 8)) }
            }
        }
        return cases
    }

    /// Assembles `source` with clang and returns llvm-objdump's instruction lines (Intel syntax).
    static func disassemble(_ source: String, clang: String, objdump: String, in directory: URL, name: String) throws -> [String] {
        let assembly = directory.appendingPathComponent(name + ".s"), object = directory.appendingPathComponent(name + ".o")
        try (".intel_syntax noprefix\n.text\n" + source + "\n").write(to: assembly, atomically: true, encoding: .utf8)
        try run(clang, ["--target=x86_64-unknown-linux-gnu", "-c", assembly.path, "-o", object.path])
        let listing = try run(objdump, ["-d", "-M", "intel", "--no-show-raw-insn", "--no-leading-addr", object.path])
        return listing.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasSuffix(":") && !$0.contains("file format") && !$0.hasPrefix("Disassembly") }
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let child = try ChildProcess.run(executable, arguments)
        guard child.status == 0 else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: child.output]) }
        return child.output
    }

    @Test(.requires(.corpusToolchain, .llvmObjdump)) func everyEmittedFormDisassemblesLikeTheToolchainsOwnEncoding() throws {
        let clang = try #require(Tool.corpusToolchain.path), objdump = try #require(Tool.llvmObjdump.path)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("x86-assembler-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cases = Self.cases()
        // int3 between cases keeps one wrong length from shifting every later comparison.
        let ours = cases.map { ".byte " + $0.0.map { String($0) }.joined(separator: ", ") + "\nint3" }.joined(separator: "\n")
        let theirs = cases.map { $0.1 + "\nint3" }.joined(separator: "\n")
        let ourLines = try Self.disassemble(ours, clang: clang, objdump: objdump, in: directory, name: "ours")
        let theirLines = try Self.disassemble(theirs, clang: clang, objdump: objdump, in: directory, name: "theirs")
        func grouped(_ lines: [String]) -> [[String]] {
            lines.split(separator: "int3", omittingEmptySubsequences: false).map(Array.init).dropLast()
        }
        let ourGroups = grouped(ourLines), theirGroups = grouped(theirLines)
        #expect(ourGroups.count == cases.count && theirGroups.count == cases.count)
        var mismatches = 0
        for (index, (mine, expected)) in zip(ourGroups, theirGroups).enumerated() where mine != expected {
            mismatches += 1
            if mismatches <= 10 {
                Issue.record("\(cases[index].1): we encode \(cases[index].0.map { String(format: "%02x", $0) }.joined(separator: " ")) = \(mine), expected \(expected)")
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(cases.count) forms differ")
        print("x86-64 encoder: \(cases.count) forms compared with clang's, \(mismatches) differ")
    }
}
#endif
