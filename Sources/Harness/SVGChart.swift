import Foundation

/// A bar chart drawn as plain SVG text: grouped or stacked bars over named categories.
///
/// Written by hand instead of with a plotting library so that reports need nothing but the
/// package itself, diff cleanly in git, and open in any browser.
public struct SVGBarChart: Sendable, Equatable {
    /// One coloured set of bars; `nil` values draw nothing (a cell that was not measured).
    public struct Series: Sendable, Equatable {
        public var name: String
        public var values: [Double?]
        public init(name: String, values: [Double?]) {
            self.name = name
            self.values = values
        }
    }

    public var title: String
    /// Says what kind of number this is (measured, exact, modeled) and anything missing.
    public var subtitle: String
    public var yLabel: String
    public var categories: [String]
    public var series: [Series]
    /// Stack the series on top of each other (a breakdown) instead of side by side.
    public var stacked: Bool
    /// A dashed horizontal reference line (1.0 for relative throughput).
    public var referenceLine: Double?

    public init(title: String, subtitle: String, yLabel: String, categories: [String], series: [Series],
                stacked: Bool = false, referenceLine: Double? = nil) {
        self.title = title
        self.subtitle = subtitle
        self.yLabel = yLabel
        self.categories = categories
        self.series = series
        self.stacked = stacked
        self.referenceLine = referenceLine
    }

    /// Colour-blind-safe palette (Okabe & Ito, 2008), then repeated.
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999"]

    // Layout in SVG user units. Text widths are estimated (no font metrics without a renderer):
    // about 6.5 units per character of 12-unit sans-serif.
    static let marginRight = 24.0, plotHeight = 300.0, characterWidth = 6.5
    /// Category labels are rotated by this many degrees so long names fit under narrow bars.
    static let labelAngle = 40.0

    /// The chart as a complete SVG document.
    public func render() -> String {
        let groupWidth = stacked ? 44.0 : max(24.0, Double(max(series.count, 1)) * 16.0 + 16.0)
        let longestLabel = Double(categories.map(\.count).max() ?? 0) * Self.characterWidth
        let angle = Self.labelAngle * .pi / 180
        var plotWidth = max(480.0, Double(max(categories.count, 1)) * groupWidth)
        let firstSlot = plotWidth / Double(max(categories.count, 1))
        // Room for the first rotated label to the left, and for all of them below.
        let marginLeft = max(80.0, longestLabel * cos(angle) - firstSlot / 2 + 20)
        let marginBottom = max(60.0, longestLabel * sin(angle) + 40)
        // The bold 16-unit title and the subtitle run wider per character than labels.
        let headerWidth = max(Double(title.count) * 10, Double(subtitle.count) * 7.2)
        plotWidth = max(plotWidth, headerWidth - Self.marginRight)
        let width = marginLeft + plotWidth + Self.marginRight
        // The legend wraps into as many rows as it needs.
        var legendPlaces: [(x: Double, row: Int)] = []
        var legendX = marginLeft, legendRow = 0
        for entry in series {
            let entryWidth = 16 + Double(entry.name.count) * Self.characterWidth + 18
            if legendX > marginLeft, legendX + entryWidth > width - Self.marginRight {
                legendX = marginLeft
                legendRow += 1
            }
            legendPlaces.append((legendX, legendRow))
            legendX += entryWidth
        }
        let marginTop = 58 + Double(series.isEmpty ? 0 : legendRow + 1) * 18 + 16
        let height = marginTop + Self.plotHeight + marginBottom
        var maximum = 0.0
        for index in categories.indices {
            let values = series.compactMap { index < $0.values.count ? $0.values[index] : nil }.filter { $0.isFinite && $0 > 0 }
            maximum = max(maximum, stacked ? values.reduce(0, +) : (values.max() ?? 0))
        }
        if let referenceLine { maximum = max(maximum, referenceLine) }
        let top = Self.niceCeiling(maximum)
        func y(_ value: Double) -> Double { marginTop + Self.plotHeight - (top > 0 ? value / top * Self.plotHeight : 0) }

        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Self.format(width))" height="\(Self.format(height))" \
        viewBox="0 0 \(Self.format(width)) \(Self.format(height))" font-family="sans-serif" font-size="12">

