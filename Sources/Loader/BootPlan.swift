import RISCV
/// Where everything goes when the `virt` board boots, decided without touching a machine.
///
/// This is QEMU 7.2's `virt` boot behaviour as observed by booting `qemu-system-riscv64 -M virt`
/// with small probe programs that print their registers and dump the boot ROM (see
/// `Tests/LoaderTests/BootPlanTests.swift` for the observed values, and the README):
///
/// - The hart resets at 0x1000 in a small ROM. Its six instructions load a0 = `mhartid`,
///   a1 = the DTB address, a2 = the address of a `fw_dynamic_info` block right after the code
///   (0x1028), and jump through t0 to the **start of DRAM, 0x8000_0000, in M-mode, always**:
///   QEMU does not jump to an ELF's `e_entry`, neither with `-bios none` nor with firmware.
/// - Firmware (`-bios`) is loaded at 0x8000_0000 (raw) or at its ELF physical addresses.
/// - A kernel (`-kernel`) ELF goes to its own physical addresses; a raw kernel goes to DRAM
///   start with `-bios none`, else to the firmware's end rounded up to 2 MiB (0x8020_0000 for
///   OpenSBI). `fw_dynamic_info.next_addr` is the kernel's *lowest loaded address* (for an ELF
///   that is not necessarily `e_entry`), or 0 without a kernel; `next_mode` is S-mode.
/// - The DTB goes at `alignDown(min(ramEnd, 3 GiB) - reserved, 2 MiB)`: 0x8fe0_0000 for 256 MiB,
///   0xbfe0_0000 for 1 GiB and anything larger. `reserved` is the size QEMU gives the blob's
///   region, not the blob's: 1 MiB for the board's own tree, twice the file plus 10000 bytes for
///   `-dtb` (observed in QEMU's overlap messages and `dumpdtb` files); nothing may be loaded
///   over that region.
/// - An initrd (`-initrd`, loaded as it is) starts at the kernel's `next_addr` plus half of RAM,
///   at most 128 MiB: 0x8420_0000 for 128 MiB behind OpenSBI, 0x8820_0000 for 256 MiB and more
///   (observed with `dumpdtb` for several RAM and kernel sizes). `/chosen` gets its range.
///
/// Where we differ on purpose: QEMU loads a malformed or foreign-architecture ELF as raw bytes
/// and silently drops segments that fall outside RAM; we refuse both with a typed error.
public struct BootPlan: Sendable {
    /// One block of bytes to place in RAM; bytes past `bytes.count` up to `memorySize` are zero.
    public struct Load: Sendable, Equatable {
        /// "firmware", "kernel" or "device tree", for messages.
        public let what: String
        public let address: UInt64
        public let bytes: ArraySlice<UInt8>
        public let memorySize: UInt64
        public var range: Range<UInt64> { address ..< address + memorySize }
    }

    /// An initial RAM disk: bytes QEMU copies as they are (it does not look inside).
    public struct Initrd: Sendable {
        public let path: String
        public let bytes: [UInt8]
        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    /// An image together with the path it came from (for error messages).
    public struct Input: Sendable {
        public let path: String
        public let image: BootImage
        public init(path: String, image: BootImage) {
            self.path = path
            self.image = image
        }
    }

    // QEMU 7.2 virt memory map and boot constants, as observed.
    /// Reset vector ROM (`mrom`) window.
    public static let bootROMBase: UInt64 = 0x1000
    public static let bootROMSize: UInt64 = 0xf000
    /// Offsets inside the ROM: code, then start address, DTB address, then fw_dynamic_info.
    static let romStartAddressOffset: UInt64 = 0x18
    static let romDeviceTreeAddressOffset: UInt64 = 0x20
    static let romDynamicInfoOffset: UInt64 = 0x28
    /// The DTB is kept below 3 GiB so 32-bit kernels can reach it; it is 2 MiB aligned.
    public static let deviceTreeCeiling: UInt64 = 3 << 30
    public static let deviceTreeAlignment: UInt64 = 2 << 20
    /// A raw kernel after firmware starts at the next 2 MiB boundary (RV64; a megapage).
    public static let kernelAlignment: UInt64 = 2 << 20
    /// The most RAM the board has: the 64 GiB its RAM window at 0x8000_0000 holds.
    public static let maximumRAMSize: UInt64 = 64 << 30
    /// The region QEMU 7.2 reserves for the tree it builds (its FDT_MAX_SIZE): placement and
    /// overlap checks use this, not the blob's size.
    public static let generatedDeviceTreeReservation: UInt64 = 1 << 20
    /// The region QEMU 7.2 reserves for a `-dtb` file of `fileSize` bytes: it reads the file into
    /// a buffer of twice its size plus 10000 bytes, to have room for its edits.
    public static func deviceTreeFileReservation(fileSize: UInt64) -> UInt64 { 2 * (fileSize + 10_000) }
    /// An initrd starts this far past the kernel at most (half of RAM when that is less).
    public static let initrdMaximumOffset: UInt64 = 128 << 20
    /// The hart that boots.
    public static let bootHartID: UInt64 = 0

