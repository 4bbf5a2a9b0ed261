import CMFKernels
import Foundation

/// Truncated SVD: A ≈ U_k diag(σ) V_kᵀ, exported as W = U_k diag(σ), H = V_kᵀ and `sigma`.
///
/// A is the normalized training matrix; an entry that is not a training entry counts as
/// zero, that is, as imputed by the normalization's prediction, in the first SVD, and then,
/// for `impute_rounds`, as the last round's model predicts it (hard-impute, `ImputedMatrix`),
/// the round with the lowest validation RMSE kept. Two solvers, chosen by cost:
/// randomized subspace iteration (Halko, Martinsson and Tropp 2011, algorithms 4.3 and 5.1;
/// `RandomizedSVDSolver`) in general, and, for a complete matrix with a narrow side small
/// enough that its Gram matrix costs less than the iteration's products, the exact truncated
/// SVD from that Gram matrix (`GramSVDSolver`).
public enum SVDFactorizer: Factorizer {
    public static let name = "svd"
    public static let summary = "truncated SVD of the normalized matrix: randomized (Halko, Martinsson, Tropp), or exact from the Gram matrix of a complete matrix's narrow side when that is cheaper; missing entries filled by rounds of hard-impute"

    public static let usesDenseLayout = true
    /// 2: imputation rounds after the first start from the last round's V (one subspace
    /// iteration each, not a fresh randomized SVD), and fill with momentum.
    public static let revision = 2

    public static let params: [ParamSpec] = [
        ParamSpec("oversampling", .integer(0...1000), default: .number(10),
                  "extra columns of the random subspace beyond k (Halko et al.'s p; randomized solver)"),
        ParamSpec("power_iterations", .integer(0...100), default: .number(4),
                  "subspace iterations sharpening the first round's random basis (each one pass over A and one over Aᵀ; randomized solver)"),
        ParamSpec("impute_rounds", .integer(0...1000), default: .number(100),
                  "with missing entries, the most SVDs: the first takes them as zero residuals (imputed by the normalization), each further one fills them with the last round's model (hard-impute, one subspace iteration from the last round's basis), and the round with the lowest validation RMSE is kept; 0 and 1 mean one SVD"),
        ParamSpec("momentum", .boolean, default: .bool(true),
                  "with missing entries, fill them each round from the last model carried on along its last step (Nesterov's momentum, restarted when the training error rises): far fewer rounds on sparse data; false: from the last model (plain hard-impute)"),
        ParamSpec("patience", .integer(0...1000), default: .number(2),
                  "early stopping of the imputation rounds on validation RMSE, in rounds (0: run every round, keep the last)"),
        FactorizerParams.warmStart,
    ]

    public static func solver(for problem: TrainingProblem, request: FactorizationRequest, threads: Int) throws -> IterativeSolver {
        guard request.k <= min(problem.rows, problem.cols) else {
            throw UnsuitableData.rankTooLarge(k: request.k, rows: problem.rows, cols: problem.cols)
        }
        let settings = SVDSettings(request.params)
        guard let dense = try problem.dense() else {
            return RandomizedSVDSolver(problem: problem, matrix: .sparse(try problem.compressed()), request: request, settings: settings)
        }
        let width = RandomizedSVDSolver.width(k: request.k, settings: settings, rows: problem.rows, cols: problem.cols)
        if GramSVDSolver.isCheaper(rows: problem.rows, cols: problem.cols, width: width, powerIterations: settings.powerIterations) {
            return GramSVDSolver(problem: problem, matrix: dense, k: request.k)
        }
        return RandomizedSVDSolver(problem: problem, matrix: .dense(dense), request: request, settings: settings)
    }

    /// Rounds: each one SVD, one epoch of the loop.
    public static func iterationCount(_ params: StageParams) -> IterationCount {
        IterationCount(name: "round", parameter: "impute_rounds")
    }

