import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Each solver reaches a known answer on data whose answer is known.
final class SolverTests: XCTestCase {
    /// SGD with no bias penalty and no early stopping or tolerance.
    private func sgd(_ k: Int, epochs: Int, learningRate: Double, regularization: Double) throws -> FactorizationRequest {
        try request("sgd", [("k", .number(Double(k))), ("epochs", .number(Double(epochs))), ("learning_rate", .number(learningRate)),
                            ("regularization", .number(regularization)), ("bias_regularization", .number(0)), ("init_scale", .number(0.1)),
                            ("tolerance", .number(0)), ("patience", .number(0))])
    }

    private func lowRankProblem(rows: Int, cols: Int, rank: Int, observed: Double, seed: UInt64) -> TrainingProblem {
        SolverFixtures.lowRankProblem(rows: rows, cols: cols, rank: rank, observed: observed, seed: seed)
    }

    private func request(_ algorithm: String, _ params: [(String, JSONValue)]) throws -> FactorizationRequest {
        try SolverFixtures.request(algorithm, params)
    }

    private func validationRMSE(_ model: FactorModel, _ problem: TrainingProblem) -> Double {
        SolverFixtures.rmse(model, on: problem.validation)
    }

    func testSGDRecoversAHeldOutLowRankMatrix() throws {
        let problem = lowRankProblem(rows: 200, cols: 150, rank: 3, observed: 0.3, seed: 5)
        let model = try SGDFactorizer.train(
            problem, request: sgd(3, epochs: 300, learningRate: 0.1, regularization: 0.001))
        let spread = ErrorMetrics.measure(problem.validation) { _, _ in Double((try? problem.entries.table())?.mean ?? 0) }.rmse
        XCTAssertLessThan(validationRMSE(model, problem), 0.1 * spread, "held-out entries of an exactly low-rank matrix are predicted")
    }

    func testSGDIsBitReproducibleForASeed() throws {
        let problem = lowRankProblem(rows: 50, cols: 40, rank: 2, observed: 0.5, seed: 9)
        let run = { try SGDFactorizer.train(
            problem, request: self.sgd(4, epochs: 20, learningRate: 0.01, regularization: 0.01)) }
        let first = try run()
        let second = try run()
        XCTAssertEqual(first.w, second.w)
        XCTAssertEqual(first.h, second.h)
        XCTAssertEqual(first.rowBias, second.rowBias)
    }

    func testSGDDivergenceNamesTheEpochAndTheSetting() {
        let problem = lowRankProblem(rows: 30, cols: 30, rank: 2, observed: 0.8, seed: 3)
        XCTAssertThrowsError(try SGDFactorizer.train(
            problem, request: sgd(8, epochs: 50, learningRate: 5, regularization: 0))) { error in
            let divergence = error as? SolverDivergence
            XCTAssertNotNil(divergence)
            XCTAssertTrue("\(error)".hasPrefix("diverged at epoch "), "\(error)")
            XCTAssertTrue("\(error)".hasSuffix("lower learning_rate (now 5)"), "\(error)")
        }
    }

    func testAdamReachesTheExactFactorizationOfALowRankMatrix() throws {
        var problem = lowRankProblem(rows: 12, cols: 9, rank: 2, observed: 1, seed: 4)
        problem = TrainingProblem(rows: 12, cols: 9, train: try problem.entries.table(), validation: RatingTable())
        let model = try AdamFactorizer.train(
            problem, request: request("adam", [("k", .number(2)), ("epochs", .number(30000)), ("init_scale", .number(0.1)),
                                               ("tolerance", .number(1e-12)), ("patience", .number(0))]))
        let predictor = Predictor(normalization: .none(rows: 12, cols: 9), model: model, clip: nil)
        let rmse = ErrorMetrics.measure(try problem.entries.table(), predict: predictor.predict).rmse
        XCTAssertLessThan(rmse, 1e-4)
    }

    /// Adam works on the unit-RMS scale like every solver: the same matrix a million times
    /// larger or smaller takes the same iterations to the same predictions, scaled.
    func testAdamIsTheSameOnAnyScale() throws {
        let problem = lowRankProblem(rows: 30, cols: 20, rank: 2, observed: 0.6, seed: 8)
        let train = try problem.entries.table()
        var runs: [(iterations: Int, predictions: [Double])] = []
        for factor: Float in [1, 1e6, 1e-6] {
            let scaled = { (table: RatingTable) in
                RatingTable(rows: table.rows, cols: table.cols, values: table.values.map { $0 * factor })
            }
            let model = try AdamFactorizer.train(
                TrainingProblem(rows: 30, cols: 20, train: scaled(train), validation: scaled(problem.validation)),
                request: request("adam", [("k", .number(2)), ("epochs", .number(400))]))
            let predictor = Predictor(normalization: .none(rows: 30, cols: 20), model: model, clip: nil)
            runs.append((model.info.iterations, (0..<problem.validation.count).map {
                predictor.predict(row: problem.validation.rows[$0], col: problem.validation.cols[$0]) / Double(factor)
            }))
        }
        for run in runs.dropFirst() {
            XCTAssertEqual(run.iterations, runs[0].iterations)
            for (scaled, plain) in zip(run.predictions, runs[0].predictions) { XCTAssertEqual(scaled, plain, accuracy: 1e-4 * abs(plain) + 1e-6) }
        }
        XCTAssertLessThan(validationRMSE(try AdamFactorizer.train(problem, request: request("adam", [("k", .number(2)), ("epochs", .number(400))])), problem),
                          0.05, "the unscaled run fits the held-out entries")
    }

    func testRegularizationChangesTheModel() throws {
        let problem = lowRankProblem(rows: 60, cols: 50, rank: 2, observed: 0.4, seed: 11)
        let loose = try SGDFactorizer.train(problem, request: sgd(4, epochs: 30, learningRate: 0.02, regularization: 0))
        let tight = try SGDFactorizer.train(problem, request: sgd(4, epochs: 30, learningRate: 0.02, regularization: 0.5))
        let norm = { (model: FactorModel) in model.w.reduce(0) { $0 + Double($1 * $1) } }
        XCTAssertLessThan(norm(tight), 0.5 * norm(loose))
    }

    func testNormalizationBiasesShrinkTowardsZeroForSparseRows() {
        let table = RatingTable(rows: [0, 0, 0, 0, 1], cols: [0, 1, 2, 3, 0], values: [5, 5, 5, 5, 5])
        let heavy = Normalization.fit(.biases, train: table, rows: 3, cols: 4, rowRegularization: 0, colRegularization: 0)
        XCTAssertEqual(heavy.mean, 5)
        let light = Normalization.fit(.biases, train: RatingTable(rows: [0, 1], cols: [0, 0], values: [4, 2]), rows: 3, cols: 1,
                                      rowRegularization: 1, colRegularization: 0)
        XCTAssertEqual(light.mean, 3)
        XCTAssertEqual(light.rowOffsets[0], 0.5, accuracy: 1e-12)
        XCTAssertEqual(light.rowOffsets[1], -0.5, accuracy: 1e-12)
        XCTAssertEqual(light.rowOffsets[2], 0, "a row without training entries has no offset")
    }
}
