import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Every split method's invariants on MovieLens latest-small (which has timestamps): the
/// parts are disjoint and together the input; per-row methods hold out exactly n entries of
/// every row that has enough and keep a training entry in every row; temporal methods hold
/// out the latest entries (globally, or of each row); seeded methods are reproducible and
/// change with the seed; parameters of another method are errors naming their path.
final class SplitMethodsTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws { scratch = try Scratch() }
    override func tearDown() { scratch.remove() }

    private struct Entry: Hashable {
        let row: Int32, col: Int32
    }

    /// Runs ingest and a split with `params` (JSON members); returns every part's entries
    /// with their timestamps, and the whole input.
    private func split(_ params: String, seed: Int = 3) throws -> (parts: [RatingData.Part: [(Entry, Int64)]], all: Int) {
        try scratch.write("""
            {"version": 1, "name": "splits", "workdir": "../runs", "seed": \(seed), "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ml-latest-small/ratings.csv",
                "columns": {"row": "userId", "col": "movieId", "value": "rating", "timestamp": "timestamp"}}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {\(params)}}]}
            """, to: "pipelines/splits.json")
        let run = try MFPipeBinary.run(["run", "pipelines/splits.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let artifacts = scratch.url("runs/artifacts")
        let names = try FileManager.default.contentsOfDirectory(atPath: artifacts.path)
        let newest = try XCTUnwrap(names.filter { $0.hasPrefix("split-") }.max {
            let date = { (name: String) in (try? FileManager.default.attributesOfItem(atPath: artifacts.appendingPathComponent(name).path)[.modificationDate] as? Date) ?? .distantPast }
            return date($0) < date($1)
        })
        let data = try RatingData.read(from: artifacts.appendingPathComponent(newest).appendingPathComponent("data.h5"))
        var parts: [RatingData.Part: [(Entry, Int64)]] = [:]
        for (part, table) in data.parts {
            parts[part] = (0..<table.count).map { (Entry(row: table.rows[$0], col: table.cols[$0]), table.timestamps[$0]) }
        }
        XCTAssertEqual(Set(parts.values.joined().map(\.0)).count, 100_836, "disjoint and complete")
        return (parts, 100_836)
    }

    private func byRow(_ entries: [(Entry, Int64)]?) -> [Int32: [(Entry, Int64)]] {
        Dictionary(grouping: entries ?? [], by: { $0.0.row })
    }

    func testPerRowHoldsOutNOfEveryRowAndIsSeeded() throws {
        let (parts, _) = try split(#""method": "per_row", "validation_per_row": 2, "test_per_row": 3"#)
        let (train, validation, test) = (byRow(parts[.train]), byRow(parts[.validation]), byRow(parts[.test]))
        XCTAssertEqual(train.count, 610, "every user keeps training entries")
        for (row, entries) in train {
            let held = (validation[row]?.count ?? 0, test[row]?.count ?? 0)
            XCTAssertTrue(held == (2, 3) || (held == (0, 0) && entries.count <= 5), "row \(row): \(held)")
        }
        XCTAssertEqual(parts[.test]?.count, 3 * 610, "MovieLens users have at least 20 ratings each")
        let again = try split(#""method": "per_row", "validation_per_row": 2, "test_per_row": 3"#)
        XCTAssertEqual(again.parts[.test]?.map(\.0), parts[.test]?.map(\.0), "the same seed, the same split")
        let other = try split(#""method": "per_row", "validation_per_row": 2, "test_per_row": 3"#, seed: 4)
        XCTAssertNotEqual(Set(other.parts[.test]!.map(\.0)), Set(parts[.test]!.map(\.0)), "another seed, another split")
    }

    func testTemporalHoldsOutTheLatestEntries() throws {
        let (parts, all) = try split(#""method": "temporal", "validation": 0.1, "test": 0.2"#)
        let latest = { (part: RatingData.Part) in parts[part]!.map(\.1).max()! }
        let earliest = { (part: RatingData.Part) in parts[part]!.map(\.1).min()! }
        XCTAssertLessThanOrEqual(latest(.train), earliest(.validation))
        XCTAssertLessThanOrEqual(latest(.validation), earliest(.test))
        XCTAssertEqual(parts[.test]!.count, Int((0.2 * Double(all)).rounded()))
        XCTAssertEqual(parts[.validation]!.count, Int((0.1 * Double(all)).rounded()))
    }

    func testTemporalPerRowHoldsOutEachRowsLatest() throws {
        let (parts, _) = try split(#""method": "temporal_per_row", "validation_per_row": 1, "test_per_row": 2"#)
        let (validation, test) = (byRow(parts[.validation]), byRow(parts[.test]))
        for (row, entries) in byRow(parts[.train]) {
            let trained = entries.map(\.1).max()!
            XCTAssertEqual(test[row]?.count, 2)
            XCTAssertEqual(validation[row]?.count, 1)
            XCTAssertLessThanOrEqual(trained, validation[row]![0].1, "row \(row): validation after training")
            XCTAssertLessThanOrEqual(validation[row]![0].1, test[row]!.map(\.1).min()!, "row \(row): test latest")
        }
    }

    /// Data too small for the split's parameters: each held-out set that comes out empty is
    /// a warning saying why, and an evaluate left without validation entries says the
    /// split held out none (it asked for "a split stage with validation > 0", which the
    /// pipeline had).
    func testASplitTooSmallForItsParametersSaysSo() throws {
        try scratch.write("1,1,5\n1,2,3\n2,1,2\n2,2,4\n3,1,1\n3,2,2\n", to: "data/tiny.csv")
        for (split, warnings, exitCode) in [
            (#""method": "per_row""#, ["validation", "test"].map {
                "warning: split: held out no \($0) entries: \($0)_per_row takes them only from rows with at least 3 entries (one stays for training), "
                    + "and no row has that many; expected a smaller per-row count or a random split"
            }, 1),
            (#""method": "random", "validation": 0.05, "test": 0"#,
             ["warning: split: held out no validation entries: validation 0.05 of 6 entries rounds to none; expected a larger fraction"], 1),
        ] {
            try scratch.write("""
                {"version": 1, "name": "tiny", "workdir": "../runs", "seed": 1, "stages": [
                  {"id": "ratings", "type": "ingest", "params": {"path": "../data/tiny.csv"}},
                  {"id": "split", "type": "split", "inputs": ["ratings"], "params": {\(split)}},
                  {"id": "factorize", "type": "factorize", "inputs": ["split"], "params": {"k": [1, 2], "epochs": 2}},
                  {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"]}]}
                """, to: "pipelines/tiny.json")
            let run = try MFPipeBinary.run(["run", "pipelines/tiny.json", "--quiet"], in: scratch.root)
            XCTAssertEqual(run.exitCode, Int32(exitCode), run.stderr)
            XCTAssertEqual(run.stderr.split(separator: "\n").map(String.init), warnings + [
                "mfpipe: stage evaluate: 2 models but no validation entries to choose among them: the split held out none of these data (its warning says why)",
            ], split)
        }
    }

    func testParametersOfAnotherMethodAreRejected() throws {
        try scratch.write("""
            {"version": 1, "name": "x", "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/toy/toy.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {"method": "per_row", "test": 0.2}}]}
            """, to: "pipelines/x.json")
        let result = try MFPipeBinary.run(["validate", "pipelines/x.json"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertEqual(result.stderr, "mfpipe: pipelines/x.json: stages[1].params.test: applies to method \"random\", \"temporal\", \"kfold\", not to \"per_row\"\n")
        try scratch.write("""
            {"version": 1, "name": "x", "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/toy/toy.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {"method": "temporal"}}]}
            """, to: "pipelines/x.json")
        let untimed = try MFPipeBinary.run(["run", "pipelines/x.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(untimed.exitCode, 2)
        XCTAssertEqual(untimed.stderr, "mfpipe: pipelines/x.json: stages[1].params.method: \"temporal\" orders entries by time, but the input has no timestamps; expected an ingest stage with a timestamp column\n")
    }
}
