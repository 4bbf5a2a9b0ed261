import Foundation

/// The metrics of every trained model and of the baselines, and the model chosen by
/// validation RMSE (never by test). Under a k-fold split the table has one row per model
/// summarised over its folds (`CrossValidation`) and keeps the folds' own rows beside it.
public struct Evaluation: Sendable {
    /// One model's row of the sweep table.
    public struct ModelScore: Sendable {
        /// The factorize node that trained it.
        public var node: String
        /// The factorize stage that trained it: its node's id without the rank.
        public var stage: String { DAGNode.stageID(of: node) }
        /// Its rank.
        public var k: Int
        /// Its algorithm.
        public var algorithm: String
        /// Metrics on the training entries.
        public var train: ErrorMetrics
        /// Metrics on the validation entries (NaN without any).
        public var validation: ErrorMetrics
        /// Metrics on the test entries (NaN without any).
        public var test: ErrorMetrics
        /// Epochs or iterations run.
        public var iterations: Int
        /// Training seconds.
        public var seconds: Double
        /// The fraction of the normalized training values' sum of squares the model
        /// explains: 1 − Σ (y − model)² / Σ y² over training entries, y the normalized value.
        public var explainedVariance: Double
        /// The fold (1-based) whose validation entries the model was scored on; 0 for a
        /// model not cross-validated or a row summarised over folds.
        public var fold = 0
        /// How many fold models the row summarises (1 without k-fold).
        public var folds = 1
        /// The standard deviation of the validation RMSE over the folds (NaN without k-fold).
        public var validationRMSESD = Double.nan
        /// The standard deviation of the test RMSE over the folds (NaN without k-fold).
        public var testRMSESD = Double.nan
        /// On one validation set, under the one-standard-error rule: the standard error of
        /// the validation mean squared error (`ErrorMetrics.meanSquareStandardError`); NaN
        /// otherwise.
        public var validationMSESE = Double.nan
        /// The numbers the model stores: the entries of W, H, biases and σ.
        public var parameters = 0
        /// Ranking metrics of its top-N lists on the validation entries (`RankingMetrics`).
        public var validationRanking = RankingMetrics.empty
        /// Ranking metrics of its top-N lists on the test entries.
        public var testRanking = RankingMetrics.empty
    }

    /// The models, in sweep order.
    public var models: [ModelScore]
    /// Predicting the training mean everywhere, on validation and test.
    public var globalMean: (validation: ErrorMetrics, test: ErrorMetrics)
    /// Predicting mean + regularised row and column biases, on validation and test.
    public var biasBaseline: (validation: ErrorMetrics, test: ErrorMetrics)
    /// The index in `models` of the chosen model.
    public var chosen: Int
    /// Whether predictions were clipped to the training range, and that range.
    public var clipRange: ClosedRange<Double>?
    /// The chosen model retrained on training plus validation entries, when it was.
    public var refit: Refit?
    /// Σ y² over the normalized training values: what explained variance is a fraction of
    /// (and what an SVD's σ_i² are divided by for each component's share).
    public var trainSquares: Double
    /// Under a k-fold split, every fold model's own row (empty otherwise).
    public var foldScores: [ModelScore] = []
    /// The rule that chose `chosen`.
    public var selection = SelectionRule.lowest
    /// The validation metric the rule chose by.
    public var selectBy = SelectionMetric.rmse
    /// N of the ranking metrics (0: not measured).
    public var rankingAt = 0
    /// The value at or above which a held-out entry is relevant (nil: every one is).
    public var relevanceThreshold: Double?
    /// The matrix: rows, columns and observed entries (every part of the split).
    public var shape = (rows: 0, cols: 0, entries: 0)
    /// The mean square of the training values and of the test values (on the data's scale):
    /// what an RMSE is divided by for a relative error.
    public var meanSquares = (train: Double.nan, test: Double.nan)
    /// The popularity baseline's ranking metrics (each row's most-trained unseen columns).
    public var popularity = (validation: RankingMetrics.empty, test: RankingMetrics.empty)

