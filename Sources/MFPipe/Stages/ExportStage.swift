import Foundation

/// Writes the factor file users hand to downstream tools: ids, normalization, the chosen
/// model (or all of them), the sweep table and provenance, in the versioned layout of
/// `docs/hdf5-layout.md`. The file is written under a temporary name, closed, flushed and
/// renamed into place.
public enum ExportStage: Stage {
    public static let typeName = "export"
    public static let summary = "write W, H, ids, normalization and the sweep table to an HDF5 file, atomically"
    public static let requires = [ArtifactKind.ratings, ArtifactKind.model, ArtifactKind.evaluation]
    public static let produces = ArtifactKind.output
    public static let recordsPipeline = true

    public static let params: [ParamSpec] = [
        ParamSpec("path", .path(.output), default: nil, "the HDF5 file to write, relative to the pipeline file"),
        ParamSpec("models", .choice(["chosen", "all"]), default: .string("chosen"),
                  "export the chosen model only, or every rank of the sweep (a k-fold sweep exports only the chosen model, refit on every non-test entry)"),
        ParamSpec("reconstruction", .boolean, default: .bool(false),
                  "also write /reconstruction (m x n float32): the chosen model's prediction of every entry — a denoised, completed matrix (m x n x 4 bytes: for dense or small inputs)"),
        ParamSpec("anndata", .path(.output), default: .null,
                  "also write the chosen model as an AnnData file (.h5ad: row ids as obs, column ids as var, W in obsm, Hᵀ in varm, the sweep in uns), relative to the pipeline file"),
    ]

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let destination = context.params.url("path")
        let evaluation = try EvaluateStage.upstream(context)
        let (data, normalization) = try EvaluateStage.exportedBasis(context, evaluation: evaluation)
        let chosenNode = evaluation.chosenModel.node
        let handles = exportedHandles(context, evaluation: evaluation)
        try FileSystem.createDirectory(destination.deletingLastPathComponent())
        let temporary = AtomicFile.temporaryPath(beside: destination)
        do {
            let file = try HDF5File.create(temporary, layout: .compressed)
            try writeRoot(file.root, context: context)
            let train = data.training
            let (rowCounts, colCounts) = (train.counts(byRow: true, size: data.rowCount), train.counts(byRow: false, size: data.colCount))
            let rows = try file.root.createGroup("rows")
            try rows.writeStrings(data.rowIDs.ids, to: "ids")
            try rows.write(rowCounts, to: "n_train")
            let cols = try file.root.createGroup("cols")
            try cols.writeStrings(data.colIDs.ids, to: "ids")
            try cols.write(colCounts, to: "n_train")
            try normalization.write(to: file.root.createGroup("normalization"))
            let models = try file.root.createGroup("models")
            try models.setAttribute("selection_metric", "validation_rmse")
            var names: [String] = []
            var chosenModel: FactorModel?
            for handle in handles {
                let chosen = handle.node.idWithoutFold == chosenNode
                let refit = evaluation.refit != nil && chosen
                let model = try chosen ? EvaluateStage.chosenModel(context, evaluation: evaluation) : FactorModel.read(at: handle.dataFile)
                var name = String(format: "k%03d", model.k)
                if names.contains(name) { name += "_" + handle.node.stage.id }
                names.append(name)
                let group = try models.createGroup(name)
                try model.write(to: group)
                try group.setAttribute("stage", handle.node.stage.id)
                try writeScores(evaluation.models.first { $0.node == handle.node.idWithoutFold }, clip: evaluation.clipRange, to: group)
                if !model.sigma.isEmpty && evaluation.trainSquares > 0 {
                    try group.write(model.sigma.map { Double($0) * Double($0) / evaluation.trainSquares }, to: "explained_variance_ratio")
                }
                if refit, let details = evaluation.refit {
                    try group.setAttribute("refit", .int(1))
                    try group.setAttribute("test_rmse", .double(details.test.rmse))
                    try group.setAttribute("test_mae", .double(details.test.mae))
                    try group.setAttribute("train_rmse", .double(details.train.rmse))
                    try group.setAttribute("train_mae", .double(details.train.mae))
                }
                if chosen {
                    try models.setAttribute("chosen", name)
                    chosenModel = model
                }
            }
            try writeSweep(evaluation, to: file.root.createGroup("sweep"))
            if context.params.bool("reconstruction"), let chosenModel {
                try Reconstruction.write(chosenModel, normalization: normalization, clip: evaluation.clipRange, to: file.root, name: "reconstruction")
            }
            let provenance = try file.root.createGroup("provenance")
            try provenance.writeStrings([JSONWriter.pretty(context.pipeline.resolvedJSON)], to: "pipeline")
            let warnings = try context.upstreamWarnings().map { "\($0.node): \($0.message)" }
            try provenance.writeStrings(warnings, to: "warnings")
            let pipelineHash = try file.root.stringAttribute("pipeline_hash")
            try file.close()
            if context.params.has("anndata"), let chosenModel {
                try AnnDataTwin.write(AnnDataTwin.Contents(
                    rowIDs: data.rowIDs.ids, colIDs: data.colIDs.ids,
                    rowCounts: rowCounts, colCounts: colCounts,
                    model: chosenModel, normalization: normalization, clip: evaluation.clipRange,
                    pipelineHash: pipelineHash, sweep: sweepColumns(evaluation), warnings: warnings),
                    to: context.params.url("anndata"))
            }
            try AtomicFile.commit(temporary, to: destination)
        } catch {
            unlink(temporary.path)
            throw error
        }
        let twin = context.params.has("anndata") ? [context.params.url("anndata")] : []
        return StageOutcome(
            summary: "wrote \(DisplayPath.of(destination)) (chosen \(evaluation.name(of: evaluation.chosenModel)), \(CountText.of(handles.count, "model")))"
                + twin.map { " and \(DisplayPath.of($0))" }.joined(),
            outputs: [destination] + twin)
    }

    /// The model artifacts to export: the chosen model's (under k-fold one fold's, which
    /// the refit model replaces), or every model's with `models: "all"`.
    private static func exportedHandles(_ context: StageContext, evaluation: Evaluation) -> [ArtifactHandle] {
        if evaluation.isCrossValidated {
            return Array(context.all(.model).filter { $0.node.idWithoutFold == evaluation.chosenModel.node }.prefix(1))
        }
        return context.all(.model).filter { context.params.string("models") == "all" || $0.node.id == evaluation.chosenModel.node }
    }

    private static func writeRoot(_ root: HDF5Group, context: StageContext) throws {
        try root.setAttribute("format", Version.factorFormatName)
        try root.setAttribute("format_version", Version.factorFormat)
        try root.setAttribute("mfpipe_version", Version.mfpipe)
        try root.setAttribute("created", EventLog.timestamp(Date()))
        try root.setAttribute("pipeline", context.pipeline.name)
        try root.setAttribute("pipeline_hash", Provenance.pipelineHash(context.pipeline))
        try root.setAttribute("input_hash", try Provenance.inputHash(context))
    }

    private static func writeScores(_ score: Evaluation.ModelScore?, clip: ClosedRange<Double>?, to group: HDF5Group) throws {
        if let score {
            for (name, value) in [
                ("train_rmse", score.train.rmse), ("train_mae", score.train.mae),
                ("validation_rmse", score.validation.rmse), ("validation_mae", score.validation.mae),
                ("test_rmse", score.test.rmse), ("test_mae", score.test.mae), ("explained_variance", score.explainedVariance),
            ] {
                try group.setAttribute(name, .double(value))
            }
        }
        try group.setAttribute("clip_min", .double(clip?.lowerBound ?? -.infinity))
        try group.setAttribute("clip_max", .double(clip?.upperBound ?? .infinity))
        try group.setAttribute("prediction_rule", Predictor.rule)
    }

    /// The sweep table's numeric columns (for `/sweep` and the AnnData twin's `uns`); under
    /// k-fold the RMSEs are means over the folds, with their standard deviations and the
    /// number of folds beside them.
    private static func sweepColumns(_ evaluation: Evaluation) -> [(name: String, values: [Double])] {
        let models = evaluation.models
        var columns = [("k", models.map { Double($0.k) }), ("validation_rmse", models.map(\.validation.rmse)),
                       ("test_rmse", models.map(\.test.rmse)), ("validation_mae", models.map(\.validation.mae)),
                       ("test_mae", models.map(\.test.mae)), ("iterations", models.map { Double($0.iterations) }),
                       ("seconds", models.map(\.seconds)), ("explained_variance", models.map(\.explainedVariance))]
        if evaluation.rankingAt > 0 {
            for part in ["validation", "test"] {
                for (index, name) in RankingMetrics.empty.named.map(\.name).enumerated() {
                    columns.append(("\(part)_\(name)", models.map { (part == "test" ? $0.testRanking : $0.validationRanking).named[index].value }))
                }
            }
        }
        if evaluation.isCrossValidated {
            columns += [("validation_rmse_sd", models.map(\.validationRMSESD)), ("test_rmse_sd", models.map(\.testRMSESD)),
                        ("folds", models.map { Double($0.folds) })]
        } else if evaluation.knowsBothRules {
            columns.append(("validation_mse_se", models.map(\.validationMSESE)))
        }
        return columns
    }

    private static let integerColumns: Set = ["k", "iterations", "folds"]

    private static func writeSweep(_ evaluation: Evaluation, to group: HDF5Group) throws {
        try group.writeStrings(evaluation.models.map(\.algorithm), to: "algorithm")
        try group.writeStrings(evaluation.models.map(\.stage), to: "stage")
        for (name, values) in sweepColumns(evaluation) {
            if integerColumns.contains(name) {
                try group.write(values.map { Int32($0) }, to: name)
            } else {
                try group.write(values, to: name)
            }
        }
        try group.setAttribute("selection_rule", evaluation.selection.rawValue)
        try group.setAttribute("select_by", evaluation.selectBy.rawValue)
        if evaluation.knowsBothRules {
            for rule in SelectionRule.allCases {
                try group.setAttribute("chosen_k_\(rule.rawValue)", .int(Int64(evaluation.models[rule.choose(evaluation.models, by: evaluation.selectBy)].k)))
            }
        }
        try evaluation.writeBaselines(to: group)
    }
}