    /// Everything to copy into RAM, in load order (firmware, kernel, device tree).
    public let loads: [Load]
    /// PC at the first instruction executed from RAM (DRAM start), in M-mode.
    public let startAddress: UInt64
    /// Where the DTB is placed (a1).
    public let deviceTreeAddress: UInt64
    /// Where a raw kernel is (or would be) placed.
    public let kernelLoadAddress: UInt64
    /// `fw_dynamic_info.next_addr`: where firmware should jump to in S-mode (0 = no kernel).
    public let kernelEntry: UInt64
    /// Where the initrd was placed, as `/chosen` publishes it.
    public let initrd: Range<UInt64>?
    /// One past the highest firmware byte (DRAM start with `-bios none`).
    public let firmwareEnd: UInt64
    /// Address of `fw_dynamic_info` (a2).
    public var dynamicInfoAddress: UInt64 { Self.bootROMBase + Self.romDynamicInfoOffset }
    /// The reset vector ROM contents (code, addresses and `fw_dynamic_info`).
    public let bootROM: [UInt8]
    /// Things that will work but probably not as the user expects (e.g. an ELF entry QEMU ignores).
    public let warnings: [String]

    /// Integer registers as the reset vector leaves them on entry to DRAM: (register, value).
    /// Every hart runs the same ROM, so only a0 (`mhartid`) differs between harts.
    public func initialRegisters(hartID: UInt64 = BootPlan.bootHartID) -> [(register: Int, value: UInt64)] {
        [(10, hartID), (11, deviceTreeAddress), (12, dynamicInfoAddress), (5, startAddress)]
    }

    /// Decides where firmware, kernel and device tree go in `[ramBase, ramBase + ramSize)`.
    ///
    /// - Parameters:
    ///   - firmware: the `-bios` image, nil for `-bios none`.
    ///   - kernel: the `-kernel` image, if any.
    ///   - deviceTree: the DTB the board generated.
    public static func make(ramBase: UInt64, ramSize: UInt64, firmware: Input?, kernel: Input?,
                            deviceTree: [UInt8]) throws(BootError) -> BootPlan {
        try make(ramBase: ramBase, ramSize: ramSize, firmware: firmware, kernel: kernel, initrd: nil,
                 deviceTreeReservation: generatedDeviceTreeReservation) { _ in deviceTree }
    }

