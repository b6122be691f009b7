import RISCV
import Testing
@testable import Loader

/// Expected values come from booting qemu-system-riscv64 7.2 (`-M virt`) with probe programs
/// that print a0/a1/a2 and dump the boot ROM at 0x1000 (see the README, "Boot as QEMU does").
@Suite struct BootPlanTests {
    let ramBase: UInt64 = 0x8000_0000
    let dtb = [UInt8](repeating: 0xd0, count: 0x1800)

    func elfInput(_ b: ELFBuilder, path: String = "image.elf") throws -> BootPlan.Input {
        BootPlan.Input(path: path, image: .elf(try ELFImage(bytes: b.build().bytes, expecting: .riscv)))
    }

    func rawInput(_ size: Int, path: String = "image.bin") -> BootPlan.Input {
        BootPlan.Input(path: path, image: .raw([UInt8](repeating: 0x13, count: size)))
    }

    @Test func deviceTreeAddressMatchesQEMU() throws {
        // Observed: 128M -> 0x87e00000, 256M -> 0x8fe00000, 1G and above -> 0xbfe00000.
        let observed: [(UInt64, UInt64)] = [(128 << 20, 0x87e0_0000), (256 << 20, 0x8fe0_0000), (1 << 30, 0xbfe0_0000),
                                            (2 << 30, 0xbfe0_0000), (8 << 30, 0xbfe0_0000)]
        for (size, address) in observed {
            let plan = try BootPlan.make(ramBase: ramBase, ramSize: size, firmware: nil, kernel: try elfInput(simpleELF64()), deviceTree: dtb)
            #expect(plan.deviceTreeAddress == address, "RAM \(size)")
            #expect(plan.loads.last?.what == "device tree")
            #expect(Array(plan.loads.last!.bytes) == dtb)
        }
    }

