#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CGuestMemory

/// Which RAM pages hold code some hart has decoded, and how often each was written since: what
/// lets a hart's FENCE.I find the code other harts rewrote without rereading all it decoded.
///
/// Each hart keeps its own decoded-code cache, and its own stores into its code invalidate it at
/// once. Other harts' stores do not, and RISC-V asks only that they become visible to this hart's
/// instruction fetch after its FENCE.I (Zifencei). So, with several harts:
/// - a hart watches a page before it decodes from it (`watch`), and remembers the page's write
///   count then;
/// - every store that reaches a watched page through a slow path counts (`noteWrite`: stores
///   through `PhysicalMemory`, devices' DMA included, and the engine's stores beside code), and
///   the harts' TLBs never let a store to a watched page take the fast path;
/// - a TLB entry filled before its page was watched could still write fast, so a first watch
///   starts a new epoch, and each hart, at its next event, takes write permission out of its TLB
///   and acknowledges the epoch (`acknowledge`);
/// - at FENCE.I a hart rereads only the pages whose count moved or whose watch is younger than
///   the epoch every hart has acknowledged; the rest cannot have changed.
///
/// A page is watched while some hart has code from it (a count of watchers), so pages that go
/// back to holding data get fast stores again.
public final class CodeWatch: @unchecked Sendable {
    // @unchecked: every word is read and written only through the atomics of GuestMemory.h.

    /// Per RAM page: the watchers in the low 16 bits, the write count in the rest.
    /// SAFETY: `pageCount` words from an anonymous mapping (zero-filled, MAP_NORESERVE, so only
    /// pages of the table that are touched cost memory), unmapped in deinit; indexed by RAM page.
    private let pages: UnsafeMutablePointer<UInt64>
    private let pageCount: Int
    /// Word 0: the epoch; word 1 + h: the epoch hart h acknowledged.
    /// SAFETY: `1 + harts` words, allocated and zeroed in init, freed in deinit.
    private let epochs: UnsafeMutablePointer<UInt64>
    private let harts: Int
    private static let watcherMask: UInt64 = 0xffff
    private static let writeUnit: UInt64 = 1 << 16

    /// Nil when the host cannot map the table.
    init?(ramSize: UInt64, harts: Int) {
        pageCount = Int((ramSize + 4095) >> 12)
        let bytes = max(pageCount, 1) * MemoryLayout<UInt64>.stride
        // SAFETY: a fresh anonymous mapping of `bytes`, checked against MAP_FAILED before use.
        let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { return nil }
        // SAFETY: a fresh zero-filled mapping of `bytes`, bound to the words it holds.
        pages = mapped.bindMemory(to: UInt64.self, capacity: max(pageCount, 1))
        self.harts = harts
        // SAFETY: initialised right after allocation.
        epochs = .allocate(capacity: 1 + harts)
        epochs.initialize(repeating: 0, count: 1 + harts)
    }

    deinit {
        // SAFETY: the mapping and allocation made in init; nothing uses them after deinit.
        munmap(pages, max(pageCount, 1) * MemoryLayout<UInt64>.stride)
        epochs.deallocate()
    }

    /// The word of RAM page `page` (a RAM offset >> 12, below the RAM's page count).
    @inline(__always)
    private func word(_ page: UInt64) -> UnsafeMutablePointer<UInt64> {
        // SAFETY: callers pass page numbers of RAM offsets, below `pageCount`.
        pages + Int(page)
    }

    /// Starts watching `page` for the calling hart; returns the epoch every hart must have
    /// acknowledged before counts alone can be trusted for it.
    func watch(_ page: UInt64) -> UInt64 {
        let old = vb_fetch_add64(word(page), 1)
        precondition(old & Self.watcherMask != Self.watcherMask, "more harts watch a page than CodeWatch counts")
        if old & Self.watcherMask == 0 { return vb_fetch_add64(epochs, 1) &+ 1 }
        return vb_load64_acquire(epochs)
    }

    /// The calling hart dropped its code from `page`.
    func unwatch(_ page: UInt64) { _ = vb_fetch_sub64(word(page), 1) }

    /// Whether some hart has code from `page`.
    @inline(__always)
    func isWatched(_ page: UInt64) -> Bool { vb_load64(word(page)) & Self.watcherMask != 0 }

    /// The write count of `page` (compared for equality only; it wraps).
    @inline(__always)
    func writeCount(_ page: UInt64) -> UInt64 { vb_load64(word(page)) >> 16 }

    /// Counts a store of `length` bytes at RAM offset `ramOffset` (made just before) into the
    /// pages it touched that are watched.
    @inline(__always)
    public func noteWrite(_ ramOffset: UInt64, length: UInt64) {
        guard length > 0 else { return }
        var page = ramOffset >> 12
        let last = (ramOffset &+ length &- 1) >> 12
        while page <= last {
            if isWatched(page) { _ = vb_fetch_add64(word(page), Self.writeUnit) }
            page &+= 1
        }
    }

    /// The current epoch.
    @inline(__always)
    var epoch: UInt64 { vb_load64_acquire(epochs) }

    /// Hart `hart` took write permission for every watched page out of its TLB as of `epoch`.
    func acknowledge(hart: Int, _ epoch: UInt64) {
        precondition(hart >= 0 && hart < harts, "hart \(hart) is not one of the \(harts) CodeWatch was made for")
        // SAFETY: word 1 + hart, inside the allocation (checked just above).
        vb_store64_release(epochs + 1 + hart, epoch)
    }

    /// The oldest epoch some hart has not acknowledged past.
    var acknowledgedByAll: UInt64 {
        var low = UInt64.max
        // SAFETY: words 1 ... harts, within the allocation.
        for h in 0 ..< harts { low = min(low, vb_load64_acquire(epochs + 1 + h)) }
        return low
    }
}
