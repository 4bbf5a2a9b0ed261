import Foundation

/// Predictions for (row id, column id) pairs from a model and its normalization, the ids
/// as given: an id the model never saw, like a row or column without training entries, is
/// predicted as the average row (column) of those with training entries, with zero offset
/// and unit scale beside the global and known-side parts, and flagged cold. Written as CSV
/// `row,col,prediction,cold[,value]` and optionally HDF5 (`/predictions/...`).
public struct PairPredictions {
    /// The pairs' row ids, in input order.
    public var rowIDs: [String]
    /// The pairs' column ids.
    public var colIDs: [String]
    /// The predictions, clipped as asked.
    public var predictions: [Double]
    /// The values given with the pairs (NaN where none).
    public var values: [Float]
    /// 1 when the row is cold (unknown, or no training entries), 2 when the column is, 3 both.
    public var cold: [UInt8]

    /// Predicts every entry of `pairs` (whose ids are looked up in `rowIDs` and `colIDs`,
    /// the model's) with `model` after `normalization`, clipped to `clip` when given;
    /// `rowCounts` and `colCounts` are the model's training entries per row and column.
    public static func compute(_ pairs: RatingData, model: FactorModel, normalization: Normalization, rowIDs: IdTable, colIDs: IdTable,
                               rowCounts: [Int32], colCounts: [Int32], clip: ClosedRange<Double>?) -> PairPredictions {
        let table = pairs.training
        let rowMap = pairs.rowIDs.ids.map { rowIDs.existingIndex(of: $0) }
        let colMap = pairs.colIDs.ids.map { colIDs.existingIndex(of: $0) }
        // One more row and column, the average ones, stands for every unknown id.
        let predictor = Predictor(normalization: normalization.appendingColdRowAndColumn(),
                                  model: model.appendingColdRowAndColumn(rowCounts: rowCounts, colCounts: colCounts), clip: clip)
        let (coldRow, coldCol) = (Int32(model.rows), Int32(model.cols))
        var result = PairPredictions(rowIDs: [], colIDs: [], predictions: [], values: table.values, cold: [])
        result.rowIDs.reserveCapacity(table.count)
        for entry in 0..<table.count {
            let (rowIndex, colIndex) = (Int(table.rows[entry]), Int(table.cols[entry]))
            let row = rowMap[rowIndex] ?? coldRow, col = colMap[colIndex] ?? coldCol
            result.rowIDs.append(pairs.rowIDs.ids[rowIndex])
            result.colIDs.append(pairs.colIDs.ids[colIndex])
            result.predictions.append(predictor.predict(row: row, col: col))
            let rowCold = row == coldRow || rowCounts[Int(row)] == 0, colCold = col == coldCol || colCounts[Int(col)] == 0
            result.cold.append((rowCold ? 1 : 0) | (colCold ? 2 : 0))
        }
        return result
    }

    /// The RMSE against the values given with the pairs, or nil when none were.
    public var rmse: Double? {
        let scored = values.indices.filter { values[$0].isFinite }
        guard !scored.isEmpty else { return nil }
        return (scored.reduce(0.0) { $0 + pow(Double(values[$1]) - predictions[$1], 2) } / Double(scored.count)).squareRoot()
    }

    private static let coldNames = ["", "row", "col", "row+col"]

    /// Writes the CSV file (and the HDF5 file), each under a temporary name renamed into place.
    public func write(csv: URL, hdf5: URL?) throws {
        let withValues = values.contains { $0.isFinite }
        let text = try TextOutput(csv)
        try text.write(withValues ? "row,col,prediction,cold,value" : "row,col,prediction,cold")
        try text.endLine()
        for index in predictions.indices {
            try text.write(RecommendationWriter.quoted(rowIDs[index]) + "," + RecommendationWriter.quoted(colIDs[index]) + ",")
            try text.write(String(predictions[index]) + "," + Self.coldNames[Int(cold[index])])
            if withValues {
                text.write(byte: UInt8(ascii: ","))
                if values[index].isFinite { text.write(float: values[index]) }
            }
            try text.endLine()
        }
        if let hdf5 {
            let temporary = AtomicFile.temporaryPath(beside: hdf5)
            do {
                try FileSystem.createDirectory(hdf5.deletingLastPathComponent())
                let file = try HDF5File.create(temporary, layout: .compressed)
                try file.root.setAttribute("format", "mfpipe-predictions")
                try file.root.setAttribute("mfpipe_version", Version.mfpipe)
                let group = try file.root.createGroup("predictions")
                try group.writeStrings(rowIDs, to: "row_ids")
                try group.writeStrings(colIDs, to: "col_ids")
                try group.write(predictions, to: "prediction")
                try group.write(values, to: "value")
                try group.write(cold, to: "cold")
                try group.setAttribute("cold", "1: the row is cold (unknown, or no training entries), 2: the column is, 3: both")
                try file.close()
                try AtomicFile.commit(temporary, to: hdf5)
            } catch {
                unlink(temporary.path)
                throw error
            }
        }
        try text.finish()
    }
}

extension FactorModel {
    /// The model with one more row and column, the average row and column of those with
    /// training entries (`rowCounts`, `colCounts`): what an unknown id is predicted with, as a
    /// known row or column without training entries is.
    func appendingColdRowAndColumn(rowCounts: [Int32], colCounts: [Int32]) -> FactorModel {
        let (row, col) = (averageRow(counts: rowCounts), averageColumn(counts: colCounts))
        var h = [Float](repeating: 0, count: k * (cols + 1))
        for factor in 0..<k {
            for index in 0..<cols { h[factor * (cols + 1) + index] = self.h[factor * cols + index] }
            h[factor * (cols + 1) + cols] = col.factors[factor]
        }
        return FactorModel(k: k, rows: rows + 1, cols: cols + 1, w: w + row.factors, h: h,
                           rowBias: rowBias.isEmpty ? [] : rowBias + [row.bias], colBias: colBias.isEmpty ? [] : colBias + [col.bias], info: info)
    }
}

extension Normalization {
    /// The normalization with one more row and column of zero offset and unit scale.
    func appendingColdRowAndColumn() -> Normalization {
        var extended = self
        extended.rowOffsets.append(0)
        extended.colOffsets.append(0)
        extended.rowScales.append(1)
        extended.colScales.append(1)
        return extended
    }
}
