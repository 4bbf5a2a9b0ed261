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
        "sgd": ["epochs": 200, "learning_rate": 0.01, "learning_rate_decay": 0.98, "regularization": 0.08,
                "bias_regularization": 0.05, "tolerance": 1e-5],
        "adam": ["epochs": 20000, "learning_rate": 0.01, "learning_rate_decay": 0.9997, "regularization": 0,
                 "bias_regularization": 0, "tolerance": 1e-9],
    ]

    public static let params: [ParamSpec] = [
        ParamSpec("algorithm", .choice(FactorizerRegistry.all.map { $0.name }), default: .string("sgd"),
                  "sgd: biased matrix factorization by SGD (Funk/Koren); adam: full-batch gradient descent with Adam on the Frobenius loss"),
        ParamSpec("k", .rankSweep, default: nil, "the rank, or a sweep: a list [8, 16, 32] or {\"from\": 8, \"to\": 64, \"step\": 8}"),
        ParamSpec("epochs", .integer(1...Int.max), default: .null, "the most epochs (sgd, default 200) or iterations (adam, default 20000)"),
        ParamSpec("learning_rate", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: true), default: .null,
                  "the step size (sgd 0.01, adam 0.01)"),
        ParamSpec("learning_rate_decay", .number(minimum: 0, maximum: 1, exclusiveMinimum: true), default: .null,
                  "step-size factor per epoch (sgd 0.98) or per iteration (adam 0.9997)"),
        ParamSpec("regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .null,
                  "L2 penalty on the factors (sgd 0.08, adam 0)"),
        ParamSpec("bias_regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .null,
                  "L2 penalty on the learned biases (sgd 0.05)"),
        ParamSpec("init_scale", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: true), default: .number(0.05),
                  "standard deviation of the Gaussian initial factors"),
        ParamSpec("tolerance", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .null,
                  "stop when the objective's relative improvement falls below this (sgd 1e-5, adam 1e-9)"),
        ParamSpec("patience", .integer(0...Int.max), default: .number(10),
                  "with a validation set: stop this many epochs after the best validation RMSE and keep that epoch's factors (0: off)"),
        ParamSpec("seed", .integer(0...Int.max), default: .null, "the seed of initialisation and ordering; defaults to the pipeline seed"),
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
        let (data, normalization) = try NormalizeStage.upstreamData(context)
        let train = data.training
        let validation = data.parts[.validation] ?? RatingTable()
        let problem = TrainingProblem(
            rows: data.rowCount, cols: data.colCount,
            train: RatingTable(rows: train.rows, cols: train.cols, values: normalization.residuals(of: train)),
            validation: RatingTable(rows: validation.rows, cols: validation.cols, values: normalization.residuals(of: validation)))
        let settings = TrainingSettings(
            k: params.int("k"), epochs: params.int("epochs"), learningRate: params.double("learning_rate"),
            learningRateDecay: params.double("learning_rate_decay"), regularization: params.double("regularization"),
            biasRegularization: params.double("bias_regularization"), initScale: params.double("init_scale"),
            tolerance: params.double("tolerance"), patience: params.int("patience"), seed: params.seed,
            threads: context.threads, json: params.json)
        let solver = FactorizerRegistry.named(params.string("algorithm"))!
        var model: FactorModel
        do {
            model = try solver.train(problem, settings: settings, cancellation: context.cancellation) { done, total, note in
                context.progress(done, of: total, note: note)
            }
        } catch let divergence as SolverDivergence {
            throw StageFailure(node: context.node.id, message: divergence.description)
        }
        model.zeroUnseen(rowCounts: train.counts(byRow: true, size: data.rowCount), colCounts: train.counts(byRow: false, size: data.colCount))
        try context.writeArtifact(model.write)
        let best = model.info.curve[model.info.bestIteration - 1]
        var summary = "k=\(model.k) \(model.info.algorithm): \(model.info.iterations) epochs, train RMSE \(String(format: "%.4f", best.trainRMSE))"
        if !best.validationRMSE.isNaN { summary += String(format: ", validation RMSE %.4f (epoch %d)", best.validationRMSE, model.info.bestIteration) }
        return StageOutcome(summary: summary, metrics: [
            "k": Double(model.k), "iterations": Double(model.info.iterations), "seconds": model.info.seconds,
            "train_rmse": best.trainRMSE, "validation_rmse": best.validationRMSE.isNaN ? -1 : best.validationRMSE,
        ])
    }
}
