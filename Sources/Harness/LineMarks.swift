/// A run's counts as they stood at the end of each console line the guest printed, so a report
/// can say what each phase of a guest cost: the corpus kernel ends each OS-bound microbenchmark
/// with a result line, and the phase's cost is the difference between that line's counts and the
/// previous line's. Native, hav, full and para all mark lines the same way, so their phases price
/// alike: the hart's own counts (instructions, exceptions, page walks) and the hypervisor's events.
final class LineMarks {
    private(set) var marks: [(line: String, counts: [String: UInt64])] = []
    private var currentLine: [UInt8] = []
    private let counts: () -> [String: UInt64]
    /// How many lines are kept (a guest that prints without end must not grow this forever).
    static let limit = 10_000

    /// `counts` is read at the end of every line.
    init(counts: @escaping () -> [String: UInt64]) { self.counts = counts }

    /// Takes one byte of console output.
    func feed(_ byte: UInt8) {
        if byte == UInt8(ascii: "\n") {
            if marks.count < LineMarks.limit { marks.append((String(decoding: currentLine, as: UTF8.self), counts())) }
            currentLine.removeAll(keepingCapacity: true)
        } else if currentLine.count < 256 {
            currentLine.append(byte)
        }
    }

    /// The counts per OS-bound microbenchmark, under `phase.<benchmark>.<count>`, plus each
    /// benchmark's iteration count from its result line (`KernelMicrobenchmarkLine`).
    var phaseCounts: [String: UInt64] { Self.phaseCounts(marks) }

    static func phaseCounts(_ marks: [(line: String, counts: [String: UInt64])]) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for (index, mark) in marks.enumerated() where index > 0 {
            guard let (name, iterations) = KernelMicrobenchmarkLine.parse(mark.line) else { continue }
            let before = marks[index - 1].counts
            for (key, value) in mark.counts where value > before[key, default: 0] {
                result["phase.\(name).\(key)"] = value - before[key, default: 0]
            }
            result[KernelMicrobenchmarkLine.iterationsKey(name)] = iterations
        }
        return result
    }
}
