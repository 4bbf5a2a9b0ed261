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
    }

    /// Finds repeated pairs and merges them by this policy.
    ///
    /// Entries are ordered by pair with a stable sort, so "last" means last in the file.
    /// A table without repeats is returned unchanged.
    public func apply(to table: RatingTable) -> Outcome {
        let count = table.count
        var keys = [UInt64](repeating: 0, count: count)
        for index in 0..<count {
            keys[index] = UInt64(UInt32(bitPattern: table.rows[index])) << 32 | UInt64(UInt32(bitPattern: table.cols[index]))
        }
        var order = Array(0..<count)
        order.sort { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
        var hasRepeats = false
        for position in 1..<max(count, 1) where keys[order[position]] == keys[order[position - 1]] {
            hasRepeats = true
            break
        }
        guard hasRepeats else { return Outcome(table: table, merged: 0, conflict: nil) }
        if self == .error {
            var conflict: (Int, Int)?
            for position in 1..<count where keys[order[position]] == keys[order[position - 1]] {
                if conflict == nil || order[position] < conflict!.1 { conflict = (order[position - 1], order[position]) }
            }
            return Outcome(table: table, merged: 0, conflict: conflict)
        }
        var keep = [Int]()
        var merged = table
        var position = 0
        while position < count {
            var end = position + 1
            while end < count && keys[order[end]] == keys[order[position]] { end += 1 }
            let group = order[position..<end]
            let first = group.first!
            let last = group.last!
            switch self {
            case .last: merged.values[first] = table.values[last]
            case .sum: merged.values[first] = Float(group.reduce(0.0) { $0 + Double(table.values[$1]) })
            case .mean: merged.values[first] = Float(group.reduce(0.0) { $0 + Double(table.values[$1]) } / Double(group.count))
            case .error: break
            }
            if table.hasTimestamps { merged.timestamps[first] = table.timestamps[last] }
            keep.append(first)
            position = end
        }
        keep.sort()
        return Outcome(table: merged.selecting(keep), merged: count - keep.count, conflict: nil)
    }
}
