import Devices
import Hypervisor
import RISCV

/// What a generated image runs as, which fixes where it is linked and which privileged
/// registers its trap handler uses.
public enum FuzzGuestTarget: String, Sendable, CaseIterable {
    /// `virtbench run -bios none` (native): M-mode at 0x8000_0000, where the reset ROM jumps.
    case machine
    /// A guest kernel (hav, full, `host` domains): S-mode at 0x8020_0000, the SBI below it.
    case supervisor
    /// A para-virtual kernel (para): the same address, but traps arrive through the hypercall
    /// ABI's callback and leave through trap-return, since the kernel runs in U-mode.
    case paravirtual

    /// Where the image is linked and entered.
    public var base: UInt64 {
        self == .machine ? VirtMemoryMap.dramBase : GuestLayout.kernelAddress.rawValue
    }
}

/// A generated guest image and what went into it, for the reproducer's notes.
public struct FuzzGuestImage: Sendable, Equatable {
    public let elf: [UInt8]
    /// One line per piece of the program, in order ("load ld 0xfffffffffffffff8", ...).
    public let notes: [String]
}

/// Builds RV64 guest images that try to hurt the host: random valid instructions from the
/// encoding table, hand-shaped hostile snippets (accesses at the ends of the address space and
/// at devices, CSR writes, trap vectors that trap, SBI calls and hypercalls with odd
/// arguments, privileged instructions, page tables of random entries, wild jumps) and raw
/// random words. Everything is a pure function of the seed, the target and the RAM size.
///
/// Layout: a jump over a trap handler at base + 4, the program, then a power-off; data pages
/// (scratch slots, a trap frame, page tables) at base + `dataOffset`. The handler resumes at
/// the next instruction (or at `ra` after a fetch fault), so one image gets through many
/// snippets; snippets that take the handler away are part of the mix.
///
/// Rule: a generated guest never asks to end with status 1 (an SRST shutdown with a failure
/// reason, a sifive_test failure with code 1), because status 1 is how `virtbench` reports its
/// own errors and the classifier must be able to tell them apart.
public struct FuzzGuestGenerator: Sendable {
    public let target: FuzzGuestTarget
    /// Guest RAM, as `-m` or the domain's memory gives it.
    public let memorySize: UInt64

    /// Data pages start this far above the base; the code must end below them.
    static let dataOffset: UInt64 = 0x8000
    /// Bytes of data pages the image reserves (zero-filled beyond its initialised part).
    static let dataSize: UInt64 = 0x8000
    /// Words of code at most, leaving room for the epilogue below the data pages.
    static let codeWordLimit = Int(dataOffset / 4) - 64

    // Slots in the first data page.
    static let startInfoSlot: UInt64 = 0x0, sharedInfoSlot: UInt64 = 0x8, machineBaseSlot: UInt64 = 0x10
    static let trapFrameOffset: UInt64 = 0x100
    static let requestArrayOffset: UInt64 = 0x400
    /// Four zeroed pages for page tables.
    static let pageTableOffset: UInt64 = 0x4000

    // SBI extensions (SBI spec 2.0, chapter 3 onward) and the legacy calls.
    static let sbiExtensions: [UInt64] = [0, 1, 2, 3, 4, 5, 6, 7, 0x10, 0x5449_4D45, 0x0073_5049, 0x5246_4E43, 0x0048_534D, 0x5352_5354, 0x4442_434E]
    static let sbiSystemReset: UInt64 = 0x5352_5354
    static let sbiLegacyShutdown: UInt64 = 8
    static let sbiLegacyPutchar: UInt64 = 1

    public init(target: FuzzGuestTarget, memorySize: UInt64) {
        self.target = target
        self.memorySize = memorySize
    }

    var base: UInt64 { target.base }
    var dataBase: UInt64 { base + Self.dataOffset }
    var ramEnd: UInt64 { VirtMemoryMap.dramBase + memorySize }

    // MARK: Hostile images

    /// A hostile image: prologue, 4–40 snippets, power-off.
    public func hostile(seed: UInt64) -> FuzzGuestImage {
        var program = FuzzGuestProgram(generator: self, rng: SplitMix64(seed: seed))
        program.build()
        return FuzzGuestImage(elf: program.elf(), notes: program.notes)
    }

    // MARK: Well-behaved images

