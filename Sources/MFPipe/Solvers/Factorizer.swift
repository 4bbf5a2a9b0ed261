import Foundation

/// The data a solver fits: training residuals (after normalization) and, when there is
/// one, a validation set on the same scale for monitoring and early stopping.
public struct TrainingProblem {
    /// m.
    public let rows: Int
    /// n.
    public let cols: Int
    /// Training entries; `values` are residuals after normalization.
    public let train: RatingTable
    /// Validation entries on the same scale, possibly empty.
    public let validation: RatingTable

    /// Creates a problem.
    public init(rows: Int, cols: Int, train: RatingTable, validation: RatingTable) {
        self.rows = rows
        self.cols = cols
        self.train = train
        self.validation = validation
    }
}

/// The settings every solver reads (each uses those that apply to it).
public struct TrainingSettings {
    /// The rank k.
    public var k: Int
    /// The most epochs (SGD) or iterations (Adam).
    public var epochs: Int
    /// The step size.
    public var learningRate: Double
    /// Per-epoch multiplicative decay of the step size (SGD).
    public var learningRateDecay: Double
    /// L2 penalty on the factors.
    public var regularization: Double
    /// L2 penalty on the biases (SGD).
    public var biasRegularization: Double
    /// Standard deviation of the Gaussian initial factors.
    public var initScale: Double
    /// Stop when the objective's relative improvement falls below this.
    public var tolerance: Double
    /// Stop after this many epochs without a better validation RMSE (0: never); the best epoch's factors are kept.
    public var patience: Int
    /// The seed of initialisation and ordering.
    public var seed: UInt64
    /// Threads the solver may use.
    public var threads: Int
    /// The settings as JSON, recorded with the model.
    public var json: JSONValue

    /// Creates settings; see each property for its meaning.
    public init(k: Int, epochs: Int, learningRate: Double, learningRateDecay: Double, regularization: Double,
                biasRegularization: Double, initScale: Double, tolerance: Double, patience: Int, seed: UInt64,
                threads: Int, json: JSONValue) {
        self.k = k
        self.epochs = epochs
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.regularization = regularization
        self.biasRegularization = biasRegularization
        self.initScale = initScale
        self.tolerance = tolerance
        self.patience = patience
        self.seed = seed
        self.threads = threads
        self.json = json
    }
}

/// A factorization algorithm: one type per method, registered in `FactorizerRegistry`.
public protocol Factorizer {
    /// The `algorithm` value in the pipeline file.
    static var name: String { get }
    /// Trains a model; `progress(epoch, epochs, note)` reports after every epoch.
    ///
    /// - Throws: `SolverDivergence` when the objective becomes non-finite; `Interrupted` when cancelled.
    static func train(
        _ problem: TrainingProblem, settings: TrainingSettings, cancellation: Cancellation,
        progress: (Int, Int, String) -> Void
    ) throws -> FactorModel
}

/// Every factorization algorithm, by name.
public enum FactorizerRegistry {
    /// The algorithms.
    public static let all: [any Factorizer.Type] = [SGDFactorizer.self, AdamFactorizer.self]

    /// The algorithm named `name`.
    public static func named(_ name: String) -> (any Factorizer.Type)? {
        all.first { $0.name == name }
    }
}

/// A solver whose objective stopped being finite: names the epoch and the setting to change.
public struct SolverDivergence: Error, CustomStringConvertible {
    /// The epoch at which it diverged.
    public let epoch: Int
    /// What to change.
    public let advice: String

    public var description: String { "diverged at epoch \(epoch) (the objective is no longer finite); \(advice)" }
}

/// Root-mean-square error of a model's residual prediction over a table of residual targets.
enum ResidualRMSE {
    /// RMSE of `rowBias + colBias + W·H` against `table.values`; `columnFactors` is H transposed.
    static func compute(_ table: RatingTable, w: UnsafePointer<Float>, columnFactors: UnsafePointer<Float>, stride: Int,
                        rowBias: UnsafePointer<Float>?, colBias: UnsafePointer<Float>?) -> Double {
        guard table.count > 0 else { return .nan }
        var sum = 0.0
        for entry in 0..<table.count {
            let row = Int(table.rows[entry])
            let col = Int(table.cols[entry])
            var prediction = DotProduct.compute(w + row * stride, columnFactors + col * stride, count: stride)
            if let rowBias, let colBias { prediction += rowBias[row] + colBias[col] }
            let error = Double(table.values[entry] - prediction)
            sum += error * error
        }
        return (sum / Double(table.count)).squareRoot()
    }
}

/// A SIMD dot product of two float vectors whose length is a multiple of 8.
enum DotProduct {
    @inline(__always)
    static func compute(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var accumulator = SIMD8<Float>()
        var offset = 0
        while offset < count {
            let x = UnsafeRawPointer(a + offset).loadUnaligned(as: SIMD8<Float>.self)
            let y = UnsafeRawPointer(b + offset).loadUnaligned(as: SIMD8<Float>.self)
            accumulator.addProduct(x, y)
            offset += 8
        }
        return accumulator.sum()
    }
}
