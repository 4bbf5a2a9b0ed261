import CMFKernels
import Foundation
import MFPipe
import MFPipeTestSupport
import XCTest

/// Every instruction set's kernels agree with the portable scalar reference, at every kind
/// of stride: one vector, an odd number of vectors, the unrolled widths, and wider.
final class KernelTests: XCTestCase {
    private static let instructionSets = [mfk_isa_sse2, mfk_isa_avx2, mfk_isa_avx512].filter { mfk_isa_supported($0) != 0 }
    private static let ranks = [1, 8, 16, 17, 32, 40, 64, 100, 128, 130, 200]

    override func tearDown() {
        mfk_use_isa(mfk_isa_best)
        super.tearDown()
    }

    /// One SGD block's inputs, as plain arrays. Each factor matrix has one extra row of huge
    /// values after the last used one, so a kernel reading past a row gives a wrong answer.
    private struct BlockCase {
        let k: Int
        let rows: Int
        let major: [Float]
        let minor: [Float]
        let scalars: [Float]
        let records: [mfk_record]

        init(k: Int, rows: Int, records count: Int, seed: UInt64) {
            var random = SplitMix64(seed: seed)
            let stride = FactorMatrix.stride(for: k)
            func factors() -> [Float] {
                (0...rows).flatMap { row in
                    (0..<stride).map { factor in row == rows ? 1e6 : factor < k ? Float(random.nextGaussian() * 0.3) : 0 }
                }
            }
            (self.k, self.rows) = (k, rows)
            major = factors()
            minor = factors()
            scalars = (0..<6 * rows).map { $0 < 2 * rows ? Float(random.nextGaussian() * 0.1) : 1 }
            records = (0..<count).map { _ in
                mfk_record(major: UInt16(random.nextIndex(below: rows)), minor: UInt16(random.nextIndex(below: rows)),
                           value: Float(random.nextGaussian()))
            }
        }

        /// Runs the active kernel on fresh aligned copies; returns the loss and every value after.
        func run() -> (loss: Double, values: [Float]) {
            let (major, minor) = (FactorMatrix(rows: rows + 1, k: k), FactorMatrix(rows: rows + 1, k: k))
            _ = major.storage.update(fromContentsOf: self.major)
            _ = minor.storage.update(fromContentsOf: self.minor)
            var scalars = self.scalars
            let rows = self.rows
            let penalties = (0..<rows).map { 0.05 / Float($0 + 1).squareRoot() }
            let loss = scalars.withUnsafeMutableBufferPointer { scalars in
                penalties.withUnsafeBufferPointer { penalties in
                    let base = scalars.baseAddress!
                    var args = mfk_sgd_args(
                        major: major.base, minor: minor.base, major_bias: base, minor_bias: base + rows,
                        major_g: base + 2 * rows, minor_g: base + 3 * rows, major_bias_g: base + 4 * rows, minor_bias_g: base + 5 * rows,
                        major_lambda: penalties.baseAddress, minor_lambda: penalties.baseAddress, stride: major.stride, k: Int32(k),
                        learning_rate: 0.1, lambda_bias: 0.02)
                    return mfk_sgd_block(records, records.count, &args)
                }
            }
            return (loss, Array(major.storage.prefix(rows * major.stride)) + Array(minor.storage.prefix(rows * minor.stride)) + scalars)
        }
    }

