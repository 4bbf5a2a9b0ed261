import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The engine's promises around the cache, seen from the command line on the toy pipeline:
/// status, dry runs, damaged artifacts, deleted outputs, the lock, forcing and cleaning.
final class EngineBehaviourTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws {
        scratch = try Scratch()
        try scratch.copyFromRepository("pipelines/toy.json")
    }

    override func tearDown() {
        scratch.remove()
    }

    private func mfpipe(_ arguments: String...) throws -> CommandResult {
        try MFPipeBinary.run(arguments, in: scratch.root)
    }

    private var workdir: URL { scratch.url("runs/toy") }

    func testStatusMovesFromPendingToDoneToStale() throws {
        let before = try mfpipe("status", "pipelines/toy.json")
        XCTAssertEqual(before.exitCode, 0, before.stderr)
        XCTAssertEqual(before.stdout.split(separator: "\n").filter { $0.hasSuffix("pending") }.count, 6, before.stdout)
        XCTAssertEqual(try mfpipe("run", "pipelines/toy.json", "--quiet").exitCode, 0)
        let after = try mfpipe("status", "pipelines/toy.json")
        XCTAssertEqual(after.stdout.split(separator: "\n").filter { $0.contains(" done ") }.count, 6, after.stdout)
        let changed = try mfpipe("status", "pipelines/toy.json", "--set", "factorize.learning_rate=0.02")
        let lines = changed.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.contains(" done ") }.count, 2, changed.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("factorize") && $0.contains("stale    params changed (learning_rate 0.01 -> 0.02)") }, changed.stdout)
    }

    func testDryRunSaysWhatWouldRunAndRunsNothing() throws {
        let result = try mfpipe("run", "pipelines/toy.json", "--dry-run")
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertEqual(result.stdout.components(separatedBy: "would run ").count - 1, 6, result.stdout)
        XCTAssertTrue(result.stdout.contains("would run ingest: not run before"), result.stdout)
        XCTAssertTrue(result.stdout.contains("finished toy (dry run): 6 would run, 0 cached"), result.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: workdir.appendingPathComponent("artifacts").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.url("out/toy.h5").path))
    }

    func testDamagedArtifactIsDetectedAndRecomputed() throws {
        XCTAssertEqual(try mfpipe("run", "pipelines/toy.json", "--quiet").exitCode, 0)
        let artifacts = workdir.appendingPathComponent("artifacts")
        let ingest = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).first { $0.hasPrefix("ingest-") })
        let data = artifacts.appendingPathComponent(ingest).appendingPathComponent("data.h5")
        let handle = try FileHandle(forWritingTo: data)
        try handle.seek(toOffset: 600)
        handle.write(Data([0xFF, 0xFF, 0xFF, 0xFF]))
        try handle.close()
        let result = try mfpipe("run", "pipelines/toy.json")
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("run ingest: damaged artifact: data.h5 does not match its checksum"), result.stdout)
        XCTAssertEqual(try RunRecords.latestActions(workdir: workdir)["ingest"], "ran")
        XCTAssertEqual(try RunRecords.latestActions(workdir: workdir)["factorize"], "cached")
    }

    /// Outputs name the nodes upstream (evaluate its models' nodes, export their stage): a
    /// renamed stage reruns what follows it, whose key holds its inputs' ids, and the run
    /// says why; the export names the stage by its new id and keeps its chosen model.
    func testRenamingAStageRerunsWhatFollowsIt() throws {
        XCTAssertEqual(try mfpipe("run", "pipelines/toy.json", "--quiet").exitCode, 0)
        let original = try String(contentsOf: scratch.url("pipelines/toy.json"), encoding: .utf8)
        let renamed = original.replacingOccurrences(of: #""id": "factorize""#, with: #""id": "fit""#)
            .replacingOccurrences(of: #""inputs": ["factorize"]"#, with: #""inputs": ["fit"]"#)
        XCTAssertNotEqual(renamed, original)
        try scratch.write(renamed, to: "pipelines/toy.json")
        let result = try mfpipe("run", "pipelines/toy.json")
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("run evaluate: input renamed (factorize -> fit)"), result.stdout)
        let actions = try RunRecords.latestActions(workdir: workdir)
        XCTAssertEqual([actions["normalize"], actions["fit"], actions["evaluate"], actions["export"], actions["report"]],
                       ["cached", "ran", "ran", "ran", "ran"])
        let inspect = try mfpipe("inspect", "out/toy.h5")
        XCTAssertTrue(inspect.stdout.contains("  model k002 (chosen): adam, W "), inspect.stdout)
        let stage = try Python.run("""
            import sys, h5py
            with h5py.File(sys.argv[1], "r") as f:
                print(f["models/k002"].attrs["stage"], f["sweep/stage"][0].decode())
            """, arguments: [scratch.url("out/toy.h5").path])
        XCTAssertEqual(stage.stdout, "fit fit\n", stage.stderr)
    }

    /// The export and the report record the whole pipeline: an edit that concerns neither
    /// (the report's path, for the export; the export's, for the report) still writes each
    /// again, so that both name the pipeline as it is now, with the same hash.
    func testAnEditElsewhereRewritesTheProvenanceOfTheExportAndTheReport() throws {
        XCTAssertEqual(try mfpipe("run", "pipelines/toy.json", "--quiet").exitCode, 0)
        let moved = try mfpipe("run", "pipelines/toy.json", "--set", "report.path=../out/moved.md")
        XCTAssertEqual(moved.exitCode, 0, moved.stderr)
        XCTAssertTrue(moved.stdout.contains("run export: pipeline changed elsewhere (its provenance records the whole file)"), moved.stdout)
        let check = try Python.run("""
            import sys, re, json, h5py
            with h5py.File(sys.argv[1], "r") as f:
                stages = json.loads(f["provenance/pipeline"][0])["stages"]
                assert [s["params"]["path"] for s in stages if s["id"] == "report"] == ["../out/moved.md"], stages
                exported = f.attrs["pipeline_hash"]
            reported = re.search(r"<dt>pipeline hash</dt><dd>([0-9a-f]+)</dd>", open(sys.argv[2]).read()).group(1)
            assert exported == reported, (exported, reported)
            """, arguments: [scratch.url("out/toy.h5").path, scratch.url("out/moved.html").path])
        XCTAssertEqual(check.exitCode, 0, check.stderr)
        let unchanged = try mfpipe("run", "pipelines/toy.json", "--set", "report.path=../out/moved.md")
        XCTAssertEqual(try RunRecords.latestActions(workdir: workdir)["export"], "cached", unchanged.stdout)
    }

    /// A node reads its ancestors' artifacts, not only its inputs': a new export below a
    /// cached evaluate waits for the factorize node it reads, here rerun because its artifact
    /// was deleted, on two threads where the two could otherwise run at once.
    func testANodeWaitsForEveryAncestorItReads() throws {
        XCTAssertEqual(try mfpipe("run", "pipelines/toy.json", "--quiet").exitCode, 0)
        let artifacts = workdir.appendingPathComponent("artifacts")
        let factorize = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).first { $0.hasPrefix("factorize-") })
        try FileManager.default.removeItem(at: artifacts.appendingPathComponent(factorize))
        let result = try mfpipe("run", "pipelines/toy.json", "--threads", "2", "--set", "export.path=../out/again.h5")
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let actions = try RunRecords.latestActions(workdir: workdir)
        XCTAssertEqual([actions["factorize"], actions["evaluate"], actions["export"]], ["ran", "cached", "ran"])
        let same = try Python.run("""
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
                assert a["models"].attrs["chosen"] == b["models"].attrs["chosen"] == "k002"
                assert np.array_equal(a["models/k002/W"][:], b["models/k002/W"][:]) and np.array_equal(a["models/k002/H"][:], b["models/k002/H"][:])
            """, arguments: [scratch.url("out/toy.h5").path, scratch.url("out/again.h5").path])
        XCTAssertEqual(same.exitCode, 0, same.stderr)
    }

    func testRunRecordsSortAsTheRunsStarted() throws {
        for _ in 0..<3 { XCTAssertEqual(try mfpipe("run", "pipelines/toy.json", "--quiet").exitCode, 0) }
        let names = try FileManager.default.contentsOfDirectory(atPath: workdir.appendingPathComponent("runs").path).sorted()
        XCTAssertEqual(names.count, 3, "\(names)")
        XCTAssertTrue(names.allSatisfy { $0.range(of: #"^\d{4}-\d{2}-\d{2}T\d{6}\.\d{3}Z-\d+\.json$"#, options: .regularExpression) != nil }, "\(names)")
        let started = try names.map { try JSONParser.parse(Data(contentsOf: workdir.appendingPathComponent("runs/\($0)")))["started"]?.stringValue ?? "" }
        XCTAssertEqual(started, started.sorted(), "\(names)")
        XCTAssertEqual(Set(try RunRecords.latestActions(workdir: workdir).values), ["cached"])
    }

    func testDeletedExportIsWrittenAgain() throws {
        XCTAssertEqual(try mfpipe("run", "pipelines/toy.json", "--quiet").exitCode, 0)
        try FileManager.default.removeItem(at: scratch.url("out/toy.h5"))
        let result = try mfpipe("run", "pipelines/toy.json")
        XCTAssertTrue(result.stdout.contains("run export: damaged artifact: output \(scratch.url("out/toy.h5").path) is missing"), result.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.url("out/toy.h5").path))
        XCTAssertEqual(try RunRecords.latestActions(workdir: workdir).filter { $0.value == "ran" }.keys.sorted(), ["export"])
    }

    func testAHeldLockStopsTheRunAndAPidLeftBehindIsOnlyReported() throws {
        try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)
        let lock = workdir.appendingPathComponent("lock")
        try Data("4242\n".utf8).write(to: lock)
        let holder = open(lock.path, O_RDWR)
        XCTAssertEqual(flock(holder, LOCK_EX | LOCK_NB), 0, "this test holds the lock, as a running mfpipe would")
        let blocked = try mfpipe("run", "pipelines/toy.json")
        XCTAssertEqual(blocked.exitCode, 2)
        XCTAssertEqual(blocked.stderr, "mfpipe: work directory \(workdir.path) is in use by another mfpipe run (pid 4242); wait for it or stop it\n")
        close(holder)

        // A pid left in the file by a run that died — here pid 1, alive but not an mfpipe
        // run — blocks nothing: only the kernel's lock counts.
        try Data("1\n".utf8).write(to: lock)
        let taken = try mfpipe("run", "pipelines/toy.json", "--quiet")
        XCTAssertEqual(taken.exitCode, 0, taken.stderr)
        XCTAssertEqual(taken.stderr, "warning: taking over the lock of \(workdir.path) from pid 1, whose run did not finish\n")
        XCTAssertEqual(try Data(contentsOf: lock).count, 0, "a run that ends cleanly empties the lock file")
        let again = try mfpipe("run", "pipelines/toy.json", "--quiet")
        XCTAssertEqual(again.stderr, "", "no warning after a clean run")
    }

    func testForceRerunsTheStageAndItsDescendants() throws {
        XCTAssertEqual(try mfpipe("run", "pipelines/toy.json", "--quiet").exitCode, 0)
        XCTAssertEqual(try mfpipe("run", "pipelines/toy.json", "--quiet", "--force", "normalize").exitCode, 0)
        let actions = try RunRecords.latestActions(workdir: workdir)
        XCTAssertEqual(actions.filter { $0.value == "cached" }.keys.sorted(), ["ingest"])
        let unknown = try mfpipe("run", "pipelines/toy.json", "--force", "fit")
        XCTAssertEqual(unknown.exitCode, 2)
        XCTAssertEqual(unknown.stderr, "mfpipe: --force fit: no stage with that id; expected one of ingest, normalize, factorize, evaluate, export, report\n")
    }

    func testCleanUnreferencedKeepsWhatThePipelineUses() throws {
        XCTAssertEqual(try mfpipe("run", "pipelines/toy.json", "--quiet").exitCode, 0)
        XCTAssertEqual(try mfpipe("run", "pipelines/toy.json", "--quiet", "--set", "factorize.learning_rate=0.02").exitCode, 0)
        let artifacts = workdir.appendingPathComponent("artifacts")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).count, 10)
        // A node a live process is computing (this one's pid): its staging folder is never listed.
        let staging = artifacts.appendingPathComponent(".factorize-0123456789abcdef.tmp-\(getpid())-1")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        let before = try FileManager.default.contentsOfDirectory(atPath: artifacts.path).sorted()
        let preview = try mfpipe("clean", "pipelines/toy.json", "--unreferenced", "--dry-run")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).sorted(), before, "a dry run removes nothing")
        try FileManager.default.removeItem(at: staging)
        let listed = preview.stdout.split(separator: "\n")
        XCTAssertEqual(listed.count, 5, preview.stdout)
        XCTAssertTrue(listed.dropLast().allSatisfy { $0.hasPrefix("would remove ") && ($0.hasSuffix(" kB)") || $0.hasSuffix(" bytes)")) }, preview.stdout)
        let freed = listed.dropLast().compactMap { line in
            before.first { line.hasPrefix("would remove \($0) (") }.map { artifacts.appendingPathComponent($0) }
        }
        XCTAssertEqual(freed.count, 4, "each line names an artifact folder")
        let space = CleanSize.shown(freed)
        XCTAssertEqual(String(listed.last!), "would remove 4 artifacts, freeing \(space), from runs/toy")
        let clean = try mfpipe("clean", "pipelines/toy.json", "--unreferenced")
        XCTAssertEqual(clean.stdout, "removed 4 artifacts, freeing \(space), from runs/toy\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: artifacts.path).count, 6)
        let cached = try mfpipe("run", "pipelines/toy.json", "--quiet")
        XCTAssertEqual(cached.exitCode, 0)
        XCTAssertEqual(Set(try RunRecords.latestActions(workdir: workdir).filter { $0.key != "export" && $0.key != "report" }.values), ["cached"])
        XCTAssertTrue(try mfpipe("clean", "pipelines/toy.json").stdout.hasPrefix("removed 6 artifacts, freeing "))
    }

    /// A `%` in a path is text, not a conversion: the log line of the node that wrote it
    /// names the file as it is (before, "done export in 0.02s: wrote out/100(null)(null).h5").
    func testPercentSignsInAPathAreLoggedAsTheyAre() throws {
        let result = try mfpipe("run", "pipelines/toy.json", "--set", "export.path=../out/100%s%d%n.h5")
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let done = try XCTUnwrap(result.stdout.split(separator: "\n").first { $0.contains("done export in ") }, result.stdout)
        XCTAssertTrue(done.hasSuffix("s: wrote out/100%s%d%n.h5 (chosen k=2, 1 model)"), String(done))
        XCTAssertTrue(FileManager.default.fileExists(atPath: scratch.url("out/100%s%d%n.h5").path))
    }

    func testDagFormats() throws {
        try scratch.copyFromRepository("pipelines/movielens.json")
        let text = try mfpipe("dag", "pipelines/movielens.json")
        XCTAssertTrue(text.stdout.contains("factorize[k=64] (factorize) <- normalize\n"), text.stdout)
        XCTAssertTrue(text.stdout.contains("evaluate (evaluate) <- factorize[k=16], factorize[k=32], factorize[k=64], factorize[k=128]\n"), text.stdout)
        let dot = try mfpipe("dag", "pipelines/movielens.json", "--format", "dot")
        XCTAssertTrue(dot.stdout.contains("\"normalize\" -> \"factorize[k=128]\";"), dot.stdout)
        let mermaid = try mfpipe("dag", "pipelines/movielens.json", "--format", "mermaid")
        XCTAssertTrue(mermaid.stdout.hasPrefix("flowchart LR\n"), mermaid.stdout)
        let bad = try mfpipe("dag", "pipelines/movielens.json", "--format", "svg")
        XCTAssertEqual(bad.exitCode, 2)
        XCTAssertEqual(bad.stderr, "mfpipe: dag: --format svg: expected text, dot or mermaid\n")
    }

    func testJSONLogFormatWritesOneObjectPerLine() throws {
        let result = try mfpipe("run", "pipelines/toy.json", "--log-format", "json")
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let events = try result.stdout.split(separator: "\n").map { try JSONParser.parse(Data($0.utf8)) }
        XCTAssertEqual(events.filter { $0["event"]?.stringValue == "done" }.count, 6)
        XCTAssertEqual(events.last?["event"]?.stringValue, "finish")
    }
}

/// The space `clean` reports, computed independently: the allocated blocks (`du`'s measure)
/// of every file and folder under the given folders, in the command's units.
private enum CleanSize {
    static func shown(_ folders: [URL]) -> String {
        let bytes = folders.reduce(0) { total, folder in
            let paths = [folder.path] + (FileManager.default.subpaths(atPath: folder.path) ?? []).map { folder.path + "/" + $0 }
            return total + paths.reduce(0) { sum, path in
                var status = stat()
                return sum + (lstat(path, &status) == 0 ? Int(status.st_blocks) * 512 : 0)
            }
        }
        return ByteText.format(bytes)
    }
}