    public static func loopSettings(_ request: FactorizationRequest) -> TrainingLoop.Settings {
        let settings = SVDSettings(request.params)
        return TrainingLoop.Settings(epochs: settings.rounds,
                                     patience: settings.imputeRounds > 0 ? settings.patience : 0,
                                     tolerance: 0, divergenceAdvice: "check the input for extreme values")
    }
}

/// The SVD's own settings, read from the parameters `SVDFactorizer.params` declares.
struct SVDSettings {
    let oversampling: Int
    let powerIterations: Int
    /// Hard-impute rounds for a matrix with missing entries (0: none, one SVD).
    let imputeRounds: Int
    /// Whether the rounds fill the missing entries with momentum (`ImputationMomentum`).
    let momentum: Bool
    /// Rounds without a better validation RMSE before stopping.
    let patience: Int

    init(_ params: StageParams) {
        oversampling = params.int("oversampling")
        powerIterations = params.int("power_iterations")
        imputeRounds = params.int("impute_rounds")
        momentum = params.bool("momentum")
        patience = params.int("patience")
    }

    /// The most rounds: `impute_rounds`, 0 meaning one as 1 does.
    var rounds: Int { max(imputeRounds, 1) }
}

/// The factors both SVD solvers end with, on the layout's scale: W = U_k diag(σ) (m x k),
/// V_k (n x k) and σ; how they are scored on validation and exported.
final class SVDFactors {
    /// U_k diag(σ), m x k.
    let w: FactorMatrix
    /// V_k, n x k.
    let h: FactorMatrix
    /// σ, k, descending.
    var sigma: [Float] = []
    /// What the layout's values were divided by.
    let scale: Double
    private let validation: HeldOutSet

    /// Zero factors of rank `k` for `problem`, whose layout divided its values by `scale`.
    init(problem: TrainingProblem, k: Int, scale: Double) {
        w = FactorMatrix(rows: problem.rows, k: k)
        h = FactorMatrix(rows: problem.cols, k: k)
        self.scale = scale
        validation = HeldOutSet(problem.validation, offset: 0, scale: scale)
    }

    /// The factors and σ `keepBest` copied.
    private var best: (w: FactorMatrix, h: FactorMatrix, sigma: [Float])?

    /// Copies the factors, to `restoreBest` them later.
    func keepBest() {
        if let best {
            best.w.assign(from: w)
            best.h.assign(from: h)
            self.best!.sigma = sigma
        } else {
            best = (w.copy(), h.copy(), sigma)
        }
    }

    /// Takes back the factors `keepBest` copied.
    func restoreBest() {
        guard let best else { return }
        w.assign(from: best.w)
        h.assign(from: best.h)
        sigma = best.sigma
    }

    /// Adds the factors, σ and the best copy to `checkpoint`.
    func save(to checkpoint: inout Checkpoint) {
        checkpoint.arrays["svd.w"] = .floats(w.padded)
        checkpoint.arrays["svd.h"] = .floats(h.padded)
        checkpoint.arrays["svd.sigma"] = .floats(sigma)
        if let best {
            checkpoint.arrays["svd.best.w"] = .floats(best.w.padded)
            checkpoint.arrays["svd.best.h"] = .floats(best.h.padded)
            checkpoint.arrays["svd.best.sigma"] = .floats(best.sigma)
        }
    }

    /// Restores what `save` wrote.
    func restore(from checkpoint: Checkpoint) throws {
        try w.load(padded: checkpoint.floats("svd.w"))
        try h.load(padded: checkpoint.floats("svd.h"))
        sigma = try checkpoint.floats("svd.sigma")
        if checkpoint.arrays["svd.best.w"] != nil {
            let (bestW, bestH) = (w.copy(), h.copy())
            try bestW.load(padded: checkpoint.floats("svd.best.w"))
            try bestH.load(padded: checkpoint.floats("svd.best.h"))
            best = (bestW, bestH, try checkpoint.floats("svd.best.sigma"))
        }
    }

