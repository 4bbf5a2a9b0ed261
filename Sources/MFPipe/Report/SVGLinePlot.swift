import Foundation

/// A small line chart rendered as a standalone SVG: series of points with markers and
/// optional error bars, dashed horizontal reference lines, dotted vertical markers (the chosen k, the kept
/// epoch), labelled axes and a legend. A reference line far outside the data (more than
/// twice the data's span beyond it) does not stretch the y axis: the legend gives its value
/// and says it is off the scale, so the data keeps the plot's height. Y ticks fall on round values (1, 2 or 5 times a
/// power of ten); x labels are thinned so that no two overlap however many points there are.
public struct SVGLinePlot {
    /// One line of points.
    public struct Series {
        /// Its legend label.
        public var name: String
        /// Its CSS colour.
        public var color: String
        /// Its points, in x order; non-finite y values are left out.
        public var points: [(x: Double, y: Double)]
        /// The half-length of each point's error bar (drawn y − e to y + e), aligned with
        /// `points`; empty, or NaN for a point, for none.
        public var errors: [Double]

        /// A line of `points`, with error bars of half-length `errors` when given.
        public init(name: String, color: String, points: [(x: Double, y: Double)], errors: [Double] = []) {
            self.name = name
            self.color = color
            self.points = points
            self.errors = errors
        }

        /// The points with finite y values, each with its error bar (NaN for none).
        fileprivate var finite: Series {
            let kept = points.indices.filter { points[$0].y.isFinite }
            return Series(name: name, color: color, points: kept.map { points[$0] },
                          errors: kept.map { errors.indices.contains($0) ? errors[$0] : .nan })
        }
    }

    /// A dashed horizontal line across the plot.
    public struct Reference {
        /// Its legend label.
        public var name: String
        /// Its CSS colour.
        public var color: String
        /// Its height.
        public var y: Double
    }

    /// The title above the plot.
    public var title: String
    /// The x axis label.
    public var xLabel: String
    /// The y axis label.
    public var yLabel: String
    /// The lines.
    public var series: [Series]
    /// The reference lines.
    public var references: [Reference]
    /// Whether the x axis is logarithmic (base 2), as suits ranks.
    public var logX: Bool
    /// Vertical markers: an x value and its label.
    public var markers: [(x: Double, label: String)]

    private let width = 720.0
    private let height = 420.0
    private let margin = (left: 70.0, right: 190.0, top: 40.0, bottom: 55.0)

    /// Creates a plot.
    public init(title: String, xLabel: String, yLabel: String, series: [Series], references: [Reference] = [], logX: Bool = false,
                markers: [(x: Double, label: String)] = []) {
        self.markers = markers
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series.map(\.finite)
        self.references = references.filter { $0.y.isFinite }
        self.logX = logX
    }

    /// The SVG document.
    public func render() -> String {
        let xs = series.flatMap { $0.points.map(\.x) }
        let bars = series.flatMap { line in zip(line.points, line.errors).filter { $0.1.isFinite }.flatMap { [$0.0.y - $0.1, $0.0.y + $0.1] } }
        let data = series.flatMap { $0.points.map(\.y) } + bars
        let (onScale, offScale) = partitionReferences(data: data)
        let ys = data + onScale.map(\.y)
        let plotWidth = width - margin.left - margin.right
        let plotHeight = height - margin.top - margin.bottom
        let transform: (Double) -> Double = { logX ? log2(max($0, 1e-12)) : $0 }
        var xMin = xs.map(transform).min() ?? 0
        var xMax = xs.map(transform).max() ?? 1
        if xMin == xMax { xMin -= 1; xMax += 1 }
        let ticks = Self.niceTicks(low: ys.min() ?? 0, high: ys.max() ?? 1)
        let yMin = ticks.values.first!
        let yMax = ticks.values.last!
        func px(_ x: Double) -> Double { margin.left + (transform(x) - xMin) / (xMax - xMin) * plotWidth }
        func py(_ y: Double) -> Double { margin.top + (1 - (y - yMin) / (yMax - yMin)) * plotHeight }
        func f(_ value: Double) -> String { PrintfText.double("%.1f", value) }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(margin.left))" y="22" font-size="15" font-weight="bold">\(escape(title))</text>
        <rect x="\(f(margin.left))" y="\(f(margin.top))" width="\(f(plotWidth))" height="\(f(plotHeight))" fill="none" stroke="#888"/>

