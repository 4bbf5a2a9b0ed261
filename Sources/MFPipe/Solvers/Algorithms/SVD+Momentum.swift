import Foundation

/// Nesterov's momentum for svd's imputation rounds: accelerated hard-impute, as Yao and
/// Kwok (2015) accelerate soft-impute, with the adaptive restart of O'Donoghue and Candès
/// (2015).
///
/// Hard-impute moves slowly when most entries are missing: each round corrects the filled
/// values by a small part of what they lack. With momentum, a round fills them from
/// Y = M_r + β (M_r − M_{r−1}) rather than from the last model M_r, with β = (t − 1) / (t + 2)
/// after t rounds since the last restart; a round whose model's training error rose
/// restarts the count (β = 0 for the next round). Y is held as factors of rank 2k,
/// [(1 + β) W_r, −β W_{r−1}] and [H_r, H_{r−1}], so the filled matrix is still never formed.
final class ImputationMomentum {
    /// M_{r−1}: the model the round before the last ended with.
    private let previous: (w: FactorMatrix, h: FactorMatrix)
    /// Y, rank 2k.
    private let extrapolated: (w: FactorMatrix, h: FactorMatrix)
    /// Rounds since the last restart (0 before the first round that fills entries).
    private var step = 0
    /// The training squared errors of M_{r−1} and M_r.
    private var errors: (previous: Double, last: Double) = (.infinity, .infinity)

    /// Momentum for models of rank `k` of a `rows` x `cols` matrix.
    init(rows: Int, cols: Int, k: Int) {
        previous = (FactorMatrix(rows: rows, k: k), FactorMatrix(rows: cols, k: k))
        extrapolated = (FactorMatrix(rows: rows, k: 2 * k), FactorMatrix(rows: cols, k: 2 * k))
    }

    /// Takes the training squared error of the model a round ended with.
    func ended(squaredError: Double) {
        errors = (errors.last, squaredError)
    }

    /// The model to fill the missing entries from in the next round, given the last one,
    /// W = `w` and H = `h` (m x k, n x k): Y, or the last model itself when β is 0. The last
    /// model becomes M_{r−1} of the round after.
    func fillingModel(w: FactorMatrix, h: FactorMatrix) -> (w: FactorMatrix, h: FactorMatrix) {
        step = errors.last > errors.previous ? 1 : step + 1
        let beta = Float(step - 1) / Float(step + 2)
        defer {
            previous.w.assign(from: w)
            previous.h.assign(from: h)
        }
        guard beta > 0 else { return (w, h) }
        let k = w.k
        for row in 0..<w.rows {
            let (last, before, target) = (w.row(row), previous.w.row(row), extrapolated.w.row(row))
            for component in 0..<k {
                target[component] = (1 + beta) * last[component]
                target[k + component] = -beta * before[component]
            }
        }
        for col in 0..<h.rows {
            let (last, before, target) = (h.row(col), previous.h.row(col), extrapolated.h.row(col))
            for component in 0..<k {
                target[component] = last[component]
                target[k + component] = before[component]
            }
        }
        return extrapolated
    }

    /// Adds M_{r−1}, the count and the errors to `checkpoint`.
    func save(to checkpoint: inout Checkpoint) {
        checkpoint.arrays["svd.momentum.w"] = .floats(previous.w.padded)
        checkpoint.arrays["svd.momentum.h"] = .floats(previous.h.padded)
        checkpoint.arrays["svd.momentum.step"] = .integers([Int64(step)])
        checkpoint.arrays["svd.momentum.errors"] = .doubles([errors.previous, errors.last])
    }

    /// Restores what `save` wrote.
    func restore(from checkpoint: Checkpoint) throws {
        try previous.w.load(padded: checkpoint.floats("svd.momentum.w"))
        try previous.h.load(padded: checkpoint.floats("svd.momentum.h"))
        step = try checkpoint.integer("svd.momentum.step")
        let saved = try checkpoint.doubles("svd.momentum.errors")
        guard saved.count == 2 else { throw CheckpointError.damaged("svd.momentum.errors holds \(saved.count) values; expected 2") }
        errors = (saved[0], saved[1])
    }
}
