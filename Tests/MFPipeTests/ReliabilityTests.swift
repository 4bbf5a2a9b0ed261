import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// What a hostile user or a failing machine does: outputs aimed at inputs, files that are
/// not files, size lines that lie, ids that are not text, edits that keep a file's size and
/// time, closed pipes, abandoned temporaries. Each is an exit-2 line (or a clean run), never
/// a crash, a hang or lost data.
final class ReliabilityTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws {
        scratch = try Scratch()
        try scratch.write("u,i,r\n1,1,5\n1,2,3\n2,1,4\n2,2,1\n3,1,2\n", to: "inputs/small.csv")
    }

    override func tearDown() {
        scratch.remove()
    }

    /// A pipeline ingesting `inputs/small.csv` (or `input`) into an export at `export`, with a report at `report`.
    private func pipeline(input: String = "../inputs/small.csv", export: String = "../out/x.h5", report: String = "../out/x.md",
                          workdir: String = "../runs/x", name: String = "x") throws {
        try scratch.write("""
            {"version": 1, "name": "\(name)", "workdir": "\(workdir)", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "\(input)"}},
              {"id": "factorize", "type": "factorize", "inputs": ["ratings"], "params": {"k": 1, "epochs": 3}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"]},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "\(export)"}},
              {"id": "report", "type": "report", "inputs": ["evaluate"], "params": {"path": "\(report)"}}]}
            """, to: "pipelines/x.json")
    }

    private func validate() throws -> CommandResult {
        try MFPipeBinary.run(["validate", "pipelines/x.json"], in: scratch.root)
    }

    private func assertRejected(_ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try validate()
        XCTAssertEqual(result.exitCode, 2, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderr, "mfpipe: pipelines/x.json: \(message)\n", file: file, line: line)
        let run = try MFPipeBinary.run(["run", "pipelines/x.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 2, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.url("runs/x/artifacts").path), "nothing ran", file: file, line: line)
    }

    func testOutputsThatWouldOverwriteInputsOrEachOtherAreRejectedBeforeAnythingRuns() throws {
        let input = scratch.url("inputs/small.csv").path
        try pipeline(export: "../inputs/small.csv")
        try assertRejected("stages[3].params.path: \(input) is the input of stages[0].params.path; an output must never overwrite an input")
        XCTAssertEqual(try String(contentsOf: scratch.url("inputs/small.csv"), encoding: .utf8).prefix(5), "u,i,r", "the input is untouched")
        try pipeline(report: "../out/x.h5")
        try assertRejected("stages[4].params.path: \(scratch.url("out/x.h5").path) is also written by stages[3].params.path; expected each output once")
        try pipeline(export: "../out/x-metrics.csv")
        try assertRejected("stages[4].params.path: \(scratch.url("out/x-metrics.csv").path) is also written by stages[3].params.path; expected each output once")
        try pipeline(export: "../runs/x/lock")
        try assertRejected("stages[3].params.path: \(scratch.url("runs/x/lock").path) is inside the work directory \(scratch.url("runs/x").path); expected a path outside it")
        try pipeline(export: "../inputs/small.csv/x.h5")
        try assertRejected("stages[3].params.path: cannot create the folder of \(input)/x.h5: \(input) is a file")
        try pipeline(export: "../inputs")
        try assertRejected("stages[3].params.path: \(scratch.url("inputs").path) is a folder; expected a file path")
    }

    func testInputsAndTheWorkDirectoryAreCheckedAtValidation() throws {
        try pipeline(input: "../inputs/missing.csv")
        try assertRejected("stages[0].params.path: no such file \(scratch.url("inputs/missing.csv").path); expected an input file")
        try pipeline(input: "../inputs")
        try assertRejected("stages[0].params.path: \(scratch.url("inputs").path) is a folder; expected an input file")
        XCTAssertEqual(mkfifo(scratch.url("inputs/fifo").path, 0o644), 0)
        try pipeline(input: "../inputs/fifo")
        try assertRejected("stages[0].params.path: \(scratch.url("inputs/fifo").path) is not a regular file (a pipe, socket or device); expected an input file")
        try pipeline(input: "/dev/zero")
        try assertRejected("stages[0].params.path: /dev/zero is not a regular file (a pipe, socket or device); expected an input file")
        try pipeline(workdir: "../inputs/small.csv")
        try assertRejected("workdir: \(scratch.url("inputs/small.csv").path) exists and is not a folder; expected a folder for the work directory")
    }

    func testNamesIdsAndKeysAreChecked() throws {
        try pipeline(name: "..")
        try assertRejected("name: expected 1 to 64 letters, digits, '-', '_' or '.' (not only dots), found \"..\"")
        let long = String(repeating: "a", count: 10_000)
        try scratch.write("""
            {"version": 1, "name": "x", "stages": [{"id": "\(long)", "type": "ingest", "params": {"path": "../inputs/small.csv"}}]}
            """, to: "pipelines/x.json")
        try assertRejected("stages[0].id: expected 1 to 64 letters, digits, '-' or '_', found \"\(long.prefix(40))\"…")
        try scratch.write("""
            {"version": 1, "name": "x", "name": "y", "stages": []}
            """, to: "pipelines/x.json")
        try assertRejected("1:29: duplicate key \"name\"; expected each key once in an object")
    }

    func testAMatrixMarketSizeLineCannotDriveMemory() throws {
        try scratch.write("%%MatrixMarket matrix coordinate real general\n1000000000 1000000000 2\n1 5 2.5\n999999999 7 1\n",
                          to: "inputs/huge.mtx")
        try pipeline(input: "../inputs/huge.mtx")
        let started = Date()
        let run = try MFPipeBinary.run(["run", "pipelines/x.json", "--quiet", "--set", "evaluate.refit=false"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "two entries take no time, whatever the size line says")
        let file = try HDF5File.open(scratch.url("out/x.h5"))
        defer { try? file.close() }
        XCTAssertEqual(try file.root.openGroup("rows").readStrings("ids"), ["1", "999999999"], "only the rows with entries, as ids")
        XCTAssertEqual(try file.root.openGroup("cols").readStrings("ids"), ["5", "7"])

        try scratch.write("%%MatrixMarket matrix array real general\n100000 100000\n1\n2\n", to: "inputs/array.mtx")
        try pipeline(input: "../inputs/array.mtx")
        let array = try MFPipeBinary.run(["run", "pipelines/x.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(array.exitCode, 2)
        XCTAssertEqual(array.stderr, "mfpipe: inputs/array.mtx:2: declares 10000000000 values, more than the file's 59 bytes can hold; expected a size line that matches the file\n")

        // Found by `make fuzz` (matrixmarket, a 10-s timeout at 2.2 GB): an empty array of
        // 58,811,320 columns made an id for each.
        try scratch.write("%%MatrixMarket matrix array real general\n%\n\n0 58811320\n", to: "inputs/empty.mtx")
        try pipeline(input: "../inputs/empty.mtx")
        let empty = try MFPipeBinary.run(["run", "pipelines/x.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(empty.exitCode, 2)
        XCTAssertEqual(empty.stderr, "mfpipe: inputs/empty.mtx:4: declares a 0 x 58811320 array; expected at least one row and one column\n")
    }

    /// Runs a one-stage ingest of `content` written to `name`; returns the result.
    private func ingest(_ name: String, _ content: Data, params: String = "") throws -> CommandResult {
        try content.write(to: scratch.url("inputs/\(name)"))
        try InputFixtures.ingestPipeline(reading: "inputs/\(name)", params: params, in: scratch)
        return try MFPipeBinary.run(["run", "pipelines/ingest.json", "--quiet"], in: scratch.root)
    }

    func testIngestRejectsWhatWouldBeSilentlyLost() throws {
        let extra = try ingest("extra.csv", Data("u,i,r\n1,1,5\n4,7,8,inf\n2,2,1\n".utf8))
        XCTAssertEqual(extra.exitCode, 2)
        XCTAssertEqual(extra.stderr, "mfpipe: inputs/extra.csv:3: found 4 fields separated by ','; expected 3 as on line 1\n")
        let sum = try ingest("sum.csv", Data("1,1,3e38\n1,1,3e38\n".utf8), params: #""duplicates": "sum""#)
        XCTAssertEqual(sum.exitCode, 2)
        XCTAssertEqual(sum.stderr, "mfpipe: inputs/sum.csv:2: the sum of the duplicate entries for row 1, column 1 (first at line 1) overflows 32-bit floats; expected values whose sum stays finite, or duplicates last or mean\n")
        var bytes = Data("a\u{FF}b,x,1\n".utf8)
        bytes[1] = 0xFF
        let utf8 = try ingest("bytes.csv", bytes)
        XCTAssertEqual(utf8.exitCode, 2)
        XCTAssertEqual(utf8.stderr, "mfpipe: inputs/bytes.csv:1:1: the row id is not valid UTF-8; expected UTF-8 text (a Latin-1 file converts with iconv -f LATIN1 -t UTF-8)\n")
        let control = try ingest("control.csv", Data("1,1,5\r\n1,2,\u{1B}[2J\r\n".utf8))
        XCTAssertEqual(control.exitCode, 2)
        XCTAssertEqual(control.stderr, "mfpipe: inputs/control.csv:2:3: found \"\\x1b[2J\" in the value column; expected a number\n",
                       "control characters from the file are shown escaped, never sent to the terminal")
    }

    /// A MatrixMarket file saved with a UTF-8 byte-order mark is still read as MatrixMarket
    /// (here symmetric, so expanded), plain or gzipped; it was read as delimited text and failed.
    func testAMatrixMarketBannerAfterAByteOrderMarkIsRecognized() throws {
        try scratch.write("\u{FEFF}%%MatrixMarket matrix coordinate real symmetric\n3 3 2\n1 1 1\n3 2 3\n", to: "inputs/bom.mtx")
        try InputFixtures.gzip("inputs/bom.mtx", in: scratch)
        try scratch.write("\u{FEFF}%%MatrixMarket matrix coordinate real symmetric\n3 3 2\n1 1 1\n3 2 3\n", to: "inputs/bom.mtx")
        for name in ["bom.mtx", "bom.mtx.gz"] {
            try InputFixtures.ingestPipeline(reading: "inputs/\(name)", in: scratch)
            let result = try MFPipeBinary.run(["run", "pipelines/ingest.json"], in: scratch.root)
            XCTAssertEqual(result.exitCode, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains(": 3 entries, 3 rows x 3 columns from inputs/\(name)"), result.stdout)
        }
    }

    /// A dense matrix whose first row has a missing entry keeps that row: it was taken for a
    /// header (a field after the first not a number) and dropped, its values made column names.
    func testADenseFirstRowWithAMissingEntryIsData() throws {
        let result = try ingest("gap.csv", Data("1,,3\n4,5,6\n".utf8), params: #""format": "dense""#)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let artifact = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: scratch.url("runs/ingest/artifacts").path).first)
        let data = try RatingData.read(from: scratch.url("runs/ingest/artifacts/\(artifact)/data.h5"))
        XCTAssertEqual(data.colIDs.ids, ["1", "2", "3"])
        XCTAssertEqual(data.parts[.all]?.values, [1, 3, 4, 5, 6])
    }

    /// The dense files pandas and R write by default keep their shape: pandas' labels 0, 1, …
    /// above its index (read as a row of data named ""), R's write.csv with numeric row names
    /// (read as a column of data) and R's write.table, whose header lacks the corner.
    func testDenseFilesAsPandasAndRWriteThemKeepTheirRowNamesAndHeader() throws {
        let files = [
            ("pandas.csv", ",0,1,2\n0,0.5,1.5,2.5\n1,3.5,4.5,5.5\n", ["0", "1", "2"]),
            ("write-csv.csv", "\"\",\"V1\",\"V2\",\"V3\"\n\"1\",0.5,1.5,2.5\n\"2\",3.5,4.5,5.5\n", ["V1", "V2", "V3"]),
            ("write-table.csv", "\"V1\",\"V2\",\"V3\"\n\"1\",0.5,1.5,2.5\n\"2\",3.5,4.5,5.5\n", ["V1", "V2", "V3"]),
        ]
        for (name, content, columns) in files {
            try? FileManager.default.removeItem(at: scratch.url("runs"))
            let result = try ingest(name, Data(content.utf8), params: #""format": "dense""#)
            XCTAssertEqual(result.exitCode, 0, "\(name): \(result.stderr)")
            let artifact = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: scratch.url("runs/ingest/artifacts").path).first)
            let data = try RatingData.read(from: scratch.url("runs/ingest/artifacts/\(artifact)/data.h5"))
            XCTAssertEqual(data.rowIDs.ids, name == "pandas.csv" ? ["0", "1"] : ["1", "2"], name)
            XCTAssertEqual(data.colIDs.ids, columns, name)
            XCTAssertEqual(data.parts[.all]?.values, [0.5, 1.5, 2.5, 3.5, 4.5, 5.5], name)
        }
        let refused = try ingest("no-names.csv", Data("\"V1\",\"V2\"\n\"1\",0.5,1.5\n".utf8), params: #""format": "dense", "row_names": false"#)
        XCTAssertEqual(refused.exitCode, 2)
        XCTAssertEqual(refused.stderr, "mfpipe: inputs/no-names.csv:2: found 3 fields; expected 2 as on line 1\n")
    }

    /// Missing values as R (`NA`), pandas with na_rep (`NaN`), numpy (`nan`), spreadsheets
    /// (`#N/A`) and UCI data sets (`?`) write them are missing entries, as an empty field is;
    /// they were refused ("expected a finite number or an empty field").
    func testDenseMissingValueMarkersAreMissingEntries() throws {
        let content = "\"\",\"a\",\"b\",\"c\"\n\"r1\",1,NA,3\n\"r2\",NaN,5,nan\n\"r3\",#N/A,?,9\n\"r4\",,10,\n"
        let result = try ingest("markers.csv", Data(content.utf8), params: #""format": "dense""#)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let artifact = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: scratch.url("runs/ingest/artifacts").path).first)
        let all = try XCTUnwrap(try RatingData.read(from: scratch.url("runs/ingest/artifacts/\(artifact)/data.h5")).parts[.all])
        XCTAssertEqual(all.values, [1, 3, 5, 9, 10])
        XCTAssertEqual(all.rows, [0, 0, 1, 2, 3])
        XCTAssertEqual(all.cols, [0, 2, 1, 2, 1])
    }

    /// A dense header of years reads as a row of data by the detection rule (a row may hold
    /// such values): the ingest says so, `header: true` reads it as column names, and
    /// `header: false` keeps it as data without the warning.
    func testADenseHeaderOfYearsIsDataWithAWarning() throws {
        let content = Data("country,2019,2020,2021,2022,2023\nAlbania,1.5,2.5,3.5,4,5\nBrazil,4,5,6.5,7,8\n".utf8)
        let auto = try ingest("years.csv", content, params: #""format": "dense""#)
        XCTAssertEqual(auto.exitCode, 0, auto.stderr)
        XCTAssertEqual(auto.stderr, "warning: ingest: the first line of inputs/years.csv was read as a row of data (row \"country\": 2019, 2020, …, 2023); if it names the columns, set \"header\": true; if it is data, \"header\": false (and no warning)\n")
        try? FileManager.default.removeItem(at: scratch.url("runs"))
        let asData = try ingest("years.csv", content, params: #""format": "dense", "header": false"#)
        XCTAssertEqual(asData.exitCode, 0, asData.stderr)
        XCTAssertEqual(asData.stderr, "")
        try? FileManager.default.removeItem(at: scratch.url("runs"))
        let named = try ingest("years.csv", content, params: #""format": "dense", "header": true"#)
        XCTAssertEqual(named.exitCode, 0, named.stderr)
        XCTAssertEqual(named.stderr, "")
        let artifact = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: scratch.url("runs/ingest/artifacts").path).first)
        let data = try RatingData.read(from: scratch.url("runs/ingest/artifacts/\(artifact)/data.h5"))
        XCTAssertEqual(data.colIDs.ids, ["2019", "2020", "2021", "2022", "2023"])
        XCTAssertEqual(data.rowIDs.ids, ["Albania", "Brazil"])
    }

    func testGzipMembersAreReadInTurnAndTrailingBytesAreAnError() throws {
        try scratch.write("1,1,5\n1,2,3\n", to: "inputs/a.csv")
        try scratch.write("2,1,4\n", to: "inputs/b.csv")
        try InputFixtures.gzip("inputs/a.csv", in: scratch)
        try InputFixtures.gzip("inputs/b.csv", in: scratch)
        let members = try Data(contentsOf: scratch.url("inputs/a.csv.gz")) + Data(contentsOf: scratch.url("inputs/b.csv.gz"))
        try members.write(to: scratch.url("inputs/both.csv.gz"))
        try InputFixtures.ingestPipeline(reading: "inputs/both.csv.gz", in: scratch)
        let both = try MFPipeBinary.run(["run", "pipelines/ingest.json"], in: scratch.root)
        XCTAssertEqual(both.exitCode, 0, both.stderr)
        XCTAssertTrue(both.stdout.contains("done ingest"), both.stdout)
        XCTAssertTrue(both.stdout.contains(": 3 entries, 2 rows x 2 columns"), "both members are read: \(both.stdout)")
        let garbage = try ingest("garbage.csv.gz", members + Data("trailing".utf8))
        XCTAssertEqual(garbage.exitCode, 2)
        XCTAssertEqual(garbage.stderr, "mfpipe: inputs/garbage.csv.gz: bytes after the end of the gzip stream; expected the end of the file or another gzip member\n")
    }

    func testAnEditThatKeepsTheSizeAndTheModificationTimeIsSeen() throws {
        try pipeline()
        XCTAssertEqual(try MFPipeBinary.run(["run", "pipelines/x.json", "--quiet"], in: scratch.root).exitCode, 0)
        let url = scratch.url("inputs/small.csv")
        var before = stat()
        stat(url.path, &before)
        try Data("u,i,r\n1,1,4\n1,2,3\n2,1,4\n2,2,1\n3,1,2\n".utf8).write(to: url)
        var times = [before.st_atim, before.st_mtim]
        XCTAssertEqual(utimensat(AT_FDCWD, url.path, &times, 0), 0, "the edit restores the modification time")
        let again = try MFPipeBinary.run(["run", "pipelines/x.json"], in: scratch.root)
        XCTAssertEqual(again.exitCode, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("run ratings: input file changed"), again.stdout)
    }

    func testAClosedStdoutNeverKillsARun() throws {
        try pipeline()
        let process = Process()
        process.executableURL = MFPipeBinary.url
        process.arguments = ["run", "pipelines/x.json"]
        process.currentDirectoryURL = scratch.root
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try pipe.fileHandleForReading.close()
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, "not killed by SIGPIPE")
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(try Data(contentsOf: scratch.url("runs/x/lock")).count, 0, "the lock was released")
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.url("out/x.h5").path))
    }

    func testTemporariesOfAKilledRunAreRemoved() throws {
        try pipeline()
        try FileManager.default.createDirectory(at: scratch.url("out"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: scratch.url("runs/x/checkpoints"), withIntermediateDirectories: true)
        let abandoned = scratch.url("out/.x.h5.tmp-2147483646-12345")
        let live = scratch.url("out/.x.h5.tmp-\(getpid())-12345")
        // A rank killed while writing its checkpoint slice.
        let abandonedSlice = scratch.url("runs/x/checkpoints/.als-k008-0123456789abcdef.ckpt.slice-1-of-2.g2.tmp-2147483646-12345")
        try Data("partial".utf8).write(to: abandoned)
        try Data("in use".utf8).write(to: live)
        try Data("partial".utf8).write(to: abandonedSlice)
        XCTAssertEqual(try MFPipeBinary.run(["run", "pipelines/x.json", "--quiet"], in: scratch.root).exitCode, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: abandoned.path), "a dead writer's temporary is removed")
        XCTAssertTrue(FileManager.default.fileExists(atPath: live.path), "a live process's temporary is left alone")
        XCTAssertFalse(FileManager.default.fileExists(atPath: abandonedSlice.path), "a dead rank's checkpoint temporary is removed")
    }
}
