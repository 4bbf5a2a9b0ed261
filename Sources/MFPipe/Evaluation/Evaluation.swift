import Foundation

/// The metrics of every trained model and of the baselines, and the model chosen by
/// validation RMSE (never by test).
public struct Evaluation: Sendable {
    /// One model's row of the sweep table.
    public struct ModelScore: Sendable {
        /// The factorize node that trained it.
        public var node: String
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

    /// How the chosen model did once retrained on training plus validation entries for the
    /// epochs it had chosen; it replaces the chosen model in the export.
    public struct Refit: Sendable {
        /// Epochs trained (the chosen model's best epoch).
        public var epochs: Int
        /// Metrics on the entries it was trained on (training plus validation).
        public var train: ErrorMetrics
        /// Metrics on the test entries.
        public var test: ErrorMetrics
    }

    /// The test metrics of the model that is exported: the refit one, or the chosen one.
    public var finalTest: ErrorMetrics { refit?.test ?? chosenModel.test }

    /// The chosen model's score.
    public var chosenModel: ModelScore { models[chosen] }

    /// Writes the table as one aligned dataset per column plus baseline attributes.
    public func write(to group: HDF5Group) throws {
        try group.writeStrings(models.map(\.node), to: "node")
        try group.writeStrings(models.map(\.algorithm), to: "algorithm")
        try group.write(models.map { Int32($0.k) }, to: "k")
        let columns: [(String, (ModelScore) -> Double)] = [
            ("train_rmse", { $0.train.rmse }), ("train_mae", { $0.train.mae }),
            ("validation_rmse", { $0.validation.rmse }), ("validation_mae", { $0.validation.mae }),
            ("test_rmse", { $0.test.rmse }), ("test_mae", { $0.test.mae }),
            ("iterations", { Double($0.iterations) }), ("seconds", { $0.seconds }), ("explained_variance", { $0.explainedVariance }),
        ]
        for (name, column) in columns { try group.write(models.map(column), to: name) }
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

    /// Writes the baselines' metrics as attributes `global_mean_{validation,test}_{rmse,mae}`
    /// and `bias_baseline_{validation,test}_{rmse,mae}`.
    public func writeBaselines(to group: HDF5Group) throws {
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
        let nodes = try group.readStrings("node")
        let algorithms = try group.readStrings("algorithm")
        let ks = try group.read("k", as: Int32.self).values
        func column(_ name: String) throws -> [Double] { try group.read(name, as: Double.self).values }
        let (trainRMSE, trainMAE) = (try column("train_rmse"), try column("train_mae"))
        let (validationRMSE, validationMAE) = (try column("validation_rmse"), try column("validation_mae"))
        let (testRMSE, testMAE) = (try column("test_rmse"), try column("test_mae"))
        let (iterations, seconds, explained) = (try column("iterations"), try column("seconds"), try column("explained_variance"))
        let models = nodes.indices.map { index in
            ModelScore(
                node: nodes[index], k: Int(ks[index]), algorithm: algorithms[index],
                train: ErrorMetrics(rmse: trainRMSE[index], mae: trainMAE[index]),
                validation: ErrorMetrics(rmse: validationRMSE[index], mae: validationMAE[index]),
                test: ErrorMetrics(rmse: testRMSE[index], mae: testMAE[index]),
                iterations: Int(iterations[index]), seconds: seconds[index], explainedVariance: explained[index])
        }
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
            trainSquares: try group.doubleAttribute("train_sum_of_squares"))
    }
}
