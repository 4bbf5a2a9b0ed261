import Foundation

/// A seeded synthetic rating matrix: low rank plus Gaussian noise, optionally row and
/// column biases, power-law row and column degrees, values rounded to a rating scale. For
/// benchmarks and tests.
///
/// Row degrees follow weights (i + 1)^-rowExponent, scaled to the requested count;
/// each row draws its distinct columns with probabilities ∝ (rank + 1)^-colExponent of a
/// seeded column permutation. value = center + (max − min)/4 · (W_i · H_j + b_i + c_j +
/// noise · ε), W and H Gaussian with variance 1/√k (the signal W_i · H_j has unit variance),
/// b and c Gaussian with standard deviation `biases` (drawn apart, so that 0 leaves every
/// other value as it was), rounded to `step` and clipped to [min, max].
public struct SyntheticRatings {
    /// Number of rows (users).
    public var rows = 1000
    /// Number of columns (items).
    public var cols = 500
    /// Ratings to draw (at most rows x cols).
    public var ratings = 20_000
    /// The rank of the signal.
    public var rank = 8
    /// Standard deviation of the noise relative to the signal.
    public var noise = 0.5
    /// Standard deviation of the row biases, and of the column biases, relative to the
    /// signal (0: none). Real ratings have them: some users rate high, some items are liked.
    public var biases = 0.0
    /// Exponent of the row-degree power law.
    public var rowExponent = 0.8
    /// Exponent of the column-popularity power law.
    public var colExponent = 1.0
    /// The lowest rating.
    public var minimum = 1.0
    /// The highest rating.
    public var maximum = 5.0
    /// Ratings are multiples of this above `minimum` (0: continuous).
    public var step = 0.5
    /// Whether to draw timestamps.
    public var timestamps = false
    /// The seed.
    public var seed: UInt64 = 1

    /// Default settings.
    public init() {}

    /// Draws the matrix: entries in row order, ids "1" … "m" for rows and a seeded
    /// permutation of "1" … "n" in first-seen order for columns.
    public func generate() -> (table: RatingTable, rowIDs: IdTable, colIDs: IdTable) {
        var random = SplitMix64(seed: seed, stream: "synth")
        let scale = 1 / Double(rank).squareRoot().squareRoot()
        let w = (0..<rows * rank).map { _ in Float(random.nextGaussian() * scale) }
        let h = (0..<cols * rank).map { _ in Float(random.nextGaussian() * scale) }
        var biasRandom = SplitMix64(seed: seed, stream: "synth-biases")
        let rowBias = biases > 0 ? (0..<rows).map { _ in biasRandom.nextGaussian() * biases } : [Double](repeating: 0, count: rows)
        let colBias = biases > 0 ? (0..<cols).map { _ in biasRandom.nextGaussian() * biases } : [Double](repeating: 0, count: cols)
        let degrees = rowDegrees()
        let popularity = (0..<cols).map { pow(Double($0 + 1), -colExponent) }
        var order = Array(0..<Int32(cols))
        order.shuffle(using: &random)
        let alias = AliasTable(weights: popularity)
        var stamp = [Int32](repeating: -1, count: cols)
        var table = RatingTable()
        table.reserveCapacity(degrees.reduce(0, +), timestamps: timestamps)
        var firstSeen = [Int32](repeating: -1, count: cols)
        var colIDs: [String] = []
        let center = (minimum + maximum) / 2
        let spread = (maximum - minimum) / 4
        var picks: [Int32] = []
        for row in 0..<rows {
            let degree = degrees[row]
            picks.removeAll(keepingCapacity: true)
            if degree > cols / 4 {
                var pool = Array(0..<Int32(cols))
                for index in 0..<degree {
                    pool.swapAt(index, index + random.nextIndex(below: cols - index))
                    picks.append(pool[index])
                }
            } else {
                while picks.count < degree {
                    let col = order[alias.sample(&random)]
                    if stamp[Int(col)] != Int32(row) {
                        stamp[Int(col)] = Int32(row)
                        picks.append(col)
                    }
                }
            }
            for col in picks {
                if firstSeen[Int(col)] < 0 {
                    firstSeen[Int(col)] = Int32(colIDs.count)
                    colIDs.append(String(col + 1))
                }
                var dot: Float = 0
                for factor in 0..<rank { dot += w[row * rank + factor] * h[Int(col) * rank + factor] }
                var value = center + spread * (Double(dot) + rowBias[row] + colBias[Int(col)] + noise * random.nextGaussian())
                if step > 0 { value = minimum + ((value - minimum) / step).rounded() * step }
                value = min(max(value, minimum), maximum)
                let timestamp = timestamps ? Int64(946_684_800 + random.nextIndex(below: 630_720_000)) : nil
                table.append(row: Int32(row), col: firstSeen[Int(col)], value: Float(value), timestamp: timestamp)
            }
        }
        return (table, .oneBased(count: rows), IdTable(ids: colIDs))
    }