    func testEveryInstructionSetTrainsLikeTheScalarReference() {
        // Tolerance: vector kernels fuse multiply-adds and add in another order, so each
        // operation may differ from the reference by a few ulps; over 400 updates of rows seen
        // about 12 times each, differences measured stay below 1e-5 relative. 1e-4 relative
        // (with 1e-6 absolute for values near zero) leaves room for that and still fails a
        // kernel that reads or writes a wrong lane (errors of order 1, or 1e6 from the sentinel).
        for k in Self.ranks {
            let block = BlockCase(k: k, rows: 33, records: 400, seed: UInt64(k) * 7 + 1)
            XCTAssertNotEqual(mfk_use_isa(mfk_isa_scalar), 0)
            let reference = block.run()
            for isa in Self.instructionSets {
                XCTAssertNotEqual(mfk_use_isa(isa), 0)
                let result = block.run()
                let name = String(cString: mfk_isa_name(isa))
                XCTAssertTrue(isApproximatelyEqual(result.loss, reference.loss, absolute: 1e-6, relative: 1e-4),
                              "\(name) k=\(k): loss \(result.loss), reference \(reference.loss)")
                if let index = result.values.indices.first(where: {
                    !isApproximatelyEqual(Double(result.values[$0]), Double(reference.values[$0]), absolute: 1e-6, relative: 1e-4)
                }) {
                    XCTFail("\(name) k=\(k): value \(index) is \(result.values[index]), the reference has \(reference.values[index])")
                }
            }
        }
    }

    func testEveryInstructionSetScoresLikeExactArithmetic() {
        for k in Self.ranks {
            let (w, h) = (FactorMatrix(rows: 51, k: k), FactorMatrix(rows: 41, k: k))
            var random = SplitMix64(seed: UInt64(k))
            w.fillGaussian(scale: 0.5, using: &random)
            h.fillGaussian(scale: 0.5, using: &random)
            for factor in 0..<w.stride { w.row(50)[factor] = 1e6; h.row(40)[factor] = 1e6 }
            let entries = (0..<300).map { _ in
                mfk_entry(row: UInt32(random.nextIndex(below: 50)), col: UInt32(random.nextIndex(below: 40)), value: Float(random.nextGaussian()))
            }
            let bias = (0..<50).map { _ in Float(random.nextGaussian()) }
            var exact = 0.0
            for entry in entries {
                var dot = 0.0
                for factor in 0..<k { dot += Double(w.row(Int(entry.row))[factor]) * Double(h.row(Int(entry.col))[factor]) }
                let error = Double(entry.value) - (dot + Double(bias[Int(entry.row)]) + Double(bias[Int(entry.col)]))
                exact += error * error
            }
            for isa in [mfk_isa_scalar] + Self.instructionSets {
                XCTAssertNotEqual(mfk_use_isa(isa), 0)
                let sum = bias.withUnsafeBufferPointer { bias in
                    var view = mfk_model_view(w: w.base, h: h.base, row_bias: bias.baseAddress, col_bias: bias.baseAddress, stride: w.stride)
                    return mfk_squared_error(entries, entries.count, &view)
                }
                // Float products summed in float before each error is squared in double: about
                // 1e-6 relative to the exact sum; 1e-4 fails any wrong lane.
                XCTAssertTrue(isApproximatelyEqual(sum, exact, relative: 1e-4), "\(String(cString: mfk_isa_name(isa))) k=\(k): \(sum), exact \(exact)")
            }
        }
    }

    func testEveryInstructionSetComputesTheUpperTriangleOfTheGramMatrix() {
        for size in Self.ranks.map({ $0 + 1 }) + [2, 15, 16, 31, 47, 48, 49] {
            let stride = (size + 15) / 16 * 16
            let count = 3 * size + 5
            var random = SplitMix64(seed: UInt64(size))
            let x = UnsafeMutableRawPointer.allocate(byteCount: count * stride * 4, alignment: 64).bindMemory(to: Float.self, capacity: count * stride)
            defer { x.deallocate() }
            // Huge values past each row's `size` columns: reading them gives a wrong answer.
            for row in 0..<count {
                for column in 0..<stride { x[row * stride + column] = column < size ? Float(random.nextGaussian()) : 1e6 }
            }
            for isa in [mfk_isa_scalar] + Self.instructionSets {
                XCTAssertNotEqual(mfk_use_isa(isa), 0)
                var gram = [Float](repeating: -7, count: size * size)
                mfk_gram(x, count, size, stride, &gram)
                for a in 0..<size {
                    for b in 0..<size {
                        let name = "\(String(cString: mfk_isa_name(isa))) size \(size) G[\(a)][\(b)]"
                        guard b >= a else {
                            XCTAssertEqual(gram[a * size + b], -7, "\(name): the lower triangle is left alone")
                            continue
                        }
                        let exact = (0..<count).reduce(0.0) { $0 + Double(x[$1 * stride + a]) * Double(x[$1 * stride + b]) }
                        XCTAssertEqual(Double(gram[a * size + b]), exact, accuracy: 1e-4 * Double(count), name)
                    }
                }
            }
        }
    }

