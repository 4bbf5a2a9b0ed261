import Foundation

/// Scores every upstream model on validation and test beside the global-mean and bias
/// baselines, chooses a model by validation RMSE (the lowest, or under k-fold by the
/// one-standard-error rule), and (with `refit`) retrains the chosen one on training plus
/// validation entries — under k-fold on every non-test entry, after a normalization
/// fitted on them.
public enum EvaluateStage: Stage {
    public static let typeName = "evaluate"
    public static let summary = "RMSE and MAE of every model and of the baselines (means and standard deviations over folds under k-fold); choose k by validation RMSE"
    public static let requires = [ArtifactKind.ratings, ArtifactKind.model]
    public static let produces = ArtifactKind.evaluation
    public static let gathersFolds = true

    public static let params: [ParamSpec] = [
        ParamSpec("clip", .boolean, default: .bool(true), "clip predictions to the range of the training values"),
        ParamSpec("refit", .boolean, default: .bool(true),
                  "after choosing by validation RMSE, retrain the chosen model on training plus validation entries for its best number of epochs (under k-fold: on every non-test entry, for the folds' mean best epoch; required there); that model is exported and its test metrics reported"),
        ParamSpec("selection_rule", .choice(SelectionRule.allCases.map(\.rawValue)), default: .string(SelectionRule.lowest.rawValue),
                  "lowest: the lowest validation RMSE (under k-fold, the lowest mean over folds); one_standard_error: the smallest k the validation entries cannot tell from the lowest — under k-fold, whose mean is within one standard error of the lowest mean; on one validation set, whose validation mean squared error is within one standard error of the lowest model's"),
        ParamSpec("select_by", .choice(SelectionMetric.allCases.map(\.rawValue)), default: .string(SelectionMetric.rmse.rawValue),
                  "the validation metric k is chosen by: rmse (lowest), or precision, recall, ndcg or map at ranking_at (highest; needs ranking_at > 0)"),
        ParamSpec("ranking_at", .integer(0...10_000), default: .number(10),
                  "N of the ranking metrics (precision, recall, NDCG, MAP at N and coverage) measured for every model and the popularity baseline; 0 skips them, as does a complete matrix without relevance_threshold (every candidate is a held-out entry, all relevant)"),
        ParamSpec("relevance_threshold", .number(minimum: -.infinity, maximum: .infinity, exclusiveMinimum: false), default: .null,
                  "a held-out entry is relevant to the ranking metrics when its value is at least this; by default every held-out entry is"),
        ParamSpec("baseline_regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .number(10),
                  "shrinkage of the bias baseline's row and column biases"),
    ]

    /// One fold's data (or the only data, without k-fold) and what its models are scored with.
    struct Scoring {
        let data: RatingData
        let normalization: Normalization
        let clip: ClosedRange<Double>?
        let normalizedTrain: [Float]
        let trainSquares: Double
        let ranking: (at: Int, threshold: Double?, threads: Int)

        init(data: RatingData, normalization: Normalization, clip: Bool, ranking: (at: Int, threshold: Double?, threads: Int)) {
            self.data = data
            self.ranking = ranking
            self.normalization = normalization
            self.clip = clip ? EvaluateStage.range(of: data.training) : nil
            normalizedTrain = normalization.normalizedValues(of: data.training)
            trainSquares = normalizedTrain.reduce(0) { $0 + Double($1) * Double($1) }
        }

        /// The threads the stage may use.
        var threads: Int { ranking.threads }

        var validation: RatingTable { data.parts[.validation] ?? RatingTable() }
        var test: RatingTable { data.parts[.test] ?? RatingTable() }

        /// The ranking metrics' held-out sets: validation (lists without the training entries)
        /// and test (lists without the training and validation entries), nil when not
        /// measured; built once for all the models scored on this data, and dropped before a
        /// refit.
        func rankingTasks() -> RankingMetrics.Task? {
            guard ranking.at > 0 else { return nil }
            return RankingMetrics.Task(heldOut: [validation, test], threshold: ranking.threshold, excluding: [data.training, validation],
                                       rows: data.rowCount)
        }

