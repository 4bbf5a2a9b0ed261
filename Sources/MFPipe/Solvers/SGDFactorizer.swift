import Foundation

/// Biased matrix factorization by stochastic gradient descent (Funk; Koren, Bell and Volinsky).
///
/// Fits r − offset ≈ b_i + c_j + W_i · H_j, minimising the squared error on training
/// entries plus λ(‖W_i‖² + ‖H_j‖²) and λ_b(b_i² + c_j²). Each epoch visits the entries in
/// a fresh seeded order; the step size decays geometrically. With a validation set, the
/// epoch with the lowest validation RMSE is kept and training stops `patience` epochs
/// after it.
///
/// Factors are stored with a row stride padded to a multiple of 8 so that the kernel runs
/// on `SIMD8<Float>` with fused multiply-adds; the padding stays zero.
public enum SGDFactorizer: Factorizer {
    public static let name = "sgd"

    public static func train(
        _ problem: TrainingProblem, settings: TrainingSettings, cancellation: Cancellation,
        progress: (Int, Int, String) -> Void
    ) throws -> FactorModel {
        let started = Date()
        let k = settings.k
        let stride = (k + 7) / 8 * 8
        var random = SplitMix64(seed: settings.seed, stream: "sgd")
        var w = [Float](repeating: 0, count: problem.rows * stride)
        var h = [Float](repeating: 0, count: problem.cols * stride)
        for row in 0..<problem.rows {
            for factor in 0..<k { w[row * stride + factor] = Float(random.nextGaussian() * settings.initScale) }
        }
        for col in 0..<problem.cols {
            for factor in 0..<k { h[col * stride + factor] = Float(random.nextGaussian() * settings.initScale) }
        }
        var rowBias = [Float](repeating: 0, count: problem.rows)
        var colBias = [Float](repeating: 0, count: problem.cols)
        var best = (w: w, h: h, rowBias: rowBias, colBias: colBias, rmse: Double.infinity, epoch: 0)
        var curve: [(trainRMSE: Double, validationRMSE: Double)] = []
        var objectives: [Double] = []
        var order = Array(0..<Int32(problem.train.count))
        var learningRate = Float(settings.learningRate)
        var previousLoss = Double.infinity
        var converged = false
        var epoch = 0
        while epoch < settings.epochs {
            try cancellation.check()
            epoch += 1
            order.shuffle(using: &random)
            let squaredError = runEpoch(
                problem.train, order: order, w: &w, h: &h, rowBias: &rowBias, colBias: &colBias, stride: stride,
                learningRate: learningRate, regularization: Float(settings.regularization),
                biasRegularization: Float(settings.biasRegularization))
            let trainRMSE = (squaredError / Double(max(problem.train.count, 1))).squareRoot()
            guard trainRMSE.isFinite else {
                throw SolverDivergence(epoch: epoch, advice: "lower learning_rate (now \(JSONWriter.number(settings.learningRate)))")
            }
            let validationRMSE = w.withUnsafeBufferPointer { w in
                h.withUnsafeBufferPointer { h in
                    rowBias.withUnsafeBufferPointer { rb in
                        colBias.withUnsafeBufferPointer { cb in
                            ResidualRMSE.compute(problem.validation, w: w.baseAddress!, columnFactors: h.baseAddress!, stride: stride,
                                                 rowBias: rb.baseAddress, colBias: cb.baseAddress)
                        }
                    }
                }
            }
            curve.append((trainRMSE, validationRMSE))
            objectives.append(squaredError + settings.regularization * (sumOfSquares(w) + sumOfSquares(h))
                              + settings.biasRegularization * (sumOfSquares(rowBias) + sumOfSquares(colBias)))
            progress(epoch, settings.epochs, String(format: "train RMSE %.4f", trainRMSE) + (validationRMSE.isNaN ? "" : String(format: ", validation RMSE %.4f", validationRMSE)))
            if !validationRMSE.isNaN {
                if validationRMSE < best.rmse {
                    best = (w, h, rowBias, colBias, validationRMSE, epoch)
                } else if settings.patience > 0 && epoch - best.epoch >= settings.patience {
                    converged = true
                    break
                }
            }
            if previousLoss.isFinite && abs(previousLoss - squaredError) <= settings.tolerance * previousLoss {
                converged = true
                break
            }
            previousLoss = squaredError
            learningRate *= Float(settings.learningRateDecay)
        }
        if best.rmse.isFinite {
            (w, h, rowBias, colBias) = (best.w, best.h, best.rowBias, best.colBias)
        }
        let keptEpoch = best.rmse.isFinite ? best.epoch : epoch
        var model = FactorModel(
            k: k, rows: problem.rows, cols: problem.cols, w: [], h: [], rowBias: rowBias, colBias: colBias,
            info: TrainingInfo(
                algorithm: name, hyperparameters: settings.json, seed: settings.seed, iterations: epoch, converged: converged,
                objective: objectives[keptEpoch - 1], seconds: Date().timeIntervalSince(started),
                bestIteration: keptEpoch, curve: curve))
        model.w = (0..<problem.rows * k).map { w[($0 / k) * stride + $0 % k] }
        model.h = (0..<k * problem.cols).map { h[($0 % problem.cols) * stride + $0 / problem.cols] }
        return model
    }

