/// The checks on what predict stages read, made before anything runs: a predict stage reads
/// an evaluate stage, then the stage of the pairs to predict; an ingest of pairs without
/// values (`pairs: true`) feeds predict stages only, never training or evaluation.
enum PredictionChecks {
    /// Checks every predict stage and every ingest of pairs in `stages`.
    static func check(_ stages: [StageSpec], fail: (String, String) -> PipelineFileError) throws {
        let byID = Dictionary(uniqueKeysWithValues: stages.map { ($0.id, $0) })
        for predict in stages where predict.type == PredictStage.self {
            let inputs = predict.inputs.compactMap { byID[$0] }
            guard inputs.count == 2, inputs[0].type == EvaluateStage.self, inputs[1].type.produces == .ratings else {
                throw fail("\(predict.path).inputs", "expected the evaluate stage, then the stage of the pairs to predict (an ingest)")
            }
        }
        for pairs in stages where pairs.type == IngestStage.self && pairs.params.bool("pairs") {
            if let reader = stages.first(where: { $0.inputs.contains(pairs.id) && $0.type != PredictStage.self }) {
                throw fail("\(reader.path).inputs", "reads \(pairs.path), an ingest of pairs to predict (pairs: true, values optional); expected only predict stages to read it")
            }
        }
    }
}
