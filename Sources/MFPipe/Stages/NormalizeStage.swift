import Foundation

/// Fits what to remove before factorization — nothing, the global mean, or regularised
/// row and column biases — on the training entries only.
public enum NormalizeStage: Stage {
    public static let typeName = "normalize"
    public static let summary = "fit a global mean and regularised row/column biases on the training entries"
    public static let requires = [ArtifactKind.ratings]
    public static let produces = ArtifactKind.normalization

    public static let params: [ParamSpec] = [
        ParamSpec("method", .choice(Normalization.Method.allCases.map(\.rawValue)), default: .string("biases"),
                  "none, mean (global mean) or biases (mean plus regularised row and column biases)"),
        ParamSpec("row_regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .number(10),
                  "shrinkage of row biases, in pseudo-ratings"),
        ParamSpec("col_regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .number(10),
                  "shrinkage of column biases, in pseudo-ratings"),
    ]

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let params = context.params
        let data = try RatingData.read(from: context.required(.ratings).dataFile)
        let normalization = Normalization.fit(
            Normalization.Method(rawValue: params.string("method"))!, train: data.training,
            rows: data.rowCount, cols: data.colCount,
            rowRegularization: params.double("row_regularization"), colRegularization: params.double("col_regularization"))
        try context.writeArtifact(normalization.write)
        return StageOutcome(summary: String(format: "%@, mean %.4f", normalization.method.rawValue, normalization.mean),
                            metrics: ["mean": normalization.mean])
    }

    /// The ratings upstream of a stage and the normalization fitted on them (the identity
    /// when the pipeline has no normalize stage).
    static func upstreamData(_ context: StageContext) throws -> (data: RatingData, normalization: Normalization) {
        let data = try RatingData.read(from: context.required(.ratings).dataFile)
        return (data, try upstreamNormalization(context, rows: data.rowCount, cols: data.colCount))
    }

    /// The normalization upstream of a stage (the identity for `rows` x `cols` when the
    /// pipeline has no normalize stage).
    static func upstreamNormalization(_ context: StageContext, rows: Int, cols: Int) throws -> Normalization {
        guard let handle = context.nearest(.normalization) else { return .none(rows: rows, cols: cols) }
        let file = try HDF5File.open(handle.dataFile)
        defer { try? file.close() }
        return try Normalization.read(from: file.root)
    }
}
