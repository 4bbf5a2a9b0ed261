import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Inputs that look odd but are valid are read exactly.
final class DelimitedReaderTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws {
        scratch = try Scratch()
    }

    override func tearDown() {
        scratch.remove()
    }

    func testMovieLensDoubleColonWithoutHeader() throws {
        let parsed = try InputFixtures.readDelimited("1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n", name: "ratings.dat", in: scratch)
        XCTAssertEqual(InputFixtures.triples(parsed), ["1 1193 5.0", "1 661 3.0", "2 1193 4.0"])
        XCTAssertEqual(parsed.rowIDs.ids, ["1", "2"])
        XCTAssertEqual(parsed.colIDs.ids, ["1193", "661"])
    }

    func testTabSeparatedUData() throws {
        var options = DelimitedReader.Options()
        options.timestamp = .index(3)
        let parsed = try InputFixtures.readDelimited("196\t242\t3\t881250949\n186\t302\t3\t891717742\n", name: "u.data", options: options, in: scratch)
        XCTAssertEqual(InputFixtures.triples(parsed), ["196 242 3.0", "186 302 3.0"])
        XCTAssertEqual(parsed.table.timestamps, [881_250_949, 891_717_742])
    }

    /// Timestamps as exports write them: Unix seconds, decimal seconds (the fraction
    /// dropped), ISO 8601 dates and times with or without a zone; the seconds are Python's
    /// `datetime.fromisoformat(...).timestamp()`, floored.
    func testTimestampsAsUnixSecondsOrISODates() throws {
        var options = DelimitedReader.Options()
        options.timestamp = .index(3)
        let stamps: [(String, Int64)] = [
            ("978300760", 978_300_760), ("964982703.5", 964_982_703), ("2005-09-06", 1_125_964_800),
            ("2005-09-06T14:03:00", 1_126_015_380), ("2005-09-06 14:03:00.250", 1_126_015_380), ("2005-09-06T14:03:00Z", 1_126_015_380),
            ("2005-09-06T14:03:00+02:00", 1_126_008_180), ("2005-09-06T14:03-05:30", 1_126_035_180), ("1969-12-31T23:59:59Z", -1),
            ("2000-02-29", 951_782_400), ("1900-03-01", -2_203_891_200),
        ]
        let text = stamps.enumerated().map { "\($0.offset),1,5,\($0.element.0)" }.joined(separator: "\n") + "\n"
        let parsed = try InputFixtures.readDelimited(text, name: "dated.csv", options: options, in: scratch)
        XCTAssertEqual(parsed.table.timestamps, stamps.map(\.1))
        for bad in ["2005-02-29", "2005-13-01", "2005-09-06T24:00", "2005-09-06T14:03:00+2", "06/09/2005"] {
            XCTAssertThrowsError(try InputFixtures.readDelimited("1,1,5,\(bad)\n", name: "bad.csv", options: options, in: scratch), bad) { error in
                XCTAssertEqual("\(error)", "bad.csv:1:4: found \"\(bad)\" in the timestamp column; expected Unix seconds or an ISO 8601 date or time (2005-09-06, 2005-09-06T14:03:00Z)")
            }
        }
    }

    /// Integer ids written with a zero fraction (`42.0`), as pandas writes them from a
    /// column that held a missing value, are the integer ids, quoted or not; other decimals
    /// and zero-padded ids stay text.
    func testIntegralDecimalIDsAreTheIntegerIDs() throws {
        let parsed = try InputFixtures.readDelimited("1,7,1\n1.0,7.00,2\n\"1.0\",7,3\n1.5,01.0,4\n1.,7,5\n", name: "floats.csv",
                                                     options: DelimitedReader.Options(), in: scratch)
        XCTAssertEqual(parsed.rowIDs.ids, ["1", "1.5", "1."])
        XCTAssertEqual(parsed.colIDs.ids, ["7", "01.0"])
        XCTAssertEqual(parsed.table.rows, [0, 0, 0, 1, 2])
    }

    /// A vertical bar separates fields as database exports and MovieLens 100K's `u.user`
    /// write them; auto-detection took such a line for one white-space field.
    func testAVerticalBarIsDetected() throws {
        let parsed = try InputFixtures.readDelimited("user|item|rating\n1|2|3.5\n2|3|4\n", name: "bar.csv", options: DelimitedReader.Options(), in: scratch)
        XCTAssertEqual(InputFixtures.triples(parsed), ["1 2 3.5", "2 3 4.0"])
    }

    /// `decimal: ","`: values written with a decimal comma, as spreadsheets do in much of
    /// Europe, beside a ';' delimiter — detected even without a header line, where a comma
    /// would otherwise be taken for the delimiter — in triplets and in a dense matrix; a
    /// comma delimiter with it is refused.
    func testValuesWithADecimalComma() throws {
        var options = DelimitedReader.Options()
        options.decimalComma = true
        let parsed = try InputFixtures.readDelimited("1;1;4,5\n2;3;3,25\n2;1;1e-1\n3;2;-0,5\n", name: "comma.csv", options: options, in: scratch)
        XCTAssertEqual(InputFixtures.triples(parsed), ["1 1 4.5", "2 3 3.25", "2 1 0.1", "3 2 -0.5"])
        let url = try scratch.write("name;a;b\nr1;1,5;2,5\nr2;3;4,25\n", to: "dense.csv")
        var policy = BadRowPolicy(skip: false, maximum: 0)
        let dense = try DenseMatrixReader(url: url, displayName: "dense.csv", delimiter: nil, header: nil, rowNames: nil, decimalComma: true)
            .read(policy: &policy)
        XCTAssertEqual(dense.rowIDs.ids, ["r1", "r2"])
        XCTAssertEqual(dense.colIDs.ids, ["a", "b"])
        XCTAssertEqual(dense.table.values, [1.5, 2.5, 3, 4.25])
        try scratch.write("1;1;4,5\n", to: "data/comma.csv")
        try scratch.write("""
            {"version": 1, "name": "comma", "workdir": "../runs", "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/comma.csv", "decimal": ",", "delimiter": ","}}]}
            """, to: "pipelines/comma.json")
        let refused = try MFPipeBinary.run(["validate", "pipelines/comma.json"], in: scratch.root)
        XCTAssertEqual(refused.exitCode, 2)
        XCTAssertEqual(refused.stderr, "mfpipe: pipelines/comma.json: stages[0].params.decimal: a decimal comma needs another delimiter; expected \"delimiter\": \";\" (or auto), found \",\"\n")
    }

    func testHeaderByNameWithCRLFByteOrderMarkAndNoFinalNewline() throws {
        var options = DelimitedReader.Options()
        options.row = .name("user")
        options.col = .name("item")
        options.value = .name("score")
        let text = "\u{FEFF}item,user,score\r\nb,u1,4.5\r\na,u2,0.25"
        let parsed = try InputFixtures.readDelimited(text, options: options, in: scratch)
        XCTAssertEqual(InputFixtures.triples(parsed), ["u1 b 4.5", "u2 a 0.25"])
    }

    /// Detection counts the delimiters outside quotes: semicolons in a quoted title leave
    /// a comma-separated line comma-separated, and commas in a quoted field leave a
    /// semicolon-separated one semicolon-separated.
    func testDetectionLooksOutsideQuotes() throws {
        let commas = try InputFixtures.readDelimited("\"a;b;c;d\",x,3\ne,x,4\n", name: "commas.csv", options: DelimitedReader.Options(), in: scratch)
        XCTAssertEqual(InputFixtures.triples(commas), ["a;b;c;d x 3.0", "e x 4.0"])
        let semicolons = try InputFixtures.readDelimited("\"a,b,c\";x;3\ne;x;4\n", name: "semicolons.csv", options: DelimitedReader.Options(), in: scratch)
        XCTAssertEqual(InputFixtures.triples(semicolons), ["a,b,c x 3.0", "e x 4.0"])
    }

    func testQuotedFieldsWithDelimitersAndEscapedQuotes() throws {
        let parsed = try InputFixtures.readDelimited("\"Smith, J\",\"The \"\"Movie\"\"\",3\nplain,\"x\",\"2.5\"\n", in: scratch)
        XCTAssertEqual(parsed.rowIDs.ids, ["Smith, J", "plain"])
        XCTAssertEqual(parsed.colIDs.ids, ["The \"Movie\"", "x"])
        XCTAssertEqual(parsed.table.values, [3, 2.5])
    }

    func testHeaderIsDetectedAndBlankAndCommentLinesSkipped() throws {
        let parsed = try InputFixtures.readDelimited("userId,movieId,rating\n\n# a comment\n7,8,1.5\n   \n9,8,2\n", in: scratch)
        XCTAssertEqual(InputFixtures.triples(parsed), ["7 8 1.5", "9 8 2.0"])
    }

    func testStringAndNumericIDsKeepFirstSeenOrderAndLeadingZerosStayDistinct() throws {
        let parsed = try InputFixtures.readDelimited("7,a,1\n007,a,2\nx7,b,3\n7,b,4\n", in: scratch)
        XCTAssertEqual(parsed.rowIDs.ids, ["7", "007", "x7"])
        XCTAssertEqual(parsed.table.rows, [0, 1, 2, 0])
    }

    func testValuesParseExactly() throws {
        let values: [Float] = [0.1, 3.4028235e38, 1.17549435e-38, -2.5, 123456.789, 1e-45, 0.30000001]
        let text = values.enumerated().map { "r\($0.offset),c,\($0.element)" }.joined(separator: "\n") + "\nr9,c,1.5e3\nr10,c,-0.0\n"
        let parsed = try InputFixtures.readDelimited(text, in: scratch)
        XCTAssertEqual(Array(parsed.table.values.prefix(values.count)), values)
        XCTAssertEqual(parsed.table.values[values.count], 1500)
    }

    func testGzipInputIsReadDirectly() throws {
        try scratch.write("u,i,r\n1,2,3\n4,5,6\n", to: "ratings.csv")
        try InputFixtures.gzip("ratings.csv", in: scratch)
        var policy = BadRowPolicy(skip: false, maximum: 0)
        let parsed = try DelimitedReader(url: scratch.url("ratings.csv.gz"), displayName: "ratings.csv.gz", options: .init()).read(policy: &policy)
        XCTAssertEqual(InputFixtures.triples(parsed), ["1 2 3.0", "4 5 6.0"])
    }

    func testProgressReachesTheFileSizeForPlainAndGzipFiles() throws {
        let text = (1...5000).map { "\($0),\($0 % 7),\($0 % 5)" }.joined(separator: "\n") + "\n"
        try scratch.write(text, to: "many.csv")
        try scratch.write(text, to: "many-copy.csv")
        try InputFixtures.gzip("many-copy.csv", in: scratch)
        for name in ["many.csv", "many-copy.csv.gz"] {
            let url = scratch.url(name)
            var reports: [(Int, Int)] = []
            var reader = DelimitedReader(url: url, displayName: name, options: .init())
            reader.progress = { reports.append(($0, $1)) }
            var policy = BadRowPolicy(skip: false, maximum: 0)
            XCTAssertEqual(try reader.read(policy: &policy).table.count, 5000)
            let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
            XCTAssertEqual(reports.last?.0, size, name)
            XCTAssertEqual(reports.last?.1, size, name)
            XCTAssertEqual(reports.map(\.0), reports.map(\.0).sorted(), "\(name): progress never goes back")
        }
    }

    func testDuplicatePoliciesMergeInFileOrder() throws {
        let table = RatingTable(rows: [0, 1, 0, 0], cols: [0, 0, 0, 1], values: [1, 2, 4, 8])
        XCTAssertEqual(DuplicatePolicy.last.apply(to: table, rows: 2, cols: 2).table.values, [4, 2, 8])
        XCTAssertEqual(DuplicatePolicy.sum.apply(to: table, rows: 2, cols: 2).table.values, [5, 2, 8])
        XCTAssertEqual(DuplicatePolicy.mean.apply(to: table, rows: 2, cols: 2).table.values, [2.5, 2, 8])
        XCTAssertEqual(DuplicatePolicy.mean.apply(to: table, rows: 2, cols: 2).merged, 1)
        let conflict = try XCTUnwrap(DuplicatePolicy.error.apply(to: table, rows: 2, cols: 2).conflict)
        XCTAssertEqual([conflict.first, conflict.second], [0, 2])
    }
}

