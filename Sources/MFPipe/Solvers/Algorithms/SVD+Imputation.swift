import CMFKernels
import Foundation

/// The matrix the randomized SVD factors in its imputation rounds: the training entries
/// where they are observed and the previous round's model W Hᵀ everywhere else, that is
/// B = S + W Hᵀ with S the training residuals of that model (zero off the entries). This is
/// hard-impute (Mazumder, Hastie and Tibshirani 2010, with a rank-k truncation in place of
/// soft thresholding; Troyanskaya et al.'s SVDimpute): each round's truncated SVD of B
/// lowers the training error of the entries, and the round with the lowest validation RMSE
/// is kept. B is never formed: its products are a sparse product with S plus two thin
/// products with W and H, so a round costs what one SVD of the sparse matrix costs, plus
/// O((m + n) k l).
///
/// Before the first round there is no model: B is the training matrix itself, missing
/// entries zero (imputed by the normalization), as without rounds.
final class ImputedMatrix {
    private let layout: CompressedRatings
    /// S by row: the residual of each of `layout.byRow`'s entries (allocated by the first
    /// `impute`: one SVD needs no residuals, nor their 8 bytes a rating).
    private var rowResidual = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    /// S by column, likewise for `layout.byColumn`.
    private var colResidual = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    /// The model whose residuals S holds, or nil before the first round ends.
    private var model: (w: FactorMatrix, h: FactorMatrix)?

    /// B for the training entries of `layout`, before any model.
    init(layout: CompressedRatings) {
        self.layout = layout
    }

    deinit {
        rowResidual.deallocate()
        colResidual.deallocate()
    }

    /// Takes W Hᵀ (W = U diag(σ), m x k; H = V, n x k) as the imputation: S becomes the
    /// entries' residuals under it. Each residual is computed alone, so the bits do not
    /// depend on `threads`.
    func impute(w: FactorMatrix, h: FactorMatrix, threads: Int) {
        if model == nil {
            rowResidual = .allocate(capacity: max(layout.byRow.entries, 1))
            colResidual = .allocate(capacity: max(layout.byColumn.entries, 1))
        }
        Self.residuals(layout.byRow, own: w, others: h, into: rowResidual, threads: threads)
        Self.residuals(layout.byColumn, own: h, others: w, into: colResidual, threads: threads)
        model = (w, h)
    }

    /// Y = B X (m x l) for X n x l.
    func times(_ x: FactorMatrix, into y: FactorMatrix, threads: Int) {
        guard let model else { return Self.combine(layout.byRow, values: layout.byRow.value, x, into: y, threads: threads) }
        Self.combine(layout.byRow, values: rowResidual, x, into: y, threads: threads)
        Self.addLowRank(model.w, model.h, x, into: y)
    }

    /// Z = Bᵀ Q (n x l) for Q m x l.
    func transposeTimes(_ q: FactorMatrix, into z: FactorMatrix, threads: Int) {
        guard let model else { return Self.combine(layout.byColumn, values: layout.byColumn.value, q, into: z, threads: threads) }
        Self.combine(layout.byColumn, values: colResidual, q, into: z, threads: threads)
        Self.addLowRank(model.h, model.w, q, into: z)
    }

    /// Row i of `output` = Σ over line i's entries of `values` × row index of `x`.
    static func combine(_ lines: SparseLines, values: UnsafeMutableBufferPointer<Float>, _ x: FactorMatrix,
                        into output: FactorMatrix, threads: Int) {
        let slices = LineSlices(lines)
        ParallelWork.forEach(slices.count, threads: threads) { slice in
            for line in slices.lines(slice) {
                let entries = lines.range(line)
                mfk_line_combination(lines.index.baseAddress! + entries.lowerBound, values.baseAddress! + entries.lowerBound,
                                     entries.count, x.base, x.stride, output.row(line))
            }
        }
    }

    /// output += left (rightᵀ x): the low-rank part of B (or Bᵀ) times x.
    private static func addLowRank(_ left: FactorMatrix, _ right: FactorMatrix, _ x: FactorMatrix, into output: FactorMatrix) {
        let (k, width) = (left.k, x.k)
        var inner = [Float](repeating: 0, count: k * width)
        LinearAlgebra.multiply(right.base, x.base, into: &inner, rows: k, inner: right.rows, cols: width,
                               lda: right.stride, ldb: x.stride, ldc: width, transposeA: true)
        LinearAlgebra.multiply(left.base, inner, into: output.base, rows: left.rows, inner: k, cols: width,
                               lda: left.stride, ldb: width, ldc: output.stride, accumulate: true)
    }

    private static func residuals(_ lines: SparseLines, own: FactorMatrix, others: FactorMatrix,
                                  into residual: UnsafeMutableBufferPointer<Float>, threads: Int) {
        let slices = LineSlices(lines)
        ParallelWork.forEach(slices.count, threads: threads) { slice in
            for line in slices.lines(slice) {
                let entries = lines.range(line)
                guard !entries.isEmpty else { continue }
                _ = mfk_line_residuals(lines.index.baseAddress! + entries.lowerBound, lines.value.baseAddress! + entries.lowerBound,
                                       entries.count, own.row(line), others.base, others.stride, 0, nil, 0,
                                       residual.baseAddress! + entries.lowerBound)
            }
        }
    }
}
