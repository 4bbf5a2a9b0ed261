import Foundation

/// Where a result came from, as the export and the report state it: a hash of the resolved
/// stages, a hash of the input files' contents, and the mfpipe version.
enum Provenance {
    /// SHA-256 of the pipeline's name, seed and resolved stages (canonical JSON).
    static func pipelineHash(_ pipeline: Pipeline) -> String {
        let stages = JSONValue.object([
            ("name", .string(pipeline.name)), ("seed", .number(Double(pipeline.seed))),
            ("stages", .array(pipeline.stages.map(\.resolvedJSON))),
        ])
        return SHA256.hex(of: JSONWriter.canonical(stages))
    }

    /// SHA-256 of the content hashes of every input file upstream of `context`, from the
    /// source nodes' manifests.
    static func inputHash(_ context: StageContext) throws -> String {
        var inputs = ""
        for handle in context.ancestors where handle.node.inputs.isEmpty {
            let manifest = try handle.manifest()
            inputs += JSONWriter.canonical(manifest["ingredients"]?["files"] ?? .null)
        }
        return SHA256.hex(of: inputs)
    }
}