    /// The validation RMSE on the original scale.
    func validationRMSE(threads: Int) -> Double {
        validation.rmse(w: w, h: h, rowBias: nil, colBias: nil, threads: threads)
    }

    /// The model on the original scale: W = U_k diag(σ), H = V_kᵀ, `sigma`.
    func model(info: TrainingInfo) -> FactorModel {
        let (k, rows, cols, scale) = (w.k, w.rows, h.rows, Float(self.scale))
        var model = FactorModel(k: k, rows: rows, cols: cols, w: [Float](repeating: 0, count: rows * k),
                                h: [Float](repeating: 0, count: k * cols), rowBias: [], colBias: [],
                                sigma: sigma.map { $0 * scale }, info: info)
        for row in 0..<rows {
            let source = w.row(row)
            for component in 0..<k { model.w[row * k + component] = source[component] * scale }
        }
        for col in 0..<cols {
            let source = h.row(col)
            for component in 0..<k { model.h[component * cols + col] = source[component] }
        }
        return model
    }
}

/// The state of one randomized SVD: the orthonormal basis Q (m x l), the right singular
/// vectors V (n x l) and the factors of the last round.
///
/// With l = k + oversampling columns, the first round: Y = A Ω for a seeded Gaussian Ω, then
/// `power_iterations` times Q = qr(A qr(Aᵀ Q)) (each product orthonormalized, as the paper
/// advises for float precision), and finally the SVD of the small matrix Aᵀ Q (LAPACK
/// `sgesdd`) gives V, σ and U = Q Ũ. Sparse products run over the layout by row and by
/// column, dense ones (a complete matrix) by the thin-product kernels (`DenseProducts`);
/// both in fixed slices, with the same bits on any number of threads. With `impute_rounds`,
/// a matrix with missing entries is factored again each further round with the last model
/// filling them (`ImputedMatrix`): B changes little from round to round, so a round starts
/// from the last round's V and takes one subspace iteration, Q = qr(B V), before its SVD.
/// The truncated SVD of Q Qᵀ B is the best rank-k fit of B whose columns lie in Q's span,
/// and the span holds B V_k, whose fit is at least as close as the last model's: the
/// training error does not rise from round to round (rounding aside), as under exact SVDs,
/// for two products with B where a fresh randomized SVD takes 2 × `power_iterations` + 2.
/// With `momentum` (`ImputationMomentum`) the entries are filled from the last model
/// carried on along its last step instead, restarted whenever the training error rose.
/// Each round is one epoch of the training loop, checkpointed like any other.
final class RandomizedSVDSolver: IterativeSolver {
    /// The matrix A: dense when every entry is a training entry, else by row and by column.
    enum Matrix {
        case dense(DenseRatings)
        case sparse(CompressedRatings)
    }

    private let matrix: Matrix
    /// A with the last round's model in its missing entries (sparse A only).
    private let imputed: ImputedMatrix?
    /// The momentum the rounds fill the missing entries with, if any (sparse A only).
    private let momentum: ImputationMomentum?
    private let settings: SVDSettings
    private let k: Int
    private let seed: UInt64
    /// Q, m x l.
    private let basis: FactorMatrix
    /// Aᵀ Q (n x l), then V: what the next round starts from.
    private let transposed: FactorMatrix
    private let factors: SVDFactors
    /// Whether the rounds start from an earlier export's model (a matrix with missing
    /// entries only: a complete one takes one SVD, which no start changes).
    let startsFromModel: Bool

    /// l: k plus the oversampling, at most the matrix's smaller side.
    static func width(k: Int, settings: SVDSettings, rows: Int, cols: Int) -> Int {
        min(k + settings.oversampling, rows, cols)
    }

