import Foundation

/// Runs a pipeline's DAG: decides which nodes are cached and which must run (and why),
/// runs the rest with independent nodes in parallel, and commits each artifact.
public final class Engine {
    /// What `run` should force or only pretend.
    public struct Options {
        /// Stage ids to rerun even when cached.
        public var force: Set<String> = []
        /// Rerun everything.
        public var forceAll = false
        /// Only print what would run and why.
        public var dryRun = false
        /// After a node fails, still run every node that does not depend on it.
        public var keepGoing = false

        /// Default options: run what is not cached.
        public init() {}
    }

    /// The decision for one node.
    public struct Decision {
        /// Where a node's artifact stands.
        public enum State {
            /// Complete and intact under the current key.
            case cached
            /// Never run (no artifact under any key).
            case new
            /// An artifact exists under another key: params, inputs or files changed.
            case changed
            /// Present but unusable.
            case damaged
            /// Rerun on request (`--force`, or downstream of a forced stage).
            case forced
            /// Not complete, but an in-stage checkpoint lets it resume at epoch `epoch` of `epochs`.
            case partial(epoch: Int, epochs: Int)
        }

        /// The node.
        public let node: DAGNode
        /// Its key.
        public let key: StageKey
        /// Where its artifact stands.
        public let state: State
        /// nil when cached; otherwise why it must run.
        public let reason: String?
        /// The cached manifest, when cached.
        public let manifest: JSONValue?
    }

    /// The validated pipeline.
    public let pipeline: Pipeline
    /// Its expanded DAG.
    public let dag: PipelineDAG
    /// The work directory's cache.
    public let store: ArtifactStore
    /// The work directory's in-stage checkpoints.
    public let checkpoints: CheckpointStore
    private let log: EventLog
    private let cancellation: Cancellation
    private let digests: FileDigestCache
    /// The `mpirun` job this engine leads, or nil for one process. Rank 0 runs on the
    /// pipeline's threads: the other ranks sleep while it runs a node alone.
    private let world: MPIWorld?

    /// The node whose failure `run` threw, when one did.
    public private(set) var failedNode: String?

    /// Creates an engine for `pipeline`, logging to `log`; with `world`, the leader of an
    /// `mpirun` job (see `FollowerCommand`): nodes then run one at a time, and each node
    /// that trains on every rank is announced to the followers first.
    public init(pipeline: Pipeline, log: EventLog, cancellation: Cancellation = Cancellation(), world: MPIWorld? = nil) {
        self.pipeline = pipeline
        dag = PipelineDAG(pipeline)
        store = ArtifactStore(workdir: pipeline.workdir)
        self.world = world
        checkpoints = CheckpointStore(workdir: pipeline.workdir, world: world)
        self.log = log
        self.cancellation = cancellation
        digests = FileDigestCache(workdir: pipeline.workdir)
    }

    /// Computes every node's key and whether it is cached, without running anything.
    public func plan(_ options: Options = Options()) throws -> [Decision] {
        for id in options.force where pipeline.stage(id) == nil {
            throw UsageError("--force \(id): no stage with that id; expected one of " + pipeline.stages.map(\.id).joined(separator: ", "))
        }
        let forced = dag.descendants(including: Set(dag.nodes.filter { options.forceAll || options.force.contains($0.stage.id) }.map(\.id)))
        var keys: [String: StageKey] = [:]
        return try dag.nodes.map { node in
            let key = try StageKey(node: node, of: pipeline, inputKeys: node.inputs.map { keys[$0]!.value }, digest: digests.sha256(of:))
            keys[node.id] = key
            if forced.contains(node.id) {
                let reason = options.forceAll || options.force.contains(node.stage.id) ? "forced" : "forced upstream"
                return Decision(node: node, key: key, state: .forced, reason: reason, manifest: nil)
            }
            let state = store.state(of: node, key: key)
            if case .complete(let manifest) = state {
                return Decision(node: node, key: key, state: .cached, reason: nil, manifest: manifest)
            }
            if let checkpoint = checkpoints.slot(for: node, key: key).load() {
                return Decision(node: node, key: key, state: .partial(epoch: checkpoint.epoch, epochs: checkpoint.epochs),
                                reason: "resume from the checkpoint at \(node.trainingPosition(checkpoint.epoch, of: checkpoint.epochs))", manifest: nil)
            }
            switch state {
            case .complete:
                preconditionFailure("handled above")
            case .damaged(let why):
                return Decision(node: node, key: key, state: .damaged, reason: "damaged artifact: \(why)", manifest: nil)
            case .missing:
                guard let previous = store.latestManifest(of: node)?["ingredients"] else {
                    return Decision(node: node, key: key, state: .new, reason: "not run before", manifest: nil)
                }
                return Decision(node: node, key: key, state: .changed, reason: key.change(since: previous), manifest: nil)
            }
        }
    }

