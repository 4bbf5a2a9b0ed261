/// A matrix's observed entries with its id tables, split into named parts.
///
/// Ingest produces one part, `all`; split produces `train`, `validation` and `test`
/// (the last two may be empty). Indices in every part refer to the same id tables, so
/// a row seen only in the test part is a cold-start row with no training data.
public struct RatingData: Equatable, Sendable {
    /// The part names mfpipe uses.
    public enum Part: String, CaseIterable, Sendable {
        case all, train, validation, test
    }

    /// External row ids, by dense row index.
    public var rowIDs: IdTable
    /// External column ids, by dense column index.
    public var colIDs: IdTable
    /// The parts present, by name.
    public var parts: [Part: RatingTable]

    /// Creates a data set.
    public init(rowIDs: IdTable, colIDs: IdTable, parts: [Part: RatingTable]) {
        self.rowIDs = rowIDs
        self.colIDs = colIDs
        self.parts = parts
    }

    /// The number of rows (m).
    public var rowCount: Int { rowIDs.count }
    /// The number of columns (n).
    public var colCount: Int { colIDs.count }

    /// The training entries: `train` after a split, otherwise `all`.
    public var training: RatingTable {
        parts[.train] ?? parts[.all] ?? RatingTable()
    }
}
