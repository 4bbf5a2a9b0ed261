import Foundation

/// The cache key of a DAG node: a SHA-256 over everything that determines its output.
///
/// The ingredients are the stage type, its complete parameters, the ids and keys of its
/// inputs, the content of the input files it names, the artifact format version and, once
/// raised, the revision of the code behind the output (`Stage.revision`); so a key changes
/// exactly when the node's output could. The ids count because outputs name
/// the nodes upstream (evaluate its models' nodes, export its models' stages, the report
/// every node's timing): a renamed stage reruns everything downstream of it.
public struct StageKey {
    /// The version of the artifact layout; bumping it invalidates every cached artifact.
    public static let artifactFormatVersion = 7

    /// The hex digest.
    public let value: String
    /// What was hashed, as JSON (kept in the manifest to explain later changes).
    public let ingredients: JSONValue

    /// Computes the key of `node` of `pipeline` given its inputs' keys; `digest` gives input
    /// files' SHA-256.
    ///
    /// - Throws: `InputDataError` when an input file the node names does not exist.
    public init(node: DAGNode, of pipeline: Pipeline, inputKeys: [String], digest: (URL) throws -> String) throws {
        var files: [(key: String, value: JSONValue)] = []
        for spec in node.stage.type.params(for: node.params.json) {
            guard case .path(let role) = spec.kind, role != .output, node.params.has(spec.name) else { continue }
            let url = node.params.url(spec.name)
            guard FileSystem.exists(url) else {
                throw InputDataError(file: node.params.string(spec.name), message: "no such file (resolved to \(url.path)); expected an input file for \(node.stage.path).params.\(spec.name)")
            }
            files.append((spec.name, .string(try digest(url))))
        }
        let revision = node.stage.type.revision(node.params)
        ingredients = .object([
            ("format", .number(Double(Self.artifactFormatVersion))),
            ("mfpipe", .string(Version.mfpipe)),
            ("type", .string(node.stage.type.typeName)),
            ("params", Self.resultParams(node)),
            ("inputs", .array(inputKeys.map(JSONValue.string))),
            ("input_ids", .array(node.inputs.map(JSONValue.string))),
            ("files", .object(files)),
        ] + (node.stage.type.recordsPipeline ? [("pipeline", .string(Provenance.pipelineHash(pipeline)))] : [])
          + (revision > 1 ? [("revision", .number(Double(revision)))] : []))
        value = SHA256.hex(of: JSONWriter.canonical(ingredients))
    }

    /// The node's parameters that can change its output.
    private static func resultParams(_ node: DAGNode) -> JSONValue {
        let excluded = Set(node.stage.type.params(for: node.params.json).filter { !$0.affectsResult }.map(\.name))
        guard !excluded.isEmpty, let members = node.params.json.objectValue else { return node.params.json }
        return .object(members.filter { !excluded.contains($0.key) })
    }

    /// Why a node whose previous ingredients were `previous` must run again, in words.
    public func change(since previous: JSONValue) -> String {
        if previous["format"] != ingredients["format"] { return "artifact format changed" }
        if previous["mfpipe"] != ingredients["mfpipe"] { return "mfpipe version changed" }
        if previous["files"] != ingredients["files"] { return "input file changed" }
        if previous["inputs"] != ingredients["inputs"] { return "upstream changed" }
        if previous["input_ids"] != ingredients["input_ids"] {
            guard let old = previous["input_ids"]?.arrayValue, let new = ingredients["input_ids"]?.arrayValue else { return "key changed" }
            return "input renamed (" + zip(old, new).filter { $0 != $1 }.map { "\($0.stringValue ?? "") -> \($1.stringValue ?? "")" }
                .joined(separator: ", ") + ")"
        }
        if let old = previous["params"]?.objectValue, let new = ingredients["params"]?.objectValue {
            let changed = new.filter { member in old.first { $0.key == member.key }?.value != member.value }
                .map { member -> String in
                    let before = old.first { $0.key == member.key }.map { JSONWriter.compact($0.value) } ?? "unset"
                    return "\(member.key) \(before) -> \(JSONWriter.compact(member.value))"
                }
            if !changed.isEmpty { return "params changed (" + changed.joined(separator: ", ") + ")" }
        }
        if previous["revision"] != ingredients["revision"] { return "computed by an earlier revision of its code" }
        if previous["pipeline"] != ingredients["pipeline"] { return "pipeline changed elsewhere (its provenance records the whole file)" }
        return "key changed"
    }
}
