import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The export's reconstruction of a synthetic low-rank-plus-noise dense matrix (`mfpipe synth
/// --dense`, its noiseless signal written beside it) is closer to the signal than the noisy
/// input is, equals the exported prediction rule entry by entry, and the report's
/// compression table states the stored floats, the bytes against the dense and sparse
/// matrix, and the relative errors from the export's own numbers.
final class ReconstructionTests: XCTestCase {
    func testTheReconstructionDenoisesALowRankMatrix() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let synth = try MFPipeBinary.run(["synth", "--dense", "--rows", "300", "--cols", "120", "--rank", "5", "--noise", "0.6", "--seed", "9",
                                          "--format", "dense", "--output", "data/noisy.csv", "--signal", "data/signal.csv"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        try scratch.write("""
            {"version": 1, "name": "denoise", "workdir": "../runs", "seed": 3, "stages": [
              {"id": "matrix", "type": "ingest", "params": {"path": "../data/noisy.csv", "format": "dense", "header": true, "row_names": true}},
              {"id": "split", "type": "split", "inputs": ["matrix"], "params": {"validation": 0.1, "test": 0.1}},
              {"id": "normalize", "type": "normalize", "inputs": ["split"], "params": {"method": "center"}},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"algorithm": "svd", "k": [2, 5, 20]}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"refit": false, "ranking_at": 0}},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/denoise.h5", "reconstruction": true}},
              {"id": "report", "type": "report", "inputs": ["evaluate"], "params": {"path": "../out/denoise.md"}}]}
            """, to: "pipelines/denoise.json")
        let run = try MFPipeBinary.run(["run", "pipelines/denoise.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let check = try Python.run("""
            import sys, h5py, numpy as np
            noisy = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)[:, 1:]
            signal = np.loadtxt(sys.argv[2], delimiter=",", skiprows=1)[:, 1:]
            report = open(sys.argv[4]).read()
            with h5py.File(sys.argv[3], "r") as f:
                x = f["reconstruction"][:].astype(np.float64)
                assert x.shape == noisy.shape, x.shape
                rows = [int(r) - 1 for r in f["rows/ids"].asstr()[:]]; cols = [int(c) - 1 for c in f["cols/ids"].asstr()[:]]
                x = x[np.argsort(rows)][:, np.argsort(cols)]
                m = f["models"][f["models"].attrs["chosen"]]
                assert m.attrs["k"] == 5, m.attrs["k"]
                W, H = m["W"][:].astype(np.float64), m["H"][:].astype(np.float64)
                n = f["normalization"]
                rule = n.attrs["mean"] + n["row_offset"][:][:, None] + n["col_offset"][:][None, :] + W @ H
                rule = np.clip(rule, m.attrs["clip_min"], m.attrs["clip_max"])[np.argsort(rows)][:, np.argsort(cols)]
                assert np.abs(rule - x).max() < 1e-4, np.abs(rule - x).max()
                s = f["sweep"]
                m_rows, m_cols, entries = s.attrs["rows"], s.attrs["cols"], s.attrs["entries"]
                for index, k in enumerate(s["k"][:]):
                    floats = int(k) * (m_rows + m_cols) + int(k)   # W, H and sigma
                    relative = s["test_rmse"][index] / np.sqrt(s.attrs["test_mean_square"])
                    line = f"| {k} | svd | {floats} | {4 * floats} | {4 * m_rows * m_cols / (4 * floats):.2f} | {12 * entries / (4 * floats):.2f} |"
                    assert line in report and f"{relative:.4f} |" in report, (line, relative)
            noise = np.linalg.norm(noisy - signal)
            error = np.linalg.norm(x - signal)
            assert error < 0.6 * noise, (error, noise)
            print(f"{error / noise:.3f}")
            """, arguments: [scratch.url("data/noisy.csv").path, scratch.url("data/signal.csv").path, scratch.url("out/denoise.h5").path,
                             scratch.url("out/denoise.md").path])
        XCTAssertEqual(check.exitCode, 0, check.stderr)
        XCTAssertFalse(check.stdout.isEmpty)
    }
}
