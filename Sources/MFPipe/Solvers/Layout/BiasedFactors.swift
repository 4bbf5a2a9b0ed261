import Foundation

/// W, H and the row and column biases of a solver that numbers rows and columns as the
/// problem does (ALS, CCD++), on the solver's own scale: values divided by `scale`, the
/// training mean held apart.
final class BiasedFactors {
    /// Row factors, m x k.
    let w: FactorMatrix
    /// Column factors, n x k (each column's factors contiguous).
    let h: FactorMatrix
    /// Row biases.
    let rowBias: UnsafeMutablePointer<Float>
    /// Column biases.
    let colBias: UnsafeMutablePointer<Float>

    /// Zero factors and biases.
    init(rows: Int, cols: Int, k: Int) {
        w = FactorMatrix(rows: rows, k: k)
        h = FactorMatrix(rows: cols, k: k)
        rowBias = .allocate(capacity: max(rows, 1))
        rowBias.initialize(repeating: 0, count: max(rows, 1))
        colBias = .allocate(capacity: max(cols, 1))
        colBias.initialize(repeating: 0, count: max(cols, 1))
    }

    deinit {
        rowBias.deallocate()
        colBias.deallocate()
    }

    /// A copy with storage of its own.
    func copy() -> BiasedFactors {
        let copy = BiasedFactors(rows: w.rows, cols: h.rows, k: w.k)
        copy.assign(from: self)
        return copy
    }

    /// Takes every value of `other`, which has the same shape.
    func assign(from other: BiasedFactors) {
        w.assign(from: other.w)
        h.assign(from: other.h)
        rowBias.update(from: other.rowBias, count: w.rows)
        colBias.update(from: other.colBias, count: h.rows)
    }

    /// Replaces the factors and biases of the rows and columns `start` knows, brought to
    /// the solver's scale: factors / √scale, biases / scale (the training mean, on the
    /// original scale, leaving the column biases).
    func begin(from start: WarmStart, scale: Double, mean: Double) {
        let (k, factorScale) = (w.k, Float(1 / scale.squareRoot()))
        for row in 0..<w.rows where start.rowKnown[row] {
            let target = w.row(row)
            for factor in 0..<k { target[factor] = start.w[row * k + factor] * factorScale }
            rowBias[row] = Float(Double(start.rowBias[row]) / scale)
        }
        for col in 0..<h.rows where start.colKnown[col] {
            let target = h.row(col)
            for factor in 0..<k { target[factor] = start.columnFactors[col * k + factor] * factorScale }
            colBias[col] = Float((Double(start.colBias[col]) - mean) / scale)
        }
    }

    /// λ Σ_i n_i ‖W_i‖² + λ Σ_j n_j ‖H_j‖² + λ_b (Σ_i n_i b_i² + Σ_j n_j c_j²), with each
    /// line's count read from `rowCounts` and `colCounts`.
    func weightedPenalty(rowCounts: SparseLines, colCounts: SparseLines, lambda: Double, lambdaBias: Double) -> Double {
        var total = 0.0
        for (matrix, lines, bias) in [(w, rowCounts, rowBias), (h, colCounts, colBias)] {
            for index in 0..<matrix.rows {
                let count = Double(lines.range(index).count)
                guard count > 0 else { continue }
                let row = matrix.row(index)
                var squares = 0.0
                for factor in 0..<matrix.k { squares += Double(row[factor]) * Double(row[factor]) }
                total += count * (lambda * squares + lambdaBias * Double(bias[index]) * Double(bias[index]))
            }
        }
        return total
    }

    /// Calls `body` with the column biases plus `mean`: the biases a prediction adds.
    func withPredictionColumnBiases<T>(mean: Float, _ body: (UnsafePointer<Float>) -> T) -> T {
        let shifted = UnsafeMutablePointer<Float>.allocate(capacity: max(h.rows, 1))
        defer { shifted.deallocate() }
        for col in 0..<h.rows { shifted[col] = colBias[col] + mean }
        return body(shifted)
    }

    /// A copy holding what `save` wrote under `prefix`, or nil when the checkpoint has none.
    func restoredCopy(from checkpoint: Checkpoint, prefix: String) throws -> BiasedFactors? {
        guard checkpoint.arrays["\(prefix).w"] != nil else { return nil }
        let copy = BiasedFactors(rows: w.rows, cols: h.rows, k: w.k)
        try copy.restore(from: checkpoint, prefix: prefix)
        return copy
    }

