/// Which entries of a table kept per translation context (the software TLB, the jump cache)
/// were written since the table was last cleared. A hypervisor clears both on many world
/// switches (a para-virtual trap return, a shadow-root switch), and a guest touches a handful
/// of pages between two of them: clearing the entries written costs a few stores, where
/// clearing whole tables (7 contexts × 1024 TLB entries × 32 bytes, as much again of jump
/// cache) cost microseconds per switch (issue 22).
struct TouchedEntries {
    /// Entries remembered per context; a context written more often than this is cleared whole.
    static let capacity = 128
    let contexts: Int
    /// `capacity` slots per context: the indices written, in order, possibly repeated.
    /// SAFETY: `contexts * capacity` slots, allocated and zeroed in `init`, freed in `release`
    /// (by the owner of the table this tracks, when it frees that table).
    private let indices: UnsafeMutablePointer<Int32>
    /// Writes per context since its last clear (beyond `capacity`: only counted).
    /// SAFETY: `contexts` counts, allocated and zeroed in `init`, freed in `release`.
    private let counts: UnsafeMutablePointer<Int>

    init(contexts: Int) {
        self.contexts = contexts
        // SAFETY: every slot is initialised right after its allocation.
        indices = .allocate(capacity: contexts * TouchedEntries.capacity)
        indices.initialize(repeating: 0, count: contexts * TouchedEntries.capacity)
        counts = .allocate(capacity: contexts)
        counts.initialize(repeating: 0, count: contexts)
    }

    func release() {
        // SAFETY: called once, by the owner's deinit or release, after its last note or clear.
        indices.deallocate()
        counts.deallocate()
    }

    /// Remembers that entry `index` of `context` now holds something to clear.
    @inline(__always)
    func note(_ context: Int, _ index: Int) {
        // SAFETY: `context` is a slot (< contexts) and the slot written
        // is below `capacity` within that context's block of `indices`.
        let written = counts[context]
        if written < TouchedEntries.capacity { indices[context &* TouchedEntries.capacity &+ written] = Int32(truncatingIfNeeded: index) }
        counts[context] = written &+ 1
    }

    /// Calls `body` with the index of every entry of `context` written since its last clear
    /// (some more than once), or with every index when more were written than are remembered.
    @inline(__always)
    func forEachTouched(_ context: Int, entriesPerContext: Int, _ body: (Int) -> Void) {
        // SAFETY: `context` < contexts, and slots read are below min(written, capacity).
        let written = counts[context]
        if written > TouchedEntries.capacity {
            for index in 0 ..< entriesPerContext { body(index) }
        } else {
            for slot in 0 ..< written { body(Int(indices[context * TouchedEntries.capacity + slot])) }
        }
    }

    /// Sets every entry written since the last clear (of every context) back to `empty`, in
    /// `table`, which holds `entriesPerContext` entries per context.
    func clear<Entry>(_ table: UnsafeMutablePointer<Entry>, entriesPerContext: Int, to empty: Entry) {
        for context in 0 ..< contexts { clear(table, entriesPerContext: entriesPerContext, to: empty, context: context) }
    }

    /// Like `clear`, for one context only.
    @inline(__always)
    func clear<Entry>(_ table: UnsafeMutablePointer<Entry>, entriesPerContext: Int, to empty: Entry, context: Int) {
        // SAFETY: `context` < contexts (a slot) and slots read are below
        // min(written, capacity); `table` holds `contexts * entriesPerContext` entries and every
        // noted index is an entry index within one context (< entriesPerContext), as the callers
        // compute them.
        let written = counts[context]
        guard written > 0 else { return }
        let base = table + context * entriesPerContext
        if written > TouchedEntries.capacity {
            base.update(repeating: empty, count: entriesPerContext)
        } else {
            for slot in 0 ..< written { base[Int(indices[context * TouchedEntries.capacity + slot])] = empty }
        }
        counts[context] = 0
    }
}
