/// The sweep table of a k-fold split: each model's scores over its folds summarised into
/// one row, the means of the folds' metrics with the standard deviations of their RMSEs.
enum CrossValidation {
    /// One row per model, in first-seen order, from `scores` labelled by the model they
    /// belong to (the node id without its fold).
    static func summarize(_ scores: [(model: String, score: Evaluation.ModelScore)]) -> [Evaluation.ModelScore] {
        var order: [String] = []
        var byModel: [String: [Evaluation.ModelScore]] = [:]
        for (model, score) in scores {
            if byModel[model] == nil { order.append(model) }
            byModel[model, default: []].append(score)
        }
        return order.map { model in
            let folds = byModel[model]!
            func mean(_ value: (Evaluation.ModelScore) -> Double) -> Double { folds.map(value).reduce(0, +) / Double(folds.count) }
            func metrics(_ value: (Evaluation.ModelScore) -> ErrorMetrics) -> ErrorMetrics {
                ErrorMetrics(rmse: mean { value($0).rmse }, mae: mean { value($0).mae })
            }
            return Evaluation.ModelScore(
                node: model, k: folds[0].k, algorithm: folds[0].algorithm,
                train: metrics(\.train), validation: metrics(\.validation), test: metrics(\.test),
                iterations: Int(mean { Double($0.iterations) }.rounded()), seconds: folds.map(\.seconds).reduce(0, +),
                explainedVariance: mean(\.explainedVariance),
                folds: folds.count, validationRMSESD: standardDeviation(folds.map(\.validation.rmse)),
                testRMSESD: standardDeviation(folds.map(\.test.rmse)),
                parameters: folds[0].parameters,
                validationRanking: Self.mean(folds.map(\.validationRanking)), testRanking: Self.mean(folds.map(\.testRanking)))
        }
    }

    /// The mean of each ranking metric over `metrics` (one per fold).
    static func mean(_ metrics: [RankingMetrics]) -> RankingMetrics {
        guard !metrics.isEmpty else { return .empty }
        let n = Double(metrics.count)
        func average(_ value: (RankingMetrics) -> Double) -> Double { metrics.map(value).reduce(0, +) / n }
        return RankingMetrics(precision: average(\.precision), recall: average(\.recall), ndcg: average(\.ndcg), map: average(\.map),
                              coverage: average(\.coverage), rows: metrics.map(\.rows).reduce(0, +) / metrics.count)
    }

    /// The sample standard deviation (n − 1 in the denominator); NaN for fewer than two values.
    static func standardDeviation(_ values: [Double]) -> Double {
        guard values.count > 1 else { return .nan }
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }
}