    /// Whether the table summarises the folds of a k-fold split.
    public var isCrossValidated: Bool { !foldScores.isEmpty }

    /// Whether both selection rules' choices are known: under k-fold, and on one validation
    /// set when the one-standard-error rule chose (its standard errors were measured).
    public var knowsBothRules: Bool { isCrossValidated || selection == .oneStandardError }

    /// How the chosen model did once retrained on training plus validation entries for the
    /// epochs it had chosen; it replaces the chosen model in the export.
    public struct Refit: Sendable {
        /// Epochs trained (the chosen model's best epoch).
        public var epochs: Int
        /// Metrics on the entries it was trained on (training plus validation).
        public var train: ErrorMetrics
        /// Metrics on the test entries.
        public var test: ErrorMetrics
        /// How the logs count its epochs (svd: in rounds); not written with the table, but
        /// read from the refit model beside it (`EvaluateStage.upstream`).
        public var count: IterationCount = .epochs

        /// Its length as the logs say it: "8 epochs", "4 rounds".
        public var length: String { CountText.of(epochs, count.name) }
    }

    /// The test metrics of the model that is exported: the refit one, or the chosen one.
    public var finalTest: ErrorMetrics { refit?.test ?? chosenModel.test }

    /// The chosen model's score.
    public var chosenModel: ModelScore { models[chosen] }

    /// The factorize stages whose models the table holds, in the order their first model appears.
    public var stages: [String] {
        models.reduce(into: [String]()) { stages, score in if !stages.contains(score.stage) { stages.append(score.stage) } }
    }

    /// Whether the models come from more than one factorize stage (two algorithms, or one
    /// algorithm with two settings): then a rank alone does not tell a model.
    public var comparesStages: Bool { stages.count > 1 }

    /// How the logs and reports name a model: `k=16`, or `k=16 of als_strong` when the models
    /// come from more than one factorize stage (`equals` between k and its value: the
    /// reports' prose spaces it, `k = 16`).
    public func name(of score: ModelScore, equals: String = "=") -> String {
        name(k: score.k, stage: score.stage, equals: equals)
    }

    /// `name(of:)` for a model known by its rank and stage (a training curve's).
    public func name(k: Int, stage: String, equals: String = "=") -> String {
        "k\(equals)\(k)" + (comparesStages ? " of \(stage)" : "")
    }

    /// Writes the table as one aligned dataset per column plus baseline attributes; under
    /// k-fold the folds' rows go to the subgroup `fold_scores`, in the same columns.
    public func write(to group: HDF5Group) throws {
        try Self.writeTable(models, to: group)
        if isCrossValidated { try Self.writeTable(foldScores, to: group.createGroup("fold_scores")) }
        try group.setAttribute("selection_rule", selection.rawValue)
        try group.setAttribute("select_by", selectBy.rawValue)
        try group.setAttribute("train_sum_of_squares", .double(trainSquares))
        try group.setAttribute("chosen_index", .int(Int64(chosen)))
        try group.setAttribute("chosen_k", .int(Int64(chosenModel.k)))
        try group.setAttribute("selection_metric", "validation_rmse")
        try writeBaselines(to: group)
        if let clipRange {
            try group.setAttribute("clip_min", .double(clipRange.lowerBound))
            try group.setAttribute("clip_max", .double(clipRange.upperBound))
        }
        if let refit {
            try group.setAttribute("refit_epochs", .int(Int64(refit.epochs)))
            for (name, value) in [("refit_train_rmse", refit.train.rmse), ("refit_train_mae", refit.train.mae),
                                  ("refit_test_rmse", refit.test.rmse), ("refit_test_mae", refit.test.mae)] {
                try group.setAttribute(name, .double(value))
            }
        }
    }

