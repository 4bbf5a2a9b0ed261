/// The entries of a symmetric matrix paired with their mirrors, so that a split keeps
/// (i, j) and (j, i) on the same side: otherwise a held-out entry's mirror trains the model
/// and the held-out error is optimistic.
///
/// A matrix counts as symmetric when its rows and columns carry the same ids in the same
/// order (a MatrixMarket `symmetric` or `skew-symmetric` file, expanded by the reader, or any
/// square file with mirrored entries) and every entry's mirror is present.
public struct MirrorPairs {
    /// The entries that stand for their pair: those on or above the diagonal.
    public let representatives: [Int]
    /// Each entry's mirror (a diagonal entry is its own).
    public let mirror: [Int]

    /// The pairs of `table`, or nil when the matrix is not symmetric.
    public init?(_ table: RatingTable, rowIDs: IdTable, colIDs: IdTable) {
        guard table.count > 0, rowIDs.ids == colIDs.ids else { return nil }
        var position: [Int64: Int] = [:]
        position.reserveCapacity(table.count)
        for entry in 0..<table.count { position[Self.key(table.rows[entry], table.cols[entry])] = entry }
        var mirror = [Int](repeating: 0, count: table.count)
        var representatives: [Int] = []
        representatives.reserveCapacity(table.count / 2 + 1)
        for entry in 0..<table.count {
            let (row, col) = (table.rows[entry], table.cols[entry])
            guard let other = position[Self.key(col, row)] else { return nil }
            mirror[entry] = other
            if row <= col { representatives.append(entry) }
        }
        self.representatives = representatives
        self.mirror = mirror
    }

    /// The entries of the pairs that `chosen` representatives stand for, in table order.
    public func entries<S: Sequence>(of chosen: S) -> [Int] where S.Element == Int {
        var result: [Int] = []
        for entry in chosen {
            result.append(entry)
            if mirror[entry] != entry { result.append(mirror[entry]) }
        }
        return result.sorted()
    }

    private static func key(_ row: Int32, _ col: Int32) -> Int64 {
        Int64(row) << 32 | Int64(UInt32(bitPattern: col))
    }
}
