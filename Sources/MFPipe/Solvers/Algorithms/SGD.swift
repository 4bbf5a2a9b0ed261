import CMFKernels
import Foundation

/// Biased matrix factorization by parallel, blocked stochastic gradient descent with
/// per-row and per-column adaptive steps (Funk; Koren, Bell and Volinsky; the schedule of
/// Gemulla et al.'s DSGD; the AdaGrad steps of Chin, Zhuang, Juan and Lin's LIBMF).
///
/// Fits r − offset ≈ b_i + c_j + W_i · H_j by minimising, over training entries,
/// (r − offset − b_i − c_j − W_i · H_j)² + λ_i‖W_i‖² + λ_j‖H_j‖² + λ_b(b_i² + c_j²), where a
/// row's (column's) penalty per rating is λ_i = λ / √n_i for its n_i training ratings: its
/// total penalty grows like √n_i, so rows with little data shrink more, and one default
/// serves sparse, noisy ratings and dense, clean ones alike. The
/// residuals are standardized (centred, divided by their standard deviation) before
/// training and the factors and biases scaled back after (the mean joins the column
/// biases), so that the learning rate, regularization and initial scale mean the same on
/// any rating scale and with or without an upstream normalization. Each epoch visits the `BlockedRatings` grid stratum by
/// stratum; a stratum's blocks share no row or column, and each block runs as soon as the
/// blocks before it in its row and column bins are done (`StratumFlow`), on any number of
/// threads with the same result. Row i's factors step by learning_rate / √g_i, where g_i (from 1)
/// accumulates the mean squared gradient of its factors; its bias has an accumulator of its
/// own; likewise for columns. Under `mpirun` the ranks share each stratum's blocks (DSGD):
/// each rank holds and trains the same row bins every epoch, passes on column bins when
/// another rank needs them (eight times an epoch with two ranks), scores the held-out
/// entries of its own rows, and sends its rows to the others only for a checkpoint and
/// the final model, with the same bits as one process for any number of ranks.
public enum SGDFactorizer: Factorizer {
    public static let name = "sgd"
    public static let summary = "biased matrix factorization by parallel blocked SGD with adaptive steps (Funk/Koren, DSGD, AdaGrad)"
    public static let runsOnEveryRank = true

    public static let params: [ParamSpec] = [
        FactorizerParams.epochs(100),
        ParamSpec("learning_rate", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: true), default: .number(0.05),
                  "the base step: each row's and column's step is this over the root of its accumulated mean squared gradient"),
        ParamSpec("learning_rate_decay", .number(minimum: 0, maximum: 1, exclusiveMinimum: true), default: .number(1),
                  "factor applied to the base step after each epoch (1: none)"),
        FactorizerParams.regularization(0.8, "a row (column) with n training ratings pays this / sqrt(n) per rating, on the standardized scale"),
        FactorizerParams.biasRegularization(0.5, "per rating, on the standardized scale"),
        FactorizerParams.initScale(0.05, "on the standardized scale"),
        FactorizerParams.tolerance(1e-5),
        FactorizerParams.patience(10),
        ParamSpec("grid", .integer(0...4096), default: .number(0),
                  "blocks per side of the training grid (0: chosen from the data); the result depends on it"),
        FactorizerParams.warmStart,
    ]

    public static func solver(for problem: TrainingProblem, request: FactorizationRequest, threads: Int) throws -> IterativeSolver {
        let settings = SGDSettings(request.params)
        return SGDSolver(layout: try problem.blocked(grid: settings.grid, seed: request.seed, threads: threads), request: request,
                         settings: settings)
    }

    public static func loopSettings(_ request: FactorizationRequest) -> TrainingLoop.Settings {
        let settings = SGDSettings(request.params)
        return TrainingLoop.Settings(
            epochs: settings.epochs, patience: settings.patience, tolerance: settings.tolerance,
            divergenceAdvice: "lower learning_rate (now \(JSONWriter.number(settings.learningRate)))")
    }
}

/// SGD's own settings, read from the parameters `SGDFactorizer.params` declares.
struct SGDSettings {
    let epochs: Int
    let learningRate: Double
    let learningRateDecay: Double
    let regularization: Double
    let biasRegularization: Double
    let initScale: Double
    let tolerance: Double
    let patience: Int
    let grid: Int

