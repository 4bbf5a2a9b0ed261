import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Logs for people and for machines: plain lines are timestamped and rate-limited, a
/// terminal gets one redrawn progress line, JSON gets one object per event, --quiet nothing.
final class EventLogTests: XCTestCase {
    private final class Lines: @unchecked Sendable {
        var text = ""
    }

    func testPlainProgressIsTimestampedAndRateLimited() {
        let lines = Lines()
        let log = EventLog(format: .plain, interactive: false) { lines.text += $0 }
        for (done, loss) in [(1, 2.0), (2, 1.0), (4, 0.5)] {
            var measures = ProgressMeasures()
            measures.add("loss", label: "loss", loss)
            log.progress(node: "factorize[k=8]", done: done, total: 4, unit: "epochs", measures: measures)
        }
        let written = lines.text.split(separator: "\n").map(String.init)
        XCTAssertEqual(written.count, 2, lines.text)
        XCTAssertTrue(written[0].hasSuffix(" factorize[k=8]: 1/4 (25%) epochs, loss 2.0000"), written[0])
        XCTAssertTrue(written[1].contains(" factorize[k=8]: 4/4 (100%"), written[1])
        XCTAssertNotNil(written[0].range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "#, options: .regularExpression), written[0])
    }

    func testTimestampsAreUTCWithSecondsOrMilliseconds() {
        XCTAssertEqual(EventLog.timestamp(Date(timeIntervalSince1970: 1_796_612_345.678)), "2026-12-07T02:59:05Z")
        XCTAssertEqual(EventLog.timestamp(Date(timeIntervalSince1970: 1_796_612_345.678), fractionalSeconds: true), "2026-12-07T02:59:05.678Z")
        XCTAssertEqual(EventLog.timestamp(Date(timeIntervalSince1970: 951_782_400.0005), fractionalSeconds: true), "2000-02-29T00:00:00.000Z")
    }

    func testTerminalBoardKeepsOneLinePerRunningNodeAndAnOverallLine() {
        let lines = Lines()
        let log = EventLog(format: .plain, interactive: true) { lines.text += $0 }
        log.info("start", "run x: 3 of 3 nodes to run", fields: ["to_run": .number(3)])
        log.info("run", "run a", fields: ["node": .string("a")])
        log.info("run", "run b", fields: ["node": .string("b")])
        log.progress(node: "a", done: 5, total: 10, unit: "epochs")
        log.progress(node: "b", done: 1, total: 4, unit: "bytes")
        log.info("done", "done a", fields: ["node": .string("a")])
        // The last frame, after the last erase: the board as the terminal shows it now.
        let frames = lines.text.components(separatedBy: "\u{1B}[J")
        let board = frames.last!.split(separator: "\n").filter { !$0.contains("done a") }
        XCTAssertEqual(board.count, 2, frames.last!)
        XCTAssertTrue(board[0].hasPrefix("b  █████░░░░░░░░░░░░░░░   25%  1/4 bytes"), String(board[0]))
        XCTAssertTrue(board[1].hasPrefix("mfpipe: 1 of 3 nodes done, 1 running, "), String(board[1]))
        let both = frames.first { $0.contains("a  ██████████░░░░░░░░░░   50%") && $0.contains("b  █████") }
        XCTAssertNotNil(both, "two running nodes are shown on two lines of one frame: \(frames)")
        XCTAssertTrue(lines.text.contains(" done a\n"), "log lines are printed above the board")
        log.info("finish", "finished x")
        XCTAssertTrue(lines.text.hasSuffix(" finished x\n"), "the run's end erases the board for good")
    }

    func testJSONAndQuiet() throws {
        let lines = Lines()
        EventLog(format: .json, interactive: false) { lines.text += $0 }.info("done", "done x", fields: ["node": .string("x")])
        let event = try JSONParser.parse(Data(lines.text.utf8))
        XCTAssertEqual(event["event"]?.stringValue, "done")
        XCTAssertEqual(event["node"]?.stringValue, "x")
        let quiet = Lines()
        let silent = EventLog(format: .quiet, interactive: false) { quiet.text += $0 }
        silent.info("done", "done x")
        silent.progress(node: "x", done: 1, total: 1, unit: "bytes")
        XCTAssertEqual(quiet.text, "")
    }
}
