import Foundation

/// The data a solver fits: training residuals (after normalization) and, when there is
/// one, a validation set on the same scale for monitoring and early stopping.
///
/// The training entries are read through `TrainingEntries`, so that a solver that lays
/// them out (in blocks for SGD, by row and by column for ALS, CCD++, NMF and SVD) streams
/// them from the artifact and never holds a second copy. A reference type so that every
/// rank of a sweep shares one problem, and each layout is built once, on first use, for
/// every solver that asks for it (`layout(_:build:)`).
public final class TrainingProblem: @unchecked Sendable {
    /// m.
    public let rows: Int
    /// n.
    public let cols: Int
    /// The training entries.
    public let entries: TrainingEntries
    /// Validation entries on the same scale, possibly empty.
    public let validation: RatingTable
    /// Training entries per row.
    public let rowCounts: [Int32]
    /// Training entries per column.
    public let colCounts: [Int32]
    /// The mean of the training values.
    public let mean: Double
    /// Their standard deviation (1 when they are all equal, or there are none).
    public let deviation: Double
    /// Their root mean square (1 when they are all zero, or there are none).
    public let rootMeanSquare: Double
    /// The sum of their squares.
    let squaredSum: Double

    /// The training values' standard deviation over their root mean square (at most 1; 1
    /// for centred values). A weighted-λ solver that fits their mean apart from the factors
    /// and works on the unit-RMS layout (`compressed()`) multiplies λ by this and its initial
    /// spread by its root: it then fits the model it would fit on the unit-deviation scale,
    /// the same whatever constant the values are shifted by.
    public var centredShare: Double { min(deviation / rootMeanSquare, 1) }
    /// The first negative training value in entry order, and where it is (nil when there
    /// is none).
    public let firstNegative: (value: Float, row: Int32, col: Int32)?
    private let layouts = SharedValues<AnyObject>()

    /// A problem over `entries` (read once here, for each row's and column's count and
    /// the values' moments); with `keepingDense`, a complete matrix is also laid out dense
    /// (`dense()`): read in place when the entries offer their values so and sit in row or
    /// column order, else copied in the same pass. When the entries' cell order is known
    /// (`TrainingEntries.cellOrder`), the pass reads only the values in place, not the
    /// row and column indices. Each chunk of entries is cut into fixed
    /// slices that run on up to `threads` threads and are summed in order: the same bits
    /// on any number.
    public init(rows: Int, cols: Int, entries: TrainingEntries, validation: RatingTable, keepingDense: Bool = false, threads: Int = 1) throws {
        self.rows = rows
        self.cols = cols
        self.entries = entries
        self.validation = validation
        let complete = rows > 0 && entries.count == rows * cols
        // A complete matrix holds each cell once (ingest merges or rejects duplicates).
        var rowCounts = [Int32](repeating: complete ? Int32(clamping: cols) : 0, count: rows)
        var colCounts = [Int32](repeating: complete ? Int32(clamping: rows) : 0, count: cols)
        var moments = EntryMoments()
        let inPlace = keepingDense && complete ? try entries.valuesInPlace() : nil
        let dense: UnsafeMutableBufferPointer<Float>? = keepingDense && complete && inPlace == nil
            ? .allocate(capacity: rows * cols) : nil
        let target = UncheckedSendable(dense)
        var layoutOrder = false
        if let inPlace, let order = entries.cellOrder {
            moments = EntryMoments(inPlace.values, order: order, rows: rows, cols: cols, threads: threads)
        } else {
            var (byColumn, first): (Bool?, Int) = (nil, 0)
            try entries.forEachChunk { chunkRows, chunkCols, values in
                let order = byColumn ?? DenseRatings.arrivesByColumn(chunkCols)
                byColumn = order
                let parts = EntryMoments.bySlice(values.count, threads: threads) { range in
                    var part = EntryMoments(values, range) { (chunkRows[$0], chunkCols[$0]) }
                    if inPlace != nil {
                        part.checkOrder(chunkRows, chunkCols, range, from: first + range.lowerBound, rows: rows, cols: cols)
                    }
                    if let dense = target.value {
                        DenseRatings.scatter(chunkRows, chunkCols, values, range, into: dense, rows: rows, cols: cols, byColumn: order)
                    }
                    return part
                }
                first += values.count
                for part in parts { moments.add(part) }
                guard !complete else { return }
                for entry in 0..<values.count {
                    rowCounts[Int(chunkRows[entry])] += 1
                    colCounts[Int(chunkCols[entry])] += 1
                }
            }
            layoutOrder = byColumn ?? false
        }
        self.rowCounts = rowCounts
        self.colCounts = colCounts
        firstNegative = moments.firstNegative
        let count = Double(max(entries.count, 1))
        mean = moments.sum / count
        let deviation = (max(moments.squares / count - mean * mean, 0)).squareRoot()
        self.deviation = deviation.isFinite && deviation > 0 ? deviation : 1
        let rootMeanSquare = (moments.squares / count).squareRoot()
        self.rootMeanSquare = rootMeanSquare.isFinite && rootMeanSquare > 0 ? rootMeanSquare : 1
        squaredSum = moments.squares
        if let inPlace, moments.inRowOrder || moments.inColumnOrder {
            layouts.set(DenseRatings(values: inPlace.values, owner: inPlace.owner, rows: rows, cols: cols, byColumn: !moments.inRowOrder,
                                     scale: self.rootMeanSquare, squaredSum: squaredSum), for: "dense")
        } else if let dense {
            layouts.set(DenseRatings(values: UnsafeBufferPointer(dense), owner: nil, rows: rows, cols: cols, byColumn: layoutOrder,
                                     scale: self.rootMeanSquare, squaredSum: squaredSum), for: "dense")
        }
    }

