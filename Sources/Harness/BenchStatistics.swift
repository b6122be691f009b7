#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two summaries the side-by-side benchmark reports, kept apart from the runner so the
/// arithmetic is tested on its own.
///
/// The median damps the odd slow round (another process woke up, a page-cache miss), which a
/// mean would smear into every figure; the geometric mean is the only average of ratios that
/// does not depend on which side is the numerator (Fleming & Wallace, "How not to lie with
/// statistics: the correct way to summarize benchmark results", CACM 29(3), 1986).
public enum BenchStatistics {
    /// The middle value; for an even count, the mean of the two middle values. Nil when empty
    /// or when any value is not finite (a failed measurement must not look like a figure).
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty, values.allSatisfy(\.isFinite) else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        if sorted.count % 2 == 1 { return sorted[middle] }
        return (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The n-th root of the product, computed through logarithms so a long list of large MIPS
    /// figures cannot overflow. Nil when empty or when any value is not positive and finite:
    /// a zero or negative throughput means a run failed, and it has no meaningful logarithm.
    public static func geometricMean(_ values: [Double]) -> Double? {
        guard !values.isEmpty, values.allSatisfy({ $0.isFinite && $0 > 0 }) else { return nil }
        var sum = 0.0
        for value in values { sum += log(value) }
        return exp(sum / Double(values.count))
    }

    /// Millions of instructions per second; nil for a non-positive or non-finite time.
    public static func mips(instructions: UInt64, seconds: Double) -> Double? {
        guard seconds.isFinite, seconds > 0 else { return nil }
        return Double(instructions) / seconds / 1e6
    }
}
