import CMFKernels
import Foundation

/// Biased matrix factorization by alternating least squares with weighted-λ
/// regularization (Zhou, Wilkinson, Schreiber and Pan 2008; biases as in Koren 2008).
///
/// Fits r − offset ≈ μ + b_i + c_j + W_i · H_j by minimising, over training entries,
/// (r − offset − μ − b_i − c_j − W_i · H_j)² + λ n_i ‖W_i‖² + λ n_j ‖H_j‖² + λ_b (n_i b_i² + n_j c_j²),
/// where n_i, n_j count the row's and column's training entries and μ is their mean. The
/// solver works on the shared layout's unit-RMS values with λ and the initial spread mapped
/// from the standardized scale (`TrainingProblem.centredShare`), so that λ means the same
/// on any scale and a constant added to every value only moves μ. Each
/// iteration solves every row with the columns fixed — by `cg_steps` conjugate-gradient
/// steps from the row's current (W_i, b_i), which never form the Gram matrix (the default),
/// or exactly from the normal equations over the row's entries (`cg_steps: 0`: Gram matrix
/// by a kernel of our own, `mfk_gram`, Cholesky by LAPACK) — then every column with the
/// rows fixed; either way the objective never increases. Rows (columns) are independent
/// given the other side: they are solved in parallel, in fixed slices, with the same bits
/// on any number of threads; under `mpirun` each rank solves a contiguous share of the
/// slices and the ranks exchange what they solved after each half iteration
/// (`MPIWorld.sum`), with the same bits on any number of ranks.
public enum ALSFactorizer: Factorizer {
    public static let name = "als"
    public static let summary = "biased matrix factorization by alternating least squares with weighted-λ regularization (a few conjugate-gradient steps per row and column, or exact Cholesky solves)"
    public static let runsOnEveryRank = true

    public static let params: [ParamSpec] = [
        FactorizerParams.epochs(20, unit: "iterations"),
        FactorizerParams.regularization(0.05, "a row (column) with n training ratings pays this x n, on the standardized scale (weighted-λ)"),
        FactorizerParams.biasRegularization(0.05, "per rating, on the standardized scale"),
        FactorizerParams.initScale(0.1, "on the standardized scale"),
        ParamSpec("cg_steps", .integer(0...Int.max), default: .number(3),
                  "0: solve each row and column exactly (Cholesky); n > 0: n conjugate-gradient steps from its current factors instead (cheaper at large k, approximate within an iteration)"),
        FactorizerParams.tolerance(1e-4),
        FactorizerParams.patience(3, unit: "iterations"),
        FactorizerParams.warmStart,
    ]

    public static func solver(for problem: TrainingProblem, request: FactorizationRequest, threads: Int) throws -> IterativeSolver {
        ALSSolver(problem: problem, layout: try problem.compressed(), request: request, settings: ALSSettings(request.params))
    }

    public static func loopSettings(_ request: FactorizationRequest) -> TrainingLoop.Settings {
        let settings = ALSSettings(request.params)
        return TrainingLoop.Settings(
            epochs: settings.epochs, patience: settings.patience, tolerance: settings.tolerance,
            divergenceAdvice: "raise regularization (now \(JSONWriter.number(settings.regularization)))")
    }
}

/// ALS's own settings, read from the parameters `ALSFactorizer.params` declares.
struct ALSSettings {
    let epochs: Int
    let regularization: Double
    let biasRegularization: Double
    let initScale: Double
    /// Conjugate-gradient steps per row and column, or 0 for the exact solve.
    let cgSteps: Int
    let tolerance: Double
    let patience: Int

    init(_ params: StageParams) {
        epochs = params.int("epochs")
        regularization = params.double("regularization")
        biasRegularization = params.double("bias_regularization")
        initScale = params.double("init_scale")
        cgSteps = params.int("cg_steps")
        tolerance = params.double("tolerance")
        patience = params.int("patience")
    }
}

/// The state of one ALS run: factors and biases on the layout's unit-RMS, centred scale.
final class ALSSolver: FactorsSolver {
    private let layout: CompressedRatings
    private let settings: ALSSettings
    private let k: Int
    /// The training mean on the unit-RMS scale, fitted by neither side (it joins the column biases at the end).
    private let mean: Float
    private let validation: HeldOutSet
    /// λ on the layout's unit-RMS scale: the setting, which is on the unit-deviation scale,
    /// times the problem's `centredShare`.
    private let lambda: Double
    private let warmStart: WarmStart?
    let factors: BiasedFactors
    var best: BiasedFactors?
    let checkpointPrefix = "als"
    /// Whether the rows of the current iteration are solved already (its columns are next).
    private var rowsDone = false
    private let scratch: ScratchPool<NormalEquations>
    /// The `mpirun` job solving the rows and columns together, each rank its share, or nil.
    private let world: MPIWorld?
    /// What the ranks learnt of the cost of solving rows, and columns, on earlier iterations.
    private let rowBalance = ShareBalance()
    private let columnBalance = ShareBalance()

