import Foundation

/// A completed artifact of an upstream node: where it lives and what kind it is.
public struct ArtifactHandle {
    /// The node that produced it.
    public let node: DAGNode
    /// Its folder in the work directory.
    public let directory: URL

    /// The artifact's main HDF5 file.
    public var dataFile: URL { directory.appendingPathComponent(ArtifactStore.dataFileName) }
    /// The artifact's manifest, parsed.
    public func manifest() throws -> JSONValue {
        try JSONParser.parse(FileSystem.read(directory.appendingPathComponent(ArtifactStore.manifestName)))
    }
    /// The kind of artifact.
    public var kind: ArtifactKind { node.stage.type.produces }
}

/// What a running stage may see and use: its parameters, its upstream artifacts,
/// its output folder, its share of threads, and the run's log.
public struct StageContext {
    /// The node being run.
    public let node: DAGNode
    /// The pipeline it belongs to.
    public let pipeline: Pipeline
    /// Where the stage writes its artifact (`ArtifactStore.dataFileName` and any others).
    public let outputDirectory: URL
    /// The artifacts of the node's direct inputs, in input order.
    public let inputs: [ArtifactHandle]
    /// The artifacts of every ancestor, nearest first.
    public private(set) var ancestors: [ArtifactHandle]
    /// Threads this node may use.
    public let threads: Int
    /// The threads a solver may use: the node's own plus idle ones of the run's budget.
    public let threadGrant: ThreadGrant
    /// Where the node keeps in-stage checkpoints.
    public let checkpoint: CheckpointSlot
    /// Values shared with the run's other nodes.
    public let cache: RunCache
    /// The run's event log.
    public let log: EventLog
    /// Set when the run is being interrupted; long loops poll it.
    public let cancellation: Cancellation
    /// The warnings the node has given (`warn`), kept in its manifest.
    public let warnings = NodeWarnings()
    /// The `mpirun` job, when the node trains on every rank of one (`Stage.runsOnEveryRank`);
    /// nil in one process and for every other node.
    public var world: MPIWorld? = nil

    /// The node's parameters.
    public var params: StageParams { node.params }

    /// Warns of something the user should know about the node's result: on standard error
    /// now (after the node id), and in the node's manifest, so that later runs that find the
    /// node cached, the run record and the report repeat it.
    public func warn(_ message: String) {
        log.warning("\(node.id): \(message)", fields: ["node": .string(node.id), "cached": .bool(false)])
        warnings.append(message)
    }

    /// The context with only `input` (one of the node's inputs) and its ancestors upstream:
    /// what a stage reading two branches (predict) sees of one of them.
    public func upstream(of input: ArtifactHandle) -> StageContext {
        let dag = PipelineDAG(pipeline)
        let kept = Set(dag.ancestors(of: input.node).map(\.id) + [input.node.id])
        var narrowed = self
        narrowed.ancestors = ancestors.filter { kept.contains($0.node.id) }
        return narrowed
    }

    /// The nearest ancestor artifact of `kind`, or nil.
    public func nearest(_ kind: ArtifactKind) -> ArtifactHandle? {
        ancestors.first { $0.kind == kind }
    }

    /// The nearest ancestor of a kind the stage declared in `requires` (validation guarantees one).
    public func required(_ kind: ArtifactKind) -> ArtifactHandle {
        guard let handle = nearest(kind) else { preconditionFailure("validation guarantees an upstream \(kind) artifact") }
        return handle
    }

    /// The warnings the upstream nodes gave when they ran, from their manifests, in the
    /// DAG's order.
    public func upstreamWarnings() throws -> [(node: String, message: String)] {
        let order = Dictionary(uniqueKeysWithValues: PipelineDAG(pipeline).nodes.enumerated().map { ($1.id, $0) })
        return try ancestors.sorted { order[$0.node.id]! < order[$1.node.id]! }.flatMap { handle in
            NodeWarnings.of(manifest: try handle.manifest()).map { (handle.node.id, $0) }
        }
    }

    /// Every ancestor artifact of `kind`, in DAG order.
    public func all(_ kind: ArtifactKind) -> [ArtifactHandle] {
        ancestors.filter { $0.kind == kind }.sorted { $0.node.id.localizedStandardCompare($1.node.id) == .orderedAscending }
    }

    /// Writes the node's artifact file (`data.h5`, contiguous datasets): `body` fills its root group.
    public func writeArtifact(_ body: (HDF5Group) throws -> Void) throws {
        let file = try HDF5File.create(outputDirectory.appendingPathComponent(ArtifactStore.dataFileName), layout: .contiguous)
        try body(file.root)
        try file.close()
    }

    /// Reports progress of the node: `done` of `total` `unit`s, with what was measured.
    public func progress(_ done: Int, of total: Int, unit: String, measures: ProgressMeasures = ProgressMeasures()) {
        log.progress(node: node.id, done: done, total: total, unit: unit, measures: measures)
    }
}

/// A flag set from a signal handler and polled by long-running loops.
public final class Cancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var signalNumber: Int32 = 0

    /// Creates an unset flag.
    public init() {}

    /// Marks the run as interrupted by `signal`.
    public func cancel(signal: Int32) {
        lock.lock()
        if signalNumber == 0 { signalNumber = signal }
        lock.unlock()
    }

    /// The signal that interrupted the run, or 0.
    public var signal: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return signalNumber
    }

    /// Whether the run is being interrupted.
    public var isCancelled: Bool { signal != 0 }

    /// Throws `Interrupted` when the run is being interrupted.
    public func check() throws {
        let current = signal
        if current != 0 { throw Interrupted(signal: current) }
    }
}

/// The run was interrupted by SIGINT or SIGTERM; exits 130 or 143.
public struct Interrupted: MFPipeError {
    /// The signal received.
    public let signal: Int32

    public var exitCode: Int32 { 128 + signal }
    public var description: String { "interrupted by \(signal == SIGINT ? "SIGINT" : "SIGTERM"); completed stages are kept" }
}
