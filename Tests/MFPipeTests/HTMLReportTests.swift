import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The self-contained HTML report: every inline SVG parses as XML, every number of the
/// sweep, compression, ranking and baseline tables equals the export's (as the report rounds it), the chosen k is
/// marked, y ticks are round values, x labels of a 20-rank sweep never overlap, there is a
/// training curve per rank with its kept epoch, and nothing refers to the network.
final class HTMLReportTests: XCTestCase {
    /// A scratch folder with 9,000 synthetic ratings of 300 rows and 200 columns in `data/ratings.csv`.
    private func scratchWithRatings() throws -> Scratch {
        let scratch = try Scratch()
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "300", "--cols", "200",
                                          "--ratings", "9000", "--seed", "21"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        return scratch
    }

    func testTheHTMLReportAgreesWithTheExportAndItsPlotsAreReadable() throws {
        let scratch = try scratchWithRatings()
        defer { scratch.remove() }
        try scratch.write("""
            {"version": 1, "name": "html", "workdir": "../runs", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"]},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": {"from": 1, "to": 20}, "epochs": 8}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"refit": false}},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/html.h5"}},
              {"id": "report", "type": "report", "inputs": ["evaluate"], "params": {"path": "../out/html.md"}}]}
            """, to: "pipelines/html.json")
        let run = try MFPipeBinary.run(["run", "pipelines/html.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let check = try Python.run("""
            import re, sys, h5py, xml.etree.ElementTree as ET
            from html.parser import HTMLParser
            html = open(sys.argv[2]).read()
            assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html, "no network"
            svgs = re.findall(r"<svg.*?</svg>", html, re.S)
            ns = "{http://www.w3.org/2000/svg}"
            plots = [ET.fromstring(s) for s in svgs]
            class Tables(HTMLParser):
                def __init__(self):
                    super().__init__(); self.tables, self.row, self.cell = [], None, None
                def handle_starttag(self, tag, attrs):
                    if tag == "table": self.tables.append([])
                    elif tag == "tr": self.row = []; self.tables[-1].append(self.row)
                    elif tag in ("td", "th"): self.cell = ""
                def handle_data(self, data):
                    if self.cell is not None: self.cell += data
                def handle_endtag(self, tag):
                    if tag in ("td", "th"): self.row.append(self.cell.strip()); self.cell = None
            parser = Tables(); parser.feed(html)
            by_header = {t[0][2] if t[0][0] == "k" else t[0][0]: t for t in parser.tables}
            sweep, ranking, baselines, compression = by_header["train RMSE"], by_header["precision@10"], by_header["predictor"], by_header["stored floats"]
            with h5py.File(sys.argv[1], "r") as f:
                s = f["sweep"]
                assert [int(r[0]) for r in sweep[1:]] == list(s["k"][:]), "k"
                for column, name in [(3, "validation_rmse"), (4, "validation_mae"), (5, "test_rmse"), (6, "test_mae"), (7, "explained_variance")]:
                    assert [r[column] for r in sweep[1:]] == [f"{v:.4f}" for v in s[name][:]], name
                for column, name in [(2, "test_precision"), (3, "test_recall"), (4, "test_ndcg"), (5, "test_map"), (6, "test_coverage"), (7, "validation_ndcg")]:
                    assert [r[column] for r in ranking[1:-1]] == [f"{v:.4f}" for v in s[name][:]], name
                assert ranking[-1][2:] == [f"{s.attrs['popularity_' + n]:.4f}" for n in ["test_precision", "test_recall", "test_ndcg", "test_map", "test_coverage", "validation_ndcg"]], "popularity"
                for row, k in zip(compression[1:], s["k"][:]):
                    floats = (int(k) + 1) * (s.attrs["rows"] + s.attrs["cols"])   # W, H and the biases
                    assert row[2:4] == [str(floats), str(4 * floats)], (row, floats)
                    assert row[7] == f"{s['test_rmse'][list(s['k'][:]).index(k)] / s.attrs['test_mean_square'] ** 0.5:.4f}", row
                for row, prefix in [(1, "global_mean"), (2, "bias_baseline")]:
                    assert baselines[row][1:] == [f"{s.attrs[prefix + '_' + m]:.4f}" for m in ["validation_rmse", "validation_mae", "test_rmse", "test_mae"]], prefix
                chosen = int(f["models"][f["models"].attrs["chosen"]].attrs["k"])
            assert f"chosen k = {chosen}" in [t.text for t in plots[0].iter(ns + "text")], "the chosen k is marked"
            ticks = [float(t.text) for t in plots[0].iter(ns + "text") if t.get("class") == "y-tick"]
            steps = {round(b - a, 9) for a, b in zip(ticks, ticks[1:])}
            assert len(steps) == 1, steps
            step = steps.pop()
            assert any(abs(step - m * 10 ** e) < 1e-9 for m in (1, 2, 5) for e in range(-4, 3)), ("a round step", step)
            assert all(len(t.text.split(".")[-1]) <= 3 for t in plots[0].iter(ns + "text") if t.get("class") == "y-tick"), "round ticks"
            labels = [(float(t.get("x")), t.text) for t in plots[0].iter(ns + "text") if t.get("class") == "x-tick"]
            assert 5 <= len(labels) < 20, labels
            for (x1, a), (x2, b) in zip(labels, labels[1:]):
                assert x2 - x1 >= 3.5 * (len(a) + len(b)) + 8, ("overlap", a, b)
            curves = [p for p in plots if p.find(ns + "text").text.startswith("k = ")]
            assert len(curves) == 20, len(curves)
            assert all(any(t.text.startswith("kept: epoch ") for t in p.iter(ns + "text")) for p in curves), "kept epochs"
            assert "pipeline hash" in html and "input hash" in html
            print(len(svgs))
            """, arguments: [scratch.url("out/html.h5").path, scratch.url("out/html.html").path])
        XCTAssertEqual(check.exitCode, 0, check.stderr)
        XCTAssertEqual(check.stdout, "22\n", "the RMSE plot, 20 training curves, explained variance, and no other")
    }

    /// Each model's training is given in its algorithm's unit, as its factorize log line
    /// gives it: svd's imputation rounds beside sgd's epochs in the sweep table of both
    /// reports, and svd's curves drawn by round with the kept round marked (before, svd's
    /// loop iterations under the heading "epochs", and "kept: epoch 10" for round 2).
    func testTrainingIsCountedInEachAlgorithmsUnit() throws {
        let scratch = try scratchWithRatings()
        defer { scratch.remove() }
        try scratch.write("""
            {"version": 1, "name": "units", "workdir": "../runs", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"]},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "svd", "type": "factorize", "inputs": ["normalize"], "params": {"algorithm": "svd", "k": 4}},
              {"id": "sgd", "type": "factorize", "inputs": ["normalize"], "params": {"k": 4, "epochs": 6}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["svd", "sgd"], "params": {"refit": false}},
              {"id": "report", "type": "report", "inputs": ["evaluate"], "params": {"path": "../out/units.md"}}]}
            """, to: "pipelines/units.json")
        let run = try MFPipeBinary.run(["run", "pipelines/units.json"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        // "done svd in 0.02s: k=4 svd: 14 rounds, kept round 12 (...)"
        func logged(_ node: String) throws -> (count: String, kept: String) {
            let line = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.contains("done \(node) in ") }, run.stdout)
            let summary = String(line[line.range(of: "k=4 \(node): ")!.upperBound...])
            let count = String(summary.prefix { $0 != "," && $0 != "(" }).trimmingCharacters(in: .whitespaces)
            let kept = try XCTUnwrap(summary.range(of: "kept ").map { String(summary[$0.upperBound...].prefix { $0 != " " && $0 != "(" }) + " " }, summary)
            let number = summary[summary.range(of: "kept \(kept)")!.upperBound...].prefix { $0.isNumber }
            return (count, kept + number)
        }
        let (svd, sgd) = (try logged("svd"), try logged("sgd"))
        XCTAssertTrue(svd.count.hasSuffix(" rounds") && sgd.count.hasSuffix(" epochs"), "\(svd) \(sgd)")
        let markdown = try String(contentsOf: scratch.url("out/units.md"), encoding: .utf8)
        XCTAssertTrue(markdown.contains("| explained variance | trained | seconds |"), markdown)
        for (stage, count) in [("svd", svd.count), ("sgd", sgd.count)] {
            let row = try XCTUnwrap(markdown.split(separator: "\n").first { $0.contains("| \(stage) | \(stage) |") }, markdown)
            XCTAssertTrue(row.contains("| \(count) |"), "\(row) against \(count)")
        }
        let html = try String(contentsOf: scratch.url("out/units.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<td class=\"number\">\(svd.count)</td>") && html.contains("<td class=\"number\">\(sgd.count)</td>"),
                      "the HTML sweep table, a count with its unit aligned as a number")
        XCTAssertTrue(html.contains(">kept: \(svd.kept)<") && html.contains(">kept: \(sgd.kept)<"), "\(svd.kept), \(sgd.kept)")
        XCTAssertTrue(html.contains(">round</text>") && html.contains(">epoch</text>"), "each curve's x axis in its unit")
    }
}
