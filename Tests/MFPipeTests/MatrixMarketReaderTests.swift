import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// MatrixMarket layouts, fields and symmetries are read as the format defines them.
final class MatrixMarketReaderTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws {
        scratch = try Scratch()
    }

    override func tearDown() {
        scratch.remove()
    }

    func testCoordinateRealGeneralWithComments() throws {
        let parsed = try InputFixtures.readMatrixMarket("%%MatrixMarket matrix coordinate real general\n% comment\n3 4 2\n1 4 2.5\n3 1 -1\n", in: scratch)
        XCTAssertEqual(InputFixtures.triples(parsed), ["1 4 2.5", "3 1 -1.0"])
        XCTAssertEqual(parsed.rowIDs.count, 3)
        XCTAssertEqual(parsed.colIDs.count, 4)
    }

    func testSymmetricAndSkewSymmetricAreExpanded() throws {
        let symmetric = try InputFixtures.readMatrixMarket("%%MatrixMarket matrix coordinate integer symmetric\n3 3 2\n1 1 4\n3 1 7\n", in: scratch)
        XCTAssertEqual(InputFixtures.triples(symmetric), ["1 1 4.0", "3 1 7.0", "1 3 7.0"])
        let skew = try InputFixtures.readMatrixMarket("%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 1.5\n", name: "skew.mtx", in: scratch)
        XCTAssertEqual(InputFixtures.triples(skew), ["2 1 1.5", "1 2 -1.5"])
    }

    func testPatternEntriesAreOnes() throws {
        let parsed = try InputFixtures.readMatrixMarket("%%MatrixMarket matrix coordinate pattern general\n2 2 2\n1 2\n2 1\n", in: scratch)
        XCTAssertEqual(InputFixtures.triples(parsed), ["1 2 1.0", "2 1 1.0"])
    }

    func testArrayIsColumnMajorAndSymmetricArrayStoresTheLowerTriangle() throws {
        let general = try InputFixtures.readMatrixMarket("%%MatrixMarket matrix array real general\n2 3\n1\n2\n3\n4\n5\n6\n", in: scratch)
        XCTAssertEqual(InputFixtures.triples(general), ["1 1 1.0", "2 1 2.0", "1 2 3.0", "2 2 4.0", "1 3 5.0", "2 3 6.0"])
        let symmetric = try InputFixtures.readMatrixMarket("%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n4\n5\n6\n", name: "s.mtx", in: scratch)
        let dense = Dictionary(uniqueKeysWithValues: (0..<symmetric.table.count).map {
            ("\(symmetric.table.rows[$0]),\(symmetric.table.cols[$0])", symmetric.table.values[$0])
        })
        XCTAssertEqual(dense, ["0,0": 1, "1,0": 2, "2,0": 3, "1,1": 4, "2,1": 5, "2,2": 6, "0,1": 2, "0,2": 3, "1,2": 5])
        let skew = try InputFixtures.readMatrixMarket("%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n", name: "k.mtx", in: scratch)
        XCTAssertEqual(InputFixtures.triples(skew), ["2 1 1.0", "1 2 -1.0", "3 1 2.0", "1 3 -2.0", "3 2 3.0", "2 3 -3.0",
                                                     "1 1 0.0", "2 2 0.0", "3 3 0.0"], "complete: the diagonal is zero, not missing")
    }

    /// Some writers store a symmetric matrix's upper triangle; the entries mean the same.
    /// An entry given in both triangles is a duplicate, at the line of the second.
    func testSymmetricEntriesMaySitInEitherTriangle() throws {
        let upper = try InputFixtures.readMatrixMarket("%%MatrixMarket matrix coordinate real symmetric\n3 3 2\n1 3 2.5\n2 2 1\n", name: "u.mtx", in: scratch)
        XCTAssertEqual(InputFixtures.triples(upper), ["1 3 2.5", "3 1 2.5", "2 2 1.0"])
        let skew = try InputFixtures.readMatrixMarket("%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 1\n1 3 2.5\n", name: "k.mtx", in: scratch)
        XCTAssertEqual(InputFixtures.triples(skew), ["1 3 2.5", "3 1 -2.5"])
    }
}