    private static let columns: [(String, (ModelScore) -> Double)] = [
        ("train_rmse", { $0.train.rmse }), ("train_mae", { $0.train.mae }),
        ("validation_rmse", { $0.validation.rmse }), ("validation_mae", { $0.validation.mae }),
        ("test_rmse", { $0.test.rmse }), ("test_mae", { $0.test.mae }),
        ("iterations", { Double($0.iterations) }), ("seconds", { $0.seconds }), ("explained_variance", { $0.explainedVariance }),
        ("fold", { Double($0.fold) }), ("folds", { Double($0.folds) }),
        ("validation_rmse_sd", { $0.validationRMSESD }), ("test_rmse_sd", { $0.testRMSESD }),
        ("validation_mse_se", { $0.validationMSESE }), ("parameters", { Double($0.parameters) }),
    ]

    private static func writeTable(_ scores: [ModelScore], to group: HDF5Group) throws {
        try group.writeStrings(scores.map(\.node), to: "node")
        try group.writeStrings(scores.map(\.algorithm), to: "algorithm")
        try group.write(scores.map { Int32($0.k) }, to: "k")
        for (name, column) in columns { try group.write(scores.map(column), to: name) }
        for (part, metrics) in rankingParts {
            for (index, name) in RankingMetrics.empty.named.map(\.name).enumerated() {
                try group.write(scores.map { $0[keyPath: metrics].named[index].value }, to: "\(part)_\(name)")
            }
        }
    }

    private static let rankingParts: [(String, WritableKeyPath<ModelScore, RankingMetrics>)] = [
        ("validation", \.validationRanking), ("test", \.testRanking),
    ]

    private static func readRanking(_ group: HDF5Group, part: String, count: Int) throws -> [RankingMetrics] {
        func column(_ name: String) throws -> [Double] { try group.read("\(part)_\(name)", as: Double.self).values }
        let (precision, recall, ndcg, map, coverage) = (try column("precision"), try column("recall"), try column("ndcg"),
                                                        try column("map"), try column("coverage"))
        return (0..<count).map { RankingMetrics(precision: precision[$0], recall: recall[$0], ndcg: ndcg[$0], map: map[$0],
                                                coverage: coverage[$0], rows: 0) }
    }

    private static func readTable(from group: HDF5Group) throws -> [ModelScore] {
        let nodes = try group.readStrings("node")
        let algorithms = try group.readStrings("algorithm")
        let ks = try group.read("k", as: Int32.self).values
        var values: [String: [Double]] = [:]
        for (name, _) in columns { values[name] = try group.read(name, as: Double.self).values }
        let ranking = try rankingParts.map { try readRanking(group, part: $0.0, count: nodes.count) }
        return nodes.indices.map { index in
            func column(_ name: String) -> Double { values[name]![index] }
            var score = ModelScore(
                node: nodes[index], k: Int(ks[index]), algorithm: algorithms[index],
                train: ErrorMetrics(rmse: column("train_rmse"), mae: column("train_mae")),
                validation: ErrorMetrics(rmse: column("validation_rmse"), mae: column("validation_mae")),
                test: ErrorMetrics(rmse: column("test_rmse"), mae: column("test_mae")),
                iterations: Int(column("iterations")), seconds: column("seconds"), explainedVariance: column("explained_variance"),
                fold: Int(column("fold")), folds: Int(column("folds")),
                validationRMSESD: column("validation_rmse_sd"), testRMSESD: column("test_rmse_sd"), parameters: Int(column("parameters")))
            score.validationMSESE = column("validation_mse_se")
            for (part, metrics) in ranking.enumerated() { score[keyPath: rankingParts[part].1] = metrics[index] }
            return score
        }
    }

    private static func popularityMetrics(_ group: HDF5Group, part: String) throws -> RankingMetrics {
        func value(_ name: String) throws -> Double { try group.doubleAttribute("popularity_\(part)_\(name)") }
        return RankingMetrics(precision: try value("precision"), recall: try value("recall"), ndcg: try value("ndcg"),
                              map: try value("map"), coverage: try value("coverage"), rows: 0)
    }

