import Foundation

/// What the normalize stage takes out of the values before factorization and puts back at
/// prediction time, fitted on training entries only.
///
/// normalized(i, j) = (transform(value) − offset(i, j)) / scale(i, j), with
/// offset(i, j) = mean + row_offset[i] + col_offset[j] and scale(i, j) = row_scale[i] ×
/// col_scale[j]; a prediction inverts it: inverse_transform(offset(i, j) + scale(i, j) ×
/// model(i, j)). Rows and columns without training entries have zero offsets and unit
/// scales, so they fall back to the global part.
public struct Normalization: Equatable, Sendable {
    /// How the offsets and scales were fitted.
    public enum Method: String, CaseIterable, Sendable {
        /// Nothing removed.
        case none
        /// The training mean.
        case mean
        /// The training mean plus regularised row and column biases.
        case biases
        /// Each line's mean (lines along `axis`).
        case center
        /// Each line's mean, then its standard deviation.
        case standardize
        /// Each line's minimum, then its range: values in [0, 1].
        case minmax

        /// Whether the method works along an axis (rows or columns).
        public var usesAxis: Bool { self == .center || self == .standardize || self == .minmax }
    }

    /// The lines a per-line method fits: each row, or each column.
    public enum Axis: String, CaseIterable, Sendable {
        case row, column
    }

    /// A function applied to every value before the offsets (and inverted after them).
    public enum Transform: String, CaseIterable, Sendable {
        case none
        /// log(1 + x), for counts and other skewed non-negative values (x > −1).
        case log1p

        /// The transform of `value`.
        @inline(__always)
        func apply(_ value: Double) -> Double { self == .log1p ? Foundation.log1p(value) : value }

        /// Its inverse.
        @inline(__always)
        func invert(_ value: Double) -> Double { self == .log1p ? expm1(value) : value }
    }

    /// The method used.
    public var method: Method
    /// The axis of a per-line method (`column` otherwise).
    public var axis: Axis = .column
    /// The transform applied first.
    public var transform: Transform = .none
    /// The global offset (the training mean, or 0).
    public var mean: Double
    /// Per-row offsets.
    public var rowOffsets: [Double]
    /// Per-column offsets.
    public var colOffsets: [Double]
    /// Per-row scales (all 1 unless rows were scaled).
    public var rowScales: [Double]
    /// Per-column scales (all 1 unless columns were scaled).
    public var colScales: [Double]

    /// The identity: nothing removed.
    public static func none(rows: Int, cols: Int) -> Normalization {
        Normalization(method: .none, mean: 0, rowOffsets: Array(repeating: 0, count: rows), colOffsets: Array(repeating: 0, count: cols),
                      rowScales: Array(repeating: 1, count: rows), colScales: Array(repeating: 1, count: cols))
    }

    /// Whether nothing is removed or rescaled: every normalized value is the value itself.
    public var isIdentity: Bool {
        isAdditive && mean == 0 && rowOffsets.allSatisfy { $0 == 0 } && colOffsets.allSatisfy { $0 == 0 }
    }

    /// Whether a prediction is an offset plus the model, unscaled and untransformed (what a
    /// warm start can shift between two normalizations).
    public var isAdditive: Bool {
        transform == .none && rowScales.allSatisfy { $0 == 1 } && colScales.allSatisfy { $0 == 1 }
    }

    /// Fits `method` (along `axis`, after `transform`) on `train`, never on held-out entries.
    ///
    /// Biases are fitted by alternating ridge updates (row then column, `sweeps` times):
    /// b_i = Σ_j (r_ij − μ − c_j) / (rowRegularization + n_i), and symmetrically for c_j.
    /// A line's standard deviation or range below 1e-12 of the values' scale counts as 1.
    public static func fit(
        _ method: Method, axis: Axis = .column, transform: Transform = .none, train: RatingTable, rows: Int, cols: Int,
        rowRegularization: Double = 0, colRegularization: Double = 0, sweeps: Int = 10
    ) -> Normalization {
        var result = Normalization.none(rows: rows, cols: cols)
        (result.method, result.axis, result.transform) = (method, method.usesAxis ? axis : .column, transform)
        let values = train.values.map { transform.apply(Double($0)) }
        switch method {
        case .none:
            break
        case .mean:
            result.mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        case .biases:
            result.mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
            result.fitBiases(train: train, values: values, rowRegularization: rowRegularization, colRegularization: colRegularization,
                             sweeps: sweeps)
        case .center, .standardize, .minmax:
            result.fitLines(train: train, values: values, byRow: axis == .row, method: method)
        }
        return result
    }

    private mutating func fitBiases(train: RatingTable, values: [Double], rowRegularization: Double, colRegularization: Double, sweeps: Int) {
        let (rows, cols) = (rowOffsets.count, colOffsets.count)
        let rowCounts = train.counts(byRow: true, size: rows)
        let colCounts = train.counts(byRow: false, size: cols)
        var sums = [Double](repeating: 0, count: max(rows, cols))
        for _ in 0..<sweeps {
            for index in 0..<rows { sums[index] = 0 }
            for entry in 0..<train.count { sums[Int(train.rows[entry])] += values[entry] - mean - colOffsets[Int(train.cols[entry])] }
            for index in 0..<rows { rowOffsets[index] = sums[index] / (rowRegularization + Double(rowCounts[index])) }
            for index in 0..<cols { sums[index] = 0 }
            for entry in 0..<train.count { sums[Int(train.cols[entry])] += values[entry] - mean - rowOffsets[Int(train.rows[entry])] }
            for index in 0..<cols { colOffsets[index] = sums[index] / (colRegularization + Double(colCounts[index])) }
        }
    }

