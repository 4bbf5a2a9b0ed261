import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// normalize: every method and transform is fitted on training entries, inverted exactly
/// at prediction time, and its parameters are checked against the method.
final class NormalizationTests: XCTestCase {
    /// A 30 x 4 matrix whose columns have very different locations and spreads, and an
    /// unseen fifth column.
    private func table() -> RatingTable {
        var random = SplitMix64(seed: 12)
        var table = RatingTable()
        for row in 0..<30 {
            for col in 0..<4 {
                table.append(row: Int32(row), col: Int32(col), value: Float(Double(col * 100) + Double(col + 1) * random.nextGaussian()))
            }
        }
        return table
    }

    func testStandardizingColumnsGivesZScoresAndInvertsExactly() {
        let train = table()
        let normalization = Normalization.fit(.standardize, axis: .column, train: train, rows: 30, cols: 5)
        let normalized = normalization.normalizedValues(of: train)
        for col in 0..<4 {
            let values = (0..<train.count).filter { train.cols[$0] == Int32(col) }.map { Double(normalized[$0]) }
            let mean = values.reduce(0, +) / Double(values.count)
            let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
            XCTAssertEqual(mean, 0, accuracy: 1e-5, "column \(col)")
            XCTAssertEqual(deviation, 1, accuracy: 1e-5, "column \(col)")
        }
        for entry in 0..<train.count {
            // float32 normalized values of numbers up to 300 round-trip to about 1e-4.
            XCTAssertEqual(normalization.denormalized(Double(normalized[entry]), row: train.rows[entry], col: train.cols[entry]),
                           Double(train.values[entry]), accuracy: 1e-4)
        }
        XCTAssertEqual(normalization.denormalized(0, row: 0, col: 4), normalization.mean, "an unseen column predicts the global mean")
        XCTAssertEqual(normalization.mean, Double(train.values.map(Double.init).reduce(0, +)) / Double(train.count), accuracy: 1e-9)
    }

    func testMinMaxPutsEveryLineInTheUnitInterval() {
        let train = table()
        for axis in Normalization.Axis.allCases {
            let normalization = Normalization.fit(.minmax, axis: axis, train: train, rows: 30, cols: 5)
            let normalized = normalization.normalizedValues(of: train)
            XCTAssertEqual(normalized.min()!, 0, accuracy: 1e-6, "\(axis)")
            XCTAssertEqual(normalized.max()!, 1, accuracy: 1e-6, "\(axis)")
        }
    }

    func testLog1pIsInvertedAfterTheOffsets() {
        let train = RatingTable(rows: [0, 0, 1, 1], cols: [0, 1, 0, 1], values: [0, 9, 99, 999])
        let normalization = Normalization.fit(.center, axis: .row, transform: .log1p, train: train, rows: 2, cols: 2)
        let normalized = normalization.normalizedValues(of: train)
        for entry in 0..<4 {
            XCTAssertEqual(normalization.denormalized(Double(normalized[entry]), row: train.rows[entry], col: train.cols[entry]),
                           Double(train.values[entry]), accuracy: 1e-3 * max(1, Double(train.values[entry])))
        }
        XCTAssertEqual(Double(normalized[0]), -log(10) / 2, accuracy: 1e-6, "row 0 is centred on the mean of log1p(0) and log1p(9)")
    }

    func testParametersAreCheckedAgainstTheMethodAndLog1pAgainstTheData() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("r,c,v\na,x,2\nb,x,-3\nb,y,5\n", to: "data/values.csv")
        try scratch.write("""
            {"version": 1, "name": "norm", "workdir": "../runs", "stages": [
              {"id": "values", "type": "ingest", "params": {"path": "../data/values.csv"}},
              {"id": "normalize", "type": "normalize", "inputs": ["values"], "params": {"method": "biases", "axis": "row"}}]}
            """, to: "pipelines/norm.json")
        let misplaced = try MFPipeBinary.run(["validate", "pipelines/norm.json"], in: scratch.root)
        XCTAssertEqual(misplaced.exitCode, 2)
        XCTAssertEqual(misplaced.stderr,
                       "mfpipe: pipelines/norm.json: stages[1].params.axis: applies to method \"center\", \"standardize\" or \"minmax\", not to \"biases\"\n")
        let log = try MFPipeBinary.run(["run", "pipelines/norm.json", "--quiet", "--set", "normalize.method=center",
                                        "--set", "normalize.transform=log1p"], in: scratch.root)
        XCTAssertEqual(log.exitCode, 2)
        XCTAssertEqual(log.stderr,
                       "mfpipe: pipelines/norm.json: stages[1].params.transform: log1p needs values above -1; the training entry (row \"b\", column \"x\") is -3.0\n")
    }
}
