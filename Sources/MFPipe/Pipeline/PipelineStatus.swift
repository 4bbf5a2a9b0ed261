import Foundation

/// What `mfpipe status` shows: each node's state now — done, stale, partial, running,
/// damaged or pending — what the last run did with it, and how the last run ended.
///
/// A node is running when another process holds the work directory's lock and the node's
/// artifact folder exists without its manifest (the folder a running stage fills); every
/// other state comes from the engine's plan, so status and `run` never disagree.
public struct PipelineStatus {
    /// One node's line.
    public struct Node {
        /// The node id.
        public let id: String
        /// done, stale, partial, running, damaged or pending.
        public let state: String
        /// The summary (done), the reason (stale, damaged) or the checkpoint (partial).
        public let detail: String
        /// The pid of the run computing it, when running.
        public let pid: Int32?
        /// The epoch of its checkpoint and the epochs it will run, when it has one.
        public let checkpoint: (epoch: Int, epochs: Int)?
        /// What the last run did with it ("ran", "cached", "failed", "not run") and how long it took.
        public let lastRun: (action: String, seconds: Double)?
        /// The warnings it gave when it ran (done nodes, from the manifest).
        public let warnings: [String]
    }

    /// The nodes, in DAG order.
    public let nodes: [Node]
    /// The last run's record (`WORKDIR/runs/`), if any run finished or stopped cleanly.
    public let lastRun: JSONValue?

    /// Whether nothing would run: every node is done.
    public var isUpToDate: Bool { nodes.allSatisfy { $0.state == "done" } }

    /// The status of `engine`'s pipeline now.
    public init(engine: Engine) throws {
        let workdir = engine.pipeline.workdir
        let lock = WorkdirLock.holder(of: workdir)
        lastRun = Self.latestRecord(in: workdir.appendingPathComponent("runs"))
        var lastActions: [String: (String, Double)] = [:]
        for entry in lastRun?["nodes"]?.arrayValue ?? [] {
            guard let node = entry["node"]?.stringValue, let action = entry["action"]?.stringValue else { continue }
            lastActions[node] = (action, entry["seconds"]?.doubleValue ?? 0)
        }
        nodes = try engine.plan().map { decision in
            let filling = lock.held && engine.store.isFilling(decision.node, key: decision.key)
            var checkpoint: (Int, Int)?
            let (state, detail): (String, String)
            switch decision.state {
            case .cached: (state, detail) = ("done", decision.manifest?["summary"]?.stringValue ?? "")
            case .partial(let epoch, let epochs):
                checkpoint = (epoch, epochs)
                (state, detail) = (filling ? "running" : "partial", "(checkpoint at \(decision.node.trainingPosition(epoch, of: epochs)))")
            case .damaged where filling: (state, detail) = ("running", "")
            case .damaged: (state, detail) = ("damaged", decision.reason ?? "")
            case .new: (state, detail) = ("pending", "")
            case .changed, .forced: (state, detail) = ("stale", decision.reason ?? "")
            }
            return Node(id: decision.node.id, state: state, detail: detail, pid: state == "running" ? lock.pid : nil,
                        checkpoint: checkpoint, lastRun: lastActions[decision.node.id],
                        warnings: state == "done" ? NodeWarnings.of(manifest: decision.manifest) : [])
        }
    }

    /// The newest run record in `folder` (records are named by their start time).
    private static func latestRecord(in folder: URL) -> JSONValue? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".json") }
        guard let newest = names.sorted().last,
              let data = FileManager.default.contents(atPath: folder.appendingPathComponent(newest).path) else { return nil }
        return try? JSONParser.parse(data)
    }

    /// The lines `status` prints: one per node (and one per warning it gave, under it), then
    /// the last run.
    public var lines: [String] {
        let width = nodes.map(\.id.count).max() ?? 0
        var lines = nodes.flatMap { node -> [String] in
            var state = node.state
            if let pid = node.pid { state += " (pid \(pid))" }
            var line = node.id.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                + state.padding(toLength: max(9, state.count + 2), withPad: " ", startingAt: 0) + node.detail
            if let last = node.lastRun {
                line += (node.detail.isEmpty ? "" : "  ") + "[last run: \(last.action)"
                    + (last.action == "ran" ? " in \(PrintfText.double("%.2f", last.seconds))s" : "") + "]"
            }
            let indent = String(repeating: " ", count: width + 2)
            return [line.trimmingCharacters(in: .whitespaces)] + node.warnings.map { indent + "warning: " + $0 }
        }
        if let run = lastRun {
            let code = run["exit_code"]?.intValue ?? 0
            lines.append("last run: started \(run["started"]?.stringValue ?? "?"), "
                + PrintfText.double("%.1f", run["seconds"]?.doubleValue ?? 0) + "s, "
                + (code == 0 ? "succeeded" : "exit \(code): \(run["error"]?.stringValue ?? "")"))
        } else {
            lines.append("last run: none recorded")
        }
        return lines
    }

    /// The status as JSON, for `status --json`.
    public var json: JSONValue {
        .object([
            ("up_to_date", .bool(isUpToDate)),
            ("nodes", .array(nodes.map { node in
                var members: [(key: String, value: JSONValue)] = [("node", .string(node.id)), ("state", .string(node.state)),
                                                                  ("detail", .string(node.detail))]
                if let pid = node.pid { members.append(("pid", .number(Double(pid)))) }
                if let checkpoint = node.checkpoint {
                    members.append(("checkpoint", .object([("epoch", .number(Double(checkpoint.epoch))),
                                                           ("epochs", .number(Double(checkpoint.epochs)))])))
                }
                if let last = node.lastRun {
                    members.append(("last_run", .object([("action", .string(last.action)), ("seconds", .number(last.seconds))])))
                }
                members.append(("warnings", .array(node.warnings.map(JSONValue.string))))
                return .object(members)
            })),
            ("last_run", lastRun.map { run in
                .object(["started", "finished", "seconds", "exit_code", "error"].map { ($0, run[$0] ?? .null) })
            } ?? .null),
        ])
    }
}
