import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Every kind of bad input: exit code 2, one line naming file and line (and field) with what
/// was found and what was expected, and no artifact left behind.
final class IngestBadInputTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws {
        scratch = try Scratch()
    }

    override func tearDown() {
        scratch.remove()
    }

    /// Writes `content` to `name`, ingests it with extra `params`, and checks the failure.
    private func assertRejected(_ name: String, _ content: Data, params: String = "", _ message: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        try FileManager.default.createDirectory(at: scratch.url("inputs"), withIntermediateDirectories: true)
        try content.write(to: scratch.url("inputs/\(name)"))
        try InputFixtures.ingestPipeline(reading: "inputs/\(name)", params: params, in: scratch)
        let result = try MFPipeBinary.run(["run", "pipelines/ingest.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 2, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderr, "mfpipe: inputs/\(name)\(message)\n", file: file, line: line)
        let artifacts = scratch.url("runs/ingest/artifacts")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: artifacts.path)) ?? [], [], file: file, line: line)
    }

    private func assertRejected(_ name: String, _ text: String, params: String = "", _ message: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        try assertRejected(name, Data(text.utf8), params: params, message, file: file, line: line)
    }

    /// Ratings written by pandas' to_csv keep its index first, under an empty name: read by
    /// the default column indices, the index became the row ids, the users the columns and
    /// the items the values, without a word.
    func testAnUnnamedIndexColumnIsNeverReadAsIDsOrValues() throws {
        try assertRejected("indexed.csv", ",userId,movieId,rating\n0,1,31,2.5\n1,1,1029,3\n",
                           #":1: the first column has no name in the header (an index written by pandas or R?) and would be the row column; expected columns chosen by name, such as "columns": {"row": "userId", "col": "movieId", "value": "rating"}, or by index past it"#)
        for columns in [#"{"row": "userId", "col": "movieId", "value": "rating"}"#, #"{"row": 1, "col": 2, "value": 3}"#] {
            try? FileManager.default.removeItem(at: scratch.url("runs"))
            try InputFixtures.ingestPipeline(reading: "inputs/indexed.csv", params: #""columns": "# + columns, in: scratch)
            let result = try MFPipeBinary.run(["run", "pipelines/ingest.json"], in: scratch.root)
            XCTAssertEqual(result.exitCode, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains(": 2 entries, 1 row x 2 columns from inputs/indexed.csv"), result.stdout)
        }
    }

    func testEmptyFile() throws {
        try assertRejected("empty.csv", "", ": empty file; expected rows of row, column, value")
    }

    func testHeaderOnly() throws {
        try assertRejected("header.csv", "user,item,rating\n", ": only a header; expected at least one data row")
    }

    func testNonNumericValue() throws {
        try assertRejected("words.csv", "1,2,3\n1,3,abc\n", ":2:3: found \"abc\" in the value column; expected a number")
    }

    func testNaNAndInfiniteValues() throws {
        try assertRejected("nan.csv", "1,2,3\n1,3,NaN\n", ":2:3: found \"NaN\" in the value column; expected a finite number")
        try assertRejected("inf.csv", "1,2,3\n1,3,-inf\n", ":2:3: found \"-inf\" in the value column; expected a finite number")
        try assertRejected("huge.csv", "1,2,3\n1,3,1e39\n", ":2:3: found \"1e39\" in the value column; expected a number within ±3.4e38 (values are held as 32-bit floats)")
    }

    /// A first line with numeric row and column ids and a bad value is data, not a header:
    /// its value is reported, where taking it for a header would drop it silently; a decimal
    /// comma is named as such, with the delimiter given or detected (detection had taken the
    /// line's one comma for the delimiter: "found 2 fields separated by ','").
    func testABadValueOnTheFirstLineIsNotTakenForAHeader() throws {
        try assertRejected("first-nan.csv", "1,10,nan\n2,20,3\n", ":1:3: found \"nan\" in the value column; expected a finite number")
        let decimalComma = ":1:3: found \"4,5\" in the value column; expected a number with a decimal point (4.5; ingest reads a decimal comma with \"decimal\": \",\")"
        try assertRejected("decimal-comma.csv", "1;10;4,5\n2;20;3\n", params: #""delimiter": ";""#, decimalComma)
        try assertRejected("decimal-comma-detected.csv", "1;10;4,5\n2;20;3\n", decimalComma)
    }

    /// Two roles on one field, or a chosen name the header gives twice, would read one
    /// column as another (both were accepted: "user" twice took the first).
    func testAColumnIsChosenOnceAndNamedOnce() throws {
        try assertRejected("same.csv", "user,item,score\n1,2,3\n", params: #""columns": {"row": "user", "col": "user", "value": "score"}"#,
                           ":1: columns.row and columns.col are both field 0 (\"user\"), counting from 0; expected a field of its own for each")
        try assertRejected("same-index.csv", "1,2,3\n", params: #""columns": {"row": 0, "col": 1, "value": 1}"#,
                           ":1: columns.col and columns.value are both field 1, counting from 0; expected a field of its own for each")
        try assertRejected("twice.csv", "user,item,rating,user\n1,2,3,4\n", params: #""columns": {"row": "user", "col": "item", "value": "rating"}"#,
                           ":1: the header names \"user\" twice (fields 0 and 3, counting from 0); expected the row column named once, or chosen by index")
    }

    func testMissingColumn() throws {
        try assertRejected("short.csv", "1,2,3\n1,3\n", ":2: found 2 fields separated by ','; expected at least 3 (columns.value is field 2, counting from 0)")
    }

    /// A column given by its 1-based position, as cut and awk count, runs one past the last
    /// field: the message says which column asked for it, and that indices count from 0.
    func testAColumnIndexPastTheLastFieldNamesTheColumnAndTheBase() throws {
        try assertRejected("u.data", "1\t31\t2.5\t1260759144\n1\t1029\t3\t1260759179\n",
                           params: #""columns": {"row": 1, "col": 2, "value": 3, "timestamp": 4}"#,
                           ":1: found 4 fields separated by tab; expected at least 5 (columns.timestamp is field 4, counting from 0)")
    }

    func testMissingNamedColumn() throws {
        try assertRejected("named.csv", "user,item,stars\n1,2,3\n", params: #""columns": {"row": "user", "col": "item", "value": "rating"}"#,
                           #":1: no value column named "rating" in the header; found "user", "item", "stars""#)
    }

    func testBinaryGarbage() throws {
        try assertRejected("binary.csv", Data([0x00, 0x01, 0x02, 0xFF, 0xFE, 0x41, 0x00, 0x0A]), ":1: binary data (a NUL byte); expected delimited text")
    }

    /// A spreadsheet's "Unicode text" export is UTF-16: named as such, with the conversion,
    /// whether it starts with a byte-order mark or not.
    func testUTF16IsNamed() throws {
        let text = "user,item,rating\n1,2,3\n"
        let message = ":1: UTF-16 text; expected UTF-8 (iconv -f UTF-16 -t UTF-8 converts it)"
        try assertRejected("marked.csv", Data([0xFF, 0xFE]) + text.data(using: .utf16LittleEndian)!, message)
        try assertRejected("unmarked.csv", text.data(using: .utf16BigEndian)!, message)
        try assertRejected("unmarked.mtx", "%%MatrixMarket matrix coordinate real general\n".data(using: .utf16LittleEndian)!, message)
    }

    /// Compressed files other than gzip, spreadsheets, Parquet and HDF5 are named by their
    /// first bytes, with the way to text; they were "binary data" or a line of one field.
    func testOtherFileFormatsAreNamed() throws {
        let cases: [(String, [UInt8], String)] = [
            ("ratings.csv.bz2", Array("BZh91AY&SY".utf8) + [0, 1], "a bzip2 file; expected text, plain or gzip (bunzip2 decompresses it)"),
            ("ratings.csv.xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00, 0x04], "an xz file; expected text, plain or gzip (unxz decompresses it)"),
            ("ratings.xlsx", Array("PK".utf8) + [0x03, 0x04, 0x14, 0x00, 0x06, 0x00], "a zip archive (an .xlsx workbook is one); expected text, plain or gzip (unzip it, or save the sheet as CSV)"),
            ("ratings.parquet", Array("PAR1".utf8) + [0x15, 0x04], "a Parquet file; expected text, plain or gzip (write it as CSV, as pandas' to_csv does)"),
        ]
        for (name, bytes, message) in cases {
            try assertRejected(name, Data(bytes), ": " + message)
        }
    }

    func testTruncatedGzip() throws {
        try scratch.write("1,2,3\n4,5,6\n7,8,9\n", to: "whole.csv")
        try InputFixtures.gzip("whole.csv", in: scratch)
        let compressed = try Data(contentsOf: scratch.url("whole.csv.gz"))
        try assertRejected("cut.csv.gz", compressed.prefix(compressed.count - 6), ": truncated gzip file: the compressed stream ends early")
    }

    func testDuplicatePairsUnderTheErrorPolicy() throws {
        try assertRejected("dup.csv", "u,i,r\n1,2,3\n1,3,4\n1,2,5\n",
                           ":4: duplicate entry for row 1, column 2 (first at line 2); expected each pair once, or set duplicates to last, mean or sum")
        try assertRejected("dup.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 x\n2 2 1\n2 2 3\n", params: #""bad_rows": "skip""#,
                           ":5: duplicate entry for row 2, column 2 (first at line 4); expected each pair once, or set duplicates to last, mean or sum")
        try assertRejected("both.mtx", "%%MatrixMarket matrix coordinate real symmetric\n3 3 2\n1 2 1.5\n2 1 2.5\n",
                           ":4: duplicate entry for row 2, column 1 (first at line 3); expected each pair once, or set duplicates to last, mean or sum")
    }

    func testMatrixMarketBadBanner() throws {
        try assertRejected("banner.mtx", "%%MatrixMarket matrix coordinat real general\n1 1 1\n1 1 1\n", params: #""format": "matrixmarket""#,
                           ":1: unsupported format \"coordinat\"; expected coordinate or array")
        try assertRejected("nobanner.mtx", "3 3 1\n1 1 1\n", params: #""format": "matrixmarket""#,
                           ":1: found \"3 3 1\"; expected a banner '%%MatrixMarket matrix <coordinate|array> <real|integer|pattern> <general|symmetric|skew-symmetric>'")
    }

    func testMatrixMarketComplexField() throws {
        try assertRejected("complex.mtx", "%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n",
                           ":1: unsupported field \"complex\"; expected real, integer or pattern")
    }

    func testMatrixMarketMalformedSizeLine() throws {
        try assertRejected("size.mtx", "%%MatrixMarket matrix coordinate real general\n1 x 1\n1 1 1\n",
                           ":2: malformed size line \"1 x 1\"; expected 'rows columns entries' as non-negative integers")
        try assertRejected("wide.mtx", "%%MatrixMarket matrix coordinate real general\n3 3000000000 1\n1 1 1\n",
                           ":2: declares 3000000000 columns; expected at most 2147483647, what 32-bit indices hold")
    }

    func testMatrixMarketFewerAndMoreEntriesThanDeclared() throws {
        try assertRejected("fewer.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 2 1\n", ":4: found 2 entries; the size line declares 3")
        try assertRejected("more.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 1\n", ":4: more entries than the 1 the size line declares")
        try assertRejected("skippedFewer.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 x\n2 2 2\n", params: #""bad_rows": "skip""#,
                           ":4: found 2 entries; the size line declares 3")
    }

    func testMatrixMarketIndexOutOfRangeAndZeroIndex() throws {
        try assertRejected("range.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n3 2 1\n", ":4:1: row index 3 is out of range; expected 1 to 2")
        try assertRejected("zero.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n2 0 1\n", ":4:2: index 0; MatrixMarket indices start at 1")
    }

    func testMatrixMarketValueBeyondFloatRange() throws {
        try assertRejected("huge.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n2 2 -4e38\n",
                           ":4:3: found \"-4e38\"; expected a number within ±3.4e38 (values are held as 32-bit floats)")
    }

    func testMatrixMarketWithNoEntries() throws {
        try assertRejected("none.mtx", "%%MatrixMarket matrix coordinate real general\n% nothing\n3 3 0\n", ":3: declares no entries; expected at least one")
        try assertRejected("skipped.mtx", "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 x\n2 2 y\n", params: #""bad_rows": "skip""#,
                           ": no valid entries (2 bad rows skipped); expected at least one")
    }

    func testMatrixMarketArrayWithTheWrongCount() throws {
        try assertRejected("array.mtx", "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n", ":5: found 3 entries; the size line declares 4")
    }

    func testDenseMatrixWithARaggedRowOrABadValue() throws {
        try assertRejected("ragged.csv", "a,b,c\n1,2,3\n4,5\n", params: #""format": "dense""#, ":3: found 2 fields; expected 3 as on line 1")
        try assertRejected("word.csv", "1,2,3\n4,five,6\n", params: #""format": "dense""#, ":2:2: found \"five\"; expected a finite number, or an empty field or NA for a missing entry")
        // On the first line too: it has numbers, so it is data, not a header to drop.
        try assertRejected("first-word.csv", "1,inf,3\n4,5,6\n", params: #""format": "dense""#,
                           ":1:2: found \"inf\"; expected a finite number, or an empty field or NA for a missing entry")
        try assertRejected("huge-comma.csv", "1;2\n3;5,1e39\n", params: #""format": "dense", "delimiter": ";", "decimal": ",""#,
                           ":2:2: found \"5,1e39\"; expected a number within ±3.4e38 (values are held as 32-bit floats), or an empty field or NA for a missing entry")
    }

    func testSkipPolicyCountsBadRowsAndFailsPastTheCap() throws {
        try assertRejected("capped.csv", "1,2,3\n1,3,x\n1,4,y\n1,5,6\n", params: #""bad_rows": "skip", "max_bad_rows": 1"#,
                           ":3: more than 1 bad row (max_bad_rows); the first was at line 2: found \"x\" in the value column; expected a number")
        try scratch.write("1,2,3\n1,3,x\n1,5,6\n", to: "inputs/skipped.csv")
        try InputFixtures.ingestPipeline(reading: "inputs/skipped.csv", params: #""bad_rows": "skip", "max_bad_rows": 1"#, in: scratch)
        let result = try MFPipeBinary.run(["run", "pipelines/ingest.json"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("2 entries, 1 row x 2 columns from inputs/skipped.csv, 1 bad row skipped"), result.stdout)
    }

    func testEarlierArtifactsAreUntouchedByAFailedRun() throws {
        try scratch.write("1,2,3\n", to: "inputs/good.csv")
        try InputFixtures.ingestPipeline(reading: "inputs/good.csv", in: scratch)
        XCTAssertEqual(try MFPipeBinary.run(["run", "pipelines/ingest.json", "--quiet"], in: scratch.root).exitCode, 0)
        let artifacts = scratch.url("runs/ingest/artifacts")
        let before = try FileManager.default.contentsOfDirectory(atPath: artifacts.path)
        try scratch.write("1,2,3\n1,2,x\n", to: "inputs/good.csv")
        let failed = try MFPipeBinary.run(["run", "pipelines/ingest.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(failed.exitCode, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: artifacts.path), before)
    }
}
