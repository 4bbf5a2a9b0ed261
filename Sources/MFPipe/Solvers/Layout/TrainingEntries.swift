import Foundation

/// Training entries that a solver reads in chunks, as often as it needs, without holding
/// them all: the rows, columns and residual values (after normalization) of each chunk.
public protocol TrainingEntries: Sendable {
    /// The number of entries.
    var count: Int { get }
    /// Calls `body(rows, cols, residuals)` for consecutive chunks, in entry order.
    func forEachChunk(_ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>) throws -> Void) throws
}

extension TrainingEntries {
    /// Every entry at once, for solvers that need the whole table.
    public func table() throws -> RatingTable {
        var table = RatingTable()
        table.reserveCapacity(count, timestamps: false)
        try forEachChunk { rows, cols, values in
            table.rows.append(contentsOf: rows)
            table.cols.append(contentsOf: cols)
            table.values.append(contentsOf: values)
        }
        return table
    }
}

/// Entries held in memory.
public struct TableEntries: TrainingEntries {
    /// The entries, values already residuals.
    public let table: RatingTable

    /// Wraps `table`.
    public init(_ table: RatingTable) {
        self.table = table
    }

    public var count: Int { table.count }

    public func forEachChunk(_ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>) throws -> Void) throws {
        try table.rows.withUnsafeBufferPointer { rows in
            try table.cols.withUnsafeBufferPointer { cols in
                try table.values.withUnsafeBufferPointer { try body(rows, cols, $0) }
            }
        }
    }
}

/// One part of a ratings artifact, read from its HDF5 columns a million entries at a time,
/// normalized on the way (unless the normalization is the identity).
public struct ArtifactEntries: TrainingEntries {
    /// The artifact's data file.
    public let url: URL
    /// The part read (`train`, or `all` when the data was not split).
    public let part: RatingData.Part
    /// What is removed from each value.
    public let normalization: Normalization
    public let count: Int
    /// Whether values are passed on as read.
    private let unchanged: Bool
    private static let chunk = 1 << 20

    /// The training part of the artifact at `url` (`train`, else `all`).
    public init(url: URL, normalization: Normalization) throws {
        self.url = url
        self.normalization = normalization
        unchanged = normalization.isIdentity
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        let parts = try file.root.openGroup("parts")
        part = parts.contains(RatingData.Part.train.rawValue) ? .train : .all
        count = try parts.openGroup(part.rawValue).shape(of: "value").first ?? 0
    }

    public func forEachChunk(_ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>) throws -> Void) throws {
        let file = try HDF5File.open(url)
        defer { try? file.close() }
        let group = try file.root.openGroup("parts").openGroup(part.rawValue)
        let size = min(Self.chunk, max(count, 1))
        let rows = UnsafeMutableBufferPointer<Int32>.allocate(capacity: size)
        let cols = UnsafeMutableBufferPointer<Int32>.allocate(capacity: size)
        let values = UnsafeMutableBufferPointer<Float>.allocate(capacity: size)
        defer {
            rows.deallocate()
            cols.deallocate()
            values.deallocate()
        }
        var offset = 0
        while offset < count {
            let length = min(size, count - offset)
            let (r, c, v) = (UnsafeMutableBufferPointer(rebasing: rows[..<length]), UnsafeMutableBufferPointer(rebasing: cols[..<length]),
                             UnsafeMutableBufferPointer(rebasing: values[..<length]))
            try group.read("row", from: offset, into: r)
            try group.read("col", from: offset, into: c)
            try group.read("value", from: offset, into: v)
            if !unchanged {
                for index in 0..<length {
                    v[index] = normalization.normalized(v[index], row: r[index], col: c[index])
                }
            }
            try body(UnsafeBufferPointer(r), UnsafeBufferPointer(c), UnsafeBufferPointer(v))
            offset += length
        }
    }
}
