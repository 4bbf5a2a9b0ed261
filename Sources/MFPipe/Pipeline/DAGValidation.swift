/// Structural checks on a pipeline's stage graph: no cycles, and every stage finds
/// the artifacts it needs among its ancestors.
enum DAGValidation {
    /// Throws at `stages[i].inputs` when the inputs form a cycle (naming it) or when a
    /// stage's ancestors lack an artifact kind it requires.
    static func checkAcyclic(_ stages: [StageSpec], fail: (String, String) -> PipelineFileError) throws {
        let byID = Dictionary(uniqueKeysWithValues: stages.map { ($0.id, $0) })
        var state: [String: Int] = [:]
        var trail: [String] = []
        func visit(_ id: String) throws {
            if state[id] == 2 { return }
            if state[id] == 1 {
                let cycle = trail[trail.lastIndex(of: id)!...] + [id]
                let spec = byID[id]!
                throw fail("\(spec.path).inputs", "cycle: " + cycle.joined(separator: " -> ") + "; expected the inputs to form a DAG")
            }
            state[id] = 1
            trail.append(id)
            for input in byID[id]!.inputs { try visit(input) }
            trail.removeLast()
            state[id] = 2
        }
        for spec in stages { try visit(spec.id) }
        for spec in stages {
            var available: Set<ArtifactKind> = []
            for ancestor in ancestors(of: spec, byID: byID) {
                available.insert(ancestor.type.produces)
            }
            for needed in spec.type.requires where !available.contains(needed) {
                let providers = StageRegistry.names(producing: needed).joined(separator: " or ")
                throw fail("\(spec.path).inputs", "\(Self.article(spec.type.typeName)) \(spec.type.typeName) stage needs an upstream \(providers) stage; none of its inputs leads to one")
            }
        }
    }

    /// "a" or "an", as English puts it before `word`.
    static func article(_ word: String) -> String {
        "aeiou".contains(word.first ?? "x") ? "an" : "a"
    }

    /// Every stage upstream of `spec`, each once.
    static func ancestors(of spec: StageSpec, byID: [String: StageSpec]) -> [StageSpec] {
        var seen: Set<String> = []
        var result: [StageSpec] = []
        var queue = spec.inputs
        while let id = queue.popLast() {
            guard seen.insert(id).inserted, let ancestor = byID[id] else { continue }
            result.append(ancestor)
            queue.append(contentsOf: ancestor.inputs)
        }
        return result
    }
}
