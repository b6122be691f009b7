#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CHostIO
import RISCV

/// How the dispatch loop runs compiled code: `(x, dataTLB, blockPC, code) -> result` saves the
/// callee-saved registers once and jumps to the block's `code`; blocks then jump from one to the
/// next with nothing to save, and the one that leaves restores them and returns. The result is the pc a taken control transfer goes to (even), `Hart.fallsThrough` when the
/// block ran to its end without one, or `2k + 1` when the code stopped before op `k` (an op it
/// does not compile, or a TLB miss) with ops `0..<k` retired: the dispatch loop runs the rest.
typealias CompiledEntry = @convention(c) (UnsafeMutablePointer<UInt64>, UnsafeMutableRawPointer, UInt64, UnsafeRawPointer) -> UInt64

/// Slots past the integer registers (x0-x31, the discard slot 32) through which compiled code and
/// the dispatch loop share a run of chained blocks, so the code needs no pointer but the register file.
enum CompiledRun {
    /// In: 0. Out: instructions retired by blocks that chained on to another (the last block's
    /// share is the dispatch loop's to count, as for an interpreted block).
    static let chained = 33
    /// In: instructions left before the next event; a block that reaches it does not chain.
    static let budget = 34
    /// In: the chain key (cache generation and fetch context) chains must carry to be followed.
    static let key = 35
    /// Out: the block the code returned from, and its pc.
    static let exitBlock = 36
    static let exitPC = 37
    /// In: the fetch context's jump cache (its first `BlockCache.JumpEntry`), for indirect jumps.
    static let jumpCache = 38
    /// Register file slots to allocate (the interpreter's `BlockFrame` slots come last).
    static let registerFileSlots = BlockFrame.end
}

/// Slots after `CompiledRun`'s where the dispatch loop keeps the current block's pc, first op and
/// record. In memory rather than in locals: held in host registers they were live across every
/// op, and the allocator spilled all three before each load's slow-path call, three stores per
/// guest load (cachegrind, crc32-small interpreted: 349.6M host instructions in the loop against
/// 332.8M before the generated cases). Every `x[rd]` store may alias them, so the compiler keeps
/// them in memory and reads them only where an op needs one (auipc, jumps, taken branches, the
/// block end).
enum BlockFrame {
    static let pc = 39
    static let ops = 40
    static let block = 41
    static let end = 42
}

/// Executable memory for compiled blocks, filled front to back, emptied with the block cache
/// (`BlockCache.flushAll`). One memory file mapped twice: code is written through a writable
/// view and run through an executable one, so no address is ever writable and executable at
/// once (W^X) and a guest-controlled write into code memory through a stray host pointer cannot
/// turn into host code. Pages are touched only as code is written.
struct CodeCache {
    static let capacity = 16 << 20
    /// The largest code one block can need (64 ops, the longest a load or store at ~60 bytes, plus stubs).
    static let blockReserve = 16 << 10
    /// SAFETY: the starts of this cache's two views of `capacity` bytes of one memory file (nil
    /// when compiling is off): `base` read and execute only, `writable` read and write only.
    /// Both are unmapped only by `release`, when the hart that owns the block cache goes.
    let base: UnsafeRawPointer?
    let writable: UnsafeMutableRawPointer?
    var used = 0
    /// The entry sequence, at the start of the mapping (kept across flushes).
    let entry: CompiledEntry?
    let entryBytes: Int
    /// With VIRTBENCH_PERF_MAP set, each block's code is named in /tmp/perf-<pid>.map (the
    /// file `perf report` reads for JIT code), so profiles show guest addresses, not raw host ones.
    /// SAFETY: a stream from fopen (or nil), used only by this cache and closed once, in `release`.
    let perfMap: UnsafeMutablePointer<FILE>?

    init(enabled: Bool) {
        perfMap = enabled && getenv("VIRTBENCH_PERF_MAP") != nil ? fopen("/tmp/perf-\(getpid()).map", "a") : nil
        // A host that refuses the mappings (or another ISA) keeps the interpreter alone.
        guard enabled, let views = CodeCache.mapViews(), let code = BlockCompiler.entrySequence() else {
            base = nil; writable = nil; entry = nil; entryBytes = 0; return
        }
        // SAFETY: both views were just mapped by `mapViews`, `capacity` bytes each; the
        // executable one is only read (as code) through `base`.
        (base, writable) = (UnsafeRawPointer(views.executable), views.writable)
        // SAFETY: the copy is code.count bytes from the array into the start of the writable view
        // (far smaller than `capacity`). The cast makes the executable view's first byte a C
        // function: the entry sequence (entrySequence) saves the callee-saved registers and jumps
        // to its fourth argument, as CompiledEntry's C signature says, and the view lives as long
        // as `entry` can be called (until `release`).
        code.withUnsafeBytes { views.writable.copyMemory(from: $0.baseAddress!, byteCount: code.count) }
        entry = unsafeBitCast(views.executable, to: CompiledEntry.self)
        entryBytes = (code.count + 15) & ~15
        used = entryBytes
    }

