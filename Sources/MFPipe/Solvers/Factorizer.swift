import Foundation

/// The data a solver fits: training residuals (after normalization) and, when there is
/// one, a validation set on the same scale for monitoring and early stopping.
///
/// The training entries are read through `TrainingEntries`, so that a solver that lays
/// them out in blocks streams them from the artifact and never holds a second copy. A
/// reference type so that every rank of a sweep shares one problem, and the blocked layout
/// SGD builds from it is built once (`blocked(grid:seed:threads:)`).
public final class TrainingProblem: @unchecked Sendable {
    /// m.
    public let rows: Int
    /// n.
    public let cols: Int
    /// The training entries.
    public let entries: TrainingEntries
    /// Validation entries on the same scale, possibly empty.
    public let validation: RatingTable
    /// Training entries per row.
    public let rowCounts: [Int32]
    /// Training entries per column.
    public let colCounts: [Int32]
    private let lock = NSLock()
    private var layouts: [String: BlockedRatings] = [:]

    /// A problem over `entries` (read once here, to count each row's and column's entries).
    public init(rows: Int, cols: Int, entries: TrainingEntries, validation: RatingTable) throws {
        self.rows = rows
        self.cols = cols
        self.entries = entries
        self.validation = validation
        var rowCounts = [Int32](repeating: 0, count: rows)
        var colCounts = [Int32](repeating: 0, count: cols)
        try entries.forEachChunk { chunkRows, chunkCols, _ in
            for row in chunkRows { rowCounts[Int(row)] += 1 }
            for col in chunkCols { colCounts[Int(col)] += 1 }
        }
        self.rowCounts = rowCounts
        self.colCounts = colCounts
    }

    /// A problem over entries held in memory.
    public convenience init(rows: Int, cols: Int, train: RatingTable, validation: RatingTable) {
        try! self.init(rows: rows, cols: cols, entries: TableEntries(train), validation: validation)
    }

    /// The number of training entries.
    public var trainCount: Int { entries.count }

    /// The training entries laid out in a grid (0: automatic) shuffled by `seed`; built on
    /// first use and shared by every caller asking for the same grid and seed (concurrent
    /// callers wait for the first to finish building).
    public func blocked(grid: Int, seed: UInt64, threads: Int) throws -> BlockedRatings {
        lock.lock()
        defer { lock.unlock() }
        let key = "\(grid)/\(seed)"
        if let layout = layouts[key] { return layout }
        let layout = try BlockedRatings(train: entries, validation: validation, rows: rows, cols: cols, grid: grid, seed: seed, threads: threads)
        layouts[key] = layout
        return layout
    }
}

/// The settings every solver reads (each uses those that apply to it).
public struct TrainingSettings {
    /// The rank k.
    public var k: Int
    /// The most epochs (SGD) or iterations (Adam).
    public var epochs: Int
    /// The step size (SGD: the base of each row's and column's adaptive step).
    public var learningRate: Double
    /// Per-epoch multiplicative decay of the step size.
    public var learningRateDecay: Double
    /// L2 penalty on the factors.
    public var regularization: Double
    /// L2 penalty on the biases (SGD).
    public var biasRegularization: Double
    /// Standard deviation of the Gaussian initial factors (SGD: on the unit-RMS scale).
    public var initScale: Double
    /// Stop when the objective's relative improvement falls below this.
    public var tolerance: Double
    /// Stop after this many epochs without a better validation RMSE and keep the best
    /// epoch's factors (0: no early stopping; the last epoch is kept).
    public var patience: Int
    /// The seed of initialisation and ordering.
    public var seed: UInt64
    /// Blocks per side of the SGD grid (0: chosen from the data).
    public var grid: Int = 0
    /// Checkpoint every this many epochs (0: by time only).
    public var checkpointEpochs: Int = 0
    /// Checkpoint after this many seconds since the last one (0: by epochs only).
    public var checkpointSeconds: Double = 30
    /// A model to start from instead of random factors (SGD), or nil.
    public var warmStart: WarmStart?
    /// The settings as JSON, recorded with the model.
    public var json: JSONValue

    /// Creates settings; see each property for its meaning.
    public init(k: Int, epochs: Int, learningRate: Double, learningRateDecay: Double, regularization: Double,
                biasRegularization: Double, initScale: Double, tolerance: Double, patience: Int, seed: UInt64, json: JSONValue) {
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
        self.json = json
    }
}

/// A factorization algorithm: one type per method, registered in `FactorizerRegistry`.
///
/// A method supplies its initial state (`solver`) and how the common `TrainingLoop`
/// should drive it (`loopSettings`); the loop does the rest.
public protocol Factorizer {
    /// The `algorithm` value in the pipeline file.
    static var name: String { get }
    /// The solver's initial state for `problem` (building any layout on `threads` threads).
    static func solver(for problem: TrainingProblem, settings: TrainingSettings, threads: Int) throws -> IterativeSolver
    /// How the training loop runs this method.
    static func loopSettings(_ settings: TrainingSettings) -> TrainingLoop.Settings
}

extension Factorizer {
    /// Trains a model under `environment`, resuming from its checkpoint when there is one.
    ///
    /// - Throws: `SolverDivergence` when the objective becomes non-finite; `Interrupted` when cancelled.
    public static func train(_ problem: TrainingProblem, settings: TrainingSettings, environment: SolverEnvironment = .plain()) throws -> FactorModel {
        let solver = try solver(for: problem, settings: settings, threads: environment.threads.limit)
        var loop = loopSettings(settings)
        loop.checkpointEpochs = settings.checkpointEpochs
        loop.checkpointSeconds = settings.checkpointSeconds
        return try TrainingLoop(settings: loop, algorithm: name, hyperparameters: settings.json, seed: settings.seed,
                                trainCount: problem.trainCount).run(solver, environment: environment)
    }
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
