import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// The solvers that fit the training mean apart from the factors (`sgd`, `als`, `ccd`) fit
/// the same model to ratings shifted by a constant, less the constant: their settings mean
/// the same with or without an upstream normalization that centres the values. (als and
/// ccd scaled the values by their root mean square, mean included, so a rating scale far
/// from 0 regularized them several times harder: MovieLens without a normalize stage lost
/// 0.1 of test RMSE on synthetic ratings.) The validation RMSE a solver measures for early
/// stopping is the one its model scores (als and ccd took the mean off the held-out values
/// twice, on data whose mean is not 0).
final class ShiftInvarianceTests: XCTestCase {
    private static let shift: Float = 10

    /// 300 x 200 ratings, a quarter observed (90 % for training, 10 % for validation): a
    /// rank-3 product of uniform [0, 1) factors plus Gaussian noise of 0.3, and with
    /// `shifted`, `shift` added to every value. The same entries and noise either way.
    private func problem(shifted: Bool) -> TrainingProblem {
        var random = SplitMix64(seed: 11)
        let (rows, cols, rank) = (300, 200, 3)
        let w = (0..<rows * rank).map { _ in random.nextUnitDouble() }
        let h = (0..<rank * cols).map { _ in random.nextUnitDouble() }
        var (train, validation) = (RatingTable(), RatingTable())
        for row in 0..<rows {
            for col in 0..<cols where random.nextUnitDouble() < 0.25 {
                let signal = (0..<rank).reduce(0.0) { $0 + w[row * rank + $1] * h[$1 * cols + col] }
                let value = Float(signal + 0.3 * random.nextGaussian()) + (shifted ? Self.shift : 0)
                if random.nextUnitDouble() < 0.9 {
                    train.append(row: Int32(row), col: Int32(col), value: value)
                } else {
                    validation.append(row: Int32(row), col: Int32(col), value: value)
                }
            }
        }
        return TrainingProblem(rows: rows, cols: cols, train: train, validation: validation)
    }

    /// What `factorizer` with `params` fits to the ratings and to the shifted ratings: the
    /// largest difference between the shifted model's prediction less the shift and the
    /// other's, over the validation entries, and the two models' validation RMSE. Checks that
    /// each model's last validation RMSE in its training curve is the one its model scores.
    private func fits(_ factorizer: any Factorizer.Type, _ params: [(String, JSONValue)],
                      file: StaticString = #filePath, line: UInt = #line) throws -> (largest: Double, rmse: Double, shiftedRMSE: Double) {
        let request = try SolverFixtures.request(factorizer.name, [("k", .number(6)), ("patience", .number(0)), ("tolerance", .number(0))] + params)
        let (plain, shifted) = (problem(shifted: false), problem(shifted: true))
        let (model, shiftedModel) = (try factorizer.train(plain, request: request), try factorizer.train(shifted, request: request))
        let predict = Predictor(normalization: .none(rows: plain.rows, cols: plain.cols), model: model, clip: nil).predict
        let predictShifted = Predictor(normalization: .none(rows: plain.rows, cols: plain.cols), model: shiftedModel, clip: nil).predict
        let validation = plain.validation
        var largest = 0.0
        for entry in 0..<validation.count {
            let (row, col) = (validation.rows[entry], validation.cols[entry])
            largest = max(largest, abs(predictShifted(row, col) - Double(Self.shift) - predict(row, col)))
        }
        for (trained, problem) in [(model, plain), (shiftedModel, shifted)] {
            XCTAssertEqual(trained.info.curve.last!.validationRMSE, SolverFixtures.rmse(trained, on: problem.validation), accuracy: 1e-4,
                           "\(factorizer.name): the validation RMSE it stopped by is its model's", file: file, line: line)
        }
        return (largest, SolverFixtures.rmse(model, on: plain.validation), SolverFixtures.rmse(shiftedModel, on: shifted.validation))
    }

    /// Asserts the shifted model predicts the shift more than the other, to `tolerance`, and
    /// that both fitted the signal (validation RMSE near the noise's 0.3).
    private func assertSameFit(_ fit: (largest: Double, rmse: Double, shiftedRMSE: Double), within tolerance: Double,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertLessThan(fit.largest, tolerance, "the shifted model predicts the shift more", file: file, line: line)
        XCTAssertLessThan(max(fit.rmse, fit.shiftedRMSE), 0.36, "both fitted the signal", file: file, line: line)
    }

    func testALSFitsShiftedRatingsAsCentredOnes() throws {
        assertSameFit(try fits(ALSFactorizer.self, [("epochs", .number(10)), ("cg_steps", .number(0))]), within: 2e-3)
        // Three conjugate-gradient steps a row from where it stood take another path on the
        // other scale (the bias moves by the scale, the factors by its root), to a model as good.
        let stepped = try fits(ALSFactorizer.self, [("epochs", .number(10))])
        XCTAssertEqual(stepped.rmse, stepped.shiftedRMSE, accuracy: 1e-3)
        assertSameFit(stepped, within: 0.05)
    }

    func testCCDFitsShiftedRatingsAsCentredOnes() throws {
        assertSameFit(try fits(CCDFactorizer.self, [("epochs", .number(10))]), within: 2e-3)
    }

    func testSGDFitsShiftedRatingsAsCentredOnes() throws {
        assertSameFit(try fits(SGDFactorizer.self, [("epochs", .number(20))]), within: 2e-3)
    }

    /// Every algorithm, on ratings far from 0 (every held-out row and column has training
    /// entries, so no cold-start rule is involved): the validation RMSE its training curve
    /// ends with, which early stopping compares, is the one its model scores.
    func testEveryAlgorithmStopsByItsModelsOwnValidationRMSE() throws {
        let shifted = problem(shifted: true)
        for factorizer in FactorizerRegistry.all {
            let takesEpochs = factorizer.params.contains { $0.name == "epochs" }
            let request = try SolverFixtures.request(factorizer.name, [("k", .number(4))] + (takesEpochs ? [("epochs", .number(30))] : []))
            let model = try factorizer.train(shifted, request: request)
            let curve = try XCTUnwrap(model.info.curve.last, factorizer.name)
            let kept = model.info.kept.validationRMSE
            XCTAssertEqual(kept, SolverFixtures.rmse(model, on: shifted.validation), accuracy: 1e-4, "\(factorizer.name): curve ends at \(curve)")
        }
    }
}
