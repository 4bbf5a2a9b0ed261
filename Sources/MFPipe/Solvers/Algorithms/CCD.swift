import CMFKernels
import Foundation

/// Biased matrix factorization by CCD++: cyclic coordinate descent over rank-one
/// components (Yu, Hsieh, Si and Dhillon 2012), with weighted-λ regularization as `als`.
///
/// Minimises the same objective as `als`: Σ (r − offset − μ − b_i − c_j − W_i · H_j)² +
/// λ n_i ‖W_i‖² + λ n_j ‖H_j‖² + λ_b (n_i b_i² + n_j c_j²), on values divided by their root
/// mean square. Each iteration updates the row biases, the column biases, then each
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
        FactorizerParams.regularization(0.05, "a row (column) with n training ratings pays this x n, on the unit-RMS scale (weighted-λ)"),
        FactorizerParams.biasRegularization(0.05, "per rating, on the unit-RMS scale"),
        FactorizerParams.initScale(0.1, "on the unit-RMS scale; the row factors start at zero"),
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

/// The state of one CCD++ run on the layout's unit-RMS, centred scale. Between iterations
/// the factors live in `factors` (row-major: what checkpoints and scoring read); during
/// one, component t is copied into two contiguous vectors, updated, and copied back.
final class CCDSolver: IterativeSolver {
    private let layout: CompressedRatings
    private let settings: CCDSettings
    private let k: Int
    private let mean: Float
    private let validation: HeldOutSet
    private let warmStart: WarmStart?
    private let factors: BiasedFactors
    private var best: BiasedFactors?
    /// The residual of each entry, in the layout's row order and in its column order.
    private let rowResidual: UnsafeMutableBufferPointer<Float>
    private let colResidual: UnsafeMutableBufferPointer<Float>
    /// Component t's row values (m), column values (n), and the row values before the
    /// update (or a row bias's change).
    private let w: UnsafeMutableBufferPointer<Float>
    private let h: UnsafeMutableBufferPointer<Float>
    private let previous: UnsafeMutableBufferPointer<Float>
    private let rowSlices: LineSlices
    private let colSlices: LineSlices

    init(problem: TrainingProblem, layout: CompressedRatings, request: FactorizationRequest, settings: CCDSettings) {
        self.layout = layout
        self.settings = settings
        k = request.k
        mean = Float(problem.mean / layout.scale)
        validation = HeldOutSet(problem.validation, offset: problem.mean, scale: layout.scale)
        warmStart = request.warmStart
        factors = BiasedFactors(rows: layout.rows, cols: layout.cols, k: request.k)
        var random = SplitMix64(seed: request.seed, stream: "ccd-init")
        factors.h.fillGaussian(scale: settings.initScale, using: &random)
        if let warmStart { factors.begin(from: warmStart, scale: layout.scale, mean: problem.mean) }
        let entries = max(layout.byRow.entries, 1)
        rowResidual = .allocate(capacity: entries)
        colResidual = .allocate(capacity: entries)
        w = .allocate(capacity: max(layout.rows, 1))
        previous = .allocate(capacity: max(layout.rows, layout.cols, 1))
        h = .allocate(capacity: max(layout.cols, 1))
        rowSlices = LineSlices(layout.byRow)
        colSlices = LineSlices(layout.byColumn)
    }

    deinit {
        rowResidual.deallocate()
        colResidual.deallocate()
        w.deallocate()
        previous.deallocate()
        h.deallocate()
    }

    var startsFromModel: Bool { warmStart != nil }

    /// Calls `body(line, entries, residual)` for every row (or column), in parallel over
    /// the fixed slices.
    private func forEachLine(rowSide: Bool, threads: Int, _ body: (Int, Range<Int>, UnsafeMutableBufferPointer<Float>) -> Void) {
        let (lines, slices, residual) = rowSide ? (layout.byRow, rowSlices, rowResidual) : (layout.byColumn, colSlices, colResidual)
        ParallelWork.forEach(slices.count, threads: threads) { slice in
            for line in slices.lines(slice) { body(line, lines.range(line), residual) }
        }
    }

    func trainEpoch(_ epoch: Int, threads: Int, cancellation: Cancellation) -> Double? {
        let start = factors.copy()
        recomputeResiduals(threads: threads)
        updateBiases(rowSide: true, threads: threads)
        updateBiases(rowSide: false, threads: threads)
        for component in 0..<k {
            if cancellation.isCancelled {
                factors.assign(from: start)
                return nil
            }
            updateComponent(component, threads: threads)
        }
        let squares = ParallelWork.sum(rowSlices.count, threads: threads) { slice in
            let lines = rowSlices.lines(slice)
            var sum = 0.0
            for entry in layout.byRow.start[lines.lowerBound]..<layout.byRow.start[lines.upperBound] {
                sum += Double(rowResidual[entry]) * Double(rowResidual[entry])
            }
            return sum
        }
        return squares * layout.scale * layout.scale
    }

    /// Sets both residual copies from the factors: r − μ − b_i − c_j − W_i · H_j.
    private func recomputeResiduals(threads: Int) {
        for rowSide in [true, false] {
            let lines = layout.lines(byRow: rowSide)
            let (own, other) = rowSide ? (factors.w, factors.h) : (factors.h, factors.w)
            let (ownBias, otherBias) = rowSide ? (factors.rowBias, factors.colBias) : (factors.colBias, factors.rowBias)
            forEachLine(rowSide: rowSide, threads: threads) { line, entries, residual in
                guard !entries.isEmpty else { return }
                _ = mfk_line_residuals(lines.index.baseAddress! + entries.lowerBound, lines.value.baseAddress! + entries.lowerBound,
                                       entries.count, own.row(line), other.base, other.stride, ownBias[line], otherBias, mean,
                                       residual.baseAddress! + entries.lowerBound)
            }
        }
    }