    /// Decides where firmware, kernel, initrd and device tree go in `[ramBase, ramBase + ramSize)`.
    ///
    /// - Parameters:
    ///   - initrd: the `-initrd` file; it needs a kernel, as in QEMU.
    ///   - deviceTreeReservation: the region QEMU reserves for the blob (see the type's notes).
    ///   - deviceTree: makes the DTB once the initrd's range (published in `/chosen`) is known.
    public static func make(ramBase: UInt64, ramSize: UInt64, firmware: Input?, kernel: Input?, initrd: Initrd?,
                            deviceTreeReservation: UInt64,
                            deviceTree: (_ initrd: Range<UInt64>?) throws(BootError) -> [UInt8]) throws(BootError) -> BootPlan {
        try validate(memorySize: ramSize)
        guard firmware != nil || kernel != nil else { throw .nothingToRun }
        let ramEnd = ramBase + ramSize
        var loads: [Load] = []
        var warnings: [String] = []

        // Firmware at DRAM start.
        var firmwareEnd = ramBase
        if let firmware {
            let placed = try place(firmware, role: .firmware, rawAddress: ramBase, ramBase: ramBase, ramEnd: ramEnd)
            loads += placed
            firmwareEnd = placed.map { $0.range.upperBound }.max() ?? ramBase
            if case .elf(let e) = firmware.image, e.entry != ramBase {
                warnings.append("firmware entry \(hex(e.entry)) is ignored: the virt board starts at \(hex(ramBase))")
            }
        }

        // Kernel: after the firmware, on a 2 MiB boundary.
        let kernelLoadAddress = firmware == nil ? ramBase : alignUp(firmwareEnd, kernelAlignment)
        var kernelEntry: UInt64 = 0
        if let kernel {
            let placed = try place(kernel, role: .kernel, rawAddress: kernelLoadAddress, ramBase: ramBase, ramEnd: ramEnd)
            loads += placed
            kernelEntry = placed.map(\.address).min() ?? kernelLoadAddress
            if firmware == nil, case .elf(let e) = kernel.image, e.entry != ramBase {
                warnings.append("kernel entry \(hex(e.entry)) is ignored: with -bios none the virt board starts at \(hex(ramBase))")
            }
        }

        // Initrd: far enough past the kernel for it to unpack, low enough for small RAM.
        var initrdRange: Range<UInt64>?
        if let initrd {
            guard kernel != nil else { throw .initrdWithoutKernel }
            let start = kernelEntry + min(ramSize / 2, initrdMaximumOffset)
            let size = UInt64(initrd.bytes.count)
            guard start <= ramEnd, size <= ramEnd - start else {
                throw .imageTooLarge(.initrd, path: initrd.path, address: start, size: size, ramEnd: ramEnd)
            }
            initrdRange = start ..< start + size
            // An empty initrd is published (start = end, as QEMU does) but loads nothing.
            if size > 0 { loads.append(Load(what: "initrd", address: start, bytes: initrd.bytes[...], memorySize: size)) }
        }

        let blob = try deviceTree(initrdRange)
        let deviceTree = try deviceTreeLoad(blob, reservation: deviceTreeReservation, ramBase: ramBase, ramEnd: ramEnd)
        // The overlap check sees QEMU's whole region; only the blob is copied.
        let region = Load(what: "device tree", address: deviceTree.address, bytes: deviceTree.bytes,
                          memorySize: max(deviceTree.memorySize, min(deviceTreeReservation, ramEnd - deviceTree.address)))
        try checkNoOverlap(loads + [region])
        loads.append(deviceTree)
        let deviceTreeAddress = deviceTree.address

        return BootPlan(loads: loads, startAddress: ramBase, deviceTreeAddress: deviceTreeAddress,
                        kernelLoadAddress: kernelLoadAddress, kernelEntry: kernelEntry, initrd: initrdRange,
                        firmwareEnd: firmwareEnd,
                        bootROM: makeBootROM(startAddress: ramBase, deviceTreeAddress: deviceTreeAddress,
                                             kernelEntry: kernelEntry),
                        warnings: warnings)
    }

    /// The device tree blob in the plan.
    public var deviceTree: [UInt8] { Array(loads.last { $0.what == "device tree" }?.bytes ?? []) }

    /// The device tree at the top of (low) RAM: below 3 GiB, 2 MiB aligned.
    ///
    /// QEMU places the region it reserved (`reservation`); in RAM too small for that region the
    /// blob alone is placed by the same rule.
    static func deviceTreeLoad(_ deviceTree: [UInt8], reservation: UInt64 = generatedDeviceTreeReservation,
                               ramBase: UInt64, ramEnd: UInt64) throws(BootError) -> Load {
        let ceiling = ramBase < deviceTreeCeiling ? min(ramEnd, deviceTreeCeiling) : ramEnd
        let dtbSize = UInt64(deviceTree.count)
        guard dtbSize <= ceiling - ramBase else {
            throw .deviceTreeDoesNotFit(size: deviceTree.count, ramStart: ramBase, ramEnd: ramEnd)
        }
        let placedSize = max(reservation, dtbSize) <= ceiling - ramBase ? max(reservation, dtbSize) : dtbSize
        let address = alignDown(ceiling - placedSize, deviceTreeAlignment)
        guard address >= ramBase else {
            throw .deviceTreeDoesNotFit(size: deviceTree.count, ramStart: ramBase, ramEnd: ramEnd)
        }
        return Load(what: "device tree", address: address, bytes: deviceTree[...], memorySize: dtbSize)
    }

