/// What to do when the same (row, column) pair appears more than once.
public enum DuplicatePolicy: String, CaseIterable, Sendable {
    /// Reject the input, naming both lines (the default).
    case error
    /// Keep the value seen last.
    case last
    /// Keep the mean of the values.
    case mean
    /// Keep the sum of the values.
    case sum

    /// The result of applying a policy.
    public struct Outcome {
        /// The table with one entry per pair, in order of first appearance.
        public var table: RatingTable
        /// How many entries were merged away.
        public var merged: Int
        /// Under `.error`: the entry indices of the first repeated pair (earlier, later).
        public var conflict: (first: Int, second: Int)?
        /// Under `.sum`: the entry indices (first, last) of a pair whose sum is not a finite float32.
        public var overflow: (first: Int, last: Int)?
    }

    /// Finds repeated pairs and merges them by this policy.
    ///
    /// Entries are visited row by row (a stable counting sort: 4 bytes per entry beyond the
    /// table, never a copy of it) while two column-sized arrays remember, per column, the
    /// last row that used it and at which position: a repeat costs one comparison, and no
    /// sorting is needed. "last" means last in the file. A table without repeats is
    /// returned unchanged.
    ///
    /// - Parameters:
    ///   - rows: the number of rows (every row index is below it).
    ///   - cols: the number of columns.
    public func apply(to table: RatingTable, rows: Int, cols: Int) -> Outcome {
        var repeats: [(first: Int, later: Int)] = []
        table.rows.withUnsafeBufferPointer { rowIndex in
            table.cols.withUnsafeBufferPointer { colIndex in
                var offsets = [Int](repeating: 0, count: rows + 1)
                for row in rowIndex { offsets[Int(row) + 1] += 1 }
                for row in 0..<rows { offsets[row + 1] += offsets[row] }
                var byRow = [Int32](repeating: 0, count: table.count)
                byRow.withUnsafeMutableBufferPointer { byRow in
                    var cursor = offsets
                    for position in 0..<table.count {
                        let row = Int(rowIndex[position])
                        byRow[cursor[row]] = Int32(position)
                        cursor[row] += 1
                    }
                    var lastRow = [Int32](repeating: -1, count: cols)
                    var lastPosition = [Int32](repeating: 0, count: cols)
                    for row in 0..<rows {
                        for slot in offsets[row]..<offsets[row + 1] {
                            let position = byRow[slot]
                            let col = Int(colIndex[Int(position)])
                            if lastRow[col] == Int32(row) {
                                repeats.append((Int(lastPosition[col]), Int(position)))
                            } else {
                                lastRow[col] = Int32(row)
                            }
                            lastPosition[col] = position
                        }
                    }
                }
            }
        }
        guard !repeats.isEmpty else { return Outcome(table: table, merged: 0, conflict: nil, overflow: nil) }
        if self == .error {
            let earliest = repeats.min { $0.later < $1.later }!
            return Outcome(table: table, merged: 0, conflict: (earliest.first, earliest.later), overflow: nil)
        }
        var groupOf: [Int: [Int]] = [:]
        var head: [Int: Int] = [:]
        for (first, later) in repeats {
            let start = head[first] ?? first
            head[later] = start
            groupOf[start, default: [start]].append(later)
        }
        var merged = table
        var dropped = [Bool](repeating: false, count: table.count)
        for (first, group) in groupOf {
            let last = group.last!
            switch self {
            case .last: merged.values[first] = table.values[last]
            case .sum: merged.values[first] = Float(group.reduce(0.0) { $0 + Double(table.values[$1]) })
            case .mean: merged.values[first] = Float(group.reduce(0.0) { $0 + Double(table.values[$1]) } / Double(group.count))
            case .error: break
            }
            if !merged.values[first].isFinite { return Outcome(table: table, merged: 0, conflict: nil, overflow: (first, last)) }
            if table.hasTimestamps { merged.timestamps[first] = table.timestamps[last] }
            for position in group.dropFirst() { dropped[position] = true }
        }
        let keep = (0..<table.count).filter { !dropped[$0] }
        return Outcome(table: merged.selecting(keep), merged: table.count - keep.count, conflict: nil, overflow: nil)
    }
}