    /// An image that does everything by the rules: installs its trap handler, prints `message`
    /// (through the SBI console; from M-mode, at the UART), writes `iterations` doublewords
    /// across eight pages of its data area, and powers off with status 0; `dataBytes` of
    /// initialised data go with it. A host case's control domain, the save-file base and the
    /// ELF mutator's generated bases are made from it.
    public func wellBehaved(message: String, iterations: UInt32, dataBytes: Int = 0) -> [UInt8] {
        var code = FuzzCodeWriter(base: base)
        let entryJump = code.words.count
        code.emit(0)
        let handler = code.address
        Self.emitSkipHandler(&code, target: target, dataBase: dataBase)
        code.patch(at: entryJump, FuzzCodeWriter.encode("jal", rd: 0, immediate: Int64(bitPattern: code.address &- base)))
        emitPrologue(&code, handler: handler)
        if target == .machine {
            code.loadImmediate(FuzzRegister.t0, VirtMemoryMap.uart0.base)
            for byte in message.utf8 {
                code.loadImmediate(FuzzRegister.t1, UInt64(byte))
                code.emit("sb", rs1: FuzzRegister.t0, rs2: FuzzRegister.t1, immediate: 0)
            }
        } else {
            for byte in message.utf8 { code.environmentCall(extension: Self.sbiLegacyPutchar, function: 0, arguments: [UInt64(byte)]) }
        }
        // t0 counts down; each turn stores it at data + (t0 * 8 mod 32 KiB).
        code.loadImmediate(FuzzRegister.t0, UInt64(iterations))
        code.loadImmediate(FuzzRegister.t1, dataBase)
        code.loadImmediate(FuzzRegister.t4, Self.dataSize - 8)
        let loop = code.address
        code.emit("slli", rd: FuzzRegister.t3, rs1: FuzzRegister.t0, immediate: 3)
        code.emit("and", rd: FuzzRegister.t3, rs1: FuzzRegister.t3, rs2: FuzzRegister.t4)
        code.emit("add", rd: FuzzRegister.t3, rs1: FuzzRegister.t3, rs2: FuzzRegister.t1)
        code.emit("sd", rs1: FuzzRegister.t3, rs2: FuzzRegister.t0, immediate: 0)
        code.emit("addi", rd: FuzzRegister.t0, rs1: FuzzRegister.t0, immediate: -1)
        code.emit("bne", rs1: FuzzRegister.t0, rs2: 0, immediate: Int64(bitPattern: loop &- code.address))
        Self.emitPowerOff(&code, target: target)
        // Initialised data makes the file as large as real kernels are, so arithmetic on its
        // size (entry + length) can wrap as theirs would.
        var filler = SplitMix64(seed: UInt64(iterations))
        return elf(code: code.bytes, data: (0 ..< dataBytes).map { _ in UInt8(truncatingIfNeeded: filler.next()) })
    }

    /// The ELF for `code` at the base and `data` at the data pages (their rest zero-filled).
    func elf(code: [UInt8], data: [UInt8]) -> [UInt8] {
        let segments = [
            FuzzELFWriter.Segment(address: base, bytes: code, memorySize: UInt64(code.count), flags: 5),
            FuzzELFWriter.Segment(address: dataBase, bytes: data, memorySize: Self.dataSize, flags: 6),
        ]
        return FuzzELFWriter.executable(entry: base, segments: segments)
    }

    // MARK: Pieces every image shares

    /// Records where the para-virtual start info and shared info are (the handler needs the
    /// shared info) and installs `handler` as the trap entry.
    func emitPrologue(_ code: inout FuzzCodeWriter, handler: UInt64) {
        switch target {
        case .machine:
            code.loadImmediate(FuzzRegister.t0, handler)
            code.writeCSR(CSR.mtvec, from: FuzzRegister.t0)
        case .supervisor:
            code.loadImmediate(FuzzRegister.t0, handler)
            code.writeCSR(CSR.stvec, from: FuzzRegister.t0)
        case .paravirtual:
            // a1 is the start-info page: shared-info at +24, machine-base at +8 (HypercallABI.startInfo).
            code.loadImmediate(FuzzRegister.t0, dataBase)
            code.emit("sd", rs1: FuzzRegister.t0, rs2: FuzzRegister.a1, immediate: Int64(Self.startInfoSlot))
            code.emit("ld", rd: FuzzRegister.t1, rs1: FuzzRegister.a1, immediate: 24)
            code.emit("sd", rs1: FuzzRegister.t0, rs2: FuzzRegister.t1, immediate: Int64(Self.sharedInfoSlot))
            code.emit("ld", rd: FuzzRegister.t1, rs1: FuzzRegister.a1, immediate: 8)
            code.emit("sd", rs1: FuzzRegister.t0, rs2: FuzzRegister.t1, immediate: Int64(Self.machineBaseSlot))
            code.environmentCall(extension: HypercallABI.extensionID, function: HypercallABI.Function.setCallbacks.rawValue, arguments: [handler])
        }
    }

    /// The handler every image starts with: resume after the trapping instruction, or at `ra`
    /// when the trap was a fetch fault at the pc itself (tval == epc: a jump to nowhere with
    /// `jalr ra`), so one bad address does not end the program. Uses t5 and t6 only.
    static func emitSkipHandler(_ code: inout FuzzCodeWriter, target: FuzzGuestTarget, dataBase: UInt64) {
        let t5 = FuzzRegister.t5, t6 = FuzzRegister.t6
        switch target {
        case .machine, .supervisor:
            let (epc, tval) = target == .machine ? (CSR.mepc, CSR.mtval) : (CSR.sepc, CSR.stval)
            code.readCSR(t6, epc)
            code.readCSR(t5, tval)
            code.emit("bne", rs1: t6, rs2: t5, immediate: 8)
            code.emit("addi", rd: t6, rs1: FuzzRegister.ra, immediate: -4)
            code.emit("addi", rd: t6, rs1: t6, immediate: 4)
            code.writeCSR(epc, from: t6)
            code.emit(target == .machine ? "mret" : "sret")
        case .paravirtual:
            // The trap's sepc and stval are in the shared-info page (offsets 8 and 24); the
            // way back is trap-return with a frame whose pc is the resume point and whose
            // status keeps SPP = 1 (stay in the kernel). Registers come back as the frame has them.
            code.loadImmediate(t5, dataBase)
            code.emit("ld", rd: t5, rs1: t5, immediate: Int64(sharedInfoSlot))
            code.emit("ld", rd: t6, rs1: t5, immediate: 8)
            code.emit("ld", rd: t5, rs1: t5, immediate: 24)
            code.emit("bne", rs1: t6, rs2: t5, immediate: 8)
            code.emit("addi", rd: t6, rs1: FuzzRegister.ra, immediate: -4)
            code.emit("addi", rd: t6, rs1: t6, immediate: 4)
            code.loadImmediate(t5, dataBase + trapFrameOffset)
            code.emit("sd", rs1: t5, rs2: t6, immediate: 256)
            code.emit("addi", rd: t6, rs1: 0, immediate: 0x100)
            code.emit("sd", rs1: t5, rs2: t6, immediate: 264)
            code.emit("addi", rd: FuzzRegister.a0, rs1: t5, immediate: 0)
            code.loadImmediate(FuzzRegister.a7, HypercallABI.extensionID)
            code.emit("addi", rd: FuzzRegister.a6, rs1: 0, immediate: Int64(HypercallABI.Function.trapReturn.rawValue))
            code.emit("ecall")
        }
    }

