import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// evaluate warns when the chosen model predicts the validation entries no better than
/// the global mean or the bias baseline: on sparse ratings that are mostly noise the
/// factors fit the noise, and the run said nothing of it. The warning stays with the
/// result: a rerun that finds evaluate cached repeats it, and the run record, the report,
/// `status` and the export list it.
final class BaselineWarningTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws { scratch = try Scratch() }
    override func tearDown() { scratch.remove() }

    /// Writes pipelines/NAME.json: data/DATA ingested, 20 % each held out for validation and
    /// test, biases removed, one factorize node of rank `k` and an evaluate without refit, then
    /// the stages of `then` (JSON text starting with a comma); its work directory runs/WORKDIR.
    private func writePipeline(_ name: String, workdir: String, data: String, k: Int, then: String = "") throws {
        try scratch.write("""
            {"version": 1, "name": "\(name)", "workdir": "../runs/\(workdir)", "seed": 3, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/\(data)"}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {"validation": 0.2, "test": 0.2}},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": \(k)}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"refit": false}}\(then)]}
            """, to: "pipelines/\(name).json")
    }

    /// What two runs on 4,000 synthetic ratings with noise `noise` times the signal said:
    /// the first run's standard error, the second's (every node cached), the warnings of
    /// the second's run record for evaluate, the Markdown report, `status`'s output and the
    /// export's `/provenance/warnings`.
    private func runs(noise: String) throws -> (first: String, cached: String, recorded: [String], report: String, status: String,
                                                exported: [String]) {
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "400", "--cols", "300",
                                          "--ratings", "4000", "--noise", noise, "--seed", "2"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        try writePipeline("noise", workdir: noise, data: "ratings.csv", k: 32, then: """
            ,
              {"id": "report", "type": "report", "inputs": ["evaluate"], "params": {"path": "../out/\(noise).md"}},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/\(noise).h5", "anndata": "../out/\(noise).h5ad"}}
            """)
        let first = try MFPipeBinary.run(["run", "pipelines/noise.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(first.exitCode, 0, first.stderr)
        let cached = try MFPipeBinary.run(["run", "pipelines/noise.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(cached.exitCode, 0, cached.stderr)
        XCTAssertEqual(try RunRecords.latestActions(workdir: scratch.url("runs/\(noise)"))["evaluate"], "cached")
        let status = try MFPipeBinary.run(["status", "pipelines/noise.json"], in: scratch.root)
        XCTAssertEqual(status.exitCode, 0, status.stderr)
        let export = try HDF5File.open(scratch.url("out/\(noise).h5"))
        defer { try? export.close() }
        let twin = try HDF5File.open(scratch.url("out/\(noise).h5ad"))
        defer { try? twin.close() }
        let exported = try export.root.openGroup("provenance").readStrings("warnings")
        XCTAssertEqual(try twin.root.openGroup("uns").openGroup("mfpipe").readStrings("warnings"), exported, "the AnnData twin's uns has them too")
        return (first.stderr, cached.stderr, try RunRecords.latestWarnings(of: "evaluate", workdir: scratch.url("runs/\(noise)")),
                try String(contentsOf: scratch.url("out/\(noise).md"), encoding: .utf8), status.stdout,
                exported)
    }

    func testAModelNoBetterThanTheGlobalMeanIsNamedAndStaysNamed() throws {
        let said = try runs(noise: "3")
        // As a JSON event, with the node it is about and whether it was repeated from the cache.
        let json = try MFPipeBinary.run(["run", "pipelines/noise.json", "--log-format", "json"], in: scratch.root)
        XCTAssertEqual(json.exitCode, 0, json.stderr)
        let schema = try EventSchema.check(json.stdout, in: scratch)
        XCTAssertEqual(schema.stdout + schema.stderr, "", "every event matches the schema")
        let events = try json.stdout.split(separator: "\n").map { try JSONParser.parse(Data($0.utf8)) }.filter { $0["event"]?.stringValue == "warning" }
        XCTAssertEqual(events.map { $0["node"]?.stringValue }, ["evaluate"])
        XCTAssertEqual(events.map { $0["cached"]?.boolValue }, [true])
        XCTAssertEqual(events.map { $0["message"]?.stringValue }, ["evaluate (cached): \(said.recorded[0])"])
        let finish = try JSONParser.parse(Data(try XCTUnwrap(json.stdout.split(separator: "\n").last).utf8))
        XCTAssertEqual(finish["message"]?.stringValue, "finished noise: 0 ran, 7 cached; 1 warning")
        XCTAssertEqual(finish["warnings"]?.intValue, 1)
        let numbers = try NSRegularExpression(pattern: #"RMSE ([0-9.]+) against ([0-9.]+)"#)
        let stderr = said.first
        let match = try XCTUnwrap(numbers.firstMatch(in: stderr, range: NSRange(stderr.startIndex..., in: stderr)), stderr)
        let (chosen, mean) = (Double(stderr[Range(match.range(at: 1), in: stderr)!])!, Double(stderr[Range(match.range(at: 2), in: stderr)!])!)
        XCTAssertGreaterThan(chosen, mean + 0.02, "the noise makes the factors worse than the mean by a margin")
        let warning = """
            the chosen model (k=32) predicts the validation entries no better than the global mean \
            (RMSE x against y): its factors may be fitting noise; a smaller k or a stronger regularization \
            may help, or the global mean may be the better predictor for these data
            """
        func masked(_ text: String) -> String {
            numbers.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "RMSE x against y")
        }
        XCTAssertEqual(masked(stderr), "warning: evaluate: \(warning)\n")
        XCTAssertEqual(masked(said.cached), "warning: evaluate (cached): \(warning)\n")
        XCTAssertEqual(said.recorded.map(masked), [warning])
        XCTAssertTrue(said.report.contains("## Warnings\n\n- `evaluate`: \(said.recorded[0])\n"), said.report)
        let statusLines = said.status.split(separator: "\n").map(String.init)
        let evaluateLine = try XCTUnwrap(statusLines.firstIndex { $0.hasPrefix("evaluate ") }, said.status)
        XCTAssertEqual(statusLines[evaluateLine + 1], String(repeating: " ", count: "normalize".count + 2) + "warning: \(said.recorded[0])")
        XCTAssertEqual(statusLines.filter { $0.contains("warning:") }.count, 1, said.status)
        XCTAssertEqual(said.exported, ["evaluate: \(said.recorded[0])"])

        let clean = try runs(noise: "0.5")
        XCTAssertEqual(clean.first + clean.cached, "", "a model that beats the baselines draws no warning")
        XCTAssertEqual(clean.recorded, [])
        XCTAssertFalse(clean.report.contains("## Warnings"), clean.report)
        XCTAssertFalse(clean.status.contains("warning:"), clean.status)
        XCTAssertEqual(clean.exported, [])
    }

    func testAnExactModelOfConstantDataDrawsNoWarning() throws {
        let ratings = (1...30).map { row in (1...20).filter { ($0 + row) % 3 == 0 }.map { "\(row),\($0),4\n" }.joined() }.joined()
        try scratch.write(ratings, to: "data/constant.csv")
        try writePipeline("constant", workdir: "constant", data: "constant.csv", k: 2)
        let run = try MFPipeBinary.run(["run", "pipelines/constant.json", "--log-format", "json"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let events = try run.stdout.split(separator: "\n").map { try JSONParser.parse(Data($0.utf8)) }
        let scored = try XCTUnwrap(events.first { $0["event"]?.stringValue == "metrics" && $0["node"]?.stringValue == "factorize" }, run.stdout)
        XCTAssertEqual(scored["validation_rmse"]?.doubleValue, 0, "every prediction is the constant, clipped to the training range")
        XCTAssertEqual(events.filter { $0["event"]?.stringValue == "warning" }.count, 0, run.stdout)
    }

    /// A model that fits its own training entries worse than the normalization alone did not
    /// converge (here Adam with a step far too large): the warning says so, not "fitting noise".
    func testAModelThatDidNotFitItsTrainingEntriesIsToldApartFromOverfitting() throws {
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "400", "--cols", "300",
                                          "--ratings", "4000", "--seed", "2"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        try writePipeline("steep", workdir: "steep", data: "ratings.csv", k: 4)
        let run = try MFPipeBinary.run(["run", "pipelines/steep.json", "--quiet", "--set", "factorize.algorithm=adam",
                                        "--set", "factorize.learning_rate=100", "--set", "factorize.epochs=20"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let numbers = try NSRegularExpression(pattern: #"\(RMSE [0-9.]+ against [0-9.]+\)|\(explained variance -[0-9.e+]+\)"#)
        let masked = numbers.stringByReplacingMatches(in: run.stderr, range: NSRange(run.stderr.startIndex..., in: run.stderr), withTemplate: "(…)")
        XCTAssertEqual(masked, "warning: evaluate: the chosen model (k=4) predicts the validation entries no better than the global mean (…) "
                       + "and its own training entries no better than the normalization alone (…): its training did not converge; "
                       + "a smaller learning_rate may help\n")
    }

    /// svd on MovieLens without a normalize stage: its imputation rounds start each missing
    /// entry at 0, far from ratings of 0.5 to 5, and 20 of them do not bring it near; the
    /// warning says so, and that a centring normalization suits svd, not that it fits noise.
    func testSVDOnUncentredRatingsIsToldToCentreThem() throws {
        try scratch.copyFromRepository("pipelines/movielens.json")
        let run = try MFPipeBinary.run(["run", "pipelines/movielens.json", "--quiet", "--set", "factorize.k=16", "--set", "factorize.algorithm=svd",
                                        "--set", "normalize.method=none"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let pattern = try NSRegularExpression(pattern: #"^warning: evaluate: the chosen model \(k=16\) predicts the validation entries no better than the bias baseline \(RMSE [0-9.]+ against [0-9.]+\); svd takes each entry missing from training as 0 after normalization, and its imputation rounds start from there, but the normalized training values average 3\.5[0-9]* \(root mean square 3\.6[0-9]*\); a normalization that centres them \(mean, biases or center\) suits svd better\n$"#)
        XCTAssertNotNil(pattern.firstMatch(in: run.stderr, range: NSRange(run.stderr.startIndex..., in: run.stderr)), run.stderr)
    }
}
