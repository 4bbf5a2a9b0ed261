import Foundation

/// One node of the expanded DAG: a stage, one rank of a stage's `k` sweep, one fold of
/// a k-fold split (and of each stage downstream of it up to evaluate), or both.
public struct DAGNode {
    /// The node id: the stage id, `stage[k=16]` for a sweep member, `stage[fold=2]` for a
    /// fold, `stage[fold=2,k=16]` for both.
    public let id: String
    /// The stage it comes from.
    public let stage: StageSpec
    /// Its parameters, with `k` narrowed to this node's rank.
    public let params: StageParams
    /// The ids of the nodes it reads, in input order.
    public let inputs: [String]
    /// This node's rank, for sweep members.
    public let rank: Int?
    /// This node's fold (1-based), for the nodes of a k-fold split and those downstream of it.
    public let fold: Int?

    /// The id the node would have without its fold: what the folds of one model share.
    public var idWithoutFold: String { Self.id(stage: stage.id, fold: nil, rank: rank) }

    /// The id the node would have without its rank: what the ranks of one sweep (of one
    /// fold) share, and what they share values in the run cache under.
    public var sweepID: String { Self.id(stage: stage.id, fold: fold, rank: nil) }

    /// The id of the node of stage `stage` for `fold` and `rank`: `stage`, `stage[k=16]`,
    /// `stage[fold=2]` or `stage[fold=2,k=16]`.
    static func id(stage: String, fold: Int?, rank: Int?) -> String {
        let label = (fold.map { ["fold=\($0)"] } ?? []) + (rank.map { ["k=\($0)"] } ?? [])
        return label.isEmpty ? stage : "\(stage)[\(label.joined(separator: ","))]"
    }

    /// The stage id within a node id that `id(stage:fold:rank:)` made (`factorize` of
    /// `factorize[fold=2,k=16]`): what an artifact that keeps node ids tells the stage by.
    public static func stageID(of nodeID: String) -> String {
        String(nodeID.prefix { $0 != "[" })
    }

    /// Where training of `epochs` loop epochs stands after `epoch`, in the unit of the
    /// node's algorithm: "epoch 12 of 40", "round 3 of 20" (svd).
    public func trainingPosition(_ epoch: Int, of epochs: Int) -> String {
        let count = stage.type.typeName == FactorizeStage.typeName ? FactorizerRegistry.iterationCount(params) : .epochs
        return "\(count.name) \(epoch) of \(epochs)"
    }

    /// A file-system-safe name (`factorize-k016`, `factorize-fold2-k016`).
    public var directoryName: String {
        ([stage.id] + (fold.map { ["fold\($0)"] } ?? []) + (rank.map { [String(format: "k%03d", $0)] } ?? []))
            .joined(separator: "-")
    }
}

/// The pipeline's stages expanded into nodes (one per rank of a sweep), in a
/// topological order that follows the file where it can.
public struct PipelineDAG {
    /// The nodes, each after all of its inputs.
    public let nodes: [DAGNode]
    private let indexByID: [String: Int]

    /// Expands a validated pipeline: a `k` sweep into one node per rank, a k-fold split
    /// into one node per fold, and every stage downstream of a fold into one node per
    /// fold until a stage that gathers folds (evaluate) reads them all.
    public init(_ pipeline: Pipeline) {
        var nodesByStage: [String: [DAGNode]] = [:]
        var ordered: [DAGNode] = []
        var remaining = pipeline.stages
        while !remaining.isEmpty {
            let position = remaining.firstIndex { spec in spec.inputs.allSatisfy { nodesByStage[$0] != nil } }!
            let spec = remaining.remove(at: position)
            let inputNodes = spec.inputs.map { nodesByStage[$0]! }
            let folds = Self.folds(of: spec, inputs: inputNodes)
            var ranks: [Int?] = [nil]
            if let sweep = spec.params.json["k"], let swept = RankSweep.ranks(sweep), sweep.intValue == nil { ranks = swept }
            var expanded: [DAGNode] = []
            for fold in folds {
                let inputs = inputNodes.flatMap { nodes in nodes.filter { fold == nil || $0.fold == nil || $0.fold == fold }.map(\.id) }
                for rank in ranks {
                    var json = spec.params.json
                    if let rank { json = json.setting("k", to: .number(Double(rank))) }
                    if let fold, spec.type == SplitStage.self { json = json.setting(SplitStage.foldParameter, to: .number(Double(fold))) }
                    expanded.append(DAGNode(
                        id: DAGNode.id(stage: spec.id, fold: fold, rank: rank), stage: spec,
                        params: StageParams(json: json, baseFolder: spec.params.baseFolder), inputs: inputs, rank: rank, fold: fold))
                }
            }
            nodesByStage[spec.id] = expanded
            ordered += expanded
        }
        nodes = ordered
        indexByID = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1.id, $0) })
    }

    /// The folds a stage is expanded into: a k-fold split's own, its inputs' folds unless it
    /// gathers them, or `[nil]` (one node).
    private static func folds(of spec: StageSpec, inputs: [[DAGNode]]) -> [Int?] {
        if spec.type == SplitStage.self, let count = SplitStage.foldCount(spec.params.json) {
            return (1...count).map(Optional.some)
        }
        guard !spec.type.gathersFolds else { return [nil] }
        let folds = Set(inputs.joined().compactMap(\.fold))
        return folds.isEmpty ? [nil] : folds.sorted().map(Optional.some)
    }

    /// The expanded nodes as JSON: id, stage, inputs and the node's own params (a sweep's
    /// `k` narrowed to the node's rank), for `validate --print`.
    public var resolvedJSON: JSONValue {
        .array(nodes.map { node in
            .object([
                ("id", .string(node.id)), ("stage", .string(node.stage.id)),
                ("inputs", .array(node.inputs.map(JSONValue.string))), ("params", node.params.json),
            ])
        })
    }

    /// The node with id `id`.
    public func node(_ id: String) -> DAGNode? {
        indexByID[id].map { nodes[$0] }
    }

    /// The nodes of stage `stageID` (several for a sweep).
    public func nodes(ofStage stageID: String) -> [DAGNode] {
        nodes.filter { $0.stage.id == stageID }
    }

    /// Every node upstream of `node`, nearest first (breadth-first over inputs in order).
    public func ancestors(of node: DAGNode) -> [DAGNode] {
        var seen: Set<String> = []
        var result: [DAGNode] = []
        var frontier = node.inputs
        while !frontier.isEmpty {
            var next: [String] = []
            for id in frontier where seen.insert(id).inserted {
                let ancestor = self.node(id)!
                result.append(ancestor)
                next += ancestor.inputs
            }
            frontier = next
        }
        return result
    }

    /// Every node downstream of the nodes in `ids`, and those nodes.
    public func descendants(including ids: Set<String>) -> Set<String> {
        var result = ids
        for node in nodes where node.inputs.contains(where: result.contains) {
            result.insert(node.id)
        }
        return result
    }
}
