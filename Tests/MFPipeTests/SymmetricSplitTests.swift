import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// A random or k-fold split of a symmetric matrix keeps each entry and its mirror on the
/// same side (so a held-out entry's mirror never trains the model), is disjoint and
/// complete, and leaves the split of other matrices as it was.
final class SymmetricSplitTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws { scratch = try Scratch() }
    override func tearDown() { scratch.remove() }

    /// A seeded symmetric sparse matrix as MatrixMarket's lower triangle.
    private func writeSymmetric(size: Int, seed: UInt64) throws -> Int {
        var random = SplitMix64(seed: seed)
        var lines: [String] = []
        for col in 1...size {
            for row in col...size where row == col || random.nextUnitDouble() < 0.05 {
                lines.append("\(row) \(col) \(String(format: "%.3f", 1 + 4 * random.nextUnitDouble()))")
            }
        }
        try scratch.write("%%MatrixMarket matrix coordinate real symmetric\n\(size) \(size) \(lines.count)\n"
                          + lines.joined(separator: "\n") + "\n", to: "data/graph.mtx")
        return lines.count
    }

    private func split(_ params: String = #""validation": 0.15, "test": 0.2"#, node: String = "split-") throws -> [RatingData.Part: RatingTable] {
        try scratch.write("""
            {"version": 1, "name": "sym", "workdir": "../runs", "seed": 4, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/graph.mtx"}},
              {"id": "split", "type": "split", "inputs": ["ratings"], "params": {\(params)}}]}
            """, to: "pipelines/sym.json")
        let run = try MFPipeBinary.run(["run", "pipelines/sym.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let artifacts = scratch.url("runs/artifacts")
        let folder = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).first { $0.hasPrefix(node) })
        return try RatingData.read(from: artifacts.appendingPathComponent(folder).appendingPathComponent("data.h5")).parts
    }

    func testAnEntryAndItsMirrorAreHeldOutTogether() throws {
        let stored = try writeSymmetric(size: 300, seed: 8)
        try checkMirrorsTogether(try split(), stored: stored, test: 0.2)
    }

    func testAKFoldSplitKeepsAnEntryAndItsMirrorInOneFold() throws {
        let stored = try writeSymmetric(size: 300, seed: 8)
        try checkMirrorsTogether(try split(#""method": "kfold", "folds": 4, "test": 0.2"#, node: "split-fold3-"), stored: stored, test: 0.2)
    }

    private func checkMirrorsTogether(_ parts: [RatingData.Part: RatingTable], stored: Int, test expected: Double) throws {
        var side: [Int64: RatingData.Part] = [:]
        for (part, table) in parts {
            for entry in 0..<table.count {
                let key = Int64(table.rows[entry]) << 32 | Int64(table.cols[entry])
                XCTAssertNil(side[key], "each entry is in one part")
                side[key] = part
            }
        }
        let diagonal = 300
        XCTAssertEqual(side.count, 2 * (stored - diagonal) + diagonal, "every entry and every mirror is somewhere")
        var offDiagonalHeldOut = 0
        for (key, part) in side {
            let (row, col) = (key >> 32, key & 0xFFFF_FFFF)
            XCTAssertEqual(side[col << 32 | row], part, "(\(row), \(col)) and its mirror are on the same side")
            if part != .train && row != col { offDiagonalHeldOut += 1 }
        }
        XCTAssertGreaterThan(offDiagonalHeldOut, 100)
        let test = Double(parts[.test]?.count ?? 0) / Double(side.count)
        XCTAssertEqual(test, expected, accuracy: 0.03, "the test fraction holds, counted in entries")
    }

    func testAGeneralMatrixSplitsEntryByEntry() throws {
        // The same entries stored as a general matrix without their mirrors: nothing to pair.
        _ = try writeSymmetric(size: 300, seed: 8)
        let text = try String(contentsOf: scratch.url("data/graph.mtx"), encoding: .utf8)
        try scratch.write(text.replacingOccurrences(of: "symmetric", with: "general"), to: "data/graph.mtx")
        let parts = try split()
        let total = parts.values.reduce(0) { $0 + $1.count }
        XCTAssertEqual(Double(parts[.test]!.count), 0.2 * Double(total), accuracy: 1)
        XCTAssertEqual(Double(parts[.validation]!.count), 0.15 * Double(total), accuracy: 1)
    }
}
