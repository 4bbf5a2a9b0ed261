import Foundation

/// What the leader (rank 0) tells the other ranks of an `mpirun` job, by broadcast.
///
/// The leader alone plans the run, holds the work directory's lock, runs every stage that
/// needs no other rank (ingest, split, normalize, evaluate, export, report: their
/// artifacts land in the shared work directory) and writes every artifact, the log and the
/// run record. Before a node that trains on every rank (`Stage.runsOnEveryRank`) it sends
/// `run`, naming the node and where its inputs and checkpoint are; after the last node it
/// sends `stop` with the run's exit code.
public enum FollowerCommand {
    /// Train `node` together: its key's checkpoint slot, its inputs (node ids) and every
    /// ancestor's folder (nearest first), on `threads` threads.
    case run(node: String, checkpoint: URL, key: String, inputs: [String], ancestors: [(id: String, folder: String)], threads: Int)
    /// The run is over: exit with `exitCode`.
    case stop(exitCode: Int32)

    /// The broadcast bytes.
    var encoded: Data {
        let json: JSONValue
        switch self {
        case let .run(node, checkpoint, key, inputs, ancestors, threads):
            json = .object([
                ("action", .string("run")), ("node", .string(node)), ("checkpoint", .string(checkpoint.path)), ("key", .string(key)),
                ("inputs", .array(inputs.map { .string($0) })), ("ancestors", .object(ancestors.map { ($0.id, .string($0.folder)) })),
                ("threads", .number(Double(threads))),
            ])
        case let .stop(exitCode):
            json = .object([("action", .string("stop")), ("exit_code", .number(Double(exitCode)))])
        }
        return Data(JSONWriter.compact(json).utf8)
    }

    /// Decodes what `encoded` gave; nil for anything else.
    init?(decoding data: Data) {
        guard let json = try? JSONParser.parse(data), let action = json["action"]?.stringValue else { return nil }
        if action == "stop", let code = json["exit_code"]?.intValue {
            self = .stop(exitCode: Int32(code))
            return
        }
        guard action == "run", let node = json["node"]?.stringValue, let checkpoint = json["checkpoint"]?.stringValue,
            let key = json["key"]?.stringValue, let inputs = json["inputs"]?.arrayValue?.compactMap(\.stringValue),
            let ancestors = json["ancestors"]?.objectValue, let threads = json["threads"]?.intValue
        else { return nil }
        self = .run(node: node, checkpoint: URL(fileURLWithPath: checkpoint), key: key, inputs: inputs,
                    ancestors: ancestors.compactMap { entry in entry.value.stringValue.map { (entry.key, $0) } }, threads: threads)
    }

    /// Sends this command from the leader to every other rank.
    public func send(in world: MPIWorld) {
        guard world.size > 1 else { return }
        _ = world.broadcast(encoded)
    }
}

/// A rank other than the leader: it waits for the leader's commands and trains the nodes it
/// is told to with its share of the work, writing only its own checkpoint slices.
public struct Follower {
    /// The pipeline, loaded as the leader loaded it (the same file and options).
    public let pipeline: Pipeline
    /// The job.
    public let world: MPIWorld
    /// Set when this rank receives SIGINT or SIGTERM.
    public let cancellation: Cancellation

    /// A follower of `pipeline` in `world`.
    public init(pipeline: Pipeline, world: MPIWorld, cancellation: Cancellation) {
        self.pipeline = pipeline
        self.world = world
        self.cancellation = cancellation
    }

    /// Waits for the leader's `stop` on a rank that could not load the pipeline (nor can
    /// the leader, which reports why); returns its exit code. Told to train instead, it
    /// stops the whole job.
    public static func waitForStop(in world: MPIWorld) -> Int32 {
        guard case .stop(let code)? = FollowerCommand(decoding: world.broadcast(Data())) else { world.abort(code: 1) }
        return code
    }

    /// Follows the leader's commands until it sends `stop`; returns its exit code.
    ///
    /// A node's failure here is not reported: the leader, training the same node on the
    /// same data, meets the same failure and reports it once.
    public func run() -> Int32 {
        let dag = PipelineDAG(pipeline)
        let cache = RunCache()
        let log = EventLog(format: .quiet)
        while true {
            guard let command = FollowerCommand(decoding: world.broadcast(Data())) else { world.abort(code: 1) }
            switch command {
            case let .stop(exitCode):
                return exitCode
            case let .run(id, checkpoint, key, inputs, ancestors, threads):
                guard let node = dag.node(id) else { world.abort(code: 1) }
                let handles = ancestors.map { ArtifactHandle(node: dag.node($0.id)!, directory: URL(fileURLWithPath: $0.folder)) }
                let context = StageContext(
                    node: node, pipeline: pipeline, outputDirectory: pipeline.workdir,
                    inputs: inputs.map { input in handles.first { $0.node.id == input }! },
                    ancestors: handles, threads: threads, threadGrant: .fixed(threads),
                    checkpoint: CheckpointSlot(url: checkpoint, key: key, world: world), cache: cache, log: log,
                    cancellation: cancellation, world: world)
                _ = try? node.stage.type.run(context)
                cache.release(owner: node.sweepID)
            }
        }
    }
}
