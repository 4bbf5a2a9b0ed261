import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The small promises of the command line: synth writes exactly the ratings asked for and
/// gzip when the name says so, `help COMMAND` is the command's help, `validate --print`
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
