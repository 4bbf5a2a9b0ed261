import Foundation

/// Writes a `TopNRecommender`'s results as they are computed: CSV lines `row,rank,col,score`
/// (`col,rank,row,score` for a transposed recommender, as the caller's header says)
/// (external ids, rank from 1, the unclipped prediction) and, when asked, an HDF5 file with
/// `/recommendations/ids (m, N)` column ids, `columns (m, N)` column indices (-1: none
/// left), `scores (m, N)` and the row ids in `/rows/ids` (per column: n x N row ids and
/// indices, the column ids in `/cols/ids`). Both files are written under
/// temporary names and renamed into place only when complete.
public enum RecommendationWriter {
    /// What is recommended for what.
    public enum Side: String, CaseIterable, Sendable {
        /// The top columns for every row.
        case row
        /// The top rows for every column (the transposed model).
        case column
    }

    /// What was written.
    public struct Summary {
        /// Rows recommended for.
        public var rows: Int
        /// Recommendations written (fewer than rows x N when a row has fewer columns left).
        public var recommendations: Int
    }

    /// Runs `recommender` on `threads` threads and writes its results to `csv` (and `hdf5`),
    /// naming rows and columns by `rowIDs` and `colIDs`, for every row or (transposed) for
    /// every column; `progress(rowsDone)` follows the
    /// rows, `check()` is called between windows (to stop on a signal).
    public static func write(_ recommender: TopNRecommender, rowIDs: [String], colIDs: [String], per side: Side = .row, threads: Int,
                             csv: URL, hdf5: URL?, progress: (Int) -> Void = { _ in }, check: () throws -> Void = {}) throws -> Summary {
        let (recommender, rowIDs, colIDs) = side == .row ? (recommender, rowIDs, colIDs) : (recommender.transposed(), colIDs, rowIDs)
        let count = recommender.count
        let text = try TextOutput(csv)
        try text.write(side == .row ? "row,rank,col,score" : "col,rank,row,score")
        try text.endLine()
        let temporary = hdf5.map { AtomicFile.temporaryPath(beside: $0) }
        var file: HDF5File?
        var writers: (ids: HDF5RowWriter, columns: HDF5RowWriter, scores: HDF5RowWriter)?
        var written = 0
        do {
            if let temporary, let hdf5 {
                try FileSystem.createDirectory(hdf5.deletingLastPathComponent())
                let created = try HDF5File.create(temporary, layout: .compressed)
                try created.root.setAttribute("format", "mfpipe-recommendations")
                try created.root.setAttribute("mfpipe_version", Version.mfpipe)
                try created.root.createGroup(side == .row ? "rows" : "cols").writeStrings(rowIDs, to: "ids")
                let group = try created.root.createGroup("recommendations")
                try group.setAttribute("per", side.rawValue)
                try group.setAttribute("top", .int(Int64(count)))
                try group.setAttribute("k", .int(Int64(recommender.model.k)))
                try group.setAttribute("score", "the model's prediction before clipping; columns -1 and scores NaN where a row has fewer than top columns left")
                let rows = rowIDs.count
                writers = (try HDF5RowWriter(strings: group, "ids", rows: rows, columns: count),
                           try HDF5RowWriter(group, "columns", rows: rows, columns: count, of: Int32.self),
                           try HDF5RowWriter(group, "scores", rows: rows, columns: count, of: Float.self))
                file = created
            }
            try recommender.run(threads: threads) { window in
                for offset in 0..<window.rowCount {
                    let rowID = quoted(rowIDs[window.firstRow + offset])
                    for rank in 0..<count {
                        let column = window.columns[offset * count + rank]
                        guard column >= 0 else { break }
                        try text.write(rowID)
                        text.write(byte: UInt8(ascii: ","))
                        text.write(integer: Int64(rank + 1))
                        text.write(byte: UInt8(ascii: ","))
                        try text.write(quoted(colIDs[Int(column)]))
                        text.write(byte: UInt8(ascii: ","))
                        text.write(float: window.scores[offset * count + rank])
                        try text.endLine()
                        written += 1
                    }
                }
                if let writers {
                    try writers.ids.write(strings: window.columns.map { $0 >= 0 ? colIDs[Int($0)] : "" }, firstRow: window.firstRow)
                    try writers.columns.write(window.columns, firstRow: window.firstRow)
                    try writers.scores.write(window.scores, firstRow: window.firstRow)
                }
                progress(window.firstRow + window.rowCount)
                try check()
            }
            writers = nil
            try file?.close()
            file = nil
            if let temporary, let hdf5 { try AtomicFile.commit(temporary, to: hdf5) }
            try text.finish()
        } catch {
            writers = nil
            try? file?.close()
            if let temporary { unlink(temporary.path) }
            throw error
        }
        return Summary(rows: rowIDs.count, recommendations: written)
    }

    /// An id as a CSV field: quoted (quotes doubled) when it holds a comma, a quote or a line break.
    static func quoted(_ id: String) -> String {
        guard id.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return id }
        return "\"" + id.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
