import CMFKernels
import Foundation

/// Biased matrix factorization by CCD++: cyclic coordinate descent over rank-one
/// components (Yu, Hsieh, Si and Dhillon 2012), with weighted-λ regularization as `als`.
///
/// Minimises the same objective as `als`: Σ (r − offset − μ − b_i − c_j − W_i · H_j)² +
/// λ n_i ‖W_i‖² + λ n_j ‖H_j‖² + λ_b (n_i b_i² + n_j c_j²), λ on the standardized scale as
/// there. Each iteration updates the row biases, the column biases, then each
/// component t in turn: the residual gets component t back (R̂ = R + w_t h_tᵀ), then
/// `inner_iterations` times every w_it = Σ_j R̂_ij h_jt / (λ n_i + Σ_j h_jt²) and every h_jt
/// likewise, and the residual loses the new component. Every update is an exact minimum in
/// its coordinate, so the objective never increases. The residual is kept for each entry
/// twice (by row and by column) and recomputed from the factors at the start of each
/// iteration, so an iteration — and a resume from a checkpoint between two — depends only
/// on the factors it starts from. Rows, then columns, are updated in parallel in fixed
/// slices: the same bits on any number of threads.
public enum CCDFactorizer: Factorizer {
    public static let name = "ccd"
    public static let summary = "biased matrix factorization by CCD++, rank-one coordinate descent over the residual (weighted-λ, as als)"

    public static let params: [ParamSpec] = [
        FactorizerParams.epochs(20, unit: "iterations"),
        ParamSpec("inner_iterations", .integer(1...100), default: .number(2),
                  "updates of each rank-one component's row and column values per iteration"),
        FactorizerParams.regularization(0.05, "a row (column) with n training ratings pays this x n, on the standardized scale (weighted-λ)"),
        FactorizerParams.biasRegularization(0.05, "per rating, on the standardized scale"),
        FactorizerParams.initScale(0.1, "on the standardized scale; the row factors start at zero"),
        FactorizerParams.tolerance(1e-4),
        FactorizerParams.patience(3, unit: "iterations"),
        FactorizerParams.warmStart,
    ]

    public static func solver(for problem: TrainingProblem, request: FactorizationRequest, threads: Int) throws -> IterativeSolver {
        CCDSolver(problem: problem, layout: try problem.compressed(), request: request, settings: CCDSettings(request.params))
    }

    public static func loopSettings(_ request: FactorizationRequest) -> TrainingLoop.Settings {
        let settings = CCDSettings(request.params)
        return TrainingLoop.Settings(
            epochs: settings.epochs, patience: settings.patience, tolerance: settings.tolerance,
            divergenceAdvice: "raise regularization (now \(JSONWriter.number(settings.regularization)))")
    }
}

/// CCD++'s own settings, read from the parameters `CCDFactorizer.params` declares.
struct CCDSettings {
    let epochs: Int
    let innerIterations: Int
    let regularization: Double
    let biasRegularization: Double
    let initScale: Double
    let tolerance: Double
    let patience: Int

    init(_ params: StageParams) {
        epochs = params.int("epochs")
        innerIterations = params.int("inner_iterations")
        regularization = params.double("regularization")
        biasRegularization = params.double("bias_regularization")
        initScale = params.double("init_scale")
        tolerance = params.double("tolerance")
        patience = params.int("patience")
    }
}

/// The state of one CCD++ run on the layout's unit-RMS, centred scale: the factors
/// (row-major, what checkpoints and scoring read) and the residuals they leave.
final class CCDSolver: FactorsSolver {
    private let layout: CompressedRatings
    private let settings: CCDSettings
    private let k: Int
    private let mean: Float
    private let validation: HeldOutSet
    /// λ on the layout's unit-RMS scale: the setting, which is on the unit-deviation scale,
    /// times the problem's `centredShare`.
    private let lambda: Double
    private let warmStart: WarmStart?
    let factors: BiasedFactors
    var best: BiasedFactors?
    let checkpointPrefix = "ccd"
    private let descent: ComponentDescent

    init(problem: TrainingProblem, layout: CompressedRatings, request: FactorizationRequest, settings: CCDSettings) {
        self.layout = layout
        self.settings = settings
        k = request.k
        mean = Float(problem.mean / layout.scale)
        validation = HeldOutSet(problem.validation, offset: 0, scale: layout.scale)
        lambda = settings.regularization * problem.centredShare
        let initScale = settings.initScale * problem.centredShare.squareRoot()
        warmStart = request.warmStart
        factors = BiasedFactors(rows: layout.rows, cols: layout.cols, k: request.k)
        var random = SplitMix64(seed: request.seed, stream: "ccd-init")
        factors.h.fillGaussian(scale: initScale, using: &random)
        if let warmStart { factors.begin(from: warmStart, scale: layout.scale, mean: problem.mean) }
        descent = ComponentDescent(layout: layout)
    }

    var startsFromModel: Bool { warmStart != nil }

    func trainEpoch(_ epoch: Int, threads: Int, cancellation: Cancellation) -> EpochResult {
        let start = factors.copy()
        descent.recompute(factors, offset: mean, biases: true, threads: threads)
        descent.updateBiases(factors, rowSide: true, lambdaBias: settings.biasRegularization, threads: threads)
        descent.updateBiases(factors, rowSide: false, lambdaBias: settings.biasRegularization, threads: threads)
        for component in 0..<k {
            if cancellation.isCancelled {
                factors.assign(from: start)
                return .interrupted
            }
            descent.updateComponent(component, of: factors, inner: settings.innerIterations,
                                    penalty: .weighted(lambda), nonNegative: false, threads: threads)
        }
        return .measured(descent.squaredError(threads: threads) * layout.scale * layout.scale)
    }

    func validationRMSE(threads: Int) -> Double {
        factors.withPredictionColumnBiases(mean: mean) { colBias in
            validation.rmse(w: factors.w, h: factors.h, rowBias: factors.rowBias, colBias: colBias, threads: threads)
        }
    }

    func penalty() -> Double {
        layout.scale * layout.scale * factors.weightedPenalty(rowCounts: layout.byRow, colCounts: layout.byColumn,
                                                              lambda: lambda, lambdaBias: settings.biasRegularization)
    }

    func model(info: TrainingInfo) -> FactorModel {
        factors.model(info: info, scale: layout.scale, mean: Double(mean) * layout.scale)
    }
}
