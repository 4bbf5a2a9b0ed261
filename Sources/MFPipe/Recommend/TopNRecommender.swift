import CMFKernels
import Foundation

/// The top N columns of every row by predicted value, excluding given entries (a row's
/// training entries), from W·H computed a slice of rows at a time with BLAS `sgemm` and a
/// bounded selection per row, on the caller's threads.
///
/// Rows per column are the same computation on the transposed model (`transposed()`).
/// Memory stays bounded whatever the matrix: each task holds one slice of W·H (about 4 MiB),
/// and results are handed over a window of rows at a time (about a million recommendations). Rows rank columns
/// by the prediction before clipping (clipping would tie every column above the training
/// range); ties go to the lower column index. Each row is computed on its own, so the
/// result has the same bits for any thread count.
public struct TopNRecommender {
    /// One window of consecutive rows' recommendations.
    public struct Window {
        /// The first row of the window.
        public var firstRow: Int
        /// How many rows it holds.
        public var rowCount: Int
        /// Column indices, `rowCount` x N row-major, best first; -1 where a row has fewer
        /// than N columns left to recommend.
        public var columns: [Int32]
        /// The predictions of those columns (unclipped; NaN where the column is -1).
        public var scores: [Float]
    }

    /// The model whose W·H ranks the columns.
    public let model: FactorModel
    /// The normalization the model was trained after (its offsets and scales enter the
    /// ranking, its transform the scores).
    public let normalization: Normalization
    /// N: recommendations per row.
    public let count: Int
    /// The entries each row's list leaves out.
    public let excluded: ExcludedEntries
    /// Further lists of each row from the same predictions (`runLists`): list i + 1 leaves
    /// out `further[i]` as well as everything list i leaves out.
    public let further: [ExcludedEntries]

    /// Ranks the columns of `model` for each row, `count` per row, leaving out the
    /// (row, column) pairs of `excluding`.
    public init(model: FactorModel, normalization: Normalization, count: Int, excluding: RatingTable) {
        self.init(model: model, normalization: normalization, count: count, excluding: ExcludedEntries([excluding], rows: model.rows))
    }

    /// Ranks the columns of `model` for each row, `count` per row, leaving out `excluding`
    /// — and, in each of the further lists, the entries of `further` up to its own as well.
    public init(model: FactorModel, normalization: Normalization, count: Int, excluding: ExcludedEntries, further: [ExcludedEntries] = []) {
        self.model = model
        self.normalization = normalization
        self.count = count
        excluded = excluding
        self.further = further
    }

    /// The recommender of rows for every column: the model and normalization transposed
    /// (Hᵀ, Wᵀ, the biases, offsets and scales swapped) and the excluded entries with them.
    public func transposed() -> TopNRecommender {
        var h = [Float](repeating: 0, count: model.rows * model.k)
        var w = [Float](repeating: 0, count: model.cols * model.k)
        for factor in 0..<model.k {
            for row in 0..<model.rows { h[factor * model.rows + row] = model.w[row * model.k + factor] }
            for col in 0..<model.cols { w[col * model.k + factor] = model.h[factor * model.cols + col] }
        }
        let flipped = FactorModel(k: model.k, rows: model.cols, cols: model.rows, w: w, h: h, rowBias: model.colBias, colBias: model.rowBias,
                                  info: model.info)
        var normalization = self.normalization
        (normalization.rowOffsets, normalization.colOffsets) = (normalization.colOffsets, normalization.rowOffsets)
        (normalization.rowScales, normalization.colScales) = (normalization.colScales, normalization.rowScales)
        return TopNRecommender(model: flipped, normalization: normalization, count: count, excluding: excluded.transposed(cols: model.cols),
                               further: further.map { $0.transposed(cols: model.cols) })
    }

    /// Computes every row's recommendations on `threads` threads and hands them to
    /// `deliver` window after window, in row order.
    public func run(threads: Int, deliver: (Window) throws -> Void) throws {
        try runLists(threads: threads) { try deliver($0[0]) }
    }

