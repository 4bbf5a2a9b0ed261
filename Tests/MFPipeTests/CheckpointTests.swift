import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// In-stage checkpoints: a factorization killed with SIGKILL at any epoch, or stopped with
/// SIGTERM, resumes and ends with exactly the factors of a run never interrupted; `status`
/// shows it partial; stale and damaged checkpoints are never used.
final class CheckpointTests: XCTestCase {
    private var scratch: Scratch!

    override func setUpWithError() throws {
        scratch = try Scratch()
        let synth = try MFPipeBinary.run(["synth", "--output", "data/ratings.csv", "--rows", "3000", "--cols", "1500",
                                          "--ratings", "400000", "--rank", "6", "--seed", "3"], in: scratch.root)
        XCTAssertEqual(synth.exitCode, 0, synth.stderr)
    }

    override func tearDown() {
        scratch.remove()
        super.tearDown()
    }

    /// A pipeline with a 40-epoch SGD factorization (and its refit) that checkpoints
    /// according to `checkpoints` (params of the factorize stage); `algorithm` replaces the
    /// SGD parameters with another algorithm's, and `normalization` the normalize method.
    private func writePipeline(checkpoints: String = #""checkpoint_epochs": 1"#,
                               algorithm: String = #""epochs": 40, "patience": 0, "tolerance": 0"#,
                               normalization: String = "biases") throws {
        try scratch.write("""
            {"version": 1, "name": "resume", "workdir": "../runs", "seed": 5, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ratings.csv"}},
              {"id": "split", "type": "split", "inputs": ["ratings"]},
              {"id": "normalize", "type": "normalize", "inputs": ["split"], "params": {"method": "\(normalization)"}},
              {"id": "factorize", "type": "factorize", "inputs": ["normalize"],
               "params": {"k": 24, \(algorithm), \(checkpoints)}},
              {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"refit": false}},
              {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "../out/factors.h5"}}]}
            """, to: "pipelines/resume.json")
    }

    /// W, H and the biases (or singular values) of the exported chosen model, exactly as stored.
    private func exportedFactors() throws -> [[Float]] {
        let file = try HDF5File.open(scratch.url("out/factors.h5"))
        defer { try? file.close() }
        let models = try file.root.openGroup("models")
        let chosen = try models.openGroup(try models.stringAttribute("chosen"))
        return try ["W", "H", "row_bias", "col_bias", "sigma"].filter(chosen.contains).map { try chosen.read($0, as: Float.self).values }
    }

    /// Runs the pipeline to completion with `threads` threads and returns the exported factors.
    private func runToCompletion(threads: Int) throws -> [[Float]] {
        let result = try MFPipeBinary.run(["run", "pipelines/resume.json", "--quiet", "--threads", "\(threads)"], in: scratch.root)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        return try exportedFactors()
    }

    /// The factorize node's checkpoint, if one is there.
    private func checkpoint() -> (url: URL, checkpoint: Checkpoint)? {
        let folder = scratch.url("runs/checkpoints")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix("factorize-") && name.hasSuffix(".ckpt") {
            let url = folder.appendingPathComponent(name)
            if let data = try? Data(contentsOf: url), let checkpoint = try? Checkpoint(decoding: data) { return (url, checkpoint) }
        }
        return nil
    }

    /// Starts a run on two threads and returns once `condition` holds (or 60 s passed).
    private func startRun(until condition: () -> Bool) throws -> Process {
        let process = Process()
        process.executableURL = MFPipeBinary.url
        process.arguments = ["run", "pipelines/resume.json", "--quiet", "--threads", "2"]
        process.currentDirectoryURL = scratch.root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline && !condition() { usleep(500) }
        return process
    }