    /// Writes the baselines' metrics as attributes `global_mean_{validation,test}_{rmse,mae}`
    /// and `bias_baseline_{validation,test}_{rmse,mae}`, the matrix's `rows`, `cols`,
    /// `entries` and `train_mean_square`, `test_mean_square`, and the ranking settings with the
    /// popularity baseline's `popularity_{validation,test}_{precision,recall,ndcg,map,coverage}`.
    public func writeBaselines(to group: HDF5Group) throws {
        try group.setAttribute("rows", .int(Int64(shape.rows)))
        try group.setAttribute("cols", .int(Int64(shape.cols)))
        try group.setAttribute("entries", .int(Int64(shape.entries)))
        try group.setAttribute("train_mean_square", .double(meanSquares.train))
        try group.setAttribute("test_mean_square", .double(meanSquares.test))
        try group.setAttribute("ranking_at", .int(Int64(rankingAt)))
        try group.setAttribute("relevance_threshold", .double(relevanceThreshold ?? .nan))
        for (part, metrics) in [("validation", popularity.validation), ("test", popularity.test)] {
            for (name, value) in metrics.named { try group.setAttribute("popularity_\(part)_\(name)", .double(value)) }
        }
        let baselines: [(String, ErrorMetrics)] = [
            ("global_mean_validation", globalMean.validation), ("global_mean_test", globalMean.test),
            ("bias_baseline_validation", biasBaseline.validation), ("bias_baseline_test", biasBaseline.test),
        ]
        for (name, metrics) in baselines {
            try group.setAttribute("\(name)_rmse", .double(metrics.rmse))
            try group.setAttribute("\(name)_mae", .double(metrics.mae))
        }
    }

    /// Reads what `write(to:)` wrote.
    public static func read(from group: HDF5Group) throws -> Evaluation {
        let models = try readTable(from: group)
        func metrics(_ name: String) throws -> ErrorMetrics {
            ErrorMetrics(rmse: try group.doubleAttribute("\(name)_rmse"), mae: try group.doubleAttribute("\(name)_mae"))
        }
        var clip: ClosedRange<Double>?
        if try group.attribute("clip_min") != nil {
            clip = try group.doubleAttribute("clip_min")...group.doubleAttribute("clip_max")
        }
        var refit: Refit?
        if try group.attribute("refit_epochs") != nil {
            refit = Refit(epochs: try group.intAttribute("refit_epochs"), train: try metrics("refit_train"), test: try metrics("refit_test"))
        }
        return Evaluation(
            models: models,
            globalMean: (try metrics("global_mean_validation"), try metrics("global_mean_test")),
            biasBaseline: (try metrics("bias_baseline_validation"), try metrics("bias_baseline_test")),
            chosen: try group.intAttribute("chosen_index"), clipRange: clip, refit: refit,
            trainSquares: try group.doubleAttribute("train_sum_of_squares"),
            foldScores: group.contains("fold_scores") ? try readTable(from: group.openGroup("fold_scores")) : [],
            selection: SelectionRule(rawValue: try group.stringAttribute("selection_rule")) ?? .lowest,
            selectBy: SelectionMetric(rawValue: try group.stringAttribute("select_by")) ?? .rmse,
            rankingAt: try group.intAttribute("ranking_at"),
            relevanceThreshold: Optional(try group.doubleAttribute("relevance_threshold")).flatMap { $0.isNaN ? nil : $0 },
            shape: (try group.intAttribute("rows"), try group.intAttribute("cols"), try group.intAttribute("entries")),
            meanSquares: (try group.doubleAttribute("train_mean_square"), try group.doubleAttribute("test_mean_square")),
            popularity: (try popularityMetrics(group, part: "validation"), try popularityMetrics(group, part: "test")))
    }
}

extension Evaluation.ModelScore {
    /// A row with only its validation metrics (for tools and tests that weigh rows by them).
    public init(node: String, k: Int, algorithm: String, validation: ErrorMetrics) {
        self.init(node: node, k: k, algorithm: algorithm, train: .empty, validation: validation, test: .empty,
                  iterations: 0, seconds: 0, explainedVariance: .nan)
    }
}
