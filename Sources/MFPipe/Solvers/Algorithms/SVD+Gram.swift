import Foundation

/// The truncated SVD of a complete matrix, exactly, from the Gram matrix of its narrow side
/// (`SVDFactorizer` chooses it when that is cheaper than randomized subspace iteration).
///
/// For A m x n with n ≤ m: G = Aᵀ A (n x n) is formed in double precision, its k largest
/// eigenpairs (LAPACK `dsyevr`, which computes only those) give V_k and σ² — so H = V_kᵀ —
/// and one product gives W = A V_k = U_k diag(σ). With m < n the same runs on A Aᵀ: U_k and
/// σ from its eigenpairs, V_k = Aᵀ U_k diag(σ)⁻¹ (a component with σ = 0 gets a zero row of
/// H). Squaring in double keeps each of the k largest singular values to about
/// 1e-16 σ₁² / σ_i² relative — far below float precision for any spectrum float data can
/// hold. It costs about wide x narrow² multiply-adds for G plus narrow³ for its eigenpairs
/// (`isCheaper`). One epoch, with nothing to checkpoint inside it: the loop's first epoch
/// finishes the model.
final class GramSVDSolver: IterativeSolver {
    private let matrix: DenseRatings
    private let k: Int
    private let factors: SVDFactors

    /// Whether the Gram matrix of the narrow side of an m x n matrix costs less than
    /// randomized subspace iteration with `width` columns and `powerIterations` — which
    /// makes 2 q + 3 products of A, each wide x narrow x width multiply-adds (its QR
    /// factorizations not counted).
    static func isCheaper(rows: Int, cols: Int, width: Int, powerIterations: Int) -> Bool {
        let (narrow, wide) = (Double(min(rows, cols)), Double(max(rows, cols)))
        let gram = wide * narrow * narrow + 2 * narrow * narrow * narrow
        return gram <= Double(2 * powerIterations + 3) * wide * narrow * Double(width)
    }

    init(problem: TrainingProblem, matrix: DenseRatings, k: Int) {
        self.matrix = matrix
        self.k = k
        factors = SVDFactors(problem: problem, k: k, scale: matrix.scale)
    }

    func trainEpoch(_ epoch: Int, threads: Int, cancellation: Cancellation) -> EpochResult {
        let narrow = min(matrix.rows, matrix.cols)
        var gram = matrix.narrowGram(threads: threads)
        let (values, vectors) = gram.withUnsafeMutableBufferPointer {
            LinearAlgebra.largestEigenpairs($0.baseAddress!, size: narrow, count: k)
        }
        let scale = matrix.scale
        let sigma = values.map { Float(max($0, 0).squareRoot() / scale) }
        factors.sigma = sigma
        let (w, h) = (factors.w, factors.h)
        // The narrow side's singular vectors are the eigenvectors; one product gives the other side's.
        let narrowIsColumns = matrix.cols <= matrix.rows
        let known = narrowIsColumns ? h : w
        for line in 0..<narrow {
            let target = known.row(line)
            for component in 0..<k { target[component] = Float(vectors[line * k + component]) }
        }
        if narrowIsColumns {
            matrix.times(h, into: w, threads: threads)
        } else {
            matrix.transposeTimes(w, into: h, threads: threads)
            for component in 0..<k {
                let inverse = sigma[component] > 0 ? 1 / sigma[component] : 0
                for col in 0..<matrix.cols { h.row(col)[component] *= inverse }
                for row in 0..<matrix.rows { w.row(row)[component] *= sigma[component] }
            }
        }
        return .complete(matrix.residualSquares(w: w, h: h, threads: threads) * scale * scale)
    }

    func validationRMSE(threads: Int) -> Double {
        factors.validationRMSE(threads: threads)
    }

    func penalty() -> Double { 0 }

    func keepBest() {}

    func restoreBest() {}

    func save(to checkpoint: inout Checkpoint) {}

    func restore(from checkpoint: Checkpoint) throws {}

    func model(info: TrainingInfo) -> FactorModel {
        factors.model(info: info)
    }
}

extension DenseRatings {
    /// Rows of the Gram matrix's input converted to double at a time: about 64 KB of them,
    /// which stay in cache between the conversion and the products, and come from the
    /// allocator's heap. A megabyte at a time was mapped afresh by every call: on digits
    /// (1797 x 64) its page faults took 0.26 ms of a 0.32 ms Gram matrix.
    private static func gramChunk(narrow: Int) -> Int { max(64, (1 << 16) / (narrow * MemoryLayout<Double>.stride)) }

    /// Columns of G each task computes.
    private static let gramBlock = 32

    /// Multiply-adds under which the Gram matrix is computed on one thread: handing tasks to
    /// a second thread costs tens of microseconds (the first time in a process, about
    /// 0.2 ms), the time of about this much work.
    private static let gramParallelWork = 1 << 22

    /// The Gram matrix of the narrow side of A, on the data's scale (not divided by
    /// `scale`), in double: Aᵀ A (n x n) when n ≤ m, else A Aᵀ (m x m); its upper triangle,
    /// row-major.
    ///
    /// The values are converted to double a chunk (`gramChunk`) at a time, in the order they
    /// are stored, and each block of G's columns adds the chunk's product
    /// (`LinearAlgebra.accumulateGram`) in a task of its own — on one thread when G is small
    /// (`gramParallelWork`): every entry is summed in the same order on any number of threads.
    func narrowGram(threads: Int) -> [Double] {
        let narrowIsColumns = cols <= rows
        let (narrow, wide) = narrowIsColumns ? (cols, rows) : (rows, cols)
        // The values are stored line after line, each `across` long: A's rows, or its columns
        // when `byColumn`. `turned`: each stored line is one of the narrow side's lines.
        let across = byColumn ? rows : cols
        let turned = byColumn == narrowIsColumns
        let (chunk, blocks) = (Self.gramChunk(narrow: narrow), (narrow + Self.gramBlock - 1) / Self.gramBlock)
        let threads = wide * narrow * narrow < Self.gramParallelWork ? 1 : threads
        var gram = [Double](repeating: 0, count: narrow * narrow)
        let converted = UnsafeMutablePointer<Double>.allocate(capacity: chunk * narrow)
        defer { converted.deallocate() }
        let source = values.baseAddress!
        for start in stride(from: 0, to: wide, by: chunk) {
            let count = min(chunk, wide - start)
            if turned {
                for line in 0..<narrow {
                    let (from, to) = (source + line * across + start, converted + line * count)
                    for t in 0..<count { to[t] = Double(from[t]) }
                }
            } else {
                let from = source + start * across
                for index in 0..<count * narrow { converted[index] = Double(from[index]) }
            }
            gram.withUnsafeMutableBufferPointer { gram in
                let (output, input) = (UncheckedSendable(gram.baseAddress!), UncheckedSendable(UnsafePointer(converted)))
                ParallelWork.forEach(blocks, threads: threads) { block in
                    let columns = block * Self.gramBlock..<min(narrow, (block + 1) * Self.gramBlock)
                    LinearAlgebra.accumulateGram(input.value, count: count, size: narrow, turned: turned, columns: columns,
                                                 into: output.value)
                }
            }
        }
        return gram
    }
}