    @Test func biosNoneStartsAtDRAMWhateverTheEntry() throws {
        var b = simpleELF64()
        b.entry = 0x8000_000e
        let plan = try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: nil, kernel: try elfInput(b), deviceTree: dtb)
        #expect(plan.startAddress == 0x8000_0000)
        #expect(plan.kernelEntry == 0x8000_0000)
        #expect(plan.warnings.count == 1)
        let regs = Dictionary(uniqueKeysWithValues: plan.initialRegisters().map { ($0.register, $0.value) })
        #expect(regs[10] == 0)            // a0 = hart id
        #expect(regs[11] == 0x8fe0_0000)  // a1 = DTB
        #expect(regs[12] == 0x1028)       // a2 = fw_dynamic_info, also with -bios none
        #expect(regs[5] == 0x8000_0000)   // t0 = jump target of the reset vector
    }

    @Test func bootROMMatchesQEMUDump() throws {
        // The words QEMU 7.2 shows at 0x1000..0x1058 with -m 256M, fw_dynamic and a raw kernel.
        let plan = try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: rawInput(115_328),
                                     kernel: rawInput(0x56), deviceTree: dtb)
        let observed: [UInt64] = [0x0282_8613_0000_0297, 0x0202_b583_f140_2573, 0x0002_8067_0182_b283,
                                  0x8000_0000, 0x8fe0_0000, 0x4942_534f, 2, 0x8020_0000, 1, 0, 0]
        var words: [UInt64] = []
        for i in stride(from: 0, to: plan.bootROM.count, by: 8) {
            var w: UInt64 = 0
            for k in 0 ..< 8 { w |= UInt64(plan.bootROM[i + k]) << (8 * UInt64(k)) }
            words.append(w)
        }
        #expect(Array(words.prefix(observed.count)) == observed)
        #expect(words.count == 11 || words.last == 0) // boot_hart = 0
        #expect(plan.kernelLoadAddress == 0x8020_0000)
        #expect(plan.kernelEntry == 0x8020_0000)
        #expect(plan.dynamicInfoAddress == 0x1028)
    }

    @Test func firmwareAndKernelPlacement() throws {
        // An ELF firmware the size of OpenSBI's fw_dynamic.elf (memsz 0x45ac8).
        var fw = ELFBuilder()
        fw.segments = [.init(paddr: 0x8000_0000, vaddr: 0x8000_0000, data: [1, 2, 3, 4], memsz: 0x45ac8)]
        let plan = try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: try elfInput(fw, path: "fw.elf"),
                                     kernel: rawInput(4096), deviceTree: dtb)
        #expect(plan.firmwareEnd == 0x8004_5ac8)
        #expect(plan.kernelLoadAddress == 0x8020_0000)
        #expect(plan.loads.map(\.what) == ["firmware segment 0", "kernel", "device tree"])
        #expect(plan.loads[1].address == 0x8020_0000)

        // A firmware bigger than 2 MiB pushes a raw kernel to the next 2 MiB boundary.
        let big = try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: rawInput(0x20_0001),
                                    kernel: rawInput(16), deviceTree: dtb)
        #expect(big.kernelLoadAddress == 0x8040_0000)

        // An ELF kernel goes where it says; next_addr is its lowest address.
        var k = ELFBuilder()
        k.entry = 0x8020_0100
        k.segments = [.init(paddr: 0x8030_0000, vaddr: 0x8030_0000, data: [1]), .init(paddr: 0x8020_0000, vaddr: 0x8020_0000, data: [2])]
        let elfKernel = try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: rawInput(4096),
                                          kernel: try elfInput(k), deviceTree: dtb)
        #expect(elfKernel.kernelEntry == 0x8020_0000)
        #expect(elfKernel.warnings.isEmpty)

        // Firmware alone: next_addr is 0.
        let alone = try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: rawInput(4096), kernel: nil, deviceTree: dtb)
        #expect(alone.kernelEntry == 0)
    }

    @Test func biosNoneRawKernelGoesToDRAMStart() throws {
        let plan = try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: nil, kernel: rawInput(108), deviceTree: dtb)
        #expect(plan.loads[0].address == 0x8000_0000)
        #expect(plan.kernelEntry == 0x8000_0000)
    }

    @Test func memorySizeLimits() {
        for bad: UInt64 in [0, 4095, 4097, (64 << 30) + 4096, UInt64.max & ~4095] {
            #expect(throws: BootError.invalidMemorySize(bad)) {
                try BootPlan.make(ramBase: ramBase, ramSize: bad, firmware: nil, kernel: rawInput(4), deviceTree: dtb)
            }
        }
        #expect(throws: Never.self) { try BootPlan.validate(memorySize: 64 << 30) }
        #expect(throws: Never.self) { try BootPlan.validate(memorySize: 4096) }
    }

    @Test func nothingToRun() {
        #expect(throws: BootError.nothingToRun) {
            try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: nil, kernel: nil, deviceTree: dtb)
        }
    }

    @Test func segmentsOutsideRAM() throws {
        // lld without a linker script puts the ELF headers in a segment at 0x10000; QEMU drops it silently.
        var b = simpleELF64()
        b.segments.insert(.init(paddr: 0x1_0000, vaddr: 0x1_0000, data: [0x7f]), at: 0)
        #expect(throws: BootError.segmentOutsideRAM(.kernel, path: "image.elf", index: 0, start: 0x1_0000, end: 0x1_0001,
                                                    ramStart: 0x8000_0000, ramEnd: 0x9000_0000)) {
            try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: nil, kernel: try elfInput(b), deviceTree: dtb)
        }
        // Running off the end of RAM (.bss too big).
        let tail = simpleELF64(memsz: 0x1000_0001)
        #expect(throws: BootError.self) {
            try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: nil, kernel: try elfInput(tail), deviceTree: dtb)
        }
        // The same segment checks apply to firmware.
        #expect(throws: BootError.segmentOutsideRAM(.firmware, path: "image.elf", index: 0, start: 0x1_0000, end: 0x1_0001,
                                                    ramStart: 0x8000_0000, ramEnd: 0x9000_0000)) {
            try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: try elfInput(b), kernel: nil, deviceTree: dtb)
        }
    }

    @Test func rawImagesMustFit() {
        #expect(throws: BootError.imageTooLarge(.firmware, path: "image.bin", address: 0x8000_0000, size: 0x10_0001, ramEnd: 0x8010_0000)) {
            try BootPlan.make(ramBase: ramBase, ramSize: 1 << 20, firmware: rawInput(0x10_0001), kernel: nil, deviceTree: dtb)
        }
        // Firmware fills RAM beyond the kernel's 2 MiB slot: no room for the kernel at all.
        #expect(throws: BootError.imageTooLarge(.kernel, path: "image.bin", address: 0x8040_0000, size: 16, ramEnd: 0x8030_0000)) {
            try BootPlan.make(ramBase: ramBase, ramSize: 3 << 20, firmware: rawInput(0x20_1000), kernel: rawInput(16), deviceTree: dtb)
        }
    }

    @Test func overlapsAreRefused() throws {
        // An ELF kernel placed on top of the firmware.
        var k = simpleELF64()
        k.segments = [.init(paddr: 0x8000_1000, vaddr: 0x8000_1000, data: [1, 2, 3])]
        #expect(throws: BootError.overlap(first: "firmware", firstStart: 0x8000_0000, firstEnd: 0x8001_0000,
                                          second: "kernel segment 0", secondStart: 0x8000_1000, secondEnd: 0x8000_1003)) {
            try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: rawInput(0x1_0000), kernel: try elfInput(k), deviceTree: dtb)
        }
        // A kernel whose .bss reaches the device tree.
        let huge = simpleELF64(memsz: 0x0fe0_0001)
        #expect(throws: BootError.self) {
            try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: nil, kernel: try elfInput(huge), deviceTree: dtb)
        }
    }

    @Test func deviceTreeMustFit() {
        // 8 KiB of RAM cannot hold a 64 KiB device tree.
        let bigTree = [UInt8](repeating: 0, count: 0x1_0000)
        #expect(throws: BootError.deviceTreeDoesNotFit(size: 0x1_0000, ramStart: 0x8000_0000, ramEnd: 0x8000_2000)) {
            try BootPlan.make(ramBase: ramBase, ramSize: 8192, firmware: nil, kernel: rawInput(4), deviceTree: bigTree)
        }
        // With 1 MiB of RAM the tree lands on DRAM start, on top of the kernel.
        #expect(throws: BootError.self) {
            try BootPlan.make(ramBase: ramBase, ramSize: 1 << 20, firmware: nil, kernel: rawInput(4), deviceTree: dtb)
        }
    }

    @Test func thirtyTwoBitKernelIsRefused() throws {
        var b = ELFBuilder()
        b.is64 = false
        b.segments = [.init(paddr: 0x8000_0000, vaddr: 0x8000_0000, data: [1])]
        #expect(throws: BootError.wrongClass(.kernel, path: "image.elf")) {
            try BootPlan.make(ramBase: ramBase, ramSize: 256 << 20, firmware: nil, kernel: try elfInput(b), deviceTree: dtb)
        }
    }

    @Test func resetVectorEncodings() {
        // Cross-checked against the words QEMU's ROM holds (and the ISA manual's formats).
        var code = RV64Assembler()
        code.auipc(5, 0)
        code.addi(12, 5, 40)
        code.csrrs(10, 0xf14, 0)
        code.ld(11, 5, 32)
        code.ld(5, 5, 24)
        code.jalr(0, 5, 0)
        #expect(code.words == [0x0000_0297, 0x0282_8613, 0xf140_2573, 0x0202_b583, 0x0182_b283, 0x0002_8067])
    }

    @Test func errorDescriptionsAreOneLine() {
        let errors: [BootError] = [
            .invalidMemorySize(3), .unreadableMemorySize("x"), .fileNotFound(.kernel, path: "k"),
            .unreadableFile(.firmware, path: "f", reason: "Is a directory"), .image(.kernel, path: "k", .badMagic),
            .wrongClass(.kernel, path: "k"),
            .segmentOutsideRAM(.kernel, path: "k", index: 1, start: 0, end: 1, ramStart: 2, ramEnd: 3),
            .imageTooLarge(.kernel, path: "k", address: 1, size: 2, ramEnd: 3),
            .overlap(first: "a", firstStart: 0, firstEnd: 1, second: "b", secondStart: 0, secondEnd: 1),
            .deviceTreeDoesNotFit(size: 1, ramStart: 0, ramEnd: 1), .nothingToRun,
            .defaultFirmwareNotFound(searched: ["a", "b"]), .bootROMUnavailable("x"), .initrdWithoutKernel,
            .deviceTreeFile(path: "d", reason: "r"), .imageTooLarge(.initrd, path: "i", address: 1, size: 2, ramEnd: 3),
        ]
        for e in errors { #expect(!e.description.isEmpty && !e.description.contains("\n")) }
        #expect(BootError.segmentOutsideRAM(.kernel, path: "k.elf", index: 0, start: 0x10000, end: 0x10158,
                                            ramStart: 0x8000_0000, ramEnd: 0x9000_0000).description
                == "kernel 'k.elf': segment 0 at 0x10000-0x10158 lies outside RAM 0x80000000-0x90000000")
    }
}

