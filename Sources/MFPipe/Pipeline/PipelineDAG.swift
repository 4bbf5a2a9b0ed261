import Foundation

/// One node of the expanded DAG: a stage, or one rank of a stage's `k` sweep.
public struct DAGNode {
    /// The node id: the stage id, or `stage[k=16]` for a sweep member.
    public let id: String
    /// The stage it comes from.
    public let stage: StageSpec
    /// Its parameters, with `k` narrowed to this node's rank.
    public let params: StageParams
    /// The ids of the nodes it reads, in input order.
    public let inputs: [String]
    /// This node's rank, for sweep members.
    public let rank: Int?

    /// A file-system-safe name (`factorize-k016`).
    public var directoryName: String {
        rank.map { "\(stage.id)-k\(String(format: "%03d", $0))" } ?? stage.id
    }
}

/// The pipeline's stages expanded into nodes (one per rank of a sweep), in a
/// topological order that follows the file where it can.
public struct PipelineDAG {
    /// The nodes, each after all of its inputs.
    public let nodes: [DAGNode]
    private let indexByID: [String: Int]

    /// Expands a validated pipeline.
    public init(_ pipeline: Pipeline) {
        var nodesByStage: [String: [DAGNode]] = [:]
        var ordered: [DAGNode] = []
        var remaining = pipeline.stages
        while !remaining.isEmpty {
            let position = remaining.firstIndex { spec in spec.inputs.allSatisfy { nodesByStage[$0] != nil } }!
            let spec = remaining.remove(at: position)
            let inputs = spec.inputs.flatMap { nodesByStage[$0]!.map(\.id) }
            var expanded: [DAGNode] = []
            if let sweep = spec.params.json["k"], let ranks = RankSweep.ranks(sweep), sweep.intValue == nil {
                for rank in ranks {
                    let params = StageParams(json: spec.params.json.setting("k", to: .number(Double(rank))), baseFolder: spec.params.baseFolder)
                    expanded.append(DAGNode(id: "\(spec.id)[k=\(rank)]", stage: spec, params: params, inputs: inputs, rank: rank))
                }
            } else {
                expanded.append(DAGNode(id: spec.id, stage: spec, params: spec.params, inputs: inputs, rank: nil))
            }
            nodesByStage[spec.id] = expanded
            ordered += expanded
        }
        nodes = ordered
        indexByID = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1.id, $0) })
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
