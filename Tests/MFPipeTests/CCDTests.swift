import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// `ccd`: CCD++ reaches a known answer, never increases its objective, and gives the same
/// bits on any thread count and after a resume.
final class CCDTests: XCTestCase {
    private func ccd(_ params: [(String, JSONValue)]) throws -> FactorizationRequest {
        try SolverFixtures.request("ccd", params + [("patience", .number(0)), ("tolerance", .number(0))])
    }

    func testCCDRecoversAHeldOutLowRankMatrix() throws {
        let problem = SolverFixtures.lowRankProblem(rows: 200, cols: 150, rank: 3, observed: 0.3, seed: 5)
        let model = try CCDFactorizer.train(problem, request: ccd([("k", .number(3)), ("epochs", .number(60)),
                                                                    ("regularization", .number(1e-5)), ("bias_regularization", .number(1e-5))]))
        // The entries are products of uniform [0, 1) factors, spread about 0.5 around their
        // mean; an exact rank-3 fit predicts held-out entries to well under 1 % of that.
        XCTAssertLessThan(SolverFixtures.rmse(model, on: problem.validation), 0.005)
    }

    func testCCDObjectiveNeverIncreases() throws {
        var random = SplitMix64(seed: 2)
        var train = RatingTable()
        for _ in 0..<20_000 {
            let (row, col) = (random.nextIndex(below: 400), random.nextIndex(below: 300))
            train.append(row: Int32(row), col: Int32(col), value: Float(Double(row % 5) - Double(col % 3) + random.nextGaussian()))
        }
        let problem = TrainingProblem(rows: 400, cols: 300, train: train, validation: RatingTable())
        let model = try CCDFactorizer.train(problem, request: ccd([("k", .number(8)), ("epochs", .number(15))]))
        let objectives = model.info.objectives
        XCTAssertEqual(objectives.count, 15)
        for epoch in 1..<objectives.count {
            // Each coordinate update is an exact minimum; float32 sums leave a relative
            // wobble of about 1e-6 once the objective has converged.
            XCTAssertLessThanOrEqual(objectives[epoch], objectives[epoch - 1] * (1 + 1e-5), "epoch \(epoch + 1): \(objectives)")
        }
        // The biases are fitted exactly in the first iteration, so most of the decrease
        // comes at once; the components still take a few per cent more.
        XCTAssertLessThan(objectives.last!, 0.97 * objectives.first!, "it made progress")
    }

    func testCCDGivesTheSameBitsOnOneAndTwoThreadsAndAfterAResume() throws {
        let problem = SolverFixtures.lowRankProblem(rows: 900, cols: 700, rank: 4, observed: 0.2, seed: 8)
        let request = try ccd([("k", .number(12)), ("epochs", .number(8))])
        XCTAssertEqual(try SolverFixtures.threadAndResumeDifferences(CCDFactorizer.self, problem, request, stopAfter: 3), [])
    }

    func testParametersOfOtherAlgorithmsAreRejected() {
        XCTAssertEqual(SolverFixtures.parameterError(.object([("algorithm", .string("ccd")), ("k", .number(4)), ("learning_rate", .number(0.1))])),
                       "params: params.learning_rate: applies to algorithms \"sgd\", \"adam\", not to \"ccd\"; remove it or change algorithm")
    }
}
