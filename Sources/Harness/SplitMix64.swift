/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): a tiny generator whose whole state is one integer, so a seed reproduces a
/// program exactly on every platform and Swift version. The system generator is never used:
/// it is not seedable and would make failures impossible to replay. The fuzzer (`virtbench fuzz`)
/// and the random-program generators of the DifferentialTesting test target share it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Every seed, zero included, gives a full-period sequence.
    public init(seed: UInt64) { state = seed }

    /// The constants are the ones of the published algorithm.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `range`, from our own bits so the result never depends on the
    /// standard library's choice of algorithm.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) + 1
        return range.lowerBound + Int(next() % span)
    }

    /// A uniform integer in a half-open `range`.
    public mutating func int(in range: Range<Int>) -> Int { int(in: range.lowerBound...(range.upperBound - 1)) }

    /// True with probability `percent`/100.
    public mutating func chance(_ percent: Int) -> Bool { next() % 100 < UInt64(percent) }

    /// A uniformly chosen element of a non-empty `array`.
    public mutating func element<T>(of array: [T]) -> T { array[int(in: 0..<array.count)] }
}
