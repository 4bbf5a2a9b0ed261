import Foundation

/// What the normalize stage removes from the ratings before factorization, and adds back
/// at prediction time: a global mean and regularised row and column offsets.
///
/// prediction(i, j) = mean + rowOffsets[i] + colOffsets[j] + (the model's own terms)
public struct Normalization: Equatable, Sendable {
    /// How the offsets were fitted.
    public enum Method: String, CaseIterable, Sendable {
        /// Nothing removed.
        case none
        /// The training mean.
        case mean
        /// The training mean plus regularised row and column biases.
        case biases
    }

    /// The method used.
    public var method: Method
    /// The global offset μ (the training mean, or 0 for `none`).
    public var mean: Double
    /// Per-row offsets (zero for rows without training entries).
    public var rowOffsets: [Double]
    /// Per-column offsets (zero for columns without training entries).
    public var colOffsets: [Double]

    /// The identity: nothing removed.
    public static func none(rows: Int, cols: Int) -> Normalization {
        Normalization(method: .none, mean: 0, rowOffsets: Array(repeating: 0, count: rows), colOffsets: Array(repeating: 0, count: cols))
    }

    /// Fits `method` on `train` (never on held-out entries).
    ///
    /// Biases are fitted by alternating ridge updates (row then column, `sweeps` times):
    /// b_i = Σ_j (r_ij − μ − c_j) / (rowRegularization + n_i), and symmetrically for c_j.
    public static func fit(
        _ method: Method, train: RatingTable, rows: Int, cols: Int,
        rowRegularization: Double, colRegularization: Double, sweeps: Int = 10
    ) -> Normalization {
        var result = Normalization.none(rows: rows, cols: cols)
        result.method = method
        guard method != .none else { return result }
        result.mean = train.mean
        guard method == .biases else { return result }
        let rowCounts = train.counts(byRow: true, size: rows)
        let colCounts = train.counts(byRow: false, size: cols)
        var sums = [Double](repeating: 0, count: max(rows, cols))
        for _ in 0..<sweeps {
            sums.withUnsafeMutableBufferPointer { sums in
                for index in 0..<rows { sums[index] = 0 }
                for entry in 0..<train.count {
                    sums[Int(train.rows[entry])] += Double(train.values[entry]) - result.mean - result.colOffsets[Int(train.cols[entry])]
                }
                for index in 0..<rows { result.rowOffsets[index] = sums[index] / (rowRegularization + Double(rowCounts[index])) }
                for index in 0..<cols { sums[index] = 0 }
                for entry in 0..<train.count {
                    sums[Int(train.cols[entry])] += Double(train.values[entry]) - result.mean - result.rowOffsets[Int(train.rows[entry])]
                }
                for index in 0..<cols { result.colOffsets[index] = sums[index] / (colRegularization + Double(colCounts[index])) }
            }
        }
        return result
    }

    /// The offset removed from entry (row, col).
    @inline(__always)
    public func offset(row: Int32, col: Int32) -> Double {
        mean + rowOffsets[Int(row)] + colOffsets[Int(col)]
    }

    /// Replaces `table`'s values by their residuals after removing the offsets, in place.
    public func removeOffsets(from table: inout RatingTable) {
        for index in 0..<table.count {
            table.values[index] = Float(Double(table.values[index]) - offset(row: table.rows[index], col: table.cols[index]))
        }
    }

    /// The residuals of `table`'s values after removing the offsets, as floats.
    public func residuals(of table: RatingTable) -> [Float] {
        (0..<table.count).map { Float(Double(table.values[$0]) - offset(row: table.rows[$0], col: table.cols[$0])) }
    }

    /// Writes the normalization into `group`: attributes `method`, `mean`; datasets `row_offset`, `col_offset`.
    public func write(to group: HDF5Group) throws {
        try group.setAttribute("method", method.rawValue)
        try group.setAttribute("mean", .double(mean))
        try group.write(rowOffsets, to: "row_offset")
        try group.write(colOffsets, to: "col_offset")
    }

    /// Reads what `write(to:)` wrote.
    public static func read(from group: HDF5Group) throws -> Normalization {
        guard let method = Method(rawValue: try group.stringAttribute("method")) else {
            throw HDF5Error("unknown normalization method in \(group.file)")
        }
        return Normalization(
            method: method, mean: try group.doubleAttribute("mean"),
            rowOffsets: try group.read("row_offset", as: Double.self).values,
            colOffsets: try group.read("col_offset", as: Double.self).values)
    }
}