    /// A memory file of `capacity` bytes mapped writable and, elsewhere, executable; nil when the
    /// host refuses either.
    private static func mapViews() -> (writable: UnsafeMutableRawPointer, executable: UnsafeMutableRawPointer)? {
        let fd = vb_memory_file("virtbench-code")
        guard fd >= 0 else { return nil }
        // The mappings keep the file; the descriptor is not needed after them.
        defer { close(fd) }
        guard ftruncate(fd, off_t(capacity)) == 0 else { return nil }
        // SAFETY: fresh shared mappings of the file (no address hint), checked against MAP_FAILED
        // before use, and unmapped again when the second one fails.
        let writable = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        guard let writable, writable != MAP_FAILED else { return nil }
        let executable = mmap(nil, capacity, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0)
        guard let executable, executable != MAP_FAILED else {
            munmap(writable, capacity)
            return nil
        }
        return (writable, executable)
    }

    /// Drops every compiled block (with the block cache).
    mutating func reset() { used = entryBytes }

    var hasRoom: Bool { base == nil || used + CodeCache.blockReserve <= CodeCache.capacity }

    /// Copies `code` in; `guestAddress` (the block's physical address) names it in the perf map.
    /// Returns where it runs (in the executable view).
    mutating func install(_ code: [UInt8], guestAddress: UInt64) -> UnsafeRawPointer? {
        guard let base, let writable, used + code.count <= CodeCache.capacity else { return nil }
        // SAFETY: the guard keeps [used, used + code.count) inside both views' `capacity` bytes;
        // the returned pointer stays valid until `reset` (which empties the block cache with it)
        // or `release`.
        code.withUnsafeBytes { (writable + used).copyMemory(from: $0.baseAddress!, byteCount: code.count) }
        let start = base + used
        if let perfMap {
            fputs("\(String(UInt(bitPattern: start), radix: 16)) \(String(code.count, radix: 16)) guest-0x\(String(guestAddress, radix: 16))\n", perfMap)
            fflush(perfMap)
        }
        used = (used + code.count + 15) & ~15
        return start
    }

    func release() {
        // SAFETY: the views made in `init`, of `capacity` bytes each, unmapped once: `release`
        // runs only from the block cache's release, in the owning hart's deinit.
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), CodeCache.capacity) }
        if let writable { munmap(writable, CodeCache.capacity) }
        if let perfMap { fclose(perfMap) }
    }
}

#if arch(x86_64)

/// An x86-64 encoder for the few instruction forms the block compiler uses (Intel SDM vol. 2).
struct X86Assembler {
    enum Register: UInt8 { case rax = 0, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15 }
    enum Operand { case register(Register), memory(Register, Int32) }
    /// Condition codes (the low nibble of Jcc/SETcc/CMOVcc).
    enum Condition: UInt8 { case below = 2, aboveOrEqual = 3, equal = 4, notEqual = 5, less = 0xc, greaterOrEqual = 0xd }

    var bytes: [UInt8] = []

    mutating func int32(_ v: Int32) {
        let u = UInt32(bitPattern: v)
        bytes += [UInt8(u & 0xff), UInt8(u >> 8 & 0xff), UInt8(u >> 16 & 0xff), UInt8(u >> 24)]
    }

    /// prefix, REX, opcode, ModRM (+SIB, displacement) for `reg` and the r/m operand.
    /// `byteRegister` forces a REX so registers 4-7 name spl/bpl/sil/dil, not ah/ch/dh/bh.
    mutating func emit(_ opcode: [UInt8], wide: Bool, reg: UInt8, _ rm: Operand, operandSize16: Bool = false, byteRegister: Bool = false) {
        if operandSize16 { bytes.append(0x66) }
        let base: UInt8
        switch rm { case .register(let r): base = r.rawValue; case .memory(let r, _): base = r.rawValue }
        let rex: UInt8 = 0x40 | (wide ? 8 : 0) | (reg >> 3 & 1) << 2 | (base >> 3 & 1)
        if rex != 0x40 || (byteRegister && reg >= 4 && reg < 8) { bytes.append(rex) }
        bytes += opcode
        switch rm {
        case .register(let r):
            bytes.append(0xc0 | (reg & 7) << 3 | (r.rawValue & 7))
        case .memory(let r, let disp):
            let low = r.rawValue & 7
            if disp == 0 && low != 5 {
                bytes.append((reg & 7) << 3 | low)
                if low == 4 { bytes.append(0x24) }
            } else if disp >= -128 && disp <= 127 {
                bytes.append(0x40 | (reg & 7) << 3 | low)
                if low == 4 { bytes.append(0x24) }
                bytes.append(UInt8(bitPattern: Int8(disp)))
            } else {
                bytes.append(0x80 | (reg & 7) << 3 | low)
                if low == 4 { bytes.append(0x24) }
                int32(disp)
            }
        }
    }

