import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// `als`, with exact solves (`cg_steps: 0`) and with its default conjugate-gradient steps:
/// reaches a known answer, never increases its objective, and gives the same bits on any
/// thread count and after a resume.
final class ALSTests: XCTestCase {
    private func als(_ params: [(String, JSONValue)]) throws -> FactorizationRequest {
        try SolverFixtures.request("als", params + [("patience", .number(0)), ("tolerance", .number(0))])
    }

    /// The two ways of solving a row or column: exactly, and by the default's few
    /// conjugate-gradient steps from its current factors.
    private let solves: [(String, JSONValue)] = [("cg_steps", .number(0)), ("cg_steps", .number(3))]

    func testALSRecoversAHeldOutLowRankMatrix() throws {
        let problem = SolverFixtures.lowRankProblem(rows: 200, cols: 150, rank: 3, observed: 0.3, seed: 5)
        for solve in solves {
            let model = try ALSFactorizer.train(problem, request: als([("k", .number(3)), ("epochs", .number(40)), solve,
                                                                        ("regularization", .number(1e-5)), ("bias_regularization", .number(1e-5))]))
            // The entries are products of uniform [0, 1) factors, spread about 0.5 around their
            // mean; an exact rank-3 fit predicts held-out entries to well under 1 % of that.
            XCTAssertLessThan(SolverFixtures.rmse(model, on: problem.validation), 0.005, "\(solve)")
        }
    }

    func testALSObjectiveNeverIncreases() throws {
        var random = SplitMix64(seed: 2)
        var train = RatingTable()
        for _ in 0..<20_000 {
            let (row, col) = (random.nextIndex(below: 400), random.nextIndex(below: 300))
            train.append(row: Int32(row), col: Int32(col), value: Float(Double(row % 5) - Double(col % 3) + random.nextGaussian()))
        }
        let problem = TrainingProblem(rows: 400, cols: 300, train: train, validation: RatingTable())
        for solve in solves {
            let model = try ALSFactorizer.train(problem, request: als([("k", .number(8)), ("epochs", .number(15)), solve]))
            let objectives = model.info.objectives
            XCTAssertEqual(objectives.count, 15)
            for epoch in 1..<objectives.count {
                // Each half-step minimises its least-squares problems, or lowers them from
                // where they stood; float32 leaves a relative wobble of about 1e-6 once the
                // objective has converged.
                XCTAssertLessThanOrEqual(objectives[epoch], objectives[epoch - 1] * (1 + 1e-5), "\(solve) epoch \(epoch + 1): \(objectives)")
            }
            XCTAssertLessThan(objectives.last!, 0.9 * objectives.first!, "\(solve): it made progress")
        }
    }

    func testALSGivesTheSameBitsOnOneAndTwoThreadsAndAfterAResume() throws {
        let problem = SolverFixtures.lowRankProblem(rows: 900, cols: 700, rank: 4, observed: 0.2, seed: 8)
        for solve in solves {
            let request = try als([("k", .number(12)), ("epochs", .number(8)), solve])
            XCTAssertEqual(try SolverFixtures.threadAndResumeDifferences(ALSFactorizer.self, problem, request, stopAfter: 3), [], "\(solve)")
        }
    }

    func testANegativeNumberOfConjugateGradientStepsIsRejected() {
        XCTAssertEqual(SolverFixtures.parameterError(.object([("algorithm", .string("als")), ("k", .number(4)), ("cg_steps", .number(-1))])),
                       "params: params.cg_steps: expected an integer ≥ 0, found -1")
    }

    func testParametersOfOtherAlgorithmsAreRejected() {
        XCTAssertEqual(SolverFixtures.parameterError(.object([("algorithm", .string("als")), ("k", .number(4)), ("learning_rate", .number(0.1))])),
                       "params: params.learning_rate: applies to algorithms \"sgd\", \"adam\", not to \"als\"; remove it or change algorithm")
    }
}
