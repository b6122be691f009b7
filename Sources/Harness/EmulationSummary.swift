import Foundation

/// The emulation figures for one Thumb workload of a comparison (issue 9, "Must show" 2): what
/// translation cost, and how the result stands against the same C program run natively as
/// RV64 and against a real Cortex-M0.
public struct EmulationWorkloadSummary: Sendable, Equatable {
    /// The Thumb program (`crc32-small-thumb`) and the RV64 build of the same source (`crc32-small`).
    public let workload: String
    public let nativeWorkload: String
    /// Exact counts.
    public let thumbInstructions: UInt64
    public let rv64Instructions: UInt64
    /// Measured host time spent translating (only recorded in real-time runs: virtual-time
    /// runs keep to exact counts), and the run's median wall time.
    public let translationSeconds: Double?
    public let wallSeconds: Double
    /// Emulation wall time over native wall time for the same C program (measured; nil when
    /// the comparison did not run native on it).
    public let slowdownVersusNative: Double?

    /// RV64 instructions executed per Thumb instruction (translated code, stubs and the host
    /// exits together): the code expansion as it ran.
    public var rv64PerThumbInstruction: Double {
        thumbInstructions == 0 ? 0 : Double(rv64Instructions) / Double(thumbInstructions)
    }

    /// Thumb instructions per second over what a 48 MHz Cortex-M0 can retire. Modelled: the
    /// M0 is taken at one instruction per cycle, its best case (loads, taken branches and
    /// multiplies take more; Cortex-M0 TRM §3.3), so the real M0 is slower than this assumes.
    public var speedVersusCortexM0: Double? {
        wallSeconds > 0 ? Double(thumbInstructions) / wallSeconds / EmulationSummary.cortexM0InstructionsPerSecond : nil
    }
}

/// Builds the emulation table from a comparison report.
public enum EmulationSummary {
    /// A Cortex-M0 at 48 MHz (the reference part) retiring at most one instruction per cycle.
    public static let cortexM0InstructionsPerSecond = 48_000_000.0

    /// One row per passed `emulation` result that recorded its translation events.
    public static func rows(_ report: ComparisonReport) -> [EmulationWorkloadSummary] {
        report.results.compactMap { result -> EmulationWorkloadSummary? in
            guard result.mode == "emulation", result.status == .passed, let counts = result.counts?.values,
                  let thumb = counts["thumb.instructions"], let rv64 = counts["rv64.instructions"],
                  let wall = result.medianWallSeconds else { return nil }
            let nativeName = result.workload.hasSuffix(thumbSuffix) ? String(result.workload.dropLast(thumbSuffix.count)) : result.workload
            let nativeWall = report.result(workload: nativeName, mode: "native").flatMap { $0.status == .passed ? $0.medianWallSeconds : nil }
            return EmulationWorkloadSummary(
                workload: result.workload, nativeWorkload: nativeName, thumbInstructions: thumb, rv64Instructions: rv64,
                translationSeconds: counts["translation.nanoseconds"].map { Double($0) / 1e9 }, wallSeconds: wall,
                slowdownVersusNative: nativeWall.flatMap { $0 > 0 ? wall / $0 : nil })
        }
    }

    /// The Thumb corpus names its programs `<rv64 name>-thumb` (CorpusCatalogue+Thumb.swift).
    static let thumbSuffix = "-thumb"

    /// A plain-text table of `rows`, saying which columns are counts, measurements and models.
    public static func table(_ rows: [EmulationWorkloadSummary]) -> String {
        var table: [[String]] = [["workload", "thumb insns", "rv64/thumb", "translate ms", "wall s", "vs native", "vs M0@48MHz"]]
        for row in rows {
            table.append([
                row.workload, String(row.thumbInstructions), String(format: "%.2f", row.rv64PerThumbInstruction),
                row.translationSeconds.map { String(format: "%.3f", $0 * 1000) } ?? "-", String(format: "%.3f", row.wallSeconds),
                row.slowdownVersusNative.map { String(format: "%.1f× slower", $0) } ?? "-",
                row.speedVersusCortexM0.map { String(format: "%.2f×", $0) } ?? "-",
            ])
        }
        return PlainTextTable.render(table)
            + "\nthumb insns and rv64/thumb are exact counts; translate ms (real-time runs only), wall s and vs native "
            + "are measured; vs M0@48MHz is modelled (one instruction per cycle, the M0's best case).\n"
    }
}
