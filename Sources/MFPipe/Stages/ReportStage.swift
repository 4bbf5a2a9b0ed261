import Foundation

/// Writes a Markdown report — the chosen model, the upstream nodes' warnings, the sweep
/// table, the baselines — with an SVG plot of RMSE versus k (validation and test, both
/// baselines, the chosen k marked), the metrics as CSV, and a self-contained HTML report
/// (`HTMLReport`) beside it.
public enum ReportStage: Stage {
    public static let typeName = "report"
    public static let summary = "a Markdown and a self-contained HTML report: the metrics tables, RMSE versus k, training curves, timings, provenance (plus the table as CSV)"
    public static let requires = [ArtifactKind.evaluation]
    public static let produces = ArtifactKind.output
    public static let recordsPipeline = true

    public static let params: [ParamSpec] = [
        ParamSpec("path", .path(.output), default: nil,
                  "the Markdown file to write; NAME.html, NAME-rmse-vs-k.svg and NAME-metrics.csv are written beside it"),
    ]

    /// The Markdown file, then the plot, the table and the HTML report written beside it.
    public static func outputFiles(for params: StageParams) -> [URL] {
        let markdown = params.url("path")
        let stem = markdown.deletingPathExtension().lastPathComponent
        let folder = markdown.deletingLastPathComponent()
        return [markdown, folder.appendingPathComponent("\(stem)-rmse-vs-k.svg"), folder.appendingPathComponent("\(stem)-metrics.csv"),
                folder.appendingPathComponent("\(stem).html")]
    }

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let evaluation = try EvaluateStage.upstream(context)
        let files = outputFiles(for: context.params)
        let (markdown, plotURL, csvURL, htmlURL) = (files[0], files[1], files[2], files[3])
        let plot = rmsePlot(evaluation, pipeline: context.pipeline)
        let curves = try curves(context)
        let counts = iterationCounts(curves)
        try AtomicFile.write(plot.render(), to: plotURL)
        try AtomicFile.write(csv(evaluation), to: csvURL)
        let components = try componentVariance(evaluation, context: context)
        let warnings = try context.upstreamWarnings()
        try AtomicFile.write(render(evaluation, pipeline: context.pipeline, plotName: plotURL.lastPathComponent, counts: counts,
                                    components: components, warnings: warnings),
                             to: markdown)
        let html = HTMLReport(
            pipeline: context.pipeline, evaluation: evaluation, rmsePlot: plot, curves: curves,
            timings: try timings(context), components: components, warnings: warnings,
            pipelineHash: Provenance.pipelineHash(context.pipeline), inputHash: try Provenance.inputHash(context))
        try AtomicFile.write(html.render(), to: htmlURL)
        return StageOutcome(summary: "wrote \(DisplayPath.of(markdown)) and \(htmlURL.lastPathComponent)", outputs: [markdown, plotURL, csvURL, htmlURL])
    }

    /// RMSE versus k: validation and test (under k-fold the means over folds, with error bars
    /// of one standard deviation; a pair of lines per factorize stage when there are several),
    /// both baselines on test, the chosen k marked (where both rules' choices are known, each).
    private static func rmsePlot(_ evaluation: Evaluation, pipeline: Pipeline) -> SVGLinePlot {
        let models = evaluation.models
        func label(_ model: Evaluation.ModelScore) -> String { evaluation.name(of: model, equals: " = ") }
        var markers: [(x: Double, label: String)] = []
        if evaluation.knowsBothRules {
            let choices = SelectionRule.allCases.map { (rule: $0, model: models[$0.choose(models, by: evaluation.selectBy)]) }
            if choices[0].model.node == choices[1].model.node {
                markers = [(Double(choices[0].model.k), "chosen \(label(choices[0].model)) (both rules)")]
            } else {
                markers = choices.map { choice in
                    (Double(choice.model.k), (choice.rule == evaluation.selection ? "chosen " : "") + label(choice.model)
                        + " (\(choice.rule.name(crossValidated: evaluation.isCrossValidated)))")
                }
            }
        } else {
            markers = [(Double(evaluation.chosenModel.k), "chosen \(label(evaluation.chosenModel))")]
        }
        let spread = evaluation.isCrossValidated ? " (mean ± sd)" : ""
        return SVGLinePlot(
            title: "\(pipeline.name): RMSE versus k", xLabel: "k (rank)", yLabel: "RMSE",
            series: seriesByStage(evaluation, name: "validation" + spread, colors: ["#1f77b4", "#9467bd", "#17becf", "#e377c2"],
                                  value: \.validation.rmse, error: \.validationRMSESD)
                + seriesByStage(evaluation, name: "test" + spread, colors: ["#d62728", "#ff7f0e", "#8c564b", "#bcbd22"],
                                value: \.test.rmse, error: \.testRMSESD),
            references: [.init(name: "bias baseline (test)", color: "#2ca02c", y: evaluation.biasBaseline.test.rmse),
                         .init(name: "global mean (test)", color: "#7f7f7f", y: evaluation.globalMean.test.rmse)],
            logX: true, markers: markers)
    }

    /// A line of a metric versus k for each factorize stage whose models the evaluation holds
    /// (one line when they come from one stage), named `name` and, when there are several,
    /// the stage; coloured by `colors` in turn, with error bars `error` when given.
    static func seriesByStage(_ evaluation: Evaluation, name: String, colors: [String], value: KeyPath<Evaluation.ModelScore, Double>,
                              error: KeyPath<Evaluation.ModelScore, Double>? = nil) -> [SVGLinePlot.Series] {
        evaluation.stages.enumerated().map { index, stage in
            let models = evaluation.models.filter { $0.stage == stage }
            return SVGLinePlot.Series(name: evaluation.comparesStages ? "\(name), \(stage)" : name, color: colors[index % colors.count],
                                      points: models.map { (Double($0.k), $0[keyPath: value]) },
                                      errors: error.map { error in models.map { $0[keyPath: error] } } ?? [])
        }
    }

    /// The columns that name a model in the tables: its k, its factorize stage when the models
    /// come from more than one, and its algorithm.
    static func modelHeader(_ evaluation: Evaluation) -> [String] {
        ["k"] + (evaluation.comparesStages ? ["stage"] : []) + ["algorithm"]
    }

    /// A model's cells under `modelHeader`.
    static func modelCells(_ score: Evaluation.ModelScore, _ evaluation: Evaluation) -> [String] {
        [String(score.k)] + (evaluation.comparesStages ? [score.stage] : []) + [score.algorithm]
    }

    /// The compression table as both reports show it: per model the floats it stores and
    /// their bytes against the matrix stored dense (4 m n bytes) and sparse (12 bytes an
    /// observed entry: row, column, value), and its relative error √(Σ (y − ŷ)² / Σ y²) on
    /// the training and test entries (RMSE over the root mean square of the values).
    static func compressionTable(_ evaluation: Evaluation) -> (header: [String], rows: [(cells: [String], chosen: Bool)]) {
        let (m, n, entries) = evaluation.shape
        let header = modelHeader(evaluation) + ["stored floats", "bytes", "dense / model", "sparse / model", "relative error (train)", "relative error (test)"]
        let rows = evaluation.models.enumerated().map { index, score -> (cells: [String], chosen: Bool) in
            let bytes = 4.0 * Double(score.parameters)
            return (modelCells(score, evaluation) + [String(score.parameters), String(Int(bytes)),
                     PrintfText.double("%.2f", 4 * Double(m) * Double(n) / bytes), PrintfText.double("%.2f", 12 * Double(entries) / bytes),
                     number(score.train.rmse / evaluation.meanSquares.train.squareRoot()),
                     number(score.test.rmse / evaluation.meanSquares.test.squareRoot())], index == evaluation.chosen)
        }
        return (header, rows)
    }

    /// What the compression table compares, in words.
    static func compressionNote(_ evaluation: Evaluation) -> String {
        let (m, n, entries) = evaluation.shape
        return "The \(m) x \(n) matrix stored dense takes \(ByteText.format(4 * m * n)) (float32), its \(entries) observed entries stored sparse "
            + "\(ByteText.format(12 * entries)) (row, column, value); a model stores W, H, its biases and σ as float32. Relative error: RMSE over the "
            + "root mean square of the values."
    }

    /// What the ranking table measures, in words, and, when the popularity baseline ranks
    /// better than the chosen model, why that is common.
    static func rankingNote(_ evaluation: Evaluation) -> String {
        let relevant = evaluation.relevanceThreshold.map { "test entries of at least \(JSONWriter.number($0))" } ?? "every test entry"
        var note = "Each row's top \(evaluation.rankingAt) among the columns it has no training or validation entry for; relevant: \(relevant). "
            + "Means over the rows with a relevant test entry; coverage: the share of all columns that appear in some list."
        let (popular, chosen) = (evaluation.popularity.test.ndcg, evaluation.chosenModel.testRanking.ndcg)
        if popular > chosen {
            note += " Popularity ranks better than the chosen model here (test NDCG@\(evaluation.rankingAt) \(number(popular)) against \(number(chosen))): "
                + "a model fitted to ratings ranks a row's unrated columns by the rating it predicts for them, "
                + "not by the chance that the row rates them at all, which popularity follows."
        }
        return note
    }

    /// A Markdown table: the columns that name (the stage, the algorithm) left-aligned, the
    /// others right.
    private static func markdownTable(_ header: [String], _ rows: [[String]]) -> String {
        var text = "| " + header.joined(separator: " | ") + " |\n|" + header.map { ["stage", "algorithm"].contains($0) ? "---|" : "---:|" }.joined() + "\n"
        for cells in rows { text += "| " + cells.joined(separator: " | ") + " |\n" }
        return text
    }

    /// The sentence on the chosen model, the same in the Markdown and the HTML report:
    /// its k and algorithm, what chose it (under k-fold, both rules' choices), its test
    /// metrics and the refit model's.
    static func chosenSentence(_ evaluation: Evaluation) -> String {
        let best = evaluation.chosenModel
        var text = "\(evaluation.name(of: best, equals: " = ")) (\(best.algorithm)), selected by "
        if evaluation.isCrossValidated {
            text += "mean validation RMSE \(number(best.validation.rmse)) ± \(number(best.validationRMSESD)) over \(best.folds) folds, "
                + "by the \(evaluation.selection.name(crossValidated: true))"
            let other = SelectionRule.allCases.first { $0 != evaluation.selection }!
            let otherChoice = evaluation.models[other.choose(evaluation.models, by: evaluation.selectBy)]
            let otherName = other.name(crossValidated: true)
            text += otherChoice.node == best.node ? " (the \(otherName) chooses it too)"
                : " (the \(otherName) chooses \(evaluation.name(of: otherChoice, equals: " = ")))"
            text += "; the fold models' mean test RMSE \(number(best.test.rmse)) ± \(number(best.testRMSESD)), test MAE \(number(best.test.mae))."
        } else if evaluation.selection == .oneStandardError, evaluation.models.count > 1 {
            let lowest = evaluation.models[SelectionRule.lowest.choose(evaluation.models)]
            text += "the \(SelectionRule.oneStandardError.name(crossValidated: false)): validation RMSE \(number(best.validation.rmse))"
                + (lowest.node == best.node ? ", the lowest"
                   : ", within one standard error of the lowest, \(number(lowest.validation.rmse)) at \(evaluation.name(of: lowest, equals: " = "))")
                + "; test RMSE \(number(best.test.rmse)), test MAE \(number(best.test.mae))."
        } else if evaluation.selectBy != .rmse {
            text += "validation \(evaluation.selectBy.name(at: evaluation.rankingAt)) \(number(evaluation.selectBy.value(best))); "
                + "validation RMSE \(number(best.validation.rmse)), test RMSE \(number(best.test.rmse)), test MAE \(number(best.test.mae))."
        } else {
            text += "validation RMSE \(number(best.validation.rmse)); test RMSE \(number(best.test.rmse)), test MAE \(number(best.test.mae))."
        }
        return text + refitNote(evaluation)
    }

    /// The ranking table as both reports show it: every model's test precision, recall, NDCG
    /// and MAP at N and coverage, then the popularity baseline's; nil when not measured.
    static func rankingTable(_ evaluation: Evaluation) -> (header: [String], rows: [(cells: [String], chosen: Bool)])? {
        guard evaluation.rankingAt > 0 else { return nil }
        let n = evaluation.rankingAt
        let header = modelHeader(evaluation) + ["precision@\(n)", "recall@\(n)", "NDCG@\(n)", "MAP@\(n)", "coverage", "validation NDCG@\(n)"]
        func cells(_ test: RankingMetrics, _ validation: RankingMetrics) -> [String] {
            test.named.map { number($0.value) } + [number(validation.ndcg)]
        }
        var rows = evaluation.models.enumerated().map { index, score in
            (modelCells(score, evaluation) + cells(score.testRanking, score.validationRanking), index == evaluation.chosen)
        }
        rows.append((modelHeader(evaluation).dropLast().map { _ in "–" } + ["popularity"] + cells(evaluation.popularity.test, evaluation.popularity.validation), false))
        return (header, rows)
    }

    /// How each factorize stage counts its training ("epoch"; svd's "round"), by stage id,
    /// as its models' curves do.
    static func iterationCounts(_ curves: [HTMLReport.Curve]) -> [String: IterationCount] {
        Dictionary(curves.map { ($0.stage, $0.count) }) { first, _ in first }
    }

    /// The sweep table as both reports show it: one row per model, and under k-fold the
    /// standard deviations over folds and the number of folds in the last columns. How long
    /// each model trained is given in its stage's unit (`counts`, by stage id): the column is
    /// "epochs" or "rounds" when every stage counts alike, else "trained" with the unit in
    /// each cell.
    static func sweepTable(_ evaluation: Evaluation, counts: [String: IterationCount]) -> (header: [String], rows: [(cells: [String], chosen: Bool)]) {
        func count(of score: Evaluation.ModelScore) -> IterationCount { counts[score.stage] ?? .epochs }
        let units = Set(evaluation.models.map { count(of: $0).name })
        let shared = units.count == 1 ? units.first : nil
        var header = modelHeader(evaluation) + ["train RMSE", "validation RMSE", "validation MAE", "test RMSE", "test MAE", "explained variance",
                                                shared.map { $0 + "s" } ?? "trained", "seconds"]
        if evaluation.isCrossValidated { header += ["validation sd", "test sd", "folds"] }
        let rows = evaluation.models.enumerated().map { index, score in
            let (unit, length) = (count(of: score), score.iterations)
            var cells = modelCells(score, evaluation)
                + [score.train.rmse, score.validation.rmse, score.validation.mae, score.test.rmse, score.test.mae, score.explainedVariance].map(number)
                + [shared == nil ? CountText.of(length, unit.name) : String(length), PrintfText.double("%.2f", score.seconds)]
            if evaluation.isCrossValidated { cells += [number(score.validationRMSESD), number(score.testRMSESD), String(score.folds)] }
            return (cells, index == evaluation.chosen)
        }
        return (header, rows)
    }

    /// Every trained rank's curve, from the model artifacts upstream.
    private static func curves(_ context: StageContext) throws -> [HTMLReport.Curve] {
        try context.all(.model).map { handle in
            let model = try FactorModel.read(at: handle.dataFile)
            return HTMLReport.Curve(stage: handle.node.stage.id, k: model.k, fold: handle.node.fold, curve: model.info.curve,
                                    keptEpoch: model.info.bestIteration, count: model.info.iterationCount)
        }
    }

    /// How long each upstream node took when it ran, from its manifest.
    private static func timings(_ context: StageContext) throws -> [(node: String, seconds: Double)] {
        try context.ancestors.map { handle in
            let manifest = try handle.manifest()
            return (handle.node.id, manifest["seconds"]?.doubleValue ?? 0)
        }
    }

    /// A metric as the reports show it (`MetricText`), or a dash when not measured.
    static func number(_ value: Double) -> String {
        value.isFinite ? MetricText.format(value) : "–"
    }

    private static func csv(_ evaluation: Evaluation) -> String {
        var text = "node,k,algorithm,train_rmse,validation_rmse,validation_mae,test_rmse,test_mae,explained_variance,iterations,seconds,chosen"
            + (evaluation.isCrossValidated ? ",validation_rmse_sd,test_rmse_sd,folds\n" : "\n")
        for (index, score) in evaluation.models.enumerated() {
            let fields = [
                score.node, String(score.k), score.algorithm, number(score.train.rmse), number(score.validation.rmse),
                number(score.validation.mae), number(score.test.rmse), number(score.test.mae), number(score.explainedVariance),
                String(score.iterations),
                PrintfText.double("%.3f", score.seconds), index == evaluation.chosen ? "yes" : "no",
            ] + (evaluation.isCrossValidated ? [number(score.validationRMSESD), number(score.testRMSESD), String(score.folds)] : [])
            text += fields.map { $0.contains(",") ? "\"\($0)\"" : $0 }.joined(separator: ",") + "\n"
        }
        return text
    }

    /// A sentence on the refit model, the one exported, when there is one.
    static func refitNote(_ evaluation: Evaluation) -> String {
        guard let refit = evaluation.refit else { return "" }
        let entries = evaluation.isCrossValidated ? "every non-test entry" : "training plus validation entries"
        return " Refit on \(entries) for \(refit.length) (the model exported): "
            + "test RMSE \(number(refit.test.rmse)), test MAE \(number(refit.test.mae))."
    }

    /// For a chosen SVD model, each component's singular value and share of the normalized
    /// training values' sum of squares (σ_i² / Σ y²); nil for other algorithms.
    private static func componentVariance(_ evaluation: Evaluation, context: StageContext) throws -> [(sigma: Double, share: Double)]? {
        guard evaluation.trainSquares > 0,
            let handle = context.all(.model).first(where: { $0.node.id == evaluation.chosenModel.node }) else { return nil }
        let file = try HDF5File.open(handle.dataFile)
        defer { try? file.close() }
        guard file.root.contains("sigma") else { return nil }
        return try file.root.read("sigma", as: Float.self).values.map { (Double($0), Double($0) * Double($0) / evaluation.trainSquares) }
    }

    private static func render(_ evaluation: Evaluation, pipeline: Pipeline, plotName: String, counts: [String: IterationCount],
                               components: [(sigma: Double, share: Double)]?, warnings: [(node: String, message: String)]) -> String {
        var text = """
        # \(pipeline.name)

        Generated by mfpipe \(Version.mfpipe) on \(EventLog.timestamp(Date())) from `\(DisplayPath.of(pipeline.file))`.

        **Chosen model:** \(chosenSentence(evaluation))


        """
        if !warnings.isEmpty {
            text += "## Warnings\n\n" + warnings.map { "- `\($0.node)`: \($0.message)\n" }.joined() + "\n"
        }
        text += """
        ![RMSE versus k](\(plotName))

        ## Sweep


        """
        let sweep = sweepTable(evaluation, counts: counts)
        text += markdownTable(sweep.header, sweep.rows.map { row in (row.chosen ? [row.cells[0] + " **(chosen)**"] : [row.cells[0]]) + row.cells.dropFirst() })
        if evaluation.isCrossValidated {
            text += "\nUnder k-fold each row is the mean over the folds' models (trained without their fold, scored on it); sd is the standard deviation over the folds.\n"
        }
        let compression = compressionTable(evaluation)
        text += "\n## Compression and reconstruction\n\n" + compressionNote(evaluation) + "\n\n"
            + markdownTable(compression.header, compression.rows.map(\.cells))
        if let ranking = rankingTable(evaluation) {
            text += "\n## Ranking (test)\n\n" + rankingNote(evaluation) + "\n\n" + markdownTable(ranking.header, ranking.rows.map(\.cells))
        }
        text += """

        ## Baselines

        | predictor | validation RMSE | validation MAE | test RMSE | test MAE |
        |---|---:|---:|---:|---:|
        | global mean | \(number(evaluation.globalMean.validation.rmse)) | \(number(evaluation.globalMean.validation.mae)) | \(number(evaluation.globalMean.test.rmse)) | \(number(evaluation.globalMean.test.mae)) |
        | bias baseline | \(number(evaluation.biasBaseline.validation.rmse)) | \(number(evaluation.biasBaseline.validation.mae)) | \(number(evaluation.biasBaseline.test.rmse)) | \(number(evaluation.biasBaseline.test.mae)) |

        """
        text += "\nExplained variance: the share of the normalized training values' sum of squares the model accounts for.\n"
        if let components {
            text += """

            ## Components of the chosen SVD

            Each singular value's share, σ² over the normalized training values' sum of squares (entries
            that are not training entries count as zeros, so with held-out entries the shares add up to
            less than the model's explained variance on the training entries).

            | component | σ | explained variance | cumulative |
            |---:|---:|---:|---:|

            """
            var cumulative = 0.0
            for (index, component) in components.enumerated() {
                cumulative += component.share
                text += "| \(index + 1) | \(number(component.sigma)) | \(number(component.share)) | \(number(cumulative)) |\n"
            }
        }
        if let clip = evaluation.clipRange {
            text += "\nPredictions are clipped to the training range [\(PrintfText.double("%.6g", clip.lowerBound)), \(PrintfText.double("%.6g", clip.upperBound))].\n"
        }
        return text
    }
}
