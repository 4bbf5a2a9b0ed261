import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// `--log-format json` as a monitor reads it: every event of real runs — a sweep, a cached
/// rerun, a diverging model, a missing pipeline file — validates against the documented
/// schema (docs/event-schema.json, by the jsonschema package), numbers are numbers, and every
/// run ends with `finish` carrying its exit code, after an `error` naming the node when one
/// failed; a warning is an event too. `--keep-going` runs what does not depend on a failed node.
final class RunEventsTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws {
        scratch = try Scratch()
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "600", "--cols", "300",
                                          "--ratings", "20000", "--seed", "2"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        try scratch.write("""
            {"version": 1, "name": "events", "workdir": "../runs", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"]},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": [2, 4], "epochs": 12}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"]},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/events.h5"}}]}
            """, to: "pipelines/events.json")
    }

    override func tearDown() { scratch.remove() }

    /// Runs `mfpipe run … --log-format json`; returns the result and its events.
    private func run(_ extra: [String] = [], pipeline: String = "pipelines/events.json") throws -> (CommandResult, [JSONValue]) {
        let result = try MFPipeBinary.run(["run", pipeline, "--log-format", "json", "--threads", "1"] + extra, in: scratch.root)
        let events = try result.stdout.split(separator: "\n").map { try JSONParser.parse(Data($0.utf8)) }
        return (result, events)
    }

    private func assertValid(_ stdout: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let check = try EventSchema.check(stdout, in: scratch)
        XCTAssertEqual(check.exitCode, 0, check.stderr, file: file, line: line)
        XCTAssertEqual(check.stdout, "", file: file, line: line)
    }

    func testEveryEventOfARunMatchesTheSchemaAndNumbersAreNumbers() throws {
        let (first, events) = try run()
        XCTAssertEqual(first.exitCode, 0, first.stderr)
        try assertValid(first.stdout)
        let kinds = events.compactMap { $0["event"]?.stringValue }
        XCTAssertEqual(kinds.first, "start")
        XCTAssertEqual(kinds.last, "finish")
        XCTAssertEqual(events.last?["exit_code"], .number(0))
        XCTAssertEqual(events.last?["ran"], .number(7))
        let progress = events.filter { $0["event"]?.stringValue == "progress" && $0["unit"]?.stringValue == "epochs" }
        XCTAssertFalse(progress.isEmpty)
        XCTAssertTrue(progress.allSatisfy { $0["epoch_train_rmse"]?.doubleValue != nil }, "\(progress)")
        XCTAssertTrue(progress.filter { $0["node"]?.stringValue?.hasPrefix("factorize") == true }
            .allSatisfy { $0["epoch_validation_rmse"]?.doubleValue != nil }, "the sweep has a validation set: \(progress)")
        let metrics = events.filter { $0["event"]?.stringValue == "metrics" }
        XCTAssertEqual(metrics.compactMap { $0["k"]?.intValue }, [2, 4])
        XCTAssertTrue(metrics.allSatisfy { ($0["test_rmse"]?.doubleValue ?? 0) > 0.1 }, "\(metrics)")

        // One definition of each number: the metrics events' scores are the export's, and the
        // factorize nodes' own numbers are named as the training loop's normalized RMSE.
        let sweep = try Python.run("""
            import h5py, json, sys
            with h5py.File(sys.argv[1], "r") as f:
                print(json.dumps({n: [float(x) for x in f["sweep"][n][()]] for n in ["k", "validation_rmse", "test_rmse", "test_mae"]}))
            """, arguments: [scratch.url("out/events.h5").path])
        let exported = try JSONParser.parse(Data(sweep.stdout.utf8))
        for name in ["validation_rmse", "test_rmse", "test_mae"] {
            XCTAssertEqual(metrics.compactMap { $0[name]?.doubleValue }, exported[name]?.arrayValue?.compactMap(\.doubleValue), name)
        }
        let factorized = events.filter { $0["event"]?.stringValue == "done" && $0["node"]?.stringValue?.hasPrefix("factorize") == true }
        XCTAssertEqual(factorized.count, 2)
        for done in factorized {
            XCTAssertNil(done["metrics"]?["train_rmse"], "factorize does not report evaluate's train RMSE")
            XCTAssertNotNil(done["metrics"]?["normalized_train_rmse"]?.doubleValue)
            XCTAssertTrue(done["message"]?.stringValue?.contains("(normalized RMSE: train ") == true, "\(done)")
        }

        let (cached, again) = try run()
        XCTAssertEqual(cached.exitCode, 0)
        try assertValid(cached.stdout)
        XCTAssertEqual(again.filter { $0["event"]?.stringValue == "cached" }.count, 7)
        XCTAssertEqual(again.last?["ran"], .number(0))
    }

    func testAFailingRunEndsWithAnErrorAndAFinishCarryingItsExitCode() throws {
        let (diverged, events) = try run(["--set", "factorize.learning_rate=1000", "--set", "factorize.regularization=0"])
        XCTAssertEqual(diverged.exitCode, 1, diverged.stderr)
        try assertValid(diverged.stdout)
        let error = try XCTUnwrap(events.first { $0["event"]?.stringValue == "error" })
        XCTAssertEqual(error["exit_code"], .number(1))
        XCTAssertEqual(error["node"], .string("factorize[k=2]"))
        XCTAssertTrue(error["message"]?.stringValue?.contains("diverged at epoch") == true, "\(error)")
        XCTAssertEqual(events.last?["event"], .string("finish"))
        XCTAssertEqual(events.last?["exit_code"], .number(1))

        let (missing, failed) = try run(pipeline: "pipelines/nope.json")
        XCTAssertEqual(missing.exitCode, 2)
        try assertValid(missing.stdout)
        XCTAssertEqual(failed.compactMap { $0["event"]?.stringValue }, ["error", "finish"])
        XCTAssertEqual(failed.last?["exit_code"], .number(2))
        XCTAssertEqual(missing.stderr, "mfpipe: pipelines/nope.json: no such pipeline file\n")
    }

    /// A warning reaches a monitor as a `warning` event as well as a line on standard error
    /// (it went to standard error only).
    func testAWarningIsAnEventToo() throws {
        let (warned, events) = try run(["--set", "evaluate.relevance_threshold=6"])
        XCTAssertEqual(warned.exitCode, 0, warned.stderr)
        try assertValid(warned.stdout)
        let message = "evaluate: no held-out entry reaches relevance_threshold 6 (the highest is 5): the ranking metrics have nothing relevant to find"
        let warnings = events.filter { $0["event"]?.stringValue == "warning" }.compactMap { $0["message"]?.stringValue }
        XCTAssertTrue(warnings.contains(message), "\(warnings)")
        XCTAssertEqual(warned.stderr, warnings.map { "warning: \($0)\n" }.joined(), "every warning is an event and a line")
    }

    func testKeepGoingRunsWhatDoesNotDependOnAFailedNode() throws {
        try scratch.write("1,1,5\n1,2,oops\n", to: "data/bad.csv")
        try scratch.write("""
            {"version": 1, "name": "two", "workdir": "../runs", "seed": 1, "stages": [
              {"id": "bad", "type": "ingest", "params": {"path": "../data/bad.csv"}},
              {"id": "good", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "factorize", "type": "factorize", "inputs": ["good"], "params": {"k": 2, "epochs": 3}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"refit": false}},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/good.h5"}}]}
            """, to: "pipelines/two.json")
        let (stopped, _) = try run(pipeline: "pipelines/two.json")
        XCTAssertEqual(stopped.exitCode, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.url("out/good.h5").path), "without --keep-going the run stops")
        let (kept, events) = try run(["--keep-going"], pipeline: "pipelines/two.json")
        XCTAssertEqual(kept.exitCode, 2, "the failure still sets the exit code")
        XCTAssertEqual(kept.stderr, "mfpipe: data/bad.csv:2:3: found \"oops\" in the value column; expected a number\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.url("out/good.h5").path), "the independent branch finished")
        XCTAssertEqual(events.last?["exit_code"], .number(2))
        XCTAssertEqual(events.first { $0["event"]?.stringValue == "error" }?["node"], .string("bad"))
    }
}
