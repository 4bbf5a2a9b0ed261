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
    /// The pieces of `entries` scored one by one and added in order.
    private let pieces: [Range<Int>]
    /// The most entries in a piece.
    private static let pieceSize = 16_384

    /// The entries of `table` with rows and columns renumbered by `rowIndex` and
    /// `colIndex` (nil: kept as they are). With `binRows`, no piece of the scoring spans
    /// two bins of that many rows (for a solver whose ranks hold whole row bins).
    init(_ table: RatingTable, offset: Double, scale: Double, rowIndex: [Int32]? = nil, colIndex: [Int32]? = nil,
         binRows: Int? = nil) {
        let inverse = 1 / scale
        var entries = (0..<table.count).map { entry in
            let (row, col) = (table.rows[entry], table.cols[entry])
            return mfk_entry(row: UInt32(rowIndex?[Int(row)] ?? row), col: UInt32(colIndex?[Int(col)] ?? col),
                             value: Float((Double(table.values[entry]) - offset) * inverse))
        }
        entries.sort { ($0.row, $0.col) < ($1.row, $1.col) }
        self.entries = entries
        self.scale = scale
        pieces = Self.pieces(of: entries, binRows: binRows)
    }

    /// The pieces the entries are scored in, each summed on its own: at most `pieceSize`
    /// entries, none spanning two bins of `binRows` rows.
    private static func pieces(of entries: [mfk_entry], binRows: Int?) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var start = 0
        for index in entries.indices.dropFirst() {
            let newBin = binRows.map { Int(entries[index].row) / $0 != Int(entries[index - 1].row) / $0 } ?? false
            if newBin || index - start == pieceSize {
                pieces.append(start..<index)
                start = index
            }
        }
        if !entries.isEmpty { pieces.append(start..<entries.count) }
        return pieces
    }

    /// The RMSE on the original scale of the model W Hᵀ (+ biases, when given), NaN when
    /// there are no entries, with the same bits on any number of threads and ranks. With
    /// `world`, every rank of the job scores a share of the entries: those of the rows
    /// `rowsOfRank(rank)` (ranges in rank order) when given — a rank's factors for other
    /// rows may be out of date — otherwise an even share.
    func rmse(w: FactorMatrix, h: FactorMatrix, rowBias: UnsafePointer<Float>?, colBias: UnsafePointer<Float>?, threads: Int,
              world: MPIWorld? = nil, rowsOfRank: ((Int) -> Range<Int>)? = nil) -> Double {
        guard !entries.isEmpty else { return .nan }
        let view = mfk_model_view(w: w.base, h: h.base, row_bias: rowBias, col_bias: colBias, stride: w.stride)
        let sum = entries.withUnsafeBufferPointer { entries in
            withUnsafePointer(to: view) { view in
                let shared = UncheckedSendable((entries: entries, view: view))
                func squaredError(_ part: Int) -> Double {
                    let piece = pieces[part]
                    return mfk_squared_error(shared.value.entries.baseAddress! + piece.lowerBound, piece.count, shared.value.view)
                }
                guard let world, world.size > 1 else { return ParallelWork.sum(pieces.count, threads: threads, squaredError) }
                let shares = rowsOfRank.map { rows in
                    (0..<world.size).map { rank in
                        let (first, end) = (firstPiece(fromRow: rows(rank).lowerBound), firstPiece(fromRow: rows(rank).upperBound))
                        return first..<max(first, end)
                    }
                } ?? world.partition([Int](repeating: 1, count: pieces.count))
                return world.sum(shares: shares, threads: threads, regions: { _ in [] }, squaredError)
            }
        }
        return (sum / Double(entries.count)).squareRoot() * scale
    }

    /// The first piece whose entries have rows from `row` on (`pieces.count` if none).
    private func firstPiece(fromRow row: Int) -> Int {
        var (low, high) = (0, pieces.count)
        while low < high {
            let middle = (low + high) / 2
            if Int(entries[pieces[middle].lowerBound].row) < row { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