    mutating func mov(_ dst: Register, _ src: Operand) { emit([0x8b], wide: true, reg: dst.rawValue, src) }
    mutating func store(_ src: Register, to base: Register, _ disp: Int32) { store(src, .memory(base, disp), width: 8) }
    mutating func lea(_ dst: Register, _ base: Register, _ disp: Int32) { emit([0x8d], wide: true, reg: dst.rawValue, .memory(base, disp)) }
    /// A 32-bit immediate, sign-extended to 64 bits.
    mutating func mov(_ dst: Register, immediate: Int32) { emit([0xc7], wide: true, reg: 0, .register(dst)); int32(immediate) }
    /// add/or/and/sub/xor/cmp reg, r/m (opcodes 03 0b 23 2b 33 3b).
    mutating func arithmetic(_ opcode: UInt8, _ dst: Register, _ src: Operand, wide: Bool = true) {
        emit([opcode], wide: wide, reg: dst.rawValue, src)
    }
    /// The 81/83 group: /0 add, /1 or, /4 and, /5 sub, /6 xor, /7 cmp, with a sign-extended immediate.
    mutating func arithmetic(extension ext: UInt8, _ dst: Register, immediate: Int32, wide: Bool = true) {
        if immediate >= -128 && immediate <= 127 {
            emit([0x83], wide: wide, reg: ext, .register(dst)); bytes.append(UInt8(bitPattern: Int8(immediate)))
        } else {
            emit([0x81], wide: wide, reg: ext, .register(dst)); int32(immediate)
        }
    }
    /// Shifts: /4 shl, /5 shr, /7 sar; by an immediate or by cl (count masked to 63, or 31 when not wide).
    mutating func shift(extension ext: UInt8, _ dst: Register, by count: UInt8?, wide: Bool = true) {
        if let count {
            emit([0xc1], wide: wide, reg: ext, .register(dst)); bytes.append(count)
        } else {
            emit([0xd3], wide: wide, reg: ext, .register(dst))
        }
    }
    /// bt/bts/btr/btc r/m64, reg (0f a3, ab, b3, bb): a register base takes the index modulo 64.
    mutating func bitTest(_ opcode: UInt8, _ base: Register, index: Register) {
        emit([0x0f, opcode], wide: true, reg: index.rawValue, .register(base))
    }
    /// The 0f ba group with an immediate index: /4 bt, /5 bts, /6 btr, /7 btc.
    mutating func bitTest(extension ext: UInt8, _ base: Register, index: UInt8) {
        emit([0x0f, 0xba], wide: true, reg: ext, .register(base)); bytes.append(index)
    }
    mutating func imul(_ dst: Register, _ src: Operand, wide: Bool = true) { emit([0x0f, 0xaf], wide: wide, reg: dst.rawValue, src) }
    /// dst = src × a sign-extended 32-bit immediate.
    mutating func imul(_ dst: Register, _ src: Operand, immediate: Int32) { emit([0x69], wide: true, reg: dst.rawValue, src); int32(immediate) }
    mutating func movsxd(_ dst: Register, _ src: Operand) { emit([0x63], wide: true, reg: dst.rawValue, src) }
    /// setcc al; movzx dst32, al (a 32-bit write clears the upper half).
    mutating func set(_ cc: Condition, _ dst: Register) {
        emit([0x0f, 0x90 | cc.rawValue], wide: false, reg: 0, .register(.rax))
        emit([0x0f, 0xb6], wide: false, reg: dst.rawValue, .register(.rax))
    }
    /// A load of `width` bytes (from memory, or the low bytes of a register), zero- or sign-extended to 64 bits.
    mutating func load(_ dst: Register, _ src: Operand, width: Int, signed: Bool) {
        switch (width, signed) {
        case (1, false): emit([0x0f, 0xb6], wide: false, reg: dst.rawValue, src)
        case (1, true): emit([0x0f, 0xbe], wide: true, reg: dst.rawValue, src)
        case (2, false): emit([0x0f, 0xb7], wide: false, reg: dst.rawValue, src)
        case (2, true): emit([0x0f, 0xbf], wide: true, reg: dst.rawValue, src)
        case (4, false): emit([0x8b], wide: false, reg: dst.rawValue, src)
        case (4, true): movsxd(dst, src)
        default: mov(dst, src)
        }
    }
    /// A store of the low `width` bytes of `src`.
    mutating func store(_ src: Register, _ dst: Operand, width: Int) {
        switch width {
        case 1: emit([0x88], wide: false, reg: src.rawValue, dst, byteRegister: true)
        case 2: emit([0x89], wide: false, reg: src.rawValue, dst, operandSize16: true)
        case 4: emit([0x89], wide: false, reg: src.rawValue, dst)
        default: emit([0x89], wide: true, reg: src.rawValue, dst)
        }
    }
    /// A jump with a 32-bit displacement to be patched; returns the displacement's position.
    mutating func jump(if cc: Condition?) -> Int {
        if let cc { bytes += [0x0f, 0x80 | cc.rawValue] } else { bytes.append(0xe9) }
        int32(0)
        return bytes.count - 4
    }
    mutating func patch(_ at: Int, to target: Int) {
        let rel = Int32(target - (at + 4))
        let u = UInt32(bitPattern: rel)
        bytes[at] = UInt8(u & 0xff); bytes[at + 1] = UInt8(u >> 8 & 0xff)
        bytes[at + 2] = UInt8(u >> 16 & 0xff); bytes[at + 3] = UInt8(u >> 24)
    }
    /// movabs: a full 64-bit immediate.
    mutating func mov(_ dst: Register, immediate64: UInt64) {
        bytes.append(0x48 | (dst.rawValue >> 3 & 1)); bytes.append(0xb8 | dst.rawValue & 7)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: immediate64 >> (8 * UInt64(i)))) }
    }
    mutating func test(_ a: Register, _ b: Register) { emit([0x85], wide: true, reg: b.rawValue, .register(a)) }
    mutating func jump(to r: Register) { emit([0xff], wide: false, reg: 4, .register(r)) }
    mutating func push(_ r: Register) { if r.rawValue >= 8 { bytes.append(0x41) }; bytes.append(0x50 | r.rawValue & 7) }
    mutating func pop(_ r: Register) { if r.rawValue >= 8 { bytes.append(0x41) }; bytes.append(0x58 | r.rawValue & 7) }
    mutating func ret() { bytes.append(0xc3) }
    /// mfence: orders every earlier load and store before every later one (the one order TSO lacks is store then load).
    mutating func memoryFence() { bytes += [0x0f, 0xae, 0xf0] }
}