    init(_ params: StageParams) {
        epochs = params.int("epochs")
        learningRate = params.double("learning_rate")
        learningRateDecay = params.double("learning_rate_decay")
        regularization = params.double("regularization")
        biasRegularization = params.double("bias_regularization")
        initScale = params.double("init_scale")
        tolerance = params.double("tolerance")
        patience = params.int("patience")
        grid = params.int("grid")
    }
}

/// The state of one SGD run over a blocked layout; indices are the layout's internal ones.
final class SGDSolver: IterativeSolver {
    private let layout: BlockedRatings
    private let settings: SGDSettings
    private let k: Int
    private let warmStart: WarmStart?
    private let seed: UInt64
    private let w: FactorMatrix
    private let h: FactorMatrix
    /// Row biases, column biases, then the AdaGrad accumulators of row factors, column
    /// factors, row biases and column biases: one buffer.
    private let scalars: UnsafeMutableBufferPointer<Float>
    /// Each row's, then each column's, factor penalty per update: λ / √n.
    private let penalties: [Float]
    private var best: (w: FactorMatrix, h: FactorMatrix, scalars: [Float])?
    /// Strata of the current epoch already trained, and their squared error so far.
    private var position = 0
    private var partialLoss = 0.0
    /// The `mpirun` job training the strata together, or nil.
    private let world: MPIWorld?

    init(layout: BlockedRatings, request: FactorizationRequest, settings: SGDSettings) {
        self.layout = layout
        self.settings = settings
        k = request.k
        seed = request.seed
        warmStart = request.warmStart
        world = request.world
        w = FactorMatrix(rows: layout.rows, k: k)
        h = FactorMatrix(rows: layout.cols, k: k)
        var random = SplitMix64(seed: seed, stream: "sgd-init")
        w.fillGaussian(scale: settings.initScale, using: &random)
        h.fillGaussian(scale: settings.initScale, using: &random)
        penalties = (layout.rowCounts + layout.colCounts).map { Float(settings.regularization / Double(max($0, 1)).squareRoot()) }
        scalars = .allocate(capacity: 3 * (layout.rows + layout.cols))
        scalars.initialize(repeating: 0)
        for index in (layout.rows + layout.cols)..<scalars.count { scalars[index] = 1 }
        if let warmStart { begin(from: warmStart) }
    }

    /// Replaces the initial factors and biases of the rows and columns `start` knows, on the
    /// layout's standardized scale: factors / √scale, biases / scale (the mean leaving the
    /// column biases).
    private func begin(from start: WarmStart) {
        let factorScale = Float(1 / layout.scale.squareRoot())
        for row in 0..<layout.rows where start.rowKnown[row] {
            let position = Int(layout.rowPosition[row])
            let target = w.row(position)
            for factor in 0..<k { target[factor] = start.w[row * k + factor] * factorScale }
            rowBias[position] = Float(Double(start.rowBias[row]) / layout.scale)
        }
        for col in 0..<layout.cols where start.colKnown[col] {
            let position = Int(layout.colPosition[col])
            let target = h.row(position)
            for factor in 0..<k { target[factor] = start.columnFactors[col * k + factor] * factorScale }
            colBias[position] = Float((Double(start.colBias[col]) - layout.offset) / layout.scale)
        }
    }

    deinit {
        scalars.deallocate()
    }

    var startsFromModel: Bool { warmStart != nil }

    private var rowBias: UnsafeMutablePointer<Float> { scalars.baseAddress! }
    private var colBias: UnsafeMutablePointer<Float> { scalars.baseAddress! + layout.rows }
    private var rowG: UnsafeMutablePointer<Float> { scalars.baseAddress! + layout.rows + layout.cols }
    private var colG: UnsafeMutablePointer<Float> { scalars.baseAddress! + 2 * layout.rows + layout.cols }
    private var rowBiasG: UnsafeMutablePointer<Float> { scalars.baseAddress! + 2 * (layout.rows + layout.cols) }
    private var colBiasG: UnsafeMutablePointer<Float> { scalars.baseAddress! + 3 * layout.rows + 2 * layout.cols }

