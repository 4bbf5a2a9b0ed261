import Foundation

/// The matrix a model reconstructs: every entry's prediction — W·H plus biases, put back
/// through the normalization and clipped as evaluate clips — written as a 2-D float32
/// dataset a block of rows at a time (W·H by BLAS `sgemm`), so that memory stays one block.
enum Reconstruction {
    /// Writes the m x n reconstruction of `model` after `normalization` as dataset `name`
    /// of `group`.
    static func write(_ model: FactorModel, normalization: Normalization, clip: ClosedRange<Double>?, to group: HDF5Group, name: String) throws {
        let (rows, cols, k) = (model.rows, model.cols, model.k)
        let writer = try HDF5RowWriter(group, name, rows: rows, columns: cols, of: Float.self)
        let blockRows = max(1, min(rows, (1 << 22) / max(cols, 1)))
        var block = [Float](repeating: 0, count: blockRows * cols)
        var first = 0
        while first < rows {
            let count = min(blockRows, rows - first)
            block.withUnsafeMutableBufferPointer { out in
                if k > 0 {
                    model.w.withUnsafeBufferPointer { w in
                        model.h.withUnsafeBufferPointer { h in
                            LinearAlgebra.multiply(w.baseAddress! + first * k, h.baseAddress!, into: out.baseAddress!,
                                                   rows: count, inner: k, cols: cols, lda: k, ldb: cols, ldc: cols)
                        }
                    }
                } else {
                    out.update(repeating: 0)
                }
                for offset in 0..<count {
                    let row = first + offset
                    let rowBias = model.rowBias.isEmpty ? 0 : Double(model.rowBias[row])
                    for col in 0..<cols {
                        let part = Double(out[offset * cols + col]) + rowBias + (model.colBias.isEmpty ? 0 : Double(model.colBias[col]))
                        var value = normalization.denormalized(part, row: Int32(row), col: Int32(col))
                        if let clip { value = min(max(value, clip.lowerBound), clip.upperBound) }
                        out[offset * cols + col] = Float(value)
                    }
                }
            }
            try writer.write(Array(block[0..<(count * cols)]), firstRow: first)
            first += count
        }
    }
}
