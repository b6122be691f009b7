#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The machine's RAM: one anonymous mapping, addressed by physical address.
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
    public let bytes: UnsafeMutableRawPointer

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
    @discardableResult
    public func write(_ data: some Collection<UInt8>, at address: UInt64) -> Bool {
        guard contains(address, length: UInt64(data.count)) else { return false }
        // SAFETY: `contains` above put all data.count bytes inside the mapping; RAM is untyped bytes.
        let dst = hostPointer(address).assumingMemoryBound(to: UInt8.self)
        var i = 0
        for b in data { dst[i] = b; i += 1 }
        return true
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
        // SAFETY: `contains` above put all `width` bytes inside the mapping; unaligned loads for the rest.
        let p = hostPointer(address)
        switch width {
        case 1: return UInt64(p.load(as: UInt8.self))
        case 2: return UInt64(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)))
        case 4: return UInt64(UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
        default: return UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
        }
    }

    /// Bounds-checked little-endian store; false if outside RAM.
    @discardableResult
    public func store(_ address: UInt64, width: Int, value: UInt64) -> Bool {
        guard contains(address, length: UInt64(width)) else { return false }
        // SAFETY: `contains` above put all `width` bytes inside the mapping; storeBytes allows any alignment.
        let p = hostPointer(address)
        switch width {
        case 1: p.storeBytes(of: UInt8(truncatingIfNeeded: value), as: UInt8.self)
        case 2: p.storeBytes(of: UInt16(truncatingIfNeeded: value).littleEndian, toByteOffset: 0, as: UInt16.self)
        case 4: p.storeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian, toByteOffset: 0, as: UInt32.self)
        default: p.storeBytes(of: value.littleEndian, toByteOffset: 0, as: UInt64.self)
        }
        return true
    }
}