    func trainEpoch(_ epoch: Int, threads: Int, cancellation: Cancellation) -> EpochResult {
        let strata = Strata(grid: layout.grid, seed: seed, epoch: epoch)
        let learningRate = Float(settings.learningRate * pow(settings.learningRateDecay, Double(epoch - 1)))
        let grid = layout.grid
        // Every block's squared error, index by index (an index's strata side by side),
        // added stratum by stratum in index order: the same sum for any threads or ranks.
        var parts = [Double](repeating: 0, count: grid * grid)
        let first = position
        parts.withUnsafeMutableBufferPointer { parts in
            if let world, world.size > 1 {
                trainTogether(in: world, strata: strata, learningRate: learningRate, threads: threads, parts: parts)
            } else {
                let output = UncheckedSendable(parts)
                position = StratumFlow.run(strata, from: position, threads: threads, isCancelled: { cancellation.isCancelled }) { index, stratum in
                    let (rowBin, colBin) = strata.block(index, ofStratum: stratum)
                    output.value[index * grid + stratum] = trainBlock(rowBin: rowBin, colBin: colBin, learningRate: learningRate)
                }
            }
        }
        for stratum in first..<position { partialLoss += (0..<grid).reduce(0) { $0 + parts[$1 * grid + stratum] } }
        if position < grid { return .interrupted }
        let loss = partialLoss * layout.scale * layout.scale
        (position, partialLoss) = (0, 0)
        return .measured(loss)
    }

    /// The rest of the epoch's strata on every rank of `world` (DSGD), to its end: rank r
    /// trains the blocks of its own row bins (`BlockedRatings.rowBins(ofRank:among:)`),
    /// whose factors no other rank touches. The strata are cut into segments inside which every block's column bin
    /// comes from a block of the same rank; before each segment the ranks exchange the
    /// column bins they updated since the last exchange, and inside it each rank trains its
    /// blocks by `StratumFlow` with no further word from the others. Under `Strata`'s
    /// order with two ranks and an even grid a segment is a run of shifts of one parity:
    /// eight an epoch. At the epoch's end the ranks exchange the column bins still unsent
    /// and every block's squared error, which are then added in one process's order: every
    /// block sees what it would in one process, the same bits for any number of ranks.
    /// Block (i, s)'s error goes to `parts[i * grid + s]`.
    private func trainTogether(in world: MPIWorld, strata: Strata, learningRate: Float, threads: Int,
                               parts: UnsafeMutableBufferPointer<Double>) {
        let grid = layout.grid
        var binOwner = [Int](repeating: 0, count: grid)
        for rank in 0..<world.size {
            for bin in layout.rowBins(ofRank: rank, among: world.size) { binOwner[bin] = rank }
        }
        let owner = { (index: Int) in binOwner[strata.block(index, ofStratum: 0).rowBin] }
        let mine = (0..<grid).filter { owner($0) == world.rank }
        let output = UncheckedSendable(parts)
        // The rank that updated each column bin since the last exchange, or nil.
        var updatedBy = [Int?](repeating: nil, count: grid)
        func sendUpdated() -> (Int) -> [UnsafeMutableRawBufferPointer] {
            let sent = updatedBy
            updatedBy = [Int?](repeating: nil, count: grid)
            return { rank in sent.indices.filter { sent[$0] == rank }.flatMap(self.columnRegions(bin:)) }
        }
        func fromOwnRank(_ stratum: Int) -> Bool {
            (0..<grid).allSatisfy { owner($0) == owner(strata.index(sharingColumnOf: $0, stratum: stratum, in: stratum - 1)) }
        }
        while position < grid {
            let segmentEnd = (position + 1..<grid).first { !fromOwnRank($0) } ?? grid
            if updatedBy.contains(where: { $0 != nil }) { world.share(sendUpdated()) }
            _ = StratumFlow.run(strata, indices: mine, from: position, to: segmentEnd, threads: threads, isCancelled: { false }) { index, stratum in
                let (rowBin, colBin) = strata.block(index, ofStratum: stratum)
                output.value[index * grid + stratum] = self.trainBlock(rowBin: rowBin, colBin: colBin, learningRate: learningRate)
            }
            for stratum in position..<segmentEnd {
                for index in 0..<grid { updatedBy[strata.block(index, ofStratum: stratum).colBin] = owner(index) }
            }
            position = segmentEnd
        }
        let columns = sendUpdated()
        world.share { rank in
            columns(rank) + (0..<grid).filter { owner($0) == rank }.map { index in
                UnsafeMutableRawBufferPointer(start: parts.baseAddress! + index * grid, count: grid * MemoryLayout<Double>.stride)
            }
        }
    }

