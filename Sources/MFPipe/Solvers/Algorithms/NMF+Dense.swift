import CMFKernels
import Foundation

/// NMF of a complete matrix A (m x n), held dense: each iteration updates W from
/// P = A Hᵀ and G = H Hᵀ, then H from Q = Aᵀ W and Wᵀ W — two products of the whole
/// matrix, cut into fixed slices that run in parallel — so an iteration costs about
/// 4 m n k flops whatever the update rule.
///
/// The products are made by the thin-product kernels on W and H as stored (m x k, n x k);
/// the updates work on W, H and the products turned (k x m and k x n), so that their
/// kernels load a factor of many rows as one vector. Each is turned once an iteration.
///
/// HALS sets each W_it to max(0, W_it − ((W G)_it − P_it + λ n W_it) / (G_tt + λ n)),
/// column after column (n entries in each row); MU multiplies W by P / (W G + λ n W). Either
/// is repeated on W while it still moves, for the same products (accelerated HALS and MU).
/// H likewise, with m. The training error comes
/// from the products already made: ‖A − W H‖² = ‖A‖² − 2 Σ H ∘ (Wᵀ A) + Σ (Wᵀ W) ∘ (H Hᵀ).
final class DenseNMFSolver: FactorsSolver {
    private let matrix: DenseRatings
    private let settings: NMFSettings
    private let k: Int
    private let validation: HeldOutSet
    /// W and H (stored n x k: each column's factors contiguous); the biases stay zero.
    let factors: BiasedFactors
    var best: BiasedFactors?
    let checkpointPrefix = "nmf"
    /// W and H turned: k x m and k x n.
    private let turnedW: FactorMatrix
    private let turnedH: FactorMatrix
    /// A Hᵀ (m x k) and Aᵀ W (n x k), and the same turned as W and H are.
    private let rowProducts: FactorMatrix
    private let colProducts: FactorMatrix
    private let turnedRowProducts: FactorMatrix
    private let turnedColProducts: FactorMatrix
    /// The k x k Gram matrices of W and of H (rows padded, as the HALS kernel reads them).
    private let rowGram: FactorMatrix
    private let colGram: FactorMatrix
    /// Rows of W (or H) updated per task.
    private static let slice = 256
    /// Added to MU's denominators so that a zero factor stays zero without a division by zero.
    private static let epsilon: Float = 1e-12

    init(problem: TrainingProblem, matrix: DenseRatings, request: FactorizationRequest, settings: NMFSettings) {
        self.matrix = matrix
        self.settings = settings
        k = request.k
        validation = HeldOutSet(problem.validation, offset: 0, scale: matrix.scale)
        factors = BiasedFactors(rows: matrix.rows, cols: matrix.cols, k: request.k)
        NMFFactorizer.initialize(factors, mean: problem.mean / matrix.scale, seed: request.seed)
        turnedW = FactorMatrix(rows: request.k, k: matrix.rows)
        turnedH = FactorMatrix(rows: request.k, k: matrix.cols)
        rowProducts = FactorMatrix(rows: matrix.rows, k: request.k)
        colProducts = FactorMatrix(rows: matrix.cols, k: request.k)
        turnedRowProducts = FactorMatrix(rows: request.k, k: matrix.rows)
        turnedColProducts = FactorMatrix(rows: request.k, k: matrix.cols)
        rowGram = FactorMatrix(rows: request.k, k: request.k)
        colGram = FactorMatrix(rows: request.k, k: request.k)
        turnFactors()
    }

    /// Sets the turned W and H from the factors.
    private func turnFactors() {
        factors.w.transpose(into: turnedW)
        factors.h.transpose(into: turnedH)
    }

    func restore(from checkpoint: Checkpoint) throws {
        try restoreFactors(from: checkpoint)
        turnFactors()
    }

