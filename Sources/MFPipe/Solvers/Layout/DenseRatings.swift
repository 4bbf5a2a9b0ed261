import Foundation

/// A complete matrix — every entry a training entry — held dense, values divided by the
/// problem's root mean square as in `CompressedRatings`: the layout of the dense solvers
/// (NMF's HALS and MU on a whole matrix, SVD of a complete one), which then need no other.
///
/// The values are stored in the order the entries arrive — row after row, or column after
/// column (a MatrixMarket array) — so that laying them out writes memory in order; the
/// solvers multiply through the products below, which take either.
public final class DenseRatings: @unchecked Sendable {
    /// m.
    public let rows: Int
    /// n.
    public let cols: Int
    /// Whether the values are stored column after column (Aᵀ, n x m row-major).
    public let byColumn: Bool
    /// The values, row after row (column after column when `byColumn`).
    public let values: UnsafeMutableBufferPointer<Float>
    /// What the values were divided by.
    public let scale: Double
    /// Σ values², in double.
    public let squaredNorm: Double

    /// The complete training matrix of `problem` (`problem.isComplete` must hold), in one
    /// pass over its entries.
    public convenience init(problem: TrainingProblem) throws {
        precondition(problem.isComplete, "a dense layout needs every entry")
        let values = Self.allocate(rows: problem.rows, cols: problem.cols)
        var byColumn: Bool?
        try problem.entries.forEachChunk { chunkRows, chunkCols, chunkValues in
            let order = byColumn ?? Self.arrivesByColumn(chunkCols)
            byColumn = order
            Self.scatter(chunkRows, chunkCols, chunkValues, 0..<chunkValues.count, into: values, rows: problem.rows, cols: problem.cols,
                         byColumn: order)
        }
        self.init(scaling: values, rows: problem.rows, cols: problem.cols, byColumn: byColumn ?? false, by: problem.rootMeanSquare)
    }

    /// Takes over `values` (complete, on the original scale, stored by row or `byColumn`)
    /// and divides them by `scale` in place, in fixed slices on up to `threads` threads
    /// (Σ values² has the same bits on any number).
    init(scaling values: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int, byColumn: Bool, by scale: Double, threads: Int = 1) {
        (self.rows, self.cols, self.byColumn, self.values, self.scale) = (rows, cols, byColumn, values, scale)
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

    /// Whether entries whose columns begin with `cols` arrive column after column: the first
    /// two share a column.
    static func arrivesByColumn(_ cols: UnsafeBufferPointer<Int32>) -> Bool {
        cols.count >= 2 && cols[0] == cols[1]
    }

    /// Stores the entries in `range` at their cells of `dense`, an m x n matrix stored by
    /// row or `byColumn`.
    static func scatter(_ entryRows: UnsafeBufferPointer<Int32>, _ entryCols: UnsafeBufferPointer<Int32>, _ entryValues: UnsafeBufferPointer<Float>,
                        _ range: Range<Int>, into dense: UnsafeMutableBufferPointer<Float>, rows: Int, cols: Int, byColumn: Bool) {
        if byColumn {
            for entry in range { dense[Int(entryCols[entry]) * rows + Int(entryRows[entry])] = entryValues[entry] }
        } else {
            for entry in range { dense[Int(entryRows[entry]) * cols + Int(entryCols[entry])] = entryValues[entry] }
        }
    }

    deinit {
        values.deallocate()
    }

    /// C = A B: B n x k, C m x k.
    func times(_ b: FactorMatrix, into c: FactorMatrix, threads: Int) {
        if byColumn {
            DenseProducts.transposeTimes(values.baseAddress!, rows: cols, cols: rows, b, into: c, threads: threads)
        } else {
            DenseProducts.times(values.baseAddress!, rows: rows, cols: cols, b, into: c, threads: threads)
        }
    }

    /// C = Aᵀ B: B m x k, C n x k.
    func transposeTimes(_ b: FactorMatrix, into c: FactorMatrix, threads: Int) {
        if byColumn {
            DenseProducts.times(values.baseAddress!, rows: cols, cols: rows, b, into: c, threads: threads)
        } else {
            DenseProducts.transposeTimes(values.baseAddress!, rows: rows, cols: cols, b, into: c, threads: threads)
        }
    }

    /// Cᵀ = (A B)ᵀ with B and C given turned: Bᵀ k x n, Cᵀ k x m.
    func timesTurned(_ b: FactorMatrix, into c: FactorMatrix, threads: Int) {
        if byColumn {
            DenseProducts.transposeTimesTurned(values.baseAddress!, rows: cols, cols: rows, b, into: c, threads: threads)
        } else {
            DenseProducts.timesTurned(values.baseAddress!, rows: rows, cols: cols, b, into: c, threads: threads)
        }
    }

    /// Cᵀ = (Aᵀ B)ᵀ with B and C given turned: Bᵀ k x m, Cᵀ k x n.
    func transposeTimesTurned(_ b: FactorMatrix, into c: FactorMatrix, threads: Int) {
        if byColumn {
            DenseProducts.timesTurned(values.baseAddress!, rows: cols, cols: rows, b, into: c, threads: threads)
        } else {
            DenseProducts.transposeTimesTurned(values.baseAddress!, rows: rows, cols: cols, b, into: c, threads: threads)
        }
    }
}

extension TrainingProblem {
    /// The training entries as a dense matrix, when every entry is one (nil otherwise).
    public func dense() throws -> DenseRatings? {
        guard isComplete else { return nil }
        return try layout("dense") { try DenseRatings(problem: self) }
    }
}
