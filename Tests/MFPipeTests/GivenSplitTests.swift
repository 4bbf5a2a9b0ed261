import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// A split from given train and test files (as MovieLens' u1.base / u1.test), with a row
/// and a column seen only in the test file: they become cold-start ids, exported with the
/// average row's (column's) factors and bias and n_train = 0, and predicted as such.
final class GivenSplitTests: XCTestCase {
    func testGivenFilesWithColdStartRowsAndColumns() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        var synth = SyntheticRatings()
        synth.rows = 60
        synth.cols = 40
        synth.ratings = 1500
        let matrix = synth.generate()
        let train = matrix.table.selecting(Array(0..<1200))
        let test = matrix.table.selecting(Array(1200..<matrix.table.count))
        try MatrixWriter.write(train, rowIDs: matrix.rowIDs, colIDs: matrix.colIDs, format: .delimited(delimiter: "\t", header: false), to: scratch.url("inputs/u1.base"))
        try MatrixWriter.write(test, rowIDs: matrix.rowIDs, colIDs: matrix.colIDs, format: .delimited(delimiter: "\t", header: false), to: scratch.url("inputs/u1.test"))
        let testText = try String(contentsOf: scratch.url("inputs/u1.test"), encoding: .utf8) + "newcomer\tnew-item\t4\n"
        try testText.write(to: scratch.url("inputs/u1.test"), atomically: true, encoding: .utf8)
        try scratch.write("""
            {"version": 1, "name": "given", "workdir": "../runs/given", "seed": 3, "stages": [
              {"id": "base", "type": "ingest", "params": {"path": "../inputs/u1.base"}},
              {"id": "held", "type": "ingest", "params": {"path": "../inputs/u1.test"}},
              {"id": "split", "type": "split", "inputs": ["base", "held"], "params": {"method": "given", "validation": 0.1}},
              {"id": "normalize", "type": "normalize", "inputs": ["split"]},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": {"k": [2, 4], "epochs": 20}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"]},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/given.h5"}}
            ]}
            """, to: "pipelines/given.json")
        let result = try MFPipeBinary.run(["run", "pipelines/given.json"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("train 1080, validation 120, test \(test.count + 1)"), result.stdout)
        let artifacts = scratch.url("runs/given/artifacts")
        let splitFolder = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).first { $0.hasPrefix("split-") })
        let split = try RatingData.read(from: artifacts.appendingPathComponent("\(splitFolder)/data.h5"))
        let trained = try XCTUnwrap(split.parts[.train])
        let (trainedRows, trainedCols) = (Set(trained.rows), Set(trained.cols))
        let cold = [RatingData.Part.validation, .test].flatMap { part in
            (0..<split.parts[part]!.count).filter { !trainedRows.contains(split.parts[part]!.rows[$0]) || !trainedCols.contains(split.parts[part]!.cols[$0]) }
        }.count
        XCTAssertGreaterThanOrEqual(cold, 1, "at least the newcomer's entry")
        XCTAssertTrue(result.stdout.contains("test \(test.count + 1) (\(cold) held out with a row or column that has no training entry: cold-start)"), result.stdout)

        let file = try FactorFile.read(scratch.url("out/given.h5"))
        let newcomer = try XCTUnwrap(file.rowIDs.existingIndex(of: "newcomer"))
        let newItem = try XCTUnwrap(file.colIDs.existingIndex(of: "new-item"))
        XCTAssertEqual(Int(newcomer), file.rowIDs.count - 1, "ids seen only in the test file come after the train file's")
        let model = try XCTUnwrap(file.models[file.chosen])
        let (row, col) = (model.averageRow(counts: file.rowCounts), model.averageColumn(counts: file.colCounts))
        XCTAssertEqual(Array(model.w[(Int(newcomer) * model.k)..<(Int(newcomer) * model.k + model.k)]), row.factors)
        XCTAssertNotEqual(row.factors, [Float](repeating: 0, count: model.k))
        XCTAssertEqual(model.rowBias[Int(newcomer)], row.bias)
        XCTAssertEqual(model.colBias[Int(newItem)], col.bias)
        let part = zip(row.factors, col.factors).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } + Double(row.bias) + Double(col.bias)
        let prediction = file.predictor().predict(row: newcomer, col: newItem)
        XCTAssertEqual(prediction, file.normalization.mean + part, accuracy: 1e-6, "a pair never seen in training: the global mean and the average row's and column's part")
        let h5 = try HDF5File.open(scratch.url("out/given.h5"))
        defer { try? h5.close() }
        let counts = try h5.root.openGroup("rows").read("n_train", as: Int32.self).values
        XCTAssertEqual(counts[Int(newcomer)], 0)
        XCTAssertEqual(counts.reduce(0, +), 1080 + 120, "the exported model was refit on training plus validation entries")
    }

    func testInspectListsAStageArtifact() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.copyFromRepository("pipelines/toy.json")
        XCTAssertEqual(try MFPipeBinary.run(["run", "pipelines/toy.json", "--quiet"], in: scratch.root).exitCode, 0)
        let artifacts = scratch.url("runs/toy/artifacts")
        let ingest = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).first { $0.hasPrefix("ingest-") })
        let result = try MFPipeBinary.run(["inspect", "runs/toy/artifacts/\(ingest)/data.h5"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let tree = """
            runs/toy/artifacts/\(ingest)/data.h5: HDF5 (not an exported factor file)
              @kind: ratings
              @rows: 4
              @cols: 2
              cols/
                ids (2)
              parts/
                all/
                  @cell_order: columns
                  col (8)
                  row (8)
                  value (8)
              rows/
                ids (4)

            """
        XCTAssertEqual(result.stdout, tree)

        // The folder: what its manifest says of the run, then the same tree.
        let folder = try MFPipeBinary.run(["inspect", "runs/toy/artifacts/\(ingest)"], in: scratch.root)
        XCTAssertEqual(folder.exitCode, 0, folder.stderr)
        let created = try NSRegularExpression(pattern: #"created [0-9T:Z-]+, in [0-9.]+ s"#)
        XCTAssertEqual(created.stringByReplacingMatches(in: folder.stdout, range: NSRange(folder.stdout.startIndex..., in: folder.stdout),
                                                        withTemplate: "created T, in S s"), """
            runs/toy/artifacts/\(ingest): artifact of node ingest (ingest)
              created T, in S s
              summary: \(try XCTUnwrap(try RunRecords.latestSummary(of: "ingest", workdir: scratch.url("runs/toy"))))

            """ + tree)
        try FileManager.default.createDirectory(at: scratch.url("runs/toy/artifacts/half"), withIntermediateDirectories: false)
        let half = try MFPipeBinary.run(["inspect", "runs/toy/artifacts/half"], in: scratch.root)
        XCTAssertEqual(half.exitCode, 2)
        XCTAssertEqual(half.stderr, """
            mfpipe: runs/toy/artifacts/half: a folder without manifest.json; expected an exported factor file or a complete stage artifact folder (WORKDIR/artifacts/NODE-KEY)

            """)
    }

    func testTheSecondFileCanBeTheValidationSet() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        var synth = SyntheticRatings()
        (synth.rows, synth.cols, synth.ratings) = (50, 30, 900)
        let matrix = synth.generate()
        let format = MatrixWriter.Format.delimited(delimiter: "\t", header: false)
        try MatrixWriter.write(matrix.table.selecting(Array(0..<700)), rowIDs: matrix.rowIDs, colIDs: matrix.colIDs, format: format,
                               to: scratch.url("inputs/train.tsv"))
        try MatrixWriter.write(matrix.table.selecting(Array(700..<matrix.table.count)), rowIDs: matrix.rowIDs, colIDs: matrix.colIDs,
                               format: format, to: scratch.url("inputs/held.tsv"))
        try scratch.write("""
            {"version": 1, "name": "held", "workdir": "../runs/held", "stages": [
              {"id": "base", "type": "ingest", "params": {"path": "../inputs/train.tsv"}},
              {"id": "held", "type": "ingest", "params": {"path": "../inputs/held.tsv"}},
              {"id": "split", "type": "split", "inputs": ["base", "held"], "params": {"method": "given", "held_out": "validation"}}]}
            """, to: "pipelines/held.json")
        let result = try MFPipeBinary.run(["run", "pipelines/held.json"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("train 700, validation \(matrix.table.count - 700), test 0"), result.stdout)
        let misplaced = try MFPipeBinary.run(["validate", "pipelines/held.json", "--set", "split.method=random"], in: scratch.root)
        XCTAssertEqual(misplaced.exitCode, 2)
        XCTAssertEqual(misplaced.stderr, "mfpipe: pipelines/held.json: stages[2].params.held_out: applies to method \"given\", not to \"random\"\n")
    }
}
