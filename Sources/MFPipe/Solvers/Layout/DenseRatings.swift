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
    public convenience init(problem: TrainingProblem) throws {
        precondition(problem.isComplete, "a dense layout needs every entry")
        let cols = problem.cols
        let values = Self.allocate(rows: problem.rows, cols: cols)
        try problem.entries.forEachChunk { chunkRows, chunkCols, chunkValues in
            for entry in 0..<chunkValues.count { values[Int(chunkRows[entry]) * cols + Int(chunkCols[entry])] = chunkValues[entry] }
        }
        self.init(scaling: values, rows: problem.rows, cols: cols, by: problem.rootMeanSquare)
    }

    /// Takes over `values` (m x n row-major, complete, on the original scale) and divides
    /// them by `scale` in place, in fixed slices on up to `threads` threads (Σ values² has
    /// the same bits on any number).
    init(scaling values: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int, by scale: Double, threads: Int = 1) {
        (self.rows, self.cols, self.values, self.scale) = (rows, cols, values, scale)
        let inverse = Float(1 / scale)
        let (slice, shared) = (1 << 16, UncheckedSendable(values))
        squaredNorm = ParallelWork.sum((values.count + slice - 1) / slice, threads: threads) { part in
            var squares = SIMD4<Double>()
            var entry = part * slice
            let end = min(entry + slice, shared.value.count)
            let values = shared.value
            while entry < end {
                var quad = SIMD4<Double>()
                for lane in 0..<min(4, end - entry) {
                    values[entry + lane] *= inverse
                    quad[lane] = Double(values[entry + lane])
                }
                squares += quad * quad
                entry += 4
            }
            return squares[0] + squares[1] + squares[2] + squares[3]
        }
    }

    /// Room for an m x n matrix's values, on huge pages where the kernel has them (a
    /// matrix filled entry by entry in column order touches a new page with every entry).
    static func allocate(rows: Int, cols: Int) -> UnsafeMutableBufferPointer<Float> {
        let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: rows * cols)
        if let base = values.baseAddress { HugePages.advise(base, byteCount: rows * cols * MemoryLayout<Float>.stride) }
        return values
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
