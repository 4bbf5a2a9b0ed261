import Foundation

/// Trains a factorization of the normalized training entries, one DAG node per rank
/// when `k` is a sweep.
public enum FactorizeStage: Stage {
    public static let typeName = "factorize"
    public static let summary = "factorize the training entries (sgd, als, ccd, nmf, svd, adam); k may be a sweep"
    public static let requires = [ArtifactKind.ratings]
    public static let produces = ArtifactKind.model

    /// The parameters every algorithm takes; each algorithm adds its own (`Factorizer.params`).
    public static let commonParams: [ParamSpec] = [
        ParamSpec("algorithm", .choice(FactorizerRegistry.names), default: .string(SGDFactorizer.name),
                  FactorizerRegistry.all.map { "\($0.name): \($0.summary)" }.joined(separator: "; ")),
        ParamSpec("k", .rankSweep, default: nil, "the rank, or a sweep: a list [8, 16, 32] or {\"from\": 8, \"to\": 64, \"step\": 8}"),
        ParamSpec("seed", .integer(0...Int.max), default: .null, "the seed of initialisation and ordering; defaults to the pipeline seed"),
        ParamSpec("checkpoint_epochs", .integer(0...Int.max), default: .number(0),
                  "write an in-stage checkpoint every this many epochs (0: by time only)", affectsResult: false),
        ParamSpec("checkpoint_seconds", .number(minimum: 0, maximum: .infinity, exclusiveMinimum: false), default: .number(30),
                  "write an in-stage checkpoint when this many seconds passed since the last (0: by epochs only)", affectsResult: false),
        ParamSpec("threads", .integer(1...4096), default: .null,
                  "the most threads one model may use (default: the pipeline's); results do not depend on it", affectsResult: false),
    ]

    /// Every parameter of any algorithm, each once (for the docs).
    public static var params: [ParamSpec] {
        var all = commonParams
        for algorithm in FactorizerRegistry.all {
            for spec in algorithm.params where !all.contains(where: { $0.name == spec.name }) { all.append(spec) }
        }
        return all
    }

    /// The common parameters and those of the algorithm `given` names (sgd when it names
    /// none, or one that does not exist: the common `algorithm` check reports that).
    public static func params(for given: JSONValue) -> [ParamSpec] {
        commonParams + algorithm(given).params
    }

    public static func misplacedParameter(_ name: String, given: JSONValue) -> String? {
        let owners = FactorizerRegistry.all.filter { type in type.params.contains { $0.name == name } }.map { "\"\($0.name)\"" }
        guard !owners.isEmpty else { return nil }
        return "applies to \(owners.count == 1 ? "algorithm" : "algorithms") \(owners.joined(separator: ", ")), not to \"\(algorithm(given).name)\"; remove it or change algorithm"
    }

    public static func revision(_ params: StageParams) -> Int {
        algorithm(params.json).revision
    }

    private static func algorithm(_ given: JSONValue) -> any Factorizer.Type {
        given["algorithm"]?.stringValue.flatMap(FactorizerRegistry.named) ?? SGDFactorizer.self
    }

    /// A factorization request from a params object as a pipeline file would give it
    /// (defaults filled in, checked as `validate` checks them), for tests and tools.
    ///
    /// - Throws: `PipelineFileError` for a parameter the algorithm does not take or a bad value.
    public static func request(_ params: JSONValue, seed: Int = 0) throws -> FactorizationRequest {
        let resolved = try ParamValidator(file: "params").resolve(params, specs: Self.params(for: params), path: "params", seed: seed) { name in
            misplacedParameter(name, given: params)
        }
        let stageParams = StageParams(json: resolved, baseFolder: URL(fileURLWithPath: "/"))
        if let problem = problem(with: stageParams, inputCount: 1) {
            throw PipelineFileError(file: "params", location: "params.\(problem.param)", message: problem.message)
        }
        return FactorizationRequest(params: stageParams)
    }

