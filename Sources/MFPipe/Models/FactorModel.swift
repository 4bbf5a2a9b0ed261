import Foundation

/// A trained factorization of one rank: A ≈ W H plus optional row and column biases,
/// on top of the normalization it was trained after.
///
/// W is m x k and H is k x n, both row-major (C order), exactly as in A ≈ W H.
public struct FactorModel: Sendable {
    /// The rank.
    public var k: Int
    /// m, the number of rows.
    public var rows: Int
    /// n, the number of columns.
    public var cols: Int
    /// W, m x k, row-major.
    public var w: [Float]
    /// H, k x n, row-major.
    public var h: [Float]
    /// Per-row biases learned by the model, or empty when the algorithm has none.
    public var rowBias: [Float]
    /// Per-column biases learned by the model, or empty.
    public var colBias: [Float]
    /// The singular values, for a truncated SVD (W = U diag(sigma), H = Vᵀ), or empty.
    public var sigma: [Float] = []
    /// How the model was trained.
    public var info: TrainingInfo

    /// Creates a model; see each property.
    public init(k: Int, rows: Int, cols: Int, w: [Float], h: [Float], rowBias: [Float], colBias: [Float], sigma: [Float] = [],
                info: TrainingInfo) {
        (self.k, self.rows, self.cols, self.w, self.h) = (k, rows, cols, w, h)
        (self.rowBias, self.colBias, self.sigma, self.info) = (rowBias, colBias, sigma, info)
    }

    /// Gives every row and column with no training entries the average row's (column's)
    /// factors and bias (`averageRow`, `averageColumn`), so that it predicts as an average
    /// member of its side and exports so, never as its random start.
    public mutating func averageUnseen(rowCounts: [Int32], colCounts: [Int32]) {
        let (row, col) = (averageRow(counts: rowCounts), averageColumn(counts: colCounts))
        for index in 0..<rows where rowCounts[index] == 0 {
            for factor in 0..<k { w[index * k + factor] = row.factors[factor] }
            if !rowBias.isEmpty { rowBias[index] = row.bias }
        }
        for index in 0..<cols where colCounts[index] == 0 {
            for factor in 0..<k { h[factor * cols + index] = col.factors[factor] }
            if !colBias.isEmpty { colBias[index] = col.bias }
        }
    }

    /// The mean factors and bias of the rows with training entries (`counts` per row), in
    /// double and in row order: what a row without any is predicted with (zeros when no row
    /// has entries; bias 0 for a model without biases).
    public func averageRow(counts: [Int32]) -> (factors: [Float], bias: Float) {
        average(of: rows, seen: counts, bias: rowBias) { row, factor in w[row * k + factor] }
    }

    /// The mean factors and bias of the columns with training entries, as `averageRow`.
    public func averageColumn(counts: [Int32]) -> (factors: [Float], bias: Float) {
        average(of: cols, seen: counts, bias: colBias) { col, factor in h[factor * cols + col] }
    }

    /// The mean of `value(line, factor)` and of `bias` over the `count` lines with `seen` > 0.
    private func average(of count: Int, seen: [Int32], bias: [Float], _ value: (Int, Int) -> Float) -> (factors: [Float], bias: Float) {
        let lines = (0..<count).filter { seen[$0] > 0 }
        guard !lines.isEmpty else { return ([Float](repeating: 0, count: k), 0) }
        var (sums, biasSum) = ([Double](repeating: 0, count: k), 0.0)
        for line in lines {
            for factor in 0..<k { sums[factor] += Double(value(line, factor)) }
            if !bias.isEmpty { biasSum += Double(bias[line]) }
        }
        let n = Double(lines.count)
        return (sums.map { Float($0 / n) }, Float(biasSum / n))
    }

    /// H transposed (n x k, row-major): each column's factors contiguous, for fast scoring.
    public var columnFactors: [Float] {
        var result = [Float](repeating: 0, count: cols * k)
        for factor in 0..<k {
            for col in 0..<cols { result[col * k + factor] = h[factor * cols + col] }
        }
        return result
    }

    /// Writes the model into `group`: datasets `W`, `H`, and `row_bias`/`col_bias` when
    /// present; the training information as attributes.
    public func write(to group: HDF5Group) throws {
        try group.write(w, to: "W", shape: [rows, k])
        try group.write(h, to: "H", shape: [k, cols])
        if !rowBias.isEmpty {
            try group.write(rowBias, to: "row_bias")
            try group.write(colBias, to: "col_bias")
        }
        if !sigma.isEmpty { try group.write(sigma, to: "sigma") }
        try group.setAttribute("k", .int(Int64(k)))
        try info.write(to: group)
    }

    /// Reads the model at the root of the HDF5 file at `url` (a model artifact).
    public static func read(at url: URL) throws -> FactorModel {
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        return try read(from: file.root)
    }

