#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Machine

/// One bank of parallel NOR flash with the Intel/Sharp command set, as QEMU's `virt` board
/// has two of (`pflash0` holds firmware or a UEFI image, `pflash1` its variables).
///
/// The bank is two x16 chips side by side on a 32-bit bus, like QEMU's `cfi.pflash01` with
/// `width=4, device-width=2`: every command and every query answer appears once per chip, in
/// each 16-bit half of a 32-bit word. Firmware finds the part through the Common Flash
/// Interface query (JEDEC JESD68.01) and drives it with the Intel "basic command set"
/// (CFI primary vendor ID 0x0001): read array, read status, read identifier, program, buffered
/// program, block erase and block lock. Programming and erasing complete at once; the status
/// register always reports ready.
///
/// Without a backing file the bank reads as zeros, as QEMU's does; blocks are allocated only
/// when written, so an unused bank costs no memory. With a file (`-drive if=pflash`) the file
/// holds the whole bank and every program or erase is written through to it.
public final class CFIFlash: Device {
    public let name: String

    /// Why a bank could not be set up from its backing file.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case cannotOpen(path: String, reason: String)
        case wrongSize(path: String, size: UInt64, expected: UInt64)
        case readFailed(path: String, reason: String)

        public var description: String {
            switch self {
            case .cannotOpen(let path, let reason): return "pflash: cannot open \(path): \(reason)"
            case .wrongSize(let path, let size, let expected):
                return "pflash: \(path) is \(size) bytes; a flash bank needs exactly \(expected) bytes"
            case .readFailed(let path, let reason): return "pflash: cannot read \(path): \(reason)"
            }
        }
    }

    /// The geometry QEMU's `virt` board gives each bank (`hw/riscv/virt.c`).
    public enum Geometry {
        /// Bytes per bank: half of the 64 MiB flash window.
        public static let bankSize: UInt64 = 32 << 20
        /// Bytes the bus erases at once: one 128 KiB block in each of the two chips.
        public static let sectorSize: UInt64 = 256 << 10
        /// Bytes per bus word.
        public static let bankWidth = 4
        /// Bytes per chip word (x16 parts).
        public static let deviceWidth = 2
        /// Chips side by side on the bus.
        public static var chips: Int { bankWidth / deviceWidth }
    }

    /// Intel basic command set codes (the first byte written in a command sequence).
    enum Command {
        static let readArray: UInt8 = 0xff
        /// What QEMU also accepts as read array (AMD reset and the all-zero write).
        static let amdReset: UInt8 = 0xf0
        static let zero: UInt8 = 0x00
        static let program: UInt8 = 0x40
        static let alternateProgram: UInt8 = 0x10
        static let blockErase: UInt8 = 0x20
        static let clearStatus: UInt8 = 0x50
        static let blockLockSetup: UInt8 = 0x60
        static let readStatus: UInt8 = 0x70
        static let readIdentifier: UInt8 = 0x90
        static let cfiQuery: UInt8 = 0x98
        static let bufferedProgram: UInt8 = 0xe8
        static let confirm: UInt8 = 0xd0
        /// Second cycle of "set block lock bit" after 0x60.
        static let setLock: UInt8 = 0x01
    }

    /// Status register bits (Intel StrataFlash status register).
    enum Status {
        /// SR.7: the write state machine is ready.
        static let ready: UInt8 = 0x80
        /// SR.5: an erase failed, or a command sequence was malformed.
        static let eraseError: UInt8 = 0x20
        /// SR.4: a program failed.
        static let programError: UInt8 = 0x10
    }

    /// Identifier codes QEMU's `virt` gives its flash: Intel (0x89), device 0x18 (28F128J3, 16 MiB).
    public static let manufacturerID: UInt32 = 0x89
    public static let deviceID: UInt32 = 0x18

    /// What reads return.
    enum ReadMode: Equatable { case array, status, identifier, query }
    /// Which cycle of a multi-cycle command comes next.
    enum Pending: Equatable {
        case none, program, eraseConfirm, lockConfirm, bufferCount
        /// `remaining` more data words to take, then the confirm.
        case bufferData(remaining: UInt32)
        case bufferConfirm
    }

    private(set) var readMode: ReadMode = .array
    private(set) var pending: Pending = .none
    private(set) var status: UInt8 = Status.ready
    /// Block erase address, latched by the first cycle and acted on at the confirm.
    private var eraseOffset: UInt64 = 0

    /// Written blocks, keyed by block index; a missing block reads as `blankByte`.
    private var blocks: [Int: [UInt8]] = [:]
    /// The content of a never-written block: QEMU's unbacked flash is zero-filled RAM.
    private static let blankByte: UInt8 = 0
    /// Where programs and erases are written back, when the bank is backed by a file.
    private var file: Int32 = -1

    /// The per-chip CFI query table, indexed by query address (JESD68.01 tables 1-4 and the
    /// Intel primary extended table at 0x31). Values are those QEMU's model reports.
    static let queryTable: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 0x52)
        // "QRY", primary command set 0x0001 (Intel/Sharp extended), its table at 0x31.
        t[0x10] = UInt8(ascii: "Q"); t[0x11] = UInt8(ascii: "R"); t[0x12] = UInt8(ascii: "Y")
        t[0x13] = 0x01; t[0x15] = 0x31
        // Vcc 4.5-5.5 V, no Vpp; typical and maximum timeouts as 2^n units.
        t[0x1b] = 0x45; t[0x1c] = 0x55
        t[0x1f] = 0x07; t[0x20] = 0x07; t[0x21] = 0x0a; t[0x23] = 0x04; t[0x24] = 0x04; t[0x25] = 0x04
        let chips = UInt64(Geometry.chips)
        let blockSize = Geometry.sectorSize / chips
        let blocks = Geometry.bankSize / Geometry.sectorSize
        // Device size 2^n bytes per chip; x8/x16 interface; 2^11-byte write buffer.
        t[0x27] = UInt8((Geometry.bankSize / chips).trailingZeroBitCount)
        t[0x28] = 0x02
        t[0x2a] = 0x0b
        // One uniform erase region: (blocks - 1), then the block size in 256-byte units.
        t[0x2c] = 0x01
        t[0x2d] = UInt8(truncatingIfNeeded: blocks - 1); t[0x2e] = UInt8(truncatingIfNeeded: (blocks - 1) >> 8)
        t[0x2f] = UInt8(truncatingIfNeeded: blockSize >> 8); t[0x30] = UInt8(truncatingIfNeeded: blockSize >> 16)
        // Intel primary extended query "PRI" version 1.0, one protection field.
        t[0x31] = UInt8(ascii: "P"); t[0x32] = UInt8(ascii: "R"); t[0x33] = UInt8(ascii: "I")
        t[0x34] = UInt8(ascii: "1"); t[0x35] = UInt8(ascii: "0")
        t[0x3f] = 0x01
        return t
    }()

    /// A blank bank (reads as zeros) whose content lives only in memory.
    public init(name: String) {
        self.name = name
    }

    /// A bank backed by `path`, which must be exactly `Geometry.bankSize` bytes. It is opened
    /// read-write when possible; if only reading is allowed, programs and erases fail with the
    /// status register's error bits, as on a write-protected part.
    public init(name: String, backingFile path: String) throws(Error) {
        self.name = name
        var fd = open(path, O_RDWR)
        if fd < 0 { fd = open(path, O_RDONLY) }
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard UInt64(info.st_size) == Geometry.bankSize else {
            close(fd)
            throw .wrongSize(path: path, size: UInt64(info.st_size), expected: Geometry.bankSize)
        }
        let blockCount = Int(Geometry.bankSize / Geometry.sectorSize)
        for index in 0..<blockCount {
            var block = [UInt8](repeating: 0, count: Int(Geometry.sectorSize))
            // SAFETY: pread writes at most $0.count bytes, the size of `block`; the pointer does not
            // outlive the closure.
            let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(index) * off_t(Geometry.sectorSize)) }
            guard n == Int(Geometry.sectorSize) else {
                close(fd)
                throw .readFailed(path: path, reason: n < 0 ? String(cString: strerror(errno)) : "short read")
            }
            if block.contains(where: { $0 != Self.blankByte }) { blocks[index] = block }
        }
        writable = (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR
        file = fd
    }

    /// False when the backing file could only be opened for reading.
    public private(set) var writable = true

    deinit {
        if file >= 0 { close(file) }
    }

    // MARK: Storage

    /// The byte at `offset` of the bank as stored (what read-array mode returns).
    public func storedByte(at offset: UInt64) -> UInt8 {
        guard offset < Geometry.bankSize else { return 0 }
        let sector = Int(offset / Geometry.sectorSize)
        return blocks[sector]?[Int(offset % Geometry.sectorSize)] ?? Self.blankByte
    }

    private func store(_ value: UInt64, at offset: UInt64, width: Int) {
        for i in 0..<width {
            let address = offset + UInt64(i)
            guard address < Geometry.bankSize else { break }
            let sector = Int(address / Geometry.sectorSize)
            if blocks[sector] == nil { blocks[sector] = [UInt8](repeating: Self.blankByte, count: Int(Geometry.sectorSize)) }
            blocks[sector]![Int(address % Geometry.sectorSize)] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))
        }
        writeBack(offset, count: width)
    }

    private func erase(sectorAt offset: UInt64) {
        let sector = Int(offset / Geometry.sectorSize)
        blocks[sector] = [UInt8](repeating: 0xff, count: Int(Geometry.sectorSize))
        writeBack(UInt64(sector) * Geometry.sectorSize, count: Int(Geometry.sectorSize))
    }

    private func writeBack(_ offset: UInt64, count: Int) {
        guard file >= 0 else { return }
        var bytes = [UInt8](repeating: 0, count: count)
        for i in 0..<count { bytes[i] = storedByte(at: offset + UInt64(i)) }
        // SAFETY: pwrite reads $0.count (= count) bytes, the size of `bytes`; the pointer does not
        // outlive the closure.
        let n = bytes.withUnsafeBytes { pwrite(file, $0.baseAddress, $0.count, off_t(offset)) }
        // The guest cannot be told about a host I/O error other than through the status register.
        if n != count { status |= Status.programError }
    }

    // MARK: Bus interface

    public func read(offset: UInt64, width: Int) -> UInt64 {
        // The bus is 32 bits wide: a doubleword access is two word cycles.
        if width == 8 {
            return read(offset: offset, width: 4) | read(offset: offset + 4, width: 4) << 32
        }
        let mask: UInt64 = width >= 8 ? ~0 : (1 << (8 * UInt64(width))) - 1
        switch readMode {
        case .array:
            var value: UInt64 = 0
            for i in 0..<width { value |= UInt64(storedByte(at: offset + UInt64(i))) << (8 * UInt64(i)) }
            return value
        case .status:
            return Self.perChip(UInt64(status), chipWidth: Geometry.deviceWidth) & mask
        case .identifier:
            let code: UInt32
            switch Self.chipAddress(offset) & 0xff {
            case 0: code = Self.manufacturerID
            case 1: code = Self.deviceID
            default: code = 0  // Block lock status and the rest read as 0 in QEMU.
            }
            return Self.perChip(UInt64(code), chipWidth: Geometry.deviceWidth) & mask
        case .query:
            let index = Int(Self.chipAddress(offset))
            let entry = index < Self.queryTable.count ? Self.queryTable[index] : 0
            return Self.perChip(UInt64(entry), chipWidth: Geometry.deviceWidth) & mask
        }
    }

    /// Query and identifier addresses count chip words: the bus address shifted by the bus width.
    private static func chipAddress(_ offset: UInt64) -> UInt64 {
        offset >> UInt64(Geometry.bankWidth.trailingZeroBitCount)
    }

    /// A chip's answer repeated in every chip's lane of a bus word.
    private static func perChip(_ value: UInt64, chipWidth: Int) -> UInt64 {
        var word: UInt64 = 0
        for chip in 0..<Geometry.chips { word |= value << (8 * UInt64(chip * chipWidth)) }
        return word
    }

    public func write(offset: UInt64, width: Int, value: UInt64) {
        if width == 8 {
            write(offset: offset, width: 4, value: value & 0xffff_ffff)
            write(offset: offset + 4, width: 4, value: value >> 32)
            return
        }
        let command = UInt8(truncatingIfNeeded: value)
        switch pending {
        case .none:
            startCommand(command, offset: offset)
        case .program:
            if writable { store(value, at: offset, width: width) } else { status |= Status.programError }
            status |= Status.ready
            pending = .none
        case .eraseConfirm:
            pending = .none
            if command == Command.confirm {
                if writable { erase(sectorAt: eraseOffset) } else { status |= Status.eraseError }
                status |= Status.ready
            } else {
                // Anything but the confirm aborts the erase (an improper command sequence).
                if command != Command.readArray { status |= Status.eraseError | Status.programError }
                readMode = .array
            }
        case .lockConfirm:
            pending = .none
            if command == Command.confirm || command == Command.setLock {
                // Lock bits are not modelled: every block stays unlocked.
                status |= Status.ready
            } else {
                readMode = .array
            }
        case .bufferCount:
            // The count is per chip, in chip words, minus one.
            let count = UInt32(truncatingIfNeeded: value & 0xffff)
            pending = .bufferData(remaining: count)
        case .bufferData(let remaining):
            if writable { store(value, at: offset, width: width) } else { status |= Status.programError }
            pending = remaining == 0 ? .bufferConfirm : .bufferData(remaining: remaining - 1)
        case .bufferConfirm:
            pending = .none
            if command != Command.confirm {
                // The data is already stored (as in QEMU); only the status shows the bad sequence.
                status |= Status.eraseError | Status.programError
                readMode = .array
            }
        }
    }

    private func startCommand(_ command: UInt8, offset: UInt64) {
        switch command {
        case Command.readArray, Command.amdReset, Command.zero:
            readMode = .array
        case Command.program, Command.alternateProgram:
            readMode = .status
            pending = .program
        case Command.blockErase:
            readMode = .status
            eraseOffset = offset & ~(Geometry.sectorSize - 1)
            pending = .eraseConfirm
        case Command.clearStatus:
            // Clears the error bits; SR.7 reflects the write state machine, which is idle.
            status = Status.ready
            readMode = .array
        case Command.blockLockSetup:
            readMode = .status
            pending = .lockConfirm
        case Command.readStatus:
            readMode = .status
        case Command.readIdentifier:
            readMode = .identifier
        case Command.cfiQuery:
            readMode = .query
        case Command.bufferedProgram:
            // Reads now return the extended status: the buffer is always available.
            readMode = .status
            status |= Status.ready
            pending = .bufferCount
        default:
            // An unknown command leaves the part in read-array mode, as QEMU's model does.
            readMode = .array
        }
    }
}
