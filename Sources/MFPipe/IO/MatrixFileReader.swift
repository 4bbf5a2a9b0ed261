/// A reader of one matrix file format.
public protocol MatrixFileReader {
    /// Hears how far reading has come, when set.
    var progress: ReadProgress? { get set }
    /// Reads every entry; `lineOfEntry` is called with each stored entry's index and line.
    func read(policy: inout BadRowPolicy, lineOfEntry: ((Int, Int) -> Void)?) throws -> ParsedMatrix
}

extension DelimitedReader: MatrixFileReader {}
extension MatrixMarketReader: MatrixFileReader {}
extension DenseMatrixReader: MatrixFileReader {}

/// A matrix read from a file: its observed entries and id tables.
public struct ParsedMatrix {
    /// The entries.
    public var table: RatingTable
    /// Row ids in dense-index order.
    public var rowIDs: IdTable
    /// Column ids in dense-index order.
    public var colIDs: IdTable
    /// Rows skipped under the skip policy.
    public var skippedRows: Int
}
