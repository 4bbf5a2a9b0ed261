import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The reference method on SPEC's 4 x 2 matrix, end to end through the CLI.
final class ToyPipelineTests: XCTestCase {
    func testToyPipelineReconstructsTheMatrixFromTheExportedFile() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.copyFromRepository("pipelines/toy.json")
        let result = try MFPipeBinary.run(["run", "pipelines/toy.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 0, result.stderr)

        let file = try FactorFile.read(scratch.url("out/toy.h5"))
        let model = try XCTUnwrap(file.models[file.chosen])
        XCTAssertEqual(model.k, 2)
        XCTAssertEqual(model.info.algorithm, "adam")
        let matrix: [[Double]] = [[5, 3], [3, 2], [2, 1], [1, 1]]
        var squaredError = 0.0
        for row in 0..<4 {
            for col in 0..<2 {
                var value = 0.0
                for factor in 0..<2 { value += Double(model.w[row * 2 + factor]) * Double(model.h[factor * 2 + col]) }
                squaredError += (value - matrix[row][col]) * (value - matrix[row][col])
            }
        }
        XCTAssertLessThan(squaredError / 8, 1e-10)
        // Nothing is held out: the log gives the training RMSE, never a NaN metric.
        let summary = try XCTUnwrap(RunRecords.latestSummary(of: "evaluate", workdir: scratch.url("runs/toy")))
        let words = summary.split(separator: " ")
        XCTAssertEqual(words.count, 8, summary)
        XCTAssertEqual(words.prefix(4).joined(separator: " ") + " " + words.suffix(3).joined(separator: " "),
                       "chose k=2: train RMSE (no held-out entries)")
        XCTAssertLessThan(try XCTUnwrap(Double(words[4])), 1e-6, summary)
    }

    func testToyCSVAndMatrixMarketIngestTheSameMatrix() throws {
        let directory = MFPipeBinary.packageRoot.appendingPathComponent("data/toy")
        var policy = BadRowPolicy(skip: false, maximum: 0)
        let market = try MatrixMarketReader(url: directory.appendingPathComponent("toy.mtx"), displayName: "toy.mtx").read(policy: &policy)
        let csv = try DelimitedReader(url: directory.appendingPathComponent("toy.csv"), displayName: "toy.csv", options: .init()).read(policy: &policy)
        func dense(_ parsed: ParsedMatrix) -> [[Float]] {
            var matrix = [[Float]](repeating: [0, 0], count: 4)
            for entry in 0..<parsed.table.count {
                matrix[Int(parsed.table.rows[entry])][Int(parsed.table.cols[entry])] = parsed.table.values[entry]
            }
            return matrix
        }
        XCTAssertEqual(dense(market), [[5, 3], [3, 2], [2, 1], [1, 1]])
        XCTAssertEqual(dense(csv), dense(market))
        XCTAssertEqual(csv.rowIDs.ids, ["r1", "r2", "r3", "r4"])
        XCTAssertEqual(market.colIDs.ids, ["1", "2"])
    }
}
