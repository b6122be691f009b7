#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CGuestMemory

/// The machine's RAM: one anonymous mapping, addressed by physical address.
///
/// Harts on other host threads share it: every access made while harts run goes through
/// `GuestRAM` (relaxed atomics, Sources/CGuestMemory explains why). The bulk accessors
/// (`write`, `read`, `append`, `fill`, `isZero`) are plain copies and compares, for loaders,
/// snapshots and the hypervisor's own use (zeroing its tables or a destroyed domain, digests),
/// made while no hart touches those bytes.
///
/// Pages are only committed by the host when first touched, so a 256 MiB guest that uses
/// a few megabytes costs a few megabytes. Every accessor that takes an address it did not
/// compute itself is bounds checked; the engine's fast paths use `hostPointer` after the
/// software TLB has proved the access lies inside RAM.
public final class PhysicalMemory {
    /// Physical address of the first byte of RAM (0x8000_0000 on the `virt` board).
    public let base: UInt64
    /// Size of RAM in bytes.
    public let size: UInt64
    /// Host address of the first byte of RAM.
    /// SAFETY: the start of this object's own mapping of `size` bytes, made in `init` and unmapped
    /// only in `deinit`, so it is valid for as long as the object lives; never rebound.
    public let bytes: UnsafeMutableRawPointer
    /// With several harts: which pages hold decoded code, and the writes to them (CodeWatch.swift).
    /// Every store made through this type's methods is counted there.
    public private(set) var codeWatch: CodeWatch?

    /// Starts counting writes to code pages for `harts` harts (a board with more than one);
    /// before any hart is made. Without the table (the host could not map it) FENCE.I rereads
    /// all decoded code.
    public func watchCode(harts: Int) { codeWatch = CodeWatch(ramSize: size, harts: harts) }

    public enum AllocationError: Error, CustomStringConvertible {
        case invalidSize(UInt64)
        case mapFailed(UInt64)
        public var description: String {
            switch self {
            case .invalidSize(let s): return "invalid RAM size \(s) bytes (must be a non-zero multiple of 4 KiB, at most 64 GiB)"
            case .mapFailed(let s): return "could not reserve \(s) bytes of host memory for guest RAM"
            }
        }
    }

    /// Largest RAM we accept: the `virt` board's RAM window on a 64-bit host.
    public static let maximumSize: UInt64 = 64 << 30

