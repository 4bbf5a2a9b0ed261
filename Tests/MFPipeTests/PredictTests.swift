import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Predictions for (row, column) pairs — by the predict stage from an ingest of pairs and by
/// `mfpipe predict` from an export — equal W·H + biases + offsets recomputed in Python from
/// the export (h5py), clipped as evaluate clips; an unknown id is predicted as the average
/// row (column) of those with training entries and flagged cold; pipelines that read pairs
/// wrongly are exit-2 errors.
final class PredictTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws { scratch = try Scratch() }
    override func tearDown() { scratch.remove() }

    private func writePipeline(predictInputs: String = #"["evaluate", "pairs"]"#, splitInput: String = "ratings") throws {
        try scratch.write("""
            {"version": 1, "name": "pred", "workdir": "../runs", "seed": 4, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ml-latest-small/ratings.csv",
                "columns": {"row": "userId", "col": "movieId", "value": "rating"}}},
              {"id": "pairs", "type": "ingest", "params": {"path": "../inputs/pairs.csv", "pairs": true}},
              {"id": "split", "type": "split", "inputs": ["\(splitInput)"], "params": {"validation": 0.1, "test": 0.1}},
              {"id": "normalize", "type": "normalize", "inputs": ["split"], "params": {"method": "standardize", "axis": "row"}},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": 16, "epochs": 12}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"]},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/pred.h5"}},
              {"id": "predict", "type": "predict", "inputs": \(predictInputs), "params": {"path": "../out/pred.csv", "hdf5": "../out/pred-values.h5"}}]}
            """, to: "pipelines/pred.json")
    }

    /// The Python check: every prediction in `csv` equals the export's rule recomputed.
    private let recompute = """
        import sys, csv, h5py, numpy as np
        export, table = sys.argv[1], sys.argv[2]
        with h5py.File(export, "r") as f:
            m = f["models"][f["models"].attrs["chosen"]]
            W, H = m["W"][:].astype(np.float64), m["H"][:].astype(np.float64)
            n = {name: f["normalization"][name][:] for name in ("row_offset", "col_offset", "row_scale", "col_scale")}
            mean, rb, cb, low, high = f["normalization"].attrs["mean"], m["row_bias"][:], m["col_bias"][:], m.attrs["clip_min"], m.attrs["clip_max"]
            rows = {r: i for i, r in enumerate(f["rows/ids"].asstr()[:])}
            cols = {c: j for j, c in enumerate(f["cols/ids"].asstr()[:])}
            rn, cn = f["rows/n_train"][:], f["cols/n_train"][:]
            # An id the export does not hold: the average row (column) of those with training entries.
            Wa, rba, Ha, cba = W[rn > 0].mean(axis=0), rb[rn > 0].astype(np.float64).mean(), H[:, cn > 0].mean(axis=1), cb[cn > 0].astype(np.float64).mean()
            lines = list(csv.DictReader(open(table)))
            squares, scored = 0.0, 0
            for line in lines:
                i, j = rows.get(line["row"]), cols.get(line["col"])
                offset = mean + (n["row_offset"][i] if i is not None else 0) + (n["col_offset"][j] if j is not None else 0)
                scale = (n["row_scale"][i] if i is not None else 1) * (n["col_scale"][j] if j is not None else 1)
                part = ((rb[i] if i is not None else rba) + (cb[j] if j is not None else cba)
                        + (W[i] if i is not None else Wa) @ (H[:, j] if j is not None else Ha))
                want = float(np.clip(offset + scale * part, low, high))
                assert abs(float(line["prediction"]) - want) < 1e-5, (line, want)
                cold = ("row" if i is None or rn[i] == 0 else "") + ("+" if (i is None or rn[i] == 0) and (j is None or cn[j] == 0) else "") + ("col" if j is None or cn[j] == 0 else "")
                assert line["cold"] == cold, (line, cold)
                if line.get("value"):
                    squares += (float(line["value"]) - float(line["prediction"])) ** 2; scored += 1
        print(len(lines), sum(1 for l in lines if l["cold"]), f"{(squares / scored) ** 0.5:.4f}" if scored else "-")
        """

    func testThePredictStageAndCommandFollowTheExportedRule() throws {
        let ratings = try String(contentsOf: scratch.url("data/ml-latest-small/ratings.csv"), encoding: .utf8).split(whereSeparator: \.isNewline)
        let sample = stride(from: 1, to: ratings.count, by: 97).map { $0 }
        XCTAssertEqual(sample.count, 1040)
        var pairs = "userId,movieId\n" + sample.map { ratings[$0].split(separator: ",").prefix(2).joined(separator: ",") }.joined(separator: "\n")
        pairs += "\nnewcomer,1\n1,not-a-movie\nnobody,nothing\n"
        try scratch.write(pairs, to: "inputs/pairs.csv")
        try writePipeline()
        let run = try MFPipeBinary.run(["run", "pipelines/pred.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let stage = try Python.run(recompute, arguments: [scratch.url("out/pred.h5").path, scratch.url("out/pred.csv").path])
        XCTAssertEqual(stage.exitCode, 0, stage.stderr)
        XCTAssertTrue(stage.stdout.hasPrefix("\(sample.count + 3) "), stage.stdout)

        let withValues = sample.map { ratings[$0].split(separator: ",").prefix(3).joined(separator: ",") }.joined(separator: "\n")
        try scratch.write("userId,movieId,rating\n" + withValues + "\n", to: "inputs/rated.csv")
        let command = try MFPipeBinary.run(["predict", "out/pred.h5", "inputs/rated.csv", "--output", "out/rated.csv"], in: scratch.root)
        XCTAssertEqual(command.exitCode, 0, command.stderr)
        let check = try Python.run(recompute, arguments: [scratch.url("out/pred.h5").path, scratch.url("out/rated.csv").path])
        XCTAssertEqual(check.exitCode, 0, check.stderr)
        let rmse = try XCTUnwrap(check.stdout.split(separator: " ").last).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(command.stdout.hasSuffix("; RMSE \(rmse) against the given values\n"), command.stdout + " / " + rmse)
    }

    /// A headerless pairs file with string ids keeps its first pair: the model knows its ids,
    /// so it is data (it was taken for a header and dropped, as its second field is not a
    /// number); a real header is still detected, and --header / --no-header decide outright.
    func testAFirstPairOfKnownIDsIsDataAndTheHeaderCanBeSet() throws {
        let people = ["alice", "bob", "carol", "dave"], films = ["matrix", "alien", "heat"]
        try exportSmallModel(people.enumerated().flatMap { i, person in films.enumerated().map { j, film in "\(person),\(film),\((i + j) % 5 + 1)" } })
        try scratch.write("alice,matrix\nbob,alien\n", to: "inputs/bare.csv")
        try scratch.write("user,film\nalice,matrix\n", to: "inputs/headed.csv")
        for (pairs, flags, count, cold) in [("bare", [String](), 2, 0), ("headed", [], 1, 0), ("headed", ["--no-header"], 2, 1), ("bare", ["--header"], 1, 0)] {
            let result = try MFPipeBinary.run(["predict", "out/small.h5", "inputs/\(pairs).csv", "--output", "out/p.csv"] + flags, in: scratch.root)
            XCTAssertEqual(result.exitCode, 0, result.stderr)
            XCTAssertEqual(result.stdout, "wrote \(count) prediction\(count == 1 ? "" : "s") (k002, k=2; \(cold) with a cold row or column) to out/p.csv\n", "\(pairs) \(flags)")
        }
        let both = try MFPipeBinary.run(["predict", "out/small.h5", "inputs/bare.csv", "--output", "out/p.csv", "--header", "--no-header"], in: scratch.root)
        XCTAssertEqual(both.exitCode, 2)
        XCTAssertEqual(both.stderr, "mfpipe: predict: --header and --no-header: expected one of them\n")
        try scratch.write("", to: "inputs/empty.csv")
        let empty = try MFPipeBinary.run(["predict", "out/small.h5", "inputs/empty.csv", "--output", "out/p.csv"], in: scratch.root)
        XCTAssertEqual(empty.exitCode, 2)
        XCTAssertEqual(empty.stderr, "mfpipe: inputs/empty.csv: empty file; expected rows of row, column and an optional value\n")
    }

    /// Trains a k = 2 als model on `ratings` (CSV lines) and exports it to out/small.h5.
    private func exportSmallModel(_ ratings: [String]) throws {
        try scratch.write(ratings.joined(separator: "\n") + "\n", to: "inputs/small.csv")
        try scratch.write("""
            {"version": 1, "name": "small", "workdir": "../runs", "seed": 4, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../inputs/small.csv"}},
              {"id": "factorize", "type": "factorize", "inputs": ["ratings"], "params": {"algorithm": "als", "k": 2, "epochs": 3}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"]},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/small.h5"}}]}
            """, to: "pipelines/small.json")
        XCTAssertEqual(try MFPipeBinary.run(["run", "pipelines/small.json", "--quiet"], in: scratch.root).exitCode, 0)
    }

    /// `mfpipe predict` with out/small.h5 of each pairs file inputs/NAME.csv: its standard
    /// output and the CSV it wrote.
    private func predictions(_ names: [String]) throws -> [(stdout: String, csv: String)] {
        try names.map { name in
            let result = try MFPipeBinary.run(["predict", "out/small.h5", "inputs/\(name).csv", "--output", "out/\(name)-p.csv"], in: scratch.root)
            XCTAssertEqual(result.exitCode, 0, result.stderr)
            return (result.stdout, try String(contentsOf: scratch.url("out/\(name)-p.csv"), encoding: .utf8))
        }
    }

    /// Pairs whose integer ids pandas wrote as floats (`1.0`, from a column that held a
    /// missing value) are the model's rows and columns: they were all predicted cold.
    func testIntegerIDsWrittenAsFloatsAreKnown() throws {
        try exportSmallModel((0..<40).map { "\($0 % 8),\($0 % 5 + 10),\($0 % 5 + 1)" })
        try scratch.write("user,item\n1,12\n7,10\n", to: "inputs/ints.csv")
        try scratch.write("user,item\n1.0,12.0\n7.0,10.0\n", to: "inputs/floats.csv")
        let outputs = try predictions(["ints", "floats"])
        XCTAssertEqual(outputs.map(\.stdout), ["ints", "floats"].map { "wrote 2 predictions (k002, k=2; 0 with a cold row or column) to out/\($0)-p.csv\n" })
        XCTAssertEqual(outputs[0].csv, outputs[1].csv)
    }

    /// A pairs file written by pandas' to_csv, its index first under an empty name, gives the
    /// same predictions as the bare pairs (the index was read as the row ids and the rows as
    /// the columns).
    func testAPairsFileWithAPandasIndexIsReadPastIt() throws {
        try exportSmallModel((0..<40).map { "u\($0 % 8),m\($0 % 5),\($0 % 5 + 1)" })
        try scratch.write("user,film,rating\nu1,m2,3\nu7,m0,5\n", to: "inputs/plain.csv")
        try scratch.write(",user,film,rating\n0,u1,m2,3\n1,u7,m0,5\n", to: "inputs/indexed.csv")
        let outputs = try predictions(["plain", "indexed"])
        for (name, output) in zip(["plain", "indexed"], outputs) {
            XCTAssertTrue(output.stdout.hasPrefix("wrote 2 predictions (k002, k=2; 0 with a cold row or column) to out/\(name)-p.csv; RMSE "), output.stdout)
        }
        XCTAssertEqual(outputs[0].csv, outputs[1].csv)
        XCTAssertTrue(outputs[1].csv.hasPrefix("row,col,prediction,cold,value\nu1,m2,"), outputs[1].csv)
    }

    /// Pairs whose value is missing for some of them (an empty field, as pandas writes NaN,
    /// or R's NA) are predicted, written without a value and left out of the RMSE: the
    /// command refused the whole file.
    func testPairsWithoutAValueAreLeftOutOfTheRMSE() throws {
        try exportSmallModel((0..<40).map { "u\($0 % 8),m\($0 % 5),\($0 % 5 + 1)" })
        try scratch.write("user,film,rating\nu1,m2,3\n", to: "inputs/one.csv")
        try scratch.write("user,film,rating\nu1,m2,3\nu7,m0,\nu3,m4,NA\n", to: "inputs/some.csv")
        let outputs = try predictions(["one", "some"])
        let rmse = try XCTUnwrap(outputs[0].stdout.components(separatedBy: "; RMSE ").last)
        XCTAssertEqual(outputs[1].stdout, "wrote 3 predictions (k002, k=2; 0 with a cold row or column) to out/some-p.csv; RMSE \(rmse)")
        let lines = outputs[1].csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(lines.map(\.count), [5, 5, 5, 5])
        XCTAssertEqual(lines.map { String($0[4]) }, ["value", "3", "", ""])
        XCTAssertEqual(outputs[1].csv.split(separator: "\n")[1], outputs[0].csv.split(separator: "\n")[1])
    }

    func testPipelinesThatReadPairsWronglyAreRejected() throws {
        try scratch.write("userId,movieId\n1,1\n", to: "inputs/pairs.csv")
        for (inputs, split, message) in [
            (#"["pairs", "evaluate"]"#, "ratings", "stages[7].inputs: expected the evaluate stage, then the stage of the pairs to predict (an ingest)"),
            (#"["evaluate", "pairs"]"#, "pairs", "stages[2].inputs: reads stages[1], an ingest of pairs to predict (pairs: true, values optional); expected only predict stages to read it"),
        ] {
            try writePipeline(predictInputs: inputs, splitInput: split)
            let result = try MFPipeBinary.run(["validate", "pipelines/pred.json"], in: scratch.root)
            XCTAssertEqual(result.exitCode, 2)
            XCTAssertEqual(result.stderr, "mfpipe: pipelines/pred.json: \(message)\n")
        }
    }
}
