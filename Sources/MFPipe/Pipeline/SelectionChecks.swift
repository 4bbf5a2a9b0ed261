import Foundation

/// The checks that model selection can happen, made before anything runs: an evaluate stage
/// that chooses among several models (a `k` sweep, or several factorize stages) needs
/// validation entries, so its split must hold some out — not fail in evaluate after every
/// rank has trained; and a k-fold split's per-fold models must meet an evaluate stage that
/// can summarise them.
enum SelectionChecks {
    /// Checks every evaluate and output stage of `stages`.
    static func check(_ stages: [StageSpec], fail: (String, String) -> PipelineFileError) throws {
        let byID = Dictionary(uniqueKeysWithValues: stages.map { ($0.id, $0) })
        try checkFoldsMeetEvaluate(stages, byID: byID, fail: fail)
        for evaluate in stages where evaluate.type == EvaluateStage.self {
            let ancestors = DAGValidation.ancestors(of: evaluate, byID: byID)
            let kfold = ancestors.first { $0.type == SplitStage.self && SplitStage.foldCount($0.params.json) != nil }
            try checkRule(evaluate, kfold: kfold, fail: fail)
            if let kfold {
                for export in stages where export.type == ExportStage.self && export.params.string("models") == "all"
                    && DAGValidation.ancestors(of: export, byID: byID).contains(where: { $0.id == evaluate.id }) {
                    throw fail("\(export.path).params.models", "\"all\" after the k-fold split \(kfold.path): each k has one model per fold and none trained on all entries; expected \"chosen\" (the chosen k, refit on every non-test entry)")
                }
            }
            let models = ancestors.filter { $0.type == FactorizeStage.self }.reduce(0) { count, stage in
                count + (stage.params.json["k"].flatMap(RankSweep.ranks)?.count ?? 1)
            }
            guard models > 1 else { continue }
            let splits = ancestors.filter { $0.type == SplitStage.self }
            guard let split = splits.first else {
                throw fail("\(evaluate.path).inputs", "chooses among \(models) models but no split stage upstream holds out validation entries; expected a split stage with validation > 0")
            }
            if !SplitStage.holdsOutValidation(split.params) {
                let name = split.params.has("validation_per_row") ? "validation_per_row" : "validation"
                throw fail("\(split.path).params.\(name)", "0 holds out no validation entries, and \(evaluate.path) chooses among \(models) models; expected \(name) > 0")
            }
        }
    }

    /// A ranking metric to select by needs ranking_at > 0 and the lowest rule; a k-fold
    /// evaluate needs `refit` (no fold model saw every non-test entry).
    private static func checkRule(_ evaluate: StageSpec, kfold: StageSpec?, fail: (String, String) -> PipelineFileError) throws {
        let selectBy = evaluate.params.string("select_by")
        if selectBy != SelectionMetric.rmse.rawValue && evaluate.params.int("ranking_at") == 0 {
            throw fail("\(evaluate.path).params.select_by", "\"\(selectBy)\" is a ranking metric, and ranking_at is 0; expected ranking_at > 0, or select_by \"rmse\"")
        }
        if selectBy != SelectionMetric.rmse.rawValue && evaluate.params.string("selection_rule") == SelectionRule.oneStandardError.rawValue {
            throw fail("\(evaluate.path).params.selection_rule", "\"one_standard_error\" chooses by RMSE's standard error, and select_by is \"\(selectBy)\"; expected select_by \"rmse\" or selection_rule \"lowest\"")
        }
        if let kfold, !evaluate.params.bool("refit") {
            throw fail("\(evaluate.path).params.refit", "false after the k-fold split \(kfold.path): every fold's model misses one fold, so the exported model must be refit on every non-test entry; expected true")
        }
    }

    /// A stage writing outside the work directory (export, report) cannot run once per fold:
    /// everything downstream of a k-fold split must pass through an evaluate stage first.
    private static func checkFoldsMeetEvaluate(_ stages: [StageSpec], byID: [String: StageSpec],
                                               fail: (String, String) -> PipelineFileError) throws {
        var memo: [String: StageSpec?] = [:]
        func foldSource(_ stage: StageSpec) -> StageSpec? {
            if let known = memo[stage.id] { return known }
            var source: StageSpec?
            if stage.type == SplitStage.self && SplitStage.foldCount(stage.params.json) != nil {
                source = stage
            } else if !stage.type.gathersFolds {
                source = stage.inputs.lazy.compactMap { byID[$0].flatMap(foldSource) }.first
            }
            memo[stage.id] = .some(source)
            return source
        }
        for stage in stages where stage.type.produces == .output {
            if let source = foldSource(stage) {
                throw fail("\(stage.path).inputs", "reads the per-fold outputs of the k-fold split \(source.path); expected its inputs to pass through an evaluate stage")
            }
        }
    }
}
