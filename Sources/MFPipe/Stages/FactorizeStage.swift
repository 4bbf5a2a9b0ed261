import Foundation

/// Trains a factorization of the normalized training entries, one DAG node per rank
/// when `k` is a sweep.
public enum FactorizeStage: Stage {
    public static let typeName = "factorize"
    public static let summary = "factorize the training entries (sgd: biased MF; adam: full-batch reference); k may be a sweep"
    public static let requires = [ArtifactKind.ratings]
    public static let produces = ArtifactKind.model

    /// Per-algorithm defaults of the parameters left unset.
    static let algorithmDefaults: [String: [String: Double]] = [
        "sgd": ["epochs": 100, "learning_rate": 0.05, "learning_rate_decay": 1, "regularization": 0.8,
                "bias_regularization": 0.5, "init_scale": 0.05, "tolerance": 1e-5],
        "adam": ["epochs": 20000, "learning_rate": 0.01, "learning_rate_decay": 0.9997, "regularization": 0,
                 "bias_regularization": 0, "init_scale": 0.05, "tolerance": 1e-9],
    ]

    public static let params: [ParamSpec] = [
        ParamSpec("algorithm", .choice(FactorizerRegistry.all.map { $0.name }), default: .string("sgd"),
                  "sgd: biased matrix factorization by parallel blocked SGD with adaptive steps (Funk/Koren, DSGD, AdaGrad); adam: full-batch gradient descent with Adam on the Frobenius loss"),
        ParamSpec("k", .rankSweep, default: nil, "the rank, or a sweep: a list [8, 16, 32] or {\"from\": 8, \"to\": 64, \"step\": 8}"),
        ParamSpec("epochs", .integer(1...Int.max), default: .null, "the most epochs (sgd, default 100) or iterations (adam, default 20000)"),
        ParamSpec("learning_rate", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: true), default: .null,
                  "the step size (sgd 0.05: each row's and column's step is this over the root of its accumulated squared gradients; adam 0.01)"),
        ParamSpec("learning_rate_decay", .number(minimum: 0, maximum: 1, exclusiveMinimum: true), default: .null,
                  "step-size factor per epoch (sgd 1: none) or per iteration (adam 0.9997)"),
        ParamSpec("regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .null,
                  "L2 penalty on the factors (sgd 0.8: a row with n ratings pays this / sqrt(n) per rating, on the standardized scale; adam 0)"),
        ParamSpec("bias_regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .null,
                  "L2 penalty on the learned biases, per rating (sgd 0.5)"),
        ParamSpec("init_scale", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: true), default: .null,
                  "standard deviation of the Gaussian initial factors (sgd 0.05, on the standardized scale; adam 0.05)"),
        ParamSpec("tolerance", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .null,
                  "stop when the objective's relative improvement falls below this (sgd 1e-5, adam 1e-9)"),
        ParamSpec("patience", .integer(0...Int.max), default: .number(10),
                  "with a validation set: stop this many epochs after the best validation RMSE and keep that epoch's factors (0: no early stopping, the last epoch is kept)"),
        ParamSpec("seed", .integer(0...Int.max), default: .null, "the seed of initialisation and ordering; defaults to the pipeline seed"),
        ParamSpec("grid", .integer(0...4096), default: .number(0),
                  "sgd: blocks per side of the training grid (0: chosen from the data); the result depends on it"),
        ParamSpec("warm_start", .path(.input), default: .null,
                  "sgd: an earlier export to start from; its model of the same rank gives the initial factors and biases of the rows and columns it knows (matched by id)"),
        ParamSpec("checkpoint_epochs", .integer(0...Int.max), default: .number(0),
                  "write an in-stage checkpoint every this many epochs (0: by time only)", affectsResult: false),
        ParamSpec("checkpoint_seconds", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .number(30),
                  "write an in-stage checkpoint when this many seconds passed since the last (0: by epochs only)", affectsResult: false),
        ParamSpec("threads", .integer(1...4096), default: .null,
                  "the most threads one model may use (default: the pipeline's); results do not depend on it", affectsResult: false),
    ]

    public static func completeDefaults(_ params: JSONValue) -> JSONValue {
        guard let defaults = params["algorithm"]?.stringValue.flatMap({ algorithmDefaults[$0] }) else { return params }
        var result = params
        for (name, value) in defaults.sorted(by: { $0.key < $1.key }) where result[name] == .null {
            result = result.setting(name, to: .number(value))
        }
        return result
    }

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let params = context.params
        let problem = try sharedProblem(context)
        var settings = Self.settings(params)
        if params.has("warm_start") { settings.warmStart = try warmStart(params, context: context) }
        let model = try train(problem, settings: settings, algorithm: params.string("algorithm"), context: context)
        try context.writeArtifact(model.write)
        let best = model.info.kept
        var summary = "k=\(model.k) \(model.info.algorithm): \(model.info.iterations) epochs"
        if !best.trainRMSE.isNaN { summary += String(format: ", train RMSE %.4f", best.trainRMSE) }
        if !best.validationRMSE.isNaN {
            summary += String(format: ", validation RMSE %.4f (%@)", best.validationRMSE,
                              model.info.bestIteration > 0 ? "epoch \(model.info.bestIteration)" : "the warm start, kept")
        }
        return StageOutcome(summary: summary, metrics: [
            "k": Double(model.k), "iterations": Double(model.info.iterations), "seconds": model.info.seconds,
            "train_rmse": best.trainRMSE, "validation_rmse": best.validationRMSE,
        ].filter { $0.value.isFinite })
    }

    /// The export named by the `warm_start` of `params`, mapped onto the rows and columns
    /// upstream of `context`.
    static func warmStart(_ params: StageParams, context: StageContext) throws -> WarmStart {
        let file = try HDF5File.open(context.required(.ratings).dataFile)
        let rowIDs = IdTable(ids: try file.root.openGroup("rows").readStrings("ids"))
        let colIDs = IdTable(ids: try file.root.openGroup("cols").readStrings("ids"))
        try file.close()
        let normalization = try NormalizeStage.upstreamNormalization(context, rows: rowIDs.count, cols: colIDs.count)
        return try WarmStart.load(params.url("warm_start"), displayName: params.string("warm_start"), k: params.int("k"),
                                  rowIDs: rowIDs, colIDs: colIDs, normalization: normalization)
    }

    /// A combination of parameters that cannot work.
    public static func problem(with params: StageParams, inputCount: Int) -> (param: String, message: String)? {
        if params.has("warm_start") && params.string("algorithm") != SGDFactorizer.name {
            return ("warm_start", "applies to algorithm \"sgd\" only; remove it or set algorithm to \"sgd\"")
        }
        return nil
    }

    /// The training settings a node's parameters describe.
    static func settings(_ params: StageParams) -> TrainingSettings {
        var settings = TrainingSettings(
            k: params.int("k"), epochs: params.int("epochs"), learningRate: params.double("learning_rate"),
            learningRateDecay: params.double("learning_rate_decay"), regularization: params.double("regularization"),
            biasRegularization: params.double("bias_regularization"), initScale: params.double("init_scale"),
            tolerance: params.double("tolerance"), patience: params.int("patience"), seed: params.seed, json: params.json)
        settings.grid = params.int("grid")
        settings.checkpointEpochs = params.int("checkpoint_epochs")
        settings.checkpointSeconds = params.double("checkpoint_seconds")
        return settings
    }

    /// Trains `algorithm` on `problem` in the node's threads, with its checkpoint slot and
    /// progress; rows and columns without training entries end with zero factors.
    ///
    /// - Throws: `StageFailure` when the solver diverges (its checkpoint is discarded).
    static func train(_ problem: TrainingProblem, settings: TrainingSettings, algorithm: String, context: StageContext) throws -> FactorModel {
        let node = context.node.id
        let environment = SolverEnvironment(
            threads: context.threadGrant, cancellation: context.cancellation, checkpoint: context.checkpoint,
            progress: { done, total, note in context.progress(done, of: total, note: note) },
            note: { message in context.log.info("checkpoint", "\(node): \(message)", fields: ["node": .string(node)]) })
        var model: FactorModel
        do {
            model = try FactorizerRegistry.named(algorithm)!.train(problem, settings: settings, environment: environment)
        } catch let divergence as SolverDivergence {
            context.checkpoint.remove()
            throw StageFailure(node: node, message: divergence.description)
        }
        model.zeroUnseen(rowCounts: problem.rowCounts, colCounts: problem.colCounts)
        return model
    }

    /// The normalized training and validation entries upstream of the node, shared by every
    /// rank of the stage's sweep: the training entries are streamed from the artifact (never
    /// held whole by SGD), the validation entries read without timestamps.
    private static func sharedProblem(_ context: StageContext) throws -> TrainingProblem {
        let stage = context.node.stage.id
        return try context.cache.value(for: "training-problem:" + stage, owner: stage) {
            let ratings = context.required(.ratings).dataFile
            let (rows, cols, parts) = try RatingData.readParts(from: ratings, [.validation], timestamps: false)
            let normalization = try NormalizeStage.upstreamNormalization(context, rows: rows, cols: cols)
            var validation = parts[.validation] ?? RatingTable()
            normalization.removeOffsets(from: &validation)
            return try TrainingProblem(rows: rows, cols: cols, entries: ArtifactEntries(url: ratings, normalization: normalization),
                                       validation: validation)
        }
    }
}