    /// Runs the pipeline, resuming from what is complete, and writes a run record.
    ///
    /// - Returns: the record of what ran and what was cached.
    /// - Throws: the first node's failure, after running nodes have finished.
    @discardableResult
    public func run(_ options: Options = Options()) throws -> RunRecord {
        let decisions = try plan(options)
        if options.dryRun {
            for decision in decisions {
                log.info("plan", decision.reason.map { "would run \(decision.node.id): \($0)" } ?? "cached \(decision.node.id)",
                         fields: ["node": .string(decision.node.id), "run": .bool(decision.reason != nil)])
            }
            var record = RunRecord(pipeline: pipeline)
            record.entries = decisions.map { entry(for: $0, action: $0.reason == nil ? "cached" : "would run", seconds: 0, manifest: $0.manifest) }
            return record
        }
        let lock = try WorkdirLock(workdir: pipeline.workdir, log: log)
        defer { lock.release() }
        // What killed processes left half-written: in the output folders, among the artifacts
        // (a stage's staging folder) and among the checkpoints (a rank killed while writing its slice).
        let outputFolders = pipeline.stages.flatMap { $0.type.outputFiles(for: $0.params).map { $0.deletingLastPathComponent() } }
        for folder in Set(outputFolders + [store.artifactsFolder, checkpoints.folder]) {
            AtomicFile.removeAbandonedTemporaries(in: folder)
        }
        try digests.save()
        var record = RunRecord(pipeline: pipeline)
        let toRun = decisions.filter { $0.reason != nil }.count
        log.info("start", "run \(pipeline.name): \(toRun) of \(decisions.count) nodes to run",
                 fields: ["pipeline": .string(pipeline.name), "to_run": .number(Double(toRun)), "nodes": .number(Double(decisions.count))])
        let results = execute(decisions, keepGoing: options.keepGoing)
        var failure: Error?
        for decision in decisions {
            switch results[decision.node.id] {
            case .cached(let manifest)?:
                record.entries.append(entry(for: decision, action: "cached", seconds: 0, manifest: manifest))
            case .ran(let manifest, let seconds)?:
                record.entries.append(entry(for: decision, action: "ran", seconds: seconds, manifest: manifest))
            case .failed(let error)?:
                if failure == nil { (failure, failedNode) = (error, decision.node.id) }
                record.entries.append(entry(for: decision, action: "failed", seconds: 0, manifest: nil))
            case nil:
                record.entries.append(entry(for: decision, action: "not run", seconds: 0, manifest: nil))
            }
        }
        if failure == nil && cancellation.isCancelled {
            failure = Interrupted(signal: cancellation.signal)
        }
        if let failure {
            record.exitCode = (failure as? MFPipeError)?.exitCode ?? 1
            record.error = "\(failure)"
        }
        try record.write()
        if let failure { throw failure }
        return record
    }

    private enum Result {
        case cached(JSONValue)
        case ran(JSONValue, Double)
        case failed(Error)
    }

    private func entry(for decision: Decision, action: String, seconds: Double, manifest: JSONValue?) -> RunRecord.Entry {
        RunRecord.Entry(
            node: decision.node.id, action: action, reason: decision.reason ?? "cached", seconds: seconds,
            summary: manifest?["summary"]?.stringValue ?? "", metrics: manifest?["metrics"] ?? .object([]),
            warnings: NodeWarnings.of(manifest: manifest))
    }

    /// The mutable state of one `execute` call, shared with the worker threads under `condition`.
    private final class Execution: @unchecked Sendable {
        let condition = NSCondition()
        var results: [String: Result] = [:]
        var running = 0
        let budget: ThreadBudget
        let cache = RunCache()

        init(threads: Int) {
            budget = ThreadBudget(total: threads)
        }
    }

    /// One node handed to a worker thread with everything it reads.
    private struct Job: @unchecked Sendable {
        let decision: Decision
        let inputs: [ArtifactHandle]
        let ancestors: [ArtifactHandle]
        let threads: Int
        let grant: ThreadGrant
    }

