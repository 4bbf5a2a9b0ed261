import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Two factorize stages of one algorithm with different regularization, both swept over the
/// same ranks, compared by one evaluate: every place that names a model tells the two apart
/// by its stage — evaluate's summary, the export's `/sweep` and model groups, the reports'
/// tables, sentence and plot legend, and `inspect` — while their numbers stay the export's.
final class StageComparisonTests: XCTestCase {
    func testModelsOfTwoStagesOfOneAlgorithmAreToldApartByTheirStage() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "300", "--cols", "200",
                                          "--ratings", "9000", "--seed", "23"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        try scratch.write("""
            {"version": 1, "name": "lambda", "workdir": "../runs", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"]},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "light", "type": "factorize", "inputs": ["normalize"], "params": {"algorithm": "als", "k": [2, 4], "regularization": 0.02, "epochs": 6}},
              {"id": "heavy", "type": "factorize", "inputs": ["normalize"], "params": {"algorithm": "als", "k": [2, 4], "regularization": 0.5, "epochs": 6}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["light", "heavy"], "params": {"refit": false}},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/lambda.h5", "models": "all"}},
              {"id": "report", "type": "report", "inputs": ["evaluate"], "params": {"path": "../out/lambda.md"}}]}
            """, to: "pipelines/lambda.json")
        let run = try MFPipeBinary.run(["run", "pipelines/lambda.json"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)

        let export = try Python.run("""
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "r") as f:
                s, models = f["sweep"], f["models"]
                ks, stages, rmse = list(s["k"][:]), [x.decode() for x in s["stage"][:]], s["validation_rmse"][:]
                assert list(zip(ks, stages)) == [(2, "heavy"), (2, "light"), (4, "heavy"), (4, "light")], list(zip(ks, stages))
                assert rmse[1] != rmse[0] and rmse[3] != rmse[2], "two settings, two models"
                groups = {name: (int(g.attrs["k"]), g.attrs["stage"]) for name, g in models.items()}
                assert sorted(groups.values()) == sorted(zip(ks, stages)), groups
                best = int(np.argmin(rmse))
                assert groups[models.attrs["chosen"]] == (ks[best], stages[best]), (models.attrs["chosen"], ks[best], stages[best])
                print(f"{ks[best]} {stages[best]} {rmse[best]:.4f}")
            """, arguments: [scratch.url("out/lambda.h5").path])
        XCTAssertEqual(export.exitCode, 0, export.stderr)
        let chosen = export.stdout.split(separator: " ").map(String.init)
        let (k, stage, validation) = (chosen[0], chosen[1], chosen[2].trimmingCharacters(in: .whitespacesAndNewlines))

        XCTAssertTrue(run.stdout.contains("evaluate in "), run.stdout)
        XCTAssertTrue(run.stdout.contains("s: chose k=\(k) of \(stage): validation RMSE \(validation)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("wrote out/lambda.h5 (chosen k=\(k) of \(stage), 4 models)"), run.stdout)

        let report = try String(contentsOf: scratch.url("out/lambda.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("**Chosen model:** k = \(k) of \(stage) (als), selected by validation RMSE \(validation);"), report)
        XCTAssertTrue(report.contains("| k | stage | algorithm | train RMSE |"), report)
        let sweepRows = report.components(separatedBy: "\n").filter { $0.hasPrefix("| 2") || $0.hasPrefix("| 4") }.prefix(4)
        XCTAssertEqual(sweepRows.map { $0.split(separator: "|").prefix(2).map { $0.trimmingCharacters(in: .whitespaces) } },
                       [["2", "heavy"], ["2", "light"], ["4", "heavy"], ["4", "light"]].map { row in
                           row[0] == k && row[1] == stage ? [row[0] + " **(chosen)**", row[1]] : row
                       })

        let plot = try String(contentsOf: scratch.url("out/lambda-rmse-vs-k.svg"), encoding: .utf8)
        for name in ["validation, heavy", "validation, light", "test, heavy", "test, light", "chosen k = \(k) of \(stage)"] {
            XCTAssertTrue(plot.contains(">\(name)<"), "the plot names \(name)")
        }

        let html = try String(contentsOf: scratch.url("out/lambda.html"), encoding: .utf8)
        for title in ["k = 2 of heavy", "k = 2 of light", "k = 4 of heavy", "k = 4 of light"] {
            XCTAssertTrue(html.contains(">\(title)<"), "a training curve titled \(title)")
        }

        let inspect = try MFPipeBinary.run(["inspect", "out/lambda.h5"], in: scratch.root)
        XCTAssertEqual(inspect.exitCode, 0, inspect.stderr)
        XCTAssertTrue(inspect.stdout.contains("    k      stage validation RMSE  test RMSE\n    2      heavy "), inspect.stdout)
        XCTAssertTrue(inspect.stdout.contains("model k002: als (stage heavy)"), "the stage whose id sorts first keeps the plain name")
        XCTAssertTrue(inspect.stdout.contains("model k002_light: als (stage light)"), inspect.stdout)
    }
}
