import Foundation

/// Fits what to take out of the values before factorization — nothing, the global mean,
/// regularised row and column biases, or each row's or column's location and scale, after
/// an optional log1p — on the training entries only.
public enum NormalizeStage: Stage {
    public static let typeName = "normalize"
    public static let summary = "fit a global mean, regularised biases, or per-row/column centring, scaling or min-max (after an optional log1p) on the training entries"
    public static let requires = [ArtifactKind.ratings]
    public static let produces = ArtifactKind.normalization

    private static let method = ParamSpec(
        "method", .choice(Normalization.Method.allCases.map(\.rawValue)), default: .string("biases"),
        "none; mean (the global mean); biases (mean plus regularised row and column biases); center (each line's mean); standardize (each line's mean, then its standard deviation); minmax (each line's minimum, then its range: values in [0, 1])"
    ).advising(["log1p": "log1p is a transform, applied before any method: set \"transform\": \"log1p\""])
    private static let transform = ParamSpec(
        "transform", .choice(Normalization.Transform.allCases.map(\.rawValue)), default: .string("none"),
        "applied to every value first and inverted at prediction time: none, or log1p (log(1 + x), for counts; values must exceed -1)")
    private static let axis = ParamSpec(
        "axis", .choice(Normalization.Axis.allCases.map(\.rawValue)), default: .string("column"),
        "center, standardize, minmax: the lines fitted — each column (a feature of a dense matrix) or each row")
    private static let regularization = [
        ParamSpec("row_regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .number(10),
                  "biases: shrinkage of row biases, in pseudo-ratings"),
        ParamSpec("col_regularization", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .number(10),
                  "biases: shrinkage of column biases, in pseudo-ratings"),
    ]

    public static let params: [ParamSpec] = [method, transform, axis] + regularization

    /// `method` and `transform`, then what the method takes: `axis` for the per-line
    /// methods, the two regularizations for biases.
    public static func params(for given: JSONValue) -> [ParamSpec] {
        let chosen = given["method"]?.stringValue.flatMap(Normalization.Method.init) ?? .biases
        return [method, transform] + (chosen.usesAxis ? [axis] : []) + (chosen == .biases ? regularization : [])
    }

    public static func misplacedParameter(_ name: String, given: JSONValue) -> String? {
        let chosen = given["method"]?.stringValue ?? "biases"
        if name == axis.name { return "applies to method \"center\", \"standardize\" or \"minmax\", not to \"\(chosen)\"" }
        if regularization.contains(where: { $0.name == name }) { return "applies to method \"biases\", not to \"\(chosen)\"" }
        return nil
    }

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let data = try RatingData.read(from: context.required(.ratings).dataFile)
        let normalization = try fit(context.params, stage: context.node.stage, data: data, context: context)
        try context.writeArtifact(normalization.write)
        let method = normalization.method
        var summary = method.rawValue + (method.usesAxis ? " by \(normalization.axis.rawValue)" : "")
        if normalization.transform != .none { summary = "\(normalization.transform.rawValue), then " + summary }
        return StageOutcome(summary: summary + ", mean \(MetricText.format(normalization.mean))", metrics: ["mean": normalization.mean])
    }

    /// The normalization that `params` (of `stage`) describe, fitted on `data`'s training
    /// entries; a log1p of values at or below -1 is the user's error, named at `transform`.
    static func fit(_ params: StageParams, stage: StageSpec, data: RatingData, context: StageContext) throws -> Normalization {
        let transform = Normalization.Transform(rawValue: params.string("transform"))!
        let train = data.training
        if transform == .log1p, let entry = (0..<train.count).first(where: { train.values[$0] <= -1 }) {
            throw PipelineFileError(
                file: DisplayPath.of(context.pipeline.file), location: "\(stage.path).params.transform",
                message: "log1p needs values above -1; the training entry (row \"\(data.rowIDs.ids[Int(train.rows[entry])])\", column \"\(data.colIDs.ids[Int(train.cols[entry])])\") is \(train.values[entry])")
        }
        return Normalization.fit(
            Normalization.Method(rawValue: params.string("method"))!,
            axis: params.has("axis") ? Normalization.Axis(rawValue: params.string("axis"))! : .column, transform: transform,
            train: train, rows: data.rowCount, cols: data.colCount,
            rowRegularization: params.has("row_regularization") ? params.double("row_regularization") : 0,
            colRegularization: params.has("col_regularization") ? params.double("col_regularization") : 0)
    }

    /// The ratings upstream of a stage and the normalization fitted on them (the identity
    /// when the pipeline has no normalize stage): the nearest, or with `fold` those of that
    /// fold of a k-fold split (for a stage that gathers folds).
    static func upstreamData(_ context: StageContext, fold: Int? = nil) throws -> (data: RatingData, normalization: Normalization) {
        guard let ratings = context.ancestors.first(where: { $0.kind == .ratings && (fold == nil || $0.node.fold == fold) }) else {
            preconditionFailure("validation guarantees an upstream ratings artifact")
        }
        let data = try RatingData.read(from: ratings.dataFile)
        return (data, try upstreamNormalization(context, rows: data.rowCount, cols: data.colCount, fold: fold))
    }

    /// The normalization upstream of a stage (the identity for `rows` x `cols` when the
    /// pipeline has no normalize stage), of `fold` when one is given.
    static func upstreamNormalization(_ context: StageContext, rows: Int, cols: Int, fold: Int? = nil) throws -> Normalization {
        guard let handle = context.ancestors.first(where: { $0.kind == .normalization && (fold == nil || $0.node.fold == fold) }) else {
            return .none(rows: rows, cols: cols)
        }
        let file = try HDF5File.open(handle.dataFile)
        defer { try? file.close() }
        return try Normalization.read(from: file.root)
    }
}
