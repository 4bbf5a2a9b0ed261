/// The ways a split assigns a table's entries to train, validation and test: each returns
/// the sorted positions of every part, the parts disjoint and together the whole table.
enum HoldOut {
    /// Seeded random fractions of the entries — of the pairs, in a symmetric matrix (an
    /// entry and its mirror go together).
    static func random(_ table: RatingTable, validation: Double, test: Double, pairs: MirrorPairs?,
                       random: inout SplitMix64) -> [RatingData.Part: [Int]] {
        var order = pairs?.representatives ?? Array(0..<table.count)
        order.shuffle(using: &random)
        let testCount = Int((test * Double(order.count)).rounded())
        let validationCount = Int((validation * Double(order.count)).rounded())
        func entries(_ range: Range<Int>) -> [Int] { pairs?.entries(of: order[range]) ?? order[range].sorted() }
        return [.test: entries(0..<testCount), .validation: entries(testCount..<testCount + validationCount),
                .train: entries((testCount + validationCount)..<order.count)]
    }

    /// Fold `fold` (1-based) of a seeded `folds`-fold cross-validation after a seeded
    /// random `test` fraction is held out: the fold's entries are the validation set, the
    /// other folds' the training set. Every fold draws the same permutation, so the folds
    /// are disjoint, together the whole non-test pool, and share one test set. In a
    /// symmetric matrix an entry and its mirror fall in the same fold.
    static func fold(_ fold: Int, of folds: Int, _ table: RatingTable, test: Double, pairs: MirrorPairs?,
                     random: inout SplitMix64) -> [RatingData.Part: [Int]] {
        var order = pairs?.representatives ?? Array(0..<table.count)
        order.shuffle(using: &random)
        let testCount = Int((test * Double(order.count)).rounded())
        let pool = order.count - testCount
        let start = testCount + pool * (fold - 1) / folds, end = testCount + pool * fold / folds
        func entries(_ ranges: [Range<Int>]) -> [Int] {
            let chosen = ranges.flatMap { order[$0] }
            return pairs?.entries(of: chosen) ?? chosen.sorted()
        }
        return [.test: entries([0..<testCount]), .validation: entries([start..<end]),
                .train: entries([testCount..<start, end..<order.count])]
    }

    /// The latest fractions of all entries by timestamp (ties by file order): the latest
    /// `test` of them for the test set, the `validation` before them for validation.
    static func latest(_ table: RatingTable, validation: Double, test: Double) -> [RatingData.Part: [Int]] {
        let order = (0..<table.count).sorted { (table.timestamps[$0], $0) < (table.timestamps[$1], $1) }
        let testCount = Int((test * Double(order.count)).rounded())
        let validationCount = Int((validation * Double(order.count)).rounded())
        let trainEnd = order.count - testCount - validationCount
        return [.train: order[..<trainEnd].sorted(), .validation: order[trainEnd..<(trainEnd + validationCount)].sorted(),
                .test: order[(trainEnd + validationCount)...].sorted()]
    }

    /// How a row's entries are ordered before its last ones are held out.
    enum RowOrder {
        /// By timestamp (ties by file order): the latest are held out.
        case latestLast
        /// Shuffled by the split's generator, row after row.
        case shuffled
    }

    /// Every row's last `test` entries (in `order`) for the test set and the `validation`
    /// before them for validation; a row with no more entries than that keeps them all for
    /// training, so every row keeps at least one.
    static func perRow(_ table: RatingTable, validation: Int, test: Int, order: RowOrder,
                       random: inout SplitMix64) -> [RatingData.Part: [Int]] {
        let rowCount = Int(table.rows.max() ?? -1) + 1
        var start = [Int](repeating: 0, count: rowCount + 1)
        for row in table.rows { start[Int(row) + 1] += 1 }
        for row in 0..<rowCount { start[row + 1] += start[row] }
        var byRow = [Int](repeating: 0, count: table.count)
        var next = start
        for position in 0..<table.count {
            let row = Int(table.rows[position])
            byRow[next[row]] = position
            next[row] += 1
        }
        var parts: [RatingData.Part: [Int]] = [.train: [], .validation: [], .test: []]
        for row in 0..<rowCount {
            var entries = Array(byRow[start[row]..<start[row + 1]])
            guard entries.count > validation + test else {
                parts[.train]! += entries
                continue
            }
            switch order {
            case .latestLast: entries.sort { (table.timestamps[$0], $0) < (table.timestamps[$1], $1) }
            case .shuffled: entries.shuffle(using: &random)
            }
            let trainEnd = entries.count - validation - test
            parts[.train]! += entries[..<trainEnd]
            parts[.validation]! += entries[trainEnd..<(trainEnd + validation)]
            parts[.test]! += entries[(trainEnd + validation)...]
        }
        return parts.mapValues { $0.sorted() }
    }
}
