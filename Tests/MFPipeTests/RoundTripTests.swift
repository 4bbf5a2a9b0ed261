import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Property: random matrices written in every supported format, plain and gzip, read
/// back exactly — the same ids and the same bits of every value.
final class RoundTripTests: XCTestCase {
    private struct Entry: Hashable {
        let row: String
        let col: String
        let bits: UInt32
    }

    /// A random float with a full mantissa, across magnitudes from 1e-30 to 1e30.
    private func randomValue(_ random: inout SplitMix64) -> Float {
        let magnitude = Float(random.nextGaussian()) * powf(10, Float(random.nextIndex(below: 13)) - 6)
        return random.nextIndex(below: 10) == 0 ? Float(random.nextIndex(below: 11)) / 2 : magnitude
    }

    private func randomMatrix(_ random: inout SplitMix64, dense: Bool, textIDs: Bool) -> (RatingTable, IdTable, IdTable) {
        let rows = 5 + random.nextIndex(below: 30)
        let cols = 3 + random.nextIndex(below: 20)
        var table = RatingTable()
        for row in 0..<rows {
            for col in 0..<cols where dense || random.nextIndex(below: 3) == 0 {
                table.append(row: Int32(row), col: Int32(col), value: randomValue(&random))
            }
        }
        if table.count == 0 { table.append(row: 0, col: 0, value: 1) }
        let rowIDs = textIDs ? IdTable(ids: (0..<rows).map { "user-\($0 * 7 + 3)" }) : .oneBased(count: rows)
        let colIDs = textIDs ? IdTable(ids: (0..<cols).map { "item \($0)" }) : .oneBased(count: cols)
        return (table, rowIDs, colIDs)
    }

    private func entries(_ table: RatingTable, _ rowIDs: IdTable, _ colIDs: IdTable) -> [Entry: Int] {
        var counts: [Entry: Int] = [:]
        for index in 0..<table.count {
            counts[Entry(row: rowIDs.ids[Int(table.rows[index])], col: colIDs.ids[Int(table.cols[index])], bits: table.values[index].bitPattern), default: 0] += 1
        }
        return counts
    }

    func testEveryFormatReadsBackExactly() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        var random = SplitMix64(seed: 2026)
        let formats: [(name: String, format: MatrixWriter.Format, dense: Bool, textIDs: Bool)] = [
            ("comma.csv", .delimited(delimiter: ",", header: true), false, true),
            ("tab.tsv", .delimited(delimiter: "\t", header: false), false, false),
            ("ratings.dat", .delimited(delimiter: "::", header: false), false, false),
            ("semicolon.csv", .delimited(delimiter: ";", header: true), false, true),
            ("coordinate.mtx", .matrixMarketCoordinate, false, false),
            ("array.mtx", .matrixMarketArray, true, false),
            ("dense.csv", .denseCSV, true, true),
        ]
        for trial in 0..<6 {
            for (name, format, dense, textIDs) in formats {
                let (table, rowIDs, colIDs) = randomMatrix(&random, dense: dense, textIDs: textIDs)
                let expected = entries(table, rowIDs, colIDs)
                for compressed in [false, true] {
                    let file = "trial\(trial)-\(name)"
                    try MatrixWriter.write(table, rowIDs: rowIDs, colIDs: colIDs, format: format, to: scratch.url(file))
                    var path = file
                    if compressed {
                        try InputFixtures.gzip(file, in: scratch)
                        path += ".gz"
                    }
                    let url = scratch.url(path)
                    var policy = BadRowPolicy(skip: false, maximum: 0)
                    let parsed: ParsedMatrix
                    switch format {
                    case .matrixMarketCoordinate, .matrixMarketArray:
                        parsed = try MatrixMarketReader(url: url, displayName: path).read(policy: &policy)
                    case .denseCSV:
                        parsed = try DenseMatrixReader(url: url, displayName: path, delimiter: nil, header: nil, rowNames: nil).read(policy: &policy)
                    case .delimited(let delimiter, let header):
                        var options = DelimitedReader.Options()
                        options.delimiter = FieldSplitter.Delimiter(delimiter)
                        options.header = header
                        parsed = try DelimitedReader(url: url, displayName: path, options: options).read(policy: &policy)
                    }
                    XCTAssertEqual(parsed.table.count, table.count, path)
                    XCTAssertEqual(entries(parsed.table, parsed.rowIDs, parsed.colIDs), expected, path)
                    if case .delimited = format {} else {
                        XCTAssertEqual(parsed.rowIDs.count, rowIDs.count, path)
                        XCTAssertEqual(parsed.colIDs.count, colIDs.count, path)
                    }
                }
            }
        }
    }

    func testDenseMatrixWithMissingEntriesAndNamedRows() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let url = try scratch.write("gene,s1,s2,s3\ng1,1.5,,3\ng2,4,5,6\n", to: "expression.csv")
        var policy = BadRowPolicy(skip: false, maximum: 0)
        let parsed = try DenseMatrixReader(url: url, displayName: "expression.csv", delimiter: nil, header: nil, rowNames: nil).read(policy: &policy)
        XCTAssertEqual(parsed.rowIDs.ids, ["g1", "g2"])
        XCTAssertEqual(parsed.colIDs.ids, ["s1", "s2", "s3"])
        XCTAssertEqual(InputFixtures.triples(parsed), ["g1 s1 1.5", "g1 s3 3.0", "g2 s1 4.0", "g2 s2 5.0", "g2 s3 6.0"])
    }
}