    private static func sumOfSquares(_ values: [Float]) -> Double {
        values.reduce(0.0) { $0 + Double($1) * Double($1) }
    }

    /// One pass over the training entries in `order`; returns the sum of squared errors
    /// seen before each update.
    private static func runEpoch(
        _ train: RatingTable, order: [Int32], w: inout [Float], h: inout [Float], rowBias: inout [Float], colBias: inout [Float],
        stride: Int, learningRate: Float, regularization: Float, biasRegularization: Float
    ) -> Double {
        var squaredError = 0.0
        train.rows.withUnsafeBufferPointer { rows in
            train.cols.withUnsafeBufferPointer { cols in
                train.values.withUnsafeBufferPointer { values in
                    w.withUnsafeMutableBufferPointer { w in
                        h.withUnsafeMutableBufferPointer { h in
                            rowBias.withUnsafeMutableBufferPointer { rowBias in
                                colBias.withUnsafeMutableBufferPointer { colBias in
                                    let shrink = SIMD8<Float>(repeating: 1 - learningRate * regularization)
                                    for entry in order {
                                        let index = Int(entry)
                                        let row = Int(rows[index])
                                        let col = Int(cols[index])
                                        let p = w.baseAddress! + row * stride
                                        let q = h.baseAddress! + col * stride
                                        let prediction = rowBias[row] + colBias[col] + DotProduct.compute(p, q, count: stride)
                                        let error = values[index] - prediction
                                        squaredError += Double(error * error)
                                        rowBias[row] += learningRate * (error - biasRegularization * rowBias[row])
                                        colBias[col] += learningRate * (error - biasRegularization * colBias[col])
                                        let step = SIMD8<Float>(repeating: learningRate * error)
                                        var offset = 0
                                        while offset < stride {
                                            let pv = UnsafeRawPointer(p + offset).loadUnaligned(as: SIMD8<Float>.self)
                                            let qv = UnsafeRawPointer(q + offset).loadUnaligned(as: SIMD8<Float>.self)
                                            var newP = pv * shrink
                                            newP.addProduct(step, qv)
                                            var newQ = qv * shrink
                                            newQ.addProduct(step, pv)
                                            UnsafeMutableRawPointer(p + offset).storeBytes(of: newP, as: SIMD8<Float>.self)
                                            UnsafeMutableRawPointer(q + offset).storeBytes(of: newQ, as: SIMD8<Float>.self)
                                            offset += 8
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return squaredError
    }
}
