import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The default pipeline on the bundled MovieLens data: accuracy, caching, reruns after
/// `--set`, and the exported file as h5py sees it. The pipeline runs once for the class.
final class MovieLensPipelineTests: XCTestCase {
    private static var scratch: Scratch!
    private static var firstRun: CommandResult!

    override class func setUp() {
        super.setUp()
        scratch = try! Scratch()
        try! scratch.copyFromRepository("pipelines/movielens.json")
        firstRun = try! MFPipeBinary.run(["run", "pipelines/movielens.json"], in: scratch.root)
    }

    override class func tearDown() {
        scratch.remove()
        super.tearDown()
    }

    private var scratch: Scratch { Self.scratch }
    private var export: URL { scratch.url("out/movielens.h5") }
    private var workdir: URL { scratch.url("runs/movielens") }

    func testChosenModelReachesTheTargetRMSEAndBeatsTheBiasBaseline() throws {
        XCTAssertEqual(Self.firstRun.exitCode, 0, Self.firstRun.stderr)
        let file = try HDF5File.open(export)
        defer { try? file.close() }
        let models = try file.root.openGroup("models")
        let chosen = try models.openGroup(try models.stringAttribute("chosen"))
        let testRMSE = try chosen.doubleAttribute("test_rmse")
        let baseline = try file.root.openGroup("sweep").doubleAttribute("bias_baseline_test_rmse")
        XCTAssertLessThanOrEqual(testRMSE, 0.845, "the target of a seeded 80/20 split with shipped defaults")
        XCTAssertLessThanOrEqual(testRMSE, baseline - 0.01, "test RMSE \(testRMSE) against the bias baseline's \(baseline)")
        let sweep = try file.root.openGroup("sweep").read("k", as: Int32.self).values
        XCTAssertGreaterThanOrEqual(sweep.count, 4)
    }

    func testSecondRunIsFullyCachedAndASetOverrideRerunsOnlyItsDescendants() throws {
        XCTAssertEqual(Self.firstRun.exitCode, 0, Self.firstRun.stderr)
        let again = try MFPipeBinary.run(["run", "pipelines/movielens.json"], in: scratch.root)
        XCTAssertEqual(again.exitCode, 0, again.stderr)
        let cached = try RunRecords.latestActions(workdir: workdir)
        XCTAssertEqual(cached.count, 10)
        XCTAssertEqual(Set(cached.values), ["cached"])
        XCTAssertTrue(again.stdout.contains("0 ran, 10 cached"), again.stdout)

        let changed = try MFPipeBinary.run(["run", "pipelines/movielens.json", "--set", "factorize.epochs=3", "--quiet"], in: scratch.root)
        XCTAssertEqual(changed.exitCode, 0, changed.stderr)
        let actions = try RunRecords.latestActions(workdir: workdir)
        XCTAssertEqual(actions.filter { $0.value == "cached" }.keys.sorted(), ["normalize", "ratings", "split"])
        XCTAssertEqual(actions.filter { $0.value == "ran" }.keys.sorted(), [
            "evaluate", "export", "factorize[k=128]", "factorize[k=16]", "factorize[k=32]", "factorize[k=64]", "report",
        ])

        let restored = try MFPipeBinary.run(["run", "pipelines/movielens.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(restored.exitCode, 0, restored.stderr)
        let back = try RunRecords.latestActions(workdir: workdir)
        XCTAssertEqual(back.filter { $0.value == "ran" }.keys.sorted(), ["export", "report"],
                       "the original factorize and evaluate artifacts are still cached; only the overwritten outputs are rewritten")
    }

    func testH5pyReadsTheExportAndRecomputesAPrediction() throws {
        XCTAssertEqual(Self.firstRun.exitCode, 0, Self.firstRun.stderr)
        let script = """
            import sys, json, h5py, numpy as np
            f = h5py.File(sys.argv[1], "r")
            chosen = f["models"].attrs["chosen"]
            g = f["models"][chosen]
            W, H = g["W"], g["H"]
            rows = f["rows/ids"].asstr()[:]
            cols = f["cols/ids"].asstr()[:]
            i = int(np.where(rows == "1")[0][0])
            j = int(np.where(cols == "1")[0][0])
            norm = f["normalization"]
            p = (norm.attrs["mean"] + norm["row_offset"][i] + norm["col_offset"][j]
                 + g["row_bias"][i] + g["col_bias"][j] + float(np.dot(W[i, :].astype(np.float64), H[:, j].astype(np.float64))))
            p = min(max(p, g.attrs["clip_min"]), g.attrs["clip_max"])
            print(json.dumps({
                "format": f.attrs["format"], "format_version": f.attrs["format_version"],
                "W": [list(W.shape), str(W.dtype)], "H": [list(H.shape), str(H.dtype)],
                "k": int(g.attrs["k"]), "algorithm": g.attrs["algorithm"],
                "n_rows": len(rows), "n_cols": len(cols), "n_train_rows": int(f["rows/n_train"].shape[0]),
                "row": i, "col": j, "prediction": float(p),
                "chunks": list(W.chunks), "compression": W.compression, "shuffle": bool(W.shuffle),
            }))
            """
        let result = try Python.run(script, arguments: [export.path])
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let report = try JSONParser.parse(Data(result.stdout.utf8))
        let file = try FactorFile.read(export)
        let model = try XCTUnwrap(file.models[file.chosen])
        XCTAssertEqual(report["format"]?.stringValue, "mfpipe-factors")
        XCTAssertEqual(report["format_version"]?.stringValue, "1.0")
        XCTAssertEqual(report["W"], .array([.array([.number(610), .number(Double(model.k))]), .string("float32")]))
        XCTAssertEqual(report["H"], .array([.array([.number(Double(model.k)), .number(9724)]), .string("float32")]))
        XCTAssertEqual(report["k"]?.intValue, model.k)
        XCTAssertEqual(report["algorithm"]?.stringValue, "sgd")
        XCTAssertEqual(report["n_rows"]?.intValue, 610)
        XCTAssertEqual(report["n_cols"]?.intValue, 9724)
        XCTAssertEqual(report["n_train_rows"]?.intValue, 610)
        XCTAssertEqual(report["compression"]?.stringValue, "gzip")
        XCTAssertEqual(report["shuffle"]?.boolValue, true)
        let row = try XCTUnwrap(report["row"]?.intValue)
        let col = try XCTUnwrap(report["col"]?.intValue)
        XCTAssertEqual(file.rowIDs.ids[row], "1")
        XCTAssertEqual(file.colIDs.ids[col], "1")
        let ours = file.predictor().predict(row: Int32(row), col: Int32(col))
        let theirs = try XCTUnwrap(report["prediction"]?.doubleValue)
        XCTAssertEqual(ours, theirs, accuracy: 1e-5)
    }

    func testInspectSummarisesTheExport() throws {
        XCTAssertEqual(Self.firstRun.exitCode, 0, Self.firstRun.stderr)
        let result = try MFPipeBinary.run(["inspect", export.path])
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("matrix: 610 rows x 9724 columns"), result.stdout)
        XCTAssertTrue(result.stdout.contains("normalization: biases"), result.stdout)
    }
}
