import Foundation

/// The data a solver fits: training residuals (after normalization) and, when there is
/// one, a validation set on the same scale for monitoring and early stopping.
///
/// The training entries are read through `TrainingEntries`, so that a solver that lays
/// them out (in blocks for SGD, by row and by column for ALS, CCD++, NMF and SVD) streams
/// them from the artifact and never holds a second copy. A reference type so that every
/// rank of a sweep shares one problem, and each layout is built once, on first use, for
/// every solver that asks for it (`layout(_:build:)`).
public final class TrainingProblem: @unchecked Sendable {
    /// m.
    public let rows: Int
    /// n.
    public let cols: Int
    /// The training entries.
    public let entries: TrainingEntries
    /// Validation entries on the same scale, possibly empty.
    public let validation: RatingTable
    /// Training entries per row.
    public let rowCounts: [Int32]
    /// Training entries per column.
    public let colCounts: [Int32]
    /// The mean of the training values.
    public let mean: Double
    /// Their standard deviation (1 when they are all equal, or there are none).
    public let deviation: Double
    /// Their root mean square (1 when they are all zero, or there are none).
    public let rootMeanSquare: Double
    /// The first negative training value in entry order, and where it is (nil when there
    /// is none).
    public let firstNegative: (value: Float, row: Int32, col: Int32)?
    private let condition = NSCondition()
    private var layouts: [String: AnyObject] = [:]
    private var building: Set<String> = []

    /// A problem over `entries` (read once here, for each row's and column's count and
    /// the values' moments); with `keepingDense`, a complete matrix is also laid out dense
    /// in the same pass (`dense()`).
    public init(rows: Int, cols: Int, entries: TrainingEntries, validation: RatingTable, keepingDense: Bool = false) throws {
        self.rows = rows
        self.cols = cols
        self.entries = entries
        self.validation = validation
        var rowCounts = [Int32](repeating: 0, count: rows)
        var colCounts = [Int32](repeating: 0, count: cols)
        var (sum, squares) = (0.0, 0.0)
        var firstNegative: (value: Float, row: Int32, col: Int32)?
        let dense: UnsafeMutableBufferPointer<Float>? = keepingDense && rows > 0 && entries.count == rows * cols
            ? .allocate(capacity: rows * cols) : nil
        try entries.forEachChunk { chunkRows, chunkCols, values in
            for entry in 0..<values.count {
                rowCounts[Int(chunkRows[entry])] += 1
                colCounts[Int(chunkCols[entry])] += 1
                if let dense { dense[Int(chunkRows[entry]) * cols + Int(chunkCols[entry])] = values[entry] }
                let value = Double(values[entry])
                sum += value
                squares += value * value
                if values[entry] < 0 && firstNegative == nil { firstNegative = (values[entry], chunkRows[entry], chunkCols[entry]) }
            }
        }
        self.rowCounts = rowCounts
        self.colCounts = colCounts
        self.firstNegative = firstNegative
        let count = Double(max(entries.count, 1))
        mean = sum / count
        let deviation = (max(squares / count - mean * mean, 0)).squareRoot()
        self.deviation = deviation.isFinite && deviation > 0 ? deviation : 1
        let rootMeanSquare = (squares / count).squareRoot()
        self.rootMeanSquare = rootMeanSquare.isFinite && rootMeanSquare > 0 ? rootMeanSquare : 1
        if let dense { layouts["dense"] = DenseRatings(scaling: dense, rows: rows, cols: cols, by: self.rootMeanSquare) }
    }

    /// A problem over entries held in memory.
    public convenience init(rows: Int, cols: Int, train: RatingTable, validation: RatingTable) {
        try! self.init(rows: rows, cols: cols, entries: TableEntries(train), validation: validation)
    }

    /// The number of training entries.
    public var trainCount: Int { entries.count }

    /// Whether every entry of the m x n matrix is a training entry (a dense matrix with
    /// nothing held out): dense algorithms may then work on the whole matrix.
    public var isComplete: Bool { rows > 0 && cols > 0 && trainCount == rows * cols }

    /// The layout named `key`, built by `build` on first use and shared by every caller
    /// asking for the same key (concurrent callers wait for the first to finish building).
    public func layout<Layout: AnyObject>(_ key: String, build: () throws -> Layout) rethrows -> Layout {
        condition.lock()
        while building.contains(key) { condition.wait() }
        if let layout = layouts[key] as? Layout {
            condition.unlock()
            return layout
        }
        building.insert(key)
        condition.unlock()
        defer {
            condition.lock()
            building.remove(key)
            condition.broadcast()
            condition.unlock()
        }
        let layout = try build()
        condition.lock()
        layouts[key] = layout
        condition.unlock()
        return layout
    }

    /// The training entries laid out in a grid (0: automatic) shuffled by `seed`, for SGD.
    public func blocked(grid: Int, seed: UInt64, threads: Int) throws -> BlockedRatings {
        try layout("blocked/\(grid)/\(seed)") {
            try BlockedRatings(problem: self, grid: grid, seed: seed, threads: threads)
        }
    }

    /// The training entries by row and by column (standardized values), for ALS, CCD++,
    /// NMF and SVD.
    public func compressed() throws -> CompressedRatings {
        try layout("compressed") { try CompressedRatings(problem: self) }
    }
}
