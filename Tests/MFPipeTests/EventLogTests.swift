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

    func testTerminalProgressRedrawsOneLineAndClearsItBeforeTheNextEvent() {
        let lines = Lines()
        let log = EventLog(format: .plain, interactive: true) { lines.text += $0 }
        log.progress(node: "ingest", done: 1, total: 2, unit: "")
        log.info("done", "done ingest")
        XCTAssertTrue(lines.text.hasPrefix("\r\u{1B}[2Kingest: 1/2 (50%)"), lines.text)
        XCTAssertTrue(lines.text.contains("\r\u{1B}[2K2"), "the progress line is cleared before the next line")
        XCTAssertTrue(lines.text.hasSuffix(" done ingest\n"), lines.text)
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
