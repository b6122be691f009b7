import Foundation

/// Terminal tables for the commands' summaries: columns padded to their widest cell, a rule
/// under the header row, trailing spaces trimmed.
public enum PlainTextTable {
    /// `rows[0]` is the header; every row has the same number of cells.
    public static func render(_ rows: [[String]], ruleUnderHeader: Bool = true) -> String {
        guard let header = rows.first else { return "" }
        let widths = (0 ..< header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = ""
        for (index, row) in rows.enumerated() {
            text += zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces) + "\n"
            if index == 0 && ruleUnderHeader { text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return text
    }
}
