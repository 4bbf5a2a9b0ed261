import Foundation

/// A model to start training from: an earlier export's factors and biases for rank k,
/// matched to this run's rows and columns by their external ids (the nightly case, where
/// most users and items are the same as yesterday).
///
/// The biases are shifted so that every known entry starts with exactly the prediction the
/// earlier model made, even when the normalization was fitted again on new data:
/// row_bias += old row offset − new row offset; col_bias += old column offset − new column
/// offset + old mean − new mean. Rows and columns the export does not know are left to the
/// solver's usual initialisation.
public struct WarmStart: Sendable {
    /// W, m x k row-major, in this run's row order (zero for unknown rows).
    public var w: [Float]
    /// H transposed: n x k row-major, each column's factors contiguous (zero for unknown columns).
    public var columnFactors: [Float]
    /// Row biases relative to this run's normalization.
    public var rowBias: [Float]
    /// Column biases relative to this run's normalization.
    public var colBias: [Float]
    /// Whether the export knew each row.
    public var rowKnown: [Bool]
    /// Whether the export knew each column.
    public var colKnown: [Bool]

    /// Reads the model of rank `k` from the export at `url` and maps it onto `rowIDs` x
    /// `colIDs` under `normalization`. Of several models of rank `k` (an evaluate that
    /// compared factorize stages), the one factorize stage `stage` exported, else the
    /// chosen one, else the first.
    ///
    /// - Throws: `InputDataError` naming `displayName` when the file is not an mfpipe export
    ///   or holds no model of rank `k`.
    public static func load(_ url: URL, displayName: String, k: Int, stage: String, rowIDs: IdTable, colIDs: IdTable,
                            normalization: Normalization) throws -> WarmStart {
        let file: HDF5File
        do {
            file = try HDF5File.open(url)
        } catch {
            throw InputDataError(file: displayName, message: "\(HDF5File.unreadableReason(url)); expected an export written by mfpipe")
        }
        defer { try? file.close() }
        guard FactorFile.exportVersion(of: file.root) != nil else {
            throw InputDataError(file: displayName, message: "not an mfpipe export (no format attribute \"\(Version.factorFormatName)\")")
        }
        let models = try file.root.openGroup("models")
        let chosen = try? models.stringAttribute("chosen")
        var candidates: [(name: String, k: Int, stage: String?)] = []
        for name in try models.memberNames() {
            let group = try models.openGroup(name)
            candidates.append((name, try group.intAttribute("k"), try? group.stringAttribute("stage")))
        }
        let ofRank = candidates.filter { $0.k == k }
        guard let name = (ofRank.first { $0.stage == stage } ?? ofRank.first { $0.name == chosen } ?? ofRank.first)?.name else {
            let ranks = candidates.map { "\($0.k)" }.joined(separator: ", ")
            throw InputDataError(file: displayName, message: "has no model of rank \(k) to start from; it has k = \(ranks.isEmpty ? "none" : ranks)")
        }
        let model = try FactorModel.read(from: models.openGroup(name))
        let old = try Normalization.read(from: file.root.openGroup("normalization"))
        guard old.isAdditive && normalization.isAdditive else {
            throw InputDataError(file: displayName, message: "a warm start needs additive normalizations (method none, mean, biases or center, no transform) in the export and in this pipeline; found \"\(old.method.rawValue)\" there and \"\(normalization.method.rawValue)\" here")
        }
        let oldRows = IdTable(ids: try file.root.openGroup("rows").readStrings("ids"))
        let oldCols = IdTable(ids: try file.root.openGroup("cols").readStrings("ids"))
        var start = WarmStart(
            w: [Float](repeating: 0, count: rowIDs.count * k), columnFactors: [Float](repeating: 0, count: colIDs.count * k),
            rowBias: [Float](repeating: 0, count: rowIDs.count), colBias: [Float](repeating: 0, count: colIDs.count),
            rowKnown: [Bool](repeating: false, count: rowIDs.count), colKnown: [Bool](repeating: false, count: colIDs.count))
        let meanShift = old.mean - normalization.mean
        for row in 0..<rowIDs.count {
            guard let source = oldRows.existingIndex(of: rowIDs.ids[row]).map(Int.init) else { continue }
            start.rowKnown[row] = true
            for factor in 0..<k { start.w[row * k + factor] = model.w[source * k + factor] }
            let bias = model.rowBias.isEmpty ? 0 : Double(model.rowBias[source])
            start.rowBias[row] = Float(bias + old.rowOffsets[source] - normalization.rowOffsets[row])
        }
        for col in 0..<colIDs.count {
            guard let source = oldCols.existingIndex(of: colIDs.ids[col]).map(Int.init) else { continue }
            start.colKnown[col] = true
            for factor in 0..<k { start.columnFactors[col * k + factor] = model.h[factor * model.cols + source] }
            let bias = model.colBias.isEmpty ? 0 : Double(model.colBias[source])
            start.colBias[col] = Float(bias + old.colOffsets[source] - normalization.colOffsets[col] + meanShift)
        }
        return start
    }
}
