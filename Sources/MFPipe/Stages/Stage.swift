import Foundation

/// What a stage leaves in the work directory, and what later stages look for upstream.
public enum ArtifactKind: String, Sendable {
    /// Observed entries with id tables (ingest, split).
    case ratings
    /// Fitted normalization parameters (normalize).
    case normalization
    /// Trained factors for one rank (factorize).
    case model
    /// Metrics of every model and the chosen one (evaluate).
    case evaluation
    /// Files outside the work directory (export, report).
    case output
}

/// One type of pipeline step: its parameters, what it needs upstream, and how it runs.
///
/// A new stage type is one new file with a type conforming to `Stage`, plus one line in
/// `StageRegistry.all`.
public protocol Stage {
    /// The `type` value in the pipeline file.
    static var typeName: String { get }
    /// One line for `--help` and the docs.
    static var summary: String { get }
    /// Every parameter the stage may take, with defaults (for the docs and `--help`).
    static var params: [ParamSpec] { get }
    /// The parameters accepted when the params object is `given` (as written): the stage's
    /// `params`, unless some depend on another parameter, as factorize's on `algorithm`.
    static func params(for given: JSONValue) -> [ParamSpec]
    /// Why `name`, a parameter the stage takes in another configuration, is not accepted
    /// with `given`; nil when the stage does not know it at all.
    static func misplacedParameter(_ name: String, given: JSONValue) -> String?
    /// Every file the stage writes outside the work directory (by default the values of its
    /// output-path parameters; the report adds its plot and table beside the Markdown).
    static func outputFiles(for params: StageParams) -> [URL]
    /// How many direct inputs the stage takes.
    static var inputCount: ClosedRange<Int> { get }
    /// Whether each direct input has a role of its own (split's train and test files,
    /// predict's evaluation and pairs), rather than all leading to the artifacts the stage
    /// reads; validation then follows the first input alone.
    static var inputsHaveRoles: Bool { get }
    /// Artifact kinds the stage needs among its ancestors.
    static var requires: [ArtifactKind] { get }
    /// Whether one node of the stage reads every fold of a k-fold split upstream (evaluate),
    /// instead of the stage being expanded into one node per fold.
    static var gathersFolds: Bool { get }
    /// The artifact kind it produces.
    static var produces: ArtifactKind { get }
    /// Checks that concern several parameters, or parameters and the number of inputs, at
    /// once (after types and ranges are checked).
    ///
    /// - Returns: a message and the parameter it concerns, when the combination is invalid.
    static func problem(with params: StageParams, inputCount: Int) -> (param: String, message: String)?
    /// Runs the stage, writing its artifact into `context.outputDirectory` (on the leader:
    /// a node that runs on every rank of an `mpirun` job writes nothing elsewhere).
    static func run(_ context: StageContext) throws -> StageOutcome
    /// Whether, under `mpirun`, a node with `params` runs on every rank together (else the
    /// leader runs it alone).
    static func runsOnEveryRank(_ params: StageParams) -> Bool
    /// Whether the stage's output records the whole pipeline (the export's and the report's
    /// provenance): its key then holds the pipeline's hash, so that an edit anywhere in the
    /// file writes it again rather than leave it naming the pipeline before the edit.
    static var recordsPipeline: Bool { get }
    /// The revision of the code behind the output for `params`, raised when a change to it
    /// changes that output: the key holds a revision above 1, so that the next run computes
    /// again what the earlier code stored under the same parameters.
    static func revision(_ params: StageParams) -> Int
}

extension Stage {
    public static var inputCount: ClosedRange<Int> { 1...Int.max }
    public static var inputsHaveRoles: Bool { false }
    public static var requires: [ArtifactKind] { [] }
    public static var gathersFolds: Bool { false }
    public static var recordsPipeline: Bool { false }
    public static func revision(_ params: StageParams) -> Int { 1 }
    public static func runsOnEveryRank(_ params: StageParams) -> Bool { false }
    public static func params(for given: JSONValue) -> [ParamSpec] { params }
    public static func misplacedParameter(_ name: String, given: JSONValue) -> String? { nil }
    public static func outputFiles(for given: StageParams) -> [URL] {
        Self.params(for: given.json).filter { spec in
            if case .path(.output) = spec.kind { return given.has(spec.name) }
            return false
        }.map { given.url($0.name) }
    }
    public static func problem(with params: StageParams, inputCount: Int) -> (param: String, message: String)? { nil }
}

/// What a finished stage reports: a line for the log, metrics for the run record,
/// and any files it wrote outside the work directory.
public struct StageOutcome {
    /// A one-line summary ("100836 ratings, 610 rows x 9724 columns").
    public var summary: String
    /// Numbers worth keeping in the run record.
    public var metrics: [String: Double]
    /// Files written outside the artifact folder (export, report); checked on later runs.
    public var outputs: [URL]
    /// The warnings the node gave (`StageContext.warn`); the engine fills them in.
    public var warnings: [String] = []

    /// Creates an outcome.
    public init(summary: String, metrics: [String: Double] = [:], outputs: [URL] = []) {
        self.summary = summary
        self.metrics = metrics
        self.outputs = outputs
    }
}

/// Every stage type mfpipe knows, by its `type` name.
public enum StageRegistry {
    /// The stage types, in pipeline order.
    public static let all: [any Stage.Type] = [
        IngestStage.self, SplitStage.self, NormalizeStage.self, FactorizeStage.self,
        EvaluateStage.self, ExportStage.self, ReportStage.self, PredictStage.self, RecommendStage.self,
    ]

    /// The names of every stage type.
    public static var names: [String] {
        var names: [String] = []
        for type in all {
            names.append(type.typeName)
        }
        return names
    }

    /// The names of the stage types that produce `kind`.
    public static func names(producing kind: ArtifactKind) -> [String] {
        var names: [String] = []
        for type in all where type.produces == kind {
            names.append(type.typeName)
        }
        return names
    }

    /// The stage type named `name`, or nil.
    public static func type(named name: String) -> (any Stage.Type)? {
        all.first { $0.typeName == name }
    }
}
