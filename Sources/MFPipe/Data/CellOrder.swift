/// The order in which the entries of a complete m x n matrix list its cells, when they list
/// each cell once in one of the two natural orders (a dense CSV row after row, a
/// MatrixMarket array column after column).
///
/// A ratings artifact records it for each such part (attribute `cell_order`), so that a
/// dense layout can take the values where they lie without reading the entries' row and
/// column indices, which for a complete matrix are twice the values' size.
public enum CellOrder: String, Sendable {
    /// Row after row, each row's columns in order.
    case rows
    /// Column after column, each column's rows in order.
    case columns

    /// The order of the entries (`rows`, `cols`) over an m x n matrix, when they are its m·n
    /// cells in one of the two orders (nil otherwise).
    static func of(rows: [Int32], cols: [Int32], rowCount: Int, colCount: Int) -> CellOrder? {
        guard rowCount > 0, colCount > 0, rows.count == rowCount * colCount, cols.count == rows.count else { return nil }
        return rows.withUnsafeBufferPointer { rows in
            cols.withUnsafeBufferPointer { cols in
                if follows(major: rows, minor: cols, 0..<rows.count, from: 0, minorCount: colCount) { return .rows }
                if follows(major: cols, minor: rows, 0..<rows.count, from: 0, minorCount: rowCount) { return .columns }
                return nil
            }
        }
    }

    /// Whether the entries in `range` are the cells `first`, `first` + 1, … of a matrix read
    /// along its minor index (`minorCount` of them) within each major index; stops at the
    /// first entry out of place.
    static func follows(major: UnsafeBufferPointer<Int32>, minor: UnsafeBufferPointer<Int32>, _ range: Range<Int>,
                        from first: Int, minorCount: Int) -> Bool {
        var (outer, inner) = (first / minorCount, first % minorCount)
        var entry = range.lowerBound
        while entry < range.upperBound {
            let span = min(minorCount - inner, range.upperBound - entry)
            let expected = Int32(truncatingIfNeeded: inner)
            let line = Int32(truncatingIfNeeded: outer)
            for offset in 0..<span where major[entry + offset] != line || minor[entry + offset] != expected &+ Int32(truncatingIfNeeded: offset) {
                return false
            }
            entry += span
            (outer, inner) = (outer + 1, 0)
        }
        return true
    }

    /// The cell (row, column) of the entry at `index` of an m x n matrix listed in this order.
    func cell(_ index: Int, rows: Int, cols: Int) -> (row: Int32, col: Int32) {
        switch self {
        case .rows: return (Int32(truncatingIfNeeded: index / cols), Int32(truncatingIfNeeded: index % cols))
        case .columns: return (Int32(truncatingIfNeeded: index % rows), Int32(truncatingIfNeeded: index / rows))
        }
    }
}