    public static func problem(with params: StageParams, inputCount: Int) -> (param: String, message: String)? {
        FactorizerRegistry.named(params.string("algorithm"))!.problem(with: params)
    }

    public static func runsOnEveryRank(_ params: StageParams) -> Bool {
        FactorizerRegistry.named(params.string("algorithm"))!.runsOnEveryRank
    }

    public static func run(_ context: StageContext) throws -> StageOutcome {
        let problem: TrainingProblem, request: FactorizationRequest
        do {
            (problem, request) = (try sharedProblem(context), try self.request(for: context.node.params, context: context))
        } catch {
            _ = context.world?.maximum(1)
            throw error
        }
        // Every rank of an `mpirun` job learns whether another could not read its data.
        if let world = context.world, world.maximum(0) != 0 {
            throw StageFailure(node: context.node.id, message: "another rank of the job could not read the training data")
        }
        let model: FactorModel
        do {
            model = try train(problem, request: request, context: context)
        } catch let unsuitable as UnsuitableData {
            throw try unsuitableDataError(unsuitable, context: context)
        }
        if context.world?.isLeader == false { return StageOutcome(summary: "", metrics: [:]) }
        try context.writeArtifact(model.write)
        let best = model.info.kept
        // The training loop's RMSE of the kept epoch, on the normalized values and unclipped:
        // named apart from evaluate's train and validation RMSE (the clipped predictions on
        // the data's scale), which the report and the export give.
        let count = model.info.iterationCount
        var summary = "k=\(model.k) \(model.info.algorithm): \(CountText.of(model.info.iterations, count.name))"
        if !best.trainRMSE.isNaN {
            let kept = model.info.bestIteration > 0 || best.validationRMSE.isNaN ? "\(count.name) \(model.info.bestIteration)" : "the warm start"
            summary += ", kept \(kept) (normalized RMSE: train \(MetricText.format(best.trainRMSE))"
                + (best.validationRMSE.isNaN ? ")" : ", validation \(MetricText.format(best.validationRMSE)))")
        }
        return StageOutcome(summary: summary, metrics: [
            "k": Double(model.k), "iterations": Double(model.info.iterations), "seconds": model.info.seconds,
            "epoch_kept": Double(model.info.bestIteration),
            "normalized_train_rmse": best.trainRMSE, "normalized_validation_rmse": best.validationRMSE,
        ].filter { $0.value.isFinite })
    }

    /// The request of a factorize node's `params`, its warm start loaded and mapped onto the
    /// rows and columns upstream of `context`.
    static func request(for params: StageParams, context: StageContext) throws -> FactorizationRequest {
        var request = FactorizationRequest(params: params)
        if params.has("warm_start") { request.warmStart = try warmStart(params, context: context) }
        return request
    }

    /// The export named by the `warm_start` of `params`, mapped onto the rows and columns
    /// upstream of `context`.
    static func warmStart(_ params: StageParams, context: StageContext) throws -> WarmStart {
        let file = try HDF5File.open(context.required(.ratings).dataFile)
        let rowIDs = IdTable(ids: try file.root.openGroup("rows").readStrings("ids"))
        let colIDs = IdTable(ids: try file.root.openGroup("cols").readStrings("ids"))
        try file.close()
        let normalization = try NormalizeStage.upstreamNormalization(context, rows: rowIDs.count, cols: colIDs.count)
        return try WarmStart.load(params.url("warm_start"), displayName: params.string("warm_start"), k: params.int("k"), stage: context.node.stage.id,
                                  rowIDs: rowIDs, colIDs: colIDs, normalization: normalization)
    }

