import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// `mpirun -np N mfpipe run` on loopback: ALS and DSGD give the bits of one process for
/// N = 2 and 4, a rank killed with SIGKILL mid-training leaves checkpoint slices from which
/// the next run resumes to the same bits, SIGTERM makes every rank write its slice, and a bad
/// input is reported once with exit 2.
final class MPITests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws {
        scratch = try Scratch()
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "3000", "--cols", "1500",
                                          "--ratings", "300000", "--rank", "6", "--seed", "4"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
    }

    override func tearDown() {
        scratch.remove()
        super.tearDown()
    }

    /// Open MPI's launcher, which the Makefile installs (openmpi-bin).
    private static let mpirun = URL(fileURLWithPath: "/usr/bin/mpirun")

    /// The launcher's arguments for `ranks` processes on this host: as root it must be told
    /// that this is intended, and more ranks than cores need `--oversubscribe`.
    private static func launch(_ ranks: Int) -> [String] {
        (getuid() == 0 ? ["--allow-run-as-root"] : []) + ["--oversubscribe", "-np", "\(ranks)", MFPipeBinary.url.path]
    }

    /// Writes `pipelines/NAME.json` into work directory `runs/NAME`: ALS over a sweep and
    /// DSGD on a 4 x 4 grid, both after a biases normalization; `epochs` each.
    private func writePipeline(_ name: String, alsEpochs: Int = 6, checkpoints: String = "") throws {
        try scratch.write("""
            {"version": 1, "name": "\(name)", "workdir": "../runs/\(name)", "seed": 9, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"]},
              {"id": "normalize", "type": "normalize", "inputs": ["split"], "params": {"method": "biases"}},
              {"id": "als", "type": "factorize", "inputs": ["normalize"],
               "params": {"algorithm": "als", "k": [8, 16], "epochs": \(alsEpochs), "patience": 0, "tolerance": 0\(checkpoints)}},
              {"id": "sgd", "type": "factorize", "inputs": ["normalize"],
               "params": {"algorithm": "sgd", "k": 12, "epochs": 6, "grid": 4, "patience": 0, "tolerance": 0}}]}
            """, to: "pipelines/\(name).json")
    }

    /// Every factorize artifact of work directory `runs/NAME`, by node folder prefix
    /// ("als-k008"), as the exact floats of W, H and the biases.
    private func factors(_ name: String) throws -> [String: [[Float]]] {
        let folder = scratch.url("runs/\(name)/artifacts")
        var found: [String: [[Float]]] = [:]
        for entry in try FileManager.default.contentsOfDirectory(atPath: folder.path) where entry.hasPrefix("als") || entry.hasPrefix("sgd") {
            let model = try FactorModel.read(at: folder.appendingPathComponent(entry).appendingPathComponent("data.h5"))
            found[String(entry.split(separator: "-").dropLast().joined(separator: "-"))] = [model.w, model.h, model.rowBias, model.colBias]
        }
        return found
    }

    func testALSAndDSGDGiveTheSameBitsOnOneTwoAndFourRanks() throws {
        try writePipeline("one")
        let single = try MFPipeBinary.run(["run", "pipelines/one.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(single.exitCode, 0, single.stderr)
        let expected = try factors("one")
        XCTAssertEqual(expected.keys.sorted(), ["als-k008", "als-k016", "sgd"])
        for ranks in [2, 4] {
            try writePipeline("ranks\(ranks)")
            let result = try ProcessRunner.run(Self.mpirun, Self.launch(ranks) + ["run", "pipelines/ranks\(ranks).json", "--quiet"],
                                               in: scratch.root)
            XCTAssertEqual(result.exitCode, 0, result.stderr)
            let found = try factors("ranks\(ranks)")
            XCTAssertEqual(found.keys.sorted(), expected.keys.sorted())
            for (node, arrays) in expected {
                XCTAssertTrue(found[node] == arrays, "\(node) with \(ranks) ranks differs from one process")
            }
        }
    }

    /// The process of rank `rank` among the children of the launcher `launcher`.
    private func rankProcess(_ rank: Int, of launcher: Int32) -> Int32? {
        let children = (try? String(contentsOfFile: "/proc/\(launcher)/task/\(launcher)/children", encoding: .utf8)) ?? ""
        for child in children.split(separator: " ").compactMap({ Int32($0) }) {
            guard let environment = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(child)/environ")) else { continue }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") { return child }
        }
        return nil
    }

    /// The generations of checkpoint slices of which every one of `ranks` slices is there.
    private func completeSliceGenerations(_ name: String, ranks: Int) -> Int {
        let folder = scratch.url("runs/\(name)/checkpoints")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let generations = files.compactMap { file -> String? in
            guard file.contains(".ckpt.slice-"), !file.hasPrefix("."), let range = file.range(of: ".g", options: .backwards) else { return nil }
            return String(file[range.upperBound...])
        }
        return Set(generations).filter { generation in generations.filter { $0 == generation }.count == ranks }.count
    }

    func testARankKilledMidTrainingResumesFromItsSlicesToTheSameBits() throws {
        let checkpoints = #", "checkpoint_epochs": 1"#
        try writePipeline("one", alsEpochs: 30, checkpoints: checkpoints)
        let single = try MFPipeBinary.run(["run", "pipelines/one.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(single.exitCode, 0, single.stderr)
        try writePipeline("killed", alsEpochs: 30, checkpoints: checkpoints)
        let launcher = Process()
        launcher.executableURL = Self.mpirun
        launcher.arguments = Self.launch(2) + ["run", "pipelines/killed.json", "--quiet"]
        launcher.currentDirectoryURL = scratch.root
        launcher.standardOutput = FileHandle.nullDevice
        launcher.standardError = FileHandle.nullDevice
        try launcher.run()
        let deadline = Date().addingTimeInterval(120)
        while launcher.isRunning && Date() < deadline && completeSliceGenerations("killed", ranks: 2) == 0 { usleep(2000) }
        XCTAssertTrue(launcher.isRunning, "the job was still training when its first checkpoint landed")
        let victim = try XCTUnwrap(rankProcess(1, of: launcher.processIdentifier))
        kill(victim, SIGKILL)
        launcher.waitUntilExit()
        XCTAssertNotEqual(launcher.terminationStatus, 0)
        let status = try MFPipeBinary.run(["status", "pipelines/killed.json"], in: scratch.root)
        XCTAssertTrue(status.stdout.split(separator: "\n").contains { $0.hasPrefix("als[k=8]") && $0.contains("partial  (checkpoint at epoch ") && $0.contains(" of 30)") },
                      "status reads the slices left by the job: \(status.stdout)")
        let resumed = try ProcessRunner.run(Self.mpirun, Self.launch(2) + ["run", "pipelines/killed.json", "--log-format", "json"],
                                            in: scratch.root)
        XCTAssertEqual(resumed.exitCode, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resuming from the checkpoint at epoch"), resumed.stdout)
        let expected = try factors("one")
        let found = try factors("killed")
        for (node, arrays) in expected {
            XCTAssertTrue(found[node] == arrays, "\(node) resumed with 2 ranks differs from one uninterrupted process")
        }
        let leftover = try FileManager.default.contentsOfDirectory(atPath: scratch.url("runs/killed/checkpoints").path)
        XCTAssertEqual(leftover.filter { $0.contains(".ckpt") }, [], "committed nodes leave no checkpoint slices")
    }

    func testSIGTERMToTheLauncherCheckpointsEveryRankAndExits143() throws {
        try writePipeline("stopped", alsEpochs: 100_000, checkpoints: #", "checkpoint_seconds": 0"#)
        let logFile = scratch.url("stopped.log")
        FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let launcher = Process()
        launcher.executableURL = Self.mpirun
        launcher.arguments = Self.launch(2) + ["run", "pipelines/stopped.json", "--log-format", "json"]
        launcher.currentDirectoryURL = scratch.root
        launcher.standardOutput = try FileHandle(forWritingTo: logFile)
        launcher.standardError = FileHandle.nullDevice
        try launcher.run()
        let started = Date()
        while launcher.isRunning && Date().timeIntervalSince(started) < 60
            && !((try? FileManager.default.contentsOfDirectory(atPath: scratch.url("runs/stopped/artifacts").path)) ?? [])
                .contains(where: { $0.hasPrefix("normalize-") }) { usleep(10_000) }
        Thread.sleep(forTimeInterval: 1.5)
        XCTAssertEqual(completeSliceGenerations("stopped", ranks: 2), 0, "no checkpoint before the signal (by epochs or time)")
        launcher.terminate()
        launcher.waitUntilExit()
        XCTAssertEqual(completeSliceGenerations("stopped", ranks: 2), 1, "every rank wrote its slice")
        let events = try String(contentsOf: logFile, encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(events.contains { $0.contains(#""event":"error","message":"interrupted by SIGTERM; completed stages are kept","exit_code":143"#) },
                      events.suffix(3).joined(separator: "\n"))
    }

    func testABadInputIsReportedOnceWithExitCode2() throws {
        try scratch.write("userId,movieId,rating\n1,2,3.5\n1,3,abc\n", to: "data/bad.csv")
        try scratch.write("""
            {"version": 1, "name": "bad", "workdir": "../runs/bad", "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/bad.csv"}},
              {"id": "als", "type": "factorize", "inputs": ["ratings"], "params": {"algorithm": "als", "k": 4}}]}
            """, to: "pipelines/bad.json")
        let result = try ProcessRunner.run(Self.mpirun, Self.launch(2) + ["run", "pipelines/bad.json", "--quiet"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 2)
        let ours = result.stderr.split(separator: "\n").filter { $0.hasPrefix("mfpipe:") }
        XCTAssertEqual(ours, [#"mfpipe: data/bad.csv:3:3: found "abc" in the value column; expected a number"#])
    }
}
