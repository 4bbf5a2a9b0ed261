import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Dense dimensionality reduction end to end: a complete low-rank-plus-noise matrix made by
/// `mfpipe synth --dense`, a random mask of held-out entries, column centring, an `svd`
/// sweep over k — the k chosen by validation error is the true rank, and the export gives
/// each component's explained variance. Ranking metrics, where every candidate of a complete
/// matrix is a relevant held-out entry, are left out unless a relevance threshold is set.
final class DenseRankSelectionTests: XCTestCase {
    /// A scratch folder where the shipped dense-svd pipeline, with `settings` (`--set`
    /// arguments), ran on a 400 x 80 matrix of rank `rank` plus noise 0.3.
    private func denseSweep(rank: Int, _ settings: [String] = []) throws -> Scratch {
        let scratch = try Scratch()
        let synth = try MFPipeBinary.run(["synth", "--dense", "--rows", "400", "--cols", "80", "--rank", "\(rank)", "--noise", "0.3",
                                          "--seed", "\(rank)", "--format", "dense", "--output", "data/dense.csv"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        try scratch.copyFromRepository("pipelines/dense-svd.json")
        let run = try MFPipeBinary.run(["run", "pipelines/dense-svd.json", "--quiet", "--set", "matrix.path=../data/dense.csv"]
                                       + settings.flatMap { ["--set", $0] }, in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        return scratch
    }

    func testTheChosenRankIsTheTrueRank() throws {
        for rank in [3, 8] {
            let scratch = try denseSweep(rank: rank)
            defer { scratch.remove() }
            let file = try HDF5File.open(scratch.url("out/dense-svd.h5"))
            defer { try? file.close() }
            let models = try file.root.openGroup("models")
            let chosen = try models.openGroup(try models.stringAttribute("chosen"))
            XCTAssertEqual(try chosen.intAttribute("k"), rank, "the pipeline's one-standard-error rule picks the true rank")
            XCTAssertEqual(try file.root.openGroup("sweep").intAttribute("chosen_k_lowest"), rank, "the validation error is lowest at the true rank")
            let sigma = try chosen.read("sigma", as: Float.self).values
            let shares = try chosen.read("explained_variance_ratio", as: Double.self).values
            XCTAssertEqual(shares.count, rank)
            XCTAssertEqual(shares, shares.sorted(by: >), "components come in decreasing order")
            let ratios = zip(shares, sigma).map { $0 / (Double($1) * Double($1)) }
            for ratio in ratios { XCTAssertEqual(ratio, ratios[0], accuracy: 1e-9 * ratios[0], "each share is σ² over one sum of squares") }
            let explained = try file.root.openGroup("sweep").read("explained_variance", as: Double.self).values
            XCTAssertEqual(explained, explained.sorted(), "a larger SVD explains more of the training entries")
            XCTAssertFalse(try file.root.openGroup("sweep").contains("test_ndcg"), "no ranking metrics: every candidate is relevant")
            let report = try String(contentsOf: scratch.url("out/dense-svd-report.md"), encoding: .utf8)
            XCTAssertFalse(report.contains("## Ranking"), report)
        }
        let scratch = try Scratch()
        defer { scratch.remove() }
        XCTAssertEqual(try MFPipeBinary.run(["synth", "--dense", "--rows", "100", "--cols", "20", "--output", "data/dense.csv", "--format", "dense"],
                                            in: scratch.root).exitCode, 0)
        try scratch.copyFromRepository("pipelines/dense-svd.json")
        for (threshold, ranked) in [(nil, false), ("0.5", true)] {
            let run = try MFPipeBinary.run(["run", "pipelines/dense-svd.json", "--set", "matrix.path=../data/dense.csv", "--set", "factorize.k=[2,3]"]
                                           + (threshold.map { ["--set", "evaluate.relevance_threshold=\($0)"] } ?? []), in: scratch.root)
            XCTAssertEqual(run.exitCode, 0, run.stderr)
            XCTAssertEqual(run.stdout.contains("no ranking metrics: in a complete matrix every candidate is a held-out entry, all relevant; set relevance_threshold to rank them by value"),
                           !ranked, run.stdout)
            let file = try HDF5File.open(scratch.url("out/dense-svd.h5"))
            defer { try? file.close() }
            XCTAssertEqual(try file.root.openGroup("sweep").contains("test_ndcg"), ranked)
        }
    }

    /// A regularised sweep's validation curve is flat past the true rank, and its lowest
    /// point lands on a larger k (als chose 5 for rank 3 and 11 for rank 8 here); the
    /// shipped pipeline's one-standard-error rule, on its one validation set, picks the true
    /// rank, and the report and the export give both rules' choices.
    func testTheOneStandardErrorRuleFindsTheTrueRankOnAFlatCurve() throws {
        for rank in [3, 8] {
            let scratch = try denseSweep(rank: rank, ["factorize.algorithm=als"])
            defer { scratch.remove() }
            let file = try HDF5File.open(scratch.url("out/dense-svd.h5"))
            defer { try? file.close() }
            let models = try file.root.openGroup("models")
            XCTAssertEqual(try models.openGroup(try models.stringAttribute("chosen")).intAttribute("k"), rank)
            let sweep = try file.root.openGroup("sweep")
            XCTAssertEqual(try sweep.intAttribute("chosen_k_one_standard_error"), rank)
            let lowestK = try sweep.intAttribute("chosen_k_lowest")
            let ks = try sweep.read("k", as: Int32.self).values.map(Int.init)
            let rmse = try sweep.read("validation_rmse", as: Double.self).values
            let se = try sweep.read("validation_mse_se", as: Double.self).values
            let lowest = try XCTUnwrap(ks.firstIndex(of: lowestK))
            XCTAssertEqual(rmse[lowest], rmse.min()!)
            let within = ks.indices.filter { rmse[$0] * rmse[$0] <= rmse[lowest] * rmse[lowest] + se[lowest] }.map { ks[$0] }
            XCTAssertEqual(within.min(), rank, "the smallest k within one standard error of the lowest")
            let report = try String(contentsOf: scratch.url("out/dense-svd-report.md"), encoding: .utf8)
            let sentence = lowestK == rank ? "the lowest;" : "within one standard error of the lowest, \(MetricText.format(rmse[lowest])) at k = \(lowestK);"
            let summary = try XCTUnwrap(try RunRecords.latestSummary(of: "evaluate", workdir: scratch.url("runs/dense-svd")))
            XCTAssertTrue(summary.hasPrefix("chose k=\(rank): validation RMSE \(MetricText.format(rmse[ks.firstIndex(of: rank)!])) (one-standard-error rule"
                                            + (lowestK == rank ? ")" : "; lowest \(MetricText.format(rmse[lowest])) at k=\(lowestK))")), summary)
            XCTAssertTrue(report.contains("**Chosen model:** k = \(rank) (als), selected by the one-standard-error rule: validation RMSE "
                                          + "\(MetricText.format(rmse[ks.firstIndex(of: rank)!])), \(sentence)"), report)
        }
    }

    /// svd without imputation rounds takes the entries missing from training as 0 after
    /// normalization: after min-max scaling (values in [0, 1]) that imputes each column's
    /// minimum, and the run warns so — in one warning with the model's being no better than
    /// the global mean, which it explains; after column centring it does not. With its
    /// default rounds, which fill them with the last round's model, there is nothing to warn of.
    func testSVDWarnsWhenTheNormalizationLeavesTheValuesFarFromZero() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        XCTAssertEqual(try MFPipeBinary.run(["synth", "--dense", "--rows", "100", "--cols", "20", "--output", "data/dense.csv", "--format", "dense"],
                                            in: scratch.root).exitCode, 0)
        try scratch.copyFromRepository("pipelines/dense-svd.json")
        for (method, rounds, warned) in [("minmax", 0, true), ("minmax", 1, true), ("center", 0, false)] {
            let run = try MFPipeBinary.run(["run", "pipelines/dense-svd.json", "--quiet", "--set", "matrix.path=../data/dense.csv",
                                            "--set", "factorize.k=[2,3]", "--set", "normalize.method=\(method)",
                                            "--set", "factorize.impute_rounds=\(rounds)"], in: scratch.root)
            XCTAssertEqual(run.exitCode, 0, run.stderr)
            XCTAssertEqual(run.stderr.filter { $0 == "\n" }.count, warned ? 1 : 0, "one warning: \(run.stderr)")
            XCTAssertEqual(run.stderr.hasPrefix("warning: evaluate: the chosen model (k=2) predicts the validation entries no better than the global mean (RMSE "),
                           warned, "the imputed minimum makes svd worse than the mean; centred, it is better: \(run.stderr)")
            XCTAssertEqual(run.stderr.contains("); svd takes each entry missing from training as 0 after normalization, but the normalized training values average "),
                           warned, run.stderr)
            XCTAssertEqual(run.stderr.hasSuffix("; a normalization that centres them (mean, biases or center) suits svd better, as do imputation rounds (impute_rounds)\n"),
                           warned, run.stderr)
        }
        let rounds = try MFPipeBinary.run(["run", "pipelines/dense-svd.json", "--quiet", "--set", "matrix.path=../data/dense.csv",
                                           "--set", "factorize.k=[2,3]", "--set", "normalize.method=minmax"], in: scratch.root)
        XCTAssertEqual(rounds.exitCode, 0, rounds.stderr)
        XCTAssertEqual(rounds.stderr, "", "the rounds impute the missing entries from the model, not the minimum")
    }
}
