/// The columns each row's recommendations leave out (its known entries), row by row: the
/// columns of row i are `columns[start[i] ..< start[i + 1]]`. Built once from any number of
/// tables and shared by every ranking over the same rows.
public struct ExcludedEntries: Sendable {
    /// Where each row's columns begin (rows + 1 offsets).
    let start: [Int]
    /// The excluded columns, grouped by row.
    let columns: [Int32]

    /// The entries of `tables` (one after another, no copy of them made), over `rows` rows.
    public init(_ tables: [RatingTable], rows: Int) {
        var start = [Int](repeating: 0, count: rows + 1)
        for table in tables {
            for row in table.rows { start[Int(row) + 1] += 1 }
        }
        for row in 0..<rows { start[row + 1] += start[row] }
        var next = start
        var columns = [Int32](repeating: 0, count: start[rows])
        for table in tables {
            for entry in 0..<table.count {
                let row = Int(table.rows[entry])
                columns[next[row]] = table.cols[entry]
                next[row] += 1
            }
        }
        (self.start, self.columns) = (start, columns)
    }

    /// The same pairs with rows and columns swapped, over `cols` rows.
    func transposed(cols: Int) -> ExcludedEntries {
        var table = RatingTable()
        for row in 0..<(start.count - 1) {
            for position in start[row]..<start[row + 1] { table.append(row: columns[position], col: Int32(row), value: 0) }
        }
        return ExcludedEntries([table], rows: cols)
    }
}