    /// Nothing may be loaded over anything else.
    static func checkNoOverlap(_ loads: [Load]) throws(BootError) {
        for i in loads.indices {
            for j in loads.indices where j > i {
                let a = loads[i], b = loads[j]
                if a.range.overlaps(b.range) {
                    throw .overlap(first: a.what, firstStart: a.range.lowerBound, firstEnd: a.range.upperBound,
                                   second: b.what, secondStart: b.range.lowerBound, secondEnd: b.range.upperBound)
                }
            }
        }
    }

    /// Rejects RAM sizes the board cannot have.
    public static func validate(memorySize: UInt64) throws(BootError) {
        guard memorySize > 0, memorySize % 4096 == 0, memorySize <= maximumRAMSize else {
            throw .invalidMemorySize(memorySize)
        }
    }

    /// The loads for one image; ELF segments at their physical addresses, raw at `rawAddress`.
    static func place(_ input: Input, role: BootError.Role, rawAddress: UInt64,
                      ramBase: UInt64, ramEnd: UInt64) throws(BootError) -> [Load] {
        switch input.image {
        case .raw(let bytes):
            let size = UInt64(bytes.count)
            guard rawAddress >= ramBase, rawAddress <= ramEnd, size <= ramEnd - rawAddress else {
                throw .imageTooLarge(role, path: input.path, address: rawAddress, size: size, ramEnd: ramEnd)
            }
            return [Load(what: role.rawValue, address: rawAddress, bytes: bytes[...], memorySize: size)]
        case .elf(let elf):
            guard elf.elfClass == .elf64 else { throw .wrongClass(role, path: input.path) }
            var loads: [Load] = []
            for s in elf.segments {
                let r = s.physicalRange
                guard r.lowerBound >= ramBase, r.upperBound <= ramEnd else {
                    throw .segmentOutsideRAM(role, path: input.path, index: s.index, start: r.lowerBound,
                                             end: r.upperBound, ramStart: ramBase, ramEnd: ramEnd)
                }
                loads.append(Load(what: "\(role.rawValue) segment \(s.index)", address: s.physicalAddress,
                                  bytes: s.fileBytes, memorySize: s.memorySize))
            }
            return loads
        }
    }

    /// The reset-vector ROM: six instructions, then the start address, the DTB address and
    /// `fw_dynamic_info` (OpenSBI `include/sbi/fw_dynamic.h`, version 2).
    static func makeBootROM(startAddress: UInt64, deviceTreeAddress: UInt64, kernelEntry: UInt64) -> [UInt8] {
        let t0: UInt8 = 5, a0: UInt8 = 10, a1: UInt8 = 11, a2: UInt8 = 12
        var code = RV64Assembler()
        code.auipc(t0, 0)
        code.addi(a2, t0, Int32(romDynamicInfoOffset))
        code.csrrs(a0, CSR.mhartid, 0)
        code.ld(a1, t0, Int32(romDeviceTreeAddressOffset))
        code.ld(t0, t0, Int32(romStartAddressOffset))
        code.jalr(0, t0)
        var rom: [UInt8] = []
        for word in code.words { append(UInt64(word), bytes: 4, to: &rom) }
        append(startAddress, bytes: 8, to: &rom)
        append(deviceTreeAddress, bytes: 8, to: &rom)
        let info: [UInt64] = [FirmwareDynamicInfo.magic, FirmwareDynamicInfo.version, kernelEntry,
                              FirmwareDynamicInfo.nextModeSupervisor, 0, bootHartID]
        for field in info { append(field, bytes: 8, to: &rom) }
        return rom
    }

    static func append(_ value: UInt64, bytes: Int, to out: inout [UInt8]) {
        for i in 0 ..< bytes { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    static func alignUp(_ v: UInt64, _ a: UInt64) -> UInt64 { (v &+ a &- 1) & ~(a - 1) }
    static func alignDown(_ v: UInt64, _ a: UInt64) -> UInt64 { v & ~(a - 1) }
}

/// The hand-off block OpenSBI's `fw_dynamic` firmware reads through a2
/// (OpenSBI `include/sbi/fw_dynamic.h`). `fw_jump` and `fw_payload` ignore a2.
public enum FirmwareDynamicInfo {
    /// "OSBI" read as a little-endian 32-bit number.
    public static let magic: UInt64 = 0x4942_534f
    public static let version: UInt64 = 2
    /// `next_mode` value for S-mode.
    public static let nextModeSupervisor: UInt64 = 1
}

