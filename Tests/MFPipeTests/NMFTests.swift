import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// `nmf`: HALS and multiplicative updates, dense and on observed entries, reach a known
/// answer, keep every factor non-negative, never increase their objective, give the same
/// bits on any thread count and after a resume, and refuse negative data by name.
final class NMFTests: XCTestCase {
    private func nmf(_ update: String, _ params: [(String, JSONValue)]) throws -> FactorizationRequest {
        try SolverFixtures.request("nmf", params + [("update", .string(update)), ("patience", .number(0)), ("tolerance", .number(0))])
    }

    /// A non-negative rank-3 matrix, complete (`observed` 1) or with entries missing.
    private func problem(observed: Double) -> TrainingProblem {
        SolverFixtures.lowRankProblem(rows: 120, cols: 80, rank: 3, observed: observed, seed: 7)
    }

    func testHALSAndMURecoverANonNegativeLowRankMatrix() throws {
        for (update, epochs, bound) in [("hals", 300, 1e-3), ("mu", 3000, 1e-2)] {
            let complete = SolverFixtures.lowRankProblem(rows: 120, cols: 80, rank: 3, observed: 1, seed: 7)
            let dense = TrainingProblem(rows: 120, cols: 80, train: try complete.entries.table().appending(complete.validation), validation: RatingTable())
            XCTAssertTrue(dense.isComplete)
            let model = try NMFFactorizer.train(dense, request: nmf(update, [("k", .number(3)), ("epochs", .number(Double(epochs)))]))
            // Entries are products of uniform [0, 1) factors (RMS about 0.8): the bound is a
            // relative error of about 0.1 % for HALS; MU converges far more slowly.
            XCTAssertLessThan(SolverFixtures.rmse(model, on: try dense.entries.table()), bound, update)
            XCTAssertTrue(model.w.allSatisfy { $0 >= 0 } && model.h.allSatisfy { $0 >= 0 }, "\(update): factors are non-negative")
        }
        let sparse = problem(observed: 0.5)
        let model = try NMFFactorizer.train(sparse, request: nmf("hals", [("k", .number(3)), ("epochs", .number(300)),
                                                                          ("regularization", .number(1e-6))]))
        XCTAssertLessThan(SolverFixtures.rmse(model, on: sparse.validation), 0.01, "held-out entries of a half-observed matrix")
        XCTAssertTrue(model.w.allSatisfy { $0 >= 0 } && model.h.allSatisfy { $0 >= 0 })
    }

    func testEveryUpdateNeverIncreasesItsObjective() throws {
        var random = SplitMix64(seed: 4)
        var table = RatingTable()
        for row in 0..<60 {
            for col in 0..<40 { table.append(row: Int32(row), col: Int32(col), value: Float(random.nextUnitDouble() * 5)) }
        }
        let dense = TrainingProblem(rows: 60, cols: 40, train: table, validation: RatingTable())
        let sparse = TrainingProblem(rows: 60, cols: 40, train: RatingTable(
            rows: Array(table.rows.enumerated().filter { $0.offset % 3 != 0 }.map(\.element)),
            cols: Array(table.cols.enumerated().filter { $0.offset % 3 != 0 }.map(\.element)),
            values: Array(table.values.enumerated().filter { $0.offset % 3 != 0 }.map(\.element))), validation: RatingTable())
        let byColumn = (0..<table.count).map { ($0 % 60) * 40 + $0 / 60 }
        let denseByColumn = TrainingProblem(rows: 60, cols: 40, train: RatingTable(
            rows: byColumn.map { table.rows[$0] }, cols: byColumn.map { table.cols[$0] }, values: byColumn.map { table.values[$0] }),
            validation: RatingTable())
        XCTAssertEqual(try denseByColumn.dense()?.byColumn, true)
        var finalObjectives: [String: Double] = [:]
        for (name, problem) in [("dense", dense), ("dense, entries by column", denseByColumn), ("sparse", sparse)] {
            for update in ["hals", "mu"] {
                let model = try NMFFactorizer.train(problem, request: nmf(update, [("k", .number(6)), ("epochs", .number(40))]))
                let objectives = model.info.objectives
                if let row = finalObjectives[update], name != "sparse" {
                    XCTAssertEqual(objectives.last!, row, accuracy: 1e-4 * row, "\(update): the same matrix stored by row or by column")
                } else if name == "dense" {
                    finalObjectives[update] = objectives.last!
                }
                for epoch in 1..<objectives.count {
                    // Exact (HALS) or majorised (MU) steps; float32 leaves a relative wobble of
                    // about 1e-6 near convergence.
                    XCTAssertLessThanOrEqual(objectives[epoch], objectives[epoch - 1] * (1 + 1e-5), "\(name) \(update), epoch \(epoch + 1)")
                }
                XCTAssertTrue(model.w.allSatisfy { $0 >= 0 } && model.h.allSatisfy { $0 >= 0 }, "\(name) \(update)")
            }
        }
    }

    func testTheSameBitsOnOneAndTwoThreadsAndAfterAResume() throws {
        for observed in [1.0, 0.4] {
            let source = SolverFixtures.lowRankProblem(rows: 700, cols: 500, rank: 4, observed: observed, seed: 3)
            let problem = observed == 1
                ? TrainingProblem(rows: 700, cols: 500, train: try source.entries.table().appending(source.validation), validation: RatingTable())
                : source
            for update in ["hals", "mu"] {
                let request = try nmf(update, [("k", .number(10)), ("epochs", .number(6))])
                XCTAssertEqual(try SolverFixtures.threadAndResumeDifferences(NMFFactorizer.self, problem, request, stopAfter: 2), [],
                               "\(observed) \(update)")
            }
        }
    }