/// Compiles a decoded block's integer ops to x86-64 (the dispatch loop's semantics, op for op).
///
/// Guest registers stay in the hart's register file; the code caches them in host registers and
/// writes every result through at once, so whichever op the code stops before, the register file
/// is exactly as the interpreter would leave it and no state needs flushing (keeping results in
/// host registers until the block leaves measured no faster). Loads and stores
/// take the same one-compare TLB path as the interpreter; anything else (a miss, an access that
/// is misaligned or touches a code page, an op not compiled here) stops the code before that op
/// and the dispatch loop runs on from it, so faults, devices and self-modifying code keep the
/// interpreter's exact behaviour.
struct BlockCompiler {
    typealias R = X86Assembler.Register
    // Fixed by the calling convention (System V AMD64): the arguments. rax (address, result),
    // rcx (TLB entry, shift count, next block) and r11 (TLB key) are scratch.
    static let registerFile = R.rdi, dataTLB = R.rsi, blockPC = R.rdx
    static let key = R.r11
    /// Host registers that cache guest registers.
    static let cachePool: [R] = [.r8, .r9, .r10, .rbx, .rbp, .r12, .r13, .r14, .r15]
    /// Saved by the entry sequence, restored by the block that leaves.
    static let calleeSaved: [R] = [.rbx, .rbp, .r12, .r13, .r14, .r15]

    /// push the callee-saved registers; jmp rcx (the block's code, the fourth argument).
    static func entrySequence() -> [UInt8]? {
        var asm = X86Assembler()
        for r in calleeSaved { asm.push(r) }
        asm.jump(to: .rcx)
        return asm.bytes
    }
    /// A block is compiled when at least this many of its leading ops can be.
    static let minimumOps = 3

    var asm = X86Assembler()
    var hostOf = [R?](repeating: nil, count: 33)
    var guestOf = [Int](repeating: -1, count: 16)
    var lastUse = [Int](repeating: 0, count: 16)
    var clock = 0
    /// Jumps to the code that stops before op k: (displacement position, k).
    var stops: [(Int, Int)] = []
    /// Jumps to the common exit (rax = the result).
    var exits: [Int] = []
    /// The block being compiled: its record (for its chain slots), instruction count and length.
    /// SAFETY: never dereferenced here; their addresses become immediates in the code, which
    /// reads chain slots and block records there. Both point into `BlockCache.blocks`, which
    /// lives as long as the code cache, and the code is dropped when the cache is flushed.
    var record: UnsafeMutablePointer<DecodedBlock>? = nil
    var records: UnsafeMutablePointer<DecodedBlock>? = nil
    var count = 0
    var byteLength: UInt32 = 0
    /// Other harts run on other host threads (`Hart.sharesMemory`).
    var sharesMemory = false

    static let takenOffset = Int32(MemoryLayout<DecodedBlock>.offset(of: \DecodedBlock.taken)!)
    static let fallThroughOffset = Int32(MemoryLayout<DecodedBlock>.offset(of: \DecodedBlock.fallThrough)!)
    static let compiledOffset = Int32(MemoryLayout<DecodedBlock>.offset(of: \DecodedBlock.compiled)!)
    static let slotPCOffset = Int32(MemoryLayout<ChainSlot>.offset(of: \ChainSlot.pc)!)
    static let slotKeyOffset = Int32(MemoryLayout<ChainSlot>.offset(of: \ChainSlot.key)!)
    static let slotBlockOffset = Int32(MemoryLayout<ChainSlot>.offset(of: \ChainSlot.block)!)
    static let jumpEntryPCOffset = Int32(MemoryLayout<BlockCache.JumpEntry>.offset(of: \BlockCache.JumpEntry.pc)!)
    static let jumpEntryBlockOffset = Int32(MemoryLayout<BlockCache.JumpEntry>.offset(of: \BlockCache.JumpEntry.block)!)

    static let tlbStride = MemoryLayout<TLBEntry>.stride
    static let readTagOffset = Int32(MemoryLayout<TLBEntry>.offset(of: \TLBEntry.readTag)!)
    static let writeTagOffset = Int32(MemoryLayout<TLBEntry>.offset(of: \TLBEntry.writeTag)!)
    static let hostOffsetOffset = Int32(MemoryLayout<TLBEntry>.offset(of: \TLBEntry.hostOffset)!)

    /// The machine code for `ops[0..<count]`, or nil when too few of its leading ops compile.
    /// `record` is the block's own record among `records` (the cache's array): its code follows
    /// the record's chain slots, and the jump cache's block numbers index `records`.
    static func compile(_ ops: UnsafePointer<Instruction>, count: Int, byteLength: UInt32,
                        record: UnsafeMutablePointer<DecodedBlock>, records: UnsafeMutablePointer<DecodedBlock>,
                        sharesMemory: Bool) -> [UInt8]? {
        guard tlbStride == 32, TLBEntry.entriesPerContext == 1024 else { return nil }
        var compiler = BlockCompiler()
        compiler.record = record
        compiler.records = records
        compiler.count = count
        compiler.byteLength = byteLength
        compiler.sharesMemory = sharesMemory
        return compiler.compile(ops)
    }

    // MARK: Guest registers in host registers

    static func slot(_ guest: Int) -> Int32 { Int32(guest * 8) }

    mutating func touch(_ h: R) { clock += 1; lastUse[Int(h.rawValue)] = clock }