    /// Runs the nodes that need it, each once all its inputs are complete, at most
    /// `threads` at a time (one at a time under `mpirun`); stops launching after the first failure.
    private func execute(_ decisions: [Decision], keepGoing: Bool) -> [String: Result] {
        let state = Execution(threads: pipeline.threads)
        let concurrentNodes = world == nil ? pipeline.threads : 1
        for decision in decisions where decision.reason == nil {
            state.results[decision.node.id] = .cached(decision.manifest!)
            log.info("cached", "cached \(decision.node.id): \(decision.manifest?["summary"]?.stringValue ?? "")",
                     fields: ["node": .string(decision.node.id)])
            for warning in NodeWarnings.of(manifest: decision.manifest) {
                log.warning("\(decision.node.id) (cached): \(warning)", fields: ["node": .string(decision.node.id), "cached": .bool(true)])
            }
        }
        var pending = decisions.filter { $0.reason != nil }
        let keys = Dictionary(uniqueKeysWithValues: decisions.map { ($0.node.id, $0.key) })
        func handle(_ node: DAGNode) -> ArtifactHandle {
            ArtifactHandle(node: node, directory: store.directory(for: node, key: keys[node.id]!))
        }
        // A node reads its ancestors' artifacts, not only its inputs': it waits for all of them
        // (a cached evaluate does not make an export ready while a factorize it reads reruns).
        let ancestorIDs = Dictionary(uniqueKeysWithValues: pending.map { ($0.node.id, dag.ancestors(of: $0.node).map(\.id)) })
        func isReady(_ decision: Decision) -> Bool {
            ancestorIDs[decision.node.id]!.allSatisfy { ancestor in
                switch state.results[ancestor] {
                case .cached?, .ran?: return true
                case .failed?, nil: return false
                }
            }
        }
        state.condition.lock()
        while !pending.isEmpty || state.running > 0 {
            let failed = state.results.values.contains { if case .failed = $0 { return true } else { return false } }
            if !failed || keepGoing, !cancellation.isCancelled, state.running < concurrentNodes, let index = pending.firstIndex(where: isReady) {
                let decision = pending.remove(at: index)
                let job = Job(
                    decision: decision, inputs: decision.node.inputs.map { handle(dag.node($0)!) },
                    ancestors: dag.ancestors(of: decision.node).map(handle),
                    threads: dag.nodes(ofStage: decision.node.stage.id).count > 1 ? 1 : pipeline.threads,
                    grant: ThreadGrant(limit: threadLimit(of: decision.node), budget: state.budget))
                state.running += 1
                state.budget.take(1)
                DispatchQueue.global().async {
                    let result = self.runNode(job.decision, inputs: job.inputs, ancestors: job.ancestors, threads: job.threads,
                                              grant: job.grant, cache: state.cache)
                    state.condition.lock()
                    state.results[job.decision.node.id] = result
                    state.running -= 1
                    state.budget.giveBack(1)
                    let node = job.decision.node
                    if self.dag.nodes(ofStage: node.stage.id).filter({ $0.sweepID == node.sweepID }).allSatisfy({ state.results[$0.id] != nil }) {
                        state.cache.release(owner: node.sweepID)
                    }
                    state.condition.signal()
                    state.condition.unlock()
                }
                continue
            }
            if state.running == 0 { break }
            state.condition.wait()
        }
        state.condition.unlock()
        return state.results
    }

    /// The most threads a node may use: its own `threads` parameter when its stage has one
    /// and it is set, else the pipeline's; under `mpirun`, a node that trains on every rank
    /// takes this rank's share of them (the host's ranks all compute).
    private func threadLimit(of node: DAGNode) -> Int {
        let hasOwn = node.stage.type.params.contains(where: { $0.name == "threads" }) && node.params.has("threads")
        let limit = hasOwn ? node.params.int("threads") : pipeline.threads
        guard let world = worldTraining(node) else { return limit }
        return world.threadShare(of: limit)
    }

    /// The `mpirun` job whose ranks all train `node`, or nil when this process runs it alone.
    private func worldTraining(_ node: DAGNode) -> MPIWorld? {
        guard let world, world.size > 1, node.stage.type.runsOnEveryRank(node.params) else { return nil }
        return world
    }

    private func runNode(_ decision: Decision, inputs: [ArtifactHandle], ancestors: [ArtifactHandle], threads: Int,
                         grant: ThreadGrant, cache: RunCache) -> Result {
        let node = decision.node
        log.info("run", "run \(node.id): \(decision.reason ?? "")", fields: ["node": .string(node.id), "reason": .string(decision.reason ?? "")])
        let started = Date()
        do {
            let folder = try store.prepare(node, key: decision.key)
            checkpoints.discardStale(of: node, keeping: decision.key)
            let checkpoint = checkpoints.slot(for: node, key: decision.key)
            var context = StageContext(
                node: node, pipeline: pipeline, outputDirectory: folder, inputs: inputs, ancestors: ancestors,
                threads: threads, threadGrant: grant, checkpoint: checkpoint, cache: cache, log: log, cancellation: cancellation)
            if let world = worldTraining(node) {
                FollowerCommand.run(
                    node: node.id, checkpoint: checkpoint.url, key: checkpoint.key, inputs: inputs.map(\.node.id),
                    ancestors: ancestors.map { ($0.node.id, $0.directory.path) }, threads: grant.limit).send(in: world)
                context.world = world
            }
            let (manifest, seconds): (JSONValue, Double)
            do {
                var outcome = try node.stage.type.run(context)
                seconds = Date().timeIntervalSince(started)
                outcome.warnings = context.warnings.all
                manifest = try store.commit(node, key: decision.key, staging: folder, outcome: outcome, seconds: seconds)
            } catch {
                try? FileSystem.remove(folder)
                throw error
            }
            checkpoint.remove()
            log.info("done", "done \(node.id) in \(PrintfText.double("%.2f", seconds))s: \(manifest["summary"]?.stringValue ?? "")",
                     fields: ["node": .string(node.id), "seconds": .number(seconds), "metrics": manifest["metrics"] ?? .null])
            return .ran(manifest, seconds)
        } catch let error as MFPipeError {
            return .failed(error)
        } catch {
            return .failed(StageFailure(node: node.id, message: "\(error)"))
        }
    }
}
