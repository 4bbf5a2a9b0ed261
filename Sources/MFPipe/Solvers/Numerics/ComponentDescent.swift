import CMFKernels
import Foundation

/// The residual of every training entry, kept twice (by row and by column), and the
/// coordinate-descent updates over it that CCD++ and NMF's HALS on observed entries share
/// (Yu, Hsieh, Si and Dhillon 2012; Cichocki and Phan 2009).
///
/// Component t of W H is updated in place: the residual gets it back (R̂ = R + w_t h_tᵀ),
/// then `inner` times every w_it = Σ_j R̂_ij h_jt / (λ_i + Σ_j h_jt²) (clipped at zero for
/// NMF) and every h_jt likewise, and the residual loses the new component. Biases are
/// components whose other side is fixed at 1. Every update is an exact minimum in its
/// coordinate, so the objective never increases. Rows, then columns, are updated in
/// parallel in fixed slices: the same bits on any number of threads.
final class ComponentDescent {
    /// How a line's penalty grows with its number of entries n.
    enum Penalty {
        /// λ n: weighted-λ, as ALS-WR.
        case weighted(Double)
        /// λ, the same for every line.
        case plain(Double)

        func lambda(entries: Int) -> Float {
            switch self {
            case .weighted(let lambda): return Float(lambda * Double(entries))
            case .plain(let lambda): return Float(lambda)
            }
        }
    }

    private let layout: CompressedRatings
    /// The residual of each entry, in the layout's row order and in its column order.
    private let rowResidual: UnsafeMutableBufferPointer<Float>
    private let colResidual: UnsafeMutableBufferPointer<Float>
    /// Component t's row values (m), column values (n), and the row values before the
    /// update (or a bias's change).
    private let w: UnsafeMutableBufferPointer<Float>
    private let h: UnsafeMutableBufferPointer<Float>
    private let previous: UnsafeMutableBufferPointer<Float>
    /// The last updated component's row and column values while the row-order residual
    /// still holds that component: the next component's first row pass (or `settle`) takes
    /// it out, saving a pass over the entries.
    private let pendingW: UnsafeMutableBufferPointer<Float>
    private let pendingH: UnsafeMutableBufferPointer<Float>
    private var pending = false
    private let rowSlices: LineSlices
    private let colSlices: LineSlices

    /// Residual storage for the entries of `layout`.
    init(layout: CompressedRatings) {
        self.layout = layout
        let entries = max(layout.byRow.entries, 1)
        rowResidual = .allocate(capacity: entries)
        colResidual = .allocate(capacity: entries)
        w = .allocate(capacity: max(layout.rows, 1))
        previous = .allocate(capacity: max(layout.rows, layout.cols, 1))
        h = .allocate(capacity: max(layout.cols, 1))
        pendingW = .allocate(capacity: max(layout.rows, 1))
        pendingH = .allocate(capacity: max(layout.cols, 1))
        rowSlices = LineSlices(layout.byRow)
        colSlices = LineSlices(layout.byColumn)
    }

    deinit {
        rowResidual.deallocate()
        colResidual.deallocate()
        w.deallocate()
        previous.deallocate()
        h.deallocate()
        pendingW.deallocate()
        pendingH.deallocate()
    }

    /// Calls `body(line, entries, residual)` for every row (or column), in parallel over
    /// the fixed slices.
    private func forEachLine(rowSide: Bool, threads: Int, _ body: (Int, Range<Int>, UnsafeMutableBufferPointer<Float>) -> Void) {
        let (lines, slices, residual) = rowSide ? (layout.byRow, rowSlices, rowResidual) : (layout.byColumn, colSlices, colResidual)
        ParallelWork.forEach(slices.count, threads: threads) { slice in
            for line in slices.lines(slice) { body(line, lines.range(line), residual) }
        }
    }

    /// Sets both residual copies from the factors: r − offset − b_i − c_j − W_i · H_j
    /// (the biases only when `biases`).
    func recompute(_ factors: BiasedFactors, offset: Float, biases: Bool, threads: Int) {
        pending = false
        for rowSide in [true, false] {
            let lines = layout.lines(byRow: rowSide)
            let (own, other) = rowSide ? (factors.w, factors.h) : (factors.h, factors.w)
            let (ownBias, otherBias) = rowSide ? (factors.rowBias, factors.colBias) : (factors.colBias, factors.rowBias)
            forEachLine(rowSide: rowSide, threads: threads) { line, entries, residual in
                guard !entries.isEmpty else { return }
                _ = mfk_line_residuals(lines.index.baseAddress! + entries.lowerBound, lines.value.baseAddress! + entries.lowerBound,
                                       entries.count, own.row(line), other.base, other.stride, biases ? ownBias[line] : 0,
                                       biases ? otherBias : nil, offset, residual.baseAddress! + entries.lowerBound)
            }
        }
    }