@Suite struct MemorySizeTests {
    @Test func qemuSpellings() throws {
        #expect(try MemorySize.parse("256M") == 256 << 20)
        #expect(try MemorySize.parse("256m") == 256 << 20)
        #expect(try MemorySize.parse("1G") == 1 << 30)
        #expect(try MemorySize.parse("1.5G") == 3 << 29)
        #expect(try MemorySize.parse("512") == 512 << 20) // plain numbers are MiB
        #expect(try MemorySize.parse("65536K") == 64 << 20)
        #expect(try MemorySize.parse("4096B") == 4096)
        #expect(try MemorySize.parse("size=2G") == 2 << 30)
        #expect(try MemorySize.parse("1T") == 1 << 40)
    }

    @Test func nonsenseIsRefused() {
        for text in ["", "M", "abc", "12Q", "-5M", "1..5G", "1.G", ".5G", "99999999999999999999G", "٣M", "size="] {
            #expect(throws: BootError.unreadableMemorySize(text), "\(text)") { try MemorySize.parse(text) }
        }
    }
}

/// `-initrd` and the device tree's region, as QEMU 7.2 places them (observed with
/// `-M virt,dumpdtb=...` and read back with dtc, and from its overlap messages).
@Suite struct InitrdPlacementTests {
    let ramBase: UInt64 = 0x8000_0000
    let dtb = [UInt8](repeating: 0xd0, count: 0x1800)