    /// Reads what `write(to:)` wrote.
    public static func read(from group: HDF5Group) throws -> FactorModel {
        let w = try group.read("W", as: Float.self)
        let h = try group.read("H", as: Float.self)
        guard w.shape.count == 2, h.shape.count == 2, w.shape[1] == h.shape[0] else {
            throw HDF5Error("W and H in \(group.file) have mismatched shapes \(w.shape) and \(h.shape)")
        }
        return FactorModel(
            k: w.shape[1], rows: w.shape[0], cols: h.shape[1], w: w.values, h: h.values,
            rowBias: group.contains("row_bias") ? try group.read("row_bias", as: Float.self).values : [],
            colBias: group.contains("col_bias") ? try group.read("col_bias", as: Float.self).values : [],
            sigma: group.contains("sigma") ? try group.read("sigma", as: Float.self).values : [],
            info: try TrainingInfo.read(from: group))
    }
}

/// How a model was trained: algorithm, settings, effort and the training curve.
public struct TrainingInfo: Sendable {
    /// The algorithm's name (`sgd`, `adam`).
    public var algorithm: String
    /// The hyper-parameters, as JSON.
    public var hyperparameters: JSONValue
    /// The seed of its initialisation and ordering.
    public var seed: UInt64
    /// Epochs or iterations run.
    public var iterations: Int
    /// Whether it met its tolerance (or stopped early on validation) rather than running out of epochs.
    public var converged: Bool
    /// The training objective (squared error plus penalties) at the kept epoch; for SGD the
    /// squared errors are those met during the epoch, before each update.
    public var objective: Double
    /// Wall seconds of training.
    public var seconds: Double
    /// The epoch whose factors were kept (differs from `iterations` after early stopping;
    /// 0 when no epoch beat the warm start, or none ran).
    public var bestIteration: Int
    /// Per epoch: training RMSE (on the normalized scale) and validation RMSE (NaN when none).
    public var curve: [(trainRMSE: Double, validationRMSE: Double)]
    /// Per epoch: the training objective (squared error plus penalties) after it.
    public var objectives: [Double]
    /// The validation RMSE of the warm start before any epoch, or nil for a cold start.
    public var startValidationRMSE: Double?

    /// How the logs count its epochs: as its algorithm does with its hyperparameters (svd:
    /// in rounds), in epochs for an algorithm this build does not know.
    public var iterationCount: IterationCount {
        FactorizerRegistry.iterationCount(StageParams(json: hyperparameters, baseFolder: URL(fileURLWithPath: "/")))
    }

    /// The kept model's training and validation RMSE: its epoch's point of the curve, or for
    /// a kept warm start its validation RMSE (its training RMSE is not measured: NaN).
    public var kept: (trainRMSE: Double, validationRMSE: Double) {
        bestIteration > 0 ? curve[bestIteration - 1] : (.nan, startValidationRMSE ?? .nan)
    }

    /// Writes the information as attributes and the curve as `curve_train_rmse` / `curve_validation_rmse`.
    public func write(to group: HDF5Group) throws {
        try group.setAttribute("algorithm", algorithm)
        try group.setAttribute("hyperparameters", JSONWriter.canonical(hyperparameters))
        try group.setAttribute("seed", .int(Int64(bitPattern: seed)))
        try group.setAttribute("iterations", .int(Int64(iterations)))
        try group.setAttribute("best_iteration", .int(Int64(bestIteration)))
        try group.setAttribute("converged", .int(converged ? 1 : 0))
        try group.setAttribute("final_objective", .double(objective))
        try group.setAttribute("seconds", .double(seconds))
        try group.write(curve.map(\.trainRMSE), to: "curve_train_rmse")
        try group.write(curve.map(\.validationRMSE), to: "curve_validation_rmse")
        try group.write(objectives, to: "curve_objective")
        if let startValidationRMSE { try group.setAttribute("start_validation_rmse", .double(startValidationRMSE)) }
    }

    /// Reads the training information of the model artifact at `url`, without its factors.
    public static func read(at url: URL) throws -> TrainingInfo {
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        return try read(from: file.root)
    }

    /// Reads what `write(to:)` wrote.
    public static func read(from group: HDF5Group) throws -> TrainingInfo {
        let train = try group.read("curve_train_rmse", as: Double.self).values
        let validation = try group.read("curve_validation_rmse", as: Double.self).values
        return TrainingInfo(
            algorithm: try group.stringAttribute("algorithm"),
            hyperparameters: try JSONParser.parse(Data(try group.stringAttribute("hyperparameters").utf8)),
            seed: UInt64(bitPattern: Int64(try group.intAttribute("seed"))),
            iterations: try group.intAttribute("iterations"),
            converged: try group.intAttribute("converged") != 0,
            objective: try group.doubleAttribute("final_objective"),
            seconds: try group.doubleAttribute("seconds"),
            bestIteration: try group.intAttribute("best_iteration"),
            curve: zip(train, validation).map { ($0, $1) },
            objectives: try group.read("curve_objective", as: Double.self).values,
            startValidationRMSE: try group.attribute("start_validation_rmse") != nil ? try group.doubleAttribute("start_validation_rmse") : nil)
    }
}