        /// The model in `handle` scored on this data; with `measuresSpread`, also the standard
        /// error of its validation mean squared error (for the one-standard-error rule on one
        /// validation set).
        func score(_ handle: ArtifactHandle, tasks: RankingMetrics.Task?, measuresSpread: Bool) throws -> Evaluation.ModelScore {
            let model = try FactorModel.read(at: handle.dataFile)
            let predictor = Predictor(normalization: normalization, model: model, clip: clip)
            var score = Evaluation.ModelScore(
                node: handle.node.id, k: model.k, algorithm: model.info.algorithm,
                train: ErrorMetrics.measure(data.training, threads: threads, predict: predictor.predict),
                validation: ErrorMetrics.measure(validation, threads: threads, predict: predictor.predict),
                test: ErrorMetrics.measure(test, threads: threads, predict: predictor.predict),
                iterations: model.info.iterations, seconds: model.info.seconds,
                explainedVariance: EvaluateStage.explainedVariance(predictor, train: data.training, normalized: normalizedTrain,
                                                                   squares: trainSquares, threads: threads),
                fold: handle.node.fold ?? 0, parameters: model.w.count + model.h.count + model.rowBias.count + model.colBias.count + model.sigma.count)
            if measuresSpread {
                score.validationMSESE = ErrorMetrics.meanSquareStandardError(validation, threads: threads, predict: predictor.predict)
            }
            (score.validationRanking, score.testRanking) = try rankingMetrics(model, normalization: normalization, tasks: tasks)
            return score
        }

        /// The ranking metrics of `model` on validation and test, from one pass over its
        /// predictions.
        func rankingMetrics(_ model: FactorModel, normalization: Normalization, tasks: RankingMetrics.Task?) throws -> (RankingMetrics, RankingMetrics) {
            guard let tasks else { return (.empty, .empty) }
            let measured = try RankingMetrics.measure(model: model, normalization: normalization, task: tasks, at: ranking.at, threads: threads)
            return (measured[0], measured[1])
        }

        /// The popularity baseline's ranking metrics on validation and test.
        func popularity(tasks: RankingMetrics.Task?) throws -> (validation: RankingMetrics, test: RankingMetrics) {
            let model = RankingMetrics.popularityModel(train: data.training, rows: data.rowCount, cols: data.colCount)
            return try rankingMetrics(model, normalization: .none(rows: data.rowCount, cols: data.colCount), tasks: tasks)
        }

