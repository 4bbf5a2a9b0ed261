/// How evaluate chooses among the models of a sweep by validation RMSE.
public enum SelectionRule: String, CaseIterable, Sendable {
    /// The lowest validation RMSE (under k-fold, the lowest mean over the folds).
    case lowest
    /// Under k-fold, the smallest k whose mean validation RMSE is within one standard error
    /// (sd / √folds) of the lowest mean: the simplest model the data cannot tell from the
    /// best (Hastie, Tibshirani, Friedman, *Elements of Statistical Learning*, §7.10).
    case oneStandardError = "one_standard_error"

    /// The index in `models` of the model the rule chooses (the first on ties).
    public func choose(_ models: [Evaluation.ModelScore]) -> Int {
        let best = models.indices.min { models[$0].validation.rmse < models[$1].validation.rmse }!
        switch self {
        case .lowest:
            return best
        case .oneStandardError:
            let score = models[best]
            let threshold = score.validation.rmse + score.validationRMSESD / Double(score.folds).squareRoot()
            guard threshold.isFinite else { return best }
            return models.indices.filter { models[$0].validation.rmse <= threshold }.min { models[$0].k < models[$1].k }!
        }
    }
}
