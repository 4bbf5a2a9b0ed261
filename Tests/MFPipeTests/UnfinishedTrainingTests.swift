import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// evaluate warns when the chosen model's training ran out of epochs while its validation
/// RMSE was still falling by more than a thousandth of the data's spread: a user who set
/// too few epochs learnt nothing of it. A training that stopped on its own (early stopping,
/// tolerance) draws no warning, nor does data without spread.
final class UnfinishedTrainingTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws { scratch = try Scratch() }
    override func tearDown() { scratch.remove() }

    /// Runs the bundled MovieLens pipeline at rank `k` with `settings` (`--set` values); returns
    /// its standard error and the training information of its one factorize node.
    private func movieLens(k: Int = 32, _ settings: [String]) throws -> (stderr: String, training: TrainingInfo) {
        try scratch.copyFromRepository("pipelines/movielens.json")
        let run = try MFPipeBinary.run(["run", "pipelines/movielens.json", "--quiet", "--set", "factorize.k=\(k)"]
                                           + settings.flatMap { ["--set", $0] }, in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let artifacts = scratch.url("runs/movielens/artifacts")
        let folder = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).first { $0.hasPrefix("factorize-") })
        return (run.stderr, try TrainingInfo.read(at: artifacts.appendingPathComponent(folder).appendingPathComponent("data.h5")))
    }

    func testAModelStoppedByItsEpochsWhileImprovingIsNamedWithItsLastFall() throws {
        let (stderr, training) = try movieLens(["factorize.epochs=5"])
        XCTAssertEqual(training.iterations, 5)
        XCTAssertFalse(training.converged)
        let fall = training.curve[3].validationRMSE - training.curve[4].validationRMSE
        XCTAssertGreaterThan(fall, 0.002, "five epochs of sgd on MovieLens are far from done")
        XCTAssertEqual(stderr, "warning: evaluate: the chosen model (k=32) ran out of epochs while still improving: "
                           + "its normalized validation RMSE fell \(MetricText.format(fall)) over epoch 5 of 5; more epochs may give a better model\n")
        // The threshold is a thousandth of the spread of the normalized training values.
        XCTAssertEqual(UnfinishedTraining.lastFall(training, spread: 0.99 * fall / UnfinishedTraining.threshold), fall)
        XCTAssertNil(UnfinishedTraining.lastFall(training, spread: 1.01 * fall / UnfinishedTraining.threshold))
        XCTAssertNil(UnfinishedTraining.lastFall(training, spread: 0), "data without spread")
    }

    /// A model no better than the bias baseline after too few iterations is not said to fit
    /// noise: the one warning says its training was cut short.
    func testAModelNoBetterThanTheBaselineAndCutShortIsToldToTrainLonger() throws {
        let (stderr, training) = try movieLens(k: 64, ["factorize.algorithm=als", "factorize.epochs=3"])
        let fall = training.curve[1].validationRMSE - training.curve[2].validationRMSE
        let pattern = try NSRegularExpression(pattern: #"^warning: evaluate: the chosen model \(k=64\) predicts the validation entries no better than the bias baseline \(RMSE [0-9.]+ against [0-9.]+\); "#)
        XCTAssertNotNil(pattern.firstMatch(in: stderr, range: NSRange(stderr.startIndex..., in: stderr)), stderr)
        XCTAssertTrue(stderr.hasSuffix("); it ran out of epochs while still improving: its normalized validation RMSE fell "
                                       + "\(MetricText.format(fall)) over epoch 3 of 3: more epochs may help\n"), stderr)
        XCTAssertEqual(stderr.filter { $0 == "\n" }.count, 1, "one warning")
    }

    /// svd counts in imputation rounds (each one epoch of the training loop): its log, its
    /// refit and the report say rounds, and when its rounds ran out while it still improved
    /// the warning asks for more impute_rounds, not for epochs it does not take.
    func testSVDCountsInRoundsAndAsksForMoreImputeRounds() throws {
        try scratch.copyFromRepository("pipelines/dense-svd.json")
        let run = try MFPipeBinary.run(["run", "pipelines/dense-svd.json", "--set", "factorize.k=6", "--set", "factorize.impute_rounds=3",
                                        "--set", "evaluate.refit=true"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let artifacts = scratch.url("runs/dense-svd/artifacts")
        let folder = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).first { $0.hasPrefix("factorize-") })
        let training = try TrainingInfo.read(at: artifacts.appendingPathComponent(folder).appendingPathComponent("data.h5"))
        XCTAssertEqual(training.iterations, 3, "three rounds")
        let kept = training.curve[2]
        XCTAssertTrue(run.stdout.contains("k=6 svd: 3 rounds, kept round 3 (normalized RMSE: train \(MetricText.format(kept.trainRMSE)), "
                                          + "validation \(MetricText.format(kept.validationRMSE)))"), run.stdout)
        XCTAssertTrue(run.stdout.contains(" 3/3 (100%) rounds"), run.stdout)
        XCTAssertTrue(run.stdout.contains("; refit on train+validation (3 rounds): test RMSE "), run.stdout)
        let report = try String(contentsOf: scratch.url("out/dense-svd-report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains(" Refit on training plus validation entries for 3 rounds (the model exported): "), report)
        let fall = training.curve[1].validationRMSE - kept.validationRMSE
        XCTAssertEqual(run.stderr, "warning: evaluate: the chosen model (k=6) ran out of rounds while still improving: its normalized validation RMSE fell "
                           + "\(MetricText.format(fall)) over round 3 of 3; more rounds (impute_rounds) may give a better model\n")
    }

    func testATrainingThatStoppedEarlyDrawsNoWarning() throws {
        let (stderr, training) = try movieLens([])
        XCTAssertTrue(training.converged, "the default patience stopped it")
        XCTAssertLessThan(training.bestIteration, training.iterations)
        XCTAssertEqual(stderr, "")
        XCTAssertNil(UnfinishedTraining.lastFall(training, spread: 1))
    }

    func testConstantRatingsDrawNoWarning() throws {
        var ratings = ""
        for row in 1...60 {
            for col in 1...40 where (col * 7 + row * 3) % 5 < 2 { ratings += "\(row),\(col),4\n" }
        }
        try scratch.write(ratings, to: "data/constant.csv")
        try scratch.write("""
            {"version": 1, "name": "constant", "workdir": "../runs", "seed": 3, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/constant.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {"validation": 0.2, "test": 0.2}},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": 4, "epochs": 3, "patience": 0}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"]}]}
            """, to: "pipelines/constant.json")
        let run = try MFPipeBinary.run(["run", "pipelines/constant.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertEqual(run.stderr, "")
    }
}