    /// Power off with status 0: sifive_test in M-mode, the SBI's SRST (then the legacy call)
    /// from a kernel; a jump-to-self if both were refused, which the instruction limit ends.
    static func emitPowerOff(_ code: inout FuzzCodeWriter, target: FuzzGuestTarget) {
        switch target {
        case .machine:
            code.loadImmediate(FuzzRegister.t0, VirtMemoryMap.test.base)
            code.loadImmediate(FuzzRegister.t1, 0x5555)
            code.emit("sw", rs1: FuzzRegister.t0, rs2: FuzzRegister.t1, immediate: 0)
        case .supervisor, .paravirtual:
            code.environmentCall(extension: sbiSystemReset, function: 0, arguments: [0, 0])
            code.environmentCall(extension: sbiLegacyShutdown, function: 0, arguments: [])
        }
        code.emit("jal", rd: 0, immediate: 0)
    }
}

/// One hostile program being generated: the writer, the notes and the random source.
struct FuzzGuestProgram {
    let generator: FuzzGuestGenerator
    var rng: SplitMix64
    var code: FuzzCodeWriter
    var notes: [String] = []
    var data: [UInt8] = []

    init(generator: FuzzGuestGenerator, rng: SplitMix64) {
        self.generator = generator
        self.rng = rng
        code = FuzzCodeWriter(base: generator.base)
    }

    var target: FuzzGuestTarget { generator.target }
    var dataBase: UInt64 { generator.dataBase }

    func elf() -> [UInt8] { generator.elf(code: code.bytes, data: data) }

    /// The kinds of snippet and how often each is picked.
    enum Snippet: CaseIterable {
        case randomValid, memoryAccess, csrWrite, trapVectorLoop, environmentCall, privileged
        case pageTable, wildJump, rawWords, deviceBurst

        var weight: Int {
            switch self {
            case .randomValid: return 14
            case .memoryAccess: return 26
            case .csrWrite: return 10
            case .trapVectorLoop: return 3
            case .environmentCall: return 12
            case .privileged: return 7
            case .pageTable: return 6
            case .wildJump: return 3
            case .rawWords: return 6
            case .deviceBurst: return 4
            }
        }
    }