    /// Brings every rank's own rows of `w` and of `scalars` (laid out as this solver's) to
    /// every rank of `world`, so that every rank holds the same state.
    private func shareRows(in world: MPIWorld, w: FactorMatrix, scalars: UnsafeMutablePointer<Float>) {
        let (rows, cols) = (layout.rows, layout.cols)
        world.share { rank in
            let mine = layout.rows(ofRank: rank, among: world.size)
            return [floatBytes(w.row(mine.lowerBound), mine.count * w.stride)]
                + [0, rows + cols, 2 * (rows + cols)].map { floatBytes(scalars + $0 + mine.lowerBound, mine.count) }
        }
    }

    /// Column bin `bin`'s factors, bias and step accumulators, for `MPIWorld.share`.
    private func columnRegions(bin: Int) -> [UnsafeMutableRawBufferPointer] {
        let start = bin * layout.colsPerBin
        let count = min(layout.cols, start + layout.colsPerBin) - start
        return [floatBytes(h.row(start), count * h.stride), floatBytes(colBias + start, count), floatBytes(colG + start, count),
                floatBytes(colBiasG + start, count)]
    }

    private func trainBlock(rowBin: Int, colBin: Int, learningRate: Float) -> Double {
        let records = layout.block(rowBin: rowBin, colBin: colBin)
        guard let first = records.baseAddress, records.count > 0 else { return 0 }
        let (row, col) = (rowBin * layout.rowsPerBin, colBin * layout.colsPerBin)
        var args = mfk_sgd_args()
        if layout.majorIsRow {
            (args.major, args.minor) = (w.row(row), h.row(col))
            (args.major_bias, args.minor_bias, args.major_g, args.minor_g) = (rowBias + row, colBias + col, rowG + row, colG + col)
            (args.major_bias_g, args.minor_bias_g) = (rowBiasG + row, colBiasG + col)
        } else {
            (args.major, args.minor) = (h.row(col), w.row(row))
            (args.major_bias, args.minor_bias, args.major_g, args.minor_g) = (colBias + col, rowBias + row, colG + col, rowG + row)
            (args.major_bias_g, args.minor_bias_g) = (colBiasG + col, rowBiasG + row)
        }
        args.stride = w.stride
        args.k = Int32(k)
        args.learning_rate = learningRate
        args.lambda_bias = Float(settings.biasRegularization)
        return penalties.withUnsafeBufferPointer { penalties in
            let (rowPenalty, colPenalty) = (penalties.baseAddress! + row, penalties.baseAddress! + layout.rows + col)
            (args.major_lambda, args.minor_lambda) = layout.majorIsRow ? (rowPenalty, colPenalty) : (colPenalty, rowPenalty)
            return mfk_sgd_block(first, records.count, &args)
        }
    }

    func validationRMSE(threads: Int) -> Double {
        layout.validation.rmse(w: w, h: h, rowBias: rowBias, colBias: colBias, threads: threads, world: world,
                               rowsOfRank: world.map { world in { self.layout.rows(ofRank: $0, among: world.size) } })
    }

    /// Row bin by row bin (each rank its own), then the columns.
    func penalty() -> Double {
        let rowsPerBin = layout.rowsPerBin
        func rowBin(_ bin: Int) -> Double {
            penalty(of: w, counts: layout.rowCounts, bias: rowBias, first: 0,
                    bin * rowsPerBin..<min(layout.rows, (bin + 1) * rowsPerBin))
        }
        let rows = if let world, world.size > 1 {
            world.sum(shares: (0..<world.size).map { layout.rowBins(ofRank: $0, among: world.size) }, threads: 1,
                      regions: { _ in [] }, rowBin)
        } else {
            ParallelWork.sum(layout.grid, threads: 1, rowBin)
        }
        let cols = penalty(of: h, counts: layout.colCounts, bias: colBias, first: layout.rows, 0..<layout.cols)
        return layout.scale * layout.scale * (rows + cols)
    }