    /// What the device tree closure was given.
    final class Published { var range: Range<UInt64>? }

    func raw(_ size: Int, path: String = "image.bin") -> BootPlan.Input {
        BootPlan.Input(path: path, image: .raw([UInt8](repeating: 0x13, count: size)))
    }

    func plan(ramSize: UInt64, firmware: BootPlan.Input?, kernel: BootPlan.Input? = nil, initrdSize: Int,
              published: Published? = nil) throws(BootError) -> BootPlan {
        let initrd = BootPlan.Initrd(path: "initrd.img", bytes: [UInt8](repeating: 7, count: initrdSize))
        return try BootPlan.make(ramBase: ramBase, ramSize: ramSize, firmware: firmware, kernel: kernel ?? raw(100_000),
                                 initrd: initrd, deviceTreeReservation: BootPlan.generatedDeviceTreeReservation) { range in
            published?.range = range
            return dtb
        }
    }

    /// The kernel's start plus half of RAM, at most 128 MiB; the kernel's size does not matter.
    @Test func startMatchesQEMU() throws {
        // (RAM, start with -bios none, start behind 2 MiB of firmware)
        let observed: [(UInt64, UInt64, UInt64)] = [
            (64 << 20, 0x8200_0000, 0x8220_0000), (100 << 20, 0x8320_0000, 0x8340_0000),
            (128 << 20, 0x8400_0000, 0x8420_0000), (131_584 << 10, 0x8404_0000, 0x8424_0000),
            (256 << 20, 0x8800_0000, 0x8820_0000), (1 << 30, 0x8800_0000, 0x8820_0000), (3 << 30, 0x8800_0000, 0x8820_0000),
        ]
        for (ramSize, bare, behindFirmware) in observed {
            for kernelSize in [100_000, 3_000_000] {
                let alone = try plan(ramSize: ramSize, firmware: nil, kernel: raw(kernelSize), initrdSize: 12_345)
                #expect(alone.initrd == bare ..< bare + 12_345, "RAM \(ramSize)")
                let after = try plan(ramSize: ramSize, firmware: raw(0x1_0000), kernel: raw(kernelSize), initrdSize: 12_345)
                #expect(after.initrd == behindFirmware ..< behindFirmware + 12_345, "RAM \(ramSize) with firmware")
                #expect(after.loads.contains { $0.what == "initrd" && $0.address == behindFirmware && $0.bytes.count == 12_345 })
            }
        }
    }

