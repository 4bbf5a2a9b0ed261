import Foundation

/// What evaluate warns of the model it chose: the advice follows the cause it can see.
extension EvaluateStage {
    /// The warnings about the chosen model, given its trainings (one per fold) and the svd
    /// nodes upstream with their rounds: a model no better than a baseline, with the cause
    /// evaluate sees (svd's imputation far from the data, a training cut short, else noise
    /// fitted, or a fit that failed); a training that ran out of epochs (or rounds) while
    /// still improving; and svd's zero imputation far from the data whenever an svd node
    /// took one SVD.
    static func chosenModelWarnings(_ evaluation: Evaluation, trainings: [TrainingInfo], svdRounds: [(node: String, rounds: Int)],
                                    basis: Scoring) -> [String] {
        let chosenRounds = svdRounds.first { $0.node == evaluation.chosenModel.node }?.rounds
        let unfinished = unfinishedTraining(trainings, basis: basis)
        let more = trainings.first?.iterationCount.more ?? IterationCount.epochs.more
        // An imputation far from the data is the deeper cause: more rounds of it gain slowly.
        let cause = chosenRounds.flatMap { svdImputationNote(basis, rounds: $0) } ?? unfinished.map { "it \($0): \(more) may help" }
        let baseline = baselineWarning(evaluation, cause: cause, more: more)
        var warnings: [String] = []
        if baseline == nil || chosenRounds == nil, svdRounds.contains(where: { $0.rounds == 1 }), let note = svdImputationNote(basis, rounds: 1) {
            warnings.append(note)
        }
        if let baseline {
            warnings.append(baseline)
        } else if let unfinished {
            warnings.append("the chosen model (\(evaluation.name(of: evaluation.chosenModel))) \(unfinished); \(more) may give a better model")
        }
        return warnings
    }

    /// Why svd with `rounds` SVDs may have done badly: it takes each entry missing from an
    /// incomplete training matrix as 0 after normalization (its imputation rounds start from
    /// there, and on sparse ratings move slowly), which imputes poorly when the normalized
    /// training values are far from 0 on average (their mean over a half of their root mean
    /// square: a quarter of their sum of squares); nil otherwise.
    private static func svdImputationNote(_ scoring: Scoring, rounds: Int) -> String? {
        let data = scoring.data
        guard !scoring.normalizedTrain.isEmpty, data.training.count < data.rowCount * data.colCount else { return nil }
        let (mean, rootMeanSquare, _) = scoring.normalizedMoments
        guard abs(mean) > 0.5 * rootMeanSquare else { return nil }
        return String(format: "svd takes each entry missing from training as 0 after normalization%@, but the normalized training values average %.4g (root mean square %.4g); a normalization that centres them (mean, biases or center) suits svd better%@",
                      rounds > 1 ? ", and its imputation rounds start from there" : "", mean, rootMeanSquare,
                      rounds > 1 ? "" : ", as do imputation rounds (impute_rounds)")
    }

    /// Why the chosen model may not be worth its factors: it predicts the validation entries
    /// no better than a baseline does (data with little signal for its density, or k and
    /// regularization that let the factors fit noise, unless `cause` says what else did: a
    /// training cut short, svd's imputation far from the data); nil otherwise, and for a model
    /// that predicts every validation entry exactly (constant data, which a baseline predicts
    /// as well). `more` is what to ask for when the training failed and has no learning rate.
    private static func baselineWarning(_ evaluation: Evaluation, cause: String?, more: String) -> String? {
        let chosen = evaluation.chosenModel
        let baselines = [("global mean", evaluation.globalMean.validation.rmse), ("bias baseline", evaluation.biasBaseline.validation.rmse)]
        guard chosen.validation.rmse.isFinite, chosen.validation.rmse > 0, let best = baselines.filter({ $0.1.isFinite }).min(by: { $0.1 < $1.1 }),
              chosen.validation.rmse >= best.1 else { return nil }
        let found = "the chosen model (\(evaluation.name(of: chosen))) predicts the validation entries no better than the \(best.0) "
            + "(RMSE \(MetricText.format(chosen.validation.rmse)) against \(MetricText.format(best.1))"
        guard chosen.explainedVariance.isFinite, chosen.explainedVariance <= 0 else {
            if let cause { return found + "); " + cause }
            return found + "): its factors may be fitting noise; "
                + "a smaller k or a stronger regularization may help, or the \(best.0) may be the better predictor for these data"
        }
        // Worse than the normalization on its own training entries: not overfitting, a failed fit.
        let stepped = FactorizerRegistry.named(chosen.algorithm)?.params.contains { $0.name == "learning_rate" } ?? false
        return found + ") and its own training entries no better than the normalization alone "
            + "(explained variance \(MetricText.format(chosen.explainedVariance))): its training did not converge; "
            + (stepped ? "a smaller learning_rate may help" : "\(more) may help")
    }

    /// How the chosen model's training ran out of epochs while its validation RMSE was still
    /// falling (`UnfinishedTraining`; under k-fold, in how many folds, with the largest fall),
    /// as the words after "it"; nil when it did not (in any fold).
    private static func unfinishedTraining(_ trainings: [TrainingInfo], basis: Scoring) -> String? {
        let spread = basis.normalizedMoments.deviation
        let unfinished = trainings.compactMap { training in
            UnfinishedTraining.lastFall(training, spread: spread).map { (fall: $0, count: training.iterationCount, epochs: training.iterations) }
        }
        guard let largest = unfinished.max(by: { $0.fall < $1.fall }) else { return nil }
        let (unit, last) = (largest.count.name, largest.epochs)
        let folds = trainings.count > 1 ? " in \(unfinished.count) of \(trainings.count) folds" : ""
        return "ran out of \(unit)s while still improving\(folds): its normalized validation RMSE fell "
            + (unfinished.count > 1 ? "up to " : "") + "\(MetricText.format(largest.fall)) over \(unit) \(last) of \(last)"
    }
}

extension EvaluateStage.Scoring {
    /// The normalized training values' mean, root mean square and standard deviation (0s
    /// when there are none).
    var normalizedMoments: (mean: Double, rootMeanSquare: Double, deviation: Double) {
        let count = Double(max(normalizedTrain.count, 1))
        let mean = normalizedTrain.reduce(0.0) { $0 + Double($1) } / count
        let meanSquare = trainSquares / count
        return (mean, meanSquare.squareRoot(), max(meanSquare - mean * mean, 0).squareRoot())
    }
}
