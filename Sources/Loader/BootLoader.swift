#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Devices
import Machine

/// What to boot, in QEMU's terms (`-bios`, `-kernel`, `-initrd`, `-dtb`); RAM size and `-append`
/// belong to the board configuration because they shape the device tree.
public struct BootOptions: Sendable, Equatable {
    /// `-bios`: `none`, a file, or `default` (QEMU's bundled OpenSBI fw_dynamic).
    public enum Firmware: Sendable, Equatable {
        case none
        case file(String)
        case `default`
    }

    public var firmware: Firmware
    public var kernel: String?
    /// `-initrd`: loaded raw past the kernel and published in `/chosen`.
    public var initrd: String?
    /// `-dtb`: a device tree blob used instead of the board's (QEMU's edits to `/chosen` apply).
    public var deviceTree: String?

    public init(firmware: Firmware = .default, kernel: String? = nil, initrd: String? = nil, deviceTree: String? = nil) {
        self.firmware = firmware
        self.kernel = kernel
        self.initrd = initrd
        self.deviceTree = deviceTree
    }
}

/// Reads boot images from disk and puts them, the device tree and the reset-vector ROM into a
/// `VirtBoard`, following a `BootPlan`.
///
/// Kept apart from `BootPlan` so the placement rules can be tested without files or a board.
public enum BootLoader {
    /// Where QEMU 7.2 finds `-bios default` for a 64-bit `virt` machine, then the Debian
    /// opensbi package's copy of the same firmware.
    public static let defaultFirmwarePaths = [
        "/usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin",
        "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
    ]

    /// Largest ELF file we read into memory. ELF files may exceed RAM (debug info); this only
    /// stops a mistaken multi-gigabyte path from exhausting the host.
    public static let maximumELFFileSize = 1 << 30

    /// Reads the images named in `options` and plans the boot for `board`'s RAM and device tree.
    public static func plan(_ options: BootOptions, for board: VirtBoard) throws(BootError) -> BootPlan {
        let ramSize = board.configuration.ramSize
        try BootPlan.validate(memorySize: ramSize)
        var firmware: BootPlan.Input?
        switch options.firmware {
        case .none:
            firmware = nil
        case .file(let path):
            firmware = try readImage(path, role: .firmware, rawLimit: ramSize)
        case .default:
            guard let path = defaultFirmwarePaths.first(where: { access($0, R_OK) == 0 }) else {
                throw .defaultFirmwareNotFound(searched: defaultFirmwarePaths)
            }
            firmware = try readImage(path, role: .firmware, rawLimit: ramSize)
        }
        let kernel = try options.kernel.map { (path) throws(BootError) in
            try readImage(path, role: .kernel, rawLimit: ramSize)
        }
        if options.initrd != nil && kernel == nil { throw .initrdWithoutKernel }
        // QEMU reads the initrd as it is, whatever it holds; more than RAM cannot fit anywhere.
        let initrd = try options.initrd.map { (path) throws(BootError) in
            BootPlan.Initrd(path: path, bytes: try readFile(path, role: .initrd, limit: ramSize))
        }
        let userTree = try options.deviceTree.map { (path) throws(BootError) in try UserDeviceTree(path: path) }
        let reservation = userTree?.reservation ?? BootPlan.generatedDeviceTreeReservation
        return try BootPlan.make(ramBase: board.memory.base, ramSize: ramSize, firmware: firmware, kernel: kernel,
                                 initrd: initrd, deviceTreeReservation: reservation) { (range) throws(BootError) in
            try userTree?.edited(for: board, initrd: range) ?? board.deviceTree(initrd: range)
        }
    }

    /// The device tree a boot with `options` would give the guest, for `dumpdtb` when there is
    /// nothing to boot (QEMU dumps its tree with `-bios none` and no kernel too).
    public static func deviceTreeWithoutImages(_ options: BootOptions, for board: VirtBoard) throws(BootError) -> [UInt8] {
        if let path = options.deviceTree { return try UserDeviceTree(path: path).edited(for: board, initrd: nil) }
        return board.deviceTree(initrd: nil)
    }

    /// Copies every load of `plan` into RAM (zero-filling .bss) and maps the boot ROM at 0x1000.
    ///
    /// Safe to call again on reset: QEMU also re-copies its boot images when the machine resets.
    public static func load(_ plan: BootPlan, into board: VirtBoard) throws(BootError) {
        let memory = board.memory
        for load in plan.loads {
            guard memory.contains(load.address, length: load.memorySize) else {
                // BootPlan only produces loads inside RAM; a board with other RAM would land here.
                throw .overlap(first: load.what, firstStart: load.range.lowerBound, firstEnd: load.range.upperBound,
                               second: "the end of RAM", secondStart: memory.base + memory.size,
                               secondEnd: memory.base + memory.size)
            }
            memory.write(load.bytes, at: load.address)
            let zeroStart = load.address + UInt64(load.bytes.count)
            let zeroCount = load.memorySize - UInt64(load.bytes.count)
            if zeroCount > 0 {
                memory.fill(zeroStart, count: Int(zeroCount))
            }
        }
        try mapBootROM(plan.bootROM, on: board.bus)
    }

    /// Points `hart` at the plan's start as QEMU's reset vector leaves it: architectural reset,
    /// pc at DRAM start in M-mode, a0/a1/a2/t0 as the ROM code sets them. On QEMU's `virt`
    /// every hart leaves reset together and runs the ROM; firmware (OpenSBI's lottery, or a
    /// bare-metal program's own check of a0) picks the boot hart.
    public static func start(_ hart: Hart, with plan: BootPlan) {
        hart.reset(pc: plan.startAddress)
        for (register, value) in plan.initialRegisters(hartID: hart.hartID) { hart.setRegister(register, value) }
    }

