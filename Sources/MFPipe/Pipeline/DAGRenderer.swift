/// Renders an expanded DAG as indented text, Graphviz dot, or a Mermaid flowchart.
public enum DAGRenderer {
    /// The output formats of `mfpipe dag --format`.
    public enum Format: String, CaseIterable {
        case text, dot, mermaid
    }

    /// The DAG in `format`.
    public static func render(_ dag: PipelineDAG, format: Format) -> String {
        switch format {
        case .text:
            return dag.nodes.map { node in
                let inputs = node.inputs.isEmpty ? "" : " <- " + node.inputs.joined(separator: ", ")
                return "\(node.id) (\(node.stage.type.typeName))\(inputs)"
            }.joined(separator: "\n") + "\n"
        case .dot:
            var text = "digraph pipeline {\n  rankdir=LR;\n  node [shape=box];\n"
            for node in dag.nodes {
                text += "  \"\(node.id)\" [label=\"\(node.id)\\n\(node.stage.type.typeName)\"];\n"
            }
            for node in dag.nodes {
                for input in node.inputs { text += "  \"\(input)\" -> \"\(node.id)\";\n" }
            }
            return text + "}\n"
        case .mermaid:
            let names = Dictionary(uniqueKeysWithValues: dag.nodes.enumerated().map { ($1.id, "n\($0)") })
            var text = "flowchart LR\n"
            for node in dag.nodes {
                text += "  \(names[node.id]!)[\"\(node.id)<br/>\(node.stage.type.typeName)\"]\n"
            }
            for node in dag.nodes {
                for input in node.inputs { text += "  \(names[input]!) --> \(names[node.id]!)\n" }
            }
            return text
        }
    }
}