    /// The penalty of the factors and biases of `indices` in `matrix`, whose penalties
    /// start at `penalties[first]`.
    private func penalty(of matrix: FactorMatrix, counts: [Int32], bias: UnsafeMutablePointer<Float>, first: Int,
                         _ indices: Range<Int>) -> Double {
        var total = 0.0
        for index in indices where counts[index] > 0 {
            let row = matrix.row(index)
            var squares = 0.0
            for factor in 0..<matrix.k { squares += Double(row[factor]) * Double(row[factor]) }
            let biasSquare = Double(bias[index]) * Double(bias[index])
            total += Double(counts[index]) * (Double(penalties[first + index]) * squares + settings.biasRegularization * biasSquare)
        }
        return total
    }

    func keepBest() {
        if let best {
            best.w.assign(from: w)
            best.h.assign(from: h)
            self.best = (best.w, best.h, Array(scalars))
        } else {
            best = (w.copy(), h.copy(), Array(scalars))
        }
    }

    func restoreBest() {
        guard let best else { return }
        w.assign(from: best.w)
        h.assign(from: best.h)
        _ = scalars.update(fromContentsOf: best.scalars)
    }

    func save(to checkpoint: inout Checkpoint) {
        if let world, world.size > 1 {
            shareRows(in: world, w: w, scalars: scalars.baseAddress!)
            if let best {
                var scalars = best.scalars
                scalars.withUnsafeMutableBufferPointer { shareRows(in: world, w: best.w, scalars: $0.baseAddress!) }
                self.best = (best.w, best.h, scalars)
            }
        }
        checkpoint.arrays["sgd.w"] = .floats(w.padded)
        checkpoint.arrays["sgd.h"] = .floats(h.padded)
        checkpoint.arrays["sgd.scalars"] = .floats(Array(scalars))
        checkpoint.arrays["sgd.position"] = .integers([Int64(position)])
        checkpoint.arrays["sgd.partial_loss"] = .doubles([partialLoss])
        if let best {
            checkpoint.arrays["sgd.best_w"] = .floats(best.w.padded)
            checkpoint.arrays["sgd.best_h"] = .floats(best.h.padded)
            checkpoint.arrays["sgd.best_scalars"] = .floats(best.scalars)
        }
    }

    func restore(from checkpoint: Checkpoint) throws {
        let values = try checkpoint.floats("sgd.scalars")
        guard values.count == scalars.count else { throw CheckpointError.shape("sgd.scalars", scalars.count, values.count) }
        try w.load(padded: checkpoint.floats("sgd.w"))
        try h.load(padded: checkpoint.floats("sgd.h"))
        _ = scalars.update(fromContentsOf: values)
        position = try checkpoint.integer("sgd.position")
        partialLoss = try checkpoint.double("sgd.partial_loss")
        if checkpoint.arrays["sgd.best_w"] != nil {
            let (bestW, bestH) = (FactorMatrix(rows: w.rows, k: w.k), FactorMatrix(rows: h.rows, k: h.k))
            try bestW.load(padded: checkpoint.floats("sgd.best_w"))
            try bestH.load(padded: checkpoint.floats("sgd.best_h"))
            best = (bestW, bestH, try checkpoint.floats("sgd.best_scalars"))
        } else {
            best = nil
        }
    }

    func model(info: TrainingInfo) -> FactorModel {
        if let world, world.size > 1 { shareRows(in: world, w: w, scalars: scalars.baseAddress!) }
        let factorScale = Float(layout.scale.squareRoot())
        let biasScale = Float(layout.scale)
        var model = FactorModel(k: k, rows: layout.rows, cols: layout.cols, w: [Float](repeating: 0, count: layout.rows * k),
                                h: [Float](repeating: 0, count: k * layout.cols), rowBias: [Float](repeating: 0, count: layout.rows),
                                colBias: [Float](repeating: 0, count: layout.cols), info: info)
        for row in 0..<layout.rows {
            let source = w.row(Int(layout.rowPosition[row]))
            for factor in 0..<k { model.w[row * k + factor] = source[factor] * factorScale }
            model.rowBias[row] = rowBias[Int(layout.rowPosition[row])] * biasScale
        }
        for col in 0..<layout.cols {
            let source = h.row(Int(layout.colPosition[col]))
            for factor in 0..<k { model.h[factor * layout.cols + col] = source[factor] * factorScale }
            model.colBias[col] = colBias[Int(layout.colPosition[col])] * biasScale + Float(layout.offset)
        }
        return model
    }
}
