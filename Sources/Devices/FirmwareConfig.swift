import Machine

/// QEMU's firmware configuration device (`fw_cfg`, compatible `qemu,fw-cfg-mmio`) at
/// 0x1010_0000: a table of numbered items and named files that firmware reads to learn how
/// the machine was configured.
///
/// The interface is QEMU's (`docs/specs/fw_cfg.rst`): a 16-bit big-endian selector at offset 8
/// picks an item and rewinds it, the data register at offset 0 returns its bytes in order
/// (any access width, past the end reads zeros), and the DMA register at offset 16 takes the
/// big-endian guest-physical address of a `FWCfgDmaAccess` request (control, length, address,
/// all big-endian) and carries it out at once. Reading the DMA register gives the "QEMU CFG"
/// signature.
///
/// The items are those QEMU 7.2's `virt` board shows a guest: the signature, the interface
/// ID (traditional and DMA), the (all-zero) UUID, "no graphics", the CPU count, the boot
/// menu flag and the file directory with `bios-geometry`, `bootorder` and `etc/boot-fail-wait`.
///
/// DMA stores go straight into RAM and the engine is not told, so a DMA over instructions the
/// hart has already decoded would leave stale decoded blocks until the guest's `fence.i`. None
/// of these items is code, so nothing on this board does that.
public final class FirmwareConfig: Device {
    public let name: String

    /// Register offsets.
    public enum Register {
        public static let data: UInt64 = 0x00
        public static let selector: UInt64 = 0x08
        public static let dmaAddress: UInt64 = 0x10
        /// The low half of the DMA address; writing it starts the transfer.
        public static let dmaAddressLow: UInt64 = 0x14
    }

    /// Item keys (QEMU `include/standard-headers/linux/qemu_fw_cfg.h`).
    public enum Key {
        public static let signature: UInt16 = 0x0000
        public static let interfaceID: UInt16 = 0x0001
        public static let uuid: UInt16 = 0x0002
        public static let noGraphic: UInt16 = 0x0004
        public static let cpuCount: UInt16 = 0x0005
        public static let bootMenu: UInt16 = 0x000e
        public static let fileDirectory: UInt16 = 0x0019
        /// Files take keys from here on, in name order.
        public static let firstFile: UInt16 = 0x0020
        /// The low 14 bits select the item; bit 14 asks for the write channel, bit 15 the arch-specific table.
        static let entryMask: UInt16 = 0x3fff
        static let architectureSpecific: UInt16 = 0x8000
    }

    /// `FW_CFG_VERSION` (traditional interface) | `FW_CFG_VERSION_DMA`.
    public static let interfaceID: UInt32 = 0x3
    /// What reading the DMA address register returns: "QEMU CFG" in big-endian byte order.
    public static let dmaSignature: UInt64 = 0x5145_4d55_2043_4647
    /// Length of a file name field in the directory, NUL padded.
    static let fileNameLength = 56

    /// Control word bits of a DMA request.
    enum DMAControl {
        static let error: UInt32 = 0x01
        static let read: UInt32 = 0x02
        static let skip: UInt32 = 0x04
        static let select: UInt32 = 0x08
        static let write: UInt32 = 0x10
    }

    private var items: [UInt16: [UInt8]] = [:]
    private var selected: UInt16 = Key.signature
    private var position = 0
    private var dmaAddressHigh: UInt32 = 0
    private let memory: PhysicalMemory?

    /// - Parameters:
    ///   - cpuCount: harts on the board.
    ///   - files: named files, published in the directory in name order.
    ///   - memory: what DMA requests read and write; without it DMA requests fail with the error bit.
    public init(name: String = "fw-cfg", cpuCount: UInt16 = 1, files: [String: [UInt8]] = FirmwareConfig.virtBoardFiles,
                memory: PhysicalMemory?) {
        self.name = name
        self.memory = memory
        items[Key.signature] = Array("QEMU".utf8)
        items[Key.interfaceID] = Self.littleEndian(UInt64(Self.interfaceID), bytes: 4)
        items[Key.uuid] = [UInt8](repeating: 0, count: 16)
        items[Key.noGraphic] = Self.littleEndian(1, bytes: 2)
        items[Key.cpuCount] = Self.littleEndian(UInt64(cpuCount), bytes: 2)
        items[Key.bootMenu] = Self.littleEndian(0, bytes: 2)
        var directory = Self.bigEndian(UInt64(files.count), bytes: 4)
        for (index, entry) in files.sorted(by: { $0.key < $1.key }).enumerated() {
            let key = Key.firstFile + UInt16(index)
            items[key] = entry.value
            directory += Self.bigEndian(UInt64(entry.value.count), bytes: 4)
            directory += Self.bigEndian(UInt64(key), bytes: 2) + [0, 0]
            let nameBytes = Array(entry.key.utf8.prefix(Self.fileNameLength - 1))
            directory += nameBytes + [UInt8](repeating: 0, count: Self.fileNameLength - nameBytes.count)
        }
        items[Key.fileDirectory] = directory
    }

