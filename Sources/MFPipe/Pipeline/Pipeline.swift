import Foundation

/// A loaded, validated pipeline file: every stage's parameters complete and checked,
/// every input resolved, no cycles.
public struct Pipeline {
    /// The pipeline-file format version this build reads.
    public static let formatVersion = 1

    /// The pipeline file.
    public let file: URL
    /// The `name` key: names the work directory and the exported files' provenance.
    public let name: String
    /// The work directory (absolute).
    public let workdir: URL
    /// The pipeline seed; stages without their own `seed` use it.
    public let seed: Int
    /// The default number of threads (`threads`, or the machine's cores).
    public let threads: Int
    /// The stages in file order.
    public let stages: [StageSpec]

    /// The folder relative paths resolve against.
    public var folder: URL { file.deletingLastPathComponent() }

    /// The resolved document: defaults filled in, for `validate --print` and provenance.
    public var resolvedJSON: JSONValue {
        .object([
            ("version", .number(Double(Self.formatVersion))),
            ("name", .string(name)),
            ("workdir", .string(workdir.path)),
            ("seed", .number(Double(seed))),
            ("threads", .number(Double(threads))),
            ("stages", .array(stages.map(\.resolvedJSON))),
        ])
    }

    /// Creates a pipeline from validated parts (see `PipelineLoader`).
    init(file: URL, name: String, workdir: URL, seed: Int, threads: Int, stages: [StageSpec]) {
        self.file = file
        self.name = name
        self.workdir = workdir
        self.seed = seed
        self.threads = threads
        self.stages = stages
    }

    /// The stage with id `id`.
    public func stage(_ id: String) -> StageSpec? {
        stages.first { $0.id == id }
    }
}

/// One validated entry of the pipeline's `stages` array.
public struct StageSpec {
    /// Its position in `stages`, for JSON paths in messages.
    public let index: Int
    /// The `id` key.
    public let id: String
    /// The stage type.
    public let type: any Stage.Type
    /// The ids of its direct inputs, as written.
    public let inputs: [String]
    /// Its parameters, complete.
    public let params: StageParams

    /// The JSON path of this stage (`stages[3]`).
    public var path: String { "stages[\(index)]" }

    /// The stage as resolved JSON.
    public var resolvedJSON: JSONValue {
        .object([
            ("id", .string(id)), ("type", .string(type.typeName)),
            ("inputs", .array(inputs.map(JSONValue.string))), ("params", params.json),
        ])
    }
}