        """
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        svg += "<text x=\"\(Self.format(marginLeft))\" y=\"24\" font-size=\"16\" font-weight=\"bold\">\(Self.escape(title))</text>\n"
        svg += "<text x=\"\(Self.format(marginLeft))\" y=\"44\" fill=\"#444444\">\(Self.escape(subtitle))</text>\n"
        for (index, entry) in series.enumerated() {
            let place = legendPlaces[index]
            let ly = 58 + Double(place.row) * 18
            svg += "<rect x=\"\(Self.format(place.x))\" y=\"\(Self.format(ly))\" width=\"12\" height=\"12\" fill=\"\(Self.color(index))\"/>\n"
            svg += "<text x=\"\(Self.format(place.x + 16))\" y=\"\(Self.format(ly + 11))\">\(Self.escape(entry.name))</text>\n"
        }
        // Axes, grid and tick labels.
        let ticks = 5
        for tick in 0 ... ticks {
            let value = top * Double(tick) / Double(ticks)
            let ty = y(value)
            svg += "<line x1=\"\(Self.format(marginLeft))\" y1=\"\(Self.format(ty))\" x2=\"\(Self.format(marginLeft + plotWidth))\" y2=\"\(Self.format(ty))\" stroke=\"#dddddd\"/>\n"
            svg += "<text x=\"\(Self.format(marginLeft - 6))\" y=\"\(Self.format(ty + 4))\" text-anchor=\"end\">\(Self.escape(Self.tickLabel(value)))</text>\n"
        }
        svg += "<line x1=\"\(Self.format(marginLeft))\" y1=\"\(Self.format(marginTop))\" x2=\"\(Self.format(marginLeft))\" y2=\"\(Self.format(marginTop + Self.plotHeight))\" stroke=\"#000000\"/>\n"
        svg += "<line x1=\"\(Self.format(marginLeft))\" y1=\"\(Self.format(marginTop + Self.plotHeight))\" x2=\"\(Self.format(marginLeft + plotWidth))\" y2=\"\(Self.format(marginTop + Self.plotHeight))\" stroke=\"#000000\"/>\n"
        let labelY = marginTop + Self.plotHeight / 2, labelX = marginLeft - 58
        svg += "<text x=\"\(Self.format(labelX))\" y=\"\(Self.format(labelY))\" text-anchor=\"middle\" transform=\"rotate(-90 \(Self.format(labelX)) \(Self.format(labelY)))\">\(Self.escape(yLabel))</text>\n"

        if categories.isEmpty || maximum == 0 {
            svg += "<text x=\"\(Self.format(marginLeft + plotWidth / 2))\" y=\"\(Self.format(labelY))\" text-anchor=\"middle\" fill=\"#666666\">no data</text>\n"
        }
        let slot = plotWidth / Double(max(categories.count, 1))
        for (index, category) in categories.enumerated() {
            let groupX = marginLeft + Double(index) * slot
            if stacked {
                var base = 0.0
                let barWidth = min(32.0, slot * 0.7)
                for (seriesIndex, entry) in series.enumerated() {
                    guard index < entry.values.count, let value = entry.values[index], value.isFinite, value > 0 else { continue }
                    svg += bar(x: groupX + (slot - barWidth) / 2, y: y(base + value), width: barWidth, height: y(base) - y(base + value),
                               color: Self.color(seriesIndex), tooltip: "\(category) · \(entry.name): \(Self.tickLabel(value))")
                    base += value
                }
            } else {
                let barWidth = min(14.0, (slot - 8) / Double(max(series.count, 1)))
                let start = groupX + (slot - barWidth * Double(series.count)) / 2
                for (seriesIndex, entry) in series.enumerated() {
                    guard index < entry.values.count, let value = entry.values[index], value.isFinite, value > 0 else { continue }
                    svg += bar(x: start + Double(seriesIndex) * barWidth, y: y(value), width: barWidth, height: y(0) - y(value),
                               color: Self.color(seriesIndex), tooltip: "\(category) · \(entry.name): \(Self.tickLabel(value))")
                }
            }
            let cx = groupX + slot / 2, cy = marginTop + Self.plotHeight + 14
            svg += "<text x=\"\(Self.format(cx))\" y=\"\(Self.format(cy))\" text-anchor=\"end\" transform=\"rotate(-40 \(Self.format(cx)) \(Self.format(cy)))\">\(Self.escape(category))</text>\n"
        }
        if let referenceLine, top > 0 {
            let ry = y(referenceLine)
            svg += "<line x1=\"\(Self.format(marginLeft))\" y1=\"\(Self.format(ry))\" x2=\"\(Self.format(marginLeft + plotWidth))\" y2=\"\(Self.format(ry))\" stroke=\"#D55E00\" stroke-dasharray=\"6 4\"/>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    private func bar(x: Double, y: Double, width: Double, height: Double, color: String, tooltip: String) -> String {
        "<rect x=\"\(Self.format(x))\" y=\"\(Self.format(y))\" width=\"\(Self.format(width))\" height=\"\(Self.format(max(height, 0)))\" fill=\"\(color)\"><title>\(Self.escape(tooltip))</title></rect>\n"
    }

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    /// The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value`, so ticks fall on round numbers.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(value)))
        for step in [1.0, 2.0, 2.5, 5.0, 10.0] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    static func tickLabel(_ value: Double) -> String {
        if value == 0 { return "0" }
        if abs(value) >= 1_000_000 { return String(format: "%.3gM", value / 1_000_000) }
        if abs(value) >= 10_000 { return String(format: "%.3gk", value / 1000) }
        return String(format: "%.3g", value)
    }

    /// Coordinates with two decimals at most: enough for a screen, short in the file.
    static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.2f", rounded)
    }

    /// XML text escaping: workload names and sources are data, not markup.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
