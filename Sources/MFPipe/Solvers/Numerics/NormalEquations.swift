import CMFKernels
import Foundation

/// Scratch space for one least-squares solve with a ridge: θ minimising
/// ‖y − X θ‖² + Σ_t ridge_t θ_t², through the normal equations (Xᵀ X + D) θ = Xᵀ y with
/// D = diag(ridge) — the Gram matrix by `mfk_gram` (BLAS's `ssyrk` spends as long packing
/// these small, tall matrices as multiplying them), the solve by LAPACK's Cholesky — or,
/// approximately, by a few conjugate-gradient steps from a starting point (`refine`), which
/// never forms the Gram matrix.
///
/// With fewer rows than unknowns (and every ridge positive) it solves the smaller dual
/// system instead: θ = D⁻¹ Xᵀ α with (X D⁻¹ Xᵀ + I) α = y — the same θ (Woodbury), at the
/// cost of a count x count system rather than a size x size one, which is what makes a
/// rank-128 model of a column with five ratings cheap.
///
/// The caller makes room (`reserve`), fills `x` (`count` rows of `size` floats, `stride`
/// apart) and `y`, then calls `solve` or `refine`. One value serves many solves; it is not shared between threads
/// (a `ScratchPool` hands one to each task).
final class NormalEquations {
    /// The design matrix, row-major, room for `capacity` rows of `stride` floats (64-byte
    /// aligned, as `mfk_gram` needs).
    private(set) var x: UnsafeMutablePointer<Float>
    /// The targets, room for `capacity`.
    private(set) var y: UnsafeMutablePointer<Float>
    /// The unknowns.
    let size: Int
    /// Floats from one row of `x` to the next: `size` rounded up to 16.
    let stride: Int
    /// The most rows a system may have before the next `reserve`.
    private(set) var capacity = 0
    private var fitted: UnsafeMutablePointer<Float>
    private let gram: UnsafeMutablePointer<Float>
    /// θ, `stride` floats with zero padding (as `mfk_cg_refine` needs).
    private let theta: UnsafeMutablePointer<Float>
    /// The ridge of a `refine`, `stride` floats with zero padding.
    private let ridges: UnsafeMutablePointer<Float>
    /// Three vectors of `stride` floats for `mfk_cg_refine`.
    private let work: UnsafeMutablePointer<Float>
    /// X D^(-1/2), for the dual solve (fewer rows than `size`).
    private let scaled: UnsafeMutablePointer<Float>
    private let inverseRoots: UnsafeMutablePointer<Float>

    /// Scratch for systems of `size` unknowns.
    init(size: Int) {
        self.size = size
        stride = (size + 15) / 16 * 16
        x = Self.allocateRows(1, stride: stride)
        y = .allocate(capacity: 1)
        fitted = .allocate(capacity: size)
        gram = .allocate(capacity: size * size)
        theta = Self.allocateRows(1, stride: stride)
        ridges = Self.allocateRows(1, stride: stride)
        work = Self.allocateRows(3, stride: stride)
        scaled = .allocate(capacity: size * size)
        inverseRoots = .allocate(capacity: size)
    }

    deinit {
        x.deallocate()
        y.deallocate()
        fitted.deallocate()
        gram.deallocate()
        theta.deallocate()
        ridges.deallocate()
        work.deallocate()
        scaled.deallocate()
        inverseRoots.deallocate()
    }

    /// Makes room for systems of up to `rows` rows (keeping the room already there).
    func reserve(_ rows: Int) {
        guard rows > capacity else { return }
        let grown = max(rows, capacity * 2)
        x.deallocate()
        y.deallocate()
        fitted.deallocate()
        x = Self.allocateRows(grown, stride: stride)
        y = .allocate(capacity: grown)
        fitted = .allocate(capacity: max(grown, size))
        capacity = grown
    }

    /// Room for `rows` rows of `stride` floats, aligned to 64 bytes and zero (so the padding
    /// of every row, which nothing writes, stays zero).
    private static func allocateRows(_ rows: Int, stride: Int) -> UnsafeMutablePointer<Float> {
        let floats = UnsafeMutableRawPointer.allocate(byteCount: rows * stride * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: rows * stride)
        floats.initialize(repeating: 0, count: rows * stride)
        return floats
    }

    /// Solves for the first `count` rows of `x` and `y`, `ridge(t)` added to the t-th
    /// diagonal entry; returns θ (valid until the next solve).
    ///
    /// A system that is not positive definite (no ridge and fewer rows than unknowns) is
    /// solved again with a ridge of 1e-6 of the Gram matrix's mean diagonal, so it always
    /// has an answer.
    func solve(count: Int, ridge: (Int) -> Float) -> UnsafePointer<Float> {
        if count < size, (0..<size).allSatisfy({ ridge($0) > 0 }), solveDual(count: count, ridge: ridge) { return UnsafePointer(theta) }
        var extra: Float = 0
        while true {
            mfk_gram(x, count, size, stride, gram)
            LinearAlgebra.transposeTimes(x, count: count, size: size, stride: stride, y, into: theta)
            var trace: Float = 0
            for t in 0..<size {
                trace += gram[t * size + t]
                gram[t * size + t] += ridge(t) + extra
            }
            if LinearAlgebra.solvePositiveDefinite(gram, size: size, theta) || extra > 0 { return UnsafePointer(theta) }
            extra = max(1e-6 * trace / Float(size), Float.leastNormalMagnitude)
        }
    }

    /// `steps` conjugate-gradient steps on the same problem as `solve`, from θ = `start(t)`,
    /// for an ALS design (`x`'s last column all ones, as `mfk_gather_design` writes it);
    /// returns θ (valid until the next solve). Each step lowers the objective or leaves it
    /// (ALS's iterations stay monotone); a few steps from last iteration's θ come close to
    /// the exact solution at a fraction of its cost for large `size`.
    func refine(count: Int, ridge: (Int) -> Float, steps: Int, from start: (Int) -> Float) -> UnsafePointer<Float> {
        for t in 0..<size {
            theta[t] = start(t)
            ridges[t] = ridge(t)
        }
        mfk_cg_refine(x, y, count, size, stride, ridges, Int32(steps), theta, work)
        return UnsafePointer(theta)
    }

    /// The dual solve; false when LAPACK finds the system not positive definite (round-off
    /// only: the dual matrix's eigenvalues are at least 1).
    private func solveDual(count: Int, ridge: (Int) -> Float) -> Bool {
        for t in 0..<size { inverseRoots[t] = 1 / ridge(t).squareRoot() }
        for row in 0..<count {
            for t in 0..<size { scaled[row * size + t] = x[row * stride + t] * inverseRoots[t] }
        }
        LinearAlgebra.outerGram(scaled, count: count, size: size, diagonal: 1, into: gram)
        let alpha = fitted
        alpha.update(from: y, count: count)
        guard LinearAlgebra.solvePositiveDefinite(gram, size: count, alpha) else { return false }
        LinearAlgebra.transposeTimes(scaled, count: count, size: size, stride: size, alpha, into: theta)
        for t in 0..<size { theta[t] *= inverseRoots[t] }
        return true
    }

    /// Σ (y − X θ)² over the first `count` rows, for the θ of the last `solve`.
    func residualSquares(count: Int) -> Double {
        LinearAlgebra.times(x, count: count, size: size, stride: stride, theta, into: fitted)
        var sum = 0.0
        for row in 0..<count {
            let residual = Double(y[row]) - Double(fitted[row])
            sum += residual * residual
        }
        return sum
    }
}
