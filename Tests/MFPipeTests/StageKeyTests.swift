import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The cache key holds the revision of the code behind a node's output once it is raised,
/// so that artifacts an earlier revision stored under the same parameters are computed
/// again, and the run says why.
final class StageKeyTests: XCTestCase {
    private func factorizeKey(algorithm: String) throws -> StageKey {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try scratch.write("""
            {"version": 1, "name": "keys", "seed": 1, "stages": [
              {"id": "ratings", "type": "ingest", "params": {"path": "../data/toy/toy.mtx"}},
              {"id": "factorize", "type": "factorize", "inputs": ["ratings"], "params": {"algorithm": "\(algorithm)", "k": 4}}]}
            """, to: "pipelines/keys.json")
        let pipeline = try PipelineLoader.load(scratch.url("pipelines/keys.json"))
        let node = try XCTUnwrap(PipelineDAG(pipeline).node("factorize"))
        return try StageKey(node: node, of: pipeline, inputKeys: ["upstream"], digest: { _ in "digest" })
    }

    func testARevisedAlgorithmChangesItsNodesKeyAndSaysSo() throws {
        let svd = try factorizeKey(algorithm: "svd")
        XCTAssertEqual(svd.ingredients["revision"], .number(Double(SVDFactorizer.revision)))
        XCTAssertGreaterThan(SVDFactorizer.revision, 1)
        var before = try XCTUnwrap(svd.ingredients.objectValue)
        before.removeAll { $0.key == "revision" }
        XCTAssertEqual(svd.change(since: .object(before)), "computed by an earlier revision of its code")
        let sgd = try factorizeKey(algorithm: "sgd")
        XCTAssertTrue(svd.change(since: sgd.ingredients).hasPrefix("params changed (algorithm \"sgd\" -> \"svd\""),
                      "a change of params says so before the revision: \(svd.change(since: sgd.ingredients))")
        XCTAssertNil(try factorizeKey(algorithm: "sgd").ingredients["revision"], "a first revision leaves the key as it was")
    }
}
