import Foundation
import MFPipe

/// `mfpipe recommend`: the top N columns for every row of an exported factor file.
enum RecommendCommand: Command {
    static let name = "recommend"
    static let summary = "the top N columns for every row of an exported factor file, as CSV (and HDF5)"
    static let help = """
        usage: mfpipe recommend EXPORT.h5 --output FILE.csv [options]

        Ranks every column for every row of the exported model by its prediction (before
        clipping; ties to the lower column) and writes the top N as CSV lines
        row,rank,col,score. W·H is computed in bounded blocks with BLAS, so memory stays
        small at any size. An export does not hold the training entries: give them with
        --exclude to leave them out (as the pipeline's recommend stage does by itself).

        options:
          --output FILE   the CSV file to write (required)
          --hdf5 FILE     also write /recommendations/ids, columns and scores (m x N) as HDF5
          --top N         recommendations per row (default 10)
          --per column    the top rows for every column instead (CSV col,rank,row,score)
          --model NAME    the model group to use, such as k032 (default: the chosen one)
          --exclude FILE  a delimited file of ratings or of (row id, column id) pairs
                          (delimiter and header detected, a first line with an id the
                          export knows read as data; a first column the header leaves
                          unnamed, as pandas writes its index, is skipped) whose pairs are
                          left out; ids the export does not know are ignored
          --threads N     threads to use (default: all cores)
        """

    static func run(_ words: [String]) throws -> Int32 {
        let arguments = try Arguments(words, command: name, optionNames: ["--output", "--hdf5", "--top", "--model", "--exclude", "--threads", "--per"],
                                      flagNames: [])
        let exportPath = try arguments.single("factor file", command: name)
        guard let output = arguments.value("--output") else { throw UsageError("recommend: --output FILE.csv is required") }
        try PathChecks.check(
            inputs: [(URL(fileURLWithPath: exportPath), "EXPORT.h5")] + arguments.files(["--exclude"]),
            outputs: arguments.files(["--output", "--hdf5"]),
            fail: { location, message in UsageError("recommend: \(location): \(message)") })
        let file = try FactorFile.read(URL(fileURLWithPath: exportPath))
        let modelName = arguments.value("--model") ?? file.chosen
        guard let model = file.models[modelName] else {
            throw UsageError("recommend: --model \(modelName): no such model in \(exportPath); expected one of \(file.models.keys.sorted().joined(separator: ", "))")
        }
        let top = try arguments.integer("--top", command: name, atLeast: 1) ?? 10
        let threads = try arguments.integer("--threads", command: name, atLeast: 1) ?? ProcessInfo.processInfo.activeProcessorCount
        let excluded = try arguments.value("--exclude").map { try pairs(in: $0, rowIDs: file.rowIDs, colIDs: file.colIDs) } ?? RatingTable()
        let per = arguments.value("--per") ?? "row"
        guard let side = RecommendationWriter.Side(rawValue: per) else { throw UsageError("recommend: --per \(per): expected row or column") }
        let started = Date()
        let summary = try RecommendationWriter.write(
            TopNRecommender(model: model, normalization: file.normalization, count: top, excluding: excluded),
            rowIDs: file.rowIDs.ids, colIDs: file.colIDs.ids, per: side, threads: threads, csv: URL(fileURLWithPath: output),
            hdf5: arguments.value("--hdf5").map { URL(fileURLWithPath: $0) })
        let counted = "\(CountText.of(summary.recommendations, "recommendation")) for \(CountText.of(summary.rows, per))"
        printOut(String(format: "wrote %@ (top %d, %@, k=%d, %d excluded) to %@ in %.2f s",
                        counted, top, modelName, model.k, excluded.count, output, Date().timeIntervalSince(started)) + "\n")
        return 0
    }

    /// The (row, column) pairs of a ratings file, as indices of the export's id tables.
    private static func pairs(in path: String, rowIDs: IdTable, colIDs: IdTable) throws -> RatingTable {
        var policy = BadRowPolicy(skip: false, maximum: 0)
        let options = DelimitedReader.Options.pairs(knownTo: rowIDs, colIDs)
        let parsed = try DelimitedReader(url: URL(fileURLWithPath: path), displayName: path, options: options).read(policy: &policy)
        let rowMap = parsed.rowIDs.ids.map { rowIDs.existingIndex(of: $0) }
        let colMap = parsed.colIDs.ids.map { colIDs.existingIndex(of: $0) }
        var table = RatingTable()
        for entry in 0..<parsed.table.count {
            guard let row = rowMap[Int(parsed.table.rows[entry])], let col = colMap[Int(parsed.table.cols[entry])] else { continue }
            table.append(row: row, col: col, value: parsed.table.values[entry])
        }
        return table
    }
}