        """
        for y in ticks.values {
            svg += "<line x1=\"\(f(margin.left))\" x2=\"\(f(margin.left + plotWidth))\" y1=\"\(f(py(y)))\" y2=\"\(f(py(y)))\" stroke=\"#eee\"/>"
            svg += "<text class=\"y-tick\" x=\"\(f(margin.left - 6))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(String(format: "%.\(ticks.decimals)f", y))</text>\n"
        }
        // A label is about 7 px a character; one is kept only when it clears the last one kept.
        var lastRight = -Double.infinity
        for x in Array(Set(xs)).sorted() {
            let text = JSONWriter.number(x)
            let half = 3.5 * Double(text.count) + 4
            guard px(x) - half >= lastRight else { continue }
            lastRight = px(x) + half
            svg += "<text class=\"x-tick\" x=\"\(f(px(x)))\" y=\"\(f(margin.top + plotHeight + 18))\" text-anchor=\"middle\">\(text)</text>\n"
        }
        for (index, marker) in markers.enumerated() {
            svg += "<line x1=\"\(f(px(marker.x)))\" x2=\"\(f(px(marker.x)))\" y1=\"\(f(margin.top))\" y2=\"\(f(margin.top + plotHeight))\" stroke=\"#555\" stroke-dasharray=\"2 3\"/>"
            // Near the right edge the label reads leftwards, inside the plot, clear of the
            // legend; each marker's label sits a line below the one before.
            let leftwards = px(marker.x) > margin.left + 0.6 * plotWidth
            svg += "<text class=\"marker\" x=\"\(f(px(marker.x) + (leftwards ? -4 : 4)))\" y=\"\(f(margin.top + 14 + 16 * Double(index)))\""
                + (leftwards ? " text-anchor=\"end\"" : "") + ">\(escape(marker.label))</text>\n"
        }
        svg += "<text x=\"\(f(margin.left + plotWidth / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        svg += "<text transform=\"translate(16 \(f(margin.top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        var legendY = margin.top + 10
        for reference in offScale {
            svg += legend(reference.name, reference.color, y: legendY, dashed: true)
            svg += "<text class=\"off-scale\" x=\"\(width - margin.right + 45)\" y=\"\(legendY + 18)\" font-size=\"11\">at \(PrintfText.double("%.4g", reference.y)), off the scale</text>\n"
            legendY += 36
        }
        for reference in onScale {
            svg += "<line x1=\"\(f(margin.left))\" x2=\"\(f(margin.left + plotWidth))\" y1=\"\(f(py(reference.y)))\" y2=\"\(f(py(reference.y)))\" stroke=\"\(reference.color)\" stroke-dasharray=\"6 4\"/>\n"
            svg += legend(reference.name, reference.color, y: legendY, dashed: true)
            legendY += 20
        }
        for line in series {
            let path = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"/>\n"
            for (point, error) in zip(line.points, line.errors) where error.isFinite && error > 0 {
                let (x, low, high) = (f(px(point.x)), f(py(point.y - error)), f(py(point.y + error)))
                svg += "<path class=\"error-bar\" d=\"M\(x) \(low) V\(high) M\(f(px(point.x) - 4)) \(low) h8 M\(f(px(point.x) - 4)) \(high) h8\" stroke=\"\(line.color)\" fill=\"none\"/>\n"
            }
            for point in line.points {
                svg += "<circle cx=\"\(f(px(point.x)))\" cy=\"\(f(py(point.y)))\" r=\"3.5\" fill=\"\(line.color)\"/>\n"
            }
            svg += legend(line.name, line.color, y: legendY, dashed: false)
            legendY += 20
        }
        return svg + "</svg>\n"
    }

    /// The reference lines to draw and those too far from `data` to draw without squashing it.
    private func partitionReferences(data: [Double]) -> (onScale: [Reference], offScale: [Reference]) {
        guard let low = data.min(), let high = data.max() else { return (references, []) }
        let reach = 2 * max(high - low, 1e-9 * max(abs(low), abs(high), 1))
        let far = { (reference: Reference) in reference.y > high + reach || reference.y < low - reach }
        return (references.filter { !far($0) }, references.filter(far))
    }

    /// Round tick values covering `low ... high`: about five steps of 1, 2 or 5 times a power
    /// of ten, and the decimals that show them exactly.
    static func niceTicks(low: Double, high: Double) -> (values: [Double], decimals: Int) {
        let span = high > low ? high - low : max(abs(low) * 0.1, 1e-6)
        let raw = span / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = floor((high > low ? low : low - span / 2) / step) * step
        let last = ceil((high > low ? high : high + span / 2) / step) * step
        let count = Int(((last - first) / step).rounded())
        let decimals = max(0, -Int(floor(log10(step))))
        return ((0...count).map { first + Double($0) * step }, decimals)
    }

    private func legend(_ name: String, _ color: String, y: Double, dashed: Bool) -> String {
        let x = width - margin.right + 15
        let dash = dashed ? " stroke-dasharray=\"6 4\"" : ""
        return "<line x1=\"\(x)\" x2=\"\(x + 24)\" y1=\"\(y)\" y2=\"\(y)\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>"
            + "<text x=\"\(x + 30)\" y=\"\(y + 4)\">\(escape(name))</text>\n"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
