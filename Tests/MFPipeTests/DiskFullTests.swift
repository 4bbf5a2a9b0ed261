import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Writes that fail halfway — a full disk (a small tmpfs, mounted when the tests run as root
/// and may mount) or the file-size limit (`ulimit -f`, which the kernel enforces for anyone,
/// failing writes with EFBIG) — end the run with one line naming the file and the system's
/// reason, exit 1, no crash, no temporary file left, and earlier results untouched; the next
/// run with room finishes.
final class DiskFullTests: XCTestCase {
    private var scratch: Scratch!
    private var mounted: URL?

    override func setUpWithError() throws {
        scratch = try Scratch()
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "20000", "--cols", "3000",
                                          "--ratings", "400000", "--seed", "4"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
    }

    override func tearDown() {
        if let mounted { _ = try? ProcessRunner.run(URL(fileURLWithPath: "/bin/umount"), [mounted.path]) }
        scratch.remove()
    }

    private func pipeline(workdir: String = "../runs", export: String = "../out/x.h5") throws {
        try scratch.write("""
            {"version": 1, "name": "x", "workdir": "\(workdir)", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"]},
              {"id": "factorize", "type": "factorize", "inputs": ["split"], "params": {"k": 8, "epochs": 2}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"refit": false}},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "\(export)"}}]}
            """, to: "pipelines/x.json")
    }

    /// Runs the pipeline with writes limited to `kilobytes` per file.
    private func run(limitingFilesTo kilobytes: Int?, _ extra: [String] = []) throws -> CommandResult {
        let arguments = ["run", "pipelines/x.json", "--quiet"] + extra
        guard let kilobytes else { return try MFPipeBinary.run(arguments, in: scratch.root) }
        return try ProcessRunner.run(URL(fileURLWithPath: "/bin/bash"),
                                     ["-c", "ulimit -f \(kilobytes) && exec \"$0\" \"$@\"", MFPipeBinary.url.path] + arguments,
                                     in: scratch.root)
    }

    /// Asserts the run failed cleanly with `reason`: exit 1, one line, nothing temporary left.
    private func assertFailedCleanly(_ result: CommandResult, reason: String, leaving folders: [String],
                                     file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(result.exitCode, 1, result.stderr, file: file, line: line)
        // A cached node repeats its warnings (the short training here draws one) before the error.
        let errors = result.stderr.split(separator: "\n").filter { !$0.hasPrefix("warning: ") }
        XCTAssertEqual(errors.count, 1, "one line: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(errors.first?.hasPrefix("mfpipe: ") == true && errors.first?.hasSuffix(": \(reason)") == true, result.stderr,
                      file: file, line: line)
        XCTAssertTrue(result.stderr.hasSuffix("\n"), result.stderr, file: file, line: line)
        for folder in folders {
            let left = FileManager.default.enumerator(atPath: scratch.url(folder).path)?.compactMap { $0 as? String } ?? []
            XCTAssertEqual(left.filter { $0.contains(".tmp") || $0.contains("partial") }, [], "temporary files left in \(folder)",
                           file: file, line: line)
        }
    }

    func testAFileSizeLimitFailsTheWriteWithItsReasonAndKeepsTheEarlierExport() throws {
        try pipeline()
        XCTAssertEqual(try run(limitingFilesTo: nil).exitCode, 0)
        let export = try Data(contentsOf: scratch.url("out/x.h5"))
        // A larger rank: its model artifact and its export are larger than the limit.
        let limit = export.count / 1024 / 2
        let failed = try run(limitingFilesTo: limit, ["--set", "factorize.k=32"])
        try assertFailedCleanly(failed, reason: "File too large", leaving: ["runs", "out"])
        XCTAssertEqual(try Data(contentsOf: scratch.url("out/x.h5")), export, "the earlier export is untouched")
        XCTAssertEqual(try run(limitingFilesTo: nil, ["--set", "factorize.k=32"]).exitCode, 0, "with room, the run finishes")
    }

    func testAFileSizeLimitFailsAnArtifactWrite() throws {
        try pipeline()
        try assertFailedCleanly(try run(limitingFilesTo: 512), reason: "File too large", leaving: ["runs"])
        let resumed = try run(limitingFilesTo: nil)
        XCTAssertEqual(resumed.exitCode, 0, resumed.stderr)
    }

    func testAForcedRerunThatFailsKeepsEveryEarlierArtifact() throws {
        try pipeline()
        XCTAssertEqual(try run(limitingFilesTo: nil).exitCode, 0)
        try assertFailedCleanly(try run(limitingFilesTo: 512, ["--force", "ratings"]), reason: "File too large", leaving: ["runs"])
        let status = try MFPipeBinary.run(["status", "pipelines/x.json", "--check"], in: scratch.root)
        XCTAssertEqual(status.exitCode, 0, "every node is still done: \(status.stdout)\(status.stderr)")
    }

    /// Mounts a tmpfs of `kilobytes` at `disk/`, or skips the test when it cannot.
    private func mountSmallDisk(kilobytes: Int) throws {
        let disk = scratch.url("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        guard geteuid() == 0,
              try ProcessRunner.run(URL(fileURLWithPath: "/bin/mount"), ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", disk.path]).exitCode == 0
        else { throw XCTSkip("mounting a small tmpfs needs root (the file-size-limit tests cover the rest)") }
        mounted = disk
    }

    func testAFullDiskUnderTheWorkDirectoryFailsWithNoSpaceLeft() throws {
        try mountSmallDisk(kilobytes: 1024)
        try pipeline(workdir: "../disk/runs")
        try assertFailedCleanly(try run(limitingFilesTo: nil), reason: "No space left on device", leaving: ["disk"])
        try pipeline()
        XCTAssertEqual(try run(limitingFilesTo: nil).exitCode, 0, "the same pipeline with room finishes")
    }

    func testAFullDiskUnderTheExportFailsWithNoSpaceLeft() throws {
        try pipeline()
        XCTAssertEqual(try run(limitingFilesTo: nil).exitCode, 0)
        let size = try Data(contentsOf: scratch.url("out/x.h5")).count
        try mountSmallDisk(kilobytes: max(8, size / 1024 / 2))
        try pipeline(export: "../disk/x.h5")
        try assertFailedCleanly(try run(limitingFilesTo: nil), reason: "No space left on device", leaving: ["disk"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.url("disk/x.h5").path), "no half-written export")
    }
}
