#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RISCV

/// A run of decoded instructions that starts at one physical address and ends at a control
/// transfer, a privileged or CSR instruction, the page end, or `BlockCache.maximumLength`.
struct DecodedBlock {
    /// RAM offset (physical address − RAM base) of the first instruction: blocks are keyed by
    /// physical address so remapping a page never needs re-decoding.
    var ramOffset: UInt64
    var firstOp: Int32
    var count: Int32
    /// Bytes covered, so the fall-through pc is start + byteLength.
    var byteLength: UInt32
    /// How many times the block has run in the dispatch loop while it waits to be compiled
    /// (`HartConfiguration.compileThreshold`); `.max`: it never will be.
    var interpretedRuns: UInt32 = 0
    /// Chained successors (the block a jump or branch went to, and the fall-through block).
    var taken = ChainSlot()
    var fallThrough = ChainSlot()
    /// The block as host code (BlockCompiler.swift), when it has been compiled.
    /// SAFETY: points into the code cache, which outlives every block record; a flush empties the
    /// code cache and the records together, so no record keeps a pointer to dropped code.
    var compiled: UnsafeRawPointer? = nil
}

/// A remembered successor: its pc, its block, and the cache key (generation and fetch context)
/// under which the link is valid.
struct ChainSlot {
    var pc: UInt64 = .max
    var key: UInt32 = .max
    /// SAFETY: `block` and `ops` point into the cache's `blocks` and `ops` arenas, which live as
    /// long as the cache; a slot is followed only when `key` matches the current generation,
    /// and every flush or invalidation changes the generation.
    var block: UnsafeMutablePointer<DecodedBlock>? = nil
    /// The successor's first op, so following a chain needs no load through its block record.
    var ops: UnsafeMutablePointer<Instruction>? = nil
}

/// The decoded-block cache (ARCHITECTURE.md "Decode once"): blocks keyed by physical address,
/// a per-context jump cache from virtual pc to block, and a per-page record of which RAM pages
/// hold decoded code, so stores into them (and only them) invalidate what they must.
struct BlockCache {
    static let maximumLength = 64
    static let opCapacity = 1 << 20
    static let blockCapacity = 1 << 17
    static let jumpCacheEntries = 2048

    struct JumpEntry { var pc: UInt64; var block: Int32 }

    /// SAFETY: the arenas, allocated in `init` (`opCapacity` ops, `blockCapacity` blocks, and
    /// `jumpCacheEntries` per translation context) and freed in `release`, from the owning hart's
    /// deinit. `hasRoom` keeps `opCount` and `blockCount` within them; jump-cache indices are masked.
    let ops: UnsafeMutablePointer<Instruction>
    let blocks: UnsafeMutablePointer<DecodedBlock>
    let jumpCache: UnsafeMutablePointer<JumpEntry>
    /// The jump-cache entries filled since the last flush, so a flush clears only those.
    let jumpTouched = TouchedEntries(contexts: TranslationSlots.count)
    var opCount = 0
    /// Bumped whenever decoded code or the virtual-to-physical view changes, which breaks every chain.
    var generation: UInt32 = 0
    var blockCount = 0
    var byPhysical: [UInt64: Int32] = [:]
    /// A direct-mapped copy of part of `byPhysical` (never holding what it does not), so the
    /// lookup after a jump-cache miss, which every world switch causes, is one compare rather
    /// than a hash. Not flushed with the jump caches: physical keys outlive address spaces.
    static let physicalCacheEntries = 4096
    struct PhysicalEntry { var ramOffset: UInt64; var block: Int32 }
    /// SAFETY: `physicalCacheEntries` entries, allocated in `init`, freed in `release`; indices are masked.
    let physicalCache: UnsafeMutablePointer<PhysicalEntry>
    /// The blocks decoded from each RAM page (by page number), for invalidation.
    var codeInPage: [UInt64: [Int32]] = [:]
    /// With other harts (CodeWatch.swift): the watched pages this hart decodes from, each with the
    /// page's write count when it last matched what was decoded, the epoch its watch needs
    /// acknowledged, and whether it matched after that: a store through a TLB entry older than
    /// the watch is not counted, so only a match after every hart acknowledged makes the count
    /// enough.
    struct WatchedPage { var writeCount: UInt64; var epoch: UInt64; var trusted = false }
    var watchedPages: [UInt64: WatchedPage] = [:]
    let codeWatch: CodeWatch?
    /// Which 64-byte chunks of each RAM page (by page number; zero = no code) hold decoded
    /// code, so a store to data that merely shares a page with code is not mistaken for
    /// self-modifying code, and finds that out with one load. Mapped lazily (MAP_NORESERVE):
    /// only pages that ever held code cost host memory.
    /// SAFETY: one word per RAM page (`ramPages`, at least 1), from mmap or, failing that, the
    /// allocator (`codeChunksMapped` says which, so `release` gives it back the same way); indexed
    /// only by the page numbers of RAM offsets, which are below `ramPages`.
    let codeChunks: UnsafeMutablePointer<UInt64>
    let codeChunksMapped: Bool
    let ramPages: Int
    /// Host code for compiled blocks; emptied with the cache.
    var code: CodeCache

