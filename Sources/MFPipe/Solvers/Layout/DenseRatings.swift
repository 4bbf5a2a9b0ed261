import Foundation

/// A complete matrix — every entry a training entry — held dense: the layout of the dense
/// solvers (NMF's HALS and MU on a whole matrix, SVD of a complete one), which then need no
/// other. Its products are those of the values divided by the problem's root mean square,
/// as in `CompressedRatings`: the division is made on the thin results, never on the matrix.
///
/// The values are in the order the entries arrive — row after row, or column after column
/// (a MatrixMarket array) — so that laying them out writes memory in order. When the
/// artifact holds them in exactly that order and unnormalized, they are read in place from
/// its mapping, with no copy at all.
public final class DenseRatings: @unchecked Sendable {
    /// m.
    public let rows: Int
    /// n.
    public let cols: Int
    /// Whether the values are stored column after column (Aᵀ, n x m row-major).
    public let byColumn: Bool
    /// The values on the data's scale, row after row (column after column when `byColumn`).
    public let values: UnsafeBufferPointer<Float>
    /// What the products' values are divided by.
    public let scale: Double
    /// Σ (value / scale)², in double.
    public let squaredNorm: Double
    /// What keeps `values` alive: the artifact's mapping, or nil when they are this layout's own.
    private let owner: AnyObject?

    /// A layout over `values` (stored by row or `byColumn`), whose squares sum to
    /// `squaredSum`; it frees them at the end when `owner` is nil, else `owner` holds them.
    init(values: UnsafeBufferPointer<Float>, owner: AnyObject?, rows: Int, cols: Int, byColumn: Bool, scale: Double, squaredSum: Double) {
        (self.values, self.owner, self.rows, self.cols, self.byColumn, self.scale) = (values, owner, rows, cols, byColumn, scale)
        squaredNorm = squaredSum / (scale * scale)
    }

    /// The complete training matrix of `problem` (`problem.isComplete` must hold), laid out
    /// in one pass over its entries.
    public convenience init(problem: TrainingProblem) throws {
        precondition(problem.isComplete, "a dense layout needs every entry")
        let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: problem.rows * problem.cols)
        var byColumn: Bool?
        try problem.entries.forEachChunk { chunkRows, chunkCols, chunkValues in
            let order = byColumn ?? Self.arrivesByColumn(chunkCols)
            byColumn = order
            Self.scatter(chunkRows, chunkCols, chunkValues, 0..<chunkValues.count, into: values, rows: problem.rows, cols: problem.cols,
                         byColumn: order)
        }
        self.init(values: UnsafeBufferPointer(values), owner: nil, rows: problem.rows, cols: problem.cols, byColumn: byColumn ?? false,
                  scale: problem.rootMeanSquare, squaredSum: problem.squaredSum)
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
        if owner == nil { UnsafeMutableBufferPointer(mutating: values).deallocate() }
    }

    /// A product of `DenseProducts` with the matrix it is given (row-major, rows x cols) and
    /// the factor matrices: B, C, α and the threads.
    private typealias Product = (UnsafePointer<Float>, Int, Int, FactorMatrix, FactorMatrix, Float, Int) -> Void

    /// `product` of A, as A when the values are stored by row, else `transposed` of the stored
    /// Aᵀ; the results are divided by `scale`.
    private func apply(_ product: Product, transposed: Product, _ b: FactorMatrix, into c: FactorMatrix, threads: Int) {
        let (base, alpha) = (values.baseAddress!, Float(1 / scale))
        if byColumn {
            transposed(base, cols, rows, b, c, alpha, threads)
        } else {
            product(base, rows, cols, b, c, alpha, threads)
        }
    }

    /// C = A B: B n x k, C m x k.
    func times(_ b: FactorMatrix, into c: FactorMatrix, threads: Int) {
        apply(DenseProducts.times, transposed: DenseProducts.transposeTimes, b, into: c, threads: threads)
    }

    /// C = Aᵀ B: B m x k, C n x k.
    func transposeTimes(_ b: FactorMatrix, into c: FactorMatrix, threads: Int) {
        apply(DenseProducts.transposeTimes, transposed: DenseProducts.times, b, into: c, threads: threads)
    }

    /// ‖A − W Hᵀ‖² (A divided by `scale`; W m x k, H n x k), in double: ‖A‖² − 2 Σ (Aᵀ W) ∘ H
    /// + Σ (Wᵀ W) ∘ (Hᵀ H), one product of A.
    func residualSquares(w: FactorMatrix, h: FactorMatrix, threads: Int) -> Double {
        let k = w.k
        let product = FactorMatrix(rows: cols, k: k)
        transposeTimes(w, into: product, threads: threads)
        var cross = 0.0
        for col in 0..<cols {
            let (a, b) = (product.row(col), h.row(col))
            for component in 0..<k { cross += Double(a[component]) * Double(b[component]) }
        }
        let (wGram, hGram) = (FactorMatrix(rows: k, k: k), FactorMatrix(rows: k, k: k))
        DenseProducts.gram(w, into: wGram)
        DenseProducts.gram(h, into: hGram)
        return max(squaredNorm - 2 * cross + DenseProducts.inner(wGram, hGram), 0)
    }
}

extension TrainingProblem {
    /// The training entries as a dense matrix, when every entry is one (nil otherwise).
    public func dense() throws -> DenseRatings? {
        guard isComplete else { return nil }
        return try layout("dense") { try DenseRatings(problem: self) }
    }
}