    /// Adds the factors and biases to `checkpoint` under `prefix`.
    func save(to checkpoint: inout Checkpoint, prefix: String) {
        checkpoint.arrays["\(prefix).w"] = .floats(w.padded)
        checkpoint.arrays["\(prefix).h"] = .floats(h.padded)
        checkpoint.arrays["\(prefix).biases"] = .floats(Array(UnsafeBufferPointer(start: rowBias, count: w.rows))
            + Array(UnsafeBufferPointer(start: colBias, count: h.rows)))
    }

    /// Restores what `save` wrote under `prefix`.
    func restore(from checkpoint: Checkpoint, prefix: String) throws {
        let biases = try checkpoint.floats("\(prefix).biases")
        guard biases.count == w.rows + h.rows else { throw CheckpointError.shape("\(prefix).biases", w.rows + h.rows, biases.count) }
        try w.load(padded: checkpoint.floats("\(prefix).w"))
        try h.load(padded: checkpoint.floats("\(prefix).h"))
        rowBias.update(from: biases, count: w.rows)
        colBias.update(from: Array(biases[w.rows...]), count: h.rows)
    }

    /// The factors as a model on the original scale: W √scale, H √scale, biases × scale,
    /// `mean` (original scale) added to the column biases; without `biases`, a model that
    /// has none (NMF).
    func model(info: TrainingInfo, scale: Double, mean: Double, biases: Bool = true) -> FactorModel {
        let (k, rows, cols) = (w.k, w.rows, h.rows)
        let factorScale = Float(scale.squareRoot())
        var model = FactorModel(k: k, rows: rows, cols: cols, w: [Float](repeating: 0, count: rows * k),
                                h: [Float](repeating: 0, count: k * cols), rowBias: biases ? [Float](repeating: 0, count: rows) : [],
                                colBias: biases ? [Float](repeating: 0, count: cols) : [], info: info)
        for row in 0..<rows {
            let source = w.row(row)
            for factor in 0..<k { model.w[row * k + factor] = source[factor] * factorScale }
            if biases { model.rowBias[row] = Float(Double(rowBias[row]) * scale) }
        }
        for col in 0..<cols {
            let source = h.row(col)
            for factor in 0..<k { model.h[factor * cols + col] = source[factor] * factorScale }
            if biases { model.colBias[col] = Float(Double(colBias[col]) * scale + mean) }
        }
        return model
    }
}

extension BiasedFactors {
    /// rowWeight Σ ‖W_i‖² + colWeight Σ ‖H_j‖², in double with four running sums (one
    /// chain of dependent additions would cost a tenth of a small dense NMF iteration).
    func squaredNorm(rowWeight: Double, colWeight: Double) -> Double {
        var total = 0.0
        for (matrix, weight) in [(w, rowWeight), (h, colWeight)] {
            var squares = SIMD4<Double>()
            let whole = matrix.k / 4 * 4
            for row in 0..<matrix.rows {
                let values = matrix.row(row)
                for factor in stride(from: 0, to: whole, by: 4) {
                    let four = SIMD4<Double>(Double(values[factor]), Double(values[factor + 1]), Double(values[factor + 2]),
                                             Double(values[factor + 3]))
                    squares += four * four
                }
                for factor in whole..<matrix.k { squares[0] += Double(values[factor]) * Double(values[factor]) }
            }
            total += weight * squares.sum()
        }
        return total
    }
}

/// A solver whose state between epochs is one `BiasedFactors` (and the best epoch's
/// copy): keeping the best and checkpointing come with it.
protocol FactorsSolver: IterativeSolver {
    /// The current factors.
    var factors: BiasedFactors { get }
    /// The factors kept by `keepBest`.
    var best: BiasedFactors? { get set }
    /// The prefix of the solver's arrays in a checkpoint ("als").
    var checkpointPrefix: String { get }
}

extension FactorsSolver {
    func keepBest() {
        if let best { best.assign(from: factors) } else { best = factors.copy() }
    }

    func restoreBest() {
        if let best { factors.assign(from: best) }
    }

    func save(to checkpoint: inout Checkpoint) { saveFactors(to: &checkpoint) }

    func restore(from checkpoint: Checkpoint) throws { try restoreFactors(from: checkpoint) }

    /// Adds the factors and the best copy to `checkpoint`.
    func saveFactors(to checkpoint: inout Checkpoint) {
        factors.save(to: &checkpoint, prefix: checkpointPrefix)
        best?.save(to: &checkpoint, prefix: checkpointPrefix + ".best")
    }

    /// Restores what `saveFactors` wrote.
    func restoreFactors(from checkpoint: Checkpoint) throws {
        try factors.restore(from: checkpoint, prefix: checkpointPrefix)
        best = try factors.restoredCopy(from: checkpoint, prefix: checkpointPrefix + ".best")
    }
}
