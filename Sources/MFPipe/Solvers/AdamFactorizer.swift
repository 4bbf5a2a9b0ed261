import Foundation

/// The reference method: full-batch gradient descent with Adam on the Frobenius objective
/// Σ_observed (r_ij − W_i · H_j)² + λ(‖W‖² + ‖H‖²), in double precision.
///
/// Slow but simple and deterministic; it checks the other solvers and reconstructs small
/// dense matrices to near machine precision. The step size decays geometrically each
/// iteration, so that Adam settles instead of hovering at the minimum. It stops when the
/// objective's relative improvement over 10 iterations falls below `tolerance`, or after
/// `epochs` iterations.
public enum AdamFactorizer: Factorizer {
    public static let name = "adam"

    private static let beta1 = 0.9
    private static let beta2 = 0.999
    private static let epsilon = 1e-12

    public static func train(
        _ problem: TrainingProblem, settings: TrainingSettings, cancellation: Cancellation,
        progress: (Int, Int, String) -> Void
    ) throws -> FactorModel {
        let started = Date()
        let k = settings.k
        var random = SplitMix64(seed: settings.seed, stream: "adam")
        var parameters = (0..<(problem.rows + problem.cols) * k).map { _ in random.nextGaussian() * settings.initScale }
        let hOffset = problem.rows * k
        var gradient = [Double](repeating: 0, count: parameters.count)
        var firstMoment = gradient
        var secondMoment = gradient
        let train = problem.train
        var curve: [(trainRMSE: Double, validationRMSE: Double)] = []
        var history: [Double] = []
        var converged = false
        var iteration = 0
        var learningRate = settings.learningRate
        var objective = Double.infinity
        while iteration < settings.epochs {
            if iteration % 100 == 0 { try cancellation.check() }
            iteration += 1
            for index in gradient.indices { gradient[index] = 2 * settings.regularization * parameters[index] }
            var squaredError = 0.0
            parameters.withUnsafeBufferPointer { x in
                gradient.withUnsafeMutableBufferPointer { g in
                    for entry in 0..<train.count {
                        let (wRow, hCol) = (Int(train.rows[entry]) * k, hOffset + Int(train.cols[entry]) * k)
                        let error = Double(train.values[entry]) - dot(x, wRow, hCol, k)
                        squaredError += error * error
                        for factor in 0..<k {
                            g[wRow + factor] -= 2 * error * x[hCol + factor]
                            g[hCol + factor] -= 2 * error * x[wRow + factor]
                        }
                    }
                }
            }
            var penalty = 0.0
            if settings.regularization > 0 { for value in parameters { penalty += value * value } }
            objective = squaredError + settings.regularization * penalty
            guard objective.isFinite else {
                throw SolverDivergence(epoch: iteration, advice: "lower learning_rate (now \(JSONWriter.number(settings.learningRate)))")
            }
            let correction1 = 1 - pow(beta1, Double(iteration))
            let correction2 = 1 - pow(beta2, Double(iteration))
            for index in parameters.indices {
                firstMoment[index] = beta1 * firstMoment[index] + (1 - beta1) * gradient[index]
                secondMoment[index] = beta2 * secondMoment[index] + (1 - beta2) * gradient[index] * gradient[index]
                let step = (firstMoment[index] / correction1) / ((secondMoment[index] / correction2).squareRoot() + epsilon)
                parameters[index] -= learningRate * step
            }
            learningRate *= settings.learningRateDecay
            let trainRMSE = (squaredError / Double(max(train.count, 1))).squareRoot()
            let validationRMSE = rmse(problem.validation, parameters, k: k, hOffset: hOffset)
            curve.append((trainRMSE, validationRMSE))
            if iteration % 50 == 0 || iteration == settings.epochs {
                progress(iteration, settings.epochs, String(format: "objective %.3e", objective))
            }
            history.append(objective)
            if history.count > 10 {
                let earlier = history[history.count - 11]
                if objective == 0 || (earlier - objective) <= settings.tolerance * earlier {
                    converged = true
                    break
                }
            }
        }
        let info = TrainingInfo(
            algorithm: name, hyperparameters: settings.json, seed: settings.seed, iterations: iteration, converged: converged,
            objective: objective, seconds: Date().timeIntervalSince(started), bestIteration: iteration, curve: curve)
        return FactorModel(
            k: k, rows: problem.rows, cols: problem.cols,
            w: parameters[0..<hOffset].map { Float($0) },
            h: (0..<k * problem.cols).map { Float(parameters[hOffset + ($0 % problem.cols) * k + $0 / problem.cols]) },
            rowBias: [], colBias: [], info: info)
    }

    /// W_i · H_j, with W_i at `wRow` and H_j at `hCol` in the parameter vector.
    @inline(__always)
    private static func dot(_ x: UnsafeBufferPointer<Double>, _ wRow: Int, _ hCol: Int, _ k: Int) -> Double {
        var sum = 0.0
        for factor in 0..<k { sum += x[wRow + factor] * x[hCol + factor] }
        return sum
    }

    private static func rmse(_ table: RatingTable, _ parameters: [Double], k: Int, hOffset: Int) -> Double {
        guard table.count > 0 else { return .nan }
        return parameters.withUnsafeBufferPointer { x in
            var sum = 0.0
            for entry in 0..<table.count {
                let error = Double(table.values[entry]) - dot(x, Int(table.rows[entry]) * k, hOffset + Int(table.cols[entry]) * k, k)
                sum += error * error
            }
            return (sum / Double(table.count)).squareRoot()
        }
    }
}
