import Foundation

/// What one `mfpipe run` did, kept as JSON under the work directory's `runs/`.
public struct RunRecord {
    /// One node's fate in the run.
    public struct Entry {
        /// The node id.
        public let node: String
        /// "ran", "cached", "failed" or "not run".
        public let action: String
        /// Why it ran, or why it was skipped.
        public let reason: String
        /// Wall seconds spent running it (0 when cached).
        public let seconds: Double
        /// The stage's summary line.
        public let summary: String
        /// Its metrics.
        public let metrics: JSONValue
        /// The warnings it gave when it ran (a cached node's from its manifest).
        public let warnings: [String]
    }

    /// When the run started.
    public let started: Date
    /// The pipeline that ran.
    public let pipeline: Pipeline
    /// The nodes, in DAG order.
    public var entries: [Entry] = []
    /// The process exit code.
    public var exitCode: Int32 = 0
    /// The error message, when the run failed.
    public var error: String?

    /// Creates an empty record for a run starting now.
    public init(pipeline: Pipeline) {
        started = Date()
        self.pipeline = pipeline
    }

    /// Writes the record atomically as `runs/<start time>-<pid>.json`; returns its path.
    @discardableResult
    public func write() throws -> URL {
        let finished = Date()
        let json: JSONValue = .object([
            ("pipeline", .string(pipeline.name)),
            ("file", .string(pipeline.file.path)),
            ("started", .string(EventLog.timestamp(started))),
            ("finished", .string(EventLog.timestamp(finished))),
            ("seconds", .number((finished.timeIntervalSince(started) * 1000).rounded() / 1000)),
            ("exit_code", .number(Double(exitCode))),
            ("error", error.map(JSONValue.string) ?? .null),
            ("nodes", .array(entries.map { entry in
                .object([
                    ("node", .string(entry.node)), ("action", .string(entry.action)), ("reason", .string(entry.reason)),
                    ("seconds", .number((entry.seconds * 1000).rounded() / 1000)), ("summary", .string(entry.summary)),
                    ("metrics", entry.metrics), ("warnings", .array(entry.warnings.map(JSONValue.string))),
                ])
            })),
        ])
        // Milliseconds in the name, so that names sort as the runs started (runs on one work
        // directory never overlap: the lock keeps them apart).
        let stamp = EventLog.timestamp(started, fractionalSeconds: true).replacingOccurrences(of: ":", with: "")
        let url = pipeline.workdir.appendingPathComponent("runs").appendingPathComponent("\(stamp)-\(getpid()).json")
        try AtomicFile.write(JSONWriter.pretty(json) + "\n", to: url)
        return url
    }
}