    func testKilledAtRandomEpochsAFactorizationResumesToTheSameBits() throws {
        try writePipeline()
        let reference = try runToCompletion(threads: 1)
        try FileManager.default.removeItem(at: scratch.url("runs"))
        try FileManager.default.removeItem(at: scratch.url("out"))
        var random = SplitMix64(seed: 11)
        var target = 0
        var kills: [Int] = []
        for _ in 0..<4 {
            target += 2 + random.nextIndex(below: 7)
            let process = try startRun { (checkpoint()?.checkpoint.epoch ?? 0) >= target }
            usleep(UInt32(random.nextIndex(below: 4000)))
            guard process.isRunning else { break }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal)
            let epoch = try XCTUnwrap(checkpoint()?.checkpoint.epoch, "a checkpoint survives the kill")
            kills.append(epoch)
            let status = try MFPipeBinary.run(["status", "pipelines/resume.json"], in: scratch.root)
            XCTAssertTrue(status.stdout.contains("factorize  partial  (checkpoint at epoch \(epoch) of 40)"), status.stdout)
        }
        XCTAssertGreaterThanOrEqual(kills.count, 3, "several kills landed during the factorization: \(kills)")
        XCTAssertEqual(kills, kills.sorted(), "each run resumed where the last one stopped")
        let resumed = try runToCompletion(threads: 2)
        XCTAssertEqual(resumed, reference, "after kills at epochs \(kills), the factors equal an uninterrupted run's, bit for bit")
        XCTAssertNil(checkpoint(), "a finished node's checkpoint is removed")
    }

    func testEveryAlgorithmResumesFromKillsToTheSameBits() throws {
        let cases: [(name: String, params: String, normalization: String, epochs: Int)] = [
            ("als", #""algorithm": "als", "epochs": 14, "patience": 0, "tolerance": 0"#, "biases", 14),
            ("ccd", #""algorithm": "ccd", "epochs": 10, "patience": 0, "tolerance": 0"#, "biases", 10),
            ("nmf", #""algorithm": "nmf", "epochs": 60, "patience": 0, "tolerance": 0"#, "none", 60),
            ("svd", #""algorithm": "svd", "impute_rounds": 60, "patience": 0"#, "center", 60),
        ]
        for algorithm in cases {
            try writePipeline(algorithm: algorithm.params, normalization: algorithm.normalization)
            let reference = try runToCompletion(threads: 1)
            try FileManager.default.removeItem(at: scratch.url("runs"))
            try FileManager.default.removeItem(at: scratch.url("out"))
            var kills: [Int] = []
            for target in [algorithm.epochs / 4, algorithm.epochs / 2] {
                let process = try startRun { (checkpoint()?.checkpoint.epoch ?? 0) >= target }
                guard process.isRunning else { continue }
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                if let epoch = checkpoint()?.checkpoint.epoch { kills.append(epoch) }
            }
            XCTAssertFalse(kills.isEmpty, "\(algorithm.name): a kill landed during the factorization")
            let resumed = try runToCompletion(threads: 2)
            XCTAssertEqual(resumed, reference, "\(algorithm.name): after kills at epochs \(kills), the same bits as an uninterrupted run")
            try FileManager.default.removeItem(at: scratch.url("runs"))
            try FileManager.default.removeItem(at: scratch.url("out"))
        }
    }

    func testSIGTERMWritesACheckpointPromptlyAndTheRunResumesToTheSameBits() throws {
        try writePipeline(checkpoints: #""checkpoint_epochs": 0, "checkpoint_seconds": 0"#)
        let reference = try runToCompletion(threads: 1)
        // Twelve epochs' time (of 40, one thread) after factorize starts: mid-run however fast
        // this build and machine are (a sanitized build is many times slower, an AVX-512 one faster).
        let wait = 12 * (try XCTUnwrap(RunRecords.latestSeconds(of: "factorize", workdir: scratch.url("runs")))) / 40
        try FileManager.default.removeItem(at: scratch.url("runs"))
        let artifacts = scratch.url("runs/artifacts")
        let process = try startRun {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: artifacts.path)) ?? []
            return names.contains { $0.hasPrefix(".factorize-") }
        }
        usleep(UInt32(wait * 1_000_000))
        let sent = Date()
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(sent), 2, "stopped promptly")
        XCTAssertEqual(process.terminationStatus, 143)
        let saved = try XCTUnwrap(checkpoint(), "SIGTERM writes a checkpoint though none was due").checkpoint
        XCTAssertGreaterThanOrEqual(saved.epoch, 1, "at least one epoch had completed before the signal")
        XCTAssertLessThan(saved.epoch, 40, "the signal came during the factorization")
        let resumed = try MFPipeBinary.run(["run", "pipelines/resume.json", "--threads", "2"], in: scratch.root)
        XCTAssertEqual(resumed.exitCode, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("factorize: resuming from the checkpoint at epoch \(saved.epoch) of 40"), resumed.stdout)
        XCTAssertEqual(try exportedFactors(), reference, "nothing of the interrupted epoch is lost or repeated")
    }

    func testDamagedAndStaleCheckpointsAreNeverUsed() throws {
        try writePipeline()
        let reference = try runToCompletion(threads: 2)
        try FileManager.default.removeItem(at: scratch.url("runs"))
        let process = try startRun { (checkpoint()?.checkpoint.epoch ?? 0) >= 5 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let (url, _) = try XCTUnwrap(checkpoint())
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: url)
        let status = try MFPipeBinary.run(["status", "pipelines/resume.json"], in: scratch.root)
        XCTAssertFalse(status.stdout.contains("partial"), "a damaged checkpoint is not offered for resuming: \(status.stdout)")
        XCTAssertEqual(try runToCompletion(threads: 2), reference, "the damaged checkpoint was ignored and training started afresh")

        try FileManager.default.removeItem(at: scratch.url("runs"))
        let again = try startRun { (checkpoint()?.checkpoint.epoch ?? 0) >= 5 }
        kill(again.processIdentifier, SIGKILL)
        again.waitUntilExit()
        let stale = try XCTUnwrap(checkpoint()).url
        let changed = try MFPipeBinary.run(["run", "pipelines/resume.json", "--quiet", "--set", "factorize.epochs=39"], in: scratch.root)
        XCTAssertEqual(changed.exitCode, 0, changed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path), "the checkpoint of the old key is discarded")
    }

    func testTheSameSeedGivesTheSameBitsOnOneAndTwoThreads() throws {
        var random = SplitMix64(seed: 8)
        var train = RatingTable()
        for _ in 0..<150_000 {
            let (row, col) = (random.nextIndex(below: 2000), random.nextIndex(below: 900))
            train.append(row: Int32(row), col: Int32(col), value: Float(Double(row % 7) + Double(col % 5) + random.nextGaussian()))
        }
        let problem = TrainingProblem(rows: 2000, cols: 900, train: train, validation: RatingTable())
        let request = try FactorizeStage.request(.object([("k", .number(20)), ("epochs", .number(6)), ("tolerance", .number(0)),
                                                          ("patience", .number(0)), ("seed", .number(4))]))
        XCTAssertGreaterThanOrEqual(try problem.blocked(grid: 0, seed: 4, threads: 1).grid, 4, "enough blocks for threads to share")
        let one = try SGDFactorizer.train(problem, request: request, environment: .plain(threads: 1))
        let two = try SGDFactorizer.train(problem, request: request, environment: .plain(threads: 2))
        XCTAssertEqual(one.w, two.w)
        XCTAssertEqual(one.h, two.h)
        XCTAssertEqual(one.rowBias, two.rowBias)
        XCTAssertEqual(one.colBias, two.colBias)
        XCTAssertEqual(one.info.curve.map(\.trainRMSE), two.info.curve.map(\.trainRMSE))
    }
}
