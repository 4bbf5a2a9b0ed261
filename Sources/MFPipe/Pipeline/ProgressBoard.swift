import Foundation

/// The live block at the bottom of a terminal during a run: one line per running node (a
/// bar, done of total, rate, ETA, what was measured) in the order the nodes started, and an
/// overall line (nodes done of those to run, running, elapsed). Log lines are printed above
/// it; the block is redrawn in place, each node on its own line, so nothing flickers
/// between nodes. Lines are cut to the terminal's width, so none wraps and breaks the redraw.
struct ProgressBoard {
    private var running: [(node: String, line: String)] = []
    private var toRun = 0
    private var finished = 0
    private var started = Date()
    private var drawnLines = 0
    private var closed = false
    private let width: Int

    /// A board for a terminal `width` columns wide.
    init(width: Int) {
        self.width = max(20, width)
    }

    /// The run began, with `count` nodes to run.
    mutating func begin(toRun count: Int) {
        (toRun, finished, started, closed) = (count, 0, Date(), false)
    }

    /// `node` started.
    mutating func start(_ node: String) {
        if !running.contains(where: { $0.node == node }) { running.append((node, "\(node)  starting")) }
    }

    /// `node` moved: `done` of `total` `unit`s, and the rest of its line.
    mutating func update(_ node: String, done: Int, total: Int, detail: String) {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let line = "\(node)  \(Self.bar(fraction))  \(String(format: "%3d%%", Int(fraction * 100)))  \(detail)"
        if let index = running.firstIndex(where: { $0.node == node }) {
            running[index].line = line
        } else {
            running.append((node, line))
        }
    }

    /// `node` finished (or failed).
    mutating func finish(_ node: String) {
        running.removeAll { $0.node == node }
        finished += 1
    }

    /// The run ended: the block is erased for good.
    mutating func close() -> String {
        closed = true
        return erase()
    }

    /// The escape sequence that erases the block as last drawn, leaving the cursor where it began.
    mutating func erase() -> String {
        defer { drawnLines = 0 }
        switch drawnLines {
        case 0: return ""
        case 1: return "\r\u{1B}[J"
        default: return "\r\u{1B}[\(drawnLines - 1)A\u{1B}[J"
        }
    }

    /// The block drawn afresh (call after `erase`); nothing once closed.
    mutating func draw() -> String {
        guard !closed else { return "" }
        let elapsed = EventLog.duration(Date().timeIntervalSince(started))
        let overall = "mfpipe: \(min(finished, toRun)) of \(CountText.of(toRun, "node")) done, \(running.count) running, \(elapsed) elapsed"
        let lines = running.map(\.line) + [overall]
        drawnLines = lines.count
        return lines.map(fit).joined(separator: "\n")
    }

    private func fit(_ line: String) -> String {
        line.count < width ? line : String(line.prefix(width - 2)) + "…"
    }

    /// A bar of 20 cells, full ones for the fraction done.
    static func bar(_ fraction: Double) -> String {
        let full = Int((fraction * 20).rounded(.down))
        return String(repeating: "█", count: full) + String(repeating: "░", count: 20 - full)
    }
}