    init(problem: TrainingProblem, matrix: Matrix, request: FactorizationRequest, settings: SVDSettings) {
        self.matrix = matrix
        let scale: Double
        switch matrix {
        case .dense(let dense): scale = dense.scale
        case .sparse(let layout): scale = layout.scale
        }
        self.settings = settings
        if case .sparse(let layout) = matrix { imputed = ImputedMatrix(layout: layout) } else { imputed = nil }
        momentum = imputed != nil && settings.momentum ? ImputationMomentum(rows: problem.rows, cols: problem.cols, k: request.k) : nil
        k = request.k
        seed = request.seed
        let width = Self.width(k: request.k, settings: settings, rows: problem.rows, cols: problem.cols)
        basis = FactorMatrix(rows: problem.rows, k: width)
        transposed = FactorMatrix(rows: problem.cols, k: width)
        factors = SVDFactors(problem: problem, k: request.k, scale: scale)
        startsFromModel = imputed != nil && request.warmStart != nil
        if startsFromModel, let warmStart = request.warmStart { begin(from: warmStart) }
    }

    /// Takes `start`'s W and H as the model of a round before the first, which then fills
    /// the missing entries and whose V (H's columns, orthonormalized, beside seeded Gaussian
    /// ones up to l) the first round starts from, as any later round does. Its rows and
    /// columns the export does not know start at zero, the normalization's prediction;
    /// its biases, which svd does not fit, are left out.
    private func begin(from start: WarmStart) {
        let (k, inverse) = (self.k, Float(1 / factors.scale))
        // σ_c = ‖W[:, c]‖, as W = U diag(σ): what the start is exported with if it is kept.
        var squares = [Double](repeating: 0, count: k)
        for row in 0..<factors.w.rows where start.rowKnown[row] {
            let target = factors.w.row(row)
            for component in 0..<k {
                target[component] = start.w[row * k + component] * inverse
                squares[component] += Double(target[component]) * Double(target[component])
            }
        }
        factors.sigma = squares.map { Float($0.squareRoot()) }
        var random = SplitMix64(seed: seed, stream: "svd-omega")
        transposed.fillGaussian(scale: 1, using: &random)
        for col in 0..<factors.h.rows {
            let (target, v) = (factors.h.row(col), transposed.row(col))
            for component in 0..<k {
                target[component] = start.colKnown[col] ? start.columnFactors[col * k + component] : 0
                v[component] = target[component]
            }
        }
        LinearAlgebra.orthonormalize(transposed)
    }

    func trainEpoch(_ epoch: Int, threads: Int, cancellation: Cancellation) -> EpochResult {
        if epoch == 1 && !startsFromModel {
            var random = SplitMix64(seed: seed, stream: "svd-omega")
            transposed.fillGaussian(scale: 1, using: &random)
            multiply(transposed, into: basis, threads: threads)
            LinearAlgebra.orthonormalize(basis)
            for _ in 0..<settings.powerIterations {
                multiplyTransposed(basis, into: transposed, threads: threads)
                LinearAlgebra.orthonormalize(transposed)
                multiply(transposed, into: basis, threads: threads)
                LinearAlgebra.orthonormalize(basis)
            }
        } else {
            // `transposed` holds the last round's V (n x l): one subspace iteration from it.
            let filling = momentum?.fillingModel(w: factors.w, h: factors.h) ?? (w: factors.w, h: factors.h)
            imputed?.impute(w: filling.w, h: filling.h, threads: threads)
            multiply(transposed, into: basis, threads: threads)
            LinearAlgebra.orthonormalize(basis)
        }
        finish(threads: threads)
        let squares = squaredError(threads: threads) * factors.scale * factors.scale
        momentum?.ended(squaredError: squares)
        // A complete matrix has nothing to impute: its one round is the whole SVD.
        return imputed == nil && settings.rounds > 1 ? .complete(squares) : .measured(squares)
    }

