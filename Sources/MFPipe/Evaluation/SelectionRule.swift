/// How evaluate chooses among the models of a sweep by validation RMSE.
public enum SelectionRule: String, CaseIterable, Sendable {
    /// The lowest validation RMSE (under k-fold, the lowest mean over the folds).
    case lowest
    /// The smallest k the validation entries cannot tell from the one with the lowest RMSE
    /// (Hastie, Tibshirani, Friedman, *Elements of Statistical Learning*, §7.10). Under
    /// k-fold: whose mean validation RMSE is within one standard error (sd / √folds) of the
    /// lowest mean. On one validation set: whose validation mean squared error is within one
    /// standard error of the lowest model's (`validationMSESE`). Of several models of that
    /// k (several factorize stages), the one with the lower validation RMSE.
    case oneStandardError = "one_standard_error"

    /// The rule's name in reports and summaries: "one-standard-error rule", or "lowest"
    /// ("lowest mean" under k-fold, where it compares means over the folds).
    public func name(crossValidated: Bool) -> String {
        self == .oneStandardError ? "one-standard-error rule" : crossValidated ? "lowest mean" : "lowest"
    }

    /// The index in `models` of the model the rule chooses by validation `metric` (the
    /// first on ties; the one-standard-error rule always by RMSE, whose spread it knows).
    public func choose(_ models: [Evaluation.ModelScore], by metric: SelectionMetric = .rmse) -> Int {
        let metric = self == .oneStandardError ? .rmse : metric
        let best = models.indices.min { metric.better(models[$0], than: models[$1]) }!
        switch self {
        case .lowest:
            return best
        case .oneStandardError:
            let score = models[best]
            let lowest = score.validation.rmse
            let within: (Evaluation.ModelScore) -> Bool = score.folds > 1
                ? { $0.validation.rmse <= lowest + score.validationRMSESD / Double(score.folds).squareRoot() }
                : { $0.validation.rmse * $0.validation.rmse <= lowest * lowest + score.validationMSESE }
            return models.indices.filter { $0 == best || within(models[$0]) }
                .min { (models[$0].k, models[$0].validation.rmse) < (models[$1].k, models[$1].validation.rmse) }!
        }
    }
}

/// The validation metric a model is chosen by: RMSE (lower is better) or a ranking metric
/// at N (higher is better).
public enum SelectionMetric: String, CaseIterable, Sendable {
    case rmse, precision, recall, ndcg, map

    /// The model's validation value of the metric.
    public func value(_ score: Evaluation.ModelScore) -> Double {
        switch self {
        case .rmse: return score.validation.rmse
        case .precision: return score.validationRanking.precision
        case .recall: return score.validationRanking.recall
        case .ndcg: return score.validationRanking.ndcg
        case .map: return score.validationRanking.map
        }
    }

    /// Its name as reports and logs give it: "RMSE", or "NDCG@10" at a cut-off of 10.
    public func name(at count: Int) -> String {
        self == .rmse ? "RMSE" : "\([SelectionMetric.ndcg: "NDCG", .map: "MAP"][self] ?? rawValue)@\(count)"
    }

    /// Whether `a` is strictly better than `b` by the metric.
    public func better(_ a: Evaluation.ModelScore, than b: Evaluation.ModelScore) -> Bool {
        self == .rmse ? value(a) < value(b) : value(a) > value(b)
    }
}