    func trainEpoch(_ epoch: Int, threads: Int, cancellation: Cancellation) -> EpochResult {
        matrix.times(factors.h, into: rowProducts, threads: threads)
        rowProducts.transpose(into: turnedRowProducts)
        DenseProducts.turnedGram(turnedH, into: colGram)
        update(turnedW, products: turnedRowProducts, gram: colGram, lambda: Float(settings.regularization * Double(matrix.cols)),
               others: matrix.cols, threads: threads)
        turnedW.transpose(into: factors.w)
        matrix.transposeTimes(factors.w, into: colProducts, threads: threads)
        colProducts.transpose(into: turnedColProducts)
        DenseProducts.turnedGram(turnedW, into: rowGram)
        update(turnedH, products: turnedColProducts, gram: rowGram, lambda: Float(settings.regularization * Double(matrix.rows)),
               others: matrix.rows, threads: threads)
        DenseProducts.turnedGram(turnedH, into: colGram)
        turnedH.transpose(into: factors.h)
        var cross = 0.0
        for factor in 0..<k {
            let (values, products) = (turnedH.row(factor), turnedColProducts.row(factor))
            for col in 0..<matrix.cols { cross += Double(values[col]) * Double(products[col]) }
        }
        let squaredError = max(matrix.squaredNorm - 2 * cross + DenseProducts.inner(rowGram, colGram), 0)
        return .measured(squaredError * matrix.scale * matrix.scale)
    }

    /// One update of every row of the factors given turned by `x` (Wᵀ or Hᵀ) from their
    /// products with A (turned likewise) and the other side's Gram matrix, with penalty
    /// `lambda` on each row; `others` is the other side's dimension.
    ///
    /// Both rules repeat their update of `x` while it still moves, reusing the products
    /// (Gillis and Glineur 2012, accelerated HALS and MU). One product with A costs about
    /// ρ = 1 + ⌊(r o + o k) / (r (k + 1))⌋ updates of x (r rows, o = `others`), so up to
    /// 1 + ⌊α ρ⌋ are made — α = 0.5 for HALS, 2 for MU, the paper's choices — stopping once
    /// one changes x by less than a tenth of what the first did (Σ change² under 1 %). Every
    /// repeat is an update of the same subproblem that never increases it, so the objective
    /// still never increases; the decision depends only on the values, never on timing.
    private func update(_ x: FactorMatrix, products: FactorMatrix, gram: FactorMatrix, lambda: Float, others: Int,
                        threads: Int) {
        let rows = x.k
        let parts = (rows + Self.slice - 1) / Self.slice
        let cost = 1 + (rows * others + others * k) / (rows * (k + 1))
        let rounds = 1 + (settings.multiplicative ? 2 * cost : cost / 2)
        // A second thread only pays for its wake-up when an update has some 2¹⁸ multiply-adds a thread.
        let workers = min(threads, 1 + (rows * k * k) >> 18)
        var first = 0.0
        for round in 0..<rounds {
            let change = ParallelWork.sum(parts, threads: workers) { part in
                settings.multiplicative ? multiply(x, products: products, gram: gram, lambda: lambda, part: part)
                    : sweepRows(x, products: products, gram: gram, lambda: lambda, part: part)
            }
            if round == 0 { first = change } else if change <= 1e-2 * first { break }
        }
    }

    /// One HALS sweep over the rows of slice `part` of the turned `x` (the `mfk_hals_sweep`
    /// kernel); returns Σ (change)².
    private func sweepRows(_ x: FactorMatrix, products: FactorMatrix, gram: FactorMatrix, lambda: Float, part: Int) -> Double {
        let first = part * Self.slice
        return mfk_hals_sweep(x.base + first, min(Self.slice, x.k - first), x.stride, Int32(k), products.base + first, gram.base, lambda)
    }

    /// One multiplicative update of the rows of slice `part` of the turned `x` (the
    /// `mfk_mu_update` kernel): x ← x ∘ P / (x G + λ x); returns Σ (change)².
    private func multiply(_ x: FactorMatrix, products: FactorMatrix, gram: FactorMatrix, lambda: Float, part: Int) -> Double {
        let first = part * Self.slice
        return mfk_mu_update(x.base + first, min(Self.slice, x.k - first), x.stride, Int32(k), products.base + first, gram.base, lambda,
                             Self.epsilon)
    }

    func validationRMSE(threads: Int) -> Double {
        validation.rmse(w: factors.w, h: factors.h, rowBias: nil, colBias: nil, threads: threads)
    }

    func penalty() -> Double {
        settings.regularization * factors.squaredNorm(rowWeight: Double(matrix.cols), colWeight: Double(matrix.rows)) * matrix.scale * matrix.scale
    }

    func model(info: TrainingInfo) -> FactorModel {
        factors.model(info: info, scale: matrix.scale, mean: 0, biases: false)
    }
}