    /// Trains the request's algorithm on `problem` in the node's threads, with its
    /// checkpoint slot and progress; rows and columns without training entries end with zero
    /// factors.
    ///
    /// - Throws: `StageFailure` when the solver diverges (its checkpoint is discarded);
    ///   `UnsuitableData` when the algorithm cannot take the data.
    static func train(_ problem: TrainingProblem, request: FactorizationRequest, context: StageContext,
                      adjust: (inout TrainingLoop.Settings) -> Void = { _ in }) throws -> FactorModel {
        let node = context.node.id
        let count = FactorizerRegistry.iterationCount(request.params)
        var environment = SolverEnvironment(
            threads: context.threadGrant, cancellation: context.cancellation, checkpoint: context.checkpoint,
            progress: { done, total, measures in
                context.progress(done, of: total, unit: count.name + "s", measures: measures)
            },
            note: { message in context.log.info("checkpoint", "\(node): \(message)", fields: ["node": .string(node)]) })
        environment.world = context.world
        var model: FactorModel
        do {
            model = try FactorizerRegistry.named(request.params.string("algorithm"))!
                .train(problem, request: request, environment: environment, adjust: adjust)
        } catch let divergence as SolverDivergence {
            context.checkpoint.remove()
            throw StageFailure(node: node, message: divergence.description)
        }
        model.averageUnseen(rowCounts: problem.rowCounts, colCounts: problem.colCounts)
        return model
    }

    /// The user's error for data an algorithm cannot take: a negative entry named by its
    /// ids and what made it negative, or a rank the matrix cannot have.
    private static func unsuitableDataError(_ unsuitable: UnsuitableData, context: StageContext) throws -> PipelineFileError {
        let (file, path, algorithm) = (DisplayPath.of(context.pipeline.file), context.node.stage.path, context.params.string("algorithm"))
        switch unsuitable {
        case let .negativeEntry(rowIndex, colIndex, value):
            let ratings = try HDF5File.open(context.required(.ratings).dataFile)
            defer { try? ratings.close() }
            let row = try ratings.root.openGroup("rows").readStrings("ids")[rowIndex]
            let col = try ratings.root.openGroup("cols").readStrings("ids")[colIndex]
            // Method none shifts nothing: a negative value is the input's (log1p keeps the sign).
            let method = context.nearest(.normalization)?.node.params.string("method") ?? Normalization.Method.none.rawValue
            let (cause, remedy) = method == Normalization.Method.none.rawValue
                ? ("in the input", "normalize with method \"minmax\" (each line's values to [0, 1]) or choose another algorithm")
                : ("after normalize method \"\(method)\"", "use normalize method \"none\" or \"minmax\", which keep non-negative values non-negative")
            return PipelineFileError(
                file: file, location: "\(path).params.algorithm",
                message: "\"\(algorithm)\" needs non-negative values; the training entry (row \"\(row)\", column \"\(col)\") is \(Float(value)) \(cause); \(remedy)")
        case let .rankTooLarge(k, rows, cols):
            return PipelineFileError(file: file, location: "\(path).params.k",
                                     message: UnsuitableData.rankText(k: k, rows: rows, cols: cols, algorithm: algorithm) + "; expected at most \(min(rows, cols))")
        }
    }

    /// The normalized training and validation entries upstream of the node, shared by every
    /// rank of the stage's sweep (of one fold): the training entries are streamed from the artifact (never
    /// held whole by SGD), the validation entries read without timestamps.
    private static func sharedProblem(_ context: StageContext) throws -> TrainingProblem {
        let sweep = context.node.sweepID
        return try context.cache.value(for: "training-problem:" + sweep, owner: sweep) {
            let ratings = context.required(.ratings).dataFile
            let (rows, cols, parts) = try RatingData.readParts(from: ratings, [.validation], timestamps: false)
            let normalization = try NormalizeStage.upstreamNormalization(context, rows: rows, cols: cols)
            var validation = parts[.validation] ?? RatingTable()
            normalization.normalize(&validation)
            let dense = FactorizerRegistry.named(context.params.string("algorithm"))!.usesDenseLayout
            return try TrainingProblem(rows: rows, cols: cols, entries: ArtifactEntries(url: ratings, normalization: normalization),
                                       validation: validation, keepingDense: dense, threads: context.threadGrant.limit)
        }
    }
}
