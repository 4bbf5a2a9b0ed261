import CMFKernels
import Foundation

/// The training entries laid out once for parallel SGD: rows and columns shuffled by the
/// seed and cut into a `grid` x `grid` array of blocks, each block's records contiguous and
/// sorted, values standardized (centred on their mean, divided by their standard deviation).
///
/// Block (r, c) holds the entries whose shuffled row falls in row bin r and whose shuffled
/// column falls in column bin c. Blocks that share no bin can be trained at the same time
/// (see `Strata`). Inside a block, records are sorted by the *major* side — rows when there
/// are more rows than columns, otherwise columns — then by the other: consecutive updates
/// reuse a factor row for a short run (a long run would chain each update on the one
/// before) and walk the other bin in address order. (LIBMF makes the same choice.)
/// Records store bin-local 16-bit indices, 8 bytes a rating.
///
/// The layout depends on the entries, the seed and the grid, never on the thread count:
/// it is built once per training set and shared by every rank of a sweep.
public final class BlockedRatings: @unchecked Sendable {
    /// m.
    public let rows: Int
    /// n.
    public let cols: Int
    /// Blocks per side.
    public let grid: Int
    /// Rows per row bin (the last bin may hold fewer).
    public let rowsPerBin: Int
    /// Columns per column bin.
    public let colsPerBin: Int
    /// Whether blocks are sorted by row first (rows are the major side).
    public let majorIsRow: Bool
    /// The internal (shuffled) index of each row.
    public let rowPosition: [Int32]
    /// The internal index of each column.
    public let colPosition: [Int32]
    /// The mean of the training values: records hold (value − offset) / scale.
    public let offset: Double
    /// The standard deviation of the training values (1 when they are all equal).
    public let scale: Double
    /// Training entries per internal row.
    public let rowCounts: [Int32]
    /// Training entries per internal column.
    public let colCounts: [Int32]
    /// Validation entries with internal indices and standardized values.
    let validation: HeldOutSet
    /// Every block's records, block after block (block (r, c) is number r * grid + c).
    public let records: UnsafeMutableBufferPointer<mfk_record>
    /// Where each block starts in `records`, plus the end: `grid * grid + 1` offsets.
    public let blockStart: [Int]

    /// The number of training entries.
    public var count: Int { records.count }

    /// Lays out the training entries of `problem` for a grid of `grid` x `grid` blocks
    /// (0: `automaticGrid`), shuffling rows and columns with `seed`. Two passes over the
    /// entries — block counts, then placement — so they are never held twice.
    public init(problem: TrainingProblem, grid requested: Int, seed: UInt64, threads: Int) throws {
        let (train, rows, cols) = (problem.entries, problem.rows, problem.cols)
        self.rows = rows
        self.cols = cols
        let grid = Self.validGrid(requested > 0 ? requested : Self.automaticGrid(rows: rows, cols: cols, count: train.count), rows: rows, cols: cols)
        self.grid = grid
        let (rowsPerBin, colsPerBin) = (max(1, (rows + grid - 1) / grid), max(1, (cols + grid - 1) / grid))
        (self.rowsPerBin, self.colsPerBin) = (rowsPerBin, colsPerBin)
        let majorIsRow = rows > cols
        self.majorIsRow = majorIsRow
        var random = SplitMix64(seed: seed, stream: "sgd-layout")
        let rowPosition = random.permutation(rows).map { Int32($0) }
        let colPosition = random.permutation(cols).map { Int32($0) }
        (self.rowPosition, self.colPosition) = (rowPosition, colPosition)
        var rowCounts = [Int32](repeating: 0, count: rows)
        var colCounts = [Int32](repeating: 0, count: cols)
        for row in 0..<rows { rowCounts[Int(rowPosition[row])] = problem.rowCounts[row] }
        for col in 0..<cols { colCounts[Int(colPosition[col])] = problem.colCounts[col] }
        var blockCounts = [Int](repeating: 0, count: grid * grid + 1)
        try train.forEachChunk { chunkRows, chunkCols, _ in
            for entry in 0..<chunkRows.count {
                let row = Int(rowPosition[Int(chunkRows[entry])])
                let col = Int(colPosition[Int(chunkCols[entry])])
                blockCounts[(row / rowsPerBin) * grid + col / colsPerBin + 1] += 1
            }
        }
        let mean = problem.mean
        offset = mean
        scale = problem.deviation
        for block in 0..<grid * grid { blockCounts[block + 1] += blockCounts[block] }
        blockStart = blockCounts
        self.rowCounts = rowCounts
        self.colCounts = colCounts
        let records = UnsafeMutableBufferPointer<mfk_record>.allocate(capacity: train.count)
        self.records = records
        var cursor = Array(blockCounts.dropLast())
        let inverseScale = 1 / scale
        try train.forEachChunk { chunkRows, chunkCols, values in
            for entry in 0..<values.count {
                let row = Int(rowPosition[Int(chunkRows[entry])])
                let col = Int(colPosition[Int(chunkCols[entry])])
                let block = (row / rowsPerBin) * grid + col / colsPerBin
                let (localRow, localCol) = (UInt16(row % rowsPerBin), UInt16(col % colsPerBin))
                records[cursor[block]] = mfk_record(
                    major: majorIsRow ? localRow : localCol, minor: majorIsRow ? localCol : localRow,
                    value: Float((Double(values[entry]) - mean) * inverseScale))
                cursor[block] += 1
            }
        }
        let shared = UncheckedSendable(records)
        let starts = blockStart
        ParallelWork.forEach(grid * grid, threads: threads) { block in
            Self.sort(UnsafeMutableBufferPointer(rebasing: shared.value[starts[block]..<starts[block + 1]]))
        }
        self.validation = HeldOutSet(problem.validation, offset: mean, scale: scale, rowIndex: rowPosition, colIndex: colPosition,
                                     binRows: rowsPerBin)
    }

