import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The small promises of the command line: synth writes exactly the ratings asked for, with
/// the biases asked for, and gzip when the name says so, `help COMMAND` is the command's help, `validate --print`
/// prints a file that validates again, and ingest reports the end of its file once.
final class CommandLineDetailsTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws { scratch = try Scratch() }
    override func tearDown() { scratch.remove() }

    private func lines(_ relative: String) throws -> [Substring] {
        try String(contentsOf: scratch.url(relative), encoding: .utf8).split(separator: "\n")
    }

    func testSynthWritesExactlyTheRatingsAskedFor() throws {
        for (ratings, rows, cols) in [(10, 1000, 500), (5000, 1000, 500), (123_457, 2000, 300), (40, 5, 8)] {
            let result = try MFPipeBinary.run(["synth", "--output", "s.csv", "--ratings", "\(ratings)", "--rows", "\(rows)",
                                               "--cols", "\(cols)", "--seed", "3"], in: scratch.root)
            XCTAssertEqual(result.exitCode, 0, result.stderr)
            let written = try lines("s.csv")
            XCTAssertEqual(written.count, ratings, "--ratings \(ratings) --rows \(rows) --cols \(cols)")
            XCTAssertEqual(Set(written.map { $0.split(separator: ",").prefix(2).joined(separator: ",") }).count, ratings, "no pair twice")
        }
    }

    /// `--biases S` adds a row bias and a column bias to every rating, each Gaussian with
    /// standard deviation S relative to the signal (on the default 1:5 scale, S rating
    /// points): the means of long rows and columns spread about S apart from sampling, where
    /// without biases they spread by sampling alone. `--biases 0` writes the same bytes as no
    /// option, so every earlier synthetic set is unchanged.
    func testSynthBiasesSpreadTheMeansOfRowsAndColumns() throws {
        func meanSpreads(_ options: [String]) throws -> (rows: Double, cols: Double, text: String) {
            let result = try MFPipeBinary.run(["synth", "--output", "s.csv", "--rows", "3000", "--cols", "1500", "--ratings", "150000",
                                               "--seed", "2"] + options, in: scratch.root)
            XCTAssertEqual(result.exitCode, 0, result.stderr)
            let text = try String(contentsOf: scratch.url("s.csv"), encoding: .utf8)
            var (byRow, byCol) = ([Substring: [Double]](), [Substring: [Double]]())
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: ",")
                byRow[fields[0], default: []].append(Double(fields[2])!)
                byCol[fields[1], default: []].append(Double(fields[2])!)
            }
            func spread(_ lines: [Substring: [Double]]) -> Double {
                let means = lines.values.filter { $0.count >= 30 }.map { $0.reduce(0, +) / Double($0.count) }
                let center = means.reduce(0, +) / Double(means.count)
                return (means.map { ($0 - center) * ($0 - center) }.reduce(0, +) / Double(means.count)).squareRoot()
            }
            return (spread(byRow), spread(byCol), text)
        }
        let plain = try meanSpreads([])
        XCTAssertEqual(try meanSpreads(["--biases", "0"]).text, plain.text)
        let biased = try meanSpreads(["--biases", "0.5"])
        XCTAssertLessThan(max(plain.rows, plain.cols), 0.2, "\(plain.rows), \(plain.cols): sampling alone (0.139, 0.131 when written)")
        XCTAssertGreaterThan(min(biased.rows, biased.cols), 0.35, "\(biased.rows), \(biased.cols): 0.455, 0.465 when written")
        let dense = try MFPipeBinary.run(["synth", "--dense", "--output", "d.csv", "--biases", "1"], in: scratch.root)
        XCTAssertEqual(dense.exitCode, 2)
        XCTAssertEqual(dense.stderr, "mfpipe: synth: --biases does not apply to --dense (a low-rank matrix plus noise)\n")
        let negative = try MFPipeBinary.run(["synth", "--output", "n.csv", "--biases", "-1"], in: scratch.root)
        XCTAssertEqual(negative.exitCode, 2)
        XCTAssertEqual(negative.stderr, "mfpipe: synth: --biases -1: expected a number ≥ 0\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.url("n.csv").path))
    }

    func testSynthCompressesAGzName() throws {
        let arguments = ["--ratings", "3000", "--rows", "200", "--cols", "100", "--seed", "5"]
        XCTAssertEqual(try MFPipeBinary.run(["synth", "--output", "plain.csv"] + arguments, in: scratch.root).exitCode, 0)
        XCTAssertEqual(try MFPipeBinary.run(["synth", "--output", "packed.csv.gz"] + arguments, in: scratch.root).exitCode, 0)
        let packed = try Data(contentsOf: scratch.url("packed.csv.gz"))
        XCTAssertEqual(Array(packed.prefix(2)), [0x1F, 0x8B], "a gzip member")
        let plain = try Data(contentsOf: scratch.url("plain.csv"))
        XCTAssertLessThan(packed.count, plain.count / 2)
        let unpacked = try Python.run("import gzip, sys; sys.stdout.write(gzip.open(sys.argv[1], 'rt').read())",
                                      arguments: [scratch.url("packed.csv.gz").path])
        XCTAssertEqual(unpacked.stdout, String(decoding: plain, as: UTF8.self))
    }

    /// synth's outputs are checked as predict's are, before anything is made: a folder, or
    /// one path for both files, is the user's mistake (a folder was exit 1, "cannot rename
    /// into s: Is a directory", after the matrix was made).
    func testSynthChecksItsOutputsFirst() throws {
        try FileManager.default.createDirectory(at: scratch.url("s"), withIntermediateDirectories: true)
        let folder = try MFPipeBinary.run(["synth", "--output", "s"], in: scratch.root)
        XCTAssertEqual(folder.exitCode, 2)
        XCTAssertEqual(folder.stderr, "mfpipe: synth: --output: \(scratch.url("s").path) is a folder; expected a file path\n")
        let twice = try MFPipeBinary.run(["synth", "--dense", "--output", "m.csv", "--format", "dense", "--signal", "m.csv"], in: scratch.root)
        XCTAssertEqual(twice.exitCode, 2)
        XCTAssertEqual(twice.stderr, "mfpipe: synth: --signal: \(scratch.url("m.csv").path) is also written by --output; expected each output once\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.url("m.csv").path))
    }

    func testHelpCommandIsTheCommandsHelp() throws {
        for command in ["run", "validate", "synth", "status"] {
            let help = try MFPipeBinary.run(["help", command])
            XCTAssertEqual(help.exitCode, 0)
            XCTAssertEqual(help.stdout, try MFPipeBinary.run([command, "--help"]).stdout)
            XCTAssertTrue(help.stdout.hasPrefix("usage: mfpipe \(command)"), help.stdout)
        }
    }

    /// Only run uses threads; the commands that read the pipeline accept `--threads` without
    /// claiming to use it (their help said "threads to use").
    func testOnlyRunSaysItUsesThreads() throws {
        let lines = try ["run", "validate", "status", "clean", "dag"].map { command in
            try MFPipeBinary.run([command, "--help"]).stdout.split(separator: "\n").first { $0.hasPrefix("  --threads N") }
                .map { $0.dropFirst("  --threads N".count).trimmingCharacters(in: .whitespaces) }
        }
        XCTAssertEqual(lines, ["threads to use (default: the file's `threads`, else all cores)",
                               "the threads a run would use, as --print shows them"]
                           + Array(repeating: "accepted as run takes it (nothing this command does depends on it)", count: 3))
    }

    func testPrintedPipelineValidatesAgain() throws {
        try scratch.copyFromRepository("pipelines/movielens.json")
        let printed = try MFPipeBinary.run(["validate", "pipelines/movielens.json", "--print", "--set", "factorize.k=[8,16]"], in: scratch.root)
        XCTAssertEqual(printed.exitCode, 0, printed.stderr)
        try scratch.write(printed.stdout, to: "pipelines/printed.json")
        let again = try MFPipeBinary.run(["validate", "pipelines/printed.json", "--print"], in: scratch.root)
        XCTAssertEqual(again.exitCode, 0, again.stderr)
        XCTAssertEqual(again.stdout, printed.stdout, "printing the printed file changes nothing")
    }

    func testIngestReportsTheEndOfItsFileOnce() throws {
        XCTAssertEqual(try MFPipeBinary.run(["synth", "--output", "data/r.csv", "--ratings", "200000", "--seed", "1"], in: scratch.root).exitCode, 0)
        try InputFixtures.ingestPipeline(reading: "data/r.csv", in: scratch)
        let run = try MFPipeBinary.run(["run", "pipelines/ingest.json"], in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let ends = (run.stdout + run.stderr).split(separator: "\n").filter { $0.contains("(100%)") }
        XCTAssertEqual(ends.count, 1, run.stdout + run.stderr)
    }
}
