import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Every class of pipeline-file error: exit code 2 and one line naming the JSON path
/// (or line:column) and what was expected; `run` leaves no work directory behind.
final class PipelineFileErrorTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws {
        scratch = try Scratch()
    }

    override func tearDown() {
        scratch.remove()
    }

    private let ingest = #"{"id": "a", "type": "ingest", "params": {"path": "../data/toy/toy.csv"}}"#

    /// Writes `text` as `pipelines/bad.json`, runs `validate` and `run` on it, and checks
    /// both fail with exit code 2 and exactly `message` on stderr.
    private func assertRejected(_ text: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try scratch.write(text, to: "pipelines/bad.json")
        for command in ["validate", "run"] {
            let result = try MFPipeBinary.run([command, "pipelines/bad.json"], in: scratch.root)
            XCTAssertEqual(result.exitCode, 2, "\(command): \(result.stderr)", file: file, line: line)
            XCTAssertEqual(result.stderr, "mfpipe: pipelines/bad.json: \(message)\n", command, file: file, line: line)
            XCTAssertEqual(result.stdout, "", command, file: file, line: line)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.url("pipelines/runs").path), file: file, line: line)
    }

    func testASweepWithoutValidationEntriesIsRejectedBeforeAnythingTrains() throws {
        let factorize = #"{"id": "f", "type": "factorize", "inputs": ["s"], "params": {"k": [2, 4]}}"#
        let evaluate = #"{"id": "e", "type": "evaluate", "inputs": ["f"]}"#
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), {"id": "s", "type": "split", "inputs": ["a"], "params": {"validation": 0}}, \#(factorize), \#(evaluate)]}"#,
            "stages[1].params.validation: 0 holds out no validation entries, and stages[3] chooses among 2 models; expected validation > 0")
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), \#(factorize.replacingOccurrences(of: "[\"s\"]", with: "[\"a\"]")), \#(evaluate)]}"#,
            "stages[2].inputs: chooses among 2 models but no split stage upstream holds out validation entries; expected a split stage with validation > 0")
    }

    func testASplitMethodGetsTheInputsItTakes() throws {
        let second = #"{"id": "b", "type": "ingest", "params": {"path": "../data/toy/toy.mtx"}}"#
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), \#(second), {"id": "s", "type": "split", "inputs": ["a", "b"]}]}"#,
            "stages[2].params.method: \"random\" takes one input; found 2 (use \"given\" for train and test files)")
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), {"id": "s", "type": "split", "inputs": ["a"], "params": {"method": "given"}}]}"#,
            "stages[1].params.method: \"given\" takes two inputs, the train file's stage then the test file's; found 1")
    }

    func testSplitFractionsMustLeaveEntriesToTrainOn() throws {
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), {"id": "s", "type": "split", "inputs": ["a"], "params": {"test": 0.95}}]}"#,
            "stages[1].params.validation: validation (0.1) and test (0.95) fractions add up to 1.05; expected less than 1, leaving entries to train on")
    }

    /// A folder given as the pipeline file is the user's mistake, said so (before: exit 1
    /// and "The operation could not be completed. (NSCocoaErrorDomain error 256.)").
    func testAFolderIsNotAPipelineFile() throws {
        try FileManager.default.createDirectory(at: scratch.url("pipelines/nightly"), withIntermediateDirectories: true)
        for command in ["validate", "run", "status", "dag"] {
            let result = try MFPipeBinary.run([command, "pipelines/nightly"], in: scratch.root)
            XCTAssertEqual(result.exitCode, 2, "\(command): \(result.stderr)")
            XCTAssertEqual(result.stderr, "mfpipe: pipelines/nightly: a folder; expected a pipeline file (JSON)\n", command)
        }
    }

    func testUnknownTopLevelKey() throws {
        try assertRejected(
            #"{"version": 1, "name": "t", "colour": "red", "stages": [\#(ingest)]}"#,
            "colour: unknown key; expected one of version, name, workdir, seed, threads, stages")
    }

    func testUnknownParameter() throws {
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [{"id": "a", "type": "ingest", "params": {"path": "x.csv", "delimeter": ","}}]}"#,
            "stages[0].params.delimeter: unknown parameter; expected one of path, format, delimiter, decimal, header, columns, pairs, row_names, duplicates, bad_rows, max_bad_rows")
    }

    func testUnknownStageType() throws {
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), {"id": "f", "type": "factorise", "inputs": ["a"]}]}"#,
            #"stages[1].type: unknown stage type "factorise"; expected one of ingest, split, normalize, factorize, evaluate, export, report, predict, recommend"#)
    }

    func testWrongValueType() throws {
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), {"id": "f", "type": "factorize", "inputs": ["a"], "params": {"k": 8, "epochs": "ten"}}]}"#,
            #"stages[1].params.epochs: expected an integer ≥ 1, found "ten""#)
    }

    /// SPEC lists log1p among the normalizations; written as a method, the error says where
    /// it belongs.
    func testLog1pAsAMethodPointsToTheTransform() throws {
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), {"id": "n", "type": "normalize", "inputs": ["a"], "params": {"method": "log1p"}}]}"#,
            #"stages[1].params.method: expected one of "none", "mean", "biases", "center", "standardize", "minmax", found "log1p"; log1p is a transform, applied before any method: set "transform": "log1p""#)
    }

    func testABadRankSweepNamesTheElementAtFault() throws {
        func pipeline(k: String) -> String {
            #"{"version": 1, "name": "t", "stages": [\#(ingest), {"id": "f", "type": "factorize", "inputs": ["a"], "params": {"k": \#(k)}}]}"#
        }
        try assertRejected(pipeline(k: "[8, 0]"), "stages[1].params.k[1]: expected a rank from 1 to 4096, found 0")
        try assertRejected(pipeline(k: "[8, 16, 8]"), "stages[1].params.k[2]: rank 8 is already listed at [0]; expected each rank once")
        try assertRejected(pipeline(k: "[]"), #"stages[1].params.k: expected a rank from 1 to 4096, a list of ranks, or {"from", "to", "step"}, found an empty array"#)
        try assertRejected(pipeline(k: "100000"), "stages[1].params.k: expected a rank from 1 to 4096, found 100000")
        try assertRejected(pipeline(k: #"{"from": 8, "to": 4}"#), #"stages[1].params.k.to: expected a rank ≥ "from" (8), found 4"#)
        try assertRejected(pipeline(k: #"{"from": 2, "to": 8, "step": 0}"#), "stages[1].params.k.step: expected an integer ≥ 1, found 0")
        try assertRejected(pipeline(k: #"{"from": 2, "upto": 8}"#), #"stages[1].params.k.upto: unknown key; expected "from", "to" and optionally "step""#)
    }

    func testTopLevelValuesAreQuotedAsFound() throws {
        try assertRejected(#"{"version": 1, "name": "t", "seed": -1, "stages": [\#(ingest)]}"#, "seed: expected an integer ≥ 0, found -1")
        try assertRejected(#"{"version": 1, "name": "t", "threads": 0, "stages": [\#(ingest)]}"#, "threads: expected an integer ≥ 1, found 0")
        try assertRejected(#"{"version": 1, "name": "t", "workdir": "", "stages": [\#(ingest)]}"#, #"workdir: expected a path (a string), found """#)
        try assertRejected(#"{"version": 1, "name": "t", "stages": []}"#, "stages: expected a non-empty array of stages, found an empty array")
    }

    func testInputsLeadingToTwoArtifactsOfAKindReadOnceAreRejected() throws {
        let splits = #"{"id": "s1", "type": "split", "inputs": ["a"]}, {"id": "s2", "type": "split", "inputs": ["a"]}"#
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), \#(splits), {"id": "f", "type": "factorize", "inputs": ["s1", "s2"], "params": {"k": 2}}]}"#,
            #"stages[3].inputs: a factorize stage reads one ratings artifact, but input "s1" leads to "s1" and input "s2" to "s2"; expected every input to lead to the same one"#)
        // Two models, one normalized and one not: evaluate would score the second through the first's normalization.
        let models = #"{"id": "n", "type": "normalize", "inputs": ["s1"]}, {"id": "f1", "type": "factorize", "inputs": ["n"], "params": {"k": 2}}, {"id": "f2", "type": "factorize", "inputs": ["s1"], "params": {"k": 2}}"#
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), \#(splits), \#(models), {"id": "e", "type": "evaluate", "inputs": ["f1", "f2"]}]}"#,
            #"stages[6].inputs: an evaluate stage reads one normalization artifact, but input "f1" leads to "n" and input "f2" to none; expected every input to lead to the same one"#)
    }

    func testDanglingInput() throws {
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), {"id": "s", "type": "split", "inputs": ["ratings"]}]}"#,
            #"stages[1].inputs[0]: no stage has id "ratings"; expected one of a, s"#)
    }

    func testDuplicateID() throws {
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), {"id": "a", "type": "split", "inputs": ["a"]}]}"#,
            #"stages[1].id: duplicate id "a"; stages[0] already has it"#)
    }

    func testCycle() throws {
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), {"id": "s", "type": "split", "inputs": ["n"]}, {"id": "n", "type": "normalize", "inputs": ["s"]}]}"#,
            "stages[1].inputs: cycle: s -> n -> s; expected the inputs to form a DAG")
    }

    func testSyntaxErrorGivesLineAndColumn() throws {
        try assertRejected(
            "{\n  \"version\": 1,\n  \"name\": \"t\"\n  \"stages\": []\n}\n",
            "4:3: unexpected '\"'; expected ',' or '}'")
    }

    func testMissingUpstreamArtifact() throws {
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), {"id": "e", "type": "evaluate", "inputs": ["a"]}]}"#,
            "stages[1].inputs: an evaluate stage needs an upstream factorize stage; none of its inputs leads to one")
    }

    func testSplitMethodAndInputCountMustAgree() throws {
        try assertRejected(
            #"{"version": 1, "name": "t", "stages": [\#(ingest), {"id": "s", "type": "split", "inputs": ["a"], "params": {"method": "given"}}]}"#,
            #"stages[1].params.method: "given" takes two inputs, the train file's stage then the test file's; found 1"#)
    }

    func testUnsupportedVersion() throws {
        try assertRejected(
            #"{"version": 2, "name": "t", "stages": [\#(ingest)]}"#,
            "version: version 2 is not supported; this mfpipe reads version 1")
    }

    func testSetOverrideIsValidatedLikeTheFile() throws {
        try scratch.copyFromRepository("pipelines/toy.json")
        let result = try MFPipeBinary.run(["validate", "pipelines/toy.json", "--set", "factorize.learning_rate=-1"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertEqual(result.stderr, "mfpipe: pipelines/toy.json: stages[2].params.learning_rate: expected a number > 0, found -1\n")
        let list = try MFPipeBinary.run(["validate", "pipelines/toy.json", "--set", "factorize.regularization=[0.05, 0.1]"], in: scratch.root)
        XCTAssertEqual(list.exitCode, 2)
        XCTAssertEqual(list.stderr, "mfpipe: pipelines/toy.json: stages[2].params.regularization: expected a number ≥ 0, found an array; "
                       + "only k takes a list (one node per rank): to compare values of regularization, give each its own stage, as docs/pipeline-file.md shows\n")
        let unknown = try MFPipeBinary.run(["validate", "pipelines/toy.json", "--set", "fit.k=3"], in: scratch.root)
        XCTAssertEqual(unknown.exitCode, 2)
        XCTAssertEqual(unknown.stderr, "mfpipe: --set fit.k: no stage with id \"fit\" in pipelines/toy.json\n")
    }

    func testPrintShowsDefaultsAndTheExpandedSweep() throws {
        try scratch.copyFromRepository("pipelines/movielens.json")
        let result = try MFPipeBinary.run(["validate", "pipelines/movielens.json", "--print", "--set", "factorize.k=[8,16]"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let resolved = try JSONParser.parse(Data(result.stdout.utf8))
        let factorize = try XCTUnwrap(resolved["stages"]?.arrayValue?.first { $0["id"]?.stringValue == "factorize" })
        XCTAssertEqual(factorize["params"]?["epochs"]?.intValue, 100, "the algorithm's default is filled in")
        XCTAssertEqual(factorize["params"]?["seed"]?.intValue, 42, "the pipeline seed is filled in")
        let nodes = try XCTUnwrap(resolved["nodes"]?.arrayValue)
        XCTAssertEqual(nodes.compactMap { $0["id"]?.stringValue }, [
            "ratings", "split", "normalize", "factorize[k=8]", "factorize[k=16]", "evaluate", "export", "report",
        ])
        XCTAssertEqual(nodes[3]["params"]?["k"]?.intValue, 8)
        XCTAssertEqual(nodes[5]["inputs"], .array([.string("factorize[k=8]"), .string("factorize[k=16]")]))
    }

    func testValidFileIsReportedValid() throws {
        try scratch.copyFromRepository("pipelines/movielens.json")
        let result = try MFPipeBinary.run(["validate", "pipelines/movielens.json"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertEqual(result.stdout, "pipelines/movielens.json: valid (7 stages, 10 nodes)\n")
    }
}