    public init(base: UInt64, size: UInt64) throws(AllocationError) {
        guard size > 0, size % 4096 == 0, size <= Self.maximumSize else { throw .invalidSize(size) }
        // SAFETY: a fresh anonymous mapping (no address hint, no file); the result is checked
        // against MAP_FAILED before it is kept.
        let p = mmap(nil, Int(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != MAP_FAILED else { throw .mapFailed(size) }
        self.base = base
        self.size = size
        self.bytes = p
    }

    // SAFETY: `bytes` is this object's own mapping of exactly `size` bytes, unmapped once.
    deinit { munmap(bytes, Int(size)) }

    /// True when `[address, address + length)` lies entirely inside RAM.
    @inline(__always)
    public func contains(_ address: UInt64, length: UInt64 = 1) -> Bool {
        address >= base && length <= size && address - base <= size - length
    }

    /// Host pointer for a physical address already known to be inside RAM.
    @inline(__always)
    public func hostPointer(_ address: UInt64) -> UnsafeMutableRawPointer {
        // SAFETY: callers check `contains` first (or hold an address a TLB entry or block derived
        // from RAM), so address - base < size and the pointer stays inside the mapping.
        bytes + Int(address &- base)
    }

    /// Copies `data` into RAM at `address`; false (and nothing written) if it does not fit.
    /// Contiguous collections (arrays, their slices, `Data`) are copied in one `copyMemory`.
    @discardableResult
    public func write(_ data: some Collection<UInt8>, at address: UInt64) -> Bool {
        let count = data.count
        guard contains(address, length: UInt64(count)) else { return false }
        let copied: Void? = data.withContiguousStorageIfAvailable { source in
            // SAFETY: `contains` above put all `count` bytes inside the mapping, and `source` (valid
            // for this closure only) holds exactly `count` bytes, so the copy reads and writes in bounds.
            if let start = source.baseAddress { hostPointer(address).copyMemory(from: start, byteCount: source.count) }
        }
        if copied == nil {
            // SAFETY: `contains` above put all `count` bytes inside the mapping; RAM is untyped bytes.
            let dst = hostPointer(address).assumingMemoryBound(to: UInt8.self)
            var i = 0
            for b in data { dst[i] = b; i += 1 }
        }
        codeWatch?.noteWrite(address &- base, length: UInt64(count))
        return true
    }

    /// Appends `count` bytes of RAM at `address` to `destination` (a `[UInt8]`, `Data`, ...);
    /// false (and nothing appended) if the range is not inside RAM. The copying alternative to
    /// `read` for callers that collect many ranges into one buffer (a snapshot file, a digest).
    @discardableResult
    public func append(_ address: UInt64, count: Int, to destination: inout some RangeReplaceableCollection<UInt8>) -> Bool {
        guard count >= 0, contains(address, length: UInt64(count)) else { return false }
        // SAFETY: `contains` above put all `count` bytes inside the mapping; the buffer is only
        // read during the append and does not outlive this call.
        destination.append(contentsOf: UnsafeRawBufferPointer(start: hostPointer(address), count: count))
        return true
    }

    /// Sets `count` bytes at `address` to `byte` (zeroing a domain, a page table, .bss); false
    /// (and nothing written) if the range is not inside RAM.
    @discardableResult
    public func fill(_ address: UInt64, count: Int, with byte: UInt8 = 0) -> Bool {
        guard count >= 0, contains(address, length: UInt64(count)) else { return false }
        // SAFETY: `contains` above put all `count` bytes inside the mapping; RAM is untyped bytes.
        hostPointer(address).initializeMemory(as: UInt8.self, repeating: byte, count: count)
        codeWatch?.noteWrite(address &- base, length: UInt64(count))
        return true
    }

    /// Whether the `count` bytes at `address` are all zero; nil if the range is not inside RAM.
    /// Compared in `zeroBlock`-sized runs with memcmp, as fast as the host's library makes it.
    public func isZero(_ address: UInt64, count: Int) -> Bool? {
        guard count >= 0, contains(address, length: UInt64(count)) else { return nil }
        var done = 0
        while done < count {
            let run = min(count - done, PhysicalMemory.zeroBlock.count)
            // SAFETY: `contains` above put all `count` bytes inside the mapping and done + run ≤ count;
            // `zeroBlock` holds at least `run` bytes and its buffer is valid inside the closure.
            let equal = PhysicalMemory.zeroBlock.withUnsafeBytes { zeros in memcmp(hostPointer(address &+ UInt64(done)), zeros.baseAddress!, run) == 0 }
            if !equal { return false }
            done += run
        }
        return true
    }

    private static let zeroBlock = [UInt8](repeating: 0, count: 4096)

    /// Zeroes `count` bytes at `address` like `fill`, but hands the whole host pages inside the
    /// range back to the host (MADV_DONTNEED: a private anonymous page then reads as zeros and
    /// costs nothing until touched again), so freeing a domain's RAM does not commit all of it.
    /// False if the range is not inside RAM.
    public func zeroReleasingPages(_ address: UInt64, count: Int) -> Bool {
        guard count >= 0, contains(address, length: UInt64(count)) else { return false }
        let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        let start = address &- base, end = start + UInt64(count)
        let firstWhole = (start + page - 1) / page * page, lastWhole = end / page * page
        guard firstWhole < lastWhole else { return fill(address, count: count) }
        // SAFETY: base + firstWhole ..< base + lastWhole lies inside [start, end), which `contains`
        // put inside this object's mapping, and both ends are page-aligned offsets of the page-aligned
        // mapping; DONTNEED on private anonymous memory only drops contents, never the mapping.
        let advised = madvise(bytes + Int(firstWhole), Int(lastWhole - firstWhole), MADV_DONTNEED) == 0
        if !advised { return fill(address, count: count) }
        codeWatch?.noteWrite(firstWhole, length: lastWhole - firstWhole)
        return fill(address, count: Int(firstWhole - start)) && fill(base + lastWhole, count: Int(end - lastWhole))
    }

    /// How many bytes of the `count` at `address` the host has committed (resident pages, by
    /// mincore), counting whole pages; nil if the range is not inside RAM or mincore fails.
    public func residentBytes(_ address: UInt64, count: Int) -> UInt64? {
        guard count > 0, contains(address, length: UInt64(count)) else { return count == 0 ? 0 : nil }
        let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        let start = (address &- base) / page * page, end = address &- base + UInt64(count)
        var vector = [UInt8](repeating: 0, count: Int((end - start + page - 1) / page))
        // SAFETY: start is a page-aligned offset inside the mapping and end - start bytes from it stay
        // inside it (`contains` above); `vector` holds one byte per page of that span, as mincore writes.
        let status = vector.withUnsafeMutableBufferPointer { mincore(bytes + Int(start), Int(end - start), $0.baseAddress) }
        guard status == 0 else { return nil }
        return UInt64(vector.reduce(0) { $0 + Int($1 & 1) }) * page
    }

    /// Reads `count` bytes from RAM; nil if the range is not inside RAM.
    public func read(_ address: UInt64, count: Int) -> [UInt8]? {
        guard count >= 0, contains(address, length: UInt64(count)) else { return nil }
        // SAFETY: `contains` above put all `count` bytes inside the mapping.
        return Array(UnsafeRawBufferPointer(start: hostPointer(address), count: count))
    }

    /// Bounds-checked little-endian load of `width` (1, 2, 4 or 8) bytes.
    public func load(_ address: UInt64, width: Int) -> UInt64? {
        guard contains(address, length: UInt64(width)) else { return nil }
        // SAFETY: `contains` above put all `width` bytes inside the mapping.
        let p = hostPointer(address)
        if address & UInt64(width - 1) != 0 {
            var value: UInt64 = 0
            for i in 0..<width { value |= UInt64(GuestRAM.load(p + i, as: UInt8.self)) << (8 * UInt64(i)) }
            return value
        }
        switch width {
        case 1: return UInt64(GuestRAM.load(p, as: UInt8.self))
        case 2: return UInt64(GuestRAM.load(p, as: UInt16.self))
        case 4: return UInt64(GuestRAM.load(p, as: UInt32.self))
        default: return GuestRAM.load(p, as: UInt64.self)
        }
    }

    /// Bounds-checked little-endian store; false if outside RAM.
    @discardableResult
    public func store(_ address: UInt64, width: Int, value: UInt64) -> Bool {
        guard contains(address, length: UInt64(width)) else { return false }
        // SAFETY: `contains` above put all `width` bytes inside the mapping.
        let p = hostPointer(address)
        if address & UInt64(width - 1) != 0 {
            for i in 0..<width { GuestRAM.store(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))), at: p + i) }
        } else {
            switch width {
            case 1: GuestRAM.store(UInt8(truncatingIfNeeded: value), at: p)
            case 2: GuestRAM.store(UInt16(truncatingIfNeeded: value), at: p)
            case 4: GuestRAM.store(UInt32(truncatingIfNeeded: value), at: p)
            default: GuestRAM.store(value, at: p)
            }
        }
        codeWatch?.noteWrite(address &- base, length: UInt64(width))
        return true
    }

    /// Atomically replaces the aligned `width`-byte value at `address` with `desired` if it holds
    /// `expected` (SC, and each step of an AMO's compare-and-swap loop); the caller checked bounds
    /// and alignment.
    func compareAndSwap(_ address: UInt64, width: Int, expected: UInt64, desired: UInt64) -> Bool {
        // SAFETY: callers check `contains` and natural alignment (misaligned atomics trap first).
        let p = hostPointer(address)
        let swapped = width == 4 ? vb_cas32(p, UInt32(truncatingIfNeeded: expected), UInt32(truncatingIfNeeded: desired))
            : vb_cas64(p, expected, desired)
        if swapped { codeWatch?.noteWrite(address &- base, length: UInt64(width)) }
        return swapped
    }
}

