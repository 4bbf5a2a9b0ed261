import CMFKernels
import Foundation

/// Held-out entries on a solver's own scale — indices as the solver numbers rows and
/// columns, values (value − offset) / scale — and their RMSE under the solver's current
/// factors, computed on any number of threads with the same bits.
struct HeldOutSet {
    /// The entries, sorted by row then column (factor rows are then read in order).
    let entries: [mfk_entry]
    /// What RMSE on the solver's scale is multiplied by to return to the original scale.
    let scale: Double

    /// The entries of `table` with rows and columns renumbered by `rowIndex` and
    /// `colIndex` (nil: kept as they are).
    init(_ table: RatingTable, offset: Double, scale: Double, rowIndex: [Int32]? = nil, colIndex: [Int32]? = nil) {
        let inverse = 1 / scale
        var entries = (0..<table.count).map { entry in
            let (row, col) = (table.rows[entry], table.cols[entry])
            return mfk_entry(row: UInt32(rowIndex?[Int(row)] ?? row), col: UInt32(colIndex?[Int(col)] ?? col),
                             value: Float((Double(table.values[entry]) - offset) * inverse))
        }
        entries.sort { ($0.row, $0.col) < ($1.row, $1.col) }
        self.entries = entries
        self.scale = scale
    }

    /// The RMSE on the original scale of the model W Hᵀ (+ biases, when given), NaN when
    /// there are no entries; with `world`, every rank of the job scores its share of the
    /// entries (the same bits).
    func rmse(w: FactorMatrix, h: FactorMatrix, rowBias: UnsafePointer<Float>?, colBias: UnsafePointer<Float>?, threads: Int,
              world: MPIWorld? = nil) -> Double {
        guard !entries.isEmpty else { return .nan }
        let chunk = 16_384
        let view = mfk_model_view(w: w.base, h: h.base, row_bias: rowBias, col_bias: colBias, stride: w.stride)
        let sum = entries.withUnsafeBufferPointer { entries in
            withUnsafePointer(to: view) { view in
                let shared = UncheckedSendable((entries: entries, view: view))
                let chunks = (entries.count + chunk - 1) / chunk
                func squaredError(_ part: Int) -> Double {
                    let start = part * chunk
                    return mfk_squared_error(shared.value.entries.baseAddress! + start, min(chunk, shared.value.entries.count - start),
                                             shared.value.view)
                }
                guard let world, world.size > 1 else { return ParallelWork.sum(chunks, threads: threads, squaredError) }
                return world.sum(chunks, weights: [Int](repeating: 1, count: chunks), threads: threads, regions: { _ in [] }, squaredError)
            }
        }
        return (sum / Double(entries.count)).squareRoot() * scale
    }
}
