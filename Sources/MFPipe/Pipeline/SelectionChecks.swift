import Foundation

/// The check that model selection can happen, made before anything runs: an evaluate stage
/// that chooses among several models (a `k` sweep, or several factorize stages) needs
/// validation entries, so its split must hold some out — not fail in evaluate after every
/// rank has trained.
enum SelectionChecks {
    /// Checks every evaluate stage of `stages`.
    static func check(_ stages: [StageSpec], fail: (String, String) -> PipelineFileError) throws {
        let byID = Dictionary(uniqueKeysWithValues: stages.map { ($0.id, $0) })
        for evaluate in stages where evaluate.type == EvaluateStage.self {
            let ancestors = DAGValidation.ancestors(of: evaluate, byID: byID)
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
}