    func testNegativeDataIsAnInputErrorNamingTheEntry() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("u,i,r\na,x,2\nb,x,-1.5\nb,y,3\n", to: "data/signed.csv")
        try scratch.write("""
            {"version": 1, "name": "signed", "workdir": "../runs", "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/signed.csv"}},
              {"id": "factorize", "type": "factorize", "inputs": ["ratings"], "params": {"algorithm": "nmf", "k": 1}}]}
            """, to: "pipelines/signed.json")
        let result = try MFPipeBinary.run(["run", "pipelines/signed.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertEqual(result.stderr, """
            mfpipe: pipelines/signed.json: stages[1].params.algorithm: "nmf" needs non-negative values; the training entry (row "b", column "x") is -1.5 in the input; normalize with method "minmax" (each line's values to [0, 1]) or choose another algorithm

            """)
        let artifacts = (try? FileManager.default.contentsOfDirectory(atPath: scratch.url("runs/artifacts").path)) ?? []
        XCTAssertFalse(artifacts.contains { $0.contains("factorize-") }, "no factorize artifact is left: \(artifacts)")
    }

    /// The error says where a negative value came from, and the remedy for that: the input
    /// (normalize method none shifts nothing) calls for minmax, a centring normalization
    /// for none or minmax; minmax then runs.
    func testANegativeValueIsTracedToTheInputOrToTheNormalization() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("u,i,r\na,x,2\nb,x,-1.5\nb,y,3\n", to: "data/signed.csv")
        try scratch.write("u,i,r\na,x,2\nb,x,1\nb,y,3\n", to: "data/positive.csv")
        let cases: [(data: String, method: String, expected: String?)] = [
            ("signed", "none", "is -1.5 in the input; normalize with method \"minmax\" (each line's values to [0, 1]) or choose another algorithm"),
            ("positive", "mean", "is -1.0 after normalize method \"mean\"; use normalize method \"none\" or \"minmax\", which keep non-negative values non-negative"),
            ("signed", "minmax", nil),
        ]
        for (data, method, expected) in cases {
            try scratch.write("""
                {"version": 1, "name": "signed", "workdir": "../runs", "stages": [
                  {"id": "ratings", "type": "ingest", "params": {"path": "../data/\(data).csv"}},
                  {"id": "normalize", "type": "normalize", "inputs": ["ratings"], "params": {"method": "\(method)"}},
                  {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"algorithm": "nmf", "k": 1}}]}
                """, to: "pipelines/signed.json")
            let result = try MFPipeBinary.run(["run", "pipelines/signed.json", "--quiet"], in: scratch.root)
            guard let expected else {
                XCTAssertEqual(result.exitCode, 0, result.stderr)
                continue
            }
            XCTAssertEqual(result.exitCode, 2, "\(data), \(method)")
            XCTAssertEqual(result.stderr, """
                mfpipe: pipelines/signed.json: stages[2].params.algorithm: "nmf" needs non-negative values; the training entry (row "b", column "x") \(expected)

                """)
        }
    }

    /// nmf after minmax fitted on the training entries: a validation value below its row's
    /// training minimum is negative, so the refit on training plus validation entries cannot
    /// run. Evaluate says so and exports the chosen model as trained (it crashed before).
    func testARefitNMFCannotTakeIsSkippedWithAWarning() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "40", "--cols", "30",
                                          "--ratings", "600", "--seed", "5"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
        try scratch.write("""
            {"version": 1, "name": "minmax", "workdir": "../runs", "seed": 2, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {"validation": 0.2, "test": 0.1}},
              {"id": "normalize", "type": "normalize", "inputs": ["split"], "params": {"method": "minmax", "axis": "row"}},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"algorithm": "nmf", "k": [1, 2]}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"]},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/minmax.h5"}}]}
            """, to: "pipelines/minmax.json")
        let result = try MFPipeBinary.run(["run", "pipelines/minmax.json"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let warning = try XCTUnwrap(result.stderr.split(separator: "\n").first { $0.hasPrefix("warning: evaluate: no refit") }, result.stderr)
        let pattern = #"^warning: evaluate: no refit on training plus validation entries: "nmf" needs non-negative values, and the entry \(row "[0-9]+", column "[0-9]+"\) is -[0-9.e-]+ after the normalization fitted on the training entries; the chosen model is exported as trained$"#
        XCTAssertNotNil(warning.range(of: pattern, options: .regularExpression), String(warning))
        let summary = try XCTUnwrap(RunRecords.latestSummary(of: "evaluate", workdir: scratch.url("runs")))
        XCTAssertFalse(summary.contains("refit"), summary)
        let file = try HDF5File.open(scratch.url("out/minmax.h5"))
        defer { try? file.close() }
        let models = try file.root.openGroup("models")
        let chosen = try models.openGroup(try models.stringAttribute("chosen"))
        XCTAssertNil(try chosen.attribute("refit"), "the chosen model as trained")
        let split = try XCTUnwrap(RunRecords.latestSummary(of: "split", workdir: scratch.url("runs")))
        let trainCount = try XCTUnwrap(Int32(split.split(separator: ",")[0].split(separator: " ")[1]), split)
        XCTAssertEqual(try file.root.openGroup("rows").read("n_train", as: Int32.self).values.reduce(0, +), trainCount,
                       "the export counts the training entries only: no refit added the validation ones")
    }
}
