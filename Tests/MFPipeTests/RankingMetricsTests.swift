import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Ranking metrics on MovieLens latest-small equal a reference written here from their
/// textbook definitions (precision, recall, NDCG and MAP at N, coverage; relevant: test
/// ratings of at least 4), for every k of a sweep and for the popularity baseline;
/// `select_by` chooses by a ranking metric; settings that cannot work are exit-2 errors.
final class RankingMetricsTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws { scratch = try Scratch() }
    override func tearDown() { scratch.remove() }

    private func writePipeline(evaluate: String) throws {
        try scratch.write("""
            {"version": 1, "name": "rank", "workdir": "../runs", "seed": 8, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ml-latest-small/ratings.csv",
                "columns": {"row": "userId", "col": "movieId", "value": "rating"}}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {"validation": 0.1, "test": 0.2}},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": [8, 32], "epochs": 10}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {\(evaluate)}},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/rank.h5", "models": "all"}},
              {"id": "report", "type": "report", "inputs": ["evaluate"], "params": {"path": "../out/rank.md"}}]}
            """, to: "pipelines/rank.json")
    }

    func testRankingMetricsEqualTheTextbookDefinitions() throws {
        try writePipeline(evaluate: #""refit": false, "ranking_at": 10, "relevance_threshold": 4, "select_by": "ndcg""#)
        let run = try MFPipeBinary.run(["run", "pipelines/rank.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let artifacts = scratch.url("runs/artifacts")
        let split = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).first { $0.hasPrefix("split-") })
        let check = try Python.run("""
            import sys, math, h5py, numpy as np
            export, split, report = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
            N, threshold = 10, 4.0
            with h5py.File(split, "r") as s:
                part = {p: (s[f"parts/{p}/row"][:], s[f"parts/{p}/col"][:], s[f"parts/{p}/value"][:]) for p in ("train", "validation", "test")}
            def metrics(key_of_row, n_rows, n_cols, held, excluded_parts):
                excluded = {}
                for p in excluded_parts:
                    for i, j in zip(part[p][0], part[p][1]): excluded.setdefault(int(i), set()).add(int(j))
                relevant = {}
                for i, j, v in zip(*part[held]):
                    if v >= threshold: relevant.setdefault(int(i), set()).add(int(j))
                sums, shown = np.zeros(4), set()
                for i, rel in relevant.items():
                    key = np.array(key_of_row(i), dtype=np.float64)
                    key[list(excluded.get(i, ()))] = -np.inf
                    order = [int(j) for j in np.lexsort((np.arange(n_cols), -key))[:N]]
                    shown.update(order)
                    hits = [1 if j in rel else 0 for j in order]
                    precision = sum(hits) / N
                    recall = sum(hits) / len(rel)
                    dcg = sum(h / math.log2(r + 2) for r, h in enumerate(hits))
                    idcg = sum(1 / math.log2(r + 2) for r in range(min(len(rel), N)))
                    ap = sum(h * sum(hits[:r + 1]) / (r + 1) for r, h in enumerate(hits)) / min(len(rel), N)
                    sums += [precision, recall, dcg / idcg, ap]
                return list(sums / len(relevant)) + [len(shown) / n_cols]
            names = ["precision", "recall", "ndcg", "map", "coverage"]
            with h5py.File(export, "r") as f:
                sweep = f["sweep"]
                n = {name: f["normalization"][name][:] for name in ("row_offset", "col_offset", "row_scale", "col_scale")}
                rows, cols = len(f["rows/ids"]), len(f["cols/ids"])
                for index, k in enumerate(sweep["k"][:]):
                    m = f["models"][f"k{k:03d}"]
                    W, H, rb, cb = m["W"][:].astype(np.float64), m["H"][:].astype(np.float64), m["row_bias"][:], m["col_bias"][:]
                    key = lambda i: n["col_offset"] + n["row_scale"][i] * n["col_scale"] * (rb[i] + cb + W[i] @ H)
                    for held, excluded in (("test", ("train", "validation")), ("validation", ("train",))):
                        want = metrics(key, rows, cols, held, excluded)
                        got = [sweep[f"{held}_{name}"][index] for name in names]
                        assert np.allclose(got, want, atol=2e-3), (k, held, got, want)
                counts = np.bincount(part["train"][1], minlength=cols).astype(np.float64)
                want = metrics(lambda i: counts, rows, cols, "test", ("train", "validation"))
                got = [sweep.attrs[f"popularity_test_{name}"] for name in names]
                assert np.allclose(got, want, atol=1e-12), ("popularity", got, want)
                best = int(np.argmax(sweep["validation_ndcg"][:]))
                sweep_popularity, sweep_test_ndcg = float(sweep.attrs["popularity_test_ndcg"]), sweep["test_ndcg"][:]
                assert f["models"].attrs["chosen"] == f"k{sweep['k'][best]:03d}", "chosen by validation NDCG"
                chosen = f"chose k={sweep['k'][best]}: validation NDCG@10 {sweep['validation_ndcg'][best]:.4f}, validation RMSE "
            assert "## Ranking (test)" in report and "selected by validation NDCG@10" in report
            popular, mine = sweep_popularity, sweep_test_ndcg[best]
            assert popular > mine, (popular, mine)
            assert (f"Popularity ranks better than the chosen model here (test NDCG@10 {popular:.4f} against {mine:.4f}): "
                    "a model fitted to ratings ranks") in report, report
            assert chosen in sys.argv[4], ("the log names what chose k", chosen, sys.argv[4])
            print("ok")
            """, arguments: [scratch.url("out/rank.h5").path, artifacts.appendingPathComponent(split).appendingPathComponent("data.h5").path,
                             scratch.url("out/rank.md").path, try XCTUnwrap(RunRecords.latestSummary(of: "evaluate", workdir: scratch.url("runs")))])
        XCTAssertEqual(check.exitCode, 0, check.stderr)
        XCTAssertEqual(check.stdout, "ok\n")
    }

    func testRankingSelectionsThatCannotWorkAreRejected() throws {
        for (evaluate, message) in [
            (#""select_by": "map", "ranking_at": 0"#,
             "stages[4].params.select_by: \"map\" is a ranking metric, and ranking_at is 0; expected ranking_at > 0, or select_by \"rmse\""),
            (#""select_by": "ndcg", "selection_rule": "one_standard_error""#,
             "stages[4].params.selection_rule: \"one_standard_error\" chooses by RMSE's standard error, and select_by is \"ndcg\"; expected select_by \"rmse\" or selection_rule \"lowest\""),
        ] {
            try writePipeline(evaluate: evaluate)
            let result = try MFPipeBinary.run(["validate", "pipelines/rank.json"], in: scratch.root)
            XCTAssertEqual(result.exitCode, 2)
            XCTAssertEqual(result.stderr, "mfpipe: pipelines/rank.json: \(message)\n")
        }
    }

    /// A relevance threshold above every held-out rating (5 stars at most): choosing k by a
    /// ranking metric is an error naming the threshold, and no evaluation is written (before,
    /// k was chosen among empty metrics, silently); choosing by RMSE runs, with a warning.
    func testARelevanceThresholdNoHeldOutEntryReachesIsNamed() throws {
        try writePipeline(evaluate: #""select_by": "ndcg", "relevance_threshold": 6"#)
        let refused = try MFPipeBinary.run(["run", "pipelines/rank.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(refused.exitCode, 2)
        XCTAssertEqual(refused.stderr, "mfpipe: pipelines/rank.json: stages[4].params.relevance_threshold: no validation entry reaches relevance_threshold 6 (the highest is 5), so NDCG@10 cannot choose k; expected a threshold the validation values reach\n")
        let artifacts = try FileManager.default.contentsOfDirectory(atPath: scratch.url("runs/artifacts").path)
        XCTAssertFalse(artifacts.contains { $0.hasPrefix("evaluate-") }, "\(artifacts)")
        try writePipeline(evaluate: #""relevance_threshold": 6"#)
        let warned = try MFPipeBinary.run(["run", "pipelines/rank.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(warned.exitCode, 0, warned.stderr)
        XCTAssertEqual(warned.stderr, "warning: evaluate: no held-out entry reaches relevance_threshold 6 (the highest is 5): the ranking metrics have nothing relevant to find\n")
    }
}
