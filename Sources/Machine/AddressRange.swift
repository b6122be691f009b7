extension Range where Bound == UInt64 {
    /// True when `[address, address + length)` lies inside this range. Computed without
    /// overflow: a guest names any address and width, including `address + length` past 2^64,
    /// so `address + length <= upperBound` would trap (or, in -Ounchecked code, wrap and pass).
    public func contains(_ address: UInt64, length: UInt64) -> Bool {
        address >= lowerBound && address <= upperBound && length <= upperBound - address
    }
}