    /// The bit mask of 64-byte chunks that `[offset, offset + length)` touches within its page.
    /// Inlined: a store to data beside code (`writeHitsCode`) asks this on every store.
    @inline(__always)
    static func chunkMask(_ ramOffset: UInt64, length: UInt64) -> UInt64 {
        let first = (ramOffset & 0xfff) >> 6
        let last = min(((ramOffset & 0xfff) + max(length, 1) - 1) >> 6, 63)
        let count = last - first + 1
        return (count == 64 ? UInt64.max : ((1 << count) - 1)) << first
    }

    init(ramSize: UInt64, compileBlocks: Bool, codeWatch: CodeWatch? = nil) {
        self.codeWatch = codeWatch
        code = CodeCache(enabled: compileBlocks)
        ramPages = Int((ramSize + 4095) >> 12)
        let chunkBytes = max(ramPages, 1) * MemoryLayout<UInt64>.stride
        // SAFETY: a fresh anonymous mapping of `chunkBytes` (zero-filled), checked against
        // MAP_FAILED before it is bound to the `max(ramPages, 1)` words it holds.
        let mapped = mmap(nil, chunkBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        if let mapped, mapped != MAP_FAILED {
            codeChunks = mapped.bindMemory(to: UInt64.self, capacity: max(ramPages, 1))
            codeChunksMapped = true
        } else {
            // The map is small (8 bytes per 4 KiB of RAM); without mmap, an ordinary zeroed allocation.
            // SAFETY: the same number of words, all initialised here.
            codeChunks = .allocate(capacity: max(ramPages, 1))
            codeChunks.initialize(repeating: 0, count: max(ramPages, 1))
            codeChunksMapped = false
        }
        // SAFETY: the arenas' sizes are the capacities `hasRoom` and the index masks check against.
        // `ops` and `blocks` hold trivial values and are written before they are read (a block's
        // record and ops are filled when it is decoded); the two caches start all empty.
        ops = .allocate(capacity: BlockCache.opCapacity)
        blocks = .allocate(capacity: BlockCache.blockCapacity)
        physicalCache = .allocate(capacity: BlockCache.physicalCacheEntries)
        physicalCache.initialize(repeating: PhysicalEntry(ramOffset: .max, block: -1), count: BlockCache.physicalCacheEntries)
        jumpCache = .allocate(capacity: TranslationSlots.count * BlockCache.jumpCacheEntries)
        jumpCache.initialize(repeating: JumpEntry(pc: .max, block: -1), count: TranslationSlots.count * BlockCache.jumpCacheEntries)
    }

    func release() {
        // SAFETY: called once, from the owning hart's deinit, after which nothing reads the cache;
        // each allocation goes back the way `init` got it.
        if codeChunksMapped {
            munmap(codeChunks, max(ramPages, 1) * MemoryLayout<UInt64>.stride)
        } else {
            codeChunks.deallocate()
        }
        ops.deallocate()
        blocks.deallocate()
        jumpCache.deallocate()
        jumpTouched.release()
        physicalCache.deallocate()
        code.release()
    }

    /// The physical-cache entry `ramOffset` maps to.
    @inline(__always)
    func physicalEntry(_ ramOffset: UInt64) -> UnsafeMutablePointer<PhysicalEntry> {
        // SAFETY: the index is masked below physicalCacheEntries.
        physicalCache + Int((ramOffset >> 1) & UInt64(BlockCache.physicalCacheEntries - 1))
    }

    /// The cached block decoded from `ramOffset`: the direct-mapped copy first, then the map.
    @inline(__always)
    func block(atPhysical ramOffset: UInt64) -> Int32? {
        // SAFETY: `physicalEntry` returns an entry inside `physicalCache`.
        let entry = physicalEntry(ramOffset)
        if entry.pointee.ramOffset == ramOffset { return entry.pointee.block }
        guard let id = byPhysical[ramOffset] else { return nil }
        entry.pointee = PhysicalEntry(ramOffset: ramOffset, block: id)
        return id
    }

    @inline(__always)
    func jumpEntry(slot: Int, _ pc: UInt64) -> UnsafeMutablePointer<JumpEntry> {
        // SAFETY: slot < TranslationSlots.count and the pc index is masked below
        // jumpCacheEntries, so the entry lies within the table's count * jumpCacheEntries entries.
        jumpCache + (slot * BlockCache.jumpCacheEntries + Int((pc >> 1) & UInt64(BlockCache.jumpCacheEntries - 1)))
    }

    /// A block no page records (a 32-bit instruction straddling two pages) reached the jump
    /// caches since they were last emptied, so only emptying them drops it.
    var jumpCachesHoldUnrecordedBlocks = false

    /// The chain key (`ChainSlot.key`) of code run through `slot` now.
    func chainKey(slot: Int) -> UInt32 { generation << 4 | UInt32(slot) }

    mutating func flushJumpCaches() {
        jumpCachesHoldUnrecordedBlocks = false
        generation = (generation &+ 1) & 0x0fff_ffff
        jumpTouched.clear(jumpCache, entriesPerContext: BlockCache.jumpCacheEntries, to: JumpEntry(pc: .max, block: -1))
    }

    /// Empties one slot's jump cache (a U-mode bank given to another address space) and breaks
    /// every chain, as chains made through that slot now lead elsewhere.
    mutating func flushJumpCache(slot: Int) {
        generation = (generation &+ 1) & 0x0fff_ffff
        jumpTouched.clear(jumpCache, entriesPerContext: BlockCache.jumpCacheEntries, to: JumpEntry(pc: .max, block: -1), context: slot)
    }

    /// Fills the jump-cache entry for `pc` in `slot`, remembering it for the next flush.
    @inline(__always)
    func fillJumpEntry(slot: Int, _ pc: UInt64, block: Int32) {
        let index = Int((pc >> 1) & UInt64(BlockCache.jumpCacheEntries - 1))
        // SAFETY: the index is masked to one slot's entries, within the table (see jumpEntry).
        (jumpCache + (slot * BlockCache.jumpCacheEntries + index)).pointee = JumpEntry(pc: pc, block: block)
        jumpTouched.note(slot, index)
    }

    /// Whether RAM page `ramOffset >> 12` holds decoded code; `ramOffset` is within RAM.
    @inline(__always)
    func isCodePage(_ ramOffset: UInt64) -> Bool {
        // SAFETY: callers pass an offset inside RAM, so the page number is below `ramPages`.
        codeChunks[Int(ramOffset >> 12)] != 0
    }

    /// True when a write of `length` bytes at `ramOffset` (within RAM) overlaps decoded code.
    @inline(__always)
    func writeHitsCode(_ ramOffset: UInt64, length: UInt64) -> Bool {
        // SAFETY: callers pass an offset inside RAM, so the page number is below `ramPages`.
        codeChunks[Int(ramOffset >> 12)] & BlockCache.chunkMask(ramOffset, length: length) != 0
    }

    /// Watches RAM page `page` before code is decoded from it, so a write after this is counted
    /// or falls in an epoch not yet acknowledged (CodeWatch.swift). Without other harts, nothing.
    mutating func watchBeforeDecoding(page: UInt64) {
        guard let codeWatch, watchedPages[page] == nil else { return }
        let epoch = codeWatch.watch(page)
        watchedPages[page] = WatchedPage(writeCount: codeWatch.writeCount(page), epoch: epoch)
    }

    /// Records a new block covering `[ramOffset, ramOffset + length)`; true if its page had no code before.
    mutating func noteBlock(_ id: Int32, ramOffset: UInt64, length: UInt64) -> Bool {
        let page = ramOffset >> 12
        let mask = BlockCache.chunkMask(ramOffset, length: length)
        // SAFETY: a block is decoded from RAM, so its offset's page number is below `ramPages`.
        codeChunks[Int(page)] |= mask
        if codeInPage[page] == nil {
            codeInPage[page] = [id]
            return true
        }
        codeInPage[page]!.append(id)
        return false
    }

    /// Drops every block decoded from RAM page `ramOffset >> 12`.
    mutating func invalidatePage(_ ramOffset: UInt64) {
        if watchedPages.removeValue(forKey: ramOffset >> 12) != nil { codeWatch?.unwatch(ramOffset >> 12) }
        guard let ids = codeInPage.removeValue(forKey: ramOffset >> 12) else { return }
        // SAFETY: the page was a key of `codeInPage`, which `noteBlock` fills with RAM page
        // numbers (< ramPages); its ids are block numbers below `blockCount`, inside `blocks`;
        // `physicalEntry` returns an entry inside `physicalCache`.
        codeChunks[Int(ramOffset >> 12)] = 0
        // The blocks' ops stay in the arena until the next full flush; nothing reaches them any
        // more once they are out of the map and the generation change has broken every chain.
        for id in ids {
            let ramOffset = blocks[Int(id)].ramOffset
            byPhysical.removeValue(forKey: ramOffset)
            let entry = physicalEntry(ramOffset)
            if entry.pointee.ramOffset == ramOffset { entry.pointee = PhysicalEntry(ramOffset: .max, block: -1) }
        }
        flushJumpCaches()
    }

    /// Drops the pages holding a block whose instructions no longer match RAM, which is what a
    /// FENCE.I owes code another hart rewrote (this hart's own stores invalidated theirs already).
    /// Each op keeps its encoding (`raw`), so the check reads the block's bytes and needs no copy.
    /// When the jump caches may hold page-straddling blocks, which no page records, also empties
    /// them and breaks every chain. Returns the number of pages dropped.
    mutating func dropRewrittenCode(in memory: PhysicalMemory) -> Int {
        var rewritten: [UInt64] = []
        // Pages whose write count has not moved since they last matched, watched in an epoch every
        // hart has acknowledged, cannot have changed; the others are reread.
        let acknowledged = codeWatch?.acknowledgedByAll ?? 0  // read before any page is reread
        for (page, ids) in codeInPage {
            var count: UInt64 = 0
            if let codeWatch, let watched = watchedPages[page] {
                count = codeWatch.writeCount(page)
                if count == watched.writeCount && watched.trusted { continue }
            }
            if ids.contains(where: { !matchesRAM($0, memory) }) {
                rewritten.append(page)
            } else if let watched = watchedPages[page] {
                watchedPages[page] = WatchedPage(writeCount: count, epoch: watched.epoch, trusted: watched.epoch <= acknowledged)
            }
        }
        for page in rewritten { invalidatePage(page << 12) }
        if jumpCachesHoldUnrecordedBlocks { flushJumpCaches() }
        return rewritten.count
    }

    /// Whether block `id`'s ops were decoded from what RAM holds now.
    private func matchesRAM(_ id: Int32, _ memory: PhysicalMemory) -> Bool {
        // SAFETY: ids in `codeInPage` are block numbers below `blockCount`, and a block's ops
        // `firstOp ..< firstOp + count` lie inside the op arena (`hasRoom` reserved them).
        let block = blocks[Int(id)]
        let start = memory.base &+ block.ramOffset
        guard memory.contains(start, length: UInt64(block.byteLength)) else { return false }
        // SAFETY: `contains` put the block's bytes inside RAM, and every op lies within them at an
        // even offset, so each 16-bit load is inside the mapping and aligned.
        let bytes = UnsafeRawPointer(memory.hostPointer(start))
        for i in Int(block.firstOp) ..< Int(block.firstOp + block.count) {
            let op = ops[i]
            let p = bytes + Int(op.blockOffset)
            var bits = UInt32(GuestRAM.load(p, as: UInt16.self))
            if op.length == 4 { bits |= UInt32(GuestRAM.load(p + 2, as: UInt16.self)) << 16 }
            if bits != (op.length == 4 ? op.raw : op.raw & 0xffff) { return false }
        }
        return true
    }

    mutating func flushAll() {
        opCount = 0
        blockCount = 0
        byPhysical.removeAll(keepingCapacity: true)
        // SAFETY: the whole physical cache, as allocated; `codeInPage`'s keys are RAM page numbers (< ramPages).
        physicalCache.update(repeating: PhysicalEntry(ramOffset: .max, block: -1), count: BlockCache.physicalCacheEntries)
        for page in codeInPage.keys { codeChunks[Int(page)] = 0 }
        codeInPage.removeAll(keepingCapacity: true)
        if let codeWatch { for page in watchedPages.keys { codeWatch.unwatch(page) } }
        watchedPages.removeAll(keepingCapacity: true)
        code.reset()
        flushJumpCaches()
    }

    var hasRoom: Bool {
        opCount + BlockCache.maximumLength + 1 <= BlockCache.opCapacity && blockCount < BlockCache.blockCapacity && code.hasRoom
    }
}
