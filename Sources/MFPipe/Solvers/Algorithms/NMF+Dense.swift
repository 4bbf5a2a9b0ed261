import Foundation

/// NMF of a complete matrix A (m x n), held dense: each iteration updates W from
/// P = A Hᵀ and G = H Hᵀ, then H from Q = Aᵀ W and Wᵀ W — two BLAS products of the whole
/// matrix, cut into fixed slices that run in parallel — so an iteration costs about
/// 4 m n k flops whatever the update rule.
///
/// HALS sets each W_it to max(0, W_it − ((W G)_it − P_it + λ n W_it) / (G_tt + λ n)),
/// column after column (n entries in each row); MU multiplies W by P / (W G + λ n W). H
/// likewise, with m. The training error comes
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
    /// A Hᵀ (m x k) and Aᵀ W (n x k).
    private let rowProducts: FactorMatrix
    private let colProducts: FactorMatrix
    /// The k x k Gram matrices of W and of H.
    private let rowGram: UnsafeMutableBufferPointer<Float>
    private let colGram: UnsafeMutableBufferPointer<Float>
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
        rowProducts = FactorMatrix(rows: matrix.rows, k: request.k)
        colProducts = FactorMatrix(rows: matrix.cols, k: request.k)
        rowGram = .allocate(capacity: request.k * request.k)
        colGram = .allocate(capacity: request.k * request.k)
    }

    deinit {
        rowGram.deallocate()
        colGram.deallocate()
    }

    func trainEpoch(_ epoch: Int, threads: Int, cancellation: Cancellation) -> EpochResult {
        let a = UnsafePointer(matrix.values.baseAddress!)
        DenseProducts.times(a, rows: matrix.rows, cols: matrix.cols, factors.h, into: rowProducts, threads: threads)
        DenseProducts.gram(factors.h, into: colGram.baseAddress!)
        update(factors.w, products: rowProducts, gram: colGram, lambda: Float(settings.regularization * Double(matrix.cols)), threads: threads)
        DenseProducts.transposeTimes(a, rows: matrix.rows, cols: matrix.cols, factors.w, into: colProducts, threads: threads)
        DenseProducts.gram(factors.w, into: rowGram.baseAddress!)
        update(factors.h, products: colProducts, gram: rowGram, lambda: Float(settings.regularization * Double(matrix.rows)), threads: threads)
        DenseProducts.gram(factors.h, into: colGram.baseAddress!)
        var cross = 0.0
        for col in 0..<matrix.cols {
            let (values, products) = (factors.h.row(col), colProducts.row(col))
            for factor in 0..<k { cross += Double(values[factor]) * Double(products[factor]) }
        }
        var model = 0.0
        for index in 0..<k * k { model += Double(rowGram[index]) * Double(colGram[index]) }
        let squaredError = max(matrix.squaredNorm - 2 * cross + model, 0)
        return .measured(squaredError * matrix.scale * matrix.scale)
    }

    /// One update of every row of `x` (W, or H stored n x k) from its products with A and
    /// the other side's Gram matrix, with penalty `lambda` on each row.
    private func update(_ x: FactorMatrix, products: FactorMatrix, gram: UnsafeMutableBufferPointer<Float>, lambda: Float, threads: Int) {
        let (k, multiplicative) = (self.k, settings.multiplicative)
        ParallelWork.forEach((x.rows + Self.slice - 1) / Self.slice, threads: threads) { part in
            let denominators = UnsafeMutablePointer<Float>.allocate(capacity: k)
            defer { denominators.deallocate() }
            for row in part * Self.slice..<min(x.rows, (part + 1) * Self.slice) {
                let (values, product) = (x.row(row), products.row(row))
                if multiplicative {
                    for t in 0..<k {
                        var sum = lambda * values[t]
                        for s in 0..<k { sum += values[s] * gram[s * k + t] }
                        denominators[t] = sum
                    }
                    for t in 0..<k { values[t] *= product[t] / (denominators[t] + Self.epsilon) }
                } else {
                    for t in 0..<k {
                        let hessian = gram[t * k + t] + lambda
                        guard hessian > 0 else { continue }
                        var gradient = lambda * values[t] - product[t]
                        for s in 0..<k { gradient += values[s] * gram[s * k + t] }
                        values[t] = max(0, values[t] - gradient / hessian)
                    }
                }
            }
        }
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
