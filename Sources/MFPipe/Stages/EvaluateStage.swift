import Foundation

/// Scores every upstream model on validation and test beside the global-mean and bias
/// baselines, chooses the model with the lowest validation RMSE, and (with `refit`)
/// retrains the chosen one on training plus validation entries.
public enum EvaluateStage: Stage {
    public static let typeName = "evaluate"
    public static let summary = "RMSE and MAE of every model and of the baselines; choose k by validation RMSE"
    public static let requires = [ArtifactKind.ratings, ArtifactKind.model]
    public static let produces = ArtifactKind.evaluation

    public static let params: [ParamSpec] = [
        ParamSpec("clip", .boolean, default: .bool(true), "clip predictions to the range of the training values"),
        ParamSpec("refit", .boolean, default: .bool(true),
                  "after choosing by validation RMSE, retrain the chosen model on training plus validation entries for its best number of epochs; that model is exported and its test metrics reported"),
        ParamSpec("baseline_regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .number(10),
                  "shrinkage of the bias baseline's row and column biases"),
    ]

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let params = context.params
        let (data, normalization) = try NormalizeStage.upstreamData(context)
        let train = data.training
        let validation = data.parts[.validation] ?? RatingTable()
        let test = data.parts[.test] ?? RatingTable()
        let clip = params.bool("clip") ? Self.range(of: train) : nil
        let normalizedTrain = normalization.normalizedValues(of: train)
        let trainSquares = normalizedTrain.reduce(0) { $0 + Double($1) * Double($1) }
        var scores: [Evaluation.ModelScore] = []
        for handle in context.all(.model) {
            let file = try HDF5File.open(handle.dataFile)
            let model = try FactorModel.read(from: file.root)
            try file.close()
            let predictor = Predictor(normalization: normalization, model: model, clip: clip)
            scores.append(Evaluation.ModelScore(
                node: handle.node.id, k: model.k, algorithm: model.info.algorithm,
                train: ErrorMetrics.measure(train, predict: predictor.predict),
                validation: ErrorMetrics.measure(validation, predict: predictor.predict),
                test: ErrorMetrics.measure(test, predict: predictor.predict),
                iterations: model.info.iterations, seconds: model.info.seconds,
                explainedVariance: explainedVariance(predictor, train: train, normalized: normalizedTrain, squares: trainSquares)))
        }
        scores.sort { ($0.k, $0.node) < ($1.k, $1.node) }
        let regularization = params.double("baseline_regularization")
        let mean = Predictor(normalization: .fit(.mean, train: train, rows: data.rowCount, cols: data.colCount,
                                                 rowRegularization: 0, colRegularization: 0), model: nil, clip: clip)
        let biases = Predictor(normalization: .fit(.biases, train: train, rows: data.rowCount, cols: data.colCount,
                                                   rowRegularization: regularization, colRegularization: regularization), model: nil, clip: clip)
        let chosen: Int
        if validation.count > 0 {
            chosen = scores.indices.min { scores[$0].validation.rmse < scores[$1].validation.rmse }!
        } else if scores.count == 1 {
            chosen = 0
        } else {
            throw StageFailure(node: context.node.id, message: "\(scores.count) models but no validation entries to choose among them; add a split stage with validation > 0")
        }
        var evaluation = Evaluation(
            models: scores,
            globalMean: (ErrorMetrics.measure(validation, predict: mean.predict), ErrorMetrics.measure(test, predict: mean.predict)),
            biasBaseline: (ErrorMetrics.measure(validation, predict: biases.predict), ErrorMetrics.measure(test, predict: biases.predict)),
            chosen: chosen, clipRange: clip, trainSquares: trainSquares)
        var refitModel: FactorModel?
        if params.bool("refit"), validation.count > 0,
            let handle = context.all(.model).first(where: { $0.node.id == scores[chosen].node }),
            handle.node.stage.type.typeName == FactorizeStage.typeName {
            let model = try refit(handle, data: data, normalization: normalization, context: context)
            let predictor = Predictor(normalization: normalization, model: model, clip: clip)
            let seen = RatingTable(rows: train.rows, cols: train.cols, values: train.values).appending(validation)
            evaluation.refit = Evaluation.Refit(epochs: model.info.iterations, train: ErrorMetrics.measure(seen, predict: predictor.predict),
                                                test: ErrorMetrics.measure(test, predict: predictor.predict))
            refitModel = model
        }
        try context.writeArtifact { root in
            try evaluation.write(to: root)
            if let refitModel { try refitModel.write(to: root.createGroup(Self.refitGroup)) }
        }
        let best = evaluation.chosenModel
        for score in scores {
            context.log.info("metrics", String(format: "%@: k=%d validation RMSE %.4f, test RMSE %.4f, test MAE %.4f",
                                               score.node, score.k, score.validation.rmse, score.test.rmse, score.test.mae),
                             fields: ["node": .string(score.node), "k": .number(Double(score.k)),
                                      "train_rmse": .number(score.train.rmse),
                                      "validation_rmse": .number(score.validation.rmse), "validation_mae": .number(score.validation.mae),
                                      "test_rmse": .number(score.test.rmse), "test_mae": .number(score.test.mae)])
        }
        var summary = String(format: "chose k=%d: validation RMSE %.4f, test RMSE %.4f", best.k, best.validation.rmse, best.test.rmse)
        if let refit = evaluation.refit {
            summary += String(format: "; refit on train+validation (%d epochs): test RMSE %.4f", refit.epochs, refit.test.rmse)
        }
        summary += String(format: " (bias baseline %.4f, global mean %.4f)", evaluation.biasBaseline.test.rmse, evaluation.globalMean.test.rmse)
        return StageOutcome(
            summary: summary,
            metrics: [
                "chosen_k": Double(best.k), "validation_rmse": best.validation.rmse, "test_rmse": evaluation.finalTest.rmse,
                "test_mae": evaluation.finalTest.mae, "chosen_test_rmse": best.test.rmse,
                "train_rmse": best.train.rmse, "bias_baseline_test_rmse": evaluation.biasBaseline.test.rmse,
                "global_mean_test_rmse": evaluation.globalMean.test.rmse,
            ].filter { $0.value.isFinite })
    }

    /// The evaluation artifact's group holding the refit model.
    static let refitGroup = "refit_model"

    /// Retrains the model of `handle` on training plus validation entries, with its own
    /// settings, for the epochs it kept (no early stopping: there is no held-out set left).
    private static func refit(_ handle: ArtifactHandle, data: RatingData, normalization: Normalization, context: StageContext) throws -> FactorModel {
        let file = try HDF5File.open(handle.dataFile)
        let chosen = try FactorModel.read(from: file.root)
        try file.close()
        let request = try FactorizeStage.request(for: handle.node.params, context: context)
        let (train, validation) = (data.training, data.parts[.validation] ?? RatingTable())
        let seen = RatingTable(rows: train.rows + validation.rows, cols: train.cols + validation.cols,
                               values: normalization.normalizedValues(of: train) + normalization.normalizedValues(of: validation))
        let problem = TrainingProblem(rows: data.rowCount, cols: data.colCount, train: seen, validation: RatingTable())
        return try FactorizeStage.train(problem, request: request, context: context) { loop in
            loop.epochs = chosen.info.bestIteration
            loop.patience = 0
            loop.tolerance = 0
        }
    }

    /// 1 − Σ (y − model)² / Σ y² over the training entries, y their normalized values.
    private static func explainedVariance(_ predictor: Predictor, train: RatingTable, normalized: [Float], squares: Double) -> Double {
        guard squares > 0 else { return .nan }
        var errors = 0.0
        for entry in 0..<train.count {
            let error = Double(normalized[entry]) - predictor.modelPart(row: train.rows[entry], col: train.cols[entry])
            errors += error * error
        }
        return 1 - errors / squares
    }

    private static func range(of table: RatingTable) -> ClosedRange<Double>? {
        guard let low = table.values.min(), let high = table.values.max() else { return nil }
        return Double(low)...Double(high)
    }

    /// Reads the evaluation upstream of a stage.
    static func upstream(_ context: StageContext) throws -> Evaluation {
        let file = try HDF5File.open(context.required(.evaluation).dataFile)
        defer { try? file.close() }
        return try Evaluation.read(from: file.root)
    }
}