    /// Y = A X (m x l) for X n x l (A with the last round's imputation, when sparse).
    private func multiply(_ x: FactorMatrix, into y: FactorMatrix, threads: Int) {
        switch matrix {
        case .dense(let dense): dense.times(x, into: y, threads: threads)
        case .sparse: imputed!.times(x, into: y, threads: threads)
        }
    }

    /// Z = Aᵀ Q (n x l) for Q m x l.
    private func multiplyTransposed(_ q: FactorMatrix, into z: FactorMatrix, threads: Int) {
        switch matrix {
        case .dense(let dense): dense.transposeTimes(q, into: z, threads: threads)
        case .sparse: imputed!.transposeTimes(q, into: z, threads: threads)
        }
    }

    /// The SVD of Aᵀ Q = V diag(σ) Ũᵀ gives A ≈ (Q Ũ) diag(σ) Vᵀ; keeps the first k.
    private func finish(threads: Int) {
        multiplyTransposed(basis, into: transposed, threads: threads)
        let (values, vt) = LinearAlgebra.thinSVD(transposed)
        let sigma = Array(values.prefix(k))
        factors.sigma = sigma
        // W = Q Ũ_k diag(σ): the first k rows of Ũᵀ, each scaled by its σ, transposed.
        let width = basis.k
        var scaled = [Float](vt.prefix(k * width))
        for component in 0..<k {
            for inner in 0..<width { scaled[component * width + inner] *= sigma[component] }
        }
        LinearAlgebra.multiply(basis.base, scaled, into: factors.w.base, rows: basis.rows, inner: width, cols: k,
                               lda: basis.stride, ldb: width, ldc: factors.w.stride, transposeB: true)
        for col in 0..<transposed.rows {
            let (v, target) = (transposed.row(col), factors.h.row(col))
            for component in 0..<k { target[component] = v[component] }
        }
    }

    /// Σ (a_ij − W_i · H_j)² over the training entries: by entry for a sparse A, by
    /// `DenseRatings.residualSquares` for a dense one.
    private func squaredError(threads: Int) -> Double {
        let (w, h) = (factors.w, factors.h)
        switch matrix {
        case .dense(let dense):
            return dense.residualSquares(w: w, h: h, threads: threads)
        case .sparse(let layout):
            let lines = layout.byRow
            let slices = LineSlices(lines)
            return ParallelWork.sum(slices.count, threads: threads) { slice in
                let longest = slices.lines(slice).map { lines.range($0).count }.max() ?? 0
                let residual = UnsafeMutablePointer<Float>.allocate(capacity: max(longest, 1))
                defer { residual.deallocate() }
                var sum = 0.0
                for line in slices.lines(slice) {
                    let entries = lines.range(line)
                    guard !entries.isEmpty else { continue }
                    sum += mfk_line_residuals(lines.index.baseAddress! + entries.lowerBound, lines.value.baseAddress! + entries.lowerBound,
                                              entries.count, w.row(line), h.base, h.stride, 0, nil, 0, residual)
                }
                return sum
            }
        }
    }

    func validationRMSE(threads: Int) -> Double {
        factors.validationRMSE(threads: threads)
    }

    func penalty() -> Double { 0 }

    func keepBest() { factors.keepBest() }

    func restoreBest() { factors.restoreBest() }

    func save(to checkpoint: inout Checkpoint) {
        checkpoint.arrays["svd.v"] = .floats(transposed.padded)
        factors.save(to: &checkpoint)
        momentum?.save(to: &checkpoint)
    }

    /// Restores the last round's V, which the next round starts from, and its model and
    /// momentum, which fill the missing entries.
    func restore(from checkpoint: Checkpoint) throws {
        try transposed.load(padded: checkpoint.floats("svd.v"))
        try factors.restore(from: checkpoint)
        try momentum?.restore(from: checkpoint)
    }

    func model(info: TrainingInfo) -> FactorModel {
        factors.model(info: info)
    }
}
