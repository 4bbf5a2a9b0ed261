import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// evaluate warns when the chosen model predicts the validation entries no better than
/// the global mean or the bias baseline: on sparse ratings that are mostly noise the
/// factors fit the noise, and the run said nothing of it.
final class BaselineWarningTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws { scratch = try Scratch() }
    override func tearDown() { scratch.remove() }

    /// The run's standard error on 4,000 synthetic ratings with noise `noise` times the signal.
    private func warnings(noise: String) throws -> String {
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "400", "--cols", "300",
                                          "--ratings", "4000", "--noise", noise, "--seed", "2"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        try scratch.write("""
            {"version": 1, "name": "noise", "workdir": "../runs/\(noise)", "seed": 3, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {"validation": 0.2, "test": 0.2}},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": 32}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"refit": false}}]}
            """, to: "pipelines/noise.json")
        let run = try MFPipeBinary.run(["run", "pipelines/noise.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        return run.stderr
    }

    func testAModelNoBetterThanTheGlobalMeanIsNamed() throws {
        let stderr = try warnings(noise: "3")
        let numbers = try NSRegularExpression(pattern: #"RMSE ([0-9.]+) against ([0-9.]+)"#)
        let match = try XCTUnwrap(numbers.firstMatch(in: stderr, range: NSRange(stderr.startIndex..., in: stderr)), stderr)
        let (chosen, mean) = (Double(stderr[Range(match.range(at: 1), in: stderr)!])!, Double(stderr[Range(match.range(at: 2), in: stderr)!])!)
        XCTAssertGreaterThan(chosen, mean + 0.02, "the noise makes the factors worse than the mean by a margin")
        XCTAssertEqual(numbers.stringByReplacingMatches(in: stderr, range: NSRange(stderr.startIndex..., in: stderr), withTemplate: "RMSE x against y"), """
            warning: evaluate: the chosen model (k=32) predicts the validation entries no better than the global mean \
            (RMSE x against y): its factors may be fitting noise; a smaller k or a stronger regularization \
            may help, or the global mean may be the better predictor for these data

            """)
        XCTAssertEqual(try warnings(noise: "0.5"), "", "a model that beats the baselines draws no warning")
    }
}