    /// ‖y − X θ‖² + Σ ridge_t θ_t² in double precision.
    private static func ridgeObjective(_ x: UnsafePointer<Float>, _ y: [Float], stride: Int, size: Int, ridge: [Float], _ theta: [Float]) -> Double {
        var sum = 0.0
        for row in 0..<y.count {
            let fitted = (0..<size).reduce(0.0) { $0 + Double(x[row * stride + $1]) * Double(theta[$1]) }
            sum += (Double(y[row]) - fitted) * (Double(y[row]) - fitted)
        }
        return sum + (0..<size).reduce(0.0) { $0 + Double(ridge[$1]) * Double(theta[$1]) * Double(theta[$1]) }
    }

    /// The exact minimiser of `ridgeObjective`, by Gaussian elimination in double precision.
    private static func ridgeSolution(_ x: UnsafePointer<Float>, _ y: [Float], stride: Int, size: Int, ridge: [Float]) -> [Double] {
        var a = [[Double]](repeating: [Double](repeating: 0, count: size + 1), count: size)
        for i in 0..<size {
            for j in 0..<size { a[i][j] = (0..<y.count).reduce(0.0) { $0 + Double(x[$1 * stride + i]) * Double(x[$1 * stride + j]) } }
            a[i][i] += Double(ridge[i])
            a[i][size] = (0..<y.count).reduce(0.0) { $0 + Double(x[$1 * stride + i]) * Double(y[$1]) }
        }
        for pivot in 0..<size {
            for row in pivot + 1..<size {
                let factor = a[row][pivot] / a[pivot][pivot]
                for column in pivot...size { a[row][column] -= factor * a[pivot][column] }
            }
        }
        var solution = [Double](repeating: 0, count: size)
        for row in (0..<size).reversed() {
            let known = (row + 1..<size).reduce(0.0) { $0 + a[row][$1] * solution[$1] }
            solution[row] = (a[row][size] - known) / a[row][row]
        }
        return solution
    }

