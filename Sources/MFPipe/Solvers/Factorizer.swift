import Foundation

/// What every algorithm is asked for, beside its own parameters: the rank, the seed, a
/// model to start from and how often to checkpoint.
public struct FactorizationRequest {
    /// The rank k.
    public var k: Int
    /// The seed of initialisation and ordering.
    public var seed: UInt64
    /// A model to start from instead of the algorithm's own initialisation, or nil.
    public var warmStart: WarmStart?
    /// Checkpoint every this many epochs (0: by time only).
    public var checkpointEpochs: Int
    /// Checkpoint after this many seconds since the last one (0: by epochs only).
    public var checkpointSeconds: Double
    /// The `mpirun` job that trains the model together (from the solver's environment), or
    /// nil for one process.
    public var world: MPIWorld?
    /// The factorize node's resolved parameters: the common ones and the algorithm's own,
    /// defaults filled in. Each algorithm reads its own into a settings value of its file.
    public var params: StageParams

    /// The request a factorize node's `params` describe (no warm start loaded yet).
    public init(params: StageParams) {
        k = params.int("k")
        seed = params.seed
        checkpointEpochs = params.int("checkpoint_epochs")
        checkpointSeconds = params.double("checkpoint_seconds")
        self.params = params
    }
}

/// A factorization algorithm: one type per method in `Algorithms/`, registered in
/// `FactorizerRegistry`.
///
/// A method declares its own parameters (with their defaults, written once, in its
/// `params`), supplies its initial state (`solver`) and how the common `TrainingLoop` should
/// drive it (`loopSettings`); the loop does the rest. A new algorithm never touches another.
public protocol Factorizer {
    /// The `algorithm` value in the pipeline file.
    static var name: String { get }
    /// One line for the docs and `--help`.
    static var summary: String { get }
    /// The parameters of this algorithm, beside the factorize stage's common ones.
    static var params: [ParamSpec] { get }
    /// Whether, under `mpirun`, every rank trains the model together (else the leader
    /// trains it alone).
    static var runsOnEveryRank: Bool { get }
    /// Whether the algorithm works on a complete matrix held dense (then built in the same
    /// pass over the entries as the problem itself).
    static var usesDenseLayout: Bool { get }
    /// The revision of the method's code, raised when a change to it changes its models
    /// (`Stage.revision`).
    static var revision: Int { get }
    /// Checks of the algorithm's parameters against each other, after types and ranges.
    ///
    /// - Returns: the parameter concerned and a message, when the combination is invalid.
    static func problem(with params: StageParams) -> (param: String, message: String)?
    /// The solver's initial state for `problem` (building any layout on `threads` threads).
    ///
    /// - Throws: `InputDataError` when the data cannot be factorized this way (NMF of
    ///   negative values).
    static func solver(for problem: TrainingProblem, request: FactorizationRequest, threads: Int) throws -> IterativeSolver
    /// How the training loop runs this method.
    static func loopSettings(_ request: FactorizationRequest) -> TrainingLoop.Settings
    /// How the logs count the loop's epochs of this method with `params`.
    static func iterationCount(_ params: StageParams) -> IterationCount
}

extension Factorizer {
    public static func problem(with params: StageParams) -> (param: String, message: String)? { nil }
    public static var usesDenseLayout: Bool { false }
    public static var revision: Int { 1 }
    public static var runsOnEveryRank: Bool { false }
    public static func iterationCount(_ params: StageParams) -> IterationCount { .epochs }

    /// Trains a model under `environment`, resuming from its checkpoint when there is one;
    /// `adjust` may change the loop's settings (a refit runs a fixed number of epochs).
    ///
    /// - Throws: `SolverDivergence` when the objective becomes non-finite; `Interrupted` when cancelled.
    public static func train(_ problem: TrainingProblem, request: FactorizationRequest, environment: SolverEnvironment = .plain(),
                             adjust: (inout TrainingLoop.Settings) -> Void = { _ in }) throws -> FactorModel {
        var request = request
        request.world = environment.world
        let solver = try solver(for: problem, request: request, threads: environment.threads.limit)
        var loop = loopSettings(request)
        loop.checkpointEpochs = request.checkpointEpochs
        loop.checkpointSeconds = request.checkpointSeconds
        loop.unit = iterationCount(request.params).name
        adjust(&loop)
        return try TrainingLoop(settings: loop, algorithm: name, hyperparameters: request.params.json, seed: request.seed,
                                trainCount: problem.trainCount).run(solver, environment: environment)
    }
}

/// Every factorization algorithm, by name.
public enum FactorizerRegistry {
    /// The algorithms.
    public static let all: [any Factorizer.Type] = [SGDFactorizer.self, ALSFactorizer.self, CCDFactorizer.self, NMFFactorizer.self, SVDFactorizer.self, AdamFactorizer.self]

    /// The algorithm named `name`.
    public static func named(_ name: String) -> (any Factorizer.Type)? {
        all.first { $0.name == name }
    }

    /// How the logs count the training that factorize parameters `params` ask for (their
    /// `algorithm`'s unit; epochs for an algorithm this build does not know).
    public static func iterationCount(_ params: StageParams) -> IterationCount {
        named(params.string("algorithm"))?.iterationCount(params) ?? .epochs
    }

    /// The names of every algorithm, in registry order.
    public static var names: [String] {
        var names: [String] = []
        for type in all { names.append(type.name) }
        return names
    }
}

/// A solver whose objective stopped being finite: names the epoch and the setting to change.
public struct SolverDivergence: Error, CustomStringConvertible {
    /// The epoch at which it diverged.
    public let epoch: Int
    /// What the algorithm calls its epochs ("epoch"; svd: "round").
    public let unit: String
    /// What to change.
    public let advice: String

    public var description: String { "diverged at \(unit) \(epoch) (the objective is no longer finite); \(advice)" }
}
