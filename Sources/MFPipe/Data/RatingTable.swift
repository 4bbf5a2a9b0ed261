import Foundation

/// Observed entries of a sparse matrix, held column-wise: 32-bit row and column
/// indices, 32-bit values and optional 64-bit timestamps, aligned by position.
public struct RatingTable: Equatable, Sendable {
    /// Dense row index of each entry.
    public var rows: [Int32]
    /// Dense column index of each entry.
    public var cols: [Int32]
    /// The observed value of each entry.
    public var values: [Float]
    /// Seconds since the epoch for each entry, or empty when the source had none.
    public var timestamps: [Int64]

    /// Creates a table from aligned columns.
    ///
    /// - Precondition: the columns have equal lengths (timestamps may be empty).
    public init(rows: [Int32] = [], cols: [Int32] = [], values: [Float] = [], timestamps: [Int64] = []) {
        precondition(rows.count == cols.count && cols.count == values.count)
        precondition(timestamps.isEmpty || timestamps.count == values.count)
        self.rows = rows
        self.cols = cols
        self.values = values
        self.timestamps = timestamps
    }

    /// The number of entries.
    public var count: Int { values.count }

    /// Whether the table carries timestamps.
    public var hasTimestamps: Bool { !timestamps.isEmpty }

    /// Reserves room for `capacity` entries in every column.
    public mutating func reserveCapacity(_ capacity: Int, timestamps withTimestamps: Bool) {
        rows.reserveCapacity(capacity)
        cols.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
        if withTimestamps { timestamps.reserveCapacity(capacity) }
    }

    /// Asks the kernel to back the columns' reserved capacity with transparent huge pages
    /// (`HugePages`).
    public mutating func adviseHugePages() {
        Self.advise(&rows)
        Self.advise(&cols)
        Self.advise(&values)
        Self.advise(&timestamps)
    }

    private static func advise<T>(_ column: inout [T]) {
        let capacity = column.capacity
        column.withUnsafeMutableBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            HugePages.advise(base, byteCount: capacity * MemoryLayout<T>.stride)
        }
    }

    /// Appends one entry.
    @inline(__always)
    public mutating func append(row: Int32, col: Int32, value: Float, timestamp: Int64? = nil) {
        rows.append(row)
        cols.append(col)
        values.append(value)
        if let timestamp { timestamps.append(timestamp) }
    }

    /// These entries followed by `other`'s (timestamps kept when both tables have them).
    public func appending(_ other: RatingTable) -> RatingTable {
        RatingTable(rows: rows + other.rows, cols: cols + other.cols, values: values + other.values,
                    timestamps: hasTimestamps && other.hasTimestamps ? timestamps + other.timestamps : [])
    }

    /// The entries at `positions`, in that order.
    public func selecting(_ positions: [Int]) -> RatingTable {
        RatingTable(
            rows: positions.map { rows[$0] },
            cols: positions.map { cols[$0] },
            values: positions.map { values[$0] },
            timestamps: hasTimestamps ? positions.map { timestamps[$0] } : []
        )
    }

    /// The mean of the values, or 0 for an empty table.
    public var mean: Double {
        guard count > 0 else { return 0 }
        var sum = 0.0
        for value in values { sum += Double(value) }
        return sum / Double(count)
    }

    /// Per-index entry counts along rows (`byRow`) or columns, for `size` indices.
    public func counts(byRow: Bool, size: Int) -> [Int32] {
        var counts = [Int32](repeating: 0, count: size)
        for index in byRow ? rows : cols { counts[Int(index)] += 1 }
        return counts
    }
}