        /// The global-mean and bias baselines fitted on this training set, on validation and test.
        func baselines(regularization: Double) -> [(validation: ErrorMetrics, test: ErrorMetrics)] {
            [(Normalization.Method.mean, 0.0), (.biases, regularization)].map { method, shrinkage in
                let predictor = Predictor(
                    normalization: .fit(method, train: data.training, rows: data.rowCount, cols: data.colCount,
                                        rowRegularization: shrinkage, colRegularization: shrinkage),
                    model: nil, clip: clip)
                return (ErrorMetrics.measure(validation, threads: threads, predict: predictor.predict),
                        ErrorMetrics.measure(test, threads: threads, predict: predictor.predict))
            }
        }
    }

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let params = context.params
        let handlesByFold = Dictionary(grouping: context.all(.model)) { $0.node.fold ?? 0 }
        var ranking = (at: params.int("ranking_at"), threshold: params.has("relevance_threshold") ? params.double("relevance_threshold") : nil,
                       threads: context.threads)
        let rule = SelectionRule(rawValue: params.string("selection_rule"))!
        let selectBy = SelectionMetric(rawValue: params.string("select_by"))!
        let crossValidated = handlesByFold[0] == nil
        // Under k-fold the rule uses the folds' spread; on one validation set, each model's own.
        let measuresSpread = !crossValidated && rule == .oneStandardError
        var foldPopularity: [(validation: RankingMetrics, test: RankingMetrics)] = []
        var scored: [(model: String, score: Evaluation.ModelScore)] = []
        var foldBaselines: [[(validation: ErrorMetrics, test: ErrorMetrics)]] = []
        var first: Scoring?
        for fold in handlesByFold.keys.sorted() {
            let (data, normalization) = try NormalizeStage.upstreamData(context, fold: fold == 0 ? nil : fold)
            let heldOut = (data.parts[.validation]?.count ?? 0) + (data.parts[.test]?.count ?? 0)
            if ranking.at > 0, ranking.threshold == nil, selectBy == .rmse, heldOut > 0,
               data.parts.values.reduce(0, { $0 + $1.count }) == data.rowCount * data.colCount {
                // Every cell is an entry: each row's candidates are its held-out entries, all relevant.
                ranking.at = 0
                context.log.info("metrics", "no ranking metrics: in a complete matrix every candidate is a held-out entry, all relevant; set relevance_threshold to rank them by value",
                                 fields: ["node": .string(context.node.id)])
            }
            if ranking.at > 0, let threshold = ranking.threshold, fold <= 1 {
                // Nothing relevant: every ranking metric is empty, and a choice by one would be arbitrary.
                let validationTop = data.parts[.validation]?.values.max()
                let heldOutTop = [validationTop, data.parts[.test]?.values.max()].compactMap { $0 }.max()
                func unreached(_ what: String, _ top: Float) -> String {
                    "no \(what) entry reaches relevance_threshold \(JSONWriter.number(threshold)) (the highest is \(JSONWriter.number(Double(top))))"
                }
                if selectBy != .rmse, let top = validationTop, Double(top) < threshold {
                    throw PipelineFileError(file: DisplayPath.of(context.pipeline.file), location: "\(context.node.stage.path).params.relevance_threshold",
                                            message: "\(unreached("validation", top)), so \(selectBy.name(at: ranking.at)) cannot choose k; expected a threshold the validation values reach")
                } else if let top = heldOutTop, Double(top) < threshold {
                    context.warn("\(unreached("held-out", top)): the ranking metrics have nothing relevant to find")
                }
            }
            let scoring = Scoring(data: data, normalization: normalization, clip: params.bool("clip"), ranking: ranking)
            let tasks = scoring.rankingTasks()
            for handle in handlesByFold[fold]! {
                scored.append((handle.node.idWithoutFold, try scoring.score(handle, tasks: tasks, measuresSpread: measuresSpread)))
            }
            foldBaselines.append(scoring.baselines(regularization: params.double("baseline_regularization")))
            foldPopularity.append(try scoring.popularity(tasks: tasks))
            if first == nil { first = scoring }
        }
        var models = crossValidated ? CrossValidation.summarize(scored) : scored.map(\.score)
        models.sort { ($0.k, $0.node) < ($1.k, $1.node) }
        guard models.count == 1 || models.allSatisfy({ $0.validation.rmse.isFinite }) else {
            // A pipeline without a split that holds out validation entries never gets here
            // (`validate` refuses it); its split held out none of these data.
            throw StageFailure(node: context.node.id, message: "\(models.count) models but no validation entries to choose among them: "
                                   + "the split held out none of these data (its warning says why)")
        }
        let chosen = rule.choose(models, by: selectBy)
        func mean(_ part: (ErrorMetrics, ErrorMetrics) -> ErrorMetrics, _ baseline: Int) -> ErrorMetrics {
            let values = foldBaselines.map { part($0[baseline].validation, $0[baseline].test) }
            return ErrorMetrics(rmse: values.map(\.rmse).reduce(0, +) / Double(values.count),
                                mae: values.map(\.mae).reduce(0, +) / Double(values.count))
        }
        let basis = try crossValidated ? poolScoring(first!, context: context) : first!
        let poolBaselines = crossValidated ? basis.baselines(regularization: params.double("baseline_regularization")) : foldBaselines[0]
        var evaluation = Evaluation(
            models: models,
            globalMean: (mean({ validation, _ in validation }, 0), poolBaselines[0].test),
            biasBaseline: (mean({ validation, _ in validation }, 1), poolBaselines[1].test),
            chosen: chosen, clipRange: basis.clip, trainSquares: basis.trainSquares,
            foldScores: crossValidated ? scored.map(\.score) : [], selection: rule, selectBy: selectBy, rankingAt: ranking.at,
            relevanceThreshold: ranking.threshold,
            shape: (basis.data.rowCount, basis.data.colCount, basis.data.parts.values.reduce(0) { $0 + $1.count }),
            meanSquares: (meanSquare(basis.data.training), meanSquare(basis.test)),
            popularity: (CrossValidation.mean(foldPopularity.map(\.validation)), crossValidated ? try basis.popularity(tasks: basis.rankingTasks()).test : foldPopularity[0].test))
        var refitModel: FactorModel?
        let chosenHandles = context.all(.model).filter { $0.node.idWithoutFold == models[chosen].node }
        let chosenTrainings = try chosenHandles.map { try TrainingInfo.read(at: $0.dataFile) }
        if params.bool("refit"), crossValidated || basis.validation.count > 0,
            let handle = chosenHandles.first, handle.node.stage.type.typeName == FactorizeStage.typeName {
            let epochs = chosenTrainings.map(\.bestIteration)
            refitModel = try refit(handle, basis: basis, epochs: Int((Double(epochs.reduce(0, +)) / Double(epochs.count)).rounded()),
                                   required: crossValidated, context: context)
        }
        if let model = refitModel {
            let predictor = Predictor(normalization: basis.normalization, model: model, clip: basis.clip)
            evaluation.refit = Evaluation.Refit(epochs: model.info.iterations,
                                                train: ErrorMetrics.measure(basis.data.training.appending(basis.validation),
                                                                            threads: context.threads, predict: predictor.predict),
                                                test: ErrorMetrics.measure(basis.test, threads: context.threads, predict: predictor.predict),
                                                count: model.info.iterationCount)
        }
        try context.writeArtifact { root in
            try evaluation.write(to: root)
            if let refitModel { try refitModel.write(to: root.createGroup(Self.refitGroup)) }
            if crossValidated { try basis.normalization.write(to: root.createGroup(Self.refitNormalizationGroup)) }
        }
        logMetrics(evaluation, context: context)
        let svdRounds = context.all(.model).filter { $0.node.params.string("algorithm") == SVDFactorizer.name }
            .map { (node: $0.node.idWithoutFold, rounds: SVDSettings($0.node.params).rounds) }
        for warning in chosenModelWarnings(evaluation, trainings: chosenTrainings, svdRounds: svdRounds, basis: basis) {
            context.warn(warning)
        }
        return outcome(evaluation)
    }

    /// Under k-fold, every non-test entry (fold 1's training plus validation entries) as
    /// the training set, normalized as the folds were but fitted on all of them.
    private static func poolScoring(_ fold: Scoring, context: StageContext) throws -> Scoring {
        var data = fold.data
        data.parts = [.train: fold.data.training.appending(fold.validation), .validation: RatingTable(), .test: fold.test]
        let normalization: Normalization
        if let handle = context.nearest(.normalization) {
            normalization = try NormalizeStage.fit(handle.node.params, stage: handle.node.stage, data: data, context: context)
        } else {
            normalization = .none(rows: data.rowCount, cols: data.colCount)
        }
        return Scoring(data: data, normalization: normalization, clip: fold.clip != nil, ranking: fold.ranking)
    }

    /// "label 0.1234", or nil when there is no value (no entries were held out for it).
    private static func metric(_ label: String, _ value: Double) -> String? {
        value.isFinite ? "\(label) \(MetricText.format(value))" : nil
    }

    /// What the log says of a model scored on no held-out entries: its training RMSE.
    private static func heldOutNothing(train: Double) -> String {
        (metric("train RMSE", train).map { $0 + " " } ?? "") + "(no held-out entries)"
    }

    private static func logMetrics(_ evaluation: Evaluation, context: StageContext) {
        for score in evaluation.models {
            let held = [metric("validation RMSE", score.validation.rmse), metric("test RMSE", score.test.rmse), metric("test MAE", score.test.mae)]
                .compactMap { $0 }
            context.log.info("metrics", "\(score.node): k=\(score.k) " + (held.isEmpty ? heldOutNothing(train: score.train.rmse) : held.joined(separator: ", ")),
                             fields: ["node": .string(score.node), "k": .number(Double(score.k)),
                                      "train_rmse": .number(score.train.rmse),
                                      "validation_rmse": .number(score.validation.rmse), "validation_mae": .number(score.validation.mae),
                                      "test_rmse": .number(score.test.rmse), "test_mae": .number(score.test.mae)]
                                 .merging(score.folds > 1 ? ["folds": .number(Double(score.folds)),
                                                             "validation_rmse_sd": .number(score.validationRMSESD)] : [:]) { $1 })
        }
    }

    private static func outcome(_ evaluation: Evaluation) -> StageOutcome {
        let best = evaluation.chosenModel
        var held: [String] = []
        if var validation = metric("validation RMSE", best.validation.rmse) {
            if evaluation.isCrossValidated {
                validation += " ± \(MetricText.format(best.validationRMSESD)) over \(best.folds) folds (\(evaluation.selection.name(crossValidated: true)))"
            } else if evaluation.selection == .oneStandardError {
                let lowest = evaluation.models[SelectionRule.lowest.choose(evaluation.models)]
                validation += " (\(evaluation.selection.name(crossValidated: false))"
                    + (lowest.node == best.node ? ")" : "; lowest \(MetricText.format(lowest.validation.rmse)) at \(evaluation.name(of: lowest)))")
            }
            held.append(validation)
        }
        held += [metric("test RMSE", best.test.rmse)].compactMap { $0 }
        if evaluation.selectBy != .rmse, let chosenBy = metric("validation " + evaluation.selectBy.name(at: evaluation.rankingAt),
                                                              evaluation.selectBy.value(best)) {
            held.insert(chosenBy, at: 0)
        }
        var summary = "chose \(evaluation.name(of: best)): " + (held.isEmpty ? heldOutNothing(train: best.train.rmse) : held.joined(separator: ", "))
        if let refit = evaluation.refit {
            summary += "; refit on \(evaluation.isCrossValidated ? "every non-test entry" : "train+validation") (\(refit.length))"
                + (metric("test RMSE", refit.test.rmse).map { ": " + $0 } ?? "")
        }
        if let bias = metric("bias baseline", evaluation.biasBaseline.test.rmse), let mean = metric("global mean", evaluation.globalMean.test.rmse) {
            summary += " (\(bias), \(mean))"
        }
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

    /// The evaluation artifact's group holding, under k-fold, the normalization fitted on
    /// every non-test entry (the one the refit model was trained after).
    static let refitNormalizationGroup = "refit_normalization"

    /// Retrains the model of `handle` on `basis`'s training plus validation entries, with
    /// its own settings, for `epochs` (no early stopping: there is no held-out set left).
    ///
    /// When the algorithm cannot take those entries — nmf after `minmax` fitted on the
    /// training entries meets a validation value below their minimum — there is no refit:
    /// nil, and a warning that the chosen model is exported as trained; an error when the
    /// refit is `required` (k-fold).
    private static func refit(_ handle: ArtifactHandle, basis: Scoring, epochs: Int, required: Bool,
                              context: StageContext) throws -> FactorModel? {
        let request = try FactorizeStage.request(for: handle.node.params, context: context)
        let seen = basis.data.training.appending(basis.validation)
        let normalized = RatingTable(rows: seen.rows, cols: seen.cols, values: basis.normalization.normalizedValues(of: seen))
        let problem = TrainingProblem(rows: basis.data.rowCount, cols: basis.data.colCount, train: normalized, validation: RatingTable())
        do {
            return try FactorizeStage.train(problem, request: request, context: context) { loop in
                loop.epochs = epochs
                loop.patience = 0
                loop.tolerance = 0
            }
        } catch let unsuitable as UnsuitableData {
            let algorithm = handle.node.params.string("algorithm")
            let reason: String
            switch unsuitable {
            case let .negativeEntry(row, col, value):
                reason = "\"\(algorithm)\" needs non-negative values, and the entry (row \"\(basis.data.rowIDs.ids[row])\", column \"\(basis.data.colIDs.ids[col])\") is \(Float(value)) after the normalization fitted on the training entries"
            case let .rankTooLarge(k, rows, cols):
                reason = UnsuitableData.rankText(k: k, rows: rows, cols: cols, algorithm: algorithm)
            }
            if required { throw StageFailure(node: context.node.id, message: "cannot refit on every non-test entry: \(reason)") }
            context.warn("no refit on training plus validation entries: \(reason); the chosen model is exported as trained")
            return nil
        }
    }

    /// 1 − Σ (y − model)² / Σ y² over the training entries, y their normalized values, on up
    /// to `threads` threads (fixed chunks added in order: the same bits for any count).
    fileprivate static func explainedVariance(_ predictor: Predictor, train: RatingTable, normalized: [Float], squares: Double,
                                              threads: Int) -> Double {
        guard squares > 0 else { return .nan }
        let errors = ParallelWork.overChunks(train.count, threads: threads) { entries in
            var sum = 0.0
            for entry in entries {
                let error = Double(normalized[entry]) - predictor.modelPart(row: train.rows[entry], col: train.cols[entry])
                sum += error * error
            }
            return sum
        }.reduce(0.0, +)
        return 1 - errors / squares
    }

    private static func meanSquare(_ table: RatingTable) -> Double {
        table.count == 0 ? .nan : table.values.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(table.count)
    }

    fileprivate static func range(of table: RatingTable) -> ClosedRange<Double>? {
        guard let low = table.values.min(), let high = table.values.max() else { return nil }
        return Double(low)...Double(high)
    }

    /// The data and normalization the exported chosen model was trained with: the split's
    /// data with the validation entries counted as training when the model was refit, and
    /// under k-fold the normalization fitted on every non-test entry.
    static func exportedBasis(_ context: StageContext, evaluation: Evaluation) throws -> (data: RatingData, normalization: Normalization) {
        var (data, normalization) = try NormalizeStage.upstreamData(context, fold: evaluation.isCrossValidated ? 1 : nil)
        if evaluation.refit != nil, let validation = data.parts[.validation] {
            data.parts[.train] = data.training.appending(validation)
            data.parts[.validation] = RatingTable()
        }
        if evaluation.isCrossValidated {
            let file = try HDF5File.open(context.required(.evaluation).dataFile)
            defer { try? file.close() }
            normalization = try Normalization.read(from: file.root.openGroup(refitNormalizationGroup))
        }
        return (data, normalization)
    }

    /// The model exported as the chosen one: the refit model when evaluate refit it, else
    /// the chosen node's.
    static func chosenModel(_ context: StageContext, evaluation: Evaluation) throws -> FactorModel {
        let file = try HDF5File.open(context.required(.evaluation).dataFile)
        defer { try? file.close() }
        if file.root.contains(refitGroup) { return try FactorModel.read(from: file.root.openGroup(refitGroup)) }
        guard let handle = context.all(.model).first(where: { $0.node.idWithoutFold == evaluation.chosenModel.node }) else {
            preconditionFailure("the chosen model \(evaluation.chosenModel.node) is upstream")
        }
        return try FactorModel.read(at: handle.dataFile)
    }

    /// Reads the evaluation upstream of a stage, with how its refit model counts its epochs.
    static func upstream(_ context: StageContext) throws -> Evaluation {
        let file = try HDF5File.open(context.required(.evaluation).dataFile)
        defer { try? file.close() }
        var evaluation = try Evaluation.read(from: file.root)
        if file.root.contains(refitGroup) {
            evaluation.refit?.count = try TrainingInfo.read(from: file.root.openGroup(refitGroup)).iterationCount
        }
        return evaluation
    }
}
