import Foundation

/// A complete matrix — every entry a training entry — held dense, m x n row-major, values
/// divided by the problem's root mean square as in `CompressedRatings`: the layout of the
/// dense solvers (NMF's HALS and MU on a whole matrix, SVD of a complete one), which then
/// need no other.
public final class DenseRatings: @unchecked Sendable {
    /// m.
    public let rows: Int
    /// n.
    public let cols: Int
    /// The values, row after row.
    public let values: UnsafeMutableBufferPointer<Float>
    /// What the values were divided by.
    public let scale: Double
    /// Σ values², in double.
    public let squaredNorm: Double

    /// The complete training matrix of `problem` (`problem.isComplete` must hold), in one
    /// pass over its entries.
    public init(problem: TrainingProblem) throws {
        precondition(problem.isComplete, "a dense layout needs every entry")
        let (rows, cols) = (problem.rows, problem.cols)
        (self.rows, self.cols) = (rows, cols)
        scale = problem.rootMeanSquare
        let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * cols)
        self.values = values
        let inverse = Float(1 / scale)
        var squares = 0.0
        try problem.entries.forEachChunk { chunkRows, chunkCols, chunkValues in
            for entry in 0..<chunkValues.count {
                let value = chunkValues[entry] * inverse
                values[Int(chunkRows[entry]) * cols + Int(chunkCols[entry])] = value
                squares += Double(value) * Double(value)
            }
        }
        squaredNorm = squares
    }

    /// Takes over `values` (m x n row-major, complete, on the original scale) and divides
    /// them by `scale` in place.
    init(scaling values: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int, by scale: Double) {
        (self.rows, self.cols, self.values, self.scale) = (rows, cols, values, scale)
        let inverse = Float(1 / scale)
        var squares = 0.0
        for index in 0..<values.count {
            values[index] *= inverse
            squares += Double(values[index]) * Double(values[index])
        }
        squaredNorm = squares
    }

    deinit {
        values.deallocate()
    }
}

extension TrainingProblem {
    /// The training entries as a dense matrix, when every entry is one (nil otherwise).
    public func dense() throws -> DenseRatings? {
        guard isComplete else { return nil }
        return try layout("dense") { try DenseRatings(problem: self) }
    }
}
