import Foundation

/// The reference method: full-batch gradient descent with Adam on the Frobenius objective
/// Σ_observed (r_ij − W_i · H_j)² + λ(‖W‖² + ‖H‖²), in double precision.
///
/// Values are divided by their root mean square first, as every solver does, so that the
/// step size, the initial scale and λ mean the same on any scale (Adam's steps are absolute:
/// on ratings a million times larger the factors barely moved from their start, on ones a
/// million times smaller 17,000 iterations ended far from the data).
///
/// Slow but simple and deterministic; it checks the other solvers and reconstructs small
/// dense matrices to near machine precision. The step size decays geometrically each
/// iteration, so that Adam settles instead of hovering at the minimum. It stops when the
/// objective's relative improvement over 10 iterations falls below `tolerance`, or after
/// `epochs` iterations.
public enum AdamFactorizer: Factorizer {
    public static let name = "adam"
    public static let summary = "full-batch gradient descent with Adam on the Frobenius loss, in double precision: the reference"

    public static let params: [ParamSpec] = [
        FactorizerParams.epochs(20000, unit: "iterations"),
        ParamSpec("learning_rate", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: true), default: .number(0.01), "Adam's step size"),
        ParamSpec("learning_rate_decay", .number(minimum: 0, maximum: 1, exclusiveMinimum: true), default: .number(0.9997),
                  "factor applied to the step size after each iteration"),
        FactorizerParams.regularization(0, "lambda in lambda (|W|^2 + |H|^2), on the unit-RMS scale"),
        FactorizerParams.initScale(0.05, "on the unit-RMS scale"),
        FactorizerParams.tolerance(1e-9, window: 10),
        FactorizerParams.patience(10, unit: "iterations"),
    ]

    public static func solver(for problem: TrainingProblem, request: FactorizationRequest, threads: Int) throws -> IterativeSolver {
        AdamSolver(problem: problem, train: try problem.entries.table(), request: request, settings: AdamSettings(request.params))
    }

    public static func loopSettings(_ request: FactorizationRequest) -> TrainingLoop.Settings {
        let settings = AdamSettings(request.params)
        var loop = TrainingLoop.Settings(
            epochs: settings.epochs, patience: settings.patience, tolerance: settings.tolerance,
            divergenceAdvice: "lower learning_rate (now \(JSONWriter.number(settings.learningRate)))")
        loop.toleranceWindow = 10
        loop.progressEvery = 50
        return loop
    }
}

/// Adam's own settings, read from the parameters `AdamFactorizer.params` declares.
struct AdamSettings {
    let epochs: Int
    let learningRate: Double
    let learningRateDecay: Double
    let regularization: Double
    let initScale: Double
    let tolerance: Double
    let patience: Int

    init(_ params: StageParams) {
        epochs = params.int("epochs")
        learningRate = params.double("learning_rate")
        learningRateDecay = params.double("learning_rate_decay")
        regularization = params.double("regularization")
        initScale = params.double("init_scale")
        tolerance = params.double("tolerance")
        patience = params.int("patience")
    }
}

/// The state of one Adam run: W then H (n x k, each column's factors contiguous) in one
/// vector, on the unit-RMS scale.
final class AdamSolver: IterativeSolver {
    private static let beta1 = 0.9
    private static let beta2 = 0.999
    private static let epsilon = 1e-12

    private let problem: TrainingProblem
    private let train: RatingTable
    private let settings: AdamSettings
    private let k: Int
    private let hOffset: Int
    /// What the values are divided by: their root mean square.
    private let scale: Double
    private var parameters: [Double]
    private var gradient: [Double]
    private var firstMoment: [Double]
    private var secondMoment: [Double]
    private var best: [Double]?

    init(problem: TrainingProblem, train: RatingTable, request: FactorizationRequest, settings: AdamSettings) {
        self.problem = problem
        self.train = train
        self.settings = settings
        k = request.k
        hOffset = problem.rows * k
        scale = problem.rootMeanSquare
        var random = SplitMix64(seed: request.seed, stream: "adam")
        parameters = (0..<(problem.rows + problem.cols) * k).map { _ in random.nextGaussian() * settings.initScale }
        gradient = [Double](repeating: 0, count: parameters.count)
        firstMoment = gradient
        secondMoment = gradient
    }