    /// The sum of the squared residuals (after taking out the last component's values,
    /// which the row-order residual keeps until then).
    func squaredError(threads: Int) -> Double {
        settle(threads: threads)
        return ParallelWork.sum(rowSlices.count, threads: threads) { slice in
            let lines = rowSlices.lines(slice)
            var sum = 0.0
            for entry in layout.byRow.start[lines.lowerBound]..<layout.byRow.start[lines.upperBound] {
                sum += Double(rowResidual[entry]) * Double(rowResidual[entry])
            }
            return sum
        }
    }

    /// Refits the row (or column) biases exactly with everything else fixed — penalty
    /// `lambdaBias` per entry — then brings the other side's residual copy up to date with
    /// each bias's change.
    func updateBiases(_ factors: BiasedFactors, rowSide: Bool, lambdaBias: Double, threads: Int) {
        settle(threads: threads)
        let bias = rowSide ? factors.rowBias : factors.colBias
        let change = previous
        let divisor = 1 + lambdaBias
        forEachLine(rowSide: rowSide, threads: threads) { line, entries, residual in
            guard !entries.isEmpty else {
                change[line] = 0
                return
            }
            var sum = Double(bias[line]) * Double(entries.count)
            for entry in entries { sum += Double(residual[entry]) }
            let updated = Float(sum / (Double(entries.count) * divisor))
            change[line] = updated - bias[line]
            bias[line] = updated
            for entry in entries { residual[entry] -= change[line] }
        }
        let other = layout.lines(byRow: !rowSide)
        forEachLine(rowSide: !rowSide, threads: threads) { _, entries, residual in
            for entry in entries { residual[entry] -= change[Int(other.index[entry])] }
        }
    }

    /// Takes the last updated component out of the row-order residual, if it is still there.
    private func settle(threads: Int) {
        guard pending else { return }
        let (byRow, pendingW, pendingH) = (layout.byRow, self.pendingW, self.pendingH)
        forEachLine(rowSide: true, threads: threads) { row, entries, residual in
            let value = pendingW[row]
            for entry in entries { residual[entry] -= value * pendingH[Int(byRow.index[entry])] }
        }
        pending = false
    }

    /// One pass over component `component` of `factors`: add it back to the residual,
    /// update its row and column values `inner` times (never below zero when
    /// `nonNegative`), take it out again (from the row-order residual only on the next
    /// component's first row pass, or `settle`).
    func updateComponent(_ component: Int, of factors: BiasedFactors, inner: Int, penalty: Penalty, nonNegative: Bool, threads: Int) {
        let (rows, cols) = (layout.rows, layout.cols)
        for row in 0..<rows { w[row] = factors.w.row(row)[component] }
        for col in 0..<cols { h[col] = factors.h.row(col)[component] }
        previous.baseAddress!.update(from: w.baseAddress!, count: rows)
        let (byRow, byColumn) = (layout.byRow, layout.byColumn)
        let (w, h, previous, pendingW, pendingH, settling) = (self.w, self.h, self.previous, self.pendingW, self.pendingH, pending)
        let floor: Float = nonNegative ? 0 : -.infinity
        for iteration in 0..<inner {
            forEachLine(rowSide: true, threads: threads) { row, entries, residual in
                guard !entries.isEmpty else {
                    w[row] = 0
                    return
                }
                var (numerator, denominator) = (Float(0), penalty.lambda(entries: entries.count))
                if iteration == 0 {
                    let (old, done) = (w[row], pendingW[row])
                    for entry in entries {
                        let other = Int(byRow.index[entry])
                        let value = h[other]
                        let current = settling ? residual[entry] - done * pendingH[other] : residual[entry]
                        let restored = current + old * value
                        residual[entry] = restored
                        numerator += restored * value
                        denominator += value * value
                    }
                } else {
                    for entry in entries {
                        let value = h[Int(byRow.index[entry])]
                        numerator += residual[entry] * value
                        denominator += value * value
                    }
                }
                w[row] = denominator > 0 ? max(floor, numerator / denominator) : 0
            }
            let last = iteration == inner - 1
            forEachLine(rowSide: false, threads: threads) { col, entries, residual in
                guard !entries.isEmpty else {
                    h[col] = 0
                    return
                }
                var (numerator, denominator) = (Float(0), penalty.lambda(entries: entries.count))
                if iteration == 0 {
                    let old = h[col]
                    for entry in entries {
                        let row = Int(byColumn.index[entry])
                        let restored = residual[entry] + previous[row] * old
                        residual[entry] = restored
                        numerator += restored * w[row]
                        denominator += w[row] * w[row]
                    }
                } else {
                    for entry in entries {
                        let value = w[Int(byColumn.index[entry])]
                        numerator += residual[entry] * value
                        denominator += value * value
                    }
                }
                let updated = denominator > 0 ? max(floor, numerator / denominator) : 0
                h[col] = updated
                if last {
                    for entry in entries { residual[entry] -= w[Int(byColumn.index[entry])] * updated }
                }
            }
        }
        pendingW.baseAddress!.update(from: w.baseAddress!, count: rows)
        pendingH.baseAddress!.update(from: h.baseAddress!, count: cols)
        pending = true
        for row in 0..<rows { factors.w.row(row)[component] = w[row] }
        for col in 0..<cols { factors.h.row(col)[component] = h[col] }
    }
}
