import CBLAS
import Foundation

/// The one door to BLAS and LAPACK (OpenBLAS and LAPACKE): the dense kernels the solvers
/// build on, on row-major float matrices.
///
/// OpenBLAS runs on the calling thread only (set when the program loads, by `CBLASCore`):
/// mfpipe parallelises above BLAS itself (over rows, columns, or fixed slices of a product),
/// so that a node uses exactly the threads it was granted and results never depend on how
/// many it got.
public enum LinearAlgebra {
    /// The upper triangle of K = X Xᵀ (`count` x `count`, row-major) of the `count` x
    /// `size` row-major matrix `x`, plus `diagonal` on the diagonal.
    static func outerGram(_ x: UnsafePointer<Float>, count: Int, size: Int, diagonal: Float, into k: UnsafeMutablePointer<Float>) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(count), Int32(size), 1, x, Int32(size), 0, k, Int32(count))
        for index in 0..<count { k[index * count + index] += diagonal }
    }

    /// b = Xᵀ y for the `count` x `size` row-major `x` (rows `stride` floats apart).
    static func transposeTimes(_ x: UnsafePointer<Float>, count: Int, size: Int, stride: Int, _ y: UnsafePointer<Float>,
                               into b: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(count), Int32(size), 1, x, Int32(stride), y, 1, 0, b, 1)
    }

    /// y = X θ for the `count` x `size` row-major `x` (rows `stride` floats apart).
    static func times(_ x: UnsafePointer<Float>, count: Int, size: Int, stride: Int, _ theta: UnsafePointer<Float>,
                      into y: UnsafeMutablePointer<Float>) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(count), Int32(size), 1, x, Int32(stride), theta, 1, 0, y, 1)
    }

    /// Solves G θ = b in place (θ replaces b) for a symmetric positive definite G whose
    /// upper triangle (row-major) is given; G is overwritten by its Cholesky factor.
    ///
    /// - Returns: false when G is not positive definite (b is then unchanged in meaning).
    ///
    /// Up to `unblockedLimit` unknowns (every ALS system) by LAPACK's unblocked Cholesky
    /// (`spotf2`) and two triangular solves (`strsv`): the blocked `sposv` spends most of a
    /// 33 x 33 solve in the packing and calls of its level-3 steps.
    static func solvePositiveDefinite(_ g: UnsafeMutablePointer<Float>, size: Int, _ b: UnsafeMutablePointer<Float>) -> Bool {
        // Row-major upper is column-major lower: LAPACK reads it without a transposed copy.
        var (lower, order, info) = (Int8(UInt8(ascii: "L")), Int32(size), Int32(0))
        guard size <= unblockedLimit else {
            return LAPACKE_sposv_work(LAPACK_COL_MAJOR, lower, order, 1, g, order, b, order) == 0
        }
        spotf2_(&lower, &order, g, &order, &info, 1)
        guard info == 0 else { return false }
        cblas_strsv(CblasColMajor, CblasLower, CblasNoTrans, CblasNonUnit, order, g, order, b, 1)
        cblas_strsv(CblasColMajor, CblasLower, CblasTrans, CblasNonUnit, order, g, order, b, 1)
        return true
    }

    /// The most unknowns `solvePositiveDefinite` solves unblocked.
    private static let unblockedLimit = 160

    /// C = A B (`rows` x `cols`) for row-major A (`rows` x `inner`) and B (`inner` x
    /// `cols`), with leading dimensions given; `accumulate` adds to C instead.
    static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
                         rows: Int, inner: Int, cols: Int, lda: Int, ldb: Int, ldc: Int,
                         transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1, accumulate: Bool = false) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(rows), Int32(cols), Int32(inner), alpha, a, Int32(lda), b, Int32(ldb), accumulate ? 1 : 0, c, Int32(ldc))
    }

    /// Adds Xᵀ X to the columns `columns` of the `size` x `size` row-major double matrix G,
    /// in their rows above the diagonal block's end (every entry of G's upper triangle in
    /// those columns), for X `count` x `size` — given row-major, or as Xᵀ (`size` x `count`,
    /// row-major) when `turned` (BLAS `dgemm`). The same columns give the same bits however
    /// G's columns are shared out.
    static func accumulateGram(_ x: UnsafePointer<Double>, count: Int, size: Int, turned: Bool, columns: Range<Int>,
                               into g: UnsafeMutablePointer<Double>) {
        let (m, n, k) = (Int32(columns.upperBound), Int32(columns.count), Int32(count))
        if turned {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, x, k, x + columns.lowerBound * count, k, 1,
                        g + columns.lowerBound, Int32(size))
        } else {
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, k, 1, x, Int32(size), x + columns.lowerBound, Int32(size), 1,
                        g + columns.lowerBound, Int32(size))
        }
    }

    /// The `count` largest eigenvalues of the symmetric `size` x `size` matrix G (its upper
    /// triangle, row-major; destroyed), in descending order, and their eigenvectors: column
    /// c of the `size` x `count` row-major `vectors` belongs to `values[c]`.
    ///
    /// LAPACK `dsyevr` computes only those, by bisection and inverse iteration, at a cost
    /// that grows with each one; past a fifth of them, all of them by divide and conquer
    /// (`dsyevd`) costs less (on a 64 x 64 matrix, 50 eigenpairs: 0.80 ms against 0.25; on
    /// 600 x 600, 50: 16 ms against 28).
    static func largestEigenpairs(_ g: UnsafeMutablePointer<Double>, size: Int, count: Int) -> (values: [Double], vectors: [Double]) {
        var ascending = [Double](repeating: 0, count: size)
        let all = count * 5 > size
        // The eigenvectors, ascending by eigenvalue, as the columns `first..<first + count`
        // of a row-major matrix `width` wide.
        var found = [Double](repeating: 0, count: all ? 0 : size * max(count, 1))
        let (width, first) = all ? (size, size - count) : (count, 0)
        if all {
            _ = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")), Int32(size), g, Int32(size), &ascending)
        } else {
            var support = [Int32](repeating: 0, count: 2 * max(count, 1))
            var located: Int32 = 0
            _ = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "I")), Int8(UInt8(ascii: "U")), Int32(size),
                               g, Int32(size), 0, 0, Int32(size - count + 1), Int32(size), 0, &located, &ascending, &found,
                               Int32(count), &support)
        }
        var vectors = [Double](repeating: 0, count: size * count)
        func take(_ source: UnsafePointer<Double>) {
            for row in 0..<size {
                for column in 0..<count { vectors[row * count + column] = source[row * width + first + count - 1 - column] }
            }
        }
        if all { take(g) } else { found.withUnsafeBufferPointer { take($0.baseAddress!) } }
        return (ascending[first..<first + count].reversed(), vectors)
    }

    /// Replaces the `rows` x k matrix `x` (its first k columns, rows `stride` apart) by the
    /// Q of its thin QR decomposition: an orthonormal basis of its column space (LAPACK
    /// `sgeqrf`, `sorgqr`; rows ≥ k).
    ///
    /// LAPACK works on a column-major copy made by OpenBLAS's transposing copy: one copy in
    /// and one out, where `LAPACKE_sgeqrf` and `LAPACKE_sorgqr` on a row-major matrix make
    /// two each, by a slower loop, and check every value for NaN.
    static func orthonormalize(_ x: FactorMatrix) {
        let (rows, k) = (Int32(x.rows), Int32(x.k))
        let columns = UnsafeMutablePointer<Float>.allocate(capacity: max(x.rows * x.k, 1))
        let tau = UnsafeMutablePointer<Float>.allocate(capacity: max(x.k, 1))
        defer {
            columns.deallocate()
            tau.deallocate()
        }
        cblas_somatcopy(CblasRowMajor, CblasTrans, rows, k, 1, x.base, Int32(x.stride), columns, rows)
        var (factorSize, formSize): (Float, Float) = (0, 0)
        LAPACKE_sgeqrf_work(LAPACK_COL_MAJOR, rows, k, columns, rows, tau, &factorSize, -1)
        LAPACKE_sorgqr_work(LAPACK_COL_MAJOR, rows, k, k, columns, rows, tau, &formSize, -1)
        let count = Int32(max(factorSize, formSize, 1))
        let work = UnsafeMutablePointer<Float>.allocate(capacity: Int(count))
        defer { work.deallocate() }
        LAPACKE_sgeqrf_work(LAPACK_COL_MAJOR, rows, k, columns, rows, tau, work, count)
        LAPACKE_sorgqr_work(LAPACK_COL_MAJOR, rows, k, k, columns, rows, tau, work, count)
        cblas_somatcopy(CblasRowMajor, CblasTrans, k, rows, 1, columns, rows, x.base, Int32(x.stride))
    }

    /// The thin SVD X = U diag(s) Vᵀ of the `rows` x k matrix `x` (rows ≥ k): U replaces X,
    /// the singular values (descending) and Vᵀ (k x k, row-major) are returned
    /// (LAPACK `sgesdd`).
    ///
    /// LAPACK sees the column-major Xᵀ = V diag(s) Uᵀ: its left vectors, column-major, are
    /// Vᵀ row-major, and its right ones, Uᵀ column-major, are U row-major, written straight
    /// into `x`'s layout.
    static func thinSVD(_ x: FactorMatrix) -> (values: [Float], vt: [Float]) {
        let (k, rows, stride) = (Int32(x.k), Int32(x.rows), Int32(x.stride))
        var values = [Float](repeating: 0, count: x.k)
        var vt = [Float](repeating: 0, count: x.k * x.k)
        let u = FactorMatrix(rows: x.rows, k: x.k)
        let pivots = UnsafeMutablePointer<Int32>.allocate(capacity: 8 * max(x.k, 1))
        defer { pivots.deallocate() }
        let job = Int8(UInt8(ascii: "S"))
        values.withUnsafeMutableBufferPointer { values in
            vt.withUnsafeMutableBufferPointer { vt in
                var size: Float = 0
                LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, job, k, rows, x.base, stride, values.baseAddress, vt.baseAddress, k,
                                    u.base, Int32(u.stride), &size, -1, pivots)
                let count = Int32(max(size, 1))
                let work = UnsafeMutablePointer<Float>.allocate(capacity: Int(count))
                defer { work.deallocate() }
                LAPACKE_sgesdd_work(LAPACK_COL_MAJOR, job, k, rows, x.base, stride, values.baseAddress, vt.baseAddress, k,
                                    u.base, Int32(u.stride), work, count, pivots)
            }
        }
        x.assign(from: u)
        return (values, vt)
    }
}