    /// The tree is made after the initrd is placed, so /chosen can name its range.
    @Test func deviceTreeSeesTheRange() throws {
        let published = Published()
        _ = try plan(ramSize: 128 << 20, firmware: nil, initrdSize: 10, published: published)
        #expect(published.range == 0x8400_0000 ..< 0x8400_000a)
    }

    @Test func emptyInitrdIsAnEmptyRange() throws {
        let p = try plan(ramSize: 128 << 20, firmware: nil, initrdSize: 0)
        #expect(p.initrd == 0x8400_0000 ..< 0x8400_0000)
        #expect(!p.loads.contains { $0.what == "initrd" })
    }

    @Test func initrdNeedsAKernel() {
        #expect(throws: BootError.initrdWithoutKernel) {
            try BootPlan.make(ramBase: ramBase, ramSize: 128 << 20, firmware: raw(16), kernel: nil,
                              initrd: .init(path: "i", bytes: [1]), deviceTreeReservation: 0) { _ in dtb }
        }
    }

    @Test func initrdMustFit() {
        #expect(throws: BootError.imageTooLarge(.initrd, path: "initrd.img", address: 0x8400_0000, size: 65 << 20, ramEnd: 0x8800_0000)) {
            try plan(ramSize: 128 << 20, firmware: nil, initrdSize: 65 << 20)
        }
        // QEMU: "i62m (0x82000000 - ...) overlaps fdt (0x83e00000 - 0x83f00000)": the tree's 1 MiB, not its blob.
        #expect(throws: BootError.overlap(first: "initrd", firstStart: 0x8200_0000, firstEnd: 0x83e0_2000,
                                          second: "device tree", secondStart: 0x83e0_0000, secondEnd: 0x83f0_0000)) {
            try plan(ramSize: 64 << 20, firmware: nil, initrdSize: (30 << 20) + 0x2000)
        }
    }

    /// QEMU places its 1 MiB region, so RAM that ends off a 2 MiB boundary puts the tree lower
    /// than the blob's size alone would: 0x87e0_0000 for 128.5 MiB (its overlap message says so).
    @Test func deviceTreeRegionIsQEMUs() throws {
        let p = try BootPlan.make(ramBase: ramBase, ramSize: 131_584 << 10, firmware: nil, kernel: raw(16), deviceTree: dtb)
        #expect(p.deviceTreeAddress == 0x87e0_0000)
        // A -dtb file: twice its size plus 10000 bytes.
        #expect(BootPlan.deviceTreeFileReservation(fileSize: 342) == 20_684)
    }
}
