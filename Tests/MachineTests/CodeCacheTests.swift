import Foundation
import RISCV
import Testing
@testable import Machine

/// The block compiler's code memory is W^X: written through one view, run through another, and
/// no view is both writable and executable.
@Suite("Compiled-code memory")
struct CodeCacheTests {
    /// The permissions (e.g. "r-xs") of the mapping holding `address`, from /proc/self/maps.
    static func permissions(at address: UInt) throws -> String? {
        let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ")
            let bounds = fields[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
            if bounds.count == 2, (bounds[0] ..< bounds[1]).contains(address) { return String(fields[1]) }
        }
        return nil
    }

    @Test func codeIsWrittenAndRunThroughDifferentViews() throws {
        var cache = CodeCache(enabled: true)
        defer { cache.release() }
        let executable = try #require(cache.base), writable = try #require(cache.writable)
        #expect(executable != UnsafeRawPointer(writable))
        #expect(try Self.permissions(at: UInt(bitPattern: executable)) == "r-xs")
        #expect(try Self.permissions(at: UInt(bitPattern: writable)) == "rw-s")
        // An installed block runs from the executable view and holds what was written.
        let code: [UInt8] = [0x48, 0x89, 0xf8, 0xc3] // mov rax, rdi; ret
        let installed = cache.install(code, guestAddress: 0x8000_0000)
        let start = try #require(installed)
        #expect(try Self.permissions(at: UInt(bitPattern: start)) == "r-xs")
        #expect((0 ..< code.count).map { start.load(fromByteOffset: $0, as: UInt8.self) } == code)
        // The entry sequence, at the start, is callable through the executable view.
        #expect(cache.entry != nil)
    }

    /// While a hart runs compiled blocks, no mapping of the process is writable and executable.
    @Test func noMappingIsWritableAndExecutableWhileCompiledCodeRuns() throws {
        let base: UInt64 = 0x8000_0000
        let memory = try PhysicalMemory(base: base, size: 1 << 20)
        var configuration = HartConfiguration()
        configuration.compileBlocks = true
        let hart = Hart(bus: Bus(ram: memory), interrupts: InterruptLines(), timebase: Timebase(mode: .virtual(instructionsPerTick: 100)),
                        control: MachineControl(), configuration: configuration)
        var a = RV64Assembler()
        let loop = a.label()
        a.bind(loop)
        a.addi(10, 10, 1)
        a.addi(11, 11, 2)
        a.addi(12, 12, 3)
        a.jal(0, loop)
        let assembled = a.finish()
        let words = try #require(assembled)
        #expect(memory.write(words.flatMap { w in (0 ..< 4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } }, at: base))
        hart.pc = base
        _ = hart.run(instructionLimit: 1_000_000)
        #expect(hart.register(10) > 1000, "the loop ran")
        #expect(hart.blocks.code.used > hart.blocks.code.entryBytes, "a block was compiled")
        let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        let writableAndExecutable = maps.split(separator: "\n").filter { $0.split(separator: " ")[1].hasPrefix("rwx") }
        #expect(writableAndExecutable.isEmpty, "\(writableAndExecutable)")
    }
}
