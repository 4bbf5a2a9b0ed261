import Foundation

/// Recommends the top N columns for every row from the chosen model (the refit one when
/// evaluate refit it), leaving out by default the entries it was trained on: CSV, and an
/// HDF5 file when asked (`RecommendationWriter`), computed in bounded blocks of W·H.
public enum RecommendStage: Stage {
    public static let typeName = "recommend"
    public static let summary = "the top N columns for every row from the chosen model (its training entries left out), as CSV and HDF5"
    public static let requires = [ArtifactKind.ratings, ArtifactKind.model, ArtifactKind.evaluation]
    public static let produces = ArtifactKind.output

    public static let params: [ParamSpec] = [
        ParamSpec("path", .path(.output), default: nil, "the CSV file to write (row,rank,col,score), relative to the pipeline file"),
        ParamSpec("hdf5", .path(.output), default: .null,
                  "also write the recommendations as HDF5 (/recommendations/ids, columns, scores: m x top), relative to the pipeline file"),
        ParamSpec("top", .integer(1...100_000), default: .number(10), "recommendations per row"),
        ParamSpec("per", .choice(RecommendationWriter.Side.allCases.map(\.rawValue)), default: .string("row"),
                  "row: the top columns for every row; column: the top rows for every column (CSV then column,rank,row,score)"),
        ParamSpec("exclude_seen", .boolean, default: .bool(true),
                  "leave out each row's training entries (those the chosen model was trained on)"),
    ]

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let params = context.params
        let evaluation = try EvaluateStage.upstream(context)
        let (data, normalization) = try EvaluateStage.exportedBasis(context, evaluation: evaluation)
        let model = try EvaluateStage.chosenModel(context, evaluation: evaluation)
        let recommender = TopNRecommender(model: model, normalization: normalization, count: params.int("top"),
                                          excluding: params.bool("exclude_seen") ? data.training : RatingTable())
        let side = RecommendationWriter.Side(rawValue: params.string("per"))!
        let total = side == .row ? data.rowCount : data.colCount
        let hdf5 = params.has("hdf5") ? params.url("hdf5") : nil
        let summary = try context.threadGrant.withThreads { threads in
            try RecommendationWriter.write(
                recommender, rowIDs: data.rowIDs.ids, colIDs: data.colIDs.ids, per: side, threads: threads, csv: params.url("path"), hdf5: hdf5,
                progress: { context.progress($0, of: total, unit: "\(side.rawValue)s") }, check: context.cancellation.check)
        }
        return StageOutcome(
            summary: "\(CountText.of(summary.recommendations, "recommendation")) for \(CountText.of(summary.rows, side.rawValue)) (top \(params.int("top")), k=\(model.k)) to \(DisplayPath.of(params.url("path")))",
            metrics: ["rows": Double(summary.rows), "recommendations": Double(summary.recommendations)],
            outputs: [params.url("path")] + (hdf5.map { [$0] } ?? []))
    }
}