    /// `run` for every list at once — the first, then one for each of `further` — from one
    /// product W·H: `deliver` receives each window's rows as one window per list.
    public func runLists(threads: Int, deliver: ([Window]) throws -> Void) throws {
        let (rows, cols, k) = (model.rows, model.cols, model.k)
        let layers = [excluded] + further
        let windowRows = max(64, (1 << 20) / max(count * layers.count, 1))
        let sliceRows = max(8, min(512, (1 << 20) / max(cols, 1)))
        let terms = ColumnTerms(model: model, normalization: normalization)
        let buffers = ScratchPool { ProductSlice(capacity: sliceRows * cols, count: count) }
        var firstRow = 0
        while firstRow < rows {
            let windowCount = min(windowRows, rows - firstRow)
            var columns = [Int32](repeating: -1, count: layers.count * windowCount * count)
            var scores = [Float](repeating: .nan, count: layers.count * windowCount * count)
            let slices = (windowCount + sliceRows - 1) / sliceRows
            columns.withUnsafeMutableBufferPointer { columnsOut in
                scores.withUnsafeMutableBufferPointer { scoresOut in
                    let output = UncheckedSendable((columnsOut, scoresOut))
                    model.w.withUnsafeBufferPointer { w in
                        model.h.withUnsafeBufferPointer { h in
                            ParallelWork.forEach(slices, threads: threads) { slice in buffers.borrow { buffer in
                                let low = firstRow + slice * sliceRows
                                let high = min(low + sliceRows, firstRow + windowCount)
                                let products = buffer.products
                                if k > 0 {
                                    LinearAlgebra.multiply(w.baseAddress! + low * k, h.baseAddress!, into: products,
                                                           rows: high - low, inner: k, cols: cols, lda: k, ldb: cols, ldc: cols)
                                } else {
                                    products.initialize(repeating: 0, count: (high - low) * cols)
                                }
                                for row in low..<high {
                                    let line = products + (row - low) * cols
                                    terms.computeKeys(row: row, products: line)
                                    for (list, layer) in layers.enumerated() {
                                        for position in layer.start[row]..<layer.start[row + 1] {
                                            line[Int(layer.columns[position])] = -.infinity
                                        }
                                        terms.select(keys: line, into: &buffer.selection)
                                        let offset = (list * windowCount + row - firstRow) * count
                                        buffer.selection.drain { rank, column, key in
                                            output.value.0[offset + rank] = column
                                            output.value.1[offset + rank] = terms.score(row: row, key: key)
                                        }
                                    }
                                }
                            } }
                        }
                    }
                }
            }
            let size = windowCount * count
            if layers.count == 1 {
                try deliver([Window(firstRow: firstRow, rowCount: windowCount, columns: columns, scores: scores)])
            } else {
                try deliver(layers.indices.map { list in
                    Window(firstRow: firstRow, rowCount: windowCount, columns: Array(columns[list * size..<(list + 1) * size]),
                           scores: Array(scores[list * size..<(list + 1) * size]))
                })
            }
            firstRow += windowCount
        }
    }
}

/// One task's scratch: a slice of W·H and a selection, reused from slice to slice so that
/// pages are zeroed once per thread, not once per slice.
private final class ProductSlice {
    let products: UnsafeMutablePointer<Float>
    var selection: TopNSelection

    init(capacity: Int, count: Int) {
        products = .allocate(capacity: capacity)
        selection = TopNSelection(count: count)
    }

    deinit { products.deallocate() }
}

/// The per-row and per-column parts of a prediction, laid out for the ranking loop:
/// prediction = inverse_transform(mean + row_offset[i] + key), with
/// key = col_offset[j] + row_scale[i] col_scale[j] (row_bias[i] + col_bias[j] + W[i]·H[:, j]).
private struct ColumnTerms {
    let colOffsets: [Float]
    let colScales: [Float]
    let colBiases: [Float]
    let rowScales: [Float]
    let rowBiases: [Float]
    let rowConstants: [Double]
    let transform: Normalization.Transform

    init(model: FactorModel, normalization: Normalization) {
        colOffsets = normalization.colOffsets.map(Float.init)
        colScales = normalization.colScales.map(Float.init)
        colBiases = model.colBias.isEmpty ? [Float](repeating: 0, count: model.cols) : model.colBias
        rowScales = normalization.rowScales.map(Float.init)
        rowBiases = model.rowBias.isEmpty ? [Float](repeating: 0, count: model.rows) : model.rowBias
        rowConstants = normalization.rowOffsets.map { normalization.mean + $0 }
        transform = normalization.transform
    }

    /// Replaces `row`'s W·H products in `products` by their ranking keys (a loop the
    /// compiler vectorizes). An excluded column is set to −∞ afterwards.
    func computeKeys(row: Int, products: UnsafeMutablePointer<Float>) {
        let (scale, bias) = (rowScales[row], rowBiases[row])
        colOffsets.withUnsafeBufferPointer { offsets in
            colScales.withUnsafeBufferPointer { scales in
                colBiases.withUnsafeBufferPointer { biases in
                    for column in 0..<offsets.count {
                        products[column] = offsets[column] + scale * scales[column] * (bias + biases[column] + products[column])
                    }
                }
            }
        }
    }

    /// Offers to `selection` the columns whose keys are above its threshold, in column
    /// order, finding each by `mfk_first_above` from the one before: once the selection is
    /// full, few keys beat its threshold, and the scan between them runs on vectors.
    func select(keys: UnsafeMutablePointer<Float>, into selection: inout TopNSelection) {
        let count = colOffsets.count
        var column = mfk_first_above(keys, count, selection.threshold)
        while column < count {
            selection.offer(keys[column], column: Int32(column))
            column += 1 + mfk_first_above(keys + column + 1, count - column - 1, selection.threshold)
        }
    }

    /// The prediction of a ranking key in `row`.
    func score(row: Int, key: Float) -> Float {
        Float(transform.invert(rowConstants[row] + Double(key)))
    }
}