    /// Refits the row (or column) biases exactly with everything else fixed, then brings
    /// the other side's residual copy up to date with each bias's change.
    private func updateBiases(rowSide: Bool, threads: Int) {
        let bias = rowSide ? factors.rowBias : factors.colBias
        let change = previous
        let divisor = 1 + settings.biasRegularization
        forEachLine(rowSide: rowSide, threads: threads) { line, entries, residual in
            guard !entries.isEmpty else {
                change[line] = 0
                return
            }
            var sum = Double(bias[line]) * Double(entries.count)
            for entry in entries { sum += Double(residual[entry]) }
            let updated = Float(sum / (Double(entries.count) * divisor))
            change[line] = updated - bias[line]
            bias[line] = updated
            for entry in entries { residual[entry] -= change[line] }
        }
        let other = layout.lines(byRow: !rowSide)
        forEachLine(rowSide: !rowSide, threads: threads) { _, entries, residual in
            for entry in entries { residual[entry] -= change[Int(other.index[entry])] }
        }
    }

    /// One pass of CCD++ over component `component`: add it back to the residual, update
    /// its row and column values `inner_iterations` times, take it out again.
    private func updateComponent(_ component: Int, threads: Int) {
        let (rows, cols) = (layout.rows, layout.cols)
        for row in 0..<rows { w[row] = factors.w.row(row)[component] }
        for col in 0..<cols { h[col] = factors.h.row(col)[component] }
        previous.baseAddress!.update(from: w.baseAddress!, count: rows)
        let lambda = Float(settings.regularization)
        let (byRow, byColumn) = (layout.byRow, layout.byColumn)
        let (w, h, previous) = (self.w, self.h, self.previous)
        let inner = settings.innerIterations
        for iteration in 0..<inner {
            forEachLine(rowSide: true, threads: threads) { row, entries, residual in
                guard !entries.isEmpty else {
                    w[row] = 0
                    return
                }
                var (numerator, denominator) = (Float(0), lambda * Float(entries.count))
                if iteration == 0 {
                    let old = w[row]
                    for entry in entries {
                        let value = h[Int(byRow.index[entry])]
                        let restored = residual[entry] + old * value
                        residual[entry] = restored
                        numerator += restored * value
                        denominator += value * value
                    }
                } else {
                    for entry in entries {
                        let value = h[Int(byRow.index[entry])]
                        numerator += residual[entry] * value
                        denominator += value * value
                    }
                }
                w[row] = denominator > 0 ? numerator / denominator : 0
            }
            let last = iteration == inner - 1
            forEachLine(rowSide: false, threads: threads) { col, entries, residual in
                guard !entries.isEmpty else {
                    h[col] = 0
                    return
                }
                var (numerator, denominator) = (Float(0), lambda * Float(entries.count))
                if iteration == 0 {
                    let old = h[col]
                    for entry in entries {
                        let row = Int(byColumn.index[entry])
                        let restored = residual[entry] + previous[row] * old
                        residual[entry] = restored
                        numerator += restored * w[row]
                        denominator += w[row] * w[row]
                    }
                } else {
                    for entry in entries {
                        let value = w[Int(byColumn.index[entry])]
                        numerator += residual[entry] * value
                        denominator += value * value
                    }
                }
                let updated = denominator > 0 ? numerator / denominator : 0
                h[col] = updated
                if last {
                    for entry in entries { residual[entry] -= w[Int(byColumn.index[entry])] * updated }
                }
            }
        }
        forEachLine(rowSide: true, threads: threads) { row, entries, residual in
            let value = w[row]
            for entry in entries { residual[entry] -= value * h[Int(byRow.index[entry])] }
        }
        for row in 0..<rows { factors.w.row(row)[component] = w[row] }
        for col in 0..<cols { factors.h.row(col)[component] = h[col] }
    }

    func validationRMSE(threads: Int) -> Double {
        factors.withPredictionColumnBiases(mean: mean) { colBias in
            validation.rmse(w: factors.w, h: factors.h, rowBias: factors.rowBias, colBias: colBias, threads: threads)
        }
    }

    func penalty() -> Double {
        layout.scale * layout.scale * factors.weightedPenalty(rowCounts: layout.byRow, colCounts: layout.byColumn,
                                                              lambda: settings.regularization, lambdaBias: settings.biasRegularization)
    }

    func keepBest() {
        if let best { best.assign(from: factors) } else { best = factors.copy() }
    }

    func restoreBest() {
        if let best { factors.assign(from: best) }
    }

    func save(to checkpoint: inout Checkpoint) {
        factors.save(to: &checkpoint, prefix: "ccd")
        best?.save(to: &checkpoint, prefix: "ccd.best")
    }

    func restore(from checkpoint: Checkpoint) throws {
        try factors.restore(from: checkpoint, prefix: "ccd")
        best = try factors.restoredCopy(from: checkpoint, prefix: "ccd.best")
    }

    func model(info: TrainingInfo) -> FactorModel {
        factors.model(info: info, scale: layout.scale, mean: Double(mean) * layout.scale)
    }
}