    func testEveryInstructionSetsConjugateGradientLowersTheObjectiveEachStepAndReachesTheExactSolution() {
        // ALS designs (the last column all ones) whose other columns end inside a vector, at its end, or fill several.
        for size in [2, 9, 16, 17, 33, 41, 65, 97, 129, 150] {
            let stride = (size + 15) / 16 * 16
            let count = 3 * size + 5
            var random = SplitMix64(seed: UInt64(size))
            let floats = (count + 5) * stride
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: floats * 4, alignment: 64).bindMemory(to: Float.self, capacity: floats)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 0, count: floats)
            let (x, theta, ridges, work) = (buffer, buffer + count * stride, buffer + (count + 1) * stride, buffer + (count + 2) * stride)
            for row in 0..<count {
                for column in 0..<size { x[row * stride + column] = column == size - 1 ? 1 : Float(random.nextGaussian()) }
            }
            let y = (0..<count).map { _ in Float(random.nextGaussian() * 2) }
            let ridge = (0..<size).map { Float($0 + 1) * 0.5 }
            for t in 0..<size { ridges[t] = ridge[t] }
            let exact = Self.ridgeSolution(x, y, stride: stride, size: size, ridge: ridge)
            let start = (0..<size).map { _ in Float(random.nextGaussian()) }
            for isa in [mfk_isa_scalar] + Self.instructionSets {
                XCTAssertNotEqual(mfk_use_isa(isa), 0)
                let name = "\(String(cString: mfk_isa_name(isa))) size \(size)"
                var objective = Double.infinity
                for steps in [0, 1, 2, 3, 5] {
                    for t in 0..<size { theta[t] = start[t] }
                    mfk_cg_refine(x, y, count, size, stride, ridges, Int32(steps), theta, work)
                    let reached = Self.ridgeObjective(x, y, stride: stride, size: size, ridge: ridge, Array(UnsafeBufferPointer(start: theta, count: size)))
                    if steps <= 1 {
                        XCTAssertLessThan(reached, objective, "\(name): \(steps) steps")
                    } else {
                        XCTAssertLessThanOrEqual(reached, objective * (1 + 1e-6), "\(name): \(steps) steps")
                    }
                    if steps == 0 { XCTAssertEqual(Array(UnsafeBufferPointer(start: theta, count: size)), start, "\(name): no steps, no change") }
                    objective = reached
                }
                for t in 0..<size { theta[t] = start[t] }
                mfk_cg_refine(x, y, count, size, stride, ridges, 60, theta, work)
                let error = (0..<size).reduce(0.0) { $0 + (Double(theta[$1]) - exact[$1]) * (Double(theta[$1]) - exact[$1]) }.squareRoot()
                let norm = exact.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
                XCTAssertLessThan(error, 1e-4 * norm, "\(name): 60 steps reach the exact solution")
                XCTAssertTrue((size..<stride).allSatisfy { theta[$0] == 0 }, "\(name): the padding stays zero")
            }
        }
    }

    /// Runs `kernel` (one NMF update of a block of rows, its factors stored turned) under
    /// every instruction set on the same random non-negative rows, products and Gram matrix,
    /// at ranks inside one vector, at its end and wider than the registers hold, and compares
    /// each value with `reference` (the update of one row in double: its old values, its
    /// products, the Gram matrix as G[s][t]): each value to 1e-4 of its size (or absolutely,
    /// below 1), the sum of squared changes, the zero padding past the last row, and with
    /// `keepsZeros` that a zero stays zero.
    private func checkNMFUpdate(
        _ kernel: (UnsafeMutablePointer<Float>, Int, Int, Int32, UnsafePointer<Float>, UnsafePointer<Float>) -> Double,
        reference: ([Double], [Double], (Int, Int) -> Double) -> [Double], keepsZeros: Bool
    ) {
        for k in [1, 3, 10, 16, 20, 50, 70, 130] {
            let rows = 37
            let (stride, gramStride) = ((rows + 15) / 16 * 16, (k + 15) / 16 * 16)
            var random = SplitMix64(seed: UInt64(k))
            let floats = 2 * k * stride + k * gramStride
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: floats * 4, alignment: 64).bindMemory(to: Float.self, capacity: floats)
            defer { buffer.deallocate() }
            buffer.initialize(repeating: 0, count: floats)
            let (x, products, gram) = (buffer, buffer + k * stride, buffer + 2 * k * stride)
            let start = (0..<rows * k).map { $0 % 7 == 3 ? 0 : Float(abs(random.nextGaussian())) }
            for row in 0..<rows {
                for t in 0..<k { products[t * stride + row] = Float(abs(random.nextGaussian())) * Float(k) }
            }
            let factors = (0..<2 * k * k).map { _ in abs(random.nextGaussian()) }
            for s in 0..<k {
                for t in 0..<k { gram[s * gramStride + t] = Float((0..<2 * k).reduce(0.0) { $0 + factors[$1 * k + s] * factors[$1 * k + t] }) }
            }
            let expected = (0..<rows).flatMap { row in
                reference((0..<k).map { Double(start[row * k + $0]) }, (0..<k).map { Double(products[$0 * stride + row]) },
                          { Double(gram[$0 * gramStride + $1]) })
            }
            let expectedChange = (0..<rows * k).reduce(0.0) { $0 + (expected[$1] - Double(start[$1])) * (expected[$1] - Double(start[$1])) }
            let value = { (index: Int) in x[(index % k) * stride + index / k] }
            for isa in [mfk_isa_scalar] + Self.instructionSets {
                XCTAssertNotEqual(mfk_use_isa(isa), 0)
                let name = "\(String(cString: mfk_isa_name(isa))) k \(k)"
                for row in 0..<rows {
                    for t in 0..<k { x[t * stride + row] = start[row * k + t] }
                }
                let change = kernel(x, rows, stride, Int32(k), products, gram)
                let worst = (0..<rows * k).map { abs(Double(value($0)) - expected[$0]) / (abs(expected[$0]) + 1) }.max()!
                XCTAssertLessThan(worst, 1e-4, "\(name): every value as the formula gives it")
                XCTAssertEqual(change, expectedChange, accuracy: 1e-4 * expectedChange, "\(name): the sum of squared changes")
                XCTAssertTrue((0..<k).allSatisfy { t in (rows..<stride).allSatisfy { x[t * stride + $0] == 0 } }, "\(name): the padding stays zero")
                XCTAssertTrue(!keepsZeros || (0..<rows * k).allSatisfy { start[$0] != 0 || value($0) == 0 }, "\(name): a zero stays zero")
            }
        }
    }

    func testEveryInstructionSetsMultiplicativeUpdateMatchesTheFormula() {
        let (lambda, epsilon): (Float, Float) = (0.3, 1e-12)
        checkNMFUpdate({ mfk_mu_update($0, $1, $2, $3, $4, $5, lambda, epsilon) }, reference: { old, products, gram in
            old.indices.map { t in
                let denominator = old.indices.reduce(0.0) { $0 + old[$1] * gram($1, t) }
                return old[t] * products[t] / (denominator + Double(lambda) * old[t] + Double(epsilon))
            }
        }, keepsZeros: true)
    }

    func testEveryInstructionSetsHALSSweepMatchesTheFormula() {
        let lambda: Float = 0.3
        checkNMFUpdate({ mfk_hals_sweep($0, $1, $2, $3, $4, $5, lambda) }, reference: { start, products, gram in
            var x = start
            for t in x.indices {
                let dot = x.indices.reduce(0.0) { $0 + x[$1] * gram($1, t) }
                x[t] = max(0, x[t] - (Double(lambda) * x[t] - products[t] + dot) / (gram(t, t) + Double(lambda)))
            }
            return x
        }, keepsZeros: false)
    }

    /// Both thin products under every instruction set against a double-precision reference,
    /// at widths of one to five vectors (a group of four and a remainder), row counts that
    /// leave a partial block, an inner dimension longer than one cached span of X and more
    /// columns than one span of C; and the same bits when the rows of C are computed in two
    /// calls instead of one.
    func testEveryInstructionSetsThinProductsMatchDoublePrecision() {
        for (width, rows, inner) in [(5, 13, 5000), (20, 37, 700), (40, 7, 3), (60, 29, 1300), (70, 5, 40)] {
            let ld = (width + 15) / 16 * 16
            var random = SplitMix64(seed: UInt64(width))
            let s = (0..<rows * inner).map { _ in Float(random.nextGaussian()) }
            let x = UnsafeMutableRawPointer.allocate(byteCount: max(inner, rows) * ld * 4, alignment: 64).bindMemory(to: Float.self, capacity: max(inner, rows) * ld)
            let c = UnsafeMutableRawPointer.allocate(byteCount: max(inner, rows) * ld * 4, alignment: 64).bindMemory(to: Float.self, capacity: max(inner, rows) * ld)
            defer {
                x.deallocate()
                c.deallocate()
            }
            for (name, outputs, sums, product) in [
                ("S X", rows, inner, { (split: Int) in
                    s.withUnsafeBufferPointer { s in
                        mfk_dense_product(s.baseAddress!, inner, split, inner, x, ld, c, ld)
                        mfk_dense_product(s.baseAddress! + split * inner, inner, rows - split, inner, x, ld, c + split * ld, ld)
                    }
                }),
                ("Sᵀ X", inner, rows, { (split: Int) in
                    s.withUnsafeBufferPointer { s in
                        mfk_dense_transpose_product(s.baseAddress!, inner, rows, split, x, ld, c, ld)
                        mfk_dense_transpose_product(s.baseAddress! + split, inner, rows, inner - split, x, ld, c + split * ld, ld)
                    }
                }),
            ] as [(String, Int, Int, (Int) -> Void)] {
                x.initialize(repeating: 0, count: max(inner, rows) * ld)
                for row in 0..<sums {
                    for col in 0..<width { x[row * ld + col] = Float(random.nextGaussian()) }
                }
                let entry = { (out: Int, index: Int) in name == "S X" ? s[out * inner + index] : s[index * inner + out] }
                for isa in [mfk_isa_scalar] + Self.instructionSets {
                    XCTAssertNotEqual(mfk_use_isa(isa), 0)
                    let label = "\(name) \(String(cString: mfk_isa_name(isa))) width \(width)"
                    c.initialize(repeating: .nan, count: max(inner, rows) * ld)
                    product(outputs)
                    var worst = 0.0
                    for out in 0..<outputs {
                        for col in 0..<ld {
                            let exact = col < width ? (0..<sums).reduce(0.0) { $0 + Double(entry(out, $1)) * Double(x[$1 * ld + col]) } : 0
                            worst = max(worst, abs(Double(c[out * ld + col]) - exact) / (Double(sums).squareRoot() + abs(exact)))
                        }
                    }
                    XCTAssertLessThan(worst, 1e-5, "\(label): every entry, padding zero")
                    let whole = Array(UnsafeBufferPointer(start: c, count: outputs * ld))
                    product(outputs / 3)
                    XCTAssertEqual(Array(UnsafeBufferPointer(start: c, count: outputs * ld)), whole, "\(label): the same bits in two calls")
                }
            }
        }
        // Sᵀ X over no rows of S: an empty sum, so zeros.
        let c = UnsafeMutableRawPointer.allocate(byteCount: 9 * 32 * 4, alignment: 64).bindMemory(to: Float.self, capacity: 9 * 32)
        defer { c.deallocate() }
        let unused: [Float] = [0]
        for isa in [mfk_isa_scalar] + Self.instructionSets {
            XCTAssertNotEqual(mfk_use_isa(isa), 0)
            c.initialize(repeating: .nan, count: 9 * 32)
            unused.withUnsafeBufferPointer { s in mfk_dense_transpose_product(s.baseAddress!, 9, 0, 9, s.baseAddress!, 32, c, 32) }
            XCTAssertTrue((0..<9 * 32).allSatisfy { c[$0] == 0 }, "\(String(cString: mfk_isa_name(isa))): no inner rows give zeros")
        }
    }

    /// The selection's scan finds the first key above the threshold, block boundaries and
    /// tails included, and never a NaN.
    func testTheScanFindsTheFirstKeyAboveTheThreshold() {
        var random = SplitMix64(seed: 12)
        for count in [0, 1, 15, 16, 17, 31, 32, 33, 100, 1000] {
            var keys = (0..<count).map { _ in Float(random.nextGaussian()) }
            if count > 3 { keys[count / 2] = .nan }
            for threshold in [-Float.infinity, -1, 0, 1.5, 3, .infinity] {
                let expected = keys.firstIndex { $0 > threshold } ?? count
                let found = keys.withUnsafeBufferPointer { mfk_first_above($0.baseAddress ?? UnsafePointer(bitPattern: 64)!, count, threshold) }
                XCTAssertEqual(found, expected, "\(count) keys, threshold \(threshold)")
            }
        }
    }

    func testTheWidestSupportedInstructionSetIsChosenByDefault() {
        XCTAssertNotEqual(mfk_use_isa(mfk_isa_best), 0)
        let best = mfk_active_isa()
        XCTAssertEqual(best, Self.instructionSets.last ?? mfk_isa_scalar)
        XCTAssertEqual(mfk_use_isa(mfk_isa(rawValue: 99)), 0, "an unknown instruction set is refused")
        XCTAssertEqual(mfk_active_isa(), best, "a refused request changes nothing")
    }
}