    /// The files QEMU 7.2's `virt` board publishes without extra options: an empty boot
    /// order and BIOS geometry, and a boot-fail-wait of -1 (do not reboot after a failed boot).
    public static let virtBoardFiles: [String: [UInt8]] = [
        "bios-geometry": [],
        "bootorder": [],
        "etc/boot-fail-wait": littleEndian(0xffff_ffff, bytes: 4),
    ]

    /// The bytes of item `key`, if it exists.
    public func item(_ key: UInt16) -> [UInt8]? { items[key] }

    public func read(offset: UInt64, width: Int) -> UInt64 {
        switch offset {
        case Register.data:
            var value: UInt64 = 0
            for i in 0..<min(width, 8) { value |= UInt64(nextByte()) << (8 * UInt64(i)) }
            return value
        case Register.dmaAddress where width == 8:
            return Self.dmaSignature.byteSwapped
        case Register.dmaAddress where width == 4:
            return UInt64(UInt32(truncatingIfNeeded: Self.dmaSignature >> 32).byteSwapped)
        case Register.dmaAddressLow where width == 4:
            return UInt64(UInt32(truncatingIfNeeded: Self.dmaSignature).byteSwapped)
        default:
            // QEMU rejects reads of the selector; this bus cannot fault a device access, so they read 0.
            return 0
        }
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        switch (offset, width) {
        case (Register.selector, 2):
            select(UInt16(truncatingIfNeeded: value).byteSwapped)
        case (Register.dmaAddress, 8):
            runDMA(at: value.byteSwapped)
        case (Register.dmaAddress, 4):
            dmaAddressHigh = UInt32(truncatingIfNeeded: value).byteSwapped
        case (Register.dmaAddressLow, 4):
            let address = UInt64(dmaAddressHigh) << 32 | UInt64(UInt32(truncatingIfNeeded: value).byteSwapped)
            dmaAddressHigh = 0
            runDMA(at: address)
        default:
            break  // Data register writes are ignored since QEMU 2.4; nothing else is writable.
        }
    }

    private func select(_ key: UInt16) {
        // No architecture-specific items exist on RISC-V, so such keys select nothing.
        selected = key & Key.architectureSpecific != 0 ? UInt16.max : key & Key.entryMask
        position = 0
    }

    private func nextByte() -> UInt8 {
        guard let bytes = items[selected], position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// Carries out the request at `address` and writes its completion (control word 0, or
    /// the error bit) back.
    private func runDMA(at address: UInt64) {
        guard let memory, let request = memory.read(address, count: 16) else { return }
        let control = UInt32(Self.readBigEndian(request[0..<4]))
        let length = Int(Self.readBigEndian(request[4..<8]))
        let target = Self.readBigEndian(request[8..<16])
        var failed = false
        if control & DMAControl.select != 0 { select(UInt16(truncatingIfNeeded: control >> 16)) }
        if control & DMAControl.write != 0 {
            failed = true  // No item on this board accepts writes.
        } else if control & DMAControl.read != 0 {
            // A length no RAM could hold fails before anything is allocated.
            guard UInt64(length) <= memory.size else {
                _ = memory.write(Self.bigEndian(UInt64(DMAControl.error), bytes: 4), at: address)
                return
            }
            var bytes = [UInt8](repeating: 0, count: length)
            for i in 0..<length { bytes[i] = nextByte() }
            failed = !memory.write(bytes, at: target)
        } else if control & DMAControl.skip != 0 {
            position += length
        }
        _ = memory.write(Self.bigEndian(failed ? UInt64(DMAControl.error) : 0, bytes: 4), at: address)
    }

    private static func littleEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        (0..<bytes).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    private static func bigEndian(_ value: UInt64, bytes: Int) -> [UInt8] {
        littleEndian(value, bytes: bytes).reversed()
    }

    private static func readBigEndian(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