    /// A free cache register, else the least recently used one not in `keep`.
    mutating func allocate(keeping keep: [R]) -> R {
        var choice: R? = nil
        for h in BlockCompiler.cachePool where !keep.contains(h) {
            if guestOf[Int(h.rawValue)] < 0 { choice = h; break }
            if choice == nil || lastUse[Int(h.rawValue)] < lastUse[Int(choice!.rawValue)] { choice = h }
        }
        let h = choice!
        let previous = guestOf[Int(h.rawValue)]
        if previous >= 0 { hostOf[previous] = nil; guestOf[Int(h.rawValue)] = -1 }
        touch(h)
        return h
    }

    /// The host register holding guest register `g`, loading it from the register file if needed.
    mutating func source(_ g: Int, keeping keep: [R] = []) -> R {
        if let h = hostOf[g] { touch(h); return h }
        let h = allocate(keeping: keep)
        asm.mov(h, .memory(BlockCompiler.registerFile, BlockCompiler.slot(g)))
        hostOf[g] = h; guestOf[Int(h.rawValue)] = g
        return h
    }

    /// Writes `h` through to guest register `g` and remembers that `h` holds it.
    mutating func define(_ g: Int, in h: R) {
        asm.store(h, to: BlockCompiler.registerFile, BlockCompiler.slot(g))
        if let old = hostOf[g], old != h { guestOf[Int(old.rawValue)] = -1 }
        hostOf[g] = h; guestOf[Int(h.rawValue)] = g
    }

    // MARK: Translation

    mutating func compile(_ ops: UnsafePointer<Instruction>) -> [UInt8]? {
        var ended = false
        var k = 0
        while k < count && !ended {
            // SAFETY: the caller passes the block's `count` decoded ops and k < count.
            var inst = ops[k]
            // Superinstructions keep the first op's operands; the op itself is in its bits.
            if inst.op.isEngineInternal { inst.op = Decoder.decode(inst.raw).op }
            guard let endsHere = translate(inst, index: k) else { break }
            ended = endsHere
            k += 1
        }
        guard k >= min(BlockCompiler.minimumOps, count) && k > 0 else { return nil }
        if !ended {
            if k < count {
                asm.mov(.rax, immediate: Int32(2 * k + 1))   // stop before the op not compiled
                exits.append(asm.jump(if: nil))
            } else {
                fallThrough()                                 // the block ends at a page end or its length limit
            }
        }
        // The stops, then the exit (which records the block for the dispatch loop) and the chain tail.
        var stubFor: [Int: Int] = [:]
        for (position, index) in stops {
            if stubFor[index] == nil {
                stubFor[index] = asm.bytes.count
                asm.mov(.rax, immediate: Int32(2 * index + 1))
                exits.append(asm.jump(if: nil))
            }
            asm.patch(position, to: stubFor[index]!)
        }
        let exit = asm.bytes.count
        for position in exits { asm.patch(position, to: exit) }
        asm.mov(.r11, immediate64: UInt64(UInt(bitPattern: record)))
        asm.store(.r11, to: BlockCompiler.registerFile, BlockCompiler.slot(CompiledRun.exitBlock))
        asm.store(BlockCompiler.blockPC, to: BlockCompiler.registerFile, BlockCompiler.slot(CompiledRun.exitPC))
        for r in BlockCompiler.calleeSaved.reversed() { asm.pop(r) }
        asm.ret()
        return asm.bytes
    }

    // MARK: Leaving the block

    /// With the next pc in rax: when the instruction budget allows and the chain slot at
    /// `slotOffset` names that pc under the current key and a compiled block, count this block
    /// and go on into that block; else leave with `result` (nil: rax as it is). The cache
    /// registers are all written through by now, so they are free to use here.
    mutating func chain(slotOffset: Int32, result: Int32?, indirect: Bool = false) {
        let file = BlockCompiler.registerFile
        var misses: [Int] = []
        var slotMisses: [Int] = []
        misses.append(countThisBlock())
        asm.mov(.rcx, immediate64: UInt64(UInt(bitPattern: record)) &+ UInt64(slotOffset))
        asm.arithmetic(0x3b, .rax, .memory(.rcx, BlockCompiler.slotPCOffset))
        slotMisses.append(asm.jump(if: .notEqual))
        asm.load(.r9, .memory(.rcx, BlockCompiler.slotKeyOffset), width: 4, signed: false)
        asm.arithmetic(0x3b, .r9, .memory(file, BlockCompiler.slot(CompiledRun.key)), wide: false)
        slotMisses.append(asm.jump(if: .notEqual))
        asm.mov(.rcx, .memory(.rcx, BlockCompiler.slotBlockOffset))
        let enter = asm.bytes.count
        asm.mov(.rcx, .memory(.rcx, BlockCompiler.compiledOffset))
        asm.test(.rcx, .rcx)
        misses.append(asm.jump(if: .equal))
        asm.store(.r8, to: file, BlockCompiler.slot(CompiledRun.chained))
        asm.mov(BlockCompiler.blockPC, .register(.rax))
        asm.jump(to: .rcx)
        if indirect {
            // An indirect jump whose target is not the slot's: ask the fetch context's jump cache
            // (BlockCache.jumpEntry: pc >> 1 picks the entry; valid entries are of this generation).
            for position in slotMisses { asm.patch(position, to: asm.bytes.count) }
            slotMisses = []
            asm.mov(.rcx, .register(.rax))
            asm.shift(extension: 5, .rcx, by: 1)
            asm.arithmetic(extension: 4, .rcx, immediate: Int32(BlockCache.jumpCacheEntries - 1), wide: false)
            asm.imul(.rcx, .register(.rcx), immediate: Int32(MemoryLayout<BlockCache.JumpEntry>.stride))
            asm.arithmetic(0x03, .rcx, .memory(file, BlockCompiler.slot(CompiledRun.jumpCache)))
            asm.arithmetic(0x3b, .rax, .memory(.rcx, BlockCompiler.jumpEntryPCOffset))
            misses.append(asm.jump(if: .notEqual))
            asm.movsxd(.rcx, .memory(.rcx, BlockCompiler.jumpEntryBlockOffset))
            asm.imul(.rcx, .register(.rcx), immediate: Int32(MemoryLayout<DecodedBlock>.stride))
            asm.mov(.r9, immediate64: UInt64(UInt(bitPattern: records)))
            asm.arithmetic(0x03, .rcx, .register(.r9))
            asm.patch(asm.jump(if: nil), to: enter)
        }
        let miss = asm.bytes.count
        for position in slotMisses { asm.patch(position, to: miss) }
        for position in misses { asm.patch(position, to: miss) }
        if let result { asm.mov(.rax, immediate: result) }
        exits.append(asm.jump(if: nil))
    }

