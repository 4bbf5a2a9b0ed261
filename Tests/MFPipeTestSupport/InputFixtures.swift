import Foundation
import MFPipe

/// Builds small input files and one-stage ingest pipelines for reader tests.
public enum InputFixtures {
    /// Reads `text` (written to `name` in `scratch`) with the delimited reader and `options`.
    public static func readDelimited(_ text: String, name: String = "input.csv", options: DelimitedReader.Options = .init(),
                                     in scratch: Scratch) throws -> ParsedMatrix {
        let url = try scratch.write(text, to: name)
        var policy = BadRowPolicy(skip: false, maximum: 0)
        return try DelimitedReader(url: url, displayName: name, options: options).read(policy: &policy)
    }

    /// Reads `text` (written to `name` in `scratch`) as MatrixMarket.
    public static func readMatrixMarket(_ text: String, name: String = "input.mtx", in scratch: Scratch) throws -> ParsedMatrix {
        let url = try scratch.write(text, to: name)
        var policy = BadRowPolicy(skip: false, maximum: 0)
        return try MatrixMarketReader(url: url, displayName: name).read(policy: &policy)
    }

    /// The entries of a parsed matrix as (row id, column id, value) triples, in file order.
    public static func triples(_ parsed: ParsedMatrix) -> [String] {
        (0..<parsed.table.count).map { entry in
            "\(parsed.rowIDs.ids[Int(parsed.table.rows[entry])]) \(parsed.colIDs.ids[Int(parsed.table.cols[entry])]) \(parsed.table.values[entry])"
        }
    }

    /// Writes a pipeline `pipelines/ingest.json` with one ingest stage reading `../data-file` (relative to
    /// the scratch root: `relativePath`) with extra `params` (a JSON fragment such as `"duplicates": "sum"`).
    public static func ingestPipeline(reading relativePath: String, params: String = "", in scratch: Scratch) throws {
        let extra = params.isEmpty ? "" : ", " + params
        try scratch.write("""
            {"version": 1, "name": "ingest", "workdir": "../runs/ingest", "stages": [
              {"id": "ingest", "type": "ingest", "params": {"path": "../\(relativePath)"\(extra)}}]}
            """, to: "pipelines/ingest.json")
    }

    /// Gzips a file of `scratch` in place with the system's gzip (`name` becomes `name.gz`).
    public static func gzip(_ name: String, in scratch: Scratch) throws {
        let result = try ProcessRunner.run(URL(fileURLWithPath: "/bin/gzip"), ["-f", "-n", scratch.url(name).path])
        precondition(result.exitCode == 0, result.stderr)
    }
}
