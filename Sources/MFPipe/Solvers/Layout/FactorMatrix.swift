import Foundation

/// A dense matrix of factor rows for the hot kernels: each row holds `k` floats padded with
/// zeros to `stride` (a multiple of 16, one cache line) and starts on a 64-byte boundary.
///
/// The padding is zero on creation and the kernels keep it zero, so a kernel may run over
/// whole cache lines without a tail loop. A reference type: solvers update it in place
/// from several threads, each on rows no other thread touches.
public final class FactorMatrix: @unchecked Sendable {
    /// The number of rows.
    public let rows: Int
    /// Factors used per row.
    public let k: Int
    /// Floats from one row to the next.
    public let stride: Int
    /// The first float of row 0.
    public let base: UnsafeMutablePointer<Float>

    /// A zero matrix of `rows` x `k`.
    public init(rows: Int, k: Int) {
        self.rows = rows
        self.k = k
        stride = Self.stride(for: k)
        let bytes = max(rows * stride, 16) * MemoryLayout<Float>.stride
        base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64).bindMemory(to: Float.self, capacity: bytes / 4)
        base.initialize(repeating: 0, count: bytes / 4)
    }

    deinit {
        base.deallocate()
    }

    /// The stride used for rank `k`: k rounded up to a multiple of 16.
    public static func stride(for k: Int) -> Int { (k + 15) / 16 * 16 }

    /// The floats of every row, padding included (`rows * stride`).
    public var storage: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: rows * stride) }

    /// Row `index`'s first float.
    @inline(__always)
    public func row(_ index: Int) -> UnsafeMutablePointer<Float> { base + index * stride }

    /// Copies every value of `other`, which has the same shape.
    public func assign(from other: FactorMatrix) {
        precondition(other.rows == rows && other.stride == stride)
        base.update(from: other.base, count: rows * stride)
    }

    /// A copy with its own storage.
    public func copy() -> FactorMatrix {
        let result = FactorMatrix(rows: rows, k: k)
        result.assign(from: self)
        return result
    }

    /// Writes the transpose into `turned`, a `k` x `rows` matrix (its padding untouched), 16
    /// rows at a time so that every write runs along a cache line.
    public func transpose(into turned: FactorMatrix) {
        precondition(turned.rows == k && turned.k == rows)
        for first in Swift.stride(from: 0, to: rows, by: 16) {
            let block = first..<min(first + 16, rows)
            for factor in 0..<k {
                let target = turned.base + factor * turned.stride
                for index in block { target[index] = base[index * stride + factor] }
            }
        }
    }

    /// Fills the first `k` factors of every row with Gaussian samples of standard deviation `scale`.
    public func fillGaussian(scale: Double, using random: inout SplitMix64) {
        for index in 0..<rows {
            let row = self.row(index)
            for factor in 0..<k { row[factor] = Float(random.nextGaussian() * scale) }
        }
    }

    /// The values as an array of `rows * stride` floats (padding included), for checkpoints.
    public var padded: [Float] { Array(storage) }

    /// Replaces the values with `values`, as `padded` gave them.
    public func load(padded values: [Float]) throws {
        guard values.count == rows * stride else { throw CheckpointError.shape("factor matrix", rows * stride, values.count) }
        values.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: values.count) }
    }
}