    /// r8 = the chained count with this block's instructions added; returns the jump (to be
    /// patched) taken when that reaches the budget, so the code must leave instead of going on.
    mutating func countThisBlock() -> Int {
        let file = BlockCompiler.registerFile
        asm.mov(.r8, .memory(file, BlockCompiler.slot(CompiledRun.chained)))
        asm.arithmetic(extension: 0, .r8, immediate: Int32(count))
        asm.arithmetic(0x3b, .r8, .memory(file, BlockCompiler.slot(CompiledRun.budget)))
        return asm.jump(if: .aboveOrEqual)
    }

    /// Runs this block again from its first op (a loop that is one block), budget allowing.
    mutating func loopToStart() {
        let file = BlockCompiler.registerFile
        let exhausted = countThisBlock()
        asm.store(.r8, to: file, BlockCompiler.slot(CompiledRun.chained))
        asm.patch(asm.jump(if: nil), to: 0)
        asm.patch(exhausted, to: asm.bytes.count)
        asm.mov(.rax, .register(BlockCompiler.blockPC))
        exits.append(asm.jump(if: nil))
    }

    /// The block ran to its end without a control transfer, or past a branch not taken.
    mutating func fallThrough() {
        asm.lea(.rax, BlockCompiler.blockPC, Int32(byteLength))
        chain(slotOffset: BlockCompiler.fallThroughOffset, result: -1)   // Hart.fallsThrough
    }

    /// A control transfer to blockPC + `target`.
    mutating func jump(to target: Int32) {
        if target == 0 { loopToStart(); return }
        asm.lea(.rax, BlockCompiler.blockPC, target)
        chain(slotOffset: BlockCompiler.takenOffset, result: nil)
    }

    // `translate(_:index:)`, which picks each op's emitter below, is generated from the
    // instruction descriptions: Generated/GeneratedCompilerTemplates.swift.

    // MARK: Emitters: each returns nil when it cannot compile the op (the code stops before it),
    // true when the op ends the block (the next pc is in rax), false otherwise.

    /// Register-register: add 03, or 0b, and 23, sub 2b, xor 33.
    mutating func registerRegister(_ opcode: UInt8, _ inst: Instruction, word: Bool = false) -> Bool? {
        compute(Int(inst.rd), from: [Int(inst.rs1), Int(inst.rs2)], word: word) { asm, h, s in
            asm.mov(h, .register(s[0])); asm.arithmetic(opcode, h, .register(s[1]), wide: !word)
        }
        return false
    }

    mutating func multiply(_ inst: Instruction, word: Bool = false) -> Bool? {
        compute(Int(inst.rd), from: [Int(inst.rs1), Int(inst.rs2)], word: word) { asm, h, s in
            asm.mov(h, .register(s[0])); asm.imul(h, .register(s[1]), wide: !word)
        }
        return false
    }

    /// Register-immediate: the 81/83 group's /0 add, /1 or, /4 and, /6 xor.
    mutating func registerImmediate(_ ext: UInt8, _ inst: Instruction, word: Bool = false) -> Bool? {
        let imm = inst.imm
        compute(Int(inst.rd), from: [Int(inst.rs1)], word: word) { asm, h, s in
            asm.mov(h, .register(s[0]))
            // x + 0, x | 0 and x ^ 0 are x; x & 0 is not.
            if imm != 0 || word || ext == 4 { asm.arithmetic(extension: ext, h, immediate: imm, wide: !word) }
        }
        return false
    }

    /// Shifts by the immediate: /4 shl, /5 shr, /7 sar.
    mutating func shiftImmediate(_ ext: UInt8, _ inst: Instruction, word: Bool = false) -> Bool? {
        let count = UInt8(truncatingIfNeeded: inst.imm) & (word ? 31 : 63)
        compute(Int(inst.rd), from: [Int(inst.rs1)], word: word) { asm, h, s in
            asm.mov(h, .register(s[0])); asm.shift(extension: ext, h, by: count, wide: !word)
        }
        return false
    }

    /// Shifts by rs2 (in cl; x86 masks the count as RISC-V does).
    mutating func shiftRegister(_ ext: UInt8, _ inst: Instruction, word: Bool = false) -> Bool? {
        compute(Int(inst.rd), from: [Int(inst.rs1), Int(inst.rs2)], word: word) { asm, h, s in
            asm.mov(.rcx, .register(s[1])); asm.mov(h, .register(s[0])); asm.shift(extension: ext, h, by: nil, wide: !word)
        }
        return false
    }