/// Loads and stores of guest RAM that other harts may touch at the same time: relaxed atomics
/// (Sources/CGuestMemory/include/GuestMemory.h), one plain `mov` each on x86-64. Aligned only;
/// RAM is little-endian like the host.
/// SAFETY: callers pass a pointer into RAM with the whole access inside the mapping and aligned
/// to its size (`load` and `store` above check both; the engine's callers hold a TLB hit for
/// the page and take misaligned accesses byte by byte).
enum GuestRAM {
    @inline(__always)
    static func load<T: FixedWidthInteger>(_ p: UnsafeRawPointer, as _: T.Type) -> T {
        switch MemoryLayout<T>.size {
        case 1: return T(truncatingIfNeeded: vb_load8(p))
        case 2: return T(truncatingIfNeeded: vb_load16(p))
        case 4: return T(truncatingIfNeeded: vb_load32(p))
        default: return T(truncatingIfNeeded: vb_load64(p))
        }
    }

    @inline(__always)
    static func store<T: FixedWidthInteger>(_ value: T, at p: UnsafeMutableRawPointer) {
        switch MemoryLayout<T>.size {
        case 1: vb_store8(p, UInt8(truncatingIfNeeded: value))
        case 2: vb_store16(p, UInt16(truncatingIfNeeded: value))
        case 4: vb_store32(p, UInt32(truncatingIfNeeded: value))
        default: vb_store64(p, UInt64(truncatingIfNeeded: value))
        }
    }

    /// FENCE across harts.
    @inline(__always)
    static func fence() { vb_fence() }
}
