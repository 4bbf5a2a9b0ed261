import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// k-fold cross-validation on MovieLens latest-small: the folds are disjoint, together the
/// non-test pool, and share one test set; each fold's models are trained without their
/// fold; the sweep row of a k is the mean and sample standard deviation of its folds'
/// scores; both selection rules choose what their textbook definitions choose; the
/// exported model is refit on every non-test entry; the report shows error bars and both
/// rules; and the settings that cannot work under k-fold are exit-2 errors at validate.
final class KFoldTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws { scratch = try Scratch() }
    override func tearDown() { scratch.remove() }

    private func writePipeline(split: String, evaluate: String, export: String = #""path": "../out/kfold.h5""#) throws {
        try scratch.write("""
            {"version": 1, "name": "kfold", "workdir": "../runs", "seed": 5, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ml-latest-small/ratings.csv",
                "columns": {"row": "userId", "col": "movieId", "value": "rating", "timestamp": "timestamp"}}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {\(split)}},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": [2, 8, 32], "epochs": 12}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {\(evaluate)}},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {\(export)}},
              {"id": "report", "type": "report", "inputs": ["evaluate"], "params": {"path": "../out/kfold.md"}}]}
            """, to: "pipelines/kfold.json")
    }

    private func folder(_ prefix: String) throws -> URL {
        let artifacts = scratch.url("runs/artifacts")
        let name = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).first { $0.hasPrefix(prefix) }, prefix)
        return artifacts.appendingPathComponent(name)
    }

    func testFoldsPartitionThePoolAndShareTheTestSet() throws {
        try scratch.write("""
            {"version": 1, "name": "folds", "workdir": "../runs", "seed": 5, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ml-latest-small/ratings.csv",
                "columns": {"row": "userId", "col": "movieId", "value": "rating", "timestamp": "timestamp"}}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {"method": "kfold", "folds": 4, "test": 0.2}},
              {"id": "normalize", "type": "normalize", "inputs": ["split"], "params": {"method": "mean"}}]}
            """, to: "pipelines/folds.json")
        let run = try MFPipeBinary.run(["run", "pipelines/folds.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        struct Entry: Hashable { let row: Int32, col: Int32 }
        func entries(_ table: RatingTable?) -> [Entry] {
            guard let table else { return [] }
            return (0..<table.count).map { Entry(row: table.rows[$0], col: table.cols[$0]) }
        }
        let folds = try (1...4).map { try RatingData.read(from: folder("split-fold\($0)-").appendingPathComponent("data.h5")) }
        let test = Set(entries(folds[0].parts[.test]))
        XCTAssertEqual(test.count, Int((0.2 * 100_836).rounded()))
        var validations: [Set<Entry>] = []
        for (index, fold) in folds.enumerated() {
            let file = try HDF5File.open(try folder("normalize-fold\(index + 1)-").appendingPathComponent("data.h5"))
            let normalization = try Normalization.read(from: file.root)
            try file.close()
            XCTAssertEqual(normalization.mean, fold.training.mean, accuracy: 1e-9, "fold \(index + 1) is normalized by its own training entries only")
            let (train, validation) = (entries(fold.parts[.train]), entries(fold.parts[.validation]))
            XCTAssertEqual(Set(entries(fold.parts[.test])), test, "one test set for every fold")
            XCTAssertTrue(Set(train).isDisjoint(with: validation) && Set(train).isDisjoint(with: test) && test.isDisjoint(with: validation))
            XCTAssertEqual(train.count + validation.count + test.count, 100_836, "each fold is the whole input")
            validations.append(Set(validation))
        }
        for (a, b) in [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)] {
            XCTAssertTrue(validations[a].isDisjoint(with: validations[b]), "folds \(a + 1) and \(b + 1) are disjoint")
        }
        XCTAssertEqual(validations.reduce(0) { $0 + $1.count }, 100_836 - test.count, "the folds cover the pool")
        XCTAssertLessThanOrEqual(validations.map(\.count).max()! - validations.map(\.count).min()!, 1, "equal folds")
    }

    func testASweepUnderKFoldIsSummarisedAndChosenByEitherRule() throws {
        try writePipeline(split: #""method": "kfold", "folds": 3, "test": 0.15"#, evaluate: #""selection_rule": "one_standard_error""#)
        let run = try MFPipeBinary.run(["run", "pipelines/kfold.json", "--log-format", "json"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let events = try EventSchema.check(run.stdout, in: scratch)
        XCTAssertEqual(events.stdout + events.stderr, "", "every event of a k-fold run matches the schema")
        let metrics = run.stdout.split(separator: "\n").filter { $0.contains(#""event":"metrics""#) }
        XCTAssertEqual(metrics.count, 3, "one metrics event per k")
        XCTAssertTrue(metrics.allSatisfy { $0.contains(#""folds":3"#) && $0.contains(#""validation_rmse_sd":"#) }, metrics.joined(separator: "\n"))
        let check = try Python.run("""
            import sys, h5py, numpy as np, xml.etree.ElementTree as ET, re
            evaluation, export, markdown, svg = sys.argv[1:5]
            with h5py.File(evaluation, "r") as e, h5py.File(export, "r") as f:
                folds = e["fold_scores"]
                s = f["sweep"]
                ks = list(s["k"][:])
                assert ks == [2, 8, 32], ks
                fold_k, fold_val, fold_test, fold_no = folds["k"][:], folds["validation_rmse"][:], folds["test_rmse"][:], folds["fold"][:]
                assert sorted(fold_no.tolist()) == [1, 1, 1, 2, 2, 2, 3, 3, 3], fold_no
                for i, k in enumerate(ks):
                    v, t = fold_val[fold_k == k], fold_test[fold_k == k]
                    assert len(set(v.tolist())) == 3, ("each fold scores its own model on its own fold", k, v)
                    assert abs(s["validation_rmse"][i] - v.mean()) < 1e-12, ("mean", k)
                    assert abs(s["validation_rmse_sd"][i] - v.std(ddof=1)) < 1e-12, ("sample sd", k)
                    assert abs(s["test_rmse"][i] - t.mean()) < 1e-12 and abs(s["test_rmse_sd"][i] - t.std(ddof=1)) < 1e-12, ("test", k)
                    assert s["folds"][i] == 3
                means, sds = s["validation_rmse"][:], s["validation_rmse_sd"][:]
                best = int(np.argmin(means))
                lowest = ks[best]
                one_se = min(k for k, m in zip(ks, means) if m <= means[best] + sds[best] / np.sqrt(3))
                assert s.attrs["chosen_k_lowest"] == lowest and s.attrs["chosen_k_one_standard_error"] == one_se
                chosen = f["models"][f["models"].attrs["chosen"]]
                assert list(f["models"]) == [f"k{one_se:03d}"], list(f["models"])
                assert chosen.attrs["refit"] == 1
                train = e["fold_scores"]  # the refit model saw every non-test entry
                pool = 100836 - round(0.15 * 100836)
                assert f["rows/n_train"][:].sum() == pool and f["cols/n_train"][:].sum() == pool, f["rows/n_train"][:].sum()
                assert abs(chosen.attrs["test_rmse"] - e.attrs["refit_test_rmse"]) < 1e-12
                assert chosen.attrs["test_rmse"] < 0.9, chosen.attrs["test_rmse"]
                assert chosen.attrs["test_rmse"] < s.attrs["bias_baseline_test_rmse"], "beats the bias baseline fitted on the pool"
            text = open(markdown).read()
            other = "it too" if lowest == one_se else f"k = {lowest}"
            assert f"by the one-standard-error rule (the lowest mean chooses {other})" in text, text
            assert f"k = {one_se} (sgd), selected by mean validation RMSE {means[ks.index(one_se)]:.4f} ± {sds[ks.index(one_se)]:.4f} over 3 folds" in text
            plot = ET.parse(svg).getroot()
            ns = "{http://www.w3.org/2000/svg}"
            bars = [p for p in plot.iter(ns + "path") if p.get("class") == "error-bar"]
            assert len(bars) == 6, len(bars)
            labels = [t.text for t in plot.iter(ns + "text") if t.get("class") == "marker"]
            assert labels == ([f"chosen k = {one_se} (both rules)"] if lowest == one_se else [f"k = {lowest} (lowest mean)", f"chosen k = {one_se} (one-standard-error rule)"]), labels
            print(lowest, one_se)
            """, arguments: [try folder("evaluate-").appendingPathComponent("data.h5").path, scratch.url("out/kfold.h5").path,
                             scratch.url("out/kfold.md").path, scratch.url("out/kfold-rmse-vs-k.svg").path])
        XCTAssertEqual(check.exitCode, 0, check.stderr)
        XCTAssertFalse(check.stdout.isEmpty)
    }

    func testSettingsThatCannotWorkUnderKFoldAreRejectedAtValidate() throws {
        let cases: [(split: String, evaluate: String, export: String, message: String)] = [
            (#""method": "kfold""#, #""refit": false"#, #""path": "../out/kfold.h5""#,
             "stages[4].params.refit: false after the k-fold split stages[1]: every fold's model misses one fold, so the exported model must be refit on every non-test entry; expected true"),
            (#""method": "kfold""#, "", #""path": "../out/kfold.h5", "models": "all""#,
             "stages[5].params.models: \"all\" after the k-fold split stages[1]: each k has one model per fold and none trained on all entries; expected \"chosen\" (the chosen k, refit on every non-test entry)"),
            (#""method": "kfold", "validation": 0.1"#, "", #""path": "../out/kfold.h5""#,
             "stages[1].params.validation: applies to method \"random\", \"temporal\", \"given\", not to \"kfold\""),
        ]
        for (split, evaluate, export, message) in cases {
            try writePipeline(split: split, evaluate: evaluate, export: export)
            let result = try MFPipeBinary.run(["validate", "pipelines/kfold.json"], in: scratch.root)
            XCTAssertEqual(result.exitCode, 2, message)
            XCTAssertEqual(result.stderr, "mfpipe: pipelines/kfold.json: \(message)\n")
        }
    }
}
