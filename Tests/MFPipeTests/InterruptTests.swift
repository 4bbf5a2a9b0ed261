import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// SIGTERM and SIGINT stop a run promptly: exit 143 or 130, the lock released, completed
/// stages kept, the interrupted stage left incomplete (and so rerun next time).
final class InterruptTests: XCTestCase {
    private func interrupt(with signalNumber: Int32, expecting code: Int32, name: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("""
            {"version": 1, "name": "long", "workdir": "../runs/long", "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/ml-latest-small/ratings.csv", "header": true}},
              {"id": "factorize", "type": "factorize", "inputs": ["ratings"],
               "params": {"algorithm": "adam", "k": 8, "epochs": 100000000, "tolerance": 0}}]}
            """, to: "pipelines/long.json")
        let process = Process()
        process.executableURL = MFPipeBinary.url
        process.arguments = ["run", "pipelines/long.json", "--quiet"]
        process.currentDirectoryURL = scratch.root
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let lock = scratch.url("runs/long/lock")
        let deadline = Date().addingTimeInterval(30)
        var ingested = false
        while Date() < deadline && !ingested {
            Thread.sleep(forTimeInterval: 0.1)
            let artifacts = (try? FileManager.default.contentsOfDirectory(atPath: scratch.url("runs/long/artifacts").path)) ?? []
            ingested = artifacts.contains { $0.hasPrefix("ratings-") && FileManager.default.fileExists(atPath: scratch.url("runs/long/artifacts/\($0)/manifest.json").path) }
        }
        XCTAssertTrue(ingested, "the ingest stage completed before the signal")
        Thread.sleep(forTimeInterval: 0.5)
        let sent = Date()
        kill(process.processIdentifier, signalNumber)
        process.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(sent), 5, "stopped promptly")
        XCTAssertEqual(process.terminationStatus, code)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(stderr, "mfpipe: interrupted by \(name); completed stages are kept\n")
        XCTAssertEqual(try Data(contentsOf: lock).count, 0, "the lock names no holder any more")
        let status = try MFPipeBinary.run(["status", "pipelines/long.json"], in: scratch.root)
        let lines = status.stdout.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.hasPrefix("ratings") && $0.contains(" done ") }, status.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("factorize") && !$0.contains(" done ") }, status.stdout)
    }

    func testSIGTERMExits143() throws {
        try interrupt(with: SIGTERM, expecting: 143, name: "SIGTERM")
    }

    func testSIGINTExits130() throws {
        try interrupt(with: SIGINT, expecting: 130, name: "SIGINT")
    }
}