    mutating func build() {
        // Data pages: often some random bytes up front (which also makes the file large
        // enough for entry-point arithmetic to overflow), the rest zero.
        if rng.chance(50) { data = (0 ..< rng.int(in: 512 ... 8192)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        let entryJump = code.words.count
        code.emit(0)
        let handler = code.address
        FuzzGuestGenerator.emitSkipHandler(&code, target: target, dataBase: dataBase)
        code.patch(at: entryJump, FuzzCodeWriter.encode("jal", rd: 0, immediate: Int64(bitPattern: code.address &- generator.base)))
        if rng.chance(80) {
            generator.emitPrologue(&code, handler: handler)
            notes.append("prologue: trap handler at 0x\(String(handler, radix: 16))")
        } else {
            notes.append("prologue: no trap handler")
        }
        let count = rng.int(in: 4 ... 40)
        let totalWeight = Snippet.allCases.reduce(0) { $0 + $1.weight }
        for _ in 0 ..< count where code.words.count < FuzzGuestGenerator.codeWordLimit - 512 {
            var pick = rng.int(in: 0 ..< totalWeight)
            var chosen = Snippet.randomValid
            for snippet in Snippet.allCases {
                if pick < snippet.weight { chosen = snippet; break }
                pick -= snippet.weight
            }
            emit(chosen)
        }
        FuzzGuestGenerator.emitPowerOff(&code, target: target)
        notes.append("power off")
    }

    mutating func emit(_ snippet: Snippet) {
        switch snippet {
        case .randomValid: randomValid()
        case .memoryAccess: memoryAccess()
        case .csrWrite: csrWrite()
        case .trapVectorLoop: trapVectorLoop()
        case .environmentCall: target == .paravirtual && rng.chance(70) ? hypercall() : environmentCall()
        case .privileged: privileged()
        case .pageTable: target == .paravirtual ? hypercall() : pageTable()
        case .wildJump: wildJump()
        case .rawWords: rawWords()
        case .deviceBurst: deviceBurst()
        }
    }

    // MARK: Values

    /// Addresses where bounds arithmetic goes wrong: both ends of the 64-bit space, the ends
    /// of Sv39/Sv48, every device window's edges, the gaps between them, and guest RAM's edges.
    var interestingAddresses: [UInt64] {
        let ramBase = VirtMemoryMap.dramBase, ramEnd = generator.ramEnd
        var addresses: [UInt64] = [
            0, 8, 0xff8, 0x1000, 0x1028,
            0xffff_ffff_ffff_fff8, 0xffff_ffff_ffff_ffff, 0xffff_ffff_ffff_fffc, 0xffff_ffff_ffff_fffe, 0xffff_ffff_ffff_f000,
            0x7fff_ffff_ffff_fff8, 0x8000_0000_0000_0000, 0xffff_ffff_8000_0000, 0x0000_003f_ffff_fff8,
            0xffff_ffc0_0000_0000, 0x0000_0040_0000_0000, 0x0000_7fff_ffff_fff8, 0xffff_8000_0000_0000,
            ramBase - 8, ramBase - 1, ramBase, ramEnd - 8, ramEnd - 1, ramEnd, ramEnd + 8, ramEnd - 0x1000,
            0x8040_0000, generator.base, dataBase,
            0x2000_0000, 0x3000_0000, 0x4000_0000, 0x7fff_fff8, 0x1_0000_0000,
        ]
        for window in [VirtMemoryMap.test, VirtMemoryMap.clint, VirtMemoryMap.plic, VirtMemoryMap.uart0,
                       VirtMemoryMap.virtio, VirtMemoryMap.firmwareConfig, VirtMemoryMap.rtc] {
            addresses += [window.base, window.base + 4, window.end - 8, window.end - 1, window.end]
        }
        addresses += [VirtMemoryMap.clint.base + 0x4000, VirtMemoryMap.clint.base + 0xbff8, VirtMemoryMap.plic.base + 0x20_0000,
                      VirtMemoryMap.plic.base + 0x20_0004, VirtMemoryMap.plic.base + 0x2000]
        return addresses
    }

    /// The last bytes below 2^64, where `address + width` wraps (issue 15's host crash).
    static let topOfAddressSpace: [UInt64] = [0xffff_ffff_ffff_fff8, 0xffff_ffff_ffff_ffff, 0xffff_ffff_ffff_fffc, 0xffff_ffff_ffff_fffe, 0xffff_ffff_ffff_f000]

    mutating func address() -> UInt64 {
        switch rng.int(in: 0 ..< 10) {
        case 0: return rng.next()
        case 1: return VirtMemoryMap.dramBase + (rng.next() % generator.memorySize)
        case 2: return rng.element(of: interestingAddresses) &+ UInt64(bitPattern: Int64(rng.int(in: -16 ... 16)))
        case 3: return rng.element(of: Self.topOfAddressSpace)
        default: return rng.element(of: interestingAddresses)
        }
    }

    /// Values for registers and CSRs: the edges of signed and unsigned ranges, single bits,
    /// addresses, and satp/status-shaped values.
    mutating func value() -> UInt64 {
        switch rng.int(in: 0 ..< 12) {
        case 0, 1: return rng.next()
        case 2: return 1 << UInt64(rng.int(in: 0 ... 63))
        case 3: return address()
        case 4: return UInt64(rng.int(in: 8 ... 10)) << 60 | (rng.next() & 0xfff_ffff_ffff) // satp: Sv39/48/57 mode, random PPN
        case 5: return (generator.ramEnd &- 0x1000) >> 12 | 8 << 60
        default:
            return rng.element(of: [0, 1, 2, 3, 0xffff_ffff_ffff_ffff, 0x8000_0000_0000_0000, 0x7fff_ffff_ffff_ffff,
                                    0xffff_ffff, 0x8000_0000, 0x8040_0000, 0x8040_0001, 0x100, 0x122, 0x1800, 0x2_0000, 0x6000, 0x222])
        }
    }

    mutating func signedOffset() -> Int64 {
        rng.chance(60) ? 0 : Int64(rng.element(of: [-2048, 2047, -8, 8, -1, 1, rng.int(in: -2048 ... 2047)]))
    }

    mutating func scratchRegister() -> Int { rng.element(of: [FuzzRegister.t1, FuzzRegister.t2, FuzzRegister.t3, FuzzRegister.t4, FuzzRegister.a2]) }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    // MARK: Snippets

    /// Valid instructions picked from the encoding table, every operand bit random (control
    /// transfers only now and then: they leave the program).
    mutating func randomValid() {
        let count = rng.int(in: 1 ... 10)
        var names: [String] = []
        for _ in 0 ..< count {
            var encoding = rng.element(of: FuzzCodeWriter.allEncodings)
            while [.b, .j].contains(encoding.format) || encoding.name == "jalr", !rng.chance(10) {
                encoding = rng.element(of: FuzzCodeWriter.allEncodings)
            }
            code.emit(encoding.match | (UInt32(truncatingIfNeeded: rng.next()) & ~encoding.mask))
            names.append(encoding.name)
        }
        notes.append("random valid: " + names.joined(separator: " "))
    }

    static let loads = ["lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", "flw", "fld"]
    static let stores = ["sb", "sh", "sw", "sd", "fsw", "fsd"]
    static let atomics = ["lr.w", "lr.d", "sc.w", "sc.d", "amoswap.w", "amoadd.d", "amoxor.w", "amoand.d", "amoor.w",
                          "amomin.d", "amomax.w", "amominu.d", "amomaxu.w", "amoswap.d", "amoadd.w"]

    /// One load, store, atomic or fetch at an address from `address()` (base register plus a
    /// 12-bit offset, so the sum may wrap), the next instruction after it.
    mutating func memoryAccess() {
        let target = address()
        let offset = signedOffset()
        let base = FuzzRegister.t0, value = scratchRegister()
        switch rng.int(in: 0 ..< 20) {
        case 0 ..< 8:
            let name = rng.element(of: Self.loads)
            code.loadImmediate(base, target &- UInt64(bitPattern: offset))
            code.emit(name, rd: value, rs1: base, immediate: offset)
            notes.append("load \(name) \(Self.hex(target))")
        case 8 ..< 15:
            let name = rng.element(of: Self.stores)
            let stored = storedValue(at: target)
            code.loadImmediate(base, target &- UInt64(bitPattern: offset))
            code.loadImmediate(value, stored)
            if name.hasPrefix("f") { code.emit(name == "fsw" ? "fmv.w.x" : "fmv.d.x", rd: 1, rs1: value) }
            code.emit(name, rs1: base, rs2: name.hasPrefix("f") ? 1 : value, immediate: offset)
            notes.append("store \(name) \(Self.hex(stored)) at \(Self.hex(target))")
        case 15 ..< 19:
            let name = rng.element(of: Self.atomics)
            code.loadImmediate(base, target)
            code.loadImmediate(value, storedValue(at: target))
            code.emit(name, rd: FuzzRegister.t3, rs1: base, rs2: value)
            notes.append("atomic \(name) at \(Self.hex(target))")
        default:
            code.loadImmediate(base, target)
            code.emit("jalr", rd: FuzzRegister.ra, rs1: base, immediate: 0)
            notes.append("fetch at \(Self.hex(target))")
        }
    }

    /// A value to store at `address`: for the sifive_test finisher, its commands (never a
    /// failure with code 1, see the type's rule); elsewhere anything.
    mutating func storedValue(at address: UInt64) -> UInt64 {
        let test = VirtMemoryMap.test
        if address >= test.base && address < test.end && rng.chance(70) {
            let code = UInt64(rng.int(in: 2 ... 0xffff))
            return rng.element(of: [0x5555, 0x7777, 0x3333 | code << 16, 0x1234])
        }
        var stored = value()
        if stored & 0xffff == 0x3333 && (stored >> 16) & 0xffff == 1 { stored ^= 0x3_0000 }
        return stored
    }

    var csrNumbers: [UInt16] {
        let supervisor: [UInt16] = [CSR.sstatus, CSR.sie, CSR.stvec, CSR.scounteren, CSR.senvcfg, CSR.sscratch, CSR.sepc,
                                    CSR.scause, CSR.stval, CSR.sip, CSR.stimecmp, CSR.satp]
        let others: [UInt16] = [CSR.fflags, CSR.frm, CSR.fcsr, CSR.cycle, CSR.time, CSR.instret, CSR.hpmcounter3,
                                CSR.mstatus, CSR.misa, CSR.medeleg, CSR.mideleg, CSR.mtinst, CSR.mhartid, 0x305, 0x341, 0x3a0, 0x3b0,
                                CSR.hstatus, CSR.hedeleg, CSR.hgatp, CSR.htimedelta, CSR.hvip, CSR.vsatp, CSR.vstvec, CSR.vsstatus]
        let machine: [UInt16] = [0x300, 0x302, 0x303, 0x304, 0x305, 0x306, 0x30a, 0x340, 0x341, 0x342, 0x343, 0x344, 0x3a0, 0x3b0, 0x3b1]
        return target == .machine ? machine + supervisor + others : supervisor + supervisor + others
    }

    /// A CSR instruction with an edge value; now and then the trap handler is put back after it.
    mutating func csrWrite() {
        let csr = rng.chance(85) ? rng.element(of: csrNumbers) : UInt16(rng.int(in: 0 ... 0xfff))
        let written = value()
        let form = rng.element(of: ["csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci"])
        let register = scratchRegister()
        if form.hasSuffix("i") {
            code.emit(form, rd: register, rs1: Int(written & 31), immediate: Int64(csr))
        } else {
            code.loadImmediate(FuzzRegister.t0, written)
            code.emit(form, rd: register, rs1: FuzzRegister.t0, immediate: Int64(csr))
        }
        notes.append("\(form) csr 0x\(String(csr, radix: 16)) \(Self.hex(written))")
        if rng.chance(50) && target != .paravirtual {
            code.loadImmediate(FuzzRegister.t0, generator.base + 4)
            code.writeCSR(target == .machine ? CSR.mtvec : CSR.stvec, from: FuzzRegister.t0)
        }
    }

    /// The hav hang of issue 15: the trap vector pointed at memory that traps again (zeroed RAM,
    /// a device, nowhere), then a trapping instruction. The program does not get past it.
    mutating func trapVectorLoop() {
        let zeroPage = dataBase + FuzzGuestGenerator.pageTableOffset + 0x3000
        let vector = rng.element(of: [0x8040_0000, zeroPage, generator.ramEnd - 0x1000, address(), 0, VirtMemoryMap.uart0.base])
            | (rng.chance(20) ? 1 : 0)     // vectored mode now and then
        let trapping: [(String, UInt32)] = [
            ("zero word", 0), ("all ones", 0xffff_ffff), ("ebreak", FuzzCodeWriter.encode("ebreak")),
            ("mret", FuzzCodeWriter.encode("mret")),
            ("csrr mstatus", FuzzCodeWriter.encode("csrrs", rd: FuzzRegister.t1, rs1: 0, immediate: Int64(CSR.mstatus))),
        ]
        let (name, word) = rng.element(of: trapping)
        if target == .paravirtual {
            code.environmentCall(extension: HypercallABI.extensionID, function: HypercallABI.Function.setCallbacks.rawValue, arguments: [vector])
        } else {
            code.loadImmediate(FuzzRegister.t0, vector)
            code.writeCSR(target == .machine ? CSR.mtvec : CSR.stvec, from: FuzzRegister.t0)
        }
        code.emit(word)
        notes.append("trap vector \(Self.hex(vector)), then \(name)")
    }

    /// An SBI call (or, from M-mode, an ecall to its own handler) with odd extension,
    /// function and arguments.
    mutating func environmentCall() {
        var extensionID: UInt64
        switch rng.int(in: 0 ..< 10) {
        case 0: extensionID = rng.next()
        case 1: extensionID = UInt64(truncatingIfNeeded: rng.next() & 0xffff_ffff)
        case 2: extensionID = HypercallABI.extensionID
        default: extensionID = rng.element(of: FuzzGuestGenerator.sbiExtensions)
        }
        // Legacy shutdown ends the program; keep it rare.
        if extensionID == FuzzGuestGenerator.sbiLegacyShutdown && rng.chance(80) { extensionID = 0x10 }
        let function = rng.chance(75) ? UInt64(rng.int(in: 0 ... 8)) : value()
        var arguments = (0 ..< 6).map { _ in argument() }
        if extensionID == FuzzGuestGenerator.sbiSystemReset && function == 0 && arguments[0] == 0 {
            arguments[1] = 0   // an SRST shutdown with a failure reason would end with status 1
        }
        code.environmentCall(extension: extensionID, function: function, arguments: arguments)
        notes.append("ecall ext \(Self.hex(extensionID)) fn \(Self.hex(function)) a0-a2 \(arguments.prefix(3).map(Self.hex).joined(separator: " "))")
    }

    mutating func argument() -> UInt64 {
        switch rng.int(in: 0 ..< 6) {
        case 0: return UInt64(rng.int(in: 0 ... 16))
        case 1: return rng.element(of: [0x1000, 0x10_0000, 0xffff_ffff, generator.memorySize, generator.memorySize + 1])
        default: return value()
        }
    }

    /// A hypercall (para): every function, with arguments that are often almost right.
    mutating func hypercall() {
        let functions = HypercallABI.Function.allCases.map(\.rawValue)
        let function = rng.chance(90) ? rng.element(of: functions) : value()
        var arguments = (0 ..< 6).map { _ in argument() }
        let t3 = FuzzRegister.t3, t4 = FuzzRegister.t4
        switch HypercallABI.Function(rawValue: function) {
        case .mmuUpdate?:
            // Requests in the data page: (pointer, value) pairs, pointers near the domain's
            // machine frames (start-info machine-base plus an offset) with random low bits.
            let requests = rng.int(in: 1 ... 8)
            code.loadImmediate(FuzzRegister.t0, dataBase)
            code.emit("ld", rd: t3, rs1: FuzzRegister.t0, immediate: Int64(FuzzGuestGenerator.machineBaseSlot))
            code.loadImmediate(FuzzRegister.t0, dataBase + FuzzGuestGenerator.requestArrayOffset)
            for index in 0 ..< requests {
                let offset = rng.chance(70) ? (rng.next() % generator.memorySize) & ~7 | UInt64(rng.int(in: 0 ... 2)) : rng.next()
                code.loadImmediate(t4, offset)
                code.emit("add", rd: t4, rs1: t4, rs2: t3)
                code.emit("sd", rs1: FuzzRegister.t0, rs2: t4, immediate: Int64(index * 16))
                code.loadImmediate(t4, pageTableEntry())
                code.emit("sd", rs1: FuzzRegister.t0, rs2: t4, immediate: Int64(index * 16 + 8))
            }
            arguments[0] = rng.chance(80) ? dataBase + FuzzGuestGenerator.requestArrayOffset : address()
            arguments[1] = rng.chance(80) ? UInt64(requests) : rng.element(of: [0, 512, 513, 0xffff_ffff, .max])
        case .pinTable?, .unpinTable?, .newBaseptr?:
            code.loadImmediate(FuzzRegister.t0, dataBase)
            code.emit("ld", rd: t3, rs1: FuzzRegister.t0, immediate: Int64(FuzzGuestGenerator.machineBaseSlot))
            let offset = rng.chance(70) ? (rng.next() % generator.memorySize) & ~0xfff : rng.next()
            code.loadImmediate(t4, offset)
            code.emit("add", rd: FuzzRegister.a0, rs1: t3, rs2: t4)
            arguments[1] = UInt64(rng.int(in: 0 ... 3))
            code.loadImmediate(FuzzRegister.a1, arguments[1])
            code.loadImmediate(FuzzRegister.a7, HypercallABI.extensionID)
            code.loadImmediate(FuzzRegister.a6, function)
            code.emit("ecall")
            notes.append("hypercall \(function) frame machine-base + \(Self.hex(offset)) level \(arguments[1])")
            return
        case .trapReturn?:
            if rng.chance(60) {
                let frame = dataBase + FuzzGuestGenerator.trapFrameOffset
                code.loadImmediate(FuzzRegister.t0, frame)
                code.loadImmediate(t4, address())
                code.emit("sd", rs1: FuzzRegister.t0, rs2: t4, immediate: 256)
                code.loadImmediate(t4, value())
                code.emit("sd", rs1: FuzzRegister.t0, rs2: t4, immediate: 264)
                arguments[0] = frame
            }
        case .ringSetup?:
            arguments[0] = rng.chance(60) ? dataBase + 0x1000 * UInt64(rng.int(in: 1 ... 7)) : address()
            arguments[1] = UInt64(rng.int(in: 0 ... 2))
        case .ringNotify?:
            arguments[0] = UInt64(rng.int(in: 0 ... 9))
        default:
            break
        }
        code.environmentCall(extension: HypercallABI.extensionID, function: function, arguments: arguments)
        notes.append("hypercall \(function) a0-a1 \(arguments.prefix(2).map(Self.hex).joined(separator: " "))")
    }

    /// A page-table entry: valid or not, leaf or pointer, any permissions, PPNs in RAM, at the
    /// top of the range or misaligned, reserved bits now and then (privileged spec §4.3.1, §4.4.1).
    mutating func pageTableEntry() -> UInt64 {
        let flags = UInt64(rng.int(in: 0 ... 0xff))
        let ppn: UInt64
        switch rng.int(in: 0 ..< 5) {
        case 0: ppn = rng.next() & 0xfff_ffff_ffff
        case 1: ppn = 0xfff_ffff_ffff
        case 2: ppn = VirtMemoryMap.uart0.base >> 12
        default: ppn = (VirtMemoryMap.dramBase + rng.next() % generator.memorySize) >> 12
        }
        var entry = ppn << 10 | flags
        if rng.chance(15) { entry |= UInt64(rng.int(in: 1 ... 0x3ff)) << 54 }
        return entry
    }

    /// Privileged instructions with random operands: xRET after a random epc and status,
    /// WFI, SFENCE.VMA, the H extension's fences and virtual-machine loads and stores, EBREAK.
    mutating func privileged() {
        switch rng.int(in: 0 ..< 13) {
        case 0, 7:
            let (epc, status) = target == .machine ? (CSR.mepc, CSR.mstatus) : (CSR.sepc, CSR.sstatus)
            let resume = address()
            code.loadImmediate(FuzzRegister.t0, resume)
            code.writeCSR(epc, from: FuzzRegister.t0)
            let bits = rng.chance(50) ? value() : UInt64(rng.int(in: 0 ... 3)) << 11 | UInt64(rng.int(in: 0 ... 1)) << 8
            code.loadImmediate(FuzzRegister.t0, bits)
            code.emit(rng.element(of: ["csrrs", "csrrc", "csrrw"]), rd: 0, rs1: FuzzRegister.t0, immediate: Int64(status))
            // ra = the instruction after the xRET, where the handler resumes after a fetch fault.
            code.emit("auipc", rd: FuzzRegister.ra, immediate: 0)
            code.emit("addi", rd: FuzzRegister.ra, rs1: FuzzRegister.ra, immediate: 12)
            let name = rng.element(of: ["sret", "mret"])
            code.emit(name)
            notes.append("\(name) to \(Self.hex(resume)) status bits \(Self.hex(bits))")
        case 1:
            // Rare: a guest with no timer armed blocks for good, which ends the program.
            code.emit("wfi")
            notes.append("wfi")
        case 2, 3, 8, 9:
            let name = rng.element(of: ["sfence.vma", "hfence.vvma", "hfence.gvma"])
            let a = address(), asid = value()
            code.loadImmediate(FuzzRegister.t0, a)
            code.loadImmediate(FuzzRegister.t1, asid)
            code.emit(name, rs1: rng.chance(80) ? FuzzRegister.t0 : 0, rs2: rng.chance(50) ? FuzzRegister.t1 : 0)
            notes.append("\(name) \(Self.hex(a)) \(Self.hex(asid))")
        case 4, 5, 10, 11:
            let name = rng.element(of: ["hlv.b", "hlv.hu", "hlv.w", "hlv.d", "hlvx.wu", "hsv.b", "hsv.d", "hsv.w"])
            let a = address()
            code.loadImmediate(FuzzRegister.t0, a)
            code.emit(name, rd: name.hasPrefix("hsv") ? 0 : FuzzRegister.t1, rs1: FuzzRegister.t0, rs2: FuzzRegister.t2)
            notes.append("\(name) at \(Self.hex(a))")
        default:
            code.emit(rng.element(of: ["ebreak", "ecall"]))
            notes.append("ebreak/ecall")
        }
    }

    /// A Sv39/Sv48 table from random entries (often with RAM identity-mapped by a gigapage so
    /// the program keeps running), satp pointed at it, accesses through it, and satp back to
    /// bare most of the time. From M-mode the accesses go through it with mstatus.MPRV.
    mutating func pageTable() {
        let tables = (0 ..< 4).map { dataBase + FuzzGuestGenerator.pageTableOffset + UInt64($0) * 0x1000 }
        let root = rng.element(of: tables)
        var entries: [(UInt64, UInt64)] = []
        // Without RAM mapped the handler itself faults and the program ends there: keep it mapped
        // most of the time so later snippets still run.
        if rng.chance(90) {
            // Privileged spec §4.4.1: a level-2 leaf maps 1 GiB; index 2 covers 0x8000_0000.
            entries.append((root + 2 * 8, (VirtMemoryMap.dramBase >> 12) << 10 | 0xcf))
        }
        for _ in 0 ..< rng.int(in: 1 ... 6) {
            let table = rng.chance(70) ? root : rng.element(of: tables)
            let entry = rng.chance(30) ? (rng.element(of: tables) >> 12) << 10 | 1 : pageTableEntry()
            entries.append((table + UInt64(rng.int(in: 0 ... 511)) * 8, entry))
        }
        for (slot, entry) in entries {
            code.loadImmediate(FuzzRegister.t0, slot)
            code.loadImmediate(FuzzRegister.t1, entry)
            code.emit("sd", rs1: FuzzRegister.t0, rs2: FuzzRegister.t1, immediate: 0)
        }
        let mode = rng.chance(85) ? UInt64(rng.element(of: [8, 9])) : UInt64(rng.int(in: 0 ... 15))
        let satp = mode << 60 | UInt64(rng.int(in: 0 ... 0xffff)) << 44 | root >> 12
        code.loadImmediate(FuzzRegister.t0, satp)
        code.writeCSR(CSR.satp, from: FuzzRegister.t0)
        code.emit("sfence.vma")
        let privilegedAccess: UInt64 = 1 << 17 | 1 << 11    // MPRV, MPP = S
        if target == .machine {
            code.loadImmediate(FuzzRegister.t0, privilegedAccess)
            code.emit("csrrs", rd: 0, rs1: FuzzRegister.t0, immediate: Int64(CSR.mstatus))
        }
        var accessed: [UInt64] = []
        for _ in 0 ..< rng.int(in: 1 ... 4) {
            let virtual = rng.chance(50) ? UInt64(rng.int(in: 0 ... 511)) << 30 | UInt64(rng.int(in: 0 ... 0x3fff_ffff)) & ~7 : address()
            code.loadImmediate(FuzzRegister.t0, virtual)
            code.emit(rng.chance(50) ? "ld" : "sd", rd: FuzzRegister.t1, rs1: FuzzRegister.t0, rs2: FuzzRegister.t1, immediate: 0)
            accessed.append(virtual)
        }
        if target == .machine {
            code.loadImmediate(FuzzRegister.t0, privilegedAccess)
            code.emit("csrrc", rd: 0, rs1: FuzzRegister.t0, immediate: Int64(CSR.mstatus))
        }
        if rng.chance(80) {
            code.writeCSR(CSR.satp, from: 0)
            code.emit("sfence.vma")
        }
        notes.append("page table at \(Self.hex(root)), \(entries.count) entries, satp \(Self.hex(satp)), accesses \(accessed.map(Self.hex).joined(separator: " "))")
    }

    /// A jump to a random or edge address (`jalr ra`, so a fetch fault resumes after it).
    mutating func wildJump() {
        let destination = rng.chance(50) ? address() : generator.base + UInt64(rng.int(in: 0 ... Int(FuzzGuestGenerator.dataOffset + FuzzGuestGenerator.dataSize)))
        code.loadImmediate(FuzzRegister.t0, destination)
        code.emit("jalr", rd: FuzzRegister.ra, rs1: FuzzRegister.t0, immediate: 0)
        notes.append("jump to \(Self.hex(destination))")
    }

    /// Raw random words (or pairs of random halfwords, which may decode as compressed instructions).
    mutating func rawWords() {
        let count = rng.int(in: 1 ... 8)
        for _ in 0 ..< count { code.emit(UInt32(truncatingIfNeeded: rng.next())) }
        notes.append("\(count) raw random words")
    }

    /// A burst of stores and loads at one device's registers (UART, PLIC, CLINT, virtio, fw_cfg).
    mutating func deviceBurst() {
        let window = rng.element(of: [VirtMemoryMap.uart0, VirtMemoryMap.plic, VirtMemoryMap.clint, VirtMemoryMap.virtio,
                                      VirtMemoryMap.firmwareConfig, VirtMemoryMap.rtc])
        let count = rng.int(in: 2 ... 12)
        for _ in 0 ..< count {
            let offset = rng.chance(70) ? UInt64(rng.int(in: 0 ... 0x40)) & ~3 : rng.next() % window.size
            code.loadImmediate(FuzzRegister.t0, window.base + offset)
            if rng.chance(60) {
                code.loadImmediate(FuzzRegister.t1, value())
                code.emit(rng.element(of: ["sb", "sw", "sd"]), rs1: FuzzRegister.t0, rs2: FuzzRegister.t1, immediate: 0)
            } else {
                code.emit(rng.element(of: ["lbu", "lw", "ld"]), rd: FuzzRegister.t1, rs1: FuzzRegister.t0, immediate: 0)
            }
        }
        notes.append("\(count) accesses to \(window.name)")
    }
}