    /// Starts every hart of `board` (see `start(_:with:)`).
    public static func start(_ board: VirtBoard, with plan: BootPlan) {
        for hart in board.harts { start(hart, with: plan) }
    }

    /// Plans, loads and starts `board`'s hart in one step (what `virtbench run` and the harness do).
    @discardableResult
    public static func boot(_ options: BootOptions, on board: VirtBoard) throws(BootError) -> BootPlan {
        let plan = try plan(options, for: board)
        try load(plan, into: board)
        start(board, with: plan)
        return plan
    }

    /// Puts `contents` in the reset-vector ROM window, reusing a ROM already mapped there.
    static func mapBootROM(_ contents: [UInt8], on bus: Bus) throws(BootError) {
        if let region = bus.region(containing: BootPlan.bootROMBase) {
            guard let rom = region.device as? BootROM else {
                throw .bootROMUnavailable("device \(region.device.name) already occupies \(hex(BootPlan.bootROMBase))")
            }
            rom.contents = contents
            return
        }
        do {
            try bus.attach(BootROM(contents: contents), at: BootPlan.bootROMBase, size: BootPlan.bootROMSize)
        } catch {
            throw .bootROMUnavailable(error.description)
        }
    }

    /// Reads and classifies one image file.
    ///
    /// - Parameter rawLimit: a file that is not ELF and is larger than this cannot fit in RAM;
    ///   it is refused before being read (QEMU's raw-image size limit is the RAM size).
    public static func readImage(_ path: String, role: BootError.Role, rawLimit: UInt64) throws(BootError) -> BootPlan.Input {
        let (fd, size) = try openRegularFile(path, role: role)
        defer { close(fd) }
        let head = try readBytes(fd, count: min(size, 4), path: path, role: role)
        let isELF = size >= 4 && head == [0x7f, 0x45, 0x4c, 0x46]
        if isELF {
            guard size <= maximumELFFileSize else {
                throw .unreadableFile(role, path: path, reason: "ELF file of \(size) bytes is larger than the \(maximumELFFileSize)-byte limit")
            }
        } else if UInt64(size) > rawLimit {
            throw .imageTooLarge(role, path: path, address: VirtMemoryMap.dramBase,
                                 size: UInt64(size), ramEnd: VirtMemoryMap.dramBase + rawLimit)
        }
        let rest = try readBytes(fd, count: size - head.count, path: path, role: role)
        do {
            return BootPlan.Input(path: path, image: try BootImage.identify(head + rest, machine: .riscv))
        } catch {
            throw .image(role, path: path, error)
        }
    }

    /// Reads a whole regular file of at most `limit` bytes (an initrd, a `-dtb` blob).
    static func readFile(_ path: String, role: BootError.Role, limit: UInt64) throws(BootError) -> [UInt8] {
        let (fd, size) = try openRegularFile(path, role: role)
        defer { close(fd) }
        guard UInt64(size) <= limit else {
            throw .unreadableFile(role, path: path, reason: "\(size) bytes is more than the \(limit) bytes of RAM")
        }
        return try readBytes(fd, count: size, path: path, role: role)
    }

    /// Opens `path` for reading and returns the descriptor (the caller closes it) and the size;
    /// a missing file, a directory, a FIFO or a device gets its own error.
    private static func openRegularFile(_ path: String, role: BootError.Role) throws(BootError) -> (fd: Int32, size: Int) {
        // O_NONBLOCK so a FIFO given by mistake does not block the open.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT || e == ENOTDIR { throw .fileNotFound(role, path: path) }
            throw .unreadableFile(role, path: path, reason: errorText(e))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = errorText(errno)
            close(fd)
            throw .unreadableFile(role, path: path, reason: reason)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw .unreadableFile(role, path: path, reason: info.st_mode & S_IFMT == S_IFDIR ? "is a directory" : "is not a regular file")
        }
        return (fd, Int(info.st_size))
    }

    private static func readBytes(_ fd: Int32, count: Int, path: String, role: BootError.Role) throws(BootError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            // SAFETY: `out` holds `count` bytes and done < count, so the pointer is inside the buffer
            // and read(2) writes at most the count - done bytes left after it; the buffer pointer
            // does not outlive the closure.
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadableFile(role, path: path, reason: errorText(errno))
            }
            if n == 0 { throw .unreadableFile(role, path: path, reason: "file shrank while being read") }
            done += n
        }
        return out
    }

    private static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}

/// The read-only boot ROM at 0x1000 holding QEMU's reset vector and `fw_dynamic_info`.
///
/// The hart starts in RAM with the registers the reset vector would have set, but firmware
/// (OpenSBI `fw_dynamic`) reads `fw_dynamic_info` through a2, so the bytes must really be there.
public final class BootROM: DebuggerReadableDevice {
    public let name = "mrom"
    /// ROM bytes; reads beyond them return 0, as QEMU's zero-filled mrom region does.
    public var contents: [UInt8]

    public init(contents: [UInt8]) { self.contents = contents }

    public func read(offset: UInt64, width: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0 ..< width {
            let o = offset + UInt64(i)
            if o < UInt64(contents.count) { value |= UInt64(contents[Int(o)]) << (8 * UInt64(i)) }
        }
        return value
    }

    /// Writes to ROM are ignored.
    public func write(offset: UInt64, width: Int, value: UInt64) {}
}
