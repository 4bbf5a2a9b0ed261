/// External ids (user ids, item ids, row names) mapped to dense indices in first-seen order.
public struct IdTable: Equatable, Sendable {
    /// The external id of each dense index.
    public private(set) var ids: [String]
    private var indexByID: [String: Int32]

    /// Creates a table holding `ids` in order.
    ///
    /// - Precondition: the ids are distinct.
    public init(ids: [String] = []) {
        self.ids = ids
        indexByID = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, Int32($0)) })
    }

    /// The ids "1" … "count", as MatrixMarket's 1-based indices.
    public static func oneBased(count: Int) -> IdTable {
        IdTable(ids: (1...max(count, 1)).prefix(count).map(String.init))
    }

    /// The number of ids.
    public var count: Int { ids.count }

    /// The dense index of `id`, adding it at the end if it is new.
    public mutating func index(of id: String) -> Int32 {
        if let index = indexByID[id] { return index }
        let index = Int32(ids.count)
        ids.append(id)
        indexByID[id] = index
        return index
    }

    /// The dense index of `id`, or nil when it has none.
    public func existingIndex(of id: String) -> Int32? {
        indexByID[id]
    }

    public static func == (lhs: IdTable, rhs: IdTable) -> Bool {
        lhs.ids == rhs.ids
    }
}
