/// Whether a model's training ran out of epochs while its validation RMSE was still
/// falling by a margin worth more epochs: what evaluate warns about when the chosen model
/// (in any fold) stopped that way.
public enum UnfinishedTraining {
    /// The smallest fall of the validation RMSE over the last epoch that counts, as a share
    /// of the standard deviation of the normalized training values. A fall measured against
    /// the data's own spread means the same on every rating scale, and data without spread
    /// (constant ratings) never counts as still improving.
    public static let threshold = 1e-3

    /// How far the validation RMSE fell over the last epoch (or round) of a training that ran
    /// all its epochs (it neither stopped early nor met its tolerance) and kept that last
    /// one, when the fall exceeds `threshold` times `spread`; nil otherwise, and for a
    /// training of fewer than two epochs or without validation entries.
    public static func lastFall(_ info: TrainingInfo, spread: Double) -> Double? {
        let validation = info.curve.map(\.validationRMSE)
        guard !info.converged, validation.count >= 2, info.bestIteration == validation.count, spread > 0 else { return nil }
        let fall = validation[validation.count - 2] - validation[validation.count - 1]
        return fall.isFinite && fall > threshold * spread ? fall : nil
    }
}
