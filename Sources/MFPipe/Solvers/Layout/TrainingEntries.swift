import Foundation

/// Training entries that a solver reads in chunks, as often as it needs, without holding
/// them all: the rows, columns and residual values (after normalization) of each chunk.
public protocol TrainingEntries: Sendable {
    /// The number of entries.
    var count: Int { get }
    /// Calls `body(rows, cols, residuals)` for consecutive chunks, in entry order.
    func forEachChunk(_ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>) throws -> Void) throws
    /// Every entry's residual, in entry order, read where it is stored without a copy, when
    /// that can be done (nil otherwise).
    func valuesInPlace() throws -> ValuesInPlace?
    /// The order in which the entries list every cell of the matrix, when that is known
    /// without reading them (nil otherwise).
    var cellOrder: CellOrder? { get }
}

/// Values read in place, and what keeps their memory alive while they are used.
public struct ValuesInPlace {
    /// The values.
    public let values: UnsafeBufferPointer<Float>
    /// Their memory's owner (a `MappedFile`).
    public let owner: AnyObject
}

extension TrainingEntries {
    /// None by default: the values are copied as `forEachChunk` passes them on.
    public func valuesInPlace() throws -> ValuesInPlace? { nil }

    /// Unknown by default.
    public var cellOrder: CellOrder? { nil }

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
    /// The part's `cell_order` attribute, when it has one.
    public let cellOrder: CellOrder?
    /// Whether values are passed on as read.
    private let unchanged: Bool
    /// Where the part's three columns start in the file, when each is contiguous, aligned
    /// and `count` long, as the work directory writes them (nil otherwise).
    private let offsets: (rows: Int, cols: Int, values: Int)?
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
        let group = try parts.openGroup(part.rawValue)
        count = try group.shape(of: "value").first ?? 0
        if case .string(let order)? = try group.attribute("cell_order") {
            cellOrder = CellOrder(rawValue: order)
        } else {
            cellOrder = nil
        }
        offsets = try Self.contiguousOffsets(in: group, count: count)
    }

    /// Reads the columns straight from the mapped file when they lie in it contiguous and
    /// aligned, else through HDF5 into buffers of a chunk.
    public func forEachChunk(_ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>) throws -> Void) throws {
        if let offsets {
            try forEachMappedChunk(offsets, body)
            return
        }
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
            normalize(v, rows: UnsafeBufferPointer(r), cols: UnsafeBufferPointer(c))
            try body(UnsafeBufferPointer(r), UnsafeBufferPointer(c), UnsafeBufferPointer(v))
            offset += length
        }
    }

    /// The values from the artifact's mapping, when they lie in it contiguous and aligned
    /// and the normalization leaves them as they are.
    public func valuesInPlace() throws -> ValuesInPlace? {
        guard unchanged, count > 0, let offsets else { return nil }
        let mapped = try MappedFile(url: url)
        return ValuesInPlace(values: mapped.values(at: offsets.values, count: count, as: Float.self), owner: mapped)
    }

    /// The byte offsets of the three columns of the part `group` in its file, when each is
    /// contiguous, aligned and `count` long (nil otherwise).
    private static func contiguousOffsets(in group: HDF5Group, count: Int) throws -> (rows: Int, cols: Int, values: Int)? {
        guard let row = try group.contiguousExtent("row", as: Int32.self), let col = try group.contiguousExtent("col", as: Int32.self),
              let value = try group.contiguousExtent("value", as: Float.self),
              [row, col, value].allSatisfy({ $0.count == count && $0.offset % 4 == 0 })
        else { return nil }
        return (row.offset, col.offset, value.offset)
    }

    /// `forEachChunk` over the file mapped, its columns starting at `offsets`: only
    /// normalized values are copied, and each chunk's pages are released once passed on, so
    /// that a pass holds one chunk's worth in resident memory, as the buffers did.
    private func forEachMappedChunk(_ offsets: (rows: Int, cols: Int, values: Int),
                                    _ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>) throws -> Void) throws {
        let mapped = try MappedFile(url: url)
        let (allRows, allCols, allValues) = (mapped.values(at: offsets.rows, count: count, as: Int32.self),
                                             mapped.values(at: offsets.cols, count: count, as: Int32.self),
                                             mapped.values(at: offsets.values, count: count, as: Float.self))
        let normalized = unchanged ? nil : UnsafeMutableBufferPointer<Float>.allocate(capacity: min(Self.chunk, count))
        defer { normalized?.deallocate() }
        for first in stride(from: 0, to: count, by: Self.chunk) {
            let range = first..<min(first + Self.chunk, count)
            let (r, c) = (UnsafeBufferPointer(rebasing: allRows[range]), UnsafeBufferPointer(rebasing: allCols[range]))
            var v = UnsafeBufferPointer(rebasing: allValues[range])
            if let normalized {
                let target = UnsafeMutableBufferPointer(rebasing: normalized[..<range.count])
                _ = target.initialize(from: v)
                normalize(target, rows: r, cols: c)
                v = UnsafeBufferPointer(target)
            }
            try body(r, c, v)
            let width = MemoryLayout<Float>.stride  // as wide as an Int32
            for column in [offsets.rows, offsets.cols, offsets.values] {
                mapped.release(offset: column + range.lowerBound * width, byteCount: range.count * width)
            }
        }
    }

    /// Replaces each value by its residual under the normalization (nothing for the identity).
    private func normalize(_ values: UnsafeMutableBufferPointer<Float>, rows: UnsafeBufferPointer<Int32>, cols: UnsafeBufferPointer<Int32>) {
        guard !unchanged else { return }
        for index in 0..<values.count {
            values[index] = normalization.normalized(values[index], row: rows[index], col: cols[index])
        }
    }
}