    /// Zba: rs2 + (rs1 << n), with rs1's low word zero-extended first in the .uw forms (a 32-bit mov clears the upper half).
    mutating func shiftAndAdd(_ inst: Instruction, by n: UInt8, unsignedWord: Bool = false) -> Bool? {
        compute(Int(inst.rd), from: [Int(inst.rs1), Int(inst.rs2)]) { asm, h, s in
            if unsignedWord { asm.load(h, .register(s[0]), width: 4, signed: false) } else { asm.mov(h, .register(s[0])) }
            if n > 0 { asm.shift(extension: 4, h, by: n) }
            asm.arithmetic(0x03, h, .register(s[1]))
        }
        return false
    }

    /// slli.uw: rs1's low word, zero-extended, shifted left by the immediate.
    mutating func shiftUnsignedWordImmediate(_ inst: Instruction) -> Bool? {
        let count = UInt8(truncatingIfNeeded: inst.imm) & 63
        compute(Int(inst.rd), from: [Int(inst.rs1)]) { asm, h, s in
            asm.load(h, .register(s[0]), width: 4, signed: false)
            asm.shift(extension: 4, h, by: count)
        }
        return false
    }

    /// Zbs: rs1 with bit rs2 & 63 set (bts, 0f ab), cleared (btr, 0f b3) or inverted (btc,
    /// 0f bb); x86 masks a register's bit index to 63 as RISC-V does.
    mutating func singleBit(_ opcode: UInt8, _ inst: Instruction) -> Bool? {
        compute(Int(inst.rd), from: [Int(inst.rs1), Int(inst.rs2)]) { asm, h, s in
            asm.mov(h, .register(s[0])); asm.bitTest(opcode, h, index: s[1])
        }
        return false
    }

    /// bseti, bclri, binvi: the 0f ba group's /5 bts, /6 btr, /7 btc with the 6-bit index.
    mutating func singleBitImmediate(_ ext: UInt8, _ inst: Instruction) -> Bool? {
        let index = UInt8(truncatingIfNeeded: inst.imm) & 63
        compute(Int(inst.rd), from: [Int(inst.rs1)]) { asm, h, s in
            asm.mov(h, .register(s[0])); asm.bitTest(extension: ext, h, index: index)
        }
        return false
    }

    /// bext: bt copies bit rs2 & 63 of rs1 into CF, and setb (below: CF set) makes it rd.
    mutating func bitExtract(_ inst: Instruction) -> Bool? {
        compute(Int(inst.rd), from: [Int(inst.rs1), Int(inst.rs2)]) { asm, h, s in
            asm.bitTest(0xa3, s[0], index: s[1]); asm.set(.below, h)
        }
        return false
    }

    /// bexti: the same with the index in the immediate (0f ba /4).
    mutating func bitExtractImmediate(_ inst: Instruction) -> Bool? {
        let index = UInt8(truncatingIfNeeded: inst.imm) & 63
        compute(Int(inst.rd), from: [Int(inst.rs1)]) { asm, h, s in
            asm.bitTest(extension: 4, s[0], index: index); asm.set(.below, h)
        }
        return false
    }

    mutating func setIfLess(_ inst: Instruction, _ cc: X86Assembler.Condition) -> Bool? {
        compute(Int(inst.rd), from: [Int(inst.rs1), Int(inst.rs2)]) { asm, h, s in asm.arithmetic(0x3b, s[0], .register(s[1])); asm.set(cc, h) }
        return false
    }

    mutating func setIfLessImmediate(_ inst: Instruction, _ cc: X86Assembler.Condition) -> Bool? {
        let imm = inst.imm
        compute(Int(inst.rd), from: [Int(inst.rs1)]) { asm, h, s in asm.arithmetic(extension: 7, s[0], immediate: imm); asm.set(cc, h) }
        return false
    }

    mutating func loadUpperImmediate(_ inst: Instruction) -> Bool? {
        let imm = inst.imm
        compute(Int(inst.rd), from: []) { asm, h, _ in asm.mov(h, immediate: imm) }
        return false
    }

    mutating func addUpperImmediateToPC(_ inst: Instruction) -> Bool? {
        guard let disp = Int32(exactly: Int64(inst.blockOffset) + Int64(inst.imm)) else { return nil }
        compute(Int(inst.rd), from: []) { asm, h, _ in asm.lea(h, BlockCompiler.blockPC, disp) }
        return false
    }

    /// An op with nothing to do in compiled code.
    mutating func nothing() -> Bool? { false }

    /// FENCE: nothing on a one-hart board; with harts on other threads an mfence, since x86-64
    /// (TSO) may let a later load pass an earlier store, which RISC-V's FENCE forbids.
    mutating func memoryFence() -> Bool? {
        if sharesMemory { asm.memoryFence() }
        return false
    }

    /// FENCE.I: nothing on a one-hart board (the hart's own stores invalidate its code as they
    /// happen); with other harts it flushes this hart's decoded code, which the dispatch loop does.
    mutating func instructionFence() -> Bool? { sharesMemory ? nil : false }

    mutating func load(_ k: Int, _ inst: Instruction, width: Int, signed: Bool) -> Bool? {
        memoryAccess(k, rd: Int(inst.rd), base: Int(inst.rs1), inst.imm, width: width, signed: signed)
        return false
    }

