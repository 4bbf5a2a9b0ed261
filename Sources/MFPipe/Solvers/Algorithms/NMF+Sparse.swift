import Foundation

/// NMF on the observed entries only: Σ over training entries of (a_ij − W_i · H_j)² +
/// λ n_i ‖W_i‖² + λ n_j ‖H_j‖². HALS is coordinate descent over the residual, component by component,
/// each value clipped at zero (`ComponentDescent`, as CCD++ without biases). MU multiplies
/// each row of W by (Σ_j a_ij H_j) / (Σ_j (W_i · H_j) H_j + λ n_i W_i), then each column of H
/// likewise, over the line's entries.
final class SparseNMFSolver: FactorsSolver {
    private let layout: CompressedRatings
    private let settings: NMFSettings
    private let k: Int
    private let validation: HeldOutSet
    let factors: BiasedFactors
    var best: BiasedFactors?
    let checkpointPrefix = "nmf"
    /// The residual by row and by column, for HALS (nil with MU).
    private let descent: ComponentDescent?
    /// Added to MU's denominators so that a zero factor stays zero without a division by zero.
    private static let epsilon: Float = 1e-12

    init(problem: TrainingProblem, layout: CompressedRatings, request: FactorizationRequest, settings: NMFSettings) {
        self.layout = layout
        self.settings = settings
        k = request.k
        validation = HeldOutSet(problem.validation, offset: 0, scale: layout.scale)
        factors = BiasedFactors(rows: layout.rows, cols: layout.cols, k: request.k)
        NMFFactorizer.initialize(factors, mean: problem.mean / layout.scale, seed: request.seed)
        descent = settings.multiplicative ? nil : ComponentDescent(layout: layout)
    }

    func trainEpoch(_ epoch: Int, threads: Int, cancellation: Cancellation) -> EpochResult {
        guard let descent else {
            multiply(rowSide: true, threads: threads)
            multiply(rowSide: false, threads: threads)
            return .measured(squaredError(threads: threads) * layout.scale * layout.scale)
        }
        let start = factors.copy()
        descent.recompute(factors, offset: 0, biases: false, threads: threads)
        for component in 0..<k {
            if cancellation.isCancelled {
                factors.assign(from: start)
                return .interrupted
            }
            descent.updateComponent(component, of: factors, inner: 1, penalty: .weighted(settings.regularization), nonNegative: true,
                                    threads: threads)
        }
        return .measured(descent.squaredError(threads: threads) * layout.scale * layout.scale)
    }

    /// One multiplicative update of every row (or column) over its entries.
    private func multiply(rowSide: Bool, threads: Int) {
        let lines = layout.lines(byRow: rowSide)
        let (own, other) = rowSide ? (factors.w, factors.h) : (factors.h, factors.w)
        let (k, lambda) = (self.k, Float(settings.regularization))
        let slices = LineSlices(lines)
        ParallelWork.forEach(slices.count, threads: threads) { slice in
            let sums = UnsafeMutablePointer<Float>.allocate(capacity: 2 * k)
            defer { sums.deallocate() }
            let (numerator, denominator) = (sums, sums + k)
            for line in slices.lines(slice) {
                let values = own.row(line)
                let penalty = lambda * Float(lines.range(line).count)
                numerator.initialize(repeating: 0, count: k)
                for t in 0..<k { denominator[t] = penalty * values[t] }
                for entry in lines.range(line) {
                    let partner = other.row(Int(lines.index[entry]))
                    var prediction: Float = 0
                    for t in 0..<k { prediction += values[t] * partner[t] }
                    let value = lines.value[entry]
                    for t in 0..<k {
                        numerator[t] += value * partner[t]
                        denominator[t] += prediction * partner[t]
                    }
                }
                for t in 0..<k { values[t] *= numerator[t] / (denominator[t] + Self.epsilon) }
            }
        }
    }

    /// Σ (a_ij − W_i · H_j)² over the training entries.
    private func squaredError(threads: Int) -> Double {
        let lines = layout.byRow
        let slices = LineSlices(lines)
        return ParallelWork.sum(slices.count, threads: threads) { slice in
            var sum = 0.0
            for line in slices.lines(slice) {
                let values = factors.w.row(line)
                for entry in lines.range(line) {
                    let partner = factors.h.row(Int(lines.index[entry]))
                    var prediction: Float = 0
                    for t in 0..<k { prediction += values[t] * partner[t] }
                    let error = Double(lines.value[entry]) - Double(prediction)
                    sum += error * error
                }
            }
            return sum
        }
    }

    func validationRMSE(threads: Int) -> Double {
        validation.rmse(w: factors.w, h: factors.h, rowBias: nil, colBias: nil, threads: threads)
    }

    func penalty() -> Double {
        layout.scale * layout.scale * factors.weightedPenalty(rowCounts: layout.byRow, colCounts: layout.byColumn,
                                                              lambda: settings.regularization, lambdaBias: 0)
    }

    func model(info: TrainingInfo) -> FactorModel {
        factors.model(info: info, scale: layout.scale, mean: 0, biases: false)
    }
}
