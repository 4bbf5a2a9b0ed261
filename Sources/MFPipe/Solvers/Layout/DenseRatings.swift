import Foundation

/// A complete matrix — every entry a training entry — held dense, m x n row-major, values
/// divided by the problem's root mean square as in `CompressedRatings`: the layout of the
/// dense solvers (NMF's HALS and MU on a whole matrix, SVD of a complete one).
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

    /// The complete training matrix of `problem` (`problem.isComplete` must hold).
    public init(problem: TrainingProblem, compressed: CompressedRatings) {
        precondition(problem.isComplete, "a dense layout needs every entry")
        rows = problem.rows
        cols = problem.cols
        scale = compressed.scale
        values = .allocate(capacity: rows * cols)
        let byRow = compressed.byRow
        var squares = 0.0
        for row in 0..<rows {
            for entry in byRow.range(row) {
                let value = byRow.value[entry]
                values[row * cols + Int(byRow.index[entry])] = value
                squares += Double(value) * Double(value)
            }
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
        let compressed = try compressed()
        return layout("dense") { DenseRatings(problem: self, compressed: compressed) }
    }
}