    deinit {
        records.deallocate()
    }

    /// The records of block (`rowBin`, `colBin`).
    public func block(rowBin: Int, colBin: Int) -> UnsafeMutableBufferPointer<mfk_record> {
        let index = rowBin * grid + colBin
        return UnsafeMutableBufferPointer(rebasing: records[blockStart[index]..<blockStart[index + 1]])
    }

    /// The row bins that rank `rank` of `ranks` holds and trains under `mpirun`, every
    /// epoch: a contiguous run, about grid / ranks bins (with two ranks the first ⌈grid / 2⌉,
    /// which `Strata` gives the even block indices).
    public func rowBins(ofRank rank: Int, among ranks: Int) -> Range<Int> {
        (rank * grid + ranks - 1) / ranks..<((rank + 1) * grid + ranks - 1) / ranks
    }

    /// The internal rows of `rowBins(ofRank:among:)`.
    public func rows(ofRank rank: Int, among ranks: Int) -> Range<Int> {
        let bins = rowBins(ofRank: rank, among: ranks)
        return min(rows, bins.lowerBound * rowsPerBin)..<min(rows, bins.upperBound * rowsPerBin)
    }

    /// A grid for `count` entries of an m x n matrix: about 8,000 entries a block, so that
    /// a block's factor rows stay in the core's cache and a grid row offers enough blocks to
    /// share among threads; at least 4 a side once there are 100,000 entries, at most 256;
    /// even from 4 on, so that two `mpirun` ranks keep their column bins from one stratum to
    /// the next (`Strata`).
    public static func automaticGrid(rows: Int, cols: Int, count: Int) -> Int {
        let bySize = Int((Double(count) / 8000).squareRoot().rounded(.up))
        return min(256, max(count >= 100_000 ? 4 : 1, bySize >= 4 ? (bySize + 1) / 2 * 2 : bySize))
    }

    /// `grid` raised so that a bin fits 16-bit local indices and lowered to the matrix's size.
    static func validGrid(_ grid: Int, rows: Int, cols: Int) -> Int {
        let needed = max((rows + 65_534) / 65_535, (cols + 65_534) / 65_535, 1)
        return max(needed, min(grid, max(1, min(rows, cols))))
    }

    /// Sorts a block by (major, minor) with two stable counting passes.
    private static func sort(_ block: UnsafeMutableBufferPointer<mfk_record>) {
        guard block.count > 1 else { return }
        let scratch = UnsafeMutableBufferPointer<mfk_record>.allocate(capacity: block.count)
        defer { scratch.deallocate() }
        var counts = [Int](repeating: 0, count: 65_537)
        func pass(from source: UnsafeMutableBufferPointer<mfk_record>, to target: UnsafeMutableBufferPointer<mfk_record>,
                  key: (mfk_record) -> Int) {
            var top = 0
            for record in source {
                let value = key(record)
                counts[value + 1] += 1
                top = max(top, value + 1)
            }
            for index in 0..<top { counts[index + 1] += counts[index] }
            for record in source {
                let value = key(record)
                target[counts[value]] = record
                counts[value] += 1
            }
            for index in 0...top { counts[index] = 0 }
        }
        pass(from: block, to: scratch) { Int($0.minor) }
        pass(from: scratch, to: block) { Int($0.major) }
    }
}
