import Foundation

/// A sparse matrix in compressed form: for each of `count` lines (rows, or columns), the
/// indices and values of its entries, contiguous. Line `i` holds entries
/// `start[i] ..< start[i + 1]`.
public final class SparseLines: @unchecked Sendable {
    /// The number of lines.
    public let count: Int
    /// Where each line starts in `index` and `value`, plus the end: `count + 1` offsets.
    public let start: UnsafeMutableBufferPointer<Int>
    /// The other side's index of each entry.
    public let index: UnsafeMutableBufferPointer<Int32>
    /// Each entry's value.
    public let value: UnsafeMutableBufferPointer<Float>

    /// Empty lines with room for `counts[i]` entries in line `i`; `start` is filled in.
    init(counts: [Int32]) {
        count = counts.count
        start = .allocate(capacity: counts.count + 1)
        var total = 0
        for line in 0..<counts.count {
            start[line] = total
            total += Int(counts[line])
        }
        start[counts.count] = total
        index = .allocate(capacity: max(total, 1))
        value = .allocate(capacity: max(total, 1))
    }

    deinit {
        start.deallocate()
        index.deallocate()
        value.deallocate()
    }

    /// The number of entries.
    public var entries: Int { start[count] }

    /// Entry positions `start[line] ..< start[line + 1]` of `line`.
    @inline(__always)
    public func range(_ line: Int) -> Range<Int> { start[line]..<start[line + 1] }
}

/// The training entries held twice, by row and by column, with values divided by the
/// problem's root mean square: the layout of the solvers that sweep whole rows and whole
/// columns (ALS, CCD++, NMF, SVD). Within a line, entries keep the order they have in the
/// training set, so the layout — and every result computed from it — depends on the data
/// alone. Built in one pass over the entries, 16 bytes a rating.
public final class CompressedRatings: @unchecked Sendable {
    /// m.
    public let rows: Int
    /// n.
    public let cols: Int
    /// The entries of each row: column indices and values.
    public let byRow: SparseLines
    /// The entries of each column: row indices and values.
    public let byColumn: SparseLines
    /// What the values were divided by (the training values' root mean square).
    public let scale: Double

    /// Lays out the training entries of `problem`.
    public init(problem: TrainingProblem) throws {
        rows = problem.rows
        cols = problem.cols
        scale = problem.rootMeanSquare
        byRow = SparseLines(counts: problem.rowCounts)
        byColumn = SparseLines(counts: problem.colCounts)
        var rowCursor = Array(byRow.start.prefix(rows))
        var colCursor = Array(byColumn.start.prefix(cols))
        let inverse = Float(1 / scale)
        let (byRow, byColumn) = (self.byRow, self.byColumn)
        try problem.entries.forEachChunk { chunkRows, chunkCols, values in
            for entry in 0..<values.count {
                let (row, col) = (Int(chunkRows[entry]), Int(chunkCols[entry]))
                let value = values[entry] * inverse
                byRow.index[rowCursor[row]] = Int32(col)
                byRow.value[rowCursor[row]] = value
                rowCursor[row] += 1
                byColumn.index[colCursor[col]] = Int32(row)
                byColumn.value[colCursor[col]] = value
                colCursor[col] += 1
            }
        }
    }

    /// The lines of one side: rows (`byRow`) or columns.
    public func lines(byRow rowSide: Bool) -> SparseLines { rowSide ? byRow : byColumn }
}

/// The lines of one side cut into fixed slices of consecutive lines, one task each: the
/// same slices whatever the thread count, so results never depend on it.
public struct LineSlices {
    /// Lines per slice.
    public static let size = 64
    /// The number of slices.
    public let count: Int
    private let total: Int
    /// The entries of each slice.
    public let weights: [Int]
    /// The slices in the order to hand them out: most entries first.
    public let heaviestFirst: [Int]

    /// The slices of `lines`.
    public init(_ lines: SparseLines) {
        total = lines.count
        count = (lines.count + Self.size - 1) / Self.size
        let total = self.total
        weights = (0..<count).map { slice in
            lines.start[min(total, (slice + 1) * Self.size)] - lines.start[slice * Self.size]
        }
        heaviestFirst = ParallelWork.heaviestFirst(weights)
    }

    /// The lines of the slices `slices`.
    public func lines(of slices: Range<Int>) -> Range<Int> {
        min(total, slices.lowerBound * Self.size)..<min(total, slices.upperBound * Self.size)
    }

    /// The lines of slice `slice`.
    public func lines(_ slice: Int) -> Range<Int> { slice * Self.size..<min(total, (slice + 1) * Self.size) }
}
