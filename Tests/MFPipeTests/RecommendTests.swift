import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Top-N recommendations on MovieLens latest-small equal a brute-force ranking computed in
/// Python from the export (W·H plus biases and offsets) with the exported model's training
/// entries left out, in the CSV and the HDF5 file alike; `exclude_seen: false` keeps them;
/// the result does not depend on the thread count.
final class RecommendTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws { scratch = try Scratch() }
    override func tearDown() { scratch.remove() }

    private func writePipeline(normalize: String, top: Int, excludeSeen: Bool) throws {
        try scratch.write("""
            {"version": 1, "name": "rec", "workdir": "../runs", "seed": 2, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ml-latest-small/ratings.csv",
                "columns": {"row": "userId", "col": "movieId", "value": "rating"}}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {"validation": 0.1, "test": 0.1}},
              {"id": "normalize", "type": "normalize", "inputs": ["split"], "params": {\(normalize)}},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": 24, "epochs": 15}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"]},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/rec.h5"}},
              {"id": "recommend", "type": "recommend", "inputs": ["evaluate"],
               "params": {"path": "../out/rec.csv", "hdf5": "../out/rec-top.h5", "top": \(top), "exclude_seen": \(excludeSeen)}}]}
            """, to: "pipelines/rec.json")
    }

    /// Checks the recommendations against a brute-force ranking of every 7th row.
    private func check(top: Int, excludeSeen: Bool) throws {
        let artifacts = scratch.url("runs/artifacts")
        let split = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).first { $0.hasPrefix("split-") })
        let result = try Python.run("""
            import sys, csv, h5py, numpy as np
            export, split, table, top, exclude = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
            with h5py.File(export, "r") as f, h5py.File(split, "r") as s, h5py.File(sys.argv[6], "r") as r:
                m = f["models"][f["models"].attrs["chosen"]]
                W, H = m["W"][:].astype(np.float64), m["H"][:].astype(np.float64)
                n = {name: f["normalization"][name][:] for name in ("row_offset", "col_offset", "row_scale", "col_scale")}
                mean, rb, cb = f["normalization"].attrs["mean"], m["row_bias"][:], m["col_bias"][:]
                rows = list(f["rows/ids"].asstr()[:]); cols = list(f["cols/ids"].asstr()[:])
                seen = {}
                for part in ("train", "validation"):   # the refit model saw both
                    for i, j in zip(s[f"parts/{part}/row"][:], s[f"parts/{part}/col"][:]):
                        seen.setdefault(int(i), set()).add(int(j))
                assert sum(len(v) for v in seen.values()) == int(f["rows/n_train"][:].sum())
                expected = {}
                for i in range(0, len(rows), 7):
                    key = (n["col_offset"][:] + n["row_scale"][i] * n["col_scale"][:]
                           * (rb[i] + cb + W[i] @ H))
                    order = np.lexsort((np.arange(len(cols)), -key)).tolist()
                    if exclude: order = [j for j in order if j not in seen.get(i, set())]
                    expected[rows[i]] = [(cols[j], mean + n["row_offset"][i] + key[j], key) for j in order[:top]]
                got = {}
                for line in csv.DictReader(open(table)):
                    got.setdefault(line["row"], []).append((line["col"], float(line["score"]), int(line["rank"])))
                assert len(got) == len(rows) and all(len(v) == top for v in got.values()), "top per row"
                ids, scores = r["recommendations/ids"].asstr()[:], r["recommendations/scores"][:]
                for row, want in expected.items():
                    have = got[row]
                    assert [h[2] for h in have] == list(range(1, top + 1)), "ranks"
                    key = want[0][2]
                    for rank, ((col, score, _), (got_col, got_score, _)) in enumerate(zip(want, have)):
                        assert abs(score - got_score) < 1e-4, (row, rank, score, got_score)
                        if col != got_col:   # only a near-tie may swap
                            assert abs(key[cols.index(col)] - key[cols.index(got_col)]) < 1e-5, (row, rank, col, got_col)
                        if exclude: assert cols.index(got_col) not in seen.get(rows.index(row), set()), "a training entry"
                    i = rows.index(row)
                    assert list(ids[i]) == [h[0] for h in have] and np.allclose(scores[i], [h[1] for h in have], atol=1e-5), "HDF5 = CSV"
            print(len(expected))
            """, arguments: [scratch.url("out/rec.h5").path, artifacts.appendingPathComponent(split).appendingPathComponent("data.h5").path,
                             scratch.url("out/rec.csv").path, String(top), excludeSeen ? "1" : "0", scratch.url("out/rec-top.h5").path])
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertEqual(result.stdout, "88\n")
    }

    func testTopNEqualsABruteForceRankingWithTrainingEntriesLeftOut() throws {
        try writePipeline(normalize: #""method": "biases""#, top: 10, excludeSeen: true)
        let run = try MFPipeBinary.run(["run", "pipelines/rec.json", "--quiet", "--threads", "2"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        try check(top: 10, excludeSeen: true)
        let twoThreads = try Data(contentsOf: scratch.url("out/rec.csv"))
        let one = try MFPipeBinary.run(["run", "pipelines/rec.json", "--quiet", "--threads", "1", "--force", "recommend"], in: scratch.root)
        XCTAssertEqual(one.exitCode, 0, one.stderr)
        XCTAssertEqual(try Data(contentsOf: scratch.url("out/rec.csv")), twoThreads, "the same bytes on one thread and two")
    }

    func testScaledNormalizationAndSeenEntriesKept() throws {
        try writePipeline(normalize: #""method": "standardize", "axis": "column""#, top: 25, excludeSeen: false)
        let run = try MFPipeBinary.run(["run", "pipelines/rec.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        try check(top: 25, excludeSeen: false)
    }

    func testTheCommandRecommendsRowsPerColumnFromAnExport() throws {
        try writePipeline(normalize: #""method": "biases""#, top: 3, excludeSeen: true)
        XCTAssertEqual(try MFPipeBinary.run(["run", "pipelines/rec.json", "--quiet"], in: scratch.root).exitCode, 0)
        let command = try MFPipeBinary.run(["recommend", "out/rec.h5", "--per", "column", "--top", "5", "--output", "out/cols.csv"], in: scratch.root)
        XCTAssertEqual(command.exitCode, 0, command.stderr)
        XCTAssertTrue(command.stdout.hasPrefix("wrote 48620 recommendations for 9724 columns (top 5, k024, k=24, 0 excluded)"), command.stdout)
        let check = try Python.run("""
            import sys, csv, h5py, numpy as np
            with h5py.File(sys.argv[1], "r") as f:
                m = f["models"][f["models"].attrs["chosen"]]
                W, H = m["W"][:].astype(np.float64), m["H"][:].astype(np.float64)
                rb, co = m["row_bias"][:], f["normalization/row_offset"][:]
                rows = list(f["rows/ids"].asstr()[:]); cols = list(f["cols/ids"].asstr()[:])
            got = {}
            for line in csv.DictReader(open(sys.argv[2])):
                got.setdefault(line["col"], []).append(line["row"])
            for j in range(0, len(cols), 50):
                key = co + rb + W @ H[:, j]
                want = [rows[i] for i in np.lexsort((np.arange(len(rows)), -key))[:5]]
                have = got[cols[j]]
                for a, b in zip(want, have):
                    assert a == b or abs(key[rows.index(a)] - key[rows.index(b)]) < 1e-5, (cols[j], want, have)
            print(len(got))
            """, arguments: [scratch.url("out/rec.h5").path, scratch.url("out/cols.csv").path])
        XCTAssertEqual(check.exitCode, 0, check.stderr)
        XCTAssertEqual(check.stdout, "9724\n")
    }

    /// `--exclude` takes a ratings file or a file of (row, column) pairs alike: the same
    /// pairs left out, the same bytes written, and none of them recommended.
    func testTheCommandExcludesTheIDsOfARatingsOrAPairsFile() throws {
        try writePipeline(normalize: #""method": "biases""#, top: 3, excludeSeen: true)
        XCTAssertEqual(try MFPipeBinary.run(["run", "pipelines/rec.json", "--quiet"], in: scratch.root).exitCode, 0)
        let pairs = try Python.run("""
            import csv, sys
            with open(sys.argv[1]) as source, open(sys.argv[2], "w") as out:
                for line in csv.reader(source): out.write(",".join(line[:2]) + "\\n")
            """, arguments: [scratch.url("data/ml-latest-small/ratings.csv").path, scratch.url("out/pairs.csv").path])
        XCTAssertEqual(pairs.exitCode, 0, pairs.stderr)
        var outputs: [Data] = []
        for (exclude, output) in [("data/ml-latest-small/ratings.csv", "out/a.csv"), ("out/pairs.csv", "out/b.csv")] {
            let command = try MFPipeBinary.run(["recommend", "out/rec.h5", "--top", "20", "--exclude", exclude, "--output", output], in: scratch.root)
            XCTAssertEqual(command.exitCode, 0, command.stderr)
            XCTAssertTrue(command.stdout.hasPrefix("wrote 12200 recommendations for 610 rows (top 20, k024, k=24, 100836 excluded)"), command.stdout)
            outputs.append(try Data(contentsOf: scratch.url(output)))
        }
        XCTAssertEqual(outputs[0], outputs[1])
        let check = try Python.run("""
            import csv, sys
            rated = {(line[0], line[1]) for line in csv.reader(open(sys.argv[1]))}
            recommended = [(line["row"], line["col"]) for line in csv.DictReader(open(sys.argv[2]))]
            assert len(recommended) == 12200 and not rated.intersection(recommended), "a rated pair recommended"
            """, arguments: [scratch.url("data/ml-latest-small/ratings.csv").path, scratch.url("out/a.csv").path])
        XCTAssertEqual(check.exitCode, 0, check.stderr)
    }

    func testTheCommandsNeverOverwriteTheirInputsAndRejectWhatIsNotAnExport() throws {
        try writePipeline(normalize: #""method": "biases""#, top: 3, excludeSeen: true)
        XCTAssertEqual(try MFPipeBinary.run(["run", "pipelines/rec.json", "--quiet"], in: scratch.root).exitCode, 0)
        let export = try Data(contentsOf: scratch.url("out/rec.h5"))
        // An export cut short (a copy that stopped): damaged, not "not an HDF5 file".
        try export.prefix(export.count / 2).write(to: scratch.url("out/cut.h5"))
        let cases: [([String], String)] = [
            (["recommend", "out/rec.h5", "--output", "out/rec.h5"],
             "recommend: --output: \(scratch.url("out/rec.h5").path) is the input of EXPORT.h5; an output must never overwrite an input"),
            (["recommend", "out/rec.h5", "--output", "out/a.csv", "--hdf5", "out/a.csv"],
             "recommend: --hdf5: \(scratch.url("out/a.csv").path) is also written by --output; expected each output once"),
            (["predict", "out/rec.h5", "out/rec.csv", "--output", "out/p.csv", "--hdf5", "out/rec.h5"],
             "predict: --hdf5: \(scratch.url("out/rec.h5").path) is the input of EXPORT.h5; an output must never overwrite an input"),
            (["predict", "out/rec.h5", "out/none.csv", "--output", "out/p.csv"],
             "predict: PAIRS: no such file \(scratch.url("out/none.csv").path); expected an input file"),
            (["recommend", "pipelines/rec.json", "--output", "out/a.csv"], "pipelines/rec.json: not an HDF5 file; expected an mfpipe factor file"),
            (["predict", "out/cut.h5", "out/rec.csv", "--output", "out/p.csv"],
             "out/cut.h5: a damaged HDF5 file (cut short, or written only in part); expected an mfpipe factor file"),
            (["recommend", "out/rec-top.h5", "--output", "out/a.csv"],
             "out/rec-top.h5: an HDF5 file but not an mfpipe export (no format attribute); expected a file an export stage wrote"),
        ]
        for (arguments, message) in cases {
            let result = try MFPipeBinary.run(arguments, in: scratch.root)
            XCTAssertEqual(result.exitCode, 2, arguments.joined(separator: " "))
            XCTAssertEqual(result.stderr, "mfpipe: \(message)\n")
        }
        XCTAssertEqual(try Data(contentsOf: scratch.url("out/rec.h5")), export, "the export is untouched")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.url("out/a.csv").path))
    }

    /// Pairs of string ids without values, the first line included, are what recommend's
    /// `--exclude` leaves out and what predict predicts: a first line the export knows is
    /// data (recommend had taken "user0,item8" for a header and left 2 of 3 pairs out).
    func testPairsOfStringIdsAreReadFromTheirFirstLine() throws {
        let ratings = (0..<40).flatMap { user in (0..<10).map { item in "user\(user),item\((user * 7 + item * 3) % 30),\(1 + (user + item) % 5)\n" } }
        try scratch.write(ratings.joined(), to: "data/ids.csv")
        try scratch.write("""
            {"version": 1, "name": "ids", "workdir": "../runs", "seed": 2, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ids.csv"}},
              {"id": "factorize", "type": "factorize", "inputs": ["ratings"], "params": {"k": 2, "epochs": 5}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"]},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/ids.h5"}}]}
            """, to: "pipelines/ids.json")
        let run = try MFPipeBinary.run(["run", "pipelines/ids.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        try scratch.write("user0,item0\nuser0,item3\nuser1,item7\n", to: "data/pairs.csv")
        let recommend = try MFPipeBinary.run(["recommend", "out/ids.h5", "--output", "out/top.csv", "--exclude", "data/pairs.csv"], in: scratch.root)
        XCTAssertEqual(recommend.exitCode, 0, recommend.stderr)
        XCTAssertTrue(recommend.stdout.contains(", 3 excluded) to out/top.csv"), recommend.stdout)
        let predict = try MFPipeBinary.run(["predict", "out/ids.h5", "data/pairs.csv", "--output", "out/p.csv"], in: scratch.root)
        XCTAssertEqual(predict.exitCode, 0, predict.stderr)
        XCTAssertEqual(try String(contentsOf: scratch.url("out/p.csv"), encoding: .utf8).split(separator: "\n").count, 4, "a header and 3 pairs")
    }
}
