import Foundation

/// Writes a matrix's entries in the formats ingest reads: delimited triples (any
/// delimiter, optional header and timestamps), MatrixMarket coordinate or array, and a
/// dense CSV matrix. Used by `mfpipe synth` and by the round-trip tests.
public enum MatrixWriter {
    /// A file format to write.
    public enum Format: Equatable {
        /// `row<d>col<d>value[<d>timestamp]` per line, with an optional header.
        case delimited(delimiter: String, header: Bool)
        /// MatrixMarket `coordinate real general`, ids taken as 1-based indices.
        case matrixMarketCoordinate
        /// MatrixMarket `array real general`, column-major; every entry must be present.
        case matrixMarketArray
        /// One matrix row per line with a header of column ids and a first column of row ids.
        case denseCSV
    }

    /// Writes `table` (with the given id tables) to `url` in `format`.
    ///
    /// - Precondition: for the MatrixMarket formats, the ids are "1" … "m" and "1" … "n";
    ///   for the array and dense formats, every (row, col) appears exactly once.
    public static func write(_ table: RatingTable, rowIDs: IdTable, colIDs: IdTable, format: Format, to url: URL) throws {
        let output = try TextOutput(url)
        switch format {
        case let .delimited(delimiter, header):
            if header {
                try output.write(["row", "col", "value"].joined(separator: delimiter) + (table.hasTimestamps ? "\(delimiter)timestamp" : ""))
                try output.endLine()
            }
            for entry in 0..<table.count {
                try output.write(rowIDs.ids[Int(table.rows[entry])])
                try output.write(delimiter)
                try output.write(colIDs.ids[Int(table.cols[entry])])
                try output.write(delimiter)
                output.write(float: table.values[entry])
                if table.hasTimestamps {
                    try output.write(delimiter)
                    output.write(integer: table.timestamps[entry])
                }
                try output.endLine()
            }
        case .matrixMarketCoordinate:
            try output.write("%%MatrixMarket matrix coordinate real general\n\(rowIDs.count) \(colIDs.count) \(table.count)\n")
            for entry in 0..<table.count {
                output.write(integer: Int64(table.rows[entry]) + 1)
                output.write(byte: 0x20)
                output.write(integer: Int64(table.cols[entry]) + 1)
                output.write(byte: 0x20)
                output.write(float: table.values[entry])
                try output.endLine()
            }
        case .matrixMarketArray, .denseCSV:
            var dense = [Float](repeating: 0, count: rowIDs.count * colIDs.count)
            for entry in 0..<table.count {
                dense[Int(table.rows[entry]) * colIDs.count + Int(table.cols[entry])] = table.values[entry]
            }
            if format == .matrixMarketArray {
                try output.write("%%MatrixMarket matrix array real general\n\(rowIDs.count) \(colIDs.count)\n")
                for col in 0..<colIDs.count {
                    for row in 0..<rowIDs.count {
                        output.write(float: dense[row * colIDs.count + col])
                        try output.endLine()
                    }
                }
            } else {
                try output.write((["id"] + colIDs.ids).joined(separator: ","))
                try output.endLine()
                for row in 0..<rowIDs.count {
                    try output.write(rowIDs.ids[row])
                    for col in 0..<colIDs.count {
                        output.write(byte: UInt8(ascii: ","))
                        output.write(float: dense[row * colIDs.count + col])
                    }
                    try output.endLine()
                }
            }
        }
        try output.finish()
    }
}
