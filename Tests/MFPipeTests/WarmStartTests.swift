import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// `warm_start`: training from an earlier export converges in fewer epochs (svd's rounds
/// start from its model), and a file that cannot serve is a clear input error.
final class WarmStartTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws {
        scratch = try Scratch()
        try scratch.write("""
            {"version": 1, "name": "nightly", "workdir": "../runs", "seed": 42, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ml-latest-small/ratings.csv",
                "columns": {"row": "userId", "col": "movieId", "value": "rating"}}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {"validation": 0.1, "test": 0.2}},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": 32}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"refit": false}},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/nightly.h5"}}]}
            """, to: "pipelines/nightly.json")
    }

    override func tearDown() {
        scratch.remove()
        super.tearDown()
    }

    /// The exported chosen model's kept epoch and its validation RMSE, as evaluate scored it.
    private func keptModel() throws -> (epoch: Int, validationRMSE: Double) {
        let file = try HDF5File.open(scratch.url("out/nightly.h5"))
        defer { try? file.close() }
        let models = try file.root.openGroup("models")
        let chosen = try models.openGroup(try models.stringAttribute("chosen"))
        return (try chosen.intAttribute("best_iteration"), try chosen.doubleAttribute("validation_rmse"))
    }

    func testAWarmStartReachesTheColdRunsValidationRMSEInFewerEpochs() throws {
        let cold = try MFPipeBinary.run(["run", "pipelines/nightly.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(cold.exitCode, 0, cold.stderr)
        let coldModel = try keptModel()
        try FileManager.default.moveItem(at: scratch.url("out/nightly.h5"), to: scratch.url("out/yesterday.h5"))
        // The export was trained on the training entries only (no refit), so the validation
        // entries the warm run is judged on were never seen by the model it starts from.
        let warm = try MFPipeBinary.run(["run", "pipelines/nightly.json", "--quiet", "--set", "factorize.warm_start=../out/yesterday.h5"],
                                        in: scratch.root)
        XCTAssertEqual(warm.exitCode, 0, warm.stderr)
        let warmModel = try keptModel()
        // 0.05 %: the two normalizations are fitted on the same entries, so the start can only
        // differ from the cold model by float rounding of the bias shift.
        XCTAssertLessThanOrEqual(warmModel.validationRMSE, coldModel.validationRMSE * 1.0005)
        XCTAssertLessThanOrEqual(warmModel.epoch * 3, coldModel.epoch,
                                 "warm: epoch \(warmModel.epoch), cold: epoch \(coldModel.epoch) to validation RMSE \(coldModel.validationRMSE)")
    }

    /// An export of two factorize stages holds two models of one rank: each stage, warm
    /// started from it, starts from the model it exported itself (its start scores as that
    /// model scored at its kept epoch), not from the one whose name sorts first.
    func testEachStageStartsFromTheModelItExported() throws {
        let nightly = try String(contentsOf: scratch.url("pipelines/nightly.json"), encoding: .utf8)
        let two = nightly.replacingOccurrences(of: #"{"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": 32}},"#, with: """
            {"id": "long", "type": "factorize", "inputs": ["normalize"], "params": {"k": 16}},
              {"id": "short", "type": "factorize", "inputs": ["normalize"], "params": {"k": 16, "epochs": 1}},
            """)
            .replacingOccurrences(of: #""inputs": ["factorize"]"#, with: #""inputs": ["long", "short"]"#)
            .replacingOccurrences(of: #""path": "../out/nightly.h5"}"#, with: #""path": "../out/two.h5", "models": "all"}"#)
        XCTAssertEqual(two.components(separatedBy: #""short""#).count, 3, two)
        try scratch.write(two, to: "pipelines/two.json")
        let cold = try MFPipeBinary.run(["run", "pipelines/two.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(cold.exitCode, 0, cold.stderr)
        try FileManager.default.moveItem(at: scratch.url("out/two.h5"), to: scratch.url("out/yesterday.h5"))
        let warm = try MFPipeBinary.run(["run", "pipelines/two.json", "--quiet", "--set", "long.warm_start=../out/yesterday.h5",
                                         "--set", "short.warm_start=../out/yesterday.h5"], in: scratch.root)
        XCTAssertEqual(warm.exitCode, 0, warm.stderr)
        let check = try Python.run("""
            import sys, h5py
            def kept(f):
                return {g.attrs["stage"]: g for g in f["models"].values()}
            with h5py.File(sys.argv[1], "r") as before, h5py.File(sys.argv[2], "r") as after:
                old, new = kept(before), kept(after)
                scored = {stage: g["curve_validation_rmse"][g.attrs["best_iteration"] - 1] for stage, g in old.items()}
                assert abs(scored["long"] - scored["short"]) > 0.01 * scored["long"], scored
                for stage, g in new.items():
                    start = g.attrs["start_validation_rmse"]
                    assert abs(start - scored[stage]) <= 0.0005 * scored[stage], (stage, start, scored)
                print(sorted(new))
            """, arguments: [scratch.url("out/yesterday.h5").path, scratch.url("out/two.h5").path])
        XCTAssertEqual(check.exitCode, 0, check.stderr)
        XCTAssertEqual(check.stdout, "['long', 'short']\n")
    }

    /// svd's imputation rounds start from an export as well: its model fills the missing
    /// entries of the first round, which starts from its V. On a sparse synthetic set the
    /// start scores as the export's kept round did, where a cold first round is far off,
    /// and the warm run keeps a model at least as good.
    func testSVDRoundsStartFromAnExport() throws {
        let made = try MFPipeBinary.run(["synth", "--output", "data/sparse.csv", "--rows", "3000", "--cols", "1500", "--ratings", "150000",
                                         "--rank", "8", "--seed", "2"], in: scratch.root)
        XCTAssertEqual(made.exitCode, 0, made.stderr)
        try scratch.write("""
            {"version": 1, "name": "svd", "workdir": "../runs", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/sparse.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"]},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"algorithm": "svd", "k": 8}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"refit": false}},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/svd.h5"}}]}
            """, to: "pipelines/svd.json")
        XCTAssertEqual(try MFPipeBinary.run(["run", "pipelines/svd.json", "--quiet"], in: scratch.root).exitCode, 0)
        try FileManager.default.moveItem(at: scratch.url("out/svd.h5"), to: scratch.url("out/yesterday.h5"))
        let warm = try MFPipeBinary.run(["run", "pipelines/svd.json", "--quiet", "--set", "factorize.warm_start=../out/yesterday.h5"],
                                        in: scratch.root)
        XCTAssertEqual(warm.exitCode, 0, warm.stderr)
        let check = try Python.run("""
            import sys, h5py
            with h5py.File(sys.argv[1], "r") as before, h5py.File(sys.argv[2], "r") as after:
                old, new = before["models/k008"], after["models/k008"]
                curve = old["curve_validation_rmse"][:]
                kept = curve[old.attrs["best_iteration"] - 1]
                assert curve[0] > 1.1 * kept, (curve[0], kept)
                start = new.attrs["start_validation_rmse"]
                assert abs(start - kept) <= 0.0005 * kept, (start, kept)
                assert new.attrs["validation_rmse"] <= old.attrs["validation_rmse"] * 1.0005, (new.attrs["validation_rmse"], old.attrs["validation_rmse"])
                print(new.attrs["algorithm"])
            """, arguments: [scratch.url("out/yesterday.h5").path, scratch.url("out/svd.h5").path])
        XCTAssertEqual(check.exitCode, 0, check.stderr)
        XCTAssertEqual(check.stdout, "svd\n")
    }

    func testAnExportWithoutTheRankIsAnInputError() throws {
        let cold = try MFPipeBinary.run(["run", "pipelines/nightly.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(cold.exitCode, 0, cold.stderr)
        let result = try MFPipeBinary.run(["run", "pipelines/nightly.json", "--quiet", "--set", "factorize.warm_start=../out/nightly.h5",
                                           "--set", "factorize.k=16"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertEqual(result.stderr, "mfpipe: ../out/nightly.h5: has no model of rank 16 to start from; it has k = 32\n")
        let notExport = try MFPipeBinary.run(["run", "pipelines/nightly.json", "--quiet", "--set",
                                              "factorize.warm_start=../data/ml-latest-small/ratings.csv"], in: scratch.root)
        XCTAssertEqual(notExport.exitCode, 2)
        XCTAssertEqual(notExport.stderr, "mfpipe: ../data/ml-latest-small/ratings.csv: not an HDF5 file; expected an export written by mfpipe\n")
    }

    func testWarmStartIsRefusedForAlgorithmsWithoutIt() throws {
        let result = try MFPipeBinary.run(["validate", "pipelines/nightly.json", "--set", "factorize.algorithm=adam",
                                           "--set", "factorize.warm_start=x.h5"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertEqual(result.stderr,
                       "mfpipe: pipelines/nightly.json: stages[3].params.warm_start: applies to algorithms \"sgd\", \"als\", \"ccd\", \"svd\", not to \"adam\"; remove it or change algorithm\n")
    }
}
