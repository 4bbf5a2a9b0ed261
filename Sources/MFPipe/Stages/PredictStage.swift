import Foundation

/// Predicts (row, column) pairs with the chosen model (the refit one when evaluate refit
/// it): the first input is the evaluate stage, the second the stage whose entries are the
/// pairs (an ingest, `pairs: true` for a file without values). Ids are the pairs' own;
/// unknown ones are predicted by the cold-start rule and flagged (`PairPredictions`);
/// predictions are clipped as evaluate clips them.
public enum PredictStage: Stage {
    public static let typeName = "predict"
    public static let summary = "predict (row, column) pairs with the chosen model, cold-start ids flagged, as CSV and HDF5"
    public static let inputCount = 2...2
    public static let inputsHaveRoles = true
    public static let requires = [ArtifactKind.ratings, ArtifactKind.model, ArtifactKind.evaluation]
    public static let produces = ArtifactKind.output

    public static let params: [ParamSpec] = [
        ParamSpec("path", .path(.output), default: nil, "the CSV file to write (row,col,prediction,cold[,value]), relative to the pipeline file"),
        ParamSpec("hdf5", .path(.output), default: .null,
                  "also write the predictions as HDF5 (/predictions/row_ids, col_ids, prediction, value, cold), relative to the pipeline file"),
    ]

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let params = context.params
        let trained = context.upstream(of: context.inputs[0])
        let evaluation = try EvaluateStage.upstream(trained)
        let (data, normalization) = try EvaluateStage.exportedBasis(trained, evaluation: evaluation)
        let model = try EvaluateStage.chosenModel(trained, evaluation: evaluation)
        let pairs = try RatingData.read(from: context.inputs[1].dataFile)
        let train = data.training
        let predictions = PairPredictions.compute(
            pairs, model: model, normalization: normalization, rowIDs: data.rowIDs, colIDs: data.colIDs,
            rowCounts: train.counts(byRow: true, size: data.rowCount), colCounts: train.counts(byRow: false, size: data.colCount),
            clip: evaluation.clipRange)
        let hdf5 = params.has("hdf5") ? params.url("hdf5") : nil
        try predictions.write(csv: params.url("path"), hdf5: hdf5)
        let cold = predictions.cold.filter { $0 != 0 }.count
        var summary = "\(CountText.of(predictions.predictions.count, "prediction")) (k=\(model.k); \(cold) with a cold row or column) to \(DisplayPath.of(params.url("path")))"
        var metrics = ["predictions": Double(predictions.predictions.count), "cold": Double(cold)]
        if let rmse = predictions.rmse {
            summary += "; RMSE \(MetricText.format(rmse)) against the given values"
            metrics["rmse"] = rmse
        }
        return StageOutcome(summary: summary, metrics: metrics, outputs: [params.url("path")] + (hdf5.map { [$0] } ?? []))
    }
}
