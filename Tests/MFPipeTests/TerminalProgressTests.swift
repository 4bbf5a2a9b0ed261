import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// `mfpipe run` on a pseudo-terminal (Python's pty): a bar per running node, two ranks of a
/// sweep training at once shown on two lines of one frame, an overall line counting nodes,
/// the block redrawn in place (erased, never scrolled), and gone when the run ends.
final class TerminalProgressTests: XCTestCase {
    func testATerminalGetsALinePerRunningNodeAndAnOverallLine() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "3000", "--cols", "1000",
                                          "--ratings", "200000", "--seed", "3"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        try scratch.write("""
            {"version": 1, "name": "tty", "workdir": "../runs", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"]},
              {"id": "factorize", "type": "factorize", "inputs": ["split"], "params": {"k": [16, 24], "epochs": 60, "patience": 0}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"refit": false}}]}
            """, to: "pipelines/tty.json")
        let result = try Python.run("""
            import os, pty, sys
            pid, fd = pty.fork()
            if pid == 0:
                os.chdir(sys.argv[2])
                os.execv(sys.argv[1], [sys.argv[1], "run", "pipelines/tty.json", "--threads", "2"])
            chunks = []
            while True:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                chunks.append(data)
            _, status = os.waitpid(pid, 0)
            sys.stdout.write(b"".join(chunks).decode("utf-8", "replace"))
            sys.exit(os.waitstatus_to_exitcode(status))
            """, arguments: [MFPipeBinary.url.path, scratch.root.path])
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let output = result.stdout.replacingOccurrences(of: "\r\n", with: "\n")
        let frames = output.components(separatedBy: "\u{1B}[J")
        XCTAssertGreaterThan(frames.count, 5, "the block is redrawn in place")
        let both = frames.first { frame in
            let lines = frame.split(separator: "\n")
            return lines.contains { $0.hasPrefix("factorize[k=16]  █") || $0.hasPrefix("factorize[k=16]  ░") }
                && lines.contains { $0.hasPrefix("factorize[k=24]  █") || $0.hasPrefix("factorize[k=24]  ░") }
                && lines.contains { $0.hasPrefix("mfpipe: 2 of 5 nodes done, 2 running, ") }
        }
        XCTAssertNotNil(both, "both ranks on their own lines with the overall line: \(frames.suffix(3))")
        XCTAssertTrue(output.contains(" epochs, train RMSE "), "the bar's line carries the loss")
        XCTAssertFalse(frames.last!.contains("█"), "the block is erased when the run ends: \(frames.last!)")
        XCTAssertTrue(frames.last!.contains("finished tty: 5 ran, 0 cached"), frames.last!)
    }
}
