import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The export's AnnData twin, read by the real `anndata` package: row ids as `obs` names and
/// column ids as `var` names, W in `obsm`, Hᵀ in `varm`, biases and normalization in the
/// frames, the chosen rank and the sweep in `uns` — every number equal to the HDF5 export's,
/// so a prediction made from the twin equals one made from the export.
final class AnnDataTests: XCTestCase {
    func testAnnDataReadsTheTwinAndItMatchesTheExport() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "400", "--cols", "250",
                                          "--ratings", "15000", "--seed", "12"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        try scratch.write("""
            {"version": 1, "name": "twin", "workdir": "../runs", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"]},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": [3, 6], "epochs": 15}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"]},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/twin.h5", "anndata": "../out/twin.h5ad"}}]}
            """, to: "pipelines/twin.json")
        let run = try MFPipeBinary.run(["run", "pipelines/twin.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let check = try Python.run("""
            import sys, warnings, h5py, numpy as np
            warnings.simplefilter("ignore")
            import anndata
            twin = anndata.read_h5ad(sys.argv[2])
            with h5py.File(sys.argv[1], "r") as f:
                chosen = f["models"].attrs["chosen"]
                m, n = f["models"][chosen], f["normalization"]
                assert list(twin.obs_names) == list(f["rows/ids"].asstr()[:]), "obs names"
                assert list(twin.var_names) == list(f["cols/ids"].asstr()[:]), "var names"
                assert np.array_equal(twin.obsm["W"], m["W"][:]), "W"
                assert np.array_equal(twin.varm["H"], m["H"][:].T), "H transposed"
                assert np.array_equal(twin.obs["bias"].to_numpy(), m["row_bias"][:]), "row biases"
                assert np.array_equal(twin.var["bias"].to_numpy(), m["col_bias"][:]), "column biases"
                assert np.array_equal(twin.obs["offset"].to_numpy(), n["row_offset"][:]), "row offsets"
                assert np.array_equal(twin.var["n_train"].to_numpy(), f["cols/n_train"][:]), "column counts"
                assert int(twin.uns["mfpipe"]["k"]) == int(m.attrs["k"]), "k"
                assert twin.uns["mfpipe"]["algorithm"] == m.attrs["algorithm"]
                assert np.array_equal(twin.uns["sweep"]["test_rmse"], f["sweep/test_rmse"][:]), "sweep"
                assert list(twin.uns["mfpipe"]["warnings"]) == list(f["provenance/warnings"].asstr()[:]), "warnings"
                i, j = 7, 11
                def predict(mean, row_offset, col_offset, rb, cb, w, h, low, high):
                    return float(np.clip(mean + row_offset + col_offset + rb + cb + w @ h, low, high))
                from_export = predict(n.attrs["mean"], n["row_offset"][i], n["col_offset"][j], m["row_bias"][i], m["col_bias"][j],
                                      m["W"][i], m["H"][:, j], m.attrs["clip_min"], m.attrs["clip_max"])
                u = twin.uns["mfpipe"]
                from_twin = predict(u["mean"], twin.obs["offset"].iloc[i], twin.var["offset"].iloc[j], twin.obs["bias"].iloc[i],
                                    twin.var["bias"].iloc[j], twin.obsm["W"][i], twin.varm["H"][j], u["clip_min"], u["clip_max"])
                assert from_export == from_twin, (from_export, from_twin)
                print(twin.n_obs, twin.n_vars, int(u["k"]))
            """, arguments: [scratch.url("out/twin.h5").path, scratch.url("out/twin.h5ad").path])
        XCTAssertEqual(check.exitCode, 0, check.stderr)
        XCTAssertTrue(check.stdout.hasPrefix("400 250 "), check.stdout)
    }
}
