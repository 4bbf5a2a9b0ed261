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

    /// The artifact kinds a stage reads one of, the nearest upstream (a sweep's models are
    /// read together).
    private static let singleKinds: [ArtifactKind] = [.ratings, .normalization, .evaluation]

    /// Throws at `stages[i].inputs` when a stage's inputs lead to different nearest artifacts
    /// of a kind read singly — two split stages, two normalize stages, or one model
    /// normalized and one not — so that which one it read would depend on the order of its
    /// inputs (and an evaluate would score one model through another's normalization).
    static func checkSingleSources(_ stages: [StageSpec], fail: (String, String) -> PipelineFileError) throws {
        let byID = Dictionary(uniqueKeysWithValues: stages.map { ($0.id, $0) })
        var nearestByID: [String: [ArtifactKind: String]] = [:]
        func nearest(_ id: String) throws -> [ArtifactKind: String] {
            if let known = nearestByID[id] { return known }
            let spec = byID[id]!
            let inputs = spec.type.inputsHaveRoles ? Array(spec.inputs.prefix(1)) : spec.inputs
            let upstream = try inputs.map { (input: $0, nearest: try nearest($0)) }
            var result: [ArtifactKind: String] = [:]
            for kind in singleKinds {
                guard let first = upstream.first,
                      let other = upstream.first(where: { $0.nearest[kind] != first.nearest[kind] }) else {
                    result[kind] = upstream.first?.nearest[kind]
                    continue
                }
                func reached(_ provider: String?) -> String { provider.map { "\"\($0)\"" } ?? "none" }
                throw fail("\(spec.path).inputs", "\(article(spec.type.typeName)) \(spec.type.typeName) stage reads one \(kind.rawValue) artifact, "
                    + "but input \"\(first.input)\" leads to \(reached(first.nearest[kind])) and input \"\(other.input)\" to \(reached(other.nearest[kind])); "
                    + "expected every input to lead to the same one")
            }
            result[spec.type.produces] = id
            nearestByID[id] = result
            return result
        }
        for spec in stages { _ = try nearest(spec.id) }
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
