import Testing
import Devices
import Machine
@testable import Loader

#if canImport(Glibc)
import Glibc
import TestSupport
#endif

/// A scratch directory for image files, removed when the test ends.
final class ScratchDirectory {
    let path: String
    init() {
        var template = Array("/tmp/virtbench-loader-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }
    deinit {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(path)
    }
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let file = path + "/" + name
        let f = fopen(file, "wb")!
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, bytes.count, f) }
        fclose(f)
        return file
    }
}

@Suite struct BootLoaderTests {
    func board(ram: UInt64 = 64 << 20) throws -> VirtBoard {
        try VirtBoard(configuration: .init(ramSize: ram), consoleOutput: { _ in })
    }

    @Test func badFilesGiveTypedErrors() throws {
        let dir = ScratchDirectory()
        #expect(throws: BootError.fileNotFound(.kernel, path: dir.path + "/missing")) {
            try BootLoader.readImage(dir.path + "/missing", role: .kernel, rawLimit: 1 << 20)
        }
        #expect(throws: BootError.unreadableFile(.kernel, path: dir.path, reason: "is a directory")) {
            try BootLoader.readImage(dir.path, role: .kernel, rawLimit: 1 << 20)
        }
        #expect(throws: BootError.unreadableFile(.firmware, path: "/dev/zero", reason: "is not a regular file")) {
            try BootLoader.readImage("/dev/zero", role: .firmware, rawLimit: 1 << 20)
        }
        let fifo = dir.path + "/fifo"
        if mkfifo(fifo, 0o600) == 0 { // would block a plain open(); must not hang
            #expect(throws: BootError.unreadableFile(.kernel, path: fifo, reason: "is not a regular file")) {
                try BootLoader.readImage(fifo, role: .kernel, rawLimit: 1 << 20)
            }
        }
        let empty = dir.write("empty", [])
        #expect(throws: BootError.image(.kernel, path: empty, .empty)) {
            try BootLoader.readImage(empty, role: .kernel, rawLimit: 1 << 20)
        }
        let big = dir.write("big.bin", [UInt8](repeating: 1, count: 8192))
        #expect(throws: BootError.imageTooLarge(.kernel, path: big, address: 0x8000_0000, size: 8192, ramEnd: 0x8000_1000)) {
            try BootLoader.readImage(big, role: .kernel, rawLimit: 4096)
        }
        var x86 = simpleELF64()
        x86.machine = 62
        let foreign = dir.write("x86.elf", x86.build().bytes)
        #expect(throws: BootError.image(.kernel, path: foreign, .wrongMachine(found: 62, expected: .riscv))) {
            try BootLoader.readImage(foreign, role: .kernel, rawLimit: 1 << 20)
        }
        let truncated = dir.write("cut.elf", Array(simpleELF64().build().bytes.prefix(70)))
        #expect(throws: BootError.image(.kernel, path: truncated, .programHeadersOutOfBounds(offset: 64, size: 56, fileSize: 70))) {
            try BootLoader.readImage(truncated, role: .kernel, rawLimit: 1 << 20)
        }
    }

    @Test func loadsKernelTreeAndROMIntoTheBoard() throws {
        let dir = ScratchDirectory()
        var b = simpleELF64(code: [0x13, 0, 0, 0, 0x73, 0, 0x10, 0x10], memsz: 0x2000)
        b.entry = 0x8000_0000
        let path = dir.write("k.elf", b.build().bytes)
        let board = try board()
        board.memory.write([0xff, 0xff, 0xff, 0xff], at: 0x8000_1000) // stale bytes in .bss must be cleared
        let plan = try BootLoader.plan(BootOptions(firmware: .none, kernel: path), for: board)
        try BootLoader.load(plan, into: board)

        #expect(board.memory.read(0x8000_0000, count: 8) == [0x13, 0, 0, 0, 0x73, 0, 0x10, 0x10])
        #expect(board.memory.read(0x8000_1000, count: 4) == [0, 0, 0, 0])
        #expect(plan.deviceTreeAddress == 0x83e0_0000)
        let tree = board.deviceTree()
        #expect(board.memory.read(plan.deviceTreeAddress, count: tree.count) == tree)
        // FDT magic 0xd00dfeed, big-endian (devicetree spec §5.2).
        #expect(board.memory.read(plan.deviceTreeAddress, count: 4) == [0xd0, 0x0d, 0xfe, 0xed])
        // The ROM answers on the bus: start address, DTB address, fw_dynamic_info magic.
        #expect(board.bus.read(0x1018, width: 8) == 0x8000_0000)
        #expect(board.bus.read(0x1020, width: 8) == 0x83e0_0000)
        #expect(board.bus.read(0x1028, width: 4) == 0x4942_534f)
        #expect(board.bus.read(0x1000, width: 4) == 0x0000_0297)
        #expect(board.bus.read(0x2000, width: 8) == 0) // rest of the ROM window reads as zero
        // ROM ignores writes.
        #expect(board.bus.write(0x1028, width: 4, value: 0))
        #expect(board.bus.read(0x1028, width: 4) == 0x4942_534f)

        // Loading again (a reset) reuses the ROM instead of failing on the occupied window.
        try BootLoader.load(plan, into: board)
        #expect(board.bus.read(0x1020, width: 8) == 0x83e0_0000)
    }

    @Test func deviceTreeInRAMCarriesTheCommandLine() throws {
        let dir = ScratchDirectory()
        let kernel = dir.write("k.bin", [0x13, 0, 0, 0])
        let board = try VirtBoard(configuration: .init(ramSize: 128 << 20, bootArguments: "console=ttyS0 quiet"), consoleOutput: { _ in })
        let plan = try BootLoader.boot(BootOptions(firmware: .none, kernel: kernel), on: board)
        #expect(plan.deviceTreeAddress == 0x87e0_0000)
        let tree = try #require(board.memory.read(plan.deviceTreeAddress, count: board.deviceTree().count))
        let text = String(decoding: tree.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        #expect(text.contains("console=ttyS0 quiet"))
        // The hart starts where the reset vector would leave it.
        #expect(board.hart.pc == 0x8000_0000)
        #expect(board.hart.privilege == .machine)
        #expect(board.hart.register(10) == 0)
        #expect(board.hart.register(11) == 0x87e0_0000)
        #expect(board.hart.register(12) == 0x1028)
        #expect(board.hart.register(5) == 0x8000_0000)
    }

    /// The trait above must look where `-bios default` looks, or the test could run without firmware.
    @Test func declaredDefaultFirmwareIsWhereTheLoaderLooks() {
        #expect(Tool.openSBIDynamicBinary.files == [.firstOf(BootLoader.defaultFirmwarePaths)])
    }

    @Test(.requires(.openSBIDynamicBinary)) func defaultFirmwareBootPlan() throws {
        let dir = ScratchDirectory()
        let kernel = dir.write("k.bin", [0x13, 0, 0, 0])
        let board = try board(ram: 256 << 20)
        let plan = try BootLoader.plan(BootOptions(firmware: .default, kernel: kernel), for: board)
        #expect(plan.loads.first?.address == 0x8000_0000)
        #expect(plan.kernelLoadAddress == 0x8020_0000)
        #expect(plan.kernelEntry == 0x8020_0000)
        #expect(plan.deviceTreeAddress == 0x8fe0_0000)
        try BootLoader.load(plan, into: board)
        #expect(board.memory.read(0x8020_0000, count: 4) == [0x13, 0, 0, 0])
    }

    @Test func kernelOverlappingFirmwareIsRefused() throws {
        let dir = ScratchDirectory()
        let firmware = dir.write("fw.bin", [UInt8](repeating: 0x13, count: 0x1000))
        var k = simpleELF64()
        k.segments = [.init(paddr: 0x8000_0800, vaddr: 0x8000_0800, data: [1, 2, 3, 4])]
        let kernel = dir.write("k.elf", k.build().bytes)
        let board = try board()
        #expect(throws: BootError.overlap(first: "firmware", firstStart: 0x8000_0000, firstEnd: 0x8000_1000,
                                          second: "kernel segment 0", secondStart: 0x8000_0800, secondEnd: 0x8000_0804)) {
            try BootLoader.plan(BootOptions(firmware: .file(firmware), kernel: kernel), for: board)
        }
    }
}