/// The fast block parser and the general per-line path read the same file identically.
final class DelimitedFastPathTests: XCTestCase {
    func testFastAndGeneralPathsAgreeOnContinuousValues() throws {
        try assertFastAndGeneralPathsAgree(step: 0)
    }

    func testFastAndGeneralPathsAgreeOnHalfStarRatings() throws {
        try assertFastAndGeneralPathsAgree(step: 0.5)
    }

    private func assertFastAndGeneralPathsAgree(step: Double) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        var synth = SyntheticRatings()
        synth.rows = 300
        synth.cols = 200
        synth.ratings = 20_000
        synth.timestamps = true
        synth.step = step
        let matrix = synth.generate()
        let url = scratch.url("synth.csv")
        try MatrixWriter.write(matrix.table, rowIDs: matrix.rowIDs, colIDs: matrix.colIDs, format: .delimited(delimiter: ",", header: true), to: url)
        var options = DelimitedReader.Options()
        options.timestamp = .index(3)
        let reader = DelimitedReader(url: url, displayName: "synth.csv", options: options)
        var policy = BadRowPolicy(skip: false, maximum: 0)
        let fast = try reader.read(policy: &policy)
        var lines = 0
        let general = try reader.read(policy: &policy) { _, _ in lines += 1 }
        var oneThread = reader
        oneThread.threads = 1
        XCTAssertEqual(try oneThread.read(policy: &policy).table, fast.table)
        XCTAssertEqual(lines, matrix.table.count)
        XCTAssertEqual(fast.table, general.table)
        XCTAssertEqual(fast.rowIDs, general.rowIDs)
        XCTAssertEqual(fast.colIDs, general.colIDs)
        XCTAssertEqual(fast.table.values, matrix.table.values)
        XCTAssertEqual(fast.table.timestamps, matrix.table.timestamps)
    }

    func testQuotedFieldBeforeTheChosenColumnsIsNotMisread() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        var options = DelimitedReader.Options()
        options.row = .index(0)
        options.col = .index(2)
        options.value = .index(3)
        let parsed = try InputFixtures.readDelimited("1,\"x,5\",7,4\n2,plain,8,3\n", options: options, in: scratch)
        XCTAssertEqual(InputFixtures.triples(parsed), ["1 7 4.0", "2 8 3.0"])
    }
}
