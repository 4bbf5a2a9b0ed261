import Foundation

/// The run's log: plain timestamped lines (cron), one JSON object per line
/// (`--log-format json`), a redrawn progress line on a terminal, or nothing (`--quiet`).
///
/// Safe to call from concurrently running stages.
public final class EventLog: @unchecked Sendable {
    /// How events are written.
    public enum Format: String, Sendable {
        /// Timestamped lines; on a terminal, progress is redrawn in place.
        case plain
        /// One JSON object per line, for monitoring.
        case json
        /// Only warnings and errors.
        case quiet
    }

    private let format: Format
    private let interactive: Bool
    private let lock = NSLock()
    private var lastProgress: [String: Date] = [:]
    private var progressStart: [String: Date] = [:]
    private var board: ProgressBoard
    private let write: (String) -> Void

    /// Creates a log writing to standard output; `interactive` enables in-place progress.
    public init(format: Format, interactive: Bool = isatty(STDOUT_FILENO) == 1, write: ((String) -> Void)? = nil) {
        self.format = format
        self.interactive = interactive && format == .plain
        var size = winsize()
        board = ProgressBoard(width: ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 100)
        self.write = write ?? { StandardStream.output.write($0) }
    }

    /// Writes an informational event: `message` for people, `fields` for JSON.
    public func info(_ event: String, _ message: String, fields: [String: JSONValue] = [:]) {
        guard format != .quiet else { return }
        emit(event, message, fields: fields)
    }

    /// Ends a failed run. In JSON, an `error` event (the message, the exit code, the node
    /// that failed when one did) and the `finish` event with the exit code; plain logs leave
    /// the failure to its one line on standard error.
    public func failed(_ message: String, exitCode: Int32, node: String?) {
        guard format == .json else { return }
        var fields: [String: JSONValue] = ["exit_code": .number(Double(exitCode))]
        if let node { fields["node"] = .string(node) }
        emit("error", message, fields: fields)
        emit("finish", "failed with exit code \(exitCode)", fields: ["exit_code": .number(Double(exitCode))])
    }

    /// Erases the terminal's progress block for good (the run is over, however it ended).
    public func closeProgress() {
        lock.lock()
        defer { lock.unlock() }
        if interactive { write(board.close()) }
    }

    /// Writes a warning; shown even with `--quiet`, on standard error, and in JSON also as a
    /// `warning` event with `fields` (the node it is about, whether it comes from a cached
    /// node's manifest), so that a monitor reading the events sees it.
    public func warning(_ message: String, fields: [String: JSONValue] = [:]) {
        lock.lock()
        if interactive { write(board.erase()) }
        StandardStream.error.write("warning: \(StandardStream.printable(message))\n")
        if interactive { write(board.draw()) }
        lock.unlock()
        if format == .json { emit("warning", message, fields: fields) }
    }

    /// Reports progress of a running node — `done` of `total` `unit`s, with `measures` —
    /// rate-limited per node.
    public func progress(node: String, done: Int, total: Int, unit: String, measures: ProgressMeasures = ProgressMeasures()) {
        guard format != .quiet else { return }
        let now = Date()
        lock.lock()
        let interval: TimeInterval = interactive ? 0.1 : (format == .json ? 1 : 10)
        let due = done == total || now.timeIntervalSince(lastProgress[node] ?? .distantPast) >= interval
        if due { lastProgress[node] = now }
        let started = progressStart[node] ?? now
        progressStart[node] = started
        lock.unlock()
        guard due else { return }
        let percent = total > 0 ? 100 * done / total : 100
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0.5 && done > 0 ? Double(done) / elapsed : nil
        let eta = rate.map { Double(total - done) / $0 }
        let pace = rate.map { ", \(Self.quantity($0))/s, ETA \(Self.duration(eta!))" } ?? ""
        let note = [unit, measures.text].filter { !$0.isEmpty }.joined(separator: ", ")
        if interactive {
            lock.lock()
            board.update(node, done: done, total: total, detail: "\(done)/\(total)" + (note.isEmpty ? "" : " \(note)") + pace)
            write(board.erase() + board.draw())
            lock.unlock()
            return
        }
        var fields: [String: JSONValue] = [
            "node": .string(node), "done": .number(Double(done)), "total": .number(Double(total)), "unit": .string(unit),
            "elapsed_seconds": .number(elapsed),
        ]
        if let rate, let eta { (fields["rate"], fields["eta_seconds"]) = (.number(rate), .number(eta)) }
        for measure in measures.measures { fields[measure.name] = .number(measure.value) }
        emit("progress", "\(node): \(done)/\(total) (\(percent)%\(pace))" + (note.isEmpty ? "" : " \(note)"), fields: fields)
    }

    private func emit(_ event: String, _ message: String, fields: [String: JSONValue]) {
        let now = Date()
        lock.lock()
        defer { lock.unlock() }
        if interactive {
            write(event == "finish" ? board.close() : board.erase())
            track(event, fields: fields)
        }
        defer { if interactive { write(board.draw()) } }
        switch format {
        case .json:
            let time = Self.timestamp(now, fractionalSeconds: true)
            var members: [(key: String, value: JSONValue)] = [("time", .string(time)), ("event", .string(event)), ("message", .string(message))]
            members += fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            write(JSONWriter.compact(.object(members)) + "\n")
        case .plain, .quiet:
            write("\(Self.timestamp(now)) \(StandardStream.printable(message))\n")
        }
    }

    /// Keeps the terminal's board in step with the run's events.
    private func track(_ event: String, fields: [String: JSONValue]) {
        let node = fields["node"]?.stringValue ?? ""
        switch event {
        case "start": board.begin(toRun: fields["to_run"]?.intValue ?? 0)
        case "run": board.start(node)
        case "done": board.finish(node)
        default: break
        }
    }

    /// A count in short form: `950`, `12.5k`, `34.1M`, `1.2G`.
    static func quantity(_ value: Double) -> String {
        for (limit, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] where value >= limit {
            return PrintfText.double("%.1f", value / limit) + suffix
        }
        return value >= 100 ? PrintfText.double("%.0f", value) : PrintfText.double("%.1f", value)
    }

    /// A duration as `1h02m`, `3m05s` or `42s`.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if whole >= 3600 { return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60) }
        if whole >= 60 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return "\(whole)s"
    }

    /// An ISO 8601 UTC timestamp with seconds, or milliseconds when `fractionalSeconds`.
    /// Formatted by hand from `gmtime_r`: an `ISO8601DateFormatter` costs about a millisecond
    /// to create, once per node and log line.
    public static func timestamp(_ date: Date, fractionalSeconds: Bool = false) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let (whole, remainder) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        var seconds = time_t(whole)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let fraction = fractionalSeconds ? "." + digits(Int32(remainder), 3) : ""
        return digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2)
            + "T" + digits(parts.tm_hour, 2) + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2) + fraction + "Z"
    }
}
