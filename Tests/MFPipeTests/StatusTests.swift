import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// `mfpipe status` as an operator reads it: a node being computed shows `running (pid N)`
/// with its checkpoint, never `damaged`; `--json` gives the same facts; `--check` exits 3
/// while work is pending and 0 when everything is done; the last run's outcome is shown.
final class StatusTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws {
        scratch = try Scratch()
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "3000", "--cols", "1000",
                                          "--ratings", "150000", "--seed", "5"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        try scratch.write("""
            {"version": 1, "name": "status", "workdir": "../runs", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "factorize", "type": "factorize", "inputs": ["ratings"],
               "params": {"k": 32, "epochs": 3000, "patience": 0, "tolerance": 0, "checkpoint_epochs": 1}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"refit": false}}]}
            """, to: "pipelines/status.json")
    }

    override func tearDown() { scratch.remove() }

    private func status(_ extra: [String] = [], pipeline: String = "status") throws -> CommandResult {
        try MFPipeBinary.run(["status", "pipelines/\(pipeline).json"] + extra, in: scratch.root)
    }

    /// Starts `mfpipe run` of pipelines/PIPELINE.json on one thread and polls `status` until
    /// its output contains `awaited` (at most a minute); returns the run and that output.
    private func runUntilStatus(shows awaited: String, pipeline: String = "status") throws -> (Process, String) {
        let process = Process()
        process.executableURL = MFPipeBinary.url
        process.arguments = ["run", "pipelines/\(pipeline).json", "--quiet", "--threads", "1"]
        process.currentDirectoryURL = scratch.root
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var shown = ""
        while Date() < deadline && !shown.contains(awaited) {
            Thread.sleep(forTimeInterval: 0.2)
            shown = try status(pipeline: pipeline).stdout
        }
        return (process, shown)
    }

    func testARunningNodeShowsItsPidAndCheckpointAndCheckSaysWorkIsPending() throws {
        XCTAssertEqual(try status(["--check"]).exitCode, 3, "nothing has run")
        XCTAssertTrue(try status().stdout.hasSuffix("last run: none recorded\n"))
        let (process, shown) = try runUntilStatus(shows: "(checkpoint at epoch")
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        let line = try XCTUnwrap(shown.split(separator: "\n").first { $0.hasPrefix("factorize") }, shown)
        XCTAssertTrue(line.hasPrefix("factorize  running (pid \(process.processIdentifier))  (checkpoint at epoch "), String(line))
        XCTAssertTrue(shown.contains("ratings    done "), shown)
        XCTAssertTrue(shown.contains("evaluate   pending"), shown)
        XCTAssertEqual(try status(["--check"]).exitCode, 3)
        let json = try JSONParser.parse(Data(try status(["--json"]).stdout.utf8))
        let node = try XCTUnwrap(json["nodes"]?.arrayValue?.first { $0["node"]?.stringValue == "factorize" })
        XCTAssertEqual(node["state"], .string("running"))
        XCTAssertEqual(node["pid"], .number(Double(process.processIdentifier)))
        XCTAssertGreaterThanOrEqual(node["checkpoint"]?["epoch"]?.intValue ?? 0, 1)
        XCTAssertEqual(node["checkpoint"]?["epochs"], .number(3000))
        XCTAssertEqual(json["up_to_date"], .bool(false))

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 143)
        let stopped = try status().stdout
        XCTAssertTrue(stopped.contains("factorize  partial  (checkpoint at epoch"), stopped)
        XCTAssertTrue(stopped.contains("[last run: failed]") || stopped.contains("[last run: not run]"), stopped)
        XCTAssertTrue(stopped.hasSuffix(": interrupted by SIGTERM; completed stages are kept\n"), stopped)
        XCTAssertTrue(stopped.contains("last run: started "), stopped)
    }

    /// svd counts in imputation rounds: an interrupted svd node shows where its checkpoint
    /// stands in rounds (it said "epoch 12 of 5000", and svd takes no epochs), and so does
    /// the plan that resumes it.
    func testAnInterruptedSVDShowsItsCheckpointInRounds() throws {
        try scratch.write("""
            {"version": 1, "name": "rounds", "workdir": "../runs", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "factorize", "type": "factorize", "inputs": ["ratings"],
               "params": {"algorithm": "svd", "k": 8, "impute_rounds": 1000, "patience": 0, "checkpoint_epochs": 1}}]}
            """, to: "pipelines/rounds.json")
        let (process, _) = try runUntilStatus(shows: "(checkpoint at round", pipeline: "rounds")
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 143)
        let stopped = try status(pipeline: "rounds").stdout
        let pattern = try NSRegularExpression(pattern: #"factorize  partial  \(checkpoint at round ([0-9]+) of 1000\)"#)
        let match = try XCTUnwrap(pattern.firstMatch(in: stopped, range: NSRange(stopped.startIndex..., in: stopped)), stopped)
        let round = String(stopped[Range(match.range(at: 1), in: stopped)!])
        let plan = try MFPipeBinary.run(["run", "pipelines/rounds.json", "--dry-run"], in: scratch.root)
        XCTAssertTrue(plan.stdout.contains("would run factorize: resume from the checkpoint at round \(round) of 1000"), plan.stdout)
    }

    func testCheckIsZeroWhenEverythingIsDone() throws {
        let run = try MFPipeBinary.run(["run", "pipelines/status.json", "--quiet", "--set", "factorize.epochs=3"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let check = try MFPipeBinary.run(["status", "pipelines/status.json", "--check", "--set", "factorize.epochs=3"], in: scratch.root)
        XCTAssertEqual(check.exitCode, 0)
        XCTAssertEqual(check.stdout, "")
        let shown = try MFPipeBinary.run(["status", "pipelines/status.json", "--set", "factorize.epochs=3"], in: scratch.root).stdout
        XCTAssertTrue(shown.contains("factorize  done "), shown)
        XCTAssertTrue(shown.contains("[last run: ran in "), shown)
        XCTAssertTrue(shown.hasSuffix("s, succeeded\n"), shown)
        XCTAssertEqual(try status(["--check"]).exitCode, 3, "other params: factorize is stale")
    }
}