    init(problem: TrainingProblem, layout: CompressedRatings, request: FactorizationRequest, settings: ALSSettings) {
        self.layout = layout
        self.settings = settings
        k = request.k
        mean = Float(problem.mean / layout.scale)
        validation = HeldOutSet(problem.validation, offset: 0, scale: layout.scale)
        lambda = settings.regularization * problem.centredShare
        let initScale = settings.initScale * problem.centredShare.squareRoot()
        warmStart = request.warmStart
        world = request.world
        factors = BiasedFactors(rows: layout.rows, cols: layout.cols, k: request.k)
        scratch = ScratchPool { [k = request.k] in NormalEquations(size: k + 1) }
        var random = SplitMix64(seed: request.seed, stream: "als-init")
        factors.w.fillGaussian(scale: initScale, using: &random)
        factors.h.fillGaussian(scale: initScale, using: &random)
        if let warmStart { factors.begin(from: warmStart, scale: layout.scale, mean: problem.mean) }
    }

    var startsFromModel: Bool { warmStart != nil }

    func trainEpoch(_ epoch: Int, threads: Int, cancellation: Cancellation) -> EpochResult {
        if !rowsDone {
            _ = solve(rowSide: true, threads: threads)
            rowsDone = true
            if world == nil && cancellation.isCancelled { return .interrupted }
        }
        let squaredError = solve(rowSide: false, threads: threads)
        rowsDone = false
        return .measured(squaredError * layout.scale * layout.scale)
    }

    /// Solves every row (or column) with the other side fixed; returns the squared error
    /// of the training entries afterwards (on the unit-RMS scale).
    private func solve(rowSide: Bool, threads: Int) -> Double {
        let lines = layout.lines(byRow: rowSide)
        let (own, other) = rowSide ? (factors.w, factors.h) : (factors.h, factors.w)
        let (ownBias, otherBias) = rowSide ? (factors.rowBias, factors.colBias) : (factors.colBias, factors.rowBias)
        let (k, mean) = (self.k, self.mean)
        let (lambda, lambdaBias, cgSteps) = (Float(self.lambda), Float(settings.biasRegularization), settings.cgSteps)
        let slices = LineSlices(lines)
        func solveSlice(_ task: Int) -> Double {
            scratch.borrow { scratch in
                var squaredError = 0.0
                for line in slices.lines(task) {
                    let entries = lines.range(line)
                    let target = own.row(line)
                    guard !entries.isEmpty else {
                        for factor in 0..<k { target[factor] = 0 }
                        ownBias[line] = 0
                        continue
                    }
                    scratch.reserve(entries.count)
                    mfk_gather_design(lines.index.baseAddress! + entries.lowerBound, lines.value.baseAddress! + entries.lowerBound,
                                      entries.count, other.base, other.stride, Int32(k), otherBias, mean, scratch.x, scratch.stride, scratch.y)
                    let count = Float(entries.count)
                    let ridge = { (t: Int) in t < k ? lambda * count : lambdaBias * count }
                    let theta = cgSteps == 0 ? scratch.solve(count: entries.count, ridge: ridge)
                        : scratch.refine(count: entries.count, ridge: ridge, steps: cgSteps, from: { $0 < k ? target[$0] : ownBias[line] })
                    for factor in 0..<k { target[factor] = theta[factor] }
                    ownBias[line] = theta[k]
                    if !rowSide { squaredError += scratch.residualSquares(count: entries.count) }
                }
                return squaredError
            }
        }
        guard let world, world.size > 1 else {
            return ParallelWork.sum(slices.count, threads: threads, order: slices.heaviestFirst, solveSlice)
        }
        return world.sum(slices.count, weights: slices.weights, threads: threads, balance: rowSide ? rowBalance : columnBalance, regions: { share in
            let lines = slices.lines(of: share)
            return [floatBytes(own.row(lines.lowerBound), lines.count * own.stride), floatBytes(ownBias + lines.lowerBound, lines.count)]
        }, solveSlice)
    }

    func validationRMSE(threads: Int) -> Double {
        factors.withPredictionColumnBiases(mean: mean) { colBias in
            validation.rmse(w: factors.w, h: factors.h, rowBias: factors.rowBias, colBias: colBias, threads: threads, world: world)
        }
    }

    func penalty() -> Double {
        let scale = layout.scale * layout.scale
        return scale * factors.weightedPenalty(rowCounts: layout.byRow, colCounts: layout.byColumn,
                                               lambda: lambda, lambdaBias: settings.biasRegularization)
    }

    func save(to checkpoint: inout Checkpoint) {
        saveFactors(to: &checkpoint)
        checkpoint.arrays["als.rows_done"] = .integers([rowsDone ? 1 : 0])
    }

    func restore(from checkpoint: Checkpoint) throws {
        try restoreFactors(from: checkpoint)
        rowsDone = try checkpoint.integer("als.rows_done") != 0
    }

    func model(info: TrainingInfo) -> FactorModel {
        factors.model(info: info, scale: layout.scale, mean: Double(mean) * layout.scale)
    }
}