    func trainEpoch(_ iteration: Int, threads: Int, cancellation: Cancellation) -> EpochResult {
        let train = self.train
        let (k, hOffset, regularization, scale) = (self.k, self.hOffset, settings.regularization, self.scale)
        for index in gradient.indices { gradient[index] = 2 * regularization * parameters[index] }
        var squaredError = 0.0
        parameters.withUnsafeBufferPointer { x in
            gradient.withUnsafeMutableBufferPointer { g in
                for entry in 0..<train.count {
                    let (wRow, hCol) = (Int(train.rows[entry]) * k, hOffset + Int(train.cols[entry]) * k)
                    let error = Double(train.values[entry]) / scale - Self.dot(x, wRow, hCol, k)
                    squaredError += error * error
                    for factor in 0..<k {
                        g[wRow + factor] -= 2 * error * x[hCol + factor]
                        g[hCol + factor] -= 2 * error * x[wRow + factor]
                    }
                }
            }
        }
        let learningRate = settings.learningRate * pow(settings.learningRateDecay, Double(iteration - 1))
        let correction1 = 1 - pow(Self.beta1, Double(iteration))
        let correction2 = 1 - pow(Self.beta2, Double(iteration))
        for index in parameters.indices {
            firstMoment[index] = Self.beta1 * firstMoment[index] + (1 - Self.beta1) * gradient[index]
            secondMoment[index] = Self.beta2 * secondMoment[index] + (1 - Self.beta2) * gradient[index] * gradient[index]
            let step = (firstMoment[index] / correction1) / ((secondMoment[index] / correction2).squareRoot() + Self.epsilon)
            parameters[index] -= learningRate * step
        }
        return .measured(squaredError * scale * scale)
    }

    /// W_i · H_j, with W_i at `wRow` and H_j at `hCol` in the parameter vector.
    @inline(__always)
    private static func dot(_ x: UnsafeBufferPointer<Double>, _ wRow: Int, _ hCol: Int, _ k: Int) -> Double {
        var sum = 0.0
        for factor in 0..<k { sum += x[wRow + factor] * x[hCol + factor] }
        return sum
    }

    func validationRMSE(threads: Int) -> Double {
        let table = problem.validation
        guard table.count > 0 else { return .nan }
        return parameters.withUnsafeBufferPointer { x in
            var sum = 0.0
            for entry in 0..<table.count {
                let error = Double(table.values[entry]) / scale - Self.dot(x, Int(table.rows[entry]) * k, hOffset + Int(table.cols[entry]) * k, k)
                sum += error * error
            }
            return (sum / Double(table.count)).squareRoot() * scale
        }
    }

    func penalty() -> Double {
        guard settings.regularization > 0 else { return 0 }
        return settings.regularization * parameters.reduce(0) { $0 + $1 * $1 } * scale * scale
    }

    func keepBest() { best = parameters }

    func restoreBest() {
        if let best { parameters = best }
    }

    func save(to checkpoint: inout Checkpoint) {
        checkpoint.arrays["adam.parameters"] = .doubles(parameters)
        checkpoint.arrays["adam.first_moment"] = .doubles(firstMoment)
        checkpoint.arrays["adam.second_moment"] = .doubles(secondMoment)
        if let best { checkpoint.arrays["adam.best"] = .doubles(best) }
    }

    func restore(from checkpoint: Checkpoint) throws {
        let restored = try ["adam.parameters", "adam.first_moment", "adam.second_moment"].map { try checkpoint.doubles($0) }
        for values in restored where values.count != parameters.count {
            throw CheckpointError.shape("adam state", parameters.count, values.count)
        }
        (parameters, firstMoment, secondMoment) = (restored[0], restored[1], restored[2])
        best = checkpoint.arrays["adam.best"] != nil ? try checkpoint.doubles("adam.best") : nil
    }

    /// The model on the data's scale: W and H each times √scale.
    func model(info: TrainingInfo) -> FactorModel {
        let root = scale.squareRoot()
        return FactorModel(
            k: k, rows: problem.rows, cols: problem.cols,
            w: parameters[0..<hOffset].map { Float($0 * root) },
            h: (0..<k * problem.cols).map { Float(parameters[hOffset + ($0 % problem.cols) * k + $0 / problem.cols] * root) },
            rowBias: [], colBias: [], info: info)
    }
}
