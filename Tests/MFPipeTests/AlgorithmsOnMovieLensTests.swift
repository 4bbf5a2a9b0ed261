import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The default MovieLens pipeline with `als` and with `ccd` in place of SGD, shipped
/// defaults and no tuning: each reaches the target test RMSE of a seeded 80/20 split.
final class AlgorithmsOnMovieLensTests: XCTestCase {
    private func testRMSE(algorithm: String) throws -> Double {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.copyFromRepository("pipelines/movielens.json")
        let run = try MFPipeBinary.run(["run", "pipelines/movielens.json", "--quiet", "--set", "factorize.algorithm=\(algorithm)"],
                                       in: scratch.root)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        let file = try HDF5File.open(scratch.url("out/movielens.h5"))
        defer { try? file.close() }
        let models = try file.root.openGroup("models")
        let chosen = try models.openGroup(try models.stringAttribute("chosen"))
        XCTAssertEqual(try chosen.stringAttribute("algorithm"), algorithm)
        return try chosen.doubleAttribute("test_rmse")
    }

    func testALSReachesTheTarget() throws {
        XCTAssertLessThanOrEqual(try testRMSE(algorithm: "als"), 0.855)
    }

    func testCCDReachesTheTarget() throws {
        XCTAssertLessThanOrEqual(try testRMSE(algorithm: "ccd"), 0.855)
    }
}