    /// Draws a complete m x n matrix instead: every entry W_i · H_j + noise · ε, W and H
    /// Gaussian with variance 1/√k (so the signal has unit variance), continuous values with
    /// no rating scale; entries in row order, ids "1" … "m" and "1" … "n". `signal` holds the
    /// same entries without the noise (what a denoising model should recover).
    public func generateDense() -> (table: RatingTable, rowIDs: IdTable, colIDs: IdTable, signal: RatingTable) {
        var random = SplitMix64(seed: seed, stream: "synth-dense")
        let scale = 1 / Double(rank).squareRoot().squareRoot()
        let w = (0..<rows * rank).map { _ in random.nextGaussian() * scale }
        let h = (0..<cols * rank).map { _ in random.nextGaussian() * scale }
        var table = RatingTable()
        var signal = RatingTable()
        table.reserveCapacity(rows * cols, timestamps: false)
        for row in 0..<rows {
            for col in 0..<cols {
                var dot = 0.0
                for factor in 0..<rank { dot += w[row * rank + factor] * h[col * rank + factor] }
                table.append(row: Int32(row), col: Int32(col), value: Float(dot + noise * random.nextGaussian()))
                signal.append(row: Int32(row), col: Int32(col), value: Float(dot))
            }
        }
        return (table, .oneBased(count: rows), .oneBased(count: cols), signal)
    }

    /// Degrees ∝ (i + 1)^-rowExponent summing to exactly `ratings` (at most rows x cols),
    /// each at most `cols`, and at least 1 when there are as many ratings as rows; with
    /// fewer, the `ratings` heaviest rows get one each and the rest none.
    private func rowDegrees() -> [Int] {
        let wanted = min(ratings, rows * cols)
        guard wanted >= rows else { return (0..<rows).map { $0 < wanted ? 1 : 0 } }
        let weights = (0..<rows).map { pow(Double($0 + 1), -rowExponent) }
        let total = weights.reduce(0, +)
        var degrees = weights.map { min(cols, max(1, Int(Double(wanted) * $0 / total))) }
        var missing = wanted - degrees.reduce(0, +)
        var index = 0
        while missing != 0 {
            let row = index % rows
            if missing > 0 && degrees[row] < cols {
                degrees[row] += 1
                missing -= 1
            } else if missing < 0 && degrees[row] > 1 {
                degrees[row] -= 1
                missing += 1
            }
            index += 1
        }
        return degrees
    }
}

/// Vose's alias method: O(1) draws from a fixed discrete distribution.
struct AliasTable {
    private var probability: [Double]
    private var alias: [Int]

    /// Builds the table for non-negative `weights` (not all zero).
    init(weights: [Double]) {
        let count = weights.count
        let total = weights.reduce(0, +)
        var scaled = weights.map { $0 * Double(count) / total }
        probability = [Double](repeating: 1, count: count)
        alias = Array(0..<count)
        var small = scaled.indices.filter { scaled[$0] < 1 }
        var large = scaled.indices.filter { scaled[$0] >= 1 }
        while let less = small.popLast(), let more = large.last {
            probability[less] = scaled[less]
            alias[less] = more
            scaled[more] -= 1 - scaled[less]
            if scaled[more] < 1 {
                large.removeLast()
                small.append(more)
            }
        }
    }

    /// Draws an index.
    func sample(_ random: inout SplitMix64) -> Int {
        let index = random.nextIndex(below: probability.count)
        return random.nextUnitDouble() < probability[index] ? index : alias[index]
    }
}
