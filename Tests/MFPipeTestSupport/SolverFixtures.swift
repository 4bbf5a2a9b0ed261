import Foundation
import MFPipe

/// Small problems whose answers are known, and requests built as a pipeline file would
/// give them, for the solvers' known-answer tests.
public enum SolverFixtures {
    /// A rank-`rank` matrix W H (entries of W and H uniform in [0, 1)) with about
    /// `observed` of its entries kept, split 90/10 into train and validation.
    public static func lowRankProblem(rows: Int, cols: Int, rank: Int, observed: Double, seed: UInt64) -> TrainingProblem {
        var random = SplitMix64(seed: seed)
        let w = (0..<rows * rank).map { _ in random.nextUnitDouble() }
        let h = (0..<rank * cols).map { _ in random.nextUnitDouble() }
        var train = RatingTable()
        var validation = RatingTable()
        for row in 0..<rows {
            for col in 0..<cols where random.nextUnitDouble() < observed {
                var value = 0.0
                for factor in 0..<rank { value += w[row * rank + factor] * h[factor * cols + col] }
                if random.nextUnitDouble() < 0.9 {
                    train.append(row: Int32(row), col: Int32(col), value: Float(value))
                } else {
                    validation.append(row: Int32(row), col: Int32(col), value: Float(value))
                }
            }
        }
        return TrainingProblem(rows: rows, cols: cols, train: train, validation: validation)
    }

    /// A request for `algorithm` with `params` over its defaults and seed 1.
    public static func request(_ algorithm: String, _ params: [(String, JSONValue)]) throws -> FactorizationRequest {
        try FactorizeStage.request(.object([("algorithm", .string(algorithm)), ("seed", .number(1))] + params))
    }

    /// The RMSE of `model` on `table` (values on the problem's scale, no normalization).
    public static func rmse(_ model: FactorModel, on table: RatingTable) -> Double {
        let predictor = Predictor(normalization: .none(rows: model.rows, cols: model.cols), model: model, clip: nil)
        return ErrorMetrics.measure(table, predict: predictor.predict).rmse
    }

    /// The parameter error `FactorizeStage.request` gives for `params`, as text.
    public static func parameterError(_ params: JSONValue) -> String? {
        do {
            _ = try FactorizeStage.request(params)
            return nil
        } catch {
            return "\(error)"
        }
    }
}

extension SolverFixtures {
    /// Trains `factorizer` once straight through and once interrupted after epoch
    /// `stopAfter` (a checkpoint written at the interruption, as on SIGTERM) and resumed
    /// from that checkpoint by a fresh solver; returns both models.
    public static func interruptedAndResumed(_ factorizer: any Factorizer.Type, _ problem: TrainingProblem,
                                             _ request: FactorizationRequest, stopAfter: Int,
                                             threads: Int = 2) throws -> (straight: FactorModel, resumed: FactorModel) {
        let straight = try factorizer.train(problem, request: request, environment: .plain(threads: threads))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mfpipe-resume-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let slot = CheckpointSlot(url: folder.appendingPathComponent("node.ckpt"), key: "test")
        let cancellation = Cancellation()
        let interrupted = SolverEnvironment(threads: .fixed(threads), cancellation: cancellation, checkpoint: slot,
                                            progress: { epoch, _, _ in if epoch >= stopAfter { cancellation.cancel(signal: SIGTERM) } },
                                            note: { _ in })
        do {
            _ = try factorizer.train(problem, request: request, environment: interrupted)
        } catch is Interrupted {}
        let resumed = try factorizer.train(
            problem, request: request,
            environment: SolverEnvironment(threads: .fixed(1), cancellation: Cancellation(), checkpoint: slot, progress: { _, _, _ in },
                                           note: { _ in }))
        return (straight, resumed)
    }

    /// Trains `factorizer` on one thread, on two, and on two interrupted after epoch
    /// `stopAfter` and resumed (`interruptedAndResumed`); returns the parameters (w, h,
    /// rowBias, colBias, sigma) in which the second or third model differs from the first
    /// in any bit, named — empty when all three are the same model.
    public static func threadAndResumeDifferences(_ factorizer: any Factorizer.Type, _ problem: TrainingProblem,
                                                  _ request: FactorizationRequest, stopAfter: Int) throws -> [String] {
        let one = try factorizer.train(problem, request: request, environment: .plain(threads: 1))
        let (two, resumed) = try interruptedAndResumed(factorizer, problem, request, stopAfter: stopAfter)
        let parameters: [(String, (FactorModel) -> [Float])] = [("w", \.w), ("h", \.h), ("rowBias", \.rowBias), ("colBias", \.colBias), ("sigma", \.sigma)]
        return [("two threads", two), ("resumed", resumed)].flatMap { run, model in
            parameters.filter { $0.1(model).map(\.bitPattern) != $0.1(one).map(\.bitPattern) }.map { "\(run): \($0.0)" }
        }
    }
}