    mutating func store(_ k: Int, _ inst: Instruction, width: Int) -> Bool? {
        memoryAccess(k, store: Int(inst.rs2), base: Int(inst.rs1), inst.imm, width: width)
        return false
    }

    mutating func jumpAndLink(_ inst: Instruction) -> Bool? {
        let here = Int64(inst.blockOffset)
        guard let target = Int32(exactly: here + Int64(inst.imm)), let link = Int32(exactly: here + Int64(inst.length)) else { return nil }
        if inst.rd != Instruction.discard {
            let h = allocate(keeping: [])
            asm.lea(h, BlockCompiler.blockPC, link)
            define(Int(inst.rd), in: h)
        }
        jump(to: target)
        return true
    }

    mutating func jumpAndLinkRegister(_ inst: Instruction) -> Bool? {
        guard let link = Int32(exactly: Int64(inst.blockOffset) + Int64(inst.length)) else { return nil }
        let a = source(Int(inst.rs1))
        asm.lea(.rax, a, inst.imm)
        asm.arithmetic(extension: 4, .rax, immediate: -2)
        if inst.rd != Instruction.discard {
            let h = allocate(keeping: [])
            asm.lea(h, BlockCompiler.blockPC, link)
            define(Int(inst.rd), in: h)
        }
        chain(slotOffset: BlockCompiler.takenOffset, result: nil, indirect: true)
        return true
    }

    /// A conditional branch taken when `cc` holds after comparing rs1 with rs2.
    mutating func branch(_ inst: Instruction, _ cc: X86Assembler.Condition) -> Bool? {
        guard let target = Int32(exactly: Int64(inst.blockOffset) + Int64(inst.imm)) else { return nil }
        let a = source(Int(inst.rs1)), b = source(Int(inst.rs2), keeping: [a])
        asm.arithmetic(0x3b, a, .register(b))
        let taken = asm.jump(if: cc)
        fallThrough()
        asm.patch(taken, to: asm.bytes.count)
        jump(to: target)
        return true
    }

    /// rd = an operation on `sources`: each source in a host register, a fresh register for the
    /// result (`body` computes it from the sources), the `*w` sign extension, and the result
    /// defined. An op whose rd is the discard slot has no effect and emits nothing.
    mutating func compute(_ rd: Int, from sources: [Int], word: Bool = false, _ body: (inout X86Assembler, R, [R]) -> Void) {
        guard rd != 32 else { return }
        var held: [R] = []
        for g in sources { held.append(source(g, keeping: held)) }
        let h = allocate(keeping: held)
        body(&asm, h, held)
        if word { asm.movsxd(h, .register(h)) }
        define(rd, in: h)
    }

    /// rax = address, rcx = its TLB entry; jumps to the stop before op `k` unless the entry's
    /// tag at `tagOffset` matches the page and alignment key; then rax = the host address.
    mutating func translateAddress(_ k: Int, base a: R, _ imm: Int32, width: Int, tagOffset: Int32) {
        asm.lea(.rax, a, imm)
        asm.load(.rcx, .register(.rax), width: 4, signed: false)                   // mov ecx, eax
        asm.shift(extension: 5, .rcx, by: 12, wide: false)                          // shr ecx, 12
        asm.arithmetic(extension: 4, .rcx, immediate: Int32(TLBEntry.entriesPerContext - 1), wide: false)
        asm.shift(extension: 4, .rcx, by: 5, wide: false)                           // × 32 bytes per entry
        asm.arithmetic(0x03, .rcx, .register(BlockCompiler.dataTLB))               // add rcx, rsi
        asm.mov(BlockCompiler.key, .register(.rax))
        asm.arithmetic(extension: 4, BlockCompiler.key, immediate: Int32(truncatingIfNeeded: Int64(bitPattern: TLBEntry.pageMask | UInt64(width - 1))))
        asm.arithmetic(0x3b, BlockCompiler.key, .memory(.rcx, tagOffset))
        stops.append((asm.jump(if: .notEqual), k))
        asm.arithmetic(0x03, .rax, .memory(.rcx, BlockCompiler.hostOffsetOffset))
    }

    mutating func memoryAccess(_ k: Int, rd: Int, base: Int, _ imm: Int32, width: Int, signed: Bool) {
        translateAddress(k, base: source(base), imm, width: width, tagOffset: BlockCompiler.readTagOffset)
        guard rd != 32 else {
            asm.load(BlockCompiler.key, .memory(.rax, 0), width: width, signed: signed)   // the access still happens
            return
        }
        let h = allocate(keeping: [])
        asm.load(h, .memory(.rax, 0), width: width, signed: signed)
        define(rd, in: h)
    }

    mutating func memoryAccess(_ k: Int, store rs2: Int, base: Int, _ imm: Int32, width: Int) {
        let a = source(base), value = source(rs2, keeping: [a])
        translateAddress(k, base: a, imm, width: width, tagOffset: BlockCompiler.writeTagOffset)
        asm.store(value, .memory(.rax, 0), width: width)
    }
}

#else

/// Hosts other than x86-64 run every block through the dispatch loop.
struct BlockCompiler {
    static func compile(_ ops: UnsafePointer<Instruction>, count: Int, byteLength: UInt32,
                        record: UnsafeMutablePointer<DecodedBlock>, records: UnsafeMutablePointer<DecodedBlock>,
                        sharesMemory: Bool) -> [UInt8]? { nil }
    static func entrySequence() -> [UInt8]? { nil }
}

#endif
