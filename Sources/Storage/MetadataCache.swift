/// A small least-recently-used cache of metadata tables keyed by their offset in the image
/// file (QEMU's qcow2 L2 and refcount-block caches, without dirty entries: every update is
/// written through at once, in the order Qcow2Image documents, so the cache never holds the
/// only copy of anything). A handful of entries, so a linear scan is the whole index.
public struct MetadataCache<Value> {
    public let capacity: Int
    private var entries: [(offset: UInt64, value: Value, lastUse: UInt64)] = []
    private var clock: UInt64 = 0
    public private(set) var hits = 0
    public private(set) var misses = 0

    public init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    /// The table at `offset`, counting a hit or a miss.
    public mutating func lookup(_ offset: UInt64) -> Value? {
        clock += 1
        guard let index = entries.firstIndex(where: { $0.offset == offset }) else {
            misses += 1
            return nil
        }
        hits += 1
        entries[index].lastUse = clock
        return entries[index].value
    }

    /// Adds or replaces the table at `offset`, evicting the least recently used one when full.
    public mutating func insert(_ value: Value, at offset: UInt64) {
        clock += 1
        if let index = entries.firstIndex(where: { $0.offset == offset }) {
            entries[index] = (offset, value, clock)
            return
        }
        if entries.count == capacity, let oldest = entries.indices.min(by: { entries[$0].lastUse < entries[$1].lastUse }) {
            entries.remove(at: oldest)
        }
        entries.append((offset, value, clock))
    }

    /// Changes a cached table in place (after the same change was written to the file).
    public mutating func update(_ offset: UInt64, _ change: (inout Value) -> Void) {
        guard let index = entries.firstIndex(where: { $0.offset == offset }) else { return }
        change(&entries[index].value)
    }

    /// Forgets the table at `offset` (its cluster was freed).
    public mutating func remove(_ offset: UInt64) {
        entries.removeAll { $0.offset == offset }
    }

    public func contains(_ offset: UInt64) -> Bool { entries.contains { $0.offset == offset } }
}