    /// A problem over entries held in memory.
    public convenience init(rows: Int, cols: Int, train: RatingTable, validation: RatingTable) {
        try! self.init(rows: rows, cols: cols, entries: TableEntries(train), validation: validation)
    }

    /// The number of training entries.
    public var trainCount: Int { entries.count }

    /// Whether every entry of the m x n matrix is a training entry (a dense matrix with
    /// nothing held out): dense algorithms may then work on the whole matrix.
    public var isComplete: Bool { rows > 0 && cols > 0 && trainCount == rows * cols }

    /// The layout named `key`, built by `build` on first use and shared by every caller
    /// asking for the same key (concurrent callers wait for the first to finish building).
    public func layout<Layout: AnyObject>(_ key: String, build: () throws -> Layout) rethrows -> Layout {
        try layouts.value(for: key, stored: { $0 as? Layout }, build: {
            let layout = try build()
            return (layout, layout)
        })
    }

    /// The training entries laid out in a grid (0: automatic) shuffled by `seed`, for SGD.
    public func blocked(grid: Int, seed: UInt64, threads: Int) throws -> BlockedRatings {
        try layout("blocked/\(grid)/\(seed)") {
            try BlockedRatings(problem: self, grid: grid, seed: seed, threads: threads)
        }
    }

    /// The training entries by row and by column (standardized values), for ALS, CCD++,
    /// NMF and SVD.
    public func compressed() throws -> CompressedRatings {
        try layout("compressed") { try CompressedRatings(problem: self) }
    }
}

/// The sum and the sum of squares of a run of training values, its first negative one, and
/// whether its entries sit at consecutive cells in row or in column order: what
/// `TrainingProblem` gathers in one pass, slice by slice.
private struct EntryMoments {
    /// Entries per slice: fixed, so that the sums never depend on the thread count.
    static let slice = 1 << 16
    var sum = 0.0
    var squares = 0.0
    var firstNegative: (value: Float, row: Int32, col: Int32)?
    var inRowOrder = true
    var inColumnOrder = true

    init() {}

    /// The moments of the values in `range`; `cell` gives an entry's row and column.
    init(_ values: UnsafeBufferPointer<Float>, _ range: Range<Int>, cell: (Int) -> (Int32, Int32)) {
        // Four running sums, so that the additions overlap; added in a fixed order.
        var (sums, squares) = (SIMD4<Double>(), SIMD4<Double>())
        var entry = range.lowerBound
        while entry + 4 <= range.upperBound {
            let quad = SIMD4<Double>(Double(values[entry]), Double(values[entry + 1]), Double(values[entry + 2]), Double(values[entry + 3]))
            sums += quad
            squares += quad * quad
            entry += 4
        }
        var (tailSum, tailSquares) = (0.0, 0.0)
        for index in entry..<range.upperBound {
            tailSum += Double(values[index])
            tailSquares += Double(values[index]) * Double(values[index])
        }
        sum = sums[0] + sums[1] + sums[2] + sums[3] + tailSum
        self.squares = squares[0] + squares[1] + squares[2] + squares[3] + tailSquares
        if let index = range.first(where: { values[$0] < 0 }) {
            let (row, col) = cell(index)
            firstNegative = (values[index], row, col)
        }
    }

    /// The moments of every cell of an m x n matrix, whose values are listed in `order`:
    /// in the same fixed slices, summed in the same order, as entry by entry.
    init(_ values: UnsafeBufferPointer<Float>, order: CellOrder, rows: Int, cols: Int, threads: Int) {
        self.init()
        for part in Self.bySlice(values.count, threads: threads, { range in EntryMoments(values, range) { order.cell($0, rows: rows, cols: cols) } }) {
            add(part)
        }
        (inRowOrder, inColumnOrder) = (order == .rows, order == .columns)
    }

    /// `part(range)` for each fixed slice of `count` entries, on up to `threads` threads,
    /// in slice order.
    static func bySlice(_ count: Int, threads: Int, _ part: (Range<Int>) -> EntryMoments) -> [EntryMoments] {
        let slices = (count + slice - 1) / slice
        var parts = [EntryMoments](repeating: EntryMoments(), count: slices)
        parts.withUnsafeMutableBufferPointer { parts in
            let output = UncheckedSendable(parts)
            ParallelWork.forEach(slices, threads: threads) { index in
                output.value[index] = part(index * slice..<min((index + 1) * slice, count))
            }
        }
        return parts
    }

    /// Notes whether the entries in `range` are the cells `first`, `first` + 1, … of the
    /// m x n matrix read row after row, or column after column.
    mutating func checkOrder(_ entryRows: UnsafeBufferPointer<Int32>, _ entryCols: UnsafeBufferPointer<Int32>, _ range: Range<Int>,
                             from first: Int, rows: Int, cols: Int) {
        inRowOrder = CellOrder.follows(major: entryRows, minor: entryCols, range, from: first, minorCount: cols)
        inColumnOrder = CellOrder.follows(major: entryCols, minor: entryRows, range, from: first, minorCount: rows)
    }

    /// Adds the moments of the entries that follow.
    mutating func add(_ next: EntryMoments) {
        sum += next.sum
        squares += next.squares
        if firstNegative == nil { firstNegative = next.firstNegative }
        inRowOrder = inRowOrder && next.inRowOrder
        inColumnOrder = inColumnOrder && next.inColumnOrder
    }
}