    /// Each line's offset (mean, or minimum) and scale (standard deviation, or range); the
    /// global mean (or minimum) is `mean`, and a line's offset is relative to it, so that
    /// lines without training entries fall back to it.
    private mutating func fitLines(train: RatingTable, values: [Double], byRow: Bool, method: Method) {
        let count = byRow ? rowOffsets.count : colOffsets.count
        let lines = byRow ? train.rows : train.cols
        var (sum, squares, entries) = ([Double](repeating: 0, count: count), [Double](repeating: 0, count: count), [Int](repeating: 0, count: count))
        var (low, high) = ([Double](repeating: .infinity, count: count), [Double](repeating: -.infinity, count: count))
        for entry in 0..<values.count {
            let (line, value) = (Int(lines[entry]), values[entry])
            (sum[line], squares[line], entries[line]) = (sum[line] + value, squares[line] + value * value, entries[line] + 1)
            (low[line], high[line]) = (min(low[line], value), max(high[line], value))
        }
        let magnitude = values.reduce(0) { max($0, abs($1)) }
        let tiny = max(magnitude, 1e-300) * 1e-12
        mean = values.isEmpty ? 0 : method == .minmax ? values.min()! : values.reduce(0, +) / Double(values.count)
        var offsets = [Double](repeating: 0, count: count)
        var scales = [Double](repeating: 1, count: count)
        for line in 0..<count where entries[line] > 0 {
            let lineMean = sum[line] / Double(entries[line])
            switch method {
            case .minmax:
                offsets[line] = low[line] - mean
                scales[line] = high[line] - low[line] > tiny ? high[line] - low[line] : 1
            default:
                offsets[line] = lineMean - mean
                let deviation = max(squares[line] / Double(entries[line]) - lineMean * lineMean, 0).squareRoot()
                if method == .standardize && deviation > tiny { scales[line] = deviation }
            }
        }
        if byRow { (rowOffsets, rowScales) = (offsets, scales) } else { (colOffsets, colScales) = (offsets, scales) }
    }

    /// The offset removed from entry (row, col), after the transform.
    @inline(__always)
    public func offset(row: Int32, col: Int32) -> Double {
        mean + rowOffsets[Int(row)] + colOffsets[Int(col)]
    }

    /// The scale entry (row, col) is divided by.
    @inline(__always)
    public func scale(row: Int32, col: Int32) -> Double {
        rowScales[Int(row)] * colScales[Int(col)]
    }

    /// The normalized value of `value` at (row, col).
    @inline(__always)
    public func normalized(_ value: Float, row: Int32, col: Int32) -> Float {
        Float((transform.apply(Double(value)) - offset(row: row, col: col)) / scale(row: row, col: col))
    }

    /// The value on the original scale of `model`, the model's part of a prediction at (row, col).
    @inline(__always)
    public func denormalized(_ model: Double, row: Int32, col: Int32) -> Double {
        transform.invert(offset(row: row, col: col) + scale(row: row, col: col) * model)
    }

    /// Replaces `table`'s values by their normalized values, in place.
    public func normalize(_ table: inout RatingTable) {
        for index in 0..<table.count {
            table.values[index] = normalized(table.values[index], row: table.rows[index], col: table.cols[index])
        }
    }

    /// The normalized values of `table`.
    public func normalizedValues(of table: RatingTable) -> [Float] {
        (0..<table.count).map { normalized(table.values[$0], row: table.rows[$0], col: table.cols[$0]) }
    }

    /// Writes the normalization into `group`: attributes `method`, `axis`, `transform`,
    /// `mean`; datasets `row_offset`, `col_offset`, `row_scale`, `col_scale`.
    public func write(to group: HDF5Group) throws {
        try group.setAttribute("method", method.rawValue)
        try group.setAttribute("axis", axis.rawValue)
        try group.setAttribute("transform", transform.rawValue)
        try group.setAttribute("mean", .double(mean))
        try group.write(rowOffsets, to: "row_offset")
        try group.write(colOffsets, to: "col_offset")
        try group.write(rowScales, to: "row_scale")
        try group.write(colScales, to: "col_scale")
    }

    /// Reads what `write(to:)` wrote (files of format 1.0 before scales existed read as
    /// unscaled, untransformed).
    public static func read(from group: HDF5Group) throws -> Normalization {
        let axisName = try group.attribute("axis") != nil ? try group.stringAttribute("axis") : Axis.column.rawValue
        let transformName = try group.attribute("transform") != nil ? try group.stringAttribute("transform") : Transform.none.rawValue
        guard let method = Method(rawValue: try group.stringAttribute("method")), let axis = Axis(rawValue: axisName),
            let transform = Transform(rawValue: transformName)
        else {
            throw HDF5Error("unknown normalization in \(group.file)")
        }
        let rowOffsets = try group.read("row_offset", as: Double.self).values
        let colOffsets = try group.read("col_offset", as: Double.self).values
        return Normalization(
            method: method, axis: axis, transform: transform, mean: try group.doubleAttribute("mean"),
            rowOffsets: rowOffsets, colOffsets: colOffsets,
            rowScales: group.contains("row_scale") ? try group.read("row_scale", as: Double.self).values : rowOffsets.map { _ in 1 },
            colScales: group.contains("col_scale") ? try group.read("col_scale", as: Double.self).values : colOffsets.map { _ in 1 })
    }
}
