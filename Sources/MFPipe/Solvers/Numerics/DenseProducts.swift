import CMFKernels
import Foundation

/// Products of a dense m x n matrix A (row-major) with factor matrices (`FactorMatrix`:
/// k used floats a row, `stride` apart), cut into fixed slices of A that run in parallel,
/// each one single-threaded call of our thin-product kernels: the same bits on any number
/// of threads.
enum DenseProducts {
    /// Rows (or columns) of A per slice.
    static let slice = 256

    /// C = α A B: A m x n, B n x k, C m x k (the `mfk_dense_product` kernel; C's stride at
    /// least B's).
    static func times(_ a: UnsafePointer<Float>, rows: Int, cols: Int, _ b: FactorMatrix, into c: FactorMatrix, alpha: Float,
                      threads: Int) {
        let shared = UncheckedSendable(a)
        ParallelWork.forEach((rows + slice - 1) / slice, threads: threads) { part in
            let (first, count) = (part * slice, min(slice, rows - part * slice))
            mfk_dense_product(shared.value + first * cols, cols, count, cols, b.base, b.stride, c.row(first), c.stride)
            scale(c, rows: first..<first + count, by: alpha)
        }
    }

    /// C = α Aᵀ B: A m x n, B m x k, C n x k (the `mfk_dense_transpose_product` kernel).
    static func transposeTimes(_ a: UnsafePointer<Float>, rows: Int, cols: Int, _ b: FactorMatrix, into c: FactorMatrix, alpha: Float,
                               threads: Int) {
        let shared = UncheckedSendable(a)
        ParallelWork.forEach((cols + slice - 1) / slice, threads: threads) { part in
            let (first, count) = (part * slice, min(slice, cols - part * slice))
            mfk_dense_transpose_product(shared.value + first, cols, rows, count, b.base, b.stride, c.row(first), c.stride)
            scale(c, rows: first..<first + count, by: alpha)
        }
    }

    /// Multiplies `rows` of `c` by `alpha` (nothing for 1).
    private static func scale(_ c: FactorMatrix, rows: Range<Int>, by alpha: Float) {
        guard alpha != 1 else { return }
        let values = UnsafeMutableBufferPointer(start: c.row(rows.lowerBound), count: rows.count * c.stride)
        for index in values.indices { values[index] *= alpha }
    }

    /// G = Xᵀ X (k x k, rows padded with zeros) of the factor matrix X given turned (`turned` is Xᵀ).
    static func turnedGram(_ turned: FactorMatrix, into g: FactorMatrix) {
        LinearAlgebra.multiply(turned.base, turned.base, into: g.base, rows: turned.rows, inner: turned.k, cols: turned.rows,
                               lda: turned.stride, ldb: turned.stride, ldc: g.stride, transposeB: true)
    }

    /// G = Xᵀ X (k x k, full) of the factor matrix X, into the k x k factor matrix `g`
    /// (rows padded with zeros to its stride).
    static func gram(_ x: FactorMatrix, into g: FactorMatrix) {
        LinearAlgebra.multiply(x.base, x.base, into: g.base, rows: x.k, inner: x.rows, cols: x.k, lda: x.stride, ldb: x.stride, ldc: g.stride,
                               transposeA: true)
    }

    /// Σ_st A_st B_st over two k x k Gram matrices: ‖W Hᵀ‖² from Wᵀ W and Hᵀ H.
    static func inner(_ a: FactorMatrix, _ b: FactorMatrix) -> Double {
        var sum = 0.0
        for row in 0..<a.k {
            let (x, y) = (a.row(row), b.row(row))
            for col in 0..<a.k { sum += Double(x[col]) * Double(y[col]) }
        }
        return sum
    }
}
