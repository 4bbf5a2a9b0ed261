import Foundation

/// Non-negative matrix factorization: A ≈ W H with W, H ≥ 0, minimising
/// Σ (a_ij − W_i · H_j)² + λ n_i ‖W_i‖² + λ n_j ‖H_j‖² over the training entries (n_i, n_j
/// the row's and column's training entries: weighted-λ, as `als`), for non-negative data.
///
/// Two updates: HALS (hierarchical alternating least squares, Cichocki and Phan 2009) —
/// each column of W, then each row of H, set to its exact non-negative least-squares
/// optimum with the others fixed — and the multiplicative updates of Lee and Seung (2001).
/// Both never increase the objective. A complete matrix (every entry a training entry, a
/// dense input with nothing held out) is factorized dense, with products of the whole
/// matrix (`NMF+Dense.swift`); otherwise only the observed entries count
/// (`NMF+Sparse.swift`: HALS by coordinate descent over the residual, MU by products over
/// the entries). Values are divided by their root mean square first; the factors are
/// scaled back at the end. There are no biases, and no normalization may have made a value
/// negative.
public enum NMFFactorizer: Factorizer {
    public static let name = "nmf"
    public static let summary = "non-negative matrix factorization of non-negative data, dense or on the observed entries (HALS or multiplicative updates)"

    public static let usesDenseLayout = true

    public static let params: [ParamSpec] = [
        FactorizerParams.epochs(200, unit: "iterations"),
        ParamSpec("update", .choice(["hals", "mu"]), default: .string("hals"),
                  "hals: exact non-negative least squares per column of W and row of H; mu: Lee and Seung's multiplicative updates"),
        ParamSpec("regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .null,
                  "L2 penalty on the factors: a row (column) with n training entries pays this x n, on the unit-RMS scale (weighted-λ); default 0 for a complete matrix, 0.05 (as als) when entries are missing"),
        FactorizerParams.tolerance(1e-4),
        FactorizerParams.patience(10, unit: "iterations"),
    ]

    public static func solver(for problem: TrainingProblem, request: FactorizationRequest, threads: Int) throws -> IterativeSolver {
        if let negative = problem.firstNegative {
            throw UnsuitableData.negativeEntry(row: Int(negative.row), col: Int(negative.col), value: Double(negative.value))
        }
        let settings = NMFSettings(request.params, complete: problem.isComplete)
        if let dense = try problem.dense() {
            return DenseNMFSolver(problem: problem, matrix: dense, request: request, settings: settings)
        }
        return SparseNMFSolver(problem: problem, layout: try problem.compressed(), request: request, settings: settings)
    }

    public static func loopSettings(_ request: FactorizationRequest) -> TrainingLoop.Settings {
        let settings = NMFSettings(request.params, complete: false)
        var loop = TrainingLoop.Settings(
            epochs: settings.epochs, patience: settings.patience, tolerance: settings.tolerance,
            divergenceAdvice: "raise regularization")
        loop.progressEvery = 10
        return loop
    }

    /// Random non-negative initial factors as scikit-learn draws them: |N(0, 1)| times
    /// √(mean / k), so that W H starts at the data's mean.
    static func initialize(_ factors: BiasedFactors, mean: Double, seed: UInt64) {
        var random = SplitMix64(seed: seed, stream: "nmf-init")
        let scale = (max(mean, 0) / Double(factors.w.k)).squareRoot()
        for matrix in [factors.w, factors.h] {
            for row in 0..<matrix.rows {
                let values = matrix.row(row)
                for factor in 0..<matrix.k { values[factor] = Float(abs(random.nextGaussian()) * scale) }
            }
        }
    }
}

/// NMF's own settings, read from the parameters `NMFFactorizer.params` declares.
struct NMFSettings {
    let epochs: Int
    let multiplicative: Bool
    let regularization: Double
    let tolerance: Double
    let patience: Int

    /// The settings of `params` for a matrix that is `complete` or has missing entries.
    init(_ params: StageParams, complete: Bool) {
        epochs = params.int("epochs")
        multiplicative = params.string("update") == "mu"
        regularization = params.has("regularization") ? params.double("regularization") : complete ? 0 : 0.05
        tolerance = params.double("tolerance")
        patience = params.int("patience")
    }
}

